/* PLACEHOLDER: being written by a helper; replaced wholesale. */
#include "minidump/internal.h"
dw_status dw_dump_threads(dw_dump *d, const dw_thread **t, size_t *n) { (void)t; *n = 0; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
dw_status dw_dump_thread_by_id(dw_dump *d, uint32_t id, const dw_thread **t) { (void)id; (void)t; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
dw_status dw_dump_thread_infos(dw_dump *d, const dw_thread_info **t, size_t *n) { (void)t; *n = 0; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
