/* PLACEHOLDER: being written by a helper; replaced wholesale. */
#include "minidump/internal.h"
dw_status dw_thread_wow64_context(dw_dump *d, const dw_thread *t, dw_context *o) { (void)t; (void)o; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
int dw_dump_is_wow64(dw_dump *d) { (void)d; return 0; }
