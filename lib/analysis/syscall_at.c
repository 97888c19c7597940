/* Which system call a code address belongs to: by name (a symbol or export
 * of the address) and by decoding the captured code bytes as a system-call
 * stub whose number the SSN table names for the dump's OS build. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "analysis/callbacks_internal.h"
#include "analysis/ssn_table.h"
#include "analysis/syscall_stub.h"

/* x64 stubs are 32 bytes and x86 ones 16-24: an IP further than this from
 * the symbol is not in that stub (exports name only some of ntdll's code). */
#define STUB_SYMBOL_MAX_OFFSET 0x40
/* Bytes read around the IP, as dw_syscall_stub_decode asks. */
#define CODE_BEFORE 32
#define CODE_AFTER 16

uint32_t cb_os_build(dw_dump *dump)
{
    const dw_system_info *si;
    return dw_dump_system_info(dump, &si) == DW_OK ? si->build_number : 0;
}

int cb_is_callback_return(const char *name)
{
    return !strcmp(name, "NtCallbackReturn") || !strcmp(name, "ZwCallbackReturn");
}

/* Modules whose Nt* / Zw* exports are system-call stubs (user32 and gdi32
 * held the win32k stubs before Windows 10 moved them to win32u). */
static int is_stub_module(const dw_module *m)
{
    static const char *const prefixes[] = {"ntdll", "win32u", "user32", "gdi32"};
    if (!m || !m->name)
        return 0;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (!strncasecmp(m->name, prefixes[i], strlen(prefixes[i])))
            return 1;
    return 0;
}

static int is_syscall_name(const char *name)
{
    return (name[0] == 'N' && name[1] == 't') || (name[0] == 'Z' && name[1] == 'w');
}

/* The code around ip: as much of [ip-32, ip+16) as is captured, starting
 * at the lowest readable address that still reaches ip (a capture may begin
 * anywhere, e.g. right at a stub's first byte). */
static size_t read_around(dw_walker *w, uint64_t ip, uint8_t *buf, uint64_t *code_va)
{
    for (unsigned before = CODE_BEFORE;; before--) {
        if (ip >= before) {
            size_t got = dw_walker_read_code(w, ip - before, buf, before + CODE_AFTER);
            if (got > before) {
                *code_va = ip - before;
                return got;
            }
        }
        if (before == 0)
            return 0;
    }
}

/* The SSN table a decoded stub's number belongs to. */
static int table_bits(dw_walker *w, const dw_syscall_stub *s)
{
    if (s->kernel_bits)
        return s->kernel_bits;
    return dw_dump_is_wow64(w->dump) ? 64 : 32;
}

/* The two-byte instructions that enter the kernel (Intel SDM: SYSCALL 0F 05,
 * SYSENTER 0F 34, INT 2E CD 2E).  A thread waiting in the kernel rests right
 * after one, whatever the stub around it looks like (Wine's, future ones). */
static const char *kernel_entry_before(const uint8_t *code, size_t n, uint64_t code_va, uint64_t ip)
{
    if (ip < code_va + 2 || ip - code_va > n)
        return NULL;
    const uint8_t *p = code + (ip - code_va) - 2;
    if (p[0] == 0x0f && p[1] == 0x05)
        return "syscall";
    if (p[0] == 0x0f && p[1] == 0x34)
        return "sysenter";
    if (p[0] == 0xcd && p[1] == 0x2e)
        return "int 2e";
    return NULL;
}

static void decode_stub(dw_walker *w, uint64_t ip, uint32_t build, cb_syscall *out)
{
    uint8_t code[CODE_BEFORE + CODE_AFTER];
    uint64_t code_va = 0;
    size_t n = read_around(w, ip, code, &code_va);
    out->code_read = n > 0;
    out->stub_ip = ip;
    dw_syscall_stub s;
    int bits = w->arch == DW_ARCH_X86 ? 32 : 64;
    if (!n)
        return;
    if (!dw_syscall_stub_decode(code, n, code_va, ip, bits, &s)) {
        out->entry_insn = kernel_entry_before(code, n, code_va, ip);
        return;
    }
    out->stub = 1;
    out->waiting = s.ip_after_syscall;
    out->form = s.form;
    if (!s.has_ssn)
        return;
    out->has_ssn = 1;
    out->ssn = s.ssn;
    out->service = s.service;
    out->ssn_bits = table_bits(w, &s);
    const char *name = dw_ssn_name(out->ssn_bits, build, s.service);
    if (name && !out->named) {
        snprintf(out->name, sizeof out->name, "%s", name);
        out->named = 1;
        out->strength = DW_STRENGTH_MEDIUM;
    }
}

static void name_by_symbol(const dw_frame *f, cb_syscall *out)
{
    char fn[DW_CALLBACK_NAME_MAX];
    cb_frame_function(f, fn, sizeof fn);
    if (!fn[0] || !is_stub_module(f->module) || !is_syscall_name(fn) ||
        f->function_offset > STUB_SYMBOL_MAX_OFFSET)
        return;
    snprintf(out->name, sizeof out->name, "Nt%s", fn + 2);
    out->named = 1;
    out->by_symbol = 1;
    out->strength = DW_STRENGTH_STRONG;
    out->name_kind = cb_symbol_kind(f);
    char label[DW_CALLBACK_NAME_MAX];
    snprintf(out->where, sizeof out->where, "%s (%s)", cb_frame_label(f, label, sizeof label),
             cb_symbol_source_word(f));
}

/* KiFastSystemCall / KiFastSystemCallRet / KiIntSystemCall: the shared x86
 * helper a stub calls; the stub is at the return address on the stack. */
static int in_x86_helper(const dw_frame *f, const cb_syscall *decoded)
{
    char fn[DW_CALLBACK_NAME_MAX];
    cb_frame_function(f, fn, sizeof fn);
    if (!strncmp(fn, "KiFastSystemCall", 16) || !strcmp(fn, "KiIntSystemCall"))
        return 1;
    return decoded->stub && !decoded->has_ssn;
}

static void syscall_at_frame(dw_walker *w, const dw_frame *f, uint32_t build, cb_syscall *out)
{
    name_by_symbol(f, out);
    decode_stub(w, f->ip, build, out);
}

void cb_syscall_at(dw_walker *w, const dw_frame *f, uint32_t build, cb_syscall *out)
{
    memset(out, 0, sizeof *out);
    syscall_at_frame(w, f, build, out);
    if (w->arch != DW_ARCH_X86 || f->index != 0 || !in_x86_helper(f, out))
        return;
    uint64_t ret;
    if (!dw_walker_read_word(w, dw_context_sp(&f->context), &ret))
        return;
    dw_frame stub;
    memset(&stub, 0, sizeof stub);
    stub.index = 1; /* a return address: symbolize the call before it */
    stub.ip = ret;
    dw_walker_symbolize_frame(w, &stub);
    memset(out, 0, sizeof *out);
    syscall_at_frame(w, &stub, build, out);
}
