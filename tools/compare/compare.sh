#!/bin/sh
# Compare `dumpwalk stack` with Breakpad's minidump_stackwalk and LLDB 19 on every dump of the
# shared corpus: frames found, frame agreement (same pc at the same index), timing ratios.
#
# usage: tools/compare/compare.sh [--runs N] [--oracle] [--dump SUBSTRING]... [--json FILE]
#   --runs N     timed runs per tool and dump (median reported; default 5)
#   --oracle     do not install or run the reference tools: compare against the normalized
#                oracle files in shared/corpus/oracle (no timing)
#   --dump S     only dumps whose corpus path contains S (repeatable)
# environment:
#   DW_BUILD   release build directory to use or create (default: build-release)
#   DW_SHARED  the shared/ directory (default: ../shared beside the repository)
#   DW_REFS    cache for the reference tools (default: $HOME/.cache/dumpwalk-refs)
# Reference tools that cannot be installed are skipped, and their oracle files used instead.
# Runs are timed by tools/bench/spawntime (built with the release build; posix_spawn to wait4,
# stdio on /dev/null) and the same timer on `true` is printed as the fork + exec floor.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/refs.sh"

build=${DW_BUILD:-$root/build-release}
shared=${DW_SHARED:-$root/../shared}
if [ ! -d "$shared/corpus/oracle" ]; then
    echo "compare: no corpus at $shared/corpus (set DW_SHARED); nothing to compare" >&2
    exit 0
fi

oracle=0
for arg in "$@"; do
    [ "$arg" = "--oracle" ] && oracle=1
done

cd "$root"
dw_release_build "$build"

set -- --corpus "$shared/corpus" --dumpwalk "$build/tools/dumpwalk" "$@"
# The precise timer (tools/bench/spawntime.c); without it the runs are timed from Python.
[ -x "$build/tools/spawntime" ] && set -- "$@" --spawntime "$build/tools/spawntime"
if [ "$oracle" = 0 ]; then
    dw_install_refs
    [ -n "$BREAKPAD_BIN" ] && set -- "$@" --breakpad-bin "$BREAKPAD_BIN"
    [ -n "$LLDB" ] && set -- "$@" --lldb "$LLDB"
fi
exec python3 "$here/compare.py" "$@"
