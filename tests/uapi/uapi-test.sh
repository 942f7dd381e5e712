#!/bin/bash
# Unmodified programs against uvfio, through `uvfio run` (the daemon, the
# shim, the FUSE tree). TAP output. Every program runs where the real /sys is
# read-only: uvfio run puts it in a private mount namespace with /sys
# remounted read-only, and as root this whole script runs in one too.
#
#   uapi-test.sh BUILD_DIR [FILTER]
set -u
BUILD=$1
TAP_FILTER=${2:-}
UVFIO=$BUILD/src/cli/uvfio
EDU=$BUILD/examples/edu-vfio
PROGS=$BUILD/tests/uapi
export UVFIO_PRELOAD=$BUILD/src/preload/libuvfio-preload.so

. "$(dirname "${BASH_SOURCE[0]}")/../harness/tap.sh"
tap_sandbox "$0" "$@"

tests=()
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

TAP_LOG=$out/log
run() { # check, then what the programs note even when they pass
	local name=$1
	tap_selected "$name" || return 0
	check "$@"
	# Known differences the programs report as TODO, shown even when they pass.
	grep -E '^(not )?ok .*# TODO' "$out/log" | sed "s/^/# $name: /"
	grep -E '^seed [0-9]+, [0-9]+ kills$' "$out/log" | sed "s/^/# $name: /"
}

have_shim() { [ -f "$UVFIO_PRELOAD" ]; }
have_fuse() { [ -e /dev/fuse ] && command -v fusermount3 >/dev/null; }

t_edu_example() {
	local o
	o=$("$UVFIO" run -- "$EDU") || { echo "$o"; return 1; }
	echo "$o"
	echo "$o" | grep -q "edu-vfio: ok"
}

t_exit_status() {
	"$UVFIO" run -- sh -c 'exit 7'; [ $? = 7 ]
}

t_sys_readonly() {
	# The real /sys must be read-only where the program runs: writing to a
	# path the shim does not redirect fails.
	! "$UVFIO" run -- sh -c 'echo 1 > /sys/kernel/uvfio-must-not-exist' 2>/dev/null
}

t_lspci() {
	local o
	o=$("$UVFIO" run -- lspci -nn -k -vvv) || return 1
	echo "$o"
	echo "$o" | grep -q "00:03.0 Unclassified device \[00ff\]: Device \[1234:11e8\] (rev 10)" &&
	echo "$o" | grep -q "01:01.0 Ethernet controller \[0200\]: Intel Corporation 82540EM Gigabit Ethernet Controller \[8086:100e\] (rev 03)" &&
	echo "$o" | grep -q "Kernel driver in use: e1000" &&
	echo "$o" | grep -q "MSI: Enable- Count=1/1 Maskable- 64bit+"
}

t_driverctl() {
	# A NIC: unset-override reprobes it, and e1000 takes it back (edu has no host
	# driver, so there driverctl reports a failed bind, as it does on Linux).
	"$UVFIO" run -- bash -c '
		set -ex
		d=/sys/bus/pci/devices/0000:01:01.0
		driverctl --nosave set-override 0000:01:01.0 vfio-pci
		[ "$(basename $(readlink $d/driver))" = vfio-pci ]
		driverctl --nosave list-overrides | grep -q "0000:01:01.0 vfio-pci"
		driverctl --nosave unset-override 0000:01:01.0
		[ "$(basename $(readlink $d/driver))" = e1000 ]
		[ "$(cat $d/driver_override)" = "(null)" ]
		! driverctl --nosave list-overrides | grep -q 0000:01:01.0
	'
}

t_bash_redirections() {
	"$UVFIO" run -- bash -c '
		set -e
		d=/sys/bus/pci/devices/0000:01:02.0
		echo 0000:01:02.0 > $d/driver/unbind
		[ ! -e $d/driver ]
		echo vfio-pci > $d/driver_override
		echo 0000:01:02.0 > /sys/bus/pci/drivers_probe
		[ "$(basename $(readlink $d/driver))" = vfio-pci ]
		[ -e /dev/vfio/2 ] || true
		cat /sys/kernel/iommu_groups/2/reserved_regions | grep -q "0x00000000fee00000 0x00000000feefffff msi"
	'
}

t_ls_long() {
	# ls -l asks for ACLs (getxattr) by path: those must reach the tree too.
	local o
	o=$("$UVFIO" run -- ls -l /sys/bus/pci/devices/0000:00:03.0/ 2>&1 >/dev/null) || { echo "$o"; return 1; }
	[ -z "$o" ] || { echo "$o"; return 1; }
}

t_vfio_full() {
	# The whole uAPI, from binding through sysfs to hot reset (vfio-full.c).
	"$UVFIO" run -- "$PROGS/vfio-full"
}

t_fdpass() {
	# dup, fork and SCM_RIGHTS holders; release at the last close (vfio-fdpass.c).
	"$UVFIO" run -- "$PROGS/vfio-fdpass"
}

t_lowpower() {
	# VFIO_DEVICE_FEATURE low power: entry, wake-up, exit (vfio-lowpower.c).
	"$UVFIO" run -- "$PROGS/vfio-lowpower"
}

t_kernel_log() {
	# /dev/kmsg, syslog(2) and the DMAR fault records (kernel-log.c).
	"$UVFIO" run -- "$PROGS/kernel-log"
}

t_dmesg() {
	# util-linux dmesg on the world's log: the messages of the machine's
	# enumeration, a user message, syslog(2) (-S), -C, and -w following it
	# (it sleeps in its read until the next record; ^C ends it).
	"$UVFIO" run -- bash -c '
		set -eu
		kmsg() { python3 -c "import os, sys; os.write(os.open(\"/dev/kmsg\", os.O_WRONLY), sys.argv[1].encode() + b\"\\n\")" "$1"; }
		dmesg > "$0/dmesg"
		grep -q "pci 0000:00:03.0: \[1234:11e8\] type 00 class 0x00ff00 conventional PCI endpoint" "$0/dmesg"
		grep -q "pci 0000:00:03.0: Adding to iommu group 1" "$0/dmesg"
		kmsg "<6>hello from bash"
		dmesg -x | grep -q "^user  :info  : \[ *[0-9.]*\] hello from bash$"
		dmesg -S | grep -q "hello from bash"
		dmesg -C
		[ -z "$(dmesg)" ]
		(sleep 0.5; kmsg "later") &
		timeout -s INT 3 dmesg -w > "$0/follow" || [ $? = 124 ]
		grep -q "^\[ *[0-9.]*\] later$" "$0/follow"
	' "$out"
}

t_kvm_vfio() {
	# A VM and its kvm-vfio device through the daemon's /dev/kvm (kvm-vfio.c),
	# and nothing left held afterwards.
	# Its files are released when it has exited, before uvfio tree runs.
	"$UVFIO" run --kvm -- bash -c '"$0" || exit 1
		uvfio tree' "$PROGS/kvm-vfio" >"$out/kvm" 2>&1
	local st=$?
	cat "$out/kvm"
	[ "$st" = 0 ] || return 1
	grep -q '^  /dev/vfio/1  closed  0000:00:03.0$' "$out/kvm" || { echo "tree: still held"; return 1; }
	# While a VM holds the group, uvfio tree says so; gone once it lets go.
	"$UVFIO" run --kvm -- bash -c '
		mkfifo "$1/hold"
		"$0" --hold <"$1/hold" >"$1/held" & exec 4>"$1/hold"
		for i in $(seq 100); do grep -q held "$1/held" && break; sleep 0.05; done
		uvfio tree | grep "^  /dev/vfio/1" || exit 1
		exec 4>&-; wait $! || exit 1
		for i in $(seq 100); do
			uvfio tree | grep -q "^  /dev/vfio/1  closed" && break; sleep 0.05
		done
		uvfio tree | grep "^  /dev/vfio/1"' "$PROGS/kvm-vfio" "$out" >"$out/kvm" 2>&1 || { cat "$out/kvm"; return 1; }
	cat "$out/kvm"
	[ "$(sed -n 1p "$out/kvm")" = "  /dev/vfio/1  open, in a container, kvm  0000:00:03.0 (open)" ] || return 1
	[ "$(sed -n 2p "$out/kvm")" = "  /dev/vfio/1  closed  0000:00:03.0" ] || return 1
	# Without --kvm, /dev/kvm stays the host's.
	"$UVFIO" run -- bash -c '[ -z "${UVFIO_KVM:-}" ]'
}

t_kill_mid_ioctl() {
	# A program hammering edu (MAP/UNMAP, config writes, region reads, mmap
	# loads, SET_IRQS, DMA) is SIGKILLed at random moments, sometimes before it
	# finished opening; each time a fresh program must open the same group and
	# device and work, and in the end the daemon must hold nothing. The seed is
	# printed; UVFIO_KILL_SEED and UVFIO_KILL_ITER replay or lengthen a run.
	# Linux releases a killed process's files before wait() returns, so the
	# check's open finds the group free at once (an EBUSY there fails).
	local seed=${UVFIO_KILL_SEED:-4242}
	local iter=${UVFIO_KILL_ITER:-40}
	echo "seed $seed, $iter kills"
	UVFIO=$UVFIO STRESS=$PROGS/vfio-stress SEED=$seed ITER=$iter TMPD=$out \
	"$UVFIO" run -- bash -c '
		set -u
		d=/sys/bus/pci/devices/0000:00:03.0
		echo vfio-pci > $d/driver_override &&
			echo 0000:00:03.0 > /sys/bus/pci/drivers_probe || exit 1
		RANDOM=$SEED
		for i in $(seq 1 $ITER); do
			: > $TMPD/hammer
			$STRESS hammer $RANDOM > $TMPD/hammer &
			pid=$!
			if [ $((RANDOM % 3)) != 0 ]; then
				for t in $(seq 200); do
					grep -q ready $TMPD/hammer && break
					sleep 0.02
				done
			fi
			delay=$(printf "0.%03d" $((RANDOM % 250)))
			sleep $delay
			kill -9 $pid
			wait $pid 2>/dev/null
			if ! $STRESS check 2> $TMPD/check; then
				cat $TMPD/check
				echo "kill $i (after ${delay}s): the next program failed"
				$UVFIO tree
				exit 1
			fi
			cat $TMPD/check
		done
		$UVFIO tree > $TMPD/tree || exit 1
		cat $TMPD/tree
		held=$(sed -n "/^open files/,\$p" $TMPD/tree | tail -n +2 | grep .)
		if [ -n "$held" ]; then
			echo "still held after the last program exited:"
			echo "$held"
			exit 1
		fi
	'
}

if ! have_shim; then
	for t in edu_example exit_status sys_readonly lspci driverctl bash_redirections \
		ls_long vfio_full fdpass lowpower kernel_log dmesg kvm_vfio kill_mid_ioctl; do
		skip "$t" "libuvfio-preload.so not built"
	done
else
	run exit_status t_exit_status
	run sys_readonly t_sys_readonly
	run edu_example t_edu_example
	if have_fuse && command -v lspci >/dev/null; then run lspci t_lspci; else skip lspci "no FUSE or lspci"; fi
	if have_fuse && command -v driverctl >/dev/null; then run driverctl t_driverctl; else skip driverctl "no FUSE or driverctl"; fi
	if have_fuse; then run bash_redirections t_bash_redirections; else skip bash_redirections "no FUSE"; fi
	if have_fuse; then run ls_long t_ls_long; else skip ls_long "no FUSE"; fi
	if have_fuse; then run vfio_full t_vfio_full; else skip vfio_full "no FUSE"; fi
	if have_fuse; then run fdpass t_fdpass; else skip fdpass "no FUSE"; fi
	if have_fuse; then run lowpower t_lowpower; else skip lowpower "no FUSE"; fi
	if have_fuse; then run kernel_log t_kernel_log; else skip kernel_log "no FUSE"; fi
	if command -v dmesg >/dev/null && command -v python3 >/dev/null; then
		run dmesg t_dmesg
	else
		skip dmesg "no dmesg or python3"
	fi
	if have_fuse; then run kvm_vfio t_kvm_vfio; else skip kvm_vfio "no FUSE"; fi
	if have_fuse; then
		run kill_mid_ioctl t_kill_mid_ioctl
	else
		skip kill_mid_ioctl "no FUSE"
	fi
fi
tap_done
