/* NT system-call stub forms and their matcher.  See syscall_stub.h. */
#include "analysis/syscall_stub.h"

#include <string.h>

#include "util/reader.h"

/* Pattern tokens: 0..255 a literal byte, ANY any byte, SSN the 4-byte
 * immediate of `mov eax, imm32`, RET `ret` (C3) or `ret imm16` (C2 xx xx),
 * END the end of the pattern. */
enum { ANY = 0x100, SSN = 0x101, RET = 0x102, END = 0x1ff };

typedef struct stub_form {
    const char *name;
    const char *description;
    int bits;
    uint8_t call_offset; /* the instruction that enters the kernel (or calls the helper) */
    uint8_t call_length;
    uint8_t alt_offset; /* second way in (x64 Windows 10+: int 2e), 0 when none */
    uint8_t alt_length;
    uint8_t wait_offset; /* where a waiting thread's IP rests, when not right after
                            the call (XP's KiFastSystemCallRet sits after nop padding) */
    uint8_t kernel_bits; /* 64: the SSN is the x64 kernel's (x64 and WoW64 stubs) */
    uint16_t pattern[40];
} stub_form;

/* The stub shapes, as disassembled from ntdll.dll / win32u.dll of each
 * release (x64 SharedUserData 0x7ffe0308 is SystemCall: 1 selects int 2e). */
/* clang-format off */
static const stub_form stub_forms[] = {
    /* name, description,
     * bits, call offset, call length, alt offset, alt length, wait offset, kernel bits,
     * pattern */
    {"x64-win10", "x64 Windows 10 1511+ / 11: mov r10,rcx; mov eax,SSN; test SharedUserData"
                  "+0x308; jne; syscall; ret; int 2e; ret",
     64, 18, 2, 21, 2, 0, 64,
     {0x4C, 0x8B, 0xD1, 0xB8, SSN, 0xF6, 0x04, 0x25, 0x08, 0x03, 0xFE, 0x7F, 0x01, 0x75, 0x03,
      0x0F, 0x05, 0xC3, 0xCD, 0x2E, 0xC3, END}},
    {"x64-win7", "x64 Windows 7 / 8 / 8.1 / 10 1507: mov r10,rcx; mov eax,SSN; syscall; ret",
     64, 8, 2, 0, 0, 0, 64,
     {0x4C, 0x8B, 0xD1, 0xB8, SSN, 0x0F, 0x05, 0xC3, END}},
    {"x86-sharedUserData", "x86 Windows XP SP2 - 7: mov eax,SSN; mov edx,7FFE0300; "
                           "call [edx] (KiFastSystemCall); ret N",
     32, 10, 2, 0, 0, 0, 32,
     {0xB8, SSN, 0xBA, ANY, ANY, ANY, ANY, 0xFF, 0x12, RET, END}},
    {"x86-call-edx", "x86 Windows 10+ (native, and WoW64 via Wow64SystemServiceCall): "
                     "mov eax,SSN; mov edx,helper; call edx; ret N",
     32, 10, 2, 0, 0, 0, 0,
     {0xB8, SSN, 0xBA, ANY, ANY, ANY, ANY, 0xFF, 0xD2, RET, END}},
    {"x86-win8-call", "x86 Windows 8 / 8.1: mov eax,SSN; call local sysenter helper; ret N",
     32, 5, 5, 0, 0, 0, 32,
     {0xB8, SSN, 0xE8, ANY, ANY, ANY, ANY, RET, END}},
    {"wow64-fs-c0", "WoW64 Windows 8 / 8.1 / early 10: mov eax,SSN; call fs:[0C0h]; ret N",
     32, 5, 7, 0, 0, 0, 64,
     {0xB8, SSN, 0x64, 0xFF, 0x15, 0xC0, 0x00, 0x00, 0x00, RET, END}},
    {"wow64-win7-xor-ecx", "WoW64 Windows 7: mov eax,SSN; xor ecx,ecx; lea edx,[esp+4]; "
                           "call fs:[0C0h]",
     32, 11, 7, 0, 0, 0, 64,
     {0xB8, SSN, 0x33, 0xC9, 0x8D, 0x54, 0x24, 0x04, 0x64, 0xFF, 0x15, 0xC0, 0x00, 0x00, 0x00,
      END}},
    {"wow64-win7-mov-ecx", "WoW64 Windows 7: mov eax,SSN; mov ecx,N; lea edx,[esp+4]; "
                           "call fs:[0C0h]",
     32, 14, 7, 0, 0, 0, 64,
     {0xB8, SSN, 0xB9, ANY, ANY, ANY, ANY, 0x8D, 0x54, 0x24, 0x04, 0x64, 0xFF, 0x15, 0xC0, 0x00,
      0x00, 0x00, END}},
    {"x86-int2e", "x86 Windows NT 4 / 2000: mov eax,SSN; lea edx,[esp+4]; int 2e; ret N",
     32, 9, 2, 0, 0, 0, 32,
     {0xB8, SSN, 0x8D, 0x54, 0x24, 0x04, 0xCD, 0x2E, RET, END}},
    {"x86-KiFastSystemCall", "x86 KiFastSystemCall: mov edx,esp; sysenter; "
                             "KiFastSystemCallRet: ret (the SSN is in the caller's stub)",
     32, 2, 2, 0, 0, 0, 32,
     {0x8B, 0xD4, 0x0F, 0x34, 0xC3, END}},
    {"x86-KiFastSystemCall-xp", "x86 Windows XP SP2/SP3 KiFastSystemCall: mov edx,esp; "
                                "sysenter; 5 nops; KiFastSystemCallRet: ret",
     32, 2, 2, 0, 0, 9, 32,
     {0x8B, 0xD4, 0x0F, 0x34, 0x90, 0x90, 0x90, 0x90, 0x90, 0xC3, END}},
};
/* clang-format on */

/* Match `form` at code[0..avail); the stub's length, or 0. */
static size_t match_form(const stub_form *form, const uint8_t *code, size_t avail, uint32_t *ssn,
                         int *has_ssn)
{
    size_t pos = 0;
    *has_ssn = 0;
    for (const uint16_t *t = form->pattern; *t != END; t++) {
        if (*t == SSN) {
            if (!dw_range_ok(pos, 4, avail))
                return 0;
            *ssn = dw_le32(code + pos);
            *has_ssn = 1;
            pos += 4;
        } else if (*t == RET) {
            if (pos < avail && code[pos] == 0xC3)
                pos += 1;
            else if (dw_range_ok(pos, 3, avail) && code[pos] == 0xC2)
                pos += 3;
            else
                return 0;
        } else {
            if (pos >= avail || (*t != ANY && code[pos] != *t))
                return 0;
            pos++;
        }
    }
    return pos;
}

/* How well a match explains the IP: waiting in the kernel call beats merely
 * lying inside the stub, which beats sitting just past its end. */
static int ip_rank(const dw_syscall_stub *s, uint64_t ip, uint64_t end)
{
    if (s->ip_after_syscall)
        return 3;
    if (ip < end)
        return 2;
    return 1;
}

static void fill_match(const stub_form *f, uint64_t start, uint64_t ip, uint32_t ssn, int has_ssn,
                       dw_syscall_stub *s)
{
    memset(s, 0, sizeof *s);
    s->form = f->name;
    s->description = f->description;
    s->bits = f->bits;
    s->has_ssn = has_ssn;
    s->ssn = ssn;
    s->stub_address = start;
    s->syscall_address = start + f->call_offset;
    s->syscall_length = f->call_length;
    s->ip_in_stub = 1;
    s->service = ssn & 0x3fff;
    s->kernel_bits = f->kernel_bits;
    /* Win10 WoW64 stubs keep a thunk index above bit 16: only WoW64 does that. */
    if (!s->kernel_bits && has_ssn && (ssn >> 16) != 0)
        s->kernel_bits = 64;
    uint64_t wait =
        f->wait_offset ? start + f->wait_offset : s->syscall_address + s->syscall_length;
    if (ip == wait) {
        s->ip_after_syscall = 1;
    } else if (f->alt_length && ip == start + f->alt_offset + f->alt_length) {
        s->syscall_address = start + f->alt_offset;
        s->syscall_length = f->alt_length;
        s->ip_after_syscall = 1;
    }
}

int dw_syscall_stub_decode(const uint8_t *code, size_t size, uint64_t code_va, uint64_t ip,
                           int bits, dw_syscall_stub *out)
{
    memset(out, 0, sizeof *out);
    if (!code || ip < code_va || ip - code_va > size)
        return 0;
    int best_rank = 0;
    size_t ip_off = (size_t)(ip - code_va);
    size_t first = ip_off > DW_SYSCALL_STUB_MAX ? ip_off - DW_SYSCALL_STUB_MAX : 0;
    for (size_t f = 0; f < sizeof stub_forms / sizeof stub_forms[0]; f++) {
        const stub_form *form = &stub_forms[f];
        if (bits && form->bits != bits)
            continue;
        for (size_t start = first; start <= ip_off; start++) {
            uint32_t ssn = 0;
            int has_ssn;
            size_t len = match_form(form, code + start, size - start, &ssn, &has_ssn);
            if (len == 0 || start + len < ip_off)
                continue;
            dw_syscall_stub s;
            fill_match(form, code_va + start, ip, ssn, has_ssn, &s);
            int rank = ip_rank(&s, ip, code_va + start + len);
            if (rank > best_rank) {
                best_rank = rank;
                *out = s;
            }
        }
    }
    return best_rank > 0;
}
