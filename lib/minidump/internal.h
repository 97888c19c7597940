/* The dump handle and the helpers every stream parser shares.
 *
 * Each stream has a lazy slot: parsed on first access, its status cached so
 * a damaged stream is diagnosed once and costs only itself. */
#ifndef DW_MINIDUMP_INTERNAL_H
#define DW_MINIDUMP_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "dumpwalk/dumpwalk.h"
#include "util/arena.h"
#include "util/reader.h"

/* Resource caps: counts larger than these are refused before any allocation
 * (they are also bounded by what the file can hold). */
#define DW_MAX_STREAMS 4096
#define DW_MAX_THREADS 100000
#define DW_MAX_MODULES 100000
#define DW_MAX_MEMORY_RANGES 4000000
#define DW_MAX_HEALTH_ISSUES 256

typedef enum dw_lazy_state { DW_LAZY_UNPARSED = 0, DW_LAZY_DONE = 1 } dw_lazy_state;

/* One lazily parsed stream: state, cached result, and the parsed data. */
typedef struct dw_lazy {
    dw_lazy_state state;
    dw_status status;
    size_t cause; /* 1 + index of the health issue explaining a failed status; 0: none */
} dw_lazy;

typedef struct dw_source {
    const uint8_t *data;
    size_t size;
    void *mapping; /* munmap on close when non-NULL */
    size_t mapping_size;
    uint8_t *owned; /* free on close when non-NULL (inflated gzip) */
} dw_source;

struct dw_dump {
    dw_source src;
    dw_reader file; /* the whole dump */
    dw_header header;
    dw_stream_info *streams;
    size_t stream_count;
    dw_arena arena;
    char last_error[DW_ERROR_MESSAGE_MAX];
    dw_health_issue *health;
    size_t health_count;
    size_t health_cap;

    dw_lazy system_info_lazy;
    dw_system_info system_info;
    dw_lazy misc_info_lazy;
    dw_misc_info misc_info;
    dw_lazy exception_lazy;
    dw_exception exception;
    dw_lazy breakpad_info_lazy;
    dw_breakpad_info breakpad_info;
    dw_lazy crashpad_info_lazy;
    dw_crashpad_info crashpad_info;
    /* Annotation objects, one list per crashpad_info.modules entry. */
    dw_crashpad_object_list *crashpad_objects;
    dw_lazy assertion_lazy;
    dw_assertion_info assertion;
    dw_lazy comment_a_lazy, comment_w_lazy;
    const char *comment_a, *comment_w;

    dw_lazy threads_lazy;
    dw_thread *threads;
    size_t thread_count;
    struct dw_tid_slot *threads_by_id; /* (tid, index) sorted, for lookups */
    dw_lazy arch_lazy;
    dw_arch arch;
    dw_lazy thread_infos_lazy;
    dw_thread_info *thread_infos;
    size_t thread_info_count;
    dw_lazy wow64_lazy;
    int is_wow64;

    dw_lazy modules_lazy;
    dw_module *modules; /* dump order */
    size_t module_count;
    const dw_module **modules_sorted; /* by base, for lookups */
    /* dw_dump_module_at's answer from module_seg_start[i] up to the next
     * start (NULL: no module there); modules.c build_segments. */
    const dw_module **module_seg;
    uint64_t *module_seg_start;
    size_t module_seg_count;
    dw_lazy unloaded_lazy;
    dw_unloaded_module *unloaded;
    size_t unloaded_count;

    dw_lazy memory_lazy;
    dw_memory_range *ranges;
    size_t range_count;
    dw_lazy memory_infos_lazy;
    dw_memory_info *memory_infos;
    size_t memory_info_count;

    dw_lazy handles_lazy;
    dw_handle *handles;
    size_t handle_count;
    dw_lazy function_tables_lazy;
    dw_function_table *function_tables;
    size_t function_table_count;

    /* ELF core files and kernel dumps (backend.h); NULL for minidumps.  The
     * backend fills threads, modules, ranges, memory_infos and system_info at
     * open, and one context per thread here (same order as threads). */
    const struct dw_backend *backend;
    void *backend_state;
    struct dw_backend_status *backend_status;
    dw_context *backend_contexts;
};

/* Record the last error on the handle and return `status`. */
dw_status dw_fail(dw_dump *dump, dw_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Add a health issue (and set the last error); returns `status`. */
dw_status dw_damage(dw_dump *dump, uint32_t stream_type, uint64_t offset, dw_status status,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The first directory entry of `type`.  On DW_OK, *out is a reader over the
 * stream's bytes and *rva its file offset.  A stream that runs past the end of
 * the file is clamped: DW_ERR_TRUNCATED, with *out over what exists. */
dw_status dw_find_stream(dw_dump *dump, uint32_t type, dw_reader *out, uint32_t *rva);

/* dw_dump_module_at, plus the stretch [*from, *to) of addresses around
 * `address` that share its answer, so a caller can cache it (stack scanning
 * asks about thousands of words that mostly fall in a few modules).  A
 * stretch ending at UINT64_MAX includes the top address too. */
const dw_module *dw_module_stretch_at(dw_dump *dump, uint64_t address, uint64_t *from,
                                      uint64_t *to);

/* The captured range holding `va`: its bytes, with [*from, *to) set to the
 * range.  NULL when va is not captured, with [*from, *to) set to a stretch
 * around va that holds no captured byte.  Always NULL (and a one-byte
 * stretch) for backend dumps, whose reads go through the backend. */
const uint8_t *dw_memory_stretch_at(dw_dump *dump, uint64_t va, uint64_t *from, uint64_t *to);

/* The stream of `type` for a parser that reads a fixed record at its start
 * (MINIDUMP_EXCEPTION_STREAM, MINIDUMP_SYSTEM_INFO, ...).  DW_ERR_NOT_FOUND
 * when absent; a stream shorter than `record_size` is damage reported as
 * "<Stream>: stream holds N bytes, <record> needs M<consequence>" and
 * DW_ERR_TRUNCATED.  DW_OK otherwise, even when the stream was clamped to
 * the file: the directory reported that. */
dw_status dw_find_record_stream(dw_dump *dump, uint32_t type, size_t record_size,
                                const char *record, const char *consequence, dw_reader *out,
                                uint32_t *rva);

/* Reader over [rva, rva+size) of the file; ok=0 if out of bounds. */
dw_reader dw_file_window(const dw_dump *dump, uint64_t rva, uint64_t size, int *ok);

/* MINIDUMP_STRING at rva as UTF-8 in the dump's arena; NULL when unreadable
 * (the caller decides whether that is damage). */
const char *dw_read_md_string(dw_dump *dump, uint32_t rva);

/* Run a lazy parser once; later calls return the cached status. */
typedef dw_status (*dw_parse_fn)(dw_dump *dump);
dw_status dw_lazy_run(dw_dump *dump, dw_lazy *slot, dw_parse_fn parse);

/* Run a lazy parser once, for lookups on the hot path of a walk (memory
 * reads, module and region lookups per scanned word): after the first call
 * nothing happens, where dw_lazy_run also refreshes the last-error text,
 * which a lookup that succeeds has no use for. */
static inline void dw_lazy_ensure(dw_dump *dump, dw_lazy *slot, dw_parse_fn parse)
{
    if (slot->state != DW_LAZY_DONE)
        dw_lazy_run(dump, slot, parse);
}

/* List-stream header: a u32 count followed by `elem_size` records, with
 * optional 4/8 bytes of padding after the count (some writers pad).  Checks
 * count against the stream size and the cap; on success *records is a reader
 * positioned at the first record.  Reports damage in the stream's name. */
dw_status dw_list_header(dw_dump *dump, uint32_t type, const dw_reader *stream, uint32_t rva,
                         size_t header_size, size_t elem_size, uint64_t cap, uint32_t *count,
                         dw_reader *records);

/* Lists whose header declares its own sizes so later versions can grow both
 * (MINIDUMP_HANDLE_DATA_STREAM, MINIDUMP_MEMORY_INFO_LIST,
 * MINIDUMP_UNLOADED_MODULE_LIST): SizeOfHeader u32, SizeOf<entry> u32, then
 * the entry count at offset 8, u32 or u64. */
typedef struct dw_sized_list_spec {
    uint32_t min_header;     /* the header of the version this code reads */
    uint32_t min_entry;      /* the entry of that version: the fields read */
    int count_is_u64;        /* NumberOfEntries is a u64 (MemoryInfoList) */
    uint64_t cap;            /* resource cap on the count */
    const char *entry_field; /* "SizeOfEntry" or "SizeOfDescriptor", for messages */
    const char *noun;        /* "entries" or "descriptors", for messages */
} dw_sized_list_spec;

/* Read and check a sized list header.  A header that does not fit the
 * stream, or an entry size below spec->min_entry, is DW_ERR_DAMAGED with
 * *count 0; a count the stream cannot hold, or above the cap, is cut down
 * and reported (DW_ERR_TRUNCATED, DW_ERR_LIMIT).  Entry i then starts at
 * *header_size + i * *entry_size, inside the stream. */
dw_status dw_sized_list_header(dw_dump *dump, uint32_t type, const dw_reader *stream, uint32_t rva,
                               const dw_sized_list_spec *spec, uint32_t *header_size,
                               uint32_t *entry_size, uint64_t *count);

/* Source management (source.c). */
dw_status dw_source_open_path(const char *path, uint64_t max_inflated, dw_source *src,
                              dw_error *err);
dw_status dw_source_open_buffer(const void *data, size_t size, uint64_t max_inflated,
                                dw_source *src, dw_error *err);
void dw_source_close(dw_source *src);

void dw_error_set(dw_error *err, dw_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
