/* WoW64: a 64-bit dump of a 32-bit process.
 *
 * The dump's thread contexts are the 64-bit ones (usually parked in 64-bit
 * ntdll / wow64cpu); the 32-bit state lives in the process's memory:
 *   TEB64.TlsSlots[64] at TEB64+0x1480 (8 bytes each), and slot 1
 *   (WOW64_TLS_CPURESERVED) points to the CPU area.
 * Microsoft's WOW64_CONTEXT documentation says the x86 context starts at
 * offset 4 of that structure (Vista through 8.1).  From Windows 10 the area
 * begins with WOW64_CPURESERVED {USHORT Flags; USHORT Machine;} and the
 * context follows, aligned for its type; an i386 context is 4-aligned, so it
 * is again at offset 4 (RtlWow64GetCurrentCpuArea; Wine's get_cpu_area does
 * the same computation). */
#include <stdio.h>
#include <string.h>

#include "minidump/context.h"
#include "minidump/internal.h"
#include "util/text.h"

#define TEB64_TLS_SLOTS 0x1480u
#define WOW64_TLS_CPURESERVED 1u
#define CPURESERVED_MACHINE_OFFSET 2u
#define CPURESERVED_CONTEXT_OFFSET 4u
#define X86_CONTEXT_SIZE 716u
#define IMAGE_FILE_MACHINE_I386 0x14cu
#define CONTEXT_CPU_X86 0x00010000u

/* The WoW64 layer's own DLLs: loaded only into WoW64 processes. */
static const char *const wow64_dlls[] = {"wow64.dll", "wow64cpu.dll", "wow64win.dll"};

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int equal_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return 0;
    }
    return *a == *b;
}

static int is_wow64_dll(const char *path)
{
    if (!path)
        return 0;
    const char *base = dw_path_basename(path);
    for (size_t i = 0; i < sizeof wow64_dlls / sizeof wow64_dlls[0]; i++) {
        if (equal_nocase(base, wow64_dlls[i]))
            return 1;
    }
    return 0;
}

static dw_status detect_wow64(dw_dump *dump)
{
    dump->is_wow64 = 0;
    if (dw_dump_arch(dump) != DW_ARCH_AMD64)
        return DW_OK;
    const dw_module *modules = NULL;
    size_t count = 0;
    dw_dump_modules(dump, &modules, &count);
    for (size_t i = 0; modules && i < count; i++) {
        if (is_wow64_dll(modules[i].path)) {
            dump->is_wow64 = 1;
            break;
        }
    }
    return DW_OK;
}

int dw_dump_is_wow64(dw_dump *dump)
{
    if (!dump)
        return 0;
    dw_lazy_run(dump, &dump->wow64_lazy, detect_wow64);
    return dump->is_wow64;
}

/* Address of the CPU area from TEB64 TLS slot 1. */
static dw_status wow64_cpu_area(dw_dump *dump, const dw_thread *thread, uint64_t *area)
{
    uint64_t slot = TEB64_TLS_SLOTS + 8u * WOW64_TLS_CPURESERVED;
    if (thread->teb == 0 || thread->teb > UINT64_MAX - slot - 8)
        return dw_fail(dump, DW_ERR_NOT_FOUND, "thread 0x%x: no usable TEB address (0x%llx)",
                       thread->thread_id, (unsigned long long)thread->teb);
    if (dw_memory_read_u64(dump, thread->teb + slot, area) != DW_OK)
        return dw_fail(dump, DW_ERR_NOT_FOUND,
                       "thread 0x%x: TEB64 TLS slot 1 at 0x%llx is not in the dump",
                       thread->thread_id, (unsigned long long)(thread->teb + slot));
    if (*area == 0)
        return dw_fail(dump, DW_ERR_NOT_FOUND,
                       "thread 0x%x: TEB64 TLS slot 1 is empty (no WoW64 CPU area)",
                       thread->thread_id);
    return DW_OK;
}

dw_status dw_thread_wow64_context(dw_dump *dump, const dw_thread *thread, dw_context *out)
{
    if (!dump || !thread || !out)
        return dump ? dw_fail(dump, DW_ERR_INVALID_ARG, "dw_thread_wow64_context: NULL argument")
                    : DW_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (!dw_dump_is_wow64(dump))
        return dw_fail(dump, DW_ERR_NOT_FOUND,
                       "not a WoW64 dump (an amd64 dump listing wow64*.dll)");
    uint64_t area;
    dw_status st = wow64_cpu_area(dump, thread, &area);
    if (st != DW_OK)
        return st;
    uint8_t buf[CPURESERVED_CONTEXT_OFFSET + X86_CONTEXT_SIZE];
    size_t got = 0;
    if (dw_memory_read(dump, area, buf, sizeof buf, &got) != DW_OK)
        return dw_fail(dump, DW_ERR_NOT_FOUND,
                       "thread 0x%x: WoW64 CPU area at 0x%llx is not in the dump (%zu of %zu "
                       "bytes captured)",
                       thread->thread_id, (unsigned long long)area, got, sizeof buf);
    /* Windows 10+ names the machine; older systems leave no machine field, so
     * there the context's own i386 type bit has to vouch for it. */
    uint16_t machine = dw_le16(buf + CPURESERVED_MACHINE_OFFSET);
    uint32_t flags = dw_le32(buf + CPURESERVED_CONTEXT_OFFSET);
    if (machine != IMAGE_FILE_MACHINE_I386 && !(flags & CONTEXT_CPU_X86))
        return dw_fail(dump, DW_ERR_UNSUPPORTED,
                       "thread 0x%x: WoW64 CPU area at 0x%llx is for machine 0x%x "
                       "(ContextFlags 0x%08x), not an i386 context",
                       thread->thread_id, (unsigned long long)area, machine, flags);
    char what[48];
    snprintf(what, sizeof what, "thread 0x%x (WoW64 x86)", thread->thread_id);
    return dw_context_decode(dump, DW_ARCH_X86, buf + CPURESERVED_CONTEXT_OFFSET, X86_CONTEXT_SIZE,
                             what, out);
}
