/* The per-thread callback classification as a JSON object, shared by the
 * callbacks report and the stack report's per-thread "callback" member. */
#ifndef DW_REPORT_CALLBACKS_H
#define DW_REPORT_CALLBACKS_H

#include "dumpwalk/callbacks.h"
#include "report/json.h"

/* Writes one object: state, callback_depth, syscall, evidence, levels, ... */
void dw_report_json_thread_callbacks(dw_json *j, const dw_thread_callbacks *r);

#endif
