/* The one-pass indexer of Breakpad symbol text.
 *
 * Each line is one record (Breakpad symbol_files.md).  Records are parsed into
 * fixed-size entries holding numbers and offsets of names in the text; a line
 * that does not parse is counted as corrupt and costs only itself.  After the
 * pass the arrays are sorted for binary search and overlaps are resolved
 * deterministically (sort keys always end with the text offset, i.e. file
 * order).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/symfile.h"
#include "symbols/symtext.h"

enum func_state { NO_FUNC_YET, IN_FUNC, IN_BAD_FUNC };

typedef struct builder {
    const char *text;
    sym_index *ix;
    size_t cap_funcs, cap_lines, cap_publics, cap_files, cap_origins, cap_inlines, cap_ranges,
        cap_cfi, cap_deltas, cap_win[2];
    size_t lineno;
    uint32_t line_off; /* offset of the current line: file order */
    enum func_state func_state;
    size_t cur_func;
    int have_cfi; /* a valid STACK CFI INIT precedes (deltas attach to it) */
    int old_inline_format;
    int oom;
} builder;

/* Room for one more element in a growable array; NULL (and b->oom) on failure. */
static void *grow(builder *b, void **arr, size_t n, size_t *cap, size_t elem)
{
    if (n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        void *p = (ncap > SIZE_MAX / elem) ? NULL : realloc(*arr, ncap * elem);
        if (!p) {
            b->oom = 1;
            return NULL;
        }
        *arr = p;
        *cap = ncap;
    }
    return (char *)*arr + n * elem;
}

#define PUSH(b, field, count, cap) \
    grow((b), (void **)&(b)->ix->field, (b)->ix->count, &(b)->cap, sizeof *(b)->ix->field)

/* Count a corrupt line and leave the record parser. */
#define FAIL(...)                   \
    do {                            \
        corrupt(b, __VA_ARGS__);    \
        return;                     \
    } while (0)

__attribute__((format(printf, 2, 3))) static void corrupt(builder *b, const char *fmt, ...)
{
    sym_index *ix = b->ix;
    ix->stats.corrupt++;
    if (ix->nmessages >= DW_SYM_CORRUPT_KEEP)
        return;
    char what[DW_SYM_CORRUPT_MSG - 32]; /* room for "line N: " */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(ix->messages[ix->nmessages++], DW_SYM_CORRUPT_MSG, "line %zu: %s", b->lineno, what);
}

static sym_span span_of(const builder *b, sym_tok t)
{
    sym_span s = {(uint32_t)(t.s - b->text), (uint32_t)t.len};
    return s;
}

/* FUNC [m] address size parameter_size name */
static void parse_func(builder *b, sym_cursor *c)
{
    sym_tok t;
    uint64_t addr, size;
    uint32_t param;
    b->func_state = IN_BAD_FUNC;
    if (!sym_next_skipping_m(c, &t) || !sym_parse_hex(t, &addr))
        FAIL("FUNC with bad address");
    if (!sym_next(c, &t) || !sym_parse_hex(t, &size) || addr + size < addr)
        FAIL("FUNC with bad size");
    if (!sym_next(c, &t) || !sym_parse_hex32(t, &param))
        FAIL("FUNC with bad parameter size");
    sym_func *f = PUSH(b, funcs, nfuncs, cap_funcs);
    if (!f)
        return;
    *f = (sym_func){.addr = addr, .size = size, .param_size = param};
    f->name = span_of(b, sym_rest(c));
    f->line_first = (uint32_t)b->ix->nlines;
    f->range_first = (uint32_t)b->ix->nranges;
    b->cur_func = b->ix->nfuncs++;
    b->func_state = IN_FUNC;
}

/* address size line filenum: hex, hex, decimal, decimal; belongs to the last FUNC. */
static void parse_line_record(builder *b, sym_cursor *c, sym_tok first)
{
    sym_tok t;
    uint64_t addr;
    uint32_t size, line, file;
    if (!sym_parse_hex(first, &addr))
        FAIL("unrecognised record '%.*s'", (int)(first.len > 20 ? 20 : first.len),
                       first.s);
    if (!sym_next(c, &t) || !sym_parse_hex32(t, &size) || addr + size < addr)
        FAIL("line record with bad size");
    if (!sym_next(c, &t) || !sym_parse_dec32(t, &line))
        FAIL("line record with bad line number");
    if (!sym_next(c, &t) || !sym_parse_dec32(t, &file) || sym_next(c, &t))
        FAIL("line record with bad file number");
    if (b->func_state == NO_FUNC_YET)
        FAIL("line record before any FUNC");
    if (b->func_state == IN_BAD_FUNC)
        return; /* its FUNC line was already counted as corrupt */
    sym_line *l = PUSH(b, lines, nlines, cap_lines);
    if (!l)
        return;
    *l = (sym_line){addr, size, line, file};
    b->ix->nlines++;
    b->ix->funcs[b->cur_func].line_count++;
}

/* PUBLIC [m] address parameter_size name */
static void parse_public(builder *b, sym_cursor *c)
{
    sym_tok t;
    uint64_t addr;
    uint32_t param;
    if (!sym_next_skipping_m(c, &t) || !sym_parse_hex(t, &addr))
        FAIL("PUBLIC with bad address");
    if (!sym_next(c, &t) || !sym_parse_hex32(t, &param))
        FAIL("PUBLIC with bad parameter size");
    sym_public *p = PUSH(b, publics, npublics, cap_publics);
    if (!p)
        return;
    *p = (sym_public){.addr = addr, .param_size = param, .name = span_of(b, sym_rest(c))};
    b->ix->npublics++;
}

/* FILE number name / INLINE_ORIGIN number name (decimal number). */
static void parse_named(builder *b, sym_cursor *c, int is_file)
{
    sym_tok t;
    uint32_t number;
    if (!sym_next(c, &t) || !sym_parse_dec32(t, &number))
        FAIL("%s with bad number", is_file ? "FILE" : "INLINE_ORIGIN");
    sym_named *n = is_file ? PUSH(b, files, nfiles, cap_files)
                           : PUSH(b, origins, norigins, cap_origins);
    if (!n)
        return;
    *n = (sym_named){number, span_of(b, sym_rest(c))};
    if (is_file)
        b->ix->nfiles++;
    else
        b->ix->norigins++;
}

#define INLINE_MAX_FIELDS 1024

/* INLINE nest_level call_site_line call_site_file_num origin_num [address size]+
 * The older format lacks call_site_file_num; the field count's parity tells
 * them apart (4 + 2k new, 3 + 2k old). */
static void parse_inline(builder *b, sym_cursor *c)
{
    sym_cursor count = *c;
    sym_tok t;
    size_t n = 0;
    while (n <= INLINE_MAX_FIELDS && sym_next(&count, &t))
        n++;
    if (n > INLINE_MAX_FIELDS)
        FAIL("INLINE with more than %d fields", INLINE_MAX_FIELDS);
    if (n < 5)
        FAIL("INLINE with too few fields");
    int old = (n % 2) == 1;
    if (old)
        b->old_inline_format = 1;
    sym_inline in = {.call_file = DW_SYM_NO_FILE};
    if (!sym_next(c, &t) || !sym_parse_dec32(t, &in.level))
        FAIL("INLINE with bad nest level");
    if (!sym_next(c, &t) || !sym_parse_dec32(t, &in.call_line))
        FAIL("INLINE with bad call site line");
    if (!old && (!sym_next(c, &t) || !sym_parse_dec32(t, &in.call_file)))
        FAIL("INLINE with bad call site file");
    if (!sym_next(c, &t) || !sym_parse_dec32(t, &in.origin))
        FAIL("INLINE with bad origin");
    /* Validate every range before storing any, so a bad line adds nothing. */
    sym_cursor ranges = *c;
    while (sym_next(&ranges, &t)) {
        uint64_t addr, size;
        sym_tok s;
        if (!sym_parse_hex(t, &addr) || !sym_next(&ranges, &s) || !sym_parse_hex(s, &size) ||
            addr + size < addr)
            FAIL("INLINE with bad address range");
    }
    if (b->func_state == NO_FUNC_YET)
        FAIL("INLINE before any FUNC");
    if (b->func_state == IN_BAD_FUNC)
        return;
    sym_inline *slot = PUSH(b, inlines, ninlines, cap_inlines);
    if (!slot)
        return;
    *slot = in;
    uint32_t index = (uint32_t)b->ix->ninlines++;
    sym_tok s;
    while (sym_next(c, &t) && sym_next(c, &s)) {
        uint64_t addr = 0, size = 0;
        sym_parse_hex(t, &addr); /* validated above */
        sym_parse_hex(s, &size);
        sym_inline_range *r = PUSH(b, ranges, nranges, cap_ranges);
        if (!r)
            return;
        *r = (sym_inline_range){addr, size, in.level, index};
        b->ix->nranges++;
        b->ix->funcs[b->cur_func].range_count++;
    }
}

/* Rules text "reg: expr reg: expr ...": must start with a "name:" token. */
static int rules_look_valid(sym_tok rules)
{
    sym_cursor c = {rules.s, rules.s + rules.len};
    sym_tok t;
    return sym_next(&c, &t) && t.len >= 2 && t.s[t.len - 1] == ':';
}

/* STACK CFI INIT address size rules / STACK CFI address rules */
static void parse_cfi(builder *b, sym_cursor *c)
{
    sym_tok t;
    uint64_t addr, size = 0;
    if (!sym_next(c, &t))
        FAIL("STACK CFI without fields");
    int init = sym_tok_is(t, "INIT");
    if (init && !sym_next(c, &t))
        FAIL("STACK CFI INIT without address");
    if (!sym_parse_hex(t, &addr))
        FAIL("STACK CFI with bad address");
    if (init && (!sym_next(c, &t) || !sym_parse_hex(t, &size) || addr + size < addr)) {
        b->have_cfi = 0; /* its deltas must not attach to an older INIT */
        FAIL("STACK CFI INIT with bad size");
    }
    sym_tok rules = sym_rest(c);
    if (!rules_look_valid(rules)) {
        if (init)
            b->have_cfi = 0;
        FAIL("STACK CFI with bad rules");
    }
    if (init) {
        sym_cfi_init *r = PUSH(b, cfi, ncfi, cap_cfi);
        if (!r)
            return;
        *r = (sym_cfi_init){.addr = addr, .size = size, .rules = span_of(b, rules)};
        r->delta_first = (uint32_t)b->ix->ndeltas;
        b->ix->ncfi++;
        b->have_cfi = 1;
        return;
    }
    if (!b->have_cfi)
        FAIL("STACK CFI delta without a preceding STACK CFI INIT");
    sym_cfi_init *owner = &b->ix->cfi[b->ix->ncfi - 1];
    if (addr < owner->addr || addr - owner->addr >= owner->size)
        FAIL("STACK CFI delta outside its INIT range");
    sym_cfi_delta *d = PUSH(b, deltas, ndeltas, cap_deltas);
    if (!d)
        return;
    *d = (sym_cfi_delta){addr, span_of(b, rules)};
    b->ix->ndeltas++;
    owner->delta_count++;
}

/* STACK WIN type rva code_size prologue_size epilogue_size parameter_size
 * saved_register_size local_size max_stack_size has_program_string
 * program_string_OR_allocates_base_pointer -- all hex but the program. */
static void parse_win(builder *b, sym_cursor *c)
{
    static const char *const field[] = {"type", "rva", "code size", "prologue size",
                                        "epilogue size", "parameter size",
                                        "saved register size", "local size",
                                        "max stack size", "has_program_string"};
    uint64_t v[10];
    for (int i = 0; i < 10; i++) {
        if (!sym_next_hex(c, &v[i]) || (i != 1 && v[i] > UINT32_MAX))
            FAIL("STACK WIN with bad %s", field[i]);
    }
    if (v[1] + v[2] < v[1])
        FAIL("STACK WIN with bad code size");
    sym_win w = {.rva = v[1], .code_size = (uint32_t)v[2], .prologue_size = (uint32_t)v[3],
                 .epilogue_size = (uint32_t)v[4], .parameter_size = (uint32_t)v[5],
                 .saved_register_size = (uint32_t)v[6], .local_size = (uint32_t)v[7],
                 .max_stack_size = (uint32_t)v[8], .has_program = v[9] != 0,
                 .parent = UINT32_MAX, .order = b->line_off};
    sym_tok last = sym_rest(c);
    if (w.has_program) {
        if (last.len == 0)
            FAIL("STACK WIN with an empty program string");
        w.program = span_of(b, last);
    } else {
        uint64_t abp;
        if (!sym_parse_hex(last, &abp))
            FAIL("STACK WIN with bad allocates_base_pointer");
        w.allocates_base_pointer = abp != 0;
    }
    /* Breakpad uses only FrameTypeFPO (0) and FrameTypeFrameData (4). */
    if (v[0] != 0 && v[0] != 4) {
        b->ix->stats.ignored++;
        return;
    }
    int k = v[0] == 4;
    sym_win *slot = grow(b, (void **)&b->ix->win[k], b->ix->nwin[k], &b->cap_win[k], sizeof w);
    if (!slot)
        return;
    *slot = w;
    b->ix->nwin[k]++;
}

static void parse_record(builder *b, const char *line, const char *end)
{
    sym_cursor c = {line, end};
    sym_tok t;
    /* Nine lines in ten of a PDB's file are STACK WIN: skip tokenising the
     * kind (a line spelled with other blanks takes the path below). */
    if ((size_t)(end - line) > 10 && memcmp(line, "STACK WIN ", 10) == 0) {
        c.p = line + 10;
        parse_win(b, &c);
        return;
    }
    if (!sym_next(&c, &t))
        return; /* blank line */
    if (sym_tok_is(t, "FUNC"))
        parse_func(b, &c);
    else if (sym_tok_is(t, "FILE"))
        parse_named(b, &c, 1);
    else if (sym_tok_is(t, "INLINE_ORIGIN"))
        parse_named(b, &c, 0);
    else if (sym_tok_is(t, "INLINE"))
        parse_inline(b, &c);
    else if (sym_tok_is(t, "PUBLIC"))
        parse_public(b, &c);
    else if (sym_tok_is(t, "STACK")) {
        sym_tok kind = {"", 0};
        sym_next(&c, &kind);
        if (sym_tok_is(kind, "CFI"))
            parse_cfi(b, &c);
        else if (sym_tok_is(kind, "WIN"))
            parse_win(b, &c);
        else
            corrupt(b, "STACK record of unknown kind");
    } else if (sym_tok_is(t, "MODULE") || sym_tok_is(t, "INFO"))
        ; /* read when the file is opened */
    else if (sym_tok_is_keyword(t))
        b->ix->stats.ignored++; /* a record kind newer than this reader */
    else
        parse_line_record(b, &c, t);
}

/* ---- after the pass: sort, resolve overlaps ------------------------------ */

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b))

/* Is the array already in order?  dump_syms writes most record kinds sorted,
 * so checking first (one linear pass) usually saves the O(n log n) sort. */
static int is_sorted(const void *base, size_t n, size_t size,
                     int (*cmp)(const void *, const void *))
{
    const char *p = base;
    for (size_t i = 1; i < n; i++) {
        if (cmp(p + (i - 1) * size, p + i * size) > 0)
            return 0;
    }
    return 1;
}

/* qsort, tolerating the empty (possibly NULL) arrays of absent record kinds. */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1 && is_sorted(base, n, size, cmp))
        return;
    if (n > 1)
        qsort(base, n, size, cmp);
}

/* Records ordered by (hi, lo) with ties in file order -- the order they are
 * parsed in -- sort by a stable LSD radix sort of these keys: a few linear
 * passes instead of qsort's n log n calls of a comparison function.  n is
 * below 2^32: each record is a line of a file under 4 GiB. */
typedef struct sort_key {
    uint64_t hi;
    uint32_t lo;
    uint32_t parsed; /* the record's index in file order */
} sort_key;

#define SORT_KEY_BYTES 12 /* lo, then hi: least significant first */

static unsigned key_byte(const sort_key *k, int d)
{
    uint64_t v = d < 4 ? k->lo >> (8 * d) : k->hi >> (8 * (d - 4));
    return (unsigned)(v & 0xff);
}

/* The key bytes (bit d for byte d) in which some keys differ: only those
 * need a pass, and the high bytes of addresses rarely do. */
static unsigned key_bytes_that_differ(const sort_key *keys, size_t n)
{
    uint64_t hi = 0;
    uint32_t lo = 0;
    for (size_t i = 1; i < n; i++) {
        hi |= keys[i].hi ^ keys[0].hi;
        lo |= keys[i].lo ^ keys[0].lo;
    }
    sort_key differ = {hi, lo, 0};
    unsigned mask = 0;
    for (int d = 0; d < SORT_KEY_BYTES; d++)
        mask |= (key_byte(&differ, d) != 0) << d;
    return mask;
}

/* Sort keys[0..n) made in file order, with room for n more in `spare`;
 * returns whichever of the two holds the result. */
static sort_key *radix_sort_keys(sort_key *keys, sort_key *spare, size_t n)
{
    unsigned differ = n > 1 ? key_bytes_that_differ(keys, n) : 0;
    for (int d = 0; d < SORT_KEY_BYTES; d++) {
        if (!(differ & (1u << d)))
            continue;
        uint32_t next[256] = {0};
        for (size_t i = 0; i < n; i++)
            next[key_byte(&keys[i], d)]++;
        uint32_t sum = 0;
        for (int b = 0; b < 256; b++) {
            uint32_t count = next[b];
            next[b] = sum;
            sum += count;
        }
        for (size_t i = 0; i < n; i++)
            spare[next[key_byte(&keys[i], d)]++] = keys[i];
        sort_key *t = keys;
        keys = spare;
        spare = t;
    }
    return keys;
}

/* base[pos] = (old) base[keys[pos].parsed] for every pos, in place: each
 * cycle of the permutation is followed once, and a placed key is marked by
 * pointing at itself.  `held` has room for one record. */
static void permute(void *base, size_t n, size_t size, sort_key *keys, void *held)
{
    char *a = base;
    for (size_t start = 0; start < n; start++) {
        if (keys[start].parsed == start)
            continue;
        memcpy(held, a + start * size, size);
        size_t j = start;
        while (keys[j].parsed != start) {
            size_t src = keys[j].parsed;
            memcpy(a + j * size, a + src * size, size);
            keys[j].parsed = (uint32_t)j;
            j = src;
        }
        memcpy(a + j * size, held, size);
        keys[j].parsed = (uint32_t)j;
    }
}

static int cmp_func(const void *x, const void *y)
{
    const sym_func *a = x, *b = y;
    int r = CMP(a->addr, b->addr);
    return r ? r : CMP(a->name.off, b->name.off);
}

static int cmp_line(const void *x, const void *y)
{
    const sym_line *a = x, *b = y;
    int r = CMP(a->addr, b->addr);
    if (!r)
        r = CMP(a->size, b->size);
    return r ? r : CMP(a->line, b->line);
}

static int cmp_range(const void *x, const void *y)
{
    const sym_inline_range *a = x, *b = y;
    int r = CMP(a->level, b->level);
    if (!r)
        r = CMP(a->addr, b->addr);
    return r ? r : CMP(a->inline_index, b->inline_index);
}

static int cmp_public(const void *x, const void *y)
{
    const sym_public *a = x, *b = y;
    int r = CMP(a->addr, b->addr);
    return r ? r : CMP(a->name.off, b->name.off);
}

/* PUBLICs in cmp_public order: by address, ties in file order (their names'
 * offsets grow with it).  A PDB's public symbols come in the PDB's order, and
 * qsort of them was most of the cost of indexing them. */
static void sort_publics(sym_public *p, size_t n)
{
    if (n < 2 || is_sorted(p, n, sizeof *p, cmp_public))
        return;
    sort_key *keys = n <= SIZE_MAX / (2 * sizeof *keys) ? malloc(2 * n * sizeof *keys) : NULL;
    if (!keys) {
        qsort(p, n, sizeof *p, cmp_public); /* slower, same order */
        return;
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = (sort_key){p[i].addr, 0, (uint32_t)i};
    sym_public held;
    permute(p, n, sizeof *p, radix_sort_keys(keys, keys + n, n), &held);
    free(keys);
}

static int cmp_named(const void *x, const void *y)
{
    const sym_named *a = x, *b = y;
    int r = CMP(a->number, b->number);
    return r ? r : CMP(a->name.off, b->name.off);
}

static int cmp_cfi(const void *x, const void *y)
{
    const sym_cfi_init *a = x, *b = y;
    int r = CMP(a->addr, b->addr);
    return r ? r : CMP(a->rules.off, b->rules.off);
}

/* Larger ranges first at the same start, so an enclosing record precedes the
 * records nested in it. */
static int cmp_win(const void *x, const void *y)
{
    const sym_win *a = x, *b = y;
    int r = CMP(a->rva, b->rva);
    if (!r)
        r = CMP(b->code_size, a->code_size);
    return r ? r : CMP(a->order, b->order);
}

/* Overlapping records.  Breakpad stores records in file order into range
 * maps that refuse a range conflicting with one already stored, so the
 * earlier line wins.  We resolve each conflict the same way, pairwise while
 * sweeping in address order (a chain of three mutually conflicting records
 * can come out differently; real files have pairs). */

static int funcs_conflict(const sym_func *prev, const sym_func *f)
{
    return f->addr == prev->addr || f->addr - prev->addr < prev->size;
}

static void drop_overlapping_funcs(sym_index *ix)
{
    size_t w = 0;
    for (size_t i = 0; i < ix->nfuncs; i++) {
        const sym_func *f = &ix->funcs[i];
        int keep = 1;
        while (keep && w > 0 && funcs_conflict(&ix->funcs[w - 1], f)) {
            ix->stats.funcs_overlapping++;
            if (ix->funcs[w - 1].name.off < f->name.off)
                keep = 0;
            else
                w--;
        }
        if (keep)
            ix->funcs[w++] = *f;
    }
    ix->nfuncs = w;
}

static void drop_overlapping_cfi(sym_index *ix)
{
    size_t w = 0;
    for (size_t i = 0; i < ix->ncfi; i++) {
        const sym_cfi_init *r = &ix->cfi[i];
        int keep = 1;
        while (keep && w > 0) {
            const sym_cfi_init *prev = &ix->cfi[w - 1];
            if (r->addr != prev->addr && r->addr - prev->addr >= prev->size)
                break;
            ix->stats.ignored++;
            if (prev->rules.off < r->rules.off)
                keep = 0;
            else
                w--;
        }
        if (keep)
            ix->cfi[w++] = *r;
    }
    ix->ncfi = w;
}

/* One sweep over STACK WIN records sorted by (start, larger first): link each
 * to the innermost open record containing it.  A record partially
 * overlapping (or equal to) the innermost open one conflicts; the later line
 * is marked dropped.  Returns the number dropped. */
static size_t win_sweep(sym_win *a, size_t n, uint8_t *dropped, uint32_t *stack)
{
    size_t drops = 0, depth = 0;
    for (size_t i = 0; i < n; i++) {
        if (dropped[i])
            continue;
        sym_win *r = &a[i];
        uint64_t end = r->rva + r->code_size;
        int keep = 1;
        while (keep) {
            while (depth > 0 && a[stack[depth - 1]].rva + a[stack[depth - 1]].code_size <= r->rva)
                depth--;
            if (depth == 0)
                break;
            const sym_win *top = &a[stack[depth - 1]];
            uint64_t top_end = top->rva + top->code_size;
            if (end <= top_end && !(top->rva == r->rva && top_end == end))
                break; /* nested: fine */
            drops++;
            if (top->order < r->order) {
                dropped[i] = 1;
                keep = 0;
            } else {
                dropped[stack[--depth]] = 1;
            }
        }
        if (!keep)
            continue;
        r->parent = depth ? stack[depth - 1] : UINT32_MAX;
        stack[depth++] = (uint32_t)i;
    }
    return drops;
}

static uint64_t win_end(const sym_win *w)
{
    return w->rva + w->code_size;
}

/* Scratch for resolving one type's records, allocated as one block: a
 * kernel32.sym from a PDB is thousands of STACK WIN records, and sorting and
 * pairing them used to cost as much as parsing them. */
typedef struct win_work {
    sort_key *keys, *spare; /* n each */
    size_t *first;          /* n + 1: where each record's conflict partners start */
    uint32_t *at;           /* at[k]: sorted position of the record parsed k-th */
    uint32_t *stack;        /* n: win_sweep's open records, other uses between */
    uint8_t *dropped;       /* n */
} win_work;

static void *win_work_alloc(win_work *w, size_t n)
{
    size_t each = 2 * sizeof(sort_key) + sizeof(size_t) + 2 * sizeof(uint32_t) + 1;
    if (n > (SIZE_MAX - sizeof(size_t)) / each)
        return NULL;
    char *block = malloc(n * each + sizeof(size_t));
    if (!block)
        return NULL;
    w->keys = (sort_key *)block;
    w->spare = w->keys + n;
    w->first = (size_t *)(w->spare + n);
    w->at = (uint32_t *)(w->first + n + 1);
    w->stack = w->at + n;
    w->dropped = (uint8_t *)(w->stack + n);
    memset(w->dropped, 0, n);
    return block;
}

/* Sort one type's records by cmp_win, noting where each went (w->at).  The
 * records arrive in file order: the keys are (rva, larger first). */
static void sort_win(sym_win *a, size_t n, win_work *w)
{
    if (is_sorted(a, n, sizeof *a, cmp_win)) {
        for (size_t i = 0; i < n; i++)
            w->at[i] = (uint32_t)i;
        return;
    }
    for (size_t i = 0; i < n; i++)
        w->keys[i] = (sort_key){a[i].rva, ~a[i].code_size, (uint32_t)i};
    sort_key *sorted = radix_sort_keys(w->keys, w->spare, n);
    for (size_t pos = 0; pos < n; pos++)
        w->at[sorted[pos].parsed] = (uint32_t)pos;
    sym_win held;
    permute(a, n, sizeof *a, sorted, &held);
}

/* Every conflicting pair (partial overlap or equal range), as (i << 32 | j)
 * with i < j in *pairs, counted per record in w->first[i].  Records are
 * sorted by start, so partners of i that follow it start inside it; finding
 * them costs the number of records nested in each record, which `budget`
 * caps (returns 0 when exceeded, -1 out of memory, 1 done). */
static int win_list_conflicts(const sym_win *a, size_t n, win_work *w, uint64_t **pairs,
                              size_t *npairs)
{
    size_t budget = 64 * n + 1000000, steps = 0, cap = 0;
    memset(w->first, 0, (n + 1) * sizeof *w->first);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n && a[j].rva < win_end(&a[i]); j++) {
            if (++steps > budget)
                return 0;
            int equal = a[j].rva == a[i].rva && win_end(&a[j]) == win_end(&a[i]);
            if (win_end(&a[j]) <= win_end(&a[i]) && !equal)
                continue; /* nested */
            if (*npairs == cap) {
                size_t ncap = cap ? cap * 2 : 256;
                uint64_t *np = realloc(*pairs, ncap * sizeof *np);
                if (!np)
                    return -1;
                *pairs = np;
                cap = ncap;
            }
            (*pairs)[(*npairs)++] = (uint64_t)i << 32 | j;
            w->first[i]++;
            w->first[j]++;
        }
    }
    return 1;
}

/* The pairs as one partner list per record, partners[first[i] .. first[i+1]):
 * the counts become the end of each list, and filling each list from its end
 * leaves first[i] at its start. */
static uint32_t *win_partner_lists(const uint64_t *pairs, size_t npairs, size_t n, win_work *w)
{
    uint32_t *partners = malloc(2 * npairs * sizeof *partners);
    if (!partners)
        return NULL;
    size_t *first = w->first;
    for (size_t i = 1; i < n; i++)
        first[i] += first[i - 1];
    first[n] = first[n - 1];
    for (size_t p = 0; p < npairs; p++) {
        uint32_t i = (uint32_t)(pairs[p] >> 32), j = (uint32_t)pairs[p];
        partners[--first[i]] = j;
        partners[--first[j]] = i;
    }
    return partners;
}

/* Exactly what Breakpad's file-order insertion keeps: walk the records in
 * file order and keep one unless a conflicting partner is already kept.
 * Returns 0 when the pairs are too many to list, -1 out of memory, 1 with
 * w->dropped set. */
static int win_drop_conflicts_exact(const sym_win *a, size_t n, win_work *w)
{
    uint64_t *pairs = NULL;
    size_t npairs = 0;
    int result = win_list_conflicts(a, n, w, &pairs, &npairs);
    uint32_t *partners = result == 1 && npairs ? win_partner_lists(pairs, npairs, n, w) : NULL;
    free(pairs);
    if (result != 1 || npairs == 0)
        return result;
    if (!partners)
        return -1;
    /* While deciding, dropped[i] is 0 undecided, 1 kept, 2 dropped. */
    for (size_t k = 0; k < n; k++) {
        uint32_t i = w->at[k];
        w->dropped[i] = 1;
        for (size_t p = w->first[i]; p < w->first[i + 1] && w->dropped[i] == 1; p++)
            if (w->dropped[partners[p]] == 1)
                w->dropped[i] = 2;
    }
    for (size_t i = 0; i < n; i++)
        w->dropped[i] = w->dropped[i] == 2;
    free(partners);
    return 1;
}

/* Breakpad's contained range map lets STACK WIN ranges nest (the innermost
 * applies) but refuses partial overlaps and duplicates, keeping what was
 * stored first.  Sort, resolve conflicts exactly when affordable, else by
 * repeated pairwise sweeps (each drops at least one record, so at most n of
 * them); then compact and renumber the parent links. */
static int nest_win(sym_index *ix, int k)
{
    size_t n = ix->nwin[k];
    if (n == 0)
        return 1;
    win_work w;
    void *block = win_work_alloc(&w, n);
    if (!block)
        return 0;
    sym_win *a = ix->win[k];
    sort_win(a, n, &w);
    int exact = win_drop_conflicts_exact(a, n, &w);
    if (exact < 0) {
        free(block);
        return 0;
    }
    if (exact == 0)
        memset(w.dropped, 0, n);
    while (win_sweep(a, n, w.dropped, w.stack) > 0)
        ; /* after the exact pass, one sweep finds nothing and links parents */
    for (size_t i = 0; i < n; i++)
        ix->stats.ignored += w.dropped[i];
    uint32_t *renum = w.stack; /* reuse: old index -> new index */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (w.dropped[i])
            continue;
        renum[i] = (uint32_t)kept;
        sym_win r = a[i];
        if (r.parent != UINT32_MAX)
            r.parent = renum[r.parent]; /* parents precede children */
        a[kept++] = r;
    }
    ix->nwin[k] = kept;
    free(block);
    return 1;
}

/* Old-format INLINE_ORIGIN is "number file_number name": drop the file number. */
static void strip_origin_file_numbers(builder *b)
{
    for (size_t i = 0; i < b->ix->norigins; i++) {
        sym_span *s = &b->ix->origins[i].name;
        sym_cursor c = {b->text + s->off, b->text + s->off + s->len};
        sym_tok t;
        uint32_t ignored;
        if (!sym_next(&c, &t) || !sym_parse_dec32(t, &ignored))
            continue;
        sym_tok rest = sym_rest(&c);
        *s = span_of(b, rest);
    }
}

static int finish(builder *b)
{
    sym_index *ix = b->ix;
    if (b->old_inline_format)
        strip_origin_file_numbers(b);
    for (size_t i = 0; i < ix->nfuncs; i++) {
        sym_func *f = &ix->funcs[i];
        if (f->line_count > 1)
            sort(ix->lines + f->line_first, f->line_count, sizeof *ix->lines, cmp_line);
        if (f->range_count > 1)
            sort(ix->ranges + f->range_first, f->range_count, sizeof *ix->ranges, cmp_range);
    }
    sort(ix->funcs, ix->nfuncs, sizeof *ix->funcs, cmp_func);
    drop_overlapping_funcs(ix);
    sort_publics(ix->publics, ix->npublics);
    sort(ix->files, ix->nfiles, sizeof *ix->files, cmp_named);
    sort(ix->origins, ix->norigins, sizeof *ix->origins, cmp_named);
    sort(ix->cfi, ix->ncfi, sizeof *ix->cfi, cmp_cfi);
    drop_overlapping_cfi(ix);
    for (int k = 0; k < 2; k++) {
        if (!nest_win(ix, k))
            return 0;
    }
    dw_symfile_stats *st = &ix->stats;
    st->funcs = ix->nfuncs;
    st->line_records = ix->nlines;
    st->publics = ix->npublics;
    st->files = ix->nfiles;
    st->inline_origins = ix->norigins;
    st->inlines = ix->ninlines;
    st->cfi_init = ix->ncfi;
    st->cfi_delta = ix->ndeltas;
    st->win_fpo = ix->nwin[0];
    st->win_framedata = ix->nwin[1];
    return 1;
}

dw_status dw_sym_build_index(const char *text, size_t size, sym_index *ix)
{
    return dw_sym_build_index_from(text, size, 0, ix);
}

dw_status dw_sym_build_index_from(const char *text, size_t size, size_t start, sym_index *ix)
{
    memset(ix, 0, sizeof *ix);
    if (size > UINT32_MAX || start > size)
        return DW_ERR_LIMIT;
    builder b = {.text = text, .ix = ix};
    const char *p = text + start, *end = text + size;
    while (p < end && !b.oom) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        b.lineno++;
        b.line_off = (uint32_t)(p - text);
        /* CRLF files: the '\r' belongs to the line break, not the last field. */
        const char *e = line_end;
        if (e > p && e[-1] == '\r')
            e--;
        parse_record(&b, p, e);
        p = nl ? nl + 1 : end;
    }
    ix->stats.lines_total = b.lineno;
    if (b.oom || !finish(&b)) {
        dw_sym_free_index(ix);
        return DW_ERR_NOMEM;
    }
    return DW_OK;
}

/* Lines are split and tokenised as in dw_sym_build_index_from, so the same
 * lines count as PUBLIC records and parse to the same entries. */
dw_status dw_sym_build_public_index(const char *text, size_t size, size_t lo, size_t hi,
                                    sym_index *ix)
{
    memset(ix, 0, sizeof *ix);
    if (size > UINT32_MAX || lo > hi || hi > size)
        return DW_ERR_LIMIT;
    builder b = {.text = text, .ix = ix};
    const char *p = text + lo, *end = text + hi;
    while (p < end && !b.oom) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (e > p && e[-1] == '\r')
            e--;
        sym_cursor c = {p, e};
        sym_tok t;
        if (sym_next(&c, &t) && sym_tok_is(t, "PUBLIC"))
            parse_public(&b, &c);
        p = nl ? nl + 1 : end;
    }
    if (b.oom) {
        dw_sym_free_index(ix);
        return DW_ERR_NOMEM;
    }
    sort_publics(ix->publics, ix->npublics);
    ix->stats.publics = ix->npublics;
    return DW_OK;
}

void dw_sym_free_index(sym_index *ix)
{
    free(ix->funcs);
    free(ix->lines);
    free(ix->publics);
    free(ix->files);
    free(ix->origins);
    free(ix->inlines);
    free(ix->ranges);
    free(ix->cfi);
    free(ix->deltas);
    free(ix->win[0]);
    free(ix->win[1]);
    ix->funcs = NULL;
    ix->lines = NULL;
    ix->publics = NULL;
    ix->files = ix->origins = NULL;
    ix->inlines = NULL;
    ix->ranges = NULL;
    ix->cfi = NULL;
    ix->deltas = NULL;
    ix->win[0] = ix->win[1] = NULL;
    ix->nfuncs = ix->nlines = ix->npublics = ix->nfiles = ix->norigins = 0;
    ix->ninlines = ix->nranges = ix->ncfi = ix->ndeltas = ix->nwin[0] = ix->nwin[1] = 0;
}
