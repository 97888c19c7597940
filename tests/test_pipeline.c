/* Pipeline readiness: the stack JSON against the schema tables of
 * docs/json.md (fixture, a synthetic dump with handles, every corpus dump
 * through `dumpwalk batch`), and batch mode: input order whatever the
 * workers do, failure objects for unreadable paths, gzip and magic-based
 * discovery in directories, the same bytes as `stack --json`, the library's
 * progress callback and summary, exit statuses. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../tools/bigdump.h"
#include "cli_run.h"
#include "corpus.h"
#include "dumpwalk/dumpwalk.h"
#include "json_schema.h"
#include "mdwriter.h"
#include "test_util.h"

/* Which docs/json.md table describes each nested value. */
static const js_link stack_links[] = {
    {"Top level", "system_info", "System info object"},
    {"Top level", "crash_info", "Crash info object"},
    {"Top level", "crashing_thread", "Thread object"},
    {"Top level", "threads", "Thread object"},
    {"Top level", "modules", "Module object"},
    {"Top level", "unloaded_modules", "Unloaded module object"},
    {"Top level", "handles", "Handle object"},
    {"Top level", "health", "`health` (every document)"},
    {"Thread object", "frames", "Frame object"},
    {"Frame object", "inlines", "Inline object"},
};
#define LINK_COUNT (sizeof stack_links / sizeof stack_links[0])

static js_schema *load_schema(void)
{
    const char *root = getenv("DW_SOURCE_ROOT");
    ck_assert_msg(root != NULL, "DW_SOURCE_ROOT is not set");
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/json.md", root);
    js_schema *s = js_schema_load(path);
    ck_assert_msg(s != NULL, "cannot read %s", path);
    return s;
}

static void expect_valid(const js_schema *s, const char *text, size_t len, int batch_line,
                         const char *what)
{
    static const char *const stack_roots[] = {"Top level"};
    static const char *const line_roots[] = {"Batch line", "Top level"};
    char why[512];
    int ok =
        batch_line
            ? js_validate(s, text, len, line_roots, 2, stack_links, LINK_COUNT, why, sizeof why)
            : js_validate(s, text, len, stack_roots, 1, stack_links, LINK_COUNT, why, sizeof why);
    ck_assert_msg(ok, "%s: %s", what, why);
}

static void expect_valid_failure(const js_schema *s, const char *text, size_t len, const char *what)
{
    static const char *const roots[] = {"Batch failure object"};
    char why[512];
    ck_assert_msg(js_validate(s, text, len, roots, 1, NULL, 0, why, sizeof why), "%s: %s", what,
                  why);
}

/* The stack report of a dump file into a malloc'd string. */
static char *stack_json_of(const char *path, int only_thread, uint32_t tid, size_t *len)
{
    dw_dump *dump;
    ck_assert_int_eq(dw_dump_open(path, NULL, &dump, NULL), DW_OK);
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    dw_stack_report_options ro = DW_STACK_REPORT_OPTIONS_INIT;
    ro.only_thread = only_thread;
    ro.thread_id = tid;
    ck_assert_int_eq(dw_report_stack(dump, &ro, DW_REPORT_JSON, f), DW_OK);
    fclose(f);
    dw_dump_close(dump);
    return buf;
}

static void copy_file(const char *from, const char *to)
{
    size_t size;
    uint8_t *data = dw_test_read_file(from, &size);
    ck_assert_ptr_nonnull(data);
    FILE *f = fopen(to, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    fclose(f);
    free(data);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void gzip_file(const char *from, const char *to)
{
    size_t size;
    uint8_t *data = dw_test_read_file(from, &size);
    ck_assert_ptr_nonnull(data);
    gzFile gz = gzopen(to, "wb");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, data, (unsigned)size), (int)size);
    gzclose(gz);
    free(data);
}

/* Lines of a JSON-lines text as (start, length) pairs; returns the count. */
static size_t split_lines(const char *text, size_t len, const char **starts, size_t *lens,
                          size_t max)
{
    size_t n = 0;
    for (size_t pos = 0; pos < len && n < max;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        ck_assert_msg(nl != NULL, "last line has no newline");
        starts[n] = text + pos;
        lens[n] = (size_t)(nl - (text + pos));
        n++;
        pos += lens[n - 1] + 1;
    }
    return n;
}

/* The "path" and "status" members of a batch line (both come early). */
static void line_member(const char *line, size_t len, const char *key, char *out, size_t size)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = memmem(line, len, pat, strlen(pat));
    ck_assert_msg(p != NULL, "no %s in '%.*s'", key, (int)(len > 200 ? 200 : len), line);
    p += strlen(pat);
    const char *q = memchr(p, '"', len - (size_t)(p - line));
    ck_assert_ptr_nonnull(q);
    snprintf(out, size, "%.*s", (int)(q - p), p);
}

/* ---- schema ---------------------------------------------------------------- */

START_TEST(docs_schema_tables_are_read)
{
    js_schema *s = load_schema();
    static const struct {
        const char *table;
        size_t min_rows;
    } tables[] = {
        {"Top level", 15},     {"System info object", 6},     {"Crash info object", 4},
        {"Thread object", 8},  {"Frame object", 16},          {"Inline object", 3},
        {"Module object", 12}, {"Unloaded module object", 3}, {"Handle object", 7},
        {"Batch line", 1},     {"Batch failure object", 4},   {"`health` (every document)", 2},
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        ck_assert_msg(js_schema_rows(s, tables[i].table) >= tables[i].min_rows,
                      "docs/json.md: table '%s' has %zu rows", tables[i].table,
                      js_schema_rows(s, tables[i].table));
    ck_assert_uint_eq(js_schema_rows(s, "`health` (every document)/issues"), 5);
    js_schema_free(s);
}
END_TEST

/* The validator itself must reject what the schema forbids. */
START_TEST(schema_check_rejects_undocumented_missing_and_mistyped_members)
{
    js_schema *s = load_schema();
    size_t len;
    char *doc = stack_json_of(dw_test_fixture_dump(), 0, 0, &len);
    expect_valid(s, doc, len, 0, "fixture");
    static const char *const roots[] = {"Top level"};
    char why[512];
    /* An extra member. */
    char *bad = malloc(len + 64);
    snprintf(bad, len + 64, "{\"surprise\":1,%s", doc + 1);
    ck_assert(
        !js_validate(s, bad, strlen(bad), roots, 1, stack_links, LINK_COUNT, why, sizeof why));
    ck_assert_msg(strstr(why, "surprise") != NULL, "%s", why);
    /* A documented member missing: rename "status". */
    strcpy(bad, doc);
    char *st = strstr(bad, "\"status\"");
    ck_assert_ptr_nonnull(st);
    memcpy(st, "\"statuz\"", 8);
    ck_assert(!js_validate(s, bad, len, roots, 1, stack_links, LINK_COUNT, why, sizeof why));
    /* A hex member holding a number. */
    strcpy(bad, doc);
    char *off = strstr(bad, "\"offset\": \"0x");
    ck_assert_ptr_nonnull(off);
    char *close = strchr(off + 11, '"');
    ck_assert_ptr_nonnull(close);
    memset(off + 10, ' ', (size_t)(close - off - 9));
    off[10] = '7';
    ck_assert(!js_validate(s, bad, len, roots, 1, stack_links, LINK_COUNT, why, sizeof why));
    ck_assert_msg(strstr(why, "offset") != NULL, "%s", why);
    free(bad);
    free(doc);
    js_schema_free(s);
}
END_TEST

START_TEST(fixture_stack_json_matches_documented_schema)
{
    js_schema *s = load_schema();
    size_t len;
    char *doc = stack_json_of(dw_test_fixture_dump(), 0, 0, &len);
    expect_valid(s, doc, len, 0, "fixture");
    ck_assert_ptr_nonnull(strstr(doc, "\"dumpwalk_json_version\": 1,"));
    ck_assert_ptr_nonnull(strstr(doc, "\"pid\": 4242"));
    ck_assert_ptr_nonnull(strstr(doc, "\"handles\": [\n    {\n      \"handle\": \"0x4\","));
    free(doc);
    doc = stack_json_of(dw_test_fixture_dump(), 1, 0x1004, &len);
    expect_valid(s, doc, len, 0, "fixture --thread 0x1004");
    ck_assert_ptr_nonnull(strstr(doc, "\"crashing_thread\": null"));
    free(doc);
    js_schema_free(s);
}
END_TEST

/* A dump with HandleData, unloaded modules and a named thread. */
static void write_handles_dump(const char *path)
{
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19045, 2, NULL);
    mdw_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.r[DW_AMD64_RIP] = 0x140001000ULL;
    regs.r[DW_AMD64_RSP] = 0x10000ULL + 0x100;
    uint32_t ctx_size, ctx = mdw_context_amd64(w, &regs, 0x10000b, &ctx_size);
    uint8_t stack[512];
    memset(stack, 0, sizeof stack);
    mdw_add_thread(w, 77, 0x7000, 0x10000, stack, sizeof stack, ctx, ctx_size);
    mdw_add_thread_name(w, 77, "io \"worker\"");
    mdw_add_module(w, 0x140000000ULL, 0x10000, "C:\\app\\app.exe", 0x5f000000, NULL, NULL, 0, 0);
    mdw_add_unloaded_module(w, 0x180000000ULL, 0x4000, "C:\\app\\gone.dll", 0x5f000001);
    mdw_add_handle(w, 0x4, "File", "\\Device\\HarddiskVolume3\\log.txt", 0x120089);
    mdw_add_handle(w, 0x8, "Event", NULL, 0x1f0003);
    mdw_misc_info(w, 24, 1234, 0x5eff0000);
    ck_assert_int_eq(mdw_write_file(w, path), 0);
    mdw_free(w);
}

START_TEST(handles_and_unloaded_modules_are_reported)
{
    js_schema *s = load_schema();
    char path[4096];
    snprintf(path, sizeof path, "%s/handles.dmp", dw_test_tmpdir());
    write_handles_dump(path);
    size_t len;
    char *doc = stack_json_of(path, 0, 0, &len);
    expect_valid(s, doc, len, 0, "handles.dmp");
    ck_assert_msg(
        strstr(doc, "\"handle\": \"0x4\",\n      \"type_name\": \"File\",\n"
                    "      \"object_name\": \"\\\\Device\\\\HarddiskVolume3\\\\log.txt\"") != NULL,
        "%s", doc);
    ck_assert_ptr_nonnull(strstr(doc, "\"granted_access\": \"0x1f0003\""));
    ck_assert_ptr_nonnull(strstr(doc, "\"type_name\": \"Event\",\n      \"object_name\": null"));
    ck_assert_ptr_nonnull(strstr(doc, "\"filename\": \"gone.dll\""));
    ck_assert_ptr_nonnull(strstr(doc, "\"thread_name\": \"io \\\"worker\\\"\""));
    ck_assert_ptr_nonnull(strstr(doc, "\"pid\": 1234"));
    free(doc);
    js_schema_free(s);
}
END_TEST

/* Every corpus dump through one batch run: one valid line each, in order. */
START_TEST(corpus_batch_lines_match_documented_schema)
{
    const char *const *dumps;
    size_t n = corpus_dumps(&dumps);
    if (n == 0)
        return;
    js_schema *s = load_schema();
    const char **args = calloc(n + 4, sizeof *args);
    char **abs = calloc(n, sizeof *abs);
    size_t a = 0;
    args[a++] = "batch";
    args[a++] = "--jobs";
    args[a++] = "2";
    for (size_t i = 0; i < n; i++)
        args[a++] = abs[i] = strdup(corpus_abs(dumps[i]));
    cli_result r;
    ck_assert_int_eq(cli_run(args, &r), 0);
    ck_assert_msg(r.signal == 0 && (r.exit_code == 0 || r.exit_code == 1), "exit %d: %s",
                  r.exit_code, r.err);
    const char **starts = calloc(n + 1, sizeof *starts);
    size_t *lens = calloc(n + 1, sizeof *lens);
    ck_assert_uint_eq(split_lines(r.out, r.out_len, starts, lens, n + 1), n);
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096], status[64];
        line_member(starts[i], lens[i], "path", path, sizeof path);
        ck_assert_str_eq(path, abs[i]);
        line_member(starts[i], lens[i], "status", status, sizeof status);
        if (memmem(starts[i], lens[i], "\"error\":\"", 9)) {
            failed++;
            expect_valid_failure(s, starts[i], lens[i], dumps[i]);
        } else {
            expect_valid(s, starts[i], lens[i], 1, dumps[i]);
        }
    }
    fprintf(stderr, "pipeline: corpus batch: %zu dumps, %zu failure objects\n", n, failed);
    ck_assert_msg(failed * 4 < n, "%zu of %zu corpus dumps failed", failed, n);
    for (size_t i = 0; i < n; i++)
        free(abs[i]);
    free(abs);
    free(args);
    free(starts);
    free(lens);
    cli_result_free(&r);
    js_schema_free(s);
}
END_TEST

/* ---- batch ------------------------------------------------------------------- */

/* tree/: a.dmp, b/c.dmp.gz, b/notes.txt (skipped), b/d/e.bin (a dump by
 * magic), trunc.dmp (a header only), z.dmp (not a dump, but named .dmp:
 * skipped since only magic counts in directories). */
static void make_tree(char *root, size_t size)
{
    snprintf(root, size, "%s/tree", dw_test_tmpdir());
    char p[4200];
    mkdir(root, 0755);
    snprintf(p, sizeof p, "%s/b", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/b/d", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/a.dmp", root);
    copy_file(dw_test_fixture_dump(), p);
    snprintf(p, sizeof p, "%s/b/c.dmp.gz", root);
    gzip_file(dw_test_fixture_dump(), p);
    snprintf(p, sizeof p, "%s/b/notes.txt", root);
    write_text(p, "not a dump\n");
    snprintf(p, sizeof p, "%s/b/d/e.bin", root);
    copy_file(dw_test_fixture_dump(), p);
    snprintf(p, sizeof p, "%s/z.dmp", root);
    write_text(p, "MDMX is not the magic\n");
    size_t fsize;
    uint8_t *data = dw_test_read_file(dw_test_fixture_dump(), &fsize);
    snprintf(p, sizeof p, "%s/trunc.dmp", root);
    FILE *f = fopen(p, "wb");
    fwrite(data, 1, 32, f);
    fclose(f);
    free(data);
}

START_TEST(batch_writes_lines_in_input_order_with_failure_objects)
{
    js_schema *s = load_schema();
    char root[4096], missing[4200], junk[4200];
    make_tree(root, sizeof root);
    snprintf(missing, sizeof missing, "%s/does-not-exist.dmp", dw_test_tmpdir());
    snprintf(junk, sizeof junk, "%s/b/notes.txt", root);
    const char *args3[] = {"batch", "--jobs", "3", root, missing, junk, dw_test_fixture_dump(),
                           NULL};
    const char *args1[] = {"batch", "--jobs", "1", root, missing, junk, dw_test_fixture_dump(),
                           NULL};
    cli_result r3, r1;
    ck_assert_int_eq(cli_run(args3, &r3), 0);
    ck_assert_int_eq(cli_run(args1, &r1), 0);
    ck_assert_msg(r3.exit_code == 1, "exit %d: %s", r3.exit_code, r3.err);
    ck_assert_uint_eq(r3.out_len, r1.out_len);
    ck_assert_msg(!memcmp(r3.out, r1.out, r1.out_len), "--jobs 3 and --jobs 1 differ");

    static const struct {
        const char *suffix;
        const char *status;
    } want[] = {
        {"tree/a.dmp", "OK"},
        {"tree/b/c.dmp.gz", "OK"},
        {"tree/b/d/e.bin", "OK"},
        {"tree/trunc.dmp", "ERROR_NO_THREAD_LIST"},
        {"does-not-exist.dmp", "ERROR_MINIDUMP_NOT_FOUND"},
        {"tree/b/notes.txt", "ERROR_NO_MINIDUMP_HEADER"},
        {"synthetic-x64.dmp", "OK"},
    };
    const char *starts[16];
    size_t lens[16];
    size_t n = split_lines(r3.out, r3.out_len, starts, lens, 16);
    ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        char path[4096], status[64];
        line_member(starts[i], lens[i], "path", path, sizeof path);
        line_member(starts[i], lens[i], "status", status, sizeof status);
        size_t pl = strlen(path), sl = strlen(want[i].suffix);
        ck_assert_msg(pl >= sl && !strcmp(path + pl - sl, want[i].suffix), "line %zu: %s", i, path);
        ck_assert_str_eq(status, want[i].status);
        if (!strncmp(status, "ERROR_", 6) && strcmp(status, "ERROR_NO_THREAD_LIST") != 0)
            expect_valid_failure(s, starts[i], lens[i], path);
        else
            expect_valid(s, starts[i], lens[i], 1, path);
    }
    /* Summary on stderr; no progress bar when stderr is not a terminal. */
    ck_assert_msg(strstr(r3.err, "dumpwalk batch: 7 dumps: 4 ok, 1 damaged, 2 failed") != NULL,
                  "%s", r3.err);
    ck_assert_ptr_null(strchr(r3.err, '\r'));
    cli_result_free(&r3);
    cli_result_free(&r1);
    js_schema_free(s);
}
END_TEST

/* JSON text without the whitespace outside strings. */
static size_t compact_json(const char *in, size_t len, char *out)
{
    size_t o = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (in_string) {
            out[o++] = c;
            if (c == '\\' && i + 1 < len)
                out[o++] = in[++i];
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
            out[o++] = c;
        } else if (!strchr(" \n\t\r", c)) {
            out[o++] = c;
        }
    }
    return o;
}

START_TEST(batch_line_is_the_stack_document_on_one_line)
{
    const char *sargs[] = {"stack", "--json", dw_test_fixture_dump(), NULL};
    const char *bargs[] = {"batch", dw_test_fixture_dump(), NULL};
    cli_result rs, rb;
    ck_assert_int_eq(cli_run(sargs, &rs), 0);
    ck_assert_int_eq(cli_run(bargs, &rb), 0);
    ck_assert_int_eq(rs.exit_code, 0);
    ck_assert_msg(rb.exit_code == 0, "%s", rb.err);
    char *compact = malloc(rs.out_len + 1);
    size_t clen = compact_json(rs.out, rs.out_len, compact);
    /* {"path":"...",<the rest of the stack document>}\n */
    char prefix[4200];
    int pl = snprintf(prefix, sizeof prefix, "{\"path\":\"%s\",", dw_test_fixture_dump());
    ck_assert_uint_eq(rb.out_len, (size_t)pl + clen - 1 + 1);
    ck_assert(!memcmp(rb.out, prefix, (size_t)pl));
    ck_assert_msg(!memcmp(rb.out + pl, compact + 1, clen - 1), "batch line differs from stack");
    ck_assert_int_eq(rb.out[rb.out_len - 1], '\n');
    free(compact);
    cli_result_free(&rs);
    cli_result_free(&rb);
}
END_TEST

typedef struct progress_log {
    size_t calls, last_done, total;
    int monotonic;
} progress_log;

static void log_progress(const dw_batch_progress *p, void *ctx)
{
    progress_log *log = ctx;
    log->monotonic &= p->done == log->last_done + 1 && p->elapsed >= 0;
    log->calls++;
    log->last_done = p->done;
    log->total = p->total;
}

START_TEST(batch_api_reports_progress_summary_and_order)
{
    char dir[4096], p[4200];
    snprintf(dir, sizeof dir, "%s/many", dw_test_tmpdir());
    mkdir(dir, 0755);
    enum { COPIES = 40 };
    for (int i = 0; i < COPIES; i++) {
        snprintf(p, sizeof p, "%s/d%03d.dmp", dir, i);
        copy_file(dw_test_fixture_dump(), p);
    }
    snprintf(p, sizeof p, "%s/d020.dmp", dir);
    write_text(p, "MDMP but far too short");
    const char *paths[] = {dir};
    progress_log log = {0, 0, 0, 1};
    dw_batch_options bo = DW_BATCH_OPTIONS_INIT;
    bo.jobs = 4;
    bo.progress = log_progress;
    bo.progress_ctx = &log;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    dw_batch_summary sum;
    ck_assert_int_eq(dw_batch_run(paths, 1, &bo, f, &sum), DW_OK);
    fclose(f);
    ck_assert_uint_eq(sum.dumps, COPIES);
    ck_assert_uint_eq(sum.ok, COPIES - 1);
    ck_assert_uint_eq(sum.failed, 1);
    ck_assert_uint_eq(sum.damaged, 0);
    ck_assert(sum.seconds > 0);
    ck_assert_uint_eq(log.calls, COPIES);
    ck_assert_uint_eq(log.total, COPIES);
    ck_assert(log.monotonic);
    const char *starts[COPIES + 1];
    size_t lens[COPIES + 1];
    ck_assert_uint_eq(split_lines(buf, len, starts, lens, COPIES + 1), COPIES);
    for (int i = 0; i < COPIES; i++) {
        char path[4096], want[4200];
        line_member(starts[i], lens[i], "path", path, sizeof path);
        snprintf(want, sizeof want, "%s/d%03d.dmp", dir, i);
        ck_assert_str_eq(path, want);
    }
    free(buf);

    bo.jobs = DW_BATCH_MAX_JOBS + 1;
    f = open_memstream(&buf, &len);
    ck_assert_int_eq(dw_batch_run(paths, 1, &bo, f, NULL), DW_ERR_INVALID_ARG);
    fclose(f);
    free(buf);
    ck_assert_str_eq(dw_batch_error_status(DW_ERR_IO), "ERROR_MINIDUMP_NOT_FOUND");
    ck_assert_str_eq(dw_batch_error_status(DW_ERR_FORMAT), "ERROR_NO_MINIDUMP_HEADER");
}
END_TEST

START_TEST(batch_usage_errors_exit_2)
{
    static const char *const cases[][5] = {
        {"batch", NULL},
        {"batch", "--jobs", "0", "x", NULL},
        {"batch", "--jobs", "many", "x", NULL},
        {"batch", "--symbols", "/nonexistent-dir", "x", NULL},
        {"batch", "--frobnicate", "x", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_result r;
        ck_assert_int_eq(cli_run(cases[i], &r), 0);
        ck_assert_msg(r.exit_code == 2, "case %zu: exit %d", i, r.exit_code);
        ck_assert_msg(r.out_len == 0, "case %zu printed to stdout", i);
        ck_assert_ptr_nonnull(strstr(r.err, "dumpwalk batch: "));
        cli_result_free(&r);
    }
    /* An empty directory: nothing to do is an error too. */
    char empty[4096];
    snprintf(empty, sizeof empty, "%s/empty", dw_test_tmpdir());
    mkdir(empty, 0755);
    const char *args[] = {"batch", empty, NULL};
    cli_result r;
    ck_assert_int_eq(cli_run(args, &r), 0);
    ck_assert_int_eq(r.exit_code, 2);
    cli_result_free(&r);
}
END_TEST

/* ---- big dumps ------------------------------------------------------------------ */

static int symstr_eq(dw_symstr s, const char *want)
{
    return s.len == strlen(want) && !memcmp(s.ptr, want, s.len);
}

/* A 64 MiB sparse full-memory dump from tools/bigdump.c: every thread's
 * walk must give exactly the generated chain, found from .pdata and named
 * from the exports of the PE images in dump memory. */
START_TEST(generated_full_memory_dump_walks_to_its_ground_truth)
{
    static bigdump_truth truth;
    bigdump_spec spec = {64ull << 20, 16, 12, 24};
    char path[4200], err[256];
    snprintf(path, sizeof path, "%s/big64m.dmp", dw_test_tmpdir());
    ck_assert_msg(bigdump_write(path, &spec, &truth, err, sizeof err) == 0, "%s", err);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq((uint64_t)st.st_size, truth.file_size);
    ck_assert_uint_ge(truth.file_size, 64ull << 20);
    ck_assert_msg(truth.bytes_written < (2u << 20), "%llu bytes written: not sparse",
                  (unsigned long long)truth.bytes_written);

    dw_dump *dump;
    ck_assert_int_eq(dw_dump_open(path, NULL, &dump, NULL), DW_OK);
    ck_assert_int_eq(dw_dump_check_all(dump), DW_OK);
    const dw_memory_range *ranges;
    size_t nranges;
    ck_assert_int_eq(dw_memory_ranges(dump, &ranges, &nranges), DW_OK);
    ck_assert_uint_eq(nranges, truth.range_count);
    const dw_thread *threads;
    size_t nthreads;
    ck_assert_int_eq(dw_dump_threads(dump, &threads, &nthreads), DW_OK);
    ck_assert_uint_eq(nthreads, spec.threads);
    dw_walker *w;
    ck_assert_int_eq(dw_walker_new(dump, NULL, &w), DW_OK);
    size_t frames_total = 0;
    for (size_t t = 0; t < nthreads; t++) {
        ck_assert_uint_eq(threads[t].thread_id, truth.thread_ids[t]);
        ck_assert_int_eq(dw_walker_start(w, &threads[t]), DW_OK);
        dw_frame f;
        unsigned n = 0;
        while (dw_walker_next(w, &f) == DW_OK) {
            ck_assert_msg(n < truth.depth[t], "thread %zu: more than %u frames", t, truth.depth[t]);
            const bigdump_frame *want = &truth.frames[t][n];
            char fn[64];
            bigdump_function_name(want->module, want->function, fn, sizeof fn);
            ck_assert_msg(f.ip == want->ip && f.sp == want->sp,
                          "thread %zu frame %u: ip %llx sp %llx, want %llx %llx", t, n,
                          (unsigned long long)f.ip, (unsigned long long)f.sp,
                          (unsigned long long)want->ip, (unsigned long long)want->sp);
            ck_assert_int_eq(f.trust, n == 0 ? DW_TRUST_CONTEXT : DW_TRUST_CFI);
            ck_assert_ptr_nonnull(f.module);
            ck_assert_str_eq(f.module->name, bigdump_module_name(want->module));
            ck_assert_int_eq(f.symbol_source, DW_SYMSRC_EXPORT);
            ck_assert_msg(symstr_eq(f.function, fn), "thread %zu frame %u: %.*s, want %s", t, n,
                          (int)f.function.len, f.function.ptr, fn);
            n++;
        }
        ck_assert_msg(n == truth.depth[t], "thread %zu: %u frames, want %u (%s)", t, n,
                      truth.depth[t], dw_walker_stop_reason(w));
        frames_total += n;
    }
    ck_assert_uint_gt(frames_total, 3 * nthreads);
    dw_walker_free(w);
    dw_dump_close(dump);

    /* The JSON report of the same dump matches the documented schema. */
    js_schema *s = load_schema();
    size_t len;
    char *doc = stack_json_of(path, 0, 0, &len);
    expect_valid(s, doc, len, 0, "big64m.dmp");
    ck_assert_ptr_nonnull(strstr(doc, "\"function\": \"user32_fn48\""));
    free(doc);
    js_schema_free(s);
    unlink(path);
}
END_TEST

/* ---- install ------------------------------------------------------------------ */

/* The C program the README shows under "<!-- install-test: walk.c -->". */
static char *readme_program(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/README.md", getenv("DW_SOURCE_ROOT"));
    size_t size;
    char *text = (char *)dw_test_read_file(path, &size);
    ck_assert_ptr_nonnull(text);
    char *mark = strstr(text, "<!-- install-test: walk.c -->\n```c\n");
    ck_assert_msg(mark != NULL, "README.md has no install-test program");
    char *start = strchr(mark, '\n') + 1;
    start = strchr(start, '\n') + 1;
    char *end = strstr(start, "```\n");
    ck_assert_ptr_nonnull(end);
    char *prog = strndup(start, (size_t)(end - start));
    free(text);
    return prog;
}

/* Run a shell command with its output in `log`; fails the test with the
 * log's tail when the command fails. */
static void sh(const char *cmd, const char *log)
{
    char full[16384];
    int n = snprintf(full, sizeof full, "(%s) >%s 2>&1", cmd, log);
    ck_assert_msg(n > 0 && (size_t)n < sizeof full, "command too long: %s", cmd);
    int rc = system(full);
    if (rc != 0) {
        size_t size = 0;
        char *out = (char *)dw_test_read_file(log, &size);
        const char *tail = out && size > 1500 ? out + size - 1500 : out;
        ck_abort_msg("'%s' failed (%d): %s", cmd, rc, tail ? tail : "");
    }
}

START_TEST(installed_tree_builds_and_runs_the_readme_program)
{
    const char *build = getenv("DW_BUILD_ROOT");
    if (!build || !getenv("DW_SOURCE_ROOT"))
        return; /* only under `meson test` */
    const char *sanitize = getenv("DW_SANITIZE");
    char dest[1024], cmd[12288], log[4200], prog[4200];
    snprintf(dest, sizeof dest, "%s/destdir", dw_test_tmpdir());
    snprintf(log, sizeof log, "%s/install.log", dw_test_tmpdir());
    snprintf(cmd, sizeof cmd, "meson install -C '%s' --no-rebuild --destdir '%s'", build, dest);
    sh(cmd, log);
    /* Everything the install story promises is in place. */
    static const char *const wanted[] = {"bin/dumpwalk",
                                         "man1/dumpwalk.1",
                                         "libdumpwalk.a",
                                         "libdumpwalk.so",
                                         "dumpwalk.pc",
                                         "include/dumpwalk/dumpwalk.h",
                                         "include/dumpwalk/batch.h"};
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        snprintf(cmd, sizeof cmd, "find '%s' -path '*/%s' | grep -q .", dest, wanted[i]);
        sh(cmd, log);
    }
    snprintf(prog, sizeof prog, "%s/walk.c", dw_test_tmpdir());
    char *text = readme_program();
    write_text(prog, text);
    free(text);
    /* PKG_CONFIG_SYSROOT_DIR maps the .pc file's prefix into the DESTDIR;
     * a sanitized library needs the sanitizer runtime in the program too. */
    char sanflags[128] = "";
    if (sanitize && sanitize[0] && strcmp(sanitize, "none") != 0)
        snprintf(sanflags, sizeof sanflags, "-fsanitize=%s", sanitize);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && pc=$(dirname \"$(find '%s' -name dumpwalk.pc | head -1)\") && "
             "libdir=$(dirname \"$(find '%s' -name 'libdumpwalk.so' | head -1)\") && "
             "export PKG_CONFIG_PATH=\"$pc\" PKG_CONFIG_SYSROOT_DIR='%s' && "
             "cc %s walk.c $(pkg-config --cflags --libs dumpwalk) -o walk && "
             "LD_LIBRARY_PATH=\"$libdir\" ./walk '%s' > walk.out",
             dw_test_tmpdir(), dest, dest, dest, sanflags, dw_test_fixture_dump());
    sh(cmd, log);
    char out_path[4200];
    snprintf(out_path, sizeof out_path, "%s/walk.out", dw_test_tmpdir());
    size_t size;
    char *out = (char *)dw_test_read_file(out_path, &size);
    ck_assert_ptr_nonnull(out);
    out = realloc(out, size + 1);
    out[size] = '\0';
    ck_assert_msg(strstr(out, "Crash reason:  EXCEPTION_ACCESS_VIOLATION_WRITE\n") != NULL, "%s",
                  out);
    ck_assert_msg(strstr(out, "Thread 0 main (crashed) - tid: 4096\n") != NULL, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, " 0  demo.exe + 0x1a2c\n"));
    free(out);
    /* The man page is valid troff with the sections a man page has. */
    snprintf(cmd, sizeof cmd,
             "f=$(find '%s' -path '*/man1/dumpwalk.1' | head -1) && grep -q '^.TH DUMPWALK 1' "
             "\"$f\" && grep -q '^.SH SYNOPSIS' \"$f\" && grep -q '^.SH EXIT STATUS' \"$f\"",
             dest);
    sh(cmd, log);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dest);
    sh(cmd, log);
}
END_TEST

Suite *pipeline_suite(void)
{
    Suite *s = suite_create("pipeline");
    TCase *tc = tcase_create("pipeline");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, docs_schema_tables_are_read);
    tcase_add_test(tc, schema_check_rejects_undocumented_missing_and_mistyped_members);
    tcase_add_test(tc, fixture_stack_json_matches_documented_schema);
    tcase_add_test(tc, handles_and_unloaded_modules_are_reported);
    tcase_add_test(tc, corpus_batch_lines_match_documented_schema);
    tcase_add_test(tc, batch_writes_lines_in_input_order_with_failure_objects);
    tcase_add_test(tc, batch_line_is_the_stack_document_on_one_line);
    tcase_add_test(tc, batch_api_reports_progress_summary_and_order);
    tcase_add_test(tc, batch_usage_errors_exit_2);
    tcase_add_test(tc, generated_full_memory_dump_walks_to_its_ground_truth);
    suite_add_tcase(s, tc);
    TCase *install = tcase_create("install");
    tcase_set_timeout(install, 600);
    tcase_add_test(install, installed_tree_builds_and_runs_the_readme_program);
    suite_add_tcase(s, install);
    return s;
}
