/* PLACEHOLDER: being written by a helper; replaced wholesale. */
#include "minidump/internal.h"
dw_status dw_dump_memory_infos(dw_dump *d, const dw_memory_info **i, size_t *n) { (void)i; *n = 0; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
const dw_memory_info *dw_dump_memory_info_at(dw_dump *d, uint64_t va) { (void)d; (void)va; return NULL; }
int dw_memory_protect_is_executable(uint32_t p) { return (p & 0xf0) != 0; }
const char *dw_memory_protect_string(uint32_t p, char *b, size_t n) { (void)p; if (n) b[0] = 0; return b; }
