/* PLACEHOLDER: being written by a helper; replaced wholesale. */
#include "minidump/internal.h"
dw_status dw_memory_ranges(dw_dump *d, const dw_memory_range **r, size_t *n) { (void)r; *n = 0; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
dw_status dw_memory_read(dw_dump *d, uint64_t va, void *b, size_t l, size_t *g) { (void)va; (void)b; (void)l; if (g) *g = 0; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
const uint8_t *dw_memory_span(dw_dump *d, uint64_t va, size_t *a) { (void)d; (void)va; *a = 0; return NULL; }
dw_status dw_memory_read_u32(dw_dump *d, uint64_t va, uint32_t *o) { (void)va; (void)o; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
dw_status dw_memory_read_u64(dw_dump *d, uint64_t va, uint64_t *o) { (void)va; (void)o; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
