#!/usr/bin/env bash
# Runs one libFuzzer binary briefly, as a test (meson suite 'fuzz-run', see
# meson.build): FUZZER CORPUS_DIR OUT_DIR.
#
# The fuzzer runs for $FUZZ_SECONDS (default 30) on a scratch copy of
# CORPUS_DIR, so the checked-in corpus changes only when someone copies a
# finding there on purpose. Exit status: 0 when nothing was found; otherwise
# the fuzzer's own (a crash, a leak, a timeout), with the reproducer kept in
# OUT_DIR/fuzz-artifacts/ and its path printed: copy it into CORPUS_DIR so the
# replay test covers it.
set -uo pipefail

fuzzer=$1 corpus=$2 out=$3
seconds=${FUZZ_SECONDS:-30}
name=$(basename "$fuzzer")

scratch=$(mktemp -d "${TMPDIR:-/tmp}/uvfio-$name-corpus.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
cp -- "$corpus"/* "$scratch"/ 2>/dev/null
artifacts=$out/fuzz-artifacts
mkdir -p "$artifacts"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:verify_asan_link_order=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

echo "$name: fuzzing for ${seconds}s from $(ls "$scratch" | wc -l) seed(s)"
# -handle_bus=0: the daemon's own SIGBUS guard (pinned_pages_init) stays in place.
"$fuzzer" -max_total_time="$seconds" -timeout=60 -max_len=4096 -len_control=0 -handle_bus=0 \
	-rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$scratch"
status=$?
if ((status != 0)); then
	echo "$name: FAILED (status $status); reproducer(s):"
	ls -1 "$artifacts"/"$name"-* 2>/dev/null
	echo "replay one with: $fuzzer FILE   (then copy it into $corpus)"
fi
exit $status
