/* Naming a frame's address: module, then the module's .sym file (FUNC with
 * file:line and inline frames, else PUBLIC), else its PE export table. */
#include <string.h>

#include "unwind/walker.h"

/* An export further than this from the address is probably not the function
 * that contains it (exports name only a fraction of a module's code). */
#define EXPORT_DOUBTFUL_OFFSET 0x10000

static dw_symstr symstr_of(const char *s)
{
    dw_symstr r = {s, s ? strlen(s) : 0};
    return r;
}

static void apply_sym_lookup(dw_frame *f, uint64_t base, const dw_sym_lookup *l)
{
    f->symbol_source = l->kind == DW_SYM_FUNC ? DW_SYMSRC_SYM_FUNC : DW_SYMSRC_SYM_PUBLIC;
    f->function = l->function;
    f->function_offset = f->ip - (base + l->function_start);
    unsigned n = l->inline_count < DW_FRAME_MAX_INLINE ? l->inline_count : DW_FRAME_MAX_INLINE;
    /* The innermost inlined call sits at the line record's file:line; each
     * outer one at the call site recorded by the next inner one, and the
     * real function at the call site of the outermost inline. */
    for (unsigned i = 0; i < n; i++) {
        f->inlines[i].function = l->inlines[i].name;
        f->inlines[i].file = i == 0 ? l->file : l->inlines[i - 1].call_file;
        f->inlines[i].line = i == 0 ? l->line : l->inlines[i - 1].call_line;
        if (i == 0 && !l->has_line) {
            f->inlines[i].file.ptr = NULL;
            f->inlines[i].file.len = 0;
        }
    }
    f->inline_count = n;
    if (l->has_line)
        f->line_address = base + l->line_start;
    if (n > 0) {
        f->file = l->inlines[n - 1].call_file;
        f->line = l->inlines[n - 1].call_line;
    } else if (l->has_line) {
        f->file = l->file;
        f->line = l->line;
    }
}

void dw_walker_symbolize_frame(dw_walker *w, dw_frame *f)
{
    f->module = NULL;
    f->module_offset = 0;
    f->symbol_source = DW_SYMSRC_NONE;
    memset(&f->function, 0, sizeof f->function);
    memset(&f->file, 0, sizeof f->file);
    f->function_offset = 0;
    f->line = 0;
    f->line_address = 0;
    f->inline_count = 0;
    f->doubtful_symbol = 0;
    f->missing_symbols = 0;
    dw_module_cache *c;
    const dw_module *m = dw_walker_module(w, f->ip, &c);
    if (!m)
        return;
    f->module = m;
    f->module_offset = f->ip - m->base;
    /* A caller's IP is a return address: the call is the byte before it,
     * which may belong to another line or even function. */
    uint64_t lookup = f->index == 0 || f->ip == m->base ? f->ip : f->ip - 1;
    dw_symfile *sf = dw_walker_module_symfile(w, m, c);
    dw_sym_lookup l;
    if (sf && dw_symfile_lookup(sf, lookup - m->base, &l) == DW_OK && l.kind != DW_SYM_NONE) {
        apply_sym_lookup(f, m->base, &l);
        return;
    }
    f->missing_symbols = sf == NULL;
    const dw_pe_exports *ex = dw_walker_module_exports(w, m, c);
    const dw_pe_export *e = ex ? dw_pe_export_at(ex, (uint32_t)(lookup - m->base)) : NULL;
    if (!e)
        return;
    f->symbol_source = DW_SYMSRC_EXPORT;
    f->function = symstr_of(e->name);
    f->function_offset = f->ip - (m->base + e->rva);
    f->doubtful_symbol = f->function_offset > EXPORT_DOUBTFUL_OFFSET;
}
