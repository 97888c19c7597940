/* STACK WIN lookup and program-string evaluation (see stackwin.h). */
#include "symbols/stackwin.h"

#include <stdio.h>
#include <string.h>

#include "symbols/symfile.h"

/* Innermost record of one type covering rva.  Records are sorted by start
 * (enclosing before enclosed) and linked to their parent, so from the last
 * record starting at or below rva we climb parents until one covers it. */
static const sym_win *win_covering(const sym_win *a, size_t n, uint64_t rva)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid].rva <= rva)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    uint32_t i = (uint32_t)(lo - 1);
    /* Each step goes to a strictly earlier record: at most n steps. */
    for (size_t steps = 0; i != UINT32_MAX && steps < n; steps++) {
        if (rva - a[i].rva < a[i].code_size)
            return &a[i];
        i = a[i].parent;
    }
    return NULL;
}

dw_status dw_symfile_find_win(dw_symfile *sf, uint64_t rva, dw_win_record *out)
{
    dw_status st;
    const sym_index *ix = dw_symfile_stack_records(sf, &st);
    if (!ix)
        return st;
    unsigned type = 4;
    const sym_win *w = win_covering(ix->win[1], ix->nwin[1], rva);
    if (!w) {
        type = 0;
        w = win_covering(ix->win[0], ix->nwin[0], rva);
    }
    if (!w)
        return DW_ERR_NOT_FOUND;
    *out = (dw_win_record){
        .type = type,
        .rva = w->rva,
        .code_size = w->code_size,
        .prologue_size = w->prologue_size,
        .epilogue_size = w->epilogue_size,
        .parameter_size = w->parameter_size,
        .saved_register_size = w->saved_register_size,
        .local_size = w->local_size,
        .max_stack_size = w->max_stack_size,
        .has_program = w->has_program,
        .allocates_base_pointer = w->allocates_base_pointer,
        .program = dw_sym_str(sf, w->program),
    };
    return DW_OK;
}

/* The registers a program may hand back, with the bit reporting each. */
static const struct {
    const char *name;
    unsigned bit;
} win_regs[] = {
    {"$eip", DW_WIN_SET_EIP}, {"$esp", DW_WIN_SET_ESP}, {"$ebp", DW_WIN_SET_EBP},
    {"$ebx", DW_WIN_SET_EBX}, {"$esi", DW_WIN_SET_ESI}, {"$edi", DW_WIN_SET_EDI},
};
#define NWIN_REGS (sizeof win_regs / sizeof win_regs[0])

static dw_status seed(dw_regset *vars, const dw_win_record *rec, const dw_win_input *in)
{
    const uint32_t values[] = {in->eip, in->esp, in->ebp, in->ebx, in->esi, in->edi};
    dw_status st = DW_OK;
    for (size_t i = 0; i < NWIN_REGS && st == DW_OK; i++)
        st = dw_regset_set_c(vars, win_regs[i].name, values[i]);
    /* Breakpad symbol_files.md names the variables the program may read;
     * older dump_syms output spells the search start .raSearchStart. */
    if (st == DW_OK)
        st = dw_regset_set_c(vars, ".cbParams", rec->parameter_size);
    if (st == DW_OK)
        st = dw_regset_set_c(vars, ".cbSavedRegs", rec->saved_register_size);
    if (st == DW_OK)
        st = dw_regset_set_c(vars, ".cbLocals", rec->local_size);
    if (st == DW_OK)
        st = dw_regset_set_c(vars, ".raSearch", in->ra_search);
    if (st == DW_OK)
        st = dw_regset_set_c(vars, ".raSearchStart", in->ra_search);
    return st;
}

dw_status dw_win_eval(const dw_win_record *rec, const dw_win_input *in, dw_mem_read_fn read_mem,
                      void *mem_ctx, dw_win_output *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    if (!rec->has_program || rec->program.len == 0) {
        if (err && err_size)
            snprintf(err, err_size, "STACK WIN at 0x%llx has no program string",
                     (unsigned long long)rec->rva);
        return DW_ERR_DAMAGED;
    }
    dw_regset vars;
    dw_regset_init(&vars);
    dw_status st = seed(&vars, rec, in);
    if (st != DW_OK)
        return st;
    dw_postfix_ctx c = {&vars, 4, read_mem, mem_ctx, err, err_size};
    st = dw_postfix_run(&c, rec->program.ptr, rec->program.len);
    if (st != DW_OK)
        return st;
    uint32_t *slot[] = {&out->eip, &out->esp, &out->ebp, &out->ebx, &out->esi, &out->edi};
    for (size_t i = 0; i < NWIN_REGS; i++) {
        for (unsigned k = 0; k < vars.count; k++) {
            const dw_regval *r = &vars.regs[k];
            if (r->assigned && strcmp(r->name, win_regs[i].name) == 0) {
                *slot[i] = (uint32_t)r->value;
                out->set |= win_regs[i].bit;
            }
        }
    }
    if ((out->set & (DW_WIN_SET_EIP | DW_WIN_SET_ESP)) != (DW_WIN_SET_EIP | DW_WIN_SET_ESP)) {
        if (err && err_size)
            snprintf(err, err_size, "STACK WIN program does not set %s",
                     (out->set & DW_WIN_SET_EIP) ? "$esp" : "$eip");
        return DW_ERR_DAMAGED;
    }
    return DW_OK;
}
