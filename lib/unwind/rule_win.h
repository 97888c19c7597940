/* The Breakpad STACK WIN unwind rule for x86: FrameData programs and FPO
 * records (see rule_win.c). */
#ifndef DW_UNWIND_RULE_WIN_H
#define DW_UNWIND_RULE_WIN_H

#include "unwind/walker.h"

dw_status dw_rule_win(dw_walker *w, const dw_frame *callee, dw_context *caller, dw_trust *trust,
                      char *reason, size_t reason_size);

#endif
