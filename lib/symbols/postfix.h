/* Breakpad postfix programs: the expressions of STACK CFI rules and the
 * program strings of STACK WIN records (Breakpad symbol_files.md).
 *
 * Tokens are separated by blanks: numbers (decimal, optionally negative, or
 * 0x hex), variables ($eip, $T0, .cfa, .cbParams, ...), the binary operators
 * + - * / % and @ (align down: a b @ = a & ~(b-1)), the unary ^ (read a word
 * of memory through a callback) and = (assign: `$T0 $ebp 4 + =`).  Arithmetic
 * is unsigned and wraps at the word size (4 or 8 bytes).
 *
 * Everything is bounded (program length, tokens, stack depth) and every
 * failure is a status with a message; nothing is allocated.
 */
#ifndef DW_SYMBOLS_POSTFIX_H
#define DW_SYMBOLS_POSTFIX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dumpwalk/status.h"

#define DW_POSTFIX_MAX_LEN 1024   /* bytes of program text */
#define DW_POSTFIX_MAX_TOKENS 256
#define DW_POSTFIX_MAX_DEPTH 32   /* operand stack */

/* A small set of named values: registers and program variables. */
#define DW_REGSET_MAX 48
#define DW_REGNAME_MAX 16 /* including the NUL */

typedef struct dw_regval {
    char name[DW_REGNAME_MAX];
    uint64_t value;
    int assigned; /* written by a program's '=' */
} dw_regval;

typedef struct dw_regset {
    unsigned count;
    dw_regval regs[DW_REGSET_MAX];
} dw_regset;

void dw_regset_init(dw_regset *rs);
/* 1 and the value when `name` (len bytes) is present. */
int dw_regset_get(const dw_regset *rs, const char *name, size_t len, uint64_t *value);
/* Add or replace; DW_ERR_LIMIT when the set is full or the name too long. */
dw_status dw_regset_set(dw_regset *rs, const char *name, size_t len, uint64_t value);
static inline int dw_regset_get_c(const dw_regset *rs, const char *name, uint64_t *value)
{
    return dw_regset_get(rs, name, strlen(name), value);
}
dw_status dw_regset_set_c(dw_regset *rs, const char *name, uint64_t value);

/* Read `size` (4 or 8) bytes little-endian at addr; return 1 on success. */
typedef int (*dw_mem_read_fn)(void *ctx, uint64_t addr, unsigned size, uint64_t *value);

typedef struct dw_postfix_ctx {
    dw_regset *vars;        /* variables read, and written by '=' */
    unsigned word_size;     /* 4 or 8 */
    dw_mem_read_fn read_mem; /* may be NULL: then ^ fails */
    void *mem_ctx;
    char *err;              /* message on failure (may be NULL) */
    size_t err_size;
} dw_postfix_ctx;

/* Evaluate an expression that must leave exactly one value (no '='). */
dw_status dw_postfix_eval(dw_postfix_ctx *c, const char *expr, size_t len, uint64_t *result);

/* Run a program of assignments; the stack must be empty at the end. */
dw_status dw_postfix_run(dw_postfix_ctx *c, const char *prog, size_t len);

#endif
