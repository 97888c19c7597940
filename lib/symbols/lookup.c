/* Address lookups in a symbol file: FUNC, line, INLINE frames and the PUBLIC
 * fallback.  From the text of a sorted file (textsearch.c), else by binary
 * searches over the sorted index; no allocation. */
#include <stdio.h>
#include <string.h>

#include "symbols/symfile.h"

/* Index of the last FUNC / PUBLIC starting at or below rva, or SIZE_MAX. */
static size_t func_at_or_below(const sym_index *ix, uint64_t rva)
{
    size_t lo = 0, hi = ix->nfuncs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->funcs[mid].addr <= rva)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? SIZE_MAX : lo - 1;
}

size_t dw_sym_public_at_or_below(const sym_index *ix, uint64_t rva)
{
    size_t lo = 0, hi = ix->npublics;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->publics[mid].addr <= rva)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? SIZE_MAX : lo - 1;
}

static void lookup_line(const dw_symfile *sf, const sym_func *f, uint64_t rva, dw_sym_lookup *out)
{
    if (f->line_count == 0)
        return;
    const sym_line *lines = sf->index.lines + f->line_first;
    size_t lo = 0, hi = f->line_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lines[mid].addr <= rva)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return;
    const sym_line *l = &lines[lo - 1];
    if (rva - l->addr >= l->size)
        return;
    out->has_line = 1;
    out->line = l->line;
    out->line_start = l->addr;
    out->line_size = l->size;
    out->file = dw_sym_named_lookup(sf, sf->index.files, sf->index.nfiles, l->file);
}

/* The range at nesting `level` covering rva among ranges sorted by
 * (level, addr), or NULL.  Ranges of one level do not overlap, so the last one
 * starting at or below rva is the only candidate. */
static const sym_inline_range *range_at_level(const sym_inline_range *r, size_t n, uint32_t level,
                                              uint64_t rva)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].level < level || (r[mid].level == level && r[mid].addr <= rva))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const sym_inline_range *c = &r[lo - 1];
    if (c->level != level || rva - c->addr >= c->size)
        return NULL;
    return c;
}

static void fill_inline(const dw_symfile *sf, const sym_inline_range *r, dw_sym_inline *out)
{
    const sym_index *ix = &sf->index;
    const sym_inline *in = &ix->inlines[r->inline_index];
    out->name = dw_sym_named_lookup(sf, ix->origins, ix->norigins, in->origin);
    out->call_file = in->call_file == DW_SYM_NO_FILE
                         ? (dw_symstr){NULL, 0}
                         : dw_sym_named_lookup(sf, ix->files, ix->nfiles, in->call_file);
    out->call_line = in->call_line;
    out->nest_level = in->level;
    out->range_start = r->addr;
    out->range_size = r->size;
}

/* Walk nesting levels 0, 1, ... while a range covers rva; report the deepest
 * DW_SYM_MAX_INLINE of them, innermost first. */
#define MAX_INLINE_LEVELS 4096

static void lookup_inlines(const dw_symfile *sf, const sym_func *f, uint64_t rva,
                           dw_sym_lookup *out)
{
    if (f->range_count == 0)
        return;
    const sym_inline_range *ranges = sf->index.ranges + f->range_first;
    const sym_inline_range *found[DW_SYM_MAX_INLINE];
    unsigned depth = 0;
    for (uint32_t level = 0; level < MAX_INLINE_LEVELS; level++) {
        const sym_inline_range *r = range_at_level(ranges, f->range_count, level, rva);
        if (!r)
            break;
        found[depth % DW_SYM_MAX_INLINE] = r;
        depth++;
    }
    unsigned keep = depth < DW_SYM_MAX_INLINE ? depth : DW_SYM_MAX_INLINE;
    out->inlines_truncated = depth > DW_SYM_MAX_INLINE;
    out->inline_count = keep;
    for (unsigned i = 0; i < keep; i++)
        fill_inline(sf, found[(depth - 1 - i) % DW_SYM_MAX_INLINE], &out->inlines[i]);
}

static void clear_lookup(dw_sym_lookup *out)
{
    out->kind = DW_SYM_NONE;
    out->function = out->file = (dw_symstr){NULL, 0};
    out->has_line = 0;
    out->inline_count = 0;
    out->inlines_truncated = 0;
}

/* Text mode (textsearch.c) answers unless it meets what only the index
 * resolves; then the file switches to the index and the lookup is redone.
 * Text lookups cost more than index lookups, so once they have read as many
 * bytes as the file holds the index is built: a file looked up a few times
 * is read a few pages deep, one looked up without end costs at most twice
 * what indexing it first would have. */
static int answered_from_text(dw_symfile *sf, uint64_t rva, dw_sym_lookup *out, dw_status *st)
{
    if (dw_symfile_ensure_mode(sf, st) != DW_SYM_LOOKUP_TEXT)
        return *st != DW_OK;
    char why[DW_SYM_CORRUPT_MSG];
    size_t read = 0;
    sym_text_result r = dw_sym_text_lookup(sf, rva, out, &read, why, sizeof why);
    size_t total = atomic_fetch_add_explicit(&sf->text_read, read, memory_order_relaxed) + read;
    if (r != SYM_TEXT_FALLBACK && total > sf->text_read_limit) {
        snprintf(why, sizeof why, "text lookups had read %zu bytes, more than the file holds",
                 total);
        dw_status ist = dw_symfile_fall_back(sf, why);
        if (ist != DW_OK) {
            *st = ist;
            return 1;
        }
    }
    if (r != SYM_TEXT_FALLBACK) {
        *st = r == SYM_TEXT_FOUND ? DW_OK : DW_ERR_NOT_FOUND;
        return 1;
    }
    clear_lookup(out);
    *st = dw_symfile_fall_back(sf, why);
    return *st != DW_OK;
}

dw_status dw_symfile_lookup(dw_symfile *sf, uint64_t rva, dw_sym_lookup *out)
{
    if (!sf || !out)
        return DW_ERR_INVALID_ARG;
    clear_lookup(out);
    dw_status st;
    if (answered_from_text(sf, rva, out, &st))
        return st;
    st = dw_symfile_ensure_index(sf);
    if (st != DW_OK)
        return st;
    const sym_index *ix = &sf->index;
    size_t fi = func_at_or_below(ix, rva);
    const sym_func *f = fi == SIZE_MAX ? NULL : &ix->funcs[fi];
    if (f && rva - f->addr < f->size) {
        out->kind = DW_SYM_FUNC;
        out->function = dw_sym_str(sf, f->name);
        out->function_start = f->addr;
        out->function_size = f->size;
        out->param_size = f->param_size;
        lookup_line(sf, f, rva, out);
        lookup_inlines(sf, f, rva, out);
        return DW_OK;
    }
    /* Breakpad: a PUBLIC symbol extends to the next address mentioned, so it
     * applies only when no FUNC starts between it and rva. */
    size_t pi = dw_sym_public_at_or_below(ix, rva);
    if (pi == SIZE_MAX || (f && f->addr >= ix->publics[pi].addr))
        return DW_ERR_NOT_FOUND;
    const sym_public *p = &ix->publics[pi];
    out->kind = DW_SYM_PUBLIC;
    out->function = dw_sym_str(sf, p->name);
    out->function_start = p->addr;
    out->function_size = 0;
    out->param_size = p->param_size;
    return DW_OK;
}
