/* Opening a minidump: header, stream directory, the health report and the
 * shared helpers stream parsers use.
 *
 * MINIDUMP_HEADER (32 bytes): Signature 'MDMP', Version (low word 0xa793),
 * NumberOfStreams, StreamDirectoryRva, CheckSum, TimeDateStamp, Flags (u64).
 * MINIDUMP_DIRECTORY (12 bytes each): StreamType, DataSize, Rva. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minidump/backend.h"
#include "minidump/internal.h"
#include "util/text.h"

#define MD_SIGNATURE 0x504d444du
#define MD_HEADER_SIZE 32
#define MD_DIRENTRY_SIZE 12

const char *dw_status_name(dw_status status)
{
    switch (status) {
    case DW_OK:
        return "ok";
    case DW_ERR_INVALID_ARG:
        return "invalid-argument";
    case DW_ERR_IO:
        return "io-error";
    case DW_ERR_FORMAT:
        return "bad-format";
    case DW_ERR_TRUNCATED:
        return "truncated";
    case DW_ERR_DAMAGED:
        return "damaged";
    case DW_ERR_NOT_FOUND:
        return "not-found";
    case DW_ERR_NOMEM:
        return "out-of-memory";
    case DW_ERR_LIMIT:
        return "limit-exceeded";
    case DW_ERR_UNSUPPORTED:
        return "unsupported";
    }
    return "unknown-status";
}

/* Stream type names as Microsoft's MINIDUMP_STREAM_TYPE and Breakpad's
 * minidump_format.h name them. */
static const struct {
    uint32_t type;
    const char *name;
} stream_names[] = {
    {0, "Unused"},
    {1, "Reserved0"},
    {2, "Reserved1"},
    {DW_STREAM_THREAD_LIST, "ThreadList"},
    {DW_STREAM_MODULE_LIST, "ModuleList"},
    {DW_STREAM_MEMORY_LIST, "MemoryList"},
    {DW_STREAM_EXCEPTION, "Exception"},
    {DW_STREAM_SYSTEM_INFO, "SystemInfo"},
    {DW_STREAM_THREAD_EX_LIST, "ThreadExList"},
    {DW_STREAM_MEMORY64_LIST, "Memory64List"},
    {DW_STREAM_COMMENT_A, "CommentA"},
    {DW_STREAM_COMMENT_W, "CommentW"},
    {DW_STREAM_HANDLE_DATA, "HandleData"},
    {DW_STREAM_FUNCTION_TABLE, "FunctionTable"},
    {DW_STREAM_UNLOADED_MODULE_LIST, "UnloadedModuleList"},
    {DW_STREAM_MISC_INFO, "MiscInfo"},
    {DW_STREAM_MEMORY_INFO_LIST, "MemoryInfoList"},
    {DW_STREAM_THREAD_INFO_LIST, "ThreadInfoList"},
    {DW_STREAM_HANDLE_OPERATION_LIST, "HandleOperationList"},
    {DW_STREAM_TOKEN, "Token"},
    {DW_STREAM_JAVASCRIPT_DATA, "JavaScriptData"},
    {DW_STREAM_SYSTEM_MEMORY_INFO, "SystemMemoryInfo"},
    {DW_STREAM_PROCESS_VM_COUNTERS, "ProcessVmCounters"},
    {DW_STREAM_IPT_TRACE, "IptTrace"},
    {DW_STREAM_THREAD_NAMES, "ThreadNames"},
    {0x8000, "ceStreamNull"},
    {0x8001, "ceStreamSystemInfo"},
    {0x8002, "ceStreamException"},
    {0x8003, "ceStreamModuleList"},
    {0x8004, "ceStreamProcessList"},
    {0x8005, "ceStreamThreadList"},
    {0x8006, "ceStreamThreadContextList"},
    {0x8007, "ceStreamThreadCallStackList"},
    {0x8008, "ceStreamMemoryVirtualList"},
    {0x8009, "ceStreamMemoryPhysicalList"},
    {0x800A, "ceStreamBucketParameters"},
    {0x800B, "ceStreamProcessModuleMap"},
    {0x800C, "ceStreamDiagnosisList"},
    {DW_STREAM_BREAKPAD_INFO, "BreakpadInfo"},
    {DW_STREAM_ASSERTION_INFO, "AssertionInfo"},
    {DW_STREAM_LINUX_CPU_INFO, "LinuxCpuInfo"},
    {DW_STREAM_LINUX_PROC_STATUS, "LinuxProcStatus"},
    {DW_STREAM_LINUX_LSB_RELEASE, "LinuxLsbRelease"},
    {DW_STREAM_LINUX_CMD_LINE, "LinuxCmdLine"},
    {DW_STREAM_LINUX_ENVIRON, "LinuxEnviron"},
    {DW_STREAM_LINUX_AUXV, "LinuxAuxv"},
    {DW_STREAM_LINUX_MAPS, "LinuxMaps"},
    {DW_STREAM_LINUX_DSO_DEBUG, "LinuxDsoDebug"},
    {DW_STREAM_CRASHPAD_INFO, "CrashpadInfo"},
    {DW_STREAM_MOZ_MACOS_CRASH_INFO, "MozMacosCrashInfo"},
    {0x4d7a0002, "MozMacosBootargs"},
    {0x4d7a0003, "MozLinuxLimits"},
    {0x4d7a0004, "MozSoftErrors"},
    {0xFFF0, "WineBuildInfo"},
};

const char *dw_stream_type_name(uint32_t type)
{
    for (size_t i = 0; i < sizeof stream_names / sizeof stream_names[0]; i++) {
        if (stream_names[i].type == type)
            return stream_names[i].name;
    }
    return NULL;
}

/* MINIDUMP_TYPE flag names (Microsoft's minidumpapiset.h order). */
static const char *const dump_flag_names[] = {
    "WithDataSegs",
    "WithFullMemory",
    "WithHandleData",
    "FilterMemory",
    "ScanMemory",
    "WithUnloadedModules",
    "WithIndirectlyReferencedMemory",
    "FilterModulePaths",
    "WithProcessThreadData",
    "WithPrivateReadWriteMemory",
    "WithoutOptionalData",
    "WithFullMemoryInfo",
    "WithThreadInfo",
    "WithCodeSegs",
    "WithoutAuxiliaryState",
    "WithFullAuxiliaryState",
    "WithPrivateWriteCopyMemory",
    "IgnoreInaccessibleMemory",
    "WithTokenInformation",
    "WithModuleHeaders",
    "FilterTriage",
    "WithAvxXStateContext",
    "WithIptTrace",
    "ScanInaccessiblePartialPages",
    "FilterWriteCombinedMemory",
};

const char *dw_dump_flags_string(uint64_t flags, char *buf, size_t buf_size)
{
    size_t n = 0;
    if (buf_size == 0)
        return buf;
    buf[0] = '\0';
    if (flags == 0) {
        snprintf(buf, buf_size, "Normal");
        return buf;
    }
    for (unsigned bit = 0; bit < 64; bit++) {
        if (!(flags & ((uint64_t)1 << bit)))
            continue;
        char unknown[24];
        const char *name = unknown;
        if (bit < sizeof dump_flag_names / sizeof dump_flag_names[0])
            name = dump_flag_names[bit];
        else
            snprintf(unknown, sizeof unknown, "0x%llx", (unsigned long long)1 << bit);
        int w = snprintf(buf + n, buf_size - n, "%s%s", n ? "|" : "", name);
        if (w < 0 || (size_t)w >= buf_size - n)
            break;
        n += (size_t)w;
    }
    return buf;
}

dw_status dw_fail(dw_dump *dump, dw_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dump->last_error, sizeof dump->last_error, fmt, ap);
    va_end(ap);
    return status;
}

dw_status dw_damage(dw_dump *dump, uint32_t stream_type, uint64_t offset, dw_status status,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dump->last_error, sizeof dump->last_error, fmt, ap);
    va_end(ap);
    if (dump->health_count >= DW_MAX_HEALTH_ISSUES)
        return status;
    if (dump->health_count == dump->health_cap) {
        size_t ncap = dump->health_cap ? dump->health_cap * 2 : 8;
        dw_health_issue *n = realloc(dump->health, ncap * sizeof *n);
        if (!n)
            return status;
        dump->health = n;
        dump->health_cap = ncap;
    }
    dw_health_issue *h = &dump->health[dump->health_count++];
    h->stream_type = stream_type;
    h->offset = offset;
    h->status = status;
    memcpy(h->message, dump->last_error, sizeof h->message);
    return status;
}

const char *dw_dump_last_error(const dw_dump *dump)
{
    return dump ? dump->last_error : "no dump handle";
}

dw_reader dw_file_window(const dw_dump *dump, uint64_t rva, uint64_t size, int *ok)
{
    return dw_reader_sub(&dump->file, rva, size, ok);
}

/* The health issue a failed parse reported that matches its status (else its
 * first one): 1 + index, 0 when it reported none. */
static size_t parse_cause(const dw_dump *dump, size_t first, dw_status status)
{
    for (size_t i = first; i < dump->health_count; i++)
        if (dump->health[i].status == status)
            return i + 1;
    return dump->health_count > first ? first + 1 : 0;
}

dw_status dw_lazy_run(dw_dump *dump, dw_lazy *slot, dw_parse_fn parse)
{
    if (slot->state == DW_LAZY_UNPARSED) {
        size_t first = dump->health_count;
        slot->status = parse(dump);
        slot->state = DW_LAZY_DONE;
        if (slot->status != DW_OK && slot->status != DW_ERR_NOT_FOUND)
            slot->cause = parse_cause(dump, first, slot->status);
    }
    /* The last error names this stream's damage on every call, not whatever a
     * parser looked up last (an absent optional stream) or another call said
     * since the parse. */
    if (slot->cause)
        memcpy(dump->last_error, dump->health[slot->cause - 1].message, sizeof dump->last_error);
    return slot->status;
}

dw_status dw_find_stream(dw_dump *dump, uint32_t type, dw_reader *out, uint32_t *rva)
{
    for (size_t i = 0; i < dump->stream_count; i++) {
        const dw_stream_info *s = &dump->streams[i];
        if (s->type != type)
            continue;
        if (rva)
            *rva = s->rva;
        *out = dw_reader_sub_clamped(&dump->file, s->rva, s->size);
        return s->in_bounds ? DW_OK : DW_ERR_TRUNCATED;
    }
    *out = dw_reader_make(NULL, 0);
    return dw_fail(dump, DW_ERR_NOT_FOUND, "%s stream: not present in this dump",
                   dw_stream_type_name(type) ? dw_stream_type_name(type) : "requested");
}

dw_status dw_find_record_stream(dw_dump *dump, uint32_t type, size_t record_size,
                                const char *record, const char *consequence, dw_reader *out,
                                uint32_t *rva)
{
    uint32_t at = 0;
    if (dw_find_stream(dump, type, out, &at) == DW_ERR_NOT_FOUND)
        return DW_ERR_NOT_FOUND;
    if (rva)
        *rva = at;
    if (out->size < record_size)
        return dw_damage(dump, type, at, DW_ERR_TRUNCATED,
                         "%s: stream holds %zu bytes, %s needs %zu%s", dw_stream_type_name(type),
                         out->size, record, record_size, consequence ? consequence : "");
    return DW_OK;
}

dw_status dw_dump_stream_bytes(dw_dump *dump, uint32_t type, const uint8_t **data, size_t *size)
{
    dw_reader r;
    dw_status st = dw_find_stream(dump, type, &r, NULL);
    *data = r.data;
    *size = r.size;
    return st;
}

const char *dw_read_md_string(dw_dump *dump, uint32_t rva)
{
    uint32_t bytes;
    if (!dw_peek_u32(&dump->file, rva, &bytes))
        return NULL;
    /* MINIDUMP_STRING.Length is in bytes and excludes the terminator; an odd
     * length is rounded down.  Cap at what the file holds. */
    int ok;
    dw_reader body = dw_reader_sub(&dump->file, (uint64_t)rva + 4, bytes & ~1u, &ok);
    if (!ok)
        return NULL;
    return dw_utf16le_to_utf8(&dump->arena, body.data, body.size / 2);
}

/* What a list stream's records are, for messages a person reads. */
static const char *record_noun(uint32_t type)
{
    switch (type) {
    case DW_STREAM_THREAD_LIST:
    case DW_STREAM_THREAD_EX_LIST:
        return "threads";
    case DW_STREAM_MODULE_LIST:
        return "modules";
    case DW_STREAM_MEMORY_LIST:
        return "memory ranges";
    case DW_STREAM_THREAD_NAMES:
        return "thread names";
    default:
        return "records";
    }
}

dw_status dw_list_header(dw_dump *dump, uint32_t type, const dw_reader *stream, uint32_t rva,
                         size_t header_size, size_t elem_size, uint64_t cap, uint32_t *count,
                         dw_reader *records)
{
    const char *name = dw_stream_type_name(type);
    uint32_t declared;
    *count = 0;
    if (!dw_peek_u32(stream, 0, &declared) || stream->size < header_size)
        return dw_damage(dump, type, rva, DW_ERR_TRUNCATED,
                         "%s: stream of %zu bytes is too short for its %zu-byte header", name,
                         stream->size, header_size);
    uint64_t body;
    if (!dw_mul_ok(declared, elem_size, &body))
        return dw_damage(dump, type, rva, DW_ERR_DAMAGED, "%s: count %u overflows", name, declared);
    size_t start = header_size;
    /* Some writers pad the count to 8 bytes (seen in LLDB's test dumps); accept
     * the padding only when the sizes say it is there. */
    if (stream->size == header_size + 4 + body)
        start = header_size + 4;
    uint64_t room = (stream->size - start) / elem_size;
    uint32_t usable = declared;
    dw_status st = DW_OK;
    if (declared > room) {
        usable = (uint32_t)room;
        st =
            dw_damage(dump, type, rva, DW_ERR_TRUNCATED, "%s: %u %s declared but stream holds %llu",
                      name, declared, record_noun(type), (unsigned long long)room);
    }
    if (usable > cap) {
        usable = (uint32_t)cap;
        st = dw_damage(dump, type, rva, DW_ERR_LIMIT,
                       "%s: %u %s exceed the limit of %llu; the rest are ignored", name, declared,
                       record_noun(type), (unsigned long long)cap);
    }
    *count = usable;
    *records = dw_reader_sub_clamped(stream, start, (uint64_t)usable * elem_size);
    return st;
}

dw_status dw_sized_list_header(dw_dump *dump, uint32_t type, const dw_reader *stream, uint32_t rva,
                               const dw_sized_list_spec *spec, uint32_t *header_size,
                               uint32_t *entry_size, uint64_t *count)
{
    const char *name = dw_stream_type_name(type);
    uint64_t declared = 0;
    uint32_t declared32 = 0;
    *header_size = *entry_size = 0;
    *count = 0;
    dw_peek_u32(stream, 0, header_size);
    dw_peek_u32(stream, 4, entry_size);
    if (spec->count_is_u64)
        dw_peek_u64(stream, 8, &declared);
    else if (dw_peek_u32(stream, 8, &declared32))
        declared = declared32;
    if (stream->size < spec->min_header || *header_size < spec->min_header ||
        *header_size > stream->size || *entry_size < spec->min_entry || *entry_size == 0)
        return dw_damage(dump, type, rva, DW_ERR_DAMAGED,
                         "%s: header (SizeOfHeader %u, %s %u) does not fit a %zu-byte stream", name,
                         *header_size, spec->entry_field, *entry_size, stream->size);
    uint64_t room = (stream->size - *header_size) / *entry_size;
    dw_status st = DW_OK;
    *count = declared;
    if (declared > room) {
        *count = room;
        st = dw_damage(dump, type, rva, DW_ERR_TRUNCATED,
                       "%s: %llu %s declared but stream holds %llu", name,
                       (unsigned long long)declared, spec->noun, (unsigned long long)room);
    }
    if (*count > spec->cap) {
        *count = spec->cap;
        st = dw_damage(dump, type, rva, DW_ERR_LIMIT,
                       "%s: %llu %s exceed the limit of %llu; the rest are ignored", name,
                       (unsigned long long)declared, spec->noun, (unsigned long long)spec->cap);
    }
    return st;
}

static dw_status parse_directory(dw_dump *dump, dw_error *err)
{
    dw_header *h = &dump->header;
    uint32_t n = h->stream_count;
    uint64_t dir_bytes = (uint64_t)n * MD_DIRENTRY_SIZE;
    uint64_t fits = 0;
    if (h->directory_rva < dump->file.size)
        fits = (dump->file.size - h->directory_rva) / MD_DIRENTRY_SIZE;
    if (n > fits) {
        dw_damage(dump, 0, h->directory_rva, DW_ERR_TRUNCATED,
                  "stream directory: %u entries declared at offset 0x%x but the file holds %llu", n,
                  h->directory_rva, (unsigned long long)fits);
        n = (uint32_t)fits;
    }
    if (n > DW_MAX_STREAMS) {
        dw_damage(dump, 0, h->directory_rva, DW_ERR_LIMIT,
                  "stream directory: %u entries exceed the limit of %d", n, DW_MAX_STREAMS);
        n = DW_MAX_STREAMS;
    }
    (void)dir_bytes;
    dump->streams = dw_arena_calloc(&dump->arena, n ? n : 1, sizeof *dump->streams);
    if (!dump->streams) {
        dw_error_set(err, DW_ERR_NOMEM, "out of memory for %u directory entries", n);
        return DW_ERR_NOMEM;
    }
    dw_reader r = dw_reader_sub_clamped(&dump->file, h->directory_rva, (uint64_t)n * 12);
    for (uint32_t i = 0; i < n; i++) {
        dw_stream_info *s = &dump->streams[i];
        s->type = dw_read_u32(&r);
        s->size = dw_read_u32(&r);
        s->rva = dw_read_u32(&r);
        const char *name = dw_stream_type_name(s->type);
        s->name = name ? name : dw_arena_printf(&dump->arena, "0x%x", s->type);
        s->in_bounds = dw_range_ok(s->rva, s->size, dump->file.size);
        for (uint32_t j = 0; j < i; j++) {
            if (dump->streams[j].type == s->type && s->type != DW_STREAM_UNUSED)
                s->duplicate = 1;
        }
        if (!s->in_bounds)
            dw_damage(dump, s->type, s->rva, DW_ERR_TRUNCATED,
                      "%s: %u bytes at offset 0x%x run past the end of the %zu-byte file", s->name,
                      s->size, s->rva, dump->file.size);
        if (s->duplicate)
            dw_damage(dump, s->type, s->rva, DW_ERR_DAMAGED,
                      "%s: duplicate directory entry %u; the first one is used", s->name, i);
    }
    dump->stream_count = n;
    return DW_OK;
}

static dw_status open_minidump(dw_dump *dump, dw_error *err)
{
    dw_reader r = dump->file;
    if (r.size < MD_HEADER_SIZE) {
        dw_error_set(err, DW_ERR_FORMAT,
                     "not a minidump: %zu bytes is shorter than the "
                     "32-byte MINIDUMP_HEADER",
                     r.size);
        return DW_ERR_FORMAT;
    }
    dw_header *h = &dump->header;
    h->format = DW_FORMAT_MINIDUMP;
    h->signature = dw_read_u32(&r);
    h->version = dw_read_u32(&r);
    h->stream_count = dw_read_u32(&r);
    h->directory_rva = dw_read_u32(&r);
    h->checksum = dw_read_u32(&r);
    h->time_date_stamp = dw_read_u32(&r);
    h->flags = dw_read_u64(&r);
    h->file_size = dump->file.size;
    if (h->signature != MD_SIGNATURE) {
        dw_error_set(err, DW_ERR_FORMAT,
                     "not a minidump: signature is 0x%08x, expected 'MDMP' (0x504d444d)",
                     h->signature);
        return DW_ERR_FORMAT;
    }
    if ((h->version & 0xffff) != 0xa793)
        dw_damage(dump, 0, 4, DW_ERR_DAMAGED,
                  "header: version 0x%04x is not MINIDUMP_VERSION 0xa793; reading anyway",
                  h->version & 0xffff);
    return parse_directory(dump, err);
}

int dw_backend_magic(const uint8_t *data, size_t size)
{
    static const char *const magics[] = {"\177ELF", "KDUMP   ", "DISKDUMP", "makedumpfile"};
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
        size_t n = strlen(magics[i]);
        if (size >= n && memcmp(data, magics[i], n) == 0)
            return 1;
    }
    return 0;
}

size_t dw_backend_read_mapped_file(dw_dump *dump, uint64_t va, void *buf, size_t len)
{
    if (!dump || !dump->backend || !dump->backend->read_mapped_file)
        return 0;
    return dump->backend->read_mapped_file(dump, va, buf, len);
}

/* ELF cores and kernel dumps go to the libkdumpfile backend when it is
 * built in; everything else must be a minidump. */
static dw_status open_by_magic(dw_dump *dump, const char *path, dw_error *err)
{
    if (!dw_backend_magic(dump->file.data, dump->file.size))
        return open_minidump(dump, err);
#ifdef DW_HAVE_KDUMPFILE
    return dw_backend_open(dump, path, err);
#else
    (void)path;
    dw_error_set(err, DW_ERR_UNSUPPORTED,
                 "an ELF core or Linux kernel dump: this dumpwalk was built without "
                 "libkdumpfile (meson option -Dkdumpfile=enabled)");
    return DW_ERR_UNSUPPORTED;
#endif
}

static dw_status open_common(dw_dump **out, dw_source *src, const char *path, dw_error *err)
{
    dw_dump *dump = calloc(1, sizeof *dump);
    if (!dump) {
        dw_source_close(src);
        dw_error_set(err, DW_ERR_NOMEM, "out of memory");
        return DW_ERR_NOMEM;
    }
    dump->src = *src;
    dump->file = dw_reader_make(src->data, src->size);
    dump->header.was_compressed = src->owned != NULL;
    dw_arena_init(&dump->arena);
    dw_status st = open_by_magic(dump, path, err);
    if (st != DW_OK) {
        dw_dump_close(dump);
        return st;
    }
    *out = dump;
    if (err) {
        err->status = DW_OK;
        err->message[0] = '\0';
    }
    return DW_OK;
}

static uint64_t max_inflated(const dw_open_options *opts)
{
    if (opts && opts->version >= 1 && opts->max_inflated_size)
        return opts->max_inflated_size;
    return DW_DEFAULT_MAX_INFLATED_SIZE;
}

dw_status dw_dump_open(const char *path, const dw_open_options *opts, dw_dump **out, dw_error *err)
{
    if (!path || !out) {
        dw_error_set(err, DW_ERR_INVALID_ARG, "dw_dump_open: path and out are required");
        return DW_ERR_INVALID_ARG;
    }
    *out = NULL;
    dw_source src;
    dw_status st = dw_source_open_path(path, max_inflated(opts), &src, err);
    if (st != DW_OK)
        return st;
    st = open_common(out, &src, path, err);
    if (st != DW_OK && err) {
        /* Prefix the path so batch output names the file. */
        char tmp[DW_ERROR_MESSAGE_MAX];
        memcpy(tmp, err->message, sizeof tmp);
        int n = snprintf(err->message, sizeof err->message, "%s: ", path);
        if (n > 0 && (size_t)n < sizeof err->message)
            snprintf(err->message + n, sizeof err->message - (size_t)n, "%.*s",
                     (int)(sizeof err->message - (size_t)n - 1), tmp);
    }
    return st;
}

dw_status dw_dump_open_buffer(const void *data, size_t size, const dw_open_options *opts,
                              dw_dump **out, dw_error *err)
{
    if (!out) {
        dw_error_set(err, DW_ERR_INVALID_ARG, "dw_dump_open_buffer: out is required");
        return DW_ERR_INVALID_ARG;
    }
    *out = NULL;
    dw_source src;
    dw_status st = dw_source_open_buffer(data, size, max_inflated(opts), &src, err);
    if (st != DW_OK)
        return st;
    return open_common(out, &src, NULL, err);
}

void dw_dump_close(dw_dump *dump)
{
    if (!dump)
        return;
    if (dump->backend)
        dump->backend->close(dump);
    dw_arena_free(&dump->arena);
    free(dump->health);
    dw_source_close(&dump->src);
    free(dump);
}

const dw_header *dw_dump_header(const dw_dump *dump)
{
    return &dump->header;
}

size_t dw_dump_stream_count(const dw_dump *dump)
{
    return dump->stream_count;
}

const dw_stream_info *dw_dump_stream_at(const dw_dump *dump, size_t index)
{
    return index < dump->stream_count ? &dump->streams[index] : NULL;
}

size_t dw_dump_health_count(const dw_dump *dump)
{
    return dump->health_count;
}

const dw_health_issue *dw_dump_health_at(const dw_dump *dump, size_t index)
{
    return index < dump->health_count ? &dump->health[index] : NULL;
}

dw_status dw_dump_check_all(dw_dump *dump)
{
    const void *p;
    size_t n;
    const char *text;
    dw_dump_system_info(dump, (const dw_system_info **)&p);
    dw_dump_misc_info(dump, (const dw_misc_info **)&p);
    dw_dump_exception(dump, (const dw_exception **)&p);
    dw_dump_breakpad_info(dump, (const dw_breakpad_info **)&p);
    dw_dump_crashpad_info(dump, (const dw_crashpad_info **)&p);
    dw_dump_assertion_info(dump, (const dw_assertion_info **)&p);
    dw_dump_comment(dump, DW_STREAM_COMMENT_A, &text);
    dw_dump_comment(dump, DW_STREAM_COMMENT_W, &text);
    dw_dump_threads(dump, (const dw_thread **)&p, &n);
    dw_dump_thread_infos(dump, (const dw_thread_info **)&p, &n);
    dw_dump_modules(dump, (const dw_module **)&p, &n);
    dw_dump_unloaded_modules(dump, (const dw_unloaded_module **)&p, &n);
    dw_memory_ranges(dump, (const dw_memory_range **)&p, &n);
    dw_dump_memory_infos(dump, (const dw_memory_info **)&p, &n);
    dw_dump_handles(dump, (const dw_handle **)&p, &n);
    dw_dump_function_tables(dump, (const dw_function_table **)&p, &n);
    return dump->health_count ? DW_ERR_DAMAGED : DW_OK;
}
