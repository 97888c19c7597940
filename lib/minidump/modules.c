/* PLACEHOLDER: being written by a helper; replaced wholesale. */
#include "minidump/internal.h"
dw_status dw_dump_modules(dw_dump *d, const dw_module **m, size_t *n) { (void)m; *n = 0; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
const dw_module *dw_dump_module_at(dw_dump *d, uint64_t a) { (void)d; (void)a; return NULL; }
const dw_module *dw_dump_main_module(dw_dump *d) { (void)d; return NULL; }
dw_status dw_dump_unloaded_modules(dw_dump *d, const dw_unloaded_module **m, size_t *n) { (void)m; *n = 0; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
