/* PLACEHOLDER: being written by a helper; replaced wholesale. */
#include "minidump/internal.h"
dw_status dw_dump_exception(dw_dump *d, const dw_exception **o) { (void)o; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
const char *dw_exception_reason(dw_dump *d, const dw_exception *e, char *b, size_t n) { (void)d; (void)e; (void)n; return b; }
uint64_t dw_exception_crash_address(dw_dump *d, const dw_exception *e) { (void)d; return e->address; }
const char *dw_exception_code_name(uint32_t c) { (void)c; return NULL; }
