/* Breakpad .sym parsing and lookups, the postfix evaluator, STACK CFI / STACK
 * WIN rules and the symbol store. */
#include <check.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dumpwalk/symbols.h"
#include "symbols/cfi.h"
#include "symbols/postfix.h"
#include "symbols/stackwin.h"
#include "test_util.h"

/* ---- helpers ---------------------------------------------------------------- */

static dw_symfile *open_text(const char *text)
{
    dw_symfile *sf = NULL;
    dw_error err = {0};
    dw_status st = dw_symfile_open_buffer(text, strlen(text), &sf, &err);
    ck_assert_msg(st == DW_OK, "open failed: %s", err.message);
    return sf;
}

static int str_is(dw_symstr s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static int str_ends(dw_symstr s, const char *want)
{
    size_t n = strlen(want);
    return s.len >= n && memcmp(s.ptr + s.len - n, want, n) == 0;
}

#define ck_assert_str_span(span, want)                                                         \
    do {                                                                                       \
        char buf_[256];                                                                        \
        ck_assert_msg(str_is((span), (want)), "got '%s', want '%s'",                           \
                      dw_symstr_copy((span), buf_, sizeof buf_), (want));                      \
    } while (0)

/* Fake memory for deref: a few (address, value) words. */
typedef struct fake_mem {
    uint64_t addr[8];
    uint64_t value[8];
    unsigned n;
} fake_mem;

static int fake_read(void *ctx, uint64_t addr, unsigned size, uint64_t *value)
{
    const fake_mem *m = ctx;
    for (unsigned i = 0; i < m->n; i++) {
        if (m->addr[i] == addr) {
            *value = size == 4 ? (m->value[i] & 0xffffffffu) : m->value[i];
            return 1;
        }
    }
    return 0;
}

static const char every_kind[] =
    "MODULE windows x86 ABCDEF0123456789ABCDEF01234567891 test.pdb\n"
    "INFO CODE_ID 5A5B5C5D6000 test.dll\n"
    "FILE 0 a.c\n"
    "FILE 1 b.h\n"
    "FILE 7 c with space.c\n"
    "INLINE_ORIGIN 0 inner_fn\n"
    "INLINE_ORIGIN 1 middle_fn\n"
    "INLINE_ORIGIN 2 outer inline(int)\n"
    "FUNC 1000 100 8 main_fn(int, char**)\n"
    "1000 10 10 0\n"
    "1010 20 11 0\n"
    "1030 d0 12 1\n"
    "INLINE 0 11 0 2 1010 80\n"
    "INLINE 1 30 7 1 1020 40\n"
    "INLINE 2 40 1 0 1030 8 1050 8\n"
    "FUNC m 2000 20 0 second\n"
    "2000 20 5 7\n"
    "PUBLIC 3000 4 public_three\n"
    "PUBLIC m 1800 0 public_in_gap\n"
    "STACK CFI INIT 1000 100 .cfa: $esp 4 + .ra: .cfa -4 + ^\n"
    "STACK CFI 1001 .cfa: $esp 8 + $ebp: .cfa -8 + ^\n"
    "STACK CFI 1003 .cfa: $ebp 8 +\n"
    "STACK WIN 4 1000 100 3 0 8 4 10 0 1 $T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =\n"
    "STACK WIN 4 1040 20 0 0 c 0 0 0 1 $eip $esp ^ = $esp $esp 4 + =\n"
    "STACK WIN 0 1000 100 3 0 8 4 10 0 0 1\n"
    "STACK WIN 0 2000 20 0 0 0 0 0 0 0 0\n";

/* ---- parsing and lookups ---------------------------------------------------- */

START_TEST(parses_every_record_kind)
{
    dw_symfile *sf = open_text(every_kind);
    const dw_symfile_module *m = dw_symfile_module_info(sf);
    ck_assert_str_eq(m->os, "windows");
    ck_assert_str_eq(m->arch, "x86");
    ck_assert_str_eq(m->id, "ABCDEF0123456789ABCDEF01234567891");
    ck_assert_str_eq(m->name, "test.pdb");
    ck_assert_str_eq(m->code_id, "5A5B5C5D6000");
    ck_assert_str_eq(m->code_file, "test.dll");
    dw_symfile_stats st;
    ck_assert_int_eq(dw_symfile_get_stats(sf, &st), DW_OK);
    ck_assert_uint_eq(st.funcs, 2);
    ck_assert_uint_eq(st.line_records, 4);
    ck_assert_uint_eq(st.publics, 2);
    ck_assert_uint_eq(st.files, 3);
    ck_assert_uint_eq(st.inline_origins, 3);
    ck_assert_uint_eq(st.inlines, 3);
    ck_assert_uint_eq(st.cfi_init, 1);
    ck_assert_uint_eq(st.cfi_delta, 2);
    ck_assert_uint_eq(st.win_framedata, 2);
    ck_assert_uint_eq(st.win_fpo, 2);
    ck_assert_uint_eq(st.corrupt, 0);
    ck_assert_uint_eq(dw_symfile_corrupt_count(sf), 0);

    dw_sym_lookup r;
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x1000, &r), DW_OK);
    ck_assert_int_eq(r.kind, DW_SYM_FUNC);
    ck_assert_str_span(r.function, "main_fn(int, char**)");
    ck_assert_uint_eq(r.function_start, 0x1000);
    ck_assert_uint_eq(r.function_size, 0x100);
    ck_assert_uint_eq(r.param_size, 8);
    ck_assert(r.has_line);
    ck_assert_uint_eq(r.line, 10);
    ck_assert_str_span(r.file, "a.c");
    ck_assert_uint_eq(r.inline_count, 0);

    ck_assert_int_eq(dw_symfile_lookup(sf, 0x2010, &r), DW_OK);
    ck_assert_str_span(r.function, "second");
    ck_assert_uint_eq(r.line, 5);
    ck_assert_str_span(r.file, "c with space.c");
    dw_symfile_close(sf);
}
END_TEST

START_TEST(inline_frames_innermost_first)
{
    dw_symfile *sf = open_text(every_kind);
    dw_sym_lookup r;
    /* 0x1034: inside all three nesting levels. */
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x1034, &r), DW_OK);
    ck_assert_uint_eq(r.line, 12);
    ck_assert_str_span(r.file, "b.h");
    ck_assert_uint_eq(r.inline_count, 3);
    ck_assert_str_span(r.inlines[0].name, "inner_fn");
    ck_assert_str_span(r.inlines[0].call_file, "b.h");
    ck_assert_uint_eq(r.inlines[0].call_line, 40);
    ck_assert_uint_eq(r.inlines[0].nest_level, 2);
    ck_assert_uint_eq(r.inlines[0].range_start, 0x1030);
    ck_assert_str_span(r.inlines[1].name, "middle_fn");
    ck_assert_str_span(r.inlines[1].call_file, "c with space.c");
    ck_assert_uint_eq(r.inlines[1].call_line, 30);
    ck_assert_str_span(r.inlines[2].name, "outer inline(int)");
    ck_assert_str_span(r.inlines[2].call_file, "a.c");
    ck_assert_uint_eq(r.inlines[2].call_line, 11);
    ck_assert(!r.inlines_truncated);
    /* 0x1040: between the two level-2 ranges. */
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x1040, &r), DW_OK);
    ck_assert_uint_eq(r.inline_count, 2);
    ck_assert_str_span(r.inlines[0].name, "middle_fn");
    /* 0x1055: the second range of the level-2 record. */
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x1055, &r), DW_OK);
    ck_assert_uint_eq(r.inline_count, 3);
    ck_assert_uint_eq(r.inlines[0].range_start, 0x1050);
    /* 0x1095: past the level-0 range, none. */
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x1095, &r), DW_OK);
    ck_assert_uint_eq(r.inline_count, 0);
    dw_symfile_close(sf);
}
END_TEST

START_TEST(public_fallback_and_misses)
{
    dw_symfile *sf = open_text(every_kind);
    dw_sym_lookup r;
    /* Past main_fn's end, no PUBLIC at or below. */
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x1100, &r), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(r.kind, DW_SYM_NONE);
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x1900, &r), DW_OK);
    ck_assert_int_eq(r.kind, DW_SYM_PUBLIC);
    ck_assert_str_span(r.function, "public_in_gap");
    ck_assert_uint_eq(r.function_start, 0x1800);
    ck_assert_uint_eq(r.function_size, 0);
    ck_assert(!r.has_line);
    /* FUNC "second" starts between PUBLIC 0x1800 and 0x2100: the public
     * symbol does not extend past it. */
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x2100, &r), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x3005, &r), DW_OK);
    ck_assert_str_span(r.function, "public_three");
    ck_assert_uint_eq(r.param_size, 4);
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x10, &r), DW_ERR_NOT_FOUND);
    dw_symfile_close(sf);
}
END_TEST

START_TEST(corrupt_lines_cost_only_themselves)
{
    static const char text[] = "MODULE Linux x86_64 0123 libfoo.so\n"
                               "FILE 0 foo.c\n"
                               "FUNC 1000 zz 0 bad_size\n"
                               "1000 10 1 0\n"
                               "FUNC 2000 10 0 good\n"
                               "2000 10 7 0\n"
                               "2010 -5 8 0\n"
                               "PUBLIC xyz 0 p\n"
                               "STACK CFI 5000 .cfa: $rsp 8 +\n"
                               "STACK WIN 4 1000\n"
                               "INLINE 0 1\n"
                               "FILE x name\n"
                               "garbage here\n"
                               "FUTURE_RECORD 1 2 3\n"
                               "PUBLIC 4000 0 still_parsed\n"
                               "FUNC 5000 10 zz ninth\n";
    dw_symfile *sf = open_text(text);
    ck_assert_uint_eq(dw_symfile_corrupt_count(sf), 9);
    ck_assert_uint_eq(dw_symfile_corrupt_messages(sf), 8); /* only the first few are kept */
    ck_assert_str_eq(dw_symfile_corrupt_message(sf, 7), "line 13: unrecognised record 'garbage'");
    ck_assert_str_eq(dw_symfile_corrupt_message(sf, 0), "line 3: FUNC with bad size");
    ck_assert_str_eq(dw_symfile_corrupt_message(sf, 1), "line 7: line record with bad size");
    ck_assert_str_eq(dw_symfile_corrupt_message(sf, 2), "line 8: PUBLIC with bad address");
    ck_assert_ptr_null(dw_symfile_corrupt_message(sf, 8));
    dw_symfile_stats st;
    dw_symfile_get_stats(sf, &st);
    ck_assert_uint_eq(st.ignored, 1);
    ck_assert_uint_eq(st.funcs, 1);
    ck_assert_uint_eq(st.line_records, 1); /* the bad FUNC's line went with it */
    dw_sym_lookup r;
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x2005, &r), DW_OK);
    ck_assert_str_span(r.function, "good");
    ck_assert_uint_eq(r.line, 7);
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x1005, &r), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x4001, &r), DW_OK);
    ck_assert_str_span(r.function, "still_parsed");
    dw_symfile_close(sf);
}
END_TEST

START_TEST(crlf_is_a_line_break)
{
    char text[sizeof every_kind * 2];
    size_t w = 0;
    for (size_t i = 0; every_kind[i]; i++) {
        if (every_kind[i] == '\n')
            text[w++] = '\r';
        text[w++] = every_kind[i];
    }
    text[w] = '\0';
    dw_symfile *sf = open_text(text);
    ck_assert_str_eq(dw_symfile_module_info(sf)->name, "test.pdb");
    ck_assert_str_eq(dw_symfile_module_info(sf)->code_file, "test.dll");
    ck_assert_uint_eq(dw_symfile_corrupt_count(sf), 0);
    dw_sym_lookup r;
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x1034, &r), DW_OK);
    ck_assert_str_span(r.function, "main_fn(int, char**)");
    ck_assert_str_span(r.file, "b.h");
    ck_assert_str_span(r.inlines[2].name, "outer inline(int)");
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x3000, &r), DW_OK);
    ck_assert_str_span(r.function, "public_three");
    dw_cfi_rules rules;
    ck_assert_int_eq(dw_symfile_find_cfi(sf, 0x1000, &rules, NULL, 0), DW_OK);
    ck_assert_uint_eq(rules.count, 2);
    ck_assert_uint_eq(rules.rule[1].expr_len, strlen(".cfa -4 + ^"));
    dw_symfile_close(sf);
}
END_TEST

START_TEST(overlapping_funcs_keep_the_earlier_line)
{
    static const char text[] = "MODULE Linux x86_64 01 ov\n"
                               "FUNC 1000 100 0 first_big\n"
                               "FUNC 1080 10 0 nested_later\n"
                               "FUNC 1000 20 0 same_start_later\n"
                               "FUNC 2080 10 0 small_earlier_in_file\n"
                               "FUNC 2000 100 0 big_later_in_file\n";
    for (int round = 0; round < 2; round++) {
        dw_symfile *sf = open_text(text);
        dw_sym_lookup r;
        ck_assert_int_eq(dw_symfile_lookup(sf, 0x1085, &r), DW_OK);
        ck_assert_str_span(r.function, "first_big");
        ck_assert_int_eq(dw_symfile_lookup(sf, 0x1005, &r), DW_OK);
        ck_assert_str_span(r.function, "first_big");
        ck_assert_int_eq(dw_symfile_lookup(sf, 0x2085, &r), DW_OK);
        ck_assert_str_span(r.function, "small_earlier_in_file");
        ck_assert_int_eq(dw_symfile_lookup(sf, 0x2005, &r), DW_ERR_NOT_FOUND);
        dw_symfile_stats st;
        dw_symfile_get_stats(sf, &st);
        ck_assert_uint_eq(st.funcs, 2);
        ck_assert_uint_eq(st.funcs_overlapping, 3);
        dw_symfile_close(sf);
    }
}
END_TEST

START_TEST(old_inline_format_without_call_file)
{
    static const char text[] = "MODULE Linux x86_64 01 old\n"
                               "FILE 0 a.c\n"
                               "INLINE_ORIGIN 0 0 bar()\n"
                               "INLINE_ORIGIN 1 0 foo()\n"
                               "FUNC 100 100 0 main\n"
                               "100 100 5 0\n"
                               "INLINE 0 42 1 110 50\n"
                               "INLINE 1 39 0 120 10\n";
    dw_symfile *sf = open_text(text);
    dw_sym_lookup r;
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x125, &r), DW_OK);
    ck_assert_uint_eq(r.inline_count, 2);
    ck_assert_str_span(r.inlines[0].name, "bar()");
    ck_assert_uint_eq(r.inlines[0].call_line, 39);
    ck_assert_uint_eq(r.inlines[0].call_file.len, 0);
    ck_assert_str_span(r.inlines[1].name, "foo()");
    ck_assert_uint_eq(r.inlines[1].call_line, 42);
    ck_assert_uint_eq(dw_symfile_corrupt_count(sf), 0);
    dw_symfile_close(sf);
}
END_TEST

START_TEST(missing_module_line_is_an_error)
{
    dw_symfile *sf = NULL;
    dw_error err = {0};
    const char *t1 = "FUNC 1000 10 0 x\n";
    ck_assert_int_eq(dw_symfile_open_buffer(t1, strlen(t1), &sf, &err), DW_ERR_FORMAT);
    ck_assert_ptr_null(sf);
    ck_assert_ptr_nonnull(strstr(err.message, "MODULE"));
    const char *t2 = "MODULE Linux x86\n";
    ck_assert_int_eq(dw_symfile_open_buffer(t2, strlen(t2), &sf, &err), DW_ERR_FORMAT);
    ck_assert_int_eq(dw_symfile_open_buffer("", 0, &sf, &err), DW_ERR_INVALID_ARG);
    ck_assert_int_eq(dw_symfile_open("/nonexistent/x.sym", &sf, &err), DW_ERR_IO);
}
END_TEST

/* ---- postfix ------------------------------------------------------------------ */

static dw_status eval_with(const char *expr, unsigned word, uint64_t *out, char *err,
                           size_t err_size)
{
    static fake_mem mem = {{0x1000, 0x2000}, {0x11223344aabbccddull, 0x42}, 2};
    dw_regset vars;
    dw_regset_init(&vars);
    dw_regset_set_c(&vars, "$esp", 0x1000);
    dw_regset_set_c(&vars, ".cfa", 0x2008);
    dw_postfix_ctx c = {&vars, word, fake_read, &mem, err, err_size};
    return dw_postfix_eval(&c, expr, strlen(expr), out);
}

static uint64_t eval_ok(const char *expr, unsigned word)
{
    uint64_t v = 0;
    char err[128] = "";
    dw_status st = eval_with(expr, word, &v, err, sizeof err);
    ck_assert_msg(st == DW_OK, "'%s': %s", expr, err);
    return v;
}

START_TEST(postfix_arithmetic)
{
    ck_assert_uint_eq(eval_ok("1 2 +", 8), 3);
    ck_assert_uint_eq(eval_ok("10 3 -", 8), 7);
    ck_assert_uint_eq(eval_ok("0x10 4 *", 8), 0x40);
    ck_assert_uint_eq(eval_ok("7 2 /", 8), 3);
    ck_assert_uint_eq(eval_ok("7 2 %", 8), 1);
    ck_assert_uint_eq(eval_ok("0x1237 0x10 @", 8), 0x1230);
    ck_assert_uint_eq(eval_ok("$esp 8 +", 8), 0x1008);
    ck_assert_uint_eq(eval_ok(".cfa -8 +", 8), 0x2000);
    ck_assert_uint_eq(eval_ok("-8", 4), 0xfffffff8u);
    ck_assert_uint_eq(eval_ok("0 1 -", 4), 0xffffffffu);
    ck_assert_uint_eq(eval_ok("0 1 -", 8), UINT64_MAX);
    ck_assert_uint_eq(eval_ok("  1\t2   +  ", 8), 3);
}
END_TEST

START_TEST(postfix_dereference_through_callback)
{
    ck_assert_uint_eq(eval_ok("$esp ^", 8), 0x11223344aabbccddull);
    ck_assert_uint_eq(eval_ok("$esp ^", 4), 0xaabbccddu);
    ck_assert_uint_eq(eval_ok(".cfa -8 + ^ 1 +", 8), 0x43);
    uint64_t v;
    char err[128];
    ck_assert_int_eq(eval_with("$esp 4 + ^", 8, &v, err, sizeof err), DW_ERR_NOT_FOUND);
    ck_assert_str_eq(err, "postfix: cannot read memory at 0x1004");
}
END_TEST

START_TEST(postfix_errors_are_statuses)
{
    uint64_t v;
    char err[128];
    ck_assert_int_eq(eval_with("1 +", 8, &v, err, sizeof err), DW_ERR_DAMAGED);
    ck_assert_str_eq(err, "postfix: stack underflow at '+'");
    ck_assert_int_eq(eval_with("^", 8, &v, err, sizeof err), DW_ERR_DAMAGED);
    ck_assert_int_eq(eval_with("1 0 /", 8, &v, err, sizeof err), DW_ERR_DAMAGED);
    ck_assert_str_eq(err, "postfix: division by zero");
    ck_assert_int_eq(eval_with("1 0 %", 8, &v, err, sizeof err), DW_ERR_DAMAGED);
    ck_assert_int_eq(eval_with("1 3 @", 8, &v, err, sizeof err), DW_ERR_DAMAGED);
    ck_assert_int_eq(eval_with("$nope 1 +", 8, &v, err, sizeof err), DW_ERR_NOT_FOUND);
    ck_assert_str_eq(err, "postfix: unknown variable '$nope'");
    ck_assert_int_eq(eval_with("1 2", 8, &v, err, sizeof err), DW_ERR_DAMAGED);
    ck_assert_int_eq(eval_with("", 8, &v, err, sizeof err), DW_ERR_DAMAGED);
    ck_assert_int_eq(eval_with("1 zz +", 8, &v, err, sizeof err), DW_ERR_DAMAGED);
    ck_assert_int_eq(eval_with("$T0 1 =", 8, &v, err, sizeof err), DW_ERR_DAMAGED);
    ck_assert_int_eq(eval_with("99999999999999999999999 1 +", 8, &v, err, sizeof err),
                     DW_ERR_DAMAGED);

    char big[DW_POSTFIX_MAX_LEN + 16];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[0] = '1';
    ck_assert_int_eq(eval_with(big, 8, &v, err, sizeof err), DW_ERR_LIMIT);

    char deep[DW_POSTFIX_MAX_DEPTH * 2 + 8] = "";
    for (int i = 0; i <= DW_POSTFIX_MAX_DEPTH; i++)
        strcat(deep, "1 ");
    ck_assert_int_eq(eval_with(deep, 8, &v, err, sizeof err), DW_ERR_LIMIT);

    char many[DW_POSTFIX_MAX_TOKENS * 4 + 8] = "1";
    for (int i = 0; i < DW_POSTFIX_MAX_TOKENS / 2; i++)
        strcat(many, " 1 +");
    ck_assert_int_eq(eval_with(many, 8, &v, err, sizeof err), DW_ERR_LIMIT);
    ck_assert_int_eq(eval_with("1", 3, &v, err, sizeof err), DW_ERR_INVALID_ARG);
}
END_TEST

START_TEST(postfix_program_assigns)
{
    fake_mem mem = {{0x9000, 0x9004}, {0x9100, 0x401000}, 2};
    dw_regset vars;
    dw_regset_init(&vars);
    dw_regset_set_c(&vars, "$ebp", 0x9000);
    dw_regset_set_c(&vars, "$esp", 0x8ff0);
    char err[128] = "";
    dw_postfix_ctx c = {&vars, 4, fake_read, &mem, err, sizeof err};
    const char *prog = "$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =";
    ck_assert_int_eq(dw_postfix_run(&c, prog, strlen(prog)), DW_OK);
    uint64_t v;
    ck_assert(dw_regset_get_c(&vars, "$eip", &v) && v == 0x401000);
    ck_assert(dw_regset_get_c(&vars, "$ebp", &v) && v == 0x9100);
    ck_assert(dw_regset_get_c(&vars, "$esp", &v) && v == 0x9008);
    ck_assert(dw_regset_get_c(&vars, "$T0", &v) && v == 0x9000);
    const char *bad = "$T0 1 = 2";
    ck_assert_int_eq(dw_postfix_run(&c, bad, strlen(bad)), DW_ERR_DAMAGED);
    const char *notvar = "5 1 =";
    ck_assert_int_eq(dw_postfix_run(&c, notvar, strlen(notvar)), DW_ERR_DAMAGED);
}
END_TEST

/* ---- CFI and STACK WIN ------------------------------------------------------------ */

static const dw_cfi_rule *rule(const dw_cfi_rules *r, const char *name)
{
    for (unsigned i = 0; i < r->count; i++)
        if (r->rule[i].reg_len == strlen(name) && memcmp(r->rule[i].reg, name, strlen(name)) == 0)
            return &r->rule[i];
    return NULL;
}

static int rule_is(const dw_cfi_rules *r, const char *name, const char *expr)
{
    const dw_cfi_rule *x = rule(r, name);
    return x && x->expr_len == strlen(expr) && memcmp(x->expr, expr, x->expr_len) == 0;
}

START_TEST(cfi_init_plus_deltas)
{
    dw_symfile *sf = open_text(every_kind);
    dw_cfi_rules r;
    char err[128];
    ck_assert_int_eq(dw_symfile_find_cfi(sf, 0x1000, &r, err, sizeof err), DW_OK);
    ck_assert_uint_eq(r.count, 2);
    ck_assert(rule_is(&r, ".cfa", "$esp 4 +"));
    ck_assert(rule_is(&r, ".ra", ".cfa -4 + ^"));
    ck_assert_int_eq(dw_symfile_find_cfi(sf, 0x1002, &r, err, sizeof err), DW_OK);
    ck_assert(rule_is(&r, ".cfa", "$esp 8 +"));
    ck_assert(rule_is(&r, "$ebp", ".cfa -8 + ^"));
    ck_assert_int_eq(dw_symfile_find_cfi(sf, 0x1050, &r, err, sizeof err), DW_OK);
    ck_assert_uint_eq(r.count, 3);
    ck_assert(rule_is(&r, ".cfa", "$ebp 8 +"));
    ck_assert(rule_is(&r, ".ra", ".cfa -4 + ^"));
    ck_assert_uint_eq(r.init_start, 0x1000);
    ck_assert_int_eq(dw_symfile_find_cfi(sf, 0x1100, &r, err, sizeof err), DW_ERR_NOT_FOUND);

    /* Unwind at 0x1050: .cfa = $ebp + 8, return address at .cfa - 4, saved
     * ebp at .cfa - 8. */
    ck_assert_int_eq(dw_symfile_find_cfi(sf, 0x1050, &r, err, sizeof err), DW_OK);
    fake_mem mem = {{0x9004, 0x9000}, {0x401234, 0x9100}, 2};
    dw_regset callee, caller;
    dw_regset_init(&callee);
    dw_regset_set_c(&callee, "$esp", 0x8f00);
    dw_regset_set_c(&callee, "$ebp", 0x9000);
    ck_assert_int_eq(dw_cfi_unwind(&r, &callee, 4, fake_read, &mem, &caller, err, sizeof err),
                     DW_OK);
    uint64_t v;
    ck_assert(dw_regset_get_c(&caller, ".cfa", &v) && v == 0x9008);
    ck_assert(dw_regset_get_c(&caller, ".ra", &v) && v == 0x401234);
    ck_assert(dw_regset_get_c(&caller, "$ebp", &v) && v == 0x9100);
    /* Without the return-address slot the unwind fails. */
    mem.n = 1;
    mem.addr[0] = 0x9000;
    mem.value[0] = 0x9100;
    ck_assert_int_eq(dw_cfi_unwind(&r, &callee, 4, fake_read, &mem, &caller, err, sizeof err),
                     DW_ERR_NOT_FOUND);
    dw_symfile_close(sf);
}
END_TEST

START_TEST(cfi_rule_text_parsing)
{
    dw_cfi_rules r = {0};
    const char *t = ".cfa: $rsp 8 + .ra: .cfa -8 + ^ $rbx: .cfa -16 + ^";
    ck_assert_int_eq(dw_cfi_rules_apply(&r, t, strlen(t), NULL, 0), DW_OK);
    ck_assert_uint_eq(r.count, 3);
    ck_assert(rule_is(&r, "$rbx", ".cfa -16 + ^"));
    const char *d = "$rbx: .undef .cfa: $rbp 16 +";
    ck_assert_int_eq(dw_cfi_rules_apply(&r, d, strlen(d), NULL, 0), DW_OK);
    ck_assert_uint_eq(r.count, 3);
    ck_assert(rule_is(&r, ".cfa", "$rbp 16 +"));
    ck_assert(rule_is(&r, "$rbx", ".undef"));
    char err[128];
    const char *bad = "$rsp 8 + .ra: .cfa";
    ck_assert_int_eq(dw_cfi_rules_apply(&r, bad, strlen(bad), err, sizeof err), DW_ERR_DAMAGED);
    const char *empty = ".cfa: .ra: 1";
    ck_assert_int_eq(dw_cfi_rules_apply(&r, empty, strlen(empty), err, sizeof err),
                     DW_ERR_DAMAGED);
    /* .undef registers are absent from the caller; a missing .ra fails. */
    fake_mem mem = {{0x1008}, {0x777}, 1};
    dw_regset callee, caller;
    dw_regset_init(&callee);
    dw_regset_set_c(&callee, "$rbp", 0x1000);
    dw_regset_set_c(&callee, "$rsp", 0xff0);
    ck_assert_int_eq(dw_cfi_unwind(&r, &callee, 8, fake_read, &mem, &caller, err, sizeof err),
                     DW_OK);
    uint64_t v;
    ck_assert(dw_regset_get_c(&caller, ".cfa", &v) && v == 0x1010);
    ck_assert(dw_regset_get_c(&caller, ".ra", &v) && v == 0x777);
    ck_assert(!dw_regset_get_c(&caller, "$rbx", &v));
    dw_cfi_rules nora = {0};
    const char *n = ".cfa: $rsp 8 +";
    dw_cfi_rules_apply(&nora, n, strlen(n), NULL, 0);
    ck_assert_int_eq(dw_cfi_unwind(&nora, &callee, 8, fake_read, &mem, &caller, err, sizeof err),
                     DW_ERR_NOT_FOUND);
}
END_TEST

START_TEST(stack_win_selection_and_eval)
{
    dw_symfile *sf = open_text(every_kind);
    dw_win_record w;
    /* Type 4 preferred over type 0 covering the same range. */
    ck_assert_int_eq(dw_symfile_find_win(sf, 0x1010, &w), DW_OK);
    ck_assert_uint_eq(w.type, 4);
    ck_assert_uint_eq(w.rva, 0x1000);
    ck_assert_uint_eq(w.parameter_size, 8);
    ck_assert_uint_eq(w.saved_register_size, 4);
    ck_assert_uint_eq(w.local_size, 0x10);
    ck_assert(w.has_program);
    /* The nested type-4 record is the innermost. */
    ck_assert_int_eq(dw_symfile_find_win(sf, 0x1045, &w), DW_OK);
    ck_assert_uint_eq(w.rva, 0x1040);
    ck_assert_uint_eq(w.parameter_size, 0xc);
    ck_assert_int_eq(dw_symfile_find_win(sf, 0x1060, &w), DW_OK);
    ck_assert_uint_eq(w.rva, 0x1000);
    /* Only type 0 covers 0x2005. */
    ck_assert_int_eq(dw_symfile_find_win(sf, 0x2005, &w), DW_OK);
    ck_assert_uint_eq(w.type, 0);
    ck_assert(!w.has_program);
    ck_assert(!w.allocates_base_pointer);
    ck_assert_int_eq(dw_symfile_find_win(sf, 0x3000, &w), DW_ERR_NOT_FOUND);

    ck_assert_int_eq(dw_symfile_find_win(sf, 0x1010, &w), DW_OK);
    fake_mem mem = {{0x9000, 0x9004}, {0x9100, 0x401000}, 2};
    dw_win_input in = {.eip = 0x1010, .esp = 0x8f00, .ebp = 0x9000, .ebx = 7};
    dw_win_output out;
    char err[128];
    ck_assert_int_eq(dw_win_eval(&w, &in, fake_read, &mem, &out, err, sizeof err), DW_OK);
    ck_assert_uint_eq(out.eip, 0x401000);
    ck_assert_uint_eq(out.esp, 0x9008);
    ck_assert_uint_eq(out.ebp, 0x9100);
    ck_assert_uint_eq(out.set, DW_WIN_SET_EIP | DW_WIN_SET_ESP | DW_WIN_SET_EBP);
    ck_assert_int_eq(dw_symfile_find_win(sf, 0x2005, &w), DW_OK);
    ck_assert_int_eq(dw_win_eval(&w, &in, fake_read, &mem, &out, err, sizeof err),
                     DW_ERR_DAMAGED);
    dw_symfile_close(sf);
}
END_TEST

/* ---- STACK WIN sets against a reference ----------------------------------------------
 *
 * Generated STACK WIN lines (shuffled or sorted, with duplicates, nesting, partial overlaps,
 * types Breakpad ignores and hostile lines) are answered by a plain reading of the rules:
 * parse each line on its own, keep a record unless it conflicts with one kept earlier in the
 * file (Breakpad's range map), and answer an address with the innermost kept record, type 4
 * before type 0.  Both the text mode's STACK index and the full index must agree with it. */

typedef struct ref_win {
    uint64_t v[10]; /* type rva code_size prologue epilogue params saved locals max has_program */
    int abp;
    const char *program;
    size_t program_len;
    int kept;
} ref_win;

typedef struct ref_wins {
    ref_win *rec;
    size_t n;
    size_t corrupt, ignored, kept[2];
} ref_wins;

static int ref_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A whole token of 1..16 hex digits. */
static int ref_hex(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 16)
        return 0;
    char digits[17];
    for (size_t i = 0; i < len; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return 0;
        digits[i] = s[i];
    }
    digits[len] = '\0';
    *out = strtoull(digits, NULL, 16);
    return 1;
}

/* One STACK WIN line [s, e): 1 and *r filled, 0 corrupt, -1 a type Breakpad ignores. */
static int ref_parse_win(const char *s, const char *e, ref_win *r)
{
    const char *p = s;
    const char *tok[12];
    size_t len[12];
    for (int i = 0; i < 12; i++) {
        while (p < e && ref_blank(*p))
            p++;
        tok[i] = p;
        while (p < e && !ref_blank(*p))
            p++;
        len[i] = (size_t)(p - tok[i]);
        if (len[i] == 0)
            return 0;
    }
    if (len[0] != 5 || memcmp(tok[0], "STACK", 5) != 0 || len[1] != 3 ||
        memcmp(tok[1], "WIN", 3) != 0)
        return 0;
    memset(r, 0, sizeof *r);
    for (int i = 0; i < 10; i++) {
        if (!ref_hex(tok[i + 2], len[i + 2], &r->v[i]) || (i != 1 && r->v[i] > 0xffffffffu))
            return 0;
    }
    if (r->v[1] + r->v[2] < r->v[1])
        return 0;
    while (p < e && ref_blank(*p))
        p++;
    const char *rest = p;
    size_t rest_len = (size_t)(e - rest);
    uint64_t abp;
    if (r->v[9]) {
        if (rest_len == 0)
            return 0;
        r->program = rest;
        r->program_len = rest_len;
    } else if (ref_hex(rest, rest_len, &abp)) {
        r->abp = abp != 0;
    } else {
        return 0;
    }
    return r->v[0] == 0 || r->v[0] == 4 ? 1 : -1;
}

/* Two ranges conflict when they share a byte and neither holds the other, or are equal. */
static int ref_conflict(const ref_win *a, const ref_win *b)
{
    uint64_t as = a->v[1], ae = as + a->v[2], bs = b->v[1], be = bs + b->v[2];
    if ((as > bs ? as : bs) >= (ae < be ? ae : be))
        return 0;
    if (as == bs && ae == be)
        return 1;
    return !((as <= bs && be <= ae) || (bs <= as && ae <= be));
}

static ref_wins ref_read_wins(const char *text)
{
    ref_wins w = {0};
    size_t cap = 64;
    w.rec = malloc(cap * sizeof *w.rec);
    ck_assert_ptr_nonnull(w.rec);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        const char *e = nl ? nl : p + strlen(p);
        const char *next = nl ? nl + 1 : e;
        if (e > p && e[-1] == '\r')
            e--;
        if (strncmp(p, "MODULE ", 7) != 0) {
            if (w.n == cap) {
                cap *= 2;
                w.rec = realloc(w.rec, cap * sizeof *w.rec);
                ck_assert_ptr_nonnull(w.rec);
            }
            int got = ref_parse_win(p, e, &w.rec[w.n]);
            w.corrupt += got == 0;
            w.ignored += got < 0;
            w.n += got == 1;
        }
        p = next;
    }
    for (size_t i = 0; i < w.n; i++) {
        ref_win *r = &w.rec[i];
        r->kept = 1;
        for (size_t j = 0; j < i && r->kept; j++)
            if (w.rec[j].kept && w.rec[j].v[0] == r->v[0] && ref_conflict(&w.rec[j], r))
                r->kept = 0;
        w.kept[r->v[0] == 4] += (size_t)r->kept;
        w.ignored += (size_t)!r->kept;
    }
    return w;
}

/* The innermost kept record covering rva: type 4 first, then type 0. */
static const ref_win *ref_find_win(const ref_wins *w, uint64_t rva)
{
    for (int type = 4; type >= 0; type -= 4) {
        const ref_win *best = NULL;
        for (size_t i = 0; i < w->n; i++) {
            const ref_win *r = &w->rec[i];
            if (r->kept && r->v[0] == (uint64_t)type && rva - r->v[1] < r->v[2] &&
                (!best || r->v[2] < best->v[2]))
                best = r;
        }
        if (best)
            return best;
    }
    return NULL;
}

static void check_win_against_ref(dw_symfile *sf, const ref_wins *w, uint64_t rva, const char *what)
{
    const ref_win *want = ref_find_win(w, rva);
    dw_win_record got;
    dw_status st = dw_symfile_find_win(sf, rva, &got);
    ck_assert_msg(st == (want ? DW_OK : DW_ERR_NOT_FOUND), "%s 0x%llx: status %d", what,
                  (unsigned long long)rva, st);
    if (!want)
        return;
    const uint32_t fields[] = {got.prologue_size,       got.epilogue_size, got.parameter_size,
                               got.saved_register_size, got.local_size,    got.max_stack_size};
    int same = got.type == want->v[0] && got.rva == want->v[1] && got.code_size == want->v[2] &&
               got.has_program == (want->v[9] != 0);
    for (int i = 0; i < 6; i++)
        same = same && fields[i] == want->v[i + 3];
    if (want->v[9])
        same = same && got.program.len == want->program_len &&
               memcmp(got.program.ptr, want->program, want->program_len) == 0;
    else
        same = same && got.allocates_base_pointer == want->abp;
    ck_assert_msg(same,
                  "%s 0x%llx: got type %u rva 0x%llx size 0x%x, want type %llu rva 0x%llx "
                  "size 0x%llx",
                  what, (unsigned long long)rva, got.type, (unsigned long long)got.rva,
                  got.code_size, (unsigned long long)want->v[0], (unsigned long long)want->v[1],
                  (unsigned long long)want->v[2]);
}

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Lines that must each be corrupt, or parse despite looking odd; %llx is an RVA. */
static const char *const hostile_win_lines[] = {
    "STACK WIN 4 %llx 10 0 0 0 0 0 0 1",                    /* has a program, but empty */
    "STACK WIN 4 %llx 10 0 0 0 0 0",                        /* missing fields */
    "STACK WIN 4 %llx 00000000000000010 0 0 0 0 0 0 0 1",   /* 17 digits */
    "STACK WIN 4 %llx 100000000 0 0 0 0 0 0 0 1",           /* code size over 32 bits */
    "STACK WIN 4 ffffffffffffff%02llx 100 0 0 0 0 0 0 0 1", /* the range wraps */
    "STACK WIN 4 0x%llx 10 0 0 0 0 0 0 0 1",                /* prefix */
    "STACK WIN 4 %llx 1g 0 0 0 0 0 0 0 1",                  /* not hex */
    "STACK WIN 4 %llx 10 0 0 0 0 0 0 0 1 2",                /* two base-pointer flags */
    "STACK WIN 4 %llx 10 0 0 0 0 0 0 0 1 ",                 /* trailing blank after the flag */
    "STACK WIN 4 %llx 10 0 0 0 0 0 0 00000000000000001 $eip 0 = $esp 0 =", /* 17 digits */
    "STACK WIN 4 %llx 10 0 0 0 0 0 0 -1 $eip 0 = $esp 0 =",                /* sign */
    "STACK WIN 0 %llx 10 0 0 0 0 0 0 0 zz",                                /* flag not hex */
    "STACK WIN %llx",                                                      /* almost nothing */
    "STACK\tWIN\t4\t%llX\t2A\t0\t0\t0\t0\t0\t0\t1\t$eip $esp ^ = $esp $esp 4 + =", /* tabs, caps */
    "STACK WIN 4  %llx  0000000000000010 0 0 0 0 0 0 0 1\r", /* 16 digits, blanks, CRLF */
    "STACK WIN 4 %llx ffffffff 0 0 0 0 0 0 1 $eip $esp ^ = $esp $esp 4 + =  ", /* 32-bit size */
};
#define NHOSTILE (sizeof hostile_win_lines / sizeof hostile_win_lines[0])

typedef struct gen_win {
    uint64_t rva, size;
    unsigned type, serial;
} gen_win;

static int gen_win_cmp(const void *x, const void *y)
{
    const gen_win *a = x, *b = y;
    if (a->rva != b->rva)
        return a->rva < b->rva ? -1 : 1;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    return a->serial < b->serial ? -1 : a->serial > b->serial;
}

/* n records in four regions `spread` apart from `base`: fresh ranges, exact duplicates,
 * ranges nested in or partially overlapping earlier ones, empty ones and ignored types;
 * sorted by (start, larger first) when `sorted` (the order dump_syms may write), with
 * hostile lines mixed in when asked. */
static char *win_set_sym(uint64_t seed, unsigned n, uint64_t base, uint64_t spread, int sorted,
                         int hostile)
{
    gen_win *g = malloc(n * sizeof *g);
    ck_assert_ptr_nonnull(g);
    uint64_t x = seed;
    for (unsigned i = 0; i < n; i++) {
        unsigned kind = (unsigned)(xorshift(&x) % 100);
        const gen_win *old = i ? &g[xorshift(&x) % i] : NULL;
        uint64_t region = base + xorshift(&x) % 4 * spread;
        gen_win r = {region + xorshift(&x) % (n * 6u), 1 + xorshift(&x) % 0x30, 4, i};
        if (old && kind < 15) /* exact duplicate */
            r.rva = old->rva, r.size = old->size;
        else if (old && kind < 30 && old->size > 1) { /* nested */
            uint64_t off = xorshift(&x) % old->size;
            r.rva = old->rva + off;
            r.size = 1 + xorshift(&x) % (old->size - off);
        } else if (old && kind < 45 && old->size > 1) /* partial overlap */
            r.rva = old->rva + 1 + xorshift(&x) % (old->size - 1), r.size = old->size;
        else if (kind < 48)
            r.size = 0;
        r.type = kind % 7 == 0 ? 0 : 4;
        if (kind >= 96)
            r.type = 1 + kind % 3; /* FPO's neighbours: Breakpad ignores them */
        g[i] = r;
    }
    if (sorted)
        qsort(g, n, sizeof *g, gen_win_cmp);
    size_t cap = 128 + (size_t)n * 160, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    len += (size_t)snprintf(buf, cap, "MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 w\n");
    for (unsigned i = 0; i < n; i++) {
        const gen_win *r = &g[i];
        unsigned v = r->serial; /* makes every record's fields tell it apart */
        if (hostile && i % 9 == 4) {
            len += (size_t)snprintf(buf + len, cap - len, hostile_win_lines[v % NHOSTILE],
                                    (unsigned long long)r->rva);
            buf[len++] = '\n';
        }
        if (v % 3 == 0)
            len += (size_t)snprintf(buf + len, cap - len,
                                    "STACK WIN %u %llx %llx %x 0 %x 0 %x 0 0 %x\n", r->type,
                                    (unsigned long long)r->rva, (unsigned long long)r->size, v % 5,
                                    v & 0xff, v >> 8, v % 2);
        else
            len += (size_t)snprintf(buf + len, cap - len,
                                    "STACK WIN %u %llx %llx 0 %x %x 8 %x 0 1 $eip $esp ^ = "
                                    "$esp $esp %x + =\n",
                                    r->type, (unsigned long long)r->rva,
                                    (unsigned long long)r->size, v % 3, v & 0xff, v >> 8, v);
        ck_assert_uint_lt(len, cap);
    }
    free(g);
    return buf;
}

static void check_win_set(const char *text, const char *what)
{
    ref_wins w = ref_read_wins(text);
    dw_symfile *sf[2] = {open_text(text), open_text(text)};
    ck_assert_int_eq(dw_symfile_use_index(sf[1]), DW_OK);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < w.n; i++) {
        const ref_win *r = &w.rec[i];
        uint64_t at[] = {r->v[1] - 1, r->v[1], r->v[1] + r->v[2] / 2, r->v[1] + r->v[2] - 1,
                         r->v[1] + r->v[2]};
        for (int m = 0; m < 2; m++)
            for (int k = 0; k < 5; k++)
                check_win_against_ref(sf[m], &w, at[k], what);
        lo = r->v[1] < lo ? r->v[1] : lo;
        hi = r->v[1] + r->v[2] > hi ? r->v[1] + r->v[2] : hi;
    }
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (int i = 0; i < 2000 && lo <= hi; i++) {
        uint64_t rva = lo + xorshift(&x) % (hi - lo + 0x40);
        check_win_against_ref(sf[0], &w, rva, what);
        check_win_against_ref(sf[1], &w, rva, what);
    }
    /* The text file searched its STACK group on its own (no full index). */
    ck_assert_int_eq(dw_symfile_lookup_mode(sf[0]), DW_SYM_LOOKUP_TEXT);
    dw_symfile_stats st;
    ck_assert_int_eq(dw_symfile_get_stats(sf[1], &st), DW_OK);
    ck_assert_uint_eq(st.corrupt, w.corrupt);
    ck_assert_uint_eq(st.ignored, w.ignored);
    ck_assert_uint_eq(st.win_fpo, w.kept[0]);
    ck_assert_uint_eq(st.win_framedata, w.kept[1]);
    dw_symfile_close(sf[0]);
    dw_symfile_close(sf[1]);
    free(w.rec);
}

static const struct {
    uint64_t seed, base, spread;
    unsigned n;
    int sorted, hostile;
} win_sets[] = {
    {1, 0x1000, 0, 40, 0, 0},
    {2, 0x10000, 0x10000, 1500, 0, 0},
    {3, 0x10000, 0x10000, 1500, 1, 0},
    /* RVAs past 32 bits, in regions that differ in every other byte */
    {4, 0x7ff612340000ull, 0x0100010001000100ull, 1200, 0, 1},
    {5, 0x400, 0, 2500, 0, 1},
    {6, 0x400, 0x3000, 900, 1, 1},
};

START_TEST(stack_win_sets_match_reference)
{
    char what[64];
    snprintf(what, sizeof what, "STACK WIN set %d", _i);
    char *text =
        win_set_sym(win_sets[_i].seed * 0x9e3779b97f4a7c15ull, win_sets[_i].n, win_sets[_i].base,
                    win_sets[_i].spread, win_sets[_i].sorted, win_sets[_i].hostile);
    check_win_set(text, what);
    free(text);
}
END_TEST

/* The reference itself: what it must make of a few lines, so that agreeing with it means
 * something. */
START_TEST(stack_win_reference_reads_the_rules)
{
    const char *text = "MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 w\n"
                       "STACK WIN 4 1000 20 0 0 0 0 0 0 1 $eip 1 = $esp 1 =\n"
                       "STACK WIN 4 1010 20 0 0 0 0 0 0 1 $eip 2 = $esp 2 =\n" /* partial */
                       "STACK WIN 4 1000 20 0 0 0 0 0 0 1 $eip 3 = $esp 3 =\n" /* duplicate */
                       "STACK WIN 4 1008 4 0 0 0 0 0 0 1 $eip 4 = $esp 4 =\n"  /* nested */
                       "STACK WIN 0 1000 100 0 0 0 0 0 0 0 1\n"
                       "STACK WIN 3 1000 100 0 0 0 0 0 0 0 1\n"                /* ignored */
                       "STACK WIN 4 1100 00000000000000010 0 0 0 0 0 0 0 1\n"; /* corrupt */
    ref_wins w = ref_read_wins(text);
    ck_assert_uint_eq(w.n, 5);
    ck_assert_uint_eq(w.corrupt, 1);
    ck_assert_uint_eq(w.ignored, 3);
    ck_assert_uint_eq(w.kept[1], 2);
    ck_assert_uint_eq(w.kept[0], 1);
    ck_assert_ptr_eq(ref_find_win(&w, 0x1009), &w.rec[3]);
    ck_assert_ptr_eq(ref_find_win(&w, 0x101f), &w.rec[0]);
    ck_assert_ptr_eq(ref_find_win(&w, 0x1020), &w.rec[4]);
    ck_assert_ptr_null(ref_find_win(&w, 0x1100));
    check_win_set(text, "STACK WIN by hand");
    free(w.rec);
}
END_TEST

/* ---- real symbol files --------------------------------------------------------------- */

static dw_symbols *shared_store(void)
{
    const char *dir = dw_test_shared_path("corpus/breakpad/symbols");
    if (!dir)
        return NULL;
    dw_symbols *s = NULL;
    ck_assert_int_eq(dw_symbols_new(&s), DW_OK);
    ck_assert_int_eq(dw_symbols_add_dir(s, dir), DW_OK);
    const char *rm = dw_test_shared_path("corpus/rust-minidump/symbols");
    if (rm)
        ck_assert_int_eq(dw_symbols_add_dir(s, rm), DW_OK);
    return s;
}

START_TEST(real_test_app_lines)
{
    dw_symbols *s = shared_store();
    if (!s)
        return;
    dw_symfile *sf = NULL;
    ck_assert_int_eq(dw_symbols_lookup(s, "c:\\build\\test_app.pdb",
                                       "5A9832E5287241C1838ED98914E9B7FF1", "test_app.exe",
                                       NULL, &sf),
                     DW_OK);
    dw_sym_lookup r;
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x429e, &r), DW_OK);
    ck_assert_str_span(r.function, "`anonymous namespace'::CrashFunction");
    ck_assert(str_ends(r.file, "test_app.cc"));
    ck_assert_uint_eq(r.line, 58);
    /* Frame 1 returns to 0x4200; Breakpad looks caller frames up at the
     * return address - 1, which is line 65 (0x4200 itself starts line 66). */
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x4200 - 1, &r), DW_OK);
    ck_assert_str_span(r.function, "main");
    ck_assert(str_ends(r.file, "test_app.cc"));
    ck_assert_uint_eq(r.line, 65);
    ck_assert_uint_eq(r.param_size, 8);
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x4200, &r), DW_OK);
    ck_assert_uint_eq(r.line, 66);
    ck_assert_uint_eq(dw_symfile_corrupt_count(sf), 0);
    dw_win_record w;
    ck_assert_int_eq(dw_symfile_find_win(sf, 0x429e, &w), DW_OK);
    ck_assert_uint_eq(w.rva, 0x4290);
    dw_symbols_free(s);
}
END_TEST

START_TEST(real_kernel32_stack_win)
{
    dw_symbols *s = shared_store();
    if (!s)
        return;
    dw_symfile *sf = NULL;
    ck_assert_int_eq(
        dw_symbols_lookup(s, "kernel32.pdb", "BCE8785C57B44245A669896B6A19B9542", NULL, NULL, &sf),
        DW_OK);
    dw_symfile_stats st;
    ck_assert_int_eq(dw_symfile_get_stats(sf, &st), DW_OK);
    ck_assert_uint_eq(st.corrupt, 0);
    ck_assert_uint_eq(st.funcs, 0);
    ck_assert_uint_eq(st.win_fpo + st.win_framedata + st.ignored, 507 + 3703);
    /* Replaying Breakpad's file-order insertion of the 3703 type-4 ranges
     * (partial overlaps and duplicates refused) keeps 3200 of them. */
    ck_assert_uint_eq(st.win_framedata, 3200);
    ck_assert_uint_eq(st.win_fpo, 507);
    /* BaseProcessStart's frame 3 in minidump2: the caller lookup address
     * 0x16fd6 is covered by two partially overlapping records; Breakpad keeps
     * the one stored first (line 3029, rva 0x16fb4). */
    dw_win_record w;
    ck_assert_int_eq(dw_symfile_find_win(sf, 0x16fd6, &w), DW_OK);
    ck_assert_uint_eq(w.type, 4);
    ck_assert_uint_eq(w.rva, 0x16fb4);
    ck_assert_uint_eq(w.code_size, 0x4f);
    ck_assert_uint_eq(w.parameter_size, 4);
    ck_assert_uint_eq(w.saved_register_size, 8);
    ck_assert_uint_eq(w.local_size, 0x1c);
    dw_sym_lookup r;
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x16fd7, &r), DW_OK);
    ck_assert_int_eq(r.kind, DW_SYM_PUBLIC);
    ck_assert_str_span(r.function, "BaseProcessStart");
    ck_assert_uint_eq(0x16fd7 - r.function_start, 0x23);
    /* Its program is the ebp-chain rule with $L / $P temporaries. */
    fake_mem mem = {{0x12fff0, 0x12fff4}, {0, 0x0}, 2};
    dw_win_input in = {.eip = 0x7c816fd7, .esp = 0x12ffc8, .ebp = 0x12fff0};
    dw_win_output out;
    char err[128];
    ck_assert_int_eq(dw_win_eval(&w, &in, fake_read, &mem, &out, err, sizeof err), DW_OK);
    ck_assert_uint_eq(out.eip, 0);
    ck_assert_uint_eq(out.esp, 0x12fff8);
    ck_assert_uint_eq(out.ebp, 0);
    /* A record using the old .raSearchStart name. */
    ck_assert_int_eq(dw_symfile_find_win(sf, 0x17826, &w), DW_OK);
    ck_assert_ptr_nonnull(memmem(w.program.ptr, w.program.len, ".raSearchStart", 14));
    fake_mem ra = {{0x2000}, {0x7c801234}, 1};
    dw_win_input in2 = {.esp = 0x1ff0, .ra_search = 0x2000};
    ck_assert_int_eq(dw_win_eval(&w, &in2, fake_read, &ra, &out, err, sizeof err), DW_OK);
    ck_assert_uint_eq(out.eip, 0x7c801234);
    ck_assert_uint_eq(out.esp, 0x2004);
    dw_symbols_free(s);
}
END_TEST

/* Expected frames from rust-minidump's pipeline-inlines-macos-segv snapshot. */
START_TEST(real_crash_client_inlines)
{
    dw_symbols *s = shared_store();
    if (!s)
        return;
    dw_symfile *sf = NULL;
    ck_assert_int_eq(dw_symbols_lookup(s, "crash-client", "509C0610949836F7B70BD88BCF03E5400",
                                       NULL, NULL, &sf),
                     DW_OK);
    ck_assert_str_eq(dw_symfile_module_info(sf)->code_id, "509C0610949836F7B70BD88BCF03E540");
    dw_sym_lookup r;
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x14cd4, &r), DW_OK);
    ck_assert_str_span(r.function, "sadness_generator::raise_segfault");
    ck_assert_uint_eq(0x14cd4 - r.function_start, 4);
    ck_assert_uint_eq(r.inline_count, 1);
    ck_assert_str_span(r.inlines[0].name, "core::ptr::write_volatile::<u8>");
    ck_assert(str_ends(r.file, "core/src/ptr/mod.rs"));
    ck_assert_uint_eq(r.line, 1574);
    ck_assert(str_ends(r.inlines[0].call_file, "sadness-generator/src/lib.rs"));
    ck_assert_uint_eq(r.inlines[0].call_line, 133);

    ck_assert_int_eq(dw_symfile_lookup(sf, 0x423d, &r), DW_OK);
    ck_assert_str_span(r.function, "crash_client::main");
    ck_assert_uint_eq(0x423d - r.function_start, 0xe3d);
    ck_assert_uint_eq(r.inline_count, 2);
    ck_assert_str_span(r.inlines[0].name, "crash_client::real_main::{closure#1}");
    ck_assert_uint_eq(r.line, 88);
    ck_assert_str_span(r.inlines[1].name, "crash_client::real_main");
    ck_assert_uint_eq(r.inlines[0].call_line, 132);
    ck_assert_uint_eq(r.inlines[1].call_line, 142);
    ck_assert(str_ends(r.inlines[1].call_file, "crash-client/src/main.rs"));

    static const char *const names[] = {
        "core::ops::function::impls::<impl core::ops::function::FnOnce<A> for &F>::call_once",
        "std::panicking::try::do_call",
        "std::panicking::try",
        "std::panic::catch_unwind",
        "std::rt::lang_start_internal::{{closure}}",
        "std::panicking::try::do_call",
        "std::panicking::try",
        "std::panic::catch_unwind"};
    /* Line of each frame: the line record, then each call site outward. */
    static const uint32_t lines[] = {280, 492, 456, 137, 128, 492, 456, 137, 128};
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x833ed, &r), DW_OK);
    ck_assert_str_span(r.function, "std::rt::lang_start_internal");
    ck_assert_uint_eq(0x833ed - r.function_start, 0x3cd);
    ck_assert_uint_eq(r.inline_count, 8);
    ck_assert_uint_eq(r.line, lines[0]);
    for (unsigned i = 0; i < 8; i++) {
        ck_assert_str_span(r.inlines[i].name, names[i]);
        ck_assert_uint_eq(r.inlines[i].call_line, lines[i + 1]);
    }
    ck_assert(str_ends(r.inlines[7].call_file, "library/std/src/rt.rs"));

    dw_cfi_rules rules;
    char err[128];
    ck_assert_int_eq(dw_symfile_find_cfi(sf, 0x14cd4, &rules, err, sizeof err), DW_OK);
    ck_assert_ptr_nonnull(rule(&rules, ".cfa"));
    ck_assert_ptr_nonnull(rule(&rules, ".ra"));
    ck_assert_uint_eq(dw_symfile_corrupt_count(sf), 0);
    dw_symbols_free(s);
}
END_TEST

/* Index time and lookup rate on the 4 MB crash-client.sym (printed). */
START_TEST(real_crash_client_speed)
{
    const char *path = dw_test_shared_path("corpus/rust-minidump/symbols/crash-client/"
                                           "509C0610949836F7B70BD88BCF03E5400/crash-client.sym");
    if (!path)
        return;
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dw_symfile *sf = NULL;
    ck_assert_int_eq(dw_symfile_open(path, &sf, NULL), DW_OK);
    dw_symfile_stats st;
    ck_assert_int_eq(dw_symfile_get_stats(sf, &st), DW_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const unsigned n = 2000000;
    uint64_t x = 88172645463325252ull, hits = 0, inl = 0;
    dw_sym_lookup r;
    for (unsigned i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (dw_symfile_lookup(sf, 0x1000 + x % 0x90000, &r) == DW_OK) {
            hits++;
            inl += r.inline_count;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    double index_ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    double look_s = (t2.tv_sec - t1.tv_sec) + (t2.tv_nsec - t1.tv_nsec) / 1e9;
    fprintf(stderr,
            "symbols: crash-client.sym %zu lines, %zu FUNC, %zu INLINE: open+index %.1f ms; "
            "%.2f M lookups/s (%llu hits, %llu inline frames)\n",
            st.lines_total, st.funcs, st.inlines, index_ms, n / look_s / 1e6,
            (unsigned long long)hits, (unsigned long long)inl);
    ck_assert_uint_eq(st.corrupt, 0);
    ck_assert_uint_eq(st.funcs + st.funcs_overlapping, 1996);
    ck_assert_uint_eq(st.inlines, 40148);
    ck_assert(hits > n / 2);
    dw_symfile_close(sf);
}
END_TEST

/* The old (no call-site file) and new INLINE formats of one binary give the
 * same inline names and lines everywhere. */
START_TEST(real_linux_inline_old_and_new_agree)
{
    const char *base = "corpus/breakpad/symbols/linux_inline/BBA6FA10B8AAB33D00000000000000000/";
    char p_old[256], p_new[256];
    snprintf(p_old, sizeof p_old, "%slinux_inline.old.sym", base);
    snprintf(p_new, sizeof p_new, "%slinux_inline.new.sym", base);
    const char *path = dw_test_shared_path(p_old);
    if (!path)
        return;
    dw_symfile *a = NULL, *b = NULL;
    ck_assert_int_eq(dw_symfile_open(path, &a, NULL), DW_OK);
    ck_assert_int_eq(dw_symfile_open(dw_test_shared_path(p_new), &b, NULL), DW_OK);
    ck_assert_uint_eq(dw_symfile_corrupt_count(a) + dw_symfile_corrupt_count(b), 0);
    unsigned with_inlines = 0;
    for (uint64_t rva = 0x15000; rva < 0x17000; rva++) {
        dw_sym_lookup x, y;
        dw_status sx = dw_symfile_lookup(a, rva, &x), sy = dw_symfile_lookup(b, rva, &y);
        ck_assert_int_eq(sx, sy);
        if (sx != DW_OK)
            continue;
        ck_assert_uint_eq(x.line, y.line);
        ck_assert_uint_eq(x.inline_count, y.inline_count);
        for (unsigned i = 0; i < x.inline_count; i++) {
            ck_assert(x.inlines[i].name.len == y.inlines[i].name.len &&
                      memcmp(x.inlines[i].name.ptr, y.inlines[i].name.ptr, x.inlines[i].name.len) == 0);
            ck_assert_uint_eq(x.inlines[i].call_line, y.inlines[i].call_line);
            ck_assert_uint_eq(x.inlines[i].call_file.len, 0);
            ck_assert_uint_gt(y.inlines[i].call_file.len, 0);
        }
        with_inlines += x.inline_count > 0;
    }
    ck_assert_uint_gt(with_inlines, 100);
    dw_symfile_close(a);
    dw_symfile_close(b);
}
END_TEST

/* Mutated symbol text (bytes flipped, lines cut) never crashes or loops;
 * lookups stay within the text. */
START_TEST(mutated_text_is_survivable)
{
    size_t n = sizeof every_kind - 1;
    char *buf = malloc(n);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    static const char alphabet[] = " \n\r:^=+-0123456789abcdefFUNCINLE$.m";
    for (int round = 0; round < 3000; round++) {
        memcpy(buf, every_kind, n);
        size_t len = n;
        for (int k = 0; k < 6; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t pos = 64 + x % (n - 64); /* keep the MODULE line mostly */
            buf[pos] = alphabet[(x >> 32) % (sizeof alphabet - 1)];
        }
        if (round % 7 == 0)
            len = 64 + x % (n - 64);
        dw_symfile *sf = NULL;
        if (dw_symfile_open_buffer(buf, len, &sf, NULL) != DW_OK)
            continue;
        dw_sym_lookup r;
        for (uint64_t rva = 0xff0; rva < 0x3010; rva += 3)
            dw_symfile_lookup(sf, rva, &r);
        dw_cfi_rules rules;
        dw_win_record w;
        for (uint64_t rva = 0xff0; rva < 0x1110; rva += 5) {
            if (dw_symfile_find_cfi(sf, rva, &rules, NULL, 0) == DW_OK) {
                dw_regset callee, caller;
                dw_regset_init(&callee);
                dw_regset_set_c(&callee, "$esp", 0x1000);
                dw_cfi_unwind(&rules, &callee, 4, fake_read, &(fake_mem){{0}, {0}, 0}, &caller,
                              NULL, 0);
            }
            if (dw_symfile_find_win(sf, rva, &w) == DW_OK && w.has_program) {
                dw_win_output out;
                dw_win_input in = {0};
                dw_win_eval(&w, &in, fake_read, &(fake_mem){{0}, {0}, 0}, &out, NULL, 0);
            }
        }
        dw_symfile_close(sf);
    }
    free(buf);
}
END_TEST

/* ---- the store -------------------------------------------------------------------- */

static void write_file(const char *dir, const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    for (char *p = path + strlen(dir) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(store_layout_and_cache)
{
    char root[512];
    snprintf(root, sizeof root, "%s/symstore", dw_test_tmpdir());
    mkdir(root, 0755);
    write_file(root, "foo.pdb/AA11/foo.sym", "MODULE windows x86 AA11 foo.pdb\nPUBLIC 10 0 f\n");
    write_file(root, "libx.so.1/BB22/libx.so.1.sym", "MODULE Linux x86_64 BB22 libx.so.1\n");
    write_file(root, "bad.pdb/CC33/bad.sym", "this is not a symbol file\n");
    write_file(root, "app.exe/5F00AA0012000/app.exe.sym", "MODULE windows x86_64 00 app.pdb\n");
    char empty[600];
    snprintf(empty, sizeof empty, "%s-empty", root);
    mkdir(empty, 0755);

    dw_symbols *s = NULL;
    ck_assert_int_eq(dw_symbols_new(&s), DW_OK);
    ck_assert_int_eq(dw_symbols_add_dir(s, empty), DW_OK);
    ck_assert_int_eq(dw_symbols_add_dir(s, root), DW_OK);
    dw_symfile *a = NULL, *b = NULL;
    ck_assert_int_eq(dw_symbols_lookup(s, "C:\\src\\foo.pdb", "AA11", NULL, NULL, &a), DW_OK);
    ck_assert_str_eq(dw_symfile_module_info(a)->name, "foo.pdb");
    ck_assert_int_eq(dw_symbols_lookup(s, "foo.pdb", "AA11", "foo.dll", "123", &b), DW_OK);
    ck_assert_ptr_eq(a, b); /* cached */
    ck_assert_int_eq(dw_symbols_lookup(s, "/usr/lib/libx.so.1", "BB22", NULL, NULL, &a), DW_OK);
    ck_assert_str_eq(dw_symfile_module_info(a)->name, "libx.so.1");

    ck_assert_int_eq(dw_symbols_lookup(s, "bad.pdb", "CC33", NULL, NULL, &a), DW_ERR_FORMAT);
    ck_assert_ptr_null(a);
    ck_assert_ptr_nonnull(strstr(dw_symbols_last_error(), "MODULE"));
    /* The cached failure replays its message. */
    ck_assert_int_eq(dw_symbols_lookup(s, "bad.pdb", "CC33", NULL, NULL, &a), DW_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(dw_symbols_last_error(), "MODULE"));

    ck_assert_int_eq(dw_symbols_lookup(s, "nothere.pdb", "DD44", NULL, NULL, &a),
                     DW_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(dw_symbols_last_error(), "nothere.pdb/DD44"));
    /* Code-file fallback for a module without a PDB id. */
    ck_assert_int_eq(dw_symbols_lookup(s, "app.pdb", "", "app.exe", "5F00AA0012000", &a), DW_OK);
    ck_assert_str_eq(dw_symfile_module_info(a)->name, "app.pdb");
    ck_assert_int_eq(dw_symbols_lookup(s, "missing.pdb", "EE55", "app.exe", "5F00AA0012000", &b),
                     DW_OK);
    ck_assert_ptr_eq(a, b);
    /* Identifiers from a dump never walk out of the store. */
    ck_assert_int_eq(dw_symbols_lookup(s, "foo.pdb", "../foo.pdb/AA11", NULL, NULL, &a),
                     DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_symbols_lookup(s, "..", "AA11", NULL, NULL, &a), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_symbols_lookup(s, NULL, NULL, NULL, NULL, &a), DW_ERR_NOT_FOUND);
    dw_symbols_free(s);
}
END_TEST

typedef struct thread_job {
    dw_symbols *store;
    int ok;
} thread_job;

static void *lookup_worker(void *arg)
{
    thread_job *job = arg;
    job->ok = 1;
    for (int i = 0; i < 200; i++) {
        dw_symfile *sf = NULL;
        if (dw_symbols_lookup(job->store, "crash-client", "509C0610949836F7B70BD88BCF03E5400",
                              NULL, NULL, &sf) != DW_OK) {
            job->ok = 0;
            break;
        }
        dw_sym_lookup r;
        if (dw_symfile_lookup(sf, 0x833ed, &r) != DW_OK || r.inline_count != 8)
            job->ok = 0;
        dw_symfile *t = NULL;
        if (dw_symbols_lookup(job->store, "test_app.pdb", "5A9832E5287241C1838ED98914E9B7FF1",
                              NULL, NULL, &t) != DW_OK ||
            dw_symfile_lookup(t, 0x429e, &r) != DW_OK || r.line != 58)
            job->ok = 0;
    }
    return NULL;
}

START_TEST(store_shared_between_threads)
{
    dw_symbols *s = shared_store();
    if (!s)
        return;
    enum { N = 6 };
    pthread_t th[N];
    thread_job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (thread_job){s, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, lookup_worker, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ck_assert(jobs[i].ok);
    }
    dw_symbols_free(s);
}
END_TEST

Suite *symbols_suite(void)
{
    Suite *s = suite_create("symbols");
    TCase *parse = tcase_create("parse");
    tcase_add_test(parse, parses_every_record_kind);
    tcase_add_test(parse, inline_frames_innermost_first);
    tcase_add_test(parse, public_fallback_and_misses);
    tcase_add_test(parse, corrupt_lines_cost_only_themselves);
    tcase_add_test(parse, crlf_is_a_line_break);
    tcase_add_test(parse, overlapping_funcs_keep_the_earlier_line);
    tcase_add_test(parse, old_inline_format_without_call_file);
    tcase_add_test(parse, missing_module_line_is_an_error);
    tcase_add_test(parse, mutated_text_is_survivable);
    suite_add_tcase(s, parse);
    TCase *postfix = tcase_create("postfix");
    tcase_add_test(postfix, postfix_arithmetic);
    tcase_add_test(postfix, postfix_dereference_through_callback);
    tcase_add_test(postfix, postfix_errors_are_statuses);
    tcase_add_test(postfix, postfix_program_assigns);
    suite_add_tcase(s, postfix);
    TCase *unwind = tcase_create("cfi_win");
    tcase_add_test(unwind, cfi_init_plus_deltas);
    tcase_add_test(unwind, cfi_rule_text_parsing);
    tcase_add_test(unwind, stack_win_selection_and_eval);
    tcase_add_test(unwind, stack_win_reference_reads_the_rules);
    tcase_add_loop_test(unwind, stack_win_sets_match_reference, 0,
                        (int)(sizeof win_sets / sizeof win_sets[0]));
    suite_add_tcase(s, unwind);
    TCase *real = tcase_create("real");
    tcase_add_test(real, real_test_app_lines);
    tcase_add_test(real, real_kernel32_stack_win);
    tcase_add_test(real, real_crash_client_inlines);
    tcase_add_test(real, real_crash_client_speed);
    tcase_add_test(real, real_linux_inline_old_and_new_agree);
    suite_add_tcase(s, real);
    TCase *store = tcase_create("store");
    tcase_add_test(store, store_layout_and_cache);
    tcase_add_test(store, store_shared_between_threads);
    suite_add_tcase(s, store);
    return s;
}
