#!/bin/bash
# A hostile local user against uvfio (docs/design.md, "Trust model"). TAP.
#
#   security-test.sh BUILD_DIR
#
# Needs root, to act as a throwaway uid (1001, no account needed: setpriv)
# against a daemon run by root; skipped with the reason otherwise. Every
# program runs where the real /sys is read-only.
set -u
BUILD=$1
UVFIO=$BUILD/src/cli/uvfio
export UVFIO_PRELOAD=$BUILD/src/preload/libuvfio-preload.so
U=1001

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root: the attacks run as uid $U against a root daemon"
	exit 0
fi
if [ -z "${UVFIO_TEST_SANDBOXED:-}" ]; then
	export UVFIO_TEST_SANDBOXED=1
	exec unshare --mount --propagation private -- bash -c \
		'mount -o remount,bind,ro /sys && exec bash "$0" "$@"' "$0" "$@"
fi
[ -f "$UVFIO_PRELOAD" ] || { echo "1..0 # SKIP libuvfio-preload.so not built"; exit 0; }
have_fuse() { [ -e /dev/fuse ] && command -v fusermount3 >/dev/null; }

n=0
fails=0
out=$(mktemp -d)
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT
ok() { n=$((n + 1)); echo "ok $n - $1${2:+ # SKIP $2}"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$out/log" | tail -30; }
check() { # name, then a command whose status decides
	local name=$1; shift
	if "$@" >"$out/log" 2>&1; then ok "$name"; else notok "$name"; fi
}
as_user() { setpriv --reuid=$U --regid=$U --clear-groups "$@"; }

# 1. Callers are who sent the request: the pid-reuse attack (pid-reuse.c
#    prints TAP of its own; its lines are folded into ours).
"$UVFIO" run -- "$BUILD/tests/security/pid-reuse" >"$out/pid" 2>&1
status=$?
while IFS= read -r line; do
	case $line in
	"ok "*) ok "pid reuse: ${line#ok * - }" ;;
	"not ok "*) n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - pid reuse: ${line#not ok * - }" ;;
	"1..0 # SKIP"*) ok "pid reuse" "${line#1..0 # SKIP }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$out/pid"
if [ $status != 0 ] && ! grep -q "^not ok" "$out/pid"; then
	cp "$out/pid" "$out/log"; notok "pid reuse: the attack program ran to its end (status $status)"
fi

# 1b. Memory is the process image's: after an exec, DMA reaches the new one.
check "exec: DMA reaches the new image's memory (exec-image.c)" \
	"$UVFIO" run -- "$BUILD/tests/security/exec-image"

# 2. sysfs checks who writes: a root daemon's tree, reachable by uid 1001 (a
#    launcher that lets an unprivileged VMM read sysfs), is read-only to it,
#    as the kernel's root-owned 0644/0200 files are.
if ! have_fuse; then
	ok "sysfs: uid $U reads but cannot write" "no FUSE"
else
	dir=$out/d
	"$UVFIO" daemon --dir "$dir" 2>"$out/daemon.log" &
	daemon=$!
	for _ in $(seq 200); do [ -S "$dir/uvfiod.sock" ] && break; sleep 0.05; done
	chmod 0711 "$dir" "$out"
	d=/sys/bus/pci/devices/0000:01:01.0
	attempt() { # as uid 1001, under the daemon: each write must fail with EACCES
		"$UVFIO" run --attach "$dir" -- setpriv --reuid=$U --regid=$U --clear-groups bash -c '
			d='$d'
			set -x
			[ "$(cat $d/driver_override)" = "(null)" ] || exit 2
			[ "$(cat $d/vendor)" = 0x8086 ] || exit 3
			for w in "vfio-pci:$d/driver_override" "0000:01:01.0:$d/driver/unbind" \
				 "1:$d/remove" "0000:01:01.0:/sys/bus/pci/drivers/e1000/unbind" \
				 "1:/sys/bus/pci/rescan"; do
				e=$( { echo "${w%%:/*}" > "/${w#*:/}"; } 2>&1) && exit 4
				case $e in *"Permission denied"*) ;; *) echo "$e"; exit 5 ;; esac
			done
			exit 0'
	}
	check "sysfs: uid $U reads the tree but every write is refused with EACCES" attempt
	unchanged() {
		"$UVFIO" run --attach "$dir" -- bash -c '
			set -x
			d='$d'
			[ "$(cat $d/driver_override)" = "(null)" ] &&
			[ "$(basename "$(readlink $d/driver)")" = e1000 ]'
	}
	check "sysfs: the device is as it was (override unset, e1000 bound, present)" unchanged
	root_writes() {
		"$UVFIO" run --attach "$dir" -- bash -c '
			set -ex
			d='$d'
			echo vfio-pci > $d/driver_override
			[ "$(cat $d/driver_override)" = vfio-pci ]
			echo > $d/driver_override
			[ "$(cat $d/driver_override)" = "(null)" ]'
	}
	check "sysfs: root still writes" root_writes
fi

echo "1..$n"
[ $fails = 0 ]
