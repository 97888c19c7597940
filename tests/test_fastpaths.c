/* The walk's fast paths, each against an answer worked out independently:
 *
 *   - the buffered JSON writer (lib/report/json.c): escaping, strings at and
 *     across the buffer's end, numbers, deep nesting; the expected text is
 *     built here character by character;
 *   - dw_memory_copy, the message-free probe: what it copies and that it
 *     leaves the last error alone;
 *   - memory range resolution without the sweep (disjoint ranges and exact
 *     repeats), next to cases that need the sweep;
 *   - stack scanning that skips words which cannot beat a held weak
 *     candidate, and remembers barren runs across scans of one walk;
 *   - the function-start back-scan's shared decode memo, against decoding
 *     every candidate afresh.
 * Each synthetic dump or buffer states its own ground truth. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dumpwalk/dumpwalk.h"
#include "hostile.h"
#include "mdwriter.h"
#include "report/json.h"
#include "test_util.h"
#include "unwind/insn.h"
#include "unwind/prologue.h"

/* ======================================================================
 * JSON writer
 * ====================================================================== */

/* A growing string for the expected document. */
typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        t->cap = (t->n + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        ck_assert_ptr_nonnull(t->p);
    }
    memcpy(t->p + t->n, s, n);
    t->n += n;
    t->p[t->n] = '\0';
}

static void text_str(text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

/* The reference escaping, one character at a time: the short forms RFC 8259
 * section 7 has for quote, backslash, \n, \r and \t; \u00XX for the other
 * control characters and for DEL; every other byte (UTF-8 included) as is. */
static void expect_quoted(text *t, const char *s, size_t n)
{
    text_str(t, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char u[8];
        if (c == '"') {
            text_str(t, "\\\"");
        } else if (c == '\\') {
            text_str(t, "\\\\");
        } else if (c == '\n') {
            text_str(t, "\\n");
        } else if (c == '\r') {
            text_str(t, "\\r");
        } else if (c == '\t') {
            text_str(t, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(u, sizeof u, "\\u%04x", c);
            text_str(t, u);
        } else {
            text_add(t, (const char *)&c, 1);
        }
    }
    text_str(t, "\"");
}

/* A reference writer: the layout the JSON writer promises (commas between
 * items; pretty: each item on its own line indented two spaces a level, a
 * container with items closed on its own line, ": " after keys). */
#define REF_MAX_DEPTH 64

typedef struct ref_json {
    text t;
    int pretty;
    int depth;
    int items[REF_MAX_DEPTH];
    int after_key;
} ref_json;

static void ref_indent(ref_json *r, int depth)
{
    text_str(&r->t, "\n");
    for (int i = 0; i < depth; i++)
        text_str(&r->t, "  ");
}

static void ref_before(ref_json *r)
{
    if (r->after_key) {
        r->after_key = 0;
        return;
    }
    if (r->depth == 0)
        return;
    if (r->items[r->depth - 1]++)
        text_str(&r->t, ",");
    if (r->pretty)
        ref_indent(r, r->depth);
}

static void ref_open(ref_json *r, const char *bracket)
{
    ref_before(r);
    text_str(&r->t, bracket);
    ck_assert_int_lt(r->depth, REF_MAX_DEPTH);
    r->items[r->depth++] = 0;
}

static void ref_close(ref_json *r, const char *bracket)
{
    r->depth--;
    if (r->items[r->depth] && r->pretty)
        ref_indent(r, r->depth);
    text_str(&r->t, bracket);
}

static void ref_key(ref_json *r, const char *key)
{
    ref_before(r);
    expect_quoted(&r->t, key, strlen(key));
    text_str(&r->t, r->pretty ? ": " : ":");
    r->after_key = 1;
}

static void ref_value(ref_json *r, const char *literal)
{
    ref_before(r);
    text_str(&r->t, literal);
}

static void ref_string(ref_json *r, const char *s, size_t n)
{
    ref_before(r);
    expect_quoted(&r->t, s, n);
}

/* The writer under test, writing into memory, and the reference beside it. */
typedef struct json_pair {
    FILE *f;
    char *out;
    size_t len;
    dw_json j;
    ref_json ref;
} json_pair;

static json_pair *pair_start(int pretty)
{
    json_pair *p = calloc(1, sizeof *p);
    ck_assert_ptr_nonnull(p);
    p->f = open_memstream(&p->out, &p->len);
    ck_assert_ptr_nonnull(p->f);
    dw_json_init(&p->j, p->f, pretty);
    p->ref.pretty = pretty;
    return p;
}

/* Finish both documents and compare them byte for byte. */
static void pair_finish(json_pair *p)
{
    dw_json_finish(&p->j);
    text_str(&p->ref.t, "\n");
    fclose(p->f);
    ck_assert_uint_eq(p->len, p->ref.t.n);
    size_t at = 0;
    while (at < p->len && p->out[at] == p->ref.t.p[at])
        at++;
    ck_assert_msg(at == p->len, "JSON differs at byte %zu of %zu", at, p->len);
    size_t where = 0;
    ck_assert_msg(hostile_json_valid(p->out, p->len, &where), "invalid JSON at %zu", where);
    free(p->out);
    free(p->ref.t.p);
    free(p);
}

static void pair_open(json_pair *p, int object)
{
    if (object)
        dw_json_begin_object(&p->j);
    else
        dw_json_begin_array(&p->j);
    ref_open(&p->ref, object ? "{" : "[");
}

static void pair_close(json_pair *p, int object)
{
    if (object)
        dw_json_end_object(&p->j);
    else
        dw_json_end_array(&p->j);
    ref_close(&p->ref, object ? "}" : "]");
}

static void pair_key(json_pair *p, const char *key)
{
    dw_json_key(&p->j, key);
    ref_key(&p->ref, key);
}

static void pair_string(json_pair *p, const char *s, size_t n)
{
    dw_json_string_n(&p->j, s, n);
    ref_string(&p->ref, s, n);
}

static void pair_int(json_pair *p, int64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%" PRId64, v);
    dw_json_int(&p->j, v);
    ref_value(&p->ref, b);
}

static void pair_uint(json_pair *p, uint64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%" PRIu64, v);
    dw_json_uint(&p->j, v);
    ref_value(&p->ref, b);
}

static void pair_hex_width(json_pair *p, uint64_t v, int width)
{
    char b[48];
    snprintf(b, sizeof b, "\"0x%0*" PRIx64 "\"", width, v);
    dw_json_hex_width(&p->j, v, width);
    ref_value(&p->ref, b);
}

static void pair_hex(json_pair *p, uint64_t v)
{
    char b[48];
    snprintf(b, sizeof b, "\"0x%" PRIx64 "\"", v);
    dw_json_hex(&p->j, v);
    ref_value(&p->ref, b);
}

static int needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\' || c == 0x7f;
}

/* Every character the writer escapes, alone, first, last, in the middle
 * and doubled; every byte from 0x20 up, where 0x80-0xff (UTF-8 sequences)
 * pass through as they are. */
START_TEST(json_escapes_every_character)
{
    for (int pretty = 0; pretty <= 1; pretty++) {
        json_pair *p = pair_start(pretty);
        pair_open(p, 0);
        for (int c = 0; c < 0x100; c++) {
            if (!needs_escape((unsigned char)c))
                continue;
            char ch = (char)c;
            char s[8];
            pair_string(p, &ch, 1);
            s[0] = ch, s[1] = 'a', s[2] = 'b';
            pair_string(p, s, 3);
            s[0] = 'a', s[1] = 'b', s[2] = ch;
            pair_string(p, s, 3);
            s[0] = 'a', s[1] = ch, s[2] = 'b';
            pair_string(p, s, 3);
            s[0] = ch, s[1] = ch;
            pair_string(p, s, 2);
        }
        char all[0x100 - 0x20];
        for (int c = 0x20; c < 0x100; c++)
            all[c - 0x20] = (char)c;
        pair_string(p, all, sizeof all);
        const char *utf8 = "na\xc3\xafve \xe2\x80\x93 \xe6\x97\xa5\xe6\x9c\xac\xf0\x9f\x98\x80";
        pair_string(p, utf8, strlen(utf8));
        pair_string(p, "", 0);
        /* NUL inside a string given with its length. */
        pair_string(p, "a\0b\0", 4);
        pair_close(p, 0);
        pair_finish(p);
    }
    /* Keys with every escape. */
    json_pair *p = pair_start(1);
    pair_open(p, 1);
    for (int c = 1; c < 0x80; c++) {
        char key[4] = {(char)c, 'k', (char)c, '\0'};
        pair_key(p, key);
        pair_uint(p, (uint64_t)c);
    }
    pair_close(p, 1);
    pair_finish(p);
}
END_TEST

/* A string of `len` letters with the characters of `escapes` placed at
 * `at[i]` (skipped when past the end). */
static char *string_with_escapes(size_t len, const size_t *at, const char *escapes, size_t count)
{
    char *s = malloc(len + 1);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < len; i++)
        s[i] = (char)('a' + i % 26);
    for (size_t i = 0; i < count; i++)
        if (at[i] < len)
            s[at[i]] = escapes[i];
    s[len] = '\0';
    return s;
}

/* Strings as long as the buffer and longer, with escapes just before, on
 * and after its end, written after a first item that leaves the buffer
 * partly full: every split of a plain run and of an escape sequence across
 * a flush comes up. */
START_TEST(json_long_strings_across_the_buffer)
{
    const size_t B = DW_JSON_BUFFER;
    const size_t fills[] = {0, 1, 5, 100, B / 2, B - 200, B - 10, B - 7, B - 6, B - 5, B - 2};
    const size_t lens[] = {B - 3, B - 2, B - 1, B, B + 1, B + 7, 2 * B + 3, 5 * B};
    const char kinds[] = {'\n', 0x01, '"', 0x7f, '\\', 0x1f, '\t'};
    for (size_t fi = 0; fi < sizeof fills / sizeof fills[0]; fi++) {
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            size_t len = lens[li];
            /* none; first; last; a cluster around the buffer's end; one
             * \u escape at each position near it. */
            for (int pattern = 0; pattern < 4 + 12; pattern++) {
                size_t at[32];
                char esc[32];
                size_t count = 0;
                if (pattern == 1) {
                    at[count] = 0, esc[count++] = 0x02;
                } else if (pattern == 2) {
                    at[count] = len - 1, esc[count++] = '"';
                } else if (pattern == 3) {
                    for (size_t k = B - 12; k < B + 12; k++)
                        at[count] = k, esc[count] = kinds[k % sizeof kinds], count++;
                } else if (pattern >= 4) {
                    at[count] = B - 8 - fills[fi] % 3 + (size_t)(pattern - 4);
                    esc[count++] = 0x1b;
                }
                char *s = string_with_escapes(len, at, esc, count);
                char *first = string_with_escapes(fills[fi], NULL, NULL, 0);
                json_pair *p = pair_start(0);
                pair_open(p, 0);
                pair_string(p, first, fills[fi]);
                pair_string(p, s, len);
                pair_string(p, s, len); /* again, from wherever the first one ended */
                pair_close(p, 0);
                pair_finish(p);
                free(first);
                free(s);
            }
        }
    }
    /* Nothing but escapes, longer than the buffer. */
    char *s = malloc(3000);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < 3000; i++)
        s[i] = (char)(i % 2 ? 0x01 : '"');
    json_pair *p = pair_start(1);
    pair_open(p, 0);
    pair_string(p, s, 3000);
    pair_string(p, s + 1, 2999);
    pair_close(p, 0);
    pair_finish(p);
    free(s);
}
END_TEST

/* One random value: short strings (some with escapes), numbers, hex,
 * literals. */
static void random_value(json_pair *p, uint64_t *rng)
{
    char s[48];
    switch (dw_test_below(rng, 8)) {
    case 0:
    case 1: {
        size_t n = dw_test_below(rng, sizeof s);
        for (size_t i = 0; i < n; i++)
            s[i] = dw_test_below(rng, 10) == 0 ? (char)dw_test_below(rng, 0x20)
                                               : (char)('A' + dw_test_below(rng, 58));
        pair_string(p, s, n);
        break;
    }
    case 2:
        pair_int(p, (int64_t)dw_test_random(rng) >> dw_test_below(rng, 64));
        break;
    case 3:
        pair_uint(p, dw_test_random(rng) >> dw_test_below(rng, 64));
        break;
    case 4:
        pair_hex(p, dw_test_random(rng) >> dw_test_below(rng, 64));
        break;
    case 5:
        pair_hex_width(p, dw_test_random(rng) >> dw_test_below(rng, 64),
                       (int)dw_test_below(rng, 20));
        break;
    case 6: {
        int b = (int)dw_test_below(rng, 2);
        dw_json_bool(&p->j, b);
        ref_value(&p->ref, b ? "true" : "false");
        break;
    }
    default:
        dw_json_null(&p->j);
        ref_value(&p->ref, "null");
        break;
    }
}

/* Thousands of short items of every kind, nested a little: the output is
 * many buffers long, so flushes fall inside keys, strings, numbers and
 * indentation alike. */
static void random_items(json_pair *p, uint64_t *rng, int depth, int object, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        if (object) {
            char key[32];
            snprintf(key, sizeof key, "k%u%s", i, i % 7 ? "" : "\t\"");
            pair_key(p, key);
        }
        if (depth < 5 && dw_test_below(rng, 12) == 0) {
            int child = (int)dw_test_below(rng, 2);
            pair_open(p, child);
            random_items(p, rng, depth + 1, child, dw_test_below(rng, 6));
            pair_close(p, child);
        } else {
            random_value(p, rng);
        }
    }
}

START_TEST(json_many_short_items)
{
    for (int pretty = 0; pretty <= 1; pretty++) {
        uint64_t rng = 0x5eed + (uint64_t)pretty;
        json_pair *p = pair_start(pretty);
        pair_open(p, 1);
        random_items(p, &rng, 1, 1, 6000);
        pair_close(p, 1);
        ck_assert_uint_gt(p->ref.t.n, 8 * DW_JSON_BUFFER);
        pair_finish(p);
    }
}
END_TEST

/* The extremes of every number form, first as literal text, then over a
 * grid of values and widths against printf. */
START_TEST(json_number_extremes)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    ck_assert_ptr_nonnull(f);
    dw_json j;
    dw_json_init(&j, f, 0);
    dw_json_begin_array(&j);
    dw_json_int(&j, INT64_MIN);
    dw_json_int(&j, INT64_MAX);
    dw_json_int(&j, 0);
    dw_json_uint(&j, 0);
    dw_json_uint(&j, UINT64_MAX);
    dw_json_hex(&j, 0);
    dw_json_hex(&j, UINT64_MAX);
    dw_json_hex_width(&j, 0x1234, 16);
    dw_json_hex_width(&j, 0x1234, 0);
    dw_json_hex_width(&j, 0, 16);
    dw_json_hex_width(&j, UINT64_MAX, 16);
    dw_json_end_array(&j);
    dw_json_finish(&j);
    fclose(f);
    ck_assert_str_eq(out, "[-9223372036854775808,9223372036854775807,0,0,18446744073709551615,"
                          "\"0x0\",\"0xffffffffffffffff\",\"0x0000000000001234\",\"0x1234\","
                          "\"0x0000000000000000\",\"0xffffffffffffffff\"]\n");
    free(out);

    const int64_t ints[] = {INT64_MIN, INT64_MIN + 1, -10, -9, -1, 0, 1, 9, 10, INT64_MAX};
    const uint64_t uints[] = {
        0, 1, 9, 10, 0xf, 0x10, 0xdeadbeef, 1ull << 63, UINT64_MAX - 1, UINT64_MAX};
    const int widths[] = {0, 1, 2, 8, 15, 16, 17, 20};
    for (int pretty = 0; pretty <= 1; pretty++) {
        json_pair *p = pair_start(pretty);
        pair_open(p, 1);
        for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
            char key[16];
            snprintf(key, sizeof key, "i%zu", i);
            pair_key(p, key);
            pair_int(p, ints[i]);
        }
        pair_key(p, "values");
        pair_open(p, 0);
        for (size_t i = 0; i < sizeof uints / sizeof uints[0]; i++) {
            pair_uint(p, uints[i]);
            pair_hex(p, uints[i]);
            for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++)
                pair_hex_width(p, uints[i], widths[w]);
        }
        pair_close(p, 0);
        pair_close(p, 1);
        pair_finish(p);
    }
}
END_TEST

/* The key-value shorthands are a key and a value. */
START_TEST(json_kv_shorthands)
{
    json_pair *p = pair_start(1);
    pair_open(p, 1);
    dw_json_kv_int(&p->j, "min", INT64_MIN);
    ref_key(&p->ref, "min");
    ref_value(&p->ref, "-9223372036854775808");
    dw_json_kv_uint(&p->j, "max", UINT64_MAX);
    ref_key(&p->ref, "max");
    ref_value(&p->ref, "18446744073709551615");
    dw_json_kv_hex(&p->j, "hex", 0xabc);
    ref_key(&p->ref, "hex");
    ref_value(&p->ref, "\"0xabc\"");
    dw_json_kv_bool(&p->j, "yes", 1);
    ref_key(&p->ref, "yes");
    ref_value(&p->ref, "true");
    dw_json_kv_null(&p->j, "none");
    ref_key(&p->ref, "none");
    ref_value(&p->ref, "null");
    dw_json_kv_string(&p->j, "s\n", "a\"b");
    ref_key(&p->ref, "s\n");
    ref_string(&p->ref, "a\"b", 3);
    dw_json_kv_string(&p->j, "nul", NULL);
    ref_key(&p->ref, "nul");
    ref_value(&p->ref, "null");
    pair_close(p, 1);
    pair_finish(p);
}
END_TEST

/* Nesting past DW_JSON_MAX_DEPTH, one item per level below it (the writer
 * keeps comma state for DW_JSON_MAX_DEPTH levels only), with siblings at
 * every level it does track.  Compact output is compared exactly; pretty
 * output must parse, indent each item two spaces a level (the deep levels
 * take the indentation loop instead of the static run of spaces) and say
 * the same once whitespace is removed. */
static void nest(json_pair *p, int level, int levels)
{
    int object = level % 2 == 0;
    pair_open(p, object);
    if (object)
        pair_key(p, "down");
    if (level + 1 < levels)
        nest(p, level + 1, levels);
    else
        pair_uint(p, 7);
    if (level < DW_JSON_MAX_DEPTH) { /* the items inside are at depth level + 1 */
        if (object)
            pair_key(p, "after");
        pair_string(p, "x\ty", 3);
        if (object)
            pair_key(p, "n");
        pair_int(p, -(int64_t)level);
    }
    pair_close(p, object);
}

static char *without_spaces(const char *s, size_t n)
{
    char *o = malloc(n + 1);
    ck_assert_ptr_nonnull(o);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\n')
            o[k++] = s[i];
    o[k] = '\0';
    return o;
}

/* Finish the writer's document and hand back its text and, when `ref` is
 * given, the reference's (both NUL-terminated, for the caller to free). */
static char *pair_take(json_pair *p, size_t *len, char **ref)
{
    dw_json_finish(&p->j);
    fclose(p->f);
    text_str(&p->ref.t, "\n");
    char *out = p->out;
    *len = p->len;
    if (ref)
        *ref = p->ref.t.p;
    else
        free(p->ref.t.p);
    free(p);
    return out;
}

START_TEST(json_deep_nesting)
{
    const int levels = DW_JSON_MAX_DEPTH + 10; /* even: the innermost level is an array */
    json_pair *c = pair_start(0);
    nest(c, 0, levels);
    size_t compact_len;
    char *want_compact;
    char *compact = pair_take(c, &compact_len, &want_compact);
    ck_assert_str_eq(compact, want_compact);

    json_pair *p = pair_start(1);
    nest(p, 0, levels);
    size_t len;
    char *out = pair_take(p, &len, NULL);
    size_t where = 0;
    ck_assert_msg(hostile_json_valid(out, len, &where), "invalid JSON at %zu", where);
    char *squeezed = without_spaces(out, len);
    char *want = without_spaces(compact, compact_len);
    ck_assert_str_eq(squeezed, want);
    char line[256];
    snprintf(line, sizeof line, "\n%*s7", 2 * levels, "");
    ck_assert_ptr_nonnull(strstr(out, line));
    for (int level = 0; level < levels; level += 2) {
        snprintf(line, sizeof line, "\n%*s\"down\": ", 2 * (level + 1), "");
        ck_assert_msg(strstr(out, line) != NULL, "level %d: \"down\" not indented", level);
    }
    free(squeezed);
    free(want);
    free(want_compact);
    free(compact);
    free(out);
}
END_TEST

/* ======================================================================
 * dw_memory_copy
 * ====================================================================== */

#define PROBE_BASE 0x10000u

/* Three ranges: two adjacent ([0x10000, 0x10100) and [0x10100, 0x10180)),
 * then a gap, then [0x10200, 0x10280).  Byte values differ per range. */
static dw_test_dump probe_dump(uint8_t *a, uint8_t *b, uint8_t *c)
{
    for (unsigned i = 0; i < 0x100; i++)
        a[i] = (uint8_t)i;
    for (unsigned i = 0; i < 0x80; i++) {
        b[i] = (uint8_t)(0x80 | i);
        c[i] = (uint8_t)(0x40 ^ i);
    }
    mdw *w = mdw_new();
    mdw_add_memory(w, PROBE_BASE + 0x200, c, 0x80); /* listed out of order */
    mdw_add_memory(w, PROBE_BASE, a, 0x100);
    mdw_add_memory(w, PROBE_BASE + 0x100, b, 0x80);
    return dw_test_open_writer(w);
}

START_TEST(memory_copy_counts_what_it_copied)
{
    uint8_t a[0x100], b[0x80], c[0x80];
    dw_test_dump td = probe_dump(a, b, c);
    dw_dump *d = td.dump;
    const dw_memory_range *r;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(d, &r, &n), DW_OK);
    ck_assert_uint_eq(n, 3);
    uint8_t buf[0x200];

    /* Across the two adjacent ranges. */
    memset(buf, 0xee, sizeof buf);
    ck_assert_uint_eq(dw_memory_copy(d, PROBE_BASE + 0xf0, buf, 0x40), 0x40);
    ck_assert(memcmp(buf, a + 0xf0, 0x10) == 0);
    ck_assert(memcmp(buf + 0x10, b, 0x30) == 0);
    ck_assert_uint_eq(dw_memory_copy(d, PROBE_BASE, buf, 0x180), 0x180);
    ck_assert(memcmp(buf, a, 0x100) == 0 && memcmp(buf + 0x100, b, 0x80) == 0);
    /* A prefix: up to the gap, and up to the end of the last range. */
    memset(buf, 0xee, sizeof buf);
    ck_assert_uint_eq(dw_memory_copy(d, PROBE_BASE + 0x170, buf, 0x40), 0x10);
    ck_assert(memcmp(buf, b + 0x70, 0x10) == 0);
    ck_assert_uint_eq(dw_memory_copy(d, PROBE_BASE + 0xf0, buf, 0x200), 0x90);
    ck_assert_uint_eq(dw_memory_copy(d, PROBE_BASE + 0x27f, buf, 8), 1);
    ck_assert_uint_eq(buf[0], c[0x7f]);
    /* Misses: in the gap, just past the end, below everything, at the top. */
    ck_assert_uint_eq(dw_memory_copy(d, PROBE_BASE + 0x180, buf, 8), 0);
    ck_assert_uint_eq(dw_memory_copy(d, PROBE_BASE + 0x1ff, buf, 8), 0);
    ck_assert_uint_eq(dw_memory_copy(d, PROBE_BASE + 0x280, buf, 1), 0);
    ck_assert_uint_eq(dw_memory_copy(d, PROBE_BASE - 1, buf, 8), 0);
    ck_assert_uint_eq(dw_memory_copy(d, UINT64_MAX, buf, 1), 0);

    /* The same answers as dw_memory_read at every start around the ranges. */
    for (uint64_t va = PROBE_BASE - 0x10; va < PROBE_BASE + 0x290; va++) {
        uint8_t x[0x30], y[0x30];
        size_t got = 0;
        dw_status st = dw_memory_read(d, va, x, sizeof x, &got);
        size_t copied = dw_memory_copy(d, va, y, sizeof y);
        ck_assert_msg(copied == got, "0x%llx: copied %zu, read %zu", (unsigned long long)va, copied,
                      got);
        ck_assert_int_eq(st, got == sizeof x ? DW_OK : got ? DW_ERR_TRUNCATED : DW_ERR_NOT_FOUND);
        ck_assert(memcmp(x, y, copied) == 0);
    }
    dw_test_close(&td);
}
END_TEST

START_TEST(memory_copy_leaves_the_last_error)
{
    uint8_t a[0x100], b[0x80], c[0x80];
    dw_test_dump td = probe_dump(a, b, c);
    dw_dump *d = td.dump;
    uint8_t buf[16];
    /* A first miss through dw_memory_read sets a message naming its address. */
    ck_assert_int_eq(dw_memory_read(d, 0x5000, buf, 8, NULL), DW_ERR_NOT_FOUND);
    char before[512];
    snprintf(before, sizeof before, "%s", dw_dump_last_error(d));
    ck_assert_ptr_nonnull(strstr(before, "0x5000"));
    /* Probes that miss, copy a prefix, or copy everything say nothing. */
    ck_assert_uint_eq(dw_memory_copy(d, PROBE_BASE + 0x1c0, buf, 8), 0);
    ck_assert_str_eq(dw_dump_last_error(d), before);
    ck_assert_uint_eq(dw_memory_copy(d, 0x7fff00000000ull, buf, 8), 0);
    ck_assert_str_eq(dw_dump_last_error(d), before);
    ck_assert_uint_eq(dw_memory_copy(d, PROBE_BASE + 0x17c, buf, 8), 4);
    ck_assert_str_eq(dw_dump_last_error(d), before);
    ck_assert_uint_eq(dw_memory_copy(d, PROBE_BASE, buf, 8), 8);
    ck_assert_str_eq(dw_dump_last_error(d), before);
    /* The read of that same miss does report it. */
    ck_assert_int_eq(dw_memory_read(d, PROBE_BASE + 0x1c0, buf, 8, NULL), DW_ERR_NOT_FOUND);
    ck_assert_str_ne(dw_dump_last_error(d), before);
    ck_assert_ptr_nonnull(strstr(dw_dump_last_error(d), "0x101c0"));
    dw_test_close(&td);
}
END_TEST

/* ======================================================================
 * Memory range resolution
 * ====================================================================== */

#define STACK_VA 0x200000ull
#define STACK_LEN 0x1000u

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

/* A thread whose stack is the given bytes (no MemoryList entry of its own). */
static void add_stack_thread(mdw *w, uint64_t va, const uint8_t *bytes, size_t len)
{
    mdw_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.r[DW_AMD64_RSP] = va + 0x100;
    regs.r[DW_AMD64_RIP] = 0x10001000;
    uint32_t ctx_size = 0;
    uint32_t ctx = mdw_context_amd64(w, &regs, 0x10000b, &ctx_size);
    mdw_add_thread(w, 1, 0, va, bytes, len, ctx, ctx_size);
}

/* A raw MemoryList stream of `count` ranges, their bytes appended. */
static void add_raw_memory_list(mdw *w, const uint64_t *va, uint8_t *const *bytes,
                                const uint32_t *len, size_t count)
{
    uint8_t *s = calloc(1, 4 + 16 * count);
    ck_assert_ptr_nonnull(s);
    mdw_put32(s, (uint32_t)count);
    for (size_t i = 0; i < count; i++) {
        uint32_t rva = mdw_append(w, bytes[i], len[i]);
        mdw_put64(s + 4 + 16 * i, va[i]);
        mdw_put32(s + 4 + 16 * i + 8, len[i]);
        mdw_put32(s + 4 + 16 * i + 12, rva);
    }
    mdw_add_stream(w, 5, s, 4 + 16 * count);
    free(s);
}

static void assert_range(const dw_memory_range *r, uint64_t base, uint64_t size,
                         dw_memory_source source)
{
    ck_assert_uint_eq(r->base, base);
    ck_assert_uint_eq(r->size, size);
    ck_assert_int_eq(r->source, source);
}

static void assert_bytes(dw_dump *d, uint64_t va, const uint8_t *want, size_t len)
{
    uint8_t *got = malloc(len);
    ck_assert_ptr_nonnull(got);
    size_t n = 0;
    ck_assert_int_eq(dw_memory_read(d, va, got, len, &n), DW_OK);
    ck_assert_msg(memcmp(got, want, len) == 0, "bytes at 0x%llx are not the winner's",
                  (unsigned long long)va);
    free(got);
}

/* A thread's stack listed again in MemoryList (same base and size, other
 * bytes, as minidump writers do): one range, MemoryList's; with two other
 * ranges listed out of order, one of them twice (the first listing wins). */
START_TEST(memory_repeat_of_stack_goes_to_memory_list)
{
    static uint8_t stack[STACK_LEN], listed[STACK_LEN], hi1[0x100], hi2[0x100], lo[0x80];
    fill(stack, sizeof stack, 0x11);
    fill(listed, sizeof listed, 0x22);
    fill(hi1, sizeof hi1, 0x33);
    fill(hi2, sizeof hi2, 0x44);
    fill(lo, sizeof lo, 0x55);
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19045, 2, NULL);
    add_stack_thread(w, STACK_VA, stack, sizeof stack);
    mdw_add_memory(w, 0x300000, hi1, sizeof hi1);
    mdw_add_memory(w, STACK_VA, listed, sizeof listed);
    mdw_add_memory(w, 0x100000, lo, sizeof lo);
    mdw_add_memory(w, 0x300000, hi2, sizeof hi2);
    dw_test_dump td = dw_test_open_writer(w);
    const dw_memory_range *r;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(td.dump, &r, &n), DW_OK);
    ck_assert_uint_eq(n, 3);
    assert_range(&r[0], 0x100000, sizeof lo, DW_MEMSRC_MEMORY_LIST);
    assert_range(&r[1], STACK_VA, STACK_LEN, DW_MEMSRC_MEMORY_LIST);
    assert_range(&r[2], 0x300000, sizeof hi1, DW_MEMSRC_MEMORY_LIST);
    assert_bytes(td.dump, STACK_VA, listed, sizeof listed);
    assert_bytes(td.dump, 0x300000, hi1, sizeof hi1);
    assert_bytes(td.dump, 0x100000, lo, sizeof lo);
    dw_test_close(&td);
}
END_TEST

/* The same range in all three sources: Memory64List wins over MemoryList,
 * which wins over the stack. */
START_TEST(memory_repeat_in_three_sources)
{
    static uint8_t stack[STACK_LEN], listed[STACK_LEN], listed64[STACK_LEN], other[0x40];
    fill(stack, sizeof stack, 0x11);
    fill(listed, sizeof listed, 0x22);
    fill(listed64, sizeof listed64, 0x66);
    fill(other, sizeof other, 0x77);
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19045, 2, NULL);
    add_stack_thread(w, STACK_VA, stack, sizeof stack);
    uint64_t va[] = {STACK_VA + STACK_LEN, STACK_VA};
    uint8_t *bytes[] = {other, listed};
    uint32_t len[] = {sizeof other, sizeof listed};
    add_raw_memory_list(w, va, bytes, len, 2);
    mdw_use_memory64(w, 1);
    mdw_add_memory(w, STACK_VA, listed64, sizeof listed64);
    dw_test_dump td = dw_test_open_writer(w);
    const dw_memory_range *r;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(td.dump, &r, &n), DW_OK);
    ck_assert_uint_eq(n, 2);
    assert_range(&r[0], STACK_VA, STACK_LEN, DW_MEMSRC_MEMORY64_LIST);
    assert_range(&r[1], STACK_VA + STACK_LEN, sizeof other, DW_MEMSRC_MEMORY_LIST);
    assert_bytes(td.dump, STACK_VA, listed64, sizeof listed64);
    /* Adjacent ranges read as one. */
    uint8_t across[8];
    ck_assert_int_eq(dw_memory_read(td.dump, STACK_VA + STACK_LEN - 4, across, 8, NULL), DW_OK);
    ck_assert(memcmp(across, listed64 + STACK_LEN - 4, 4) == 0);
    ck_assert(memcmp(across + 4, other, 4) == 0);
    dw_test_close(&td);
}
END_TEST

/* A partial overlap is no repeat: it takes the sweep, and each byte still
 * goes to the lowest rank (MemoryList in listing order, then the stack). */
START_TEST(memory_partial_overlap_takes_the_sweep)
{
    static uint8_t first[0x100], second[0x100], stack[0x100];
    fill(first, sizeof first, 0x01);
    fill(second, sizeof second, 0x81);
    fill(stack, sizeof stack, 0x41);
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19045, 2, NULL);
    add_stack_thread(w, 0x10140, stack, sizeof stack);
    mdw_add_memory(w, 0x10080, second, sizeof second);
    mdw_add_memory(w, 0x10000, first, sizeof first);
    dw_test_dump td = dw_test_open_writer(w);
    const dw_memory_range *r;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(td.dump, &r, &n), DW_OK);
    ck_assert_uint_eq(n, 3);
    /* [0x10080, 0x10180) is listed first and keeps all of itself. */
    assert_range(&r[0], 0x10000, 0x80, DW_MEMSRC_MEMORY_LIST);
    assert_range(&r[1], 0x10080, 0x100, DW_MEMSRC_MEMORY_LIST);
    assert_range(&r[2], 0x10180, 0xc0, DW_MEMSRC_THREAD_STACK);
    assert_bytes(td.dump, 0x10000, first, 0x80);
    assert_bytes(td.dump, 0x10080, second, 0x100);
    assert_bytes(td.dump, 0x10180, stack + 0x40, 0xc0);
    dw_test_close(&td);
}
END_TEST

/* Neither a repeat nor disjoint: a range nested in another, and two with
 * the same base but different sizes.  Both take the sweep. */
START_TEST(memory_nested_and_same_base_take_the_sweep)
{
    static uint8_t big[0x400], small[0x80], stack[0x80];
    fill(big, sizeof big, 0x01);
    fill(small, sizeof small, 0x81);
    fill(stack, sizeof stack, 0x41);
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19045, 2, NULL);
    add_stack_thread(w, 0x30200, stack, sizeof stack);
    mdw_add_memory(w, 0x30100, small, sizeof small);
    mdw_add_memory(w, 0x30000, big, sizeof big);
    dw_test_dump td = dw_test_open_writer(w);
    const dw_memory_range *r;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(td.dump, &r, &n), DW_OK);
    ck_assert_uint_eq(n, 3);
    assert_range(&r[0], 0x30000, 0x100, DW_MEMSRC_MEMORY_LIST);
    assert_range(&r[1], 0x30100, 0x80, DW_MEMSRC_MEMORY_LIST);
    assert_range(&r[2], 0x30180, 0x280, DW_MEMSRC_MEMORY_LIST); /* the stack inside lost */
    assert_bytes(td.dump, 0x30000, big, 0x100);
    assert_bytes(td.dump, 0x30100, small, sizeof small);
    assert_bytes(td.dump, 0x30180, big + 0x180, 0x280);
    dw_test_close(&td);

    /* Same base: the shorter is listed first and wins its bytes; the rest
     * of the longer one remains. */
    w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19045, 2, NULL);
    add_stack_thread(w, 0x20000, big, 0x200);
    mdw_add_memory(w, 0x20000, small, sizeof small);
    td = dw_test_open_writer(w);
    ck_assert_int_eq(dw_memory_ranges(td.dump, &r, &n), DW_OK);
    ck_assert_uint_eq(n, 2);
    assert_range(&r[0], 0x20000, sizeof small, DW_MEMSRC_MEMORY_LIST);
    assert_range(&r[1], 0x20000 + sizeof small, 0x200 - sizeof small, DW_MEMSRC_THREAD_STACK);
    assert_bytes(td.dump, 0x20000, small, sizeof small);
    assert_bytes(td.dump, 0x20000 + sizeof small, big + sizeof small, 0x200 - sizeof small);
    dw_test_close(&td);
}
END_TEST

/* Many disjoint ranges (some touching, some repeated) listed in a shuffled
 * order, in MemoryList and in Memory64List: sorted, complete, and each
 * address reads its first listing's bytes. */
START_TEST(memory_unsorted_disjoint_ranges)
{
    enum { COUNT = 200, REPEATS = 20 };
    for (int mem64 = 0; mem64 <= 1; mem64++) {
        uint64_t rng = 77 + (uint64_t)mem64;
        uint64_t base[COUNT];
        uint32_t size[COUNT];
        uint64_t at = 0x400000;
        for (int i = 0; i < COUNT; i++) {
            at += dw_test_below(&rng, 3) == 0
                      ? 0
                      : 0x10 + dw_test_below(&rng, 0x300); /* a third touch */
            base[i] = at;
            size[i] = 1 + dw_test_below(&rng, 0x200);
            at += size[i];
        }
        int order[COUNT + REPEATS];
        for (int i = 0; i < COUNT; i++)
            order[i] = i;
        for (int i = COUNT - 1; i > 0; i--) {
            int k = (int)dw_test_below(&rng, (uint32_t)i + 1), t = order[i];
            order[i] = order[k];
            order[k] = t;
        }
        for (int i = 0; i < REPEATS; i++)
            order[COUNT + i] = order[dw_test_below(&rng, COUNT)]; /* listed again, later */
        static uint8_t bytes[COUNT + REPEATS][0x200];
        mdw *w = mdw_new();
        mdw_use_memory64(w, mem64);
        for (int i = 0; i < COUNT + REPEATS; i++) {
            fill(bytes[i], sizeof bytes[i], (uint8_t)(i * 13));
            mdw_add_memory(w, base[order[i]], bytes[i], size[order[i]]);
        }
        dw_test_dump td = dw_test_open_writer(w);
        const dw_memory_range *r;
        size_t n;
        ck_assert_int_eq(dw_memory_ranges(td.dump, &r, &n), DW_OK);
        ck_assert_uint_eq(n, COUNT);
        dw_memory_source src = mem64 ? DW_MEMSRC_MEMORY64_LIST : DW_MEMSRC_MEMORY_LIST;
        for (int i = 0; i < COUNT; i++) {
            assert_range(&r[i], base[i], size[i], src);
            int listing = 0;
            while (order[listing] != i)
                listing++;
            assert_bytes(td.dump, base[i], bytes[listing], size[i]);
        }
        dw_test_close(&td);
    }
}
END_TEST

/* ======================================================================
 * Stack scanning
 * ====================================================================== */

/* code.dll: a few call sites captured, no symbols.  nocode.dll: symbols,
 * no code captured, so a word pointing into it is at best a weak
 * candidate ("scan:no-code module"). */
#define CODE_BASE 0x10000000ull
#define NOCODE_BASE 0x20000000ull
#define MOD_SIZE 0x10000u
#define NOCODE_ID "222222222222222222222222222222221"
#define SP0 (STACK_VA + 0x100)
#define MAX_FRAMES 8

/* Frame 0 runs in nocode.dll's f0 (FUNC 5000), whose code is not
 * captured: no CFI, no .pdata, no prologue, rbp 0; only the scan answers. */
#define F0_START (NOCODE_BASE + 0x5000)
#define F0_IP (NOCODE_BASE + 0x5010)
/* A second function of nocode.dll, the callee of frames found inside it. */
#define CB_START (NOCODE_BASE + 0x1200)

typedef struct scan_dump {
    mdw *w;
    uint8_t stack[STACK_LEN];
} scan_dump;

static const char *nocode_symbols(void)
{
    static char dir[512];
    char path[700];
    snprintf(dir, sizeof dir, "%s/fastpaths_syms", dw_test_tmpdir());
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/nocode.pdb", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/nocode.pdb/%s", dir, NOCODE_ID);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/nocode.pdb/%s/nocode.sym", dir, NOCODE_ID);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("MODULE windows x86_64 " NOCODE_ID " nocode.pdb\n"
          "FUNC 1200 100 0 callback\n"
          "FUNC 5000 100 0 f0\n",
          f);
    fclose(f);
    return dir;
}

static void scan_init(scan_dump *s)
{
    memset(s, 0, sizeof *s);
    s->w = mdw_new();
    mdw_system_info(s->w, 9, 10, 0, 19045, 2, NULL);
    mdw_add_module(s->w, CODE_BASE, MOD_SIZE, "C:\\t\\code.dll", 0x5f000000, NULL, NULL, 0, 0);
    uint8_t guid[16];
    memset(guid, 0x22, sizeof guid);
    mdw_add_module(s->w, NOCODE_BASE, MOD_SIZE, "C:\\t\\nocode.dll", 0x5f000000, "nocode.pdb", guid,
                   1, 0);
}

static void put_slot(scan_dump *s, uint32_t off, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        s->stack[off + i] = (uint8_t)(v >> (8 * i));
}

/* Captures just the DW_CALL_MAX_LENGTH bytes before `ret`: nops, then
 * `call rel32` to target.  Nothing at or after ret is captured, so no
 * rule but the scan can use the frame. */
static uint64_t call_e8_before(scan_dump *s, uint64_t ret, uint64_t target)
{
    uint8_t b[DW_CALL_MAX_LENGTH];
    memset(b, 0x90, sizeof b);
    uint32_t rel = (uint32_t)(int32_t)(int64_t)(target - ret);
    b[sizeof b - 5] = 0xe8;
    mdw_put32(b + sizeof b - 4, rel);
    mdw_add_memory(s->w, ret - sizeof b, b, sizeof b);
    return ret;
}

/* ... `call rax` (FF /2) instead. */
static uint64_t call_ff_before(scan_dump *s, uint64_t ret)
{
    uint8_t b[DW_CALL_MAX_LENGTH];
    memset(b, 0x90, sizeof b);
    b[sizeof b - 2] = 0xff;
    b[sizeof b - 1] = 0xd0;
    mdw_add_memory(s->w, ret - sizeof b, b, sizeof b);
    return ret;
}

/* Words no return address can be: small integers, pointers into this
 * stack, pointers to memory nobody captured (in no module, over many
 * pages), pointers into code.dll pages with no code captured, and into
 * nocode.dll (weak at best), and a pointer into a page that has code but
 * no call before it. */
static void fill_barren(scan_dump *s, uint32_t from, uint32_t to)
{
    for (uint32_t off = from, i = 0; off < to; off += 8, i++) {
        uint64_t v;
        switch (i % 7) {
        case 0:
            v = i % 4096;
            break;
        case 1:
            v = STACK_VA + (i * 40) % STACK_LEN;
            break;
        case 2:
            v = 0x7ff612340000ull + (uint64_t)i * 0x1000 + i;
            break;
        case 3:
            v = CODE_BASE + 0x8000 + (i % 8) * 0x1000 + i;
            break;
        case 4:
            v = NOCODE_BASE + 0x2000 + i * 16;
            break;
        case 5:
            v = CODE_BASE + 0x6100 + i % 0x100; /* the page of a call site */
            break;
        default:
            v = 0x1000 + i;
            break;
        }
        put_slot(s, off, v);
    }
}

/* Words that are no candidate at all, weak or strong: small integers,
 * pointers into this stack, pointers to memory nobody captured. */
static void fill_none(scan_dump *s, uint32_t from, uint32_t to)
{
    for (uint32_t off = from, i = 0; off < to; off += 8, i++) {
        uint64_t v = i % 3 == 0   ? i
                     : i % 3 == 1 ? STACK_VA + (i * 24) % STACK_LEN
                                  : 0x7ff612340000ull + (uint64_t)i * 0x1000;
        put_slot(s, off, v);
    }
}

typedef struct scan_result {
    size_t count;
    dw_frame frames[MAX_FRAMES];
} scan_result;

static dw_walker *scan_open(scan_dump *s, unsigned max_scan_words, dw_test_dump *td,
                            dw_symbols **syms)
{
    mdw_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.r[DW_AMD64_RIP] = F0_IP;
    regs.r[DW_AMD64_RSP] = SP0;
    uint32_t ctx_size = 0;
    uint32_t ctx = mdw_context_amd64(s->w, &regs, 0x10000b, &ctx_size);
    mdw_add_thread(s->w, 1, 0, STACK_VA, s->stack, sizeof s->stack, ctx, ctx_size);
    mdw_add_memory(s->w, STACK_VA, s->stack, sizeof s->stack);
    *td = dw_test_open_writer(s->w);
    ck_assert_int_eq(dw_symbols_new(syms), DW_OK);
    ck_assert_int_eq(dw_symbols_add_dir(*syms, nocode_symbols()), DW_OK);
    dw_walk_options o = DW_WALK_OPTIONS_INIT;
    o.symbols = *syms;
    o.max_frames = MAX_FRAMES;
    o.max_scan_words = max_scan_words;
    dw_walker *w;
    ck_assert_int_eq(dw_walker_new(td->dump, &o, &w), DW_OK);
    return w;
}

static void scan_frames(dw_walker *w, size_t max, scan_result *out)
{
    out->count = 0;
    while (out->count < max && dw_walker_next(w, &out->frames[out->count]) == DW_OK)
        out->count++;
}

static void scan_close(dw_walker *w, dw_symbols *syms, dw_test_dump *td)
{
    dw_walker_free(w);
    dw_symbols_free(syms);
    dw_test_close(td);
}

/* Finish the dump (one thread, frame 0 in f0 at SP0) and walk it. */
static void scan_walk(scan_dump *s, unsigned max_scan_words, scan_result *out)
{
    dw_test_dump td;
    dw_symbols *syms;
    dw_walker *w = scan_open(s, max_scan_words, &td, &syms);
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(td.dump, &t, &n), DW_OK);
    ck_assert_int_eq(dw_walker_start(w, &t[0]), DW_OK);
    scan_frames(w, MAX_FRAMES, out);
    scan_close(w, syms, &td);
}

static void assert_scan_frame(const scan_result *r, size_t i, uint64_t ip, uint64_t sp,
                              const char *reason)
{
    ck_assert_msg(r->count > i, "only %zu frames", r->count);
    const dw_frame *f = &r->frames[i];
    ck_assert_msg(f->ip == ip && f->sp == sp,
                  "frame %zu: ip 0x%llx sp 0x%llx (%s), want 0x%llx 0x%llx", i,
                  (unsigned long long)f->ip, (unsigned long long)f->sp, f->reason,
                  (unsigned long long)ip, (unsigned long long)sp);
    ck_assert_str_eq(dw_trust_name(f->trust), "scan");
    ck_assert_str_eq(f->reason, reason);
}

/* A weak candidate first, then hundreds of barren words, then a call into
 * f0 whose return address is the first byte of a page with no captured
 * byte (the call itself lies on the page below). */
START_TEST(scan_strong_after_weak_and_barren_run)
{
    scan_dump s;
    scan_init(&s);
    put_slot(&s, 0x100, NOCODE_BASE + 0x1234);
    fill_barren(&s, 0x108, 0xc00);
    put_slot(&s, 0xc00, call_e8_before(&s, CODE_BASE + 0x7000, F0_START));
    fill_barren(&s, 0xc08, STACK_LEN);
    call_e8_before(&s, CODE_BASE + 0x6040, NOCODE_BASE + 0x3000); /* page of fill_barren case 5 */
    scan_result r;
    scan_walk(&s, 0, &r);
    ck_assert_uint_eq(r.frames[0].ip, F0_IP);
    assert_scan_frame(&r, 1, CODE_BASE + 0x7000, STACK_VA + 0xc08, "scan:call E8 target-match");
}
END_TEST

/* The same with an indirect call (FF /2) near the top of the stack. */
START_TEST(scan_strong_indirect_call_after_barren_run)
{
    scan_dump s;
    scan_init(&s);
    fill_none(&s, 0x100, 0x200);
    put_slot(&s, 0x200, NOCODE_BASE + 0x1234);
    fill_barren(&s, 0x208, 0xf00);
    put_slot(&s, 0xf00, call_ff_before(&s, CODE_BASE + 0x4048));
    fill_barren(&s, 0xf08, STACK_LEN);
    call_e8_before(&s, CODE_BASE + 0x6040, NOCODE_BASE + 0x3000);
    scan_result r;
    scan_walk(&s, 0, &r);
    assert_scan_frame(&r, 1, CODE_BASE + 0x4048, STACK_VA + 0xf08, "scan:call FF/2 reg");
}
END_TEST

/* Nothing strong in the window: the first weak candidate stands, not a
 * later weak one (a call to some other function). */
START_TEST(scan_weak_when_nothing_is_strong)
{
    scan_dump s;
    scan_init(&s);
    fill_none(&s, 0x100, 0x300);
    put_slot(&s, 0x300, NOCODE_BASE + 0x1234);
    fill_barren(&s, 0x308, 0x800);
    put_slot(&s, 0x800, call_e8_before(&s, CODE_BASE + 0x3045, NOCODE_BASE + 0x9000));
    fill_barren(&s, 0x808, STACK_LEN);
    scan_result r;
    scan_walk(&s, 0, &r);
    assert_scan_frame(&r, 1, NOCODE_BASE + 0x1234, STACK_VA + 0x308, "scan:no-code module");
}
END_TEST

/* Two successive scans (max_scan_words 64: frame 0 scans 256 words,
 * [0x100, 0x900), later frames 64).  The first holds a weak candidate at
 * 0x700 and finds nothing strong: frame 1 is weak.  At 0x800 lies a call
 * to `callback`, weak for f0 (a target mismatch) but strong for frame 1,
 * which is inside callback: the second scan, whose window [0x708, 0x908)
 * overlaps the barren runs the first remembered, must stop there. */
START_TEST(scan_second_window_over_remembered_runs)
{
    scan_dump s;
    scan_init(&s);
    put_slot(&s, 0x700, NOCODE_BASE + 0x1234);
    put_slot(&s, 0x708, NOCODE_BASE + 0x1250); /* weak for the second scan too */
    fill_barren(&s, 0x710, 0x800);
    put_slot(&s, 0x800, call_e8_before(&s, CODE_BASE + 0x3045, CB_START));
    fill_barren(&s, 0x808, STACK_LEN);
    call_e8_before(&s, CODE_BASE + 0x6040, NOCODE_BASE + 0x3000);
    scan_result r;
    scan_walk(&s, 64, &r);
    assert_scan_frame(&r, 1, NOCODE_BASE + 0x1234, STACK_VA + 0x708, "scan:no-code module");
    assert_scan_frame(&r, 2, CODE_BASE + 0x3045, STACK_VA + 0x808, "scan:call E8 target-match");
}
END_TEST

/* As above, the strong candidate for frame 1 being the first word past the
 * first scan's window (0x900): barren as far as the first scan saw, but
 * not beyond. */
START_TEST(scan_second_window_past_the_first)
{
    scan_dump s;
    scan_init(&s);
    put_slot(&s, 0x700, NOCODE_BASE + 0x1234);
    put_slot(&s, 0x708, NOCODE_BASE + 0x1250);
    fill_barren(&s, 0x710, 0x900);
    put_slot(&s, 0x900, call_ff_before(&s, CODE_BASE + 0x4048));
    fill_barren(&s, 0x908, STACK_LEN);
    call_e8_before(&s, CODE_BASE + 0x6040, NOCODE_BASE + 0x3000);
    scan_result r;
    scan_walk(&s, 64, &r);
    assert_scan_frame(&r, 1, NOCODE_BASE + 0x1234, STACK_VA + 0x708, "scan:no-code module");
    assert_scan_frame(&r, 2, CODE_BASE + 0x4048, STACK_VA + 0x908, "scan:call FF/2 reg");
}
END_TEST

/* Barren runs belong to one walk.  The first walk is told the stack spans
 * up to 0x18000000, so every pointer into code.dll is a "stack pointer"
 * and the strong candidate at 0xc00 lies in a barren run; the second walk
 * of the same walker, with the real bounds, must find it. */
START_TEST(scan_runs_forgotten_between_walks)
{
    scan_dump s;
    scan_init(&s);
    put_slot(&s, 0x100, NOCODE_BASE + 0x1234);
    fill_barren(&s, 0x108, 0xc00);
    put_slot(&s, 0xc00, call_e8_before(&s, CODE_BASE + 0x7000, F0_START));
    fill_barren(&s, 0xc08, STACK_LEN);
    dw_test_dump td;
    dw_symbols *syms;
    dw_walker *w = scan_open(&s, 0, &td, &syms);
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(td.dump, &t, &n), DW_OK);
    dw_context ctx;
    ck_assert_int_eq(dw_thread_context(td.dump, &t[0], &ctx), DW_OK);
    scan_result r;
    ck_assert_int_eq(dw_walker_start_context(w, &ctx, STACK_VA, 0x18000000), DW_OK);
    scan_frames(w, 2, &r); /* one scan: later ones would push its run out of memory */
    assert_scan_frame(&r, 1, NOCODE_BASE + 0x1234, SP0 + 8, "scan:no-code module");
    ck_assert_int_eq(dw_walker_start_context(w, &ctx, STACK_VA, STACK_VA + STACK_LEN), DW_OK);
    scan_frames(w, MAX_FRAMES, &r);
    assert_scan_frame(&r, 1, CODE_BASE + 0x7000, STACK_VA + 0xc08, "scan:call E8 target-match");
    scan_close(w, syms, &td);
}
END_TEST

/* ======================================================================
 * Function-start back-scan
 * ====================================================================== */

#define CODE_VA 0x140001000ull
#define MAX_STARTS 1024

/* Decoding from `from` lands exactly on `ip` without two int3 in a row:
 * the back-scan's rule, decoded afresh for one candidate. */
static int fresh_decodes_to_ip(dw_disasm *d, const uint8_t *code, size_t size, uint64_t from,
                               uint64_t ip)
{
    uint64_t pc = from;
    int prev_int3 = 0;
    while (pc < ip) {
        size_t off = (size_t)(pc - CODE_VA);
        size_t n = dw_disasm_one(d, code + off, size - off, pc);
        if (n == 0)
            return 0;
        int int3 = d->insn->id == X86_INS_INT3;
        if (int3 && prev_int3)
            return 0;
        prev_int3 = int3;
        pc += n;
    }
    return pc == ip;
}

/* Is `a` a candidate whose first instructions are a prologue?  Exact for
 * buffers with no ret, ret N, jmp rel32 or nop byte anywhere and int3 only
 * in its two-byte prefixed forms: there the candidates are the 16-byte
 * aligned addresses and those right after an int3. */
static int fresh_prologue_candidate(dw_disasm *d, const uint8_t *code, size_t size, uint64_t a,
                                    uint64_t ip)
{
    size_t off = (size_t)(a - CODE_VA);
    if ((a & 15) != 0 && !(off > 0 && code[off - 1] == 0xcc))
        return 0;
    if (dw_disasm_one(d, code + off, size - off, a) == 0 || d->insn->id == X86_INS_NOP ||
        d->insn->id == X86_INS_INT3)
        return 0;
    dw_frame_rule rule;
    dw_prologue_analyze(d, code + off, size - off, a, a < ip ? ip : CODE_VA + size, &rule);
    return rule.insn_count > 0;
}

/* The back-scan's starts for `ip` as sorted addresses. */
static size_t backscan(dw_disasm *d, const uint8_t *code, size_t size, uint64_t ip, uint64_t *addr)
{
    static dw_func_start starts[MAX_STARTS];
    size_t n = dw_find_function_starts(d, code, size, CODE_VA, ip, 0, starts, MAX_STARTS);
    ck_assert_uint_lt(n, MAX_STARTS);
    for (size_t i = 0; i < n; i++) {
        size_t k = i;
        while (k > 0 && addr[k - 1] > starts[i].address) {
            addr[k] = addr[k - 1];
            k--;
        }
        addr[k] = starts[i].address;
    }
    return n;
}

static int has_start(const uint64_t *addr, size_t n, uint64_t a)
{
    for (size_t i = 0; i < n; i++)
        if (addr[i] == a)
            return 1;
    return 0;
}

/*   +0x00  31 c0 31 c0             xor eax,eax (twice)
 *   +0x04  c3                      ret
 *   +0x05  48 83 ec 20             sub rsp,0x20          <- B (after ret)
 *   +0x09  48 b8 11 22 33 44 55    mov rax, imm64 ...
 *   +0x10  53 66 cc                ... whose last bytes decode, from +0x10
 *                                  (aligned: A0), as push rbx; int3
 *   +0x13  66 cc                   int3
 *   +0x15  55 48 89 e5 48 83 ec 10 push rbp; mov rbp,rsp; sub rsp,0x10  <- A1
 *   +0x1d  89 c8 01 d0             mov eax,ecx; add eax,edx
 *   +0x21                          ip
 * From A0 the decode crosses two int3 in a row: no start.  From B it steps
 * over the first inside the mov and crosses only the second: a start,
 * though A0's failed decode went through that same int3.  A1 follows the
 * pair: a start. */
static const uint8_t int3_pair_code[] = {
    0x31, 0xc0, 0x31, 0xc0, 0xc3, 0x48, 0x83, 0xec, 0x20, 0x48, 0xb8, 0x11, 0x22, 0x33, 0x44,
    0x55, 0x53, 0x66, 0xcc, 0x66, 0xcc, 0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x10, 0x89,
    0xc8, 0x01, 0xd0, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc};

START_TEST(backscan_int3_pair)
{
    dw_disasm d;
    ck_assert_int_eq(dw_disasm_open(&d, 64), DW_OK);
    uint8_t code[sizeof int3_pair_code];
    memcpy(code, int3_pair_code, sizeof code);
    const uint64_t ip = CODE_VA + 0x21, a0 = CODE_VA + 0x10, a1 = CODE_VA + 0x15, b = CODE_VA + 5;
    uint64_t addr[MAX_STARTS];
    size_t n = backscan(&d, code, sizeof code, ip, addr);
    ck_assert(has_start(addr, n, a1));
    ck_assert(has_start(addr, n, b));
    ck_assert(!has_start(addr, n, a0));
    ck_assert(!fresh_decodes_to_ip(&d, code, sizeof code, a0, ip));
    ck_assert(fresh_decodes_to_ip(&d, code, sizeof code, b, ip));

    /* The same bytes with the two int3 made two-byte nops: A0 is a start,
     * so the int3 pair alone rejected it above. */
    code[0x12] = 0x90;
    code[0x14] = 0x90;
    n = backscan(&d, code, sizeof code, ip, addr);
    ck_assert(has_start(addr, n, a0));
    ck_assert(has_start(addr, n, a1));
    ck_assert(has_start(addr, n, b));

    /* int3, push rcx, int3: no pair, so every start before it stands. */
    static const uint8_t apart[] = {0x0f, 0x1f, 0x40, 0x00, 0x0f, 0x1f, 0x40, 0x00, 0x0f,
                                    0x1f, 0x40, 0x00, 0x0f, 0x1f, 0x40, 0x00, 0x53, 0x66,
                                    0xcc, 0x51, 0x66, 0xcc, 0x55, 0x48, 0x89, 0xe5, 0x48,
                                    0x83, 0xec, 0x10, 0x89, 0xc8, 0xcc, 0xcc, 0xcc, 0xcc};
    n = backscan(&d, apart, sizeof apart, CODE_VA + 0x20, addr);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(addr[0], CODE_VA + 0x10);
    ck_assert_uint_eq(addr[1], CODE_VA + 0x13);
    ck_assert_uint_eq(addr[2], CODE_VA + 0x16);
    dw_disasm_close(&d);
}
END_TEST

/* A byte that is none of the boundary markers (int3, ret, ret N, jmp
 * rel32, nop), so that fresh_prologue_candidate stays exact. */
static uint8_t plain_byte(uint64_t *rng)
{
    for (;;) {
        uint8_t b = (uint8_t)dw_test_random(rng);
        if (b != 0xcc && b != 0xc3 && b != 0xc2 && b != 0xe9 && b != 0x90)
            return b;
    }
}

/* One x64 instruction at p, mostly prologue-like, some long; returns its
 * length (at most 10). */
static size_t random_insn(uint8_t *p, uint64_t *rng)
{
    static const uint8_t fixed[][5] = {
        {0x48, 0x89, 0xc8},       /* mov rax,rcx */
        {0x0f, 0x1f, 0x40, 0x00}, /* nop dword [rax] */
        {0x31, 0xc0},             /* xor eax,eax */
        {0x85, 0xc0},             /* test eax,eax */
    };
    static const size_t fixed_len[] = {3, 4, 2, 2};
    uint8_t imm8 = (uint8_t)(8 * (1 + dw_test_below(rng, 15)));
    switch (dw_test_below(rng, 32)) {
    case 0: /* now and then an int3, prefixed: never two 0xcc bytes in a row */
        if (dw_test_below(rng, 3) == 0) {
            p[0] = dw_test_below(rng, 2) ? 0x66 : 0xf3;
            p[1] = 0xcc;
            return 2;
        }
        p[0] = 0x53; /* push rbx */
        return 1;
    case 1:
    case 2:
    case 3:
    case 4:
        p[0] = (uint8_t)(0x50 + dw_test_below(rng, 8)); /* push */
        return 1;
    case 5:
    case 6:
        p[0] = (uint8_t)(0x58 + dw_test_below(rng, 8)); /* pop */
        return 1;
    case 7:
    case 8:
        p[0] = 0x41, p[1] = (uint8_t)(0x54 + dw_test_below(rng, 4)); /* push r12..r15 */
        return 2;
    case 9:
    case 10:
        memcpy(p, (const uint8_t[]){0x48, 0x83, 0xec, imm8}, 4); /* sub rsp,imm8 */
        return 4;
    case 11:
        memcpy(p, (const uint8_t[]){0x48, 0x83, 0xc4, imm8}, 4); /* add rsp,imm8 */
        return 4;
    case 12:
    case 13:
        memcpy(p, (const uint8_t[]){0x48, 0x89, 0x5c, 0x24, imm8}, 5); /* mov [rsp+n],rbx */
        return 5;
    case 14:
        memcpy(p, (const uint8_t[]){0x48, 0x8d, 0x6c, 0x24, imm8}, 5); /* lea rbp,[rsp+n] */
        return 5;
    case 15:
    case 16:
        p[0] = 0xb8; /* mov eax,imm32 */
        for (int i = 1; i < 5; i++)
            p[i] = plain_byte(rng);
        return 5;
    case 17:
    case 18:
        p[0] = 0x48, p[1] = 0xb8; /* mov rax,imm64 */
        for (int i = 2; i < 10; i++)
            p[i] = plain_byte(rng);
        return 10;
    case 19:
        p[0] = 0xe8; /* call rel32 */
        for (int i = 1; i < 5; i++)
            p[i] = plain_byte(rng);
        return 5;
    case 20:
        p[0] = 0x74, p[1] = plain_byte(rng); /* je rel8 */
        return 2;
    default: {
        size_t k = dw_test_below(rng, 4);
        memcpy(p, fixed[k], fixed_len[k]);
        return fixed_len[k];
    }
    }
}

/* Thousands of bytes of such instructions, with one int3 pair in the middle.
 * Every aligned start on the instruction stream shares its decode path,
 * and starts inside instructions decode their own way until they fail or
 * fall in step.  For several IPs, on and off the stream, the back-scan's
 * starts (one decoder reused throughout) must be exactly the candidates
 * that decode to the IP afresh. */
START_TEST(backscan_memo_matches_fresh_decoding)
{
    enum { SIZE = 6000 };
    static uint8_t code[SIZE];
    static size_t insn_at[SIZE];
    uint64_t rng = 0xbac5ca9;
    size_t off = 0, count = 0;
    while (off + 10 <= SIZE) {
        if (count == 900) {
            memcpy(code + off, (const uint8_t[]){0x66, 0xcc, 0xf3, 0xcc}, 4);
            insn_at[count++] = off;
            insn_at[count++] = off + 2;
            off += 4;
            continue;
        }
        insn_at[count++] = off;
        off += random_insn(code + off, &rng);
    }
    while (off < SIZE) {
        insn_at[count++] = off;
        code[off++] = 0x53;
    }
    for (size_t i = 0; i < SIZE; i++) {
        ck_assert(code[i] != 0xc3 && code[i] != 0xc2 && code[i] != 0xe9 && code[i] != 0x90);
        ck_assert(code[i] != 0xcc || (i > 0 && code[i - 1] != 0xcc));
    }

    dw_disasm d, fresh;
    ck_assert_int_eq(dw_disasm_open(&d, 64), DW_OK);
    ck_assert_int_eq(dw_disasm_open(&fresh, 64), DW_OK);
    /* The end, a little before it, the middle, before the int3 pair, on its
     * second int3 (starts before it cross one), right after it, early on,
     * and one address off the instruction stream. */
    const uint64_t ips[] = {
        CODE_VA + insn_at[count - 1], CODE_VA + insn_at[count - 40], CODE_VA + insn_at[1300],
        CODE_VA + insn_at[880],       CODE_VA + insn_at[901],        CODE_VA + insn_at[902],
        CODE_VA + insn_at[120],       CODE_VA + insn_at[1000] + 1,
    };
    static uint64_t got[MAX_STARTS], want[MAX_STARTS];
    size_t accepted = 0, refused = 0;
    for (size_t k = 0; k < sizeof ips / sizeof ips[0]; k++) {
        uint64_t ip = ips[k];
        size_t n = backscan(&d, code, SIZE, ip, got);
        size_t m = 0;
        for (uint64_t a = CODE_VA; a <= ip; a++) {
            if (!fresh_prologue_candidate(&fresh, code, SIZE, a, ip))
                continue;
            if (fresh_decodes_to_ip(&fresh, code, SIZE, a, ip)) {
                ck_assert_uint_lt(m, MAX_STARTS);
                want[m++] = a;
            } else {
                refused++;
            }
        }
        accepted += m;
        size_t i = 0;
        while (i < n && i < m && got[i] == want[i])
            i++;
        ck_assert_msg(i == n && i == m,
                      "ip 0x%llx: %zu starts, %zu decode to it afresh; first difference at "
                      "0x%llx / 0x%llx",
                      (unsigned long long)ip, n, m, (unsigned long long)(i < n ? got[i] : 0),
                      (unsigned long long)(i < m ? want[i] : 0));
    }
    /* Both verdicts came up often. */
    ck_assert_uint_gt(accepted, 100);
    ck_assert_uint_gt(refused, 100);
    dw_disasm_close(&d);
    dw_disasm_close(&fresh);
}
END_TEST

/* Prepared keys write what dw_json_key writes: first and later keys of an
 * object, a key moved between levels (made again), names that cannot be
 * prepared (an escape; too long), both layouts, and past a buffer flush. */
static char *write_with_keys(int pretty, int prepared)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    ck_assert_ptr_nonnull(f);
    char long_name[200];
    memset(long_name, 'k', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    dw_json_prepared_key keys[4] = {DW_JSON_PREPARED_KEY("frame"), DW_JSON_PREPARED_KEY("a\tb"),
                                    DW_JSON_PREPARED_KEY(long_name),
                                    DW_JSON_PREPARED_KEY("nested")};
    dw_json j;
    dw_json_init(&j, f, pretty);
    dw_json_begin_array(&j);
    for (int round = 0; round < 400; round++) { /* > 8 KiB: flushes in between */
        dw_json_begin_object(&j);
        for (int k = 0; k < 4; k++) {
            if (prepared)
                dw_json_key_prepared(&j, &keys[k]);
            else
                dw_json_key(&j, keys[k].name);
            if (k == 3) { /* "frame" one level deeper: made again, then back */
                dw_json_begin_object(&j);
                if (prepared)
                    dw_json_key_prepared(&j, &keys[0]);
                else
                    dw_json_key(&j, keys[0].name);
                dw_json_uint(&j, (uint64_t)round);
                dw_json_end_object(&j);
            } else {
                dw_json_uint(&j, (uint64_t)k);
            }
        }
        dw_json_end_object(&j);
    }
    dw_json_end_array(&j);
    dw_json_finish(&j);
    fclose(f);
    return out;
}

START_TEST(json_prepared_keys_match_plain_keys)
{
    for (int pretty = 0; pretty <= 1; pretty++) {
        char *plain = write_with_keys(pretty, 0);
        char *prepared = write_with_keys(pretty, 1);
        ck_assert_str_eq(prepared, plain);
        ck_assert_ptr_nonnull(strstr(plain, pretty ? "\"a\\tb\": 1" : "\"a\\tb\":1"));
        free(plain);
        free(prepared);
    }
}
END_TEST

Suite *fastpaths_suite(void)
{
    Suite *s = suite_create("fastpaths");
    TCase *json = tcase_create("json");
    tcase_set_timeout(json, 120);
    tcase_add_test(json, json_escapes_every_character);
    tcase_add_test(json, json_long_strings_across_the_buffer);
    tcase_add_test(json, json_many_short_items);
    tcase_add_test(json, json_number_extremes);
    tcase_add_test(json, json_kv_shorthands);
    tcase_add_test(json, json_deep_nesting);
    tcase_add_test(json, json_prepared_keys_match_plain_keys);
    suite_add_tcase(s, json);
    TCase *memory = tcase_create("memory");
    tcase_add_test(memory, memory_copy_counts_what_it_copied);
    tcase_add_test(memory, memory_copy_leaves_the_last_error);
    tcase_add_test(memory, memory_repeat_of_stack_goes_to_memory_list);
    tcase_add_test(memory, memory_repeat_in_three_sources);
    tcase_add_test(memory, memory_partial_overlap_takes_the_sweep);
    tcase_add_test(memory, memory_nested_and_same_base_take_the_sweep);
    tcase_add_test(memory, memory_unsorted_disjoint_ranges);
    suite_add_tcase(s, memory);
    TCase *scan = tcase_create("scan");
    tcase_add_test(scan, scan_strong_after_weak_and_barren_run);
    tcase_add_test(scan, scan_strong_indirect_call_after_barren_run);
    tcase_add_test(scan, scan_weak_when_nothing_is_strong);
    tcase_add_test(scan, scan_second_window_over_remembered_runs);
    tcase_add_test(scan, scan_second_window_past_the_first);
    tcase_add_test(scan, scan_runs_forgotten_between_walks);
    suite_add_tcase(s, scan);
    TCase *backscan_tc = tcase_create("backscan");
    tcase_set_timeout(backscan_tc, 300);
    tcase_add_test(backscan_tc, backscan_int3_pair);
    tcase_add_test(backscan_tc, backscan_memo_matches_fresh_decoding);
    suite_add_tcase(s, backscan_tc);
    return s;
}
