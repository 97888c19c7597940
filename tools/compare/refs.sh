# Shared by tools/compare/compare.sh and tools/bench/bench.sh (sourced, POSIX sh).
#
# dw_install_refs: installs the reference tools into a cache outside the repository and sets
#   BREAKPAD_BIN  directory with Breakpad's prebuilt minidump_stackwalk / minidump_dump
#                 (npm package minidump@0.26.0, Breakpad 8988364b), or "" when unavailable
#   LLDB          the lldb-19 executable (Debian package lldb-19), or "" when unavailable
# These are the versions the oracle files in shared/corpus/oracle were made with.
# dw_release_build DIR: configures DIR as a release build if needed and builds it.
# dw_apt_install PKG...: apt-get install as root or through sudo; fails quietly.

DW_REFS=${DW_REFS:-${HOME:-/tmp}/.cache/dumpwalk-refs}
DW_BREAKPAD_NPM=minidump@0.26.0

dw_note() {
    echo "$*" >&2
}

dw_apt_install() {
    if [ "$(id -u)" = 0 ]; then
        dw_sudo=
    elif command -v sudo >/dev/null 2>&1; then
        dw_sudo="sudo -n"
    else
        return 1
    fi
    if [ -z "${DW_APT_UPDATED:-}" ]; then
        $dw_sudo apt-get update -qq >/dev/null 2>&1 || true
        DW_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $dw_sudo apt-get install -y -qq "$@" >/dev/null 2>&1
}

dw_install_breakpad() {
    BREAKPAD_BIN=$DW_REFS/node_modules/minidump/bin/linux-x64
    if [ -x "$BREAKPAD_BIN/minidump_stackwalk" ] && [ -x "$BREAKPAD_BIN/minidump_dump" ]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        dw_note "refs: npm not found; installing it from apt"
        dw_apt_install npm || true
    fi
    mkdir -p "$DW_REFS"
    # --ignore-scripts: the package ships the prebuilt binaries; its install script would try
    # to build Breakpad from source.
    if command -v npm >/dev/null 2>&1 &&
        (cd "$DW_REFS" && npm install --ignore-scripts --no-audit --no-fund --silent \
            "$DW_BREAKPAD_NPM" >/dev/null 2>&1) &&
        [ -x "$BREAKPAD_BIN/minidump_stackwalk" ]; then
        return 0
    fi
    dw_note "refs: could not install Breakpad ($DW_BREAKPAD_NPM via npm) into $DW_REFS"
    BREAKPAD_BIN=
}

dw_install_lldb() {
    LLDB=$(command -v lldb-19 || true)
    if [ -z "$LLDB" ]; then
        dw_apt_install lldb-19 || true
        LLDB=$(command -v lldb-19 || true)
    fi
    [ -n "$LLDB" ] || dw_note "refs: could not install LLDB 19 (apt package lldb-19)"
}

dw_install_refs() {
    dw_install_breakpad
    dw_install_lldb
}

dw_release_build() {
    if [ ! -f "$1/build.ninja" ]; then
        meson setup "$1" --buildtype=release >/dev/null
    fi
    ninja -C "$1" >/dev/null
}
