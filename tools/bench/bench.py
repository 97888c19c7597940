#!/usr/bin/env python3
"""dumpwalk benchmarks on the shared corpus; prints Markdown tables.  Measures, asserts nothing.

 (a) open + parse every stream (dw_dump_check_all), in-process, per dump (bench_open);
 (b) `dumpwalk stack` on breakpad/minidump2.dmp with breakpad/symbols vs Breakpad's
     minidump_stackwalk on the same: median wall time and peak RSS;
 (c) the same over every corpus dump, vs Breakpad and LLDB (ratios);
 (d) peak RSS for a small dump, the largest corpus dump and a 1 GiB dump derived from the
     largest x64 one (a sparse Memory64List appended), to show that memory use does not grow
     with the size of mapped input.

Processes are timed by tools/bench/spawntime (--spawntime; posix_spawn to wait4, peak RSS from
wait4, stdio on /dev/null) or, when it is not built, from Python with /usr/bin/time -v for RSS
(compare.Timer).  (b) and (c) also time `true`: the fork + exec floor of the machine.
"""

import argparse
import os
import statistics
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ inside the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "compare"))
import compare  # noqa: E402  (the tool runners and corpus listing are shared)

SMALL_DUMP = "breakpad/minidump2.dmp"
SMALL_SYMDIR = "breakpad/symbols"
SYNTHETIC_RANGES = 256
SYNTHETIC_RANGE_BYTES = 4 << 20  # 256 x 4 MiB = 1 GiB of captured memory
STREAM_MEMORY64_LIST = 9
STREAM_SYSTEM_INFO = 7
ARCH_AMD64 = 9  # MINIDUMP_SYSTEM_INFO.ProcessorArchitecture, PROCESSOR_ARCHITECTURE_AMD64


# ---------------------------------------------------------------------------------------------
# Measuring

def measure(args, argv, runs, rss_runs=3):
    """(median seconds, median peak RSS KiB, exit status) of `runs` runs in the corpus."""
    t = args.timer.measure(argv, runs, args.corpus, rss_runs=rss_runs)
    return t.seconds, t.rss_kib, t.rc


def peak_rss_kib(args, argv):
    """Peak RSS of one run (after a warm-up run); None when it cannot be measured."""
    return args.timer.measure(argv, 1, args.corpus, rss_runs=1).rss_kib


def dumpwalk_argv(args, dump, symdir):
    return compare.dumpwalk_argv(args.dumpwalk, dump, symdir, json_out=False)


def breakpad_argv(args, dump, symdir):
    return ([os.path.join(args.breakpad_bin, "minidump_stackwalk"), dump] +
            ([symdir] if symdir else []))


def lldb_argv(args, dump, symdir):
    """The same LLDB run as tools/compare: symbols loaded, `thread list` and `bt all`."""
    scripts = os.path.join(args.scratch, (symdir or "none").replace(os.sep, "_"))
    os.makedirs(scripts, exist_ok=True)
    script = compare.lldb_symbol_script(args.corpus, symdir, scripts)
    return [args.lldb, "--no-lldbinit", "--batch", "-c", dump,
            "-o", "command source -e false -s true %s" % script,
            "-o", "thread list", "-o", "bt all"]


def ms(s):
    return "-" if s is None else "%.2f" % (s * 1000.0)


def mib(kib):
    return "-" if kib is None else "%.1f" % (kib / 1024.0)


def ratio(a, b):
    return "-" if a is None or b is None or b <= 0 else "%.1fx" % (a / b)


def table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")
    print()


# ---------------------------------------------------------------------------------------------
# (a) open + parse

def bench_open(args, dumps):
    paths = [os.path.join(args.corpus, d) for d, _s, _o in dumps]
    out = subprocess.run([args.bench_open, "-n", str(args.open_iterations)] + paths,
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    rows = []
    for line in out.splitlines()[1:]:
        path, size, median_us, min_us, status = line.split("\t")
        rows.append((os.path.relpath(path, args.corpus), int(size), float(median_us),
                     float(min_us), status))
    print("## (a) open + parse every stream (dw_dump_check_all), in-process")
    print()
    print("Median of %d iterations per dump after one warm-up, process start-up excluded."
          % args.open_iterations)
    print()
    medians = [r[2] for r in rows]
    slowest = max(rows, key=lambda r: r[2])
    table(("dumps", "median of medians (us)", "mean (us)", "slowest dump", "slowest (us)",
           "dumps under 1 ms"),
          [(len(rows), "%.1f" % statistics.median(medians), "%.1f" % statistics.mean(medians),
            "%s (%d KiB)" % (slowest[0], slowest[1] // 1024), "%.1f" % slowest[2],
            "%d/%d" % (sum(1 for m in medians if m < 1000.0), len(rows)))])
    if args.verbose:
        table(("dump", "KiB", "median us", "min us", "status"),
              [(r[0], r[1] // 1024, "%.1f" % r[2], "%.1f" % r[3], r[4]) for r in rows])
    return rows


# ---------------------------------------------------------------------------------------------
# (b) one dump vs Breakpad

def bench_small(args):
    print("## (b) `dumpwalk stack` vs Breakpad minidump_stackwalk on %s (symbols: %s)"
          % (SMALL_DUMP, SMALL_SYMDIR))
    print()
    print("Median wall time of %d runs after one warm-up (text output to /dev/null), median "
          "peak RSS; the floor row is `true`, a process that does nothing." % args.small_runs)
    print()
    dw = measure(args, dumpwalk_argv(args, SMALL_DUMP, SMALL_SYMDIR), args.small_runs)
    rows = [("dumpwalk stack", ms(dw[0]), mib(dw[1]), "1.0x", "1.0x")]
    if args.breakpad_bin:
        bp = measure(args, breakpad_argv(args, SMALL_DUMP, SMALL_SYMDIR), args.small_runs)
        rows.append(("minidump_stackwalk", ms(bp[0]), mib(bp[1]), ratio(bp[0], dw[0]),
                     ratio(bp[1], dw[1])))
    else:
        rows.append(("minidump_stackwalk", "not installed", "-", "-", "-"))
    floor = args.timer.floor(args.small_runs)
    rows.append(("(floor: `true`)", ms(floor.seconds), mib(floor.rss_kib), "-", "-"))
    table(("tool", "median ms", "peak RSS MiB", "time vs dumpwalk", "RSS vs dumpwalk"), rows)
    print("Timer: %s." % args.timer.describe())
    print()


# ---------------------------------------------------------------------------------------------
# (c) every dump vs Breakpad and LLDB

def bench_corpus(args, dumps):
    print("## (c) stack walk of every corpus dump: dumpwalk vs Breakpad and LLDB")
    print()
    print("Per dump: median wall time of %d runs after one warm-up and peak RSS per tool, each "
          "with the dump's symbol store; ratio = reference / dumpwalk.  Dumps a tool rejects "
          "count too (they are part of the work)." % args.runs)
    print()
    floor_before = args.timer.floor(args.floor_runs)
    tools = [("dumpwalk", dumpwalk_argv)]
    if args.breakpad_bin:
        tools.append(("Breakpad", breakpad_argv))
    if args.lldb:
        tools.append(("LLDB", lldb_argv))
    results = {name: [] for name, _ in tools}
    for dump, symdir, _oracle in dumps:
        for name, make_argv in tools:
            results[name].append(measure(args, make_argv(args, dump, symdir), args.runs,
                                         rss_runs=1))
        print("timed %s" % dump, file=sys.stderr)
    dw = results["dumpwalk"]
    rows = []
    for name, _ in tools:
        res = results[name]
        secs = [r[0] for r in res]
        rss = [r[1] for r in res if r[1] is not None]
        ratios = [r[0] / d[0] for r, d in zip(res, dw) if d[0] > 0]
        rows.append((name, "%.1f" % (sum(secs) * 1000), "%.2f" % (statistics.median(secs) * 1000),
                     ratio(sum(secs), sum(d[0] for d in dw)),
                     "%.1fx" % compare.geomean(ratios) if ratios else "-",
                     "%.1fx / %.1fx" % (min(ratios), max(ratios)) if ratios else "-",
                     mib(statistics.median(rss) if rss else None), mib(max(rss) if rss else None),
                     sum(1 for r in res if r[2] != 0)))
    floor_after = args.timer.floor(args.floor_runs)
    table(("tool", "total ms", "median ms/dump", "total vs dumpwalk", "geomean ratio",
           "min / max ratio", "median RSS MiB", "max RSS MiB", "dumps exit != 0"), rows)
    print("Floor: the same timer on `true` (a process that does nothing): %s ms before the dumps, "
          "%s ms after (median of %d runs each), peak RSS %s MiB; times %d dumps x floor = %s ms "
          "of every tool's total."
          % (ms(floor_before.seconds), ms(floor_after.seconds), floor_before.runs,
             mib(floor_before.rss_kib), len(dumps),
             "-" if floor_before.seconds is None else "%.1f" % (
                 len(dumps) * floor_before.seconds * 1000)))
    print()
    missing = [n for n in ("Breakpad", "LLDB") if n not in results]
    if missing:
        print("Not installed, skipped: %s." % ", ".join(missing))
        print()


# ---------------------------------------------------------------------------------------------
# (d) RSS vs dump size

def read_directory(data):
    """(type, size, rva) of each directory entry that lies inside the file (the corpus has
    truncated and fuzzed dumps)."""
    if len(data) < 32 or data[:4] != b"MDMP":
        return []
    count, rva = struct.unpack_from("<II", data, 8)
    count = min(count, max(0, (len(data) - rva) // 12))
    return [struct.unpack_from("<III", data, rva + 12 * i) for i in range(count)]


def is_amd64(data):
    for stype, size, rva in read_directory(data):
        if stype == STREAM_SYSTEM_INFO and size >= 2 and rva + 2 <= len(data):
            return struct.unpack_from("<H", data, rva)[0] == ARCH_AMD64
    return False


def write_synthetic(source, path):
    """Copy `source` and append a Memory64List of SYNTHETIC_RANGES ranges whose bytes are a hole
    in a sparse file: the file is ~1 GiB long but takes no disk space, and a reader that maps it
    (rather than reading it in) never touches those pages unless asked for that memory.
    Layout per the MINIDUMP_MEMORY64_LIST format: count, BaseRva, then (start, size) pairs whose
    bytes follow one another from BaseRva."""
    with open(source, "rb") as f:
        data = bytearray(f.read())
    entries = [e for e in read_directory(data) if e[0] != STREAM_MEMORY64_LIST]
    dir_rva = (len(data) + 7) & ~7
    list_rva = (dir_rva + 12 * (len(entries) + 1) + 7) & ~7
    list_size = 16 + 16 * SYNTHETIC_RANGES
    base_rva = (list_rva + list_size + 4095) & ~4095
    entries.append((STREAM_MEMORY64_LIST, list_size, list_rva))
    data.extend(b"\0" * (dir_rva - len(data)))
    for entry in entries:
        data.extend(struct.pack("<III", *entry))
    data.extend(b"\0" * (list_rva - len(data)))
    data.extend(struct.pack("<QQ", SYNTHETIC_RANGES, base_rva))
    for i in range(SYNTHETIC_RANGES):
        # Far above the process's own regions (x64 user space), one range after another.
        data.extend(struct.pack("<QQ", 0x100000000000 + i * SYNTHETIC_RANGE_BYTES,
                                SYNTHETIC_RANGE_BYTES))
    struct.pack_into("<II", data, 8, len(entries), dir_rva)
    with open(path, "wb") as f:
        f.write(data)
        f.truncate(base_rva + SYNTHETIC_RANGES * SYNTHETIC_RANGE_BYTES)


def bench_rss(args, dumps, open_rows):
    print("## (d) peak RSS vs dump size (mapped input)")
    print()
    sizes = {d: os.path.getsize(os.path.join(args.corpus, d)) for d, _s, _o in dumps}
    symdirs = {d: s for d, s, _o in dumps}
    largest = max(sizes, key=sizes.get)
    amd64 = [d for d in sorted(sizes, key=sizes.get, reverse=True)
             if is_amd64(open(os.path.join(args.corpus, d), "rb").read())]
    open_us = {r[0]: r[2] for r in open_rows}
    with tempfile.TemporaryDirectory(prefix="dw-bench-", dir=args.tmpdir) as tmp:
        cases = [(SMALL_DUMP, SMALL_DUMP, SMALL_SYMDIR), (largest, largest, symdirs[largest])]
        if amd64:
            synthetic = os.path.join(tmp, "synthetic-1GiB.dmp")
            write_synthetic(os.path.join(args.corpus, amd64[0]), synthetic)
            sizes[synthetic] = os.path.getsize(synthetic)
            cases.append(("%s + 1 GiB Memory64List (sparse)" % amd64[0], synthetic,
                          symdirs[amd64[0]]))
            out = subprocess.run([args.bench_open, "-n", "20", synthetic],
                                 stdout=subprocess.PIPE).stdout.decode().splitlines()
            if len(out) > 1:
                open_us[synthetic] = float(out[1].split("\t")[2])
        # What the process costs before it reads any dump: loader, shared libraries.
        rows = [["(no dump: `dumpwalk --version`)", "-", "-",
                 mib(peak_rss_kib(args, [args.dumpwalk, "--version"])), "-", "-"],
                ["(floor: `true`, a process that does nothing)", "-", "-",
                 mib(args.timer.floor(3).rss_kib), "-", "-"]]
        for label, path, symdir in cases:
            row = [label, "%.1f" % (sizes[path] / 1048576.0),
                   "%.1f" % open_us[path] if path in open_us else "-"]
            for make_argv, enabled in ((dumpwalk_argv, True), (breakpad_argv, args.breakpad_bin),
                                       (lldb_argv, args.lldb)):
                rss = peak_rss_kib(args, make_argv(args, path, symdir)) if enabled else None
                row.append(mib(rss))
            rows.append(row)
    table(("dump", "MiB", "open+parse us", "dumpwalk stack RSS MiB", "Breakpad RSS MiB",
           "LLDB RSS MiB"), rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--dumpwalk", required=True)
    ap.add_argument("--bench-open", required=True)
    ap.add_argument("--breakpad-bin")
    ap.add_argument("--lldb")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per dump and tool in (c)")
    ap.add_argument("--small-runs", type=int, default=21, help="timed runs in (b)")
    ap.add_argument("--open-iterations", type=int, default=200, help="iterations in (a)")
    ap.add_argument("--tmpdir", help="where to write the synthetic 1 GiB sparse dump")
    ap.add_argument("--verbose", action="store_true", help="per-dump table for (a)")
    ap.add_argument("--spawntime", help="tools/bench/spawntime executable (the precise timer); "
                    "without it runs are timed from Python and RSS comes from /usr/bin/time")
    ap.add_argument("--floor-runs", type=int, default=21,
                    help="runs of `true` for the fork + exec floor in (c)")
    args = ap.parse_args()
    args.timer = compare.Timer(args.spawntime)
    args.corpus = os.path.abspath(args.corpus)
    args.dumpwalk = os.path.abspath(args.dumpwalk)
    args.bench_open = os.path.abspath(args.bench_open)

    dumps = compare.corpus_dumps(args.corpus)
    if not args.timer.spawntime and not os.path.exists("/usr/bin/time"):
        print("(neither spawntime nor /usr/bin/time: no RSS figures)\n")
    with tempfile.TemporaryDirectory(prefix="dw-bench-scripts-") as scratch:
        args.scratch = scratch
        open_rows = bench_open(args, dumps)
        bench_small(args)
        bench_corpus(args, dumps)
        bench_rss(args, dumps, open_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
