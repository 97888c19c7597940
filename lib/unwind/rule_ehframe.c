/* DWARF call-frame information from an ELF module's .eh_frame: the tables
 * gdb unwinds Linux processes with (parsing and evaluation in
 * image/ehframe.c).
 *
 * The module's image is read through dw_walker_read_code, so its headers
 * and .eh_frame_hdr come from the core when it holds them and otherwise
 * from the mapped file (whose build id the backend checked).  The lookup
 * address is the callee's IP in frame 0 and after a signal frame (an
 * interrupted instruction), IP - 1 elsewhere (a return address may already
 * be the next function's first byte).  The caller's stack pointer is the
 * CFA unless a rule gives it, its IP the return-address column; registers
 * without a rule keep the callee's value when the ABI makes them
 * callee-saved.  An undefined return address marks the outermost frame
 * (_start, clone3): the walk ends there. */
#include <stdio.h>
#include <string.h>

#include "unwind/rule_ehframe.h"
#include "unwind/walker.h"

/* DWARF register numbers -> dw_context indices.  x86-64: System V AMD64
 * psABI figure 3.36 (0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp,
 * 7 rsp, 8-15 r8-r15, 16 return address); i386: System V i386 psABI
 * (0 eax, 1 ecx, 2 edx, 3 ebx, 4 esp, 5 ebp, 6 esi, 7 edi, 8 eip). */
static const unsigned dwarf_x64[] = {
    DW_AMD64_RAX, DW_AMD64_RDX, DW_AMD64_RCX, DW_AMD64_RBX, DW_AMD64_RSI, DW_AMD64_RDI,
    DW_AMD64_RBP, DW_AMD64_RSP, DW_AMD64_R8,  DW_AMD64_R9,  DW_AMD64_R10, DW_AMD64_R11,
    DW_AMD64_R12, DW_AMD64_R13, DW_AMD64_R14, DW_AMD64_R15, DW_AMD64_RIP,
};
static const unsigned dwarf_x86[] = {
    DW_X86_EAX, DW_X86_ECX, DW_X86_EDX, DW_X86_EBX, DW_X86_ESP,
    DW_X86_EBP, DW_X86_ESI, DW_X86_EDI, DW_X86_EIP,
};

/* Callee-saved registers (System V: x86-64 rbx, rbp, r12-r15; i386 ebx,
 * ebp, esi, edi), as DWARF columns. */
static const unsigned saved_x64[] = {3, 6, 12, 13, 14, 15};
static const unsigned saved_x86[] = {3, 5, 6, 7};

typedef struct reg_map {
    const unsigned *dwarf;
    unsigned columns;
    const unsigned *saved;
    unsigned saved_count;
    unsigned sp_column;
} reg_map;

static reg_map map_of(const dw_walker *w)
{
    if (w->arch == DW_ARCH_X86)
        return (reg_map){dwarf_x86, sizeof dwarf_x86 / sizeof dwarf_x86[0], saved_x86,
                         sizeof saved_x86 / sizeof saved_x86[0], 4};
    return (reg_map){dwarf_x64, sizeof dwarf_x64 / sizeof dwarf_x64[0], saved_x64,
                     sizeof saved_x64 / sizeof saved_x64[0], 7};
}

/* The module image, by RVA: the module's bytes in the core, else its file. */
static size_t read_module(void *ctx, uint64_t rva, void *buf, size_t len)
{
    dw_module_cache *c = ctx;
    return dw_walker_read_code(c->walker, c->base + rva, buf, len);
}

/* The module's .eh_frame, located on first use; NULL when it has none. */
static const dw_ehframe *module_ehframe(dw_walker *w, const dw_module *m, dw_module_cache *c)
{
    if (!c->eh_tried) {
        c->eh_tried = 1;
        c->walker = w;
        c->base = m->base;
        c->eh_ok = dw_ehframe_open_elf(&c->eh, read_module, c, &w->arena) == DW_OK &&
                   c->eh.addr_size == dw_walker_word(w);
    }
    return c->eh_ok ? &c->eh : NULL;
}

static void regs_from_context(const reg_map *map, const dw_context *ctx, dw_eh_regs *regs)
{
    memset(regs, 0, sizeof *regs);
    for (unsigned col = 0; col < map->columns && col < DW_EH_COLUMNS; col++) {
        if (dw_context_has(ctx, map->dwarf[col])) {
            regs->value[col] = ctx->regs[map->dwarf[col]];
            regs->valid |= 1u << col;
        }
    }
}

/* The callee's IP is exact in frame 0 and in the frame a signal frame's
 * unwinding produced. */
static int ip_is_exact(dw_walker *w, const dw_frame *callee)
{
    if (callee->index == 0)
        return 1;
    return w->eh_exact_ip_set && w->eh_exact_ip_index == callee->index &&
           w->eh_exact_ip == callee->ip;
}

/* Fill the caller's context from the unwound columns.  0 when the row
 * gives no return address at all. */
static int fill_caller(const reg_map *map, const dw_eh_row *row, const dw_context *callee,
                       const dw_eh_regs *out, dw_context *caller)
{
    for (unsigned col = 0; col < map->columns; col++) {
        if (col != row->ra_column && ((out->valid >> col) & 1))
            dw_ctx_set(caller, map->dwarf[col], out->value[col]);
    }
    for (unsigned i = 0; i < map->saved_count; i++) {
        unsigned col = map->saved[i], reg = map->dwarf[col];
        if (row->col[col].kind == DW_EH_UNSPECIFIED && dw_context_has(callee, reg))
            dw_ctx_set(caller, reg, callee->regs[reg]);
    }
    /* The CFA is the caller's stack pointer unless a rule names it (signal
     * frames restore it from the saved context). */
    if (!((out->valid >> map->sp_column) & 1))
        dw_ctx_set(caller, map->dwarf[map->sp_column], out->cfa);
    unsigned ip = map->dwarf[map->columns - 1];
    if (row->ra_column < DW_EH_COLUMNS && ((out->undefined >> row->ra_column) & 1)) {
        dw_ctx_set(caller, ip, 0); /* outermost frame: the walker stops on IP 0 */
        return 1;
    }
    if (row->ra_column >= DW_EH_COLUMNS || !((out->valid >> row->ra_column) & 1))
        return 0;
    dw_ctx_set(caller, ip, out->value[row->ra_column]);
    return 1;
}

dw_status dw_rule_ehframe(dw_walker *w, const dw_frame *callee, dw_context *caller, dw_trust *trust,
                          char *reason, size_t reason_size)
{
    int exact = ip_is_exact(w, callee);
    if (callee->index == 0)
        w->eh_exact_ip_set = 0;
    uint64_t lookup = exact ? callee->ip : callee->ip - 1;
    dw_module_cache *mc;
    const dw_module *m = dw_walker_module(w, lookup, &mc);
    const dw_ehframe *eh = m && mc ? module_ehframe(w, m, mc) : NULL;
    dw_eh_row row;
    if (!eh || dw_ehframe_find(eh, lookup - m->base, &row) != DW_OK)
        return DW_ERR_NOT_FOUND;
    reg_map map = map_of(w);
    dw_eh_regs in, out;
    regs_from_context(&map, &callee->context, &in);
    if (dw_ehframe_unwind(eh, &row, &in, dw_walker_read_value, w, &out) != DW_OK ||
        !fill_caller(&map, &row, &callee->context, &out, caller))
        return DW_ERR_NOT_FOUND;
    if (row.signal_frame) {
        w->eh_exact_ip_set = 1;
        w->eh_exact_ip_index = callee->index + 1;
        w->eh_exact_ip = caller->regs[dw_walker_ip_reg(w)];
    }
    *trust = DW_TRUST_CFI;
    snprintf(reason, reason_size, "eh_frame");
    return DW_OK;
}
