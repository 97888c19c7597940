/* Instruction-level analysis: call-before-return, prologue / epilogue rules,
 * function-start back-scan, syscall stubs and the SSN table. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "analysis/ssn_table.h"
#include "analysis/syscall_stub.h"
#include "corpus.h"
#include "dumpwalk/dumpwalk.h"
#include "unwind/insn.h"
#include "unwind/prologue.h"

static dw_disasm x64, x86;

static void open_disasm(void)
{
    ck_assert_int_eq(dw_disasm_open(&x64, 64), DW_OK);
    ck_assert_int_eq(dw_disasm_open(&x86, 32), DW_OK);
}

static void close_disasm(void)
{
    dw_disasm_close(&x64);
    dw_disasm_close(&x86);
}

/* ---- call before return ---- */

typedef struct call_case {
    int bits;
    uint8_t len;
    uint8_t bytes[8];
    dw_call_kind kind;
    const char *reason;
} call_case;

static const call_case call_cases[] = {
    {64, 5, {0xE8, 0x10, 0x00, 0x00, 0x00}, DW_CALL_DIRECT, "call E8"},
    {64, 2, {0xFF, 0xD0}, DW_CALL_INDIRECT, "call FF/2 reg"},       /* call rax */
    {64, 3, {0x41, 0xFF, 0xD3}, DW_CALL_INDIRECT, "call FF/2 reg"}, /* call r11 */
    {64, 3, {0x3E, 0xFF, 0xD0}, DW_CALL_INDIRECT, "call FF/2 reg"}, /* notrack */
    {64, 6, {0xFF, 0x15, 0x12, 0x34, 0x00, 0x00}, DW_CALL_INDIRECT, "call FF/2 mem"},
    {64, 7, {0x48, 0xFF, 0x15, 0x12, 0x34, 0x00, 0x00}, DW_CALL_INDIRECT, "call FF/2 mem"},
    {64, 3, {0xFF, 0x55, 0x08}, DW_CALL_INDIRECT, "call FF/2 mem"},       /* [rbp+8] */
    {64, 3, {0xFF, 0x14, 0x24}, DW_CALL_INDIRECT, "call FF/2 mem"},       /* [rsp] */
    {64, 3, {0xFF, 0x50, 0x10}, DW_CALL_INDIRECT, "call FF/2 mem"},       /* [rax+16] */
    {64, 4, {0x41, 0xFF, 0x52, 0x08}, DW_CALL_INDIRECT, "call FF/2 mem"}, /* [r10+8] */
    {64, 4, {0xFF, 0x54, 0x24, 0x20}, DW_CALL_INDIRECT, "call FF/2 mem"}, /* [rsp+32] */
    {64, 6, {0xFF, 0x90, 0x00, 0x01, 0x00, 0x00}, DW_CALL_INDIRECT, "call FF/2 mem"},
    {64, 7, {0xFF, 0x94, 0xC1, 0x78, 0x56, 0x34, 0x12}, DW_CALL_INDIRECT, "call FF/2 mem"},
    {64, 8, {0x41, 0xFF, 0x94, 0xC1, 0x78, 0x56, 0x34, 0x12}, DW_CALL_INDIRECT, "call FF/2 mem"},
    {32, 5, {0xE8, 0xF0, 0xFF, 0xFF, 0xFF}, DW_CALL_DIRECT, "call E8"},
    {32, 6, {0xFF, 0x15, 0x00, 0x10, 0x40, 0x00}, DW_CALL_INDIRECT, "call FF/2 mem"}, /* [abs] */
    {32, 2, {0xFF, 0xD6}, DW_CALL_INDIRECT, "call FF/2 reg"},                         /* call esi */
    {32, 2, {0xFF, 0x12}, DW_CALL_INDIRECT, "call FF/2 mem"}, /* call [edx] */
    {32, 3, {0xFF, 0x55, 0x08}, DW_CALL_INDIRECT, "call FF/2 mem"},
    {32, 7, {0xFF, 0x14, 0x85, 0x00, 0x20, 0x40, 0x00}, DW_CALL_INDIRECT, "call FF/2 mem"},
    {32, 7, {0x64, 0xFF, 0x15, 0xC0, 0x00, 0x00, 0x00}, DW_CALL_INDIRECT, "call FF/2 mem"},
};

/* Place `bytes` so that they end at the return address, after `filler`. */
static void make_window(uint8_t window[8], const uint8_t *bytes, size_t len, uint8_t filler)
{
    memset(window, filler, 8);
    memcpy(window + 8 - len, bytes, len);
}

START_TEST(call_before_accepts_real_encodings)
{
    const call_case *c = &call_cases[_i];
    dw_disasm *d = c->bits == 64 ? &x64 : &x86;
    const uint64_t ret = c->bits == 64 ? 0x140001020 : 0x401020;
    const uint8_t fillers[] = {0x90, 0xCC, 0x00};
    for (size_t f = 0; f < sizeof fillers; f++) {
        uint8_t w[8];
        make_window(w, c->bytes, c->len, fillers[f]);
        dw_call_site site;
        ck_assert_msg(dw_call_before(d, w, sizeof w, ret, &site), "case %d filler %02x", _i,
                      fillers[f]);
        ck_assert_int_eq(site.kind, c->kind);
        ck_assert_uint_eq(site.length, c->len);
        ck_assert_uint_eq(site.address, ret - c->len);
        ck_assert_str_eq(site.reason, c->reason);
        ck_assert_int_eq(site.has_target, c->kind == DW_CALL_DIRECT);
    }
}
END_TEST

START_TEST(call_before_reports_direct_targets)
{
    open_disasm();
    uint8_t fwd[] = {0x90, 0x90, 0x90, 0xE8, 0x10, 0x00, 0x00, 0x00};
    dw_call_site s;
    ck_assert(dw_call_before(&x64, fwd, sizeof fwd, 0x140001005, &s));
    ck_assert_uint_eq(s.target, 0x140001015);
    uint8_t back[] = {0x90, 0x90, 0x90, 0xE8, 0xF0, 0xFF, 0xFF, 0xFF};
    ck_assert(dw_call_before(&x86, back, sizeof back, 0x401005, &s));
    ck_assert_uint_eq(s.target, 0x400FF5);
    /* x86 targets wrap at 4 GiB. */
    uint8_t wrap[] = {0x90, 0x90, 0x90, 0xE8, 0x00, 0x00, 0x00, 0x80};
    ck_assert(dw_call_before(&x86, wrap, sizeof wrap, 0x90000000, &s));
    ck_assert_uint_eq(s.target, 0x10000000);
    close_disasm();
}
END_TEST

START_TEST(call_before_rejects_non_calls)
{
    open_disasm();
    dw_call_site s;
    /* E8 rel32 ending one byte before R: the boundary is off by one. */
    uint8_t off_by_one[] = {0x90, 0x90, 0xE8, 0x10, 0x00, 0x00, 0x00, 0x90};
    ck_assert(!dw_call_before(&x64, off_by_one, 8, 0x140001000, &s));
    ck_assert_int_eq(s.kind, DW_CALL_NONE);
    /* E8 whose rel32 would run past R. */
    uint8_t past[] = {0x90, 0x90, 0x90, 0x90, 0xE8, 0x10, 0x00, 0x00};
    ck_assert(!dw_call_before(&x64, past, 8, 0x140001000, &s));
    /* FF /4 jmp rax, jmp [rip+x]; FF /6 push [rbp+8]; FF /3 far call. */
    uint8_t jmp_reg[] = {0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xFF, 0xE0};
    ck_assert(!dw_call_before(&x64, jmp_reg, 8, 0x140001000, &s));
    uint8_t jmp_mem[] = {0x90, 0x90, 0xFF, 0x25, 0x10, 0x00, 0x00, 0x00};
    ck_assert(!dw_call_before(&x64, jmp_mem, 8, 0x140001000, &s));
    uint8_t push_mem[] = {0x90, 0x90, 0x90, 0x90, 0x90, 0xFF, 0x75, 0x08};
    ck_assert(!dw_call_before(&x86, push_mem, 8, 0x401000, &s));
    uint8_t far_call[] = {0x90, 0x90, 0xFF, 0x1D, 0x00, 0x10, 0x40, 0x00};
    ck_assert(!dw_call_before(&x86, far_call, 8, 0x401000, &s));
    /* Ordinary code. */
    uint8_t plain[] = {0x48, 0x89, 0x5C, 0x24, 0x08, 0x57, 0x90, 0xC3};
    ck_assert(!dw_call_before(&x64, plain, 8, 0x140001000, &s));
    close_disasm();
}
END_TEST

START_TEST(call_before_handles_partial_memory)
{
    open_disasm();
    dw_call_site s;
    const uint8_t call_rbp[] = {0xFF, 0x55, 0x08};
    ck_assert(dw_call_before(&x64, call_rbp, 3, 0x140001000, &s));
    ck_assert_uint_eq(s.length, 3);
    /* Only the last two bytes of `call [rip+x]` were captured. */
    const uint8_t tail[] = {0x00, 0x00};
    ck_assert(!dw_call_before(&x64, tail, 2, 0x140001000, &s));
    ck_assert(!dw_call_before(&x64, call_rbp, 1, 0x140001000, &s));
    ck_assert(!dw_call_before(&x64, call_rbp, 0, 0x140001000, &s));
    /* More than 8 bytes given: only the last 8 matter. */
    uint8_t long_window[12] = {0xE8, 0, 0, 0, 0, 0x90, 0x90, 0x90, 0x90, 0x90, 0xFF, 0xD0};
    ck_assert(dw_call_before(&x64, long_window, 12, 0x140001000, &s));
    ck_assert_uint_eq(s.length, 2);
    /* A return address too close to 0 to hold a call. */
    ck_assert(!dw_call_before(&x64, call_rbp, 3, 2, &s));
    close_disasm();
}
END_TEST

START_TEST(call_before_ignores_illegal_prefixes)
{
    open_disasm();
    dw_call_site s;
    /* LOCK on a call is #UD: the real call is the 2-byte one after it. */
    uint8_t locked[] = {0x90, 0x90, 0x90, 0x90, 0x90, 0xF0, 0xFF, 0xD0};
    ck_assert(dw_call_before(&x64, locked, 8, 0x140001000, &s));
    ck_assert_uint_eq(s.length, 2);
    /* The MPX bnd prefix is legal and belongs to the call. */
    uint8_t bnd[] = {0x90, 0x90, 0x90, 0x90, 0x90, 0xF2, 0xFF, 0xD0};
    ck_assert(dw_call_before(&x64, bnd, 8, 0x140001000, &s));
    ck_assert_uint_eq(s.length, 3);
    close_disasm();
}
END_TEST

/* ---- prologue ---- */

static int saved_at(const dw_frame_rule *r, int reg, int32_t *off)
{
    for (unsigned i = 0; i < r->saved_count; i++)
        if (r->saved[i].reg == reg) {
            *off = r->saved[i].cfa_offset;
            return 1;
        }
    return 0;
}

static void expect_saved(const dw_frame_rule *r, int reg, int32_t want)
{
    int32_t off;
    ck_assert_msg(saved_at(r, reg, &off), "register %d not saved", reg);
    ck_assert_int_eq(off, want);
}

/* MSVC x64: home-space saves, a push, a fixed allocation. */
static const uint8_t msvc_x64[] = {
    0x48, 0x89, 0x5C, 0x24, 0x08, /* 00 mov [rsp+8], rbx */
    0x48, 0x89, 0x74, 0x24, 0x10, /* 05 mov [rsp+16], rsi */
    0x48, 0x89, 0x4C, 0x24, 0x18, /* 0a mov [rsp+24], rcx (argument home) */
    0x57,                         /* 0f push rdi */
    0x48, 0x83, 0xEC, 0x20,       /* 10 sub rsp, 32 */
    0x48, 0x8B, 0xF9,             /* 14 mov rdi, rcx (body) */
    0x33, 0xC0,                   /* 17 xor eax, eax */
};

START_TEST(prologue_x64_msvc_at_each_ip)
{
    open_disasm();
    const uint64_t f = 0x140001000;
    dw_frame_rule r;
    ck_assert_int_eq(dw_prologue_analyze(&x64, msvc_x64, sizeof msvc_x64, f, f, &r), DW_OK);
    ck_assert(r.reached_ip);
    ck_assert_int_eq(r.base, DW_CFA_SP);
    ck_assert_int_eq(r.cfa_offset, 8);
    ck_assert_int_eq(r.ra_offset, -8);
    ck_assert_uint_eq(r.saved_count, 0);

    dw_prologue_analyze(&x64, msvc_x64, sizeof msvc_x64, f, f + 0x0f, &r);
    ck_assert(r.reached_ip);
    ck_assert_int_eq(r.cfa_offset, 8);
    ck_assert_uint_eq(r.saved_count, 2); /* rcx's home store is not a save */
    expect_saved(&r, DW_AMD64_RBX, 0);
    expect_saved(&r, DW_AMD64_RSI, 8);

    dw_prologue_analyze(&x64, msvc_x64, sizeof msvc_x64, f, f + 0x10, &r);
    ck_assert_int_eq(r.cfa_offset, 16);
    expect_saved(&r, DW_AMD64_RDI, -16);

    dw_prologue_analyze(&x64, msvc_x64, sizeof msvc_x64, f, f + 0x14, &r);
    ck_assert(r.reached_ip);
    ck_assert_int_eq(r.cfa_offset, 48);

    /* An IP in the body: the rule of the finished prologue, not exact. */
    dw_prologue_analyze(&x64, msvc_x64, sizeof msvc_x64, f, f + 0x19, &r);
    ck_assert(!r.reached_ip);
    ck_assert_uint_eq(r.analyzed_to, f + 0x14);
    ck_assert_str_eq(r.stop_reason, "not a prologue instruction");
    ck_assert_int_eq(r.base, DW_CFA_SP);
    ck_assert_int_eq(r.cfa_offset, 48);
    ck_assert_uint_eq(r.insn_count, 5);

    /* An IP in the middle of an instruction, and code that stops short. */
    dw_prologue_analyze(&x64, msvc_x64, sizeof msvc_x64, f, f + 2, &r);
    ck_assert(!r.reached_ip);
    ck_assert_str_eq(r.stop_reason, "ip is inside an instruction");
    dw_prologue_analyze(&x64, msvc_x64, 12, f, f + 0x14, &r);
    ck_assert(!r.reached_ip);
    ck_assert_uint_eq(r.analyzed_to, f + 0x0a);
    ck_assert_int_eq(dw_prologue_analyze(&x64, msvc_x64, sizeof msvc_x64, f, f - 1, &r),
                     DW_ERR_INVALID_ARG);
    close_disasm();
}
END_TEST

/* GCC/clang x64 with a frame pointer and CET. */
static const uint8_t fp_x64[] = {
    0xF3, 0x0F, 0x1E, 0xFA, /* 00 endbr64 */
    0x55,                   /* 04 push rbp */
    0x48, 0x89, 0xE5,       /* 05 mov rbp, rsp */
    0x41, 0x57,             /* 08 push r15 */
    0x53,                   /* 0a push rbx */
    0x48, 0x83, 0xEC, 0x10, /* 0b sub rsp, 16 */
    0x31, 0xC0,             /* 0f xor eax, eax */
};

START_TEST(prologue_x64_frame_pointer)
{
    open_disasm();
    const uint64_t f = 0x401000;
    dw_frame_rule r;
    dw_prologue_analyze(&x64, fp_x64, sizeof fp_x64, f, f + 4, &r);
    ck_assert_int_eq(r.base, DW_CFA_SP);
    ck_assert_int_eq(r.cfa_offset, 8);
    dw_prologue_analyze(&x64, fp_x64, sizeof fp_x64, f, f + 5, &r);
    ck_assert_int_eq(r.cfa_offset, 16);
    expect_saved(&r, DW_AMD64_RBP, -16);
    dw_prologue_analyze(&x64, fp_x64, sizeof fp_x64, f, f + 8, &r);
    ck_assert(r.frame_pointer);
    ck_assert_int_eq(r.base, DW_CFA_FP);
    ck_assert_int_eq(r.cfa_offset, 16);
    dw_prologue_analyze(&x64, fp_x64, sizeof fp_x64, f, f + 0x40, &r);
    ck_assert(!r.reached_ip);
    ck_assert_int_eq(r.base, DW_CFA_FP);
    ck_assert_int_eq(r.cfa_offset, 16);
    expect_saved(&r, DW_AMD64_R15, -24);
    expect_saved(&r, DW_AMD64_RBX, -32);
    close_disasm();
}
END_TEST

/* x64 __chkstk: the helper probes; the caller then subtracts rax. */
static const uint8_t chkstk_x64[] = {
    0x40, 0x53,                   /* 00 push rbx (REX form) */
    0xB8, 0x30, 0x20, 0x00, 0x00, /* 02 mov eax, 0x2030 */
    0xE8, 0xF4, 0x0F, 0x00, 0x00, /* 07 call __chkstk */
    0x48, 0x2B, 0xE0,             /* 0c sub rsp, rax */
    0x48, 0x8B, 0xD9,             /* 0f mov rbx, rcx */
};

START_TEST(prologue_x64_chkstk)
{
    open_disasm();
    const uint64_t f = 0x140002000;
    dw_frame_rule r;
    dw_prologue_analyze(&x64, chkstk_x64, sizeof chkstk_x64, f, f + 0x0c, &r);
    ck_assert(r.reached_ip);
    ck_assert_int_eq(r.cfa_offset, 16);
    expect_saved(&r, DW_AMD64_RBX, -16);
    dw_prologue_analyze(&x64, chkstk_x64, sizeof chkstk_x64, f, f + 0x0f, &r);
    ck_assert(r.reached_ip);
    ck_assert_int_eq(r.cfa_offset, 16 + 0x2030);
    /* A call without the `mov eax,N` before it ends the prologue. */
    dw_prologue_analyze(&x64, chkstk_x64 + 7, sizeof chkstk_x64 - 7, f, f + 5, &r);
    ck_assert(!r.reached_ip);
    ck_assert_uint_eq(r.insn_count, 0);
    close_disasm();
}
END_TEST

/* x64 MSVC large frames: mov rax,rsp then saves and the frame through rax. */
static const uint8_t alias_x64[] = {
    0x48, 0x8B, 0xC4,                         /* 00 mov rax, rsp */
    0x48, 0x89, 0x58, 0x08,                   /* 03 mov [rax+8], rbx */
    0x55,                                     /* 07 push rbp */
    0x48, 0x8D, 0x68, 0xA1,                   /* 08 lea rbp, [rax-0x5f] */
    0x48, 0x81, 0xEC, 0xB0, 0x00, 0x00, 0x00, /* 0c sub rsp, 0xb0 */
    0x0F, 0x29, 0x70, 0xE8,                   /* 13 movaps [rax-0x18], xmm6 */
    0x31, 0xC0,                               /* 17 xor eax, eax */
};

START_TEST(prologue_x64_rsp_copy_and_lea_frame)
{
    open_disasm();
    const uint64_t f = 0x140003000;
    dw_frame_rule r;
    dw_prologue_analyze(&x64, alias_x64, sizeof alias_x64, f, f + 0x17, &r);
    ck_assert(r.reached_ip);
    ck_assert_int_eq(r.base, DW_CFA_FP);
    ck_assert_int_eq(r.cfa_offset, 8 + 0x5f); /* rbp = (CFA - 8) - 0x5f */
    expect_saved(&r, DW_AMD64_RBX, 0);
    expect_saved(&r, DW_AMD64_RBP, -16);
    close_disasm();
}
END_TEST

/* x86: hot-patch point, classic frame, saves after the allocation. */
static const uint8_t hotpatch_x86[] = {
    0x8B, 0xFF,       /* 00 mov edi, edi */
    0x55,             /* 02 push ebp */
    0x8B, 0xEC,       /* 03 mov ebp, esp */
    0x83, 0xEC, 0x10, /* 05 sub esp, 16 */
    0x53,             /* 08 push ebx */
    0x56,             /* 09 push esi */
    0x8B, 0x75, 0x08, /* 0a mov esi, [ebp+8] */
};

START_TEST(prologue_x86_hotpatch_frame)
{
    open_disasm();
    const uint64_t f = 0x77001000;
    dw_frame_rule r;
    dw_prologue_analyze(&x86, hotpatch_x86, sizeof hotpatch_x86, f, f + 2, &r);
    ck_assert(r.reached_ip);
    ck_assert_int_eq(r.base, DW_CFA_SP);
    ck_assert_int_eq(r.cfa_offset, 4);
    ck_assert_int_eq(r.ra_offset, -4);
    dw_prologue_analyze(&x86, hotpatch_x86, sizeof hotpatch_x86, f, f + 3, &r);
    ck_assert_int_eq(r.cfa_offset, 8);
    expect_saved(&r, DW_X86_EBP, -8);
    dw_prologue_analyze(&x86, hotpatch_x86, sizeof hotpatch_x86, f, f + 0x0a, &r);
    ck_assert(r.reached_ip);
    ck_assert_int_eq(r.base, DW_CFA_FP);
    ck_assert_int_eq(r.cfa_offset, 8);
    expect_saved(&r, DW_X86_EBX, -28);
    expect_saved(&r, DW_X86_ESI, -32);
    close_disasm();
}
END_TEST

/* x86 __chkstk moves esp itself; x86 SEH registration through fs:[0]. */
static const uint8_t chkstk_x86[] = {
    0xB8, 0x00, 0x10, 0x00, 0x00, /* 00 mov eax, 0x1000 */
    0xE8, 0x00, 0x00, 0x00, 0x00, /* 05 call __chkstk */
    0x53,                         /* 0a push ebx */
    0x33, 0xC0,                   /* 0b xor eax, eax */
};

static const uint8_t seh_x86[] = {
    0x55,                                     /* 00 push ebp */
    0x8B, 0xEC,                               /* 01 mov ebp, esp */
    0x6A, 0xFF,                               /* 03 push -1 */
    0x68, 0x00, 0x20, 0x40, 0x00,             /* 05 push scope table */
    0x64, 0xA1, 0x00, 0x00, 0x00, 0x00,       /* 0a mov eax, fs:[0] */
    0x50,                                     /* 10 push eax */
    0x64, 0x89, 0x25, 0x00, 0x00, 0x00, 0x00, /* 11 mov fs:[0], esp */
    0x83, 0xEC, 0x08,                         /* 18 sub esp, 8 */
    0x57,                                     /* 1b push edi */
    0x8B, 0x7D, 0x08,                         /* 1c mov edi, [ebp+8] */
};

START_TEST(prologue_x86_chkstk_and_seh)
{
    open_disasm();
    dw_frame_rule r;
    dw_prologue_analyze(&x86, chkstk_x86, sizeof chkstk_x86, 0x401000, 0x40100a, &r);
    ck_assert(r.reached_ip);
    ck_assert_int_eq(r.cfa_offset, 4 + 0x1000);
    dw_prologue_analyze(&x86, chkstk_x86, sizeof chkstk_x86, 0x401000, 0x40100b, &r);
    ck_assert_int_eq(r.cfa_offset, 8 + 0x1000);
    expect_saved(&r, DW_X86_EBX, -(8 + 0x1000));

    dw_prologue_analyze(&x86, seh_x86, sizeof seh_x86, 0x402000, 0x40201c, &r);
    ck_assert(r.reached_ip);
    ck_assert_int_eq(r.base, DW_CFA_FP);
    ck_assert_int_eq(r.cfa_offset, 8);
    expect_saved(&r, DW_X86_EBP, -8);
    expect_saved(&r, DW_X86_EDI, -32); /* 8 + 4 + 4 + 4 + 8 + 4 */
    close_disasm();
}
END_TEST

/* ---- epilogue ---- */

START_TEST(epilogue_x64_forms)
{
    open_disasm();
    dw_frame_rule r;
    const uint8_t add_pops[] = {0x48, 0x83, 0xC4, 0x20, 0x5F, 0x5E, 0x5B, 0xC3};
    ck_assert(dw_epilogue_analyze(&x64, add_pops, sizeof add_pops, 0x1000, &r));
    ck_assert_int_eq(r.base, DW_CFA_SP);
    ck_assert_int_eq(r.cfa_offset, 0x40);
    ck_assert_int_eq(r.ra_offset, -8);
    expect_saved(&r, DW_AMD64_RDI, -0x20);
    expect_saved(&r, DW_AMD64_RSI, -0x18);
    expect_saved(&r, DW_AMD64_RBX, -0x10);
    /* From the second pop on. */
    ck_assert(dw_epilogue_analyze(&x64, add_pops + 5, 3, 0x1005, &r));
    ck_assert_int_eq(r.cfa_offset, 24);
    ck_assert_uint_eq(r.saved_count, 2);
    /* At the ret. */
    ck_assert(dw_epilogue_analyze(&x64, add_pops + 7, 1, 0x1007, &r));
    ck_assert_int_eq(r.cfa_offset, 8);
    ck_assert_uint_eq(r.saved_count, 0);
    /* lea rsp,[rbp+16]; pop rbp; ret */
    const uint8_t lea_fp[] = {0x48, 0x8D, 0x65, 0x10, 0x5D, 0xC3};
    ck_assert(dw_epilogue_analyze(&x64, lea_fp, sizeof lea_fp, 0x1000, &r));
    ck_assert_int_eq(r.base, DW_CFA_FP);
    ck_assert_int_eq(r.cfa_offset, 0x20);
    expect_saved(&r, DW_AMD64_RBP, -0x10);
    /* add rsp,40; jmp target: a tail call. */
    const uint8_t tail[] = {0x48, 0x83, 0xC4, 0x28, 0xE9, 0x00, 0x01, 0x00, 0x00};
    ck_assert(dw_epilogue_analyze(&x64, tail, sizeof tail, 0x1000, &r));
    ck_assert_int_eq(r.cfa_offset, 0x30);
    close_disasm();
}
END_TEST

START_TEST(epilogue_x86_forms)
{
    open_disasm();
    dw_frame_rule r;
    const uint8_t leave_ret8[] = {0xC9, 0xC2, 0x08, 0x00};
    ck_assert(dw_epilogue_analyze(&x86, leave_ret8, sizeof leave_ret8, 0x401000, &r));
    ck_assert_int_eq(r.base, DW_CFA_FP);
    ck_assert_int_eq(r.cfa_offset, 8);
    ck_assert_int_eq(r.ra_offset, -4);
    ck_assert_uint_eq(r.ret_pop, 8);
    expect_saved(&r, DW_X86_EBP, -8);
    /* pop edi; pop esi; mov esp,ebp; pop ebp; ret: the early pops are
     * relative to esp, which the frame pointer then replaces. */
    const uint8_t mixed[] = {0x5F, 0x5E, 0x8B, 0xE5, 0x5D, 0xC3};
    ck_assert(dw_epilogue_analyze(&x86, mixed, sizeof mixed, 0x401000, &r));
    ck_assert_int_eq(r.base, DW_CFA_FP);
    ck_assert_int_eq(r.cfa_offset, 8);
    ck_assert_uint_eq(r.saved_count, 1);
    expect_saved(&r, DW_X86_EBP, -8);
    close_disasm();
}
END_TEST

START_TEST(epilogue_rejects_other_code)
{
    open_disasm();
    dw_frame_rule r;
    const uint8_t mov_ret[] = {0x48, 0x8B, 0xC1, 0xC3};
    ck_assert(!dw_epilogue_analyze(&x64, mov_ret, sizeof mov_ret, 0x1000, &r));
    const uint8_t bare_jmp[] = {0xE9, 0x00, 0x01, 0x00, 0x00};
    ck_assert(!dw_epilogue_analyze(&x64, bare_jmp, sizeof bare_jmp, 0x1000, &r));
    const uint8_t pop_rsp[] = {0x5C, 0xC3};
    ck_assert(!dw_epilogue_analyze(&x64, pop_rsp, sizeof pop_rsp, 0x1000, &r));
    const uint8_t pop_then_fp[] = {0x5D, 0x48, 0x89, 0xEC, 0xC3}; /* pop rbp; mov rsp,rbp */
    ck_assert(!dw_epilogue_analyze(&x64, pop_then_fp, sizeof pop_then_fp, 0x1000, &r));
    const uint8_t truncated[] = {0x5B, 0x5E};
    ck_assert(!dw_epilogue_analyze(&x64, truncated, sizeof truncated, 0x1000, &r));
    close_disasm();
}
END_TEST

/* ---- function-start back-scan ---- */

static size_t build_two_functions(uint8_t *buf)
{
    static const uint8_t prev_tail[] = {0x48, 0x83, 0xC4, 0x28, 0xC3};
    static const uint8_t func[] = {
        0x48, 0x89, 0x5C, 0x24, 0x08,       /* mov [rsp+8], rbx */
        0x57,                               /* push rdi */
        0x48, 0x83, 0xEC, 0x20,             /* sub rsp, 32 */
        0x48, 0x8B, 0xF9,                   /* mov rdi, rcx */
        0x33, 0xC0,                         /* xor eax, eax */
        0xE8, 0x00, 0x00, 0x00, 0x00,       /* call */
        0x48, 0x8B, 0x5C, 0x24, 0x30,       /* mov rbx, [rsp+48]  <- return address */
        0x48, 0x83, 0xC4, 0x20, 0x5F, 0xC3, /* epilogue */
    };
    memset(buf, 0xCC, 0x60);
    memcpy(buf + 0x08, prev_tail, sizeof prev_tail);
    memcpy(buf + 0x20, func, sizeof func);
    return 0x60;
}

START_TEST(backscan_finds_function_after_padding)
{
    open_disasm();
    uint8_t buf[0x60];
    size_t n = build_two_functions(buf);
    const uint64_t va = 0x140001000;
    const uint64_t ip = va + 0x20 + 20; /* after the call */
    dw_func_start c[4];
    size_t got = dw_find_function_starts(&x64, buf, n, va, ip, 0, c, 4);
    ck_assert_uint_ge(got, 1);
    ck_assert_uint_eq(c[0].address, va + 0x20);
    ck_assert_str_eq(c[0].reason, "after int3 padding");
    ck_assert_int_ge(c[0].confidence, 80);
    ck_assert_uint_eq(c[0].prologue_insns, 3);
    /* The scan never looks across the padding into the previous function. */
    for (size_t i = 0; i < got; i++)
        ck_assert_uint_ge(c[i].address, va + 0x20);
    /* A lower bound above the true start leaves no prologue to find. */
    got = dw_find_function_starts(&x64, buf, n, va, ip, va + 0x21, c, 4);
    for (size_t i = 0; i < got; i++)
        ck_assert_uint_ne(c[i].address, va + 0x20);
    /* An IP that is not an instruction boundary has no start. */
    ck_assert_uint_eq(dw_find_function_starts(&x64, buf, n, va, va + 0x20 + 11, 0, c, 4), 0);
    /* An IP outside the bytes given. */
    ck_assert_uint_eq(dw_find_function_starts(&x64, buf, n, va, va + 0x100, 0, c, 4), 0);
    close_disasm();
}
END_TEST

START_TEST(backscan_x86_hotpatch)
{
    open_disasm();
    uint8_t buf[0x40];
    memset(buf, 0xCC, sizeof buf);
    buf[0x0e] = 0xC3;
    memcpy(buf + 0x10, hotpatch_x86, sizeof hotpatch_x86);
    const uint64_t va = 0x77000000;
    dw_func_start c[2];
    size_t got = dw_find_function_starts(&x86, buf, 0x10 + sizeof hotpatch_x86, va,
                                         va + 0x10 + 0x0a, 0, c, 2);
    ck_assert_uint_ge(got, 1);
    ck_assert_uint_eq(c[0].address, va + 0x10);
    ck_assert_int_ge(c[0].confidence, 90);
    close_disasm();
}
END_TEST

/* ---- syscall stubs ---- */

static size_t put_win10_x64_stub(uint8_t *p, uint32_t ssn)
{
    const uint8_t head[] = {0x4C, 0x8B, 0xD1, 0xB8};
    const uint8_t tail[] = {0xF6, 0x04, 0x25, 0x08, 0x03, 0xFE, 0x7F, 0x01, 0x75, 0x03, 0x0F, 0x05,
                            0xC3, 0xCD, 0x2E, 0xC3, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00};
    memcpy(p, head, 4);
    p[4] = (uint8_t)ssn;
    p[5] = (uint8_t)(ssn >> 8);
    p[6] = p[7] = 0;
    memcpy(p + 8, tail, sizeof tail);
    return 32;
}

START_TEST(stub_x64_win10_positions)
{
    uint8_t code[96];
    const uint64_t va = 0x7FFA12340000;
    put_win10_x64_stub(code, 0x03);
    put_win10_x64_stub(code + 32, 0x04);
    put_win10_x64_stub(code + 64, 0x05);
    dw_syscall_stub s;
    const uint64_t stub = va + 32;
    ck_assert(dw_syscall_stub_decode(code, sizeof code, va, stub + 0x14, 64, &s));
    ck_assert_str_eq(s.form, "x64-win10");
    ck_assert_uint_eq(s.ssn, 4);
    ck_assert_uint_eq(s.stub_address, stub);
    ck_assert_uint_eq(s.syscall_address, stub + 0x12);
    ck_assert(s.ip_after_syscall);
    /* After the legacy int 2e path. */
    ck_assert(dw_syscall_stub_decode(code, sizeof code, va, stub + 0x17, 0, &s));
    ck_assert_uint_eq(s.ssn, 4);
    ck_assert_uint_eq(s.syscall_address, stub + 0x15);
    ck_assert(s.ip_after_syscall);
    /* Before the syscall: inside the stub but not waiting. */
    ck_assert(dw_syscall_stub_decode(code, sizeof code, va, stub + 3, 64, &s));
    ck_assert_uint_eq(s.ssn, 4);
    ck_assert(s.ip_in_stub);
    ck_assert(!s.ip_after_syscall);
    /* At the stub's first byte: this stub, not the one before. */
    ck_assert(dw_syscall_stub_decode(code, sizeof code, va, stub, 64, &s));
    ck_assert_uint_eq(s.ssn, 4);
    /* The wrong mode finds nothing. */
    ck_assert(!dw_syscall_stub_decode(code, sizeof code, va, stub + 0x14, 32, &s));
}
END_TEST

typedef struct stub_case {
    int bits;
    uint8_t len;
    uint8_t bytes[24];
    const char *form;
    uint8_t ip_offset; /* just after the kernel-entering instruction */
    uint32_t ssn;
} stub_case;

static const stub_case stub_cases[] = {
    {64,
     11,
     {0x4C, 0x8B, 0xD1, 0xB8, 0x01, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xC3},
     "x64-win7",
     10,
     0x01},
    {32,
     15,
     {0xB8, 0x01, 0x01, 0x00, 0x00, 0xBA, 0x00, 0x03, 0xFE, 0x7F, 0xFF, 0x12, 0xC2, 0x08, 0x00},
     "x86-sharedUserData",
     12,
     0x101},
    {32,
     13,
     {0xB8, 0x0F, 0x00, 0x00, 0x00, 0xBA, 0x00, 0x03, 0xFE, 0x7F, 0xFF, 0x12, 0xC3},
     "x86-sharedUserData",
     12,
     0x0F},
    {32,
     15,
     {0xB8, 0x4F, 0x00, 0x1A, 0x00, 0xBA, 0x10, 0x90, 0x2E, 0x77, 0xFF, 0xD2, 0xC2, 0x04, 0x00},
     "x86-call-edx",
     12,
     0x1A004F},
    {32,
     13,
     {0xB8, 0x87, 0x01, 0x00, 0x00, 0xE8, 0x03, 0x00, 0x00, 0x00, 0xC2, 0x0C, 0x00},
     "x86-win8-call",
     10,
     0x187},
    {32,
     15,
     {0xB8, 0x01, 0x00, 0x00, 0x00, 0x64, 0xFF, 0x15, 0xC0, 0x00, 0x00, 0x00, 0xC2, 0x0C, 0x00},
     "wow64-fs-c0",
     12,
     0x01},
    {32,
     24,
     {0xB8, 0x01, 0x00, 0x00, 0x00, 0x33, 0xC9, 0x8D, 0x54, 0x24, 0x04, 0x64,
      0xFF, 0x15, 0xC0, 0x00, 0x00, 0x00, 0x83, 0xC4, 0x04, 0xC2, 0x0C, 0x00},
     "wow64-win7-xor-ecx",
     18,
     0x01},
    {32,
     21,
     {0xB8, 0x12, 0x00, 0x00, 0x00, 0xB9, 0x05, 0x00, 0x00, 0x00, 0x8D,
      0x54, 0x24, 0x04, 0x64, 0xFF, 0x15, 0xC0, 0x00, 0x00, 0x00},
     "wow64-win7-mov-ecx",
     21,
     0x12},
    {32,
     12,
     {0xB8, 0x01, 0x00, 0x00, 0x00, 0x8D, 0x54, 0x24, 0x04, 0xCD, 0x2E, 0xC3},
     "x86-int2e",
     11,
     0x01},
};

START_TEST(stub_each_form)
{
    const stub_case *c = &stub_cases[_i];
    uint8_t code[64];
    memset(code, 0x90, sizeof code);
    memcpy(code + 16, c->bytes, c->len);
    const uint64_t va = 0x77F00000;
    const uint64_t ip = va + 16 + c->ip_offset;
    dw_syscall_stub s;
    ck_assert_msg(dw_syscall_stub_decode(code, sizeof code, va, ip, 0, &s), "case %d", _i);
    ck_assert_str_eq(s.form, c->form);
    ck_assert_int_eq(s.bits, c->bits);
    ck_assert(s.has_ssn);
    ck_assert_uint_eq(s.ssn, c->ssn);
    ck_assert_uint_eq(s.stub_address, va + 16);
    ck_assert_uint_eq(s.syscall_address + s.syscall_length, ip);
    ck_assert(s.ip_after_syscall);
    /* The first byte of the stub: recognised, not yet waiting. */
    ck_assert(dw_syscall_stub_decode(code, sizeof code, va, va + 16, c->bits, &s));
    ck_assert_str_eq(s.form, c->form);
    ck_assert(!s.ip_after_syscall);
    /* Missing bytes: the stub cut off inside its kernel-entering instruction. */
    ck_assert(!dw_syscall_stub_decode(code + 16, c->ip_offset - 1u, va + 16, va + 16, c->bits, &s));
}
END_TEST

START_TEST(stub_kifastsystemcall)
{
    const uint8_t code[] = {0x90, 0x8B, 0xD4, 0x0F, 0x34, 0xC3, 0x90};
    dw_syscall_stub s;
    ck_assert(dw_syscall_stub_decode(code, sizeof code, 0x7C90E50F, 0x7C90E514, 32, &s));
    ck_assert_str_eq(s.form, "x86-KiFastSystemCall");
    ck_assert(!s.has_ssn);
    ck_assert(s.ip_after_syscall);
}
END_TEST

START_TEST(stub_kifastsystemcall_xp_padding)
{
    /* XP SP2 ntdll: KiFastSystemCall, 5 nops, KiFastSystemCallRet (0x7c90eb94). */
    const uint8_t code[] = {0x8B, 0xD4, 0x0F, 0x34, 0x90, 0x90, 0x90, 0x90, 0x90, 0xC3, 0x8D};
    dw_syscall_stub s;
    ck_assert(dw_syscall_stub_decode(code, sizeof code, 0x7C90EB8B, 0x7C90EB94, 32, &s));
    ck_assert_str_eq(s.form, "x86-KiFastSystemCall-xp");
    ck_assert(s.ip_after_syscall);
    ck_assert_uint_eq(s.syscall_address, 0x7C90EB8D);
}
END_TEST

START_TEST(stub_service_number_and_kernel)
{
    dw_syscall_stub s;
    /* Win10 WoW64: thunk index 0x1a in the high word, x64 service 0x4f. */
    const uint8_t wow[] = {0xB8, 0x4F, 0x00, 0x1A, 0x00, 0xBA, 0x10, 0x90,
                           0x2E, 0x77, 0xFF, 0xD2, 0xC2, 0x04, 0x00};
    ck_assert(dw_syscall_stub_decode(wow, sizeof wow, 0x1000, 0x100C, 32, &s));
    ck_assert_uint_eq(s.service, 0x4F);
    ck_assert_int_eq(s.kernel_bits, 64);
    /* The same form without a thunk index does not say which kernel. */
    const uint8_t plain[] = {0xB8, 0x4F, 0x00, 0x00, 0x00, 0xBA, 0x10,
                             0x90, 0x2E, 0x77, 0xFF, 0xD2, 0xC3};
    ck_assert(dw_syscall_stub_decode(plain, sizeof plain, 0x1000, 0x100C, 32, &s));
    ck_assert_int_eq(s.kernel_bits, 0);
    /* A win32k service from an x64 win32u stub. */
    uint8_t u[32];
    put_win10_x64_stub(u, 0x1009);
    ck_assert(dw_syscall_stub_decode(u, sizeof u, 0x1000, 0x1014, 64, &s));
    ck_assert_uint_eq(s.service, 0x1009);
    ck_assert_int_eq(s.kernel_bits, 64);
}
END_TEST

START_TEST(stub_rejects_look_alikes)
{
    dw_syscall_stub s;
    /* mov rax,rsp instead of mov r10,rcx: eax is loaded, but not a stub. */
    const uint8_t not_stub[] = {0x48, 0x8B, 0xC4, 0xB8, 0x04, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xC3};
    ck_assert(!dw_syscall_stub_decode(not_stub, sizeof not_stub, 0x1000, 0x100A, 0, &s));
    /* Ordinary code where RAX would hold 4. */
    const uint8_t plain[] = {0xB8, 0x04, 0x00, 0x00, 0x00, 0x48, 0x83, 0xC4, 0x28, 0xC3};
    ck_assert(!dw_syscall_stub_decode(plain, sizeof plain, 0x1000, 0x1005, 0, &s));
    /* An IP far from the stub. */
    uint8_t far[96];
    memset(far, 0x90, sizeof far);
    put_win10_x64_stub(far, 4);
    ck_assert(!dw_syscall_stub_decode(far, sizeof far, 0x1000, 0x1000 + 80, 64, &s));
    ck_assert(!dw_syscall_stub_decode(far, sizeof far, 0x1000, 0x0FFF, 64, &s));
    ck_assert(!dw_syscall_stub_decode(NULL, 0, 0x1000, 0x1000, 64, &s));
}
END_TEST

/* ---- SSN table ---- */

START_TEST(ssn_table_known_numbers)
{
    uint32_t ssn;
    ck_assert(dw_ssn_callback_return(64, 7601, &ssn) && ssn == 2);
    ck_assert(dw_ssn_callback_return(64, 9200, &ssn) && ssn == 3);
    ck_assert(dw_ssn_callback_return(64, 9600, &ssn) && ssn == 4);
    ck_assert(dw_ssn_callback_return(64, 19045, &ssn) && ssn == 5);
    ck_assert(dw_ssn_callback_return(64, 22631, &ssn) && ssn == 5);
    ck_assert(dw_ssn_lookup(64, 19041, "NtWaitForSingleObject", &ssn) && ssn == 4);
    ck_assert(dw_ssn_lookup(64, 7601, "NtWaitForSingleObject", &ssn) && ssn == 1);
    ck_assert(dw_ssn_lookup(64, 18363, "NtDelayExecution", &ssn) && ssn == 0x34);
    ck_assert_str_eq(dw_ssn_name(64, 17763, 0x5b), "NtWaitForMultipleObjects");
    ck_assert_ptr_null(dw_ssn_name(64, 17763, 0x7ff));
    /* Builds the sources do not cover are unknown, not guessed. */
    ck_assert(!dw_ssn_build_covered(64, 12345));
    ck_assert(!dw_ssn_lookup(64, 12345, "NtWaitForSingleObject", &ssn));
    ck_assert(!dw_ssn_lookup(64, 19041, "NtNoSuchService", &ssn));
    /* NtWaitForAlertByThreadId appeared with Windows 8. */
    ck_assert(!dw_ssn_lookup(64, 7601, "NtWaitForAlertByThreadId", &ssn));
    ck_assert(dw_ssn_lookup(64, 19041, "NtWaitForAlertByThreadId", &ssn) && ssn == 0x1d0);
    /* win32k: NtUserGetMessage moved 0x1006 -> 0x1009 (10 1507..1909) -> 0x1006 -> 0x1004 (11). */
    ck_assert_str_eq(dw_ssn_name(64, 7601, 0x1006), "NtUserGetMessage");
    ck_assert_str_eq(dw_ssn_name(64, 18363, 0x1009), "NtUserGetMessage");
    ck_assert_str_eq(dw_ssn_name(64, 19045, 0x1006), "NtUserGetMessage");
    ck_assert(dw_ssn_lookup(64, 22621, "NtUserGetMessage", &ssn) && ssn == 0x1004);
    ck_assert(!dw_ssn_lookup(64, 15063, "NtUserMsgWaitForMultipleObjectsEx", &ssn));
    ck_assert(dw_ssn_lookup(64, 17763, "NtUserMsgWaitForMultipleObjectsEx", &ssn) && ssn == 0x1446);
}
END_TEST

/* ---- corpus: the stub at every Windows thread's IP ---- */

typedef struct stub_tally {
    unsigned threads;       /* Windows threads with a context */
    unsigned code_captured; /* ... whose code around the IP is in the dump */
    unsigned waiting_x64;   /* x64 contexts resting just after `syscall` */
    unsigned rax_checked;   /* of those, on builds where RAX keeps the SSN */
    unsigned rax_matched;
    unsigned waiting_x86;      /* x86 contexts resting after the stub's kernel call */
    unsigned in_helper;        /* x86 threads resting in KiFastSystemCallRet */
    unsigned via_esp;          /* ... whose own stub, at [esp], is captured too */
    unsigned named;            /* SSN found in the SSN table for the dump's build */
    unsigned outside_stub_dll; /* stubs "found" outside ntdll/win32u/user32: false positives */
} stub_tally;

/* Code bytes [ip-32, ip+16) as far as captured; the IP must lie inside. */
static size_t code_around(dw_dump *d, uint64_t ip, uint8_t *buf, uint64_t *va)
{
    size_t got = 0;
    *va = ip - 32;
    dw_memory_read(d, *va, buf, 48, &got);
    return got >= 32 ? got : 0;
}

static int in_stub_dll(dw_dump *d, uint64_t ip)
{
    const dw_module *m = dw_dump_module_at(d, ip);
    return m && (!strcasecmp(m->name, "ntdll.dll") || !strcasecmp(m->name, "win32u.dll") ||
                 !strcasecmp(m->name, "user32.dll"));
}

/* x86 threads parked in the shared KiFastSystemCall helper: the service's own
 * stub is where the helper returns to, at [esp]. */
static int stub_via_esp(dw_dump *d, const dw_context *c, dw_syscall_stub *s)
{
    uint32_t ret;
    uint8_t buf[48];
    uint64_t va;
    if (dw_memory_read_u32(d, c->regs[DW_X86_ESP], &ret) != DW_OK)
        return 0;
    size_t got = code_around(d, ret, buf, &va);
    return got && dw_syscall_stub_decode(buf, got, va, ret, 32, s) && s->has_ssn &&
           s->ip_after_syscall;
}

static void tally_thread(dw_dump *d, const dw_system_info *si, const dw_context *c, stub_tally *t)
{
    uint64_t ip = dw_context_ip(c), va;
    uint8_t buf[48];
    int bits = c->arch == DW_ARCH_AMD64 ? 64 : 32;
    t->threads++;
    size_t got = code_around(d, ip, buf, &va);
    if (!got)
        return;
    t->code_captured++;
    dw_syscall_stub s;
    if (!dw_syscall_stub_decode(buf, got, va, ip, bits, &s))
        return;
    if (!in_stub_dll(d, ip))
        t->outside_stub_dll++;
    if (!s.has_ssn && s.ip_after_syscall) {
        t->in_helper++;
        if (!stub_via_esp(d, c, &s))
            return;
        t->via_esp++;
    } else if (!s.ip_after_syscall || !s.has_ssn) {
        return;
    }
    if (bits == 64) {
        t->waiting_x64++;
        /* Windows 10 1709 and later leave the SSN in RAX of a blocked thread;
         * 1607 and Windows 7 in this corpus do not. */
        if (si->build_number >= 16299) {
            t->rax_checked++;
            t->rax_matched += c->regs[DW_AMD64_RAX] == s.ssn;
        }
    } else {
        t->waiting_x86++;
    }
    int table_bits = s.kernel_bits ? s.kernel_bits : bits;
    t->named += dw_ssn_name(table_bits, si->build_number, s.service) != NULL;
}

static void tally_dump(const char *path, stub_tally *t)
{
    dw_dump *d;
    if (dw_dump_open(path, NULL, &d, NULL) != DW_OK)
        return;
    const dw_system_info *si;
    const dw_thread *threads;
    size_t n;
    if (dw_dump_system_info(d, &si) == DW_OK && si->platform_id == DW_PLATFORM_WIN32_NT &&
        dw_dump_threads(d, &threads, &n) == DW_OK) {
        for (size_t i = 0; i < n; i++) {
            dw_context c;
            if (dw_thread_context(d, &threads[i], &c) == DW_OK &&
                (c.arch == DW_ARCH_AMD64 || c.arch == DW_ARCH_X86))
                tally_thread(d, si, &c, t);
        }
    }
    dw_dump_close(d);
}

START_TEST(corpus_thread_ips_sit_in_syscall_stubs)
{
    const char *const *paths;
    size_t count = corpus_dumps(&paths);
    if (count == 0)
        return; /* corpus absent */
    stub_tally t = {0};
    for (size_t i = 0; i < count; i++)
        tally_dump(corpus_abs(paths[i]), &t);
    printf("insn corpus: %u Windows threads, %u with code at IP; waiting in a stub: %u x64 "
           "(RAX == SSN %u/%u on build >= 16299), %u x86; %u in KiFastSystemCallRet (%u resolved "
           "via [esp]); %u SSNs named\n",
           t.threads, t.code_captured, t.waiting_x64, t.rax_matched, t.rax_checked, t.waiting_x86,
           t.in_helper, t.via_esp, t.named);
    /* Measured on the shared corpus: 371 x64 threads wait in a stub, every one
     * of the 352 on 1709+ with RAX equal to the stub's SSN; 94 x86/WoW64 threads
     * rest after their stub's call and 13 XP threads in KiFastSystemCallRet (those
     * dumps hold only 256 bytes around each IP, so the callers' stubs are absent). */
    ck_assert_uint_ge(t.waiting_x64, 371);
    ck_assert_uint_eq(t.rax_matched, t.rax_checked);
    ck_assert_uint_ge(t.rax_checked, 352);
    ck_assert_uint_ge(t.waiting_x86, 94);
    ck_assert_uint_ge(t.in_helper, 13);
    ck_assert_uint_eq(t.outside_stub_dll, 0);
}
END_TEST

Suite *insn_suite(void)
{
    Suite *s = suite_create("insn");
    TCase *call = tcase_create("call_before");
    tcase_add_checked_fixture(call, open_disasm, close_disasm);
    tcase_add_loop_test(call, call_before_accepts_real_encodings, 0,
                        (int)(sizeof call_cases / sizeof call_cases[0]));
    suite_add_tcase(s, call);
    TCase *tc = tcase_create("insn");
    tcase_add_test(tc, call_before_reports_direct_targets);
    tcase_add_test(tc, call_before_rejects_non_calls);
    tcase_add_test(tc, call_before_handles_partial_memory);
    tcase_add_test(tc, call_before_ignores_illegal_prefixes);
    tcase_add_test(tc, prologue_x64_msvc_at_each_ip);
    tcase_add_test(tc, prologue_x64_frame_pointer);
    tcase_add_test(tc, prologue_x64_chkstk);
    tcase_add_test(tc, prologue_x64_rsp_copy_and_lea_frame);
    tcase_add_test(tc, prologue_x86_hotpatch_frame);
    tcase_add_test(tc, prologue_x86_chkstk_and_seh);
    tcase_add_test(tc, epilogue_x64_forms);
    tcase_add_test(tc, epilogue_x86_forms);
    tcase_add_test(tc, epilogue_rejects_other_code);
    tcase_add_test(tc, backscan_finds_function_after_padding);
    tcase_add_test(tc, backscan_x86_hotpatch);
    tcase_add_test(tc, stub_x64_win10_positions);
    tcase_add_loop_test(tc, stub_each_form, 0, (int)(sizeof stub_cases / sizeof stub_cases[0]));
    tcase_add_test(tc, stub_kifastsystemcall);
    tcase_add_test(tc, stub_kifastsystemcall_xp_padding);
    tcase_add_test(tc, stub_service_number_and_kernel);
    tcase_add_test(tc, stub_rejects_look_alikes);
    tcase_add_test(tc, ssn_table_known_numbers);
    suite_add_tcase(s, tc);
    TCase *corpus = tcase_create("corpus");
    tcase_add_test(corpus, corpus_thread_ips_sit_in_syscall_stubs);
    suite_add_tcase(s, corpus);
    return s;
}
