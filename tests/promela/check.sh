#!/bin/bash
# Checks tests/promela/mdev.pml with spin (docs/mdev-model.md). Prints TAP.
# Usage: check.sh [MODEL]. Exit 77 (skip) without spin or a C compiler.
#
# Each case builds the verifier in a scratch directory and expects one of:
#   pass      no errors (safety run: assertions and invalid end states)
#   assert    an assertion violation (a property fails on that variant)
#   deadlock  an invalid end state and no assertion violation
#   claim     a never-claim (LTL) violation
# A variant expected to fail that passes is a test failure: it means the
# property no longer sees the bug it was written for.
set -u

model=${1:-$(dirname "$0")/mdev.pml}
model=$(readlink -f "$model")
command -v spin >/dev/null 2>&1 || { echo "1..0 # SKIP spin is not installed"; exit 0; }
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || { echo "1..0 # SKIP no C compiler"; exit 0; }

tmp=$(mktemp -d /tmp/uvfio-promela.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# name | spin -D flags | cc flags | pan flags | expectation
cases=(
	"6.12 sequence: deadlock freedom, no freed parent, no orphan, no half-built|||-m200000|pass"
	"6.12 sequence, three creators|-DNCREATE=3||-m200000|pass"
	"6.12 sequence: no_orphan as LTL|-DLTL -DONLY_LTL||-a -m200000|pass"
	"reachable: a user opens the instance|-DREACH=1||-m200000|assert"
	"reachable: a remove writer removes it|-DREACH=2||-m200000|assert"
	"reachable: the unregistration removes it|-DREACH=3||-m200000|assert"
	"reachable: create fails -ENODEV against the unregistration|-DREACH=4||-m200000|assert"
	"reachable: re-create after remove|-DREACH=5||-m200000|assert"
	"old sequence violates 'no access to a freed parent'|-DOLD -DONLY_FREED||-m200000|assert"
	"old sequence violates 'no instance left on a freed parent'|-DOLD -DONLY_ORPHAN||-m200000|assert"
	"old sequence violates 'no callback on a half-built instance'|-DOLD -DONLY_HALF||-m200000|assert"
	"old sequence violates no_orphan (LTL)|-DOLD -DLTL -DONLY_LTL||-a -m200000|claim"
	"a blocking down_read in create deadlocks against unregistration|-DBLOCKING_READ||-m200000|deadlock"
	"6.12's literal remove order (active cleared before the trylock) reaches a freed parent|-DKERNEL_ORDER||-m200000|assert"
	"a remove writer touches the parent's memory after it is freed (needs a reference)|-DSTRICT_MEMORY||-m200000|assert"
)

echo "1..${#cases[@]}"
n=0
fails=0
for c in "${cases[@]}"; do
	IFS='|' read -r name dflags ccflags panflags expect <<<"$c"
	n=$((n + 1))
	d="$tmp/$n"
	mkdir -p "$d"
	cp "$model" "$d/mdev.pml"
	safety=-DSAFETY
	case $expect in claim) safety= ;; esac
	case $dflags in *-DLTL*) safety= ;; esac
	# shellcheck disable=SC2086
	if ! (cd "$d" && spin -a $dflags mdev.pml >spin.out 2>&1); then
		echo "not ok $n - $name # spin -a failed"
		sed 's/^/# /' "$d/spin.out"
		fails=$((fails + 1))
		continue
	fi
	# shellcheck disable=SC2086
	if ! (cd "$d" && "$cc" -O2 $safety $ccflags -DMEMLIM=1024 -o pan pan.c >cc.out 2>&1); then
		echo "not ok $n - $name # cc pan.c failed"
		sed 's/^/# /' "$d/cc.out"
		fails=$((fails + 1))
		continue
	fi
	# shellcheck disable=SC2086
	(cd "$d" && timeout 30 ./pan $panflags >pan.out 2>&1)
	out=$d/pan.out
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$out" | head -1)
	got=unknown
	if grep -q "out of memory\|max search depth too small" "$out"; then
		got=incomplete
	elif [ "$errors" = 0 ]; then
		got=pass
	elif grep -q "assertion violated" "$out" && [ -z "$safety" ]; then
		got=claim
	elif grep -q "assertion violated" "$out"; then
		got=assert
	elif grep -q "invalid end state" "$out"; then
		got=deadlock
	fi
	summary=$(grep -E "assertion violated|invalid end state \(|errors:|states, stored" "$out" | tr -s ' \t' ' ' | paste -sd ';' -)
	if [ "$got" = "$expect" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name # expected $expect, got $got"
		fails=$((fails + 1))
		if [ "$got" != pass ] && [ -f "$d/mdev.pml.trail" ]; then
			# shellcheck disable=SC2086
			(cd "$d" && spin -t -p $dflags mdev.pml 2>&1 | tail -40 | sed 's/^/# /')
		fi
	fi
	echo "# spin $dflags: $summary"
done
exit $((fails > 0))
