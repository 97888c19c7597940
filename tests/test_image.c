/* The image layer (PE headers, exports, .pdata, UNWIND_INFO, image files on
 * disk) and the x64 .pdata unwinder.
 *
 * Synthetic part: a PE32+ image assembled here with one .text section that
 * holds code, exports, .pdata and .xdata; each function's prologue/epilogue
 * bytes are real x64 encodings so capstone sees what a compiler emits.
 * Real part (skipped when /work/shared is absent): the Wine images and dumps
 * in shared/wine with their JSON ground truth. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dumpwalk/dumpwalk.h"
#include "image/image_store.h"
#include "image/pdata.h"
#include "image/pe.h"
#include "test_util.h"
#include "unwind/x64_pdata.h"
#include "util/arena.h"

/* ---- a synthetic PE32+ image ---- */

#define IMG_SIZE 0x4000
#define IMG_BASE 0x180000000ull
#define IMG_TIMESTAMP 0x5eadbeefu
#define NT_OFF 0x80
#define OPT_OFF (NT_OFF + 24)
#define SECT_OFF (OPT_OFF + 0xf0)
#define EXPORT_RVA 0x2000
#define EXPORT_SIZE 0x100
#define PDATA_RVA 0x2400

typedef struct flat_image {
    uint8_t *data;
    size_t size; /* readable bytes (shrunk to simulate absent data) */
} flat_image;

static size_t flat_read(void *ctx, uint64_t rva, void *buf, size_t len)
{
    const flat_image *f = ctx;
    if (rva >= f->size)
        return 0;
    size_t n = f->size - rva < len ? (size_t)(f->size - rva) : len;
    memcpy(buf, f->data + rva, n);
    return n;
}

static uint8_t img[IMG_SIZE];

static void put16(uint32_t at, uint16_t v)
{
    img[at] = (uint8_t)v;
    img[at + 1] = (uint8_t)(v >> 8);
}

static void put32(uint32_t at, uint32_t v)
{
    put16(at, (uint16_t)v);
    put16(at + 2, (uint16_t)(v >> 16));
}

static void put64(uint32_t at, uint64_t v)
{
    put32(at, (uint32_t)v);
    put32(at + 4, (uint32_t)(v >> 32));
}

static void put_bytes(uint32_t at, const char *hex_bytes, size_t n)
{
    memcpy(img + at, hex_bytes, n);
}
#define CODE(at, lit) put_bytes(at, lit, sizeof(lit) - 1)

static void build_headers(void)
{
    memset(img, 0, sizeof img);
    CODE(0, "MZ");
    put32(0x3c, NT_OFF);
    CODE(NT_OFF, "PE\0\0");
    put16(NT_OFF + 4, 0x8664); /* Machine */
    put16(NT_OFF + 6, 1);      /* NumberOfSections */
    put32(NT_OFF + 8, IMG_TIMESTAMP);
    put16(NT_OFF + 20, 0xf0); /* SizeOfOptionalHeader: 112 + 16 dirs */
    put16(NT_OFF + 22, 0x2022);
    put16(OPT_OFF, 0x20b);
    put64(OPT_OFF + 24, IMG_BASE);
    put32(OPT_OFF + 32, 0x1000);
    put32(OPT_OFF + 36, 0x200);
    put32(OPT_OFF + 56, IMG_SIZE);
    put32(OPT_OFF + 60, 0x400);
    put32(OPT_OFF + 108, 16);
    put32(OPT_OFF + 112 + 8 * 0, EXPORT_RVA);
    put32(OPT_OFF + 112 + 8 * 0 + 4, EXPORT_SIZE);
    CODE(SECT_OFF, ".text");
    put32(SECT_OFF + 8, 0x3000);  /* VirtualSize */
    put32(SECT_OFF + 12, 0x1000); /* VirtualAddress */
    put32(SECT_OFF + 16, 0x3000);
    put32(SECT_OFF + 20, 0x400);
    put32(SECT_OFF + 36, 0x60000020);
}

static void build_exports(void)
{
    put32(EXPORT_RVA + 12, 0x2080); /* Name */
    put32(EXPORT_RVA + 16, 1);      /* Base */
    put32(EXPORT_RVA + 20, 4);
    put32(EXPORT_RVA + 24, 4);
    put32(EXPORT_RVA + 28, 0x2030);
    put32(EXPORT_RVA + 32, 0x2040);
    put32(EXPORT_RVA + 36, 0x2050);
    const uint32_t funcs[4] = {0x1000, 0x1040, 0x2090 /* forwarder */, 0x10a0};
    const uint32_t names[4] = {0x20b0, 0x20b8, 0x20c0, 0x20c8};
    for (int i = 0; i < 4; i++) {
        put32(0x2030 + 4 * i, funcs[i]);
        put32(0x2040 + 4 * i, names[i]);
        put16(0x2050 + 2 * i, (uint16_t)i);
    }
    CODE(0x2080, "test.dll");
    CODE(0x2090, "OTHER.Func");
    CODE(0x20b0, "Alpha");
    CODE(0x20b8, "Beta");
    CODE(0x20c0, "Fwd");
    CODE(0x20c8, "Gamma");
}

/* Functions: [begin, end, UNWIND_INFO rva] in .pdata order. */
static const uint32_t functions[][3] = {
    {0x1000, 0x1040, 0x2600}, /* F1: push rbx; push rsi; sub rsp,0x28 */
    {0x1040, 0x1080, 0x2620}, /* F2: rbp frame (offset 0x20), 4 KiB alloc, rbx saved by mov */
    {0x1080, 0x10a0, 0x2640}, /* F3: fragment chained to F1, saves r12 */
    {0x10a0, 0x10c0, 0x2660}, /* F4: machine frame with error code, sub rsp,0x18 */
    {0x10c0, 0x10e0, 0x2680}, /* F5: version 2 with two listed epilogs */
    {0x10e0, 0x1100, 0x26a0}, /* F6: ends in a tail-call jmp */
    {0x1200, 0x1210, 0x26c0}, /* F7: ALLOC_LARGE missing its slot */
    {0x1210, 0x1220, 0x26e0}, /* F8: unwind version 5 */
    {0x1220, 0x1230, 0x2700}, /* F9: chained to itself */
};
#define FUNCTION_COUNT (sizeof functions / sizeof functions[0])

static void build_code(void)
{
    memset(img + 0x1000, 0xcc, 0x1000);
    /* F1 */
    CODE(0x1000, "\x53\x56\x48\x83\xec\x28");
    memset(img + 0x1006, 0x90, 0x2a);
    CODE(0x1020, "\xeb\x00"); /* jmp to the next insn: inside */
    CODE(0x1030, "\x48\x83\xc4\x28\x5e\x5b\xc3");
    /* F2 */
    CODE(0x1040, "\x55\x48\x81\xec\x00\x10\x00\x00\x48\x8d\x6c\x24\x20\x48\x89\x5d\xe8");
    memset(img + 0x1051, 0x90, 0xf);
    CODE(0x1060, "\x48\x8d\xa5\xe0\x0f\x00\x00\x5d\xc3"); /* lea rsp,[rbp+0xfe0]; pop; ret */
    /* F3 */
    CODE(0x1080, "\x4c\x89\x64\x24\x20"); /* mov [rsp+0x20], r12 */
    memset(img + 0x1085, 0x90, 0x1b);
    /* F4 */
    CODE(0x10a0, "\x48\x83\xec\x18");
    memset(img + 0x10a4, 0x90, 0x1c);
    /* F5: a stray ret at 0x10c5 that no epilog entry lists */
    CODE(0x10c0, "\x53\x48\x83\xec\x20\xc3");
    memset(img + 0x10c6, 0x90, 0x0a);
    CODE(0x10d0, "\x48\x83\xc4\x20\x5b\xc3");
    CODE(0x10da, "\x48\x83\xc4\x20\x5b\xc3");
    /* F6: add; pop; jmp F1 (outside); then a jmp back inside */
    CODE(0x10e0, "\x53\x48\x83\xec\x20");
    memset(img + 0x10e5, 0x90, 0x0b);
    CODE(0x10f0, "\x48\x83\xc4\x20\x5b\xe9\x06\xff\xff\xff\xeb\xf4");
}

static void build_unwind_data(void)
{
    for (uint32_t i = 0; i < FUNCTION_COUNT; i++)
        for (int k = 0; k < 3; k++)
            put32(PDATA_RVA + 12 * i + 4 * k, functions[i][k]);
    put32(OPT_OFF + 112 + 8 * 3, PDATA_RVA);
    put32(OPT_OFF + 112 + 8 * 3 + 4, 12 * FUNCTION_COUNT);
    /* One UNWIND_CODE slot per string literal. */
    /* clang-format off */
    /* F1: ALLOC_SMALL 0x28 @6, PUSH rsi @2, PUSH rbx @1 */
    CODE(0x2600, "\x01\x06\x03\x00" "\x06\x42" "\x02\x60" "\x01\x30");
    /* F2: fp rbp, offset 2*16; SAVE_NONVOL rbx @0x11 +8, SET_FPREG @0xd,
     * ALLOC_LARGE 0x1000 @8, PUSH rbp @1 */
    CODE(0x2620, "\x01\x11\x06\x25" "\x11\x34\x01\x00" "\x0d\x03" "\x08\x01\x00\x02" "\x01\x50");
    /* F3: CHAININFO; SAVE_NONVOL r12 @5 +0x20; parent F1 */
    CODE(0x2640, "\x21\x05\x02\x00" "\x05\xc4\x04\x00");
    put32(0x2648, 0x1000);
    put32(0x264c, 0x1040);
    put32(0x2650, 0x2600);
    /* F4: ALLOC_SMALL 0x18 @4, PUSH_MACHFRAME with error code @0 */
    CODE(0x2660, "\x01\x04\x02\x00" "\x04\x22" "\x00\x1a");
    /* F5 (v2): EPILOG size 6 at end, EPILOG 0x10 before end, ALLOC_SMALL 0x20 @5, PUSH rbx @1 */
    CODE(0x2680, "\x02\x05\x04\x00" "\x06\x16" "\x10\x06" "\x05\x32" "\x01\x30");
    /* F6: ALLOC_SMALL 0x20 @5, PUSH rbx @1 */
    CODE(0x26a0, "\x01\x05\x02\x00" "\x05\x32" "\x01\x30");
    /* F7: one slot declared, ALLOC_LARGE needs two */
    CODE(0x26c0, "\x01\x00\x01\x00" "\x00\x01");
    /* F8: version 5 */
    CODE(0x26e0, "\x05\x00\x00\x00");
    /* F9: chained to itself */
    CODE(0x2700, "\x21\x00\x00\x00");
    put32(0x2704, 0x1220);
    put32(0x2708, 0x1230);
    put32(0x270c, 0x2700);
    /* clang-format on */
}

static flat_image build_image(void)
{
    build_headers();
    build_exports();
    build_code();
    build_unwind_data();
    return (flat_image){img, IMG_SIZE};
}

/* ---- a synthetic stack ---- */

#define STACK_BASE 0x7f0000ull
#define STACK_SIZE 0x3000
static uint8_t stack[STACK_SIZE];

static size_t stack_read(void *ctx, uint64_t va, void *buf, size_t len)
{
    (void)ctx;
    if (va < STACK_BASE || va - STACK_BASE >= STACK_SIZE)
        return 0;
    size_t off = (size_t)(va - STACK_BASE);
    size_t n = STACK_SIZE - off < len ? STACK_SIZE - off : len;
    memcpy(buf, stack + off, n);
    return n;
}

static void stack_put(uint64_t va, uint64_t v)
{
    ck_assert(va >= STACK_BASE && va + 8 <= STACK_BASE + STACK_SIZE);
    for (int i = 0; i < 8; i++)
        stack[va - STACK_BASE + i] = (uint8_t)(v >> (8 * i));
}

#define RET_ADDR 0x140001234ull

static dw_context callee_at(uint32_t rva, uint64_t rsp)
{
    dw_context c;
    memset(&c, 0, sizeof c);
    c.arch = DW_ARCH_AMD64;
    for (unsigned r = 0; r < 16; r++)
        c.regs[r] = 0x1111000000000000ull + r; /* recognisable "callee" values */
    c.regs[DW_AMD64_RIP] = IMG_BASE + rva;
    c.regs[DW_AMD64_RSP] = rsp;
    c.valid = (1ull << DW_AMD64_REG_COUNT) - 1;
    return c;
}

typedef struct unwind_fixture {
    flat_image image;
    dw_x64_unwinder u;
    dw_x64_image x;
    dw_x64_unwind_result res;
    dw_context caller;
} unwind_fixture;

static unwind_fixture fx;

static void setup_unwind(void)
{
    fx.image = build_image();
    memset(stack, 0, sizeof stack);
    ck_assert_int_eq(dw_x64_unwinder_init(&fx.u), DW_OK);
    fx.x = (dw_x64_image){flat_read, &fx.image, IMG_BASE};
}

static void teardown_unwind(void)
{
    dw_x64_unwinder_fini(&fx.u);
}

static dw_status step(const dw_context *callee, unsigned flags)
{
    return dw_x64_pdata_step(&fx.u, &fx.x, PDATA_RVA, 12 * FUNCTION_COUNT, flags, callee,
                             stack_read, NULL, &fx.caller, &fx.res);
}

static void expect_caller(uint64_t rip, uint64_t rsp, const char *reason)
{
    ck_assert_msg(fx.caller.regs[DW_AMD64_RIP] == rip, "rip 0x%llx, want 0x%llx",
                  (unsigned long long)fx.caller.regs[DW_AMD64_RIP], (unsigned long long)rip);
    ck_assert_msg(fx.caller.regs[DW_AMD64_RSP] == rsp, "rsp 0x%llx, want 0x%llx",
                  (unsigned long long)fx.caller.regs[DW_AMD64_RSP], (unsigned long long)rsp);
    ck_assert_str_eq(fx.res.reason, reason);
    ck_assert(dw_context_has(&fx.caller, DW_AMD64_RIP) && dw_context_has(&fx.caller, DW_AMD64_RSP));
}

/* F1 frame: locals [S, S+0x28), rsi at S+0x28, rbx at S+0x30, return at S+0x38. */
#define S (STACK_BASE + 0x100)
static void f1_frame(void)
{
    stack_put(S + 0x20, 0x1200); /* r12 slot for the chained fragment */
    stack_put(S + 0x28, 0x5151);
    stack_put(S + 0x30, 0xb0b0);
    stack_put(S + 0x38, RET_ADDR);
}

START_TEST(unwinds_body_and_marks_volatiles_unknown)
{
    f1_frame();
    dw_context c = callee_at(0x1010, S);
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x40, "pdata");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RSI], 0x5151);
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBX], 0xb0b0);
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RDI], c.regs[DW_AMD64_RDI]); /* preserved */
    ck_assert(dw_context_has(&fx.caller, DW_AMD64_RDI));
    ck_assert(!dw_context_has(&fx.caller, DW_AMD64_RAX));
    ck_assert(!dw_context_has(&fx.caller, DW_AMD64_R11));
    /* A jmp whose target is inside the function is body code, not an epilogue. */
    c = callee_at(0x1020, S);
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x40, "pdata");
}
END_TEST

START_TEST(undoes_only_executed_prologue_codes)
{
    f1_frame();
    dw_context c = callee_at(0x1000, S + 0x38); /* nothing pushed yet */
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x40, "pdata+prologue(0/6)");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBX], c.regs[DW_AMD64_RBX]);
    c = callee_at(0x1002, S + 0x28); /* both pushes done, no alloc */
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x40, "pdata+prologue(2/6)");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RSI], 0x5151);
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBX], 0xb0b0);
}
END_TEST

START_TEST(emulates_the_rest_of_an_epilogue)
{
    f1_frame();
    dw_context c = callee_at(0x1030, S); /* at add rsp,0x28 */
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x40, "pdata+epilog");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBX], 0xb0b0);
    c = callee_at(0x1035, S + 0x30); /* at pop rbx: rsi already restored */
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x40, "pdata+epilog");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RSI], c.regs[DW_AMD64_RSI]);
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBX], 0xb0b0);
    c = callee_at(0x1036, S + 0x38); /* at ret: the codes must not be replayed */
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x40, "pdata+epilog");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBX], c.regs[DW_AMD64_RBX]);
}
END_TEST

/* F2 frame: fixed allocation base FB; rbx saved at FB+8, rbp at FB+0x1000,
 * return at FB+0x1008; rbp = FB+0x20 once established. */
#define FB (STACK_BASE + 0x800)
static void f2_frame(void)
{
    stack_put(FB + 8, 0xb0b0);
    stack_put(FB + 0x1000, 0xbbbb);
    stack_put(FB + 0x1008, RET_ADDR);
}

START_TEST(uses_the_frame_register_and_large_allocation)
{
    f2_frame();
    dw_context c = callee_at(0x1055, FB - 0x100); /* body, after a dynamic alloca */
    c.regs[DW_AMD64_RBP] = FB + 0x20;
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, FB + 0x1010, "pdata");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBP], 0xbbbb);
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBX], 0xb0b0);
    /* After the allocation, before SET_FPREG: RSP is the base, rbp untouched. */
    c = callee_at(0x1048, FB);
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, FB + 0x1010, "pdata+prologue(8/17)");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBX], c.regs[DW_AMD64_RBX]);
    /* After SET_FPREG, before the rbx save: RSP comes from rbp. */
    c = callee_at(0x104d, FB - 0x40);
    c.regs[DW_AMD64_RBP] = FB + 0x20;
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, FB + 0x1010, "pdata+prologue(13/17)");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBX], c.regs[DW_AMD64_RBX]);
    /* Epilogue lea rsp,[rbp+0xfe0]. */
    c = callee_at(0x1060, FB - 0x100);
    c.regs[DW_AMD64_RBP] = FB + 0x20;
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, FB + 0x1010, "pdata+epilog");
    /* Without rbp there is no way to find the frame. */
    c = callee_at(0x1055, FB - 0x100);
    c.valid &= ~(1ull << DW_AMD64_RBP);
    ck_assert_int_eq(step(&c, 0), DW_ERR_TRUNCATED);
    ck_assert_ptr_nonnull(strstr(fx.res.detail, "rbp"));
}
END_TEST

START_TEST(follows_chained_unwind_info)
{
    f1_frame();
    dw_context c = callee_at(0x1090, S);
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x40, "pdata+chained");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_R12], 0x1200);
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBX], 0xb0b0);
    /* In the fragment's own prologue: its save has not run, the parent's all have. */
    c = callee_at(0x1080, S);
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x40, "pdata+prologue(0/5)");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_R12], c.regs[DW_AMD64_R12]);
}
END_TEST

START_TEST(reads_a_machine_frame)
{
    uint64_t m = STACK_BASE + 0x400;
    stack_put(m + 0x18, 0x10);                /* error code */
    stack_put(m + 0x20, 0x7ff612340000ull);   /* RIP */
    stack_put(m + 0x28, 0x33);                /* CS */
    stack_put(m + 0x30, 0x246);               /* EFLAGS */
    stack_put(m + 0x38, STACK_BASE + 0x1800); /* old RSP */
    stack_put(m + 0x40, 0x2b);                /* SS */
    dw_context c = callee_at(0x10b0, m);
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(0x7ff612340000ull, STACK_BASE + 0x1800, "pdata+machframe");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RFLAGS], 0x246);
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_CS], 0x33);
}
END_TEST

START_TEST(version2_epilog_list_is_authoritative)
{
    stack_put(S + 0x20, 0xb0b0);
    stack_put(S + 0x28, RET_ADDR);
    dw_context c = callee_at(0x10d4, S + 0x20); /* pop rbx of the listed mid epilog */
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x30, "pdata+epilog");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBX], 0xb0b0);
    c = callee_at(0x10df, S + 0x28); /* ret of the epilog at the end */
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x30, "pdata+epilog");
    /* A ret byte outside every listed epilog is body: the codes apply. */
    c = callee_at(0x10c5, S);
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x30, "pdata");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBX], 0xb0b0);
}
END_TEST

START_TEST(tail_call_jmp_ends_an_epilogue)
{
    stack_put(S + 0x20, 0xb0b0);
    stack_put(S + 0x28, RET_ADDR);
    dw_context c = callee_at(0x10f5, S + 0x28); /* jmp F1 */
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x30, "pdata+epilog");
    c = callee_at(0x10f0, S); /* add; pop; jmp F1 */
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x30, "pdata+epilog");
    ck_assert_uint_eq(fx.caller.regs[DW_AMD64_RBX], 0xb0b0);
    c = callee_at(0x10fa, S); /* jmp back inside: body */
    ck_assert_int_eq(step(&c, 0), DW_OK);
    expect_caller(RET_ADDR, S + 0x30, "pdata");
}
END_TEST

START_TEST(leaf_damage_and_missing_memory_are_reported)
{
    dw_context c = callee_at(0x1100, S);
    ck_assert_int_eq(step(&c, 0), DW_ERR_NOT_FOUND);
    ck_assert_str_eq(fx.res.reason, "leaf");
    c = callee_at(0x1200, S);
    ck_assert_int_eq(step(&c, 0), DW_ERR_DAMAGED);
    ck_assert_ptr_nonnull(strstr(fx.res.detail, "ALLOC_LARGE"));
    c = callee_at(0x1210, S);
    ck_assert_int_eq(step(&c, 0), DW_ERR_UNSUPPORTED);
    c = callee_at(0x1220, S);
    ck_assert_int_eq(step(&c, 0), DW_ERR_LIMIT);
    c = callee_at(0x1010, STACK_BASE + STACK_SIZE - 0x10); /* saved regs off the stack */
    ck_assert_int_eq(step(&c, 0), DW_ERR_TRUNCATED);
    ck_assert_ptr_nonnull(strstr(fx.res.detail, "not in the dump"));
    /* UNWIND_INFO not readable (a normal dump without the image). */
    fx.image.size = 0x2600;
    c = callee_at(0x1010, S);
    ck_assert_int_eq(step(&c, 0), DW_ERR_TRUNCATED);
}
END_TEST

START_TEST(return_address_at_function_end_belongs_to_the_caller_frame)
{
    f1_frame();
    dw_context c = callee_at(0x1040, S); /* call was F1's last instruction */
    ck_assert_int_eq(step(&c, DW_X64_UNWIND_CALLER_FRAME), DW_OK);
    expect_caller(RET_ADDR, S + 0x40, "pdata");
    /* As a context IP the same address is F2's first byte. */
    c = callee_at(0x1040, S + 0x38);
    ck_assert_int_eq(step(&c, 0), DW_OK);
    ck_assert_str_eq(fx.res.reason, "pdata+prologue(0/17)");
}
END_TEST

/* ---- PE headers and exports ---- */

START_TEST(parses_headers_sections_and_exports)
{
    flat_image f = build_image();
    dw_pe pe;
    ck_assert_int_eq(dw_pe_open(&pe, flat_read, &f), DW_OK);
    ck_assert_uint_eq(pe.machine, DW_PE_MACHINE_AMD64);
    ck_assert(pe.is_pe32_plus);
    ck_assert_uint_eq(pe.image_base, IMG_BASE);
    ck_assert_uint_eq(pe.size_of_image, IMG_SIZE);
    ck_assert_uint_eq(pe.time_date_stamp, IMG_TIMESTAMP);
    ck_assert_uint_eq(pe.section_count, 1);
    ck_assert_str_eq(pe.sections[0].name, ".text");
    ck_assert_ptr_eq(dw_pe_section_at(&pe, 0x1234), &pe.sections[0]);
    ck_assert_ptr_null(dw_pe_section_at(&pe, 0x4000));
    dw_arena a;
    dw_arena_init(&a);
    dw_pe_exports ex;
    ck_assert_int_eq(dw_pe_exports_read(&pe, &a, &ex), DW_OK);
    ck_assert_str_eq(ex.dll_name, "test.dll");
    ck_assert_uint_eq(ex.count, 3);
    ck_assert_uint_eq(ex.skipped_forwarders, 1);
    ck_assert_str_eq(ex.items[0].name, "Alpha");
    ck_assert_str_eq(ex.items[2].name, "Gamma");
    ck_assert_uint_eq(ex.items[2].ordinal, 4);
    ck_assert_str_eq(dw_pe_export_at(&ex, 0x1050)->name, "Beta");
    ck_assert_str_eq(dw_pe_export_at(&ex, 0x1040)->name, "Beta");
    ck_assert_str_eq(dw_pe_export_at(&ex, 0x3fff)->name, "Gamma");
    ck_assert_ptr_null(dw_pe_export_at(&ex, 0xfff));
    dw_runtime_function rf;
    ck_assert_int_eq(dw_pe_find_runtime_function(&pe, 0x10c7, &rf), DW_OK);
    ck_assert_uint_eq(rf.begin, 0x10c0);
    ck_assert_uint_eq(rf.unwind_info, 0x2680);
    ck_assert_int_eq(dw_pe_find_runtime_function(&pe, 0x1150, &rf), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_pe_find_runtime_function(&pe, 0x0fff, &rf), DW_ERR_NOT_FOUND);
    dw_arena_free(&a);
}
END_TEST

START_TEST(decodes_unwind_info)
{
    flat_image f = build_image();
    dw_unwind_info info;
    ck_assert_int_eq(dw_unwind_info_read(flat_read, &f, 0x2620, &info), DW_OK);
    ck_assert_uint_eq(info.prolog_size, 0x11);
    ck_assert_uint_eq(info.frame_register, DW_AMD64_RBP);
    ck_assert_uint_eq(info.frame_offset, 2);
    ck_assert_uint_eq(info.op_count, 4);
    ck_assert_uint_eq(info.ops[0].op, DW_UWOP_SAVE_NONVOL);
    ck_assert_uint_eq(info.ops[0].value, 8);
    ck_assert_uint_eq(info.ops[2].op, DW_UWOP_ALLOC_LARGE);
    ck_assert_uint_eq(info.ops[2].value, 0x1000);
    ck_assert_uint_eq(info.ops[3].info, DW_AMD64_RBP);
    ck_assert_int_eq(dw_unwind_info_read(flat_read, &f, 0x2640, &info), DW_OK);
    ck_assert(info.has_chain);
    ck_assert_uint_eq(info.chained.begin, 0x1000);
    ck_assert_uint_eq(info.chained.unwind_info, 0x2600);
    ck_assert_int_eq(dw_unwind_info_read(flat_read, &f, 0x2680, &info), DW_OK);
    ck_assert_uint_eq(info.version, 2);
    ck_assert_uint_eq(info.epilog_size, 6);
    ck_assert_uint_eq(info.epilog_count, 2);
    ck_assert_uint_eq(info.op_count, 2);
    /* UWOP_ALLOC_LARGE op info 1: unscaled 32-bit size in two slots. */
    CODE(0x2720, "\x01\x00\x03\x00"
                 "\x00\x11\x08\x00\x01\x00");
    ck_assert_int_eq(dw_unwind_info_read(flat_read, &f, 0x2720, &info), DW_OK);
    ck_assert_uint_eq(info.ops[0].value, 0x10008);
    ck_assert_str_eq(dw_uwop_name(info.ops[0].op), "ALLOC_LARGE");
}
END_TEST

START_TEST(corrupt_headers_give_errors)
{
    flat_image f = build_image();
    dw_pe pe;
    put32(0x3c, 0xfffffff0);
    ck_assert_int_eq(dw_pe_open(&pe, flat_read, &f), DW_ERR_DAMAGED);
    ck_assert_ptr_nonnull(strstr(pe.error, "e_lfanew"));
    put32(0x3c, 0x3ff0); /* inside the cap, past the data */
    ck_assert_int_eq(dw_pe_open(&pe, flat_read, &f), DW_ERR_TRUNCATED);
    put32(0x3c, NT_OFF);
    put16(NT_OFF + 6, 0xffff);
    ck_assert_int_eq(dw_pe_open(&pe, flat_read, &f), DW_ERR_LIMIT);
    put16(NT_OFF + 6, 1);
    put16(OPT_OFF, 0x999);
    ck_assert_int_eq(dw_pe_open(&pe, flat_read, &f), DW_ERR_FORMAT);
    put16(OPT_OFF, 0x20b);
    put16(0, 0);
    ck_assert_int_eq(dw_pe_open(&pe, flat_read, &f), DW_ERR_FORMAT);
    CODE(0, "MZ");
    f.size = 0x100; /* section table cut off */
    ck_assert_int_eq(dw_pe_open(&pe, flat_read, &f), DW_ERR_TRUNCATED);
    f.size = IMG_SIZE;
    /* .pdata declared far past the image: an error, not a wild read. */
    put32(OPT_OFF + 112 + 8 * 3, 0x3ff0);
    put32(OPT_OFF + 112 + 8 * 3 + 4, 12 * 100000);
    ck_assert_int_eq(dw_pe_open(&pe, flat_read, &f), DW_OK);
    dw_runtime_function rf;
    ck_assert_int_eq(dw_pe_find_runtime_function(&pe, 0x1010, &rf), DW_ERR_TRUNCATED);
    /* An absurd name count is refused before anything is allocated. */
    dw_arena a;
    dw_arena_init(&a);
    dw_pe_exports ex;
    put32(EXPORT_RVA + 24, 0x7fffffff);
    ck_assert_int_eq(dw_pe_exports_read(&pe, &a, &ex), DW_ERR_DAMAGED);
    /* Tables partly absent (a dump holding only the headers). */
    put32(EXPORT_RVA + 24, 4);
    f.size = 0x2058;
    ck_assert_int_eq(dw_pe_exports_read(&pe, &a, &ex), DW_ERR_TRUNCATED);
    ck_assert_uint_eq(ex.unreadable, 3); /* the forwarder needs no name */
    dw_arena_free(&a);
}
END_TEST

/* Deterministic byte flips over headers, exports, .pdata and .xdata: every
 * call must return some status; crashes and sanitizer reports fail the test. */
START_TEST(random_corruption_is_survived)
{
    static const uint32_t regions[][2] = {
        {0, 0x200},      {EXPORT_RVA, 0x100}, {PDATA_RVA, 12 * FUNCTION_COUNT},
        {0x2600, 0x110}, {0x1000, 0x100},
    };
    uint32_t seed = 12345;
    dw_x64_unwinder u;
    ck_assert_int_eq(dw_x64_unwinder_init(&u), DW_OK);
    size_t opened = 0;
    for (int round = 0; round < 3000; round++) {
        flat_image f = build_image();
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            const uint32_t *r = regions[(seed >> 8) % 5];
            seed = seed * 1103515245u + 12345u;
            img[r[0] + (seed >> 4) % r[1]] = (uint8_t)(seed >> 16);
        }
        dw_pe pe;
        if (dw_pe_open(&pe, flat_read, &f) != DW_OK)
            continue;
        opened++;
        dw_arena a;
        dw_arena_init(&a);
        dw_pe_exports ex;
        dw_pe_exports_read(&pe, &a, &ex);
        dw_pe_export_at(&ex, 0x1050);
        dw_arena_free(&a);
        const dw_pe_dir *pd = dw_pe_dir_get(&pe, DW_PE_DIR_EXCEPTION);
        dw_x64_image x = {flat_read, &f, IMG_BASE};
        for (uint32_t ip = 0x1000; ip < 0x1100; ip += 7) {
            dw_context c = callee_at(ip, S), caller;
            dw_x64_unwind_result res;
            dw_x64_pdata_step(&u, &x, pd ? pd->rva : 0, pd ? pd->size : 0, 0, &c, stack_read, NULL,
                              &caller, &res);
        }
    }
    dw_x64_unwinder_fini(&u);
    ck_assert_uint_gt(opened, 1000); /* most flips leave the headers usable */
}
END_TEST

/* ---- image files on disk (shared/wine/images) ---- */

/* A private copy: dw_test_shared_path reuses one buffer. */
static const char *images_dir(void)
{
    static char dir[4096];
    const char *p = dw_test_shared_path("wine/images");
    if (!p)
        return NULL;
    snprintf(dir, sizeof dir, "%s", p);
    return dir;
}

START_TEST(store_finds_symbol_server_layout_case_insensitively)
{
    const char *dir = images_dir();
    if (!dir)
        return;
    dw_image_store *store;
    ck_assert_int_eq(dw_image_store_new(&store), DW_OK);
    ck_assert_int_eq(dw_image_store_add_dir(store, dir), DW_OK);
    const dw_image_file *f, *g;
    ck_assert_int_eq(
        dw_image_store_find(store, "C:\\windows\\system32\\ntdll.dll", 0x63f14e2b, 0x361000, &f),
        DW_OK);
    ck_assert_uint_eq(f->pe.machine, DW_PE_MACHINE_AMD64);
    ck_assert_uint_eq(f->pe.size_of_image, 0x361000);
    /* Another spelling finds the same cached file; the key directory of
     * kernelbase is spelled "63F14E2B5e5000" on disk. */
    ck_assert_int_eq(dw_image_store_find(store, "NTDLL.DLL", 0x63f14e2b, 0x361000, &g), DW_OK);
    ck_assert_ptr_eq(f, g);
    ck_assert_int_eq(dw_image_store_find(store, "KernelBase.dll", 0x63f14e2b, 0x5e5000, &g), DW_OK);
    ck_assert_int_eq(dw_image_store_find(store, "ntdll.dll", 0x63f14e2c, 0x361000, &g),
                     DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_image_store_find(store, "absent.dll", 1, 2, &g), DW_ERR_NOT_FOUND);
    dw_image_store_free(store);
}
END_TEST

START_TEST(store_finds_flat_directory_by_header_identity)
{
    const char *src =
        dw_test_shared_path("wine/images/fixture_x64.exe/6B04AB7245000/fixture_x64.exe");
    if (!src)
        return;
    char dir[512], link_path[600];
    snprintf(dir, sizeof dir, "%s/flat", dw_test_tmpdir());
    mkdir(dir, 0700);
    snprintf(link_path, sizeof link_path, "%s/FIXTURE_X64.EXE", dir);
    unlink(link_path);
    ck_assert_int_eq(symlink(src, link_path), 0);
    dw_image_store *store;
    ck_assert_int_eq(dw_image_store_new(&store), DW_OK);
    ck_assert_int_eq(dw_image_store_add_dir(store, dir), DW_OK);
    const dw_image_file *f;
    ck_assert_int_eq(dw_image_store_find(store, "fixture_x64.exe", 0x6b04ab72, 0x45000, &f), DW_OK);
    ck_assert_ptr_nonnull(strstr(f->path, "FIXTURE_X64.EXE"));
    /* Same name, other build: the header identity decides. */
    ck_assert_int_eq(dw_image_store_find(store, "fixture_x64.exe", 0x6b04ab72, 0x46000, &f),
                     DW_ERR_NOT_FOUND);
    dw_image_store_free(store);
}
END_TEST

static const dw_image_file *open_image(dw_image_store *store, const char *name, uint32_t ts,
                                       uint32_t size)
{
    const dw_image_file *f = NULL;
    dw_status s = dw_image_store_find(store, name, ts, size, &f);
    ck_assert_msg(s == DW_OK, "image %s %08X%x: %s", name, ts, size, dw_status_name(s));
    return f;
}

START_TEST(wine_exports_and_pdata)
{
    const char *dir = images_dir();
    if (!dir)
        return;
    dw_image_store *store;
    ck_assert_int_eq(dw_image_store_new(&store), DW_OK);
    ck_assert_int_eq(dw_image_store_add_dir(store, dir), DW_OK);
    dw_arena a;
    dw_arena_init(&a);
    /* Export RVAs from the JSON written by the live process. */
    const dw_image_file *ntdll = open_image(store, "ntdll.dll", 0x63f14e2b, 0x361000);
    dw_pe pe = ntdll->pe;
    dw_pe_exports ex;
    ck_assert_int_eq(dw_pe_exports_read(&pe, &a, &ex), DW_OK);
    ck_assert_uint_gt(ex.count, 1000);
    ck_assert_str_eq(dw_pe_export_at(&ex, 0xebf0 + 0x14)->name, "NtWaitForSingleObject");
    ck_assert_str_eq(dw_pe_export_at(&ex, 0x55c60)->name, "KiUserCallbackDispatcher");
    ck_assert_str_eq(dw_pe_export_at(&ex, 0xd1f0)->name, "NtCallbackReturn");
    ck_assert_str_eq(dw_pe_export_at(&ex, 0x5dc20)->name, "RtlUserThreadStart");
    const dw_image_file *user32 = open_image(store, "user32.dll", 0x63f14e2b, 0x598000);
    pe = user32->pe;
    ck_assert_int_eq(dw_pe_exports_read(&pe, &a, &ex), DW_OK);
    ck_assert_str_eq(dw_pe_export_at(&ex, 0x55ee0)->name, "CreateWindowExW");
    ck_assert_str_eq(dw_pe_export_at(&ex, 0x42e20)->name, "SendMessageW");
    ck_assert_str_eq(ex.dll_name, "user32.dll");
    /* .pdata of the test program: functions from fixture_x64.map. */
    const dw_image_file *exe = open_image(store, "fixture_x64.exe", 0x6b04ab72, 0x45000);
    const uint32_t starts[] = {0x30c0, 0x3130, 0x3190, 0x3260, 0x2da0, 0x2e10};
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        dw_runtime_function rf;
        ck_assert_int_eq(dw_pe_find_runtime_function(&exe->pe, starts[i] + 5, &rf), DW_OK);
        ck_assert_uint_eq(rf.begin, starts[i]);
        dw_unwind_info info;
        ck_assert_int_eq(dw_unwind_info_read(exe->pe.read, exe->pe.ctx, rf.unwind_info, &info),
                         DW_OK);
    }
    dw_arena_free(&a);
    dw_image_store_free(store);
}
END_TEST

/* ---- end to end on the Wine dumps ---- */

static size_t dump_mem_read(void *ctx, uint64_t va, void *buf, size_t len)
{
    size_t got = 0;
    dw_memory_read(ctx, va, buf, len, &got);
    return got;
}

/* Modules of x64_ext_normal.dmp (from its JSON). */
typedef struct known_module {
    const char *name;
    uint64_t base;
    uint32_t size;
    uint32_t timestamp;
} known_module;

static const known_module wine_modules[] = {
    {"fixture_x64.exe", 0x140000000ull, 0x45000, 0x6b04ab72},
    {"ntdll.dll", 0x170000000ull, 0x361000, 0x63f14e2b},
    {"kernel32.dll", 0x7b600000ull, 0x195000, 0x63f14e2b},
    {"kernelbase.dll", 0x7b000000ull, 0x5e5000, 0x63f14e2b},
    {"user32.dll", 0x2169d0000ull, 0x598000, 0x63f14e2b},
    {"win32u.dll", 0x2c73a0000ull, 0x53000, 0x63f14e2b},
};

/* Unwind from (rip, rsp) with the disk images and the dump's stack; the
 * return addresses found go to rets.  Leaves use RIP = [RSP], RSP += 8. */
static size_t walk(dw_dump *dump, dw_image_store *store, dw_context ctx, uint64_t *rets, size_t max)
{
    dw_x64_unwinder u;
    ck_assert_int_eq(dw_x64_unwinder_init(&u), DW_OK);
    size_t n = 0;
    unsigned flags = 0;
    while (n < max) {
        uint64_t rip = ctx.regs[DW_AMD64_RIP];
        const known_module *m = NULL;
        for (size_t i = 0; i < sizeof wine_modules / sizeof wine_modules[0]; i++)
            if (rip >= wine_modules[i].base && rip - wine_modules[i].base < wine_modules[i].size)
                m = &wine_modules[i];
        if (!m)
            break;
        const dw_image_file *f = open_image(store, m->name, m->timestamp, m->size);
        dw_x64_image x = {dw_image_file_read, (void *)f, m->base};
        const dw_pe_dir *pd = dw_pe_dir_get(&f->pe, DW_PE_DIR_EXCEPTION);
        ck_assert_ptr_nonnull(pd);
        dw_context caller;
        dw_x64_unwind_result res;
        dw_status s = dw_x64_pdata_step(&u, &x, pd->rva, pd->size, flags, &ctx, dump_mem_read, dump,
                                        &caller, &res);
        if (s == DW_ERR_NOT_FOUND) {
            caller = ctx;
            uint64_t ret;
            if (dw_memory_read_u64(dump, ctx.regs[DW_AMD64_RSP], &ret) != DW_OK)
                break;
            caller.regs[DW_AMD64_RIP] = ret;
            caller.regs[DW_AMD64_RSP] += 8;
        } else if (s != DW_OK) {
            break;
        }
        if (caller.regs[DW_AMD64_RSP] <= ctx.regs[DW_AMD64_RSP])
            break; /* the stack only grows back up */
        rets[n++] = caller.regs[DW_AMD64_RIP];
        ctx = caller;
        flags = DW_X64_UNWIND_CALLER_FRAME;
    }
    dw_x64_unwinder_fini(&u);
    return n;
}

typedef struct known_frame {
    uint64_t rip, rsp; /* a callee frame from x64_ext_normal.unwind.txt */
    uint64_t want[8];  /* ground-truth "ret" values that follow (JSON) */
    size_t want_count;
} known_frame;

/* Threads wait_nofp, mixed_recursion and the no-fp window procedure.  The
 * walk starts with only RIP and RSP known, so it can cross the nofp frames
 * (no frame register) and must stop at the first rbp-framed caller. */
static const known_frame nofp_frames[] = {
    {0x140003111ull, 0x181fcc0ull, {0x14000316cull, 0x1400031ccull, 0x140002a63ull}, 3},
    {0x1400032beull, 0x1a1fb40ull, {0x140002f62ull}, 1},
    {0x140003241ull, 0x1e1f810ull, {0x14000252bull}, 1},
};

static dw_dump *open_wine_dump(const char *rel)
{
    const char *path = dw_test_shared_path(rel);
    if (!path)
        return NULL;
    dw_dump *dump = NULL;
    ck_assert_int_eq(dw_dump_open(path, NULL, &dump, NULL), DW_OK);
    /* The memory parser may still be the placeholder while the tree is
     * assembled; then there is nothing to read the stack from. */
    uint8_t probe[8];
    if (dw_memory_read(dump, 0x181fcc0ull, probe, sizeof probe, NULL) == DW_ERR_UNSUPPORTED) {
        fprintf(stderr, "test_image: dw_memory_read unsupported, skipping %s\n", rel);
        dw_dump_close(dump);
        return NULL;
    }
    return dump;
}

START_TEST(wine_nofp_frames_reach_ground_truth)
{
    const char *dir = images_dir();
    dw_dump *dump = dir ? open_wine_dump("wine/x64_ext_normal.dmp") : NULL;
    if (!dump)
        return;
    dw_image_store *store;
    ck_assert_int_eq(dw_image_store_new(&store), DW_OK);
    ck_assert_int_eq(dw_image_store_add_dir(store, dir), DW_OK);
    for (size_t t = 0; t < sizeof nofp_frames / sizeof nofp_frames[0]; t++) {
        const known_frame *k = &nofp_frames[t];
        dw_context c;
        memset(&c, 0, sizeof c);
        c.arch = DW_ARCH_AMD64;
        c.regs[DW_AMD64_RIP] = k->rip;
        c.regs[DW_AMD64_RSP] = k->rsp;
        c.valid = (1ull << DW_AMD64_RIP) | (1ull << DW_AMD64_RSP);
        uint64_t rets[32];
        size_t n = walk(dump, store, c, rets, 32);
        ck_assert_uint_eq(n, k->want_count); /* then rbp is needed and unknown */
        for (size_t i = 0; i < k->want_count; i++)
            ck_assert_msg(rets[i] == k->want[i], "frame %zu from 0x%llx: ret 0x%llx want 0x%llx", i,
                          (unsigned long long)k->rip, (unsigned long long)rets[i],
                          (unsigned long long)k->want[i]);
    }
    dw_image_store_free(store);
    dw_dump_close(dump);
}
END_TEST

/* Ground-truth return addresses of thread `tid` from the JSON, in order. */
static size_t json_rets(const char *json, uint32_t tid, uint64_t *out, size_t max)
{
    char key[64];
    snprintf(key, sizeof key, "\"thread_id\": %u,", tid);
    const char *p = strstr(json, key);
    if (!p)
        return 0;
    const char *end = strstr(p + 1, "\"thread_id\":");
    size_t n = 0;
    for (p = strstr(p, "\"ret\": \""); p && (!end || p < end) && n < max;
         p = strstr(p + 1, "\"ret\": \""))
        out[n++] = strtoull(p + 8, NULL, 16);
    return n;
}

START_TEST(wine_threads_unwind_from_their_contexts)
{
    const char *dir = images_dir();
    const char *json_rel = "wine/x64_ext_normal.json";
    dw_dump *dump =
        dir && dw_test_shared_path(json_rel) ? open_wine_dump("wine/x64_ext_normal.dmp") : NULL;
    if (!dump)
        return;
    size_t json_size;
    char *json = (char *)dw_test_read_file(dw_test_shared_path(json_rel), &json_size);
    ck_assert_ptr_nonnull(json);
    json = realloc(json, json_size + 1);
    json[json_size] = '\0';
    dw_image_store *store;
    ck_assert_int_eq(dw_image_store_new(&store), DW_OK);
    ck_assert_int_eq(dw_image_store_add_dir(store, dir), DW_OK);
    /* main, sleep_fp, wait_nofp, mixed_recursion: no callback in their stacks. */
    const uint32_t tids[] = {36, 256, 260, 264};
    for (size_t t = 0; t < sizeof tids / sizeof tids[0]; t++) {
        const dw_thread *th;
        ck_assert_int_eq(dw_dump_thread_by_id(dump, tids[t], &th), DW_OK);
        dw_context c;
        ck_assert_int_eq(dw_thread_context(dump, th, &c), DW_OK);
        uint64_t rets[64], want[16];
        size_t n = walk(dump, store, c, rets, 64);
        size_t w = json_rets(json, tids[t], want, 16);
        ck_assert_uint_gt(w, 0);
        size_t hit = 0; /* every ground-truth ret, in order */
        for (size_t i = 0; i < n && hit < w; i++)
            if (rets[i] == want[hit])
                hit++;
        ck_assert_msg(hit == w, "thread %u: %zu of %zu ground-truth returns reached", tids[t], hit,
                      w);
    }
    free(json);
    dw_image_store_free(store);
    dw_dump_close(dump);
}
END_TEST

/* Full-memory dump: the images themselves are in the dump, read through
 * the same dw_pe over dump memory. */
typedef struct dump_image {
    dw_dump *dump;
    uint64_t base;
} dump_image;

static size_t dump_image_read(void *ctx, uint64_t rva, void *buf, size_t len)
{
    const dump_image *d = ctx;
    return dump_mem_read(d->dump, d->base + rva, buf, len);
}

START_TEST(full_dump_images_match_disk_images)
{
    const char *dir = images_dir();
    dw_dump *dump = dir ? open_wine_dump("wine/x64_nowin_ext_full.dmp.gz") : NULL;
    if (!dump)
        return;
    const dw_module *mods;
    size_t count;
    ck_assert_int_eq(dw_dump_modules(dump, &mods, &count), DW_OK);
    dw_image_store *store;
    ck_assert_int_eq(dw_image_store_new(&store), DW_OK);
    ck_assert_int_eq(dw_image_store_add_dir(store, dir), DW_OK);
    dw_arena a;
    dw_arena_init(&a);
    size_t compared = 0;
    for (size_t i = 0; i < count; i++) {
        const dw_image_file *disk;
        if (dw_image_store_find(store, mods[i].path, mods[i].time_date_stamp,
                                (uint32_t)mods[i].size, &disk) != DW_OK)
            continue;
        dump_image di = {dump, mods[i].base};
        dw_pe mem_pe;
        ck_assert_int_eq(dw_pe_open(&mem_pe, dump_image_read, &di), DW_OK);
        ck_assert_uint_eq(mem_pe.time_date_stamp, disk->pe.time_date_stamp);
        ck_assert_uint_eq(mem_pe.section_count, disk->pe.section_count);
        dw_pe_exports from_mem, from_disk;
        dw_pe disk_pe = disk->pe;
        dw_status sm = dw_pe_exports_read(&mem_pe, &a, &from_mem);
        dw_status sd = dw_pe_exports_read(&disk_pe, &a, &from_disk);
        ck_assert_int_eq(sm, sd);
        ck_assert_uint_eq(from_mem.count, from_disk.count);
        for (size_t k = 0; k < from_mem.count; k++) {
            ck_assert_str_eq(from_mem.items[k].name, from_disk.items[k].name);
            ck_assert_uint_eq(from_mem.items[k].rva, from_disk.items[k].rva);
            /* .pdata is in the full dump too: the same entry either way. */
            dw_runtime_function rm, rd;
            dw_status pm = dw_pe_find_runtime_function(&mem_pe, from_mem.items[k].rva, &rm);
            dw_status pd = dw_pe_find_runtime_function(&disk_pe, from_mem.items[k].rva, &rd);
            ck_assert_int_eq(pm, pd);
            ck_assert(pm != DW_OK || memcmp(&rm, &rd, sizeof rm) == 0);
        }
        compared++;
    }
    /* exe, ntdll, kernel32, kernelbase (msvcrt has no image in shared/). */
    ck_assert_uint_eq(compared, 4);
    dw_arena_free(&a);
    dw_image_store_free(store);
    dw_dump_close(dump);
}
END_TEST

Suite *image_suite(void)
{
    Suite *s = suite_create("image");
    TCase *unwind = tcase_create("x64_pdata");
    tcase_add_checked_fixture(unwind, setup_unwind, teardown_unwind);
    tcase_add_test(unwind, unwinds_body_and_marks_volatiles_unknown);
    tcase_add_test(unwind, undoes_only_executed_prologue_codes);
    tcase_add_test(unwind, emulates_the_rest_of_an_epilogue);
    tcase_add_test(unwind, uses_the_frame_register_and_large_allocation);
    tcase_add_test(unwind, follows_chained_unwind_info);
    tcase_add_test(unwind, reads_a_machine_frame);
    tcase_add_test(unwind, version2_epilog_list_is_authoritative);
    tcase_add_test(unwind, tail_call_jmp_ends_an_epilogue);
    tcase_add_test(unwind, leaf_damage_and_missing_memory_are_reported);
    tcase_add_test(unwind, return_address_at_function_end_belongs_to_the_caller_frame);
    suite_add_tcase(s, unwind);
    TCase *pe = tcase_create("pe");
    tcase_add_test(pe, parses_headers_sections_and_exports);
    tcase_add_test(pe, decodes_unwind_info);
    tcase_add_test(pe, corrupt_headers_give_errors);
    tcase_add_test(pe, random_corruption_is_survived);
    suite_add_tcase(s, pe);
    TCase *real = tcase_create("wine");
    tcase_set_timeout(real, 120);
    tcase_add_test(real, store_finds_symbol_server_layout_case_insensitively);
    tcase_add_test(real, store_finds_flat_directory_by_header_identity);
    tcase_add_test(real, wine_exports_and_pdata);
    tcase_add_test(real, wine_nofp_frames_reach_ground_truth);
    tcase_add_test(real, wine_threads_unwind_from_their_contexts);
    tcase_add_test(real, full_dump_images_match_disk_images);
    suite_add_tcase(s, real);
    return s;
}
