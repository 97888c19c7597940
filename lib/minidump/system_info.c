/* PLACEHOLDER: being written by a helper; replaced wholesale. */
#include "minidump/internal.h"
dw_status dw_dump_system_info(dw_dump *d, const dw_system_info **o) { (void)o; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
