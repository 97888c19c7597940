/* dumpwalk: opening a dump, its header, stream directory and health report.
 *
 * A dw_dump is an opaque handle created by one of the dw_dump_open* calls and
 * released with dw_dump_close().  Every pointer a dw_dump_* call returns is
 * borrowed: it stays valid until the handle is closed.  Streams are parsed
 * lazily, on first access.  One handle must not be used from two threads at
 * once; distinct handles are fully independent.
 */
#ifndef DUMPWALK_DUMP_H
#define DUMPWALK_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dw_dump dw_dump;

/* Default cap on the inflated size of a gzip-compressed dump: 4 GiB. */
#define DW_DEFAULT_MAX_INFLATED_SIZE ((uint64_t)4 << 30)

typedef struct dw_open_options {
    unsigned version;           /* DW_OPEN_OPTIONS_VERSION */
    uint64_t max_inflated_size; /* gzip input larger than this once inflated is refused */
} dw_open_options;

#define DW_OPEN_OPTIONS_VERSION 1
#define DW_OPEN_OPTIONS_INIT                                                                       \
    {                                                                                              \
        DW_OPEN_OPTIONS_VERSION, DW_DEFAULT_MAX_INFLATED_SIZE                                      \
    }

/* Open a dump file read-only (mmap).  Gzip input (magic 1f 8b) is inflated
 * into memory.  `opts` may be NULL; `err` may be NULL. */
dw_status dw_dump_open(const char *path, const dw_open_options *opts, dw_dump **out, dw_error *err);

/* Open a dump held in the caller's memory.  The buffer is borrowed and must
 * outlive the handle (unless it is gzip data, which is inflated into a copy). */
dw_status dw_dump_open_buffer(const void *data, size_t size, const dw_open_options *opts,
                              dw_dump **out, dw_error *err);

void dw_dump_close(dw_dump *dump);

/* Message describing the last failure of a call on this handle ("" if none). */
const char *dw_dump_last_error(const dw_dump *dump);

typedef enum dw_dump_format {
    DW_FORMAT_MINIDUMP = 1,
    DW_FORMAT_ELF_CORE = 2,
    DW_FORMAT_KDUMP = 3,
} dw_dump_format;

typedef struct dw_header {
    dw_dump_format format;
    uint32_t signature;    /* 'MDMP' = 0x504d444d */
    uint32_t version;      /* low 16 bits: MINIDUMP_VERSION (0xa793) */
    uint32_t stream_count; /* as declared */
    uint32_t directory_rva;
    uint32_t checksum;
    uint32_t time_date_stamp; /* seconds since 1970 */
    uint64_t flags;           /* MINIDUMP_TYPE bits */
    uint64_t file_size;       /* bytes of dump data (after inflating gzip) */
    int was_compressed;       /* input was gzip */
} dw_header;

const dw_header *dw_dump_header(const dw_dump *dump);

/* Names of the MINIDUMP_TYPE bits set in `flags`, joined by '|' into buf. */
const char *dw_dump_flags_string(uint64_t flags, char *buf, size_t buf_size);

/* Well-known stream types (MINIDUMP_STREAM_TYPE and Breakpad/Crashpad). */
enum {
    DW_STREAM_UNUSED = 0,
    DW_STREAM_THREAD_LIST = 3,
    DW_STREAM_MODULE_LIST = 4,
    DW_STREAM_MEMORY_LIST = 5,
    DW_STREAM_EXCEPTION = 6,
    DW_STREAM_SYSTEM_INFO = 7,
    DW_STREAM_THREAD_EX_LIST = 8,
    DW_STREAM_MEMORY64_LIST = 9,
    DW_STREAM_COMMENT_A = 10,
    DW_STREAM_COMMENT_W = 11,
    DW_STREAM_HANDLE_DATA = 12,
    DW_STREAM_FUNCTION_TABLE = 13,
    DW_STREAM_UNLOADED_MODULE_LIST = 14,
    DW_STREAM_MISC_INFO = 15,
    DW_STREAM_MEMORY_INFO_LIST = 16,
    DW_STREAM_THREAD_INFO_LIST = 17,
    DW_STREAM_HANDLE_OPERATION_LIST = 18,
    DW_STREAM_TOKEN = 19,
    DW_STREAM_JAVASCRIPT_DATA = 20,
    DW_STREAM_SYSTEM_MEMORY_INFO = 21,
    DW_STREAM_PROCESS_VM_COUNTERS = 22,
    DW_STREAM_IPT_TRACE = 23,
    DW_STREAM_THREAD_NAMES = 24,
    DW_STREAM_BREAKPAD_INFO = 0x47670001,
    DW_STREAM_ASSERTION_INFO = 0x47670002,
    DW_STREAM_LINUX_CPU_INFO = 0x47670003,
    DW_STREAM_LINUX_PROC_STATUS = 0x47670004,
    DW_STREAM_LINUX_LSB_RELEASE = 0x47670005,
    DW_STREAM_LINUX_CMD_LINE = 0x47670006,
    DW_STREAM_LINUX_ENVIRON = 0x47670007,
    DW_STREAM_LINUX_AUXV = 0x47670008,
    DW_STREAM_LINUX_MAPS = 0x47670009,
    DW_STREAM_LINUX_DSO_DEBUG = 0x4767000A,
    DW_STREAM_CRASHPAD_INFO = 0x43500001,
    DW_STREAM_MOZ_MACOS_CRASH_INFO = 0x4d7a0001,
};

typedef struct dw_stream_info {
    uint32_t type;
    uint32_t size; /* DataSize as declared */
    uint32_t rva;
    const char *name; /* "ThreadList", "0xbeef00" for unknown types */
    int in_bounds;    /* the stream's bytes lie inside the file */
    int duplicate;    /* an earlier directory entry has the same type */
} dw_stream_info;

size_t dw_dump_stream_count(const dw_dump *dump);
const dw_stream_info *dw_dump_stream_at(const dw_dump *dump, size_t index);

/* Name of a stream type; unknown types give NULL. */
const char *dw_stream_type_name(uint32_t type);

/* Raw bytes of the first stream of `type` (borrowed).  DW_ERR_NOT_FOUND when
 * absent, DW_ERR_TRUNCATED when it runs past the end of the file (then *size
 * is the part that exists). */
dw_status dw_dump_stream_bytes(dw_dump *dump, uint32_t type, const uint8_t **data, size_t *size);

/* Dump health: one entry per damaged structure.  Streams are parsed lazily, so
 * call dw_dump_check_all() first for a complete report. */
typedef struct dw_health_issue {
    uint32_t stream_type; /* 0 for the header or directory */
    uint64_t offset;      /* file offset where the damage was found */
    dw_status status;
    char message[DW_ERROR_MESSAGE_MAX];
} dw_health_issue;

/* Parse every known stream; returns DW_OK when nothing is damaged,
 * DW_ERR_DAMAGED otherwise (the dump is still usable). */
dw_status dw_dump_check_all(dw_dump *dump);
size_t dw_dump_health_count(const dw_dump *dump);
const dw_health_issue *dw_dump_health_at(const dw_dump *dump, size_t index);

#ifdef __cplusplus
}
#endif
#endif
