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
. "$(dirname "${BASH_SOURCE[0]}")/../harness/tap.sh"
tap_sandbox "$0" "$@"
[ -f "$UVFIO_PRELOAD" ] || { echo "1..0 # SKIP libuvfio-preload.so not built"; exit 0; }
have_fuse() { [ -e /dev/fuse ] && command -v fusermount3 >/dev/null; }

out=$(mktemp -d)
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT
TAP_LOG=$out/log
TAP_TAIL=30
as_user() { setpriv --reuid=$U --regid=$U --clear-groups "$@"; }

# 1. Callers are who sent the request: the pid-reuse attack (pid-reuse.c
#    prints TAP of its own; its lines are folded into ours). It runs with its
#    daemon in a PID namespace of its own, so that no other process on a busy
#    machine takes the freed pid before the victim does.
unshare --pid --fork --mount-proc "$UVFIO" run -- "$BUILD/tests/security/pid-reuse" >"$out/pid" 2>&1
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
	config_reads() { # pci_read_config: the header only without CAP_SYS_ADMIN, st_size unchanged
		"$UVFIO" run --attach "$dir" -- bash -c '
			set -x
			c='$d'/config
			[ "$(cat $c | wc -c)" = 256 ] || exit 2
			setpriv --reuid='$U' --regid='$U' --clear-groups bash -c "
				[ \$(stat -c %s $c) = 256 ] || exit 3
				[ \$(cat $c | wc -c) = 64 ] || exit 4
				[ \$(dd if=$c bs=10 skip=6 count=1 2>/dev/null | wc -c) = 4 ] || exit 5
				[ \$(dd if=$c bs=16 skip=4 count=1 2>/dev/null | wc -c) = 0 ] || exit 6" || exit $?
			[ "$(dd if=$c bs=16 skip=4 count=1 2>/dev/null | wc -c)" = 16 ]'
	}
	check "sysfs: config reads as its 64-byte header to uid $U, whole to root" config_reads
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

# 3. The daemon's directory is nobody else's: uvfio daemon refuses what it
#    did not make or does not own, and changes nothing it refuses; the CLI
#    and uvfio run --attach refuse a directory or socket of another user.
refused() { # expected message, then the command
	local want=$1; shift
	timeout 20 "$@" >"$out/log" 2>&1 && { echo "accepted"; return 1; }
	grep -qF -- "$want" "$out/log" || { cat "$out/log"; return 1; }
}
served() { # a daemon serves DIR (mode 0700 meanwhile), then stops
	local dir=$1 pid i
	"$UVFIO" daemon --dir "$dir" --no-fuse 2>"$out/served.log" &
	pid=$!
	for i in $(seq 200); do [ -S "$dir/uvfiod.sock" ] && break; sleep 0.05; done
	[ -S "$dir/uvfiod.sock" ] && [ "$(stat -c %a "$dir")" = 700 ] ||
		{ cat "$out/served.log"; kill $pid; wait $pid; return 1; }
	kill $pid; wait $pid
}
t_dirs() {
	local v=$out/victim
	echo secret >"$v"; chmod 0644 "$v"
	ln -s "$v" "$out/to-file"
	mkdir "$out/real"; ln -s "$out/real" "$out/to-dir"
	mkdir "$out/theirs"; chown $U:$U "$out/theirs"; chmod 0700 "$out/theirs"
	mkdir "$out/open"; chmod 0777 "$out/open"
	set -x
	refused "is a symbolic link" "$UVFIO" daemon --dir "$out/to-file" &&
	[ "$(stat -c %a "$v")" = 644 ] && [ "$(cat "$v")" = secret ] &&
	refused "is a symbolic link" "$UVFIO" daemon --dir "$out/to-dir" &&
	refused "belongs to uid $U" "$UVFIO" daemon --dir "$out/theirs" &&
	[ "$(stat -c %a "$out/theirs")" = 700 ] &&
	refused "writable by its group or by others" "$UVFIO" daemon --dir "$out/open" &&
	[ "$(stat -c %a "$out/open")" = 777 ] &&
	refused "is not a directory" "$UVFIO" daemon --dir "$v" &&
	served "$out/fresh" && [ ! -e "$out/fresh" ] &&
	mkdir -m 0700 "$out/mine" && served "$out/mine" &&
	refused "belongs to uid $U" "$UVFIO" run --attach "$out/theirs" -- true &&
	refused "belongs to uid $U" "$UVFIO" --dir "$out/theirs" tree &&
	refused "writable by its group or by others" "$UVFIO" --dir "$out/open" tree &&
	mkdir -m 0700 "$out/fake" &&
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
		"$out/fake/uvfiod.sock" && chown $U "$out/fake/uvfiod.sock" &&
	refused "uvfiod.sock belongs to uid $U" "$UVFIO" run --attach "$out/fake" -- true
}
if command -v python3 >/dev/null; then
	check "daemon directory: symlinks, other users' and writable directories refused, nothing changed" t_dirs
else
	ok "daemon directory checks" "no python3 to make a socket"
fi

# 4. No denial of service: descriptor exhaustion, stalled frames, the cost
#    of an open with thousands open (dos.py, its TAP folded into ours).
if command -v python3 >/dev/null && command -v prlimit >/dev/null; then
	mkdir "$out/dos"
	timeout 240 python3 "$(dirname "$0")/dos.py" "$UVFIO" "$out/dos" >"$out/dos.log" 2>&1
	status=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "dos: ${line#ok * - }" ;;
		"not ok "*) n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - dos: ${line#not ok * - }" ;;
		esac
	done <"$out/dos.log"
	if [ $status != 0 ] && ! grep -q "^not ok" "$out/dos.log"; then
		cp "$out/dos.log" "$out/log"; notok "dos: dos.py ran to its end (status $status)"
	fi
else
	ok "denial of service checks" "no python3 or prlimit"
fi

tap_done
