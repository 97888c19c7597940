/* STACK WIN records (Windows x86 frame data) and their program strings.
 *
 * Breakpad symbol_files.md: only types 4 (FrameTypeFrameData, with a program
 * string) and 0 (FrameTypeFPO, with an allocates_base_pointer flag) are used;
 * when both cover an address, type 4 wins.  Nested ranges of one type are
 * allowed and the innermost applies.
 */
#ifndef DW_SYMBOLS_STACKWIN_H
#define DW_SYMBOLS_STACKWIN_H

#include <stdint.h>

#include "dumpwalk/symbols.h"
#include "symbols/postfix.h"

typedef struct dw_win_record {
    unsigned type; /* 0 or 4 */
    uint64_t rva;
    uint32_t code_size;
    uint32_t prologue_size;
    uint32_t epilogue_size;
    uint32_t parameter_size;
    uint32_t saved_register_size;
    uint32_t local_size;
    uint32_t max_stack_size;
    int has_program;
    int allocates_base_pointer; /* meaningful when !has_program */
    dw_symstr program;          /* borrowed from the symbol file */
} dw_win_record;

/* The record covering rva (type 4 preferred over type 0); DW_ERR_NOT_FOUND. */
dw_status dw_symfile_find_win(dw_symfile *sf, uint64_t rva, dw_win_record *out);

/* The callee's registers and the stack walker's search start. */
typedef struct dw_win_input {
    uint32_t eip, esp, ebp, ebx, esi, edi;
    uint32_t ra_search; /* .raSearch / .raSearchStart: where to look for the return address */
} dw_win_input;

enum {
    DW_WIN_SET_EIP = 1 << 0,
    DW_WIN_SET_ESP = 1 << 1,
    DW_WIN_SET_EBP = 1 << 2,
    DW_WIN_SET_EBX = 1 << 3,
    DW_WIN_SET_ESI = 1 << 4,
    DW_WIN_SET_EDI = 1 << 5,
};

/* The caller's registers; `set` says which ones the program assigned. */
typedef struct dw_win_output {
    uint32_t eip, esp, ebp, ebx, esi, edi;
    unsigned set;
} dw_win_output;

/* Run a record's program string with $eip $esp $ebp $ebx $esi $edi,
 * .cbParams .cbSavedRegs .cbLocals (from the record) and .raSearch /
 * .raSearchStart (from `in`).  DW_ERR_DAMAGED if it has no program or does not
 * assign $eip and $esp; other statuses from the evaluator, with err set. */
dw_status dw_win_eval(const dw_win_record *rec, const dw_win_input *in, dw_mem_read_fn read_mem,
                      void *mem_ctx, dw_win_output *out, char *err, size_t err_size);

#endif
