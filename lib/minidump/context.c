/* Register contexts: x86 and AMD64 CONTEXT records, register names, and the
 * dump's CPU architecture.
 *
 * Layout facts are from Microsoft's winnt.h CONTEXT / WOW64_CONTEXT
 * definitions (also Breakpad's minidump_cpu_x86.h / minidump_cpu_amd64.h):
 * an x86 CONTEXT is 716 bytes with ContextFlags at 0; an AMD64 CONTEXT is
 * 1232 bytes (0x4d0) with ContextFlags at 0x30.  Writers that save XSAVE/CET
 * state append it after the base record, so larger sizes are accepted and
 * only the base layout is read. */
#include <stdio.h>
#include <string.h>

#include "minidump/backend.h"
#include "minidump/context.h"
#include "minidump/internal.h"

#define X86_CONTEXT_SIZE 716
#define AMD64_CONTEXT_SIZE 1232
#define X86_FLAGS_OFFSET 0x00
#define AMD64_FLAGS_OFFSET 0x30

/* ContextFlags CPU type bits (winnt.h CONTEXT_i386 / CONTEXT_AMD64). */
#define CONTEXT_CPU_X86 0x00010000u
#define CONTEXT_CPU_AMD64 0x00100000u

/* ContextFlags register groups, the same low bits on both CPUs. */
#define GROUP_CONTROL 0x1u
#define GROUP_INTEGER 0x2u
#define GROUP_SEGMENTS 0x4u
#define GROUPS_DECLARED_MASK 0xffffu

/* Where one register lives in a CONTEXT record and which ContextFlags group
 * says it was captured. */
typedef struct reg_slot {
    uint8_t reg;
    uint16_t offset;
    uint8_t width;
    uint8_t group;
} reg_slot;

/* AMD64 CONTEXT (winnt.h): SegCs..SegSs are WORDs at 0x38..0x42, EFlags a
 * DWORD at 0x44, Rax..R15 QWORDs from 0x78, Rip at 0xf8. */
static const reg_slot amd64_layout[] = {
    {DW_AMD64_RAX, 0x78, 8, GROUP_INTEGER}, {DW_AMD64_RCX, 0x80, 8, GROUP_INTEGER},
    {DW_AMD64_RDX, 0x88, 8, GROUP_INTEGER}, {DW_AMD64_RBX, 0x90, 8, GROUP_INTEGER},
    {DW_AMD64_RSP, 0x98, 8, GROUP_CONTROL}, {DW_AMD64_RBP, 0xa0, 8, GROUP_INTEGER},
    {DW_AMD64_RSI, 0xa8, 8, GROUP_INTEGER}, {DW_AMD64_RDI, 0xb0, 8, GROUP_INTEGER},
    {DW_AMD64_R8, 0xb8, 8, GROUP_INTEGER},  {DW_AMD64_R9, 0xc0, 8, GROUP_INTEGER},
    {DW_AMD64_R10, 0xc8, 8, GROUP_INTEGER}, {DW_AMD64_R11, 0xd0, 8, GROUP_INTEGER},
    {DW_AMD64_R12, 0xd8, 8, GROUP_INTEGER}, {DW_AMD64_R13, 0xe0, 8, GROUP_INTEGER},
    {DW_AMD64_R14, 0xe8, 8, GROUP_INTEGER}, {DW_AMD64_R15, 0xf0, 8, GROUP_INTEGER},
    {DW_AMD64_RIP, 0xf8, 8, GROUP_CONTROL}, {DW_AMD64_RFLAGS, 0x44, 4, GROUP_CONTROL},
    {DW_AMD64_CS, 0x38, 2, GROUP_CONTROL},  {DW_AMD64_DS, 0x3a, 2, GROUP_SEGMENTS},
    {DW_AMD64_ES, 0x3c, 2, GROUP_SEGMENTS}, {DW_AMD64_FS, 0x3e, 2, GROUP_SEGMENTS},
    {DW_AMD64_GS, 0x40, 2, GROUP_SEGMENTS}, {DW_AMD64_SS, 0x42, 2, GROUP_CONTROL},
};

/* x86 CONTEXT (winnt.h): all DWORDs; SegGs at 0x8c after the 112-byte
 * FLOATING_SAVE_AREA, then SegFs, SegEs, SegDs, Edi .. Eax, Ebp, Eip, SegCs,
 * EFlags, Esp, SegSs.  Ebp belongs to CONTROL on x86. */
static const reg_slot x86_layout[] = {
    {DW_X86_EAX, 0xb0, 4, GROUP_INTEGER}, {DW_X86_ECX, 0xac, 4, GROUP_INTEGER},
    {DW_X86_EDX, 0xa8, 4, GROUP_INTEGER}, {DW_X86_EBX, 0xa4, 4, GROUP_INTEGER},
    {DW_X86_ESP, 0xc4, 4, GROUP_CONTROL}, {DW_X86_EBP, 0xb4, 4, GROUP_CONTROL},
    {DW_X86_ESI, 0xa0, 4, GROUP_INTEGER}, {DW_X86_EDI, 0x9c, 4, GROUP_INTEGER},
    {DW_X86_EIP, 0xb8, 4, GROUP_CONTROL}, {DW_X86_EFLAGS, 0xc0, 4, GROUP_CONTROL},
    {DW_X86_CS, 0xbc, 4, GROUP_CONTROL},  {DW_X86_DS, 0x98, 4, GROUP_SEGMENTS},
    {DW_X86_ES, 0x94, 4, GROUP_SEGMENTS}, {DW_X86_FS, 0x90, 4, GROUP_SEGMENTS},
    {DW_X86_GS, 0x8c, 4, GROUP_SEGMENTS}, {DW_X86_SS, 0xc8, 4, GROUP_CONTROL},
};

/* Register names in DW_AMD64_* / DW_X86_* order (threads.h). */
static const char *const amd64_names[DW_AMD64_REG_COUNT] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp",    "rsi", "rdi", "r8", "r9", "r10", "r11",
    "r12", "r13", "r14", "r15", "rip", "rflags", "cs",  "ds",  "es", "fs", "gs",  "ss",
};
static const char *const x86_names[DW_X86_REG_COUNT] = {
    "eax", "ecx",    "edx", "ebx", "esp", "ebp", "esi", "edi",
    "eip", "eflags", "cs",  "ds",  "es",  "fs",  "gs",  "ss",
};

static const char *arch_name(dw_arch arch)
{
    switch (arch) {
    case DW_ARCH_X86:
        return "x86";
    case DW_ARCH_AMD64:
        return "amd64";
    case DW_ARCH_ARM:
        return "ARM";
    case DW_ARCH_ARM64:
        return "ARM64";
    case DW_ARCH_UNKNOWN:
        break;
    }
    return "unknown";
}

unsigned dw_reg_count(dw_arch arch)
{
    switch (arch) {
    case DW_ARCH_X86:
        return DW_X86_REG_COUNT;
    case DW_ARCH_AMD64:
        return DW_AMD64_REG_COUNT;
    default:
        return 0;
    }
}

const char *dw_reg_name(dw_arch arch, unsigned index)
{
    if (index >= dw_reg_count(arch))
        return NULL;
    return arch == DW_ARCH_AMD64 ? amd64_names[index] : x86_names[index];
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int names_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
            return 0;
    }
    return *a == *b;
}

int dw_reg_index(dw_arch arch, const char *name)
{
    if (!name)
        return -1;
    unsigned n = dw_reg_count(arch);
    for (unsigned i = 0; i < n; i++) {
        if (names_equal(name, dw_reg_name(arch, i)))
            return (int)i;
    }
    /* Tools print the AMD64 flags register under its 32-bit name too. */
    if (arch == DW_ARCH_AMD64 && names_equal(name, "eflags"))
        return DW_AMD64_RFLAGS;
    return -1;
}

int dw_context_has(const dw_context *ctx, unsigned index)
{
    return ctx && index < DW_MAX_REGS && ((ctx->valid >> index) & 1);
}

dw_status dw_context_get(const dw_context *ctx, const char *name, uint64_t *value)
{
    if (!ctx || !value)
        return DW_ERR_INVALID_ARG;
    int index = dw_reg_index(ctx->arch, name);
    if (index < 0 || !dw_context_has(ctx, (unsigned)index))
        return DW_ERR_NOT_FOUND;
    *value = ctx->regs[index];
    return DW_OK;
}

static uint64_t reg_or_zero(const dw_context *ctx, unsigned index)
{
    return dw_context_has(ctx, index) ? ctx->regs[index] : 0;
}

uint64_t dw_context_ip(const dw_context *ctx)
{
    if (!ctx)
        return 0;
    if (ctx->arch == DW_ARCH_AMD64)
        return reg_or_zero(ctx, DW_AMD64_RIP);
    if (ctx->arch == DW_ARCH_X86)
        return reg_or_zero(ctx, DW_X86_EIP);
    return 0;
}

uint64_t dw_context_sp(const dw_context *ctx)
{
    if (!ctx)
        return 0;
    if (ctx->arch == DW_ARCH_AMD64)
        return reg_or_zero(ctx, DW_AMD64_RSP);
    if (ctx->arch == DW_ARCH_X86)
        return reg_or_zero(ctx, DW_X86_ESP);
    return 0;
}

static uint64_t read_width(const uint8_t *p, unsigned width)
{
    switch (width) {
    case 2:
        return dw_le16(p);
    case 4:
        return dw_le32(p);
    default:
        return dw_le64(p);
    }
}

/* The register groups a ContextFlags value declares.  Some writers set only
 * the CPU type bit (Crashpad's macOS writer: 0x00100000 in
 * rust-minidump/pipeline-inlines-macos-segv.dmp) or nothing at all while
 * filling every general register; when no group is declared, the general
 * registers are taken as captured rather than reporting a context without
 * registers.  A writer that declares some groups is taken at its word. */
static uint32_t captured_groups(uint32_t flags)
{
    if ((flags & GROUPS_DECLARED_MASK) == 0)
        return GROUP_CONTROL | GROUP_INTEGER | GROUP_SEGMENTS;
    return flags & (GROUP_CONTROL | GROUP_INTEGER | GROUP_SEGMENTS);
}

/* CPU type bits that name the other x86-family CPU mean the record is not the
 * layout we are about to read.  Only these two bits are compared: the high
 * bits of an AMD64 ContextFlags carry CONTEXT_EXCEPTION_* state. */
static int cpu_bits_disagree(dw_arch arch, uint32_t flags)
{
    if (arch == DW_ARCH_AMD64)
        return !(flags & CONTEXT_CPU_AMD64) && (flags & CONTEXT_CPU_X86);
    return !(flags & CONTEXT_CPU_X86) && (flags & CONTEXT_CPU_AMD64);
}

dw_status dw_context_decode(dw_dump *dump, dw_arch arch, const uint8_t *bytes, size_t size,
                            const char *what, dw_context *out)
{
    memset(out, 0, sizeof *out);
    out->arch = arch;
    out->raw_size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
    if (arch != DW_ARCH_X86 && arch != DW_ARCH_AMD64) {
        /* ARM and ARM64 CONTEXTs (Windows and Breakpad) start with ContextFlags. */
        if (bytes && size >= 4)
            out->context_flags = dw_le32(bytes);
        return dw_fail(dump, DW_ERR_UNSUPPORTED,
                       "%s: %s register contexts are not decoded (only x86 and amd64 are)", what,
                       arch_name(arch));
    }
    int amd64 = arch == DW_ARCH_AMD64;
    size_t need = amd64 ? AMD64_CONTEXT_SIZE : X86_CONTEXT_SIZE;
    if (!bytes || size < need)
        return dw_fail(dump, DW_ERR_DAMAGED,
                       "%s: %zu-byte context is too short for a %zu-byte %s CONTEXT", what, size,
                       need, arch_name(arch));
    uint32_t flags = dw_le32(bytes + (amd64 ? AMD64_FLAGS_OFFSET : X86_FLAGS_OFFSET));
    out->context_flags = flags;
    if (cpu_bits_disagree(arch, flags))
        return dw_fail(dump, DW_ERR_DAMAGED,
                       "%s: ContextFlags 0x%08x name a %s CPU but the dump is %s", what, flags,
                       amd64 ? "x86" : "amd64", arch_name(arch));
    const reg_slot *layout = amd64 ? amd64_layout : x86_layout;
    size_t count = amd64 ? sizeof amd64_layout / sizeof amd64_layout[0]
                         : sizeof x86_layout / sizeof x86_layout[0];
    uint32_t groups = captured_groups(flags);
    for (size_t i = 0; i < count; i++) {
        if (!(groups & layout[i].group))
            continue;
        out->regs[layout[i].reg] = read_width(bytes + layout[i].offset, layout[i].width);
        out->valid |= (uint64_t)1 << layout[i].reg;
    }
    return DW_OK;
}

/* Guess the CPU of a context when the dump does not say (no usable
 * SystemInfo): the CPU type bits first, then the two base sizes. */
static dw_arch arch_of_context_bytes(const uint8_t *p, size_t size)
{
    if (size >= AMD64_CONTEXT_SIZE && (dw_le32(p + AMD64_FLAGS_OFFSET) & CONTEXT_CPU_AMD64))
        return DW_ARCH_AMD64;
    if (size >= X86_CONTEXT_SIZE && (dw_le32(p + X86_FLAGS_OFFSET) & CONTEXT_CPU_X86) &&
        !(dw_le32(p + X86_FLAGS_OFFSET) & CONTEXT_CPU_AMD64))
        return DW_ARCH_X86;
    if (size == X86_CONTEXT_SIZE)
        return DW_ARCH_X86;
    if (size == AMD64_CONTEXT_SIZE)
        return DW_ARCH_AMD64;
    return DW_ARCH_UNKNOWN;
}

/* PROCESSOR_ARCHITECTURE_* (SystemInfo) to dw_arch. */
static dw_arch arch_of_cpu(uint16_t cpu)
{
    switch (cpu) {
    case DW_CPU_X86:
        return DW_ARCH_X86;
    case DW_CPU_AMD64:
        return DW_ARCH_AMD64;
    case DW_CPU_ARM:
        return DW_ARCH_ARM;
    case DW_CPU_ARM64:
    case DW_CPU_ARM64_OLD:
        return DW_ARCH_ARM64;
    default:
        return DW_ARCH_UNKNOWN;
    }
}

static dw_arch arch_of_first_context(dw_dump *dump)
{
    const dw_thread *threads;
    size_t count;
    dw_dump_threads(dump, &threads, &count);
    for (size_t i = 0; i < count; i++) {
        int ok;
        dw_reader w = dw_file_window(dump, threads[i].context_rva, threads[i].context_size, &ok);
        if (ok && w.size > 0)
            return arch_of_context_bytes(w.data, w.size);
    }
    return DW_ARCH_UNKNOWN;
}

static dw_status parse_arch(dw_dump *dump)
{
    const dw_system_info *si = NULL;
    dump->arch = DW_ARCH_UNKNOWN;
    if (dw_dump_system_info(dump, &si) == DW_OK && si)
        dump->arch = arch_of_cpu(si->processor_architecture);
    if (dump->arch == DW_ARCH_UNKNOWN)
        dump->arch = arch_of_first_context(dump);
    return DW_OK;
}

dw_arch dw_dump_arch(dw_dump *dump)
{
    if (!dump)
        return DW_ARCH_UNKNOWN;
    dw_lazy_run(dump, &dump->arch_lazy, parse_arch);
    return dump->arch;
}

/* Decode a context record of the file, naming it `what` in messages. */
static dw_status decode_at(dw_dump *dump, uint32_t rva, uint32_t size, const char *what,
                           dw_context *out)
{
    memset(out, 0, sizeof *out);
    if (size == 0)
        return dw_fail(dump, DW_ERR_NOT_FOUND, "%s: no context was captured", what);
    int ok;
    dw_reader w = dw_file_window(dump, rva, size, &ok);
    if (!ok)
        return dw_fail(dump, DW_ERR_TRUNCATED,
                       "%s: %u-byte context at 0x%x runs past the end of the %zu-byte file", what,
                       size, rva, dump->file.size);
    dw_arch arch = dw_dump_arch(dump);
    if (arch == DW_ARCH_UNKNOWN)
        arch = arch_of_context_bytes(w.data, w.size);
    if (arch == DW_ARCH_UNKNOWN) {
        out->raw_size = size;
        return dw_fail(dump, DW_ERR_UNSUPPORTED,
                       "%s: cannot tell the CPU of a %u-byte context (no SystemInfo and no "
                       "CPU type bits)",
                       what, size);
    }
    return dw_context_decode(dump, arch, w.data, w.size, what, out);
}

/* Backends decode registers at open, one context per thread in list order. */
static dw_status backend_context(dw_dump *dump, const dw_thread *thread, dw_context *out)
{
    memset(out, 0, sizeof *out);
    if (!dump->threads || thread < dump->threads || thread >= dump->threads + dump->thread_count)
        return dw_fail(dump, DW_ERR_INVALID_ARG, "thread %u is not one of this dump's threads",
                       thread->thread_id);
    *out = dump->backend_contexts[thread - dump->threads];
    if (out->arch != DW_ARCH_X86 && out->arch != DW_ARCH_AMD64)
        return dw_fail(dump, DW_ERR_UNSUPPORTED,
                       "thread %u: registers of this CPU architecture are not decoded",
                       thread->thread_id);
    if (!out->valid)
        return dw_fail(dump, DW_ERR_NOT_FOUND, "thread %u: the dump has no registers for it",
                       thread->thread_id);
    return DW_OK;
}

dw_status dw_thread_context(dw_dump *dump, const dw_thread *thread, dw_context *out)
{
    if (!dump || !thread || !out)
        return dump ? dw_fail(dump, DW_ERR_INVALID_ARG, "dw_thread_context: NULL argument")
                    : DW_ERR_INVALID_ARG;
    if (dump->backend)
        return backend_context(dump, thread, out);
    char what[32];
    snprintf(what, sizeof what, "thread 0x%x", thread->thread_id);
    return decode_at(dump, thread->context_rva, thread->context_size, what, out);
}

dw_status dw_dump_context_at(dw_dump *dump, uint32_t rva, uint32_t size, dw_context *out)
{
    if (!dump || !out)
        return dump ? dw_fail(dump, DW_ERR_INVALID_ARG, "dw_dump_context_at: NULL argument")
                    : DW_ERR_INVALID_ARG;
    char what[40];
    snprintf(what, sizeof what, "context at 0x%x", rva);
    return decode_at(dump, rva, size, what, out);
}
