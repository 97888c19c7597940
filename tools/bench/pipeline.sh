#!/bin/sh
# Pipeline benchmarks (Markdown tables on stdout; asserts nothing):
#  (a) `dumpwalk batch` throughput: dumps per second, and per core, with --jobs 1 and 2,
#      over the bundled fixture copied N times and over the shared corpus directory;
#  (b) `dumpwalk stack --json` on synthetic full-memory dumps of growing size
#      (tools/gen-bigdump: 16 threads, 12 PE modules, real call chains): median wall time and
#      peak RSS, to show the cost follows the pages touched, not the file size.
#
# usage: tools/bench/pipeline.sh [--runs N] [--copies N] [--sizes "64M 1G 4G 16G"]
# environment:
#   DW_BUILD   release build directory to use or create (default: build-release)
#   DW_SHARED  the shared/ directory (default: ../shared beside the repository)
#   TMPDIR     where the copies and the sparse dumps go (a few MiB of real disk)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tools/compare/refs.sh"

runs=5
copies=2000
sizes="64M 1G 4G 16G"
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --copies) copies=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--copies N] [--sizes LIST]" >&2; exit 2 ;;
    esac
done
build=${DW_BUILD:-$root/build-release}
shared=${DW_SHARED:-$root/../shared}
cd "$root"
dw_release_build "$build"
dw=$build/tools/dumpwalk
gen=$build/tools/gen-bigdump
[ -x /usr/bin/time ] || dw_apt_install time || echo "pipeline: GNU time missing: no RSS" >&2
work=$(mktemp -d "${TMPDIR:-/tmp}/dumpwalk-pipeline-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

now_ns() { date +%s%N; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# batch_rate LABEL JOBS PATH...: median dumps/s over $runs runs (count from the summary
# line), by wall time and per CPU-second (user + system time of the process: what one core
# does, whatever else the machine is running).
batch_rate() {
    label=$1 jobs=$2
    shift 2
    : >"$work/rates"
    : >"$work/cpu"
    n=0
    i=0
    while [ $i -lt "$runs" ]; do
        t0=$(now_ns)
        if [ -x /usr/bin/time ]; then
            /usr/bin/time -f "%U %S" -o "$work/cpu1" "$dw" batch --jobs "$jobs" "$@" \
                >/dev/null 2>"$work/summary" || true
        else
            "$dw" batch --jobs "$jobs" "$@" >/dev/null 2>"$work/summary" || true
            echo "0 0" >"$work/cpu1"
        fi
        t1=$(now_ns)
        n=$(sed -n 's/^dumpwalk batch: \([0-9]*\) dumps.*/\1/p' "$work/summary")
        echo "$n $t0 $t1" | awk '{printf "%.1f\n", $1 / (($3 - $2) / 1e9)}' >>"$work/rates"
        # GNU time puts "Command exited with non-zero status N" first when the run
        # reports damaged dumps (exit 1): the times are on the last line.
        tail -n 1 "$work/cpu1" |
            awk -v n="$n" '{c = $1 + $2; printf "%.1f\n", (c > 0 ? n / c : 0)}' >>"$work/cpu"
        i=$((i + 1))
    done
    rate=$(median <"$work/rates")
    cpu=$(median <"$work/cpu")
    echo "$label $jobs $n $rate $cpu" | awk '{printf "| %s | %d | %d | %.0f | %.0f |\n",
        $1, $2, $3, $4, $5}'
}

echo "### Batch throughput ($(nproc) CPUs, median of $runs runs)"
echo
echo "dumps/s: wall time of the whole command; per CPU-second: dumps / (user + system time)."
echo
echo "| input | --jobs | dumps | dumps/s | dumps per CPU-second |"
echo "|---|---|---|---|---|"
mkdir "$work/copies"
i=0
while [ $i -lt "$copies" ]; do
    cp fixtures/synthetic-x64.dmp "$work/copies/d$i.dmp"
    i=$((i + 1))
done
for jobs in 1 2; do
    batch_rate "fixture-x$copies" "$jobs" "$work/copies"
done
if [ -d "$shared/corpus" ]; then
    for jobs in 1 2; do
        batch_rate "corpus" "$jobs" "$shared/corpus"
    done
fi

echo
echo "### Walking every thread of a big full-memory dump (median of $runs runs)"
echo
echo "| dump size | memory ranges | disk used | frames | wall ms | peak RSS MiB |"
echo "|---|---|---|---|---|---|"
for size in $sizes; do
    dump="$work/big-$size.dmp"
    ranges=$("$gen" --size "$size" "$dump" | sed -n 's/.* \([0-9]*\) memory ranges.*/\1/p')
    disk=$(du -k "$dump" | cut -f1)
    : >"$work/ms"
    : >"$work/rss"
    i=0
    while [ $i -lt "$runs" ]; do
        t0=$(now_ns)
        if [ -x /usr/bin/time ]; then
            /usr/bin/time -f "%M" -o "$work/rss1" "$dw" stack --json "$dump" >"$work/out.json"
            cat "$work/rss1" >>"$work/rss"
        else
            "$dw" stack --json "$dump" >"$work/out.json"
            echo 0 >>"$work/rss"
        fi
        t1=$(now_ns)
        echo "$t0 $t1" | awk '{printf "%.2f\n", ($2 - $1) / 1e6}' >>"$work/ms"
        i=$((i + 1))
    done
    frames=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(sum(len(t["frames"]) for t in d["threads"]))' "$work/out.json")
    ms=$(median <"$work/ms")
    rss=$(sort -n "$work/rss" | tail -1)
    echo "$size $ranges $disk $frames $ms $rss" | awk '{printf "| %s | %d | %.1f MiB | %d | %.1f | %.1f |\n",
        $1, $2, $3 / 1024, $4, $5, $6 / 1024}'
    rm -f "$dump"
done
