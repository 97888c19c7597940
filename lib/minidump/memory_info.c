/* MemoryInfoList stream (type 16) and PAGE_* protection helpers.
 *
 * MINIDUMP_MEMORY_INFO_LIST: SizeOfHeader u32, SizeOfEntry u32,
 * NumberOfEntries u64.  MINIDUMP_MEMORY_INFO (48 bytes): BaseAddress u64,
 * AllocationBase u64, AllocationProtect u32, __alignment1 u32, RegionSize u64,
 * State u32, Protect u32, Type u32, __alignment2 u32.  Entries are stepped by
 * the declared SizeOfEntry so a larger future entry still parses. */
#include <stdio.h>
#include <stdlib.h>

#include "minidump/backend.h"
#include "minidump/internal.h"

#define INFO_LIST_MIN_HEADER 16
#define INFO_MIN_ENTRY 48

/* PAGE_* protection constants (Microsoft "Memory Protection Constants"). */
static const struct {
    uint32_t bit;
    const char *name;
} page_protections[] = {
    {0x01, "PAGE_NOACCESS"},
    {0x02, "PAGE_READONLY"},
    {0x04, "PAGE_READWRITE"},
    {0x08, "PAGE_WRITECOPY"},
    {0x10, "PAGE_EXECUTE"},
    {0x20, "PAGE_EXECUTE_READ"},
    {0x40, "PAGE_EXECUTE_READWRITE"},
    {0x80, "PAGE_EXECUTE_WRITECOPY"},
    {0x100, "PAGE_GUARD"},
    {0x200, "PAGE_NOCACHE"},
    {0x400, "PAGE_WRITECOMBINE"},
    {0x40000000, "PAGE_TARGETS_INVALID"},
};

#define PAGE_EXECUTE_ANY 0xf0u /* EXECUTE, EXECUTE_READ, EXECUTE_READWRITE, EXECUTE_WRITECOPY */

int dw_memory_protect_is_executable(uint32_t protect)
{
    return (protect & PAGE_EXECUTE_ANY) != 0;
}

const char *dw_memory_protect_string(uint32_t protect, char *buf, size_t buf_size)
{
    if (!buf || buf_size == 0)
        return buf;
    size_t n = 0;
    uint32_t rest = protect;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof page_protections / sizeof page_protections[0]; i++) {
        if (!(protect & page_protections[i].bit))
            continue;
        rest &= ~page_protections[i].bit;
        int w = snprintf(buf + n, buf_size - n, "%s%s", n ? "|" : "", page_protections[i].name);
        if (w < 0 || (size_t)w >= buf_size - n)
            return buf;
        n += (size_t)w;
    }
    /* Bits without a name (and a protection of 0, as free regions have) in hex. */
    if (rest || protect == 0)
        snprintf(buf + n, buf_size - n, "%s0x%x", n ? "|" : "", rest);
    return buf;
}

static const dw_sized_list_spec info_list = {
    INFO_LIST_MIN_HEADER, INFO_MIN_ENTRY, 1, DW_MAX_MEMORY_RANGES, "SizeOfEntry", "entries",
};

static void read_info(dw_reader entry, dw_memory_info *info)
{
    info->base_address = dw_read_u64(&entry);
    info->allocation_base = dw_read_u64(&entry);
    info->allocation_protect = dw_read_u32(&entry);
    dw_read_u32(&entry); /* __alignment1 */
    info->region_size = dw_read_u64(&entry);
    info->state = dw_read_u32(&entry);
    info->protect = dw_read_u32(&entry);
    info->type = dw_read_u32(&entry);
}

static int compare_info_base(const void *a, const void *b)
{
    const dw_memory_info *x = a, *y = b;
    if (x->base_address != y->base_address)
        return x->base_address < y->base_address ? -1 : 1;
    return 0;
}

static dw_status parse_memory_infos(dw_dump *dump)
{
    if (dump->backend) /* filled in address order at open (backend.h) */
        return dump->backend_status->memory_infos;
    dw_reader stream;
    uint32_t rva = 0, header_size, entry_size;
    uint64_t count;
    dw_status st = dw_find_stream(dump, DW_STREAM_MEMORY_INFO_LIST, &stream, &rva);
    if (st == DW_ERR_NOT_FOUND)
        return st;
    dw_status lst = dw_sized_list_header(dump, DW_STREAM_MEMORY_INFO_LIST, &stream, rva, &info_list,
                                         &header_size, &entry_size, &count);
    if (count == 0 && lst != DW_OK)
        return lst;
    dump->memory_infos = dw_arena_calloc(&dump->arena, count ? count : 1, sizeof(dw_memory_info));
    if (!dump->memory_infos)
        return dw_fail(dump, DW_ERR_NOMEM, "MemoryInfoList: out of memory for %llu entries",
                       (unsigned long long)count);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t at = header_size + i * entry_size; /* count <= room keeps this in the stream */
        read_info(dw_reader_sub_clamped(&stream, at, entry_size), &dump->memory_infos[i]);
    }
    /* Writers list regions in address order; sort anyway so lookups can
     * binary-search (overlapping entries from a damaged list stay findable). */
    qsort(dump->memory_infos, count, sizeof(dw_memory_info), compare_info_base);
    dump->memory_info_count = count;
    return lst != DW_OK ? lst : st;
}

dw_status dw_dump_memory_infos(dw_dump *dump, const dw_memory_info **infos, size_t *count)
{
    dw_status st = dw_lazy_run(dump, &dump->memory_infos_lazy, parse_memory_infos);
    *infos = dump->memory_infos;
    *count = dump->memory_info_count;
    return st;
}

const dw_memory_info *dw_dump_memory_info_at(dw_dump *dump, uint64_t va)
{
    dw_lazy_ensure(dump, &dump->memory_infos_lazy, parse_memory_infos);
    const dw_memory_info *m = dump->memory_infos;
    size_t lo = 0, hi = dump->memory_info_count;
    while (lo < hi) { /* first region whose base is above va */
        size_t mid = lo + (hi - lo) / 2;
        if (m[mid].base_address <= va)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && va - m[lo - 1].base_address < m[lo - 1].region_size)
        return &m[lo - 1];
    return NULL;
}
