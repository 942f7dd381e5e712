#!/bin/bash
# The whole sysfs tree, byte for byte, against a recorded walk (walk.sh):
# every machine in examples/machines/ as it boots, the default machine with
# edu bound to vfio-pci, and the mtty machine with an mdev instance. A change
# to how the tree is built (docs/design.md, "Layering") must leave it as it
# was; a change meant to alter it records anew:
#
#   walk-test.sh BUILD_DIR            compare (TAP)
#   UVFIO_RECORD=1 walk-test.sh BUILD_DIR   record tests/sysfs/golden/*.walk
set -u
BUILD=$1
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
UVFIO=$BUILD/src/cli/uvfio
GOLDEN=$SRC/tests/sysfs/golden
WALK=$SRC/tests/sysfs/walk.sh
export UVFIO_PRELOAD=$BUILD/src/preload/libuvfio-preload.so

[ -f "$UVFIO_PRELOAD" ] || { echo "1..0 # SKIP libuvfio-preload.so not built"; exit 0; }
{ [ -e /dev/fuse ] && command -v fusermount3 >/dev/null; } || { echo "1..0 # SKIP no FUSE"; exit 0; }
. "$(dirname "${BASH_SOURCE[0]}")/../harness/tap.sh"
tap_sandbox "$0" "$@"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# name, then uvfio run's options, then a shell command run before the walk
walk() {
	local name=$1 opts=$2 before=$3
	n=$((n + 1))
	# shellcheck disable=SC2086
	if ! "$UVFIO" run $opts -- bash -c "$before"' && exec bash "$0"' "$WALK" \
		>"$out/$name.walk" 2>"$out/$name.err"; then
		fails=$((fails + 1)); echo "not ok $n - $name: the walk failed"
		sed 's/^/# /' "$out/$name.err" | tail -20
		return
	fi
	if [ -n "${UVFIO_RECORD:-}" ]; then
		cp "$out/$name.walk" "$GOLDEN/$name.walk"
		echo "ok $n - $name: recorded $(wc -l <"$GOLDEN/$name.walk") nodes"
	elif diff -u "$GOLDEN/$name.walk" "$out/$name.walk" >"$out/$name.diff"; then
		echo "ok $n - $name: $(wc -l <"$out/$name.walk") nodes as recorded"
	else
		fails=$((fails + 1)); echo "not ok $n - $name: the tree differs from the recorded walk"
		sed 's/^/# /' "$out/$name.diff" | head -60
	fi
}

for m in "$SRC"/examples/machines/*.machine; do
	name=$(basename "$m" .machine)
	walk "$name" "--machine $m" true
done
walk default-vfio-bound "" '
	echo vfio-pci > /sys/bus/pci/devices/0000:00:03.0/driver_override &&
	echo 0000:00:03.0 > /sys/bus/pci/drivers_probe'
walk mtty-instance "--machine $SRC/examples/machines/mtty.machine" '
	echo 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001 > \
		/sys/class/mdev_bus/mtty/mdev_supported_types/mtty-2/create'
tap_done
