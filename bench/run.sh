#!/bin/sh
# SPDX-License-Identifier: MIT
#
# bench/run.sh: builds and runs the uvfio benchmarks and writes a table
# (bench/README.md explains every row). `make bench` runs it.
#
#   bench/run.sh [--build DIR] [--no-build] [--quick] [--cpu N|none] [--out DIR]
#
#   --build DIR  the meson build directory (default build-bench, set up as
#                buildtype=release, no tests, no debug checks, if missing)
#   --no-build   do not run ninja first
#   --quick      fewer iterations (a smoke run, noisier numbers)
#   --cpu N      run vfio-bench, its daemon and its helper pinned to CPU N
#                (default: the last CPU); `none` leaves them to the scheduler.
#                Pinned, every wake-up on both sides is a context switch on
#                one CPU: the ratios compare software paths and stay stable on
#                a shared VM, where a cross-CPU wake-up costs 1 to 40 us.
#   --out DIR    where results.tsv and results.md go (default DIR/bench)
#
# Three parts:
#   1. vfio-bench under `uvfio run --machine bench/bench.machine` (falls back to
#      bench/bench-basic.machine, with rows marked pending, if this uvfio lacks
#      edu's dma_size= or the ivshmem-plain model);
#   2. startup-bench: `uvfio run -- true` against `true`;
#   3. the daemon's memory with 1, 16 and 64 devices of each model (machines
#      generated here), read from /proc/PID/smaps_rollup of the daemon by a
#      shell running under uvfio run; the slope per device is the result.
# Every result is a line "BENCH name value unit baseline-name baseline ratio goal
# verdict" (tab-separated); the exit status is 0 even if a goal is missed.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build-bench
do_build=1
quick=
out=
cpu=$(($(nproc) - 1))

while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--no-build) do_build=; shift ;;
	--quick) quick=--quick; shift ;;
	--cpu) cpu=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "usage: $0 [--build DIR] [--no-build] [--quick] [--cpu N|none] [--out DIR]" >&2
		exit 2 ;;
	esac
done
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
[ -n "$out" ] || out=$build/bench
mkdir -p "$out"

if [ -n "$do_build" ]; then
	if [ ! -f "$build/build.ninja" ]; then
		rm -rf "$build"
		meson setup "$build" "$src" --buildtype=release -Dtests=false -Ddebug-checks=false
	fi
	ninja -C "$build" src/cli/uvfio src/preload/libuvfio-preload.so \
		bench/vfio-bench bench/startup-bench
fi

uvfio=$build/src/cli/uvfio
raw=$out/raw.txt
: >"$raw"

echo "== machine" >&2
model=$(lscpu | sed -n 's/^Model name: *//p' | head -n1)
pin=
if [ "$cpu" != none ]; then
	pin="taskset -c $cpu"
fi
echo "cpu: $model, $(nproc) CPUs; kernel $(uname -r); build $(basename "$build"); vfio-bench pinned to CPU $cpu" |
	tee "$out/machine.txt" >&2

# 1. The VFIO program.
machine=$src/bench/bench.machine
if ! "$uvfio" check-machine "$machine" >/dev/null 2>&1; then
	echo "bench.machine does not build here; using bench-basic.machine (rows pending):" >&2
	"$uvfio" check-machine "$machine" 2>&1 | tail -n1 >&2 || true
	machine=$src/bench/bench-basic.machine
fi
echo "== vfio-bench (uvfio run --machine $(basename "$machine"))" >&2
$pin "$uvfio" run --machine "$machine" -- "$build/bench/vfio-bench" $quick | tee -a "$raw"
if [ -n "$pin" ]; then
	# The round-trip rows again, left to the scheduler on every CPU: rows
	# suffixed .anycpu (noisier: cross-CPU wake-ups on a VM vary 1-40 us).
	echo "== vfio-bench, unpinned (rows .anycpu)" >&2
	"$uvfio" run --machine "$machine" -- "$build/bench/vfio-bench" $quick \
		--only rtt,ioctl,pread,mmap,irq --suffix .anycpu | tee -a "$raw"
fi

# 2. Start-up.
echo "== startup-bench" >&2
if [ -n "$quick" ]; then n=5; else n=30; fi
"$build/bench/startup-bench" -n $n "$uvfio" | tee -a "$raw"

# 3. Memory per device. gen_machine MODEL N: N functions behind two
# PCIe-to-PCI bridges (32 slots each), so every machine has the same fixed part.
gen_machine() {
	echo "machine mem-$1-$2"
	echo "device 0000:00:00.0 q35-host"
	echo "device 0000:00:04.0 pcie-pci-bridge bus=1"
	echo "device 0000:00:05.0 pcie-pci-bridge bus=2"
	i=0
	while [ $i -lt "$2" ]; do
		printf 'device 0000:%02x:%02x.0 %s\n' $((i / 32 + 1)) $((i % 32)) "$1"
		i=$((i + 1))
	done
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== daemon memory" >&2
for model in edu e1000 ivshmem-plain; do
	pts=
	for n in 1 16 64; do
		gen_machine $model $n >"$tmp/m.machine"
		if ! "$uvfio" check-machine "$tmp/m.machine" >/dev/null 2>&1; then
			pts=
			break
		fi
		# Pss and Rss of the daemon, in KiB, once the world is up and idle.
		kb=$("$uvfio" run --machine "$tmp/m.machine" -- /bin/sh -c \
			'sed -n "s/^\(Rss\|Pss\): *\([0-9]*\) kB/\1 \2/p" /proc/$UVFIO_DAEMON_PID/smaps_rollup')
		rss=$(echo "$kb" | awk '$1 == "Rss" { print $2 }')
		pss=$(echo "$kb" | awk '$1 == "Pss" { print $2 }')
		echo "  $model x$n: Rss $rss KiB, Pss $pss KiB" >&2
		echo "MEM	$model	$n	$rss	$pss" >>"$out/mem.txt.new"
		pts="$pts $n:$rss:$pss"
	done
	if [ -z "$pts" ]; then
		printf 'BENCH\tmem.%s.per_device\t-\t-\t-\t-\t-\t-\tpending\n' $model | tee -a "$raw"
		echo "  $model: not in this uvfio (pending)" >&2
		continue
	fi
	# Least-squares slope over the three points, Pss and Rss.
	echo "$pts" | tr ' ' '\n' | awk -F: -v m=$model 'NF == 3 {
		n++; sx += $1; sy += $3; sxx += $1 * $1; sxy += $1 * $3; sr += $2; sxr += $1 * $2
		if ($1 == 1) base = $3
	} END {
		d = n * sxx - sx * sx
		p = (n * sxy - sx * sy) / d; r = (n * sxr - sx * sr) / d
		printf "BENCH\tmem.%s.per_device.pss\t%.1f\tKiB\tdaemon_pss@1\t%d\t-\t<256KiB\t%s\n",
			m, p, base, p < 256 ? "pass" : "FAIL"
		printf "BENCH\tmem.%s.per_device.rss\t%.1f\tKiB\t-\t-\t-\t-\tinfo\n", m, r
	}' | tee -a "$raw"
done
mv "$out/mem.txt.new" "$out/mem.txt" 2>/dev/null || true

# The table.
grep '^BENCH' "$raw" | cut -f2- >"$out/results.tsv"
{
	echo "| row | value | unit | baseline | baseline value | ratio | goal | verdict |"
	echo "|---|---:|---|---|---:|---:|---|---|"
	awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
		$1, $2, $3, $4, $5, $6, $7, $8 }' "$out/results.tsv"
} >"$out/results.md"
echo "== results ($out/results.md)" >&2
awk -F'\t' '{ printf "%-40s %12s %-3s %-22s %12s %8s %-9s %s\n",
	$1, $2, $3, $4, $5, $6, $7, $8 }' "$out/results.tsv"
fails=$(awk -F'\t' '$8 == "FAIL"' "$out/results.tsv" | wc -l)
pend=$(awk -F'\t' '$8 == "pending"' "$out/results.tsv" | wc -l)
pass=$(awk -F'\t' '$8 == "pass"' "$out/results.tsv" | wc -l)
echo "bench: $pass goals met, $fails missed, $pend pending" >&2
