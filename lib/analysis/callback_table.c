/* Naming what a callback level calls and interrupts: the routine in
 * PEB->KernelCallbackTable, and the function a return address's call
 * instruction targets (the system call a Wine callback interrupted). */
#include <stdio.h>
#include <string.h>

#include "analysis/callbacks_internal.h"
#include "util/reader.h"

/* TEB.ProcessEnvironmentBlock and PEB.KernelCallbackTable (winternl.h /
 * ReactOS NDK pstypes.h: TEB 0x60 / PEB 0x58 on x64, TEB 0x30 / PEB 0x2c
 * on x86).  A WoW64 thread's TEB32 follows its TEB64 two pages up. */
#define TEB64_PEB 0x60
#define PEB64_KERNEL_CALLBACK_TABLE 0x58
#define TEB32_PEB 0x30
#define PEB32_KERNEL_CALLBACK_TABLE 0x2c
#define WOW64_TEB32_OFFSET 0x2000
/* user32's table has about 100 entries (fewer than 0x100 on every release). */
#define CALLBACK_TABLE_MAX_INDEX 0x400

static int read_ptr(dw_walker *w, uint64_t va, int ptr32, uint64_t *out)
{
    if (ptr32) {
        uint32_t v;
        if (dw_memory_read_u32(w->dump, va, &v) != DW_OK)
            return 0;
        *out = v;
        return 1;
    }
    return dw_memory_read_u64(w->dump, va, out) == DW_OK;
}

int cb_callback_table_entry(dw_walker *w, const dw_thread *t, uint32_t index, uint64_t *entry)
{
    if (!t || !t->teb || index >= CALLBACK_TABLE_MAX_INDEX)
        return 0;
    int ptr32 = w->arch == DW_ARCH_X86;
    uint64_t teb = t->teb, peb, table;
    if (ptr32 && dw_dump_arch(w->dump) == DW_ARCH_AMD64)
        teb += WOW64_TEB32_OFFSET;
    if (!read_ptr(w, teb + (ptr32 ? TEB32_PEB : TEB64_PEB), ptr32, &peb) || !peb ||
        !read_ptr(w, peb + (ptr32 ? PEB32_KERNEL_CALLBACK_TABLE : PEB64_KERNEL_CALLBACK_TABLE),
                  ptr32, &table) ||
        !table)
        return 0;
    return read_ptr(w, table + (uint64_t)index * (ptr32 ? 4 : 8), ptr32, entry) && *entry;
}

const char *cb_name_function_start(dw_walker *w, uint64_t address, char *buf, size_t size)
{
    dw_frame f;
    buf[0] = '\0';
    if (dw_walker_symbolize(w, address, &f) != DW_OK || f.symbol_source == DW_SYMSRC_NONE ||
        f.function_offset != 0)
        return buf;
    char fn[DW_CALLBACK_NAME_MAX];
    cb_frame_function(&f, fn, sizeof fn);
    if (fn[0])
        cb_join_name(buf, size, f.module->name, fn);
    return buf;
}

/* An import slot's value in the image file: before binding, the IAT holds
 * the RVA of an IMAGE_IMPORT_BY_NAME (Hint u16, then the name); bit 63 / 31
 * set means an import by ordinal (PE Format, "Import Lookup Table"). */
static int import_name_from_image(dw_walker *w, uint64_t slot, char *buf, size_t size)
{
    dw_module_cache *c;
    const dw_module *m = dw_walker_module(w, slot, &c);
    const dw_pe *pe = m ? dw_walker_module_pe(w, m, c) : NULL;
    if (!pe || c->image_from_dump)
        return 0;
    uint8_t v[8] = {0};
    unsigned width = pe->is_pe32_plus ? 8 : 4;
    if (!dw_pe_read(pe, slot - m->base, v, width))
        return 0;
    uint64_t rva = width == 8 ? dw_le64(v) : dw_le32(v);
    if (rva == 0 || rva >= pe->size_of_image)
        return 0; /* by ordinal (high bit) or already bound */
    char name[DW_CALLBACK_NAME_MAX];
    size_t got = pe->read(pe->ctx, rva + 2, name, sizeof name - 1);
    name[got < sizeof name ? got : sizeof name - 1] = '\0';
    if (!memchr(name, '\0', got) || !name[0])
        return 0;
    snprintf(buf, size, "%s", name);
    return 1;
}

/* The function an import slot points to. */
static int name_slot(dw_walker *w, uint64_t slot, char *buf, size_t size)
{
    uint64_t target;
    if (dw_walker_read_word(w, slot, &target)) {
        cb_name_function_start(w, target, buf, size);
        return buf[0] != '\0';
    }
    return import_name_from_image(w, slot, buf, size);
}

static uint64_t wrap(dw_walker *w, uint64_t v)
{
    return w->arch == DW_ARCH_X86 ? v & 0xffffffffu : v;
}

/* `jmp [rip+disp32]` (x64) / `jmp [abs32]` (x86) import thunk at target. */
static int thunk_slot(dw_walker *w, uint64_t target, uint64_t *slot)
{
    uint8_t b[6];
    if (dw_walker_read_code(w, target, b, sizeof b) != sizeof b || b[0] != 0xff || b[1] != 0x25)
        return 0;
    int32_t disp = (int32_t)dw_le32(b + 2);
    *slot = w->arch == DW_ARCH_X86 ? (uint32_t)disp : target + 6 + (uint64_t)(int64_t)disp;
    return 1;
}

int cb_name_call_target(dw_walker *w, uint64_t ret, char *buf, size_t size,
                        dw_evidence_strength *strength)
{
    uint8_t b[6];
    buf[0] = '\0';
    if (ret < sizeof b || dw_walker_read_code(w, ret - sizeof b, b, sizeof b) != sizeof b)
        return 0;
    uint64_t slot;
    int named = 0;
    if (b[0] == 0xff && b[1] == 0x15) { /* call [rip+disp32] / call [abs32] */
        int32_t disp = (int32_t)dw_le32(b + 2);
        slot = w->arch == DW_ARCH_X86 ? (uint32_t)disp : ret + (uint64_t)(int64_t)disp;
        named = name_slot(w, slot, buf, size);
    } else if (b[1] == 0xe8) { /* call rel32 */
        uint64_t target = wrap(w, ret + (uint64_t)(int64_t)(int32_t)dw_le32(b + 2));
        named = thunk_slot(w, target, &slot) ? name_slot(w, slot, buf, size)
                                             : cb_name_function_start(w, target, buf, size)[0];
    }
    if (named)
        *strength = DW_STRENGTH_STRONG;
    return named;
}
