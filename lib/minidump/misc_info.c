/* PLACEHOLDER: being written by a helper; replaced wholesale. */
#include "minidump/internal.h"
dw_status dw_dump_misc_info(dw_dump *d, const dw_misc_info **o) { (void)o; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
