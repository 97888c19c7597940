/* x64 virtual unwind of one frame from PE exception data (.pdata/.xdata).
 *
 * Rules (Microsoft "x64 exception handling", "x64 prolog and epilog"):
 *  - in the prologue, only the unwind codes whose prologue offset is <= the
 *    IP's offset have run and are undone;
 *  - in an epilogue (found by decoding the code at RIP with capstone: `add
 *    rsp,imm` or `lea rsp,[fp+disp]`, pops, then `ret` or a `jmp` leaving the
 *    function; or listed by version-2 UWOP_EPILOG codes) the rest of the
 *    epilogue is emulated instead of the codes;
 *  - otherwise every code is undone, following chained entries, and the
 *    return address is popped, unless UWOP_PUSH_MACHFRAME supplied RIP/RSP.
 * Functions without a RUNTIME_FUNCTION are leaves: dw_x64_pdata_step returns
 * DW_ERR_NOT_FOUND and the caller applies "RIP = [RSP], RSP += 8" itself.
 */
#ifndef DW_UNWIND_X64_PDATA_H
#define DW_UNWIND_X64_PDATA_H

#include <stddef.h>
#include <stdint.h>

#include <capstone/capstone.h>

#include "dumpwalk/threads.h"
#include "image/pdata.h"

/* Copy up to len bytes of process memory at va; returns bytes copied. */
typedef size_t (*dw_x64_mem_read_fn)(void *ctx, uint64_t va, void *buf, size_t len);

/* The image holding the function: its bytes by RVA (code and UNWIND_INFO)
 * and where it is loaded. */
typedef struct dw_x64_image {
    dw_image_read_fn read;
    void *ctx;
    uint64_t base;
} dw_x64_image;

/* Reusable state: the capstone handle and scratch space, so a call allocates
 * nothing (past the first epilogue check, which opens capstone).  One
 * unwinder per thread of use. */
typedef struct dw_x64_unwinder {
    csh cs; /* opened on first use (x64_pdata.c) */
    cs_insn *insn;
    int cs_failed;       /* capstone refused: epilogues are not checked */
    dw_unwind_info info; /* scratch for the entry being evaluated */
} dw_x64_unwinder;

dw_status dw_x64_unwinder_init(dw_x64_unwinder *u);
void dw_x64_unwinder_fini(dw_x64_unwinder *u);

typedef struct dw_x64_unwind_result {
    /* The rule applied: "pdata", "pdata+epilog", "pdata+chained",
     * "pdata+machframe", "pdata+prologue(n/m)" (IP offset n of a prologue of
     * m bytes), or "leaf" when no entry covers RIP. */
    char reason[40];
    char detail[160]; /* on failure: what was missing or inconsistent */
} dw_x64_unwind_result;

/* The callee's RIP is a return address (not the context of a thread): the
 * function is looked up at RIP-1 and RIP is never in a prologue. */
#define DW_X64_UNWIND_CALLER_FRAME 1u

/* Unwind one frame through `rf` (an entry of img).  callee must have RIP and
 * RSP valid; caller receives RIP, RSP, the restored non-volatiles, and the
 * callee's other non-volatile registers (volatile ones are marked invalid).
 * Statuses: DW_OK; DW_ERR_INVALID_ARG (RIP/RSP missing, RIP outside rf);
 * DW_ERR_TRUNCATED (stack memory, UNWIND_INFO or the frame register needed
 * is absent); DW_ERR_DAMAGED / DW_ERR_UNSUPPORTED (unusable unwind data);
 * DW_ERR_LIMIT (chain too deep). */
dw_status dw_x64_pdata_unwind(dw_x64_unwinder *u, const dw_x64_image *img,
                              const dw_runtime_function *rf, unsigned flags,
                              const dw_context *callee, dw_x64_mem_read_fn mem, void *mem_ctx,
                              dw_context *caller, dw_x64_unwind_result *res);

/* Look RIP up in the RUNTIME_FUNCTION table at [table_rva, +table_size) of
 * img, then unwind.  DW_ERR_NOT_FOUND (reason "leaf") when no entry covers it. */
dw_status dw_x64_pdata_step(dw_x64_unwinder *u, const dw_x64_image *img, uint32_t table_rva,
                            uint32_t table_size, unsigned flags, const dw_context *callee,
                            dw_x64_mem_read_fn mem, void *mem_ctx, dw_context *caller,
                            dw_x64_unwind_result *res);

#endif
