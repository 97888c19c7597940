/* dumpwalk: HandleData and FunctionTable streams. */
#ifndef DUMPWALK_HANDLES_H
#define DUMPWALK_HANDLES_H

#include <stddef.h>
#include <stdint.h>

#include "dump.h"

#ifdef __cplusplus
extern "C" {
#endif

/* MINIDUMP_HANDLE_DESCRIPTOR (v1) and _2 (v2); v2-only fields are 0 for v1. */
typedef struct dw_handle {
    uint64_t handle;
    const char *type_name; /* UTF-8, NULL when RVA is 0 */
    const char *object_name;
    uint32_t attributes;
    uint32_t granted_access;
    uint32_t handle_count;
    uint32_t pointer_count;
    uint32_t object_info_rva; /* v2 */
} dw_handle;

dw_status dw_dump_handles(dw_dump *dump, const dw_handle **handles, size_t *count);

/* MINIDUMP_FUNCTION_TABLE_DESCRIPTOR: a dynamically registered function table
 * (e.g. JIT code) with its native entries (RUNTIME_FUNCTION on x64). */
typedef struct dw_function_table {
    uint64_t minimum_address;
    uint64_t maximum_address;
    uint64_t base_address;
    uint32_t entry_count;
    uint32_t size_of_align_pad;
    const uint8_t *native_descriptor; /* SizeOfNativeDescriptor bytes */
    uint32_t native_descriptor_size;
    const uint8_t *entries; /* entry_count * SizeOfFunctionEntry bytes */
    uint32_t entry_size;
} dw_function_table;

dw_status dw_dump_function_tables(dw_dump *dump, const dw_function_table **tables, size_t *count);

#ifdef __cplusplus
}
#endif
#endif
