/* The stack report and the `dumpwalk stack` command: JSON validity on the
 * fixture and every corpus dump (with and without symbols), the human
 * output's structure, --thread filtering, the JSON schema against
 * minidump-stackwalk's own output for breakpad/minidump2, and how many frames
 * agree with Breakpad's minidump_stackwalk on the corpus (printed to stderr). */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_run.h"
#include "corpus.h"
#include "dumpwalk/dumpwalk.h"
#include "test_util.h"

/* ---- a small JSON tree, enough to compare two documents field by field --- */

typedef struct jnode {
    char type;       /* 'o' object, 'a' array, 's' string, 'n' number, 't', 'f', 'z' null */
    const char *key; /* member name (raw, without quotes) when inside an object */
    size_t key_len;
    const char *text; /* string contents (raw escapes kept) or number text */
    size_t len;
    int child, next; /* first child and next sibling, -1 when none */
} jnode;

typedef struct jdoc {
    jnode *n;
    int count, cap;
    const char *p, *end;
} jdoc;

static int jnew(jdoc *d, char type)
{
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 256;
        d->n = realloc(d->n, (size_t)d->cap * sizeof *d->n);
    }
    jnode *n = &d->n[d->count];
    memset(n, 0, sizeof *n);
    n->type = type;
    n->child = n->next = -1;
    return d->count++;
}

static void jws(jdoc *d)
{
    while (d->p < d->end && strchr(" \t\r\n", *d->p))
        d->p++;
}

/* A string token: returns its raw contents; d->p moves past the quote. */
static int jstring(jdoc *d, const char **s, size_t *len)
{
    if (d->p >= d->end || *d->p != '"')
        return 0;
    const char *start = ++d->p;
    while (d->p < d->end && *d->p != '"')
        d->p += *d->p == '\\' ? 2 : 1;
    if (d->p >= d->end)
        return 0;
    *s = start;
    *len = (size_t)(d->p++ - start);
    return 1;
}

static int jvalue(jdoc *d, int depth);

static int jcontainer(jdoc *d, int depth, char type)
{
    int self = jnew(d, type), last = -1;
    char close = type == 'o' ? '}' : ']';
    d->p++;
    jws(d);
    if (d->p < d->end && *d->p == close) {
        d->p++;
        return self;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        jws(d);
        if (type == 'o') {
            if (!jstring(d, &key, &key_len))
                return -1;
            jws(d);
            if (d->p >= d->end || *d->p++ != ':')
                return -1;
        }
        int v = jvalue(d, depth + 1);
        if (v < 0)
            return -1;
        d->n[v].key = key;
        d->n[v].key_len = key_len;
        if (last < 0)
            d->n[self].child = v;
        else
            d->n[last].next = v;
        last = v;
        jws(d);
        if (d->p < d->end && *d->p == ',') {
            d->p++;
            continue;
        }
        if (d->p < d->end && *d->p == close) {
            d->p++;
            return self;
        }
        return -1;
    }
}

static int jvalue(jdoc *d, int depth)
{
    jws(d);
    if (d->p >= d->end || depth > 64)
        return -1;
    char c = *d->p;
    if (c == '{' || c == '[')
        return jcontainer(d, depth, c == '{' ? 'o' : 'a');
    int self;
    if (c == '"') {
        self = jnew(d, 's');
        return jstring(d, &d->n[self].text, &d->n[self].len) ? self : -1;
    }
    static const struct {
        const char *word;
        char type;
    } words[] = {{"true", 't'}, {"false", 'f'}, {"null", 'z'}};
    for (size_t i = 0; i < 3; i++) {
        size_t wl = strlen(words[i].word);
        if ((size_t)(d->end - d->p) >= wl && !strncmp(d->p, words[i].word, wl)) {
            d->p += wl;
            return jnew(d, words[i].type);
        }
    }
    self = jnew(d, 'n');
    d->n[self].text = d->p;
    while (d->p < d->end && strchr("+-0123456789.eE", *d->p))
        d->p++;
    d->n[self].len = (size_t)(d->p - d->n[self].text);
    return d->n[self].len ? self : -1;
}

static int jparse(jdoc *d, const char *text, size_t len)
{
    memset(d, 0, sizeof *d);
    d->p = text;
    d->end = text + len;
    return jvalue(d, 0);
}

static int jget(const jdoc *d, int obj, const char *key)
{
    if (obj < 0 || d->n[obj].type != 'o')
        return -1;
    size_t kl = strlen(key);
    for (int c = d->n[obj].child; c >= 0; c = d->n[c].next) {
        if (d->n[c].key_len == kl && !memcmp(d->n[c].key, key, kl))
            return c;
    }
    return -1;
}

static int jat(const jdoc *d, int arr, int index)
{
    int c = arr >= 0 ? d->n[arr].child : -1;
    for (int i = 0; c >= 0 && i < index; i++)
        c = d->n[c].next;
    return c;
}

static int jcount(const jdoc *d, int node)
{
    int n = 0;
    for (int c = node >= 0 ? d->n[node].child : -1; c >= 0; c = d->n[c].next)
        n++;
    return n;
}

/* Deep equality; object members compared by name, in any order. */
static int jequal(const jdoc *a, int x, const jdoc *b, int y)
{
    if (x < 0 || y < 0)
        return x == y;
    const jnode *p = &a->n[x], *q = &b->n[y];
    if (p->type != q->type)
        return 0;
    if (p->type == 's' || p->type == 'n')
        return p->len == q->len && !memcmp(p->text, q->text, p->len);
    if (p->type == 'a') {
        int i = p->child, j = q->child;
        for (; i >= 0 && j >= 0; i = a->n[i].next, j = b->n[j].next) {
            if (!jequal(a, i, b, j))
                return 0;
        }
        return i < 0 && j < 0;
    }
    if (p->type == 'o') {
        if (jcount(a, x) != jcount(b, y))
            return 0;
        for (int i = p->child; i >= 0; i = a->n[i].next) {
            char key[128];
            snprintf(key, sizeof key, "%.*s", (int)a->n[i].key_len, a->n[i].key);
            if (!jequal(a, i, b, jget(b, y, key)))
                return 0;
        }
    }
    return 1;
}

/* Printable form of a scalar for messages. */
static const char *jshow(const jdoc *d, int node, char *buf, size_t size)
{
    if (node < 0)
        snprintf(buf, size, "(absent)");
    else if (d->n[node].type == 's' || d->n[node].type == 'n')
        snprintf(buf, size, "%.*s", (int)d->n[node].len, d->n[node].text);
    else
        snprintf(buf, size, "<%c>", d->n[node].type);
    return buf;
}

static void jfree(jdoc *d)
{
    free(d->n);
}

/* Member `key` of both objects must be equal. */
static void expect_same(const jdoc *ours, int o, const jdoc *ref, int r, const char *key,
                        const char *where)
{
    char a[256], b[256];
    int x = jget(ours, o, key), y = jget(ref, r, key);
    ck_assert_msg(x >= 0, "%s: member '%s' missing", where, key);
    ck_assert_msg(jequal(ours, x, ref, y), "%s.%s: ours %s, minidump-stackwalk %s", where, key,
                  jshow(ours, x, a, sizeof a), jshow(ref, y, b, sizeof b));
}

/* ---- fixture and CLI ------------------------------------------------------ */

START_TEST(fixture_stack_json_is_valid)
{
    cli_result r;
    const char *args[] = {"stack", "--json", dw_test_fixture_dump(), NULL};
    cli_run_expect(args, 0, &r);
    ck_assert_msg(json_is_valid(r.out, r.out_len), "stack --json is not valid JSON:\n%s", r.out);
    jdoc d;
    int root = jparse(&d, r.out, r.out_len);
    ck_assert_int_ge(root, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "\"dumpwalk_json_version\": 1"));
    ck_assert_ptr_nonnull(strstr(r.out, "\"status\": \"OK\""));
    int crashing = jget(&d, root, "crashing_thread");
    ck_assert_int_ge(crashing, 0);
    char buf[64];
    ck_assert_str_eq(jshow(&d, jget(&d, crashing, "thread_id"), buf, sizeof buf), "4096");
    int f0 = jat(&d, jget(&d, crashing, "frames"), 0);
    ck_assert_str_eq(jshow(&d, jget(&d, f0, "offset"), buf, sizeof buf), "0x0000000140001a2c");
    ck_assert_str_eq(jshow(&d, jget(&d, f0, "trust"), buf, sizeof buf), "context");
    ck_assert_str_eq(jshow(&d, jget(&d, f0, "module"), buf, sizeof buf), "demo.exe");
    ck_assert_int_ge(jget(&d, jget(&d, f0, "registers"), "rip"), 0);
    ck_assert_int_eq(jcount(&d, jget(&d, root, "threads")), 3);
    ck_assert_int_eq(jcount(&d, jget(&d, root, "modules")), 5);
    ck_assert_int_ge(jget(&d, jget(&d, root, "health"), "ok"), 0);
    /* Every thread says why its walk stopped. */
    for (int i = 0; i < 3; i++) {
        int t = jat(&d, jget(&d, root, "threads"), i);
        int sr = jget(&d, t, "stop_reason");
        ck_assert_msg(sr >= 0 && d.n[sr].type == 's' && d.n[sr].len > 0, "thread %d", i);
    }
    jfree(&d);
    cli_result_free(&r);
}
END_TEST

/* A frame line: "%2u  location" (frame number right-aligned in two columns). */
static int frame_number(const char *line, unsigned *n)
{
    char *end;
    unsigned long v = strtoul(line, &end, 10);
    if (end == line || !isdigit((unsigned char)end[-1]) ||
        (line[0] != ' ' && !isdigit((unsigned char)line[0])))
        return 0;
    if (end[0] != ' ' || end[1] != ' ' || end[2] == ' ' || end[2] == '\n')
        return 0;
    *n = (unsigned)v;
    return 1;
}

/* The human output: header, one block per thread whose frames are numbered
 * 0, 1, 2... each with a "Found by:" line, a stop reason, then modules. */
static void check_human_structure(const char *text, const char *what)
{
    ck_assert_msg(!strncmp(text, "Operating system: ", 18), "%s: header", what);
    ck_assert_msg(strstr(text, "\nCPU: ") != NULL, "%s: CPU", what);
    ck_assert_msg(strstr(text, "\nProcess uptime: ") != NULL, "%s: uptime", what);
    const char *modules = strstr(text, "\nLoaded modules:\n");
    ck_assert_msg(modules != NULL, "%s: no module list", what);
    int threads = 0, frames = 0, in_thread = 0, found_by_due = 0;
    unsigned expect = 0, n;
    for (const char *line = text, *eol; line < modules && (eol = strchr(line, '\n'));
         line = eol + 1) {
        if (!strncmp(line, "Thread ", 7)) {
            ck_assert_msg(!in_thread, "%s: thread block without a stop reason", what);
            ck_assert_msg(strstr(line, " - tid: ") < eol, "%s: no tid", what);
            in_thread = 1;
            expect = 0;
            threads++;
        } else if (in_thread && frame_number(line, &n)) {
            ck_assert_msg(n == expect, "%s: frame %u after %u", what, n, expect);
            ck_assert_msg(!found_by_due, "%s: frame %u lacks 'Found by'", what, n);
            expect++;
            frames++;
            found_by_due = 1;
        } else if (in_thread && !strncmp(line, "    Found by: ", 14)) {
            found_by_due = 0;
        } else if (in_thread && !strncmp(line, "    Walk stopped: ", 18)) {
            ck_assert_msg(!found_by_due, "%s: last frame lacks 'Found by'", what);
            in_thread = 0;
        } else if (in_thread) {
            /* Inside a thread block only indented lines (registers, tags). */
            ck_assert_msg(line[0] == ' ', "%s: unexpected line '%.*s'", what, (int)(eol - line),
                          line);
        }
    }
    ck_assert_msg(!in_thread, "%s: last thread has no stop reason", what);
    ck_assert_msg(threads > 0 && frames >= threads, "%s: %d threads, %d frames", what, threads,
                  frames);
}

START_TEST(human_output_has_minidump_stackwalk_structure)
{
    cli_result r;
    const char *args[] = {"stack", dw_test_fixture_dump(), NULL};
    cli_run_expect(args, 0, &r);
    check_human_structure(r.out, "fixture");
    ck_assert_ptr_nonnull(strstr(r.out, "Crash reason:  EXCEPTION_ACCESS_VIOLATION_WRITE\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "Crash address: 0x0000000000000045\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "\nThread 0 main (crashed) - tid: 4096\n"
                                        " 0  demo.exe + 0x1a2c\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "     rip = 0x0000000140001a2c\n"
                                        "    Found by: given as instruction pointer in context\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "\nThread 1 worker - tid: 4100\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "  demo.exe  1.2.3.4  (main)"));
    /* No .sym files for the fixture: frames in modules say so. */
    ck_assert_ptr_nonnull(strstr(r.out, "(WARNING: No symbols, "));
    ck_assert_ptr_nonnull(strstr(r.out, "\nUnloaded modules:\n"));
    cli_result_free(&r);

    const char *sym = dw_test_shared_path("corpus/breakpad/symbols");
    if (!sym)
        return;
    char symdir[4096];
    snprintf(symdir, sizeof symdir, "%s", sym);
    const char *md2[] = {"stack", "--symbols", symdir, corpus_abs("breakpad/minidump2.dmp"), NULL};
    cli_run_expect(md2, 0, &r);
    check_human_structure(r.out, "minidump2");
    /* minidump-stackwalk's layout for this dump (rust-minidump snapshot), with
     * Breakpad's offsets: of the return address, not of the byte before it. */
    ck_assert_ptr_nonnull(strstr(
        r.out, "\nThread 0  (crashed) - tid: 3060\n"
               " 0  test_app.exe!`anonymous namespace'::CrashFunction [test_app.cc : 58 + 0x3]\n"
               "     eip = 0x0040429e    esp = 0x0012fe84    ebp = 0x0012fe88    ebx = 0x7c80abc1\n"
               "     esi = 0x00000002    edi = 0x00000a28    eax = 0x00000045    ecx = 0x0012fe94\n"
               "     edx = 0x0042bc58 eflags = 0x00010246\n"
               "    Found by: given as instruction pointer in context\n"
               " 1  test_app.exe!main [test_app.cc : 65 + 0x5]\n"));
    /* Every frame line of Breakpad's expected output for the crashing thread. */
    const char *expected = dw_test_shared_path("corpus/breakpad/expected/minidump2.stackwalk.out");
    size_t exp_size;
    char *exp = expected ? (char *)dw_test_read_file(expected, &exp_size) : NULL;
    ck_assert_ptr_nonnull(exp);
    exp = realloc(exp, exp_size + 1);
    exp[exp_size] = '\0';
    int frame_lines = 0;
    for (char *line = strtok(exp, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] != ' ' || line[1] < '0' || line[1] > '9')
            continue;
        char want[512];
        snprintf(want, sizeof want, "\n%s\n", line);
        ck_assert_msg(strstr(r.out, want) != NULL, "Breakpad frame line missing: '%s'", line);
        frame_lines++;
    }
    ck_assert_int_eq(frame_lines, 4);
    free(exp);
    ck_assert_ptr_nonnull(strstr(r.out, "Crash address: 0x00000045\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "0x00400000 - 0x0042cfff  test_app.exe  ???  (main)\n"));
    /* Breakpad's dump-writing thread is listed but not walked. */
    ck_assert_ptr_nonnull(strstr(r.out, "tid: 4544\n    Walk stopped: not walked"));
    cli_result_free(&r);
}
END_TEST

START_TEST(thread_option_filters_and_rejects_unknown_ids)
{
    cli_result r;
    const char *one[] = {"stack", "--thread", "0x1004", dw_test_fixture_dump(), NULL};
    cli_run_expect(one, 0, &r);
    ck_assert_ptr_nonnull(strstr(r.out, "\nThread 1 worker - tid: 4100\n"));
    ck_assert_ptr_null(strstr(r.out, "tid: 4096"));
    ck_assert_ptr_null(strstr(r.out, "tid: 4104"));
    cli_result_free(&r);

    const char *one_json[] = {"stack", "--json", "--thread", "4100", dw_test_fixture_dump(), NULL};
    cli_run_expect(one_json, 0, &r);
    ck_assert(json_is_valid(r.out, r.out_len));
    jdoc d;
    int root = jparse(&d, r.out, r.out_len);
    int threads = jget(&d, root, "threads");
    ck_assert_int_eq(jcount(&d, threads), 1);
    char buf[32];
    ck_assert_str_eq(jshow(&d, jget(&d, jat(&d, threads, 0), "thread_id"), buf, sizeof buf),
                     "4100");
    /* The crashing thread was not asked for. */
    ck_assert_int_eq(d.n[jget(&d, root, "crashing_thread")].type, 'z');
    jfree(&d);
    cli_result_free(&r);

    const char *crashed[] = {"stack", "--json", "--thread", "4096", dw_test_fixture_dump(), NULL};
    cli_run_expect(crashed, 0, &r);
    root = jparse(&d, r.out, r.out_len);
    ck_assert_int_eq(d.n[jget(&d, root, "crashing_thread")].type, 'o');
    jfree(&d);
    cli_result_free(&r);

    const char *missing[] = {"stack", "--thread", "12345", dw_test_fixture_dump(), NULL};
    cli_run_expect(missing, 2, &r);
    ck_assert_msg(strstr(r.err, "no thread with id 12345") != NULL, "%s", r.err);
    ck_assert_uint_eq(r.out_len, 0);
    cli_result_free(&r);

    const char *garbage[] = {"stack", "--thread", "main", dw_test_fixture_dump(), NULL};
    cli_run_expect(garbage, 2, &r);
    ck_assert_ptr_nonnull(strstr(r.err, "--thread"));
    cli_result_free(&r);

    const char *bad_symdir[] = {"stack", "--symbols", "/nonexistent/symbols",
                                dw_test_fixture_dump(), NULL};
    cli_run_expect(bad_symdir, 2, &r);
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/symbols"));
    cli_result_free(&r);
}
END_TEST

START_TEST(report_api_rejects_bad_arguments)
{
    dw_dump *dump;
    ck_assert_int_eq(dw_dump_open(dw_test_fixture_dump(), NULL, &dump, NULL), DW_OK);
    FILE *sink = tmpfile();
    dw_stack_report_options o = DW_STACK_REPORT_OPTIONS_INIT;
    ck_assert_int_eq(dw_report_stack(NULL, &o, DW_REPORT_TEXT, sink), DW_ERR_INVALID_ARG);
    ck_assert_int_eq(dw_report_stack(dump, &o, DW_REPORT_TEXT, NULL), DW_ERR_INVALID_ARG);
    ck_assert_int_eq(dw_report_stack(dump, &o, (dw_report_format)7, sink), DW_ERR_INVALID_ARG);
    o.only_thread = 1;
    o.thread_id = 1;
    ck_assert_int_eq(dw_report_stack(dump, &o, DW_REPORT_JSON, sink), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(ftell(sink), 0);
    /* NULL options mean the defaults. */
    ck_assert_int_eq(dw_report_stack(dump, NULL, DW_REPORT_TEXT, sink), DW_OK);
    ck_assert_int_gt(ftell(sink), 0);
    fclose(sink);
    dw_dump_close(dump);
}
END_TEST

/* ---- the corpus ------------------------------------------------------------ */

/* The dump's Breakpad symbol store (oracle meta.txt "symdir", relative to
 * shared/corpus), or NULL when it has none. */
static const char *oracle_symdir(const char *rel, char *buf, size_t size)
{
    const char *meta = corpus_oracle(rel, "meta.txt");
    FILE *f = meta ? fopen(meta, "r") : NULL;
    if (!f)
        return NULL;
    char line[1024];
    const char *found = NULL;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, "symdir\t", 7) != 0)
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(line + 7, "none") != 0) {
            snprintf(buf, size, "%s", corpus_abs(line + 7));
            found = buf;
        }
    }
    fclose(f);
    return found;
}

START_TEST(corpus_stack_json_is_valid_with_and_without_symbols)
{
    const char *const *dumps;
    size_t n = corpus_dumps(&dumps);
    if (n == 0)
        return;
    size_t with_symbols = 0;
    for (size_t i = 0; i < n; i++) {
        char symdir[4096], path[4096];
        snprintf(path, sizeof path, "%s", corpus_abs(dumps[i]));
        const char *sym = oracle_symdir(dumps[i], symdir, sizeof symdir);
        with_symbols += sym != NULL;
        for (int pass = 0; pass < 3; pass++) {
            /* pass 0: JSON, 1: JSON with symbols, 2: text */
            if (pass == 1 && !sym)
                continue;
            const char *args[7];
            int a = 0;
            args[a++] = "stack";
            if (pass < 2)
                args[a++] = "--json";
            if (pass == 1) {
                args[a++] = "--symbols";
                args[a++] = sym;
            }
            args[a++] = path;
            args[a] = NULL;
            cli_result r;
            ck_assert_int_eq(cli_run(args, &r), 0);
            ck_assert_msg(r.signal == 0, "stack pass %d %s: signal %d", pass, dumps[i], r.signal);
            ck_assert_msg(r.exit_code >= 0 && r.exit_code <= 2, "%s: exit %d", dumps[i],
                          r.exit_code);
            if (r.exit_code != 0)
                ck_assert_msg(cli_count_lines(r.err) == 1, "%s: stderr '%s'", dumps[i], r.err);
            if (pass < 2 && r.exit_code != 2)
                ck_assert_msg(json_is_valid(r.out, r.out_len), "%s (pass %d): invalid JSON",
                              dumps[i], pass);
            cli_result_free(&r);
        }
    }
    ck_assert_msg(with_symbols >= 10, "only %zu dumps have a symbol store", with_symbols);
}
END_TEST

/* minidump-stackwalk's JSON (rust-minidump's insta snapshot: header lines
 * up to the second "---" stripped) for breakpad/minidump2 with symbols. */
static char *snapshot_json(const char *path, size_t *len)
{
    size_t size;
    char *raw = (char *)dw_test_read_file(path, &size);
    if (!raw)
        return NULL;
    char *body = raw;
    for (int seps = 0; seps < 2 && body;) {
        body = strstr(body, "---\n");
        if (body) {
            body += 4;
            seps++;
        }
    }
    if (!body) {
        free(raw);
        return NULL;
    }
    *len = size - (size_t)(body - raw);
    memmove(raw, body, *len);
    raw[*len] = '\0';
    return raw;
}

static void compare_modules(const jdoc *ours, int om, const jdoc *ref, int rm)
{
    ck_assert_int_eq(jcount(ours, om), jcount(ref, rm));
    static const char *const same[] = {"base_addr", "end_addr", "filename",   "debug_file",
                                       "debug_id",  "version",  "symbol_url", "corrupt_symbols"};
    for (int i = 0; i < jcount(ref, rm); i++) {
        int o = jat(ours, om, i), r = jat(ref, rm, i);
        char where[64], a[128], b[128];
        snprintf(where, sizeof where, "modules[%d]", i);
        for (size_t k = 0; k < sizeof same / sizeof same[0]; k++)
            expect_same(ours, o, ref, r, same[k], where);
        /* Breakpad writes code ids with the time stamp in upper case,
         * rust-minidump in lower case: the same id. */
        jshow(ours, jget(ours, o, "code_id"), a, sizeof a);
        jshow(ref, jget(ref, r, "code_id"), b, sizeof b);
        ck_assert_msg(!strcasecmp(a, b), "%s.code_id: %s vs %s", where, a, b);
        ck_assert_int_ge(jget(ours, o, "loaded_symbols"), 0);
        ck_assert_int_ge(jget(ours, o, "missing_symbols"), 0);
    }
}

/* breakpad/symbols holds test_app.pdb and kernel32.pdb; rust-minidump's
 * snapshot was made with a store without kernel32, so the symbol flags are
 * checked against Breakpad's run over breakpad/symbols instead. */
static void check_symbol_flags(const jdoc *ours, int om)
{
    char name[64];
    for (int i = 0; i < jcount(ours, om); i++) {
        int o = jat(ours, om, i);
        jshow(ours, jget(ours, o, "filename"), name, sizeof name);
        int loaded = ours->n[jget(ours, o, "loaded_symbols")].type == 't';
        int want = !strcmp(name, "test_app.exe") || !strcmp(name, "kernel32.dll");
        ck_assert_msg(loaded == want, "%s: loaded_symbols %d", name, loaded);
    }
}

/* Frame keys of minidump-stackwalk's schema must all be present; counts the
 * frames whose every shared field is equal. */
static int compare_frames(const jdoc *ours, int of, const jdoc *ref, int rf, int *compared,
                          char *diffs, size_t diffs_size)
{
    size_t used = 0;
    diffs[0] = '\0';
    static const char *const fields[] = {
        "frame",           "trust", "offset", "module",          "module_offset", "function",
        "function_offset", "file",  "line",   "missing_symbols", "inlines"};
    int equal = 0;
    *compared = jcount(ref, rf);
    for (int i = 0; i < jcount(ref, rf); i++) {
        int o = jat(ours, of, i), r = jat(ref, rf, i), same = o >= 0;
        for (int k = r >= 0 ? ref->n[r].child : -1; o >= 0 && k >= 0; k = ref->n[k].next) {
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)ref->n[k].key_len, ref->n[k].key);
            ck_assert_msg(jget(ours, o, key) >= 0, "frame %d: no '%s'", i, key);
        }
        for (size_t k = 0; o >= 0 && k < sizeof fields / sizeof fields[0]; k++) {
            if (jequal(ours, jget(ours, o, fields[k]), ref, jget(ref, r, fields[k])))
                continue;
            if (used < diffs_size)
                used += (size_t)snprintf(diffs + used, diffs_size - used, "%s%d.%s",
                                         used ? " " : "", i, fields[k]);
            same = 0;
        }
        equal += same;
    }
    return equal;
}

START_TEST(minidump2_json_matches_minidump_stackwalk)
{
    const char *p =
        dw_test_shared_path("corpus/rust-minidump/expected/test.dmp.json-pretty-symbols.snap");
    if (!p)
        return;
    size_t ref_len;
    char *ref_text = snapshot_json(p, &ref_len);
    ck_assert_ptr_nonnull(ref_text);
    char symdir[4096];
    snprintf(symdir, sizeof symdir, "%s", corpus_abs("breakpad/symbols"));
    cli_result r;
    const char *args[] = {
        "stack", "--json", "--symbols", symdir, corpus_abs("breakpad/minidump2.dmp"), NULL};
    cli_run_expect(args, 0, &r);
    jdoc ours, ref;
    int o = jparse(&ours, r.out, r.out_len), s = jparse(&ref, ref_text, ref_len);
    ck_assert_int_ge(o, 0);
    ck_assert_int_ge(s, 0);

    static const char *const top[] = {"status", "system_info",    "thread_count",    "main_module",
                                      "pid",    "process_uptime", "unloaded_modules"};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        expect_same(&ours, o, &ref, s, top[i], "top");
    int oc = jget(&ours, o, "crash_info"), rc = jget(&ref, s, "crash_info");
    static const char *const crash[] = {"type", "address", "crashing_thread", "assertion"};
    for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++)
        expect_same(&ours, oc, &ref, rc, crash[i], "crash_info");

    compare_modules(&ours, jget(&ours, o, "modules"), &ref, jget(&ref, s, "modules"));
    check_symbol_flags(&ours, jget(&ours, o, "modules"));

    int ot = jget(&ours, o, "threads"), rt = jget(&ref, s, "threads");
    ck_assert_int_eq(jcount(&ours, ot), jcount(&ref, rt));
    for (int i = 0; i < jcount(&ref, rt); i++) {
        expect_same(&ours, jat(&ours, ot, i), &ref, jat(&ref, rt, i), "thread_id", "threads");
        expect_same(&ours, jat(&ours, ot, i), &ref, jat(&ref, rt, i), "thread_name", "threads");
        expect_same(&ours, jat(&ours, ot, i), &ref, jat(&ref, rt, i), "last_error_value",
                    "threads");
    }
    /* The dump-writing thread: listed with no frames by both. */
    expect_same(&ours, jat(&ours, ot, 1), &ref, jat(&ref, rt, 1), "frame_count", "threads[1]");

    int ocr = jget(&ours, o, "crashing_thread"), rcr = jget(&ref, s, "crashing_thread");
    expect_same(&ours, ocr, &ref, rcr, "threads_index", "crashing_thread");
    expect_same(&ours, ocr, &ref, rcr, "thread_id", "crashing_thread");
    /* Frame 0 is the context: every field, registers included, is equal. */
    int of0 = jat(&ours, jget(&ours, ocr, "frames"), 0);
    int rf0 = jat(&ref, jget(&ref, rcr, "frames"), 0);
    for (int k = ref.n[rf0].child; k >= 0; k = ref.n[k].next) {
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)ref.n[k].key_len, ref.n[k].key);
        expect_same(&ours, of0, &ref, rf0, key, "crashing_thread.frames[0]");
    }
    char diffs[1024];
    int compared, equal = compare_frames(&ours, jget(&ours, ocr, "frames"), &ref,
                                         jget(&ref, rcr, "frames"), &compared, diffs, sizeof diffs);
    fprintf(stderr,
            "stack_report: minidump2 --json vs minidump-stackwalk: %d/%d crashing-thread "
            "frames equal in every field (ours: %d frames); differing: %s\n",
            equal, compared, jcount(&ours, jget(&ours, ocr, "frames")), diffs[0] ? diffs : "-");
    jfree(&ours);
    jfree(&ref);
    free(ref_text);
    cli_result_free(&r);
}
END_TEST

/* ---- frame accuracy against Breakpad ---------------------------------------- */

typedef struct oracle_frame {
    uint32_t tid;
    unsigned n;
    uint64_t pc;
} oracle_frame;

/* The "frame" records of a normalized oracle file, in file order. */
static size_t oracle_frames(const char *path, oracle_frame **out)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    size_t count = 0, cap = 0;
    *out = NULL;
    if (!f)
        return 0;
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "frame\t", 6) != 0)
            continue;
        const char *t = strstr(line, "\tt="), *n = strstr(line, "\tn="),
                   *pc = strstr(line, "\tpc=");
        if (!t || !n || !pc)
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            *out = realloc(*out, cap * sizeof **out);
        }
        (*out)[count].tid = (uint32_t)strtoul(t + 3, NULL, 16);
        (*out)[count].n = (unsigned)strtoul(n + 3, NULL, 10);
        (*out)[count].pc = strtoull(pc + 4, NULL, 16);
        count++;
    }
    fclose(f);
    return count;
}

typedef struct agreement {
    size_t equal, compared, threads, unsupported;
} agreement;

/* Walk one thread and compare its frames with Breakpad's at the same index.
 * Returns 0 when our frame 0 differs (the context must agree). */
static int compare_thread(dw_dump *dump, dw_walker *w, const oracle_frame *bp, size_t nbp,
                          agreement *a, int strict_two, const char *name)
{
    const dw_thread *t;
    ck_assert_msg(dw_dump_thread_by_id(dump, bp[0].tid, &t) == DW_OK, "%s: no thread 0x%x", name,
                  bp[0].tid);
    static dw_frame frame; /* large: kept off the stack */
    size_t k = 0;
    int frame0_ok = 1;
    dw_status st = dw_walker_start(w, t);
    if (st == DW_ERR_UNSUPPORTED) {
        /* No unwinder for this CPU (ARM, ARM64): nothing to compare. */
        a->unsupported++;
        return 1;
    }
    if (st == DW_OK) {
        for (; k < nbp && dw_walker_next(w, &frame) == DW_OK; k++) {
            ck_assert_uint_eq(bp[k].n, k);
            int same = frame.ip == bp[k].pc;
            a->equal += same;
            if (k == 0)
                frame0_ok = same;
            if (strict_two && k < 2)
                ck_assert_msg(same, "%s thread 0x%x frame %zu: 0x%llx, Breakpad 0x%llx", name,
                              bp[0].tid, k, (unsigned long long)frame.ip,
                              (unsigned long long)bp[k].pc);
        }
    }
    if (k == 0)
        frame0_ok = 0;
    if (strict_two)
        ck_assert_msg(k >= (nbp < 2 ? nbp : 2), "%s: thread 0x%x walked %zu frames", name,
                      bp[0].tid, k);
    a->compared += nbp;
    a->threads++;
    return frame0_ok;
}

static void compare_dump(const char *rel, agreement *total, size_t *dumps)
{
    oracle_frame *bp;
    size_t nbp = oracle_frames(corpus_oracle(rel, "bp.sym.norm.txt"), &bp);
    if (nbp == 0)
        return;
    dw_dump *dump;
    if (dw_dump_open(corpus_abs(rel), NULL, &dump, NULL) != DW_OK) {
        free(bp);
        return;
    }
    char symdir[4096];
    const char *sym = oracle_symdir(rel, symdir, sizeof symdir);
    dw_symbols *syms = NULL;
    if (sym) {
        ck_assert_int_eq(dw_symbols_new(&syms), DW_OK);
        ck_assert_int_eq(dw_symbols_add_dir(syms, sym), DW_OK);
    }
    dw_walk_options wo = DW_WALK_OPTIONS_INIT;
    wo.symbols = syms;
    dw_walker *w;
    ck_assert_int_eq(dw_walker_new(dump, &wo, &w), DW_OK);
    agreement a = {0, 0, 0, 0};
    int strict = !strcmp(rel, "breakpad/minidump2.dmp");
    for (size_t i = 0; i < nbp;) {
        size_t j = i;
        while (j < nbp && bp[j].tid == bp[i].tid)
            j++;
        int ok = compare_thread(dump, w, bp + i, j - i, &a, strict, rel);
        ck_assert_msg(ok, "%s thread 0x%x: frame 0 differs from Breakpad's (0x%llx)", rel,
                      bp[i].tid, (unsigned long long)bp[i].pc);
        i = j;
    }
    if (a.unsupported)
        fprintf(stderr, "stack_report: vs Breakpad %-60s not compared: no unwinder for its CPU\n",
                rel);
    else
        fprintf(stderr, "stack_report: vs Breakpad %-60s %4zu/%-4zu frames equal (%zu threads)\n",
                rel, a.equal, a.compared, a.threads);
    total->equal += a.equal;
    total->compared += a.compared;
    total->threads += a.threads;
    (*dumps)++;
    dw_walker_free(w);
    dw_symbols_free(syms);
    dw_dump_close(dump);
    free(bp);
}

START_TEST(frame_accuracy_against_breakpad)
{
    const char *const *dumps;
    size_t n = corpus_dumps(&dumps);
    if (n == 0)
        return;
    agreement total = {0, 0, 0, 0};
    size_t compared_dumps = 0;
    for (size_t i = 0; i < n; i++)
        compare_dump(dumps[i], &total, &compared_dumps);
    fprintf(stderr,
            "stack_report: vs Breakpad TOTAL %zu/%zu frames equal (%.1f%%) over %zu threads "
            "of %zu dumps\n",
            total.equal, total.compared,
            total.compared ? 100.0 * (double)total.equal / (double)total.compared : 0.0,
            total.threads, compared_dumps);
    ck_assert_msg(compared_dumps >= 40, "only %zu dumps had Breakpad frames", compared_dumps);
}
END_TEST

Suite *stack_report_suite(void)
{
    Suite *s = suite_create("stack_report");
    TCase *tc = tcase_create("stack_report");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, fixture_stack_json_is_valid);
    tcase_add_test(tc, human_output_has_minidump_stackwalk_structure);
    tcase_add_test(tc, thread_option_filters_and_rejects_unknown_ids);
    tcase_add_test(tc, report_api_rejects_bad_arguments);
    tcase_add_test(tc, corpus_stack_json_is_valid_with_and_without_symbols);
    tcase_add_test(tc, minidump2_json_matches_minidump_stackwalk);
    tcase_add_test(tc, frame_accuracy_against_breakpad);
    suite_add_tcase(s, tc);
    return s;
}
