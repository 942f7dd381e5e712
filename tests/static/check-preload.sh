#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Static checks of libuvfio-preload.so (after umockdev's tests/test-static-code):
#  1. the library exports only libc names (its wrappers), and at least the core
#     ones; everything else is hidden;
#  2. no source in src/preload calls a wrapped function by its plain name:
#     internals must go through REAL(), or they recurse into the shim.
#
# Usage: check-preload.sh SRCDIR LIBRARY
set -eu

srcdir=$1
lib=$2
fail=0

exports=$(nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "W" || $2 == "i" { print $3 }' |
	sed 's/@.*//' | grep -v -E '^(__asan|__odr_asan|__tsan|__ubsan|_init$|_fini$)' | sort -u)

libc=$(ldd "$lib" 2>/dev/null | awk '$1 ~ /^libc\.so/ { print $3 }')
[ -n "$libc" ] || libc=$(gcc -print-file-name=libc.so.6)
libc_names=$(nm -D --defined-only "$libc" | awk '{ print $3 }' | sed 's/@.*//' | sort -u)

for sym in $exports; do
	if ! printf '%s\n' "$libc_names" | grep -qx -- "$sym"; then
		echo "exported symbol '$sym' is not a libc function: mark internals static or hidden"
		fail=1
	fi
done
for sym in ioctl read write pread pwrite lseek fstat mmap munmap sigaction; do
	if ! printf '%s\n' "$exports" | grep -qx -- "$sym"; then
		echo "wrapper '$sym' is not exported"
		fail=1
	fi
done

# Calls by plain name: an indented line (definitions start in column 0) with
# "name(" not preceded by an identifier character, '.', '>' or '&', after
# comments and string literals are removed. The fortified __*_chk entry points
# may delegate to their own wrapper (that is the point of them).
for f in "$srcdir"/*.c; do
	for sym in $exports; do
		hits=$(sed -e 's|/\*.*\*/||g' -e 's|"\([^"\\]\|\\.\)*"|""|g' "$f" |
			awk -v sym="$sym" '
				/^[ \t]*(\*|\/\*|\/\/)/ { next }
				/^[^ \t#{}]/ && /\(/ {
					fn = $0
					sub(/\(.*/, "", fn)
					sub(/.*[^A-Za-z0-9_]/, "", fn)
					next
				}
				/^[^ \t]/ { next }
				fn ~ /^__.*_chk$/ { next }
				{
					line = " " $0
					re = "[^A-Za-z0-9_.>&]" sym "[ \t]*\\("
					if (line ~ re)
						printf "%d: %s\n", NR, $0
				}')
		if [ -n "$hits" ]; then
			echo "$f calls wrapped '$sym' by its plain name (use REAL($sym)):"
			echo "$hits"
			fail=1
		fi
	done
done

[ $fail = 0 ] && echo "ok: $(echo $exports | wc -w) exported wrappers, no plain calls"
exit $fail
