/* Instruction-level facts about raw x86 / x64 code bytes, decoded with capstone 4.
 *
 * Everything here is a pure function of a byte buffer and the virtual address
 * of its first byte: no dump, no module, no allocation per call.  The caller
 * opens one dw_disasm per mode (cs_open is slow) and passes it in; each
 * dw_disasm owns one reusable cs_insn, so a dw_disasm must not be shared
 * between threads.
 */
#ifndef DW_UNWIND_INSN_H
#define DW_UNWIND_INSN_H

#include <stddef.h>
#include <stdint.h>

#include <capstone/capstone.h>

#include "dumpwalk/status.h"

typedef struct dw_disasm {
    csh handle;
    cs_insn *insn; /* the one decoded instruction, reused by every call */
    int bits;      /* 32 (x86) or 64 (x64) */
    int open;
    uint8_t *scratch; /* dw_disasm_scratch: memo space for scans over a buffer */
    size_t scratch_size;
} dw_disasm;

/* Open capstone for x86 (bits 32) or x64 (bits 64) with instruction detail on.
 * DW_ERR_INVALID_ARG for another width, DW_ERR_UNSUPPORTED when capstone
 * refuses, DW_ERR_NOMEM when the instruction buffer cannot be allocated. */
dw_status dw_disasm_open(dw_disasm *d, int bits);
void dw_disasm_close(dw_disasm *d);

/* Decode the one instruction at code[0..size), whose first byte lives at `va`,
 * into d->insn.  Returns its length, or 0 when the bytes are not a valid
 * instruction or run past `size`. */
size_t dw_disasm_one(dw_disasm *d, const uint8_t *code, size_t size, uint64_t va);

/* `size` bytes of zeroed scratch owned by the decoder (grown on demand, freed
 * by dw_disasm_close), for per-byte memos of a scan over a code buffer; NULL
 * when it cannot be allocated. */
uint8_t *dw_disasm_scratch(dw_disasm *d, size_t size);

/* The general-purpose register a capstone register names, as a DW_AMD64_* (64-bit
 * mode) or DW_X86_* (32-bit mode) index, with its width in bytes in *width
 * (1, 2, 4 or 8).  -1 for anything else (segment, vector, rip, ...). */
int dw_disasm_gpr(unsigned capstone_reg, int *width);

/* ---- call-before-return validation (stack scanning) ---- */

typedef enum dw_call_kind {
    DW_CALL_NONE = 0,
    DW_CALL_DIRECT = 1,   /* E8 rel32 (or 66 E8 rel16 on x86) */
    DW_CALL_INDIRECT = 2, /* FF /2: register or memory operand */
} dw_call_kind;

typedef struct dw_call_site {
    dw_call_kind kind;
    uint8_t length;   /* bytes of the call instruction */
    uint64_t address; /* where the call instruction starts: R - length */
    int has_target;   /* direct calls: the target is known */
    uint64_t target;
    int memory_operand; /* indirect through memory (FF /2 with mod != 3) */
    const char *reason; /* "call E8", "call FF/2 reg", "call FF/2 mem" */
} dw_call_site;

/* The longest a call instruction can be and still be recognised here. */
#define DW_CALL_MAX_LENGTH 8

/* Does a near CALL instruction end exactly at `return_address`?
 *
 * `before` holds the `avail` bytes immediately preceding the return address,
 * i.e. [return_address - avail, return_address); only the last
 * DW_CALL_MAX_LENGTH of them are looked at, and fewer may be given when the
 * memory is only partly captured.  Every start offset from is
 * decoded and only an instruction that is a call, uses no prefix a call cannot
 * carry, and ends exactly at R is accepted.  A direct call wins over an
 * indirect one; among indirect calls the longest (the one that includes its
 * REX / segment / operand-size prefixes) wins.  Returns 1 and fills *out when a
 * call was found, 0 otherwise (out->kind is DW_CALL_NONE). */
int dw_call_before(dw_disasm *d, const uint8_t *before, size_t avail, uint64_t return_address,
                   dw_call_site *out);

#endif
