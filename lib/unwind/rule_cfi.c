/* Breakpad STACK CFI for x86 and x64 (symbol_files.md "STACK CFI records").
 *
 * The rules are looked up at the callee's address: its IP in frame 0, IP - 1
 * in callers (their IP is a return address, which may already belong to the
 * next line or function).  Register names are the callee's registers with a
 * '$' ("$rip", "$esp", ...).  The caller's stack pointer is .cfa and its IP
 * .ra unless a rule names them; callee-saved registers without a rule keep
 * the callee's value (a function that does not touch them leaves them as the
 * caller had them). */
#include <stdio.h>
#include <string.h>

#include "unwind/rule_cfi.h"
#include "unwind/walker.h"

#include "symbols/cfi.h"
#include "util/text.h"

/* Callee-saved registers.  x86: ebx, ebp, esi, edi (every x86 ABI);
 * x64: rbx, rbp, r12-r15 (SysV) plus rsi, rdi (Windows x64). */
static const unsigned saved_x86[] = {DW_X86_EBX, DW_X86_EBP, DW_X86_ESI, DW_X86_EDI};
static const unsigned saved_x64[] = {DW_AMD64_RBX, DW_AMD64_RBP, DW_AMD64_RSI, DW_AMD64_RDI,
                                     DW_AMD64_R12, DW_AMD64_R13, DW_AMD64_R14, DW_AMD64_R15};

/* General registers of the walk's architecture, the ones CFI names. */
static unsigned gpr_count(const dw_walker *w)
{
    return w->arch == DW_ARCH_X86 ? DW_X86_EIP + 1 : DW_AMD64_RIP + 1;
}

static void regset_from_context(const dw_walker *w, const dw_context *c, dw_regset *rs)
{
    dw_regset_init(rs);
    for (unsigned i = 0; i < gpr_count(w); i++) {
        const char *name = dw_reg_name(w->arch, i);
        if (!name || !dw_context_has(c, i))
            continue;
        char buf[DW_REGNAME_MAX];
        dw_concat3(buf, sizeof buf, "$", name, "");
        dw_regset_set_c(rs, buf, c->regs[i]);
    }
}

static void context_from_regset(const dw_walker *w, const dw_regset *rs, dw_context *caller)
{
    for (unsigned i = 0; i < gpr_count(w); i++) {
        const char *name = dw_reg_name(w->arch, i);
        char buf[DW_REGNAME_MAX];
        uint64_t v;
        dw_concat3(buf, sizeof buf, "$", name ? name : "", "");
        if (name && dw_regset_get_c(rs, buf, &v))
            dw_ctx_set(caller, i, w->arch == DW_ARCH_X86 ? (uint32_t)v : v);
    }
}

static void carry_callee_saved(const dw_walker *w, const dw_context *callee, dw_context *caller)
{
    const unsigned *regs = w->arch == DW_ARCH_X86 ? saved_x86 : saved_x64;
    size_t n = w->arch == DW_ARCH_X86 ? sizeof saved_x86 / sizeof saved_x86[0]
                                      : sizeof saved_x64 / sizeof saved_x64[0];
    for (size_t i = 0; i < n; i++)
        if (dw_context_has(callee, regs[i]))
            dw_ctx_set(caller, regs[i], callee->regs[regs[i]]);
}

dw_status dw_rule_cfi(dw_walker *w, const dw_frame *callee, dw_context *caller, dw_trust *trust,
                      char *reason, size_t reason_size)
{
    uint64_t lookup = callee->index > 0 ? callee->ip - 1 : callee->ip;
    dw_module_cache *mc;
    const dw_module *m = dw_walker_module(w, lookup, &mc);
    dw_symfile *sf = m ? dw_walker_module_symfile(w, m, mc) : NULL;
    if (!sf)
        return DW_ERR_NOT_FOUND;
    dw_cfi_rules rules;
    if (dw_symfile_find_cfi(sf, lookup - m->base, &rules, NULL, 0) != DW_OK)
        return DW_ERR_NOT_FOUND;
    dw_regset in, out;
    regset_from_context(w, &callee->context, &in);
    if (dw_cfi_unwind(&rules, &in, dw_walker_word(w), dw_walker_read_value, w, &out, NULL, 0) !=
        DW_OK)
        return DW_ERR_NOT_FOUND;
    carry_callee_saved(w, &callee->context, caller);
    context_from_regset(w, &out, caller);
    uint64_t cfa, ra;
    dw_regset_get_c(&out, ".cfa", &cfa);
    dw_regset_get_c(&out, ".ra", &ra);
    unsigned spr = dw_walker_sp_reg(w), ipr = dw_walker_ip_reg(w);
    uint64_t mask = w->arch == DW_ARCH_X86 ? 0xffffffffu : UINT64_MAX;
    /* A rule for the stack or instruction pointer wins; else .cfa / .ra. */
    uint64_t named;
    char spname[DW_REGNAME_MAX];
    dw_concat3(spname, sizeof spname, "$", dw_reg_name(w->arch, spr), "");
    if (!dw_regset_get_c(&out, spname, &named))
        dw_ctx_set(caller, spr, cfa & mask);
    dw_ctx_set(caller, ipr, ra & mask);
    /* Breakpad's x86 CFI walker also needs the frame pointer recovered (a
     * rule or the carried callee value): without it the next frame has no
     * base for its own rules. */
    if (w->arch == DW_ARCH_X86 && !dw_context_has(caller, DW_X86_EBP))
        return DW_ERR_NOT_FOUND;
    *trust = DW_TRUST_CFI;
    dw_concat3(reason, reason_size, "cfi", "", "");
    return DW_OK;
}
