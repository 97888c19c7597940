#!/bin/sh
# dumpwalk benchmarks on the shared corpus (Markdown tables on stdout; asserts nothing):
#  (a) open + parse every stream, in-process (tools/bench/bench_open.c), per dump
#  (b) `dumpwalk stack` vs Breakpad minidump_stackwalk on breakpad/minidump2.dmp: time, RSS
#  (c) the same over every corpus dump, vs Breakpad and LLDB 19 (ratios)
#  (d) peak RSS for a small dump, the largest one and a 1 GiB sparse dump derived from it
#
# usage: tools/bench/bench.sh [--runs N] [--small-runs N] [--open-iterations N] [--verbose]
# environment:
#   DW_BUILD   release build directory to use or create (default: build-release)
#   DW_SHARED  the shared/ directory (default: ../shared beside the repository)
#   DW_REFS    cache for the reference tools (default: $HOME/.cache/dumpwalk-refs)
#   TMPDIR     where the 1 GiB sparse dump is written (takes < 1 MiB of disk)
# Processes are timed by tools/bench/spawntime (built with the release build): wall time from
# posix_spawn to wait4, peak RSS from wait4, stdio on /dev/null; `true` gives the floor.
# Installs Breakpad (npm minidump@0.26.0), LLDB 19 (apt lldb-19) and, only if spawntime is
# missing, GNU time (apt time); a tool that cannot be installed is left out of the tables.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tools/compare/refs.sh"

build=${DW_BUILD:-$root/build-release}
shared=${DW_SHARED:-$root/../shared}
if [ ! -d "$shared/corpus/oracle" ]; then
    echo "bench: no corpus at $shared/corpus (set DW_SHARED); nothing to measure" >&2
    exit 0
fi

cd "$root"
dw_release_build "$build"
buildtype=$(python3 -c 'import json, sys
print(next(o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"))' \
    "$build/meson-info/intro-buildoptions.json" 2>/dev/null || echo unknown)
[ "$buildtype" = release ] ||
    echo "bench: note: $build is a '$buildtype' build, not release: figures will be slower" >&2
dw_install_refs
# GNU time is needed for peak RSS only when the runs are timed from Python (no spawntime).
[ -x "$build/tools/spawntime" ] || [ -x /usr/bin/time ] || dw_apt_install time ||
    echo "bench: GNU time missing: no RSS" >&2

set -- --corpus "$shared/corpus" --dumpwalk "$build/tools/dumpwalk" \
    --bench-open "$build/tools/bench_open" "$@"
# The precise timer (tools/bench/spawntime.c); without it the runs are timed from Python.
[ -x "$build/tools/spawntime" ] && set -- "$@" --spawntime "$build/tools/spawntime"
[ -n "$BREAKPAD_BIN" ] && set -- "$@" --breakpad-bin "$BREAKPAD_BIN"
[ -n "$LLDB" ] && set -- "$@" --lldb "$LLDB"
exec python3 "$here/bench.py" "$@"
