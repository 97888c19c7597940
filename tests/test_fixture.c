/* The bundled fixture (fixtures/synthetic-x64.dmp and fixtures/symbols/,
 * written by tests/fixture_gen.c): the committed files are exactly what the
 * generator writes, and the CLI and the walker find in them what was built
 * into them: every frame of every thread (address, stack pointer, trust and
 * rule, name, file:line, the inlined call), the waiting and parked threads'
 * Analysis tags, and `callbacks` exiting 3 on the parked thread.  The
 * README's first command runs exactly this. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_run.h"
#include "dumpwalk/dumpwalk.h"
#include "fixture_gen.h"
#include "test_util.h"

static const char *dump_path(void)
{
    return dw_test_fixture_path("synthetic-x64.dmp");
}

static const char *symbols_dir(void)
{
    return dw_test_fixture_path("symbols");
}

static void run_cli(const char *const *args, int want_exit, cli_result *r)
{
    ck_assert_int_eq(cli_run(args, r), 0);
    ck_assert_msg(r->signal == 0, "%s: killed by signal %d", args[0], r->signal);
    ck_assert_msg(r->exit_code == want_exit, "%s: exit %d, want %d; stderr: %s", args[0],
                  r->exit_code, want_exit, r->err);
}

/* ---- the committed files are the generator's -------------------------------------- */

START_TEST(committed_fixtures_are_what_make_fixtures_writes)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/fixtures-regenerated", dw_test_tmpdir());
    ck_assert_int_eq(fixture_write_all(dir), 0);
    size_t n;
    const char *const *files = fixture_files(&n);
    ck_assert_uint_eq(n, 3);
    for (size_t i = 0; i < n; i++) {
        char fresh[1024];
        snprintf(fresh, sizeof fresh, "%s/%s", dir, files[i]);
        size_t want_size, got_size;
        uint8_t *want = dw_test_read_file(fresh, &want_size);
        uint8_t *got = dw_test_read_file(dw_test_fixture_path(files[i]), &got_size);
        ck_assert_msg(want != NULL, "make_fixtures did not write %s", files[i]);
        ck_assert_msg(got != NULL && got_size == want_size && !memcmp(got, want, want_size),
                      "fixtures/%s differs from what tests/fixture_gen.c writes: run "
                      "build/tests/make_fixtures fixtures",
                      files[i]);
        free(want);
        free(got);
    }
    size_t size;
    uint8_t *dump = dw_test_read_file(dump_path(), &size);
    ck_assert_ptr_nonnull(dump);
    ck_assert_uint_lt(size, 256 * 1024);
    free(dump);
}
END_TEST

/* ---- every frame, through the library ------------------------------------------------ */

typedef struct want_frame {
    uint64_t ip, sp;
    dw_trust trust;
    const char *reason;
    const char *where; /* module!function, or module */
} want_frame;

static void expect_walk(dw_walker *w, dw_dump *dump, uint32_t tid, const want_frame *want,
                        size_t count)
{
    const dw_thread *t;
    ck_assert_int_eq(dw_dump_thread_by_id(dump, tid, &t), DW_OK);
    ck_assert_int_eq(dw_walker_start(w, t), DW_OK);
    dw_frame f;
    size_t i = 0;
    for (; dw_walker_next(w, &f) == DW_OK; i++) {
        ck_assert_msg(i < count, "tid %u: frame %zu at 0x%llx beyond the built stack", tid, i,
                      (unsigned long long)f.ip);
        char where[256];
        snprintf(where, sizeof where, "%s%s%.*s", f.module ? f.module->name : "?",
                 f.function.len ? "!" : "", (int)f.function.len,
                 f.function.ptr ? f.function.ptr : "");
        ck_assert_msg(f.ip == want[i].ip && f.sp == want[i].sp,
                      "tid %u frame %zu: ip 0x%llx sp 0x%llx, built 0x%llx / 0x%llx", tid, i,
                      (unsigned long long)f.ip, (unsigned long long)f.sp,
                      (unsigned long long)want[i].ip, (unsigned long long)want[i].sp);
        ck_assert_msg(f.trust == want[i].trust && !strcmp(f.reason, want[i].reason),
                      "tid %u frame %zu: trust %s (%s), want %s (%s)", tid, i,
                      dw_trust_name(f.trust), f.reason, dw_trust_name(want[i].trust),
                      want[i].reason);
        ck_assert_str_eq(where, want[i].where);
    }
    ck_assert_uint_eq(i, count);
    ck_assert_str_eq(dw_walker_stop_reason(w), "end of stack: pdata gives return address 0x0");
}

START_TEST(walk_recovers_every_built_frame)
{
    dw_dump *dump;
    dw_error err;
    ck_assert_msg(dw_dump_open(dump_path(), NULL, &dump, &err) == DW_OK, "%s", err.message);
    dw_symbols *syms;
    ck_assert_int_eq(dw_symbols_new(&syms), DW_OK);
    ck_assert_int_eq(dw_symbols_add_dir(syms, symbols_dir()), DW_OK);
    dw_walk_options opts = DW_WALK_OPTIONS_INIT;
    opts.symbols = syms;
    dw_walker *w;
    ck_assert_int_eq(dw_walker_new(dump, &opts, &w), DW_OK);

    const want_frame main_thread[] = {
        {0x140001a2c, 0xe1d2ffe00, DW_TRUST_CONTEXT, "context", "demo.exe!crash_here"},
        {0x14000111a, 0xe1d2ffe30, DW_TRUST_CFI, "pdata", "demo.exe!process_request"},
        {0x140001150, 0xe1d2ffe60, DW_TRUST_CFI, "pdata", "demo.exe!main"},
        {0x140001309, 0xe1d2ffe90, DW_TRUST_CFI, "pdata", "demo.exe!mainCRTStartup"},
        {0x7ffaf0017610, 0xe1d2ffec0, DW_TRUST_CFI, "pdata", "kernel32.dll!BaseThreadInitThunk"},
        {0x7ffb000526e2, 0xe1d2ffef0, DW_TRUST_CFI, "pdata", "ntdll.dll!RtlUserThreadStart"},
    };
    expect_walk(w, dump, 0x1000, main_thread, sizeof main_thread / sizeof main_thread[0]);

    const want_frame worker[] = {
        {0x7ffb0009d1e4, 0xe1d4ffe08, DW_TRUST_CONTEXT, "context",
         "ntdll.dll!NtWaitForSingleObject"},
        {0x7ffaf001b2f0, 0xe1d4ffe10, DW_TRUST_CFI, "pdata:leaf",
         "kernel32.dll!WaitForSingleObjectEx"},
        {0x140001197, 0xe1d4ffe50, DW_TRUST_CFI, "pdata", "demo.exe!worker_thread"},
        {0x7ffaf0017610, 0xe1d4ffe80, DW_TRUST_CFI, "pdata", "kernel32.dll!BaseThreadInitThunk"},
        {0x7ffb000526e2, 0xe1d4ffeb0, DW_TRUST_CFI, "pdata", "ntdll.dll!RtlUserThreadStart"},
    };
    expect_walk(w, dump, 0x1004, worker, sizeof worker / sizeof worker[0]);

    /* Through the kernel callback: KiUserCallbackDispatcher's machine frame
     * resumes the interrupted NtUserGetMessage, whose `ret` the epilogue
     * rule follows. */
    const want_frame ui[] = {
        {0x7ffb0009d204, 0xe1d6ffd88, DW_TRUST_CONTEXT, "context", "ntdll.dll!NtCallbackReturn"},
        {0x7ffaf201a610, 0xe1d6ffd90, DW_TRUST_CFI, "pdata:leaf", "user32.dll!__fnDWORD"},
        {0x7ffb000a0c5f, 0xe1d6ffdd0, DW_TRUST_CFI, "pdata", "ntdll.dll!KiUserCallbackDispatcher"},
        {0x7ffaee0010d4, 0xe1d6ffe58, DW_TRUST_CFI, "pdata+machframe",
         "win32u.dll!NtUserGetMessage"},
        {0x7ffaf201c48a, 0xe1d6ffe60, DW_TRUST_CFI, "epilogue", "user32.dll!GetMessageW"},
        {0x1400011f4, 0xe1d6ffe90, DW_TRUST_CFI, "pdata", "demo.exe!ui_thread"},
        {0x7ffaf0017610, 0xe1d6ffef0, DW_TRUST_CFI, "pdata", "kernel32.dll!BaseThreadInitThunk"},
        {0x7ffb000526e2, 0xe1d6fff20, DW_TRUST_CFI, "pdata", "ntdll.dll!RtlUserThreadStart"},
    };
    expect_walk(w, dump, 0x1008, ui, sizeof ui / sizeof ui[0]);

    dw_walker_free(w);
    dw_symbols_free(syms);
    dw_dump_close(dump);
}
END_TEST

/* ---- the CLI: stack ----------------------------------------------------------------- */

/* The crashing thread's block as `dumpwalk stack --symbols` prints it, less
 * the register lines. */
static const char *const crashed_block[] = {
    "Thread 0 main (crashed) - tid: 4096",
    " 0  demo.exe!crash_here [demo.c : 42 + 0x7]",
    "    Found by: given as instruction pointer in context",
    " 1  demo.exe!handle_item [demo.c : 52]",
    "    Found by: inlining",
    " 2  demo.exe!process_request [demo.c : 63]",
    "    Found by: call frame info (pdata)",
    " 3  demo.exe!main [demo.c : 72 + 0xc]",
    "    Found by: call frame info (pdata)",
    " 4  demo.exe!mainCRTStartup + 0x9",
    "    Found by: call frame info (pdata)",
    " 5  kernel32.dll!BaseThreadInitThunk + 0x10",
    "    Found by: call frame info (pdata)",
    " 6  ntdll.dll!RtlUserThreadStart + 0x12",
    "    Found by: call frame info (pdata)",
    "    Walk stopped: end of stack: pdata gives return address 0x0",
};

/* Lines of the block that starts with `first`, without register lines. */
static size_t block_lines(const char *text, const char *first, char lines[][128], size_t max)
{
    const char *p = strstr(text, first);
    ck_assert_msg(p != NULL, "no '%s' in:\n%s", first, text);
    size_t n = 0;
    for (const char *eol; n < max && (eol = strchr(p, '\n')) && eol != p; p = eol + 1) {
        size_t len = (size_t)(eol - p);
        if (len >= 5 && !strncmp(p, "     ", 5))
            continue; /* "     rax = ..." */
        snprintf(lines[n++], 128, "%.*s", (int)len, p);
    }
    return n;
}

START_TEST(stack_with_symbols_names_every_frame)
{
    if (!cli_path())
        return;
    cli_result r;
    const char *args[] = {"stack", "--symbols", symbols_dir(), dump_path(), NULL};
    run_cli(args, 0, &r);
    char lines[32][128];
    size_t n = block_lines(r.out, crashed_block[0], lines, 32);
    size_t want = sizeof crashed_block / sizeof crashed_block[0];
    for (size_t i = 0; i < want; i++)
        ck_assert_msg(i < n && !strcmp(lines[i], crashed_block[i]), "line %zu: '%s', want '%s'", i,
                      i < n ? lines[i] : "(none)", crashed_block[i]);
    ck_assert_uint_eq(n, want);
    /* crash_here pushed rbx; .pdata gives it back in its caller. */
    ck_assert_ptr_nonnull(strstr(r.out, " 2  demo.exe!process_request [demo.c : 63]\n"
                                        "     rbx = 0x0000000140003040"));
    ck_assert_ptr_nonnull(strstr(r.out, "\nThread 1 worker - tid: 4100\n"
                                        "    Analysis: waiting in NtWaitForSingleObject "
                                        "[strong evidence]\n"
                                        " 0  ntdll.dll!NtWaitForSingleObject + 0x14\n"));
    ck_assert_ptr_nonnull(strstr(r.out, " 2  demo.exe!worker_thread [demo.c : 82 + 0x13]\n"));
    ck_assert_ptr_nonnull(strstr(r.out,
                                 "\nThread 2 ui - tid: 4104\n"
                                 "    Analysis: parked at NtCallbackReturn; callback depth 1: "
                                 "user32.dll!__fnDWORD from NtUserGetMessage [strong evidence]\n"
                                 " 0  ntdll.dll!NtCallbackReturn + 0x14\n"));
    ck_assert_ptr_nonnull(strstr(r.out, " 3  win32u.dll!NtUserGetMessage + 0x14\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "    Found by: call frame info (pdata+machframe)\n"));
    ck_assert_ptr_nonnull(strstr(r.out, " 5  demo.exe!ui_thread [demo.c : 103 + 0x13]\n"));
    /* demo.exe and user32 have .sym files; the others are named by exports. */
    ck_assert_ptr_nonnull(strstr(r.out, "  demo.exe  1.2.3.4  (main)\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "  ntdll.dll  10.0.19041.3636  (WARNING: No symbols, "));
    cli_result_free(&r);
}
END_TEST

/* Without symbols: exports name the system DLLs' frames, demo.exe's are
 * module offsets, .pdata still finds every frame. */
START_TEST(stack_without_symbols_uses_exports_and_pdata)
{
    if (!cli_path())
        return;
    cli_result r;
    const char *args[] = {"stack", dump_path(), NULL};
    run_cli(args, 0, &r);
    ck_assert_ptr_nonnull(strstr(r.out, "\nThread 0 main (crashed) - tid: 4096\n"
                                        " 0  demo.exe + 0x1a2c\n"));
    ck_assert_ptr_nonnull(strstr(r.out, " 1  demo.exe + 0x111a\n"));
    ck_assert_ptr_nonnull(strstr(r.out, " 4  kernel32.dll!BaseThreadInitThunk + 0x10\n"));
    ck_assert_ptr_null(strstr(r.out, "stack scanning"));
    ck_assert_ptr_nonnull(strstr(r.out, "callback depth 1: table[2] from NtUserGetMessage"));
    cli_result_free(&r);
}
END_TEST

/* ---- the CLI: callbacks ---------------------------------------------------------------- */

/* The part of a callbacks JSON document about one thread. */
static char *thread_json(const char *doc, uint32_t tid)
{
    char key[64];
    snprintf(key, sizeof key, "\"thread_id\": %u,", tid);
    const char *start = strstr(doc, key);
    ck_assert_msg(start != NULL, "no thread %u", tid);
    const char *end = strstr(start + 1, "\"thread_id\": ");
    size_t len = end ? (size_t)(end - start) : strlen(start);
    char *s = malloc(len + 1);
    memcpy(s, start, len);
    s[len] = '\0';
    return s;
}

static void expect_has(const char *json, const char *what)
{
    ck_assert_msg(strstr(json, what) != NULL, "missing %s in:\n%s", what, json);
}

START_TEST(callbacks_exits_3_on_the_parked_thread)
{
    if (!cli_path())
        return;
    cli_result r;
    const char *args[] = {"callbacks", "--json", "--symbols", symbols_dir(), dump_path(), NULL};
    run_cli(args, 3, &r);
    ck_assert(json_is_valid(r.out, r.out_len));
    expect_has(r.out, "\"os_build\": 19045");
    expect_has(r.out, "\"thread_count\": 3");
    expect_has(r.out, "\"parked_count\": 1");
    char *t = thread_json(r.out, 4104);
    expect_has(t, "\"state\": \"parked_at_callback_return\"");
    expect_has(t, "\"callback_depth\": 1");
    expect_has(t, "\"syscall\": \"NtCallbackReturn\"");
    expect_has(t, "\"ssn\": \"0x5\"");
    expect_has(t, "\"dispatcher\": \"ntdll.dll!KiUserCallbackDispatcher\"");
    expect_has(t, "\"api_number\": 2");
    expect_has(t, "\"routine_address\": \"0x7ffaf201a5e0\"");
    expect_has(t, "\"routine\": \"user32.dll!__fnDWORD\"");
    expect_has(t, "\"outer_syscall\": \"NtUserGetMessage\"");
    free(t);
    t = thread_json(r.out, 4100);
    expect_has(t, "\"state\": \"syscall_wait\"");
    expect_has(t, "\"syscall\": \"NtWaitForSingleObject\"");
    free(t);
    t = thread_json(r.out, 4096);
    expect_has(t, "\"state\": \"running\"");
    free(t);
    cli_result_free(&r);

    /* The exports in dump memory are evidence enough without symbols. */
    const char *text[] = {"callbacks", dump_path(), NULL};
    run_cli(text, 3, &r);
    expect_has(r.out, "parked at callback return: 1\n");
    cli_result_free(&r);
}
END_TEST

/* ---- the README ------------------------------------------------------------------------ */

#define README_RUN                                                                                 \
    "build/tools/dumpwalk stack --symbols fixtures/symbols fixtures/synthetic-x64.dmp"

/* The README's first command ends by running the CLI on the fixture; that
 * run must succeed and show what the fixture is for. */
START_TEST(readme_first_command_runs_the_fixture)
{
    const char *root = getenv("DW_SOURCE_ROOT");
    if (!root || !cli_path())
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/README.md", root);
    size_t size;
    char *readme = (char *)dw_test_read_file(path, &size);
    ck_assert_ptr_nonnull(readme);
    readme = realloc(readme, size + 1);
    readme[size] = '\0';
    const char *cmd = strstr(readme, "\n    ");
    ck_assert_ptr_nonnull(cmd);
    const char *eol = strchr(cmd + 1, '\n');
    size_t tail = strlen(README_RUN);
    ck_assert_msg(eol && (size_t)(eol - cmd) > tail && !strncmp(eol - tail, README_RUN, tail),
                  "the README's first command does not end with '%s'", README_RUN);
    free(readme);
    cli_result r;
    const char *args[] = {"stack", "--symbols", symbols_dir(), dump_path(), NULL};
    run_cli(args, 0, &r);
    ck_assert_ptr_nonnull(strstr(r.out, "demo.exe!crash_here [demo.c : 42 + 0x7]"));
    ck_assert_ptr_nonnull(strstr(r.out, "Analysis: parked at NtCallbackReturn"));
    cli_result_free(&r);
}
END_TEST

Suite *fixture_suite(void)
{
    Suite *s = suite_create("fixture");
    TCase *tc = tcase_create("fixture");
    tcase_add_test(tc, committed_fixtures_are_what_make_fixtures_writes);
    tcase_add_test(tc, walk_recovers_every_built_frame);
    tcase_add_test(tc, stack_with_symbols_names_every_frame);
    tcase_add_test(tc, stack_without_symbols_uses_exports_and_pdata);
    tcase_add_test(tc, callbacks_exits_3_on_the_parked_thread);
    tcase_add_test(tc, readme_first_command_runs_the_fixture);
    suite_add_tcase(s, tc);
    return s;
}
