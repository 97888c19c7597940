/* The unwind rules beyond .pdata: Breakpad STACK CFI (x86, x64), STACK WIN
 * (FrameData programs, FPO with and without a base pointer), prologue and
 * epilogue analysis (with a back-scanned function start), and the scan's
 * rejection of a stale return address.  Each synthetic dump states its own
 * ground truth; the real dumps are checked against Breakpad's output. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "corpus.h"
#include "dumpwalk/dumpwalk.h"
#include "mdwriter.h"
#include "test_util.h"

#define MOD_BASE 0x10000000ull
#define MOD_SIZE 0x10000u
#define STACK_VA 0x200000ull
#define STACK_LEN 0x1000u
/* GUID of 0x11 bytes, age 1: the module's Breakpad debug id. */
#define SYNTH_ID "111111111111111111111111111111111"
#define MAX_FRAMES 16

/* ---- building and walking synthetic dumps ---- */

typedef struct synth {
    mdw *w;
    int x86;
    uint8_t stack[STACK_LEN];
    mdw_regs regs;
} synth;

static void synth_init(synth *s, int x86)
{
    memset(s, 0, sizeof *s);
    s->w = mdw_new();
    s->x86 = x86;
    mdw_system_info(s->w, x86 ? 0 : 9, 10, 0, 19045, 2, NULL);
    uint8_t guid[16];
    memset(guid, 0x11, sizeof guid);
    mdw_add_module(s->w, MOD_BASE, MOD_SIZE, "C:\\t\\synth.dll", 0x5f000000, "synth.pdb", guid, 1,
                   0);
}

/* Captured code at a module offset. */
static void synth_code(synth *s, uint32_t rva, const void *bytes, size_t len)
{
    mdw_add_memory(s->w, MOD_BASE + rva, bytes, len);
}

static void put_word(synth *s, uint32_t off, uint64_t v)
{
    unsigned n = s->x86 ? 4 : 8;
    for (unsigned i = 0; i < n; i++)
        s->stack[off + i] = (uint8_t)(v >> (8 * i));
}

/* A directory holding synth.pdb/<id>/synth.sym with the given text. */
static const char *write_sym(const char *name, const char *text)
{
    static char dir[512];
    char path[640];
    snprintf(dir, sizeof dir, "%s/%s", dw_test_tmpdir(), name);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/synth.pdb", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/synth.pdb/%s", dir, SYNTH_ID);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/synth.pdb/%s/synth.sym", dir, SYNTH_ID);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return dir;
}

typedef struct walk_result {
    size_t count;
    dw_frame frames[MAX_FRAMES];
} walk_result;

/* Finish the dump (one thread, the stack at STACK_VA) and walk it. */
static void synth_walk(synth *s, const char *symdir, walk_result *out)
{
    uint32_t ctx_size = 0;
    uint32_t ctx = s->x86 ? mdw_context_x86(s->w, &s->regs, 0x10007, &ctx_size)
                          : mdw_context_amd64(s->w, &s->regs, 0x10000b, &ctx_size);
    mdw_add_thread(s->w, 1, 0, STACK_VA, s->stack, sizeof s->stack, ctx, ctx_size);
    mdw_add_memory(s->w, STACK_VA, s->stack, sizeof s->stack);
    dw_test_dump td = dw_test_open_writer(s->w);
    dw_dump *d = td.dump;
    dw_symbols *syms = NULL;
    dw_walk_options o = DW_WALK_OPTIONS_INIT;
    if (symdir) {
        ck_assert_int_eq(dw_symbols_new(&syms), DW_OK);
        ck_assert_int_eq(dw_symbols_add_dir(syms, symdir), DW_OK);
        o.symbols = syms;
    }
    o.max_frames = MAX_FRAMES;
    dw_walker *w;
    ck_assert_int_eq(dw_walker_new(d, &o, &w), DW_OK);
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(d, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(dw_walker_start(w, &t[0]), DW_OK);
    out->count = 0;
    while (out->count < MAX_FRAMES && dw_walker_next(w, &out->frames[out->count]) == DW_OK)
        out->count++;
    /* Symbol strings point into the store: keep only what the tests read. */
    for (size_t i = 0; i < out->count; i++) {
        out->frames[i].function.ptr = NULL;
        out->frames[i].file.ptr = NULL;
        out->frames[i].module = NULL;
        out->frames[i].inline_count = 0;
    }
    dw_walker_free(w);
    if (syms)
        dw_symbols_free(syms);
    dw_test_close(&td);
}

static void assert_frame(const walk_result *r, size_t i, uint64_t ip, uint64_t sp, dw_trust trust,
                         const char *reason)
{
    ck_assert_uint_gt(r->count, i);
    const dw_frame *f = &r->frames[i];
    ck_assert_uint_eq(f->ip, ip);
    ck_assert_uint_eq(f->sp, sp);
    ck_assert_str_eq(dw_trust_name(f->trust), dw_trust_name(trust));
    ck_assert_str_eq(f->reason, reason);
}

static uint64_t reg(const walk_result *r, size_t i, unsigned index)
{
    ck_assert(dw_context_has(&r->frames[i].context, index));
    return r->frames[i].context.regs[index];
}

/* ---- STACK CFI ---- */

START_TEST(cfi_x64_init_and_delta)
{
    synth s;
    synth_init(&s, 0);
    const char *dir = write_sym("cfi64", "MODULE windows x86_64 " SYNTH_ID " synth.pdb\n"
                                         "FUNC 1000 100 0 callee\n"
                                         "FUNC 2000 100 0 caller\n"
                                         "STACK CFI INIT 1000 100 .cfa: $rsp 8 + .ra: .cfa 8 - ^\n"
                                         "STACK CFI 1004 .cfa: $rsp 16 + $rbx: .cfa 16 - ^\n");
    s.regs.r[DW_AMD64_RIP] = MOD_BASE + 0x1010;
    s.regs.r[DW_AMD64_RSP] = STACK_VA + 0x100;
    s.regs.r[DW_AMD64_RBX] = 0x5555;
    s.regs.r[DW_AMD64_R12] = 0x1212;
    put_word(&s, 0x100, 0xb0b0);
    put_word(&s, 0x108, MOD_BASE + 0x2020);
    walk_result r;
    synth_walk(&s, dir, &r);
    assert_frame(&r, 1, MOD_BASE + 0x2020, STACK_VA + 0x110, DW_TRUST_CFI, "cfi");
    ck_assert_uint_eq(reg(&r, 1, DW_AMD64_RBX), 0xb0b0); /* from the delta rule */
    ck_assert_uint_eq(reg(&r, 1, DW_AMD64_R12), 0x1212); /* callee-saved, no rule: kept */
    ck_assert(!dw_context_has(&r.frames[1].context, DW_AMD64_RAX));
}
END_TEST

START_TEST(cfi_x86_restores_ebp)
{
    synth s;
    synth_init(&s, 1);
    const char *dir = write_sym("cfi86", "MODULE windows x86 " SYNTH_ID " synth.pdb\n"
                                         "FUNC 1000 100 0 callee\n"
                                         "FUNC 2000 100 0 caller\n"
                                         "STACK CFI INIT 1000 100 .cfa: $esp 4 + .ra: .cfa 4 - ^\n"
                                         "STACK CFI 1001 .cfa: $esp 8 + $ebp: .cfa 8 - ^\n");
    s.regs.r[DW_X86_EIP] = MOD_BASE + 0x1010;
    s.regs.r[DW_X86_ESP] = STACK_VA + 0x100;
    s.regs.r[DW_X86_EBP] = 0x7777;
    put_word(&s, 0x100, STACK_VA + 0x400);
    put_word(&s, 0x104, MOD_BASE + 0x2020);
    walk_result r;
    synth_walk(&s, dir, &r);
    assert_frame(&r, 1, MOD_BASE + 0x2020, STACK_VA + 0x108, DW_TRUST_CFI, "cfi");
    ck_assert_uint_eq(reg(&r, 1, DW_X86_EBP), STACK_VA + 0x400);
}
END_TEST

/* ---- STACK WIN ---- */

static const char *win_sym(const char *name, const char *records)
{
    static char text[2048];
    snprintf(text, sizeof text,
             "MODULE windows x86 " SYNTH_ID " synth.pdb\n"
             "FUNC 1000 100 0 callee\nFUNC 2000 100 0 caller\nFUNC 3000 100 0 outer\n%s",
             records);
    return write_sym(name, text);
}

START_TEST(win_framedata_program)
{
    synth s;
    synth_init(&s, 1);
    const char *dir = win_sym("framedata", "STACK WIN 4 1000 100 4 0 8 0 0 0 1 $T0 $ebp = $eip $T0 "
                                           "4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =\n");
    s.regs.r[DW_X86_EIP] = MOD_BASE + 0x1010;
    s.regs.r[DW_X86_ESP] = STACK_VA + 0x100;
    s.regs.r[DW_X86_EBP] = STACK_VA + 0x140;
    put_word(&s, 0x140, STACK_VA + 0x180);
    put_word(&s, 0x144, MOD_BASE + 0x2020);
    walk_result r;
    synth_walk(&s, dir, &r);
    assert_frame(&r, 1, MOD_BASE + 0x2020, STACK_VA + 0x148, DW_TRUST_CFI, "win:framedata");
    ck_assert_uint_eq(reg(&r, 1, DW_X86_EBP), STACK_VA + 0x180);
}
END_TEST

/* FPO without a base pointer: the return address lies above the callee's
 * locals and saved registers, and for the next frame also above the
 * arguments frame 0's function took (its parameter size). */
START_TEST(win_fpo_without_base_pointer)
{
    synth s;
    synth_init(&s, 1);
    const char *dir = win_sym("fpo", "STACK WIN 0 1000 100 0 0 10 4 c 0 0 0\n"
                                     "STACK WIN 0 2000 100 0 0 0 0 0 0 0 0\n");
    s.regs.r[DW_X86_EIP] = MOD_BASE + 0x1010;
    s.regs.r[DW_X86_ESP] = STACK_VA + 0x100;
    s.regs.r[DW_X86_EBP] = 0x4242;
    put_word(&s, 0x110, MOD_BASE + 0x2020); /* esp + locals 0xc + saved 4 */
    put_word(&s, 0x124, MOD_BASE + 0x3030); /* caller esp 0x114 + frame 0's params 0x10 */
    walk_result r;
    synth_walk(&s, dir, &r);
    assert_frame(&r, 1, MOD_BASE + 0x2020, STACK_VA + 0x114, DW_TRUST_CFI, "win:fpo");
    ck_assert_uint_eq(reg(&r, 1, DW_X86_EBP), 0x4242); /* never touched */
    assert_frame(&r, 2, MOD_BASE + 0x3030, STACK_VA + 0x128, DW_TRUST_CFI, "win:fpo");
}
END_TEST

START_TEST(win_fpo_with_base_pointer)
{
    synth s;
    synth_init(&s, 1);
    const char *dir = win_sym("fpobp", "STACK WIN 0 1000 100 0 0 0 8 4 0 0 1\n");
    s.regs.r[DW_X86_EIP] = MOD_BASE + 0x1010;
    s.regs.r[DW_X86_ESP] = STACK_VA + 0x100;
    s.regs.r[DW_X86_EBP] = 0x4242;          /* used as a general register by the function */
    put_word(&s, 0x100, STACK_VA + 0x300);  /* saved ebp: esp + saved 8 - 8 */
    put_word(&s, 0x10c, MOD_BASE + 0x2020); /* esp + locals 4 + saved 8 */
    walk_result r;
    synth_walk(&s, dir, &r);
    assert_frame(&r, 1, MOD_BASE + 0x2020, STACK_VA + 0x110, DW_TRUST_CFI, "win:fpo");
    ck_assert_uint_eq(reg(&r, 1, DW_X86_EBP), STACK_VA + 0x300);
}
END_TEST

/* ---- prologue / epilogue ---- */

/* push rbp; push rbx; sub rsp,0x20; mov rax,rcx; int3 */
static const uint8_t x64_prologue[] = {0x55, 0x53, 0x48, 0x83, 0xec, 0x20, 0x48, 0x89, 0xc8, 0xcc};
/* add rsp,0x20; pop rbx; pop rbp; ret */
static const uint8_t x64_epilogue[] = {0x48, 0x83, 0xc4, 0x20, 0x5b, 0x5d, 0xc3};
/* caller at 0x2000: call 0x1000 (E8 rel32 = 0x1000 - 0x2005); ret 0x2005 */
static const uint8_t x64_caller[] = {0xe8, 0xfb, 0xef, 0xff, 0xff, 0x90, 0xc3};

static const char *prologue_sym(void)
{
    return write_sym("prologue", "MODULE windows x86_64 " SYNTH_ID " synth.pdb\n"
                                 "FUNC 1000 200 0 callee\nFUNC 2000 100 0 caller\n");
}

/* Frame 0 at `ip` with the stack as the code has it there: `depth` bytes
 * below the return address, rbx saved at rsp+depth-16 and rbp at
 * rsp+depth-8 when pushed. */
static void prologue_case(uint32_t ip_rva, unsigned depth, int rbp_saved, int rbx_saved,
                          const char *symdir, const char *reason)
{
    synth s;
    synth_init(&s, 0);
    uint8_t pad[0x100];
    memset(pad, 0xcc, sizeof pad);
    synth_code(&s, 0xf00, pad, sizeof pad);
    synth_code(&s, 0x1000, x64_prologue, sizeof x64_prologue);
    synth_code(&s, 0x1100, x64_epilogue, sizeof x64_epilogue);
    synth_code(&s, 0x2000, x64_caller, sizeof x64_caller);
    s.regs.r[DW_AMD64_RIP] = MOD_BASE + ip_rva;
    s.regs.r[DW_AMD64_RSP] = STACK_VA + 0x100;
    s.regs.r[DW_AMD64_RBP] = 0x1111;
    s.regs.r[DW_AMD64_RBX] = 0x2222;
    put_word(&s, 0x100 + depth, MOD_BASE + 0x2005);
    if (rbp_saved)
        put_word(&s, 0x100 + depth - 8, STACK_VA + 0x500);
    if (rbx_saved)
        put_word(&s, 0x100 + depth - 16, 0xb0b0);
    walk_result r;
    synth_walk(&s, symdir, &r);
    assert_frame(&r, 1, MOD_BASE + 0x2005, STACK_VA + 0x100 + depth + 8, DW_TRUST_CFI, reason);
    ck_assert_uint_eq(reg(&r, 1, DW_AMD64_RBP), rbp_saved ? STACK_VA + 0x500 : 0x1111);
    ck_assert_uint_eq(reg(&r, 1, DW_AMD64_RBX), rbx_saved ? 0xb0b0 : 0x2222);
}

START_TEST(prologue_before_push)
{
    prologue_case(0x1000, 0, 0, 0, prologue_sym(), "prologue");
}
END_TEST

START_TEST(prologue_after_push)
{
    prologue_case(0x1001, 8, 1, 0, prologue_sym(), "prologue");
}
END_TEST

START_TEST(prologue_after_sub)
{
    prologue_case(0x1006, 0x30, 1, 1, prologue_sym(), "prologue");
}
END_TEST

START_TEST(prologue_in_body)
{
    /* Past the prologue (mov rax,rcx is body): the fixed x64 frame holds. */
    prologue_case(0x1009, 0x30, 1, 1, prologue_sym(), "prologue:body");
}
END_TEST

START_TEST(epilogue_at_ip)
{
    prologue_case(0x1100, 0x30, 1, 1, prologue_sym(), "epilogue");
}
END_TEST

START_TEST(prologue_backscanned_start)
{
    /* No symbols: the start is found after the int3 padding. */
    prologue_case(0x1006, 0x30, 1, 1, NULL, "prologue+backscan");
}
END_TEST

/* x86, IP just after `push ebp` and before `mov ebp,esp`: EBP is still the
 * caller's, so the frame-pointer chain would skip a frame; the prologue
 * rule gets it right. */
START_TEST(prologue_x86_before_frame_pointer)
{
    synth s;
    synth_init(&s, 1);
    /* 0x1000: mov edi,edi; push ebp; mov ebp,esp; sub esp,0x10 */
    static const uint8_t code[] = {0x8b, 0xff, 0x55, 0x8b, 0xec, 0x83, 0xec, 0x10, 0xcc};
    /* 0x2000: call 0x1000; ret 0x2005 */
    static const uint8_t caller[] = {0xe8, 0xfb, 0xef, 0xff, 0xff, 0xc3};
    synth_code(&s, 0x1000, code, sizeof code);
    synth_code(&s, 0x2000, caller, sizeof caller);
    const char *dir = write_sym("prologue86", "MODULE windows x86 " SYNTH_ID " synth.pdb\n"
                                              "FUNC 1000 100 0 callee\nFUNC 2000 100 0 caller\n");
    s.regs.r[DW_X86_EIP] = MOD_BASE + 0x1003;
    s.regs.r[DW_X86_ESP] = STACK_VA + 0x100;
    s.regs.r[DW_X86_EBP] = STACK_VA + 0x200; /* the caller's frame */
    put_word(&s, 0x100, STACK_VA + 0x200);   /* pushed ebp */
    put_word(&s, 0x104, MOD_BASE + 0x2005);
    put_word(&s, 0x200, STACK_VA + 0x300); /* the caller's own chain link */
    put_word(&s, 0x204, MOD_BASE + 0x2005);
    walk_result r;
    synth_walk(&s, dir, &r);
    assert_frame(&r, 1, MOD_BASE + 0x2005, STACK_VA + 0x108, DW_TRUST_CFI, "prologue");
    ck_assert_uint_eq(reg(&r, 1, DW_X86_EBP), STACK_VA + 0x200);
}
END_TEST

/* ---- validated scan ---- */

START_TEST(scan_rejects_stale_return_address)
{
    synth s;
    synth_init(&s, 0);
    /* 0x2000: call 0x1800 (a stale call elsewhere); 0x2010: call 0x1000. */
    uint8_t caller[0x30];
    memset(caller, 0x90, sizeof caller);
    const uint8_t stale[] = {0xe8, 0xfb, 0xf7, 0xff, 0xff}; /* 0x1800 - 0x2005 */
    const uint8_t real[] = {0xe8, 0xeb, 0xef, 0xff, 0xff};  /* 0x1000 - 0x2015 */
    memcpy(caller + 0x10, stale, sizeof stale);
    memcpy(caller + 0x20, real, sizeof real);
    synth_code(&s, 0x1ff0, caller, sizeof caller);
    const char *dir = write_sym("scan", "MODULE windows x86_64 " SYNTH_ID " synth.pdb\n"
                                        "FUNC 1000 100 0 callee\nFUNC 1800 100 0 other\n"
                                        "FUNC 2000 100 0 caller\n");
    s.regs.r[DW_AMD64_RIP] = MOD_BASE + 0x1010; /* callee's code is not captured */
    s.regs.r[DW_AMD64_RSP] = STACK_VA + 0x100;
    put_word(&s, 0x108, MOD_BASE + 0x2005);
    put_word(&s, 0x110, MOD_BASE + 0x2015);
    walk_result r;
    synth_walk(&s, dir, &r);
    assert_frame(&r, 1, MOD_BASE + 0x2015, STACK_VA + 0x118, DW_TRUST_SCAN,
                 "scan:call E8 target-match");
}
END_TEST

/* ---- Breakpad's minidump2.dmp ---- */

typedef struct expected_frame {
    uint64_t ip;
    const char *function;
    const char *file_suffix; /* NULL: no source line */
    uint32_t line;
    uint64_t line_offset;     /* ip - line start (Breakpad's "+ 0x..") */
    uint64_t function_offset; /* used when there is no line */
    const char *trust;
} expected_frame;

/* expected/minidump2.stackwalk.out */
static const expected_frame minidump2_thread0[] = {
    {0x40429e, "`anonymous namespace'::CrashFunction", "test_app.cc", 58, 0x3, 0xe, "context"},
    {0x404200, "main", "test_app.cc", 65, 0x5, 0x50, "cfi"},
    {0x4053ec, "__tmainCRTStartup", "crt0.c", 327, 0x12, 0x15f, "cfi"},
    {0x7c816fd7, "BaseProcessStart", NULL, 0, 0, 0x23, "cfi"},
};

static int symstr_is(dw_symstr s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static int symstr_ends(dw_symstr s, const char *suffix)
{
    size_t n = strlen(suffix);
    return s.len >= n && memcmp(s.ptr + s.len - n, suffix, n) == 0;
}

/* Breakpad's source-line offset: the IP minus the start of the line record
 * covering the call (ip - 1 in callers). */
static uint64_t line_offset(const dw_frame *f)
{
    return f->line_address ? f->ip - f->line_address : UINT64_MAX;
}

START_TEST(minidump2_matches_breakpad)
{
    const char *path = dw_test_shared_path("corpus/breakpad/minidump2.dmp");
    if (!path)
        return;
    char dump_path[1024], sym_path[1024];
    snprintf(dump_path, sizeof dump_path, "%s", path);
    const char *sp = dw_test_shared_path("corpus/breakpad/symbols");
    ck_assert_ptr_nonnull(sp);
    snprintf(sym_path, sizeof sym_path, "%s", sp);
    dw_dump *d;
    dw_error err;
    ck_assert_int_eq(dw_dump_open(dump_path, NULL, &d, &err), DW_OK);
    dw_symbols *syms;
    dw_symbols_new(&syms);
    dw_symbols_add_dir(syms, sym_path);
    dw_walk_options o = DW_WALK_OPTIONS_INIT;
    o.symbols = syms;
    dw_walker *w;
    ck_assert_int_eq(dw_walker_new(d, &o, &w), DW_OK);
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(d, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(t[0].thread_id, 0xbf4);
    ck_assert_int_eq(dw_walker_start(w, &t[0]), DW_OK);
    size_t want = sizeof minidump2_thread0 / sizeof minidump2_thread0[0];
    dw_frame f;
    size_t i = 0;
    for (; dw_walker_next(w, &f) == DW_OK; i++) {
        ck_assert_uint_lt(i, want);
        const expected_frame *e = &minidump2_thread0[i];
        ck_assert_uint_eq(f.ip, e->ip);
        ck_assert_str_eq(dw_trust_name(f.trust), e->trust);
        ck_assert_msg(symstr_is(f.function, e->function), "frame %zu: function %.*s", i,
                      (int)f.function.len, f.function.ptr);
        ck_assert_uint_eq(f.function_offset, e->function_offset);
        if (e->file_suffix) {
            ck_assert(symstr_ends(f.file, e->file_suffix));
            ck_assert_uint_eq(f.line, e->line);
            ck_assert_uint_eq(line_offset(&f), e->line_offset);
        } else {
            ck_assert_uint_eq(f.file.len, 0);
        }
        if (i > 0)
            ck_assert_str_eq(f.reason, "win:framedata");
    }
    ck_assert_uint_eq(i, want);
    /* Thread 0x11c0 wrote the dump; Breakpad does not walk it (no reference):
     * its walk must still start from its context and stay validated. */
    ck_assert_int_eq(dw_walker_start(w, &t[1]), DW_OK);
    ck_assert_int_eq(dw_walker_next(w, &f), DW_OK);
    ck_assert_uint_eq(f.ip, 0x7c90eb94);
    while (dw_walker_next(w, &f) == DW_OK)
        if (f.trust == DW_TRUST_SCAN)
            ck_assert(!strncmp(f.reason, "scan:call", 9) || !strncmp(f.reason, "scan:no-code", 12));
    dw_walker_free(w);
    dw_symbols_free(syms);
    dw_dump_close(d);
}
END_TEST

/* ---- every Windows dump of the corpus against Breakpad ---- */

#define MAX_BP_FRAMES 4096

typedef struct bp_frame {
    uint32_t tid;
    unsigned n;
    uint64_t pc;
    char trust[16];
} bp_frame;

static const char *field(const char *line, const char *key, char *buf, size_t size)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\t%s=", key);
    const char *p = strstr(line, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    size_t k = strcspn(p, "\t\n");
    snprintf(buf, size, "%.*s", (int)(k < size ? k : size - 1), p);
    return buf;
}

/* Breakpad's frames of a normalized oracle file; 0 when the dump is not a
 * Windows x86/amd64 one. */
static size_t load_bp(const char *path, bp_frame *out, size_t max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[2048], v[256];
    int windows = 0;
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "os\tWindows", 10))
            windows = 1;
        if (strncmp(line, "frame\t", 6) || n >= max)
            continue;
        bp_frame *b = &out[n++];
        b->tid = (uint32_t)strtoul(field(line, "t", v, sizeof v) ? v : "0", NULL, 16);
        b->n = (unsigned)strtoul(field(line, "n", v, sizeof v) ? v : "0", NULL, 10);
        b->pc = strtoull(field(line, "pc", v, sizeof v) ? v : "0", NULL, 16);
        if (!field(line, "trust", v, sizeof v))
            v[0] = '\0';
        snprintf(b->trust, sizeof b->trust, "%.15s", v);
    }
    fclose(f);
    return windows ? n : 0;
}

static void symdir_of(const char *meta, char *out, size_t size)
{
    out[0] = '\0';
    FILE *f = meta ? fopen(meta, "r") : NULL;
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "symdir\t", 7)) {
            line[strcspn(line, "\n")] = '\0';
            if (strcmp(line + 7, "none"))
                snprintf(out, size, "%s", corpus_abs(line + 7));
        }
    }
    fclose(f);
}

typedef struct corpus_score {
    size_t bp_cfi, cfi_same;       /* Breakpad cfi frames, ours at the same index */
    size_t bp_real, real_in_order; /* context/cfi/fp frames, found in order */
    size_t bp_frames, our_frames;
    size_t bp_x64_unwound, our_x64_unwound; /* x64 dumps: non-scan caller frames */
    size_t scans, bad_scans;
} corpus_score;

static int is_real(const char *trust)
{
    return !strcmp(trust, "context") || !strcmp(trust, "cfi") || !strcmp(trust, "fp");
}

static void score_thread(dw_walker *w, const dw_thread *t, const bp_frame *bp, size_t nbp, int x64,
                         corpus_score *sc, size_t *dump_cfi, size_t *dump_cfi_same)
{
    static dw_frame ours[256];
    size_t n = 0;
    if (dw_walker_start(w, t) == DW_OK) {
        while (n < 256 && dw_walker_next(w, &ours[n]) == DW_OK)
            n++;
    }
    sc->our_frames += n;
    for (size_t i = 0; i < n; i++) {
        if (ours[i].trust == DW_TRUST_SCAN) {
            sc->scans++;
            if (strncmp(ours[i].reason, "scan:call", 9) &&
                strncmp(ours[i].reason, "scan:no-code", 12))
                sc->bad_scans++;
        }
        if (x64 && i > 0 && ours[i].trust >= DW_TRUST_FRAME_POINTER)
            sc->our_x64_unwound++;
    }
    size_t k = 0;
    for (size_t j = 0; j < nbp; j++) {
        const bp_frame *b = &bp[j];
        if (b->tid != t->thread_id)
            continue;
        sc->bp_frames++;
        if (x64 && b->n > 0 && strcmp(b->trust, "scan"))
            sc->bp_x64_unwound++;
        if (!strcmp(b->trust, "cfi")) {
            sc->bp_cfi++;
            (*dump_cfi)++;
            if (b->n < n && ours[b->n].ip == b->pc) {
                sc->cfi_same++;
                (*dump_cfi_same)++;
            }
        }
        if (is_real(b->trust)) {
            sc->bp_real++;
            size_t m = k;
            while (m < n && ours[m].ip != b->pc)
                m++;
            if (m < n) {
                sc->real_in_order++;
                k = m + 1;
            }
        }
    }
}

START_TEST(corpus_agrees_with_breakpad)
{
    const char *const *dumps;
    size_t ndumps = corpus_dumps(&dumps);
    if (!ndumps)
        return;
    static bp_frame bp[MAX_BP_FRAMES];
    corpus_score sc = {0};
    for (size_t di = 0; di < ndumps; di++) {
        const char *oracle = corpus_oracle(dumps[di], "bp.sym.norm.txt");
        size_t nbp = oracle ? load_bp(oracle, bp, MAX_BP_FRAMES) : 0;
        if (!nbp)
            continue;
        char symdir[1024];
        symdir_of(corpus_oracle(dumps[di], "meta.txt"), symdir, sizeof symdir);
        dw_dump *d;
        dw_error err;
        if (dw_dump_open(corpus_abs(dumps[di]), NULL, &d, &err) != DW_OK)
            continue;
        dw_symbols *syms = NULL;
        dw_walk_options o = DW_WALK_OPTIONS_INIT;
        if (symdir[0] && dw_symbols_new(&syms) == DW_OK) {
            dw_symbols_add_dir(syms, symdir);
            o.symbols = syms;
        }
        dw_walker *w;
        const dw_thread *t;
        size_t nt;
        const dw_system_info *si;
        int x64 =
            dw_dump_system_info(d, &si) == DW_OK && si->processor_architecture == DW_CPU_AMD64;
        size_t cfi = 0, cfi_same = 0, before = sc.our_frames;
        if (dw_walker_new(d, &o, &w) == DW_OK) {
            if (dw_dump_threads(d, &t, &nt) == DW_OK)
                for (size_t i = 0; i < nt; i++)
                    score_thread(w, &t[i], bp, nbp, x64, &sc, &cfi, &cfi_same);
            dw_walker_free(w);
        }
        fprintf(stderr, "walk_rules: %-58s cfi %zu/%zu frames %zu (breakpad %zu)\n", dumps[di],
                cfi_same, cfi, sc.our_frames - before, nbp);
        if (syms)
            dw_symbols_free(syms);
        dw_dump_close(d);
    }
    fprintf(stderr,
            "walk_rules: breakpad cfi frames %zu, same pc and index %zu; breakpad "
            "context/cfi/fp frames %zu, found in order %zu; x64 unwound callers ours %zu vs "
            "breakpad %zu (non-scan); scans %zu\n",
            sc.bp_cfi, sc.cfi_same, sc.bp_real, sc.real_in_order, sc.our_x64_unwound,
            sc.bp_x64_unwound, sc.scans);
    ck_assert_uint_gt(sc.bp_cfi, 0);
    ck_assert_uint_ge(sc.cfi_same * 100, sc.bp_cfi * 99);
    ck_assert_uint_ge(sc.real_in_order * 100, sc.bp_real * 99);
    ck_assert_uint_eq(sc.bad_scans, 0);
}
END_TEST

Suite *walk_rules_suite(void)
{
    Suite *s = suite_create("walk_rules");
    TCase *tc = tcase_create("synthetic");
    tcase_add_test(tc, cfi_x64_init_and_delta);
    tcase_add_test(tc, cfi_x86_restores_ebp);
    tcase_add_test(tc, win_framedata_program);
    tcase_add_test(tc, win_fpo_without_base_pointer);
    tcase_add_test(tc, win_fpo_with_base_pointer);
    tcase_add_test(tc, prologue_before_push);
    tcase_add_test(tc, prologue_after_push);
    tcase_add_test(tc, prologue_after_sub);
    tcase_add_test(tc, prologue_in_body);
    tcase_add_test(tc, epilogue_at_ip);
    tcase_add_test(tc, prologue_backscanned_start);
    tcase_add_test(tc, prologue_x86_before_frame_pointer);
    tcase_add_test(tc, scan_rejects_stale_return_address);
    suite_add_tcase(s, tc);
    TCase *real = tcase_create("real");
    tcase_add_test(real, minidump2_matches_breakpad);
    tcase_add_test(real, corpus_agrees_with_breakpad);
    suite_add_tcase(s, real);
    return s;
}
