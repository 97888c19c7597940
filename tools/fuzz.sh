#!/bin/sh
# Build the libFuzzer harnesses (tests/fuzz/) and run each for a given time.
#
# usage: tools/fuzz.sh [-j JOBS] [-s SECONDS] [TARGET...]
#        tools/fuzz.sh --replay DIR TARGET      run one harness over saved inputs
#   TARGET: fuzz_dump fuzz_memory fuzz_walk fuzz_sym fuzz_postfix fuzz_pe
#           fuzz_syscall (default: all)
#   -s SECONDS  time per target (default 600)
#   -j JOBS     targets run at once (default 1), each under `nice -n 10`
# Environment: DW_FUZZ_BUILD (default build-fuzz), DW_FUZZ_DIR (scratch,
# default /tmp/dumpwalk-fuzz; never inside the repository: the seeds are
# copies of ../shared data), DW_SHARED (default ../shared).
#
# Per target, DW_FUZZ_DIR/TARGET/ holds seeds/ (built once from fixtures/ and
# ../shared), corpus/ (what libFuzzer keeps), crashes/ (findings) and
# fuzz.log.  A summary line per target gives execs, coverage, features and
# findings.  Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
build=${DW_FUZZ_BUILD:-build-fuzz}
work=${DW_FUZZ_DIR:-/tmp/dumpwalk-fuzz}
shared=${DW_SHARED:-$root/../shared}
all="fuzz_dump fuzz_memory fuzz_walk fuzz_sym fuzz_postfix fuzz_pe fuzz_syscall"
seconds=600
jobs=1

build_harnesses() {
    if [ ! -f "$build/build.ninja" ]; then
        CC=clang meson setup "$build" -Dfuzzing=true -Db_lundef=false >/dev/null
    fi
    ninja -C "$build" >/dev/null
}

if [ "${1:-}" = "--replay" ]; then
    [ $# -eq 3 ] || { echo "usage: $0 --replay DIR TARGET" >&2; exit 2; }
    build_harnesses
    exec "$build/tests/fuzz/$3" -runs=1 "$2"/*
fi

while getopts j:s: opt; do
    case $opt in
    j) jobs=$OPTARG ;;
    s) seconds=$OPTARG ;;
    *) echo "usage: $0 [-j JOBS] [-s SECONDS] [TARGET...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
targets=${*:-$all}

# ---- seed corpora ------------------------------------------------------------

# Dumps: the fixtures, the corpus (at most 1 MiB each, so mutation stays
# fast), the uncompressed Wine dumps.
dump_files() {
    ls fixtures/*.dmp
    if [ -d "$shared/corpus" ]; then
        find "$shared/corpus" \( -name '*.dmp' -o -name '*.mdmp' \) -size -1024k \
            -not -path '*/oracle/*' -not -path '*/expected/*'
    fi
    [ -d "$shared/wine" ] && ls "$shared"/wine/*.dmp
    return 0
}

sym_files() {
    find fixtures -name '*.sym'
    [ -d "$shared" ] && find "$shared" -name '*.sym' -size -1024k
    return 0
}

seed_name() {
    echo "$1" | sed "s|^$shared/||; s|^$root/||; s|/|_|g"
}

seed_dumps() {
    for f in $(dump_files); do cp "$f" "$1/$(seed_name "$f")"; done
}

# The walk harness takes "SYM\n@@DUMP@@\nDUMP": pair each corpus source's
# symbol files with that source's dumps.
seed_walk() {
    seed_dumps "$1"
    for sym in $(find fixtures/symbols -name '*.sym'); do
        for dmp in fixtures/*.dmp; do
            { cat "$sym"; printf '\n@@DUMP@@\n'; cat "$dmp"; } \
                >"$1/$(basename "$dmp")+$(basename "$sym")"
        done
    done
    [ -d "$shared/corpus" ] || return 0
    for sym in $(find "$shared/corpus" -name '*.sym' -size -1024k); do
        src=$(echo "$sym" | sed "s|^$shared/corpus/||; s|/.*||")
        for dmp in $(find "$shared/corpus/$src" -maxdepth 1 \( -name '*.dmp' -o -name '*.mdmp' \) -size -512k); do
            out="$1/$(seed_name "$dmp")+$(basename "$sym")"
            { cat "$sym"; printf '\n@@DUMP@@\n'; cat "$dmp"; } >"$out"
        done
    done
}

# .sym seeds: every file whole, plus the first 64 KiB of each (small inputs
# mutate faster).
seed_sym() {
    for f in $(sym_files); do
        cp "$f" "$1/$(seed_name "$f")"
        head -c 65536 "$f" >"$1/$(seed_name "$f").head"
    done
}

# Postfix seeds: a word-size byte, then the rules of STACK CFI records or
# the program string of STACK WIN records.
seed_postfix() {
    n=0
    for f in $(sym_files); do
        grep -a -m 40 '^STACK CFI' "$f" | sed 's/^STACK CFI \(INIT [0-9a-f]* [0-9a-f]*\|[0-9a-f]*\) //' |
            while IFS= read -r line; do
                n=$((n + 1))
                { printf '\001'; printf '%s' "$line"; } >"$1/cfi-$(basename "$f")-$n"
            done
        grep -a -m 40 '^STACK WIN 4' "$f" | awk '{ s = ""; for (i = 13; i <= NF; i++) s = s (i > 13 ? " " : "") $i; print s }' |
            while IFS= read -r line; do
                n=$((n + 1))
                { printf '\000'; printf '%s' "$line"; } >"$1/win-$(basename "$f")-$n"
            done
    done
    printf '\001.cfa: $rsp 8 + .ra: .cfa -8 + ^\n$rbx: .cfa -16 + ^' >"$1/cfi-handmade"
    printf '\000$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =' >"$1/win-handmade"
}

# PE seeds: the images beside the Wine dumps, laid out as mapped (the
# harness reads by RVA, as images in dump memory are).
seed_pe() {
    [ -d "$shared/wine/images" ] || return 0
    command -v python3 >/dev/null || { echo "python3 missing: no PE seeds" >&2; return 0; }
    for f in $(find "$shared/wine/images" -type f); do
        python3 - "$f" "$1/$(basename "$f").mapped" <<'EOF'
import struct, sys
data = open(sys.argv[1], 'rb').read()
nt = struct.unpack_from('<I', data, 0x3c)[0]
nsec, optsize = struct.unpack_from('<H', data, nt + 6)[0], struct.unpack_from('<H', data, nt + 20)[0]
opt = nt + 24
size_of_image, size_of_headers = struct.unpack_from('<II', data, opt + 56)
img = bytearray(size_of_image)
img[:size_of_headers] = data[:size_of_headers]
for i in range(nsec):
    s = opt + optsize + 40 * i
    vsize, va, rawsize, rawptr = struct.unpack_from('<IIII', data, s + 8)
    n = min(rawsize, vsize or rawsize, max(0, size_of_image - va))
    img[va:va + n] = data[rawptr:rawptr + n]
open(sys.argv[2], 'wb').write(bytes(img))
EOF
    done
}

# Syscall seeds: a width byte (0 any, 1 x86, 2 x64), then stub bytes.
seed_syscall() {
    printf '\002\114\213\321\270\006\000\000\000\366\004\045\010\003\376\177\001\165\003\017\005\303\315\056\303' >"$1/x64-win10"
    printf '\002\114\213\321\270\063\000\000\000\017\005\303' >"$1/x64-win7"
    printf '\001\270\001\000\000\000\272\000\003\376\177\377\022\302\010\000' >"$1/x86-shared"
    printf '\001\270\004\000\000\000\272\060\141\061\167\377\322\302\010\000' >"$1/x86-call-edx"
    printf '\001\270\004\000\000\000\144\377\025\300\000\000\000\302\004\000' >"$1/wow64-fs"
}

make_seeds() {
    dir="$work/$1/seeds"
    [ -d "$dir" ] && return 0
    mkdir -p "$dir"
    case $1 in
    fuzz_dump | fuzz_memory) seed_dumps "$dir" ;;
    fuzz_walk) seed_walk "$dir" ;;
    fuzz_sym) seed_sym "$dir" ;;
    fuzz_postfix) seed_postfix "$dir" ;;
    fuzz_pe) seed_pe "$dir" ;;
    fuzz_syscall) seed_syscall "$dir" ;;
    esac
}

# ---- running -----------------------------------------------------------------

run_target() {
    t=$1
    d="$work/$t"
    mkdir -p "$d/corpus" "$d/crashes"
    # -rss_limit_mb: a harness that allocates out of proportion to its input
    # is a finding too.  -timeout: one input running 20 s is a hang (generous:
    # the runs share the machine).  Fork mode with -ignore_crashes: a finding
    # is saved and fuzzing goes on, so one bug does not hide the next.
    LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
    nice -n 10 "$build/tests/fuzz/$t" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
        -ignore_ooms=1 -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
        -max_len=1048576 -artifact_prefix="$d/crashes/" "$d/corpus" "$d/seeds" \
        >"$d/fuzz.log" 2>&1 || true
    summarize "$t"
}

summarize() {
    d="$work/$1"
    # Fork mode's progress lines: "#EXECS: cov: C ft: F corp: N ... time: Ts"
    last=$(grep -aE '^#[0-9]+: cov' "$d/fuzz.log" | tail -1)
    execs=$(echo "$last" | sed -n 's/^#\([0-9]*\):.*/\1/p')
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    crashes=$(ls "$d/crashes" | grep -cE '^(crash|leak|timeout|oom)-' || true)
    printf '%-13s execs %-10s cov %-6s ft %-7s corpus %-6s findings %s\n' "$1" "${execs:-?}" \
        "${cov:-?}" "${ft:-?}" "$(ls "$d/corpus" | wc -l)" "$crashes"
}

build_harnesses
for t in $targets; do
    [ -x "$build/tests/fuzz/$t" ] || { echo "no harness $t" >&2; exit 2; }
    make_seeds "$t"
done
running=0
for t in $targets; do
    run_target "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait
