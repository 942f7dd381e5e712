#!/bin/bash
# The mtty vendor driver through `uvfio run`, as an administrator and a VFIO
# program use it on Linux: plain bash writes a UUID to a type's `create`, an
# unmodified program (mtty-serial: libc and <linux/vfio.h>) opens the mdev
# and talks to its serial port, and `echo 1 > .../remove` removes it. TAP
# output. As root the whole script runs in a private mount namespace with
# /sys read-only, and every program runs under uvfio run (which does the same).
#
#   mtty-test.sh BUILD_DIR [FILTER]
set -u
BUILD=$1
TAP_FILTER=${2:-}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export UVFIO=$BUILD/src/cli/uvfio
export SERIAL=$BUILD/examples/mtty-serial
export UVFIO_PRELOAD=$BUILD/src/preload/libuvfio-preload.so

. "$(dirname "${BASH_SOURCE[0]}")/../harness/tap.sh"
tap_sandbox "$0" "$@"

OUT=$(mktemp -d)
export OUT
trap 'rm -rf "$OUT"' EXIT

# The default machine with an mtty parent named "mtty".
MACHINE=$OUT/mtty.machine
export MACHINE
{ cat "$SRC/examples/machines/default.machine"; echo "mdev-parent mtty mtty"; } > "$MACHINE"

TAP_LOG=$OUT/log
TAP_TAIL=60

HELPERS='
set -eux
types=/sys/class/mdev_bus/mtty/mdev_supported_types
uuid=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001
'
export HELPERS

# Create from bash, the program's loopback and INTx, remove from bash.
t_serial_one_port() {
	timeout 90 "$UVFIO" run --machine "$MACHINE" -- bash -c "$HELPERS"'
		[ "$(cat $types/mtty-1/name)" = "Single port serial" ]
		[ "$(cat $types/mtty-1/device_api)" = vfio-pci ]
		[ "$(cat $types/mtty-1/available_instances)" = 24 ]
		echo $uuid > $types/mtty-1/create
		[ -e /sys/bus/mdev/devices/$uuid ]
		[ -e $types/mtty-1/devices/$uuid ]
		[ "$(cat $types/mtty-1/available_instances)" = 23 ]
		[ "$(cat $types/mtty-2/available_instances)" = 11 ]
		"$SERIAL" $uuid
		echo 1 > /sys/bus/mdev/devices/$uuid/remove
		[ ! -e /sys/bus/mdev/devices/$uuid ]
		[ "$(cat $types/mtty-1/available_instances)" = 24 ]
	' && grep -q "^mtty ok$" "$OUT/log"
}

# The two-port type: the program uses BAR0; the vendor attribute names the device.
t_serial_two_port() {
	timeout 90 "$UVFIO" run --machine "$MACHINE" -- bash -c "$HELPERS"'
		echo $uuid > $types/mtty-2/create
		[ "$(cat $types/mtty-2/available_instances)" = 11 ]
		if [ -e /sys/bus/mdev/devices/$uuid/vendor ]; then
			[ "$(cat /sys/bus/mdev/devices/$uuid/vendor/sample_mdev_dev)" = "This is MDEV $uuid" ]
		fi
		"$SERIAL" $uuid
		echo 1 > /sys/bus/mdev/devices/$uuid/remove
		[ "$(cat $types/mtty-2/available_instances)" = 12 ]
	' && grep -q "^mtty ok$" "$OUT/log"
}

# The errnos bash reports for a duplicate UUID, a malformed one, and no ports left.
t_create_errors() {
	timeout 90 "$UVFIO" run --machine "$MACHINE" -- bash -c "$HELPERS"'
		echo $uuid > $types/mtty-2/create
		! (echo $uuid > $types/mtty-1/create) 2> $OUT/err.txt
		grep -q "File exists" $OUT/err.txt
		! (echo not-a-uuid > $types/mtty-1/create) 2> $OUT/err.txt
		grep -q "Invalid argument" $OUT/err.txt
		for i in $(seq 10 20); do
			echo 00000000-0000-4000-8000-0000000000$i > $types/mtty-2/create
		done
		[ "$(cat $types/mtty-2/available_instances)" = 0 ]
		! (echo 00000000-0000-4000-8000-000000000099 > $types/mtty-1/create) 2> $OUT/err.txt
		grep -q "No space left on device" $OUT/err.txt
		echo 1 > /sys/bus/mdev/devices/$uuid/remove
		echo 00000000-0000-4000-8000-000000000099 > $types/mtty-1/create
	'
}

if [ ! -f "$UVFIO_PRELOAD" ] || [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	for t in serial_one_port serial_two_port create_errors; do
		ok "$t" "no shim or no FUSE"
	done
else
	check serial_one_port t_serial_one_port
	check serial_two_port t_serial_two_port
	check create_errors t_create_errors
fi
tap_done
