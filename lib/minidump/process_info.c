/* PLACEHOLDER: being written by a helper; replaced wholesale. */
#include "minidump/internal.h"
dw_status dw_dump_breakpad_info(dw_dump *d, const dw_breakpad_info **o) { (void)o; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
dw_status dw_dump_crashpad_info(dw_dump *d, const dw_crashpad_info **o) { (void)o; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
dw_status dw_dump_assertion_info(dw_dump *d, const dw_assertion_info **o) { (void)o; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
dw_status dw_dump_comment(dw_dump *d, uint32_t w, const char **t) { (void)w; (void)t; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
dw_status dw_dump_stream_text(dw_dump *d, uint32_t w, const char **t, size_t *l) { (void)w; (void)t; (void)l; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
