/* Threads: ThreadList / ThreadExList, names from ThreadNames, and the
 * ThreadInfoList stream.
 *
 * Record layouts (Microsoft minidumpapiset.h, Breakpad minidump_format.h):
 *   MINIDUMP_THREAD (48 bytes): ThreadId, SuspendCount, PriorityClass,
 *     Priority (u32 each), Teb (u64), Stack MINIDUMP_MEMORY_DESCRIPTOR
 *     {StartOfMemoryRange u64, DataSize u32, Rva u32}, ThreadContext
 *     MINIDUMP_LOCATION_DESCRIPTOR {DataSize u32, Rva u32}.
 *   MINIDUMP_THREAD_EX (64 bytes): the same plus a BackingStore descriptor.
 *   MINIDUMP_THREAD_NAME (12 bytes, packed): ThreadId u32, RvaOfThreadName u64.
 *   MINIDUMP_THREAD_INFO_LIST: SizeOfHeader, SizeOfEntry, NumberOfEntries;
 *     MINIDUMP_THREAD_INFO (64 bytes): ThreadId, DumpFlags, DumpError,
 *     ExitStatus (u32 each), CreateTime, ExitTime, KernelTime, UserTime,
 *     StartAddress, Affinity (u64 each). */
#include <stdlib.h>

#include "minidump/backend.h"
#include "minidump/internal.h"

#define THREAD_SIZE 48
#define THREAD_EX_SIZE 64
#define THREAD_NAME_SIZE 12
#define THREAD_INFO_LIST_HEADER_SIZE 12
#define THREAD_INFO_SIZE 64

/* One entry of the by-id index: sorted by tid, then by dump order, so a
 * lookup finds the first thread of a duplicated id. */
struct dw_tid_slot {
    uint32_t tid;
    uint32_t index;
};

static void read_memory_descriptor(dw_reader *r, uint64_t *start, uint64_t *size, uint32_t *rva)
{
    *start = dw_read_u64(r);
    *size = dw_read_u32(r);
    uint32_t at = dw_read_u32(r);
    if (rva)
        *rva = at;
}

static void read_thread(dw_reader *r, int extended, dw_thread *t)
{
    t->thread_id = dw_read_u32(r);
    t->suspend_count = dw_read_u32(r);
    t->priority_class = dw_read_u32(r);
    t->priority = dw_read_u32(r);
    t->teb = dw_read_u64(r);
    read_memory_descriptor(r, &t->stack_start, &t->stack_size, &t->stack_rva);
    t->context_size = dw_read_u32(r);
    t->context_rva = dw_read_u32(r);
    if (extended)
        read_memory_descriptor(r, &t->backing_store_start, &t->backing_store_size, NULL);
}

/* A thread whose context or stack lies outside the file keeps its place in
 * the list; the damage is reported once here.  Stack RVA 0 is how full-memory
 * dumps say "the stack is in Memory64List", so it is not checked. */
static void check_thread_locations(dw_dump *dump, uint32_t type, uint64_t record_offset,
                                   const dw_thread *t)
{
    const char *name = dw_stream_type_name(type);
    uint64_t file_size = dump->file.size;
    if (t->context_size && !dw_range_ok(t->context_rva, t->context_size, file_size))
        dw_damage(dump, type, record_offset, DW_ERR_TRUNCATED,
                  "%s: thread 0x%x context (%u bytes at 0x%x) runs past the end of the "
                  "%llu-byte file",
                  name, t->thread_id, t->context_size, t->context_rva,
                  (unsigned long long)file_size);
    if (t->stack_rva && t->stack_size && !dw_range_ok(t->stack_rva, t->stack_size, file_size))
        dw_damage(dump, type, record_offset, DW_ERR_TRUNCATED,
                  "%s: thread 0x%x stack (%llu bytes at 0x%x) runs past the end of the "
                  "%llu-byte file",
                  name, t->thread_id, (unsigned long long)t->stack_size, t->stack_rva,
                  (unsigned long long)file_size);
}

static int compare_tid_slots(const void *a, const void *b)
{
    const struct dw_tid_slot *x = a, *y = b;
    if (x->tid != y->tid)
        return x->tid < y->tid ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

static dw_status build_tid_index(dw_dump *dump)
{
    size_t n = dump->thread_count;
    dump->threads_by_id = dw_arena_calloc(&dump->arena, n ? n : 1, sizeof *dump->threads_by_id);
    if (!dump->threads_by_id)
        return dw_fail(dump, DW_ERR_NOMEM, "out of memory indexing %zu threads", n);
    for (size_t i = 0; i < n; i++) {
        dump->threads_by_id[i].tid = dump->threads[i].thread_id;
        dump->threads_by_id[i].index = (uint32_t)i;
    }
    qsort(dump->threads_by_id, n, sizeof *dump->threads_by_id, compare_tid_slots);
    return DW_OK;
}

/* Index of the first thread with `tid` in dump order, or -1. */
static long find_thread_index(const dw_dump *dump, uint32_t tid)
{
    size_t lo = 0, hi = dump->thread_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (dump->threads_by_id[mid].tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < dump->thread_count && dump->threads_by_id[lo].tid == tid)
        return (long)dump->threads_by_id[lo].index;
    return -1;
}

/* ThreadNames (type 24): names are attached to the listed threads; an entry
 * for a thread that is not listed is ignored, an unreadable name reported. */
static void merge_thread_names(dw_dump *dump)
{
    dw_reader stream;
    uint32_t rva;
    if (dw_find_stream(dump, DW_STREAM_THREAD_NAMES, &stream, &rva) == DW_ERR_NOT_FOUND)
        return;
    uint32_t count;
    dw_reader records;
    dw_list_header(dump, DW_STREAM_THREAD_NAMES, &stream, rva, 4, THREAD_NAME_SIZE, DW_MAX_THREADS,
                   &count, &records);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t tid = dw_read_u32(&records);
        uint64_t name_rva = dw_read_u64(&records);
        long index = find_thread_index(dump, tid);
        if (records.failed || index < 0)
            continue;
        const char *name =
            name_rva <= UINT32_MAX ? dw_read_md_string(dump, (uint32_t)name_rva) : NULL;
        if (!name) {
            dw_damage(dump, DW_STREAM_THREAD_NAMES, rva, DW_ERR_TRUNCATED,
                      "ThreadNames: name of thread 0x%x at 0x%llx is outside the file", tid,
                      (unsigned long long)name_rva);
            continue;
        }
        if (name[0])
            dump->threads[index].name = name;
    }
}

/* ThreadList is used when both exist: it is what every reader expects, and
 * ThreadExList only adds the IA64 register backing store. */
static dw_status find_thread_stream(dw_dump *dump, uint32_t *type, dw_reader *stream, uint32_t *rva)
{
    *type = DW_STREAM_THREAD_LIST;
    dw_status st = dw_find_stream(dump, *type, stream, rva);
    if (st != DW_ERR_NOT_FOUND)
        return st;
    *type = DW_STREAM_THREAD_EX_LIST;
    st = dw_find_stream(dump, *type, stream, rva);
    if (st == DW_ERR_NOT_FOUND)
        return dw_fail(dump, st, "threads: the dump has no ThreadList or ThreadExList stream");
    return st;
}

static dw_status parse_threads(dw_dump *dump)
{
    if (dump->backend) { /* the list was filled at open (backend.h); index it */
        dw_status idx_st = build_tid_index(dump);
        if (idx_st != DW_OK)
            dump->thread_count = 0;
        return idx_st != DW_OK ? idx_st : dump->backend_status->threads;
    }
    uint32_t type, rva;
    dw_reader stream;
    dw_status st = find_thread_stream(dump, &type, &stream, &rva);
    if (st == DW_ERR_NOT_FOUND)
        return st;
    int extended = type == DW_STREAM_THREAD_EX_LIST;
    size_t elem = extended ? THREAD_EX_SIZE : THREAD_SIZE;
    uint32_t count;
    dw_reader records;
    dw_status list_st =
        dw_list_header(dump, type, &stream, rva, 4, elem, DW_MAX_THREADS, &count, &records);
    if (list_st != DW_OK)
        st = list_st;
    dump->threads = dw_arena_calloc(&dump->arena, count ? count : 1, sizeof *dump->threads);
    if (!dump->threads)
        return dw_fail(dump, DW_ERR_NOMEM, "out of memory for %u threads", count);
    /* dw_list_header sized `records` to exactly `count` entries. */
    uint64_t first_record = rva + (uint64_t)(records.data ? records.data - stream.data : 0);
    for (uint32_t i = 0; i < count; i++) {
        read_thread(&records, extended, &dump->threads[i]);
        check_thread_locations(dump, type, first_record + (uint64_t)i * elem, &dump->threads[i]);
    }
    dump->thread_count = count;
    dw_status idx_st = build_tid_index(dump);
    if (idx_st != DW_OK) {
        dump->thread_count = 0; /* lookups need the index */
        return idx_st;
    }
    merge_thread_names(dump);
    return st;
}

dw_status dw_dump_threads(dw_dump *dump, const dw_thread **threads, size_t *count)
{
    if (!dump || !threads || !count)
        return dump ? dw_fail(dump, DW_ERR_INVALID_ARG, "dw_dump_threads: NULL argument")
                    : DW_ERR_INVALID_ARG;
    dw_status st = dw_lazy_run(dump, &dump->threads_lazy, parse_threads);
    *threads = dump->threads;
    *count = dump->thread_count;
    if (st == DW_ERR_NOT_FOUND)
        dw_fail(dump, st, "threads: the dump has no ThreadList or ThreadExList stream");
    return st;
}

dw_status dw_dump_thread_by_id(dw_dump *dump, uint32_t thread_id, const dw_thread **thread)
{
    if (!dump || !thread)
        return dump ? dw_fail(dump, DW_ERR_INVALID_ARG, "dw_dump_thread_by_id: NULL argument")
                    : DW_ERR_INVALID_ARG;
    *thread = NULL;
    const dw_thread *all;
    size_t n;
    dw_dump_threads(dump, &all, &n);
    long index = n ? find_thread_index(dump, thread_id) : -1;
    if (index < 0)
        return dw_fail(dump, DW_ERR_NOT_FOUND, "thread 0x%x is not in the thread list", thread_id);
    *thread = &all[index];
    return DW_OK;
}

static void read_thread_info(dw_reader *r, dw_thread_info *t)
{
    t->thread_id = dw_read_u32(r);
    t->dump_flags = dw_read_u32(r);
    t->dump_error = dw_read_u32(r);
    t->exit_status = dw_read_u32(r);
    t->create_time = dw_read_u64(r);
    t->exit_time = dw_read_u64(r);
    t->kernel_time = dw_read_u64(r);
    t->user_time = dw_read_u64(r);
    t->start_address = dw_read_u64(r);
    t->affinity = dw_read_u64(r);
}

/* The header declares its own size and the entry size, so later versions
 * can grow either; both are honoured as long as they hold the known fields. */
static dw_status check_thread_info_header(dw_dump *dump, const dw_reader *s, uint32_t rva,
                                          uint32_t header_size, uint32_t entry_size)
{
    if (header_size < THREAD_INFO_LIST_HEADER_SIZE || header_size > s->size)
        return dw_damage(dump, DW_STREAM_THREAD_INFO_LIST, rva, DW_ERR_DAMAGED,
                         "ThreadInfoList: SizeOfHeader %u is outside %d..%zu (the stream size)",
                         header_size, THREAD_INFO_LIST_HEADER_SIZE, s->size);
    if (entry_size < THREAD_INFO_SIZE)
        return dw_damage(dump, DW_STREAM_THREAD_INFO_LIST, rva, DW_ERR_DAMAGED,
                         "ThreadInfoList: SizeOfEntry %u is smaller than the %d-byte "
                         "MINIDUMP_THREAD_INFO",
                         entry_size, THREAD_INFO_SIZE);
    return DW_OK;
}

/* How many of `declared` entries the stream holds, within the cap. */
static uint32_t usable_thread_infos(dw_dump *dump, const dw_reader *s, uint32_t rva,
                                    uint32_t header_size, uint32_t entry_size, uint32_t declared,
                                    dw_status *st)
{
    uint64_t room = (s->size - header_size) / entry_size;
    uint32_t usable = declared;
    if (declared > room) {
        usable = (uint32_t)room;
        *st = dw_damage(dump, DW_STREAM_THREAD_INFO_LIST, rva, DW_ERR_TRUNCATED,
                        "ThreadInfoList: %u entries of %u bytes declared but stream holds %llu",
                        declared, entry_size, (unsigned long long)room);
    }
    if (usable > DW_MAX_THREADS) {
        usable = DW_MAX_THREADS;
        *st = dw_damage(dump, DW_STREAM_THREAD_INFO_LIST, rva, DW_ERR_LIMIT,
                        "ThreadInfoList: %u entries exceed the limit of %d; the rest are "
                        "ignored",
                        declared, DW_MAX_THREADS);
    }
    return usable;
}

static dw_status parse_thread_infos(dw_dump *dump)
{
    dw_reader s;
    uint32_t rva;
    dw_status st = dw_find_stream(dump, DW_STREAM_THREAD_INFO_LIST, &s, &rva);
    if (st == DW_ERR_NOT_FOUND)
        return st;
    uint32_t header_size, entry_size, declared;
    if (!dw_peek_u32(&s, 0, &header_size) || !dw_peek_u32(&s, 4, &entry_size) ||
        !dw_peek_u32(&s, 8, &declared))
        return dw_damage(dump, DW_STREAM_THREAD_INFO_LIST, rva, DW_ERR_TRUNCATED,
                         "ThreadInfoList: stream of %zu bytes is too short for its %d-byte "
                         "header",
                         s.size, THREAD_INFO_LIST_HEADER_SIZE);
    dw_status hst = check_thread_info_header(dump, &s, rva, header_size, entry_size);
    if (hst != DW_OK)
        return hst;
    uint32_t n = usable_thread_infos(dump, &s, rva, header_size, entry_size, declared, &st);
    dump->thread_infos = dw_arena_calloc(&dump->arena, n ? n : 1, sizeof *dump->thread_infos);
    if (!dump->thread_infos)
        return dw_fail(dump, DW_ERR_NOMEM, "out of memory for %u thread infos", n);
    for (uint32_t i = 0; i < n; i++) {
        dw_reader entry =
            dw_reader_sub_clamped(&s, header_size + (uint64_t)i * entry_size, THREAD_INFO_SIZE);
        read_thread_info(&entry, &dump->thread_infos[i]);
    }
    dump->thread_info_count = n;
    return st;
}

dw_status dw_dump_thread_infos(dw_dump *dump, const dw_thread_info **infos, size_t *count)
{
    if (!dump || !infos || !count)
        return dump ? dw_fail(dump, DW_ERR_INVALID_ARG, "dw_dump_thread_infos: NULL argument")
                    : DW_ERR_INVALID_ARG;
    dw_status st = dw_lazy_run(dump, &dump->thread_infos_lazy, parse_thread_infos);
    *infos = dump->thread_infos;
    *count = dump->thread_info_count;
    return st;
}
