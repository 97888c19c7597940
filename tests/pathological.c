#include "pathological.h"

#include <stdlib.h>
#include <string.h>

#include "dumpwalk/dumpwalk.h"
#include "mdwriter.h"

#define CONTEXT_FLAGS_AMD64_FULL 0x10000bu /* CONTROL | INTEGER | SEGMENTS */
#define FUNCTION_OFFSET 0x1000             /* where the module's "code" starts */

static mdw *new_dump(void)
{
    mdw *w = mdw_new();
    mdw_system_info(w, 9 /* PROCESSOR_ARCHITECTURE_AMD64 */, 10, 0, 19045, 2, NULL);
    static const uint8_t guid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    mdw_add_module(w, PATHO_MODULE_BASE, PATHO_MODULE_SIZE, "C:\\patho\\patho.exe", 0x5f000000,
                   "patho.pdb", guid, 1, 0);
    return w;
}

/* A thread whose context has RIP in the module and RSP/RBP as given. */
static void add_thread(mdw *w, uint32_t tid, uint64_t stack_va, const uint8_t *stack,
                       size_t stack_len, uint64_t rbp)
{
    mdw_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.r[DW_AMD64_RIP] = PATHO_MODULE_BASE + FUNCTION_OFFSET + 0x10;
    regs.r[DW_AMD64_RSP] = stack_va;
    regs.r[DW_AMD64_RBP] = rbp;
    regs.r[DW_AMD64_CS] = 0x33;
    regs.r[DW_AMD64_SS] = 0x2b;
    uint32_t ctx_size;
    uint32_t ctx = mdw_context_amd64(w, &regs, CONTEXT_FLAGS_AMD64_FULL, &ctx_size);
    mdw_add_thread(w, tid, 0x7ffd0000 + (uint64_t)tid * 0x2000, stack_va, stack, stack_len, ctx,
                   ctx_size);
}

static uint8_t *finish(mdw *w, size_t *size)
{
    uint8_t *buf = mdw_finish(w, size);
    mdw_free(w);
    return buf;
}

uint8_t *patho_many_ranges(size_t n, size_t *size)
{
    mdw *w = new_dump();
    uint8_t stack[64] = {0};
    add_thread(w, 1, PATHO_STACK_BASE, stack, sizeof stack, 0);
    uint8_t fill[PATHO_RANGE_SIZE];
    for (size_t i = 0; i < n; i++) {
        memset(fill, (int)(i & 0xff), sizeof fill);
        mdw_add_memory(w, PATHO_RANGE_VA(i), fill, sizeof fill);
        mdw_add_memory_info(w, PATHO_RANGE_VA(i), 0x100, 0x1000 /* MEM_COMMIT */,
                            0x04 /* PAGE_READWRITE */, 0x20000 /* MEM_PRIVATE */);
    }
    return finish(w, size);
}

uint8_t *patho_many_threads(size_t n, size_t *size)
{
    mdw *w = new_dump();
    uint8_t stack[256] = {0};
    mdw_put64(stack, PATHO_MODULE_BASE + FUNCTION_OFFSET + 0x40);
    for (size_t i = 0; i < n; i++)
        add_thread(w, (uint32_t)(i + 1), PATHO_STACK_BASE + (uint64_t)i * 0x10000, stack,
                   sizeof stack, 0);
    return finish(w, size);
}

/* `call rel32` (E8) to the function start, repeated: each return address
 * (the byte after a call) is a strong scan candidate. */
static void add_call_code(mdw *w)
{
    size_t len = 0x4000;
    uint8_t *code = malloc(len);
    for (size_t off = 0; off + 5 <= len; off += 5) {
        int32_t rel = -(int32_t)(off + 5);
        code[off] = 0xe8;
        memcpy(code + off + 1, &rel, 4); /* little-endian host assumed by the tests */
    }
    memset(code + len - len % 5, 0xcc, len % 5);
    mdw_add_memory(w, PATHO_MODULE_BASE + FUNCTION_OFFSET, code, len);
    free(code);
}

uint8_t *patho_return_address_stack(size_t stack_bytes, int with_code, size_t *size)
{
    mdw *w = new_dump();
    if (with_code)
        add_call_code(w);
    uint8_t *stack = malloc(stack_bytes);
    for (size_t off = 0; off + 8 <= stack_bytes; off += 8) {
        uint64_t k = off / 8 % 0x800;
        mdw_put64(stack + off, PATHO_MODULE_BASE + FUNCTION_OFFSET + 5 * (k + 1));
    }
    add_thread(w, 1, PATHO_STACK_BASE, stack, stack_bytes, 0);
    free(stack);
    return finish(w, size);
}

uint8_t *patho_fp_loop(int cycle, size_t *size)
{
    mdw *w = new_dump();
    uint8_t stack[0x1000] = {0};
    uint64_t a = PATHO_STACK_BASE + 0x100, b = PATHO_STACK_BASE + 0x200;
    uint64_t ret = PATHO_MODULE_BASE + FUNCTION_OFFSET + 0x80;
    if (cycle == 1) {
        mdw_put64(stack + 0x100, a); /* [rbp] = rbp */
        mdw_put64(stack + 0x108, ret);
    } else {
        mdw_put64(stack + 0x100, b); /* A -> B -> A */
        mdw_put64(stack + 0x108, ret);
        mdw_put64(stack + 0x200, a);
        mdw_put64(stack + 0x208, ret + 0x10);
    }
    add_thread(w, 1, PATHO_STACK_BASE, stack, sizeof stack, a);
    return finish(w, size);
}
