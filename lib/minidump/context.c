/* PLACEHOLDER: being written by a helper; replaced wholesale. */
#include "minidump/internal.h"
const char *dw_reg_name(dw_arch a, unsigned i) { (void)a; (void)i; return NULL; }
int dw_reg_index(dw_arch a, const char *n) { (void)a; (void)n; return -1; }
unsigned dw_reg_count(dw_arch a) { (void)a; return 0; }
dw_status dw_context_get(const dw_context *c, const char *n, uint64_t *v) { (void)c; (void)n; (void)v; return DW_ERR_UNSUPPORTED; }
int dw_context_has(const dw_context *c, unsigned i) { return i < 64 && (c->valid >> i) & 1; }
uint64_t dw_context_ip(const dw_context *c) { (void)c; return 0; }
uint64_t dw_context_sp(const dw_context *c) { (void)c; return 0; }
dw_status dw_thread_context(dw_dump *d, const dw_thread *t, dw_context *o) { (void)t; (void)o; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
dw_status dw_dump_context_at(dw_dump *d, uint32_t r, uint32_t s, dw_context *o) { (void)r; (void)s; (void)o; return dw_fail(d, DW_ERR_UNSUPPORTED, "not yet"); }
dw_arch dw_dump_arch(dw_dump *d) { (void)d; return DW_ARCH_UNKNOWN; }
