/* ELF core files through the libkdumpfile backend, checked against gdb.
 *
 * Each test builds a small multi-threaded C program (-O2, with and without
 * frame pointers), runs it under gdb until it stops itself with SIGTRAP,
 * takes a core with `gcore`, and compares what dumpwalk reads from the core
 * with what gdb reads from the same core: thread ids, registers, and for
 * every thread gdb unwinds to its outermost frame, the return addresses,
 * frame for frame.  Error paths: a truncated core, a non-dump file, an ELF
 * executable, damaged kdump headers.  Every external command runs under
 * `timeout`.  Without libkdumpfile, gcc or gdb the tests return early. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dumpwalk/dumpwalk.h"
#include "minidump/backend.h"
#include "test_util.h"

#ifdef DW_HAVE_KDUMPFILE
#include <dlfcn.h>

#include "kdump/kdump_loader.h"
#endif

#define MAX_THREADS 16
#define MAX_FRAMES 64

/* The program: three workers recurse to different depths and block in
 * pause(); a fourth spins until a signal interrupts it and blocks in the
 * handler (a signal frame: __restore_rt's "zRS" CFI); main waits until they
 * are all there and stops itself. */
static const char program_source[] =
    "#include <pthread.h>\n"
    "#include <signal.h>\n"
    "#include <unistd.h>\n"
    "static pthread_barrier_t ready;\n"
    "static volatile int sink;\n"
    "__attribute__((noinline)) static void leaf(int d)\n"
    "{ pthread_barrier_wait(&ready); for (;;) { sink += d; pause(); } }\n"
    "__attribute__((noinline)) static int mid(int d)\n"
    "{ if (d > 0) sink += mid(d - 1) + d; else leaf(d); return sink; }\n"
    "__attribute__((noinline)) static void *worker(void *arg)\n"
    "{ mid((int)(long)arg); return 0; }\n"
    "static volatile int spinning;\n"
    "static void on_usr1(int sig)\n"
    "{ (void)sig; pthread_barrier_wait(&ready); for (;;) pause(); }\n"
    "__attribute__((noinline)) static void spin(void)\n"
    "{ spinning = 1; for (;;) sink++; }\n"
    "__attribute__((noinline)) static void *interrupted(void *arg)\n"
    "{ (void)arg; spin(); return 0; }\n"
    "int main(void)\n"
    "{\n"
    "    pthread_t t[4];\n"
    "    signal(SIGUSR1, on_usr1);\n"
    "    pthread_barrier_init(&ready, 0, 5);\n"
    "    for (long i = 0; i < 3; i++) pthread_create(&t[i], 0, worker, (void *)(i + 2));\n"
    "    pthread_create(&t[3], 0, interrupted, 0);\n"
    "    while (!spinning) ;\n"
    "    pthread_kill(t[3], SIGUSR1);\n"
    "    pthread_barrier_wait(&ready);\n"
    "    usleep(200000);\n"
    "    raise(SIGTRAP);\n"
    "    return sink;\n"
    "}\n";

typedef struct stack_ref {
    uint32_t tid;
    int complete; /* gdb reached the outermost frame, no "Backtrace stopped" */
    size_t count;
    uint64_t pc[MAX_FRAMES]; /* 0 where gdb printed no address */
    uint8_t synthetic[MAX_FRAMES]; /* gdb's inline / tail-call frames (dropped) */
    size_t dropped;
} stack_ref;

static int have_tools(void)
{
#ifndef DW_HAVE_KDUMPFILE
    return 0;
#else
    return system("command -v gcc >/dev/null 2>&1 && command -v gdb >/dev/null 2>&1 && "
                  "command -v timeout >/dev/null 2>&1") == 0;
#endif
}

static int run(const char *cmd)
{
    return system(cmd);
}

/* Build the program and take its core; returns 0 when the tools could not
 * produce one (reported, so the test can fail on it). */
static int make_core(const char *tag, const char *cflags, char *exe, char *core, size_t size)
{
    const char *dir = dw_test_tmpdir();
    char src[512], cmd[2048];
    snprintf(src, sizeof src, "%s/kd_%s.c", dir, tag);
    snprintf(exe, size, "%s/kd_%s", dir, tag);
    snprintf(core, size, "%s/kd_%s.core", dir, tag);
    FILE *f = fopen(src, "w");
    if (!f)
        return 0;
    fputs(program_source, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "timeout 120 gcc -O2 -g -pthread %s -o %s %s", cflags, exe, src);
    if (run(cmd) != 0)
        return 0;
    unlink(core);
    snprintf(cmd, sizeof cmd,
             "timeout -k 5 120 gdb -nx -batch -ex 'handle SIGUSR1 nostop noprint pass' -ex run "
             "-ex 'gcore %s' -ex kill %s "
             ">/dev/null 2>&1",
             core, exe);
    run(cmd);
    struct stat st;
    return stat(core, &st) == 0 && st.st_size > 0;
}

static stack_ref *ref_of_thread(stack_ref *refs, size_t n, const char *line)
{
    const char *lwp = strstr(line, "(LWP ");
    if (strncmp(line, "Thread ", 7) != 0 || !lwp)
        return NULL;
    uint32_t tid = (uint32_t)strtoul(lwp + 5, NULL, 10);
    for (size_t i = 0; i < n; i++)
        if (refs[i].tid == tid)
            return &refs[i];
    return NULL;
}

/* Drop the frames gdb synthesizes from debug information rather than
 * finds on the stack: inlined calls and tail calls (DW_TAG_call_site
 * chains; their "pc" is the address after a jmp, which is on no stack).  A
 * stack walker produces the physical frames; those are compared. */
static void drop_synthetic_frames(stack_ref *r)
{
    size_t out = 0;
    for (size_t k = 0; k < r->count; k++) {
        if (r->synthetic[k]) {
            r->dropped++;
            continue;
        }
        r->pc[out++] = r->pc[k];
    }
    r->count = out;
}

/* Two sections.  `thread apply all bt`: "Thread 2 (Thread 0x7f.. (LWP
 * 8762)):" starts a thread; "#N  0x... in f" (or "#0  f (...)" and
 * "#2  <signal handler called>" without an address) a frame.  After the
 * "@@frames" marker, `info frame` of each frame: "Stack level N,", " rip =
 * 0x..." (the address bt left out), then " tail call frame" or " inlined
 * into frame" for the synthesized ones. */
static size_t parse_gdb_bt(FILE *in, stack_ref *refs, size_t max)
{
    char line[1024];
    size_t n = 0;
    stack_ref *cur = NULL;
    int frames_section = 0;
    unsigned level = MAX_FRAMES;
    while (fgets(line, sizeof line, in)) {
        if (!strncmp(line, "@@frames", 8)) {
            frames_section = 1;
            cur = NULL;
        } else if (frames_section) {
            stack_ref *t = ref_of_thread(refs, n, line);
            if (t) {
                cur = t;
                level = MAX_FRAMES;
            } else if (cur && !strncmp(line, "Stack level ", 12)) {
                level = (unsigned)strtoul(line + 12, NULL, 10);
            } else if (cur && level < cur->count && !strncmp(line, " rip = 0x", 9)) {
                if (cur->pc[level] == 0) /* bt printed none: a line start, a signal frame */
                    cur->pc[level] = strtoull(line + 7, NULL, 16);
            } else if (cur && level < MAX_FRAMES &&
                       (strstr(line, " tail call frame") || strstr(line, " inlined into frame"))) {
                cur->synthetic[level] = 1;
            }
        } else if (!strncmp(line, "Thread ", 7) && strstr(line, "(LWP ") && n < max) {
            cur = &refs[n++];
            memset(cur, 0, sizeof *cur);
            cur->tid = (uint32_t)strtoul(strstr(line, "(LWP ") + 5, NULL, 10);
            cur->complete = 1;
        } else if (cur && line[0] == '#' && cur->count < MAX_FRAMES) {
            char *p = strchr(line, ' ');
            while (p && *p == ' ')
                p++;
            cur->pc[cur->count++] = p && !strncmp(p, "0x", 2) ? strtoull(p, NULL, 16) : 0;
        } else if (cur && strstr(line, "Backtrace stopped")) {
            cur->complete = 0;
        }
    }
    for (size_t i = 0; i < n; i++)
        drop_synthetic_frames(&refs[i]);
    return n;
}

static size_t gdb_stacks(const char *exe, const char *core, stack_ref *refs, size_t max)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "timeout -k 5 120 gdb -nx -batch -ex 'set pagination off' "
             "-ex 'thread apply all bt' -ex 'echo @@frames\\n' "
             "-ex 'thread apply all frame apply all -q info frame' %s %s 2>/dev/null",
             exe, core);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    size_t n = parse_gdb_bt(p, refs, max);
    pclose(p);
    return n;
}

/* dumpwalk's frames of one thread: frame 0's IP, then return addresses. */
static size_t walk_thread(dw_walker *w, const dw_thread *t, uint64_t *pcs, size_t max)
{
    size_t n = 0;
    dw_frame f;
    if (dw_walker_start(w, t) != DW_OK)
        return 0;
    while (n < max && dw_walker_next(w, &f) == DW_OK)
        pcs[n++] = f.ip;
    return n;
}

typedef struct agreement {
    size_t frame0_equal; /* threads whose frame 0 (the context's IP) matches */
    size_t threads_compared;
    size_t threads_equal;
    size_t frames_compared;
    size_t frames_equal;
    size_t synthetic_dropped; /* gdb's inline / tail-call frames left out */
} agreement;

/* Compare every thread gdb unwound completely, frame for frame. */
static agreement compare_with_gdb(dw_dump *dump, const stack_ref *refs, size_t nrefs,
                                  const char *tag)
{
    agreement a = {0, 0, 0, 0, 0, 0};
    dw_walker *w = NULL;
    ck_assert_int_eq(dw_walker_new(dump, NULL, &w), DW_OK);
    for (size_t i = 0; i < nrefs; i++) {
        const dw_thread *t;
        ck_assert_msg(dw_dump_thread_by_id(dump, refs[i].tid, &t) == DW_OK,
                      "%s: gdb's thread %u is not in dumpwalk's list", tag, refs[i].tid);
        if (!refs[i].complete)
            continue;
        uint64_t pcs[MAX_FRAMES];
        size_t n = walk_thread(w, t, pcs, MAX_FRAMES);
        size_t equal = 0;
        for (size_t k = 0; k < refs[i].count; k++) {
            if (refs[i].pc[k] == 0 && k == 0)
                continue; /* gdb omits frame 0's address at a line start */
            a.frames_compared++;
            if (k < n && pcs[k] == refs[i].pc[k]) {
                a.frames_equal++;
                equal++;
            } else {
                fprintf(stderr,
                        "kdump %s: thread %u frame %zu: gdb 0x%" PRIx64 " dumpwalk 0x%" PRIx64 "\n",
                        tag, refs[i].tid, k, refs[i].pc[k], k < n ? pcs[k] : 0);
            }
        }
        a.threads_compared++;
        a.synthetic_dropped += refs[i].dropped;
        a.frame0_equal += n > 0 && (refs[i].pc[0] == 0 || pcs[0] == refs[i].pc[0]);
        a.threads_equal += (equal + (refs[i].pc[0] == 0)) == refs[i].count;
    }
    dw_walker_free(w);
    fprintf(stderr,
            "kdump %s: agreement with gdb: %zu/%zu threads, %zu/%zu frames (%zu inline or "
            "tail-call frames of gdb's left out)\n",
            tag, a.threads_equal, a.threads_compared, a.frames_equal, a.frames_compared,
            a.synthetic_dropped);
    return a;
}

/* Threads and registers agree with gdb's view of the same core. */
static void check_threads(dw_dump *dump, const stack_ref *refs, size_t nrefs)
{
    const dw_thread *threads;
    size_t count;
    ck_assert_int_eq(dw_dump_threads(dump, &threads, &count), DW_OK);
    ck_assert_uint_eq(count, 5);
    ck_assert_uint_eq(nrefs, 5);
    for (size_t i = 0; i < nrefs; i++) { /* gdb's LWPs are dumpwalk's thread ids */
        const dw_thread *t;
        ck_assert_int_eq(dw_dump_thread_by_id(dump, refs[i].tid, &t), DW_OK);
    }
    for (size_t i = 0; i < count; i++) {
        dw_context ctx;
        ck_assert_int_eq(dw_thread_context(dump, &threads[i], &ctx), DW_OK);
        ck_assert_int_eq(ctx.arch, DW_ARCH_AMD64);
        ck_assert(dw_context_has(&ctx, DW_AMD64_RSP) && dw_context_has(&ctx, DW_AMD64_RIP));
        /* The stack pointer lies in the thread's stack, which is in the core. */
        uint64_t sp = dw_context_sp(&ctx), word;
        ck_assert(sp >= threads[i].stack_start &&
                  sp < threads[i].stack_start + threads[i].stack_size);
        ck_assert_int_eq(dw_memory_read_u64(dump, sp, &word), DW_OK);
    }
    ck_assert_int_eq(dw_dump_arch(dump), DW_ARCH_AMD64);
    ck_assert_int_eq(dw_dump_header(dump)->format, DW_FORMAT_ELF_CORE);
}

/* The program is a module (NT_FILE) with the build id of the file, and its
 * code, which the core leaves out, is read from the file. */
static void check_modules(dw_dump *dump, const char *exe)
{
    const dw_module *mods;
    size_t count;
    ck_assert_int_eq(dw_dump_modules(dump, &mods, &count), DW_OK);
    ck_assert_uint_ge(count, 3);
    const dw_module *main_mod = dw_dump_main_module(dump);
    ck_assert_ptr_nonnull(main_mod);
    ck_assert_str_eq(main_mod->path, exe);
    ck_assert_int_eq(main_mod->cv_kind, DW_CV_ELF);
    ck_assert_uint_ge(strlen(main_mod->code_id), 16);
    int libc = 0;
    for (size_t i = 0; i < count; i++)
        libc |= strncmp(mods[i].name, "libc.so", 7) == 0;
    ck_assert(libc);
    /* main's first instruction: the ELF entry is in .text, mapped r-x and
     * not written by gcore. */
    const dw_module *m = dw_dump_module_at(dump, main_mod->base + 0x1000);
    ck_assert_ptr_eq(m, main_mod);
    uint8_t from_core[16], from_file[16];
    size_t got = 0;
    dw_status st = dw_memory_read(dump, main_mod->base + 0x1000, from_core, 16, &got);
    if (st == DW_ERR_NOT_FOUND) {
        ck_assert_ptr_nonnull(strstr(dw_dump_last_error(dump), "missing from the core"));
        ck_assert_uint_eq(dw_backend_read_mapped_file(dump, main_mod->base + 0x1000, from_file, 16),
                          16);
    }
}

static void walk_case(const char *tag, const char *cflags, double min_frame_share)
{
    if (!have_tools())
        return;
    char exe[512], core[512];
    ck_assert_msg(make_core(tag, cflags, exe, core, sizeof exe),
                  "%s: could not build the program or take its core with gdb", tag);
    stack_ref refs[MAX_THREADS];
    size_t nrefs = gdb_stacks(exe, core, refs, MAX_THREADS);
    dw_dump *dump = NULL;
    dw_error err;
    ck_assert_msg(dw_dump_open(core, NULL, &dump, &err) == DW_OK, "%s", err.message);
    check_threads(dump, refs, nrefs);
    check_modules(dump, exe);
    agreement a = compare_with_gdb(dump, refs, nrefs, tag);
    ck_assert_uint_ge(a.threads_compared, 3);
    /* The three workers alone have 8, 9 and 10 frames in gdb's view. */
    ck_assert_uint_ge(a.frames_compared, 27);
    ck_assert_uint_eq(a.frame0_equal, a.threads_compared);
    ck_assert_msg((double)a.frames_equal >= min_frame_share * (double)a.frames_compared,
                  "%s: %zu of %zu frames agree with gdb", tag, a.frames_equal, a.frames_compared);
    dw_dump_close(dump);
}

/* The share of gdb's physical frames dumpwalk must reproduce: all of them,
 * in every thread gdb unwinds to its end.  Before the walker evaluated
 * .eh_frame it was 9/30 (-fno-omit-frame-pointer) and 10/30 (without): frame
 * 0 sits in a libc syscall wrapper that keeps the caller's rbp, so the frame
 * pointer rule skipped the first caller.  With rule_ehframe.c it is 29/29
 * (gdb's 30 less the tail-call frame it synthesizes for pthread_kill's jmp
 * in the main thread, which no stack holds). */
#define MIN_GDB_AGREEMENT 1.0

START_TEST(frame_pointers_match_gdb)
{
    walk_case("fp", "-fno-omit-frame-pointer", MIN_GDB_AGREEMENT);
}
END_TEST

START_TEST(no_frame_pointers_match_gdb)
{
    walk_case("nofp", "-fomit-frame-pointer", MIN_GDB_AGREEMENT);
}
END_TEST

/* The same core handed over as a buffer: libkdumpfile reads a copy. */
START_TEST(core_from_buffer)
{
    if (!have_tools())
        return;
    char exe[512], core[512];
    ck_assert(make_core("buf", "", exe, core, sizeof exe));
    size_t size;
    uint8_t *bytes = dw_test_read_file(core, &size);
    ck_assert_ptr_nonnull(bytes);
    dw_dump *dump = NULL;
    dw_error err;
    ck_assert_msg(dw_dump_open_buffer(bytes, size, NULL, &dump, &err) == DW_OK, "%s", err.message);
    const dw_thread *threads;
    size_t count;
    ck_assert_int_eq(dw_dump_threads(dump, &threads, &count), DW_OK);
    ck_assert_uint_eq(count, 5);
    const dw_memory_range *ranges;
    size_t nr;
    ck_assert_int_eq(dw_memory_ranges(dump, &ranges, &nr), DW_OK);
    ck_assert_uint_gt(nr, 0);
    /* A span straight from the file and a read through libkdumpfile agree. */
    size_t avail;
    const uint8_t *span = dw_memory_span(dump, ranges[0].base, &avail);
    uint8_t buf[64];
    ck_assert_ptr_nonnull(span);
    ck_assert_int_eq(dw_memory_read(dump, ranges[0].base, buf, sizeof buf, NULL), DW_OK);
    ck_assert_mem_eq(span, buf, sizeof buf);
    dw_dump_close(dump);
    free(bytes);
}
END_TEST

/* Cut the core in the middle of its memory: it opens, the health report
 * says it is truncated, and a read past the cut names the missing page. */
START_TEST(truncated_core)
{
    if (!have_tools())
        return;
    char exe[512], core[512], cut[600];
    ck_assert(make_core("trunc", "", exe, core, sizeof exe));
    size_t size;
    uint8_t *bytes = dw_test_read_file(core, &size);
    ck_assert_ptr_nonnull(bytes);
    snprintf(cut, sizeof cut, "%s.cut", core);
    FILE *f = fopen(cut, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(bytes, 1, size / 2, f);
    fclose(f);
    free(bytes);
    dw_dump *dump = NULL;
    dw_error err;
    ck_assert_msg(dw_dump_open(cut, NULL, &dump, &err) == DW_OK, "%s", err.message);
    ck_assert_int_eq(dw_dump_check_all(dump), DW_ERR_DAMAGED);
    int said_truncated = 0;
    for (size_t i = 0; i < dw_dump_health_count(dump); i++)
        said_truncated |= strstr(dw_dump_health_at(dump, i)->message, "core truncated") != NULL;
    ck_assert(said_truncated);
    const dw_memory_info *infos;
    size_t ni;
    ck_assert_int_eq(dw_dump_memory_infos(dump, &infos, &ni), DW_OK);
    /* The last region lies wholly past the cut. */
    uint64_t va = infos[ni - 1].base_address;
    uint8_t b[8];
    ck_assert_int_eq(dw_memory_read(dump, va, b, sizeof b, NULL), DW_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(dw_dump_last_error(dump), "missing from the core"));
    /* Threads whose stacks were cut still list and walk without crashing. */
    const dw_thread *threads;
    size_t count;
    dw_dump_threads(dump, &threads, &count);
    dw_walker *w;
    ck_assert_int_eq(dw_walker_new(dump, NULL, &w), DW_OK);
    for (size_t i = 0; i < count; i++) {
        uint64_t pcs[MAX_FRAMES];
        walk_thread(w, &threads[i], pcs, MAX_FRAMES);
    }
    dw_walker_free(w);
    dw_dump_close(dump);
}
END_TEST

static dw_status open_bytes(const void *data, size_t size, dw_error *err)
{
    dw_dump *dump = NULL;
    dw_status st = dw_dump_open_buffer(data, size, NULL, &dump, err);
    dw_dump_close(dump);
    return st;
}

/* Files that are not dumps, or are damaged dumps, are refused with a
 * message, never a crash. */
START_TEST(not_a_dump)
{
    dw_error err;
    static const char text[] = "this is a text file, not a dump\n";
    ck_assert_int_eq(open_bytes(text, sizeof text, &err), DW_ERR_FORMAT);
#ifdef DW_HAVE_KDUMPFILE
    /* ELF header of an executable (ET_EXEC), not a core. */
    uint8_t elf[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    elf[16] = 2;
    elf[18] = 62;
    ck_assert_int_eq(open_bytes(elf, sizeof elf, &err), DW_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "not a core dump"));
    /* ELF core header cut short. */
    elf[16] = 4;
    ck_assert_int_eq(open_bytes(elf, 20, &err), DW_ERR_FORMAT);
    /* A core whose program headers point past the end, no notes. */
    elf[32] = 0x40;
    elf[54] = 56;
    elf[56] = 200;
    dw_status st = open_bytes(elf, sizeof elf, &err);
    ck_assert(st != DW_OK || err.message[0] == '\0');
    /* diskdump / compressed kdump and flattened headers with nothing after
     * them: libkdumpfile refuses them, dumpwalk says so. */
    static const char *const heads[] = {"KDUMP   ", "DISKDUMP", "makedumpfile"};
    static const char *const says[] = {"kdump header", "kdump header", "libkdumpfile"};
    for (size_t i = 0; i < 3; i++) {
        uint8_t junk[4096];
        memset(junk, 0xa5, sizeof junk);
        memcpy(junk, heads[i], strlen(heads[i]));
        st = open_bytes(junk, sizeof junk, &err);
        ck_assert_msg(st == DW_ERR_FORMAT || st == DW_ERR_UNSUPPORTED, "%s: %s", heads[i],
                      err.message);
        ck_assert_msg(strstr(err.message, says[i]) != NULL, "%s: %s", heads[i], err.message);
    }
#else
    /* Without the backend an ELF core is named and refused. */
    uint8_t elf[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    ck_assert_int_eq(open_bytes(elf, sizeof elf, &err), DW_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "libkdumpfile"));
#endif
}
END_TEST

#ifdef DW_HAVE_KDUMPFILE
/* The loader resolves every function of the installed library, and a
 * library that is not there gives the loader's reason, naming it. */
START_TEST(loader_resolves_or_explains)
{
    dw_kdumpfile api;
    char why[512];
    ck_assert_msg(dw_kdumpfile_load(DW_KDUMPFILE_SONAME, &api, why, sizeof why), "%s", why);
    ck_assert(api.new_ctx && api.free_ctx && api.get_err && api.open_fdset &&
              api.get_typed_attr && api.read);
    kdump_ctx_t *ctx = api.new_ctx();
    ck_assert_ptr_nonnull(ctx);
    api.free_ctx(ctx);
    const dw_kdumpfile *once = dw_kdumpfile_get(NULL);
    ck_assert_ptr_nonnull(once);
    ck_assert_ptr_eq(once, dw_kdumpfile_get(NULL));
    ck_assert(!dw_kdumpfile_load("libkdumpfile.so.999", &api, why, sizeof why));
    ck_assert_msg(strstr(why, "libkdumpfile.so.999") != NULL, "%s", why);
    ck_assert_ptr_null(api.read);
}
END_TEST

/* Reading a minidump (open, every stream, a stack walk) does not load
 * libkdumpfile; only an ELF core or kernel dump does.  Needs a process that
 * has not loaded it yet: Check's fork mode gives each test one. */
START_TEST(minidump_does_not_load_kdumpfile)
{
    const char *fork_mode = getenv("CK_FORK");
    if (fork_mode && strcmp(fork_mode, "no") == 0)
        return;
    ck_assert_msg(dlopen(DW_KDUMPFILE_SONAME, RTLD_NOW | RTLD_NOLOAD) == NULL,
                  "%s is loaded at start-up: linked instead of dlopen'ed?", DW_KDUMPFILE_SONAME);
    char path[1024];
    snprintf(path, sizeof path, "%s/synthetic-x64.dmp", dw_test_fixtures_dir());
    dw_dump *dump = NULL;
    dw_error err;
    ck_assert_msg(dw_dump_open(path, NULL, &dump, &err) == DW_OK, "%s", err.message);
    dw_dump_check_all(dump);
    const dw_thread *threads;
    size_t count;
    ck_assert_int_eq(dw_dump_threads(dump, &threads, &count), DW_OK);
    dw_walker *w;
    ck_assert_int_eq(dw_walker_new(dump, NULL, &w), DW_OK);
    uint64_t pcs[MAX_FRAMES];
    ck_assert(walk_thread(w, &threads[0], pcs, MAX_FRAMES) > 0);
    dw_walker_free(w);
    dw_dump_close(dump);
    ck_assert(dlopen(DW_KDUMPFILE_SONAME, RTLD_NOW | RTLD_NOLOAD) == NULL);
    /* A file the backend hands to libkdumpfile loads it (a flattened
     * makedumpfile header: libkdumpfile is the one that refuses it). */
    uint8_t junk[4096];
    memset(junk, 0xa5, sizeof junk);
    memcpy(junk, "makedumpfile", 12);
    ck_assert_int_ne(open_bytes(junk, sizeof junk, &err), DW_OK);
    void *lib = dlopen(DW_KDUMPFILE_SONAME, RTLD_NOW | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(lib);
    dlclose(lib);
}
END_TEST
#endif

Suite *kdump_suite(void)
{
    Suite *s = suite_create("kdump");
    TCase *tc = tcase_create("kdump");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, frame_pointers_match_gdb);
    tcase_add_test(tc, no_frame_pointers_match_gdb);
    tcase_add_test(tc, core_from_buffer);
    tcase_add_test(tc, truncated_core);
    tcase_add_test(tc, not_a_dump);
#ifdef DW_HAVE_KDUMPFILE
    tcase_add_test(tc, loader_resolves_or_explains);
    tcase_add_test(tc, minidump_does_not_load_kdumpfile);
#endif
    suite_add_tcase(s, tc);
    return s;
}
