/* The DWARF .eh_frame unwind rule for ELF modules, x86 and x64 (see
 * rule_ehframe.c). */
#ifndef DW_UNWIND_RULE_EHFRAME_H
#define DW_UNWIND_RULE_EHFRAME_H

#include "unwind/walker.h"

dw_status dw_rule_ehframe(dw_walker *w, const dw_frame *callee, dw_context *caller, dw_trust *trust,
                          char *reason, size_t reason_size);

#endif
