/* The x64 .pdata unwind rule (see rule_pdata.c). */
#ifndef DW_UNWIND_RULE_PDATA_H
#define DW_UNWIND_RULE_PDATA_H

#include "unwind/walker.h"

dw_status dw_rule_pdata(dw_walker *w, const dw_frame *callee, dw_context *caller, dw_trust *trust,
                        char *reason, size_t reason_size);

#endif
