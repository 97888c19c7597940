/* The bundled fixture: synthetic-x64.dmp and its symbol store.
 *
 * A Windows 10.0.19045 x64 process (pid 4242) that took a write access
 * violation at address 0x45 in demo.exe on thread 0x1000 ("main").  The dump
 * holds the parts of five images a walk needs (headers, export tables,
 * .pdata/UNWIND_INFO, import slots, the code pages on the stacks), three
 * threads whose stacks are real call chains through that code, and the
 * TEB -> PEB -> KernelCallbackTable chain:
 *
 *   main   (crashed)  RtlUserThreadStart -> BaseThreadInitThunk -> mainCRTStartup
 *                     -> main -> process_request (handle_item inlined) -> crash_here
 *   worker (waiting)  ... -> worker_thread -> WaitForSingleObjectEx
 *                     -> ntdll!NtWaitForSingleObject
 *   ui     (parked)   ... -> ui_thread -> GetMessageW -> win32u!NtUserGetMessage
 *                     == kernel callback (KernelCallbackTable[2]) ==>
 *                     ntdll!KiUserCallbackDispatcher -> user32!__fnDWORD
 *                     -> ntdll!ZwCallbackReturn, which has not returned
 *
 * symbols/demo.pdb/<id>/demo.sym describes demo.exe (FUNC + line records
 * recorded while its code is assembled below, one INLINE, one PUBLIC);
 * symbols/user32.pdb/<id>/user32.sym holds user32's public symbols, as a
 * symbol server gives them.  ntdll, kernel32 and win32u are named by their
 * export tables.
 *
 * demo.exe's source (demo.c; never compiled, the code below is what a
 * compiler would make of it; the line numbers are the .sym's):
 *
 *   30  static void log_value(int value)
 *   31  {
 *   32      g_last_value = value;
 *   33  }
 *   39  static void crash_here(struct record *rec, int value)
 *   40  {
 *   41      log_value(value);
 *   42      rec->count = value;
 *   43  }
 *   50  static inline void handle_item(struct request *req, int index)
 *   51  {
 *   52      crash_here(req->items[index], index + 1);
 *   53  }
 *   60  void process_request(struct request *req)
 *   61  {
 *   62      if (req->count > 0)
 *   63          handle_item(req, 0);
 *   64  }
 *   70  int main(void)
 *   71  {
 *   72      process_request(&g_request);
 *   73      return 0;
 *   74  }
 *   80  static DWORD WINAPI worker_thread(void *param)
 *   81  {
 *   82      WaitForSingleObjectEx(g_work_event, INFINITE, FALSE);
 *   83      return 0;
 *   84  }
 *   90  static LRESULT CALLBACK WndProc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
 *   91  {
 *   92      return 0;
 *   93  }
 *  100  static DWORD WINAPI ui_thread(void *param)
 *  101  {
 *  102      MSG msg;
 *  103      while (GetMessageW(&msg, NULL, 0, 0) > 0)
 *  104          DispatchMessageW(&msg);
 *  105      return 0;
 *  106  }
 *
 * System-call numbers are Windows 10 22H2's (lib/analysis/ssn_table.c):
 * NtWaitForSingleObject 4, NtCallbackReturn 5, NtUserPeekMessage 0x1001,
 * NtUserGetMessage 0x1006, NtUserMessageCall 0x1007; ntdll and win32u lay
 * their stubs out 0x20 bytes apart in number order. */
#include "fixture_gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dumpwalk/threads.h"
#include "mdwriter.h"
#include "pe_builder.h"

enum {
    ARCH_AMD64 = 9,        /* PROCESSOR_ARCHITECTURE_AMD64 */
    PLATFORM_WIN32_NT = 2, /* VER_PLATFORM_WIN32_NT */
    OS_BUILD = 19045,
    PID = 4242,
    MEM_COMMIT = 0x1000,
    MEM_FREE = 0x10000,
    MEM_PRIVATE = 0x20000,
    MEM_IMAGE = 0x1000000,
    PAGE_NOACCESS = 0x01,
    PAGE_READONLY = 0x02,
    PAGE_READWRITE = 0x04,
    PAGE_EXECUTE_READ = 0x20,
    /* The dump holds the pages of the images it needs, as whole pages. */
    CAPTURE_GRANULE = 0x1000,
};

/* ---- the modules -------------------------------------------------------------- */

#define DEMO 0x140000000ULL
#define NTDLL 0x7ffb00000000ULL
#define KERNEL32 0x7ffaf0000000ULL
#define USER32 0x7ffaf2000000ULL
#define WIN32U 0x7ffaee000000ULL

/* 10.0.19041.3636, the system DLLs' file version on build 19045. */
#define OS_FILE_VERSION ((10ULL << 48) | (19041ULL << 16) | 3636)

static const uint8_t demo_guid[16] = {0x3d, 0x5a, 0x1c, 0x8e, 0x42, 0x7b, 0x90, 0x4f,
                                      0xa1, 0x6e, 0x52, 0x0b, 0xc4, 0x33, 0x19, 0xd7};
static const uint8_t ntdll_guid[16] = {0x8d, 0x3f, 0x6b, 0x2a, 0x10, 0xe4, 0x5c, 0x4b,
                                       0x9e, 0x27, 0x04, 0xf1, 0x6a, 0xb8, 0x55, 0x01};
static const uint8_t k32_guid[16] = {0xc2, 0x71, 0x0e, 0x94, 0x3b, 0xa5, 0xd8, 0x46,
                                     0x87, 0x19, 0xee, 0x40, 0x2d, 0x6c, 0x93, 0x7a};
static const uint8_t user32_guid[16] = {0x5e, 0x09, 0xb7, 0x41, 0xc8, 0x2d, 0x61, 0x4a,
                                        0xb3, 0x7f, 0x90, 0x15, 0xe2, 0x48, 0x0c, 0x6d};
static const uint8_t win32u_guid[16] = {0x17, 0xa4, 0x3e, 0xd0, 0x6b, 0x92, 0x0f, 0x4c,
                                        0x8a, 0x51, 0x2c, 0xe9, 0x74, 0x06, 0xbd, 0x38};

/* Each image's sections (raw offset = RVA) and where its tables go. */
static const pe_layout demo_layout = {
    .size_of_image = 0x5000,
    .time_date_stamp = 0x65a1b2c3,
    .exe = 1,
    .entry_rva = 0x1300,
    .pdata_rva = 0x4000,
    .unwind_rva = 0x2400,
    .section_count = 4,
    .sections = {{".text", 0x1000, 0x1000, PE_SCN_TEXT},
                 {".rdata", 0x2000, 0x1000, PE_SCN_RDATA},
                 {".data", 0x3000, 0x1000, PE_SCN_DATA},
                 {".pdata", 0x4000, 0x1000, PE_SCN_RDATA}},
};

static const pe_layout ntdll_layout = {
    .size_of_image = 0x1f0000,
    .time_date_stamp = 0x8e2f1d07,
    .export_rva = 0x11da00,
    .pdata_rva = 0x174000,
    .unwind_rva = 0x11d800,
    .section_count = 4,
    .sections = {{".text", 0x1000, 0x11c000, PE_SCN_TEXT},
                 {".rdata", 0x11d000, 0x4b000, PE_SCN_RDATA},
                 {".data", 0x168000, 0xc000, PE_SCN_DATA},
                 {".pdata", 0x174000, 0xf000, PE_SCN_RDATA}},
};

static const pe_layout kernel32_layout = {
    .size_of_image = 0xc0000,
    .time_date_stamp = 0x3a4b5c6d,
    .export_rva = 0x7fa00,
    .pdata_rva = 0xb6000,
    .unwind_rva = 0x7f800,
    .section_count = 4,
    .sections = {{".text", 0x1000, 0x7e000, PE_SCN_TEXT},
                 {".rdata", 0x7f000, 0x35000, PE_SCN_RDATA},
                 {".data", 0xb4000, 0x2000, PE_SCN_DATA},
                 {".pdata", 0xb6000, 0x6000, PE_SCN_RDATA}},
};

static const pe_layout user32_layout = {
    .size_of_image = 0xa5000,
    .time_date_stamp = 0x9b1c6e52,
    .export_rva = 0x72a00,
    .pdata_rva = 0x97000,
    .unwind_rva = 0x72800,
    .section_count = 4,
    .sections = {{".text", 0x1000, 0x71000, PE_SCN_TEXT},
                 {".rdata", 0x72000, 0x22000, PE_SCN_RDATA},
                 {".data", 0x94000, 0x3000, PE_SCN_DATA},
                 {".pdata", 0x97000, 0x6000, PE_SCN_RDATA}},
};

static const pe_layout win32u_layout = {
    .size_of_image = 0x22000,
    .time_date_stamp = 0x2d7f0a13,
    .export_rva = 0x1b000,
    .pdata_rva = 0x20000,
    .unwind_rva = 0x1b800,
    .section_count = 4,
    .sections = {{".text", 0x1000, 0x1a000, PE_SCN_TEXT},
                 {".rdata", 0x1b000, 0x4000, PE_SCN_RDATA},
                 {".data", 0x1f000, 0x1000, PE_SCN_DATA},
                 {".pdata", 0x20000, 0x2000, PE_SCN_RDATA}},
};

/* Function RVAs. */
enum {
    /* demo.exe */
    D_PROCESS_REQUEST = 0x1100,
    D_MAIN = 0x1140,
    D_WORKER_THREAD = 0x1180,
    D_WNDPROC = 0x11c0,
    D_UI_THREAD = 0x11d0,
    D_MAIN_CRT_STARTUP = 0x1300,
    D_LOG_VALUE = 0x1a00,
    D_CRASH_HERE = 0x1a10,
    D_IAT_EXIT_PROCESS = 0x2000, /* import address table slots */
    D_IAT_WAIT = 0x2008,
    D_IAT_DISPATCH_MESSAGE = 0x2018,
    D_IAT_GET_MESSAGE = 0x2020,
    D_LAST_VALUE = 0x3000, /* data */
    D_WORK_EVENT = 0x3008,
    D_REQUEST = 0x3040,
    /* ntdll */
    N_RTL_USER_THREAD_START = 0x526d0,
    N_RTL_EXIT_USER_THREAD = 0x67e80,
    N_DISPATCH_USER_CALL_TARGET = 0x8f1a0, /* LdrpDispatchUserCallTarget */
    N_WAIT_FOR_SINGLE_OBJECT = 0x9d1d0,
    N_CALLBACK_RETURN = 0x9d1f0,
    N_KI_USER_CALLBACK_DISPATCHER = 0xa0c40,
    N_RTL_RAISE_STATUS = 0xa2e50,
    N_THREAD_INIT_THUNK_PTR = 0x168a30, /* Kernel32ThreadInitThunkFunction */
    /* kernel32 */
    K_BASE_THREAD_INIT_THUNK = 0x17600,
    K_WAIT_FOR_SINGLE_OBJECT_EX = 0x1b2e0,
    K_EXIT_PROCESS = 0x1e2a0,
    K_IAT_NT_WAIT = 0x7f000,
    K_IAT_EXIT_USER_THREAD = 0x7f008,
    K_GUARD_DISPATCH = 0x7f400, /* __guard_dispatch_icall_fptr */
    /* user32 */
    U_FN_DWORD = 0x1a5e0,
    U_GET_MESSAGE_W = 0x1c480,
    U_DISPATCH_MESSAGE_W = 0x1c9c0,
    U_DISPATCH_MESSAGE_WORKER = 0x2a1f0,
    U_IAT_CALLBACK_RETURN = 0x72000,
    U_IAT_GET_MESSAGE = 0x72010,
    U_APFN_DISPATCH = 0x94e40, /* the KernelCallbackTable */
    /* win32u */
    W_NT_USER_PEEK_MESSAGE = 0x1020,
    W_NT_USER_GET_MESSAGE = 0x10c0,
    W_NT_USER_MESSAGE_CALL = 0x10e0,
};

/* KernelCallbackTable index of __fnDWORD. */
#define API_FN_DWORD 2

/* Return addresses (RVAs), recorded as the calls are assembled. */
typedef struct returns {
    uint32_t crash_here_to_process; /* in demo!process_request */
    uint32_t process_to_main;       /* demo!main */
    uint32_t main_to_crt;           /* demo!mainCRTStartup */
    uint32_t wait_to_worker;        /* demo!worker_thread */
    uint32_t get_message_to_ui;     /* demo!ui_thread */
    uint32_t start_to_thunk;        /* kernel32!BaseThreadInitThunk */
    uint32_t nt_wait_to_wait_ex;    /* kernel32!WaitForSingleObjectEx */
    uint32_t thunk_to_start;        /* ntdll!RtlUserThreadStart */
    uint32_t routine_to_dispatcher; /* ntdll!KiUserCallbackDispatcher */
    uint32_t callback_return_to_fn; /* user32!__fnDWORD */
    uint32_t nt_get_message_to_get; /* user32!GetMessageW */
} returns;

/* Stack bytes each function's prologue reserves below its return address. */
enum {
    F_CRASH_HERE = 0x28, /* push rbx; sub rsp,20h */
    F_PROCESS_REQUEST = 0x28,
    F_MAIN = 0x28,
    F_CRT = 0x28,
    F_WORKER = 0x28,
    F_UI = 0x58,
    F_THUNK = 0x28,
    F_START = 0x78,
    F_WAITEX = 0x38,
    F_FN_DWORD = 0x38,
    F_GET_MESSAGE = 0x28,
};

/* ---- demo.exe's line table, recorded while assembling --------------------------- */

#define MAX_FUNCS 8
#define MAX_LINES 8

typedef struct sym_func {
    const char *name;
    uint32_t rva, size;
    uint32_t line_rva[MAX_LINES];
    unsigned line[MAX_LINES];
    unsigned nlines;
    /* One inlined call (INLINE nest 0, file 0, origin 0) or none. */
    uint32_t inline_rva, inline_size;
    unsigned inline_call_line;
} sym_func;

typedef struct sym_table {
    sym_func f[MAX_FUNCS];
    unsigned n;
} sym_table;

static sym_func *func_begin(sym_table *t, const char *name, uint32_t rva)
{
    if (t->n == MAX_FUNCS)
        abort();
    sym_func *f = &t->f[t->n++];
    memset(f, 0, sizeof *f);
    f->name = name;
    f->rva = rva;
    return f;
}

/* The next instructions belong to source line `line`. */
static void at_line(sym_func *f, const pe_asm *a, unsigned line)
{
    if (f->nlines == MAX_LINES)
        abort();
    f->line_rva[f->nlines] = a->at;
    f->line[f->nlines++] = line;
}

static void func_end(sym_func *f, const pe_asm *a)
{
    f->size = a->at - f->rva;
}

/* A function with `sub rsp,alloc` as its whole prologue, and its .pdata. */
static void frame_pdata(pe_image *p, const sym_func *f, uint32_t alloc)
{
    uint8_t ui[PE_UNWIND_SLOT];
    size_t n = pe_unwind_frame(ui, 0, 4, alloc);
    pe_pdata(p, f->rva, f->rva + f->size, ui, n);
}

/* ---- demo.exe --------------------------------------------------------------------- */

static void demo_leaves(pe_image *p, sym_table *t)
{
    pe_asm a = pe_asm_at(p, D_LOG_VALUE);
    sym_func *f = func_begin(t, "log_value", D_LOG_VALUE);
    at_line(f, &a, 32);
    ASM_RIPREL(&a, "\x89\x0d", D_LAST_VALUE); /* mov [g_last_value],ecx */
    at_line(f, &a, 33);
    ASM(&a, "\xc3");
    func_end(f, &a);

    a = pe_asm_at(p, D_WNDPROC);
    f = func_begin(t, "WndProc", D_WNDPROC);
    at_line(f, &a, 92);
    ASM(&a, "\x33\xc0"); /* xor eax,eax */
    at_line(f, &a, 93);
    ASM(&a, "\xc3");
    func_end(f, &a);
}

/* The write through rec (rbx = 0x45) faults at crash_here + 0x1c = 0x1a2c. */
static void demo_crash_here(pe_image *p, sym_table *t)
{
    pe_asm a = pe_asm_at(p, D_CRASH_HERE);
    sym_func *f = func_begin(t, "crash_here", D_CRASH_HERE);
    at_line(f, &a, 40);
    ASM(&a, "\x40\x53");             /* push rbx */
    ASM(&a, "\x48\x83\xec\x20");     /* sub rsp,20h */
    ASM(&a, "\x48\x8b\xd9");         /* mov rbx,rcx */
    ASM(&a, "\x48\x89\x54\x24\x38"); /* mov [rsp+38h],rdx (home) */
    at_line(f, &a, 41);
    ASM(&a, "\x8b\xca"); /* mov ecx,edx */
    asm_call(&a, DEMO + D_LOG_VALUE);
    at_line(f, &a, 42);
    ASM(&a, "\x8b\x4c\x24\x38"); /* mov ecx,[rsp+38h] */
    ASM(&a, "\x48\x8b\xc3");     /* mov rax,rbx */
    ASM(&a, "\x89\x08");         /* mov [rax],ecx: the fault */
    at_line(f, &a, 43);
    ASM(&a, "\x48\x83\xc4\x20\x5b\xc3"); /* add rsp,20h; pop rbx; ret */
    func_end(f, &a);
    uint8_t ui[PE_UNWIND_SLOT];
    size_t n = pe_unwind_frame(ui, 2, 6, 0x20);
    pe_pdata(p, f->rva, f->rva + f->size, ui, n);
}

static void demo_process_request(pe_image *p, sym_table *t, returns *r)
{
    pe_asm a = pe_asm_at(p, D_PROCESS_REQUEST);
    sym_func *f = func_begin(t, "process_request", D_PROCESS_REQUEST);
    at_line(f, &a, 61);
    ASM(&a, "\x48\x83\xec\x28"); /* sub rsp,28h */
    at_line(f, &a, 62);
    ASM(&a, "\x83\x79\x08\x00"); /* cmp dword ptr [rcx+8],0 */
    ASM(&a, "\x7e\x10");         /* jle the epilogue */
    /* handle_item(req, 0), inlined from line 63 */
    f->inline_rva = a.at;
    f->inline_call_line = 63;
    at_line(f, &a, 52);
    ASM(&a, "\x48\x8b\x09");         /* mov rcx,[rcx] (items) */
    ASM(&a, "\x48\x8b\x09");         /* mov rcx,[rcx] (items[0]) */
    ASM(&a, "\xba\x01\x00\x00\x00"); /* mov edx,1 */
    r->crash_here_to_process = asm_call(&a, DEMO + D_CRASH_HERE);
    f->inline_size = a.at - f->inline_rva;
    at_line(f, &a, 64);
    ASM(&a, "\x48\x83\xc4\x28\xc3"); /* add rsp,28h; ret */
    func_end(f, &a);
    frame_pdata(p, f, F_PROCESS_REQUEST);
}

static void demo_main(pe_image *p, sym_table *t, returns *r)
{
    pe_asm a = pe_asm_at(p, D_MAIN);
    sym_func *f = func_begin(t, "main", D_MAIN);
    at_line(f, &a, 71);
    ASM(&a, "\x48\x83\xec\x28");
    at_line(f, &a, 72);
    ASM_RIPREL(&a, "\x48\x8d\x0d", D_REQUEST); /* lea rcx,[g_request] */
    r->process_to_main = asm_call(&a, DEMO + D_PROCESS_REQUEST);
    at_line(f, &a, 73);
    ASM(&a, "\x33\xc0");
    at_line(f, &a, 74);
    ASM(&a, "\x48\x83\xc4\x28\xc3");
    func_end(f, &a);
    frame_pdata(p, f, F_MAIN);
}

static void demo_worker_thread(pe_image *p, sym_table *t, returns *r)
{
    pe_asm a = pe_asm_at(p, D_WORKER_THREAD);
    sym_func *f = func_begin(t, "worker_thread", D_WORKER_THREAD);
    at_line(f, &a, 81);
    ASM(&a, "\x48\x83\xec\x28");
    at_line(f, &a, 82);
    ASM_RIPREL(&a, "\x48\x8b\x0d", D_WORK_EVENT); /* mov rcx,[g_work_event] */
    ASM(&a, "\x45\x33\xc0");                      /* xor r8d,r8d */
    ASM(&a, "\x83\xca\xff");                      /* or edx,0FFFFFFFFh */
    r->wait_to_worker =
        ASM_RIPREL(&a, "\xff\x15", D_IAT_WAIT); /* call [__imp_WaitForSingleObjectEx] */
    at_line(f, &a, 83);
    ASM(&a, "\x33\xc0");
    at_line(f, &a, 84);
    ASM(&a, "\x48\x83\xc4\x28\xc3");
    func_end(f, &a);
    frame_pdata(p, f, F_WORKER);
}

static void demo_ui_thread(pe_image *p, sym_table *t, returns *r)
{
    pe_asm a = pe_asm_at(p, D_UI_THREAD);
    sym_func *f = func_begin(t, "ui_thread", D_UI_THREAD);
    at_line(f, &a, 101);
    ASM(&a, "\x48\x83\xec\x58"); /* sub rsp,58h (MSG at rsp+20h) */
    at_line(f, &a, 103);
    ASM(&a, "\xeb\x0b"); /* jmp the loop test */
    at_line(f, &a, 104);
    ASM(&a, "\x48\x8d\x4c\x24\x20");                    /* lea rcx,[rsp+20h] */
    ASM_RIPREL(&a, "\xff\x15", D_IAT_DISPATCH_MESSAGE); /* call [__imp_DispatchMessageW] */
    at_line(f, &a, 103);
    ASM(&a, "\x45\x33\xc9\x45\x33\xc0\x33\xd2"); /* xor r9d,r9d; xor r8d,r8d; xor edx,edx */
    ASM(&a, "\x48\x8d\x4c\x24\x20");             /* lea rcx,[rsp+20h] */
    r->get_message_to_ui =
        ASM_RIPREL(&a, "\xff\x15", D_IAT_GET_MESSAGE); /* call [__imp_GetMessageW] */
    ASM(&a, "\x85\xc0\x7f\xde");                       /* test eax,eax; jg the loop body */
    at_line(f, &a, 105);
    ASM(&a, "\x33\xc0");
    at_line(f, &a, 106);
    ASM(&a, "\x48\x83\xc4\x58\xc3");
    func_end(f, &a);
    frame_pdata(p, f, F_UI);
}

/* The CRT entry point: public symbol only (no line records), as a CRT
 * object without debug information gives. */
static void demo_crt(pe_image *p, sym_table *t, returns *r)
{
    pe_asm a = pe_asm_at(p, D_MAIN_CRT_STARTUP);
    sym_func *f = func_begin(t, "mainCRTStartup", D_MAIN_CRT_STARTUP);
    ASM(&a, "\x48\x83\xec\x28");
    r->main_to_crt = asm_call(&a, DEMO + D_MAIN);
    ASM(&a, "\x8b\xc8");                            /* mov ecx,eax */
    ASM_RIPREL(&a, "\xff\x15", D_IAT_EXIT_PROCESS); /* call [__imp_ExitProcess] */
    ASM(&a, "\xcc");
    func_end(f, &a);
    frame_pdata(p, f, F_CRT);
}

static void build_demo(pe_image *p, sym_table *t, returns *r)
{
    pe_init(p, 1, DEMO, &demo_layout);
    memset(t, 0, sizeof *t);
    demo_process_request(p, t, r);
    demo_main(p, t, r);
    demo_worker_thread(p, t, r);
    demo_leaves(p, t);
    demo_ui_thread(p, t, r);
    demo_crt(p, t, r);
    demo_crash_here(p, t);
    /* The import address table, as the loader bound it. */
    pe_put64(p, D_IAT_EXIT_PROCESS, KERNEL32 + K_EXIT_PROCESS);
    pe_put64(p, D_IAT_WAIT, KERNEL32 + K_WAIT_FOR_SINGLE_OBJECT_EX);
    pe_put64(p, D_IAT_DISPATCH_MESSAGE, USER32 + U_DISPATCH_MESSAGE_W);
    pe_put64(p, D_IAT_GET_MESSAGE, USER32 + U_GET_MESSAGE_W);
}

/* ---- the system DLLs ------------------------------------------------------------ */

static void build_ntdll(pe_image *p, returns *r)
{
    pe_init(p, 1, NTDLL, &ntdll_layout);
    pe_stub64(p, N_WAIT_FOR_SINGLE_OBJECT, 4);
    pe_stub64(p, N_CALLBACK_RETURN, 5);

    pe_asm a = pe_asm_at(p, N_RTL_USER_THREAD_START);
    ASM(&a, "\x48\x83\xec\x78");                 /* sub rsp,78h */
    ASM(&a, "\x4c\x8b\xc2\x48\x8b\xd1\x33\xc9"); /* r8 = param, rdx = start, ecx = 0 */
    r->thunk_to_start =
        ASM_RIPREL(&a, "\xff\x15", N_THREAD_INIT_THUNK_PTR); /* call BaseThreadInitThunk */
    ASM(&a, "\x8b\xc8");                                     /* mov ecx,eax */
    asm_call(&a, NTDLL + N_RTL_EXIT_USER_THREAD);
    ASM(&a, "\xcc");
    uint8_t ui[PE_UNWIND_SLOT];
    size_t n = pe_unwind_frame(ui, 0, 4, F_START);
    pe_pdata(p, N_RTL_USER_THREAD_START, a.at, ui, n);

    /* mov rcx,[rsp+20h] (Buffer); mov edx,[rsp+28h] (Length); mov r8d,[rsp+2Ch]
     * (ApiNumber); mov rax,gs:[60h] (PEB); mov r9,[rax+58h] (KernelCallbackTable);
     * call [r9+r8*8]; then ZwCallbackReturn(NULL, 0, status), RtlRaiseStatus. */
    a = pe_asm_at(p, N_KI_USER_CALLBACK_DISPATCHER);
    ASM(&a, "\x48\x8b\x4c\x24\x20\x8b\x54\x24\x28\x44\x8b\x44\x24\x2c"
            "\x65\x48\x8b\x04\x25\x60\x00\x00\x00\x4c\x8b\x48\x58");
    ASM(&a, "\x43\xff\x14\xc1");
    r->routine_to_dispatcher = a.at;
    ASM(&a, "\x33\xc9\x33\xd2\x44\x8b\xc0");
    asm_call(&a, NTDLL + N_CALLBACK_RETURN);
    ASM(&a, "\x8b\xf0\x8b\xce");
    asm_call(&a, NTDLL + N_RTL_RAISE_STATUS);
    ASM(&a, "\x90\xeb\xfe");
    pe_pdata(p, N_KI_USER_CALLBACK_DISPATCHER, a.at, pe_unwind_dispatcher,
             sizeof pe_unwind_dispatcher);

    static const pe_export ex[] = {
        {"KiUserCallbackDispatcher", N_KI_USER_CALLBACK_DISPATCHER},
        {"NtCallbackReturn", N_CALLBACK_RETURN},
        {"NtWaitForSingleObject", N_WAIT_FOR_SINGLE_OBJECT},
        {"RtlExitUserThread", N_RTL_EXIT_USER_THREAD},
        {"RtlRaiseStatus", N_RTL_RAISE_STATUS},
        {"RtlUserThreadStart", N_RTL_USER_THREAD_START},
        {"ZwCallbackReturn", N_CALLBACK_RETURN},
        {"ZwWaitForSingleObject", N_WAIT_FOR_SINGLE_OBJECT},
    };
    pe_exports(p, "ntdll.dll", ex, sizeof ex / sizeof ex[0]);
}

static void build_kernel32(pe_image *p, returns *r)
{
    pe_init(p, 1, KERNEL32, &kernel32_layout);
    pe_asm a = pe_asm_at(p, K_BASE_THREAD_INIT_THUNK);
    ASM(&a, "\x48\x83\xec\x28");
    ASM(&a, "\x49\x8b\xc8\x48\x8b\xc2");                              /* mov rcx,r8; mov rax,rdx */
    r->start_to_thunk = ASM_RIPREL(&a, "\xff\x15", K_GUARD_DISPATCH); /* call the thread routine */
    ASM(&a, "\x8b\xc8");                                              /* mov ecx,eax */
    ASM_RIPREL(&a, "\xff\x15", K_IAT_EXIT_USER_THREAD); /* call [__imp_RtlExitUserThread] */
    ASM(&a, "\xcc");
    uint8_t ui[PE_UNWIND_SLOT];
    size_t n = pe_unwind_frame(ui, 0, 4, F_THUNK);
    pe_pdata(p, K_BASE_THREAD_INIT_THUNK, a.at, ui, n);

    a = pe_asm_at(p, K_WAIT_FOR_SINGLE_OBJECT_EX);
    ASM(&a, "\x48\x83\xec\x38");
    ASM(&a, "\x41\x8b\xd0\x45\x33\xc0"); /* Alertable; Timeout NULL (INFINITE) */
    r->nt_wait_to_wait_ex =
        ASM_RIPREL(&a, "\xff\x15", K_IAT_NT_WAIT); /* call [__imp_NtWaitForSingleObject] */
    ASM(&a, "\x48\x83\xc4\x38\xc3");
    n = pe_unwind_frame(ui, 0, 4, F_WAITEX);
    pe_pdata(p, K_WAIT_FOR_SINGLE_OBJECT_EX, a.at, ui, n);

    pe_put64(p, K_IAT_NT_WAIT, NTDLL + N_WAIT_FOR_SINGLE_OBJECT);
    pe_put64(p, K_IAT_EXIT_USER_THREAD, NTDLL + N_RTL_EXIT_USER_THREAD);
    pe_put64(p, K_GUARD_DISPATCH, NTDLL + N_DISPATCH_USER_CALL_TARGET);
    static const pe_export ex[] = {
        {"BaseThreadInitThunk", K_BASE_THREAD_INIT_THUNK},
        {"ExitProcess", K_EXIT_PROCESS},
        {"WaitForSingleObjectEx", K_WAIT_FOR_SINGLE_OBJECT_EX},
    };
    pe_exports(p, "KERNEL32.dll", ex, sizeof ex / sizeof ex[0]);
}

static void build_win32u(pe_image *p)
{
    pe_init(p, 1, WIN32U, &win32u_layout);
    pe_stub64(p, W_NT_USER_PEEK_MESSAGE, 0x1001);
    pe_stub64(p, W_NT_USER_GET_MESSAGE, 0x1006);
    pe_stub64(p, W_NT_USER_MESSAGE_CALL, 0x1007);
    static const pe_export ex[] = {
        {"NtUserGetMessage", W_NT_USER_GET_MESSAGE},
        {"NtUserMessageCall", W_NT_USER_MESSAGE_CALL},
        {"NtUserPeekMessage", W_NT_USER_PEEK_MESSAGE},
    };
    pe_exports(p, "win32u.dll", ex, sizeof ex / sizeof ex[0]);
}

/* __fnDWORD: call the window procedure the kernel passed (arguments at rcx:
 * hwnd, message, wParam, lParam, procedure), then NtCallbackReturn with
 * its result. */
static void user32_fn_dword(pe_image *p, returns *r)
{
    pe_asm a = pe_asm_at(p, U_FN_DWORD);
    ASM(&a, "\x48\x83\xec\x38");                 /* sub rsp,38h */
    ASM(&a, "\x48\x8b\xc1");                     /* mov rax,rcx */
    ASM(&a, "\x4c\x8b\x48\x18\x4c\x8b\x40\x10"); /* r9 = lParam, r8 = wParam */
    ASM(&a, "\x8b\x50\x08\x48\x8b\x08");         /* edx = message, rcx = hwnd */
    ASM(&a, "\xff\x50\x20");                     /* call [rax+20h] */
    ASM(&a, "\x48\x89\x44\x24\x20");             /* mov [rsp+20h],rax */
    ASM(&a, "\x45\x33\xc0\xba\x08\x00\x00\x00"); /* Status 0, Length 8 */
    ASM(&a, "\x48\x8d\x4c\x24\x20");             /* lea rcx,[rsp+20h] */
    r->callback_return_to_fn =
        ASM_RIPREL(&a, "\xff\x15", U_IAT_CALLBACK_RETURN); /* call [__imp_NtCallbackReturn] */
    ASM(&a, "\x48\x83\xc4\x38\xc3");
    uint8_t ui[PE_UNWIND_SLOT];
    size_t n = pe_unwind_frame(ui, 0, 4, F_FN_DWORD);
    pe_pdata(p, U_FN_DWORD, a.at, ui, n);
}

static void build_user32(pe_image *p, returns *r)
{
    pe_init(p, 1, USER32, &user32_layout);
    user32_fn_dword(p, r);

    pe_asm a = pe_asm_at(p, U_GET_MESSAGE_W);
    ASM(&a, "\x48\x83\xec\x28");
    r->nt_get_message_to_get =
        ASM_RIPREL(&a, "\xff\x15", U_IAT_GET_MESSAGE); /* call [__imp_NtUserGetMessage] */
    ASM(&a, "\x48\x83\xc4\x28\xc3");
    uint8_t ui[PE_UNWIND_SLOT];
    size_t n = pe_unwind_frame(ui, 0, 4, F_GET_MESSAGE);
    pe_pdata(p, U_GET_MESSAGE_W, a.at, ui, n);

    a = pe_asm_at(p, U_DISPATCH_MESSAGE_W);
    ASM(&a, "\x48\x83\xec\x28\x33\xd2"); /* sub rsp,28h; xor edx,edx */
    asm_call(&a, USER32 + U_DISPATCH_MESSAGE_WORKER);
    ASM(&a, "\x48\x83\xc4\x28\xc3");
    n = pe_unwind_frame(ui, 0, 4, 0x28);
    pe_pdata(p, U_DISPATCH_MESSAGE_W, a.at, ui, n);

    pe_put64(p, U_IAT_CALLBACK_RETURN, NTDLL + N_CALLBACK_RETURN);
    pe_put64(p, U_IAT_GET_MESSAGE, WIN32U + W_NT_USER_GET_MESSAGE);
    pe_put64(p, U_APFN_DISPATCH + 8 * API_FN_DWORD, USER32 + U_FN_DWORD);
    static const pe_export ex[] = {
        {"DispatchMessageW", U_DISPATCH_MESSAGE_W},
        {"GetMessageW", U_GET_MESSAGE_W},
    };
    pe_exports(p, "USER32.dll", ex, sizeof ex / sizeof ex[0]);
}

typedef struct images {
    pe_image demo, ntdll, kernel32, win32u, user32;
    sym_table demo_syms;
    returns ret;
} images;

static void build_images(images *im)
{
    memset(&im->ret, 0, sizeof im->ret);
    build_demo(&im->demo, &im->demo_syms, &im->ret);
    build_ntdll(&im->ntdll, &im->ret);
    build_kernel32(&im->kernel32, &im->ret);
    build_win32u(&im->win32u);
    build_user32(&im->user32, &im->ret);
}

static void free_images(images *im)
{
    pe_free(&im->demo);
    pe_free(&im->ntdll);
    pe_free(&im->kernel32);
    pe_free(&im->win32u);
    pe_free(&im->user32);
}

/* ---- the threads ---------------------------------------------------------------- */

#define PEB 0xe1d2c3000ULL

typedef struct fixture_thread {
    uint32_t tid;
    const char *name;
    uint64_t teb;
    uint64_t stack_top; /* NT_TIB StackBase */
    uint64_t rsp;
    uint64_t start; /* the routine the thread was created to run */
} fixture_thread;

enum { T_MAIN, T_WORKER, T_UI, THREAD_COUNT };

/* A thread parked in a system call stub rests after its `call`, so its RSP
 * is 8 mod 16; a thread inside a function body has RSP 0 mod 16. */
static const fixture_thread threads[THREAD_COUNT] = {
    {0x1000, "main", 0xe1d2c4000ULL, 0xe1d300000ULL, 0xe1d2ffe00ULL, DEMO + D_MAIN_CRT_STARTUP},
    {0x1004, "worker", 0xe1d2c6000ULL, 0xe1d500000ULL, 0xe1d4ffe08ULL, DEMO + D_WORKER_THREAD},
    {0x1008, "ui", 0xe1d2c8000ULL, 0xe1d700000ULL, 0xe1d6ffd88ULL, DEMO + D_UI_THREAD},
};

/* Walking up: the frame at *sp reserved `frame` bytes, then its return
 * address; the caller's frame starts after it. */
static void push_return(pe_stack *s, uint64_t *sp, uint32_t frame, uint64_t ret)
{
    stk_put64(s, *sp + frame, ret);
    *sp += frame + 8;
}

/* kernel32!BaseThreadInitThunk and ntdll!RtlUserThreadStart under every
 * thread's routine; RtlUserThreadStart has no caller (0). */
static void thread_base(pe_stack *s, uint64_t sp, const returns *r)
{
    push_return(s, &sp, F_THUNK, NTDLL + r->thunk_to_start);
    push_return(s, &sp, F_START, 0);
}

static void main_stack(pe_stack *s, const fixture_thread *t, const returns *r)
{
    uint64_t sp = t->rsp;
    stk_put64(s, sp + 0x20, DEMO + D_REQUEST); /* rbx pushed by crash_here */
    stk_put64(s, sp + 0x38, 1);                /* value, homed */
    push_return(s, &sp, F_CRASH_HERE, DEMO + r->crash_here_to_process);
    push_return(s, &sp, F_PROCESS_REQUEST, DEMO + r->process_to_main);
    push_return(s, &sp, F_MAIN, DEMO + r->main_to_crt);
    push_return(s, &sp, F_CRT, KERNEL32 + r->start_to_thunk);
    thread_base(s, sp, r);
}

static void worker_stack(pe_stack *s, const fixture_thread *t, const returns *r)
{
    uint64_t sp = t->rsp;
    push_return(s, &sp, 0, KERNEL32 + r->nt_wait_to_wait_ex); /* the stub has no frame */
    push_return(s, &sp, F_WAITEX, DEMO + r->wait_to_worker);
    push_return(s, &sp, F_WORKER, KERNEL32 + r->start_to_thunk);
    thread_base(s, sp, r);
}

/* The window procedure's arguments the kernel copied after the callout
 * frame: hwnd, WM_PAINT, wParam, lParam, the procedure. */
static void callback_arguments(pe_stack *s, uint64_t at)
{
    stk_put64(s, at, 0x3019c);
    stk_put64(s, at + 0x08, 0x000f);
    stk_put64(s, at + 0x20, DEMO + D_WNDPROC);
}

static void ui_stack(pe_stack *s, const fixture_thread *t, const returns *r)
{
    uint64_t sp = t->rsp;
    push_return(s, &sp, 0, USER32 + r->callback_return_to_fn);
    push_return(s, &sp, F_FN_DWORD, NTDLL + r->routine_to_dispatcher);
    /* KiUserCallbackDispatcher's frame: the UCALLOUT_FRAME, the arguments,
     * then the stack of the interrupted NtUserGetMessage. */
    uint64_t callout = sp, args = callout + 0x58, outer = callout + 0x88;
    stk_callout(s, callout, args, 0x28, API_FN_DWORD,
                WIN32U + W_NT_USER_GET_MESSAGE + PE_STUB_WAIT_IP, outer);
    callback_arguments(s, args);
    sp = outer;
    push_return(s, &sp, 0, USER32 + r->nt_get_message_to_get);
    push_return(s, &sp, F_GET_MESSAGE, DEMO + r->get_message_to_ui);
    push_return(s, &sp, F_UI, KERNEL32 + r->start_to_thunk);
    thread_base(s, sp, r);
}

/* The registers each thread was captured with. */
static void thread_regs(const fixture_thread *t, mdw_regs *r)
{
    memset(r, 0, sizeof *r);
    r->r[DW_AMD64_RSP] = t->rsp;
    r->r[DW_AMD64_RFLAGS] = 0x10246;
    if (t->tid == threads[T_MAIN].tid) {
        r->r[DW_AMD64_RIP] = DEMO + D_CRASH_HERE + 0x1c;
        r->r[DW_AMD64_RAX] = 0x45; /* the faulting [rax] */
        r->r[DW_AMD64_RBX] = 0x45;
        r->r[DW_AMD64_RCX] = 0x1;
        r->r[DW_AMD64_RDX] = 0x1;
    } else if (t->tid == threads[T_WORKER].tid) {
        r->r[DW_AMD64_RIP] = NTDLL + N_WAIT_FOR_SINGLE_OBJECT + PE_STUB_WAIT_IP;
        r->r[DW_AMD64_RAX] = 4; /* the system call's number */
        r->r[DW_AMD64_R10] = r->r[DW_AMD64_RCX] = 0x3c;
    } else {
        r->r[DW_AMD64_RIP] = NTDLL + N_CALLBACK_RETURN + PE_STUB_WAIT_IP;
        r->r[DW_AMD64_RAX] = 5;
        r->r[DW_AMD64_R10] = r->r[DW_AMD64_RCX] = t->rsp + 0x28;
        r->r[DW_AMD64_RDX] = 8;
    }
}

static uint32_t thread_context(mdw *w, const fixture_thread *t, uint32_t *size)
{
    mdw_regs r;
    thread_regs(t, &r);
    return scn_context64(w, &r, size);
}

static void add_threads(mdw *w, const images *im)
{
    static pe_stack stack;
    for (size_t i = 0; i < THREAD_COUNT; i++) {
        const fixture_thread *t = &threads[i];
        stk_init(&stack, t->rsp, (uint32_t)(t->stack_top - t->rsp));
        if (i == T_MAIN)
            main_stack(&stack, t, &im->ret);
        else if (i == T_WORKER)
            worker_stack(&stack, t, &im->ret);
        else
            ui_stack(&stack, t, &im->ret);
        uint32_t ctx_size, ctx = thread_context(w, t, &ctx_size);
        mdw_add_thread(w, t->tid, t->teb, t->rsp, stack.b, stack.size, ctx, ctx_size);
        /* Real dumps also list each stack in the MemoryList. */
        mdw_add_memory(w, t->rsp, stack.b, stack.size);
        mdw_add_thread_name(w, t->tid, t->name);
        mdw_add_thread_info(w, t->tid, 0, 0x01da000000000000ULL + i * 10000000ULL, t->start, 0xff);
    }
}

/* TEBs, the PEB and its KernelCallbackTable (user32's apfnDispatch). */
static void add_process_memory(mdw *w)
{
    for (size_t i = 0; i < THREAD_COUNT; i++)
        scn_add_teb64(w, threads[i].teb, PEB, threads[i].stack_top, threads[i].stack_top - 0x1000,
                      PID, threads[i].tid);
    scn_add_peb64(w, PEB, DEMO, USER32 + U_APFN_DISPATCH);
}

/* ---- modules, memory info, handles, exception ------------------------------------ */

typedef struct fixture_module {
    const pe_image *image;
    const char *path;
    const char *pdb;
    const uint8_t *guid;
    uint64_t version;
} fixture_module;

static void module_list(const images *im, fixture_module out[5])
{
    const fixture_module m[5] = {
        {&im->demo, "C:\\Program Files\\Demo\\demo.exe", "C:\\build\\demo\\Release\\demo.pdb",
         demo_guid, 0x0001000200030004ULL},
        {&im->ntdll, "C:\\Windows\\System32\\ntdll.dll", "ntdll.pdb", ntdll_guid, OS_FILE_VERSION},
        {&im->kernel32, "C:\\Windows\\System32\\kernel32.dll", "kernel32.pdb", k32_guid,
         OS_FILE_VERSION},
        {&im->win32u, "C:\\Windows\\System32\\win32u.dll", "win32u.pdb", win32u_guid,
         OS_FILE_VERSION},
        {&im->user32, "C:\\Windows\\System32\\user32.dll", "user32.pdb", user32_guid,
         OS_FILE_VERSION},
    };
    memcpy(out, m, sizeof m);
}

static void add_modules(mdw *w, const images *im)
{
    fixture_module m[5];
    module_list(im, m);
    for (size_t i = 0; i < 5; i++) {
        const pe_image *p = m[i].image;
        mdw_add_module(w, p->base, p->size, m[i].path, p->layout.time_date_stamp, m[i].pdb,
                       m[i].guid, 1, m[i].version);
        pe_capture(w, p, CAPTURE_GRANULE);
    }
    mdw_add_unloaded_module(w, 0x180000000ULL, 0x15000, "C:\\Program Files\\Demo\\plugin.dll",
                            0x65a1b000);
}

typedef struct region {
    uint64_t base, size;
    uint32_t state, protect, type;
} region;

static int compare_region(const void *a, const void *b)
{
    const region *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

static uint32_t section_protect(uint32_t characteristics)
{
    if (characteristics & 0x20000000u) /* IMAGE_SCN_MEM_EXECUTE */
        return PAGE_EXECUTE_READ;
    return characteristics & 0x80000000u ? PAGE_READWRITE : PAGE_READONLY; /* MEM_WRITE */
}

/* Image regions per section, the thread stacks, TEBs and PEB, and the free
 * page that holds address 0x45; sorted by address. */
static void add_memory_info(mdw *w, const images *im)
{
    region r[64];
    size_t n = 0;
    r[n++] = (region){0, 0x10000, MEM_FREE, PAGE_NOACCESS, 0};
    fixture_module m[5];
    module_list(im, m);
    for (size_t i = 0; i < 5; i++) {
        const pe_image *p = m[i].image;
        r[n++] = (region){p->base, 0x1000, MEM_COMMIT, PAGE_READONLY, MEM_IMAGE};
        for (uint32_t k = 0; k < p->layout.section_count; k++) {
            const pe_section_spec *s = &p->layout.sections[k];
            r[n++] = (region){p->base + s->rva, s->size, MEM_COMMIT,
                              section_protect(s->characteristics), MEM_IMAGE};
        }
    }
    r[n++] = (region){PEB, 0x1000, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE};
    for (size_t i = 0; i < THREAD_COUNT; i++) {
        r[n++] = (region){threads[i].teb, 0x2000, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE};
        r[n++] = (region){threads[i].stack_top - 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE,
                          MEM_PRIVATE};
    }
    qsort(r, n, sizeof r[0], compare_region);
    for (size_t i = 0; i < n; i++)
        mdw_add_memory_info(w, r[i].base, r[i].size, r[i].state, r[i].protect, r[i].type);
}

static void add_handles(mdw *w)
{
    mdw_add_handle(w, 0x4, "Directory", "\\KnownDlls", 0x3);
    mdw_add_handle(w, 0x8, "File", "\\Device\\HarddiskVolume3\\Program Files\\Demo", 0x100020);
    mdw_add_handle(w, 0x3c, "Event", NULL, 0x1f0003);
    mdw_add_handle(w, 0x40, "Key", "\\REGISTRY\\MACHINE\\SOFTWARE\\Demo", 0x20019);
}

static void add_exception(mdw *w)
{
    /* ExceptionInformation for an access violation: [0] = 1 (write),
     * [1] = the address accessed. */
    const uint64_t params[2] = {1, 0x45};
    uint32_t ctx_size;
    uint32_t ctx = thread_context(w, &threads[T_MAIN], &ctx_size);
    mdw_exception(w, threads[T_MAIN].tid, 0xc0000005, DEMO + D_CRASH_HERE + 0x1c, 2, params, ctx,
                  ctx_size);
}

static mdw *synthetic_x64(const images *im)
{
    mdw *w = mdw_new();
    /* MiniDumpWithHandleData | WithUnloadedModules | WithProcessThreadData |
     * WithFullMemoryInfo | WithThreadInfo */
    mdw_set_header(w, 0x65a1c000, 0x1924);
    mdw_system_info(w, ARCH_AMD64, 10, 0, OS_BUILD, PLATFORM_WIN32_NT, "");
    mdw_misc_info(w, 44, PID, 0x65a1bf00); /* MINIDUMP_MISC_INFO_2 */
    add_exception(w);
    add_threads(w, im);
    add_modules(w, im);
    add_process_memory(w);
    add_memory_info(w, im);
    add_handles(w);
    return w;
}

/* ---- the symbol files -------------------------------------------------------------- */

typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void emit(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(text *t, const char *fmt, ...)
{
    if (!t->p && !(t->p = malloc(t->cap = 1024)))
        abort();
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            abort();
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = (t->cap + (size_t)n) * 2;
        t->p = realloc(t->p, t->cap);
        if (!t->p)
            abort();
    }
}

/* Breakpad code id: TimeDateStamp (8 hex digits) then SizeOfImage. */
static void emit_code_id(text *t, const pe_image *p, const char *file)
{
    emit(t, "INFO CODE_ID %08X%x %s\n", p->layout.time_date_stamp, p->size, file);
}

/* FUNC then INLINE then line records (address size line file), as
 * dump_syms orders them; the mainCRTStartup entry has no lines: PUBLIC. */
static void emit_demo_funcs(text *t, const sym_table *tab)
{
    const sym_func *order[MAX_FUNCS];
    unsigned n = 0;
    for (unsigned i = 0; i < tab->n; i++) {
        unsigned k = n++;
        for (; k > 0 && order[k - 1]->rva > tab->f[i].rva; k--)
            order[k] = order[k - 1];
        order[k] = &tab->f[i];
    }
    for (unsigned i = 0; i < n; i++) {
        const sym_func *f = order[i];
        if (f->nlines == 0)
            continue;
        emit(t, "FUNC %x %x 0 %s\n", f->rva, f->size, f->name);
        if (f->inline_size)
            emit(t, "INLINE 0 %u 0 0 %x %x\n", f->inline_call_line, f->inline_rva, f->inline_size);
        for (unsigned k = 0; k < f->nlines; k++) {
            uint32_t end = k + 1 < f->nlines ? f->line_rva[k + 1] : f->rva + f->size;
            emit(t, "%x %x %u 0\n", f->line_rva[k], end - f->line_rva[k], f->line[k]);
        }
    }
    for (unsigned i = 0; i < n; i++)
        if (order[i]->nlines == 0)
            emit(t, "PUBLIC %x 0 %s\n", order[i]->rva, order[i]->name);
}

/* The store path of a .sym: <pdb>/<debug id>/<pdb without .pdb>.sym. */
static void sym_path(char out[256], const char *name, const uint8_t guid[16])
{
    char id[41];
    scn_debug_id(guid, 1, id);
    snprintf(out, 256, "symbols/%s.pdb/%s/%s.sym", name, id, name);
}

static int write_symbols(const char *dir, const images *im)
{
    char root[1024], id[41];
    snprintf(root, sizeof root, "%s/symbols", dir);
    text t = {0};
    emit_code_id(&t, &im->demo, "demo.exe");
    emit(&t, "FILE 0 C:\\build\\demo\\demo.c\n");
    emit(&t, "INLINE_ORIGIN 0 handle_item\n");
    emit_demo_funcs(&t, &im->demo_syms);
    scn_debug_id(demo_guid, 1, id);
    int rc = scn_write_sym(root, "demo.pdb", id, t.p);

    t.len = 0;
    emit_code_id(&t, &im->user32, "user32.dll");
    emit(&t, "PUBLIC %x 0 __fnDWORD\n", U_FN_DWORD);
    emit(&t, "PUBLIC %x 0 GetMessageW\n", U_GET_MESSAGE_W);
    emit(&t, "PUBLIC %x 0 DispatchMessageW\n", U_DISPATCH_MESSAGE_W);
    emit(&t, "PUBLIC %x 0 DispatchMessageWorker\n", U_DISPATCH_MESSAGE_WORKER);
    scn_debug_id(user32_guid, 1, id);
    rc |= scn_write_sym(root, "user32.pdb", id, t.p);
    free(t.p);
    return rc;
}

/* ---- entry ---------------------------------------------------------------------- */

#define FILE_COUNT 3

const char *const *fixture_files(size_t *count)
{
    static char files[FILE_COUNT][256];
    static const char *ptrs[FILE_COUNT];
    snprintf(files[0], sizeof files[0], "synthetic-x64.dmp");
    sym_path(files[1], "demo", demo_guid);
    sym_path(files[2], "user32", user32_guid);
    for (size_t i = 0; i < FILE_COUNT; i++)
        ptrs[i] = files[i];
    *count = FILE_COUNT;
    return ptrs;
}

int fixture_write_all(const char *dir)
{
    if (scn_mkdirs(dir) != 0) {
        fprintf(stderr, "make_fixtures: cannot create %s\n", dir);
        return -1;
    }
    images im;
    build_images(&im);
    char path[1200];
    snprintf(path, sizeof path, "%s/synthetic-x64.dmp", dir);
    mdw *w = synthetic_x64(&im);
    int rc = mdw_write_file(w, path);
    mdw_free(w);
    if (rc != 0)
        fprintf(stderr, "make_fixtures: cannot write %s\n", path);
    else if (write_symbols(dir, &im) != 0) {
        fprintf(stderr, "make_fixtures: cannot write the symbol files under %s/symbols\n", dir);
        rc = -1;
    }
    free_images(&im);
    return rc == 0 ? 0 : -1;
}
