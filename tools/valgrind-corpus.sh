#!/bin/sh
# valgrind memcheck of the dumpwalk CLI over every dump we have: the
# fixtures, ../shared/corpus and the Wine dumps; every command, text and
# --json; `stack` and `callbacks` also with the Breakpad symbols of the
# fixtures and the corpus (--symbols) and, for the Wine dumps, the PE images
# (--images); `batch` over the whole corpus.  Pass = zero memcheck errors
# and zero leaks of any kind (definite, indirect, possible, still reachable)
# in every run.
#
# usage: tools/valgrind-corpus.sh
# environment: DW_VALGRIND_BUILD (default build-valgrind: a plain,
# unsanitized build made here), DW_VALGRIND_JOBS (runs at once, default 2),
# DW_SHARED (default ../shared).  Logs of failing runs go to
# $DW_VALGRIND_BUILD/valgrind-logs/.  Exit status 1 when any run failed.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
build=${DW_VALGRIND_BUILD:-build-valgrind}
jobs=${DW_VALGRIND_JOBS:-2}
shared=${DW_SHARED:-$root/../shared}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }

if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" -Db_sanitize=none -Dtests=false >/dev/null
fi
ninja -C "$build" >/dev/null
cli="$root/$build/tools/dumpwalk"
logs="$root/$build/valgrind-logs"
rm -rf "$logs"
mkdir -p "$logs"

# One line per run: the CLI's arguments.
runs="$root/$build/valgrind-runs.txt"
: >"$runs"
add_runs() { # DUMP [extra options for stack/callbacks]
    dump=$1
    shift
    for cmd in info streams threads modules memory stack callbacks; do
        echo "$cmd $dump" >>"$runs"
        echo "$cmd --json $dump" >>"$runs"
    done
    if [ $# -gt 0 ]; then
        for cmd in stack callbacks; do
            echo "$cmd $* $dump" >>"$runs"
            echo "$cmd --json $* $dump" >>"$runs"
        done
    fi
}
for f in fixtures/*.dmp; do add_runs "$root/$f" --symbols "$root/fixtures/symbols"; done
if [ -d "$shared/corpus" ]; then
    for f in $(find "$shared/corpus" \( -name '*.dmp' -o -name '*.mdmp' \) \
               -not -path '*/oracle/*' -not -path '*/expected/*' | sort); do
        src=$(echo "$f" | sed "s|^$shared/corpus/||; s|/.*||")
        if [ -d "$shared/corpus/$src/symbols" ]; then
            add_runs "$f" --symbols "$shared/corpus/$src/symbols"
        else
            add_runs "$f"
        fi
    done
    echo "batch --jobs 2 $shared/corpus" >>"$runs"
fi
if [ -d "$shared/wine" ]; then
    for f in "$shared"/wine/*.dmp "$shared"/wine/*.dmp.gz; do
        [ -f "$f" ] && add_runs "$f" --images "$shared/wine/images"
    done
fi

# Each run: valgrind's exit code 99 (or anything in its log) means errors or
# leaks; the CLI's own 0/1/2 are all fine here (damaged corpus dumps exit 1
# or 2 by design).  Arguments are split on blanks: no path here has any.
results="$root/$build/valgrind-results.txt"
start=$(date +%s)
# shellcheck disable=SC2016
tr '\n' '\0' <"$runs" | xargs -0 -P "$jobs" -I{} sh -c '
    log="$0/run-$(echo "$1" | cksum | cut -d" " -f1).log"
    rc=0
    valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
        --error-exitcode=99 --log-file="$log" "$2" $1 >/dev/null 2>&1 || rc=$?
    if [ "$rc" -eq 99 ] || [ -s "$log" ]; then
        echo "FAIL: dumpwalk $1 (log: $log)"
    else
        rm -f "$log"
        echo ok
    fi' "$logs" {} "$cli" >"$results"
total=$(wc -l <"$results")
failed=$(grep -c '^FAIL' "$results" || true)
grep '^FAIL' "$results" || true
echo "valgrind memcheck: $total runs of dumpwalk, $failed with errors or leaks," \
     "$(($(date +%s) - start)) s"
[ "$failed" -eq 0 ]
