/* dumpwalk: the dump's captured memory as one address space.
 *
 * MemoryList, Memory64List and the thread stack descriptors are merged once
 * into a sorted, non-overlapping set of ranges and looked up by binary search.
 * Where ranges overlap, the earlier source wins (Memory64List, then MemoryList,
 * then stacks; within one source, the first listed), so results are
 * deterministic.
 */
#ifndef DUMPWALK_MEMORY_H
#define DUMPWALK_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "dump.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dw_memory_source {
    DW_MEMSRC_MEMORY64_LIST = 1,
    DW_MEMSRC_MEMORY_LIST = 2,
    DW_MEMSRC_THREAD_STACK = 3,
    DW_MEMSRC_CORE_SEGMENT = 4, /* a PT_LOAD segment of an ELF core file */
} dw_memory_source;

typedef struct dw_memory_range {
    uint64_t base;
    uint64_t size; /* bytes present in the file (clamped if truncated) */
    uint64_t file_offset;
    dw_memory_source source;
} dw_memory_range;

/* Sorted ranges (borrowed). */
dw_status dw_memory_ranges(dw_dump *dump, const dw_memory_range **ranges, size_t *count);

/* Copy `len` bytes at virtual address `va` into buf, across adjacent ranges.
 * *got receives the number of bytes copied from va onwards (may be NULL).
 * DW_OK when all were present, DW_ERR_TRUNCATED when only a prefix was,
 * DW_ERR_NOT_FOUND when va itself is not captured. */
dw_status dw_memory_read(dw_dump *dump, uint64_t va, void *buf, size_t len, size_t *got);

/* The same copy for probing: returns the bytes copied from va onwards and
 * leaves the last error untouched, so a miss costs no message formatting
 * (stack scanning probes thousands of words that are not captured). */
size_t dw_memory_copy(dw_dump *dump, uint64_t va, void *buf, size_t len);

/* Zero-copy: pointer to the captured byte at va and how many contiguous bytes
 * follow in the same range; NULL when va is not captured. */
const uint8_t *dw_memory_span(dw_dump *dump, uint64_t va, size_t *avail);

/* Little-endian helpers on top of dw_memory_read: DW_OK only if every byte was read. */
dw_status dw_memory_read_u32(dw_dump *dump, uint64_t va, uint32_t *out);
dw_status dw_memory_read_u64(dw_dump *dump, uint64_t va, uint64_t *out);

/* MINIDUMP_MEMORY_INFO (MemoryInfoList stream). */
typedef struct dw_memory_info {
    uint64_t base_address;
    uint64_t allocation_base;
    uint32_t allocation_protect;
    uint64_t region_size;
    uint32_t state;   /* MEM_COMMIT 0x1000, MEM_RESERVE 0x2000, MEM_FREE 0x10000 */
    uint32_t protect; /* PAGE_* */
    uint32_t type;    /* MEM_IMAGE 0x1000000, MEM_MAPPED 0x40000, MEM_PRIVATE 0x20000 */
} dw_memory_info;

/* Sorted by base_address (borrowed). */
dw_status dw_dump_memory_infos(dw_dump *dump, const dw_memory_info **infos, size_t *count);
/* Region containing va, or NULL. */
const dw_memory_info *dw_dump_memory_info_at(dw_dump *dump, uint64_t va);
/* Non-zero when PAGE_EXECUTE* protection is set. */
int dw_memory_protect_is_executable(uint32_t protect);
/* "PAGE_EXECUTE_READ" etc. written into buf. */
const char *dw_memory_protect_string(uint32_t protect, char *buf, size_t buf_size);

#ifdef __cplusplus
}
#endif
#endif
