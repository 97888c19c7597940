/* Writes the bundled synthetic fixture(s) with the test minidump writer.
 *
 *   make_fixtures [DIR]    (DIR defaults to "fixtures")
 *
 * synthetic-x64.dmp: a Windows 10.0.19045 x64 process (pid 4242) that took a
 * write access violation at address 0x45 in demo.exe on thread 0x1000.
 * Every value below is the fixture's ground truth; tests read it back. */
#include <stdio.h>
#include <string.h>

#include "mdwriter.h"

#include "dumpwalk/threads.h"

enum {
    ARCH_AMD64 = 9,                /* PROCESSOR_ARCHITECTURE_AMD64 */
    PLATFORM_WIN32_NT = 2,         /* VER_PLATFORM_WIN32_NT */
    CONTEXT_AMD64_FULL = 0x10000b, /* CONTROL | INTEGER | SEGMENTS */
    STACK_BYTES = 512,
    MEM_COMMIT = 0x1000,
    MEM_FREE = 0x10000,
    MEM_PRIVATE = 0x20000,
    MEM_IMAGE = 0x1000000,
    PAGE_NOACCESS = 0x01,
    PAGE_READONLY = 0x02,
    PAGE_READWRITE = 0x04,
    PAGE_EXECUTE_READ = 0x20,
};

#define DEMO_BASE 0x140000000ULL
#define NTDLL_BASE 0x7ffb00000000ULL
#define KERNEL32_BASE 0x7ffaf0000000ULL

/* Return addresses planted on the stacks, as a stack scanner would find them. */
#define RET_DEMO_MAIN (DEMO_BASE + 0x110b)
#define RET_DEMO_CRT (DEMO_BASE + 0x14f0)
#define RET_BASE_THREAD_INIT (KERNEL32_BASE + 0x17614)
#define RET_USER_THREAD_START (NTDLL_BASE + 0x526f1)

typedef struct fixture_thread {
    uint32_t tid;
    uint64_t teb;
    uint64_t rsp;
    uint64_t rip;
    const char *name; /* NULL: unnamed */
} fixture_thread;

static const fixture_thread threads[3] = {
    {0x1000, 0xe1d2c4000ULL, 0xe1d2ffe00ULL, DEMO_BASE + 0x1a2c, "main"},
    {0x1004, 0xe1d2c6000ULL, 0xe1d4ffe00ULL, NTDLL_BASE + 0x9d1e4, "worker"},
    {0x1008, 0xe1d2c8000ULL, 0xe1d6ffe00ULL, NTDLL_BASE + 0xa0a44, NULL},
};

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A stack whose frames return into demo.exe (main thread only), then
 * kernel32!BaseThreadInitThunk and ntdll!RtlUserThreadStart. */
static void fill_stack(uint8_t *stack, int is_main)
{
    memset(stack, 0, STACK_BYTES);
    size_t off = 0x28;
    if (is_main) {
        put64(stack + off, RET_DEMO_MAIN);
        off += 0x30;
        put64(stack + off, RET_DEMO_CRT);
        off += 0x30;
    }
    put64(stack + off, RET_BASE_THREAD_INIT);
    off += 0x30;
    put64(stack + off, RET_USER_THREAD_START);
}

static uint32_t thread_context(mdw *w, const fixture_thread *t, uint32_t *size)
{
    mdw_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.r[DW_AMD64_RSP] = t->rsp;
    regs.r[DW_AMD64_RIP] = t->rip;
    regs.r[DW_AMD64_RAX] = t->tid == 0x1000 ? 0x45 : 0x102; /* the faulting [rax] */
    regs.r[DW_AMD64_RCX] = 0x1;
    regs.r[DW_AMD64_RFLAGS] = 0x10246;
    regs.r[DW_AMD64_CS] = 0x33;
    regs.r[DW_AMD64_SS] = 0x2b;
    regs.r[DW_AMD64_DS] = 0x2b;
    regs.r[DW_AMD64_ES] = 0x2b;
    regs.r[DW_AMD64_FS] = 0x53;
    regs.r[DW_AMD64_GS] = 0x2b;
    return mdw_context_amd64(w, &regs, CONTEXT_AMD64_FULL, size);
}

static void add_threads(mdw *w)
{
    uint8_t stack[STACK_BYTES];
    for (size_t i = 0; i < 3; i++) {
        const fixture_thread *t = &threads[i];
        uint32_t ctx_size;
        uint32_t ctx = thread_context(w, t, &ctx_size);
        fill_stack(stack, t->tid == 0x1000);
        mdw_add_thread(w, t->tid, t->teb, t->rsp, stack, sizeof stack, ctx, ctx_size);
        /* Real dumps also list each stack in the MemoryList. */
        mdw_add_memory(w, t->rsp, stack, sizeof stack);
        if (t->name)
            mdw_add_thread_name(w, t->tid, t->name);
        mdw_add_thread_info(w, t->tid, 0, 0x01da000000000000ULL + i * 10000000ULL,
                            i == 0 ? DEMO_BASE + 0x1500 : NTDLL_BASE + 0x2ae0, 0xff);
    }
}

static void add_modules(mdw *w)
{
    static const uint8_t demo_guid[16] = {0x3d, 0x5a, 0x1c, 0x8e, 0x42, 0x7b, 0x90, 0x4f,
                                          0xa1, 0x6e, 0x52, 0x0b, 0xc4, 0x33, 0x19, 0xd7};
    static const uint8_t ntdll_guid[16] = {0x8d, 0x3f, 0x6b, 0x2a, 0x10, 0xe4, 0x5c, 0x4b,
                                           0x9e, 0x27, 0x04, 0xf1, 0x6a, 0xb8, 0x55, 0x01};
    static const uint8_t k32_guid[16] = {0xc2, 0x71, 0x0e, 0x94, 0x3b, 0xa5, 0xd8, 0x46,
                                         0x87, 0x19, 0xee, 0x40, 0x2d, 0x6c, 0x93, 0x7a};
    const uint64_t os_version = (10ULL << 48) | (19041ULL << 16) | 3636; /* 10.0.19041.3636 */
    mdw_add_module(w, DEMO_BASE, 0x20000, "C:\\Program Files\\Demo\\demo.exe", 0x65a1b2c3,
                   "C:\\build\\demo\\Release\\demo.pdb", demo_guid, 1, 0x0001000200030004ULL);
    mdw_add_module(w, NTDLL_BASE, 0x1f0000, "C:\\Windows\\System32\\ntdll.dll", 0x8e2f1d07,
                   "ntdll.pdb", ntdll_guid, 1, os_version);
    mdw_add_module(w, KERNEL32_BASE, 0xc0000, "C:\\Windows\\System32\\kernel32.dll", 0x3a4b5c6d,
                   "kernel32.pdb", k32_guid, 1, os_version);
    mdw_add_unloaded_module(w, 0x180000000ULL, 0x15000, "C:\\Program Files\\Demo\\plugin.dll",
                            0x65a1b000);
}

/* The faulting instruction in demo.exe: mov dword ptr [rax], ecx (89 08). */
static void add_code(mdw *w)
{
    uint8_t code[64];
    memset(code, 0xcc, sizeof code);
    code[0x2c] = 0x89;
    code[0x2d] = 0x08;
    code[0x2e] = 0xc3;
    mdw_add_memory(w, DEMO_BASE + 0x1a00, code, sizeof code);
}

static void add_memory_info(mdw *w)
{
    mdw_add_memory_info(w, 0, 0x10000, MEM_FREE, PAGE_NOACCESS, 0); /* holds 0x45 */
    mdw_add_memory_info(w, DEMO_BASE, 0x1000, MEM_COMMIT, PAGE_READONLY, MEM_IMAGE);
    mdw_add_memory_info(w, DEMO_BASE + 0x1000, 0x10000, MEM_COMMIT, PAGE_EXECUTE_READ, MEM_IMAGE);
    for (size_t i = 0; i < 3; i++)
        mdw_add_memory_info(w, threads[i].rsp & ~0xfffULL, 0x1000, MEM_COMMIT, PAGE_READWRITE,
                            MEM_PRIVATE);
    mdw_add_memory_info(w, NTDLL_BASE + 0x1000, 0x11c000, MEM_COMMIT, PAGE_EXECUTE_READ, MEM_IMAGE);
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
    uint32_t ctx = thread_context(w, &threads[0], &ctx_size);
    mdw_exception(w, threads[0].tid, 0xc0000005, threads[0].rip, 2, params, ctx, ctx_size);
}

static mdw *synthetic_x64(void)
{
    mdw *w = mdw_new();
    /* MiniDumpWithHandleData | WithUnloadedModules | WithFullMemoryInfo | WithThreadInfo */
    mdw_set_header(w, 0x65a1c000, 0x1824);
    mdw_system_info(w, ARCH_AMD64, 10, 0, 19045, PLATFORM_WIN32_NT, "");
    mdw_misc_info(w, 44, 4242, 0x65a1bf00); /* MINIDUMP_MISC_INFO_2 */
    add_exception(w);
    add_threads(w);
    add_modules(w);
    add_code(w);
    add_memory_info(w);
    add_handles(w);
    return w;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "fixtures";
    char path[4096];
    snprintf(path, sizeof path, "%s/synthetic-x64.dmp", dir);
    mdw *w = synthetic_x64();
    int rc = mdw_write_file(w, path);
    mdw_free(w);
    if (rc != 0) {
        fprintf(stderr, "make_fixtures: cannot write %s\n", path);
        return 1;
    }
    printf("wrote %s\n", path);
    return 0;
}
