/* Synthetic full-memory x64 minidumps, streamed to disk.  See bigdump.h.
 *
 * Format facts: Microsoft minidumpapiset.h (MINIDUMP_HEADER, _DIRECTORY,
 * _THREAD, _MODULE, _EXCEPTION_STREAM, _SYSTEM_INFO, MINIDUMP_MEMORY64_LIST),
 * winnt.h AMD64 CONTEXT offsets, and the PE Format document (headers,
 * IMAGE_EXPORT_DIRECTORY, RUNTIME_FUNCTION, UNWIND_INFO). */
#include "bigdump.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 4096u
#define STACK_SIZE 0x10000u /* bytes captured per thread stack */
#define STACK_VA0 0x000000a000000000ull
#define STACK_STRIDE 0x100000ull
#define HEAP_REGION 0x100000ull /* one Memory64List range of heap */
#define HEAP_VA0 0x0000020000000000ull
#define HEAP_STRIDE 0x200000ull
#define MODULE_VA0 0x00007ff700000000ull
#define MODULE_STRIDE 0x1000000ull /* 16 MiB: rel32 calls reach every module */
#define IMAGE_SIZE 0x20000u        /* SizeOfImage of every module */

/* Image layout (RVAs). */
#define PE_NT 0x80u
#define TEXT_RVA 0x1000u
#define FUNC_SIZE 0x40u /* bytes between function starts */
#define RDATA_RVA 0x2000u
#define EXP_FUNCS (RDATA_RVA + 0x40u)
#define EXP_NAMES (EXP_FUNCS + 4u * BIGDUMP_FUNCTIONS)
#define EXP_ORDS (EXP_NAMES + 4u * BIGDUMP_FUNCTIONS)
#define EXP_DLLNAME (EXP_ORDS + 2u * BIGDUMP_FUNCTIONS)
#define EXP_STRINGS (EXP_DLLNAME + 0x40u)
#define NAME_SLOT 0x20u
#define XDATA_RVA 0x3800u
#define RDATA_SIZE 0x2000u
#define PDATA_RVA 0x4000u
#define PDATA_SIZE (12u * BIGDUMP_FUNCTIONS)

/* The function body: sub rsp,0x28 / call rel32 / nop / add rsp,0x28 / ret. */
#define PROLOG_SIZE 4u
#define CALL_OFFSET 4u
#define RETURN_OFFSET 9u
#define BODY_SIZE 15u
#define FRAME_SIZE 0x30u /* 0x28 allocated + the return address */

#define CONTEXT_SIZE 1232u
#define CONTEXT_FLAGS 0x10000bu /* CONTEXT_AMD64 | CONTROL | INTEGER | FLOATING_POINT */
#define THREAD_SIZE 48u
#define MODULE_SIZE 108u
#define EXCEPTION_SIZE 168u
#define SYSINFO_SIZE 56u
#define NAME_STRING_SIZE 128u /* MINIDUMP_STRING slot per module path */

static const char *const module_names[16] = {
    "app.exe",      "ntdll.dll",    "kernel32.dll", "kernelbase.dll",
    "ucrtbase.dll", "user32.dll",   "win32u.dll",   "gdi32.dll",
    "ws2_32.dll",   "combase.dll",  "rpcrt4.dll",   "msvcp140.dll",
    "ole32.dll",    "advapi32.dll", "sechost.dll",  "vcruntime140.dll",
};

const char *bigdump_module_name(unsigned module)
{
    static char extra[BIGDUMP_MAX_MODULES][32];
    if (module < 16)
        return module_names[module];
    snprintf(extra[module % BIGDUMP_MAX_MODULES], sizeof extra[0], "plugin%02u.dll", module % 100);
    return extra[module % BIGDUMP_MAX_MODULES];
}

void bigdump_function_name(unsigned module, unsigned function, char *buf, size_t size)
{
    const char *name = bigdump_module_name(module);
    size_t stem = strcspn(name, ".");
    snprintf(buf, size, "%.*s_fn%02u", (int)stem, name, function);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t module_base(unsigned m)
{
    return MODULE_VA0 + MODULE_STRIDE * m;
}

static uint64_t function_va(unsigned m, unsigned f)
{
    return module_base(m) + TEXT_RVA + FUNC_SIZE * f;
}

/* The one callee of every function: a fixed graph, so each function's
 * call instruction names the function below it on every stack. */
static void callee_of(unsigned modules, unsigned m, unsigned f, unsigned *cm, unsigned *cf)
{
    *cm = (m + 1 + f % 3) % modules;
    *cf = (f * 7 + 3) % BIGDUMP_FUNCTIONS;
}

/* ---- PE image ------------------------------------------------------------ */

static void pe_headers(uint8_t *img, unsigned m)
{
    img[0] = 'M';
    img[1] = 'Z';
    put32(img + 0x3c, PE_NT);
    uint8_t *nt = img + PE_NT;
    memcpy(nt, "PE\0\0", 4);
    uint8_t *fh = nt + 4; /* IMAGE_FILE_HEADER */
    put16(fh + 0, 0x8664);
    put16(fh + 2, 3);                       /* sections */
    put32(fh + 4, 0x60000000u + m);         /* TimeDateStamp */
    put16(fh + 16, 240);                    /* SizeOfOptionalHeader (PE32+) */
    put16(fh + 18, m == 0 ? 0x22 : 0x2022); /* EXECUTABLE|LARGE_ADDRESS_AWARE (|DLL) */
    uint8_t *oh = fh + 20;                  /* IMAGE_OPTIONAL_HEADER64 */
    put16(oh + 0, 0x20b);
    put32(oh + 16, TEXT_RVA);           /* AddressOfEntryPoint */
    put32(oh + 20, TEXT_RVA);           /* BaseOfCode */
    put64(oh + 24, module_base(m));     /* ImageBase */
    put32(oh + 32, 0x1000);             /* SectionAlignment */
    put32(oh + 36, 0x200);              /* FileAlignment */
    put16(oh + 40, 10);                 /* OS version 10.0 */
    put16(oh + 48, 10);                 /* subsystem version 10.0 */
    put32(oh + 56, IMAGE_SIZE);         /* SizeOfImage */
    put32(oh + 60, 0x400);              /* SizeOfHeaders */
    put16(oh + 68, m == 0 ? 3 : 2);     /* CUI exe, GUI dlls */
    put32(oh + 108, 16);                /* NumberOfRvaAndSizes */
    put32(oh + 112 + 0 * 8, RDATA_RVA); /* export directory */
    put32(oh + 112 + 0 * 8 + 4, 0x40);
    put32(oh + 112 + 3 * 8, PDATA_RVA); /* exception directory (.pdata) */
    put32(oh + 112 + 3 * 8 + 4, PDATA_SIZE);
    static const struct {
        const char *name;
        uint32_t rva, size, flags;
    } sections[3] = {
        {".text", TEXT_RVA, FUNC_SIZE * BIGDUMP_FUNCTIONS, 0x60000020u}, /* code, exec, read */
        {".rdata", RDATA_RVA, RDATA_SIZE, 0x40000040u},                  /* data, read */
        {".pdata", PDATA_RVA, PDATA_SIZE, 0x40000040u},
    };
    uint8_t *sh = oh + 240;
    for (int i = 0; i < 3; i++, sh += 40) {
        memcpy(sh, sections[i].name, strlen(sections[i].name));
        put32(sh + 8, sections[i].size);                      /* VirtualSize */
        put32(sh + 12, sections[i].rva);                      /* VirtualAddress */
        put32(sh + 16, (sections[i].size + 0x1ff) & ~0x1ffu); /* SizeOfRawData */
        put32(sh + 20, sections[i].rva);                      /* PointerToRawData */
        put32(sh + 36, sections[i].flags);
    }
}

static void pe_code(uint8_t *img, unsigned modules, unsigned m)
{
    for (unsigned f = 0; f < BIGDUMP_FUNCTIONS; f++) {
        uint8_t *p = img + TEXT_RVA + FUNC_SIZE * f;
        unsigned cm, cf;
        callee_of(modules, m, f, &cm, &cf);
        int64_t rel = (int64_t)function_va(cm, cf) - (int64_t)(function_va(m, f) + RETURN_OFFSET);
        static const uint8_t sub[4] = {0x48, 0x83, 0xec, 0x28};
        static const uint8_t tail[6] = {0x90, 0x48, 0x83, 0xc4, 0x28, 0xc3};
        memcpy(p, sub, 4);
        p[CALL_OFFSET] = 0xe8;
        put32(p + CALL_OFFSET + 1, (uint32_t)(int32_t)rel);
        memcpy(p + RETURN_OFFSET, tail, sizeof tail);
        memset(p + BODY_SIZE, 0xcc, FUNC_SIZE - BODY_SIZE); /* int3 padding, as linkers do */
    }
}

/* Exports sorted by name (fnNN zero-padded, so name order = rva order). */
static void pe_exports(uint8_t *img, unsigned m)
{
    uint8_t *dir = img + RDATA_RVA;
    put32(dir + 4, 0x60000000u + m);
    put32(dir + 12, EXP_DLLNAME);
    put32(dir + 16, 1);                 /* ordinal base */
    put32(dir + 20, BIGDUMP_FUNCTIONS); /* NumberOfFunctions */
    put32(dir + 24, BIGDUMP_FUNCTIONS); /* NumberOfNames */
    put32(dir + 28, EXP_FUNCS);
    put32(dir + 32, EXP_NAMES);
    put32(dir + 36, EXP_ORDS);
    snprintf((char *)img + EXP_DLLNAME, 0x40, "%s", bigdump_module_name(m));
    for (unsigned f = 0; f < BIGDUMP_FUNCTIONS; f++) {
        put32(img + EXP_FUNCS + 4 * f, TEXT_RVA + FUNC_SIZE * f);
        put32(img + EXP_NAMES + 4 * f, EXP_STRINGS + NAME_SLOT * f);
        put16(img + EXP_ORDS + 2 * f, (uint16_t)f);
        bigdump_function_name(m, f, (char *)img + EXP_STRINGS + NAME_SLOT * f, NAME_SLOT);
    }
}

/* UNWIND_INFO v1: prolog 4 bytes, one code: at offset 4 UWOP_ALLOC_SMALL
 * (op 2) with OpInfo 4, i.e. 4*8+8 = 0x28 bytes; and one RUNTIME_FUNCTION
 * per function. */
static void pe_unwind(uint8_t *img)
{
    for (unsigned f = 0; f < BIGDUMP_FUNCTIONS; f++) {
        uint8_t *ui = img + XDATA_RVA + 8 * f;
        ui[0] = 1;
        ui[1] = PROLOG_SIZE;
        ui[2] = 1;
        ui[4] = PROLOG_SIZE;
        ui[5] = 0x42;
        uint8_t *rf = img + PDATA_RVA + 12 * f;
        put32(rf + 0, TEXT_RVA + FUNC_SIZE * f);
        put32(rf + 4, TEXT_RVA + FUNC_SIZE * f + BODY_SIZE);
        put32(rf + 8, XDATA_RVA + 8 * f);
    }
}

/* ---- writing ------------------------------------------------------------- */

typedef struct writer {
    int fd;
    uint64_t written;
    char *err;
    size_t err_size;
} writer;

static int fail(writer *w, const char *what)
{
    snprintf(w->err, w->err_size, "%s: %s", what, strerror(errno));
    return -1;
}

/* Write only the non-zero blocks of buf: zero blocks stay holes. */
static int write_sparse(writer *w, const uint8_t *buf, size_t len, uint64_t offset)
{
    static const uint8_t zero[BLOCK];
    for (size_t pos = 0; pos < len; pos += BLOCK) {
        size_t n = len - pos < BLOCK ? len - pos : BLOCK;
        if (!memcmp(buf + pos, zero, n))
            continue;
        if (pwrite(w->fd, buf + pos, n, (off_t)(offset + pos)) != (ssize_t)n)
            return fail(w, "write");
        w->written += n;
    }
    return 0;
}

typedef struct layout {
    unsigned threads, modules;
    size_t heap_count, range_count;
    uint32_t sysinfo, threadlist, modulelist, names, exception, contexts, memlist;
    uint32_t streams_end;
    uint64_t data_rva; /* Memory64List BaseRva */
    uint64_t file_size;
} layout;

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}

static int plan(const bigdump_spec *spec, layout *L, char *err, size_t err_size)
{
    memset(L, 0, sizeof *L);
    L->threads = spec->threads;
    L->modules = spec->modules;
    size_t heap_max = (size_t)(spec->size / HEAP_REGION) + 1;
    uint32_t off = 32 + 5 * 12; /* header, directory of 5 streams */
    L->sysinfo = off;
    off += SYSINFO_SIZE + 8; /* + the empty CSDVersion string */
    L->threadlist = off;
    off += 4 + THREAD_SIZE * L->threads;
    L->modulelist = off;
    off += 4 + MODULE_SIZE * L->modules;
    off = (uint32_t)align_up(off, 8);
    L->names = off;
    off += NAME_STRING_SIZE * L->modules;
    L->exception = off;
    off += EXCEPTION_SIZE;
    L->contexts = (uint32_t)align_up(off, 16);
    off = L->contexts + CONTEXT_SIZE * L->threads;
    L->memlist = (uint32_t)align_up(off, 8);
    uint64_t list_max = 16 + 16 * (uint64_t)(L->threads + L->modules + heap_max);
    if (L->memlist + list_max > 0xffffffffull) {
        snprintf(err, err_size, "too many memory ranges for a 32-bit stream offset");
        return -1;
    }
    L->data_rva = align_up(L->memlist + list_max, BLOCK);
    uint64_t fixed =
        L->data_rva + (uint64_t)STACK_SIZE * L->threads + (uint64_t)IMAGE_SIZE * L->modules;
    L->heap_count =
        spec->size > fixed ? (size_t)((spec->size - fixed + HEAP_REGION - 1) / HEAP_REGION) : 0;
    if (L->heap_count > heap_max)
        L->heap_count = heap_max;
    L->range_count = L->threads + L->heap_count + L->modules;
    L->streams_end = (uint32_t)(L->memlist + 16 + 16 * L->range_count);
    L->file_size = fixed + HEAP_REGION * L->heap_count;
    if (L->data_rva + (uint64_t)STACK_SIZE * L->threads > 0xffffffffull) {
        snprintf(err, err_size, "thread stacks must lie below 4 GiB in the file");
        return -1;
    }
    return 0;
}

static uint64_t stack_va(unsigned t)
{
    return STACK_VA0 + STACK_STRIDE * t;
}

/* The chain of thread t, outermost first, and its stack bytes. */
static void build_stack(const bigdump_spec *spec, unsigned t, uint8_t *stack, bigdump_truth *truth)
{
    unsigned depth = 2 + (t * 7 + 3) % (spec->max_depth - 1);
    unsigned mods[BIGDUMP_MAX_DEPTH], funcs[BIGDUMP_MAX_DEPTH];
    mods[0] = t % spec->modules;
    funcs[0] = (t * 11) % BIGDUMP_FUNCTIONS;
    for (unsigned i = 1; i < depth; i++)
        callee_of(spec->modules, mods[i - 1], funcs[i - 1], &mods[i], &funcs[i]);
    memset(stack, 0, STACK_SIZE);
    uint64_t base = stack_va(t);
    uint64_t outer_sp = base + STACK_SIZE - 0x1000;
    truth->depth[t] = depth;
    for (unsigned i = 0; i < depth; i++) {
        uint64_t sp = outer_sp - (uint64_t)FRAME_SIZE * i;
        uint8_t *frame = stack + (sp - base);
        /* Locals and home space: heap pointers and counters, never code. */
        put64(frame + 0x00, HEAP_VA0 + 0x1000 * (t + 1) + 0x40 * i);
        put64(frame + 0x08, 0x1000 + i);
        put64(frame + 0x20, HEAP_VA0 + 0x80 * i);
        /* The return address into the caller (0 above the outermost). */
        uint64_t ret = i == 0 ? 0 : function_va(mods[i - 1], funcs[i - 1]) + RETURN_OFFSET;
        put64(frame + 0x28, ret);
        unsigned j = depth - 1 - i; /* frame number, innermost = 0 */
        bigdump_frame *bf = &truth->frames[t][j];
        bf->module = mods[i];
        bf->function = funcs[i];
        bf->sp = sp;
        bf->ip = j == 0 ? function_va(mods[i], funcs[i]) + CALL_OFFSET
                        : function_va(mods[i], funcs[i]) + RETURN_OFFSET;
    }
}

static void put_context(uint8_t *c, const bigdump_frame *top, unsigned t)
{
    put32(c + 0x30, CONTEXT_FLAGS);
    put16(c + 0x38, 0x33);    /* SegCs */
    put16(c + 0x42, 0x2b);    /* SegSs */
    put32(c + 0x44, 0x246);   /* EFlags */
    put64(c + 0x78, 0x45);    /* Rax */
    put64(c + 0x80, t);       /* Rcx */
    put64(c + 0x98, top->sp); /* Rsp */
    put64(c + 0xf8, top->ip); /* Rip */
}

static void put_string(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    put32(p, (uint32_t)(2 * n));
    for (size_t i = 0; i < n; i++)
        put16(p + 4 + 2 * i, (uint8_t)s[i]);
}

static void put_streams(uint8_t *s, const layout *L, const bigdump_truth *truth)
{
    put32(s + 0, 0x504d444d); /* 'MDMP' */
    put32(s + 4, 0xa793);
    put32(s + 8, 5);
    put32(s + 12, 32);
    put32(s + 20, 0x65000000);        /* TimeDateStamp */
    put64(s + 24, 0x2 | 0x4 | 0x800); /* WithFullMemory | WithHandleData | WithFullMemoryInfo */
    static const uint32_t types[5] = {7, 3, 4, 6, 9};
    uint32_t rvas[5] = {L->sysinfo, L->threadlist, L->modulelist, L->exception, L->memlist};
    uint32_t sizes[5] = {SYSINFO_SIZE, 4 + THREAD_SIZE * L->threads, 4 + MODULE_SIZE * L->modules,
                         EXCEPTION_SIZE, (uint32_t)(16 + 16 * L->range_count)};
    for (int i = 0; i < 5; i++) {
        put32(s + 32 + 12 * i, types[i]);
        put32(s + 32 + 12 * i + 4, sizes[i]);
        put32(s + 32 + 12 * i + 8, rvas[i]);
    }
    uint8_t *si = s + L->sysinfo;
    put16(si + 0, 9); /* PROCESSOR_ARCHITECTURE_AMD64 */
    put16(si + 2, 6);
    put16(si + 4, 0x9e0a);
    si[6] = 16; /* processors */
    si[7] = 1;  /* VER_NT_WORKSTATION */
    put32(si + 8, 10);
    put32(si + 16, 19045);
    put32(si + 20, 2);                         /* VER_PLATFORM_WIN32_NT */
    put32(si + 24, L->sysinfo + SYSINFO_SIZE); /* CSDVersionRva: "" */

    uint8_t *tl = s + L->threadlist;
    put32(tl, L->threads);
    for (unsigned t = 0; t < L->threads; t++) {
        uint8_t *th = tl + 4 + THREAD_SIZE * t;
        put32(th + 0, truth->thread_ids[t]);
        put32(th + 12, 8);                                  /* Priority */
        put32(th + 8, 0x20);                                /* NORMAL_PRIORITY_CLASS */
        put64(th + 16, 0x000000b000000000ull + 0x2000 * t); /* Teb */
        put64(th + 24, stack_va(t));
        put32(th + 32, STACK_SIZE);
        put32(th + 36, (uint32_t)(L->data_rva + (uint64_t)STACK_SIZE * t));
        put32(th + 40, CONTEXT_SIZE);
        put32(th + 44, L->contexts + CONTEXT_SIZE * t);
        put_context(s + L->contexts + CONTEXT_SIZE * t, &truth->frames[t][0], t);
    }

    uint8_t *ml = s + L->modulelist;
    put32(ml, L->modules);
    for (unsigned m = 0; m < L->modules; m++) {
        uint8_t *mo = ml + 4 + MODULE_SIZE * m;
        put64(mo + 0, module_base(m));
        put32(mo + 8, IMAGE_SIZE);
        put32(mo + 16, 0x60000000u + m);
        put32(mo + 20, L->names + NAME_STRING_SIZE * m);
        char path[64];
        snprintf(path, sizeof path, "%s%s", m == 0 ? "C:\\App\\" : "C:\\Windows\\System32\\",
                 bigdump_module_name(m));
        put_string(s + L->names + NAME_STRING_SIZE * m, path);
    }

    uint8_t *ex = s + L->exception;
    put32(ex + 0, truth->thread_ids[0]);
    put32(ex + 8, 0xc0000005); /* EXCEPTION_ACCESS_VIOLATION */
    put64(ex + 24, truth->frames[0][0].ip);
    put32(ex + 32, 2);
    put64(ex + 40, 1); /* write */
    put64(ex + 48, 0x45);
    put32(ex + 160, CONTEXT_SIZE);
    put32(ex + 164, L->contexts);

    uint8_t *mem = s + L->memlist;
    put64(mem + 0, L->range_count);
    put64(mem + 8, L->data_rva);
    uint8_t *d = mem + 16;
    for (unsigned t = 0; t < L->threads; t++, d += 16) {
        put64(d, stack_va(t));
        put64(d + 8, STACK_SIZE);
    }
    for (size_t h = 0; h < L->heap_count; h++, d += 16) {
        put64(d, HEAP_VA0 + HEAP_STRIDE * h);
        put64(d + 8, HEAP_REGION);
    }
    for (unsigned m = 0; m < L->modules; m++, d += 16) {
        put64(d, module_base(m));
        put64(d + 8, IMAGE_SIZE);
    }
}

static int check_spec(const bigdump_spec *spec, char *err, size_t err_size)
{
    if (spec->threads < 1 || spec->threads > BIGDUMP_MAX_THREADS || spec->modules < 1 ||
        spec->modules > BIGDUMP_MAX_MODULES || spec->max_depth < 2 ||
        spec->max_depth > BIGDUMP_MAX_DEPTH) {
        snprintf(err, err_size, "threads 1..%d, modules 1..%d, depth 2..%d", BIGDUMP_MAX_THREADS,
                 BIGDUMP_MAX_MODULES, BIGDUMP_MAX_DEPTH);
        return -1;
    }
    return 0;
}

static int write_memory(writer *w, const bigdump_spec *spec, const layout *L, bigdump_truth *truth)
{
    uint8_t *buf = calloc(1, IMAGE_SIZE > STACK_SIZE ? IMAGE_SIZE : STACK_SIZE);
    if (!buf)
        return fail(w, "memory");
    int rc = 0;
    uint64_t off = L->data_rva;
    for (unsigned t = 0; t < L->threads && rc == 0; t++, off += STACK_SIZE) {
        build_stack(spec, t, buf, truth);
        rc = write_sparse(w, buf, STACK_SIZE, off);
    }
    off += HEAP_REGION * L->heap_count; /* zero heap: holes */
    for (unsigned m = 0; m < L->modules && rc == 0; m++, off += IMAGE_SIZE) {
        memset(buf, 0, IMAGE_SIZE);
        pe_headers(buf, m);
        pe_code(buf, L->modules, m);
        pe_exports(buf, m);
        pe_unwind(buf);
        rc = write_sparse(w, buf, IMAGE_SIZE, off);
    }
    free(buf);
    return rc;
}

int bigdump_write(const char *path, const bigdump_spec *spec, bigdump_truth *truth, char *err,
                  size_t err_size)
{
    layout L;
    if (check_spec(spec, err, err_size) != 0 || plan(spec, &L, err, err_size) != 0)
        return -1;
    memset(truth, 0, sizeof *truth);
    truth->thread_count = spec->threads;
    for (unsigned t = 0; t < spec->threads; t++)
        truth->thread_ids[t] = 0x1000 + 4 * t;
    writer w = {open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), 0, err, err_size};
    if (w.fd < 0)
        return fail(&w, path);
    /* Stacks first: the contexts and the exception need the chains. */
    int rc = ftruncate(w.fd, (off_t)L.file_size) == 0 ? 0 : fail(&w, "truncate");
    if (rc == 0)
        rc = write_memory(&w, spec, &L, truth);
    uint8_t *streams = rc == 0 ? calloc(1, L.streams_end) : NULL;
    if (rc == 0 && !streams)
        rc = fail(&w, "memory");
    if (rc == 0) {
        put_streams(streams, &L, truth);
        rc = write_sparse(&w, streams, L.streams_end, 0);
    }
    free(streams);
    if (close(w.fd) != 0 && rc == 0)
        rc = fail(&w, "close");
    truth->file_size = L.file_size;
    truth->bytes_written = w.written;
    truth->range_count = L.range_count;
    return rc;
}
