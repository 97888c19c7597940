/* Kernel-mode callback classification (lib/analysis/callbacks.c), the Wine
 * callback walker rule, the callbacks report and CLI.
 *
 * Synthetic dumps carry small ntdll / win32u / user32 / app images built
 * with tests/pe_builder.h (export tables, real syscall stub bytes, .pdata with a machine frame
 * for KiUserCallbackDispatcher) and stacks laid out as Windows lays them:
 * routine -> KiUserCallbackDispatcher's UCALLOUT_FRAME (ApiNumber at +0x2c,
 * MACHINE_FRAME at +0x30) -> the interrupted win32u stub.  Each thread of a
 * dump is one scenario; each evidence path (exports in dump memory, code
 * bytes only, .sym files, an --images directory) is one dump. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_run.h"
#include "corpus.h"
#include "dumpwalk/dumpwalk.h"
#include "mdwriter.h"
#include "pe_builder.h"
#include "test_util.h"

/* ---- the x64 scenario dump ------------------------------------------------ */

/* Windows 10 22H2: NtCallbackReturn 5, NtWaitForSingleObject 4,
 * NtUserGetMessage 0x1006, NtUserMessageCall 0x1007 (lib/analysis/ssn_table.c). */
#define BUILD 19045
#define NTDLL 0x7ff810000000ull
#define WIN32U 0x7ff820000000ull
#define USER32 0x7ff830000000ull
#define APP 0x140000000ull
#define TEB 0x7ffd0000ull
#define PEB 0x7ffd1000ull
#define KCT 0x7ffd2000ull

/* ntdll */
#define N_CBRET 0x1000        /* NtCallbackReturn = ZwCallbackReturn */
#define N_WAIT1 0x1020        /* NtWaitForSingleObject */
#define N_DISPATCH 0x1100     /* KiUserCallbackDispatcher */
#define N_DISPATCH_RET 0x111f /* after its call [r9+r8*8] */
#define N_APC 0x1200
#define N_APC_RET 0x1204
#define N_EXC 0x1240
#define N_EXC_RET 0x1245
/* win32u */
#define W_GETMSG 0x1000
#define W_MSGCALL 0x1020
/* user32 */
#define U_FNDWORD 0x1000
#define U_FNSENT 0x1040
#define U_GETMSG 0x1080
#define U_WNDWAIT 0x10c0
/* app */
#define A_MAIN 0x1000
#define A_MAIN2 0x1040
#define A_APCFN 0x1080
#define A_EXCFN 0x10c0
#define A_PLAIN 0x1100

#define WAIT_IP PE_STUB_WAIT_IP
#define RET9 PE_CALLER_RET

enum { MODE_MEMORY, MODE_CODE_ONLY, MODE_SYMBOLS, MODE_IMAGES };

static void build_ntdll(pe_image *p)
{
    pe_init(p, 1, NTDLL, NULL);
    pe_stub64(p, N_CBRET, 5);
    pe_stub64(p, N_WAIT1, 4);
    /* mov rcx,[rsp+20h]; mov edx,[rsp+28h]; mov r8d,[rsp+2Ch]; mov rax,gs:[60h];
     * mov r9,[rax+58h]; call [r9+r8*8]; xor ecx,ecx; ... */
    PE_CODE(p, N_DISPATCH,
            "\x48\x8b\x4c\x24\x20\x8b\x54\x24\x28\x44\x8b\x44\x24\x2c"
            "\x65\x48\x8b\x04\x25\x60\x00\x00\x00\x4c\x8b\x48\x58"
            "\x43\xff\x14\xc1\x33\xc9");
    pe_pdata(p, N_DISPATCH, N_DISPATCH + 0x40, pe_unwind_dispatcher, sizeof pe_unwind_dispatcher);
    PE_CODE(p, N_APC, "\xff\x54\x24\x18\xcc");     /* call [rsp+18h] */
    PE_CODE(p, N_EXC, "\xe8\x00\x00\x00\x00\xcc"); /* call (next) */
    static const pe_export ex[] = {
        {"KiUserApcDispatcher", N_APC},       {"KiUserCallbackDispatcher", N_DISPATCH},
        {"KiUserExceptionDispatcher", N_EXC}, {"NtCallbackReturn", N_CBRET},
        {"NtWaitForSingleObject", N_WAIT1},   {"ZwCallbackReturn", N_CBRET},
    };
    pe_exports(p, "ntdll.dll", ex, sizeof ex / sizeof ex[0]);
}

static void build_win32u(pe_image *p)
{
    pe_init(p, 1, WIN32U, NULL);
    pe_stub64(p, W_GETMSG, 0x1006);
    pe_stub64(p, W_MSGCALL, 0x1007);
    static const pe_export ex[] = {{"NtUserGetMessage", W_GETMSG},
                                   {"NtUserMessageCall", W_MSGCALL}};
    pe_exports(p, "win32u.dll", ex, 2);
}

static void build_user32(pe_image *p)
{
    pe_init(p, 1, USER32, NULL);
    pe_caller(p, U_FNDWORD, NTDLL + N_CBRET);
    pe_caller(p, U_FNSENT, WIN32U + W_MSGCALL);
    pe_caller(p, U_GETMSG, WIN32U + W_GETMSG);
    pe_caller(p, U_WNDWAIT, NTDLL + N_WAIT1);
}

static void build_app(pe_image *p)
{
    pe_init(p, 1, APP, NULL);
    pe_caller(p, A_MAIN, USER32 + U_GETMSG);
    pe_caller(p, A_MAIN2, NTDLL + N_WAIT1);
    pe_caller(p, A_APCFN, APP + A_PLAIN);
    pe_caller(p, A_EXCFN, APP + A_PLAIN);
    PE_CODE(p, A_PLAIN, "\x48\x83\xec\x28\x48\x8b\xc1\x48\x83\xc4\x28\xc3");
}

/* A thread's stack: 0x1000 bytes at base. */
#define STACK_SIZE 0x1000

/* A pe_caller frame at rsp (sub rsp,0x28) returning to ret. */
static void s_frame(pe_stack *s, uint64_t rsp, uint64_t ret)
{
    stk_put64(s, rsp + 0x28, ret);
}

/* The callback routine's frame at rsp, called by KiUserCallbackDispatcher
 * whose UCALLOUT_FRAME follows (ApiNumber at +0x2c); its MACHINE_FRAME
 * resumes the interrupted stub at (outer_ip, outer_rsp). */
static void s_callback(pe_stack *s, uint64_t rsp, uint32_t api, uint64_t outer_ip,
                       uint64_t outer_rsp)
{
    s_frame(s, rsp, NTDLL + N_DISPATCH_RET);
    stk_callout(s, rsp + 0x30, 0x1234, 0x10, api, outer_ip, outer_rsp);
}

/* Thread ids of the scenarios. */
enum {
    T_PARKED1 = 101, /* parked at NtCallbackReturn, depth 1, from NtUserGetMessage */
    T_PARKED2 = 102, /* parked, depth 2: NtUserMessageCall inside NtUserGetMessage */
    T_BLOCKED = 103, /* in a callback (depth 1) but waiting in NtWaitForSingleObject */
    T_APC = 104,     /* APC dispatch */
    T_EXC = 105,     /* exception dispatch */
    T_WAIT = 106,    /* NtWaitForSingleObject, no callback */
    T_RAXONLY = 107, /* RAX = 5 but the IP is ordinary code */
    T_NOTHING = 108, /* IP nowhere known, RAX = 5 */
};

static void add_thread(mdw *w, uint32_t tid, pe_stack *s, uint64_t rip, uint64_t rsp, uint64_t rax)
{
    mdw_regs r;
    memset(&r, 0, sizeof r);
    r.r[DW_AMD64_RIP] = rip;
    r.r[DW_AMD64_RSP] = rsp;
    r.r[DW_AMD64_RAX] = rax;
    r.r[DW_AMD64_CS] = 0x33;
    r.r[DW_AMD64_SS] = 0x2b;
    uint32_t size, rva = mdw_context_amd64(w, &r, 0x10000b, &size);
    mdw_add_thread(w, tid, TEB, s->base, s->b, s->size, rva, size);
}

static void scenario_threads(mdw *w)
{
    static pe_stack s[8];
    for (int i = 0; i < 8; i++)
        stk_init(&s[i], 0x100000ull + 0x10000ull * (uint64_t)i, STACK_SIZE);
    uint64_t b;
    /* parked, depth 1 */
    b = s[0].base;
    stk_put64(&s[0], b + 0x100, USER32 + U_FNDWORD + RET9);
    s_callback(&s[0], b + 0x108, 2, WIN32U + W_GETMSG + WAIT_IP, b + 0x200);
    stk_put64(&s[0], b + 0x200, USER32 + U_GETMSG + RET9);
    s_frame(&s[0], b + 0x208, APP + A_MAIN + RET9);
    s_frame(&s[0], b + 0x238, 0);
    add_thread(w, T_PARKED1, &s[0], NTDLL + N_CBRET + WAIT_IP, b + 0x100, 5);
    /* parked, depth 2 */
    b = s[1].base;
    stk_put64(&s[1], b + 0x100, USER32 + U_FNDWORD + RET9);
    s_callback(&s[1], b + 0x108, 2, WIN32U + W_MSGCALL + WAIT_IP, b + 0x200);
    stk_put64(&s[1], b + 0x200, USER32 + U_FNSENT + RET9);
    s_callback(&s[1], b + 0x208, 5, WIN32U + W_GETMSG + WAIT_IP, b + 0x300);
    stk_put64(&s[1], b + 0x300, USER32 + U_GETMSG + RET9);
    s_frame(&s[1], b + 0x308, APP + A_MAIN + RET9);
    s_frame(&s[1], b + 0x338, 0);
    add_thread(w, T_PARKED2, &s[1], NTDLL + N_CBRET + WAIT_IP, b + 0x100, 5);
    /* in a callback, blocked in NtWaitForSingleObject */
    b = s[2].base;
    stk_put64(&s[2], b + 0x100, USER32 + U_WNDWAIT + RET9);
    s_callback(&s[2], b + 0x108, 7, WIN32U + W_GETMSG + WAIT_IP, b + 0x200);
    stk_put64(&s[2], b + 0x200, USER32 + U_GETMSG + RET9);
    s_frame(&s[2], b + 0x208, APP + A_MAIN + RET9);
    s_frame(&s[2], b + 0x238, 0);
    add_thread(w, T_BLOCKED, &s[2], NTDLL + N_WAIT1 + WAIT_IP, b + 0x100, 4);
    /* APC and exception dispatch: the routine returns into the dispatcher */
    b = s[3].base;
    s_frame(&s[3], b + 0x100, NTDLL + N_APC_RET);
    add_thread(w, T_APC, &s[3], APP + A_APCFN + 4, b + 0x100, 0);
    b = s[4].base;
    s_frame(&s[4], b + 0x100, NTDLL + N_EXC_RET);
    add_thread(w, T_EXC, &s[4], APP + A_EXCFN + 4, b + 0x100, 0);
    /* NtWaitForSingleObject from main2 */
    b = s[5].base;
    stk_put64(&s[5], b + 0x100, APP + A_MAIN2 + RET9);
    s_frame(&s[5], b + 0x108, 0);
    add_thread(w, T_WAIT, &s[5], NTDLL + N_WAIT1 + WAIT_IP, b + 0x100, 4);
    /* RAX holds NtCallbackReturn's number, the IP is plain code */
    b = s[6].base;
    s_frame(&s[6], b + 0x100, 0);
    add_thread(w, T_RAXONLY, &s[6], APP + A_PLAIN + 4, b + 0x100, 5);
    /* nothing known about the IP */
    b = s[7].base;
    add_thread(w, T_NOTHING, &s[7], 0x12345678, b + 0x100, 5);
}

/* One TEB shared by every thread -> PEB -> KernelCallbackTable. */
static void process_memory(mdw *w)
{
    static uint8_t kct[0x100];
    memset(kct, 0, sizeof kct);
    const struct {
        unsigned index;
        uint64_t routine;
    } table[] = {{2, USER32 + U_FNDWORD}, {5, USER32 + U_FNSENT}, {7, USER32 + U_WNDWAIT}};
    for (size_t k = 0; k < 3; k++)
        for (int i = 0; i < 8; i++)
            kct[8 * table[k].index + i] = (uint8_t)(table[k].routine >> (8 * i));
    scn_add_teb64(w, TEB, PEB, 0, 0, 0, 0);
    scn_add_peb64(w, PEB, 0, KCT);
    mdw_add_memory(w, KCT, kct, sizeof kct);
}

static const uint8_t guid_ntdll[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t guid_user32[16] = {2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

typedef struct scenario {
    char dump[512];
    char syms[512];
    char images[512];
} scenario;

/* Breakpad debug ids: the GUID's fields in upper hex, then the age. */
static const char ntdll_id[] = "0403020106050807090A0B0C0D0E0F101";
static const char user32_id[] = "0403020206050807090A0B0C0D0E0F101";

static void write_sym(const char *root, const char *pdb, const char *id, const char *body)
{
    ck_assert_int_eq(scn_write_sym(root, pdb, id, body), 0);
}

static void build_scenario(int mode, scenario *sc)
{
    pe_image ntdll, win32u, user32, app;
    build_ntdll(&ntdll);
    build_win32u(&win32u);
    build_user32(&user32);
    build_app(&app);
    const char *tmp = dw_test_tmpdir();
    snprintf(sc->dump, sizeof sc->dump, "%s/callbacks_x64_%d.dmp", tmp, mode);
    snprintf(sc->syms, sizeof sc->syms, "%s/cb_syms_%d", tmp, mode);
    snprintf(sc->images, sizeof sc->images, "%s/cb_images_%d", tmp, mode);
    ck_assert_int_eq(scn_mkdirs(sc->syms), 0);
    ck_assert_int_eq(scn_mkdirs(sc->images), 0);
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, BUILD, 2, NULL);
    mdw_add_module(w, APP, PE_SMALL_SIZE, "C:\\app\\app.exe", PE_SMALL_TS, NULL, NULL, 0, 0);
    mdw_add_module(w, NTDLL, PE_SMALL_SIZE, "C:\\Windows\\System32\\ntdll.dll", PE_SMALL_TS,
                   "ntdll.pdb", guid_ntdll, 1, 0);
    mdw_add_module(w, WIN32U, PE_SMALL_SIZE, "C:\\Windows\\System32\\win32u.dll", PE_SMALL_TS, NULL,
                   NULL, 0, 0);
    mdw_add_module(w, USER32, PE_SMALL_SIZE, "C:\\Windows\\System32\\user32.dll", PE_SMALL_TS,
                   "user32.pdb", guid_user32, 1, 0);
    mdw_add_memory(w, APP, app.img, PE_SMALL_SIZE);
    mdw_add_memory(w, USER32, user32.img, PE_SMALL_SIZE);
    mdw_add_memory(w, WIN32U, win32u.img, PE_SMALL_SIZE);
    if (mode == MODE_MEMORY)
        mdw_add_memory(w, NTDLL, ntdll.img, PE_SMALL_SIZE);
    else if (mode == MODE_CODE_ONLY) /* code bytes only: no headers, no exports */
        mdw_add_memory(w, NTDLL + 0x1000, ntdll.img + 0x1000, 0x800);
    else if (mode == MODE_IMAGES) {
        char dir[1024], path[1100];
        snprintf(dir, sizeof dir, "%s/ntdll.dll/%08X%x", sc->images, PE_SMALL_TS, PE_SMALL_SIZE);
        ck_assert_int_eq(scn_mkdirs(dir), 0);
        snprintf(path, sizeof path, "%s/ntdll.dll", dir);
        ck_assert_int_eq(scn_write_file(path, ntdll.img, PE_SMALL_SIZE), 0);
    }
    process_memory(w);
    scenario_threads(w);
    ck_assert_int_eq(mdw_write_file(w, sc->dump), 0);
    mdw_free(w);
    pe_free(&ntdll);
    pe_free(&win32u);
    pe_free(&user32);
    pe_free(&app);
    write_sym(sc->syms, "user32.pdb", user32_id,
              "PUBLIC 1000 0 __fnDWORD\nPUBLIC 1040 0 __fnSENTDDEMSG\n"
              "PUBLIC 1080 0 GetMessageW\nFUNC 10c0 20 0 WndProcWait\n");
    if (mode == MODE_SYMBOLS)
        write_sym(sc->syms, "ntdll.pdb", ntdll_id,
                  "PUBLIC 1000 0 ZwCallbackReturn\nPUBLIC 1020 0 NtWaitForSingleObject\n"
                  "PUBLIC 1100 0 KiUserCallbackDispatcher\nPUBLIC 1200 0 KiUserApcDispatcher\n"
                  "PUBLIC 1240 0 KiUserExceptionDispatcher\n");
}

/* Analyse every thread of a dump into results[] (by thread index). */
typedef struct analysis {
    dw_dump *dump;
    dw_symbols *syms;
    size_t count;
    dw_thread_callbacks r[16];
} analysis;

static void analyse(const char *path, const char *syms, const char *images, analysis *a)
{
    dw_error err;
    memset(a, 0, sizeof *a);
    ck_assert_msg(dw_dump_open(path, NULL, &a->dump, &err) == DW_OK, "%s", err.message);
    dw_walk_options opts = DW_WALK_OPTIONS_INIT;
    if (syms) {
        ck_assert_int_eq(dw_symbols_new(&a->syms), DW_OK);
        ck_assert_int_eq(dw_symbols_add_dir(a->syms, syms), DW_OK);
        opts.symbols = a->syms;
    }
    const char *dirs[1] = {images};
    if (images) {
        opts.image_dirs = dirs;
        opts.image_dir_count = 1;
    }
    dw_callback_analyzer *an;
    ck_assert_int_eq(dw_callback_analyzer_new(a->dump, &opts, &an), DW_OK);
    const dw_thread *threads;
    ck_assert_int_eq(dw_dump_threads(a->dump, &threads, &a->count), DW_OK);
    ck_assert_uint_le(a->count, 16);
    for (size_t i = 0; i < a->count; i++)
        ck_assert_int_eq(dw_callback_analyze_thread(an, &threads[i], &a->r[i]), DW_OK);
    dw_callback_analyzer_free(an);
}

static void analysis_free(analysis *a)
{
    dw_dump_close(a->dump);
    dw_symbols_free(a->syms);
}

static const dw_thread_callbacks *by_tid(const analysis *a, uint32_t tid)
{
    for (size_t i = 0; i < a->count; i++)
        if (a->r[i].thread_id == tid)
            return &a->r[i];
    ck_abort_msg("thread %u not analysed", tid);
    return NULL;
}

static int has_evidence(const dw_thread_callbacks *r, dw_evidence_kind kind,
                        dw_evidence_strength strength)
{
    for (unsigned i = 0; i < r->evidence_count; i++)
        if (r->evidence[i].kind == kind && r->evidence[i].strength == strength)
            return 1;
    return 0;
}

static void expect_state(const dw_thread_callbacks *r, dw_thread_state state, unsigned depth,
                         const char *syscall)
{
    ck_assert_msg(r->state == state, "tid %u: state %s, expected %s (%s)", r->thread_id,
                  dw_thread_state_name(r->state), dw_thread_state_name(state), r->note);
    ck_assert_uint_eq(r->callback_depth, depth);
    ck_assert_str_eq(r->syscall, syscall);
}

static void expect_level(const dw_callback_level *lv, uint32_t api, const char *routine,
                         const char *outer)
{
    ck_assert_str_eq(lv->dispatcher, "ntdll.dll!KiUserCallbackDispatcher");
    ck_assert_uint_eq(lv->dispatcher_address, NTDLL + N_DISPATCH_RET);
    ck_assert(lv->has_api_number);
    ck_assert_uint_eq(lv->api_number, api);
    ck_assert_str_eq(lv->routine, routine);
    ck_assert_str_eq(lv->outer_syscall, outer);
}

/* The full scenario set, with ntdll's exports available (memory or image). */
static void check_full_scenarios(const analysis *a)
{
    const dw_thread_callbacks *r = by_tid(a, T_PARKED1);
    expect_state(r, DW_THREAD_PARKED, 1, "NtCallbackReturn");
    ck_assert(has_evidence(r, DW_EVIDENCE_EXPORT, DW_STRENGTH_STRONG));
    ck_assert(has_evidence(r, DW_EVIDENCE_REGISTER, DW_STRENGTH_WEAK));
    ck_assert_uint_eq(r->levels[0].dispatcher_frame, 2);
    ck_assert_uint_eq(r->levels[0].routine_address, USER32 + U_FNDWORD);
    expect_level(&r->levels[0], 2, "user32.dll!__fnDWORD", "NtUserGetMessage");
    ck_assert(dw_thread_callbacks_claimed(r));

    r = by_tid(a, T_PARKED2);
    expect_state(r, DW_THREAD_PARKED, 2, "NtCallbackReturn");
    ck_assert_uint_eq(r->level_count, 2);
    expect_level(&r->levels[0], 2, "user32.dll!__fnDWORD", "NtUserMessageCall");
    expect_level(&r->levels[1], 5, "user32.dll!__fnSENTDDEMSG", "NtUserGetMessage");

    r = by_tid(a, T_BLOCKED);
    expect_state(r, DW_THREAD_IN_CALLBACK, 1, "NtWaitForSingleObject");
    expect_level(&r->levels[0], 7, "user32.dll!WndProcWait", "NtUserGetMessage");

    expect_state(by_tid(a, T_APC), DW_THREAD_APC_DISPATCH, 0, "");
    expect_state(by_tid(a, T_EXC), DW_THREAD_EXCEPTION_DISPATCH, 0, "");
    expect_state(by_tid(a, T_WAIT), DW_THREAD_SYSCALL_WAIT, 0, "NtWaitForSingleObject");

    r = by_tid(a, T_RAXONLY);
    expect_state(r, DW_THREAD_RUNNING, 0, "");
    ck_assert(has_evidence(r, DW_EVIDENCE_REGISTER, DW_STRENGTH_WEAK));

    r = by_tid(a, T_NOTHING);
    expect_state(r, DW_THREAD_UNKNOWN, 0, "");
    ck_assert(!dw_thread_callbacks_claimed(r));
    ck_assert(has_evidence(r, DW_EVIDENCE_REGISTER, DW_STRENGTH_WEAK));
    ck_assert(r->note[0] != '\0');
}

START_TEST(x64_exports_in_dump_memory)
{
    scenario sc;
    build_scenario(MODE_MEMORY, &sc);
    analysis a;
    analyse(sc.dump, sc.syms, NULL, &a);
    check_full_scenarios(&a);
    /* The stub decode corroborates the export (both are reported). */
    ck_assert(has_evidence(by_tid(&a, T_PARKED1), DW_EVIDENCE_STUB_DECODE, DW_STRENGTH_MEDIUM) ||
              by_tid(&a, T_PARKED1)->has_ssn);
    ck_assert_uint_eq(by_tid(&a, T_PARKED1)->ssn, 5);
    analysis_free(&a);
}
END_TEST

START_TEST(x64_exports_from_images_dir)
{
    scenario sc;
    build_scenario(MODE_IMAGES, &sc);
    analysis a;
    analyse(sc.dump, sc.syms, sc.images, &a);
    check_full_scenarios(&a);
    analysis_free(&a);
    /* Without the directory nothing names ntdll and no code is captured:
     * nothing is claimed parked. */
    analyse(sc.dump, sc.syms, NULL, &a);
    for (size_t i = 0; i < a.count; i++)
        ck_assert_int_ne(a.r[i].state, DW_THREAD_PARKED);
    analysis_free(&a);
}
END_TEST

START_TEST(x64_stub_decode_only)
{
    scenario sc;
    build_scenario(MODE_CODE_ONLY, &sc);
    analysis a;
    analyse(sc.dump, NULL, NULL, &a);
    const dw_thread_callbacks *r = by_tid(&a, T_PARKED1);
    expect_state(r, DW_THREAD_PARKED, 0, "NtCallbackReturn");
    ck_assert(has_evidence(r, DW_EVIDENCE_STUB_DECODE, DW_STRENGTH_MEDIUM));
    ck_assert(!has_evidence(r, DW_EVIDENCE_EXPORT, DW_STRENGTH_STRONG));
    ck_assert(!has_evidence(r, DW_EVIDENCE_SYMBOL, DW_STRENGTH_STRONG));
    r = by_tid(&a, T_WAIT);
    expect_state(r, DW_THREAD_SYSCALL_WAIT, 0, "NtWaitForSingleObject");
    ck_assert(has_evidence(r, DW_EVIDENCE_STUB_DECODE, DW_STRENGTH_MEDIUM));
    /* RAX = 5 in plain code is still only a hint. */
    expect_state(by_tid(&a, T_RAXONLY), DW_THREAD_RUNNING, 0, "");
    expect_state(by_tid(&a, T_NOTHING), DW_THREAD_UNKNOWN, 0, "");
    analysis_free(&a);
}
END_TEST

START_TEST(x64_symbols_only)
{
    scenario sc;
    build_scenario(MODE_SYMBOLS, &sc);
    analysis a;
    analyse(sc.dump, sc.syms, NULL, &a);
    const dw_thread_callbacks *r = by_tid(&a, T_PARKED1);
    expect_state(r, DW_THREAD_PARKED, r->callback_depth, "NtCallbackReturn");
    ck_assert(has_evidence(r, DW_EVIDENCE_SYMBOL, DW_STRENGTH_STRONG));
    ck_assert(!has_evidence(r, DW_EVIDENCE_STUB_DECODE, DW_STRENGTH_MEDIUM));
    expect_state(by_tid(&a, T_WAIT), DW_THREAD_SYSCALL_WAIT, 0, "NtWaitForSingleObject");
    expect_state(by_tid(&a, T_APC), DW_THREAD_APC_DISPATCH, 0, "");
    analysis_free(&a);
}
END_TEST

/* The negative stub: RAX equals NtCallbackReturn's number but the bytes at
 * the IP are `mov eax,5; ret` without a syscall: not a stub. */
START_TEST(rax_ssn_without_stub_is_not_parked)
{
    pe_image code;
    pe_init(&code, 1, APP, NULL);
    PE_CODE(&code, 0x1000, "\xb8\x05\x00\x00\x00\x90\x90\xc3");
    static pe_stack s;
    stk_init(&s, 0x100000, STACK_SIZE);
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, BUILD, 2, NULL);
    mdw_add_module(w, APP, PE_SMALL_SIZE, "C:\\app\\app.exe", PE_SMALL_TS, NULL, NULL, 0, 0);
    mdw_add_memory(w, APP, code.img, PE_SMALL_SIZE);
    pe_free(&code);
    add_thread(w, 1, &s, APP + 0x1005, s.base + 0x100, 5);
    char path[512];
    snprintf(path, sizeof path, "%s/cb_rax.dmp", dw_test_tmpdir());
    ck_assert_int_eq(mdw_write_file(w, path), 0);
    mdw_free(w);
    analysis a;
    analyse(path, NULL, NULL, &a);
    ck_assert_int_eq(a.r[0].state, DW_THREAD_RUNNING);
    ck_assert(has_evidence(&a.r[0], DW_EVIDENCE_REGISTER, DW_STRENGTH_WEAK));
    ck_assert(has_evidence(&a.r[0], DW_EVIDENCE_STUB_DECODE, DW_STRENGTH_MEDIUM));
    analysis_free(&a);
}
END_TEST

/* ---- x86 ----------------------------------------------------------------------- */

#define X86_NTDLL 0x77000000u
#define X86_APP 0x00400000u
#define X_FAST 0x1000     /* KiFastSystemCall: mov edx,esp; sysenter */
#define X_FASTRET 0x1004  /* KiFastSystemCallRet: ret */
#define X_CBRET 0x1010    /* ZwCallbackReturn: mov eax,2; mov edx,7FFE0300; call [edx]; ret 0c */
#define X_WAIT 0x1020     /* NtWaitForSingleObject, same form, number 1 */
#define X_DISPATCH 0x1040 /* KiUserCallbackDispatcher */
#define X_DISPATCH_RET 0x1053
#define X_STUB_RET 12 /* after call [edx] */

static void build_x86_ntdll(pe_image *p)
{
    pe_init(p, 0, X86_NTDLL, NULL);
    PE_CODE(p, X_FAST, "\x8b\xd4\x0f\x34\xc3");
    PE_CODE(p, X_CBRET, "\xb8\x02\x00\x00\x00\xba\x00\x03\xfe\x7f\xff\x12\xc2\x0c\x00");
    PE_CODE(p, X_WAIT, "\xb8\x01\x00\x00\x00\xba\x00\x03\xfe\x7f\xff\x12\xc2\x0c\x00");
    /* add esp,4; pop edx; mov eax,fs:[18h]; mov eax,[eax+30h]; mov eax,[eax+2Ch];
     * call [eax+edx*4] */
    PE_CODE(p, X_DISPATCH,
            "\x83\xc4\x04\x5a\x64\xa1\x18\x00\x00\x00\x8b\x40\x30\x8b\x40\x2c"
            "\xff\x14\x90");
    static const pe_export ex[] = {
        {"KiFastSystemCall", X_FAST},
        {"KiFastSystemCallRet", X_FASTRET},
        {"KiUserCallbackDispatcher", X_DISPATCH},
        {"NtCallbackReturn", X_CBRET},
        {"NtWaitForSingleObject", X_WAIT},
        {"ZwCallbackReturn", X_CBRET},
    };
    pe_exports(p, "ntdll.dll", ex, sizeof ex / sizeof ex[0]);
}

static void add_x86_thread(mdw *w, uint32_t tid, pe_stack *s, uint32_t esp, uint32_t ebp)
{
    mdw_regs r;
    memset(&r, 0, sizeof r);
    r.r[DW_X86_EIP] = X86_NTDLL + X_FASTRET;
    r.r[DW_X86_ESP] = esp;
    r.r[DW_X86_EBP] = ebp;
    uint32_t size, rva = mdw_context_x86(w, &r, 0x1000f, &size);
    mdw_add_thread(w, tid, 0x7ffdf000, s->base, s->b, s->size, rva, size);
}

START_TEST(x86_parked_through_kifastsystemcall)
{
    pe_image ntdll;
    build_x86_ntdll(&ntdll);
    static pe_stack s[2];
    stk_init(&s[0], 0x00100000, STACK_SIZE);
    stk_init(&s[1], 0x00200000, STACK_SIZE);
    /* parked: [esp] -> ZwCallbackReturn after call [edx]; EBP chain -> dispatcher */
    uint32_t b = (uint32_t)s[0].base;
    stk_put32(&s[0], b + 0x100, X86_NTDLL + X_CBRET + X_STUB_RET);
    stk_put32(&s[0], b + 0x200, b + 0x300);
    stk_put32(&s[0], b + 0x204, X86_NTDLL + X_DISPATCH_RET);
    stk_put32(&s[0], b + 0x300, 0);
    stk_put32(&s[0], b + 0x304, 0);
    /* waiting in NtWaitForSingleObject */
    uint32_t c = (uint32_t)s[1].base;
    stk_put32(&s[1], c + 0x100, X86_NTDLL + X_WAIT + X_STUB_RET);
    mdw *w = mdw_new();
    mdw_system_info(w, 0, 6, 1, 7601, 2, "Service Pack 1");
    mdw_add_module(w, X86_APP, PE_SMALL_SIZE, "C:\\app\\app.exe", PE_SMALL_TS, NULL, NULL, 0, 0);
    mdw_add_module(w, X86_NTDLL, PE_SMALL_SIZE, "C:\\Windows\\System32\\ntdll.dll", PE_SMALL_TS,
                   NULL, NULL, 0, 0);
    mdw_add_memory(w, X86_NTDLL, ntdll.img, PE_SMALL_SIZE);
    pe_free(&ntdll);
    add_x86_thread(w, 11, &s[0], b + 0x100, b + 0x200);
    add_x86_thread(w, 12, &s[1], c + 0x100, 0);
    char path[512];
    snprintf(path, sizeof path, "%s/cb_x86.dmp", dw_test_tmpdir());
    ck_assert_int_eq(mdw_write_file(w, path), 0);
    mdw_free(w);
    analysis a;
    analyse(path, NULL, NULL, &a);
    const dw_thread_callbacks *r = by_tid(&a, 11);
    expect_state(r, DW_THREAD_PARKED, 1, "NtCallbackReturn");
    ck_assert(has_evidence(r, DW_EVIDENCE_EXPORT, DW_STRENGTH_STRONG));
    ck_assert(r->has_ssn);
    ck_assert_uint_eq(r->ssn, 2);
    ck_assert_str_eq(r->levels[0].dispatcher, "ntdll.dll!KiUserCallbackDispatcher");
    expect_state(by_tid(&a, 12), DW_THREAD_SYSCALL_WAIT, 0, "NtWaitForSingleObject");
    analysis_free(&a);
}
END_TEST

/* ---- Wine ---------------------------------------------------------------------- */

static const char *wine_images(void)
{
    static char dir[4096];
    const char *shared = dw_test_shared_dir();
    if (!shared)
        return NULL;
    snprintf(dir, sizeof dir, "%s/wine/images", shared);
    return dir;
}

/* The rule continues past 0xdeadbabe exactly where the reference unwind
 * (x64_ext_normal.unwind.txt) does. */
START_TEST(wine_rule_continues_past_fake_return)
{
    const char *path = dw_test_shared_path("wine/x64_ext_normal.dmp");
    if (!path)
        return;
    dw_dump *dump;
    dw_error err;
    ck_assert_int_eq(dw_dump_open(path, NULL, &dump, &err), DW_OK);
    const char *dirs[1] = {wine_images()};
    dw_walk_options opts = DW_WALK_OPTIONS_INIT;
    opts.image_dirs = dirs;
    opts.image_dir_count = 1;
    dw_walker *w;
    ck_assert_int_eq(dw_walker_new(dump, &opts, &w), DW_OK);
    const struct {
        uint32_t tid;
        uint64_t ret, rsp;
    } expect[] = {{268, 0x216a25388ull, 0x1c1fa30ull}, {272, 0x216a133a1ull, 0x1e1fd10ull}};
    for (size_t k = 0; k < 2; k++) {
        const dw_thread *t;
        ck_assert_int_eq(dw_dump_thread_by_id(dump, expect[k].tid, &t), DW_OK);
        ck_assert_int_eq(dw_walker_start(w, t), DW_OK);
        dw_frame f;
        int found = 0;
        for (int i = 0; i < 64 && dw_walker_next(w, &f) == DW_OK; i++)
            if (f.ip == expect[k].ret) {
                ck_assert_uint_eq(f.sp, expect[k].rsp);
                ck_assert(strstr(f.reason, "wine-callback id=3") != NULL);
                found = 1;
                break;
            }
        ck_assert_msg(found, "thread %u: no frame at 0x%llx", expect[k].tid,
                      (unsigned long long)expect[k].ret);
    }
    dw_walker_free(w);
    dw_dump_close(dump);
}
END_TEST

START_TEST(wine_window_procedure_threads)
{
    const char *path = dw_test_shared_path("wine/x64_ext_normal.dmp");
    if (!path)
        return;
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    analysis a;
    analyse(p, NULL, wine_images(), &a);
    ck_assert_uint_eq(a.count, 8);
    for (size_t i = 0; i < a.count; i++) {
        const dw_thread_callbacks *r = &a.r[i];
        ck_assert_int_ne(r->state, DW_THREAD_PARKED);
        if (r->thread_id != 268 && r->thread_id != 272) {
            ck_assert_uint_eq(r->callback_depth, 0);
            ck_assert_int_ne(r->state, DW_THREAD_IN_CALLBACK);
            continue;
        }
        expect_state(r, DW_THREAD_IN_CALLBACK, 1, "NtWaitForMultipleObjects");
        ck_assert_str_eq(r->levels[0].dispatcher, "ntdll.dll!KiUserCallbackDispatcher");
        ck_assert(has_evidence(r, DW_EVIDENCE_EXPORT, DW_STRENGTH_STRONG));
        ck_assert(r->levels[0].has_api_number);
        ck_assert_uint_eq(r->levels[0].api_number, 3);
        ck_assert_str_eq(r->levels[0].outer_syscall,
                         r->thread_id == 268 ? "NtUserCreateWindowEx" : "NtUserGetMessage");
    }
    ck_assert_str_eq(by_tid(&a, 276)->syscall, "NtUserMessageCall");
    analysis_free(&a);
}
END_TEST

/* ---- the corpus ------------------------------------------------------------------ */

START_TEST(corpus_every_thread_classified)
{
    const char *const *paths;
    size_t n = corpus_dumps(&paths);
    size_t threads = 0, states[7] = {0};
    for (size_t i = 0; i < n; i++) {
        dw_dump *dump;
        dw_error err;
        if (dw_dump_open(corpus_abs(paths[i]), NULL, &dump, &err) != DW_OK)
            continue;
        const dw_thread *ts;
        size_t nt = 0;
        if (dw_dump_threads(dump, &ts, &nt) != DW_OK && !ts)
            nt = 0;
        dw_callback_analyzer *an;
        ck_assert_int_eq(dw_callback_analyzer_new(dump, NULL, &an), DW_OK);
        for (size_t k = 0; k < nt; k++) {
            dw_thread_callbacks r;
            ck_assert_int_eq(dw_callback_analyze_thread(an, &ts[k], &r), DW_OK);
            ck_assert_uint_eq(r.thread_id, ts[k].thread_id);
            ck_assert_int_ge((int)r.state, DW_THREAD_UNKNOWN);
            ck_assert_int_le((int)r.state, DW_THREAD_PARKED);
            if (r.state != DW_THREAD_UNKNOWN)
                ck_assert_msg(dw_thread_callbacks_claimed(&r), "%s tid %u: %s without evidence",
                              paths[i], r.thread_id, dw_thread_state_name(r.state));
            if (r.state == DW_THREAD_PARKED)
                ck_assert(has_evidence(&r, DW_EVIDENCE_SYMBOL, DW_STRENGTH_STRONG) ||
                          has_evidence(&r, DW_EVIDENCE_EXPORT, DW_STRENGTH_STRONG) ||
                          has_evidence(&r, DW_EVIDENCE_STUB_DECODE, DW_STRENGTH_MEDIUM));
            states[r.state]++;
            threads++;
        }
        dw_callback_analyzer_free(an);
        dw_dump_close(dump);
    }
    if (n)
        fprintf(stderr,
                "callbacks corpus: %zu threads: unknown %zu running %zu syscall_wait %zu "
                "apc %zu exception %zu in_callback %zu parked %zu\n",
                threads, states[0], states[1], states[2], states[3], states[4], states[5],
                states[6]);
}
END_TEST

/* ---- the CLI ------------------------------------------------------------------------- */

static void run_cli(const char *const *args, cli_result *r)
{
    ck_assert_int_eq(cli_run(args, r), 0);
    ck_assert_int_eq(r->signal, 0);
}

START_TEST(cli_exit_status_and_json)
{
    if (!cli_path())
        return;
    scenario sc;
    build_scenario(MODE_MEMORY, &sc);
    cli_result r;
    const char *parked_json[] = {"callbacks", "--json", "--symbols", sc.syms, sc.dump, NULL};
    run_cli(parked_json, &r);
    ck_assert_int_eq(r.exit_code, 3);
    ck_assert(json_is_valid(r.out, r.out_len));
    ck_assert(strstr(r.out, "\"state\": \"parked_at_callback_return\"") != NULL);
    ck_assert(strstr(r.out, "\"parked_count\": 2") != NULL);
    ck_assert(strstr(r.out, "\"routine\": \"user32.dll!__fnDWORD\"") != NULL);
    cli_result_free(&r);
    const char *parked_text[] = {"callbacks", sc.dump, NULL};
    run_cli(parked_text, &r);
    ck_assert_int_eq(r.exit_code, 3);
    ck_assert(strstr(r.out, "parked at callback return: 2") != NULL);
    /* The parked threads come first. */
    ck_assert(strstr(r.out, "tid: 101") < strstr(r.out, "tid: 106"));
    cli_result_free(&r);
    const char *stack[] = {"stack", "--json", sc.dump, NULL};
    run_cli(stack, &r);
    ck_assert(json_is_valid(r.out, r.out_len));
    ck_assert(strstr(r.out, "\"callback\": {") != NULL);
    cli_result_free(&r);
    const char *missing[] = {"callbacks", "--images", "/nonexistent/dir", sc.dump, NULL};
    run_cli(missing, &r);
    ck_assert_int_eq(r.exit_code, 2);
    cli_result_free(&r);
}
END_TEST

START_TEST(cli_none_parked_on_wine)
{
    const char *path = dw_test_shared_path("wine/x64_ext_normal.dmp");
    if (!path || !cli_path())
        return;
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    cli_result r;
    const char *args[] = {"callbacks", "--json", "--images", wine_images(), p, NULL};
    run_cli(args, &r);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert(json_is_valid(r.out, r.out_len));
    ck_assert(strstr(r.out, "\"state\": \"in_callback\"") != NULL);
    ck_assert(strstr(r.out, "\"parked_count\": 0") != NULL);
    cli_result_free(&r);
}
END_TEST

Suite *callbacks_suite(void)
{
    Suite *s = suite_create("callbacks");
    TCase *tc = tcase_create("synthetic");
    tcase_add_test(tc, x64_exports_in_dump_memory);
    tcase_add_test(tc, x64_exports_from_images_dir);
    tcase_add_test(tc, x64_stub_decode_only);
    tcase_add_test(tc, x64_symbols_only);
    tcase_add_test(tc, rax_ssn_without_stub_is_not_parked);
    tcase_add_test(tc, x86_parked_through_kifastsystemcall);
    suite_add_tcase(s, tc);
    TCase *real = tcase_create("real");
    tcase_set_timeout(real, 600);
    tcase_add_test(real, wine_rule_continues_past_fake_return);
    tcase_add_test(real, wine_window_procedure_threads);
    tcase_add_test(real, corpus_every_thread_classified);
    suite_add_tcase(s, real);
    TCase *cli = tcase_create("cli");
    tcase_add_test(cli, cli_exit_status_and_json);
    tcase_add_test(cli, cli_none_parked_on_wine);
    suite_add_tcase(s, cli);
    return s;
}
