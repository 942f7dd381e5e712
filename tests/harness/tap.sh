# What the shell tests share: the read-only /sys sandbox and TAP output.
# Sourced, not run:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/../harness/tap.sh"
#   tap_sandbox "$0" "$@"     as root, re-run the script in a private mount
#                             namespace with the real /sys read-only, so
#                             that a write escaping the shim fails loudly
#   TAP_LOG=FILE              where check sends a case's output
#   TAP_TAIL=N                how much of it a failed case shows (40)
#   TAP_FILTER=GLOB           check runs only the cases it matches
#   ok NAME [SKIP-REASON]     a passed (or skipped) case
#   skip NAME REASON          a skipped case
#   notok NAME                a failed case, with the end of TAP_LOG
#   tap_selected NAME         whether TAP_FILTER selects the case
#   check NAME CMD...         CMD's status decides the case
#   tap_done                  the plan; fails if a case failed
#
# shellcheck shell=bash

tap_sandbox() {
	if [ "$(id -u)" = 0 ] && [ -z "${UVFIO_TEST_SANDBOXED:-}" ]; then
		export UVFIO_TEST_SANDBOXED=1
		# shellcheck disable=SC2016 # expanded by the inner bash
		exec unshare --mount --propagation private -- bash -c \
			'mount -o remount,bind,ro /sys && exec bash "$0" "$@"' "$@"
	fi
}

n=0
fails=0
TAP_TAIL=${TAP_TAIL:-40}
TAP_FILTER=${TAP_FILTER:-}

ok() { n=$((n + 1)); echo "ok $n - $1${2:+ # SKIP $2}"; }
skip() { ok "$1" "$2"; }
notok() {
	n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"
	[ -n "${TAP_LOG:-}" ] && [ -f "$TAP_LOG" ] || return 0
	# The failed checks of programs that print TAP themselves, then the end.
	grep -E '^(not ok|Bail out)' "$TAP_LOG" | grep -v '# TODO' | head -40 | sed 's/^/# /'
	sed 's/^/# /' "$TAP_LOG" | tail -"$TAP_TAIL"
}
tap_selected() {
	# shellcheck disable=SC2053 # TAP_FILTER is a glob
	[ -z "$TAP_FILTER" ] || [[ "$1" == $TAP_FILTER ]]
}
check() {
	local name=$1; shift
	tap_selected "$name" || return 0
	if "$@" >"$TAP_LOG" 2>&1; then ok "$name"; else notok "$name"; fi
}
tap_done() {
	echo "1..$n"
	[ "$fails" = 0 ]
}
