/* Frame rules recovered from code alone: prologue simulation, epilogue
 * recognition and a function-start back-scan, for x86 and x64.
 *
 * Used when a frame has no better unwind information (no .pdata / no CFI /
 * no symbols).  Pure functions of code bytes and their virtual address; the
 * caller owns the dw_disasm (lib/unwind/insn.h).
 *
 * Vocabulary: the CFA is the value the stack pointer had just before the call
 * instruction pushed the return address, so the return address lives at
 * CFA-8 (x64) / CFA-4 (x86) and at function entry CFA = SP + 8 / SP + 4.
 * Registers are numbered DW_AMD64_* / DW_X86_* (encoding order).
 */
#ifndef DW_UNWIND_PROLOGUE_H
#define DW_UNWIND_PROLOGUE_H

#include <stddef.h>
#include <stdint.h>

#include "dumpwalk/status.h"
#include "unwind/insn.h"

#define DW_FRAME_MAX_SAVED 16

typedef enum dw_cfa_base {
    DW_CFA_NONE = 0,
    DW_CFA_SP = 1, /* CFA = RSP/ESP + cfa_offset */
    DW_CFA_FP = 2, /* CFA = RBP/EBP + cfa_offset */
} dw_cfa_base;

typedef struct dw_saved_reg {
    uint8_t reg;        /* DW_AMD64_* / DW_X86_* */
    int32_t cfa_offset; /* the caller's value is stored at CFA + cfa_offset */
} dw_saved_reg;

typedef struct dw_frame_rule {
    dw_cfa_base base;
    int64_t cfa_offset; /* CFA = base register + cfa_offset */
    int32_t ra_offset;  /* return address at CFA + ra_offset (-8 / -4) */
    uint32_t ret_pop;   /* epilogues: extra bytes `ret N` pops (stdcall arguments) */
    unsigned saved_count;
    dw_saved_reg saved[DW_FRAME_MAX_SAVED];
    unsigned insn_count;     /* prologue / epilogue instructions recognised */
    uint64_t analyzed_to;    /* address of the first instruction not simulated */
    int reached_ip;          /* prologue: simulation reached the IP, so the rule is exact there */
    int frame_pointer;       /* prologue: RBP/EBP was set up from the stack pointer */
    const char *stop_reason; /* why the simulation ended ("reached ip", ...) */
} dw_frame_rule;

/* Simulate the prologue of the function starting at `start` up to `ip`.
 *
 * `code` holds `size` bytes from `start`.  Recognised: pushes (non-volatile
 * registers are recorded as saved; volatile ones, `push imm` and `push mem`
 * only allocate), sub/add of an immediate to the stack pointer, the __chkstk
 * pattern (mov eax,N; call; [sub rsp,rax]), frame pointer set-up (mov rbp,rsp;
 * lea rbp,[rsp+N]; lea rbp,[rax+N] after mov rax,rsp), register saves to the
 * frame (mov [rsp+N],reg), vector saves, endbr64/endbr32, nops, the x86
 * hot-patch `mov edi,edi`, x86 SEH registration through fs:[0], and
 * `and rsp,-N` once a frame pointer exists.  Simulation stops at the first
 * other instruction or at `ip`.  The rule describes the state at
 * min(ip, analyzed_to): exact when reached_ip is set; otherwise it holds for
 * the body only if the body leaves the stack pointer alone (true of x64
 * fixed frames and of any frame-pointer frame).
 * DW_ERR_INVALID_ARG when ip < start; otherwise DW_OK with *out filled
 * (possibly just the entry rule). */
dw_status dw_prologue_analyze(dw_disasm *d, const uint8_t *code, size_t size, uint64_t start,
                              uint64_t ip, dw_frame_rule *out);

/* Is the code at `ip` (`size` bytes of it in `code`) the rest of an epilogue:
 * [add rsp,N | lea rsp,[rsp+N] | lea rsp,[rbp+N] | mov rsp,rbp | leave]
 * [pop reg]* then ret / ret N (or, after at least one of the above, a tail
 * `jmp`)?  Returns 1 and the rule at `ip` when it is, 0 otherwise. */
int dw_epilogue_analyze(dw_disasm *d, const uint8_t *code, size_t size, uint64_t ip,
                        dw_frame_rule *out);

typedef struct dw_func_start {
    uint64_t address;
    int confidence;     /* 1..100 */
    const char *reason; /* what precedes it: "after int3 padding", "after ret", ... */
    unsigned prologue_insns;
} dw_func_start;

/* Plausible starts of the function containing `ip`, looking back through
 * `code` (`size` bytes whose first byte is at `code_va`; ip <= code_va + size)
 * and never below `lower_bound` (0 for none).  A candidate follows int3/nop
 * padding, a ret or a jmp, or is 16-byte aligned; its first instructions must
 * be prologue instructions and decoding from it must land exactly on `ip`
 * without crossing int3 padding.  Up to `max_out` candidates are written,
 * most confident first (nearest first among equals); returns how many. */
size_t dw_find_function_starts(dw_disasm *d, const uint8_t *code, size_t size, uint64_t code_va,
                               uint64_t ip, uint64_t lower_bound, dw_func_start *out,
                               size_t max_out);

#endif
