/* Text-mode symbol lookups (lib/symbols/textsearch.c) against the full index:
 * every answer must be identical, and sorted files must not build the
 * index. */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dumpwalk/symbols.h"
#include "symbols/cfi.h"
#include "symbols/stackwin.h"
#include "symbols/symfile.h"
#include "test_util.h"

/* ---- comparing one address in both modes ----------------------------------- */

static int span_eq(dw_symstr a, dw_symstr b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static void check_lookup(dw_symfile *text, dw_symfile *index, uint64_t rva, const char *name)
{
    dw_sym_lookup a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    dw_status sa = dw_symfile_lookup(text, rva, &a);
    dw_status sb = dw_symfile_lookup(index, rva, &b);
    ck_assert_msg(sa == sb, "%s 0x%llx: status %d vs %d", name, (unsigned long long)rva, sa, sb);
    ck_assert_msg(a.kind == b.kind, "%s 0x%llx: kind", name, (unsigned long long)rva);
    if (a.kind == DW_SYM_NONE)
        return;
    ck_assert_msg(span_eq(a.function, b.function) && a.function_start == b.function_start &&
                      a.function_size == b.function_size && a.param_size == b.param_size,
                  "%s 0x%llx: function '%.*s' vs '%.*s'", name, (unsigned long long)rva,
                  (int)a.function.len, a.function.ptr ? a.function.ptr : "", (int)b.function.len,
                  b.function.ptr ? b.function.ptr : "");
    ck_assert_msg(a.has_line == b.has_line, "%s 0x%llx: has_line", name, (unsigned long long)rva);
    if (a.has_line)
        ck_assert_msg(span_eq(a.file, b.file) && a.line == b.line && a.line_start == b.line_start &&
                          a.line_size == b.line_size,
                      "%s 0x%llx: line", name, (unsigned long long)rva);
    ck_assert_msg(a.inline_count == b.inline_count && a.inlines_truncated == b.inlines_truncated,
                  "%s 0x%llx: %u inlines vs %u", name, (unsigned long long)rva, a.inline_count,
                  b.inline_count);
    for (unsigned i = 0; i < a.inline_count; i++) {
        const dw_sym_inline *x = &a.inlines[i], *y = &b.inlines[i];
        ck_assert_msg(span_eq(x->name, y->name) && span_eq(x->call_file, y->call_file) &&
                          x->call_line == y->call_line && x->nest_level == y->nest_level &&
                          x->range_start == y->range_start && x->range_size == y->range_size,
                      "%s 0x%llx: inline %u", name, (unsigned long long)rva, i);
    }
}

static void check_cfi(dw_symfile *text, dw_symfile *index, uint64_t rva, const char *name)
{
    dw_cfi_rules a, b;
    char ea[128] = "", eb[128] = "";
    dw_status sa = dw_symfile_find_cfi(text, rva, &a, ea, sizeof ea);
    dw_status sb = dw_symfile_find_cfi(index, rva, &b, eb, sizeof eb);
    ck_assert_msg(sa == sb, "%s CFI 0x%llx: status %d vs %d", name, (unsigned long long)rva, sa,
                  sb);
    if (sa != DW_OK)
        return;
    ck_assert(a.init_start == b.init_start && a.init_size == b.init_size && a.count == b.count);
    for (unsigned i = 0; i < a.count; i++) {
        dw_symstr ra = {a.rule[i].reg, a.rule[i].reg_len}, rb = {b.rule[i].reg, b.rule[i].reg_len};
        dw_symstr xa = {a.rule[i].expr, a.rule[i].expr_len};
        dw_symstr xb = {b.rule[i].expr, b.rule[i].expr_len};
        ck_assert_msg(span_eq(ra, rb) && span_eq(xa, xb), "%s CFI 0x%llx: rule %u", name,
                      (unsigned long long)rva, i);
    }
}

static void check_win(dw_symfile *text, dw_symfile *index, uint64_t rva, const char *name)
{
    dw_win_record a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    dw_status sa = dw_symfile_find_win(text, rva, &a);
    dw_status sb = dw_symfile_find_win(index, rva, &b);
    ck_assert_msg(sa == sb, "%s WIN 0x%llx: status", name, (unsigned long long)rva);
    if (sa != DW_OK)
        return;
    ck_assert_msg(a.type == b.type && a.rva == b.rva && a.code_size == b.code_size &&
                      a.parameter_size == b.parameter_size && a.local_size == b.local_size &&
                      a.has_program == b.has_program && span_eq(a.program, b.program),
                  "%s WIN 0x%llx: record", name, (unsigned long long)rva);
}

/* Addresses worth asking about: every record boundary the index knows (its
 * starts, last bytes and ends), plus pseudo-random ones across the range. */
static void check_all(dw_symfile *text, dw_symfile *index, const char *name, unsigned randoms)
{
    const sym_index *ix = &index->index;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < ix->nfuncs; i++) {
        const sym_func *f = &ix->funcs[i];
        uint64_t at[] = {f->addr - 1, f->addr, f->addr + f->size / 2, f->addr + f->size - 1,
                         f->addr + f->size};
        for (size_t k = 0; k < 5; k++)
            check_lookup(text, index, at[k], name);
        for (uint32_t l = 0; l < f->line_count && l < 8; l++)
            check_lookup(text, index, ix->lines[f->line_first + l].addr, name);
        for (uint32_t r = 0; r < f->range_count && r < 8; r++) {
            const sym_inline_range *ir = &ix->ranges[f->range_first + r];
            check_lookup(text, index, ir->addr + ir->size - 1, name);
            check_lookup(text, index, ir->addr + ir->size, name);
        }
        lo = f->addr < lo ? f->addr : lo;
        hi = f->addr + f->size > hi ? f->addr + f->size : hi;
    }
    for (size_t i = 0; i < ix->npublics; i++) {
        uint64_t a = ix->publics[i].addr;
        check_lookup(text, index, a - 1, name);
        check_lookup(text, index, a, name);
        check_lookup(text, index, a + 1, name);
        lo = a < lo ? a : lo;
        hi = a + 0x100 > hi ? a + 0x100 : hi;
    }
    for (size_t i = 0; i < ix->ncfi; i++) {
        const sym_cfi_init *c = &ix->cfi[i];
        check_cfi(text, index, c->addr - 1, name);
        check_cfi(text, index, c->addr, name);
        check_cfi(text, index, c->addr + c->size - 1, name);
        check_cfi(text, index, c->addr + c->size, name);
        for (uint32_t d = 0; d < c->delta_count; d++)
            check_cfi(text, index, ix->deltas[c->delta_first + d].addr, name);
    }
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < ix->nwin[k]; i++) {
            const sym_win *w = &ix->win[k][i];
            check_win(text, index, w->rva - 1, name);
            check_win(text, index, w->rva, name);
            check_win(text, index, w->rva + w->code_size - 1, name);
            check_win(text, index, w->rva + w->code_size, name);
        }
    }
    if (lo > hi) {
        lo = 0;
        hi = 0x10000;
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (unsigned i = 0; i < randoms; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t rva = lo + x % (hi - lo + 0x1000);
        check_lookup(text, index, rva, name);
        check_cfi(text, index, rva, name);
        check_win(text, index, rva, name);
    }
}

/* The text file never trades up to the index for having read too much, so
 * every lookup of the sweep exercises the text search. */
static void open_pair(const char *data, size_t size, dw_symfile **text, dw_symfile **index)
{
    ck_assert_int_eq(dw_symfile_open_buffer(data, size, text, NULL), DW_OK);
    (*text)->text_read_limit = SIZE_MAX;
    ck_assert_int_eq(dw_symfile_open_buffer(data, size, index, NULL), DW_OK);
    ck_assert_int_eq(dw_symfile_use_index(*index), DW_OK);
    ck_assert_int_eq(dw_symfile_lookup_mode(*index), DW_SYM_LOOKUP_INDEX);
}

/* Compare both modes on a buffer; returns the text file's final mode. */
static dw_sym_lookup_mode compare_text(const char *text, const char *name)
{
    dw_symfile *t, *i;
    open_pair(text, strlen(text), &t, &i);
    check_all(t, i, name, 2000);
    dw_sym_lookup_mode mode = dw_symfile_lookup_mode(t);
    dw_symfile_close(t);
    dw_symfile_close(i);
    return mode;
}

/* ---- the corpus -------------------------------------------------------------- */

static int is_sym(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".sym") == 0;
}

/* Every .sym below dir (three levels: <store>/<file>/<id>/<name>.sym). */
static void each_sym(const char *dir, int depth, void (*fn)(const char *path))
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < 5)
            each_sym(path, depth + 1, fn);
        else if (S_ISREG(st.st_mode) && is_sym(e->d_name))
            fn(path);
    }
    closedir(d);
}

static unsigned corpus_files, corpus_text;

static void compare_corpus_file(const char *path)
{
    size_t size;
    uint8_t *data = dw_test_read_file(path, &size);
    ck_assert_ptr_nonnull(data);
    dw_symfile *t, *i;
    open_pair((const char *)data, size, &t, &i);
    const char *name = strrchr(path, '/') + 1;
    check_all(t, i, name, 3000);
    dw_sym_lookup_mode mode = dw_symfile_lookup_mode(t);
    fprintf(stderr, "symtext: %-22s %8zu bytes: %s%s%s\n", name, size,
            mode == DW_SYM_LOOKUP_TEXT ? "text" : "index", mode == DW_SYM_LOOKUP_TEXT ? "" : " -- ",
            dw_symfile_lookup_mode_reason(t));
    corpus_files++;
    corpus_text += mode == DW_SYM_LOOKUP_TEXT;
    dw_symfile_close(t);
    dw_symfile_close(i);
    free(data);
}

START_TEST(corpus_text_equals_index)
{
    const char *shared = dw_test_shared_path("corpus");
    if (!shared)
        return;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", shared);
    corpus_files = corpus_text = 0;
    each_sym(dir, 0, compare_corpus_file);
    ck_assert_uint_ge(corpus_files, 8);
    ck_assert_uint_ge(corpus_text, corpus_files / 2); /* most real files are searched as text */
}
END_TEST

/* A lookup in a sorted file never builds the full index, and is text mode. */
START_TEST(sorted_file_skips_index)
{
    const char *path = dw_test_shared_path("corpus/rust-minidump/symbols/crash-client/"
                                           "509C0610949836F7B70BD88BCF03E5400/crash-client.sym");
    if (!path)
        return;
    dw_symfile *sf;
    ck_assert_int_eq(dw_symfile_open(path, &sf, NULL), DW_OK);
    ck_assert_int_eq(dw_symfile_lookup_mode(sf), DW_SYM_LOOKUP_UNDECIDED);
    dw_sym_lookup r;
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x833ed, &r), DW_OK);
    ck_assert_uint_eq(r.inline_count, 8);
    dw_cfi_rules rules;
    char err[128];
    ck_assert_int_eq(dw_symfile_find_cfi(sf, 0x14cd4, &rules, err, sizeof err), DW_OK);
    ck_assert_int_eq(dw_symfile_lookup_mode(sf), DW_SYM_LOOKUP_TEXT);
    ck_assert_str_eq(dw_symfile_lookup_mode_reason(sf), "");
    ck_assert_int_eq(atomic_load(&sf->indexed), 0);
    /* Stats need the whole file: they build the index but keep the mode. */
    dw_symfile_stats st;
    ck_assert_int_eq(dw_symfile_get_stats(sf, &st), DW_OK);
    ck_assert_int_eq(atomic_load(&sf->indexed), 1);
    ck_assert_int_eq(dw_symfile_lookup_mode(sf), DW_SYM_LOOKUP_TEXT);
    dw_symfile_close(sf);
}
END_TEST

/* Text lookups that have read as much as the file holds build the index:
 * a file looked up without end costs at most about twice the index. */
START_TEST(busy_file_trades_up_to_index)
{
    const char *path = dw_test_shared_path("corpus/rust-minidump/symbols/crash-client/"
                                           "509C0610949836F7B70BD88BCF03E5400/crash-client.sym");
    if (!path)
        return;
    dw_symfile *sf;
    ck_assert_int_eq(dw_symfile_open(path, &sf, NULL), DW_OK);
    dw_sym_lookup r;
    unsigned n = 0;
    while (dw_symfile_lookup_mode(sf) != DW_SYM_LOOKUP_INDEX && n < 100000)
        dw_symfile_lookup(sf, 0x1000 + (uint64_t)(n++ * 7919u) % 0x90000, &r);
    ck_assert_int_eq(dw_symfile_lookup_mode(sf), DW_SYM_LOOKUP_INDEX);
    ck_assert_ptr_nonnull(strstr(dw_symfile_lookup_mode_reason(sf), "more than the file holds"));
    ck_assert_uint_gt(n, 10); /* a few lookups stay far below the file size */
    fprintf(stderr, "symtext: crash-client.sym built its index after %u text lookups\n", n);
    dw_symfile_close(sf);
}
END_TEST

/* kernel32.sym lists PUBLIC records in PDB order (and has no FUNC): the
 * plan's spot checks see it, and only the PUBLICs are indexed -- not the
 * STACK WIN records that make up nine tenths of the file, nor any FUNC. */
START_TEST(unsorted_real_publics_get_their_own_index)
{
    const char *path = dw_test_shared_path("corpus/breakpad/symbols/kernel32.pdb/"
                                           "BCE8785C57B44245A669896B6A19B9542/kernel32.sym");
    if (!path)
        return;
    dw_symfile *sf, *ix;
    ck_assert_int_eq(dw_symfile_open(path, &sf, NULL), DW_OK);
    ck_assert_int_eq(dw_symfile_open(path, &ix, NULL), DW_OK);
    ck_assert_int_eq(dw_symfile_use_index(ix), DW_OK);
    check_lookup(sf, ix, 0x16fd7, "kernel32.sym");
    dw_sym_lookup r;
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x16fd7, &r), DW_OK);
    ck_assert_int_eq(r.kind, DW_SYM_PUBLIC);
    ck_assert_int_eq(dw_symfile_lookup_mode(sf), DW_SYM_LOOKUP_TEXT);
    ck_assert_int_eq(sf->plan.publics_indexed, 1);
    ck_assert_int_eq(atomic_load(&sf->public_indexed), 1);
    ck_assert_int_eq(atomic_load(&sf->indexed), 0);
    ck_assert_uint_eq(sf->public_index.npublics, ix->index.npublics);
    ck_assert_uint_eq(sf->public_index.nwin[0] + sf->public_index.nwin[1], 0);
    dw_symfile_close(sf);
    dw_symfile_close(ix);
}
END_TEST

/* ---- synthetic files ------------------------------------------------------------ */

/* A sorted file with every record kind, FUNCs with lines and INLINEs,
 * PUBLICs among the FUNCs, nested STACK WIN and CFI with deltas. */
static const char sorted_sym[] =
    "MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 demo\r\n"
    "INFO CODE_ID 0123456789ABCDEF demo\r\n"
    "FILE 0 a.c\r\n"
    "FILE 1 b.h\r\n"
    "FILE 3 c.h\r\n"
    "INLINE_ORIGIN 0 inl_a\r\n"
    "INLINE_ORIGIN 1 inl_b\r\n"
    "INLINE_ORIGIN 2 \r\n"
    "PUBLIC 800 0 before_all\r\n"
    "FUNC 1000 40 8 alpha\r\n"
    "INLINE 0 10 1 0 1008 10 1030 8\r\n"
    "INLINE 1 20 3 1 100c 4\r\n"
    "INLINE 1 21 3 2 1030 4\r\n"
    "1000 8 5 0\r\n"
    "1008 8 6 1\r\n"
    "1008 10 7 3\r\n"
    "1020 10 8 0\r\n"
    "\r\n"
    "1030 10 9 9\r\n"
    "PUBLIC 1040 4 alpha_tail\r\n"
    "PUBLIC 1040 4 alpha_tail2\r\n"
    "FUNC m 10f0 0 0 empty\r\n"
    "FUNC 1100 20 0 beta\r\n"
    "1100 20 12 1\r\n"
    "PUBLIC 1200 0 gamma\r\n"
    "FUNC 1300 10 0 \r\n"
    "1300 10 1 0\r\n"
    "STACK CFI INIT 1000 40 .cfa: $rsp 8 + .ra: .cfa -8 + ^\r\n"
    "STACK CFI 1004 .cfa: $rsp 16 +\r\n"
    "STACK CFI 1010 $rbx: .cfa -16 + ^\r\n"
    "STACK CFI INIT 1100 20 .cfa: $rsp 8 + .ra: .cfa -8 + ^\r\n"
    "STACK WIN 4 1000 40 0 0 0 0 0 0 1 $eip $esp ^ = $esp $esp 4 + =\r\n"
    "STACK WIN 4 1008 10 0 0 0 0 0 0 1 $eip $esp 4 + ^ = $esp $esp 8 + =\r\n"
    "STACK WIN 0 1100 20 0 0 4 0 0 0 0 1\r\n";

START_TEST(synthetic_sorted_is_text)
{
    ck_assert_int_eq(compare_text(sorted_sym, "sorted"), DW_SYM_LOOKUP_TEXT);
    /* A few answers spelled out, from text mode. */
    dw_symfile *sf;
    ck_assert_int_eq(dw_symfile_open_buffer(sorted_sym, strlen(sorted_sym), &sf, NULL), DW_OK);
    sf->text_read_limit = SIZE_MAX;
    dw_sym_lookup r;
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x100d, &r), DW_OK);
    ck_assert_int_eq(r.kind, DW_SYM_FUNC);
    ck_assert_uint_eq(r.line, 7); /* 1008+10 beats 1008+8 (larger size sorts later) */
    ck_assert_uint_eq(r.inline_count, 2);
    ck_assert_int_eq(memcmp(r.inlines[0].name.ptr, "inl_b", 5), 0);
    ck_assert_int_eq(memcmp(r.inlines[0].call_file.ptr, "c.h", 3), 0);
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x1041, &r), DW_OK);
    ck_assert_int_eq(r.kind, DW_SYM_PUBLIC);
    ck_assert_int_eq(memcmp(r.function.ptr, "alpha_tail2", 11), 0); /* the later of a tie */
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x900, &r), DW_OK);
    ck_assert_int_eq(memcmp(r.function.ptr, "before_all", 10), 0);
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x700, &r), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x1310, &r), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_symfile_lookup_mode(sf), DW_SYM_LOOKUP_TEXT);
    dw_symfile_close(sf);
}
END_TEST

/* dump_syms' other layout: all FUNCs, then all PUBLICs (two sorted runs). */
static const char split_sym[] = "MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 demo\n"
                                "FILE 0 a.c\n"
                                "FUNC 1000 10 0 f1\n"
                                "1000 10 1 0\n"
                                "FUNC 2000 10 0 f2\n"
                                "2000 8 2 0\n"
                                "FUNC 3000 10 0 f3\n"
                                "PUBLIC 500 0 p0\n"
                                "PUBLIC 1800 0 p1\n"
                                "PUBLIC 2000 0 p2\n"
                                "PUBLIC 2800 0 p3\n"
                                "PUBLIC 4000 0 p4\n"
                                "\n";

START_TEST(synthetic_split_publics)
{
    ck_assert_int_eq(compare_text(split_sym, "split"), DW_SYM_LOOKUP_TEXT);
}
END_TEST

/* Files a text search must hand to the index, each for its reason. */
static const struct {
    const char *name, *text, *reason;
} fallback_cases[] = {
    {"unsorted FUNCs",
     "MODULE w x86 01 m\nFUNC 2000 10 0 b\n2000 10 1 0\nFUNC 1000 10 0 a\n1000 10 1 0\n"
     "FUNC 3000 10 0 c\n",
     "out of order"},
    {"overlapping FUNCs",
     "MODULE w x86 01 m\nFUNC 1000 100 0 outer\n1000 10 1 0\nFUNC 1010 10 0 inner\n"
     "1010 10 2 0\nFUNC 2000 10 0 c\n",
     "overlap"},
    {"FUNCs at one address", "MODULE w x86 01 m\nFUNC 1000 10 0 first\nFUNC 1000 20 0 second\n",
     "overlap"},
    {"unsorted FILE",
     "MODULE w x86 01 m\nFILE 1 b\nFILE 0 a\nFUNC 1000 10 0 f\n1000 10 1 0\n1004 4 2 1\n",
     "out of order"},
    {"corrupt FUNC", "MODULE w x86 01 m\nFUNC 1000 zz 0 f\n1000 10 1 0\n", "unparsable"},
    {"corrupt line record", "MODULE w x86 01 m\nFUNC 1000 10 0 f\n1000 10 x 0\n", "unparsable"},
    {"garbage line", "MODULE w x86 01 m\nFUNC 1000 10 0 f\ngarbage here\n1000 10 1 0\n", "corrupt"},
    {"line after PUBLIC",
     "MODULE w x86 01 m\nFUNC 1000 10 0 f\n1000 8 1 0\nPUBLIC 1008 0 p\n1008 8 2 0\n",
     "after a PUBLIC"},
    {"FILE among FUNCs",
     "MODULE w x86 01 m\nFUNC 1000 10 0 f\n1000 8 1 0\nFILE 0 late.c\n1008 8 2 0\n",
     "among other records"},
    {"old INLINE format",
     "MODULE w x86 01 m\nFILE 0 a.c\nINLINE_ORIGIN 0 0 inl\nFUNC 1000 10 0 f\n"
     "INLINE 0 5 0 1000 8\n1000 10 1 0\n",
     "old format"},
};

START_TEST(synthetic_fallbacks)
{
    const char *c = fallback_cases[_i].text;
    dw_sym_lookup_mode mode = compare_text(c, fallback_cases[_i].name);
    ck_assert_msg(mode == DW_SYM_LOOKUP_INDEX, "%s stayed in text mode", fallback_cases[_i].name);
    dw_symfile *sf;
    ck_assert_int_eq(dw_symfile_open_buffer(c, strlen(c), &sf, NULL), DW_OK);
    sf->text_read_limit = SIZE_MAX;
    dw_sym_lookup r;
    for (uint64_t a = 0xff0; a < 0x1020; a++)
        dw_symfile_lookup(sf, a, &r);
    dw_symfile_lookup(sf, 0x2008, &r);
    ck_assert_msg(strstr(dw_symfile_lookup_mode_reason(sf), fallback_cases[_i].reason),
                  "%s: reason '%s'", fallback_cases[_i].name, dw_symfile_lookup_mode_reason(sf));
    dw_symfile_close(sf);
}
END_TEST

/* Many FUNCs with bodies of varied length, so bisection lands everywhere;
 * then the same file with one FUNC moved out of place. */
static char *generated_sym(unsigned nfuncs, int misplace)
{
    size_t cap = 256 + (size_t)nfuncs * 400, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    len += (size_t)snprintf(buf + len, cap - len, "MODULE Linux x86_64 01 gen\n");
    for (unsigned f = 0; f < 50; f++)
        len += (size_t)snprintf(buf + len, cap - len, "FILE %u src%u.c\n", f * 2, f);
    for (unsigned i = 0; i < nfuncs; i++) {
        unsigned k = misplace && i == nfuncs / 3 ? nfuncs - 1 : i;
        if (misplace && i == nfuncs - 1)
            k = nfuncs / 3;
        uint64_t base = 0x1000 + (uint64_t)k * 0x100;
        unsigned nlines = (k * 7) % 9;
        if (k % 17 == 0)
            len += (size_t)snprintf(buf + len, cap - len, "PUBLIC %llx 0 pub%u\n",
                                    (unsigned long long)base - 0x10, k);
        len += (size_t)snprintf(buf + len, cap - len, "FUNC %llx %x 0 fn%u\n",
                                (unsigned long long)base, 0x10 * (nlines + 1), k);
        for (unsigned l = 0; l < nlines; l++)
            len += (size_t)snprintf(buf + len, cap - len, "%llx 10 %u %u\n",
                                    (unsigned long long)base + l * 0x10, l + 1, (l * 2) % 100);
    }
    return buf;
}

START_TEST(synthetic_generated)
{
    char *sorted = generated_sym(3000, 0);
    ck_assert_int_eq(compare_text(sorted, "generated"), DW_SYM_LOOKUP_TEXT);
    free(sorted);
    /* Two FUNCs swapped: the sweep over every FUNC meets them on its search
     * path, and the file falls back before any answer differs. */
    char *moved = generated_sym(3000, 1);
    ck_assert_int_eq(compare_text(moved, "generated, two FUNCs swapped"), DW_SYM_LOOKUP_INDEX);
    free(moved);
}
END_TEST

/* A file shaped like a Rust build with inlining: long numbered FILE and
 * INLINE_ORIGIN tables, FUNCs whose bodies hold nested INLINE records and
 * range from one line to thousands, and (if `skew`) addresses that grow
 * quadratically, so the bytes of the code group do not follow the keys.
 * With `misplace` one FUNC sits between the wrong neighbours. */
static char *inline_heavy_sym(unsigned nfuncs, int skew, int misplace)
{
    size_t cap = 1u << 16, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
#define EMIT(...)                                                                                  \
    do {                                                                                           \
        if (cap - len < 512) {                                                                     \
            cap *= 2;                                                                              \
            buf = realloc(buf, cap);                                                               \
            ck_assert_ptr_nonnull(buf);                                                            \
        }                                                                                          \
        len += (size_t)snprintf(buf + len, cap - len, __VA_ARGS__);                                \
    } while (0)
    EMIT("MODULE Mac x86_64 0123456789ABCDEF0123456789ABCDEF0 heavy\n");
    for (unsigned f = 0; f < 300; f++)
        EMIT("FILE %u /src/%.*s/file%u.rs\n", f, (int)(f % 40),
             "abcdefghijklmnopqrstuvwxyzabcdefghijklmn", f);
    for (unsigned o = 0; o < 700; o++)
        EMIT("INLINE_ORIGIN %u core::ptr::drop_in_place::<%.*s%u>\n", o, (int)(o * 7 % 90),
             "alloc::vec::Vec<alloc::string::String>::with_capacity::<u8, "
             "std::collections::HashMap>",
             o);
    for (unsigned i = 0; i < nfuncs; i++) {
        unsigned k = i;
        if (misplace && i == nfuncs / 2)
            k = nfuncs / 2 + 3;
        else if (misplace && i == nfuncs / 2 + 3)
            k = nfuncs / 2;
        /* FUNC k starts after every FUNC before it ends: each big FUNC
         * before it (0x5dc0 bytes) adds 0x8000. */
        uint64_t big_before = k <= 5 ? 0 : (k - 6) / 97 + 1;
        uint64_t base = 0x1000 + (uint64_t)k * 0x400 + big_before * 0x8000;
        if (skew)
            base += (uint64_t)k * k * 0x40;
        unsigned nlines = k % 97 == 5 ? 1500 : 1 + (k * 13) % 24;
        if (k % 11 == 3)
            EMIT("PUBLIC %llx 0 pub_before_%u\n", (unsigned long long)base - 2, k);
        EMIT("FUNC m %llx %x 0 func%u\n", (unsigned long long)base, nlines * 0x10, k);
        for (unsigned n = 0; n + 2 <= nlines && n < 400; n += 2) {
            uint64_t at = base + (uint64_t)n * 0x10;
            EMIT("INLINE 0 %u %u %u %llx 20\n", n + 10, n % 300, (k + n) % 700,
                 (unsigned long long)at);
            if (n % 4 == 0)
                EMIT("INLINE 1 %u %u %u %llx 8 %llx 4\n", n + 11, (n + 1) % 300, (k * 3 + n) % 700,
                     (unsigned long long)at + 4, (unsigned long long)at + 0x14);
        }
        for (unsigned n = 0; n < nlines; n++)
            EMIT("%llx 10 %u %u\n", (unsigned long long)(base + (uint64_t)n * 0x10), n + 1,
                 (k + n) % 300);
    }
    EMIT("STACK CFI INIT 1000 10 .cfa: $rsp 8 + .ra: .cfa -8 + ^\n");
#undef EMIT
    return buf;
}

START_TEST(inline_heavy_text_equals_index)
{
    static const struct {
        int skew, misplace;
        dw_sym_lookup_mode mode;
        const char *name;
    } variants[] = {
        {0, 0, DW_SYM_LOOKUP_TEXT, "inline-heavy, sorted"},
        {1, 0, DW_SYM_LOOKUP_TEXT, "inline-heavy, skewed addresses"},
        {0, 1, DW_SYM_LOOKUP_INDEX, "inline-heavy, two FUNCs swapped"},
    };
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        char *text = inline_heavy_sym(400, variants[v].skew, variants[v].misplace);
        ck_assert_msg(compare_text(text, variants[v].name) == variants[v].mode, "%s",
                      variants[v].name);
        free(text);
    }
}
END_TEST

/* Bytes the text lookups of a file have read so far. */
static size_t text_read(dw_symfile *sf)
{
    return atomic_load(&sf->text_read);
}

/* FUNCs in address order, with line records; PUBLICs around them (in the
 * gap before a FUNC, at a FUNC's address, inside one, two at one address,
 * below and above everything) written in a shuffled order: between the
 * FUNC bodies, a few inside a body between its line records (`trailing` 0),
 * or as one run after the FUNCs, as dump_syms writes a PDB's public symbols
 * (`trailing` 1).  With `swap_funcs` two FUNCs trade places as well. */
static char *shuffled_publics_sym(unsigned nfuncs, int trailing, int swap_funcs)
{
    size_t npub = 0, cap_pub = 2 + (size_t)nfuncs * 5;
    uint64_t *pub = malloc(cap_pub * sizeof *pub);
    ck_assert_ptr_nonnull(pub);
    pub[npub++] = 0x800;
    pub[npub++] = 0x1000 + (uint64_t)nfuncs * 0x100 + 0x40;
    for (unsigned k = 0; k < nfuncs; k++) {
        uint64_t base = 0x1000 + (uint64_t)k * 0x100;
        if (k % 3 == 0)
            pub[npub++] = base - 0x10;
        if (k % 5 == 0)
            pub[npub++] = base;
        if (k % 7 == 0)
            pub[npub++] = base + 0x8;
        if (k % 11 == 0) {
            pub[npub++] = base + 0xa0;
            pub[npub++] = base + 0xa0;
        }
    }
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (size_t i = npub - 1; i > 0; i--) { /* Fisher-Yates */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t j = (size_t)(x % (i + 1));
        uint64_t t = pub[i];
        pub[i] = pub[j];
        pub[j] = t;
    }
    size_t cap = 256 + (size_t)nfuncs * 200 + npub * 40, len = 0, next_pub = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    len += (size_t)snprintf(buf + len, cap - len, "MODULE windows x86 01 shuffled\n");
    for (unsigned f = 0; f < 20; f++)
        len += (size_t)snprintf(buf + len, cap - len, "FILE %u src%u.c\n", f, f);
    for (unsigned i = 0; i < nfuncs; i++) {
        unsigned k = i;
        if (swap_funcs && (i == nfuncs / 3 || i == nfuncs / 3 + 40))
            k = i == nfuncs / 3 ? nfuncs / 3 + 40 : nfuncs / 3;
        uint64_t base = 0x1000 + (uint64_t)k * 0x100;
        unsigned nlines = 1 + (k * 7) % 8;
        len += (size_t)snprintf(buf + len, cap - len, "FUNC %llx %x 0 fn%u\n",
                                (unsigned long long)base, 0x10 * nlines, k);
        for (unsigned l = 0; l < nlines; l++) {
            if (!trailing && k % 13 == 0 && l == nlines / 2 && next_pub < npub) {
                len += (size_t)snprintf(buf + len, cap - len, "PUBLIC %llx 4 mid%zu\n",
                                        (unsigned long long)pub[next_pub], next_pub);
                next_pub++;
            }
            len += (size_t)snprintf(buf + len, cap - len, "%llx 10 %u %u\n",
                                    (unsigned long long)base + l * 0x10, l + 1, (k + l) % 20);
        }
        size_t upto = trailing ? 0 : (size_t)(i + 1) * npub / nfuncs;
        for (; next_pub < upto; next_pub++)
            len += (size_t)snprintf(buf + len, cap - len, "PUBLIC %llx 4 pub%zu\n",
                                    (unsigned long long)pub[next_pub], next_pub);
    }
    for (; next_pub < npub; next_pub++)
        len += (size_t)snprintf(buf + len, cap - len, "PUBLIC m %llx 4 pub%zu\n",
                                (unsigned long long)pub[next_pub], next_pub);
    len += (size_t)snprintf(buf + len, cap - len,
                            "STACK CFI INIT 1000 10 .cfa: $esp 4 + .ra: "
                            ".cfa -4 + ^\n");
    ck_assert_uint_lt(len, cap);
    free(pub);
    return buf;
}

/* Shuffled PUBLICs under sorted FUNCs: the file stays in text mode with an
 * index of its PUBLICs alone, and every answer is the full index's. */
START_TEST(shuffled_publics_text_equals_index)
{
    for (int trailing = 0; trailing < 2; trailing++) {
        char *text = shuffled_publics_sym(2000, trailing, 0);
        dw_symfile *t, *i;
        open_pair(text, strlen(text), &t, &i);
        ck_assert_uint_gt(i->index.npublics, 1000);
        check_all(t, i, trailing ? "shuffled trailing PUBLICs" : "shuffled PUBLICs", 3000);
        ck_assert_msg(dw_symfile_lookup_mode(t) == DW_SYM_LOOKUP_TEXT, "trailing %d: %s", trailing,
                      dw_symfile_lookup_mode_reason(t));
        ck_assert_int_eq(t->plan.publics_indexed, 1);
        ck_assert_int_eq(atomic_load(&t->indexed), 0);
        ck_assert_uint_eq(t->public_index.npublics, i->index.npublics);
        dw_symfile_close(t);
        dw_symfile_close(i);
        free(text);
    }
}
END_TEST

/* Lookups inside FUNCs read the text and leave the PUBLICs unparsed; the
 * first lookup that needs a PUBLIC indexes them, and nothing else. */
START_TEST(shuffled_publics_index_only_when_asked)
{
    char *text = shuffled_publics_sym(2000, 0, 0);
    dw_symfile *sf;
    ck_assert_int_eq(dw_symfile_open_buffer(text, strlen(text), &sf, NULL), DW_OK);
    sf->text_read_limit = SIZE_MAX;
    dw_sym_lookup r;
    for (unsigned k = 0; k < 2000; k += 37) {
        ck_assert_int_eq(dw_symfile_lookup(sf, 0x1000 + (uint64_t)k * 0x100 + 4, &r), DW_OK);
        ck_assert_int_eq(r.kind, DW_SYM_FUNC);
        ck_assert_uint_eq(r.function_start, 0x1000 + (uint64_t)k * 0x100);
        ck_assert(r.has_line);
    }
    ck_assert_int_eq(dw_symfile_lookup_mode(sf), DW_SYM_LOOKUP_TEXT);
    ck_assert_int_eq(sf->plan.publics_indexed, 1);
    ck_assert_int_eq(atomic_load(&sf->public_indexed), 0);
    ck_assert_int_eq(atomic_load(&sf->indexed), 0);
    size_t read = text_read(sf);
    ck_assert_uint_gt(read, 0);
    ck_assert_msg(read < strlen(text) / 4, "FUNC lookups read %zu of %zu bytes", read,
                  strlen(text));
    /* Past FUNC 5's end (0x1540): the PUBLIC at 0x1500 starts at FUNC 5's
     * address, so the FUNC shadows it and nothing answers; the gap before
     * FUNC 3 (0x12f0) holds a PUBLIC. */
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x1550, &r), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(atomic_load(&sf->public_indexed), 1);
    ck_assert_int_eq(dw_symfile_lookup(sf, 0x12f4, &r), DW_OK);
    ck_assert_int_eq(r.kind, DW_SYM_PUBLIC);
    ck_assert_uint_eq(r.function_start, 0x12f0);
    ck_assert_int_eq(dw_symfile_lookup_mode(sf), DW_SYM_LOOKUP_TEXT);
    ck_assert_int_eq(atomic_load(&sf->indexed), 0);
    dw_symfile_close(sf);
    free(text);
}
END_TEST

/* With the FUNCs out of order too, the full index is the only way. */
START_TEST(shuffled_publics_and_funcs_use_index)
{
    for (int trailing = 0; trailing < 2; trailing++) {
        char *text = shuffled_publics_sym(2000, trailing, 1);
        ck_assert_int_eq(compare_text(text, "shuffled PUBLICs, two FUNCs swapped"),
                         DW_SYM_LOOKUP_INDEX);
        dw_symfile *sf;
        ck_assert_int_eq(dw_symfile_open_buffer(text, strlen(text), &sf, NULL), DW_OK);
        sf->text_read_limit = SIZE_MAX;
        dw_sym_lookup r;
        for (unsigned k = 0; k < 2000 && dw_symfile_lookup_mode(sf) != DW_SYM_LOOKUP_INDEX; k++)
            dw_symfile_lookup(sf, 0x1000 + (uint64_t)k * 0x100, &r);
        ck_assert_int_eq(dw_symfile_lookup_mode(sf), DW_SYM_LOOKUP_INDEX);
        ck_assert_msg(strstr(dw_symfile_lookup_mode_reason(sf), "FUNC records out of order"),
                      "reason: %s", dw_symfile_lookup_mode_reason(sf));
        dw_symfile_close(sf);
        free(text);
    }
}
END_TEST

/* Every FUNC's address and a few more inside it, twice over, in a file that
 * stays in text mode: the answers must not change when they come from the
 * memo, and the second round must read less than the first. */
START_TEST(repeated_lookups_are_remembered)
{
    for (int skew = 0; skew < 2; skew++) {
        char *text = inline_heavy_sym(300, skew, 0);
        dw_symfile *t, *i;
        open_pair(text, strlen(text), &t, &i);
        const sym_index *ix = &i->index;
        size_t round[2];
        for (int r = 0; r < 2; r++) {
            size_t before = text_read(t);
            for (size_t f = 0; f < ix->nfuncs; f += 7) {
                const sym_func *fn = &ix->funcs[f];
                uint64_t at[] = {fn->addr, fn->addr + 5, fn->addr + fn->size - 1,
                                 fn->addr + fn->size, fn->addr - 1};
                for (size_t k = 0; k < 5; k++)
                    check_lookup(t, i, at[k], "repeated");
            }
            round[r] = text_read(t) - before;
        }
        ck_assert_int_eq(dw_symfile_lookup_mode(t), DW_SYM_LOOKUP_TEXT);
        ck_assert_int_eq(atomic_load(&t->indexed), 0);
        ck_assert_msg(round[1] < round[0], "skew %d: second round read %zu bytes, first %zu", skew,
                      round[1], round[0]);
        dw_symfile_close(t);
        dw_symfile_close(i);
        free(text);
    }
}
END_TEST

/* The lookups a stack walk of pipeline-inlines-macos-segv.dmp makes, each
 * asked several times as the walker does: the 4 MB file must answer them
 * from its text, reading a small part of it, never building the index
 * (it used to read past the file size and index the whole file). */
START_TEST(walk_lookups_stay_in_text)
{
    const char *path = dw_test_shared_path("corpus/rust-minidump/symbols/crash-client/"
                                           "509C0610949836F7B70BD88BCF03E5400/crash-client.sym");
    if (!path)
        return;
    static const uint64_t walk[] = {0x14cd4, 0x6045,  0x6064,  0x5c0b,  0x4418,  0x423d,
                                    0x9ba0,  0x8eda0, 0x8edc6, 0x8ed9f, 0x833ed, 0x833ee};
    dw_symfile *sf, *ix;
    ck_assert_int_eq(dw_symfile_open(path, &sf, NULL), DW_OK);
    ck_assert_int_eq(dw_symfile_open(path, &ix, NULL), DW_OK);
    ck_assert_int_eq(dw_symfile_use_index(ix), DW_OK);
    for (int round = 0; round < 10; round++)
        for (size_t k = 0; k < sizeof walk / sizeof walk[0]; k++)
            check_lookup(sf, ix, walk[k], "crash-client.sym");
    ck_assert_int_eq(dw_symfile_lookup_mode(sf), DW_SYM_LOOKUP_TEXT);
    ck_assert_int_eq(atomic_load(&sf->indexed), 0);
    ck_assert_msg(text_read(sf) < sf->size / 4, "read %zu of %zu bytes", text_read(sf), sf->size);
    fprintf(stderr, "symtext: %zu walk lookups read %zu of %zu bytes\n",
            10 * sizeof walk / sizeof walk[0], text_read(sf), sf->size);
    dw_symfile_close(sf);
    dw_symfile_close(ix);
}
END_TEST

/* Symbol stores share files between threads: lookups racing the choice of
 * mode and the fall-back must agree with the index. */
typedef struct race_arg {
    dw_symfile *sf, *index;
    unsigned seed;
    uint64_t lo, span; /* addresses asked: [lo, lo + span) */
} race_arg;

static int same_answer(dw_status st, const dw_sym_lookup *r, const dw_sym_lookup *s)
{
    if (st != DW_OK)
        return 1;
    if (r->function_start != s->function_start || r->has_line != s->has_line ||
        r->line != s->line || r->inline_count != s->inline_count || !span_eq(r->file, s->file))
        return 0;
    for (unsigned k = 0; k < r->inline_count; k++)
        if (!span_eq(r->inlines[k].name, s->inlines[k].name) ||
            !span_eq(r->inlines[k].call_file, s->inlines[k].call_file))
            return 0;
    return 1;
}

static void *race_lookups(void *p)
{
    race_arg *a = p;
    uint64_t x = 0x1234567u + a->seed;
    for (unsigned i = 0; i < 3000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t rva = a->lo + x % a->span;
        dw_sym_lookup r, s;
        dw_status st = dw_symfile_lookup(a->sf, rva, &r);
        if (st != dw_symfile_lookup(a->index, rva, &s) || !same_answer(st, &r, &s))
            return (void *)1;
    }
    return NULL;
}

/* The inline-heavy file makes the threads share (and overwrite) remembered
 * searches and names: 70-odd FUNCs and their gaps are more than the memo
 * holds.  The shuffled-PUBLIC file makes them race to index its PUBLICs. */
START_TEST(threads_share_a_file)
{
    char *heavy = inline_heavy_sym(120, 0, 0);
    char *shuffled = shuffled_publics_sym(500, 0, 0);
    const struct {
        const char *text;
        uint64_t lo, span;
    } files[] = {
        {sorted_sym, 0xf00, 0x600},
        {fallback_cases[0].text, 0xf00, 0x600},
        {heavy, 0xf00, 80 * 0x400},
        {shuffled, 0x700, 510 * 0x100},
    };
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        dw_symfile *t, *i;
        open_pair(files[f].text, strlen(files[f].text), &t, &i);
        pthread_t th[4];
        race_arg args[4];
        for (unsigned k = 0; k < 4; k++) {
            args[k] = (race_arg){t, i, k, files[f].lo, files[f].span};
            ck_assert_int_eq(pthread_create(&th[k], NULL, race_lookups, &args[k]), 0);
        }
        for (unsigned k = 0; k < 4; k++) {
            void *res;
            pthread_join(th[k], &res);
            ck_assert_msg(res == NULL, "file %zu: a thread got another answer", f);
        }
        if (f >= 2)
            ck_assert_int_eq(dw_symfile_lookup_mode(t), DW_SYM_LOOKUP_TEXT);
        if (f == 3)
            ck_assert_int_eq(atomic_load(&t->indexed), 0);
        dw_symfile_close(t);
        dw_symfile_close(i);
    }
    free(heavy);
    free(shuffled);
}
END_TEST

Suite *symtext_suite(void)
{
    Suite *s = suite_create("symtext");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, synthetic_sorted_is_text);
    tcase_add_test(tc, synthetic_split_publics);
    tcase_add_loop_test(tc, synthetic_fallbacks, 0,
                        (int)(sizeof fallback_cases / sizeof fallback_cases[0]));
    tcase_add_test(tc, synthetic_generated);
    tcase_add_test(tc, inline_heavy_text_equals_index);
    tcase_add_test(tc, repeated_lookups_are_remembered);
    tcase_add_test(tc, walk_lookups_stay_in_text);
    tcase_add_test(tc, threads_share_a_file);
    tcase_add_test(tc, sorted_file_skips_index);
    tcase_add_test(tc, unsorted_real_publics_get_their_own_index);
    tcase_add_test(tc, shuffled_publics_text_equals_index);
    tcase_add_test(tc, shuffled_publics_index_only_when_asked);
    tcase_add_test(tc, shuffled_publics_and_funcs_use_index);
    tcase_add_test(tc, busy_file_trades_up_to_index);
    tcase_add_test(tc, corpus_text_equals_index);
    suite_add_tcase(s, tc);
    return s;
}
