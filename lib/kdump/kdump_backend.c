/* ELF core files and Linux kernel dumps through libkdumpfile.
 *
 * libkdumpfile opens ELF cores (user cores written by the kernel or gdb's
 * gcore, ELF vmcores) and diskdump/compressed kdump files.  It gives:
 *   cpu.number, and per NT_PRSTATUS note cpu.N.pid and cpu.N.reg.<name>
 *     (the register names are the ones of struct user_regs_struct: rax..r15,
 *     rip, rflags, cs.. on x86_64; eax.., eip, eflags on ia32);
 *   arch.name ("x86_64", "ia32", ...), file.format ("elf", "diskdump", ...);
 *   kdump_read() of virtual addresses (user cores: the PT_LOAD addresses;
 *     kernel dumps: translated through the kernel's page tables).
 * What it does not expose (program headers, NT_FILE) comes from elf_core.c.
 *
 * Thread safety: a kdump_ctx_t must not be used from two threads at once.
 * There is exactly one per dw_dump, and a dw_dump is used by one thread at a
 * time by contract (include/dumpwalk/dump.h), so that holds.  No page
 * callbacks are installed: libkdumpfile 0.5.1 crashes when a get_page
 * callback comes without put_page.
 *
 * The library is loaded on the first open (kdump_loader.h) and called
 * through the function table kept in kd_state. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kdump/diskdump_check.h"
#include "kdump/elf_core.h"
#include "kdump/kdump_loader.h"
#include "minidump/backend.h"

/* Kernel stacks on x86_64 are THREAD_SIZE = 16 KiB, aligned to their size
 * (arch/x86/include/asm/page_64_types.h, without KASAN). */
#define KERNEL_STACK_SIZE 0x4000u
/* Bounds on what is read from a mapped ELF image to find its build id. */
#define MAX_IMAGE_PHDRS 64
#define MAX_NOTE_BYTES 4096
/* PAGE_* / MEM_* values dw_memory_info uses (Microsoft winnt.h). */
#define MEM_COMMIT 0x1000u
#define MEM_MAPPED 0x40000u
#define MEM_PRIVATE 0x20000u

typedef struct mapped_file {
    const char *path;
    int fd; /* -1 when it could not be used */
    int tried;
} mapped_file;

typedef struct kd_state {
    const dw_kdumpfile *kd; /* the loaded library */
    kdump_ctx_t *ctx;
    int leak_ctx; /* never kdump_free() it: see park_context */
    int fd;
    int is_elf, kernel;
    dw_elf_core elf;
    dw_backend_status status;
    mapped_file *files; /* one per module, same order */
} kd_state;

static kd_state *state_of(dw_dump *dump)
{
    return dump->backend_state;
}

/* ---- memory ------------------------------------------------------------- */

/* Why va is absent from a user core, as a message on the dump. */
static dw_status explain_missing(dw_dump *dump, kd_state *s, uint64_t va)
{
    const dw_elf_segment *seg = dw_elf_segment_at(&s->elf, va);
    const dw_elf_mapping *map = dw_elf_mapping_at(&s->elf, va);
    if (seg)
        return dw_fail(dump, DW_ERR_NOT_FOUND,
                       "memory: page 0x%llx is missing from the core (segment 0x%llx-0x%llx "
                       "holds only its first 0x%llx bytes)%s%s",
                       (unsigned long long)(va & ~(uint64_t)0xfff), (unsigned long long)seg->vaddr,
                       (unsigned long long)(seg->vaddr + seg->memsz),
                       (unsigned long long)seg->filesz, map ? "; mapped from " : "",
                       map ? map->path : "");
    if (map)
        return dw_fail(dump, DW_ERR_NOT_FOUND,
                       "memory: page 0x%llx is missing from the core: it maps %s, whose "
                       "read-only pages the core leaves out",
                       (unsigned long long)(va & ~(uint64_t)0xfff), map->path);
    return dw_fail(dump, DW_ERR_NOT_FOUND, "memory: address 0x%llx is not mapped in the core",
                   (unsigned long long)va);
}

static dw_status kdump_error_status(kdump_status ks)
{
    switch (ks) {
    case KDUMP_ERR_NODATA:
    case KDUMP_ERR_ADDRXLAT:
        return DW_ERR_NOT_FOUND;
    case KDUMP_ERR_CORRUPT:
        return DW_ERR_DAMAGED;
    case KDUMP_ERR_EOF:
        return DW_ERR_TRUNCATED;
    default:
        return DW_ERR_IO;
    }
}

/* User cores: only the bytes the program headers place in the file are
 * asked of libkdumpfile, segment by segment, so a truncated core or a page
 * the core left out gives a message naming the page. */
static dw_status read_user(dw_dump *dump, kd_state *s, uint64_t va, void *buf, size_t len,
                           size_t *got)
{
    size_t done = 0;
    while (done < len) {
        uint64_t at = va + done;
        const dw_elf_segment *seg = dw_elf_segment_at(&s->elf, at);
        if (!seg || at - seg->vaddr >= seg->filesz)
            break;
        uint64_t left = seg->filesz - (at - seg->vaddr);
        size_t n = len - done < left ? len - done : (size_t)left;
        size_t want = n;
        kdump_status ks = s->kd->read(s->ctx, KDUMP_KVADDR, at, (uint8_t *)buf + done, &n);
        done += ks == KDUMP_OK ? want : n;
        if (ks != KDUMP_OK) {
            *got = done;
            if (done)
                return DW_ERR_TRUNCATED;
            return dw_fail(dump, kdump_error_status(ks), "memory: 0x%llx: libkdumpfile: %s",
                           (unsigned long long)at, s->kd->get_err(s->ctx));
        }
    }
    *got = done;
    if (done == len)
        return DW_OK;
    if (done)
        return DW_ERR_TRUNCATED;
    return explain_missing(dump, s, va);
}

static dw_status read_kernel(dw_dump *dump, kd_state *s, uint64_t va, void *buf, size_t len,
                             size_t *got)
{
    size_t n = len;
    kdump_status ks = s->kd->read(s->ctx, KDUMP_KVADDR, va, buf, &n);
    *got = ks == KDUMP_OK ? len : n;
    if (ks == KDUMP_OK)
        return DW_OK;
    if (*got)
        return DW_ERR_TRUNCATED;
    if (ks == KDUMP_ERR_NODATA)
        return dw_fail(dump, DW_ERR_NOT_FOUND,
                       "memory: page 0x%llx is missing from the kernel dump (filtered out or "
                       "not captured): %s",
                       (unsigned long long)(va & ~(uint64_t)0xfff), s->kd->get_err(s->ctx));
    return dw_fail(dump, kdump_error_status(ks), "memory: 0x%llx: libkdumpfile: %s",
                   (unsigned long long)va, s->kd->get_err(s->ctx));
}

static dw_status kd_read(dw_dump *dump, uint64_t va, void *buf, size_t len, size_t *got)
{
    kd_state *s = state_of(dump);
    size_t dummy;
    got = got ? got : &dummy;
    *got = 0;
    if (len == 0)
        return DW_OK;
    return s->kernel ? read_kernel(dump, s, va, buf, len, got)
                     : read_user(dump, s, va, buf, len, got);
}

/* ---- mapped files (code pages a user core leaves out) -------------------- */

/* The GNU build id of the ELF file open as fd; 0 when none is found. */
static size_t file_build_id(int fd, uint8_t *out, size_t cap)
{
    uint8_t eh[64];
    if (pread(fd, eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh,
                                                                    "\x7f"
                                                                    "ELF",
                                                                    4) != 0)
        return 0;
    int is64 = eh[4] == 2;
    uint64_t phoff = is64 ? dw_le64(eh + 32) : dw_le32(eh + 28);
    unsigned entsize = dw_le16(eh + (is64 ? 54 : 42)), phnum = dw_le16(eh + (is64 ? 56 : 44));
    if (entsize < (is64 ? 56u : 32u) || phnum > MAX_IMAGE_PHDRS)
        return 0;
    uint8_t ph[MAX_IMAGE_PHDRS * 64];
    size_t bytes = (size_t)entsize * phnum;
    if (bytes > sizeof ph || pread(fd, ph, bytes, (off_t)phoff) != (ssize_t)bytes)
        return 0;
    for (unsigned i = 0; i < phnum; i++) {
        dw_reader p = dw_reader_make(ph + (size_t)i * entsize, entsize);
        if (dw_read_u32(&p) != 4 /* PT_NOTE */)
            continue;
        uint64_t off = is64 ? (dw_read_u32(&p), dw_read_u64(&p)) : dw_read_u32(&p);
        dw_reader_seek(&p, is64 ? 32 : 16);
        uint64_t size = is64 ? dw_read_u64(&p) : dw_read_u32(&p);
        uint8_t notes[MAX_NOTE_BYTES];
        size_t want = size < sizeof notes ? (size_t)size : sizeof notes;
        ssize_t r = pread(fd, notes, want, (off_t)off);
        if (r <= 0)
            continue;
        dw_reader nr = dw_reader_make(notes, (size_t)r);
        const uint8_t *id;
        size_t n = dw_elf_find_build_id(&nr, is64, &id);
        if (n) {
            n = n < cap ? n : cap;
            memcpy(out, id, n);
            return n;
        }
    }
    return 0;
}

/* Open the module's file once; refuse it when its build id differs from the
 * one the core recorded (the file changed since the dump was taken). */
static int module_file_fd(dw_dump *dump, kd_state *s, size_t index)
{
    mapped_file *f = &s->files[index];
    if (f->tried)
        return f->fd;
    f->tried = 1;
    f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
    const dw_module *m = &dump->modules[index];
    if (f->fd < 0 || m->cv_kind != DW_CV_ELF)
        return f->fd;
    uint8_t id[64];
    size_t n = file_build_id(f->fd, id, sizeof id);
    char hex[2 * sizeof id + 1];
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
    hex[2 * n] = '\0';
    if (strcmp(hex, m->code_id) != 0) {
        dw_damage(dump, 0, 0, DW_ERR_DAMAGED,
                  "%s on disk has build id '%s' but the core's mapping has '%s'; its code "
                  "is not read from the file",
                  f->path, hex, m->code_id);
        close(f->fd);
        f->fd = -1;
    }
    return f->fd;
}

static size_t kd_read_mapped_file(dw_dump *dump, uint64_t va, void *buf, size_t len)
{
    kd_state *s = state_of(dump);
    const dw_elf_mapping *map = s->kernel ? NULL : dw_elf_mapping_at(&s->elf, va);
    const dw_module *m = map ? dw_dump_module_at(dump, va) : NULL;
    if (!m || !s->files)
        return 0;
    int fd = module_file_fd(dump, s, (size_t)(m - dump->modules));
    if (fd < 0)
        return 0;
    uint64_t left = map->end - va;
    size_t want = len < left ? len : (size_t)left;
    uint64_t off = map->file_offset + (va - map->start);
    ssize_t r = off <= (uint64_t)INT64_MAX ? pread(fd, buf, want, (off_t)off) : -1;
    return r > 0 ? (size_t)r : 0;
}

/* libkdumpfile 0.5.1 reads uninitialised memory while it frees a diskdump
 * (compressed kdump) context, opened or not, and can crash there (reliably
 * with MALLOC_PERTURB_ set).  Such contexts are never freed.  The first few
 * are kept here, still reachable, so leak checkers see a deliberate, bounded
 * retention; past that they are simply dropped.  The only process-wide state
 * of the library, and it exists to work around that bug. */
#define PARKED_CONTEXTS_MAX 256
static pthread_mutex_t parked_lock = PTHREAD_MUTEX_INITIALIZER;
static kdump_ctx_t *parked_contexts[PARKED_CONTEXTS_MAX];
static size_t parked_count;

static void park_context(kdump_ctx_t *ctx)
{
    pthread_mutex_lock(&parked_lock);
    if (parked_count < PARKED_CONTEXTS_MAX)
        parked_contexts[parked_count++] = ctx;
    pthread_mutex_unlock(&parked_lock);
}

static void kd_close(dw_dump *dump)
{
    kd_state *s = state_of(dump);
    if (!s)
        return;
    for (size_t i = 0; s->files && i < dump->module_count; i++) {
        if (s->files[i].fd >= 0)
            close(s->files[i].fd);
    }
    if (s->ctx && s->leak_ctx)
        park_context(s->ctx);
    else if (s->ctx)
        s->kd->free_ctx(s->ctx);
    if (s->fd >= 0)
        close(s->fd); /* libkdumpfile does not close the descriptors it is given */
    free(s);
    dump->backend_state = NULL;
}

static const dw_backend kdump_backend = {"libkdumpfile", kd_read, kd_read_mapped_file, kd_close};

/* ---- threads and registers ------------------------------------------------ */

static dw_arch arch_of_name(const char *name)
{
    if (!name)
        return DW_ARCH_UNKNOWN;
    if (strcmp(name, "x86_64") == 0)
        return DW_ARCH_AMD64;
    if (strcmp(name, "ia32") == 0)
        return DW_ARCH_X86;
    if (strcmp(name, "aarch64") == 0)
        return DW_ARCH_ARM64;
    if (strcmp(name, "arm") == 0)
        return DW_ARCH_ARM;
    return DW_ARCH_UNKNOWN;
}

/* kdump_get_number_attr / kdump_get_string_attr of the header, through the
 * loaded library: the type is set so libkdumpfile checks it. */
static int get_number(kd_state *s, const char *key, uint64_t *out)
{
    kdump_attr_t attr = {.type = KDUMP_NUMBER};
    if (s->kd->get_typed_attr(s->ctx, key, &attr) != KDUMP_OK)
        return 0;
    *out = attr.val.number;
    return 1;
}

static const char *get_string(kd_state *s, const char *key)
{
    kdump_attr_t attr = {.type = KDUMP_STRING};
    if (s->kd->get_typed_attr(s->ctx, key, &attr) != KDUMP_OK)
        return NULL;
    return attr.val.string;
}

/* cpu.N.reg.<name> for every register of the architecture that is there. */
static void read_registers(kd_state *s, unsigned cpu, dw_arch arch, dw_context *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->arch = arch;
    for (unsigned i = 0; i < dw_reg_count(arch); i++) {
        char key[64];
        uint64_t v;
        snprintf(key, sizeof key, "cpu.%u.reg.%s", cpu, dw_reg_name(arch, i));
        if (get_number(s, key, &v)) {
            ctx->regs[i] = arch == DW_ARCH_X86 ? (uint32_t)v : v;
            ctx->valid |= (uint64_t)1 << i;
        }
    }
}

/* Stack bounds: the core segment holding the stack pointer (user cores), or
 * the THREAD_SIZE-aligned kernel stack (kernel dumps). */
static void stack_bounds(kd_state *s, uint64_t sp, dw_thread *t)
{
    if (s->kernel) {
        t->stack_start = sp & ~(uint64_t)(KERNEL_STACK_SIZE - 1);
        t->stack_size = KERNEL_STACK_SIZE;
        return;
    }
    const dw_elf_segment *seg = dw_elf_segment_at(&s->elf, sp);
    if (seg) {
        t->stack_start = seg->vaddr;
        t->stack_size = seg->memsz;
    }
}

static dw_status fill_threads(dw_dump *dump, kd_state *s, dw_arch arch)
{
    uint64_t n = 0;
    if (!get_number(s, "cpu.number", &n) || n == 0)
        return dw_fail(dump, DW_ERR_NOT_FOUND,
                       "threads: the dump has no register notes (NT_PRSTATUS)");
    if (n > DW_MAX_THREADS)
        return dw_damage(dump, 0, 0, DW_ERR_LIMIT, "threads: %llu exceed the limit of %d",
                         (unsigned long long)n, DW_MAX_THREADS);
    dump->threads = dw_arena_calloc(&dump->arena, (size_t)n, sizeof *dump->threads);
    dump->backend_contexts = dw_arena_calloc(&dump->arena, (size_t)n, sizeof(dw_context));
    if (!dump->threads || !dump->backend_contexts)
        return dw_fail(dump, DW_ERR_NOMEM, "out of memory for %llu threads", (unsigned long long)n);
    for (unsigned i = 0; i < n; i++) {
        char key[32];
        uint64_t pid = 0;
        snprintf(key, sizeof key, "cpu.%u.pid", i);
        get_number(s, key, &pid);
        dump->threads[i].thread_id = (uint32_t)pid;
        read_registers(s, i, arch, &dump->backend_contexts[i]);
        stack_bounds(s, dw_context_sp(&dump->backend_contexts[i]), &dump->threads[i]);
    }
    dump->thread_count = (size_t)n;
    return DW_OK;
}

/* ---- modules (NT_FILE) ---------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Breakpad's identifier of an ELF module: the build id's first 16 bytes as a
 * GUID (Data1/2/3 little-endian), age 0; the full build id is the code id. */
static void set_build_id(dw_dump *dump, dw_module *m, const uint8_t *id, size_t len)
{
    uint8_t g[16] = {0};
    memcpy(g, id, len < 16 ? len : 16);
    char *hex = dw_arena_alloc(&dump->arena, 2 * len + 1);
    if (!hex)
        return;
    for (size_t i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
    m->cv_kind = DW_CV_ELF;
    m->code_id = hex;
    m->debug_file = m->path;
    m->debug_id = dw_arena_printf(&dump->arena, "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X0",
                                  dw_le32(g), dw_le16(g + 4), dw_le16(g + 6), g[8], g[9], g[10],
                                  g[11], g[12], g[13], g[14], g[15]);
    if (!m->debug_id)
        m->debug_id = "";
}

/* The build id from the ELF headers of a mapped image, when the core holds
 * its first page and its note segment (the kernel and gcore keep the first
 * page of every ELF mapping for exactly this). */
static void read_module_build_id(dw_dump *dump, dw_module *m)
{
    uint8_t eh[64], ph[MAX_IMAGE_PHDRS * 56];
    size_t got = 0;
    if (kd_read(dump, m->base, eh, sizeof eh, &got) != DW_OK || memcmp(eh,
                                                                       "\x7f"
                                                                       "ELF",
                                                                       4))
        return;
    int is64 = eh[4] == 2;
    uint64_t phoff = is64 ? dw_le64(eh + 32) : dw_le32(eh + 28);
    unsigned entsize = dw_le16(eh + (is64 ? 54 : 42)), phnum = dw_le16(eh + (is64 ? 56 : 44));
    if (entsize != (is64 ? 56u : 32u) || phnum > MAX_IMAGE_PHDRS ||
        kd_read(dump, m->base + phoff, ph, (size_t)entsize * phnum, &got) != DW_OK)
        return;
    uint64_t bias = 0;
    int have_bias = 0;
    for (unsigned pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < phnum; i++) {
            dw_reader p = dw_reader_make(ph + (size_t)i * entsize, entsize);
            uint32_t type = dw_read_u32(&p);
            dw_reader_seek(&p, is64 ? 16 : 8);
            uint64_t vaddr = is64 ? dw_read_u64(&p) : dw_read_u32(&p);
            dw_reader_seek(&p, is64 ? 40 : 20);
            uint64_t memsz = is64 ? dw_read_u64(&p) : dw_read_u32(&p);
            if (pass == 0 && type == 1 /* PT_LOAD */ && !have_bias) {
                /* The first PT_LOAD maps file offset 0 at the module base. */
                bias = m->base - (vaddr & ~(uint64_t)0xfff);
                have_bias = 1;
            }
            if (pass == 1 && type == 4 /* PT_NOTE */ && memsz) {
                uint8_t notes[MAX_NOTE_BYTES];
                size_t want = memsz < sizeof notes ? (size_t)memsz : sizeof notes;
                kd_read(dump, bias + vaddr, notes, want, &got);
                dw_reader nr = dw_reader_make(notes, got);
                const uint8_t *id;
                size_t n = dw_elf_find_build_id(&nr, is64, &id);
                if (n) {
                    set_build_id(dump, m, id, n);
                    return;
                }
            }
        }
    }
}

/* One module per mapped file: a mapping at file offset 0 starts a module and
 * the later mappings of the same path extend it. */
static size_t group_mappings(dw_dump *dump, const dw_elf_core *core)
{
    size_t n = 0;
    for (size_t i = 0; i < core->mapping_count; i++) {
        const dw_elf_mapping *map = &core->mappings[i];
        dw_module *cur = n ? &dump->modules[n - 1] : NULL;
        if (cur && strcmp(cur->path, map->path) == 0 && map->file_offset != 0 &&
            map->start >= cur->base) {
            uint64_t end = map->end > cur->base + cur->size ? map->end : cur->base + cur->size;
            cur->size = end - cur->base;
            continue;
        }
        dw_module *m = &dump->modules[n++];
        m->base = map->start;
        m->size = map->end - map->start;
        m->path = map->path;
        m->name = base_name(map->path);
        m->debug_file = "";
        m->debug_id = "";
        m->code_id = "";
    }
    return n;
}

static dw_status fill_modules(dw_dump *dump, kd_state *s)
{
    const dw_elf_core *core = &s->elf;
    if (!s->is_elf || core->mapping_count == 0)
        return dw_fail(dump, DW_ERR_NOT_FOUND,
                       s->kernel ? "modules: kernel dumps list no modules"
                                 : "modules: the core has no NT_FILE note (mapped files)");
    dump->modules = dw_arena_calloc(&dump->arena, core->mapping_count, sizeof(dw_module));
    s->files = dw_arena_calloc(&dump->arena, core->mapping_count, sizeof *s->files);
    if (!dump->modules || !s->files)
        return dw_fail(dump, DW_ERR_NOMEM, "out of memory for %zu mapped files",
                       core->mapping_count);
    dump->module_count = group_mappings(dump, core);
    for (size_t i = 0; i < dump->module_count; i++) {
        read_module_build_id(dump, &dump->modules[i]);
        s->files[i].path = dump->modules[i].path;
        s->files[i].fd = -1;
    }
    dump->last_error[0] = '\0'; /* build-id probing of absent pages is not an error */
    return DW_OK;
}

/* ---- memory ranges and regions -------------------------------------------- */

static uint32_t protect_of(uint32_t flags)
{
    /* PAGE_* (winnt.h): NOACCESS 1, READONLY 2, READWRITE 4, EXECUTE 0x10,
     * EXECUTE_READ 0x20, EXECUTE_READWRITE 0x40. */
    int r = (flags & DW_PF_R) != 0, w = (flags & DW_PF_W) != 0, x = (flags & DW_PF_X) != 0;
    if (x)
        return w ? 0x40 : r ? 0x20 : 0x10;
    if (w)
        return 0x04;
    return r ? 0x02 : 0x01;
}

static dw_status fill_memory(dw_dump *dump, kd_state *s)
{
    const dw_elf_core *core = &s->elf;
    size_t n = core->segment_count;
    if (!s->is_elf || n == 0)
        return dw_fail(dump, DW_ERR_NOT_FOUND,
                       s->kernel ? "memory: a compressed kernel dump is read by kernel virtual "
                                   "address; it has no list of ranges"
                                 : "memory: the core holds no memory segments");
    dump->ranges = dw_arena_calloc(&dump->arena, n, sizeof *dump->ranges);
    dump->memory_infos = dw_arena_calloc(&dump->arena, n, sizeof *dump->memory_infos);
    if (!dump->ranges || !dump->memory_infos)
        return dw_fail(dump, DW_ERR_NOMEM, "out of memory for %zu core segments", n);
    for (size_t i = 0; i < n; i++) {
        const dw_elf_segment *seg = &core->segments[i];
        if (seg->filesz) {
            dw_memory_range r = {seg->vaddr, seg->filesz, seg->offset, DW_MEMSRC_CORE_SEGMENT};
            dump->ranges[dump->range_count++] = r;
        }
        dw_memory_info *mi = &dump->memory_infos[dump->memory_info_count++];
        mi->base_address = mi->allocation_base = seg->vaddr;
        mi->region_size = seg->memsz;
        mi->state = MEM_COMMIT;
        mi->protect = mi->allocation_protect = protect_of(seg->flags);
        mi->type = dw_elf_mapping_at(core, seg->vaddr) ? MEM_MAPPED : MEM_PRIVATE;
    }
    return DW_OK;
}

/* ---- system info and header ----------------------------------------------- */

static void fill_system_info(dw_dump *dump, kd_state *s, dw_arch arch)
{
    dw_system_info *si = &dump->system_info;
    memset(si, 0, sizeof *si);
    si->processor_architecture = arch == DW_ARCH_AMD64   ? DW_CPU_AMD64
                                 : arch == DW_ARCH_X86   ? DW_CPU_X86
                                 : arch == DW_ARCH_ARM64 ? DW_CPU_ARM64
                                 : arch == DW_ARCH_ARM   ? DW_CPU_ARM
                                                         : DW_CPU_UNKNOWN;
    si->cpu_name = arch == DW_ARCH_AMD64   ? "amd64"
                   : arch == DW_ARCH_X86   ? "x86"
                   : arch == DW_ARCH_ARM64 ? "arm64"
                   : arch == DW_ARCH_ARM   ? "arm"
                                           : "unknown";
    si->platform_id = DW_PLATFORM_LINUX;
    si->os_name = "Linux";
    uint64_t cpus = 0;
    /* In a user core cpu.number counts threads, not processors. */
    if (s->kernel && get_number(s, "cpu.number", &cpus))
        si->number_of_processors = cpus > 255 ? 255 : (uint8_t)cpus;
    const char *release = s->elf.os_release;
    if (!release)
        release = get_string(s, "linux.uts.release");
    si->csd_version = release ? dw_arena_strdup(&dump->arena, release) : "";
    if (!si->csd_version)
        si->csd_version = "";
}

/* A descriptor libkdumpfile can read: the file itself, or (for a caller's
 * buffer or inflated gzip input) an anonymous memory file holding a copy. */
static int open_fd(dw_dump *dump, const char *path)
{
    if (path && !dump->src.owned)
        return open(path, O_RDONLY | O_CLOEXEC);
    int fd = memfd_create("dumpwalk-core", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < dump->file.size) {
        ssize_t w = write(fd, dump->file.data + done, dump->file.size - done);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    return fd;
}

static dw_status open_context(dw_dump *dump, kd_state *s, const char *path, dw_error *err)
{
    s->fd = open_fd(dump, path);
    s->ctx = s->fd >= 0 ? s->kd->new_ctx() : NULL;
    if (!s->ctx) {
        dw_error_set(err, DW_ERR_IO, "cannot hand the dump to libkdumpfile: %s",
                     s->fd < 0 ? "no file descriptor" : "out of memory");
        return DW_ERR_IO;
    }
    kdump_status ks = s->kd->open_fdset(s->ctx, 1, &s->fd);
    s->leak_ctx = dw_is_diskdump(&dump->file); /* see park_context */
    if (ks != KDUMP_OK) {
        dw_error_set(err, ks == KDUMP_ERR_NOTIMPL ? DW_ERR_UNSUPPORTED : DW_ERR_FORMAT,
                     "libkdumpfile cannot open it: %s", s->kd->get_err(s->ctx));
        return ks == KDUMP_ERR_NOTIMPL ? DW_ERR_UNSUPPORTED : DW_ERR_FORMAT;
    }
    return DW_OK;
}

/* libkdumpfile translates kernel virtual addresses only once it is told
 * the dump's OS (KDUMP_ATTR_OSTYPE): without it libaddrxlat 0.5.1 cannot
 * tell 4- from 5-level paging ("Cannot determine 5-level paging") and every
 * KDUMP_KVADDR read fails.  Setting it makes libkdumpfile check the utsname
 * at SYMBOL(init_uts_ns); when that fails reads still work, so it is
 * reported, not fatal. */
static void set_linux_os_type(dw_dump *dump, kd_state *s)
{
    kdump_attr_t attr = {.type = KDUMP_STRING, .val.string = "linux"};
    if (s->kd->set_attr(s->ctx, KDUMP_ATTR_OSTYPE, &attr) != KDUMP_OK)
        dw_damage(dump, 0, 0, DW_ERR_DAMAGED,
                  "kernel dump: libkdumpfile's Linux address translation set-up: %s",
                  s->kd->get_err(s->ctx));
}

static void fill_header(dw_dump *dump, kd_state *s)
{
    dw_header *h = &dump->header;
    h->format = s->kernel ? DW_FORMAT_KDUMP : DW_FORMAT_ELF_CORE;
    h->signature = dump->file.size >= 4 ? dw_le32(dump->file.data) : 0;
    h->file_size = dump->file.size;
}

static dw_status fill_all(dw_dump *dump, kd_state *s)
{
    dw_arch arch = arch_of_name(get_string(s, "arch.name"));
    fill_header(dump, s);
    fill_system_info(dump, s, arch);
    s->status.system_info = DW_OK;
    s->status.threads = fill_threads(dump, s, arch);
    s->status.memory = fill_memory(dump, s);
    s->status.memory_infos = s->status.memory == DW_OK ? DW_OK : DW_ERR_NOT_FOUND;
    s->status.modules = fill_modules(dump, s);
    return DW_OK;
}

/* libkdumpfile trusts a compressed kdump's layout (diskdump_check.h), and
 * cannot free a context after a failed diskdump open (open_context), so a
 * file whose header, bitmaps or page descriptors do not fit is refused
 * here, before it reaches the library. */
static dw_status check_diskdump_header(dw_dump *dump, dw_error *err)
{
    return dw_is_diskdump(&dump->file) ? dw_diskdump_check(&dump->file, err) : DW_OK;
}

static dw_status load_library(kd_state *s, dw_error *err)
{
    const char *why = NULL;
    s->kd = dw_kdumpfile_get(&why);
    if (s->kd)
        return DW_OK;
    dw_error_set(err, DW_ERR_UNSUPPORTED, "ELF core support needs %s: %s", DW_KDUMPFILE_SONAME,
                 why);
    return DW_ERR_UNSUPPORTED;
}

dw_status dw_backend_open(dw_dump *dump, const char *path, dw_error *err)
{
    kd_state *s = calloc(1, sizeof *s);
    if (!s) {
        dw_error_set(err, DW_ERR_NOMEM, "out of memory");
        return DW_ERR_NOMEM;
    }
    s->fd = -1;
    dump->backend = &kdump_backend;
    dump->backend_state = s;
    dump->backend_status = &s->status;
    dw_status hst = check_diskdump_header(dump, err);
    if (hst != DW_OK)
        return hst;
    s->is_elf = dump->file.size >= 4 && memcmp(dump->file.data,
                                               "\x7f"
                                               "ELF",
                                               4) == 0;
    if (s->is_elf) {
        dw_status st = dw_elf_core_parse(dump, &dump->file, &s->elf, err);
        if (st != DW_OK)
            return st;
    }
    /* Files refused above (not a core, damaged headers) never load it. */
    dw_status st = load_library(s, err);
    if (st == DW_OK)
        st = open_context(dump, s, path, err);
    if (st != DW_OK)
        return st;
    /* diskdump/kdump files are kernel dumps; an ELF core is one when it
     * carries VMCOREINFO (an ELF vmcore), else it is a process core. */
    s->kernel = !s->is_elf || s->elf.has_vmcoreinfo;
    if (s->kernel)
        set_linux_os_type(dump, s);
    return fill_all(dump, s);
}
