#!/bin/bash
# Nothing left behind, no orphan (docs/design.md, "Lifetimes"): a daemon
# killed under its program, a `uvfio run` killed under its daemon, signals
# to `uvfio run`, a daemon stopped with attached programs still alive, and a
# daemon started again where a killed one was. TAP output.
#
#   lifecycle-test.sh BUILD_DIR
#
# Every program runs under `uvfio run` (the real /sys read-only); as root the
# whole script runs in a private mount namespace with /sys read-only too.
set -u
BUILD=$(realpath "$1")
UVFIO=$BUILD/src/cli/uvfio
export UVFIO_PRELOAD=$BUILD/src/preload/libuvfio-preload.so
unset UVFIO_DIR

. "$(dirname "${BASH_SOURCE[0]}")/../harness/tap.sh"
tap_sandbox "$0" "$@"
if [ ! -f "$UVFIO_PRELOAD" ] || [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null ||
	! command -v python3 >/dev/null; then
	echo "1..0 # SKIP needs the shim, FUSE (/dev/fuse, fusermount3) and python3"
	exit 0
fi

T=$(mktemp -d)
export TMPDIR=$T/tmp # where uvfio run makes its private daemons' directories
mkdir "$TMPDIR"
cleanup() {
	pkill -KILL -f "$T/" 2>/dev/null
	for m in $(grep -o " $T/[^ ]*" /proc/self/mounts); do umount -l "$m" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
TAP_LOG=$T/log

# Polls (up to 10 s) until the command succeeds.
eventually() {
	for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
	"$@"
}
gone() { ! kill -0 "$1" 2>/dev/null; }
# Nothing of a private daemon left: no directory in $TMPDIR, no mount under $T.
nothing_left() {
	ls -A "$TMPDIR"
	grep " $T/" /proc/self/mounts
	[ -z "$(ls -A "$TMPDIR")" ] && ! grep -q " $T/" /proc/self/mounts
}
# The pid of the private daemon of the `uvfio run` with pid $1 (its child
# that is not the program): written by the program to $T/dpid.
daemon_pid() { cat "$T/dpid"; }

# A program that holds a container open and, until told to stop (the file
# $T/go appears), calls VFIO_GET_API_VERSION and reads sysfs; then it calls
# both once more and prints what each gave. It must never hang or die.
HOLD='
import fcntl, os, sys, time
go = sys.argv[1]
fd = os.open("/dev/vfio/vfio", os.O_RDWR)
assert fcntl.ioctl(fd, 0x3b64) == 0
open(go + ".ready", "w").close()
deadline = time.time() + 30
while not os.path.exists(go) and time.time() < deadline:
    time.sleep(0.02)
def attempt(what, f):
    try:
        f()
        print(what, "ok")
    except OSError as e:
        print(what, "errno", e.errno)
attempt("ioctl", lambda: fcntl.ioctl(fd, 0x3b64))
attempt("sysfs", lambda: open("/sys/bus/pci/devices/0000:00:03.0/vendor").read())
attempt("open", lambda: os.open("/dev/vfio/vfio", os.O_RDWR))
'

# 1. A private daemon killed under its program: uvfio run says so at once,
#    the program's calls fail (none hangs), uvfio run fails whatever the
#    program's status, and nothing is left.
t_daemon_killed() {
	rm -f "$T/go" "$T/go.ready"
	timeout 60 "$UVFIO" run -- bash -c 'echo $UVFIO_DAEMON_PID > '"$T"'/dpid; exec python3 -c "$0" "$1"' \
		"$HOLD" "$T/go" >"$T/out" 2>"$T/err" &
	local run=$! rc
	eventually test -e "$T/go.ready" || return 1
	kill -KILL "$(daemon_pid)"
	eventually grep -q "the daemon (pid $(daemon_pid)) was killed by signal 9" "$T/err" || { cat "$T/err"; return 1; }
	touch "$T/go"
	wait $run
	rc=$?
	cat "$T/out" "$T/err"
	echo "status $rc"
	[ $rc = 125 ] &&
	grep -q "^ioctl errno 5$" "$T/out" && grep -q "^sysfs errno" "$T/out" &&
	grep -q "^open errno" "$T/out" &&
	grep -q "bash exited with status 0; failing for the daemon" "$T/err" &&
	nothing_left
}
check "a private daemon killed under its program: reported at once, calls fail, uvfio run exits 125, nothing left" t_daemon_killed

# 2. uvfio run killed: its private daemon follows (PR_SET_PDEATHSIG) and
#    removes its directory and mount.
t_run_killed() {
	"$UVFIO" run -- bash -c 'echo $UVFIO_DAEMON_PID > '"$T"'/dpid; exec sleep 60' &
	local run=$! d
	rm -f "$T/dpid"
	eventually test -s "$T/dpid" || return 1
	d=$(daemon_pid)
	kill -KILL $run
	wait $run
	eventually gone "$d" || { echo "daemon $d still runs"; return 1; }
	pkill -f "sleep 60$"
	eventually nothing_left
}
check "uvfio run killed with SIGKILL: its daemon stops and leaves nothing" t_run_killed

# 3. SIGTERM to uvfio run goes on to the program; ^C (SIGINT to the
#    terminal's process group) reaches the program, not the daemon; either
#    way the daemon is stopped after the program and nothing is left.
t_run_signals() {
	local run rc
	"$UVFIO" run -- bash -c 'trap "exit 7" TERM; touch '"$T"'/started; while :; do sleep 0.1; done' &
	run=$!
	rm -f "$T/started"
	eventually test -e "$T/started" || return 1
	kill -TERM $run
	wait $run
	rc=$?
	echo "SIGTERM: status $rc"
	[ $rc = 7 ] && eventually nothing_left || return 1
	rm -f "$T/started"
	# A process group of its own, as a shell's foreground job.
	setsid "$UVFIO" run -- bash -c 'trap "exit 9" INT; touch '"$T"'/started; while :; do sleep 0.1; done' &
	run=$!
	eventually test -e "$T/started" || return 1
	kill -INT -- -$run
	wait $run
	rc=$?
	echo "SIGINT to the group: status $rc"
	[ $rc = 9 ] && eventually nothing_left
}
check "SIGTERM to uvfio run reaches the program, ^C the program only; the daemon stops after it" t_run_signals

# 4. SIGTERM to a daemon with attached programs alive (each in its sandbox,
#    which holds a copy of the FUSE mount): the daemon stops promptly and
#    cleanly; the programs' next calls fail; uvfio run --attach fails.
t_daemon_sigterm_attached() {
	local dir=$T/d daemon run rc t0 t1
	rm -f "$T/go" "$T/go.ready"
	"$UVFIO" daemon --dir "$dir" 2>"$T/daemon.log" &
	daemon=$!
	eventually test -S "$dir/uvfiod.sock" || return 1
	timeout 60 "$UVFIO" run --attach "$dir" -- python3 -c "$HOLD" "$T/go" >"$T/out" 2>"$T/err" &
	run=$!
	eventually test -e "$T/go.ready" || return 1
	t0=$(date +%s%N)
	kill -TERM $daemon
	wait $daemon
	rc=$?
	t1=$(date +%s%N)
	echo "daemon: status $rc after $(((t1 - t0) / 1000000)) ms"
	[ $rc = 0 ] && [ $(((t1 - t0) / 1000000)) -lt 5000 ] || return 1
	touch "$T/go"
	wait $run
	rc=$?
	cat "$T/out" "$T/err"
	echo "uvfio run: status $rc"
	[ $rc = 125 ] && grep -q "^ioctl errno 5$" "$T/out" && grep -q "^sysfs errno" "$T/out" &&
	grep -q "the daemon serving $dir (pid $daemon) went away while python3 ran" "$T/err" &&
	[ ! -e "$dir" ] && ! grep -q " $dir/" /proc/self/mounts
}
check "SIGTERM to a daemon with an attached program alive: it stops at once, the program's calls fail" \
	t_daemon_sigterm_attached

# 5. A daemon killed with SIGKILL leaves its dead mount and sockets; the
#    next daemon on that directory clears them and serves.
t_daemon_restart() {
	local dir=$T/r daemon
	"$UVFIO" daemon --dir "$dir" 2>"$T/daemon.log" &
	daemon=$!
	eventually test -S "$dir/uvfiod.sock" || return 1
	eventually grep -q " $dir/root " /proc/self/mounts || return 1
	kill -KILL $daemon
	wait $daemon
	ls "$dir/root" && return 1 # a dead mount: ENOTCONN
	"$UVFIO" daemon --dir "$dir" 2>"$T/daemon.log" &
	daemon=$!
	eventually test -S "$dir/uvfiod.sock" || return 1
	eventually "$UVFIO" run --attach "$dir" -- cat /sys/bus/pci/devices/0000:00:03.0/vendor || return 1
	[ "$(grep -c " $dir/root " /proc/self/mounts)" = 1 ] || return 1
	kill -TERM $daemon
	# It leaves the directory it did not make, empty.
	wait $daemon && ls -A "$dir" && [ -z "$(ls -A "$dir")" ]
}
check "a daemon started where a killed one was clears its dead mount and serves" t_daemon_restart

tap_done
