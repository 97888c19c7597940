/* The dump's captured memory as one sorted, non-overlapping address space.
 *
 * Sources, in priority order (include/dumpwalk/memory.h):
 *   Memory64List (type 9): NumberOfMemoryRanges u64, BaseRva u64, then
 *     {StartOfMemoryRange u64, DataSize u64} per range; the data of all ranges
 *     is contiguous in the file from BaseRva, in descriptor order.
 *   MemoryList (type 5): a u32 count (sometimes padded to 8 bytes), then
 *     MINIDUMP_MEMORY_DESCRIPTOR {StartOfMemoryRange u64, DataSize u32, Rva u32}.
 *   Each thread's stack descriptor (same shape, from ThreadList).
 * Every candidate range gets a rank: its position in that order.  Where ranges
 * overlap, the lowest rank owns the bytes; a sweep over the range endpoints
 * gives each elementary segment to the lowest active rank.  The sweep takes
 * all endpoints at one address together, so the result does not depend on
 * how equal addresses are ordered.  Lookups are binary searches; reads never
 * allocate. */
#include <stdlib.h>
#include <string.h>

#include "minidump/backend.h"
#include "minidump/internal.h"

#define MEMORY64_HEADER 16
#define MEMORY64_DESCRIPTOR 16
#define MEMORY_DESCRIPTOR 16

/* Candidate ranges before overlap resolution; the array index is the rank. */
typedef struct range_list {
    dw_memory_range *items;
    size_t count, cap;
} range_list;

static int range_push(range_list *list, uint64_t base, uint64_t size, uint64_t file_offset,
                      dw_memory_source source)
{
    if (size == 0)
        return 1;
    if (list->count == list->cap) {
        size_t ncap = list->cap ? list->cap * 2 : 64;
        dw_memory_range *n = realloc(list->items, ncap * sizeof *n);
        if (!n)
            return 0;
        list->items = n;
        list->cap = ncap;
    }
    /* A range may not wrap the address space: keep the part below 2^64. */
    if (size > UINT64_MAX - base)
        size = UINT64_MAX - base;
    dw_memory_range r = {base, size, file_offset, source};
    list->items[list->count++] = r;
    return 1;
}

/* Bytes of [offset, offset+size) that exist in the file. */
static uint64_t bytes_in_file(const dw_dump *dump, uint64_t offset, uint64_t size)
{
    if (offset >= dump->file.size)
        return 0;
    uint64_t avail = dump->file.size - offset;
    return size < avail ? size : avail;
}

static dw_status memory64_header(dw_dump *dump, const dw_reader *stream, uint32_t rva,
                                 uint64_t *count, uint64_t *base_rva)
{
    if (!dw_peek_u64(stream, 0, count) || !dw_peek_u64(stream, 8, base_rva)) {
        *count = 0;
        return dw_damage(dump, DW_STREAM_MEMORY64_LIST, rva, DW_ERR_TRUNCATED,
                         "Memory64List: stream of %zu bytes is too short for its 16-byte header",
                         stream->size);
    }
    uint64_t room = (stream->size - MEMORY64_HEADER) / MEMORY64_DESCRIPTOR;
    dw_status st = DW_OK;
    if (*count > room) {
        st = dw_damage(dump, DW_STREAM_MEMORY64_LIST, rva, DW_ERR_TRUNCATED,
                       "Memory64List: %llu ranges declared but stream holds %llu",
                       (unsigned long long)*count, (unsigned long long)room);
        *count = room;
    }
    if (*count > DW_MAX_MEMORY_RANGES) {
        st = dw_damage(dump, DW_STREAM_MEMORY64_LIST, rva, DW_ERR_LIMIT,
                       "Memory64List: %llu ranges exceed the limit of %d; the rest are ignored",
                       (unsigned long long)*count, DW_MAX_MEMORY_RANGES);
        *count = DW_MAX_MEMORY_RANGES;
    }
    return st;
}

/* Whole ranges are kept, the one the file ends in is clamped, and those after
 * it are dropped; the damage names how much is missing. */
static dw_status collect_memory64(dw_dump *dump, range_list *list)
{
    dw_reader stream;
    uint32_t rva = 0;
    dw_status st = dw_find_stream(dump, DW_STREAM_MEMORY64_LIST, &stream, &rva);
    if (st == DW_ERR_NOT_FOUND)
        return DW_OK;
    uint64_t count, offset;
    dw_status hst = memory64_header(dump, &stream, rva, &count, &offset);
    st = hst != DW_OK ? hst : st;
    dw_reader desc = dw_reader_sub_clamped(&stream, MEMORY64_HEADER, count * MEMORY64_DESCRIPTOR);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t base = dw_read_u64(&desc);
        uint64_t size = dw_read_u64(&desc);
        uint64_t present = bytes_in_file(dump, offset, size);
        if (present < size) {
            st = dw_damage(dump, DW_STREAM_MEMORY64_LIST, rva, DW_ERR_TRUNCATED,
                           "Memory64List: range %llu of %llu (0x%llx, 0x%llx bytes at file "
                           "offset 0x%llx) runs past the end of the file; kept 0x%llx bytes and "
                           "dropped the %llu ranges after it",
                           (unsigned long long)i, (unsigned long long)count,
                           (unsigned long long)base, (unsigned long long)size,
                           (unsigned long long)offset, (unsigned long long)present,
                           (unsigned long long)(count - i - 1));
            count = i + 1; /* the data of every later range lies beyond the end too */
        }
        if (!range_push(list, base, present, offset, DW_MEMSRC_MEMORY64_LIST))
            return dw_fail(dump, DW_ERR_NOMEM, "Memory64List: out of memory");
        offset += present;
    }
    return st;
}

/* A {start, size, rva} descriptor from MemoryList or a thread: clamp data
 * that runs past the end of the file and report it. */
static dw_status push_descriptor(dw_dump *dump, range_list *list, uint32_t stream_type,
                                 dw_memory_source source, const char *what, size_t index,
                                 uint64_t base, uint32_t size, uint32_t data_rva)
{
    uint64_t present = bytes_in_file(dump, data_rva, size);
    dw_status st = DW_OK;
    if (present < size)
        st = dw_damage(dump, stream_type, data_rva, DW_ERR_TRUNCATED,
                       "%s %zu: 0x%x bytes of memory at 0x%llx (file offset 0x%x) run past the "
                       "end of the file; kept 0x%llx bytes",
                       what, index, size, (unsigned long long)base, data_rva,
                       (unsigned long long)present);
    if (!range_push(list, base, present, data_rva, source))
        return dw_fail(dump, DW_ERR_NOMEM, "%s: out of memory", what);
    return st;
}

static dw_status collect_memory_list(dw_dump *dump, range_list *list)
{
    dw_reader stream, records;
    uint32_t rva = 0, count = 0;
    dw_status st = dw_find_stream(dump, DW_STREAM_MEMORY_LIST, &stream, &rva);
    if (st == DW_ERR_NOT_FOUND)
        return DW_OK;
    dw_status lst = dw_list_header(dump, DW_STREAM_MEMORY_LIST, &stream, rva, 4, MEMORY_DESCRIPTOR,
                                   DW_MAX_MEMORY_RANGES, &count, &records);
    st = lst != DW_OK ? lst : st;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t base = dw_read_u64(&records);
        uint32_t size = dw_read_u32(&records);
        uint32_t data_rva = dw_read_u32(&records);
        dw_status dst = push_descriptor(dump, list, DW_STREAM_MEMORY_LIST, DW_MEMSRC_MEMORY_LIST,
                                        "MemoryList: range", i, base, size, data_rva);
        if (dst == DW_ERR_NOMEM)
            return dst;
        st = dst != DW_OK ? dst : st;
    }
    return st;
}

static dw_status collect_stacks(dw_dump *dump, range_list *list)
{
    const dw_thread *threads;
    size_t count;
    /* Without a usable thread list there are simply no stack ranges; the
     * thread parser reports its own damage. */
    if (dw_dump_threads(dump, &threads, &count) != DW_OK && count == 0)
        return DW_OK;
    dw_status st = DW_OK;
    for (size_t i = 0; i < count; i++) {
        const dw_thread *t = &threads[i];
        /* RVA 0 is the header: writers that keep stacks in Memory64List (Wine's
         * full-memory dumps) leave the descriptor's RVA 0. */
        if (t->stack_rva == 0 || t->stack_size == 0)
            continue;
        uint32_t size = t->stack_size > UINT32_MAX ? UINT32_MAX : (uint32_t)t->stack_size;
        dw_status dst =
            push_descriptor(dump, list, DW_STREAM_THREAD_LIST, DW_MEMSRC_THREAD_STACK,
                            "ThreadList: stack of thread", i, t->stack_start, size, t->stack_rva);
        if (dst == DW_ERR_NOMEM)
            return dst;
        st = dst != DW_OK ? dst : st;
    }
    return st;
}

/* --- Overlap resolution --------------------------------------------------- */

/* Ranges are sorted as arrays of ranks (indexes into the candidate list)
 * by the address of their start or of their end: 4 bytes an element keep
 * the scratch small, and its fresh pages cost more than the indirect key. */
typedef struct rank_order {
    const dw_memory_range *items;
    int by_end; /* key: base + size instead of base */
} rank_order;

static uint64_t key_of(const rank_order *o, uint32_t rank)
{
    const dw_memory_range *r = &o->items[rank];
    return o->by_end ? r->base + r->size : r->base;
}

/* Merge the sorted runs src[lo, mid) and src[mid, hi) into dst[lo, hi). */
static void merge_runs(const rank_order *o, const uint32_t *src, uint32_t *dst, size_t lo,
                       size_t mid, size_t hi)
{
    size_t a = lo, b = mid, k = lo;
    while (a < mid && b < hi)
        dst[k++] = key_of(o, src[b]) < key_of(o, src[a]) ? src[b++] : src[a++];
    while (a < mid)
        dst[k++] = src[a++];
    while (b < hi)
        dst[k++] = src[b++];
}

/* The end of the ascending run that starts at `from`. */
static size_t run_end(const rank_order *o, const uint32_t *ranks, size_t from, size_t n)
{
    size_t i = from + 1;
    while (i < n && key_of(o, ranks[i - 1]) <= key_of(o, ranks[i]))
        i++;
    return i;
}

/* Sort ranks by key: a natural merge sort (merge neighbouring ascending
 * runs until one is left), O(n log runs).  Memory64List is written in
 * address order and MemoryList mostly is (a few address-ordered sequences
 * in chunks), so this does far less than qsort's O(n log n) indirect
 * compares and element copies, which dominated opening a dump with 8,000
 * ranges.  Returns the array that holds the result (ranks or tmp). */
static uint32_t *sort_ranks(const rank_order *o, uint32_t *ranks, uint32_t *tmp, size_t n)
{
    uint32_t *src = ranks, *dst = tmp;
    for (;;) {
        size_t lo = 0, runs = 0;
        while (lo < n) {
            size_t mid = run_end(o, src, lo, n);
            size_t hi = mid < n ? run_end(o, src, mid, n) : n;
            merge_runs(o, src, dst, lo, mid, hi);
            lo = hi;
            runs++;
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
        if (runs <= 1)
            return src;
    }
}

/* A binary min-heap of ranks (lazy deletion: ended ranks are popped when they
 * surface at the top). */
typedef struct rank_heap {
    uint32_t *items;
    size_t count;
} rank_heap;

static void heap_push(rank_heap *h, uint32_t rank)
{
    size_t i = h->count++;
    while (i > 0 && h->items[(i - 1) / 2] > rank) {
        h->items[i] = h->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->items[i] = rank;
}

static void heap_pop(rank_heap *h)
{
    uint32_t last = h->items[--h->count];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->count)
            break;
        if (child + 1 < h->count && h->items[child + 1] < h->items[child])
            child++;
        if (h->items[child] >= last)
            break;
        h->items[i] = h->items[child];
        i = child;
    }
    if (h->count)
        h->items[i] = last;
}

/* Where the sweep's pieces go: counted only (out == NULL), or written. */
typedef struct piece_sink {
    dw_memory_range *out;
    size_t n;
    uint32_t last_rank;
    uint64_t last_end;
} piece_sink;

/* Emit [from, to) owned by range `rank`.  A range split only by endpoints of
 * ranges it outranks continues as one piece; distinct ranges stay distinct
 * even when adjacent, so the list mirrors the dump's descriptors. */
static void emit_piece(piece_sink *sink, const range_list *list, uint32_t rank, uint64_t from,
                       uint64_t to)
{
    const dw_memory_range *owner = &list->items[rank];
    if (sink->n > 0 && sink->last_rank == rank && sink->last_end == from) {
        if (sink->out)
            sink->out[sink->n - 1].size += to - from;
    } else {
        dw_memory_range piece = {from, to - from, owner->file_offset + (from - owner->base),
                                 owner->source};
        if (sink->out)
            sink->out[sink->n] = piece;
        sink->n++;
        sink->last_rank = rank;
    }
    sink->last_end = to;
}

/* The candidate ranges' ranks by start, in the first 2n of a scratch of 3n
 * (returns where the sorted array ended up). */
static const uint32_t *sort_starts(const range_list *list, uint32_t *scratch)
{
    size_t n = list->count;
    for (size_t i = 0; i < n; i++)
        scratch[i] = (uint32_t)i;
    rank_order by_start = {list->items, 0};
    return sort_ranks(&by_start, scratch, scratch + n, n);
}

/* ... and by end, from the start order: taken in start order the ends are
 * already in order unless one range lies inside another, so this sort is
 * usually one pass. */
static const uint32_t *sort_ends(const range_list *list, uint32_t *scratch, const uint32_t *starts)
{
    size_t n = list->count;
    uint32_t *c = scratch + 2 * n;
    memcpy(c, starts, n * sizeof *c);
    rank_order by_end = {list->items, 1};
    return sort_ranks(&by_end, c, starts == scratch ? scratch + n : scratch, n);
}

/* The lowest address at which a start or an end is still to come. */
static uint64_t next_event(const dw_memory_range *items, const uint32_t *starts, size_t si,
                           const uint32_t *ends, size_t ei, size_t n)
{
    uint64_t end = items[ends[ei]].base + items[ends[ei]].size;
    if (si < n && items[starts[si]].base < end)
        return items[starts[si]].base;
    return end;
}

/* One pass over the sorted starts and ends; returns the number of pieces. */
static size_t sweep(const range_list *list, const uint32_t *starts, const uint32_t *ends,
                    uint8_t *ended, rank_heap *heap, dw_memory_range *out)
{
    const dw_memory_range *items = list->items;
    size_t count = list->count, si = 0, ei = 0;
    piece_sink sink = {out, 0, 0, 0};
    memset(ended, 0, count);
    heap->count = 0;
    /* Every range ends at or after its start, so the ends run out last. */
    while (ei < count) {
        uint64_t at = next_event(items, starts, si, ends, ei, count);
        for (; si < count && items[starts[si]].base == at; si++)
            heap_push(heap, starts[si]);
        for (; ei < count && items[ends[ei]].base + items[ends[ei]].size == at; ei++)
            ended[ends[ei]] = 1;
        while (heap->count && ended[heap->items[0]])
            heap_pop(heap);
        if (heap->count && ei < count)
            emit_piece(&sink, list, heap->items[0], at,
                       next_event(items, starts, si, ends, ei, count));
    }
    return sink.n;
}

/* The common case without the sweep: in start order, each range begins at
 * or after the end of the one before, except exact repeats (a thread's stack
 * listed again in MemoryList), which the lowest rank wins, as in the sweep.
 * Returns the number of pieces, written to out when non-NULL; 0 when ranges
 * overlap otherwise. */
static size_t disjoint_pieces(const range_list *list, const uint32_t *starts, dw_memory_range *out)
{
    const dw_memory_range *items = list->items;
    size_t pieces = 0;
    uint64_t last_end = 0;
    for (size_t i = 0; i < list->count; i++) {
        const dw_memory_range *r = &items[starts[i]];
        if (i > 0) {
            const dw_memory_range *prev = &items[starts[i - 1]];
            if (r->base == prev->base && r->size == prev->size)
                continue; /* a repeat: the lower rank came first (stable sort) */
            if (r->base < last_end)
                return 0;
        }
        if (out)
            out[pieces] = *r;
        pieces++;
        last_end = r->base + r->size; /* no wrap: range_push clamps */
    }
    return pieces;
}

static dw_status store_disjoint(dw_dump *dump, const range_list *list, const uint32_t *starts,
                                size_t count)
{
    dump->ranges = dw_arena_calloc(&dump->arena, count, sizeof *dump->ranges);
    if (!dump->ranges)
        return dw_fail(dump, DW_ERR_NOMEM, "memory: out of memory for %zu ranges", count);
    dump->range_count = disjoint_pieces(list, starts, dump->ranges);
    return DW_OK;
}

/* Overlapping ranges: the sweep runs twice, counting and then writing
 * straight into the dump's arena: cheaper than a 2n-piece buffer copied
 * over, whose fresh pages cost more than the second pass. */
static dw_status sweep_overlaps(dw_dump *dump, const range_list *list, uint32_t *scratch,
                                const uint32_t *starts)
{
    size_t n = list->count;
    uint8_t *ended = malloc(n);
    rank_heap heap = {malloc(n * sizeof(uint32_t)), 0};
    dw_status st = DW_OK;
    if (!ended || !heap.items) {
        st = dw_fail(dump, DW_ERR_NOMEM, "memory: out of memory for %zu ranges", n);
    } else {
        const uint32_t *ends = sort_ends(list, scratch, starts);
        size_t count = sweep(list, starts, ends, ended, &heap, NULL);
        dump->ranges = dw_arena_calloc(&dump->arena, count ? count : 1, sizeof *dump->ranges);
        if (dump->ranges)
            dump->range_count = sweep(list, starts, ends, ended, &heap, dump->ranges);
        else
            st = dw_fail(dump, DW_ERR_NOMEM, "memory: out of memory for %zu ranges", count);
    }
    free(ended);
    free(heap.items);
    return st;
}

static dw_status resolve_overlaps(dw_dump *dump, const range_list *list)
{
    size_t n = list->count;
    uint32_t *scratch = malloc(3 * n * sizeof *scratch);
    if (!scratch)
        return dw_fail(dump, DW_ERR_NOMEM, "memory: out of memory for %zu ranges", n);
    const uint32_t *starts = sort_starts(list, scratch);
    size_t pieces = disjoint_pieces(list, starts, NULL);
    dw_status st = pieces ? store_disjoint(dump, list, starts, pieces)
                          : sweep_overlaps(dump, list, scratch, starts);
    free(scratch);
    return st;
}

static dw_status parse_memory(dw_dump *dump)
{
    if (dump->backend) /* sorted, non-overlapping ranges filled at open (backend.h) */
        return dump->backend_status->memory;
    range_list list = {NULL, 0, 0};
    dw_status st = collect_memory64(dump, &list);
    dw_status s2 = collect_memory_list(dump, &list);
    st = st != DW_OK ? st : s2;
    s2 = collect_stacks(dump, &list);
    st = st != DW_OK ? st : s2;
    if (list.count > DW_MAX_MEMORY_RANGES) {
        st = dw_damage(dump, DW_STREAM_MEMORY_LIST, 0, DW_ERR_LIMIT,
                       "memory: %zu ranges in all exceed the limit of %d; the rest are ignored",
                       list.count, DW_MAX_MEMORY_RANGES);
        list.count = DW_MAX_MEMORY_RANGES;
    }
    if (list.count > 0) {
        dw_status rst = resolve_overlaps(dump, &list);
        st = rst != DW_OK ? rst : st;
    } else if (st == DW_OK) {
        st = dw_fail(dump, DW_ERR_NOT_FOUND, "memory: the dump captured no memory");
    }
    free(list.items);
    return st;
}

dw_status dw_memory_ranges(dw_dump *dump, const dw_memory_range **ranges, size_t *count)
{
    dw_status st = dw_lazy_run(dump, &dump->memory_lazy, parse_memory);
    *ranges = dump->ranges;
    *count = dump->range_count;
    return st;
}

/* Index of the first range whose base is above va (range_count: none). */
static size_t first_range_above(const dw_dump *dump, uint64_t va)
{
    const dw_memory_range *r = dump->ranges;
    size_t lo = 0, hi = dump->range_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].base <= va)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of the range containing va, or range_count when none does. */
static size_t range_index(const dw_dump *dump, uint64_t va)
{
    const dw_memory_range *r = dump->ranges;
    size_t lo = first_range_above(dump, va);
    if (lo > 0 && va - r[lo - 1].base < r[lo - 1].size)
        return lo - 1;
    return dump->range_count;
}

/* One past a range's last byte; UINT64_MAX for a range that reaches the top. */
static uint64_t range_end(const dw_memory_range *r)
{
    return r->base + r->size < r->base ? UINT64_MAX : r->base + r->size;
}

const uint8_t *dw_memory_stretch_at(dw_dump *dump, uint64_t va, uint64_t *from, uint64_t *to)
{
    *from = va;
    *to = va + 1 ? va + 1 : va;
    if (dump->backend)
        return NULL;
    dw_lazy_ensure(dump, &dump->memory_lazy, parse_memory);
    const dw_memory_range *r = dump->ranges;
    size_t lo = first_range_above(dump, va);
    if (lo > 0 && va - r[lo - 1].base < r[lo - 1].size) {
        *from = r[lo - 1].base;
        *to = range_end(&r[lo - 1]);
        return dump->file.data + r[lo - 1].file_offset;
    }
    /* A gap: from the end of the range below to the next base. */
    *from = lo > 0 ? range_end(&r[lo - 1]) : 0;
    *to = lo < dump->range_count ? r[lo].base : UINT64_MAX;
    return NULL;
}

const uint8_t *dw_memory_span(dw_dump *dump, uint64_t va, size_t *avail)
{
    dw_lazy_ensure(dump, &dump->memory_lazy, parse_memory);
    size_t i = range_index(dump, va);
    if (i == dump->range_count) {
        if (avail)
            *avail = 0;
        return NULL;
    }
    const dw_memory_range *r = &dump->ranges[i];
    uint64_t skip = va - r->base, left = r->size - skip;
    if (avail)
        *avail = left > SIZE_MAX ? SIZE_MAX : (size_t)left;
    /* Ranges were clamped to the file when built, so this stays inside it. */
    return dump->file.data + r->file_offset + skip;
}

/* Copies from the containing range, then from each range that starts exactly
 * where the previous one ended; returns the bytes copied from va onwards. */
static size_t copy_ranges(dw_dump *dump, uint64_t va, void *buf, size_t len)
{
    size_t done = 0;
    size_t i = range_index(dump, va);
    while (done < len && i < dump->range_count) {
        const dw_memory_range *r = &dump->ranges[i];
        uint64_t at = va + done;
        if (at < r->base || at - r->base >= r->size)
            break;
        uint64_t skip = at - r->base, left = r->size - skip;
        size_t n = len - done < left ? len - done : (size_t)left;
        memcpy((uint8_t *)buf + done, dump->file.data + r->file_offset + skip, n);
        done += n;
        i++;
    }
    return done;
}

size_t dw_memory_copy(dw_dump *dump, uint64_t va, void *buf, size_t len)
{
    if (dump->backend) {
        size_t got = 0;
        dump->backend->read(dump, va, buf, len, &got);
        return got;
    }
    dw_lazy_ensure(dump, &dump->memory_lazy, parse_memory);
    return copy_ranges(dump, va, buf, len);
}

dw_status dw_memory_read(dw_dump *dump, uint64_t va, void *buf, size_t len, size_t *got)
{
    if (dump->backend)
        return dump->backend->read(dump, va, buf, len, got);
    dw_lazy_ensure(dump, &dump->memory_lazy, parse_memory);
    size_t done = copy_ranges(dump, va, buf, len);
    if (got)
        *got = done;
    if (done == len)
        return DW_OK;
    if (done > 0)
        return DW_ERR_TRUNCATED;
    return dw_fail(dump, DW_ERR_NOT_FOUND, "memory: address 0x%llx is not in the dump",
                   (unsigned long long)va);
}

dw_status dw_memory_read_u32(dw_dump *dump, uint64_t va, uint32_t *out)
{
    uint8_t b[4];
    dw_status st = dw_memory_read(dump, va, b, sizeof b, NULL);
    *out = st == DW_OK ? dw_le32(b) : 0;
    return st;
}

dw_status dw_memory_read_u64(dw_dump *dump, uint64_t va, uint64_t *out)
{
    uint8_t b[8];
    dw_status st = dw_memory_read(dump, va, b, sizeof b, NULL);
    *out = st == DW_OK ? dw_le64(b) : 0;
    return st;
}
