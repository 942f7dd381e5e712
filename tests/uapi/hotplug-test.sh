#!/bin/bash
# Hot-unplug (ask then take) and group integrity through `uvfio run`: an
# unmodified VFIO program (hotplug-holder) holds a device with a REQ eventfd,
# and plain shell writes to sysfs unbind, remove and bind it, as an
# administrator (or libvirt) does on Linux. TAP output. As root the whole
# script runs in a private mount namespace with /sys read-only, and every
# program runs under uvfio run (which does the same).
#
#   hotplug-test.sh BUILD_DIR [FILTER]
set -u
BUILD=$1
TAP_FILTER=${2:-}
export UVFIO=$BUILD/src/cli/uvfio
export HOLDER=$BUILD/tests/uapi/hotplug-holder
export UVFIO_PRELOAD=$BUILD/src/preload/libuvfio-preload.so

. "$(dirname "${BASH_SOURCE[0]}")/../harness/tap.sh"
tap_sandbox "$0" "$@"

OUT=$(mktemp -d)
export OUT
trap 'rm -rf "$OUT"' EXIT

TAP_LOG=$OUT/log
TAP_TAIL=60
run() { rm -f "$OUT"/*.txt; check "$@"; }

# Shell helpers for the programs under uvfio run (exported as text).
HELPERS='
set -eu
edu=0000:00:03.0
wait_for() { # file pattern: up to 10 s
	for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "timed out waiting for \"$2\" in $1"; cat "$1"; return 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
bind_vfio() {
	echo vfio-pci > /sys/bus/pci/devices/$1/driver_override
	[ -e /sys/bus/pci/devices/$1/driver ] && echo $1 > /sys/bus/pci/devices/$1/driver/unbind
	echo $1 > /sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink /sys/bus/pci/devices/$1/driver)")" = vfio-pci ]
}
'
export HELPERS

# bash's plain `echo BDF > .../unbind` signals REQ, blocks until the program
# lets go, then succeeds; the trace shows the ask/take sequence in order.
t_unbind_ask_take() {
	timeout 90 "$UVFIO" run -- bash -c "$HELPERS"'
		"$UVFIO" trace --format json > $OUT/trace.txt &
		tracer=$!
		sleep 0.2
		bind_vfio $edu
		"$HOLDER" $edu 1 700 > $OUT/holder.txt &
		holder=$!
		wait_for $OUT/holder.txt "holder: ready"
		t0=$(now_ms)
		{ echo $edu > /sys/bus/pci/drivers/vfio-pci/unbind; now_ms > $OUT/t1.txt; } &
		unbinder=$!
		wait_for $OUT/holder.txt "holder: request 1"
		# While remove() waits, the links are gone already (__device_release_driver
		# calls driver_sysfs_remove first): no driver link, none in the driver.
		during=
		readlink /sys/bus/pci/devices/$edu/driver && during="$during driver-link"
		[ -e /sys/bus/pci/drivers/vfio-pci/$edu ] && during="$during drivers/vfio-pci/$edu"
		ls /sys/bus/pci/drivers/vfio-pci | grep -qx $edu && during="$during listed"
		kill -0 $unbinder || during="$during unbind-returned-early"
		echo "during the wait:${during:- no links}"
		wait $unbinder
		t1=$(cat $OUT/t1.txt)
		echo "unbind took $((t1 - t0)) ms"
		wait $holder
		cat $OUT/holder.txt
		[ -z "$during" ]
		grep -q "holder: released" $OUT/holder.txt
		[ $((t1 - t0)) -ge 600 ]
		[ ! -e /sys/bus/pci/devices/$edu/driver ]
		[ ! -e /dev/vfio/1 ]
		sleep 0.3
		kill $tracer
		cat $OUT/trace.txt
		# One line each, in order: the ask, the relay notice, the closes, the take, the write.
		grep -n "\"op\":\"request\",\"dev\":\"$edu\",\"count\":0" $OUT/trace.txt | head -1 > $OUT/a.txt
		grep -n "Relaying device request to user (#0)" $OUT/trace.txt | head -1 > $OUT/b.txt
		grep -n "\"op\":\"released\",\"dev\":\"$edu\"" $OUT/trace.txt > $OUT/c.txt
		grep -n "\"op\":\"sysfs_write\",\"pid\":[0-9]*,\"path\":\"/sys/bus/pci/drivers/vfio-pci/unbind\",\"value\":\"$edu\\\\n\",\"len\":13,\"off\":0,\"result\":13}" $OUT/trace.txt > $OUT/d.txt
		a=$(cut -d: -f1 $OUT/a.txt); b=$(cut -d: -f1 $OUT/b.txt)
		c=$(cut -d: -f1 $OUT/c.txt); d=$(cut -d: -f1 $OUT/d.txt)
		echo "request@$a notice@$b released@$c write@$d"
		[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ -n "$d" ]
		[ "$a" -lt "$c" ] && [ "$b" -lt "$c" ] && [ "$c" -lt "$d" ]
		# The driver_override write, traced too.
		grep -q "\"op\":\"sysfs_write\",\"pid\":[0-9]*,\"path\":\"/sys/devices/pci0000:00/$edu/driver_override\",\"value\":\"vfio-pci\\\\n\"" $OUT/trace.txt
	'
}

# The program may close in any order: only the device file matters.
t_unbind_close_order() {
	timeout 90 "$UVFIO" run -- bash -c "$HELPERS"'
		bind_vfio $edu
		"$HOLDER" $edu 1 0 cgd > $OUT/holder.txt &
		wait_for $OUT/holder.txt "holder: ready"
		echo $edu > /sys/bus/pci/drivers/vfio-pci/unbind
		wait
		grep -q "holder: released" $OUT/holder.txt
		[ ! -e /sys/bus/pci/devices/$edu/driver ]
	'
}

# With the NIC group owned by VFIO, e1000 cannot bind the other NIC.
t_integrity_bind_ebusy() {
	timeout 90 "$UVFIO" run -- bash -c "$HELPERS"'
		bind_vfio 0000:01:01.0
		echo 0000:01:02.0 > /sys/bus/pci/drivers/e1000/unbind
		"$HOLDER" 0000:01:01.0 2 0 > $OUT/holder.txt &
		holder=$!
		wait_for $OUT/holder.txt "holder: ready"
		if (echo 0000:01:02.0 > /sys/bus/pci/drivers/e1000/bind) 2> $OUT/err.txt; then
			echo "bind succeeded"; exit 1
		fi
		cat $OUT/err.txt
		grep -q "Device or resource busy" $OUT/err.txt
		if (echo 0000:01:02.0 > /sys/bus/pci/drivers_probe) 2> $OUT/err.txt; then
			echo "drivers_probe succeeded"; exit 1
		fi
		grep -q "Invalid argument" $OUT/err.txt
		[ ! -e /sys/bus/pci/devices/0000:01:02.0/driver ]
		# pci-stub is allowed.
		echo pci-stub > /sys/bus/pci/devices/0000:01:02.0/driver_override
		echo 0000:01:02.0 > /sys/bus/pci/drivers/pci-stub/bind
		echo 0000:01:02.0 > /sys/bus/pci/drivers/pci-stub/unbind
		echo > /sys/bus/pci/devices/0000:01:02.0/driver_override
		# Once VFIO lets go (the program is asked to and exits), e1000 binds again.
		echo 0000:01:01.0 > /sys/bus/pci/drivers/vfio-pci/unbind
		wait $holder
		echo 0000:01:02.0 > /sys/bus/pci/drivers/e1000/bind
		[ "$(basename "$(readlink /sys/bus/pci/devices/0000:01:02.0/driver)")" = e1000 ]
	'
}

# A program that never lets go: `uvfio tree` names it, `uvfio kill-holder` ends it,
# and the unbind completes.
t_blocked_holder_killed() {
	timeout 90 "$UVFIO" run -- bash -c "$HELPERS"'
		bind_vfio $edu
		"$HOLDER" $edu 1 -1 > $OUT/holder.txt &
		holder=$!
		wait_for $OUT/holder.txt "holder: ready"
		(echo $edu > /sys/bus/pci/drivers/vfio-pci/unbind; echo "unbind done $?" > $OUT/unbind.txt) &
		wait_for $OUT/holder.txt "holder: request"
		sleep 0.3
		[ ! -e $OUT/unbind.txt ]
		"$UVFIO" tree > $OUT/tree.txt
		cat $OUT/tree.txt
		grep -q "^blocked" $OUT/tree.txt
		grep -q "$edu  unbind/unplug by \"bash\"" $OUT/tree.txt
		grep -q "held by pid $holder (hotplug-holder)" $OUT/tree.txt
		"$UVFIO" kill-holder $edu | grep -q "pid $holder (hotplug-holder): killed"
		wait_for $OUT/unbind.txt "unbind done 0"
		[ ! -e /sys/bus/pci/devices/$edu/driver ]
		! "$UVFIO" tree | grep -q "^blocked"
	'
}

# sysfs remove of a held device: asked, taken, gone with its group; rescan brings it back.
t_remove_rescan() {
	timeout 90 "$UVFIO" run -- bash -c "$HELPERS"'
		bind_vfio $edu
		"$HOLDER" $edu 1 200 > $OUT/holder.txt &
		wait_for $OUT/holder.txt "holder: ready"
		echo 1 > /sys/bus/pci/devices/$edu/remove
		wait
		grep -q "holder: released" $OUT/holder.txt
		[ ! -e /sys/bus/pci/devices/$edu ]
		[ ! -e /sys/devices/pci0000:00/$edu ]
		[ ! -e /sys/kernel/iommu_groups/1 ]
		! lspci -s 00:03.0 2>/dev/null | grep -q . || ! command -v lspci
		echo 1 > /sys/bus/pci/rescan
		[ -e /sys/bus/pci/devices/$edu ]
		[ "$(basename "$(readlink /sys/bus/pci/devices/$edu/iommu_group)")" = 1 ]
		[ "$(cat /sys/bus/pci/devices/$edu/driver_override)" = "(null)" ]
		bind_vfio $edu
	'
}

# uvfio unplug asks and takes the same way; a rescan does not find it; uvfio plug does.
t_unplug_plug() {
	timeout 90 "$UVFIO" run -- bash -c "$HELPERS"'
		bind_vfio $edu
		"$HOLDER" $edu 1 100 > $OUT/holder.txt &
		wait_for $OUT/holder.txt "holder: ready"
		"$UVFIO" unplug $edu
		wait
		grep -q "holder: released" $OUT/holder.txt
		[ ! -e /sys/bus/pci/devices/$edu ]
		echo 1 > /sys/bus/pci/rescan
		[ ! -e /sys/bus/pci/devices/$edu ]
		"$UVFIO" plug $edu
		[ -e /sys/bus/pci/devices/$edu ]
		! "$UVFIO" plug $edu 2> $OUT/err.txt
		grep -q "File exists" $OUT/err.txt
	'
}

# `uvfio tree` while the function of a group a program holds is removed: the
# daemon names the (then orphaned) group by its own fixed id and never reads
# the IOMMU group the removal clears and frees (under TSan and ASan, the
# daemon dies on a race or a use-after-free, and the tree fails).
t_tree_during_removal() {
	timeout 120 "$UVFIO" run -- bash -c "$HELPERS"'
		for _ in $(seq 12); do
			bind_vfio $edu
			exec 4<>/dev/vfio/1
			( for _ in $(seq 4); do "$UVFIO" tree > $OUT/tree.txt || exit 1; done ) &
			echo 1 > /sys/bus/pci/devices/$edu/remove
			wait $!
			"$UVFIO" tree > $OUT/tree.txt
			grep -Eq "^  pid $$ +group /dev/vfio/1$" $OUT/tree.txt
			exec 4>&-
			echo 1 > /sys/bus/pci/rescan
		done
	'
}

# The waiting writer goes away: a signal to bash blocked in its write (a FUSE
# INTERRUPT), then a control client that disconnects. The kernel's warning is
# logged once for each, the removal goes on, and completes when the program lets go.
t_writer_goes_away() {
	timeout 90 "$UVFIO" run -- bash -c "$HELPERS"'
		"$UVFIO" trace --format json > $OUT/trace.txt &
		tracer=$!
		bind_vfio $edu
		"$HOLDER" $edu 1 2000 > $OUT/holder.txt &
		holder=$!
		wait_for $OUT/holder.txt "holder: ready"
		(echo $edu > /sys/bus/pci/drivers/vfio-pci/unbind) &
		writer=$!
		wait_for $OUT/holder.txt "holder: request"
		kill -TERM $writer
		wait_for $OUT/trace.txt "task .*bash.* ($writer) blocked until device is released"
		# Still in remove(), so its links are gone already.
		[ ! -e /sys/bus/pci/devices/$edu/driver ]
		kill -0 $writer
		wait $holder
		wait $writer || true
		[ ! -e /sys/bus/pci/devices/$edu/driver ]
		! "$UVFIO" tree | grep -q "^blocked"

		bind_vfio $edu
		"$HOLDER" $edu 1 2000 > $OUT/holder.txt &
		holder=$!
		wait_for $OUT/holder.txt "holder: ready"
		! timeout 0.5 "$UVFIO" unbind $edu
		wait_for $OUT/trace.txt "task .*uvfio.* ([0-9]*) blocked until device is released"
		"$UVFIO" tree | grep -q "^blocked"
		wait $holder
		for _ in $(seq 50); do [ -e /sys/bus/pci/devices/$edu/driver ] || break; sleep 0.1; done
		[ ! -e /sys/bus/pci/devices/$edu/driver ]
		kill $tracer
		grep "\"level\":\"warn\"" $OUT/trace.txt
		[ "$(grep -c "\"level\":\"warn\"" $OUT/trace.txt)" = 2 ]
	'
}

if [ ! -f "$UVFIO_PRELOAD" ] || [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	for t in unbind_ask_take unbind_close_order integrity_bind_ebusy blocked_holder_killed \
		remove_rescan unplug_plug tree_during_removal writer_goes_away; do
		ok "$t" "no shim or no FUSE"
	done
else
	run unbind_ask_take t_unbind_ask_take
	run unbind_close_order t_unbind_close_order
	run integrity_bind_ebusy t_integrity_bind_ebusy
	run blocked_holder_killed t_blocked_holder_killed
	run remove_rescan t_remove_rescan
	run unplug_plug t_unplug_plug
	run tree_during_removal t_tree_during_removal
	run writer_goes_away t_writer_goes_away
fi
tap_done
