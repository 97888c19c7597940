/* x86 STACK WIN records (Breakpad symbol_files.md): type 4 FrameData with a
 * program string, type 0 FPO without one.  The facts of Breakpad's x86
 * stack walker this follows, so that frames agree with minidump_stackwalk:
 *
 * - A caller's ESP is the value just after the callee returned, before a
 *   cdecl caller pops the arguments; so the arguments of the call *this*
 *   frame made (its callee's parameter size, from that callee's record) are
 *   still above ESP, and the return address is searched at
 *     .raSearch = ESP + callee params + locals + saved registers.
 * - .raSearch is moved up by up to 3 words to the first plausible return
 *   address (the stack may have been aligned to 8 bytes).  When frame 0 is
 *   an FPO syscall stub whose own return address is still on top of the
 *   stack (the word at .raSearch equals EIP), one more word is skipped.
 * - A program that aligns (the '@' operator) realigned ESP, so ESP says
 *   nothing about the frame: .raSearch = EBP + 4 instead.
 * - FPO without a program: EIP = [.raSearch], ESP = .raSearch + 4, and EBP
 *   either unchanged or, when the function allocates a base pointer, read
 *   from the saved-register area at ESP + callee params + saved regs - 8.
 * - A return address outside every module is replaced by the next plausible
 *   one above .raSearch (trust cfi_scan); then a caller EBP that is not a
 *   stack address (or lies below the return address after such a skip) is
 *   looked for in the saved-register area.
 * Where Breakpad falls back to a stack scan when the program cannot be
 * evaluated, this rule declines instead, so the walker's CFI, frame-pointer,
 * prologue and validated-scan rules get their turn. */
#include <stdio.h>
#include <string.h>

#include "unwind/rule_win.h"
#include "unwind/walker.h"

#include "symbols/stackwin.h"

/* Words searched for a better .raSearch, and above it for a return address
 * when the program's one is outside every module (Breakpad: 3 and 40). */
#define RA_ADJUST_WORDS 3
#define RA_RESCAN_WORDS 40

static int read32(dw_walker *w, uint64_t addr, uint32_t *out)
{
    uint64_t v;
    if (addr > 0xfffffffcu || !dw_walker_read_value(w, addr, 4, &v))
        return 0;
    *out = (uint32_t)v;
    return 1;
}

/* Could `addr` be a return address?  It must lie in a module; with the
 * module's symbols it must fall in a known function (Breakpad's test), and
 * with code bytes but no symbols the bytes before it must be a CALL. */
static int plausible_return(dw_walker *w, uint32_t addr)
{
    dw_module_cache *mc;
    const dw_module *m = dw_walker_module(w, addr, &mc);
    if (!m)
        return 0;
    dw_symfile *sf = dw_walker_module_symfile(w, m, mc);
    if (sf) {
        dw_sym_lookup l;
        return dw_symfile_lookup(sf, addr - m->base, &l) == DW_OK && l.kind != DW_SYM_NONE;
    }
    dw_disasm *d = dw_walker_disasm(w);
    uint8_t before[DW_CALL_MAX_LENGTH];
    if (!d || dw_walker_read_code(w, (uint64_t)addr - sizeof before, before, sizeof before) !=
                  sizeof before)
        return 1;
    dw_call_site cs;
    return dw_call_before(d, before, sizeof before, addr, &cs);
}

/* First slot in [start, start + words*4) holding a plausible return address. */
static int scan_for_return(dw_walker *w, uint32_t start, unsigned words, uint32_t *slot,
                           uint32_t *ret)
{
    for (unsigned i = 0; i < words; i++) {
        uint64_t at = (uint64_t)start + 4u * i;
        uint32_t v;
        if (at + 4 > w->stack_hi || !read32(w, at, &v))
            return 0;
        if (plausible_return(w, v)) {
            *slot = (uint32_t)at;
            *ret = v;
            return 1;
        }
    }
    return 0;
}

static int in_stack(dw_walker *w, uint32_t addr)
{
    uint32_t v;
    return addr >= w->stack_lo && (uint64_t)addr + 4 <= w->stack_hi && read32(w, addr, &v);
}

/* Parameter size of the frame this one called (0 for frame 0, or when its
 * function has no STACK WIN record). */
static uint32_t callee_param_size(dw_walker *w)
{
    if (!w->has_grand_callee)
        return 0;
    uint64_t ip = w->grand_callee_ip;
    uint64_t lookup = w->grand_callee_index > 0 ? ip - 1 : ip;
    dw_module_cache *mc;
    const dw_module *m = dw_walker_module(w, lookup, &mc);
    dw_symfile *sf = m ? dw_walker_module_symfile(w, m, mc) : NULL;
    dw_win_record rec;
    if (!sf || dw_symfile_find_win(sf, lookup - m->base, &rec) != DW_OK)
        return 0;
    return rec.parameter_size;
}

static int program_aligns(const dw_win_record *rec)
{
    return rec->has_program && memchr(rec->program.ptr, '@', rec->program.len) != NULL;
}

typedef struct win_state {
    const dw_win_record *rec;
    const dw_context *callee;
    int context_frame;
    uint32_t esp, ebp, callee_params;
    uint32_t ra_search;
} win_state;

static uint32_t find_ra_search(dw_walker *w, win_state *s)
{
    uint32_t start = s->esp + s->callee_params + s->rec->local_size + s->rec->saved_register_size;
    uint32_t slot = start, ret = 0;
    if (scan_for_return(w, start, RA_ADJUST_WORDS, &slot, &ret) && s->context_frame &&
        s->rec->type == 0 && slot == start && ret == (uint32_t)s->callee->regs[DW_X86_EIP]) {
        /* An FPO system-call stub: its own return address is still on top. */
        start += 4;
        slot = start;
        scan_for_return(w, start, RA_ADJUST_WORDS, &slot, &ret);
    }
    if (program_aligns(s->rec) && dw_context_has(s->callee, DW_X86_EBP))
        slot = s->ebp + 4;
    return slot;
}

static dw_status eval_fpo(dw_walker *w, const win_state *s, dw_win_output *out)
{
    memset(out, 0, sizeof *out);
    uint32_t eip;
    if (!read32(w, s->ra_search, &eip))
        return DW_ERR_NOT_FOUND;
    out->eip = eip;
    out->esp = s->ra_search + 4;
    out->set = DW_WIN_SET_EIP | DW_WIN_SET_ESP;
    out->ebp = s->ebp;
    if (s->rec->allocates_base_pointer) {
        uint32_t ebp;
        if (!read32(w, s->esp + s->callee_params + s->rec->saved_register_size - 8, &ebp))
            return DW_ERR_NOT_FOUND;
        out->ebp = ebp;
        out->set |= DW_WIN_SET_EBP;
    }
    return DW_OK;
}

/* Replace a return address outside every module with the next plausible
 * one above .raSearch; returns how far up it was found (0: unchanged). */
static uint32_t rescan_outside_module(dw_walker *w, const win_state *s, dw_win_output *out,
                                      int *rescanned)
{
    *rescanned = 0;
    if (dw_walker_module(w, out->eip, NULL))
        return 0;
    uint32_t from = s->ra_search + 4, slot, ret;
    if (!scan_for_return(w, from, RA_RESCAN_WORDS, &slot, &ret))
        return 0;
    out->eip = ret;
    out->esp = slot + 4;
    *rescanned = 1;
    return slot - from;
}

/* The caller's EBP when the recovered one cannot be right: the highest
 * word of the saved-register area that points into the stack. */
static void recover_ebp(dw_walker *w, const win_state *s, uint32_t offset, int skipped,
                        dw_win_output *out)
{
    if (!skipped && in_stack(w, out->ebp))
        return;
    uint32_t end = s->esp + s->callee_params;
    uint32_t top = end + s->rec->saved_register_size + offset;
    for (uint32_t at = top; at >= end && at - end <= top - end; at -= 4) {
        uint32_t v;
        if (!read32(w, at, &v))
            return;
        if (in_stack(w, v)) {
            out->ebp = v;
            out->set |= DW_WIN_SET_EBP;
            return;
        }
        if (at < 4)
            return;
    }
}

static void fill_caller(const win_state *s, const dw_win_output *out, dw_context *caller)
{
    /* Registers the record does not restore were not saved by the function:
     * they still hold the caller's values. */
    static const unsigned carried[] = {DW_X86_EBX, DW_X86_ESI, DW_X86_EDI};
    for (size_t i = 0; i < sizeof carried / sizeof carried[0]; i++)
        if (dw_context_has(s->callee, carried[i]))
            dw_ctx_set(caller, carried[i], s->callee->regs[carried[i]]);
    dw_ctx_set(caller, DW_X86_EIP, out->eip);
    dw_ctx_set(caller, DW_X86_ESP, out->esp);
    if ((out->set & DW_WIN_SET_EBP) || dw_context_has(s->callee, DW_X86_EBP))
        dw_ctx_set(caller, DW_X86_EBP, out->ebp);
    if (out->set & DW_WIN_SET_EBX)
        dw_ctx_set(caller, DW_X86_EBX, out->ebx);
    if (out->set & DW_WIN_SET_ESI)
        dw_ctx_set(caller, DW_X86_ESI, out->esi);
    if (out->set & DW_WIN_SET_EDI)
        dw_ctx_set(caller, DW_X86_EDI, out->edi);
}

static void win_input(const win_state *s, dw_win_input *in)
{
    const dw_context *c = s->callee;
    in->eip = (uint32_t)c->regs[DW_X86_EIP];
    in->esp = s->esp;
    in->ebp = s->ebp;
    in->ebx = dw_context_has(c, DW_X86_EBX) ? (uint32_t)c->regs[DW_X86_EBX] : 0;
    in->esi = dw_context_has(c, DW_X86_ESI) ? (uint32_t)c->regs[DW_X86_ESI] : 0;
    in->edi = dw_context_has(c, DW_X86_EDI) ? (uint32_t)c->regs[DW_X86_EDI] : 0;
    in->ra_search = s->ra_search;
}

dw_status dw_rule_win(dw_walker *w, const dw_frame *callee, dw_context *caller, dw_trust *trust,
                      char *reason, size_t reason_size)
{
    const dw_context *c = &callee->context;
    if (w->arch != DW_ARCH_X86 || !dw_context_has(c, DW_X86_ESP))
        return DW_ERR_NOT_FOUND;
    uint64_t lookup = callee->index > 0 ? callee->ip - 1 : callee->ip;
    dw_module_cache *mc;
    const dw_module *m = dw_walker_module(w, lookup, &mc);
    dw_symfile *sf = m ? dw_walker_module_symfile(w, m, mc) : NULL;
    dw_win_record rec;
    if (!sf || dw_symfile_find_win(sf, lookup - m->base, &rec) != DW_OK)
        return DW_ERR_NOT_FOUND;
    win_state s = {&rec,
                   c,
                   callee->index == 0,
                   (uint32_t)c->regs[DW_X86_ESP],
                   dw_context_has(c, DW_X86_EBP) ? (uint32_t)c->regs[DW_X86_EBP] : 0,
                   callee_param_size(w),
                   0};
    s.ra_search = find_ra_search(w, &s);
    dw_win_output out;
    dw_status st;
    if (rec.has_program) {
        dw_win_input in;
        win_input(&s, &in);
        st = dw_win_eval(&rec, &in, dw_walker_read_value, w, &out, NULL, 0);
    } else {
        st = eval_fpo(w, &s, &out);
    }
    if (st != DW_OK)
        return DW_ERR_NOT_FOUND;
    int rescanned = 0;
    if (out.eip != 0 || out.ebp != 0) {
        uint32_t offset = rescan_outside_module(w, &s, &out, &rescanned);
        /* FPO without a base pointer never touched EBP: nothing to recover. */
        if (rec.has_program || rec.allocates_base_pointer)
            recover_ebp(w, &s, offset, rescanned && out.ebp <= s.ra_search + offset, &out);
    }
    fill_caller(&s, &out, caller);
    *trust = rescanned ? DW_TRUST_CFI_SCAN : DW_TRUST_CFI;
    snprintf(reason, reason_size, "win:%s%s", rec.has_program ? "framedata" : "fpo",
             rescanned ? "+scan" : "");
    return DW_OK;
}
