/* STACK CFI: the rules in force at an address and their evaluation.
 *
 * Breakpad symbol_files.md: a STACK CFI INIT record covers [addr, addr+size)
 * and gives rules "reg: expr reg: expr ..."; each later STACK CFI delta record
 * (addr <= target) replaces the rules of the registers it names.  Expressions
 * use the callee's register values, plus .cfa once computed; `.undef` marks a
 * register as unrecoverable.  .cfa and .ra must both have rules.  When no rule
 * gives the stack pointer, the caller's stack pointer is .cfa (the unwinder
 * applies that, knowing the architecture's register names).
 */
#ifndef DW_SYMBOLS_CFI_H
#define DW_SYMBOLS_CFI_H

#include <stddef.h>
#include <stdint.h>

#include "dumpwalk/symbols.h"
#include "symbols/postfix.h"

#define DW_CFI_MAX_RULES 48

typedef struct dw_cfi_rule {
    const char *reg; /* "$rbx", ".cfa", ".ra" (no colon) */
    size_t reg_len;
    const char *expr;
    size_t expr_len;
} dw_cfi_rule;

/* Rules point into the symbol text (or the caller's string for
 * dw_cfi_rules_apply) and live as long as it does. */
typedef struct dw_cfi_rules {
    uint64_t init_start; /* the covering STACK CFI INIT range */
    uint64_t init_size;
    unsigned count;
    dw_cfi_rule rule[DW_CFI_MAX_RULES];
} dw_cfi_rules;

/* Parse "reg: expr reg: expr" and add/replace those rules. */
dw_status dw_cfi_rules_apply(dw_cfi_rules *rules, const char *text, size_t len, char *err,
                             size_t err_size);

/* The rules in force at rva: the INIT record covering it plus its delta
 * records with addr <= rva, in order.  DW_ERR_NOT_FOUND when no INIT covers. */
dw_status dw_symfile_find_cfi(dw_symfile *sf, uint64_t rva, dw_cfi_rules *out, char *err,
                              size_t err_size);

/* Compute the caller's registers.  `callee` holds the callee's register
 * values by name ("$rsp", "$esp", ...).  `caller` receives ".cfa", ".ra" and
 * every register with a rule other than .undef whose expression could be
 * evaluated (a failing .cfa or .ra rule fails the call).  word_size: 4 or 8. */
dw_status dw_cfi_unwind(const dw_cfi_rules *rules, const dw_regset *callee, unsigned word_size,
                        dw_mem_read_fn read_mem, void *mem_ctx, dw_regset *caller, char *err,
                        size_t err_size);

#endif
