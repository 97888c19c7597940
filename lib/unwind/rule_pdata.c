/* x64 PE exception data: the RUNTIME_FUNCTION covering the IP and its
 * UNWIND_INFO, evaluated by x64_pdata.c.  An image that has a .pdata table
 * but no entry for the IP holds a leaf function: it has no frame, so the
 * return address is at [RSP] (Microsoft "x64 exception handling"). */
#include <stdio.h>
#include <string.h>

#include "unwind/rule_pdata.h"
#include "unwind/walker.h"
#include "util/text.h"

/* Registers a call preserves in the Windows x64 convention. */
static const unsigned nonvolatile[] = {DW_AMD64_RBX, DW_AMD64_RBP, DW_AMD64_RSI, DW_AMD64_RDI,
                                       DW_AMD64_R12, DW_AMD64_R13, DW_AMD64_R14, DW_AMD64_R15};

static size_t read_stack(void *ctx, uint64_t va, void *buf, size_t len)
{
    return dw_walker_read_stack(ctx, va, buf, len);
}

static dw_status unwind_leaf(dw_walker *w, const dw_context *callee, dw_context *caller)
{
    uint64_t sp = callee->regs[DW_AMD64_RSP], ret;
    if (!dw_walker_read_word(w, sp, &ret))
        return DW_ERR_NOT_FOUND;
    for (size_t i = 0; i < sizeof nonvolatile / sizeof nonvolatile[0]; i++) {
        if (dw_context_has(callee, nonvolatile[i]))
            dw_ctx_set(caller, nonvolatile[i], callee->regs[nonvolatile[i]]);
    }
    dw_ctx_set(caller, DW_AMD64_RIP, ret);
    dw_ctx_set(caller, DW_AMD64_RSP, sp + 8);
    return DW_OK;
}

dw_status dw_rule_pdata(dw_walker *w, const dw_frame *callee, dw_context *caller, dw_trust *trust,
                        char *reason, size_t reason_size)
{
    if (w->arch != DW_ARCH_AMD64 || !w->x64_ok)
        return DW_ERR_NOT_FOUND;
    const dw_context *c = &callee->context;
    if (!dw_context_has(c, DW_AMD64_RIP) || !dw_context_has(c, DW_AMD64_RSP))
        return DW_ERR_NOT_FOUND;
    int is_return_address = callee->index > 0;
    uint64_t lookup = is_return_address ? callee->ip - 1 : callee->ip;
    dw_module_cache *mc;
    const dw_module *m = dw_walker_module(w, lookup, &mc);
    const dw_pe *pe = m ? dw_walker_module_pe(w, m, mc) : NULL;
    const dw_pe_dir *dir = pe ? dw_pe_dir_get(pe, DW_PE_DIR_EXCEPTION) : NULL;
    if (!dir)
        return DW_ERR_NOT_FOUND;
    dw_x64_image img = {pe->read, pe->ctx, m->base};
    dw_x64_unwind_result res;
    memset(&res, 0, sizeof res);
    dw_status st = dw_x64_pdata_step(&w->x64, &img, dir->rva, dir->size,
                                     is_return_address ? DW_X64_UNWIND_CALLER_FRAME : 0u, c,
                                     read_stack, w, caller, &res);
    if (st == DW_ERR_NOT_FOUND) {
        st = unwind_leaf(w, c, caller);
        snprintf(res.reason, sizeof res.reason, "pdata:leaf");
    }
    if (st != DW_OK)
        return DW_ERR_NOT_FOUND;
    *trust = DW_TRUST_CFI;
    dw_concat3(reason, reason_size, res.reason, "", "");
    return DW_OK;
}
