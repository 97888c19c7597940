/* The Breakpad STACK CFI unwind rule, x86 and x64 (see rule_cfi.c). */
#ifndef DW_UNWIND_RULE_CFI_H
#define DW_UNWIND_RULE_CFI_H

#include "unwind/walker.h"

dw_status dw_rule_cfi(dw_walker *w, const dw_frame *callee, dw_context *caller, dw_trust *trust,
                      char *reason, size_t reason_size);

#endif
