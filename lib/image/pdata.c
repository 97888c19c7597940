/* RUNTIME_FUNCTION lookup and UNWIND_INFO decoding (see pdata.h for sources). */
#include "image/pdata.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/reader.h"

/* More entries than this cannot come from a real image (4 GiB / 12). */
#define MAX_PDATA_ENTRIES (UINT32_MAX / DW_RUNTIME_FUNCTION_SIZE)

static int read_runtime_function(dw_image_read_fn read, void *ctx, uint64_t rva,
                                 dw_runtime_function *out)
{
    uint8_t b[DW_RUNTIME_FUNCTION_SIZE];
    if (read(ctx, rva, b, sizeof b) < sizeof b)
        return 0;
    out->begin = dw_le32(b);
    out->end = dw_le32(b + 4);
    out->unwind_info = dw_le32(b + 8);
    return 1;
}

/* Binary search for the last entry with begin <= rva: O(log n) reads. */
static dw_status search_table(dw_image_read_fn read, void *ctx, uint32_t table_rva, uint32_t count,
                              uint32_t rva, dw_runtime_function *out)
{
    uint32_t lo = 0, hi = count;
    int found = 0;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        dw_runtime_function rf;
        if (!read_runtime_function(read, ctx, (uint64_t)table_rva + 12ull * mid, &rf))
            return DW_ERR_TRUNCATED;
        if (rf.begin <= rva) {
            *out = rf;
            found = 1;
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (!found || rva >= out->end)
        return DW_ERR_NOT_FOUND;
    return out->end > out->begin ? DW_OK : DW_ERR_DAMAGED;
}

dw_status dw_pdata_lookup(dw_image_read_fn read, void *ctx, uint32_t table_rva, uint32_t table_size,
                          uint32_t rva, dw_runtime_function *out)
{
    uint32_t count = table_size / DW_RUNTIME_FUNCTION_SIZE;
    if (!read || count == 0 || count > MAX_PDATA_ENTRIES)
        return DW_ERR_NOT_FOUND;
    dw_status st = search_table(read, ctx, table_rva, count, rva, out);
    if (st != DW_OK || !(out->unwind_info & DW_RUNTIME_FUNCTION_INDIRECT))
        return st;
    uint32_t target = out->unwind_info & ~DW_RUNTIME_FUNCTION_INDIRECT;
    if (!read_runtime_function(read, ctx, target, out))
        return DW_ERR_TRUNCATED;
    /* Only one level of indirection is defined. */
    if (out->unwind_info & DW_RUNTIME_FUNCTION_INDIRECT)
        return DW_ERR_DAMAGED;
    return DW_OK;
}

dw_status dw_pe_find_runtime_function(const dw_pe *pe, uint32_t rva, dw_runtime_function *out)
{
    const dw_pe_dir *dir = dw_pe_dir_get(pe, DW_PE_DIR_EXCEPTION);
    if (!dir)
        return DW_ERR_NOT_FOUND;
    return dw_pdata_lookup(pe->read, pe->ctx, dir->rva, dir->size, rva, out);
}

/* ---- UNWIND_INFO ---- */

/* Names indexed by UWOP_* value (Microsoft "x64 exception handling"). */
static const char *const uwop_names[] = {
    [DW_UWOP_PUSH_NONVOL] = "PUSH_NONVOL",
    [DW_UWOP_ALLOC_LARGE] = "ALLOC_LARGE",
    [DW_UWOP_ALLOC_SMALL] = "ALLOC_SMALL",
    [DW_UWOP_SET_FPREG] = "SET_FPREG",
    [DW_UWOP_SAVE_NONVOL] = "SAVE_NONVOL",
    [DW_UWOP_SAVE_NONVOL_FAR] = "SAVE_NONVOL_FAR",
    [DW_UWOP_EPILOG] = "EPILOG",
    [DW_UWOP_SPARE] = "SPARE",
    [DW_UWOP_SAVE_XMM128] = "SAVE_XMM128",
    [DW_UWOP_SAVE_XMM128_FAR] = "SAVE_XMM128_FAR",
    [DW_UWOP_PUSH_MACHFRAME] = "PUSH_MACHFRAME",
};

const char *dw_uwop_name(unsigned op)
{
    return op < sizeof uwop_names / sizeof uwop_names[0] ? uwop_names[op] : "?";
}

static dw_status info_fail(dw_unwind_info *info, dw_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static dw_status info_fail(dw_unwind_info *info, dw_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info->error, sizeof info->error, fmt, ap);
    va_end(ap);
    return status;
}

/* Slots used by an operation; 0 for an undefined form. */
static unsigned op_slots(unsigned version, unsigned op, unsigned info)
{
    switch (op) {
    case DW_UWOP_PUSH_NONVOL:
    case DW_UWOP_ALLOC_SMALL:
    case DW_UWOP_SET_FPREG:
        return 1;
    case DW_UWOP_PUSH_MACHFRAME:
        return info <= 1 ? 1 : 0;
    case DW_UWOP_ALLOC_LARGE:
        return info == 0 ? 2 : info == 1 ? 3 : 0;
    case DW_UWOP_SAVE_NONVOL:
    case DW_UWOP_SAVE_XMM128:
        return 2;
    case DW_UWOP_SAVE_NONVOL_FAR:
    case DW_UWOP_SAVE_XMM128_FAR:
    case DW_UWOP_SPARE:
        return 3;
    case DW_UWOP_EPILOG:
        return version >= 2 ? 1 : 2;
    default:
        return 0;
    }
}

/* The operand of a multi-slot op: a scaled u16 in the next slot or an
 * unscaled u32 in the next two. */
static uint32_t op_value(const uint8_t *slot, unsigned op, unsigned info)
{
    switch (op) {
    case DW_UWOP_ALLOC_LARGE:
        return info == 0 ? dw_le16(slot + 2) * 8u : dw_le32(slot + 2);
    case DW_UWOP_ALLOC_SMALL:
        return info * 8 + 8;
    case DW_UWOP_SAVE_NONVOL:
        return dw_le16(slot + 2) * 8u;
    case DW_UWOP_SAVE_XMM128:
        return dw_le16(slot + 2) * 16u;
    case DW_UWOP_SAVE_NONVOL_FAR:
    case DW_UWOP_SAVE_XMM128_FAR:
        return dw_le32(slot + 2);
    default:
        return 0;
    }
}

/* Version 2 UWOP_EPILOG: the first holds the epilog size and, in bit 0 of
 * OpInfo, whether an epilog ends the function; later ones hold a 12-bit
 * offset from the function end (0 is padding). */
static void add_epilog_code(dw_unwind_info *info, const uint8_t *slot)
{
    if (!info->has_epilog_info) {
        info->has_epilog_info = 1;
        info->epilog_size = slot[0];
        if (slot[1] >> 4 & 1)
            info->epilog_offsets[info->epilog_count++] = slot[0];
        return;
    }
    uint16_t offset = (uint16_t)(slot[0] | (slot[1] >> 4) << 8);
    if (offset != 0)
        info->epilog_offsets[info->epilog_count++] = offset;
}

static dw_status decode_codes(dw_unwind_info *info, const uint8_t *codes)
{
    unsigned i = 0;
    while (i < info->code_count) {
        const uint8_t *slot = codes + 2 * i;
        unsigned op = slot[1] & 0x0f, opinfo = slot[1] >> 4;
        unsigned n = op_slots(info->version, op, opinfo);
        if (n == 0)
            return info_fail(info, DW_ERR_DAMAGED, "UNWIND_INFO 0x%x: undefined code %u info %u",
                             info->rva, op, opinfo);
        if (i + n > info->code_count)
            return info_fail(info, DW_ERR_DAMAGED,
                             "UNWIND_INFO 0x%x: %s at slot %u needs %u slots, %u declared",
                             info->rva, dw_uwop_name(op), i, n, info->code_count);
        if (op == DW_UWOP_EPILOG && info->version >= 2) {
            add_epilog_code(info, slot);
        } else {
            dw_unwind_op *o = &info->ops[info->op_count++];
            o->prolog_offset = slot[0];
            o->op = (uint8_t)op;
            o->info = (uint8_t)opinfo;
            o->slots = (uint8_t)n;
            o->value = op_value(slot, op, opinfo);
        }
        i += n;
    }
    return DW_OK;
}

static void decode_trailer(dw_unwind_info *info, const uint8_t *trailer)
{
    if (info->flags & DW_UNW_FLAG_CHAININFO) {
        info->has_chain = 1;
        info->chained.begin = dw_le32(trailer);
        info->chained.end = dw_le32(trailer + 4);
        info->chained.unwind_info = dw_le32(trailer + 8);
    } else if (info->flags & (DW_UNW_FLAG_EHANDLER | DW_UNW_FLAG_UHANDLER)) {
        info->has_handler = 1;
        info->handler_rva = dw_le32(trailer);
    }
}

dw_status dw_unwind_info_read(dw_image_read_fn read, void *ctx, uint32_t rva, dw_unwind_info *out)
{
    memset(out, 0, sizeof *out);
    out->rva = rva;
    /* Header (4) + codes padded to an even count (<= 256 slots) + trailer
     * (chained RUNTIME_FUNCTION 12 or handler RVA 4). */
    uint8_t b[4 + 2 * 256 + DW_RUNTIME_FUNCTION_SIZE];
    if (!read || read(ctx, rva, b, 4) < 4)
        return info_fail(out, DW_ERR_TRUNCATED, "UNWIND_INFO 0x%x not readable", rva);
    out->version = b[0] & 7;
    out->flags = b[0] >> 3;
    out->prolog_size = b[1];
    out->code_count = b[2];
    out->frame_register = b[3] & 0x0f;
    out->frame_offset = b[3] >> 4;
    if (out->version != 1 && out->version != 2)
        return info_fail(out, DW_ERR_UNSUPPORTED, "UNWIND_INFO 0x%x: version %u", rva,
                         out->version);
    size_t codes_size = 2u * ((out->code_count + 1u) & ~1u);
    size_t trailer = (out->flags & DW_UNW_FLAG_CHAININFO) ? DW_RUNTIME_FUNCTION_SIZE
                     : (out->flags & (DW_UNW_FLAG_EHANDLER | DW_UNW_FLAG_UHANDLER)) ? 4
                                                                                    : 0;
    size_t total = 4 + codes_size + trailer;
    if (read(ctx, rva, b, total) < total)
        return info_fail(out, DW_ERR_TRUNCATED, "UNWIND_INFO 0x%x: %zu bytes not readable", rva,
                         total);
    dw_status st = decode_codes(out, b + 4);
    if (st == DW_OK)
        decode_trailer(out, b + 4 + codes_size);
    return st;
}
