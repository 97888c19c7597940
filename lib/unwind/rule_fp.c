/* Frame-pointer chains: the caller's frame pointer is saved at [fp], its
 * return address at [fp + word], and its stack pointer is fp + 2 words.
 * On x64 Windows compilers rarely keep rbp as a frame pointer, and when they
 * do it may point mid-frame (UWOP_SET_FPREG with an offset); .pdata handles
 * those, so here rbp is believed only when the chain looks like one: the
 * saved value lies in the stack above this frame and the return address is
 * code. */
#include <stdio.h>

#include "unwind/walker.h"
#include "util/text.h"

dw_status dw_rule_frame_pointer(dw_walker *w, const dw_frame *callee, dw_context *caller,
                                dw_trust *trust, char *reason, size_t reason_size)
{
    unsigned fpr = dw_walker_fp_reg(w), spr = dw_walker_sp_reg(w), ipr = dw_walker_ip_reg(w);
    unsigned word = dw_walker_word(w);
    const dw_context *c = &callee->context;
    if (!dw_context_has(c, fpr) || !dw_context_has(c, spr))
        return DW_ERR_NOT_FOUND;
    uint64_t fp = c->regs[fpr], sp = c->regs[spr];
    if (fp % word != 0 || fp < sp || fp + 2 * word > w->stack_hi)
        return DW_ERR_NOT_FOUND;
    uint64_t saved_fp, ret;
    if (!dw_walker_read_word(w, fp, &saved_fp) || !dw_walker_read_word(w, fp + word, &ret))
        return DW_ERR_NOT_FOUND;
    if (ret < 4096 || !dw_walker_is_code(w, ret))
        return DW_ERR_NOT_FOUND;
    /* The next link must be above this one (or zero at the chain's end);
     * otherwise this rbp is a general register, not a frame pointer. */
    int chain_ok = saved_fp == 0 || (saved_fp > fp && saved_fp < w->stack_hi);
    if (!chain_ok && w->arch == DW_ARCH_AMD64)
        return DW_ERR_NOT_FOUND;
    dw_ctx_set(caller, ipr, ret);
    dw_ctx_set(caller, spr, fp + 2 * word);
    dw_ctx_set(caller, fpr, saved_fp);
    *trust = DW_TRUST_FRAME_POINTER;
    dw_concat3(reason, reason_size, chain_ok ? "fp-chain" : "fp-chain:broken-link", "", "");
    return DW_OK;
}
