/* Bounded scanning of symbol-file text: whitespace-separated tokens inside a
 * [p, end) window and strict number parsing.  Breakpad's symbol_files.md:
 * "fields are separated by single spaces"; we also accept runs of spaces and
 * tabs, which costs nothing and tolerates hand-edited files. */
#ifndef DW_SYMBOLS_SYMTEXT_H
#define DW_SYMBOLS_SYMTEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct sym_cursor {
    const char *p;
    const char *end;
} sym_cursor;

typedef struct sym_tok {
    const char *s;
    size_t len;
} sym_tok;

static inline int sym_is_space(char c)
{
    return c == ' ' || c == '\t';
}

static inline void sym_skip_space(sym_cursor *c)
{
    while (c->p < c->end && sym_is_space(*c->p))
        c->p++;
}

/* Next token; 0 at the end of the window. */
static inline int sym_next(sym_cursor *c, sym_tok *t)
{
    sym_skip_space(c);
    if (c->p >= c->end)
        return 0;
    t->s = c->p;
    while (c->p < c->end && !sym_is_space(*c->p))
        c->p++;
    t->len = (size_t)(c->p - t->s);
    return 1;
}

static inline int sym_tok_is(sym_tok t, const char *word)
{
    size_t n = strlen(word);
    return t.len == n && memcmp(t.s, word, n) == 0;
}

static inline int sym_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 1..16 hex digits, no prefix (the symbol file convention). */
static inline int sym_parse_hex(sym_tok t, uint64_t *out)
{
    if (t.len == 0 || t.len > 16)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < t.len; i++) {
        int d = sym_hex_digit(t.s[i]);
        if (d < 0)
            return 0;
        v = (v << 4) | (uint64_t)d;
    }
    *out = v;
    return 1;
}

/* 1 + the value of each hex digit, 0 for any other byte: one load and one
 * well-predicted branch per character (digits and letters mix in RVAs). */
static const uint8_t sym_hex_plus_one[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* A record keyword: upper-case letters and '_' (FUNC, STACK, INLINE_ORIGIN,
 * ...), where a line record starts with a hex address. */
static inline int sym_tok_is_keyword(sym_tok t)
{
    for (size_t i = 0; i < t.len; i++) {
        char ch = t.s[i];
        if (!((ch >= 'A' && ch <= 'Z') || ch == '_'))
            return 0;
    }
    return t.len > 0;
}

/* The next token after an optional "m" (multiple symbols share this code),
 * which may stand before the fields of FUNC and PUBLIC records. */
static inline int sym_next_skipping_m(sym_cursor *c, sym_tok *t)
{
    if (!sym_next(c, t))
        return 0;
    if (sym_tok_is(*t, "m"))
        return sym_next(c, t);
    return 1;
}

/* sym_next then sym_parse_hex in one pass over the token, for the records
 * that are mostly hex fields (a STACK WIN line has ten): it accepts and
 * rejects exactly what they do.  On failure the cursor is left somewhere in
 * the token; callers give up on the record. */
static inline int sym_next_hex(sym_cursor *c, uint64_t *out)
{
    sym_skip_space(c);
    const char *start = c->p, *p = start;
    uint64_t v = 0;
    for (; p < c->end; p++) {
        unsigned d = sym_hex_plus_one[(unsigned char)*p] - 1u; /* a non-digit wraps */
        if (d > 15)
            break;
        v = (v << 4) | d;
    }
    size_t len = (size_t)(p - start);
    if (len == 0 || len > 16 || (p < c->end && !sym_is_space(*p)))
        return 0;
    c->p = p;
    *out = v;
    return 1;
}

static inline int sym_parse_hex32(sym_tok t, uint32_t *out)
{
    uint64_t v;
    if (!sym_parse_hex(t, &v) || v > UINT32_MAX)
        return 0;
    *out = (uint32_t)v;
    return 1;
}

/* Unsigned decimal that fits in 32 bits. */
static inline int sym_parse_dec32(sym_tok t, uint32_t *out)
{
    if (t.len == 0 || t.len > 10)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < t.len; i++) {
        if (t.s[i] < '0' || t.s[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(t.s[i] - '0');
    }
    if (v > UINT32_MAX)
        return 0;
    *out = (uint32_t)v;
    return 1;
}

/* The rest of the window after leading blanks (a trailing name field). */
static inline sym_tok sym_rest(sym_cursor *c)
{
    sym_skip_space(c);
    sym_tok t = {c->p, (size_t)(c->end - c->p)};
    c->p = c->end;
    return t;
}

#endif
