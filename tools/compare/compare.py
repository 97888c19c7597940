#!/usr/bin/env python3
"""Compare `dumpwalk stack` with Breakpad's minidump_stackwalk and LLDB on the shared corpus.

For every dump listed in <corpus>/oracle/**/meta.txt this runs dumpwalk, Breakpad and LLDB (each
with the dump's Breakpad symbol store, meta.txt `symdir`), and prints per dump and overall:

  - frames found by each tool (inline frames left out: Breakpad and LLDB list them as frames of
    their own, the minidump-stackwalk JSON schema nests them in `inlines`);
  - frame agreement: frames of the reference tool for which dumpwalk has the same pc at the same
    index of the same thread (threads are matched by thread id: Breakpad skips its own dump
    thread, so indices would not line up);
  - timing: median wall time of N runs per tool, and how many times slower each reference is;
    runs are timed by tools/bench/spawntime when it is built (see Timer), and the same timer on
    `true` gives the machine's fork + exec floor, printed with the table.

pc convention: Breakpad and LLDB give the return address for caller frames; the
minidump-stackwalk JSON `offset` of a caller frame is the return address minus one.  A caller
frame therefore agrees when dumpwalk's offset is the reference pc or the reference pc - 1.

When a reference tool is not available (not installed, or --oracle) its frames come from the
normalized oracle files <corpus>/oracle/.../{bp,lldb}.sym.norm.txt made with the same tool
versions, and it has no timing.  This is a measuring script, not a test: it asserts nothing.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TIMEOUT_S = 60

# Frames that are not a physical frame: Breakpad's "Found by: inline record", LLDB's
# "[inlined]"/"[artificial]" markers, and the oracle's trust=inline/artificial.
NON_PHYSICAL = {"inline", "artificial"}


class Walk:
    """One tool's result on one dump: {tid: [(pc, trust), ...]} or a failure reason."""

    def __init__(self, threads=None, error=None, timing=None, source="live"):
        self.threads = threads or {}
        self.error = error
        self.seconds = timing.seconds if timing else None  # median wall time, None: not measured
        self.rss_kib = timing.rss_kib if timing else None  # median peak RSS
        self.source = source    # "live" or "oracle"

    def frame_count(self):
        return sum(len(f) for f in self.threads.values())


# ---------------------------------------------------------------------------------------------
# Running and timing a command

class Timing:
    """One command measured `runs` times: exit status, stdout (of the capture run, when asked
    for), median wall seconds and median peak RSS KiB (None when not measured)."""

    def __init__(self, rc, out, seconds, rss_kib, runs):
        self.rc = rc
        self.out = out
        self.seconds = seconds
        self.rss_kib = rss_kib
        self.runs = runs


def run(argv, cwd=None):
    """Run argv once; returns (returncode, stdout text, seconds).  Timeouts give rc 124."""
    start = time.perf_counter()
    try:
        p = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=TIMEOUT_S)
        rc, out = p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        rc, out = 124, ""
    return rc, out, time.perf_counter() - start


class Timer:
    """Times commands with tools/bench/spawntime (posix_spawn to wait4, peak RSS from wait4,
    stdio on /dev/null) when it is built, else with subprocess.run + perf_counter, which adds
    about a millisecond of Python to every run, and /usr/bin/time -v for peak RSS.

    Every series starts with one untimed run: the capture run when the output is wanted (stdout
    to a file, a normal run of the tool), else a warm-up run with stdout to /dev/null."""

    def __init__(self, spawntime=None):
        self.spawntime = spawntime if spawntime and os.access(spawntime, os.X_OK) else None

    def describe(self):
        if self.spawntime:
            return ("spawntime: posix_spawn to wait4, CLOCK_MONOTONIC; peak RSS = wait4 "
                    "ru_maxrss; stdin/stdout/stderr of timed runs on /dev/null")
        return ("Python subprocess.run + perf_counter (spawntime not built: every figure "
                "includes ~1 ms of Python); peak RSS from /usr/bin/time -v")

    def measure(self, argv, runs, cwd=None, capture=False, rss_runs=3):
        """Timing of argv: median of `runs` timed runs after one untimed run (the capture run
        whose stdout is returned when capture is true).  rss_runs: runs under /usr/bin/time for
        the peak RSS in the fallback (spawntime measures it in the timed runs at no cost)."""
        if self.spawntime:
            return self._spawntime(argv, max(1, runs), cwd, capture)
        return self._python(argv, max(1, runs), cwd, capture, rss_runs)

    def floor(self, runs):
        """The same measurement of a process that does nothing: the fork + exec + wait floor
        every tool pays on this machine."""
        return self.measure([shutil.which("true") or "/bin/true"], runs)

    def _spawntime(self, argv, runs, cwd, capture):
        with tempfile.NamedTemporaryFile(prefix="dw-capture-") as out:
            cmd = [self.spawntime, "-n", str(runs), "-t", str(TIMEOUT_S)]
            cmd += ["-o", out.name] if capture else ["-w", "1"]
            cmd += (["-C", cwd] if cwd else []) + ["--"] + argv
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if p.returncode != 0:
                raise RuntimeError("spawntime failed: %s" % p.stderr.decode().strip())
            rep = json.loads(p.stdout)
            text = out.read().decode("utf-8", "replace") if capture else ""
        rc = rep["capture_status"] if capture else (rep["status"] or [124])[-1]
        if rep["timed_out"]:
            rc = 124
        secs = rep["median_wall_ns"]
        return Timing(rc, text, None if secs is None else secs / 1e9, rep["median_maxrss_kib"],
                      rep["runs"])

    def _python(self, argv, runs, cwd, capture, rss_runs):
        rc, out, _ = run(argv, cwd)
        times = []
        for _ in range(runs):
            rc_timed, _out, secs = run(argv, cwd)
            times.append(secs)
            rc = rc if capture else rc_timed
        peaks = [k for k in (peak_rss_kib(argv, cwd) for _ in range(rss_runs))
                 if k is not None]
        return Timing(rc, out if capture else "", statistics.median(times),
                      statistics.median(peaks) if peaks else None, runs)


def peak_rss_kib(argv, cwd):
    """Peak RSS of one run, from /usr/bin/time -v; None when it cannot be measured."""
    if not os.access("/usr/bin/time", os.X_OK):
        return None
    with tempfile.NamedTemporaryFile(prefix="dw-time-", mode="r") as report:
        try:
            subprocess.run(["/usr/bin/time", "-v", "-o", report.name] + argv, cwd=cwd,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired):
            return None
        for line in report.read().splitlines():
            if "Maximum resident set size" in line:
                return int(line.rsplit(":", 1)[1])
    return None


# ---------------------------------------------------------------------------------------------
# Corpus

def corpus_dumps(corpus, only=None):
    """[(dump relative path, symdir relative path or None, oracle dir)] sorted by dump path."""
    dumps = []
    oracle = os.path.join(corpus, "oracle")
    for root, _dirs, files in os.walk(oracle):
        if "meta.txt" not in files:
            continue
        meta = {}
        with open(os.path.join(root, "meta.txt"), encoding="utf-8") as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition("\t")
                meta[key] = value
        if "dump" not in meta or (only and not any(s in meta["dump"] for s in only)):
            continue
        symdir = meta.get("symdir")
        dumps.append((meta["dump"], None if symdir in (None, "", "none") else symdir, root))
    return sorted(dumps)


# ---------------------------------------------------------------------------------------------
# dumpwalk (JSON, minidump-stackwalk schema)

def dumpwalk_argv(exe, dump, symdir, json_out=True):
    argv = [exe, "stack"] + (["--json"] if json_out else [])
    if symdir:
        argv += ["--symbols", symdir]
    return argv + [dump]


def parse_dumpwalk_json(text):
    doc = json.loads(text)
    threads = {}
    for t in doc.get("threads") or []:
        tid = t.get("thread_id")
        if tid is None:
            continue
        frames = []
        for fr in t.get("frames") or []:
            try:
                frames.append((int(fr["offset"], 16), fr.get("trust") or "-"))
            except (KeyError, TypeError, ValueError):
                frames.append((None, fr.get("trust") or "-"))
        threads[int(tid)] = frames
    return threads


def walk_dumpwalk(timer, exe, corpus, dump, symdir, runs):
    t = timer.measure(dumpwalk_argv(exe, dump, symdir), runs, cwd=corpus, capture=True,
                      rss_runs=0)
    # Exit 1 means "damage reported" and still comes with a full report.
    try:
        return Walk(parse_dumpwalk_json(t.out), None if t.rc in (0, 1) else "exit %d" % t.rc, t)
    except ValueError:
        return Walk(error="exit %d, no JSON" % t.rc, timing=t)


# ---------------------------------------------------------------------------------------------
# Breakpad minidump_stackwalk (human output: the only one with absolute pcs)

BP_TRUST = {
    "given as instruction pointer in context": "context",
    "call frame info": "cfi",
    "call frame info with scanning": "cfi_scan",
    "previous frame's frame pointer": "fp",
    "stack scanning": "scan",
    "simulating a return from leaf function": "leaf",
    "inline record": "inline",
    "recovered by external stack walker": "prewalked",
}
BP_THREAD = re.compile(r"^Thread (\d+)")
BP_FRAME = re.compile(r"^ ?(\d+)  \S")
BP_PC = re.compile(r"\b(?:eip|rip|pc) = (0x[0-9a-fA-F]+)")
BP_FOUND = re.compile(r"^\s+Found by: (.*)$")


def breakpad_thread_ids(minidump_dump, dump, corpus):
    """Thread ids in the order minidump_stackwalk numbers them: thread-list order without the
    Breakpad client's own dump thread (MDRawBreakpadInfo dump_thread_id)."""
    _rc, out, _ = run([minidump_dump, dump], cwd=corpus)
    tids, skipped, in_thread = [], None, False
    for line in out.splitlines():
        if line == "MDRawThread":
            in_thread = True
        elif in_thread and line.strip().startswith("thread_id"):
            tids.append(int(line.split("=")[1], 16))
            in_thread = False
        elif line.strip().startswith("dump_thread_id"):
            value = line.split("=")[1].strip()
            if value.startswith("0x"):
                skipped = int(value, 16)
    return [t for t in tids if t != skipped]


def parse_breakpad(text, tids):
    threads, frames = {}, None
    pc, trust = None, "-"

    def flush():
        if frames is not None and (pc is not None or trust != "-"):
            frames.append((pc, trust))

    for line in text.splitlines():
        m = BP_THREAD.match(line)
        if m:
            flush()
            pc, trust = None, "-"
            index = int(m.group(1))
            frames = threads.setdefault(tids[index] if index < len(tids) else -1 - index, [])
            continue
        if frames is None:
            continue
        if BP_FRAME.match(line):
            flush()
            pc, trust = None, "-"
        elif line and not line.startswith(" "):
            flush()
            frames, pc, trust = None, None, "-"  # "Loaded modules:" and the like
        else:
            m = BP_PC.search(line)
            if m:
                pc = int(m.group(1), 16)
            m = BP_FOUND.match(line)
            if m:
                trust = BP_TRUST.get(m.group(1), m.group(1))
    flush()
    return {tid: [f for f in fr if f[1] not in NON_PHYSICAL] for tid, fr in threads.items()}


def walk_breakpad(timer, bindir, corpus, dump, symdir, runs):
    argv = [os.path.join(bindir, "minidump_stackwalk"), dump] + ([symdir] if symdir else [])
    t = timer.measure(argv, runs, cwd=corpus, capture=True, rss_runs=0)
    if t.rc != 0:
        return Walk(error="exit %d" % t.rc, timing=t)
    tids = breakpad_thread_ids(os.path.join(bindir, "minidump_dump"), dump, corpus)
    return Walk(parse_breakpad(t.out, tids), timing=t)


# ---------------------------------------------------------------------------------------------
# LLDB

# LLDB prints Windows thread ids in hex and Linux/macOS ones in decimal.
LLDB_TID = re.compile(r"thread #(\d+): tid = (0x[0-9a-fA-F]+|\d+)")
LLDB_THREAD = re.compile(r"^[* ] thread #(\d+)")
LLDB_FRAME = re.compile(r"^\s+(?:\* )?frame #(\d+): (0x[0-9a-fA-F]+)(.*)$")


def lldb_symbol_script(corpus, symdir, directory):
    """A command file adding every .sym of the store in the standard layout
    (<debug file>/<id>/<debug file without .pdb>.sym); `command source -e false` runs it so a
    file that matches no module of this dump does not stop the batch."""
    path = os.path.join(directory, "symbols.lldb")
    with open(path, "w", encoding="utf-8") as out:
        if symdir:
            store = os.path.join(corpus, symdir)
            for root, _dirs, files in os.walk(store):
                rel = os.path.relpath(root, store).split(os.sep)
                if len(rel) != 2:
                    continue
                want = re.sub(r"\.pdb$", "", rel[0], flags=re.I) + ".sym"
                for name in files:
                    if name == want:
                        out.write('target symbols add "%s"\n' % os.path.join(root, name))
    return path


def parse_lldb(text):
    index_to_tid = {int(m.group(1)): int(m.group(2), 0) for m in LLDB_TID.finditer(text)}
    threads, frames = {}, None
    in_bt = False
    for line in text.splitlines():
        if line.startswith("(lldb) "):
            in_bt = line.startswith("(lldb) bt")
            frames = None
            continue
        if not in_bt:
            continue
        m = LLDB_THREAD.match(line)
        if m:
            index = int(m.group(1))
            frames = threads.setdefault(index_to_tid.get(index, -index), [])
            continue
        m = LLDB_FRAME.match(line)
        if m and frames is not None:
            rest = m.group(3)
            trust = "inline" if "[inlined]" in rest else "artificial" if "[artificial]" in rest \
                else "-"
            if trust == "-":
                frames.append((int(m.group(2), 16), trust))
    return threads


def walk_lldb(timer, lldb, corpus, dump, symdir, runs):
    with tempfile.TemporaryDirectory(prefix="dw-lldb-") as tmp:
        script = lldb_symbol_script(corpus, symdir, tmp)
        argv = [lldb, "--no-lldbinit", "--batch", "-c", dump,
                "-o", "command source -e false -s true %s" % script,
                "-o", "thread list", "-o", "bt all"]
        t = timer.measure(argv, runs, cwd=corpus, capture=True, rss_runs=0)
    # A core LLDB loads but that has no thread makes `bt all` fail: that is a walk of zero
    # threads, not a failure to read the dump.
    if "was loaded" not in t.out:
        return Walk(error="exit %d, core not loaded" % t.rc, timing=t)
    return Walk(parse_lldb(t.out), timing=t)


# ---------------------------------------------------------------------------------------------
# Oracle fallback

ORACLE_FRAME = re.compile(r"^frame\tt=(0x[0-9a-f]+)\tn=\d+\tpc=(0x[0-9a-f]+).*\ttrust=([^\t]*)")


def walk_oracle(oracle_dir, tool):
    path = os.path.join(oracle_dir, "%s.sym.norm.txt" % tool)
    if not os.path.exists(path):
        return Walk(error="no oracle file", source="oracle")
    threads, error = {}, None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("thread\t"):
                tid = re.search(r"\ttid=(0x[0-9a-f]+)", line)
                if tid and "skipped=" not in line:
                    threads.setdefault(int(tid.group(1), 16), [])
            elif line.startswith("error\t") and error is None:
                error = line.split("\t", 2)[-1].strip()[:60]
            m = ORACLE_FRAME.match(line)
            if m and m.group(3) not in NON_PHYSICAL:
                threads.setdefault(int(m.group(1), 16), []).append((int(m.group(2), 16),
                                                                    m.group(3)))
    if not threads and error:
        return Walk(error=error, source="oracle")
    return Walk(threads, source="oracle")


# ---------------------------------------------------------------------------------------------
# Comparison

def same_pc(dw_pc, index, ref_pc):
    if dw_pc is None or ref_pc is None:
        return False
    return dw_pc == ref_pc or (index > 0 and dw_pc + 1 == ref_pc)


def agreement(dw, ref):
    """(same, compared, threads identical, threads prefix, threads differ, anywhere) over the
    threads both walked; `compared` is the reference's frame count on those threads, `anywhere`
    the reference frames whose pc dumpwalk has at any index of that thread (one frame inserted
    or skipped shifts every later index; this count shows whether the frames are still found)."""
    same = compared = identical = prefix = differ = anywhere = 0
    for tid, ref_frames in ref.threads.items():
        if tid not in dw.threads:
            continue
        dw_frames = dw.threads[tid]
        compared += len(ref_frames)
        common = min(len(dw_frames), len(ref_frames))
        matches = [same_pc(dw_frames[k][0], k, ref_frames[k][0]) for k in range(common)]
        same += sum(matches)
        dw_pcs = {pc for pc, _ in dw_frames if pc is not None}
        anywhere += sum(1 for pc, _ in ref_frames
                        if pc in dw_pcs or (pc is not None and pc - 1 in dw_pcs))
        if all(matches) and len(dw_frames) == len(ref_frames):
            identical += 1
        elif all(matches):
            prefix += 1
        else:
            differ += 1
    return same, compared, identical, prefix, differ, anywhere


def fmt_ms(s, digits=1):
    return "-" if s is None else "%.*f" % (digits, s * 1000.0)


def fmt_mib(kib):
    return "-" if kib is None else "%.1f" % (kib / 1024.0)


def fmt_ratio(ref, dw):
    if ref.seconds is None or dw.seconds is None or dw.seconds <= 0 or ref.error or dw.error:
        return "-"
    return "%.1fx" % (ref.seconds / dw.seconds)


def fmt_agree(dw, ref):
    if ref.error:
        return "ref failed"
    if dw.error:
        return "dw failed"
    same, compared, _i, _p, _d, anywhere = agreement(dw, ref)
    return "%d/%d (%d)" % (same, compared, anywhere)


def geomean(values):
    values = [v for v in values if v > 0]
    if not values:
        return None
    product = 1.0
    for v in values:
        product *= v
    return product ** (1.0 / len(values))


def floor_line(timer, floors):
    """The fork + exec floor measured before and after the dumps (load drifts on a shared
    machine), so a reader can see how much of a small dump's time is process start-up."""
    before, after = floors
    return ("Floor: the same timer on `true` (a process that does nothing): %s ms before the "
            "dumps, %s ms after (median of %d runs each), peak RSS %s MiB.  Timer: %s."
            % (fmt_ms(before.seconds, 2), fmt_ms(after.seconds, 2), before.runs,
               fmt_mib(before.rss_kib), timer.describe()))


def print_table(rows, totals, sources, runs, floor):
    print("Frames: physical frames found (inline frames left out). Agree: reference frames for")
    print("which dumpwalk has the same pc at the same index of the same thread id; in brackets:")
    print("those whose pc dumpwalk has at any index of that thread.")
    print("ms: median wall time of %d run(s); ratio: reference time / dumpwalk time." % runs)
    print(floor)
    print("Breakpad results: %s; LLDB results: %s." % (sources["bp"], sources["lldb"]))
    print()
    header = ("dump", "dw", "bp", "lldb", "agree bp", "agree lldb", "dw ms", "bp ms",
              "lldb ms", "bp/dw", "lldb/dw")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, dw, bp, ll in rows:
        def frames(w):
            return "fail" if w.error else str(w.frame_count())
        cells = (name, frames(dw), frames(bp), frames(ll), fmt_agree(dw, bp), fmt_agree(dw, ll),
                 fmt_ms(dw.seconds), fmt_ms(bp.seconds), fmt_ms(ll.seconds),
                 fmt_ratio(bp, dw), fmt_ratio(ll, dw))
        print("| " + " | ".join(cells) + " |")
    print()
    for line in totals:
        print(line)


def overall(rows):
    lines = []
    n = len(rows)
    lines.append("Overall (%d dumps):" % n)
    for key, label in (("bp", "Breakpad"), ("lldb", "LLDB")):
        pick = (lambda r: r[2]) if key == "bp" else (lambda r: r[3])
        both = [(r[1], pick(r)) for r in rows if not r[1].error and not pick(r).error]
        sums = [agreement(dw, ref) for dw, ref in both]
        same = sum(s[0] for s in sums)
        compared = sum(s[1] for s in sums)
        ident, pref, diff, anywhere = (sum(s[i] for s in sums) for i in (2, 3, 4, 5))
        pct = 100.0 * same / compared if compared else 0.0
        pct_any = 100.0 * anywhere / compared if compared else 0.0
        lines.append("  vs %-8s: %d/%d reference frames agree (%.1f%%) at the same index, %d "
                     "(%.1f%%) at any index, on %d dumps both walked; threads identical %d, "
                     "prefix %d, differ %d"
                     % (label, same, compared, pct, anywhere, pct_any, len(both), ident, pref,
                        diff))
        lines.append("  frames found: dumpwalk %d, %s %d (dumps both walked); %s failed on %d, "
                     "dumpwalk on %d"
                     % (sum(dw.frame_count() for dw, _ in both), label,
                        sum(ref.frame_count() for _, ref in both), label,
                        sum(1 for r in rows if pick(r).error),
                        sum(1 for r in rows if r[1].error)))
        timed_rows = [(dw, ref) for dw, ref in both
                      if dw.seconds is not None and ref.seconds is not None]
        if timed_rows:
            dw_total = sum(dw.seconds for dw, _ in timed_rows)
            ref_total = sum(ref.seconds for _, ref in timed_rows)
            gm = geomean([ref.seconds / dw.seconds for dw, ref in timed_rows if dw.seconds > 0])
            lines.append("  time: dumpwalk %.1f ms, %s %.1f ms in total (sum of medians): "
                         "%.1fx; geometric mean of per-dump ratios %.1fx"
                         % (dw_total * 1000, label, ref_total * 1000,
                            ref_total / dw_total if dw_total else 0, gm or 0))
        rss = [(dw.rss_kib, ref.rss_kib) for dw, ref in both
               if dw.rss_kib is not None and ref.rss_kib is not None]
        if rss:
            lines.append("  peak RSS: dumpwalk median %s MiB, max %s MiB; %s median %s MiB, max "
                         "%s MiB"
                         % (fmt_mib(statistics.median(d for d, _ in rss)),
                            fmt_mib(max(d for d, _ in rss)), label,
                            fmt_mib(statistics.median(r for _, r in rss)),
                            fmt_mib(max(r for _, r in rss))))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True, help="shared/corpus directory")
    ap.add_argument("--dumpwalk", required=True, help="dumpwalk executable")
    ap.add_argument("--breakpad-bin", help="directory with minidump_stackwalk and minidump_dump")
    ap.add_argument("--lldb", help="lldb executable (lldb-19)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per tool and dump")
    ap.add_argument("--oracle", action="store_true",
                    help="use the oracle files instead of running Breakpad and LLDB")
    ap.add_argument("--dump", action="append", help="only dumps whose path contains this")
    ap.add_argument("--json", help="also write the per-dump results to this file")
    ap.add_argument("--spawntime", help="tools/bench/spawntime executable (the precise timer); "
                    "without it runs are timed from Python")
    ap.add_argument("--floor-runs", type=int, default=21,
                    help="runs of `true` for the fork + exec floor")
    args = ap.parse_args()
    timer = Timer(args.spawntime)

    corpus = os.path.abspath(args.corpus)
    exe = os.path.abspath(args.dumpwalk)
    bp_bin = None if args.oracle or not args.breakpad_bin else args.breakpad_bin
    lldb = None if args.oracle or not args.lldb else args.lldb
    sources = {"bp": "run live" if bp_bin else "oracle files (Breakpad not run; no timing)",
               "lldb": "run live" if lldb else "oracle files (LLDB not run; no timing)"}

    rows = []
    floor_before = timer.floor(args.floor_runs)
    for dump, symdir, oracle_dir in corpus_dumps(corpus, args.dump):
        dw = walk_dumpwalk(timer, exe, corpus, dump, symdir, args.runs)
        bp = (walk_breakpad(timer, bp_bin, corpus, dump, symdir, args.runs) if bp_bin
              else walk_oracle(oracle_dir, "bp"))
        ll = (walk_lldb(timer, lldb, corpus, dump, symdir, args.runs) if lldb
              else walk_oracle(oracle_dir, "lldb"))
        rows.append((dump, dw, bp, ll))
        print("compared %s" % dump, file=sys.stderr)
    floor = floor_line(timer, (floor_before, timer.floor(args.floor_runs)))

    print_table(rows, overall(rows), sources, args.runs, floor)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump([{"dump": name,
                        **{k: {"frames": w.frame_count(), "error": w.error,
                               "seconds": w.seconds, "rss_kib": w.rss_kib,
                               "source": w.source}
                           for k, w in (("dumpwalk", dw), ("breakpad", bp), ("lldb", ll))},
                        "agree_breakpad": list(agreement(dw, bp)),
                        "agree_lldb": list(agreement(dw, ll))}
                       for name, dw, bp, ll in rows], out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
