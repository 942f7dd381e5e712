#!/bin/bash
# Unmodified programs against uvfio, through `uvfio run` (the daemon, the
# shim, the FUSE tree). TAP output. Every program runs where the real /sys is
# read-only: uvfio run puts it in a private mount namespace with /sys
# remounted read-only, and as root this whole script runs in one too.
#
#   uapi-test.sh BUILD_DIR [FILTER]
set -u
BUILD=$1
FILTER=${2:-}
UVFIO=$BUILD/src/cli/uvfio
EDU=$BUILD/examples/edu-vfio
export UVFIO_PRELOAD=$BUILD/src/preload/libuvfio-preload.so

# Belt and braces: as root, re-run inside a private mount namespace with /sys read-only.
if [ "$(id -u)" = 0 ] && [ -z "${UVFIO_TEST_SANDBOXED:-}" ]; then
	export UVFIO_TEST_SANDBOXED=1
	exec unshare --mount --propagation private -- bash -c \
		'mount -o remount,bind,ro /sys && exec bash "$0" "$@"' "$0" "$@"
fi

n=0
fails=0
tests=()
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

ok() { n=$((n + 1)); echo "ok $n $1${2:+ # SKIP $2}"; }
notok() {
	n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"
	sed 's/^/# /' "$out/log" | tail -40
}
run() { # name, then a command whose status decides
	local name=$1; shift
	if [ -n "$FILTER" ] && [[ "$name" != $FILTER ]]; then return; fi
	if "$@" >"$out/log" 2>&1; then ok "$name"; else notok "$name"; fi
}
skip() { ok "$1" "$2"; }

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

if ! have_shim; then
	for t in edu_example exit_status sys_readonly lspci driverctl bash_redirections; do
		skip "$t" "libuvfio-preload.so not built"
	done
else
	run exit_status t_exit_status
	run sys_readonly t_sys_readonly
	run edu_example t_edu_example
	if have_fuse && command -v lspci >/dev/null; then run lspci t_lspci; else skip lspci "no FUSE or lspci"; fi
	if have_fuse && command -v driverctl >/dev/null; then run driverctl t_driverctl; else skip driverctl "no FUSE or driverctl"; fi
	if have_fuse; then run bash_redirections t_bash_redirections; else skip bash_redirections "no FUSE"; fi
fi
echo "1..$n"
[ "$fails" = 0 ]
