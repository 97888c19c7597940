/* DWARF call-frame information from an ELF image's .eh_frame, the tables
 * gdb, libgcc and libunwind unwind Linux programs with.
 *
 * Like pe.h, the image layer reads the *mapped* image through
 * dw_image_read_fn: addresses are RVAs, offsets from the address the image's
 * first byte (file offset 0) is mapped at.  Every address this file hands out
 * is an RVA too.  Nothing is read from a dump here, so the same code serves
 * an image in core memory, its file on disk, or a test's buffer.
 *
 * Format facts: Linux Standard Base Core 5.0, "Exception Frames"
 * (.eh_frame CIE/FDE layout, augmentation strings "zR", "zPLR", "S",
 * DW_EH_PE_* pointer encodings, .eh_frame_hdr and its binary-search
 * table); DWARF 5 section 6.4 "Call Frame Information" (DW_CFA_*
 * instructions, the register rules) and section 2.5 (DW_OP_* expressions);
 * System V ELF gABI (Elf32/Elf64_Ehdr and _Phdr; PT_GNU_EH_FRAME is
 * 0x6474e550). */
#ifndef DW_IMAGE_EHFRAME_H
#define DW_IMAGE_EHFRAME_H

#include <stddef.h>
#include <stdint.h>

#include "dumpwalk/status.h"
#include "image/pe.h"
#include "util/arena.h"

/* DWARF register columns kept: x86-64 numbers 0-16 (16 is the return
 * address), i386 0-8 (8 is eip).  Rules for higher columns (vector
 * registers) are parsed and dropped: no general register depends on them. */
#define DW_EH_COLUMNS 17

/* How a column of the caller is recovered (DWARF 5 section 6.4.1). */
typedef enum dw_eh_rule_kind {
    DW_EH_UNSPECIFIED = 0, /* no rule: the unwinder's default */
    DW_EH_UNDEFINED,       /* not recoverable; for the return address: outermost frame */
    DW_EH_SAME_VALUE,      /* the callee's value */
    DW_EH_OFFSET,          /* saved at CFA + offset */
    DW_EH_VAL_OFFSET,      /* the value CFA + offset */
    DW_EH_REGISTER,        /* in callee register `reg` */
    DW_EH_EXPRESSION,      /* saved at the address the expression computes */
    DW_EH_VAL_EXPRESSION,  /* the value the expression computes */
} dw_eh_rule_kind;

typedef struct dw_eh_rule {
    uint8_t kind;   /* dw_eh_rule_kind */
    uint16_t reg;   /* DW_EH_REGISTER */
    int64_t offset; /* DW_EH_OFFSET, DW_EH_VAL_OFFSET */
    uint64_t expr;  /* expression kinds: RVA of the DW_OP bytes */
    uint32_t expr_len;
} dw_eh_rule;

/* The row of the CFI table that applies at one address. */
typedef struct dw_eh_row {
    uint64_t pc_begin, pc_end; /* RVAs the FDE covers */
    int cfa_is_expr;
    unsigned cfa_reg; /* CFA = cfa_reg + cfa_offset ... */
    int64_t cfa_offset;
    uint64_t cfa_expr; /* ... or the value of this expression */
    uint32_t cfa_expr_len;
    unsigned ra_column; /* the CIE's return address register */
    int signal_frame;   /* augmentation 'S': the caller's IP is exact */
    uint64_t args_size; /* DW_CFA_GNU_args_size */
    dw_eh_rule col[DW_EH_COLUMNS];
} dw_eh_row;

/* One (initial location, FDE) pair of a lookup index. */
typedef struct dw_eh_index_entry {
    uint64_t pc;
    uint64_t fde;
} dw_eh_index_entry;

/* An image's .eh_frame, located; lookups parse lazily from there. */
typedef struct dw_ehframe {
    dw_image_read_fn read;
    void *ctx;
    unsigned addr_size;    /* 4 (ELFCLASS32) or 8 (ELFCLASS64) */
    uint64_t link_base;    /* link-time address of RVA 0: absolute pointers minus this */
    uint64_t eh_frame;     /* RVA of .eh_frame */
    uint64_t eh_frame_end; /* bound for reads in it (section end, or a cap) */
    /* .eh_frame_hdr's sorted table (LSB "binary search table"), when usable */
    uint64_t hdr;   /* RVA of .eh_frame_hdr: base of its datarel values */
    uint64_t table; /* RVA of the first entry */
    uint64_t fde_count;
    uint8_t table_enc;
    unsigned entry_size; /* bytes of one (pc, fde) pair; 0: no table */
    /* else an index built once by walking .eh_frame (sorted by pc) */
    const dw_eh_index_entry *index;
    size_t index_count;
} dw_ehframe;

/* Register values by DWARF column, for dw_ehframe_unwind. */
typedef struct dw_eh_regs {
    uint64_t value[DW_EH_COLUMNS];
    uint32_t valid;     /* bit c: value[c] is known */
    uint32_t undefined; /* bit c: the rule said DW_EH_UNDEFINED (output only) */
    uint64_t cfa;       /* output: the canonical frame address */
} dw_eh_regs;

/* Read a little-endian word of `size` bytes (4 or 8) of the stack at addr. */
typedef int (*dw_eh_mem_fn)(void *ctx, uint64_t addr, unsigned size, uint64_t *value);

/* Locate .eh_frame of the ELF image at RVA 0: its program headers'
 * PT_GNU_EH_FRAME gives .eh_frame_hdr, whose table is used as is; without
 * a table the section is walked once into an index in `arena`.
 * DW_ERR_FORMAT: not a little-endian ELF image; DW_ERR_NOT_FOUND: no
 * PT_GNU_EH_FRAME; DW_ERR_DAMAGED: a header that does not hold together. */
dw_status dw_ehframe_open_elf(dw_ehframe *eh, dw_image_read_fn read, void *ctx, dw_arena *arena);

/* Use the .eh_frame section at [rva, rva + size) directly (e.g. found from
 * section headers, or a test's bytes): it is walked once into an index in
 * `arena`.  addr_size is 4 or 8; link_base as in dw_ehframe. */
dw_status dw_ehframe_open_section(dw_ehframe *eh, dw_image_read_fn read, void *ctx,
                                  unsigned addr_size, uint64_t link_base, uint64_t rva,
                                  uint64_t size, dw_arena *arena);

/* The row for the instruction at `rva`: its FDE found, the CIE's initial
 * instructions and the FDE's instructions run up to rva.  DW_ERR_NOT_FOUND
 * when no FDE covers rva; DW_ERR_DAMAGED / DW_ERR_UNSUPPORTED when the
 * entry is malformed or uses what this file does not evaluate. */
dw_status dw_ehframe_find(const dw_ehframe *eh, uint64_t rva, dw_eh_row *row);

/* Apply a row: the caller's CFA and the columns with a rule, from the
 * callee's registers and stack.  Columns without a rule (DW_EH_UNSPECIFIED)
 * are left unset for the caller to default.  DW_ERR_NOT_FOUND when a value
 * the row needs is missing (register not known, memory not readable). */
dw_status dw_ehframe_unwind(const dw_ehframe *eh, const dw_eh_row *row, const dw_eh_regs *callee,
                            dw_eh_mem_fn mem, void *mem_ctx, dw_eh_regs *caller);

#endif
