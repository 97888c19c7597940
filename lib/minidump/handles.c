/* PLACEHOLDER: being written by a helper; replaced wholesale. */
#include "minidump/internal.h"
dw_status dw_dump_handles(dw_dump *d, const dw_handle **h, size_t *n) { (void)h; *n = 0; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
dw_status dw_dump_function_tables(dw_dump *d, const dw_function_table **t, size_t *n) { (void)t; *n = 0; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
