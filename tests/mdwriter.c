/* The test minidump writer (see mdwriter.h).  Record layouts follow the
 * Microsoft MINIDUMP_* documentation (minidumpapiset.h / winnt.h); every
 * field is written little-endian at its documented offset, byte by byte. */
#include "mdwriter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/reader.h"

/* Stream types (MINIDUMP_STREAM_TYPE). */
enum {
    MDW_THREAD_LIST = 3,
    MDW_MODULE_LIST = 4,
    MDW_MEMORY_LIST = 5,
    MDW_EXCEPTION = 6,
    MDW_SYSTEM_INFO = 7,
    MDW_THREAD_EX_LIST = 8,
    MDW_MEMORY64_LIST = 9,
    MDW_HANDLE_DATA = 12,
    MDW_UNLOADED_MODULE_LIST = 14,
    MDW_MISC_INFO = 15,
    MDW_MEMORY_INFO_LIST = 16,
    MDW_THREAD_INFO_LIST = 17,
    MDW_THREAD_NAMES = 24,
};

/* Record sizes from the format documentation. */
enum {
    MDW_HEADER_SIZE = 32,
    MDW_DIR_ENTRY_SIZE = 12,
    MDW_THREAD_SIZE = 48,
    MDW_THREAD_EX_SIZE = 64,
    MDW_MODULE_SIZE = 108,
    MDW_UNLOADED_SIZE = 24,
    MDW_THREAD_NAME_SIZE = 12,
    MDW_THREAD_INFO_SIZE = 64,
    MDW_MEMORY_INFO_SIZE = 48,
    MDW_HANDLE_DESC2_SIZE = 40,
    MDW_EXCEPTION_STREAM_SIZE = 168,
    MDW_SYSTEM_INFO_SIZE = 56,
    MDW_AMD64_CONTEXT_SIZE = 1232,
    MDW_X86_CONTEXT_SIZE = 716,
    MDW_EXCEPTION_MAX_PARAMS = 15,
};

typedef struct mdw_buf {
    uint8_t *p;
    size_t len;
    size_t cap;
} mdw_buf;

/* How a directory entry gets its bytes at mdw_finish. */
typedef enum mdw_stream_kind {
    MDW_KIND_RAW,        /* bytes given by the caller */
    MDW_KIND_ENTRY,      /* only a directory entry, size/rva given */
    MDW_KIND_THREADS,    /* built from w->threads */
    MDW_KIND_MODULES,    /* built from w->modules */
    MDW_KIND_UNLOADED,   /* built from w->unloaded */
    MDW_KIND_MEMORY,     /* MemoryList or Memory64List from w->ranges */
    MDW_KIND_MEMINFO,    /* built from w->meminfo */
    MDW_KIND_NAMES,      /* built from w->names */
    MDW_KIND_THREADINFO, /* built from w->threadinfo */
    MDW_KIND_HANDLES,    /* built from w->handles */
    MDW_KIND_COUNT
} mdw_stream_kind;

typedef struct mdw_stream {
    mdw_stream_kind kind;
    uint32_t type;
    mdw_buf raw;
    uint32_t size, rva; /* MDW_KIND_ENTRY only */
} mdw_stream;

typedef struct mdw_range {
    uint64_t va;
    uint8_t *data;
    size_t len;
} mdw_range;

struct mdw {
    uint32_t time_date_stamp;
    uint64_t flags;
    int thread_ex;
    int memory64;
    mdw_buf body; /* header placeholder + appended blobs */
    mdw_stream *streams;
    size_t nstreams, cap_streams;
    int has_kind[MDW_KIND_COUNT];
    /* Fixed-size records of the list streams, in insertion order. */
    mdw_buf threads, modules, unloaded, meminfo, names, threadinfo, handles;
    uint32_t nthreads, nmodules, nunloaded, nmeminfo, nnames, nthreadinfo, nhandles;
    mdw_range *ranges;
    size_t nranges, cap_ranges;
};

/* ---- growable byte buffer ---- */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

static void buf_reserve(mdw_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len)
        abort();
    size_t need = b->len + extra;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

static void buf_put(mdw_buf *b, const void *data, size_t len)
{
    buf_reserve(b, len);
    if (data)
        memcpy(b->p + b->len, data, len);
    else
        memset(b->p + b->len, 0, len);
    b->len += len;
}

static void buf_zeros(mdw_buf *b, size_t len)
{
    buf_put(b, NULL, len);
}

static void buf_align(mdw_buf *b, size_t align)
{
    buf_zeros(b, (align - b->len % align) % align);
}

void mdw_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

void mdw_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void mdw_put64(uint8_t *p, uint64_t v)
{
    mdw_put32(p, (uint32_t)v);
    mdw_put32(p + 4, (uint32_t)(v >> 32));
}

static void buf_u32(mdw_buf *b, uint32_t v)
{
    uint8_t t[4];
    mdw_put32(t, v);
    buf_put(b, t, sizeof t);
}

static void buf_u64(mdw_buf *b, uint64_t v)
{
    uint8_t t[8];
    mdw_put64(t, v);
    buf_put(b, t, sizeof t);
}

static uint32_t to_rva(size_t offset)
{
    if (offset > UINT32_MAX)
        abort(); /* a 32-bit RVA cannot address it: test dumps stay small */
    return (uint32_t)offset;
}

/* ---- writer lifetime ---- */

mdw *mdw_new(void)
{
    mdw *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->time_date_stamp = 0x5f000000;
    buf_zeros(&w->body, MDW_HEADER_SIZE);
    return w;
}

void mdw_free(mdw *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nstreams; i++)
        free(w->streams[i].raw.p);
    free(w->streams);
    for (size_t i = 0; i < w->nranges; i++)
        free(w->ranges[i].data);
    free(w->ranges);
    mdw_buf *bufs[] = {&w->body,    &w->threads, &w->modules,    &w->unloaded,
                       &w->meminfo, &w->names,   &w->threadinfo, &w->handles};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]->p);
    free(w);
}

void mdw_set_header(mdw *w, uint32_t time_date_stamp, uint64_t flags)
{
    w->time_date_stamp = time_date_stamp;
    w->flags = flags;
}

/* ---- body blobs ---- */

/* Blobs start 8-aligned so every record in them is naturally aligned. */
uint32_t mdw_append(mdw *w, const void *data, size_t len)
{
    buf_align(&w->body, 8);
    uint32_t rva = to_rva(w->body.len);
    buf_put(&w->body, data, len);
    return rva;
}

/* Continuation bytes after a UTF-8 lead byte, or -1 for an invalid lead. */
static int utf8_extra(unsigned char lead)
{
    if (lead < 0x80)
        return 0;
    if ((lead & 0xe0) == 0xc0)
        return 1;
    if ((lead & 0xf0) == 0xe0)
        return 2;
    if ((lead & 0xf8) == 0xf0)
        return 3;
    return -1;
}

/* Decode one UTF-8 sequence; malformed bytes become U+FFFD. */
static uint32_t utf8_next(const unsigned char **s)
{
    const unsigned char *p = *s;
    uint32_t c = p[0];
    int extra = utf8_extra(p[0]);
    if (extra < 0) {
        *s = p + 1;
        return 0xfffd;
    }
    c &= extra == 0 ? 0x7f : (0x3f >> extra);
    for (int i = 1; i <= extra; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *s = p + i;
            return 0xfffd;
        }
        c = (c << 6) | (p[i] & 0x3f);
    }
    *s = p + 1 + extra;
    return c;
}

/* MINIDUMP_STRING: u32 Length in bytes (without the terminator), then
 * UTF-16LE code units and a NUL code unit. */
uint32_t mdw_append_string(mdw *w, const char *utf8)
{
    mdw_buf units = {0};
    const unsigned char *s = (const unsigned char *)(utf8 ? utf8 : "");
    while (*s) {
        uint32_t c = utf8_next(&s);
        uint8_t u[4];
        if (c >= 0x10000) { /* surrogate pair */
            c -= 0x10000;
            mdw_put16(u, (uint16_t)(0xd800 | (c >> 10)));
            mdw_put16(u + 2, (uint16_t)(0xdc00 | (c & 0x3ff)));
            buf_put(&units, u, 4);
        } else {
            mdw_put16(u, (uint16_t)c);
            buf_put(&units, u, 2);
        }
    }
    buf_align(&w->body, 8);
    uint32_t rva = to_rva(w->body.len);
    buf_u32(&w->body, to_rva(units.len));
    buf_put(&w->body, units.p, units.len);
    buf_zeros(&w->body, 2);
    free(units.p);
    return rva;
}

/* ---- streams ---- */

static mdw_stream *new_stream(mdw *w, mdw_stream_kind kind, uint32_t type)
{
    if (w->nstreams == w->cap_streams) {
        w->cap_streams = w->cap_streams ? w->cap_streams * 2 : 16;
        w->streams = xrealloc(w->streams, w->cap_streams * sizeof *w->streams);
    }
    mdw_stream *st = &w->streams[w->nstreams++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->type = type;
    return st;
}

/* A list stream takes its directory slot when its first record is added. */
static void claim_list_stream(mdw *w, mdw_stream_kind kind, uint32_t type)
{
    if (w->has_kind[kind])
        return;
    w->has_kind[kind] = 1;
    new_stream(w, kind, type);
}

void mdw_add_stream(mdw *w, uint32_t type, const void *data, size_t len)
{
    mdw_stream *st = new_stream(w, MDW_KIND_RAW, type);
    buf_put(&st->raw, data, len);
}

void mdw_add_stream_entry(mdw *w, uint32_t type, uint32_t size, uint32_t rva)
{
    mdw_stream *st = new_stream(w, MDW_KIND_ENTRY, type);
    st->size = size;
    st->rva = rva;
}

/* ---- SystemInfo ---- */

/* MINIDUMP_SYSTEM_INFO (56 bytes).  A NULL csd still gets an (empty)
 * CSDVersion string, as Windows writes one, so the RVA is always valid.
 * CPU_INFORMATION: x86 (arch 0) carries VendorId "GenuineIntel" + CPUID
 * words; other architectures carry ProcessorFeatures[2]. */
void mdw_system_info(mdw *w, uint16_t arch, uint32_t major, uint32_t minor, uint32_t build,
                     uint32_t platform_id, const char *csd)
{
    uint32_t csd_rva = mdw_append_string(w, csd ? csd : "");
    uint8_t s[MDW_SYSTEM_INFO_SIZE] = {0};
    mdw_put16(s + 0, arch);
    mdw_put16(s + 2, 6);      /* ProcessorLevel: family 6 */
    mdw_put16(s + 4, 0x9e0a); /* ProcessorRevision: model 0x9e stepping 10 */
    s[6] = 8;                 /* NumberOfProcessors */
    s[7] = 1;                 /* ProductType: VER_NT_WORKSTATION */
    mdw_put32(s + 8, major);
    mdw_put32(s + 12, minor);
    mdw_put32(s + 16, build);
    mdw_put32(s + 20, platform_id);
    mdw_put32(s + 24, csd_rva);
    mdw_put16(s + 28, 0x100); /* SuiteMask: VER_SUITE_SINGLEUSERTS */
    if (arch == 0) {
        memcpy(s + 32, "GenuineIntel", 12); /* VendorId[3] as bytes */
        mdw_put32(s + 44, 0x000906ea);      /* VersionInformation (CPUID 1 EAX) */
        mdw_put32(s + 48, 0xbfebfbff);      /* FeatureInformation (CPUID 1 EDX) */
    } else {
        mdw_put64(s + 32, 0x7fffffULL); /* ProcessorFeatures[0] */
    }
    mdw_add_stream(w, MDW_SYSTEM_INFO, s, sizeof s);
}

/* ---- contexts ---- */

/* AMD64 CONTEXT: Rax..R15 then Rip are consecutive u64s from 0x78, in the
 * same order as DW_AMD64_RAX..DW_AMD64_RIP. */
uint32_t mdw_context_amd64(mdw *w, const mdw_regs *regs, uint32_t flags, uint32_t *size)
{
    uint8_t c[MDW_AMD64_CONTEXT_SIZE] = {0};
    mdw_put32(c + 0x30, flags);
    mdw_put32(c + 0x34, 0x1f80); /* MxCsr: default */
    static const uint16_t seg_offsets[6] = {0x38, 0x3a, 0x3c, 0x3e, 0x40, 0x42}; /* CS..SS */
    for (int i = 0; i < 6; i++)
        mdw_put16(c + seg_offsets[i], (uint16_t)regs->r[18 + i]);
    mdw_put32(c + 0x44, (uint32_t)regs->r[17]); /* EFlags */
    for (int i = 0; i <= 16; i++)
        mdw_put64(c + 0x78 + 8 * i, regs->r[i]);
    if (size)
        *size = sizeof c;
    return mdw_append(w, c, sizeof c);
}

/* x86 CONTEXT register offsets, indexed by DW_X86_EAX..DW_X86_SS. */
static const uint16_t x86_reg_offsets[16] = {
    0xb0, 0xac, 0xa8, 0xa4, /* Eax Ecx Edx Ebx */
    0xc4, 0xb4, 0xa0, 0x9c, /* Esp Ebp Esi Edi */
    0xb8, 0xc0,             /* Eip EFlags */
    0xbc, 0x98, 0x94, 0x90, /* SegCs SegDs SegEs SegFs */
    0x8c, 0xc8,             /* SegGs SegSs */
};

uint32_t mdw_context_x86(mdw *w, const mdw_regs *regs, uint32_t flags, uint32_t *size)
{
    uint8_t c[MDW_X86_CONTEXT_SIZE] = {0};
    mdw_put32(c, flags);
    for (int i = 0; i < 16; i++)
        mdw_put32(c + x86_reg_offsets[i], (uint32_t)regs->r[i]);
    if (size)
        *size = sizeof c;
    return mdw_append(w, c, sizeof c);
}

/* ---- threads ---- */

/* MINIDUMP_THREAD (48 bytes); the ThreadEx form appends a zero BackingStore
 * descriptor at mdw_finish. */
void mdw_add_thread(mdw *w, uint32_t tid, uint64_t teb, uint64_t stack_start, const void *stack,
                    size_t stack_len, uint32_t ctx_rva, uint32_t ctx_size)
{
    uint32_t stack_rva = stack_len ? mdw_append(w, stack, stack_len) : 0;
    uint8_t t[MDW_THREAD_SIZE] = {0};
    mdw_put32(t + 0, tid);
    mdw_put32(t + 12, 0x20); /* Priority: normal class */
    mdw_put64(t + 16, teb);
    mdw_put64(t + 24, stack_start);
    mdw_put32(t + 32, to_rva(stack_len));
    mdw_put32(t + 36, stack_rva);
    mdw_put32(t + 40, ctx_size);
    mdw_put32(t + 44, ctx_rva);
    buf_put(&w->threads, t, sizeof t);
    w->nthreads++;
    claim_list_stream(w, MDW_KIND_THREADS, MDW_THREAD_LIST);
}

void mdw_use_thread_ex_list(mdw *w, int on)
{
    w->thread_ex = on;
}

/* ThreadNames entry: ThreadId u32, RvaOfThreadName u64 (12 bytes, packed). */
void mdw_add_thread_name(mdw *w, uint32_t tid, const char *name)
{
    uint32_t rva = mdw_append_string(w, name);
    uint8_t e[MDW_THREAD_NAME_SIZE];
    mdw_put32(e, tid);
    mdw_put64(e + 4, rva);
    buf_put(&w->names, e, sizeof e);
    w->nnames++;
    claim_list_stream(w, MDW_KIND_NAMES, MDW_THREAD_NAMES);
}

/* MINIDUMP_THREAD_INFO (64 bytes). */
void mdw_add_thread_info(mdw *w, uint32_t tid, uint32_t dump_flags, uint64_t create_time,
                         uint64_t start_address, uint64_t affinity)
{
    uint8_t e[MDW_THREAD_INFO_SIZE] = {0};
    mdw_put32(e + 0, tid);
    mdw_put32(e + 4, dump_flags);
    mdw_put64(e + 16, create_time);
    mdw_put64(e + 48, start_address);
    mdw_put64(e + 56, affinity);
    buf_put(&w->threadinfo, e, sizeof e);
    w->nthreadinfo++;
    claim_list_stream(w, MDW_KIND_THREADINFO, MDW_THREAD_INFO_LIST);
}

/* ---- modules ---- */

/* VS_FIXEDFILEINFO inside MINIDUMP_MODULE at +24; version a.b.c.d is the
 * u64 (a<<48 | b<<32 | c<<16 | d), i.e. FileVersionMS = high half. */
static void put_version(uint8_t *vs, uint64_t version)
{
    if (!version)
        return;
    mdw_put32(vs + 0, 0xfeef04bd); /* dwSignature */
    mdw_put32(vs + 4, 0x00010000); /* dwStrucVersion 1.0 */
    mdw_put32(vs + 8, (uint32_t)(version >> 32));
    mdw_put32(vs + 12, (uint32_t)version);
    mdw_put32(vs + 16, (uint32_t)(version >> 32)); /* ProductVersion = FileVersion */
    mdw_put32(vs + 20, (uint32_t)version);
    mdw_put32(vs + 24, 0x3f);    /* FileFlagsMask */
    mdw_put32(vs + 32, 0x40004); /* FileOS: VOS_NT_WINDOWS32 */
    mdw_put32(vs + 36, 1);       /* FileType: VFT_APP */
}

static void add_module_record(mdw *w, uint64_t base, uint32_t size, const char *path,
                              uint32_t timestamp, uint64_t version, uint32_t cv_size,
                              uint32_t cv_rva)
{
    uint32_t name_rva = mdw_append_string(w, path);
    uint8_t m[MDW_MODULE_SIZE] = {0};
    mdw_put64(m + 0, base);
    mdw_put32(m + 8, size);
    mdw_put32(m + 16, timestamp);
    mdw_put32(m + 20, name_rva);
    put_version(m + 24, version);
    mdw_put32(m + 76, cv_size);
    mdw_put32(m + 80, cv_rva);
    buf_put(&w->modules, m, sizeof m);
    w->nmodules++;
    claim_list_stream(w, MDW_KIND_MODULES, MDW_MODULE_LIST);
}

/* CodeView PDB70: 'RSDS', GUID (the 16 bytes exactly as given, i.e. in file
 * order: Data1 LE, Data2 LE, Data3 LE, Data4), Age, NUL-terminated name. */
void mdw_add_module(mdw *w, uint64_t base, uint32_t size, const char *path, uint32_t timestamp,
                    const char *pdb_name, const uint8_t *guid, uint32_t age, uint64_t version)
{
    uint32_t cv_size = 0, cv_rva = 0;
    if (guid) {
        const char *name = pdb_name ? pdb_name : "";
        mdw_buf cv = {0};
        buf_u32(&cv, 0x53445352);
        buf_put(&cv, guid, 16);
        buf_u32(&cv, age);
        buf_put(&cv, name, strlen(name) + 1);
        cv_size = to_rva(cv.len);
        cv_rva = mdw_append(w, cv.p, cv.len);
        free(cv.p);
    }
    add_module_record(w, base, size, path, timestamp, version, cv_size, cv_rva);
}

void mdw_add_module_raw_cv(mdw *w, uint64_t base, uint32_t size, const char *path,
                           uint32_t timestamp, const void *cv, size_t cv_len)
{
    uint32_t cv_rva = cv_len ? mdw_append(w, cv, cv_len) : 0;
    add_module_record(w, base, size, path, timestamp, 0, to_rva(cv_len), cv_rva);
}

/* MINIDUMP_UNLOADED_MODULE (24 bytes). */
void mdw_add_unloaded_module(mdw *w, uint64_t base, uint32_t size, const char *path,
                             uint32_t timestamp)
{
    uint32_t name_rva = mdw_append_string(w, path);
    uint8_t e[MDW_UNLOADED_SIZE] = {0};
    mdw_put64(e + 0, base);
    mdw_put32(e + 8, size);
    mdw_put32(e + 16, timestamp);
    mdw_put32(e + 20, name_rva);
    buf_put(&w->unloaded, e, sizeof e);
    w->nunloaded++;
    claim_list_stream(w, MDW_KIND_UNLOADED, MDW_UNLOADED_MODULE_LIST);
}

/* ---- memory ---- */

/* Range data is kept aside and laid out at mdw_finish, because whether it
 * goes to a MemoryList or a contiguous Memory64List is decided then. */
void mdw_add_memory(mdw *w, uint64_t va, const void *data, size_t len)
{
    if (w->nranges == w->cap_ranges) {
        w->cap_ranges = w->cap_ranges ? w->cap_ranges * 2 : 16;
        w->ranges = xrealloc(w->ranges, w->cap_ranges * sizeof *w->ranges);
    }
    mdw_range *r = &w->ranges[w->nranges++];
    r->va = va;
    r->len = len;
    r->data = xrealloc(NULL, len);
    if (data)
        memcpy(r->data, data, len);
    else
        memset(r->data, 0, len);
    claim_list_stream(w, MDW_KIND_MEMORY, MDW_MEMORY_LIST);
}

void mdw_use_memory64(mdw *w, int on)
{
    w->memory64 = on;
}

/* MINIDUMP_MEMORY_INFO (48 bytes); AllocationBase/AllocationProtect mirror
 * BaseAddress/Protect. */
void mdw_add_memory_info(mdw *w, uint64_t base, uint64_t size, uint32_t state, uint32_t protect,
                         uint32_t type)
{
    uint8_t e[MDW_MEMORY_INFO_SIZE] = {0};
    mdw_put64(e + 0, base);
    mdw_put64(e + 8, base);
    mdw_put32(e + 16, protect);
    mdw_put64(e + 24, size);
    mdw_put32(e + 32, state);
    mdw_put32(e + 36, protect);
    mdw_put32(e + 40, type);
    buf_put(&w->meminfo, e, sizeof e);
    w->nmeminfo++;
    claim_list_stream(w, MDW_KIND_MEMINFO, MDW_MEMORY_INFO_LIST);
}

/* ---- exception, misc, handles ---- */

/* MINIDUMP_EXCEPTION_STREAM (168 bytes).  More than 15 params keeps the
 * declared count (for malformed tests) but stores only the 15 that fit. */
void mdw_exception(mdw *w, uint32_t tid, uint32_t code, uint64_t address, uint32_t nparams,
                   const uint64_t *params, uint32_t ctx_rva, uint32_t ctx_size)
{
    uint8_t e[MDW_EXCEPTION_STREAM_SIZE] = {0};
    mdw_put32(e + 0, tid);
    mdw_put32(e + 8, code);
    mdw_put64(e + 24, address);
    mdw_put32(e + 32, nparams);
    for (uint32_t i = 0; params && i < nparams && i < MDW_EXCEPTION_MAX_PARAMS; i++)
        mdw_put64(e + 40 + 8 * i, params[i]);
    mdw_put32(e + 160, ctx_size);
    mdw_put32(e + 164, ctx_rva);
    mdw_add_stream(w, MDW_EXCEPTION, e, sizeof e);
}

/* MINIDUMP_MISC_INFO: SizeOfInfo, Flags1, ProcessId, ProcessCreateTime,
 * ProcessUserTime, ProcessKernelTime; later versions only add fields, left
 * zero here.  A size below 24 writes a truncated stream (malformed tests). */
void mdw_misc_info(mdw *w, uint32_t size_of_info, uint32_t pid, uint32_t create_time)
{
    size_t len = size_of_info > 24 ? size_of_info : 24;
    uint8_t *m = calloc(1, len);
    if (!m)
        abort();
    mdw_put32(m + 0, size_of_info);
    mdw_put32(m + 4, 0x3); /* MINIDUMP_MISC1_PROCESS_ID | MINIDUMP_MISC1_PROCESS_TIMES */
    mdw_put32(m + 8, pid);
    mdw_put32(m + 12, create_time);
    mdw_add_stream(w, MDW_MISC_INFO, m, size_of_info);
    free(m);
}

/* MINIDUMP_HANDLE_DESCRIPTOR_2 (40 bytes); NULL names get RVA 0. */
void mdw_add_handle(mdw *w, uint64_t handle, const char *type_name, const char *object_name,
                    uint32_t granted_access)
{
    uint32_t type_rva = type_name ? mdw_append_string(w, type_name) : 0;
    uint32_t object_rva = object_name ? mdw_append_string(w, object_name) : 0;
    uint8_t e[MDW_HANDLE_DESC2_SIZE] = {0};
    mdw_put64(e + 0, handle);
    mdw_put32(e + 8, type_rva);
    mdw_put32(e + 12, object_rva);
    mdw_put32(e + 20, granted_access);
    mdw_put32(e + 24, 1); /* HandleCount */
    mdw_put32(e + 28, 1); /* PointerCount */
    buf_put(&w->handles, e, sizeof e);
    w->nhandles++;
    claim_list_stream(w, MDW_KIND_HANDLES, MDW_HANDLE_DATA);
}

/* ---- serialization ---- */

typedef struct mdw_dir_entry {
    uint32_t type, size, rva;
} mdw_dir_entry;

/* Where mdw_finish put the memory ranges' data. */
typedef struct mdw_memory_layout {
    uint32_t *rvas;    /* per range (MemoryList) */
    uint64_t base_rva; /* Memory64List: start of the contiguous data */
} mdw_memory_layout;

static void place_memory(const mdw *w, mdw_buf *out, mdw_memory_layout *lay)
{
    lay->rvas = xrealloc(NULL, (w->nranges ? w->nranges : 1) * sizeof *lay->rvas);
    buf_align(out, 8);
    lay->base_rva = out->len;
    for (size_t i = 0; i < w->nranges; i++) {
        if (!w->memory64)
            buf_align(out, 8);
        lay->rvas[i] = to_rva(out->len);
        buf_put(out, w->ranges[i].data, w->ranges[i].len);
    }
}

/* MemoryList: u32 count, MINIDUMP_MEMORY_DESCRIPTOR (start u64, DataSize,
 * Rva) each.  Memory64List: u64 count, u64 BaseRva, (start u64, size u64)
 * each, data contiguous from BaseRva. */
static void build_memory(const mdw *w, const mdw_memory_layout *lay, mdw_buf *s)
{
    if (w->memory64) {
        buf_u64(s, w->nranges);
        buf_u64(s, lay->base_rva);
        for (size_t i = 0; i < w->nranges; i++) {
            buf_u64(s, w->ranges[i].va);
            buf_u64(s, w->ranges[i].len);
        }
        return;
    }
    buf_u32(s, to_rva(w->nranges));
    for (size_t i = 0; i < w->nranges; i++) {
        buf_u64(s, w->ranges[i].va);
        buf_u32(s, to_rva(w->ranges[i].len));
        buf_u32(s, lay->rvas[i]);
    }
}

static void build_thread_list(const mdw *w, mdw_buf *s)
{
    buf_u32(s, w->nthreads);
    for (uint32_t i = 0; i < w->nthreads; i++) {
        buf_put(s, w->threads.p + (size_t)i * MDW_THREAD_SIZE, MDW_THREAD_SIZE);
        if (w->thread_ex)
            buf_zeros(s, MDW_THREAD_EX_SIZE - MDW_THREAD_SIZE); /* BackingStore */
    }
}

/* The "sized header" lists: SizeOfHeader, SizeOfEntry, count, then entries. */
static void build_sized_list(mdw_buf *s, uint32_t entry_size, uint32_t count, const mdw_buf *e)
{
    buf_u32(s, 12);
    buf_u32(s, entry_size);
    buf_u32(s, count);
    buf_put(s, e->p, e->len);
}

static void build_stream(const mdw *w, const mdw_stream *st, const mdw_memory_layout *lay,
                         mdw_buf *s, uint32_t *type)
{
    *type = st->type;
    switch (st->kind) {
    case MDW_KIND_RAW:
        buf_put(s, st->raw.p, st->raw.len);
        break;
    case MDW_KIND_THREADS:
        *type = w->thread_ex ? MDW_THREAD_EX_LIST : MDW_THREAD_LIST;
        build_thread_list(w, s);
        break;
    case MDW_KIND_MODULES:
        buf_u32(s, w->nmodules);
        buf_put(s, w->modules.p, w->modules.len);
        break;
    case MDW_KIND_UNLOADED:
        build_sized_list(s, MDW_UNLOADED_SIZE, w->nunloaded, &w->unloaded);
        break;
    case MDW_KIND_MEMORY:
        *type = w->memory64 ? MDW_MEMORY64_LIST : MDW_MEMORY_LIST;
        build_memory(w, lay, s);
        break;
    case MDW_KIND_MEMINFO: /* header 16: SizeOfHeader, SizeOfEntry, u64 count */
        buf_u32(s, 16);
        buf_u32(s, MDW_MEMORY_INFO_SIZE);
        buf_u64(s, w->nmeminfo);
        buf_put(s, w->meminfo.p, w->meminfo.len);
        break;
    case MDW_KIND_NAMES:
        buf_u32(s, w->nnames);
        buf_put(s, w->names.p, w->names.len);
        break;
    case MDW_KIND_THREADINFO:
        build_sized_list(s, MDW_THREAD_INFO_SIZE, w->nthreadinfo, &w->threadinfo);
        break;
    case MDW_KIND_HANDLES: /* header 16: SizeOfHeader, SizeOfDescriptor, count, Reserved */
        buf_u32(s, 16);
        buf_u32(s, MDW_HANDLE_DESC2_SIZE);
        buf_u32(s, w->nhandles);
        buf_u32(s, 0);
        buf_put(s, w->handles.p, w->handles.len);
        break;
    case MDW_KIND_ENTRY:
    case MDW_KIND_COUNT:
        break;
    }
}

/* Streams go after the body (each 8-aligned); entries of MDW_KIND_ENTRY
 * keep the caller's size/rva. */
static void place_streams(const mdw *w, mdw_buf *out, const mdw_memory_layout *lay,
                          mdw_dir_entry *dir)
{
    for (size_t i = 0; i < w->nstreams; i++) {
        const mdw_stream *st = &w->streams[i];
        if (st->kind == MDW_KIND_ENTRY) {
            dir[i] = (mdw_dir_entry){st->type, st->size, st->rva};
            continue;
        }
        mdw_buf s = {0};
        build_stream(w, st, lay, &s, &dir[i].type);
        buf_align(out, 8);
        dir[i].rva = to_rva(out->len);
        dir[i].size = to_rva(s.len);
        buf_put(out, s.p, s.len);
        free(s.p);
    }
}

static void write_header(const mdw *w, mdw_buf *out, uint32_t dir_rva)
{
    uint8_t *h = out->p;
    mdw_put32(h + 0, 0x504d444d); /* 'MDMP' */
    mdw_put32(h + 4, 0x0000a793); /* MINIDUMP_VERSION */
    mdw_put32(h + 8, to_rva(w->nstreams));
    mdw_put32(h + 12, dir_rva);
    mdw_put32(h + 16, 0); /* CheckSum */
    mdw_put32(h + 20, w->time_date_stamp);
    mdw_put64(h + 24, w->flags);
}

uint8_t *mdw_finish(mdw *w, size_t *size)
{
    mdw_buf out = {0};
    buf_put(&out, w->body.p, w->body.len);
    mdw_memory_layout lay;
    place_memory(w, &out, &lay);
    mdw_dir_entry *dir = xrealloc(NULL, (w->nstreams ? w->nstreams : 1) * sizeof *dir);
    place_streams(w, &out, &lay, dir);
    buf_align(&out, 8);
    uint32_t dir_rva = to_rva(out.len);
    for (size_t i = 0; i < w->nstreams; i++) {
        buf_u32(&out, dir[i].type);
        buf_u32(&out, dir[i].size);
        buf_u32(&out, dir[i].rva);
    }
    write_header(w, &out, dir_rva);
    free(dir);
    free(lay.rvas);
    *size = out.len;
    return out.p;
}

int mdw_write_file(mdw *w, const char *path)
{
    size_t size;
    uint8_t *buf = mdw_finish(w, &size);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buf, 1, size, f) == size;
    if (f && fclose(f) != 0)
        ok = 0;
    free(buf);
    return ok ? 0 : -1;
}

/* ---- patching finished bytes ---- */

/* Out-of-range patches abort: a test that patches outside its dump is a bug
 * in the test, not a malformed input. */
void mdw_patch_u32(uint8_t *buf, size_t size, size_t offset, uint32_t value)
{
    if (!dw_range_ok(offset, 4, size))
        abort();
    mdw_put32(buf + offset, value);
}

void mdw_patch_u64(uint8_t *buf, size_t size, size_t offset, uint64_t value)
{
    if (!dw_range_ok(offset, 8, size))
        abort();
    mdw_put64(buf + offset, value);
}

size_t mdw_find_dir_entry(const uint8_t *buf, size_t size, uint32_t type)
{
    dw_reader r = dw_reader_make(buf, size);
    uint32_t count, dir_rva;
    if (!dw_peek_u32(&r, 8, &count) || !dw_peek_u32(&r, 12, &dir_rva))
        return (size_t)-1;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t off = (uint64_t)dir_rva + (uint64_t)i * MDW_DIR_ENTRY_SIZE;
        uint32_t t;
        if (!dw_range_ok(off, MDW_DIR_ENTRY_SIZE, size) || !dw_peek_u32(&r, off, &t))
            return (size_t)-1;
        if (t == type)
            return (size_t)off;
    }
    return (size_t)-1;
}
