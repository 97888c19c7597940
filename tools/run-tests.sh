#!/bin/sh
# Build dumpwalk and run the whole test suite (Check suites + CLI tests).
# usage: tools/run-tests.sh [BUILD_DIR [meson setup options...]]
# The last line printed is the Check runner's summary.
set -eu
cd "$(dirname "$0")/.."
builddir=${1:-build}
[ $# -gt 0 ] && shift
if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" "$@" >/dev/null
fi
ninja -C "$builddir"
status=0
meson test -C "$builddir" --print-errorlogs || status=$?
log="$builddir/meson-logs/testlog.txt"
# Sanitizer reports fail the run even if a test forgot to.
if grep -qE "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:" "$log"; then
    echo "sanitizer report found in $log" >&2
    status=1
fi
grep -hE "^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+" "$log" | tail -1
exit $status
