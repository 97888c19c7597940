#!/bin/sh
# Time the pathological-but-valid inputs of tests/pathological.h (62,000
# memory ranges, 10,000 threads, a stack full of return addresses, frame
# pointer loops) in a release build: a Markdown table on stdout.
# usage: tools/bench/pathological.sh [RUNS]
# environment: DW_BUILD (default build-release, created if missing)
set -eu
cd "$(dirname "$0")/../.."
build=${DW_BUILD:-build-release}
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" --buildtype=release >/dev/null
fi
ninja -C "$build" tests/pathological_bench >/dev/null
exec "$build/tests/pathological_bench" "${1:-3}"
