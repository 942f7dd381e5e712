#!/bin/bash
# The uvfio CLI through the real path: `uvfio daemon` in the background, the
# verbs on its control socket (tree, bind, unbind, override, trace,
# mdev-parent), programs attached to it with `uvfio run --attach`, every
# verb's --help, the man page, and the daemon's shutdown on SIGTERM. TAP output.
#
# Nothing here writes to this machine's /sys: programs run under `uvfio run`
# (a private mount namespace with the real /sys read-only), and as root this
# whole script runs in one too.
#
#   cli-test.sh BUILD_DIR SOURCE_DIR [FILTER]
set -u
BUILD=$1
SRC=$2
TAP_FILTER=${3:-}
UVFIO=$BUILD/src/cli/uvfio
EDU=$BUILD/examples/edu-vfio
MAN=$SRC/docs/uvfio.1
export UVFIO_PRELOAD=$BUILD/src/preload/libuvfio-preload.so
unset UVFIO_DIR

. "$(dirname "${BASH_SOURCE[0]}")/../harness/tap.sh"
tap_sandbox "$0" "$@"

T=$(mktemp -d)
D=$T/d # the daemon's directory
daemon_pid=
trace_pid=

cleanup() {
	[ -n "$trace_pid" ] && kill "$trace_pid" 2>/dev/null
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid"
		for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$daemon_pid" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT

TAP_LOG=$T/log

have_shim() { [ -f "$UVFIO_PRELOAD" ]; }
have_fuse() { [ -e /dev/fuse ] && command -v fusermount3 >/dev/null; }
is_mounted() { grep -q " $1 " /proc/self/mounts; }

# A command that must fail with status $1 and say $2 on stderr, nothing on stdout.
fails_with() {
	local want=$1 msg=$2 rc; shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	echo "\$ $* -> $rc"; cat "$T/out" "$T/err"
	[ "$rc" = "$want" ] && [ ! -s "$T/out" ] && grep -q -- "$msg" "$T/err"
}

# Polls (up to 10 s) until the command succeeds.
eventually() {
	for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
	"$@"
}

# The verbs of `uvfio --help`: the first word of each line under "Commands:".
help_verbs() {
	"$UVFIO" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
		on && /^  [a-z]/ { print $1 }' | sort -u
}

# --- help and usage -----------------------------------------------------------

t_help_each_verb() {
	local v verbs
	verbs=$(help_verbs)
	echo "verbs: $verbs"
	for v in run daemon tree bind unbind override trace demo check-machine \
		default-machine modprobe mdev-parent; do
		grep -qx "$v" <<<"$verbs" || { echo "$v missing from uvfio --help"; return 1; }
	done
	for v in $verbs; do
		"$UVFIO" "$v" --help >"$T/out" 2>"$T/err" || { echo "$v --help: $?"; return 1; }
		grep -q "^Usage: uvfio.* $v" "$T/out" || { echo "$v --help:"; cat "$T/out"; return 1; }
		[ ! -s "$T/err" ] || { echo "$v --help wrote to stderr"; return 1; }
		"$UVFIO" "$v" -h | cmp -s - "$T/out" || { echo "$v -h differs"; return 1; }
		"$UVFIO" help "$v" | cmp -s - "$T/out" || { echo "help $v differs"; return 1; }
		fails_with 2 "Usage: uvfio.* $v" "$UVFIO" "$v" --no-such-option || return 1
	done
}

t_top_level_usage() {
	"$UVFIO" --help | grep -q '^Usage: uvfio' &&
	"$UVFIO" --version | grep -q '^uvfio [0-9]' &&
	fails_with 2 'Usage: uvfio' "$UVFIO" &&
	fails_with 2 "unknown command 'frobnicate'" "$UVFIO" frobnicate &&
	fails_with 2 'Usage: uvfio' "$UVFIO" --frobnicate tree
}

t_verb_arguments() {
	# Wrong argument counts are usage errors, before any daemon is asked.
	fails_with 2 'missing argument' "$UVFIO" --dir "$T/none" bind 0000:00:03.0 &&
	fails_with 2 'too many arguments' "$UVFIO" --dir "$T/none" unbind 0000:00:03.0 x &&
	fails_with 2 'missing argument' "$UVFIO" --dir "$T/none" override 0000:00:03.0 &&
	fails_with 2 "unexpected argument 'x'" "$UVFIO" tree x &&
	fails_with 2 'Usage: uvfio check-machine' "$UVFIO" check-machine &&
	fails_with 2 'Usage: uvfio default-machine' "$UVFIO" default-machine x &&
	fails_with 2 'no PROGRAM' "$UVFIO" run &&
	fails_with 2 'mdev-parent: missing argument' "$UVFIO" --dir "$T/none" mdev-parent &&
	fails_with 2 "unknown action 'frob'" "$UVFIO" --dir "$T/none" mdev-parent frob &&
	fails_with 2 'mdev-parent add: missing argument' "$UVFIO" --dir "$T/none" mdev-parent add mtty &&
	fails_with 2 "'x' is not KEY=VALUE" "$UVFIO" --dir "$T/none" mdev-parent add mtty m x &&
	fails_with 2 'mdev-parent remove: too many arguments' \
		"$UVFIO" --dir "$T/none" mdev-parent remove a b &&
	fails_with 2 'mdev-parent list: too many arguments' "$UVFIO" --dir "$T/none" mdev-parent list x &&
	# The daemon's verbs need one.
	fails_with 2 'no daemon (use --dir DIR or set UVFIO_DIR)' "$UVFIO" bind 0000:00:03.0 vfio-pci &&
	fails_with 1 "no daemon at $T/none/ctl.sock" "$UVFIO" --dir "$T/none" tree
}

t_hostile_machines() {
	# Machine files a user gets wrong or an attacker crafts: refused with the
	# reason, never a hang, never a world that could not exist.
	local def=$T/default.machine m
	"$UVFIO" default-machine >"$def" || return 1
	edu() { sed "s|^device 0000:00:03.0 edu.*|device 0000:00:03.0 edu $1|" "$def" >"$T/m.machine"; }
	mkfifo "$T/fifo.machine"
	fails_with 1 'not a regular file' timeout 10 "$UVFIO" check-machine "$T/fifo.machine" &&
	fails_with 1 'not a regular file' "$UVFIO" check-machine "$T" &&
	fails_with 1 'not a regular file' "$UVFIO" check-machine /dev/zero &&
	head -c 1100000 /dev/zero | tr '\0' '#' >"$T/big.machine" &&
	fails_with 1 'too large (at most' "$UVFIO" check-machine "$T/big.machine" &&
	edu bar0=0xfffffffffff00000 &&
	fails_with 1 'edu bar0 at 0xfffffffffff00000: a 1048576-byte 32-bit BAR cannot decode there' \
		"$UVFIO" check-machine "$T/m.machine" &&
	edu bar0=0x100000000 &&
	fails_with 1 'cannot decode there' "$UVFIO" check-machine "$T/m.machine" &&
	edu bar0=0xfe810000 &&
	fails_with 1 'aligned to its size' "$UVFIO" check-machine "$T/m.machine" &&
	edu bar0=0xfe900000 &&
	fails_with 1 'pcie-pci-bridge bar0 \[0xfe900000-0xfe9000ff\] overlaps bar0 of the device on line' \
		"$UVFIO" check-machine "$T/m.machine" &&
	edu driver=e1000 &&
	fails_with 1 'driver=e1000 does not match 0000:00:03.0 (1234:11e8)' \
		"$UVFIO" check-machine "$T/m.machine" &&
	fails_with 1 'does not match' "$UVFIO" run --machine "$T/m.machine" -- true &&
	edu driver=pcieport &&
	fails_with 1 'driver=pcieport does not match' "$UVFIO" check-machine "$T/m.machine" &&
	# What may bind anything by override, and a placement that fits, are accepted.
	edu driver=pci-stub && "$UVFIO" check-machine "$T/m.machine" >/dev/null &&
	edu "driver=vfio-pci bar0=0xfea00000" && "$UVFIO" check-machine "$T/m.machine" >/dev/null &&
	for m in "$SRC"/examples/machines/*.machine; do
		"$UVFIO" check-machine "$m" >/dev/null || { echo "refused: $m"; return 1; }
	done
}

t_modprobe() {
	"$UVFIO" modprobe vfio-pci &&
	"$UVFIO" modprobe -q vfio_iommu_type1 &&
	"$UVFIO" modprobe vfio-pci ids=1234:11e8 && # a parameter, not a module
	"$UVFIO" modprobe -a vfio vfio_pci e1000 &&
	fails_with 1 'Module nosuch not found' "$UVFIO" modprobe nosuch &&
	fails_with 1 'Module e1000 is builtin' "$UVFIO" modprobe -r e1000 &&
	"$UVFIO" modprobe -q nosuch 2>"$T/err"; [ $? = 1 ] && [ ! -s "$T/err" ]
}

# --- the man page -------------------------------------------------------------

t_man_renders() {
	local w
	w=$(groff -man -Tutf8 -ww -z "$MAN" 2>&1) || return 1
	[ -z "$w" ] || { echo "$w"; return 1; }
	if command -v mandoc >/dev/null; then
		mandoc -Tlint -Wwarning "$MAN" || return 1
	fi
	if command -v man >/dev/null; then
		MANWIDTH=80 man -l "$MAN" 2>&1 | grep -q '^COMMANDS' || return 1
	fi
}

t_man_lists_verbs() {
	# Every verb of `uvfio --help` has its own subsection in the man page.
	local v pat missing=
	for v in $(help_verbs); do
		pat=${v//-/'\\?-'} # roff writes check\-machine
		grep -Eq "^\.SS \"?$pat( |\"|$)" "$MAN" || missing="$missing $v"
	done
	[ -z "$missing" ] || { echo "not in $MAN:$missing"; return 1; }
}

# --- a daemon, the verbs, attached programs -----------------------------------

daemon_start() {
	mkfifo "$T/ready"
	"$UVFIO" daemon --dir "$D" --ready-fd 3 3>"$T/ready" 2>"$T/daemon.log" &
	daemon_pid=$!
	local line=
	read -r -t 20 line <"$T/ready"
	[ "$line" = ready ]
}

t_daemon_starts() {
	daemon_start || { cat "$T/daemon.log"; return 1; }
	cat "$T/daemon.log"
	# It says where it listens and how to attach.
	grep -q "^uvfio daemon: pid $daemon_pid serving $D\$" "$T/daemon.log" &&
	grep -q "socket   $D/uvfiod.sock" "$T/daemon.log" &&
	grep -q "sysfs    $D/root" "$T/daemon.log" &&
	grep -q "attach   uvfio run --attach $D -- PROGRAM" "$T/daemon.log" &&
	[ -S "$D/uvfiod.sock" ] && [ -S "$D/ctl.sock" ] &&
	{ ! have_fuse || is_mounted "$D/root"; }
}

t_daemon_twice() {
	fails_with 1 "already served by the daemon pid $daemon_pid" "$UVFIO" daemon --dir "$D" &&
	[ -S "$D/uvfiod.sock" ]
}

t_tree() {
	local o
	o=$("$UVFIO" --dir "$D" tree) || return 1
	echo "$o"
	grep -Eq '0000:00:03.0 1234:11e8 \[00ff00\] edu +group 1 +driver -' <<<"$o" &&
	grep -Eq '0000:01:01.0 8086:100e .* e1000 +group 2 +driver e1000' <<<"$o" &&
	grep -q '^iommu groups' <<<"$o" &&
	grep -q '^  1: 0000:00:03.0  (viable)' <<<"$o" &&
	grep -Eq '^  e1000 +0000:01:01.0 0000:01:02.0' <<<"$o" &&
	grep -q '^open files' <<<"$o" &&
	# UVFIO_DIR does what --dir does.
	UVFIO_DIR=$D "$UVFIO" tree | cmp -s - <(echo "$o")
}

# What a program attached to the daemon reads in its sysfs.
attached_cat() { "$UVFIO" run --attach "$D" -- cat "$1"; }
attached_driver() {
	"$UVFIO" run --attach "$D" -- sh -c \
		'l=$(readlink /sys/bus/pci/devices/0000:00:03.0/driver) && basename "$l" || echo -'
}
tree_edu_driver() {
	"$UVFIO" --dir "$D" tree | grep -E '0000:00:03.0 1234:11e8' | grep -Eo 'driver [^ ]+$'
}

t_override_bind_unbind() {
	local o=/sys/bus/pci/devices/0000:00:03.0/driver_override
	[ "$(attached_cat $o)" = "(null)" ] &&
	[ "$("$UVFIO" --dir "$D" override 0000:00:03.0 vfio-pci)" = ok ] &&
	[ "$(attached_cat $o)" = vfio-pci ] &&
	[ "$(tree_edu_driver)" = "driver -" ] && # an override does not reprobe
	[ "$("$UVFIO" --dir "$D" bind 0000:00:03.0 vfio-pci)" = ok ] &&
	[ "$(tree_edu_driver)" = "driver vfio-pci" ] &&
	"$UVFIO" --dir "$D" tree | grep -Eq '^  vfio-pci +0000:00:03.0' &&
	[ "$(attached_driver)" = vfio-pci ] &&
	[ "$("$UVFIO" --dir "$D" unbind 0000:00:03.0)" = ok ] &&
	[ "$(tree_edu_driver)" = "driver -" ] &&
	[ "$(attached_driver)" = - ] &&
	[ "$("$UVFIO" --dir "$D" override 0000:00:03.0 none)" = ok ] &&
	[ "$(attached_cat $o)" = "(null)" ] &&
	# Through sysfs in an attached program, seen by the verbs: the same state.
	"$UVFIO" run --attach "$D" -- sh -c "echo vfio-pci > $o &&
		echo 0000:00:03.0 > /sys/bus/pci/drivers_probe" &&
	[ "$(tree_edu_driver)" = "driver vfio-pci" ]
}

t_verb_errors() {
	fails_with 1 'error: .*No such device' "$UVFIO" --dir "$D" bind 0000:00:09.0 vfio-pci &&
	fails_with 1 'error: /sys/bus/pci/drivers/no-such-driver/bind: No such file or directory' \
		"$UVFIO" --dir "$D" bind 0000:00:03.0 no-such-driver &&
	fails_with 1 'error: .*0000:00:09.0.*No such file or directory' \
		"$UVFIO" --dir "$D" unbind 0000:00:09.0 &&
	fails_with 1 'error: .*0000:00:09.0/driver_override: No such file or directory' \
		"$UVFIO" --dir "$D" override 0000:00:09.0 vfio-pci &&
	# edu is bound to vfio-pci: binding it again is busy, as on Linux.
	fails_with 1 'error: .*Device or resource busy' "$UVFIO" --dir "$D" bind 0000:00:03.0 vfio-pci
}

t_attach_env_and_sandbox() {
	local o
	o=$("$UVFIO" run --attach "$D" -- sh -c 'echo "$UVFIO_DIR $UVFIO_SOCKET $UVFIO_ROOT"') &&
	[ "$o" = "$D $D/uvfiod.sock $D/root" ] &&
	{ "$UVFIO" run --attach "$D" -- sh -c 'exit 7'; [ $? = 7 ]; } &&
	! "$UVFIO" run --attach "$D" -- sh -c 'echo 1 > /sys/kernel/uvfio-must-not-exist' &&
	# The program finds uvfio and its daemon.
	"$UVFIO" run --attach "$D" -- uvfio tree | grep -q '^open files' &&
	# A relative DIR works too.
	(cd "$T" && "$UVFIO" run --attach d -- sh -c '[ "$UVFIO_DIR" = "'"$D"'" ]')
}

t_attach_errors() {
	mkdir -p "$T/empty"
	fails_with 1 "--attach $T/missing: No such file or directory" \
		"$UVFIO" run --attach "$T/missing" -- true &&
	fails_with 1 "no daemon serves $T/empty .*uvfio daemon --dir" \
		"$UVFIO" run --attach "$T/empty" -- true &&
	fails_with 2 '--machine' "$UVFIO" run --attach "$D" --machine x -- true &&
	fails_with 2 'Usage: uvfio run' "$UVFIO" run --attach
}

t_tree_shows_holder() {
	# An attached program holds group 1 (edu, bound to vfio-pci above) and
	# the container; `uvfio tree` in it and outside it names its pid.
	local pid
	if [ "$(tree_edu_driver)" != "driver vfio-pci" ]; then
		"$UVFIO" --dir "$D" override 0000:00:03.0 vfio-pci &&
		"$UVFIO" --dir "$D" bind 0000:00:03.0 vfio-pci || return 1
	fi
	mkfifo "$T/go"
	"$UVFIO" run --attach "$D" -- bash -c '
		exec 3<>/dev/vfio/vfio 4<>/dev/vfio/1 || exit 1
		echo $$ > "$0/holder.pid"
		uvfio tree > "$0/tree.inside"
		read -r -t 20 _ < "$0/go"' "$T" &
	local prog=$!
	eventually test -s "$T/holder.pid" || return 1
	pid=$(cat "$T/holder.pid")
	eventually test -s "$T/tree.inside"
	"$UVFIO" --dir "$D" tree >"$T/tree.outside"
	timeout 20 sh -c "echo go > '$T/go'"
	wait $prog || return 1
	cat "$T/tree.inside"
	grep -Eq "^  pid $pid +container /dev/vfio/vfio" "$T/tree.inside" &&
	grep -Eq "^  pid $pid +group /dev/vfio/1" "$T/tree.inside" &&
	grep -Eq "^  pid $pid +group /dev/vfio/1" "$T/tree.outside" &&
	# Its files are released when it exits.
	eventually sh -c "! '$UVFIO' --dir '$D' tree | grep -q 'pid $pid '"
}

t_trace() {
	"$UVFIO" --dir "$D" trace --format json >"$T/trace" 2>&1 &
	trace_pid=$!
	"$UVFIO" --dir "$D" trace >"$T/trace.text" 2>&1 &
	text_pid=$!
	"$UVFIO" --dir "$D" trace --format json --dev 0000:00:03.0 --kind dma,irq \
		>"$T/trace.edu" 2>&1 &
	edu_pid=$!
	# The listener is registered once the daemon has read the verb: open the
	# container until its open shows.
	local seen=
	for _ in $(seq 100); do
		"$UVFIO" run --attach "$D" -- sh -c ': 3<>/dev/vfio/vfio' || return 1
		if grep -q '"op":"open","pid":[0-9]*,"path":"/dev/vfio/vfio","result":0}' "$T/trace"
		then seen=1; break; fi
		sleep 0.1
	done
	[ -n "$seen" ] || { cat "$T/trace"; return 1; }
	# A VFIO program while trace streams: its ioctls, with their results.
	"$UVFIO" run --attach "$D" -- "$EDU" || return 1
	eventually grep -q '"op":"ioctl","pid":[0-9]*,"file":"vfio-container","cmd":"0x3b64","name":"VFIO_GET_API_VERSION","result":0}' \
		"$T/trace" || { cat "$T/trace"; return 1; }
	# Decoded: what the caller passed and what the call wrote back.
	grep -Eq '"name":"VFIO_DEVICE_GET_REGION_INFO","args":\{"argsz":32,"index":0\},"out":\{"argsz":32,"flags":"0x7","size":"0x100000","offset":"0x0"\},"result":0\}' "$T/trace" &&
	grep -Eq '"name":"VFIO_IOMMU_MAP_DMA","args":\{"flags":"0x3","vaddr":"0x[0-9a-f]+","iova":"0x200000","size":"0x2000"\}' "$T/trace" &&
	grep -Eq '^\{"ts":[0-9]+\.[0-9]{6},"op":"ioctl",.*"file":"vfio-group"' "$T/trace" &&
	grep -q '"op":"sysfs_write",.*0000:00:03.0/driver_override","value":"vfio-pci"' "$T/trace" &&
	# Region accesses, trapped ones marked, the device's DMA and its interrupt.
	grep -Eq '"op":"read",.*"dev":"0000:00:03.0","region":0,"offset":"0x0","len":4,"value":"0x10000ed","result":4\}' "$T/trace" &&
	grep -Eq '"op":"write",.*"region":0,"offset":"0x4","len":4,"value":"0x12345678","mmio":true,"result":4\}' "$T/trace" &&
	grep -Eq '"op":"dma","dev":"0000:00:03.0","iova":"0x200000","len":4096,"dir":"from-memory","result":0\}' "$T/trace" &&
	grep -Eq '"op":"irq","dev":"0000:00:03.0","index":"msi","vector":0\}' "$T/trace" &&
	# Every line is one JSON object with a timestamp.
	! grep -Ev '^\{"ts":[0-9]+\.[0-9]{6},"op":"[a-z_]+",.*\}$' "$T/trace" &&
	# The text form (one line an event, the ioctl by name) and filters (only
	# edu's DMA and interrupts): those tracers may have started listening
	# after the run above, so edu runs until they show it.
	local text_re='^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} ioctl pid=[0-9]+ \[vfio-device\] 0000:00:03.0 cmd=0x3b6c VFIO_DEVICE_GET_REGION_INFO argsz=32 index=0 -> argsz=32 flags=0x7 size=0x100000 offset=0x0 = 0$'
	for _ in $(seq 50); do
		grep -q '"op":"irq"' "$T/trace.edu" && grep -Eq "$text_re" "$T/trace.text" && break
		"$UVFIO" run --attach "$D" -- "$EDU" >/dev/null || return 1
		sleep 0.1
	done
	grep -Eq "$text_re" "$T/trace.text" &&
	grep -q '"op":"dma"' "$T/trace.edu" && grep -q '"op":"irq"' "$T/trace.edu" &&
	! grep -Ev '"op":"(dma|irq)","dev":"0000:00:03.0"' "$T/trace.edu" &&
	fails_with 2 "unknown kind 'frob'" "$UVFIO" --dir "$D" trace --kind frob &&
	fails_with 2 "--format is text or json" "$UVFIO" --dir "$D" trace --format xml &&
	kill -0 "$trace_pid" && # still streaming
	kill "$text_pid" "$edu_pid"
}

# Mediated-device parents at run time: uvfio mdev-parent add, list, remove.
MDEV_UUID=3b1f5ab2-3c2e-4d6a-9f0e-7a1c2b3d4e0c
t_mdev_parent() {
	local types=/sys/class/mdev_bus/m1/mdev_supported_types
	[ "$("$UVFIO" --dir "$D" mdev-parent add mtty m1)" = ok ] || return 1
	# In the attached program's sysfs, as the kernel shows a registered parent.
	"$UVFIO" run --attach "$D" -- sh -c "ls /sys/class/mdev_bus && ls $types &&
		cat $types/mtty-1/name $types/mtty-1/device_api $types/mtty-1/available_instances" \
		>"$T/sysfs" || return 1
	cat "$T/sysfs"
	grep -qx m1 "$T/sysfs" && grep -qx mtty-1 "$T/sysfs" && grep -qx mtty-2 "$T/sysfs" &&
	grep -qx 'Single port serial' "$T/sysfs" && grep -qx vfio-pci "$T/sysfs" &&
	# list: the parent, its device, each type.
	"$UVFIO" --dir "$D" mdev-parent list >"$T/list" && cat "$T/list" &&
	grep -Eq '^m1  \.\./\.\./devices/virtual/mtty/m1$' "$T/list" &&
	grep -Eq '^  mtty-1  available_instances [0-9]+  devices 0  name Single port serial$' \
		"$T/list" &&
	grep -Eq '^  mtty-2  available_instances [0-9]+  devices 0  name Dual port serial$' \
		"$T/list" &&
	# An instance, created through sysfs, shows in list.
	"$UVFIO" run --attach "$D" -- sh -c "echo $MDEV_UUID > $types/mtty-1/create" &&
	"$UVFIO" --dir "$D" mdev-parent list | grep -Eq '^  mtty-1  .*devices 1 ' &&
	# Errors.
	fails_with 1 "error: mdev-parent add mtty m1: File exists" \
		"$UVFIO" --dir "$D" mdev-parent add mtty m1 &&
	fails_with 1 "error: mdev-parent add nosuch m2: No such file or directory" \
		"$UVFIO" --dir "$D" mdev-parent add nosuch m2 &&
	fails_with 1 "error: mdev-parent add mtty m3: Invalid argument" \
		"$UVFIO" --dir "$D" mdev-parent add mtty m3 frob=1 &&
	fails_with 1 "error: mdev-parent remove m9: No such device" \
		"$UVFIO" --dir "$D" mdev-parent remove m9 &&
	# Remove takes the instance with it (nobody holds it), and the parent goes.
	[ "$("$UVFIO" --dir "$D" mdev-parent remove m1)" = ok ] &&
	"$UVFIO" run --attach "$D" -- sh -c "[ ! -e /sys/class/mdev_bus/m1 ] &&
		[ ! -e /sys/bus/mdev/devices/$MDEV_UUID ]" &&
	[ -z "$("$UVFIO" --dir "$D" mdev-parent list)" ] &&
	fails_with 1 "error: mdev-parent remove m1: No such device" \
		"$UVFIO" --dir "$D" mdev-parent remove m1 &&
	# The name is free again.
	[ "$("$UVFIO" --dir "$D" mdev-parent add mtty m1)" = ok ] &&
	[ "$("$UVFIO" --dir "$D" mdev-parent remove m1)" = ok ]
}

t_sigterm() {
	kill -TERM "$daemon_pid" || return 1
	local rc
	wait "$daemon_pid"
	rc=$?
	daemon_pid=
	echo "daemon exit status $rc"
	cat "$T/daemon.log"
	[ "$rc" = 0 ] &&
	! is_mounted "$D/root" &&
	# It made the directory, and removes it with its sockets and mount point.
	[ ! -e "$D" ] &&
	# trace ends with the daemon
	{ [ -z "$trace_pid" ] || { wait "$trace_pid"; trace_pid=; }; } &&
	fails_with 1 "No such file or directory" "$UVFIO" run --attach "$D" -- true &&
	mkdir -m 0700 "$D" &&
	fails_with 1 "no daemon serves $D" "$UVFIO" run --attach "$D" -- true &&
	fails_with 1 "no daemon at $D/ctl.sock" "$UVFIO" --dir "$D" tree
}

check help_each_verb t_help_each_verb
check top_level_usage t_top_level_usage
check verb_arguments t_verb_arguments
check modprobe t_modprobe
check hostile_machines t_hostile_machines
if command -v groff >/dev/null; then
	check man_renders t_man_renders
else
	skip man_renders "no groff"
fi
check man_lists_verbs t_man_lists_verbs

if ! have_shim; then
	skip daemon "libuvfio-preload.so not built"
elif ! have_fuse; then
	skip daemon "no FUSE"
else
	# The daemon starts and stops whatever the filter says.
	TAP_FILTER='' check daemon_starts t_daemon_starts
	if [ -z "$daemon_pid" ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
		skip daemon "the daemon did not start"
	else
		check daemon_twice t_daemon_twice
		check tree t_tree
		check override_bind_unbind t_override_bind_unbind
		check verb_errors t_verb_errors
		check attach_env_and_sandbox t_attach_env_and_sandbox
		check attach_errors t_attach_errors
		check tree_shows_holder t_tree_shows_holder
		check trace t_trace
		check mdev_parent t_mdev_parent
		TAP_FILTER='' check sigterm t_sigterm
	fi
fi
tap_done
