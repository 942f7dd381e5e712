#!/bin/sh
# Exit 0 if CC (default clang) links a libFuzzer target with ASan and UBSan:
# what `make fuzz` needs. Used by the Makefile and .ci/run alike.
cc=${1:-clang}
command -v "$cc" >/dev/null 2>&1 || exit 1
dir=$(mktemp -d "${TMPDIR:-/tmp}/uvfio-have-libfuzzer.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
	>"$dir/t.c"
"$cc" -fsanitize=fuzzer,address,undefined -o "$dir/t" "$dir/t.c" >/dev/null 2>&1
