/* Stack scanning, validated.  A word on the stack is taken as a return
 * address only if it points into code and the bytes before it decode to a
 * CALL that ends exactly there.  A direct call (E8) must target the callee's
 * function (or a jump thunk to it) when that function is known; a call site
 * inside the callee's own function, before its IP, is what the callee's own
 * earlier calls leave behind.  Such weaker candidates are kept only as a
 * fallback when nothing stronger is found in the window. */
#include <stdio.h>
#include <string.h>

#include "unwind/walker.h"

/* Frame 0 may have a large frame of its own; look further. */
#define CONTEXT_FRAME_SCAN_FACTOR 4

typedef enum strength { CAND_NONE = 0, CAND_WEAK = 1, CAND_STRONG = 2 } strength;

typedef struct candidate {
    strength s;
    uint64_t ip;
    uint64_t slot;
    char reason[DW_FRAME_REASON_MAX];
} candidate;

/* Does the instruction at `target` jump to `dest` (an import or
 * incremental-linking thunk: E9 rel32, or FF 25 through a pointer)? */
static int is_thunk_to(dw_walker *w, uint64_t target, uint64_t dest)
{
    uint8_t b[6];
    if (dw_walker_read_code(w, target, b, sizeof b) < 5)
        return 0;
    if (b[0] == 0xe9) {
        int32_t rel = (int32_t)(b[1] | b[2] << 8 | b[3] << 16 | (uint32_t)b[4] << 24);
        return target + 5 + (int64_t)rel == dest;
    }
    if (b[0] == 0xff && b[1] == 0x25) {
        int32_t disp = (int32_t)(b[2] | b[3] << 8 | b[4] << 16 | (uint32_t)b[5] << 24);
        uint64_t slot = w->arch == DW_ARCH_AMD64 ? target + 6 + (int64_t)disp : (uint32_t)disp;
        uint64_t ptr;
        return dw_walker_read_word(w, slot, &ptr) && ptr == dest;
    }
    return 0;
}

/* The longest run of code bytes, up to DW_CALL_MAX_LENGTH, that ends at
 * `ret` and is captured whole; 0 when not even a 2-byte call fits.  The
 * shortest read goes second: when it fails, as it does for most words of a
 * stack, no longer one can succeed. */
static size_t read_code_before(dw_walker *w, uint64_t ret, uint8_t *before)
{
    if (dw_walker_read_code(w, ret - DW_CALL_MAX_LENGTH, before, DW_CALL_MAX_LENGTH) ==
        DW_CALL_MAX_LENGTH)
        return DW_CALL_MAX_LENGTH;
    if (dw_walker_read_code(w, ret - 2, before, 2) != 2)
        return 0;
    for (size_t n = DW_CALL_MAX_LENGTH - 1; n > 2; n--) {
        if (dw_walker_read_code(w, ret - n, before, n) == n)
            return n;
    }
    return dw_walker_read_code(w, ret - 2, before, 2);
}

/* Classify one candidate return address. */
static strength judge(dw_walker *w, uint64_t ret, uint64_t callee_start, uint64_t callee_ip,
                      char *reason, size_t size)
{
    if (ret < 4096 || !dw_walker_is_code(w, ret))
        return CAND_NONE;
    dw_disasm *d = dw_walker_disasm(w);
    uint8_t before[DW_CALL_MAX_LENGTH];
    size_t have = read_code_before(w, ret, before);
    if (!have || !d) {
        /* No code bytes: only module membership speaks for it. */
        if (!dw_walker_module(w, ret, NULL))
            return CAND_NONE;
        snprintf(reason, size, "scan:no-code module");
        return CAND_WEAK;
    }
    dw_call_site cs;
    if (!dw_call_before(d, before, have, ret, &cs))
        return CAND_NONE;
    int inside_callee = callee_start && cs.address >= callee_start && cs.address < callee_ip;
    if (cs.kind == DW_CALL_DIRECT && cs.has_target && callee_start) {
        if (cs.target == callee_start) {
            snprintf(reason, size, "scan:call E8 target-match");
            return CAND_STRONG;
        }
        if (is_thunk_to(w, cs.target, callee_start)) {
            snprintf(reason, size, "scan:call E8 target-match(thunk)");
            return CAND_STRONG;
        }
        snprintf(reason, size, "scan:call E8 target-mismatch");
        return CAND_WEAK;
    }
    snprintf(reason, size, "scan:%s%s", cs.reason,
             cs.kind == DW_CALL_DIRECT ? " callee-unknown" : "");
    return inside_callee ? CAND_WEAK : CAND_STRONG;
}

dw_status dw_rule_scan(dw_walker *w, const dw_frame *callee, dw_context *caller, dw_trust *trust,
                       char *reason, size_t reason_size)
{
    unsigned spr = dw_walker_sp_reg(w), ipr = dw_walker_ip_reg(w), fpr = dw_walker_fp_reg(w);
    unsigned word = dw_walker_word(w);
    const dw_context *c = &callee->context;
    if (!dw_context_has(c, spr))
        return DW_ERR_NOT_FOUND;
    uint64_t start = c->regs[spr];
    uint64_t callee_start = dw_walker_function_start(w, callee->ip);
    unsigned words = w->opts.max_scan_words;
    if (callee->index == 0)
        words *= CONTEXT_FRAME_SCAN_FACTOR;
    candidate best = {CAND_NONE, 0, 0, ""};
    for (unsigned i = 0; i < words; i++) {
        uint64_t slot = start + (uint64_t)i * word;
        uint64_t value;
        if (slot + word > w->stack_hi || !dw_walker_read_word(w, slot, &value))
            break;
        char why[DW_FRAME_REASON_MAX];
        strength s = judge(w, value, callee_start, callee->ip, why, sizeof why);
        if (s > best.s) {
            best.s = s;
            best.ip = value;
            best.slot = slot;
            memcpy(best.reason, why, sizeof why);
        }
        if (best.s == CAND_STRONG)
            break;
    }
    if (best.s == CAND_NONE)
        return DW_ERR_NOT_FOUND;
    dw_ctx_set(caller, ipr, best.ip);
    dw_ctx_set(caller, spr, best.slot + word);
    /* A frame pointer the callee did not touch is still the caller's: keep
     * it when it points above the new frame, so a chain can resume. */
    if (dw_context_has(c, fpr) && c->regs[fpr] >= best.slot + word && c->regs[fpr] < w->stack_hi)
        dw_ctx_set(caller, fpr, c->regs[fpr]);
    *trust = DW_TRUST_SCAN;
    snprintf(reason, reason_size, "%s", best.reason);
    return DW_OK;
}
