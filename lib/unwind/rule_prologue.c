/* Unwinding from the code itself when no unwind data covers the IP.
 *
 * 1. Epilogue: when the instructions at the IP are the rest of an epilogue
 *    ([add/lea/mov/leave] [pop]* ret), the stack layout is read off them
 *    exactly.  This holds for a return address too: after the callee
 *    returned, the caller is in the state its next instruction expects.
 * 2. Prologue: from the function start (symbol, .pdata, export, or a
 *    back-scan over the captured code when none is known or the known one
 *    is implausibly far), the prologue is simulated up to the IP
 *    (lib/unwind/prologue.c).  Exact when the simulation reaches the IP.
 *    Stopping earlier, in the body, the rule still holds on x64, where
 *    Windows and SysV compilers keep a fixed frame after the prologue, but
 *    not on x86, where arguments are pushed in the body: there this rule
 *    declines and the frame-pointer rule (or a scan) takes over.
 * The answer is believed only when the return address it finds is code. */
#include <stdio.h>
#include <string.h>

#include "unwind/prologue.h"
#include "unwind/rule_prologue.h"
#include "unwind/walker.h"
#include "util/text.h"

#define EPILOGUE_BYTES 64
/* Prologue bytes read from the function start (prologues are far shorter). */
#define PROLOGUE_BYTES 1024
/* Code looked at before the IP when searching for the function start. */
#define BACKSCAN_BYTES 4096
#define BACKSCAN_CANDIDATES 4
/* A known start further than this from the IP is doubted (an export that
 * only happens to precede an unexported function) and back-scanned. */
#define MAX_START_DISTANCE 0x10000

static int is_callee_saved(const dw_walker *w, unsigned reg)
{
    if (w->arch == DW_ARCH_X86)
        return reg == DW_X86_EBX || reg == DW_X86_EBP || reg == DW_X86_ESI || reg == DW_X86_EDI;
    return reg == DW_AMD64_RBX || reg == DW_AMD64_RBP || reg == DW_AMD64_RSI ||
           reg == DW_AMD64_RDI || (reg >= DW_AMD64_R12 && reg <= DW_AMD64_R15);
}

static void carry_callee_saved(const dw_walker *w, const dw_context *callee, dw_context *caller)
{
    for (unsigned r = 0; r <= DW_AMD64_R15; r++)
        if (is_callee_saved(w, r) && dw_context_has(callee, r))
            dw_ctx_set(caller, r, callee->regs[r]);
}

/* The caller's registers from a frame rule; 0 when the rule cannot be
 * applied to these register values. */
static int apply_rule(dw_walker *w, const dw_frame_rule *rule, const dw_context *callee,
                      dw_context *caller)
{
    unsigned spr = dw_walker_sp_reg(w), fpr = dw_walker_fp_reg(w), ipr = dw_walker_ip_reg(w);
    unsigned base = rule->base == DW_CFA_FP ? fpr : spr;
    if (rule->base == DW_CFA_NONE || !dw_context_has(callee, base))
        return 0;
    uint64_t mask = w->arch == DW_ARCH_X86 ? 0xffffffffu : UINT64_MAX;
    uint64_t cfa = (callee->regs[base] + (uint64_t)rule->cfa_offset) & mask;
    uint64_t ra;
    if (!dw_walker_read_word(w, (cfa + (uint64_t)(int64_t)rule->ra_offset) & mask, &ra))
        return 0;
    if (ra < 4096 || !dw_walker_is_code(w, ra))
        return 0;
    carry_callee_saved(w, callee, caller);
    for (unsigned i = 0; i < rule->saved_count; i++) {
        uint64_t v;
        unsigned reg = rule->saved[i].reg;
        if (!is_callee_saved(w, reg))
            continue;
        if (dw_walker_read_word(w, (cfa + (uint64_t)(int64_t)rule->saved[i].cfa_offset) & mask, &v))
            dw_ctx_set(caller, reg, v);
    }
    dw_ctx_set(caller, ipr, ra);
    /* `ret N` also pops the stdcall arguments. */
    dw_ctx_set(caller, spr, (cfa + rule->ret_pop) & mask);
    return 1;
}

/* An epilogue that returns (a tail `jmp` is not believed here: after a call
 * `pop ecx; jmp` is as likely a loop as a tail call). */
static int epilogue_at(dw_walker *w, dw_disasm *d, uint64_t ip, dw_frame_rule *rule)
{
    uint8_t code[EPILOGUE_BYTES];
    size_t n = dw_walker_read_code(w, ip, code, sizeof code);
    if (n == 0 || !dw_epilogue_analyze(d, code, n, ip, rule))
        return 0;
    size_t off = 0;
    for (unsigned i = 0; i < rule->insn_count; i++) {
        size_t len = dw_disasm_one(d, code + off, n - off, ip + off);
        if (len == 0)
            return 0;
        if (i + 1 == rule->insn_count)
            return d->insn->id == X86_INS_RET;
        off += len;
    }
    return 0;
}

/* The most confident function start found looking back from ip over the
 * captured code; 0 when none. */
static uint64_t backscan_start(dw_walker *w, dw_disasm *d, uint64_t ip, uint64_t lower_bound)
{
    uint8_t code[BACKSCAN_BYTES];
    for (size_t n = sizeof code; n >= 64; n /= 2) {
        if (ip < n || dw_walker_read_code(w, ip - n, code, n) != n)
            continue;
        dw_func_start starts[BACKSCAN_CANDIDATES];
        size_t k = dw_find_function_starts(d, code, n, ip - n, ip, lower_bound, starts,
                                           BACKSCAN_CANDIDATES);
        return k ? starts[0].address : 0;
    }
    return 0;
}

static int prologue_from(dw_walker *w, dw_disasm *d, uint64_t start, uint64_t ip,
                         dw_frame_rule *rule)
{
    uint8_t code[PROLOGUE_BYTES];
    size_t want = ip - start + 16 < sizeof code ? (size_t)(ip - start + 16) : sizeof code;
    size_t n = dw_walker_read_code(w, start, code, want);
    if (n == 0 || dw_prologue_analyze(d, code, n, start, ip, rule) != DW_OK)
        return 0;
    if (rule->reached_ip)
        return 1;
    /* In the body: believed on x64 (fixed frame) when the simulation stopped
     * at a real instruction, not at missing or undecodable bytes. */
    return w->arch == DW_ARCH_AMD64 && rule->analyzed_to < start + n &&
           strcmp(rule->stop_reason, "not a prologue instruction") == 0;
}

dw_status dw_rule_prologue(dw_walker *w, const dw_frame *callee, dw_context *caller,
                           dw_trust *trust, char *reason, size_t reason_size)
{
    dw_disasm *d = dw_walker_disasm(w);
    const dw_context *c = &callee->context;
    if (!d || !dw_context_has(c, dw_walker_sp_reg(w)))
        return DW_ERR_NOT_FOUND;
    uint64_t ip = callee->ip;
    dw_frame_rule rule;
    /* The epilogue is read from ip on and the back-scan ends at ip: where
     * neither byte can be read (most frames of a dump without module code),
     * both are passed over without a read. */
    if (dw_walker_page_may_have_code(w, ip) && epilogue_at(w, d, ip, &rule) &&
        apply_rule(w, &rule, c, caller)) {
        *trust = DW_TRUST_CFI;
        dw_concat3(reason, reason_size, "epilogue", "", "");
        return DW_OK;
    }
    memset(caller, 0, sizeof *caller);
    caller->arch = w->arch;
    uint64_t lookup = callee->index > 0 ? ip - 1 : ip;
    uint64_t start = dw_walker_function_start(w, lookup);
    int backscanned = 0;
    if (start == 0 || start > lookup || lookup - start > MAX_START_DISTANCE) {
        if (!dw_walker_page_may_have_code(w, ip - 1))
            return DW_ERR_NOT_FOUND;
        const dw_module *m = dw_walker_module(w, lookup, NULL);
        start = backscan_start(w, d, ip, m ? m->base : 0);
        backscanned = 1;
    }
    if (start == 0 || start > ip || !prologue_from(w, d, start, ip, &rule) ||
        !apply_rule(w, &rule, c, caller))
        return DW_ERR_NOT_FOUND;
    *trust = DW_TRUST_CFI;
    dw_concat3(reason, reason_size, "prologue", rule.reached_ip ? "" : ":body",
               backscanned ? "+backscan" : "");
    return DW_OK;
}
