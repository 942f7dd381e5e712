#!/bin/bash
# Debian's mdevctl against uvfio: under `uvfio run` on tests/mdev/mdev.machine
# (the default machine plus an mtty parent), mdevctl's plain sysfs accesses
# reach the daemon through the shim. Checks `mdevctl types`, start (the
# instance appears in sysfs and in `mdevctl list`, available_instances goes
# down), stop (it goes, available_instances comes back), and define/start/
# list --defined/stop/undefine. TAP output.
#
# Nothing here writes to this machine's /sys or /etc: mdevctl runs only under
# `uvfio run` (a private mount namespace with the real /sys read-only), and as
# root this whole script runs in one too. Debian's mdevctl 1.2.0 is built
# without MDEVCTL_ENV_ROOT (it always uses /etc/mdevctl.d), so the define case
# runs only as root, with a scratch directory bind-mounted on /etc/mdevctl.d in
# that private namespace, and only once a marker shows the mount is in place.
#
#   mdevctl-test.sh BUILD_DIR SOURCE_DIR
set -u
BUILD=$1
SRC=$2
UVFIO=$BUILD/src/cli/uvfio
MACHINE=$SRC/tests/mdev/mdev.machine
export UVFIO_PRELOAD=$BUILD/src/preload/libuvfio-preload.so
unset UVFIO_DIR MDEVCTL_ENV_ROOT

command -v mdevctl >/dev/null || { echo "1..0 # SKIP mdevctl is not installed"; exit 0; }
[ -f "$UVFIO_PRELOAD" ] || { echo "1..0 # SKIP libuvfio-preload.so not built"; exit 0; }
{ [ -e /dev/fuse ] && command -v fusermount3 >/dev/null; } ||
	{ echo "1..0 # SKIP no FUSE"; exit 0; }

. "$(dirname "${BASH_SOURCE[0]}")/../harness/tap.sh"
tap_sandbox "$0" "$@"

T=$(mktemp -d /tmp/uvfio-mdevctl.XXXXXX)
scratch_etc=
cleanup() {
	[ -n "$scratch_etc" ] && umount /etc/mdevctl.d
	rm -rf "$T"
}
trap cleanup EXIT

# /etc/mdevctl.d for define/undefine: a scratch copy, in this namespace only.
if [ "$(id -u)" = 0 ] && [ -n "${UVFIO_TEST_SANDBOXED:-}" ]; then
	mkdir -p "$T/etc-mdevctl/scripts.d/callouts" "$T/etc-mdevctl/scripts.d/notifiers" &&
		touch "$T/etc-mdevctl/.uvfio-scratch" &&
		mount --bind "$T/etc-mdevctl" /etc/mdevctl.d && scratch_etc=1
fi

# What runs under `uvfio run`: one daemon for every step, TAP lines on stdout.
cat >"$T/inner.sh" <<'INNER'
set -u
T=$1
U=3b1f5ab2-3c2e-4d6a-9f0e-7a1c2b3d4e01
U2=3b1f5ab2-3c2e-4d6a-9f0e-7a1c2b3d4e02
TYPES=/sys/class/mdev_bus/mtty/mdev_supported_types
. "$2" # tests/harness/tap.sh
TAP_LOG=$T/log
TAP_TAIL=30
# Runs mdevctl, showing the command, its status and output in the log.
mctl() {
	local rc
	mdevctl "$@" >"$T/out" 2>&1
	rc=$?
	echo "\$ mdevctl $* -> $rc"; cat "$T/out"
	return $rc
}
avail() { cat "$TYPES/$1/available_instances"; }

t_types() {
	local a1 a2
	a1=$(avail mtty-1) && a2=$(avail mtty-2) || return 1
	echo "available: mtty-1 $a1, mtty-2 $a2" && [ "$a1" -gt 0 ] && [ "$a2" -gt 0 ] &&
	mctl types || return 1
	# mtty
	#   mtty-1
	#     Available instances: N
	#     Device API: vfio-pci
	#     Name: Single port serial
	grep -q '^mtty$' "$T/out" &&
	grep -q '^  mtty-1$' "$T/out" && grep -q '^  mtty-2$' "$T/out" &&
	grep -q "^    Available instances: $a1\$" "$T/out" &&
	grep -q "^    Available instances: $a2\$" "$T/out" &&
	[ "$(grep -c '^    Device API: vfio-pci$' "$T/out")" = 2 ] &&
	grep -q '^    Name: Single port serial$' "$T/out" &&
	grep -q '^    Name: Dual port serial$' "$T/out" &&
	# Only the mtty parent: the PCI devices offer no types.
	[ "$(grep -c '^[^ ]' "$T/out")" = 1 ] &&
	mctl types --parent mtty --dumpjson && grep -q '"mtty-1"' "$T/out" &&
	grep -q '"available_instances": '"$a1" "$T/out"
}

t_start() {
	local a0 t
	a0=$(avail mtty-1) || return 1
	echo "$a0" >"$T/a0"
	mctl start -u "$U" -p mtty --type mtty-1 || return 1
	# In sysfs: the bus link, its type, its parent, the type's devices/.
	[ -L "/sys/bus/mdev/devices/$U" ] &&
	t=$(readlink "/sys/bus/mdev/devices/$U/mdev_type") && echo "mdev_type -> $t" &&
	[ "$(basename "$t")" = mtty-1 ] &&
	[ "$(basename "$(dirname "$(realpath "/sys/bus/mdev/devices/$U")")")" = mtty ] &&
	[ -L "$TYPES/mtty-1/devices/$U" ] &&
	[ -e "/sys/bus/mdev/devices/$U/iommu_group" ] &&
	[ "$(avail mtty-1)" = $((a0 - 1)) ] &&
	# In mdevctl list.
	mctl list && grep -Eq "^$U mtty mtty-1( |\$)" "$T/out" &&
	mctl list -u "$U" --dumpjson && grep -q '"mdev_type": "mtty-1"' "$T/out" &&
	# Starting it again fails: the UUID is in use.
	! mctl start -u "$U" -p mtty --type mtty-1
}

t_stop() {
	mctl stop -u "$U" || return 1
	[ ! -e "/sys/bus/mdev/devices/$U" ] && [ ! -e "$TYPES/mtty-1/devices/$U" ] &&
	mctl list && ! grep -q "$U" "$T/out" &&
	[ "$(avail mtty-1)" = "$(cat "$T/a0")" ] &&
	# Stopping it again fails: it is not active.
	! mctl stop -u "$U"
}

t_errors() {
	! mctl start -u "$U2" -p mtty --type mtty-9 &&
	! mctl start -u "$U2" -p no-such-parent --type mtty-1 &&
	[ ! -e "/sys/bus/mdev/devices/$U2" ]
}

# define/undefine write /etc/mdevctl.d: only when it is the scratch mount.
t_defined() {
	local C=/etc/mdevctl.d
	[ -e "$C/.uvfio-scratch" ] || { echo "/etc/mdevctl.d is not the scratch mount"; return 1; }
	mctl define -u "$U2" -p mtty --type mtty-2 &&
	[ -f "$C/mtty/$U2" ] && cat "$C/mtty/$U2" &&
	mctl list --defined && grep -Eq "^$U2 mtty mtty-2( |\$)" "$T/out" &&
	[ ! -e "/sys/bus/mdev/devices/$U2" ] &&
	mctl start -u "$U2" &&
	[ -L "/sys/bus/mdev/devices/$U2" ] &&
	[ "$(basename "$(readlink "/sys/bus/mdev/devices/$U2/mdev_type")")" = mtty-2 ] &&
	mctl list && grep -Eq "^$U2 mtty mtty-2 .*defined" "$T/out" &&
	mctl stop -u "$U2" && [ ! -e "/sys/bus/mdev/devices/$U2" ] &&
	mctl undefine -u "$U2" && [ ! -e "$C/mtty/$U2" ] &&
	mctl list --defined && ! grep -q "$U2" "$T/out"
}

check "mdevctl types: mtty-1 and mtty-2 with names, API, available instances" t_types
check "mdevctl start: the instance is in sysfs and in mdevctl list" t_start
check "mdevctl stop: the instance goes, available_instances comes back" t_stop
check "mdevctl start of an unknown type or parent fails" t_errors
if [ -e /etc/mdevctl.d/.uvfio-scratch ]; then
	check "mdevctl define, list --defined, start, stop, undefine" t_defined
else
	skip "mdevctl define" "needs root (a scratch /etc/mdevctl.d)"
fi
INNER

"$UVFIO" run --machine "$MACHINE" -- bash "$T/inner.sh" "$T" "$SRC/tests/harness/tap.sh" >"$T/tap" 2>"$T/stderr"
rc=$?
cat "$T/tap"
n=$(grep -cE '^(not )?ok ' "$T/tap")
if [ "$n" = 0 ] || { [ "$rc" != 0 ] && ! grep -q '^not ok' "$T/tap"; }; then
	n=$((n + 1))
	echo "not ok $n - uvfio run --machine tests/mdev/mdev.machine (status $rc)"
	sed 's/^/# /' "$T/stderr" | tail -30
fi
echo "1..$n"
! grep -q '^not ok' "$T/tap" && [ "$rc" = 0 ] && [ "$n" -gt 0 ]
