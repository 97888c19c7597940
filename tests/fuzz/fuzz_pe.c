/* libFuzzer harness: PE headers, exports, .pdata and the x64 unwinder
 * (lib/image/pe.h, lib/image/pdata.h, lib/unwind/x64_pdata.h).  The input is
 * a mapped image (RVA = offset).  After the headers and the export table,
 * every RUNTIME_FUNCTION of the exception directory (up to 256) is decoded
 * and unwound with RIP at its start, middle and last byte, as a thread's
 * context and as a caller frame.  The stack the unwinder reads is the input
 * itself, seen at a fixed address, so saved registers and return addresses
 * come from fuzzed bytes too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/pdata.h"
#include "image/pe.h"
#include "unwind/x64_pdata.h"
#include "util/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IMAGE_BASE 0x140000000ull
#define STACK_BASE 0x10000000ull
#define MAX_ENTRIES 256

typedef struct blob {
    const uint8_t *data;
    size_t size;
} blob;

static size_t copy_at(const blob *b, uint64_t off, void *buf, size_t len)
{
    if (off >= b->size)
        return 0;
    size_t n = b->size - off < len ? (size_t)(b->size - off) : len;
    memcpy(buf, b->data + off, n);
    return n;
}

static size_t image_read(void *ctx, uint64_t rva, void *buf, size_t len)
{
    return copy_at(ctx, rva, buf, len);
}

static size_t stack_read(void *ctx, uint64_t va, void *buf, size_t len)
{
    return va < STACK_BASE ? 0 : copy_at(ctx, va - STACK_BASE, buf, len);
}

static dw_x64_unwinder unwinder;
static int unwinder_ok;

static void unwind_at(const dw_x64_image *img, const dw_runtime_function *rf, uint64_t rip,
                      const dw_pe_dir *table, blob *b)
{
    dw_context callee, caller;
    memset(&callee, 0, sizeof callee);
    callee.arch = DW_ARCH_AMD64;
    for (unsigned r = 0; r < DW_AMD64_RIP; r++) {
        callee.regs[r] = STACK_BASE + 0x40 + 8 * r;
        callee.valid |= 1ull << r;
    }
    callee.regs[DW_AMD64_RIP] = rip;
    callee.valid |= 1ull << DW_AMD64_RIP;
    for (unsigned flags = 0; flags <= DW_X64_UNWIND_CALLER_FRAME; flags++) {
        dw_x64_unwind_result res;
        dw_status st =
            dw_x64_pdata_unwind(&unwinder, img, rf, flags, &callee, stack_read, b, &caller, &res);
        if (!memchr(res.reason, 0, sizeof res.reason) || !memchr(res.detail, 0, sizeof res.detail))
            abort();
        if (st == DW_OK &&
            !(dw_context_has(&caller, DW_AMD64_RIP) && dw_context_has(&caller, DW_AMD64_RSP)))
            abort(); /* success promises the caller's RIP and RSP */
        (void)dw_x64_pdata_step(&unwinder, img, table->rva, table->size, flags, &callee, stack_read,
                                b, &caller, &res);
    }
}

static void walk_pdata(dw_pe *pe, blob *b)
{
    const dw_pe_dir *table = dw_pe_dir_get(pe, DW_PE_DIR_EXCEPTION);
    if (!table || !unwinder_ok)
        return;
    dw_x64_image img = {image_read, b, IMAGE_BASE};
    size_t count = table->size / DW_RUNTIME_FUNCTION_SIZE;
    for (size_t i = 0; i < count && i < MAX_ENTRIES; i++) {
        uint8_t e[DW_RUNTIME_FUNCTION_SIZE];
        if (!dw_pe_read(pe, table->rva + (uint64_t)i * sizeof e, e, sizeof e))
            break;
        dw_runtime_function rf = {e[0] | e[1] << 8 | e[2] << 16 | (uint32_t)e[3] << 24,
                                  e[4] | e[5] << 8 | e[6] << 16 | (uint32_t)e[7] << 24,
                                  e[8] | e[9] << 8 | e[10] << 16 | (uint32_t)e[11] << 24};
        dw_unwind_info info;
        if (dw_unwind_info_read(image_read, b, rf.unwind_info & ~1u, &info) == DW_OK &&
            (info.op_count > DW_UNWIND_MAX_OPS || info.epilog_count > DW_UNWIND_MAX_OPS))
            abort();
        dw_runtime_function found;
        (void)dw_pe_find_runtime_function(pe, rf.begin, &found);
        uint64_t len = rf.end > rf.begin ? rf.end - rf.begin : 1;
        unwind_at(&img, &rf, IMAGE_BASE + rf.begin, table, b);
        unwind_at(&img, &rf, IMAGE_BASE + rf.begin + len / 2, table, b);
        unwind_at(&img, &rf, IMAGE_BASE + rf.begin + len - 1, table, b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!unwinder_ok)
        unwinder_ok = dw_x64_unwinder_init(&unwinder) == DW_OK;
    blob b = {data, size};
    dw_pe pe;
    if (dw_pe_open(&pe, image_read, &b) != DW_OK) {
        if (!pe.error[0])
            abort(); /* a refusal must say why */
        return 0;
    }
    for (uint32_t rva = 0; rva < pe.size_of_image && rva < (1u << 24); rva += 0x1000)
        (void)dw_pe_section_at(&pe, rva);
    dw_arena arena;
    dw_arena_init(&arena);
    dw_pe_exports ex;
    dw_status st = dw_pe_exports_read(&pe, &arena, &ex);
    if (st == DW_OK || st == DW_ERR_TRUNCATED) {
        volatile size_t sink = strlen(ex.dll_name);
        for (size_t i = 0; i < ex.count; i++) {
            sink += strlen(ex.items[i].name);
            if (i && ex.items[i].rva < ex.items[i - 1].rva)
                abort(); /* promised sorted by rva */
            const dw_pe_export *at = dw_pe_export_at(&ex, ex.items[i].rva);
            if (!at || at->rva != ex.items[i].rva)
                abort();
        }
        (void)sink;
    }
    dw_arena_free(&arena);
    walk_pdata(&pe, &b);
    return 0;
}
