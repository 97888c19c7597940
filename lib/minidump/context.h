/* Decoding CONTEXT records: shared by the thread list (context.c) and the
 * WoW64 context found in process memory (wow64.c). */
#ifndef DW_MINIDUMP_CONTEXT_H
#define DW_MINIDUMP_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "minidump/internal.h"

/* Decode the `size` bytes at `bytes` as a CONTEXT of `arch` (DW_ARCH_X86 or
 * DW_ARCH_AMD64).  `what` names the record in error messages ("thread 0x1a4").
 * DW_ERR_DAMAGED when the record is too short for the layout or its CPU type
 * bits name another architecture. */
dw_status dw_context_decode(dw_dump *dump, dw_arch arch, const uint8_t *bytes, size_t size,
                            const char *what, dw_context *out);

#endif
