/* x64 exception data of a PE image: RUNTIME_FUNCTION lookup (.pdata) and
 * UNWIND_INFO decoding.  Pure data access; evaluating the codes to unwind a
 * frame is unwind/x64_pdata.c.
 *
 * Format facts: Microsoft "x64 exception handling" (RUNTIME_FUNCTION,
 * UNWIND_INFO, UNWIND_CODE, chained unwind info); unwind version 2 epilog
 * codes as emitted by MSVC/LLVM (first UWOP_EPILOG: size + "at end" flag,
 * later ones: 12-bit offset of an epilog from the function end).
 */
#ifndef DW_IMAGE_PDATA_H
#define DW_IMAGE_PDATA_H

#include <stddef.h>
#include <stdint.h>

#include "image/pe.h"

typedef struct dw_runtime_function {
    uint32_t begin;       /* BeginAddress (RVA) */
    uint32_t end;         /* EndAddress (RVA, exclusive) */
    uint32_t unwind_info; /* UnwindInfoAddress (RVA) */
} dw_runtime_function;

#define DW_RUNTIME_FUNCTION_SIZE 12
/* Bit 0 of UnwindInfoAddress: the entry points at another RUNTIME_FUNCTION
 * that holds the real data (RUNTIME_FUNCTION_INDIRECT). */
#define DW_RUNTIME_FUNCTION_INDIRECT 1u

/* Find the entry whose [begin, end) holds rva in a sorted RUNTIME_FUNCTION
 * table of table_size bytes at table_rva, reading only the probed entries
 * (the table need not be wholly present).  An indirect entry is followed once.
 * DW_ERR_NOT_FOUND: no entry covers rva (a leaf function);
 * DW_ERR_TRUNCATED: a probed entry was not readable;
 * DW_ERR_DAMAGED: an entry with end <= begin was met. */
dw_status dw_pdata_lookup(dw_image_read_fn read, void *ctx, uint32_t table_rva, uint32_t table_size,
                          uint32_t rva, dw_runtime_function *out);

/* dw_pdata_lookup over the image's exception directory.  DW_ERR_NOT_FOUND
 * also when the image has no exception directory (every function is a leaf). */
dw_status dw_pe_find_runtime_function(const dw_pe *pe, uint32_t rva, dw_runtime_function *out);

/* UWOP_* operation codes (UNWIND_CODE.UnwindOp). */
enum {
    DW_UWOP_PUSH_NONVOL = 0,
    DW_UWOP_ALLOC_LARGE = 1,
    DW_UWOP_ALLOC_SMALL = 2,
    DW_UWOP_SET_FPREG = 3,
    DW_UWOP_SAVE_NONVOL = 4,
    DW_UWOP_SAVE_NONVOL_FAR = 5,
    DW_UWOP_EPILOG = 6, /* version 2; version 1 used 6 for SAVE_XMM (2 slots) */
    DW_UWOP_SPARE = 7,  /* version 1 SAVE_XMM_FAR (3 slots) */
    DW_UWOP_SAVE_XMM128 = 8,
    DW_UWOP_SAVE_XMM128_FAR = 9,
    DW_UWOP_PUSH_MACHFRAME = 10,
};

/* UNWIND_INFO.Flags */
enum {
    DW_UNW_FLAG_EHANDLER = 1,
    DW_UNW_FLAG_UHANDLER = 2,
    DW_UNW_FLAG_CHAININFO = 4,
};

/* One decoded prologue operation (multi-slot codes folded into one). */
typedef struct dw_unwind_op {
    uint8_t prolog_offset; /* offset of the end of the instruction in the prologue */
    uint8_t op;            /* DW_UWOP_* */
    uint8_t info;          /* register number, or form flag */
    uint8_t slots;         /* UNWIND_CODE slots this op used */
    uint32_t value;        /* bytes: allocation size or save offset; 0 otherwise */
} dw_unwind_op;

/* CountOfCodes is a byte: at most 255 slots, so at most 255 operations. */
#define DW_UNWIND_MAX_OPS 255

typedef struct dw_unwind_info {
    uint32_t rva;
    uint8_t version; /* 1 or 2 */
    uint8_t flags;   /* DW_UNW_FLAG_* */
    uint8_t prolog_size;
    uint8_t code_count;     /* slots */
    uint8_t frame_register; /* 0: none */
    uint8_t frame_offset;   /* scaled: the frame register is RSP + 16 * this */
    size_t op_count;
    dw_unwind_op ops[DW_UNWIND_MAX_OPS]; /* in array order: descending prolog offset */
    /* Version 2 epilogs: each is epilog_size bytes and starts `offset` bytes
     * before the function's end. */
    uint8_t epilog_size;
    int has_epilog_info;
    size_t epilog_count;
    uint16_t epilog_offsets[DW_UNWIND_MAX_OPS];
    int has_chain;
    dw_runtime_function chained;
    int has_handler;
    uint32_t handler_rva;
    char error[128]; /* why decoding failed */
} dw_unwind_info;

/* Decode the UNWIND_INFO at rva.  Nothing is allocated.
 * DW_ERR_TRUNCATED: not (wholly) readable; DW_ERR_UNSUPPORTED: version not
 * 1 or 2; DW_ERR_DAMAGED: codes that overrun CountOfCodes, unknown opcodes. */
dw_status dw_unwind_info_read(dw_image_read_fn read, void *ctx, uint32_t rva, dw_unwind_info *out);

/* Name of a UWOP_* code ("PUSH_NONVOL", ...); "?" when unknown. */
const char *dw_uwop_name(unsigned op);

#endif
