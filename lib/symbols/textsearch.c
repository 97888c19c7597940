/* Lookups answered from the mapped text of a sorted symbol file.
 *
 * Breakpad's dump_syms writes MODULE and INFO, then FILE records by number,
 * INLINE_ORIGIN records by number, FUNC records by address each followed by
 * its INLINE and line records, PUBLIC records (sorted among the FUNCs, or as
 * a sorted run after them), and the STACK records last.  In such a file a
 * record is found by searching byte offsets: jump to where the keys read so
 * far put the target (or to the middle), resync to the next line start, read
 * the next record of the wanted kind and compare.  What a search found is
 * remembered (the memo below), so a walk pays once per FUNC it touches.
 *
 * Every scan draws on a byte budget, and every record read is checked against
 * what sortedness implies (its key lies between the keys already seen on
 * either side of it).  Any surprise -- a key out of order, overlapping FUNCs,
 * an unparsable line, a record outside its group, the old INLINE format --
 * makes the caller redo the lookup from the full index, which resolves all of
 * those; the records parsed here follow the index's rules (index.c) exactly,
 * so both paths give the same answers.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/symfile.h"
#include "symbols/symtext.h"

/* Bytes one lookup may read (FUNC bodies of real files stay under 64 KiB),
 * and the one-time planning of a file (locating its groups). */
#define LOOKUP_BUDGET (512u * 1024u)
#define PLAN_BUDGET (2u * 1024u * 1024u)
/* Below this span a bisection reads the remaining lines in order. */
#define SEARCH_WINDOW 512u
/* Evenly spaced spots per group where planning checks the order. */
#define ORDER_SAMPLES 32u
/* Nesting levels of INLINE records a text lookup tracks; deeper ones are
 * left to the index. */
#define TEXT_INLINE_LEVELS 64u
/* The index's cap on fields of one INLINE record (index.c). */
#define INLINE_MAX_FIELDS 1024

/* ---- reading lines within a budget ----------------------------------------- */

typedef struct scan {
    const char *text;
    size_t size;
    size_t budget; /* bytes left to read */
    char *why;
    size_t why_size;
} scan;

__attribute__((format(printf, 2, 3))) static int give_up(scan *s, const char *fmt, ...)
{
    if (s->why && s->why_size && s->why[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->why, s->why_size, fmt, ap);
        va_end(ap);
    }
    return 0;
}

static int spend(scan *s, size_t n)
{
    if (n > s->budget)
        return give_up(s, "a text search would read more than its byte budget");
    s->budget -= n;
    return 1;
}

typedef struct tline {
    size_t off;        /* first byte */
    size_t next;       /* start of the following line (the size at the end) */
    const char *p, *e; /* the content, without its line break */
} tline;

static int read_line(scan *s, size_t off, tline *l)
{
    size_t avail = s->size - off;
    size_t look = avail < s->budget ? avail : s->budget;
    const char *p = s->text + off;
    const char *nl = memchr(p, '\n', look);
    if (!nl && look < avail)
        return give_up(s, "a text search would read more than its byte budget");
    size_t len = nl ? (size_t)(nl - p) : avail;
    if (!spend(s, nl ? len + 1 : len))
        return 0;
    l->off = off;
    l->next = nl ? off + len + 1 : s->size;
    l->p = p;
    l->e = p + len;
    /* CRLF files: the '\r' belongs to the line break (as in index.c). */
    if (l->e > l->p && l->e[-1] == '\r')
        l->e--;
    return 1;
}

/* The first line start at or after pos. */
static int resync(scan *s, size_t pos, size_t *out)
{
    if (pos == 0 || pos >= s->size) {
        *out = pos < s->size ? pos : s->size;
        return 1;
    }
    tline l;
    if (!read_line(s, pos - 1, &l)) /* pos-1 may be the '\n' ending a line */
        return 0;
    *out = l.next;
    return 1;
}

/* The start of the line before the line starting at off (> floor, a line
 * start). */
static int prev_line(scan *s, size_t floor, size_t off, size_t *out)
{
    size_t span = off - 1 - floor; /* bytes before the '\n' ending that line */
    size_t look = span < s->budget ? span : s->budget;
    const char *nl = memrchr(s->text + off - 1 - look, '\n', look);
    if (!nl && look < span)
        return give_up(s, "a text search would read more than its byte budget");
    size_t start = nl ? (size_t)(nl - s->text) + 1 : floor;
    if (!spend(s, off - start))
        return 0;
    *out = start;
    return 1;
}

/* ---- what a line is -------------------------------------------------------- */

enum kind {
    K_BLANK,
    K_IGNORED, /* an upper-case record kind the index skips */
    K_MODULE,  /* MODULE, INFO */
    K_FILE,
    K_ORIGIN,
    K_FUNC,
    K_PUBLIC,
    K_LINE,
    K_INLINE,
    K_STACK,
    K_BAD, /* the index counts it as corrupt */
};

#define BIT(k) (1u << (k))
#define TRANSPARENT (BIT(K_BLANK) | BIT(K_IGNORED))

static int is_hex_word(sym_tok t)
{
    for (size_t i = 0; i < t.len; i++)
        if (sym_hex_digit(t.s[i]) < 0)
            return 0;
    return t.len > 0 && t.len <= 16;
}

/* The kind of a line, decided the way index.c's parse_record dispatches;
 * `rest` is left after the first token. */
static enum kind classify(const tline *l, sym_cursor *rest, sym_tok *first)
{
    static const struct {
        const char *word;
        enum kind kind;
    } words[] = {
        {"FUNC", K_FUNC},     {"FILE", K_FILE},   {"INLINE_ORIGIN", K_ORIGIN}, {"INLINE", K_INLINE},
        {"PUBLIC", K_PUBLIC}, {"STACK", K_STACK}, {"MODULE", K_MODULE},        {"INFO", K_MODULE},
    };
    *rest = (sym_cursor){l->p, l->e};
    if (!sym_next(rest, first))
        return K_BLANK;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (sym_tok_is(*first, words[i].word))
            return words[i].kind;
    if (sym_tok_is_keyword(*first))
        return K_IGNORED;
    return is_hex_word(*first) ? K_LINE : K_BAD;
}

/* The group a kind belongs to; -1 for lines that belong anywhere. */
static int group_of(enum kind k)
{
    switch (k) {
    case K_MODULE:
        return SYM_SEC_HEADER;
    case K_FILE:
        return SYM_SEC_FILE;
    case K_ORIGIN:
        return SYM_SEC_ORIGIN;
    case K_FUNC:
    case K_PUBLIC:
    case K_LINE:
    case K_INLINE:
        return SYM_SEC_CODE;
    case K_STACK:
        return SYM_SEC_STACK;
    default:
        return -1;
    }
}

static const char *kind_name(enum kind k)
{
    static const char *const names[] = {"blank",         "ignored", "MODULE/INFO", "FILE",
                                        "INLINE_ORIGIN", "FUNC",    "PUBLIC",      "line",
                                        "INLINE",        "STACK",   "corrupt"};
    return names[k];
}

/* ---- records and groups ---------------------------------------------------- */

typedef struct rec {
    enum kind kind;
    size_t off, next; /* the line */
    uint64_t key;     /* FILE / INLINE_ORIGIN number, FUNC / PUBLIC / line address */
    uint64_t size;    /* FUNC, line record */
    uint32_t param;
    uint32_t line, file; /* line record */
    sym_tok name;
} rec;

/* A stretch of one group: `keyed` kinds carry the sort key, `passed` kinds
 * are stepped over (FUNC bodies, blank lines); anything else is a surprise. */
typedef struct group {
    size_t lo, hi; /* line starts */
    unsigned keyed, passed;
    uint64_t key_lo, key_hi; /* about the keys at lo and hi, when `aimed` */
    int aimed;
} group;

/* FUNC [m] address size parameter_size name -- as index.c's parse_func. */
static int parse_func(sym_cursor *c, rec *r)
{
    sym_tok t;
    if (!sym_next_skipping_m(c, &t) || !sym_parse_hex(t, &r->key))
        return 0;
    if (!sym_next(c, &t) || !sym_parse_hex(t, &r->size) || r->key + r->size < r->key)
        return 0;
    if (!sym_next(c, &t) || !sym_parse_hex32(t, &r->param))
        return 0;
    r->name = sym_rest(c);
    return 1;
}

/* PUBLIC [m] address parameter_size name */
static int parse_public(sym_cursor *c, rec *r)
{
    sym_tok t;
    if (!sym_next_skipping_m(c, &t) || !sym_parse_hex(t, &r->key))
        return 0;
    if (!sym_next(c, &t) || !sym_parse_hex32(t, &r->param))
        return 0;
    r->name = sym_rest(c);
    return 1;
}

/* FILE number name / INLINE_ORIGIN number name */
static int parse_named(sym_cursor *c, rec *r)
{
    sym_tok t;
    uint32_t number;
    if (!sym_next(c, &t) || !sym_parse_dec32(t, &number))
        return 0;
    r->key = number;
    r->name = sym_rest(c);
    return 1;
}

/* address size line filenum -- as index.c's parse_line_record. */
static int parse_line_rec(sym_cursor *c, sym_tok first, rec *r)
{
    sym_tok t;
    uint32_t size;
    if (!sym_parse_hex(first, &r->key) || !sym_next(c, &t) || !sym_parse_hex32(t, &size) ||
        r->key + size < r->key || !sym_next(c, &t) || !sym_parse_dec32(t, &r->line) ||
        !sym_next(c, &t) || !sym_parse_dec32(t, &r->file) || sym_next(c, &t))
        return 0;
    r->size = size;
    return 1;
}

/* Lines stepped over inside FUNC bodies are told apart by their first bytes:
 * dump_syms starts line records with a lower-case hex digit and never
 * indents.  A lower-case line that is not a valid line record is one the
 * index ignores as corrupt, so stepping over it changes no answer (the body
 * of the FUNC found is parsed in full). */
static enum kind quick_kind(const tline *l)
{
    char c = l->p < l->e ? l->p[0] : ' ';
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))
        return K_LINE;
    if (l->e - l->p > 7 && memcmp(l->p, "INLINE ", 7) == 0)
        return K_INLINE;
    return K_BAD; /* not decided: classify */
}

/* Read the line at off as a record of g: 1 keyed (parsed into r), 0 passed
 * over, -1 a surprise. */
static int read_record(scan *s, const group *g, size_t off, rec *r)
{
    tline l;
    if (!read_line(s, off, &l))
        return -1;
    r->off = l.off;
    r->next = l.next;
    if ((g->passed & BIT(K_LINE)) && (g->passed & BIT(K_INLINE))) {
        r->kind = quick_kind(&l);
        if (r->kind != K_BAD)
            return 0;
    }
    sym_cursor c;
    sym_tok first;
    enum kind k = classify(&l, &c, &first);
    r->kind = k;
    if (g->passed & BIT(k))
        return 0;
    if (!(g->keyed & BIT(k)))
        return give_up(s, "%s line among other records near byte %zu", kind_name(k), off) - 1;
    int ok = k == K_FUNC     ? parse_func(&c, r)
             : k == K_PUBLIC ? parse_public(&c, r)
             : k == K_LINE   ? parse_line_rec(&c, first, r)
                             : parse_named(&c, r);
    if (!ok)
        return give_up(s, "unparsable %s record near byte %zu", kind_name(k), off) - 1;
    return 1;
}

/* The first line in [from, limit) that quick_kind cannot pass over as part of
 * a FUNC body (the limit when none): one tight loop, charged at the end. */
static int skip_body_lines(scan *s, size_t from, size_t limit, size_t *out)
{
    size_t stop = limit - from > s->budget ? from + s->budget : limit;
    size_t off = from;
    while (off < stop) {
        const char *p = s->text + off;
        char c = *p;
        int body = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                   (stop - off > 7 && memcmp(p, "INLINE ", 7) == 0);
        if (!body)
            break;
        const char *nl = memchr(p, '\n', stop - off);
        off = nl ? (size_t)(nl - s->text) + 1 : stop;
    }
    if (off == stop && stop < limit)
        return give_up(s, "a text search would read more than its byte budget");
    *out = off;
    return spend(s, off - from);
}

/* The first keyed record of g in [from, limit): 1 found, 0 none, -1 failure. */
static int next_keyed(scan *s, const group *g, size_t from, size_t limit, rec *r)
{
    int in_code = (g->passed & BIT(K_LINE)) && (g->passed & BIT(K_INLINE));
    for (size_t off = from; off < limit;) {
        if (in_code) {
            if (!skip_body_lines(s, off, limit, &off))
                return -1;
            if (off >= limit)
                return 0;
        }
        int k = read_record(s, g, off, r);
        if (k != 0)
            return k;
        off = r->next;
    }
    return 0;
}

/* The keyed record of g before the line at off: 1 found, 0 none, -1 failure. */
static int prev_keyed(scan *s, const group *g, size_t off, rec *r)
{
    while (off > g->lo) {
        size_t start = g->lo;
        if (!prev_line(s, g->lo, off, &start))
            return -1;
        int k = read_record(s, g, start, r);
        if (k != 0)
            return k;
        off = start;
    }
    return 0;
}

/* The last record of g with key <= target (le) and the keyed record right
 * after it (gt, whose key is > target); either may be absent. */
typedef struct found {
    int have_le, have_gt;
    rec le, gt;
} found;

/* Sortedness: a record read between two known ones has a key between theirs. */
static int in_order(scan *s, const found *f, const rec *r)
{
    if ((f->have_le && r->key < f->le.key) || (f->have_gt && r->key > f->gt.key))
        return give_up(s, "%s records out of order near byte %zu", kind_name(r->kind), r->off);
    return 1;
}

/* Where to read next in [lo, hi) for target.  Keys grow about evenly with
 * the bytes of a group (numbered FILE / INLINE_ORIGIN lines are alike, and a
 * FUNC's body grows with its code), so while the keys at both ends are known
 * the probe goes where target should lie -- alternately a little before and
 * after it, so that a pair of probes brackets it -- and a window of thousands
 * of records closes in a few reads.  A pair that did not halve the window is
 * followed by a plain bisection, which keeps the worst case logarithmic. */
typedef struct aim {
    uint64_t key_lo, key_hi; /* keys at lo and hi (estimates until read) */
    int known, bisect;
    int second;         /* the next aimed probe closes a pair (goes after target) */
    size_t pair_window; /* the window before the pair's first probe */
} aim;

static int aiming(const aim *a, uint64_t target)
{
    return !a->bisect && a->known && target >= a->key_lo && target < a->key_hi;
}

static size_t probe_position(aim *a, size_t lo, size_t hi, uint64_t target)
{
    if (!aiming(a, target))
        return lo + (hi - lo) / 2;
    double frac = (double)(target - a->key_lo) / (double)(a->key_hi - a->key_lo);
    size_t at = lo + (size_t)(frac * (double)(hi - lo));
    size_t margin = SEARCH_WINDOW / 4 + (hi - lo) / 32;
    if (a->second)
        return at < hi - margin ? at + margin : hi - 1;
    return at > lo + margin ? at - margin : lo;
}

/* After a probe: bisect next when an aimed pair left more than half its
 * window; aim again after a bisection. */
static void after_probe(aim *a, int aimed, size_t window_before, size_t window_after)
{
    if (!aimed) {
        a->bisect = 0;
        a->second = 0;
        return;
    }
    if (!a->second)
        a->pair_window = window_before;
    else
        a->bisect = window_after > a->pair_window / 2;
    a->second = !a->second;
}

static int search(scan *s, const group *g, uint64_t target, found *f)
{
    size_t lo = g->lo, hi = g->hi; /* keyed records before lo are <= target, from hi on > */
    aim a = {.key_lo = g->key_lo, .key_hi = g->key_hi, .known = g->aimed};
    f->have_le = f->have_gt = 0;
    while (hi - lo > SEARCH_WINDOW) {
        size_t start, window = hi - lo;
        int aimed = aiming(&a, target);
        rec r;
        if (!resync(s, probe_position(&a, lo, hi, target), &start))
            return 0;
        if (start >= hi && !aimed)
            break;
        int k = start >= hi ? 0 : next_keyed(s, g, start, hi, &r);
        if (k < 0 || (k > 0 && !in_order(s, f, &r)))
            return 0;
        if (k == 0 && start < hi) {
            hi = start; /* nothing keyed in [start, hi) */
        } else if (k > 0 && r.key <= target) {
            f->le = r;
            f->have_le = 1;
            lo = r.next;
            a.key_lo = r.key;
        } else if (k > 0) {
            f->gt = r;
            f->have_gt = 1;
            hi = start; /* [start, r.off) holds nothing keyed: a FUNC body not to read again */
            a.key_hi = r.key;
        }
        a.known = a.known || (f->have_le && f->have_gt);
        after_probe(&a, aimed, window, hi - lo);
    }
    for (size_t off = lo;;) {
        rec r;
        int k = next_keyed(s, g, off, hi, &r);
        if (k < 0 || (k > 0 && !in_order(s, f, &r)))
            return 0;
        if (k == 0)
            return 1;
        if (r.key > target) {
            f->gt = r;
            f->have_gt = 1;
            return 1;
        }
        f->le = r;
        f->have_le = 1;
        off = r.next;
    }
}

/* ---- planning: where the groups are ---------------------------------------- */

/* The first line at or after lo (< hi) whose group is >= want, or hi.  Lines
 * of no group are passed over; a corrupt one stops the plan. */
static int first_line_of_group(scan *s, size_t lo, size_t hi, int want, size_t *out)
{
    size_t answer = hi;
    for (;;) {
        size_t start = lo;
        if (hi - lo > SEARCH_WINDOW && !resync(s, lo + (hi - lo) / 2, &start))
            return 0;
        int linear = hi - lo <= SEARCH_WINDOW || start >= hi;
        if (linear)
            start = lo;
        size_t off = start;
        int grp = -1;
        tline l = {0};
        while (off < hi && grp < 0) {
            sym_cursor c;
            sym_tok first;
            if (!read_line(s, off, &l))
                return 0;
            enum kind k = classify(&l, &c, &first);
            if (k == K_BAD)
                return give_up(s, "corrupt line near byte %zu", off);
            grp = group_of(k);
            if (grp < 0)
                off = l.next;
        }
        if (linear && grp >= want)
            answer = off;
        if (linear && (grp >= want || off >= hi)) {
            *out = answer;
            return 1;
        }
        if (grp < 0 || grp >= want) {
            if (grp >= want)
                answer = off; /* lines in [start, off) belong to no group */
            hi = start;
        } else {
            lo = l.next;
        }
    }
}

/* The start of the run of PUBLIC lines ending the code group (its end when
 * the group ends otherwise). */
static int trailing_public_run(scan *s, const sym_plan *p, size_t *out)
{
    size_t lo = p->sec[SYM_SEC_CODE], off = p->sec[SYM_SEC_STACK], run = off;
    while (off > lo) {
        size_t start = lo;
        tline l;
        sym_cursor c;
        sym_tok first;
        if (!prev_line(s, lo, off, &start) || !read_line(s, start, &l))
            return 0;
        enum kind k = classify(&l, &c, &first);
        if (k == K_PUBLIC)
            run = start;
        else if (!(TRANSPARENT & BIT(k)))
            break;
        off = start;
    }
    *out = run;
    return 1;
}

/* Aim a group's searches by the keys planning found at its ends. */
static group aimed(group g, const sym_key_range *keys)
{
    if (keys->known && keys->last < UINT64_MAX) {
        g.key_lo = keys->first;
        g.key_hi = keys->last + 1;
        g.aimed = 1;
    }
    return g;
}

static group code_group(const sym_plan *p)
{
    group g = {.lo = p->sec[SYM_SEC_CODE],
               .hi = p->split ? p->pub_run : p->sec[SYM_SEC_STACK],
               .keyed = BIT(K_FUNC) | BIT(K_PUBLIC),
               .passed = TRANSPARENT | BIT(K_LINE) | BIT(K_INLINE)};
    if (p->publics_indexed) {
        /* From pub_run on there are only PUBLIC lines (trailing_public_run). */
        g.hi = p->pub_run;
        g.keyed = BIT(K_FUNC);
        g.passed |= BIT(K_PUBLIC);
    }
    return aimed(g, &p->keys[SYM_RUN_CODE]);
}

static group public_run_group(const sym_plan *p)
{
    group g = {.lo = p->pub_run,
               .hi = p->sec[SYM_SEC_STACK],
               .keyed = BIT(K_PUBLIC),
               .passed = TRANSPARENT};
    return aimed(g, &p->keys[SYM_RUN_PUBLIC]);
}

static group named_group(const sym_plan *p, int sec)
{
    int file = sec == SYM_SEC_FILE;
    group g = {.lo = p->sec[sec],
               .hi = p->sec[sec + 1],
               .keyed = BIT(file ? K_FILE : K_ORIGIN),
               .passed = TRANSPARENT};
    return aimed(g, &p->keys[file ? SYM_RUN_FILE : SYM_RUN_ORIGIN]);
}

/* With PUBLICs after the FUNCs, the two runs are one sorted run when the
 * last FUNC does not lie above the first PUBLIC of the trailing run. */
static int decide_split(scan *s, sym_plan *p)
{
    p->split = 0;
    if (p->pub_run == p->sec[SYM_SEC_STACK])
        return 1;
    group all = {.lo = p->sec[SYM_SEC_CODE],
                 .hi = p->sec[SYM_SEC_STACK],
                 .keyed = BIT(K_FUNC) | BIT(K_PUBLIC),
                 .passed = TRANSPARENT | BIT(K_LINE) | BIT(K_INLINE)};
    rec last_func, first_public;
    int k = prev_keyed(s, &all, p->pub_run, &last_func);
    if (k < 0 || next_keyed(s, &all, p->pub_run, all.hi, &first_public) < 0)
        return 0;
    p->split = k == 0 || last_func.key > first_public.key;
    return 1;
}

/* Spot checks of the order at evenly spaced places: a file written in some
 * other order (a PDB's public symbols, say) shows it at once.  The keys of
 * the group's first and last records go to `keys`. */
static int sample_order(scan *s, const group *g, sym_key_range *keys)
{
    int have = 0;
    uint64_t last = 0;
    for (size_t i = 0; i < ORDER_SAMPLES && g->hi > g->lo; i++) {
        size_t start;
        rec a, b;
        if (!resync(s, g->lo + (g->hi - g->lo) / ORDER_SAMPLES * i, &start))
            return 0;
        if (start < g->lo)
            start = g->lo;
        int k = next_keyed(s, g, start, g->hi, &a);
        if (k <= 0)
            return k == 0;
        if (have && a.key < last)
            return give_up(s, "%s records out of order near byte %zu", kind_name(a.kind), a.off);
        k = next_keyed(s, g, a.next, g->hi, &b);
        if (k < 0)
            return 0;
        if (k > 0 && b.key < a.key)
            return give_up(s, "%s records out of order near byte %zu", kind_name(b.kind), b.off);
        last = a.key; /* the next spot's first record may be this b, or even a */
        if (!have)
            keys->first = a.key;
        have = 1;
    }
    /* ... and the group's last record, where an appended stray would sit. */
    rec end;
    int k = g->hi > g->lo ? prev_keyed(s, g, g->hi, &end) : 0;
    if (k > 0 && have && end.key < last)
        return give_up(s, "%s records out of order near byte %zu", kind_name(end.kind), end.off);
    keys->known = k > 0 && have;
    if (keys->known)
        keys->last = end.key;
    return k >= 0;
}

/* The code group, and the trailing PUBLIC run when it is sorted apart.  When
 * they are not in order the FUNCs alone may be: a PDB lists its public
 * symbols in its own order, and a kernel32.sym is nothing else.  Then the
 * FUNCs are still searched in the text, and the PUBLICs looked up in an
 * index of their own, built when a lookup first needs one. */
static int sample_code(scan *s, sym_plan *plan)
{
    group code = code_group(plan), run = public_run_group(plan);
    if (sample_order(s, &code, &plan->keys[SYM_RUN_CODE]) &&
        (!plan->split || sample_order(s, &run, &plan->keys[SYM_RUN_PUBLIC])))
        return 1;
    if (s->why && s->why_size)
        s->why[0] = '\0'; /* the reason to report is the one the FUNCs give */
    plan->publics_indexed = 1;
    plan->split = 0;
    memset(&plan->keys[SYM_RUN_CODE], 0, sizeof plan->keys[SYM_RUN_CODE]);
    memset(&plan->keys[SYM_RUN_PUBLIC], 0, sizeof plan->keys[SYM_RUN_PUBLIC]);
    group funcs = code_group(plan);
    return sample_order(s, &funcs, &plan->keys[SYM_RUN_CODE]);
}

int dw_sym_plan_text(const char *text, size_t size, sym_plan *plan, char *why, size_t why_size)
{
    scan s = {text, size, PLAN_BUDGET, why, why_size};
    if (why && why_size)
        why[0] = '\0';
    tline module; /* the first line was checked to be MODULE when opened */
    if (!read_line(&s, 0, &module))
        return 0;
    plan->sec[SYM_SEC_HEADER] = 0;
    plan->sec[SYM_SEC_COUNT] = size;
    memset(plan->keys, 0, sizeof plan->keys);
    size_t from = module.next;
    for (int g = SYM_SEC_FILE; g < SYM_SEC_COUNT; g++) {
        if (!first_line_of_group(&s, from, size, g, &plan->sec[g]))
            return 0;
        from = plan->sec[g];
    }
    if (!trailing_public_run(&s, plan, &plan->pub_run) || !decide_split(&s, plan))
        return 0;
    plan->publics_indexed = 0;
    group names[2] = {named_group(plan, SYM_SEC_FILE), named_group(plan, SYM_SEC_ORIGIN)};
    for (int i = SYM_RUN_FILE; i <= SYM_RUN_ORIGIN; i++)
        if (!sample_order(&s, &names[i], &plan->keys[i]))
            return 0;
    return sample_code(&s, plan);
}

/* ---- remembered searches ------------------------------------------------------ */

/* Stack walks ask about the same few addresses again and again (each thread's
 * frames, return addresses and their neighbours), and the searches of the
 * code group and of the FILE / INLINE_ORIGIN names are most of what a lookup
 * reads.  In a sorted group a search that found records le and gt around its
 * target finds the same two for every address in [le, gt), so the FUNC /
 * PUBLIC it settled on is remembered for that interval; names are remembered
 * by number.  The FUNC's body is still read on every lookup. */
#define MEMO_SLOTS 64
#define NAME_SLOTS 256 /* per table, direct-mapped by number */

/* What the code group holds around an address: the FUNC at or below it (its
 * body ends at body_end) and the latest PUBLIC after that FUNC. */
typedef struct code_hit {
    int have_func, have_public;
    rec func, pub;
    size_t body_end;
} code_hit;

typedef struct memo_entry {
    uint64_t first, last; /* the addresses it answers, inclusive */
    code_hit hit;
} memo_entry;

typedef struct name_entry {
    int used;
    uint32_t number;
    dw_symstr name; /* empty: no record numbered so */
} name_entry;

struct sym_text_memo {
    pthread_mutex_t lock;
    size_t used, next; /* slots filled; the one to replace next */
    memo_entry slot[MEMO_SLOTS];
    name_entry names[2][NAME_SLOTS]; /* [0] FILE, [1] INLINE_ORIGIN */
};

sym_text_memo *dw_sym_text_memo_new(void)
{
    sym_text_memo *m = calloc(1, sizeof *m);
    if (m && pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

void dw_sym_text_memo_free(sym_text_memo *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static int memo_find(sym_text_memo *m, uint64_t rva, code_hit *out)
{
    if (!m)
        return 0;
    int hit = 0;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->used && !hit; i++) {
        if (rva >= m->slot[i].first && rva <= m->slot[i].last) {
            *out = m->slot[i].hit;
            hit = 1;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return hit;
}

static void memo_add(sym_text_memo *m, const found *f, const code_hit *c)
{
    if (!m)
        return;
    memo_entry e = {f->have_le ? f->le.key : 0, f->have_gt ? f->gt.key - 1 : UINT64_MAX, *c};
    pthread_mutex_lock(&m->lock);
    m->slot[m->next] = e;
    m->next = (m->next + 1) % MEMO_SLOTS;
    if (m->used < MEMO_SLOTS)
        m->used++;
    pthread_mutex_unlock(&m->lock);
}

static int memo_find_name(sym_text_memo *m, int sec, uint32_t number, dw_symstr *out)
{
    if (!m)
        return 0;
    const name_entry *e = &m->names[sec == SYM_SEC_ORIGIN][number % NAME_SLOTS];
    pthread_mutex_lock(&m->lock);
    int hit = e->used && e->number == number;
    if (hit)
        *out = e->name;
    pthread_mutex_unlock(&m->lock);
    return hit;
}

static void memo_add_name(sym_text_memo *m, int sec, uint32_t number, dw_symstr name)
{
    if (!m)
        return;
    name_entry *e = &m->names[sec == SYM_SEC_ORIGIN][number % NAME_SLOTS];
    pthread_mutex_lock(&m->lock);
    *e = (name_entry){1, number, name};
    pthread_mutex_unlock(&m->lock);
}

/* ---- lookups ------------------------------------------------------------------ */

static dw_symstr str_of(sym_tok t)
{
    dw_symstr r = {t.len ? t.s : NULL, t.len};
    return r;
}

/* Name of FILE / INLINE_ORIGIN `number`: the first record numbered so, as
 * the index's dw_sym_named_lookup finds it.  0 on a surprise. */
static int search_name(scan *s, const sym_plan *p, int sec, uint32_t number, dw_symstr *out)
{
    group g = named_group(p, sec);
    rec r;
    int have;
    out->ptr = NULL;
    out->len = 0;
    if (number == 0) {
        have = next_keyed(s, &g, g.lo, g.hi, &r);
        if (have < 0)
            return 0;
    } else {
        found f;
        if (!search(s, &g, number - 1u, &f))
            return 0;
        have = f.have_gt;
        r = f.gt;
    }
    if (have && r.key == number)
        *out = str_of(r.name);
    return 1;
}

static int named(scan *s, const dw_symfile *sf, int sec, uint32_t number, dw_symstr *out)
{
    if (memo_find_name(sf->memo, sec, number, out))
        return 1;
    if (!search_name(s, &sf->plan, sec, number, out))
        return 0;
    memo_add_name(sf->memo, sec, number, *out);
    return 1;
}

/* What a FUNC body holds at rva. */
typedef struct inline_pick {
    int have;
    uint64_t addr, size;
    uint32_t call_line, call_file, origin;
} inline_pick;

typedef struct body_hit {
    int have_line;
    uint64_t line_addr;
    uint32_t line_size, line, file;
    inline_pick level[TEXT_INLINE_LEVELS];
} body_hit;

/* INLINE nest_level call_site_line call_site_file_num origin_num [address size]+
 * (as index.c's parse_inline).  Per level the index takes the last range, in
 * (address, file order), starting at or below rva. */
static int body_inline(scan *s, sym_cursor *c, size_t off, uint64_t rva, body_hit *h)
{
    sym_cursor count = *c;
    sym_tok t, z;
    size_t n = 0;
    while (n <= INLINE_MAX_FIELDS && sym_next(&count, &t))
        n++;
    if (n > INLINE_MAX_FIELDS || n < 5)
        return give_up(s, "unparsable INLINE record near byte %zu", off);
    if (n % 2 == 1) /* the old format changes how every INLINE_ORIGIN reads */
        return give_up(s, "INLINE records in the old format near byte %zu", off);
    uint32_t level, call_line, call_file, origin;
    if (!sym_next(c, &t) || !sym_parse_dec32(t, &level) || !sym_next(c, &t) ||
        !sym_parse_dec32(t, &call_line) || !sym_next(c, &t) || !sym_parse_dec32(t, &call_file) ||
        !sym_next(c, &t) || !sym_parse_dec32(t, &origin))
        return give_up(s, "unparsable INLINE record near byte %zu", off);
    sym_cursor ranges = *c;
    while (sym_next(&ranges, &t)) {
        uint64_t addr, size;
        if (!sym_parse_hex(t, &addr) || !sym_next(&ranges, &z) || !sym_parse_hex(z, &size) ||
            addr + size < addr)
            return give_up(s, "unparsable INLINE record near byte %zu", off);
    }
    while (sym_next(c, &t) && sym_next(c, &z)) {
        uint64_t addr = 0, size = 0;
        sym_parse_hex(t, &addr); /* validated above */
        sym_parse_hex(z, &size);
        if (addr > rva)
            continue;
        if (level >= TEXT_INLINE_LEVELS)
            return give_up(s, "INLINE nesting deeper than %u near byte %zu", TEXT_INLINE_LEVELS,
                           off);
        inline_pick *pick = &h->level[level];
        if (!pick->have || addr >= pick->addr)
            *pick = (inline_pick){1, addr, size, call_line, call_file, origin};
    }
    return 1;
}

/* The line record covering rva, among the line records of a body that start
 * at `from`: the index sorts a FUNC's lines by (address, size, line) and
 * takes the last one starting at or below rva. */
static int body_lines(scan *s, const rec *func, size_t from, size_t to, unsigned passed,
                      uint64_t rva, body_hit *h)
{
    /* A body's line records cover its FUNC's addresses in order. */
    group lines = {.lo = from,
                   .hi = to,
                   .keyed = BIT(K_LINE),
                   .passed = passed,
                   .key_lo = func->key,
                   .key_hi = func->key + func->size,
                   .aimed = func->size > 0 && func->key + func->size > func->key};
    found f;
    if (!search(s, &lines, rva, &f))
        return 0;
    if (!f.have_le)
        return 1;
    rec best = f.le, r = f.le;
    int k;
    while ((k = prev_keyed(s, &lines, r.off, &r)) > 0 && r.key == best.key) {
        if (r.size > best.size || (r.size == best.size && r.line > best.line))
            best = r;
    }
    if (k < 0)
        return 0;
    h->have_line = 1;
    h->line_addr = best.key;
    h->line_size = (uint32_t)best.size;
    h->line = best.line;
    h->file = best.file;
    return 1;
}

/* The index gives a line or INLINE record to the last FUNC above it even
 * across PUBLIC lines; a text search would not see those, so the PUBLIC
 * lines right after a body must be followed by a FUNC (or the group end). */
static int publics_close_body(scan *s, size_t from, size_t group_end)
{
    for (size_t off = from; off < group_end;) {
        tline l;
        sym_cursor c;
        sym_tok first;
        if (!read_line(s, off, &l))
            return 0;
        enum kind k = classify(&l, &c, &first);
        if (k == K_FUNC || k == K_STACK)
            return 1;
        if (k != K_PUBLIC && !(TRANSPARENT & BIT(k)))
            return give_up(s, "%s record after a PUBLIC record near byte %zu", kind_name(k), off);
        off = l.next;
    }
    return 1;
}

/* Read the body of a FUNC, [from, to): dump_syms writes its INLINE records
 * first (read in full: they nest, so none can be skipped), then its line
 * records sorted by address (bisected).  With the PUBLICs indexed apart,
 * `to` is the next FUNC and PUBLIC lines before it are stepped over: the
 * index too gives the records after them to the FUNC above. */
static int scan_body(scan *s, const rec *func, size_t to, size_t group_end, int publics_inside,
                     uint64_t rva, body_hit *h)
{
    unsigned passed = TRANSPARENT | (publics_inside ? BIT(K_PUBLIC) : 0);
    size_t off = func->next;
    while (off < to) {
        tline l = {0}; /* read_line fills it; gcc cannot always see that */
        sym_cursor c;
        sym_tok first;
        if (!read_line(s, off, &l))
            return 0;
        enum kind k = classify(&l, &c, &first);
        if (k == K_INLINE) {
            if (!body_inline(s, &c, off, rva, h))
                return 0;
        } else if (!(passed & BIT(k))) {
            break;
        }
        off = l.next;
    }
    if (off < to && !body_lines(s, func, off, to, passed, rva, h))
        return 0;
    return to >= group_end || publics_inside || publics_close_body(s, to, group_end);
}

static int fill_line(scan *s, const dw_symfile *sf, const body_hit *h, uint64_t rva,
                     dw_sym_lookup *out)
{
    if (!h->have_line || rva - h->line_addr >= h->line_size)
        return 1;
    out->has_line = 1;
    out->line = h->line;
    out->line_start = h->line_addr;
    out->line_size = h->line_size;
    return named(s, sf, SYM_SEC_FILE, h->file, &out->file);
}

/* Levels 0, 1, ... while a range covers rva, deepest DW_SYM_MAX_INLINE
 * reported innermost first (as lookup.c's lookup_inlines). */
static int fill_inlines(scan *s, const dw_symfile *sf, const body_hit *h, uint64_t rva,
                        dw_sym_lookup *out)
{
    unsigned depth = 0;
    while (depth < TEXT_INLINE_LEVELS && h->level[depth].have &&
           rva - h->level[depth].addr < h->level[depth].size)
        depth++;
    if (depth == TEXT_INLINE_LEVELS)
        return give_up(s, "INLINE nesting deeper than %u", TEXT_INLINE_LEVELS);
    unsigned keep = depth < DW_SYM_MAX_INLINE ? depth : DW_SYM_MAX_INLINE;
    out->inlines_truncated = depth > DW_SYM_MAX_INLINE;
    out->inline_count = keep;
    for (unsigned i = 0; i < keep; i++) {
        const inline_pick *r = &h->level[depth - 1 - i];
        dw_sym_inline *o = &out->inlines[i];
        if (!named(s, sf, SYM_SEC_ORIGIN, r->origin, &o->name))
            return 0;
        o->call_file = (dw_symstr){NULL, 0};
        if (r->call_file != DW_SYM_NO_FILE &&
            !named(s, sf, SYM_SEC_FILE, r->call_file, &o->call_file))
            return 0;
        o->call_line = r->call_line;
        o->nest_level = depth - 1 - i;
        o->range_start = r->addr;
        o->range_size = r->size;
    }
    return 1;
}

/* The FUNC at or below the last header found, walking back over PUBLICs
 * (remembering the latest of them) -- the PUBLICs sit among the FUNCs. */
static int func_at_or_below(scan *s, const group *g, const found *f, code_hit *c)
{
    c->have_func = c->have_public = 0;
    if (!f->have_le)
        return 1;
    rec cur = f->le;
    size_t after = f->have_gt ? f->gt.off : g->hi;
    while (cur.kind == K_PUBLIC) {
        if (!c->have_public) {
            c->pub = cur;
            c->have_public = 1;
        }
        rec prev;
        int k = prev_keyed(s, g, cur.off, &prev);
        if (k < 0)
            return 0;
        if (k == 0)
            return 1;
        if (prev.key > cur.key)
            return give_up(s, "%s records out of order near byte %zu", kind_name(cur.kind),
                           cur.off);
        after = cur.off;
        cur = prev;
    }
    c->func = cur;
    c->have_func = 1;
    c->body_end = after;
    return 1;
}

/* The index drops a FUNC overlapping an earlier one (drop_overlapping_funcs);
 * a text search can only answer when the FUNC before it ends in time. */
static int func_stands_alone(scan *s, const group *g, const rec *func)
{
    rec prev = *func;
    int k;
    do {
        k = prev_keyed(s, g, prev.off, &prev);
    } while (k > 0 && prev.kind != K_FUNC);
    if (k < 0)
        return 0;
    if (k == 0)
        return 1;
    if (prev.key > func->key)
        return give_up(s, "FUNC records out of order near byte %zu", func->off);
    if (func->key == prev.key || func->key - prev.key < prev.size)
        return give_up(s, "FUNC records overlap near byte %zu", func->off);
    return 1;
}

static sym_text_result fill_func(scan *s, const dw_symfile *sf, const group *g, const code_hit *c,
                                 uint64_t rva, dw_sym_lookup *out)
{
    static body_hit zero;
    body_hit h = zero;
    if (!scan_body(s, &c->func, c->body_end, g->hi, sf->plan.publics_indexed, rva, &h))
        return SYM_TEXT_FALLBACK;
    out->kind = DW_SYM_FUNC;
    out->function = str_of(c->func.name);
    out->function_start = c->func.key;
    out->function_size = c->func.size;
    out->param_size = c->func.param;
    if (!fill_line(s, sf, &h, rva, out) || !fill_inlines(s, sf, &h, rva, out))
        return SYM_TEXT_FALLBACK;
    return SYM_TEXT_FOUND;
}

/* The FUNC and PUBLIC of the code group around rva, remembered or searched. */
static int code_around(scan *s, sym_text_memo *m, const group *code, uint64_t rva, code_hit *c)
{
    if (memo_find(m, rva, c))
        return 1;
    found f;
    if (!search(s, code, rva, &f) || !func_at_or_below(s, code, &f, c))
        return 0;
    if (c->have_func && !func_stands_alone(s, code, &c->func))
        return 0;
    memo_add(m, &f, c);
    return 1;
}

static sym_text_result text_lookup(scan *s, dw_symfile *sf, uint64_t rva, dw_sym_lookup *out);

sym_text_result dw_sym_text_lookup(dw_symfile *sf, uint64_t rva, dw_sym_lookup *out,
                                   size_t *bytes_read, char *why, size_t why_size)
{
    scan s = {sf->text, sf->size, LOOKUP_BUDGET, why, why_size};
    if (why && why_size)
        why[0] = '\0';
    sym_text_result r = text_lookup(&s, sf, rva, out);
    *bytes_read = LOOKUP_BUDGET - s.budget;
    return r;
}

/* Breakpad: a PUBLIC symbol extends to the next address mentioned, so it
 * applies only when no FUNC starts between it and rva. */
static sym_text_result public_answer(const code_hit *c, dw_symstr name, uint64_t addr,
                                     uint32_t param, dw_sym_lookup *out)
{
    if (c->have_func && c->func.key >= addr)
        return SYM_TEXT_NOT_FOUND;
    out->kind = DW_SYM_PUBLIC;
    out->function = name;
    out->function_start = addr;
    out->function_size = 0;
    out->param_size = param;
    return SYM_TEXT_FOUND;
}

/* The latest PUBLIC at or below rva from the PUBLICs' own index (sorted by
 * address, then file order, as the full index sorts them). */
static sym_text_result indexed_public(scan *s, dw_symfile *sf, const code_hit *c, uint64_t rva,
                                      dw_sym_lookup *out)
{
    dw_status st;
    const sym_index *pubs = dw_symfile_public_records(sf, &st);
    if (!pubs) {
        give_up(s, "the PUBLIC records could not be indexed (%s)", dw_status_name(st));
        return SYM_TEXT_FALLBACK;
    }
    size_t i = dw_sym_public_at_or_below(pubs, rva);
    if (i == SIZE_MAX)
        return SYM_TEXT_NOT_FOUND;
    const sym_public *p = &pubs->publics[i];
    return public_answer(c, dw_sym_str(sf, p->name), p->addr, p->param_size, out);
}

static sym_text_result text_lookup(scan *s, dw_symfile *sf, uint64_t rva, dw_sym_lookup *out)
{
    const sym_plan *p = &sf->plan;
    group code = code_group(p);
    code_hit c = {0};
    if (!code_around(s, sf->memo, &code, rva, &c))
        return SYM_TEXT_FALLBACK;
    if (c.have_func && rva - c.func.key < c.func.size)
        return fill_func(s, sf, &code, &c, rva, out);
    if (p->publics_indexed)
        return indexed_public(s, sf, &c, rva, out);
    if (p->split) {
        group pubs = public_run_group(p);
        found fp;
        if (!search(s, &pubs, rva, &fp))
            return SYM_TEXT_FALLBACK;
        /* The trailing run comes later in the file: it wins address ties. */
        if (fp.have_le && (!c.have_public || fp.le.key >= c.pub.key)) {
            c.pub = fp.le;
            c.have_public = 1;
        }
    }
    if (!c.have_public)
        return SYM_TEXT_NOT_FOUND;
    return public_answer(&c, str_of(c.pub.name), c.pub.key, c.pub.param, out);
}
