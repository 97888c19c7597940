/* Unwinding from code alone: epilogue recognition and prologue simulation
 * from the function start (symbol, .pdata, export or back-scan), x86 and x64
 * (see rule_prologue.c). */
#ifndef DW_UNWIND_RULE_PROLOGUE_H
#define DW_UNWIND_RULE_PROLOGUE_H

#include "unwind/walker.h"

dw_status dw_rule_prologue(dw_walker *w, const dw_frame *callee, dw_context *caller,
                           dw_trust *trust, char *reason, size_t reason_size);

#endif
