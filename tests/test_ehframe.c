/* .eh_frame parsing and evaluation (lib/image/ehframe.c) on synthetic
 * bytes: CIEs and FDEs assembled here for each instruction class and
 * pointer encoding, an ELF image with PT_GNU_EH_FRAME and .eh_frame_hdr,
 * the expressions glibc's PLT and signal trampoline use, and malformed
 * input (lengths past the end, self-referencing entries, huge counts) that
 * must be declined with a status, never a crash or a hang. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "image/ehframe.h"
#include "util/arena.h"

/* ---- assembling bytes ---- */

#define IMG_CAP 0x3000

typedef struct img {
    uint8_t b[IMG_CAP];
    size_t len;      /* bytes written */
    size_t readable; /* bytes the read callback serves (0: all written) */
} img;

static size_t img_read(void *ctx, uint64_t rva, void *buf, size_t len)
{
    const img *m = ctx;
    size_t size = m->readable ? m->readable : m->len;
    if (rva >= size)
        return 0;
    size_t n = size - rva < len ? (size_t)(size - rva) : len;
    memcpy(buf, m->b + rva, n);
    return n;
}

static void put8(img *m, uint8_t v)
{
    ck_assert_uint_lt(m->len, IMG_CAP);
    m->b[m->len++] = v;
}

static void put_le(img *m, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        put8(m, (uint8_t)(v >> (8 * i)));
}

static void put_bytes(img *m, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(m, p[i]);
}

static void patch32(img *m, size_t at, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        m->b[at + i] = (uint8_t)(v >> (8 * i));
}

static void align_to(img *m, size_t a)
{
    while (m->len % a)
        put8(m, 0);
}

/* A CIE, version 1: augmentation string, code/data alignment, return
 * address column, augmentation data (after its ULEB length when the string
 * starts with 'z'), initial instructions.  Returns its offset. */
static size_t put_cie(img *m, const char *aug, uint8_t caf, int8_t daf, uint8_t ra,
                      const uint8_t *augdata, size_t augn, const uint8_t *ins, size_t insn)
{
    size_t start = m->len;
    put_le(m, 0, 4); /* length, patched */
    put_le(m, 0, 4); /* CIE id */
    put8(m, 1);
    put_bytes(m, (const uint8_t *)aug, strlen(aug) + 1);
    put8(m, caf);                 /* ULEB, < 0x80 */
    put8(m, (uint8_t)daf & 0x7f); /* SLEB, -64..63 */
    put8(m, ra);
    if (aug[0] == 'z') {
        put8(m, (uint8_t)augn);
        put_bytes(m, augdata, augn);
    }
    put_bytes(m, ins, insn);
    align_to(m, 4);
    patch32(m, start, (uint32_t)(m->len - start - 4));
    return start;
}

/* The CIE GCC emits on x86-64: "zR" with the given FDE encoding, code
 * alignment 1, data alignment -8, return address column 16; CFA = rsp + 8,
 * return address at CFA - 8. */
static size_t std_cie(img *m, uint8_t enc)
{
    static const uint8_t ins[] = {0x0c, 7, 8, 0x90, 1};
    return put_cie(m, "zR", 1, -8, 16, &enc, 1, ins, sizeof ins);
}

/* An FDE's header; the caller writes its pointers and instructions, then
 * end_entry patches the length. */
static size_t begin_fde(img *m, size_t cie)
{
    size_t start = m->len;
    put_le(m, 0, 4);
    put_le(m, m->len - cie, 4); /* CIE pointer: back from this field */
    return start;
}

static void end_entry(img *m, size_t start)
{
    align_to(m, 4);
    patch32(m, start, (uint32_t)(m->len - start - 4));
}

/* FDE with pc_begin pcrel|sdata4, a udata4 range, empty 'z' data. */
static size_t put_fde(img *m, size_t cie, uint64_t pc, uint32_t range, const uint8_t *ins, size_t n)
{
    size_t start = begin_fde(m, cie);
    put_le(m, (uint32_t)(pc - m->len), 4);
    put_le(m, range, 4);
    put8(m, 0);
    put_bytes(m, ins, n);
    end_entry(m, start);
    return start;
}

/* ---- evaluating ---- */

#define STACK_BASE 0x7000u
#define STACK_WORDS 64

typedef struct fake_stack {
    uint64_t word[STACK_WORDS]; /* word i at STACK_BASE + 8 i */
} fake_stack;

static int stack_read(void *ctx, uint64_t addr, unsigned size, uint64_t *value)
{
    const fake_stack *s = ctx;
    if (addr < STACK_BASE || addr + size > STACK_BASE + 8 * STACK_WORDS || (addr & 3))
        return 0;
    uint64_t i = (addr - STACK_BASE) / 8;
    uint64_t v = s->word[i];
    if (addr & 4)
        v >>= 32;
    *value = size == 4 ? (uint32_t)v : v;
    return 1;
}

/* x86-64 DWARF columns used below. */
enum { RAX = 0, RDX = 1, RCX = 2, RBX = 3, RSI = 4, RDI = 5, RBP = 6, RSP = 7, R12 = 12, RA = 16 };

static void set_reg(dw_eh_regs *r, unsigned col, uint64_t v)
{
    r->value[col] = v;
    r->valid |= 1u << col;
}

static int has(const dw_eh_regs *r, unsigned col)
{
    return (r->valid >> col) & 1;
}

static dw_ehframe open_section(img *m, size_t start, dw_arena *a)
{
    dw_ehframe eh;
    ck_assert_int_eq(dw_ehframe_open_section(&eh, img_read, m, 8, 0, start, m->len - start, a),
                     DW_OK);
    return eh;
}

/* ---- tests ---- */

/* A prologue push rbp / mov rbp,rsp, body, epilogue: the row at each
 * instruction, and the caller's registers they give. */
START_TEST(rows_through_a_prologue)
{
    img m = {0};
    dw_arena a;
    dw_arena_init(&a);
    m.len = 0x100;
    size_t cie = std_cie(&m, 0x1b);
    static const uint8_t ins[] = {
        0x41,          /* advance_loc 1: after push rbp */
        0x0e, 16,      /* def_cfa_offset 16 */
        0x86, 2,       /* offset r6 (rbp) at cfa-16 */
        0x43,          /* advance_loc 3: after mov rbp,rsp */
        0x0d, 6,       /* def_cfa_register r6 */
        0x02, 0x20,    /* advance_loc1 0x20: the epilogue */
        0x0c, 7,    8, /* def_cfa rsp+8 */
        0xc6,          /* restore r6 */
    };
    put_fde(&m, cie, 0x1000, 0x40, ins, sizeof ins);
    put_le(&m, 0, 4); /* terminator */
    dw_ehframe eh = open_section(&m, 0x100, &a);
    ck_assert_uint_eq(eh.index_count, 1);

    dw_eh_row row;
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x1000, &row), DW_OK);
    ck_assert_uint_eq(row.pc_begin, 0x1000);
    ck_assert_uint_eq(row.pc_end, 0x1040);
    ck_assert(!row.cfa_is_expr && row.cfa_reg == RSP && row.cfa_offset == 8);
    ck_assert_int_eq(row.col[RA].kind, DW_EH_OFFSET);
    ck_assert_int_eq(row.col[RA].offset, -8);
    ck_assert_int_eq(row.col[RBP].kind, DW_EH_UNSPECIFIED);

    ck_assert_int_eq(dw_ehframe_find(&eh, 0x1001, &row), DW_OK);
    ck_assert(row.cfa_reg == RSP && row.cfa_offset == 16);
    ck_assert_int_eq(row.col[RBP].kind, DW_EH_OFFSET);
    ck_assert_int_eq(row.col[RBP].offset, -16);

    ck_assert_int_eq(dw_ehframe_find(&eh, 0x1023, &row), DW_OK); /* last body byte */
    ck_assert(row.cfa_reg == RBP && row.cfa_offset == 16);

    /* Unwind the body: CFA = rbp + 16, return address and rbp saved below. */
    fake_stack st = {{0}};
    st.word[10] = 0x7000 + 8 * 20; /* saved rbp at cfa-16 */
    st.word[11] = 0x5555;          /* return address at cfa-8 */
    dw_eh_regs in = {{0}, 0, 0, 0}, out;
    set_reg(&in, RSP, STACK_BASE + 8 * 4);
    set_reg(&in, RBP, STACK_BASE + 8 * 10);
    ck_assert_int_eq(dw_ehframe_unwind(&eh, &row, &in, stack_read, &st, &out), DW_OK);
    ck_assert_uint_eq(out.cfa, STACK_BASE + 8 * 12);
    ck_assert(has(&out, RA) && out.value[RA] == 0x5555);
    ck_assert(has(&out, RBP) && out.value[RBP] == 0x7000 + 8 * 20);
    ck_assert(!has(&out, RBX)); /* no rule: left to the caller's default */

    ck_assert_int_eq(dw_ehframe_find(&eh, 0x1024, &row), DW_OK); /* the epilogue */
    ck_assert(row.cfa_reg == RSP && row.cfa_offset == 8);
    ck_assert_int_eq(row.col[RBP].kind, DW_EH_UNSPECIFIED); /* restored to the CIE's */

    ck_assert_int_eq(dw_ehframe_find(&eh, 0x1040, &row), DW_ERR_NOT_FOUND); /* past the end */
    ck_assert_int_eq(dw_ehframe_find(&eh, 0xfff, &row), DW_ERR_NOT_FOUND);  /* before */
    dw_arena_free(&a);
}
END_TEST

/* advance_loc2/4, set_loc, a code alignment factor, and the rules that set
 * one register each. */
START_TEST(every_register_rule)
{
    img m = {0};
    dw_arena a;
    dw_arena_init(&a);
    static const uint8_t init[] = {0x0c, 7, 8, 0x90, 1, 0x08, 3 /* same_value rbx */};
    uint8_t enc = 0x1b;
    size_t cie = put_cie(&m, "zR", 2, -8, 16, &enc, 1, init, sizeof init);
    size_t start = begin_fde(&m, cie);
    put_le(&m, (uint32_t)(0x2000 - m.len), 4);
    put_le(&m, 0x30000, 4);
    put8(&m, 0);
    static const uint8_t ins1[] = {
        0x00,                   /* nop */
        0x05, 3,    2,          /* offset_extended rbx, 2*-8 */
        0x11, 12,   0x7d,       /* offset_extended_sf r12, -3*-8 = +24 */
        0x2f, 13,   1,          /* GNU_negative_offset_extended r13, -(1*-8) = +8 */
        0x14, 14,   4,          /* val_offset r14, 4*-8 */
        0x15, 15,   0x7f,       /* val_offset_sf r15, -1*-8 = +8 */
        0x07, RAX,              /* undefined rax */
        0x09, RDX,  RCX,        /* register rdx in rcx */
        0x2e, 0x20,             /* GNU_args_size 32 */
        0x12, 7,    0x7e,       /* def_cfa_sf rsp, -2*-8 = 16 */
        0x03, 0x00, 0x01,       /* advance_loc2 0x100 (*2) -> 0x2200 */
        0x13, 0x7c,             /* def_cfa_offset_sf -4*-8 = 32 */
        0x06, 3,                /* restore_extended rbx: same_value again */
        0x04, 0,    0,    1, 0, /* advance_loc4 0x10000 (*2) -> 0x22200 */
        0x0c, 6,    0x10,       /* def_cfa rbp+16 */
        0x01,                   /* set_loc (pcrel sdata4) 0x22400 */
    };
    put_bytes(&m, ins1, sizeof ins1);
    put_le(&m, (uint32_t)(0x22400 - m.len), 4);
    put8(&m, 0x0e);
    put8(&m, 0x30); /* def_cfa_offset 0x30 */
    end_entry(&m, start);
    dw_ehframe eh = open_section(&m, 0, &a);

    dw_eh_row row;
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x21ff, &row), DW_OK);
    ck_assert(row.cfa_reg == RSP && row.cfa_offset == 16);
    ck_assert(row.col[RBX].kind == DW_EH_OFFSET && row.col[RBX].offset == -16);
    ck_assert(row.col[12].kind == DW_EH_OFFSET && row.col[12].offset == 24);
    ck_assert(row.col[13].kind == DW_EH_OFFSET && row.col[13].offset == 8);
    ck_assert(row.col[14].kind == DW_EH_VAL_OFFSET && row.col[14].offset == -32);
    ck_assert(row.col[15].kind == DW_EH_VAL_OFFSET && row.col[15].offset == 8);
    ck_assert_int_eq(row.col[RAX].kind, DW_EH_UNDEFINED);
    ck_assert(row.col[RDX].kind == DW_EH_REGISTER && row.col[RDX].reg == RCX);
    ck_assert_uint_eq(row.args_size, 32);

    fake_stack st = {{0}};
    for (unsigned i = 0; i < STACK_WORDS; i++)
        st.word[i] = 0x1000 + i;
    dw_eh_regs in = {{0}, 0, 0, 0}, out;
    set_reg(&in, RSP, STACK_BASE + 8 * 8);
    set_reg(&in, RCX, 0xc0ffee);
    set_reg(&in, RAX, 1);
    ck_assert_int_eq(dw_ehframe_unwind(&eh, &row, &in, stack_read, &st, &out), DW_OK);
    ck_assert_uint_eq(out.cfa, STACK_BASE + 8 * 10);
    ck_assert_uint_eq(out.value[RA], 0x1000 + 9);
    ck_assert_uint_eq(out.value[RBX], 0x1000 + 8);
    ck_assert_uint_eq(out.value[12], 0x1000 + 13);
    ck_assert_uint_eq(out.value[14], STACK_BASE + 8 * 6);
    ck_assert_uint_eq(out.value[15], STACK_BASE + 8 * 11);
    ck_assert_uint_eq(out.value[RDX], 0xc0ffee);
    ck_assert(!has(&out, RAX) && (out.undefined & (1u << RAX)));

    ck_assert_int_eq(dw_ehframe_find(&eh, 0x2200, &row), DW_OK);
    ck_assert(row.cfa_reg == RSP && row.cfa_offset == 32);
    ck_assert_int_eq(row.col[RBX].kind, DW_EH_SAME_VALUE);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x22200, &row), DW_OK);
    ck_assert(row.cfa_reg == RBP && row.cfa_offset == 16);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x223ff, &row), DW_OK);
    ck_assert_int_eq(row.cfa_offset, 16);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x22400, &row), DW_OK);
    ck_assert_int_eq(row.cfa_offset, 0x30);
    dw_arena_free(&a);
}
END_TEST

/* remember_state / restore_state bring back the register rules and the CFA
 * rule (GCC's mid-function epilogues); an unbalanced restore or nesting
 * past the bound is declined. */
START_TEST(remember_and_restore_state)
{
    img m = {0};
    dw_arena a;
    dw_arena_init(&a);
    size_t cie = std_cie(&m, 0x1b);
    static const uint8_t ins[] = {
        0x41, 0x0e, 16,   0x86, 2, /* push rbp */
        0x41, 0x0a,                /* remember_state */
        0x0e, 8,    0xc6,          /* epilogue: cfa rsp+8, rbp restored */
        0x41, 0x0b,                /* restore_state: back in the body */
    };
    put_fde(&m, cie, 0x1000, 0x10, ins, sizeof ins);
    static const uint8_t unbalanced[] = {0x41, 0x0b};
    put_fde(&m, cie, 0x2000, 0x10, unbalanced, sizeof unbalanced);
    uint8_t deep[12];
    memset(deep, 0x0a, sizeof deep); /* remember_state x 12 */
    put_fde(&m, cie, 0x3000, 0x10, deep, sizeof deep);
    dw_ehframe eh = open_section(&m, 0, &a);
    ck_assert_uint_eq(eh.index_count, 3);

    dw_eh_row row;
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x1002, &row), DW_OK);
    ck_assert_int_eq(row.cfa_offset, 8);
    ck_assert_int_eq(row.col[RBP].kind, DW_EH_UNSPECIFIED);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x1003, &row), DW_OK);
    ck_assert_int_eq(row.cfa_offset, 16);
    ck_assert(row.col[RBP].kind == DW_EH_OFFSET && row.col[RBP].offset == -16);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x2000, &row), DW_OK); /* before the bad op */
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x2001, &row), DW_ERR_DAMAGED);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x3000, &row), DW_ERR_DAMAGED);
    dw_arena_free(&a);
}
END_TEST

/* The expressions glibc emits: the PLT's CFA (rsp + 8, + 8 more once rip
 * is past the push in a 16-byte entry) and __restore_rt's signal frame
 * ("zRS": CFA and every register read from the ucontext on the stack). */
START_TEST(plt_and_signal_frame_expressions)
{
    img m = {0};
    dw_arena a;
    dw_arena_init(&a);
    size_t cie = std_cie(&m, 0x1b);
    static const uint8_t plt[] = {
        0x0f, 11, /* def_cfa_expression, 11 bytes: */
        0x77, 8,  0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22,
        /* breg7 8; breg16 0; lit15; and; lit11; ge; lit3; shl; plus */
    };
    put_fde(&m, cie, 0x1020, 0x40, plt, sizeof plt);
    uint8_t enc = 0x1b;
    size_t scie = put_cie(&m, "zRS", 1, -8, 16, &enc, 1, NULL, 0);
    static const uint8_t sig[] = {
        0x0f, 4,   0x77, 0xa0, 0x01, 0x06, /* def_cfa_expression: breg7 160; deref */
        0x10, RBX, 3,    0x77, 0x80, 0x01, /* expression rbx: breg7 128 */
        0x10, RSP, 3,    0x77, 0xa0, 0x01, /* expression rsp: breg7 160 */
        0x10, RA,  3,    0x77, 0xa8, 0x01, /* expression rip: breg7 168 */
        0x16, RDI, 2,    0x23, 0x10,       /* val_expression rdi: cfa; plus_uconst 16 */
    };
    put_fde(&m, scie, 0x2000, 0x10, sig, sizeof sig);
    dw_ehframe eh = open_section(&m, 0, &a);
    fake_stack st = {{0}};
    dw_eh_regs in = {{0}, 0, 0, 0}, out;
    dw_eh_row row;

    ck_assert_int_eq(dw_ehframe_find(&eh, 0x1026, &row), DW_OK);
    ck_assert(row.cfa_is_expr);
    set_reg(&in, RSP, 0x7100);
    set_reg(&in, RA, 0x1026); /* low nibble 6 < 11: before the push */
    ck_assert_int_eq(dw_ehframe_unwind(&eh, &row, &in, stack_read, &st, &out), DW_OK);
    ck_assert_uint_eq(out.cfa, 0x7108);
    set_reg(&in, RA, 0x102b); /* 11: after it */
    ck_assert_int_eq(dw_ehframe_unwind(&eh, &row, &in, stack_read, &st, &out), DW_OK);
    ck_assert_uint_eq(out.cfa, 0x7110);

    ck_assert_int_eq(dw_ehframe_find(&eh, 0x2000, &row), DW_OK);
    ck_assert(row.signal_frame);
    dw_eh_regs sin = {{0}, 0, 0, 0};
    set_reg(&sin, RSP, STACK_BASE);
    st.word[16] = 0xbbbb;             /* rbx at +128 */
    st.word[20] = STACK_BASE + 0x180; /* rsp at +160 */
    st.word[21] = 0x401234;           /* rip at +168 */
    ck_assert_int_eq(dw_ehframe_unwind(&eh, &row, &sin, stack_read, &st, &out), DW_OK);
    ck_assert_uint_eq(out.cfa, STACK_BASE + 0x180);
    ck_assert_uint_eq(out.value[RBX], 0xbbbb);
    ck_assert_uint_eq(out.value[RSP], STACK_BASE + 0x180);
    ck_assert_uint_eq(out.value[RA], 0x401234);
    ck_assert_uint_eq(out.value[RDI], STACK_BASE + 0x190);
    /* The callee's rsp unknown: nothing can be computed. */
    dw_eh_regs none = {{0}, 0, 0, 0};
    ck_assert_int_eq(dw_ehframe_unwind(&eh, &row, &none, stack_read, &st, &out), DW_ERR_NOT_FOUND);
    dw_arena_free(&a);
}
END_TEST

/* Expressions that must be refused: an operation CFI has no use for, a
 * branch out of the expression, a loop (bounded), stack underflow, a
 * division by zero. */
START_TEST(bad_expressions_decline)
{
    static const uint8_t exprs[][6] = {
        {0x50, 0, 0, 0, 0, 0},       /* DW_OP_reg0: a location, not a value */
        {0x2f, 0x10, 0x00, 0, 0, 0}, /* skip +16: past the end */
        {0x2f, 0xfd, 0xff, 0, 0, 0}, /* skip -3: itself, forever */
        {0x22, 0, 0, 0, 0, 0},       /* plus on an empty stack */
        {0x31, 0x30, 0x1b, 0, 0, 0}, /* lit1 lit0 div */
        {0x30, 0x94, 9, 0, 0, 0},    /* lit0 deref_size 9 */
    };
    static const uint8_t lens[] = {1, 3, 3, 1, 3, 3};
    for (size_t i = 0; i < sizeof lens; i++) {
        img m = {0};
        dw_arena a;
        dw_arena_init(&a);
        size_t cie = std_cie(&m, 0x1b);
        uint8_t ins[8] = {0x0f, lens[i]};
        memcpy(ins + 2, exprs[i], lens[i]);
        put_fde(&m, cie, 0x1000, 0x10, ins, 2u + lens[i]);
        dw_ehframe eh = open_section(&m, 0, &a);
        dw_eh_row row;
        ck_assert_int_eq(dw_ehframe_find(&eh, 0x1000, &row), DW_OK);
        dw_eh_regs in = {{0}, 0, 0, 0}, out;
        fake_stack st = {{0}};
        set_reg(&in, RSP, STACK_BASE);
        ck_assert_msg(dw_ehframe_unwind(&eh, &row, &in, stack_read, &st, &out) == DW_ERR_NOT_FOUND,
                      "expression %zu was accepted", i);
        dw_arena_free(&a);
    }
}
END_TEST

static void put_uleb(img *m, uint64_t v)
{
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        put8(m, (uint8_t)(b | (v ? 0x80 : 0)));
    } while (v);
}

/* Pointer encodings of an FDE's address: absptr (less the link base),
 * udata2/4/8, sdata2/8, uleb/sleb128, pcrel; "zPLR" with a personality and
 * LSDA to skip; textrel, indirect and an unknown format are refused for
 * code addresses (no FDE is indexed). */
START_TEST(pointer_encodings)
{
    static const struct {
        uint8_t enc;
        unsigned size; /* 0: LEB128 */
        int ok;
    } cases[] = {
        {0x00, 8, 1}, {0x02, 2, 1}, {0x03, 4, 1}, {0x04, 8, 1}, {0x0a, 2, 1},
        {0x0c, 8, 1}, {0x01, 0, 1}, {0x09, 0, 1}, {0x1b, 4, 1}, {0x1c, 8, 1},
        {0x23, 4, 0}, {0x9b, 4, 0}, {0x05, 4, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        img m = {0};
        dw_arena a;
        dw_arena_init(&a);
        uint8_t enc = cases[i].enc;
        uint64_t link_base = cases[i].size == 2 ? 0 : 0x400000, pc = 0x1200;
        static const uint8_t init[] = {0x0c, 7, 8, 0x90, 1};
        /* zPLR: personality (pcrel|sdata4|indirect), LSDA encoding, R. */
        uint8_t augdata[] = {0x9b, 0x10, 0, 0, 0, 0x1b, enc};
        size_t cie = put_cie(&m, "zPLR", 1, -8, 16, augdata, sizeof augdata, init, sizeof init);
        size_t start = begin_fde(&m, cie);
        uint64_t v = (enc & 0x70) == 0x10 ? pc - m.len : pc + link_base;
        if (cases[i].size) {
            put_le(&m, v, cases[i].size);
            put_le(&m, 0x20, cases[i].size); /* the range, in the same format */
        } else {
            put_uleb(&m, v); /* 0x401200 reads the same as SLEB128: bit 20 is 0 */
            put_uleb(&m, 0x20);
        }
        put8(&m, 4); /* augmentation data: the LSDA pointer */
        put_le(&m, 0, 4);
        static const uint8_t ins[] = {0x41, 0x0e, 16};
        put_bytes(&m, ins, sizeof ins);
        end_entry(&m, start);
        dw_ehframe eh;
        dw_status st = dw_ehframe_open_section(&eh, img_read, &m, 8, link_base, 0, m.len, &a);
        if (!cases[i].ok) {
            ck_assert_msg(st == DW_ERR_NOT_FOUND, "encoding 0x%x accepted", enc);
            dw_arena_free(&a);
            continue;
        }
        ck_assert_msg(st == DW_OK, "encoding 0x%x: %d", enc, st);
        dw_eh_row row;
        ck_assert_int_eq(dw_ehframe_find(&eh, 0x1201, &row), DW_OK);
        ck_assert_uint_eq(row.pc_begin, pc);
        ck_assert_uint_eq(row.pc_end, pc + 0x20);
        ck_assert_int_eq(row.cfa_offset, 16);
        dw_arena_free(&a);
    }
}
END_TEST

/* ---- an ELF image with PT_GNU_EH_FRAME ---- */

#define HDR_RVA 0x400
#define EH_RVA 0x800

/* ELF header and two program headers (PT_LOAD at link_base, then
 * PT_GNU_EH_FRAME), class 32 or 64. */
static void put_elf_headers(img *m, int is64, uint64_t link_base, uint64_t hdr_size)
{
    m->len = 0;
    unsigned ehsize = is64 ? 64 : 52, phentsize = is64 ? 56 : 32;
    put_bytes(m,
              (const uint8_t *)"\x7f"
                               "ELF",
              4);
    put8(m, is64 ? 2 : 1);
    put8(m, 1);
    put8(m, 1);
    while (m->len < 16)
        put8(m, 0);
    put_le(m, 3, 2);             /* ET_DYN */
    put_le(m, is64 ? 62 : 3, 2); /* EM_X86_64 / EM_386 */
    put_le(m, 1, 4);
    put_le(m, 0, is64 ? 8 : 4);      /* e_entry */
    put_le(m, ehsize, is64 ? 8 : 4); /* e_phoff */
    put_le(m, 0, is64 ? 8 : 4);      /* e_shoff */
    put_le(m, 0, 4);
    put_le(m, ehsize, 2);
    put_le(m, phentsize, 2);
    put_le(m, 2, 2); /* e_phnum */
    put_le(m, 0, 6);
    const uint64_t ph[2][4] = {{1, 0, link_base, 0x3000},
                               {0x6474e550, HDR_RVA, link_base + HDR_RVA, hdr_size}};
    for (int i = 0; i < 2; i++) {
        if (is64) {
            put_le(m, ph[i][0], 4);
            put_le(m, 4, 4);
            put_le(m, ph[i][1], 8);
            put_le(m, ph[i][2], 8);
            put_le(m, ph[i][2], 8);
            put_le(m, ph[i][3], 8);
            put_le(m, ph[i][3], 8);
            put_le(m, 8, 8);
        } else {
            put_le(m, ph[i][0], 4);
            put_le(m, ph[i][1], 4);
            put_le(m, ph[i][2], 4);
            put_le(m, ph[i][2], 4);
            put_le(m, ph[i][3], 4);
            put_le(m, ph[i][3], 4);
            put_le(m, 4, 4);
            put_le(m, 4, 4);
        }
    }
}

/* .eh_frame at EH_RVA with one FDE per start in pcs (each 0x10 long, the
 * n-th with def_cfa_offset 8 + 8n after one byte); the FDE offsets go to
 * fdes. */
static void put_eh_frame(img *m, const uint64_t *pcs, size_t n, size_t *fdes)
{
    while (m->len < EH_RVA)
        put8(m, 0);
    size_t cie = std_cie(m, 0x1b);
    for (size_t i = 0; i < n; i++) {
        uint8_t ins[] = {0x41, 0x0e, (uint8_t)(16 + 8 * i)};
        fdes[i] = put_fde(m, cie, pcs[i], 0x10, ins, sizeof ins);
    }
    put_le(m, 0, 4);
}

/* .eh_frame_hdr: eh_frame_ptr pcrel|sdata4; fde_count udata4; the table
 * datarel|sdata4 sorted by pc (or no table when count_enc is omit). */
static void put_hdr(img *m, uint8_t count_enc, uint32_t count, const uint64_t *pcs,
                    const size_t *fdes, size_t n)
{
    size_t save = m->len;
    m->len = HDR_RVA;
    put8(m, 1);
    put8(m, 0x1b);
    put8(m, count_enc);
    put8(m, 0x3b);
    put_le(m, (uint32_t)(EH_RVA - m->len), 4);
    put_le(m, count, 4);
    for (size_t i = 0; i < n; i++) {
        put_le(m, (uint32_t)(pcs[i] - HDR_RVA), 4);
        put_le(m, (uint32_t)(fdes[i] - HDR_RVA), 4);
    }
    m->len = save;
}

START_TEST(elf_eh_frame_hdr_table)
{
    static const uint64_t pcs[] = {0x1000, 0x1100, 0x1200, 0x1300};
    size_t fdes[4];
    for (int is64 = 0; is64 <= 1; is64++) {
        img m = {0};
        dw_arena a;
        dw_arena_init(&a);
        put_elf_headers(&m, is64, is64 ? 0 : 0x8048000, 12 + 8 * 4);
        put_eh_frame(&m, pcs, 4, fdes);
        put_hdr(&m, 0x03, 4, pcs, fdes, 4);
        dw_ehframe eh;
        ck_assert_int_eq(dw_ehframe_open_elf(&eh, img_read, &m, &a), DW_OK);
        ck_assert_uint_eq(eh.addr_size, is64 ? 8 : 4);
        ck_assert_uint_eq(eh.link_base, is64 ? 0 : 0x8048000);
        ck_assert_uint_eq(eh.eh_frame, EH_RVA);
        ck_assert_uint_eq(eh.fde_count, 4);
        ck_assert_uint_eq(eh.entry_size, 8);
        for (size_t i = 0; i < 4; i++) {
            dw_eh_row row;
            ck_assert_int_eq(dw_ehframe_find(&eh, pcs[i] + 5, &row), DW_OK);
            ck_assert_uint_eq(row.pc_begin, pcs[i]);
            ck_assert_int_eq(row.cfa_offset, 16 + 8 * (int)i);
            ck_assert_int_eq(dw_ehframe_find(&eh, pcs[i] + 0x10, &row), DW_ERR_NOT_FOUND);
        }
        dw_eh_row row;
        ck_assert_int_eq(dw_ehframe_find(&eh, 0xfff, &row), DW_ERR_NOT_FOUND);
        dw_arena_free(&a);
    }
}
END_TEST

/* No table in .eh_frame_hdr (fde_count omitted), or a count the header's
 * size cannot hold: .eh_frame is walked into an index instead. */
START_TEST(elf_without_usable_table)
{
    static const uint64_t pcs[] = {0x1300, 0x1000, 0x1200}; /* unsorted on purpose */
    size_t fdes[3];
    for (int variant = 0; variant < 2; variant++) {
        img m = {0};
        dw_arena a;
        dw_arena_init(&a);
        put_elf_headers(&m, 1, 0, 12 + 8 * 3);
        put_eh_frame(&m, pcs, 3, fdes);
        put_hdr(&m, variant ? 0x03 : 0xff, variant ? 0x10000000u : 0, pcs, fdes, 3);
        dw_ehframe eh;
        ck_assert_int_eq(dw_ehframe_open_elf(&eh, img_read, &m, &a), DW_OK);
        ck_assert_uint_eq(eh.entry_size, 0);
        ck_assert_uint_eq(eh.index_count, 3);
        dw_eh_row row;
        ck_assert_int_eq(dw_ehframe_find(&eh, 0x1201, &row), DW_OK);
        ck_assert_int_eq(row.cfa_offset, 32);
        ck_assert_int_eq(dw_ehframe_find(&eh, 0x1100, &row), DW_ERR_NOT_FOUND);
        dw_arena_free(&a);
    }
}
END_TEST

START_TEST(elf_headers_refused)
{
    static const uint64_t pcs[] = {0x1000};
    size_t fdes[1];
    dw_arena a;
    dw_arena_init(&a);
    dw_ehframe eh;
    img m = {0};
    put_elf_headers(&m, 1, 0, 20);
    put_eh_frame(&m, pcs, 1, fdes);
    put_hdr(&m, 0x03, 1, pcs, fdes, 1);
    ck_assert_int_eq(dw_ehframe_open_elf(&eh, img_read, &m, &a), DW_OK);
    /* A PE image, big-endian ELF, huge e_phnum, no PT_GNU_EH_FRAME, a bad
     * header version, a truncated image. */
    img bad = m;
    memcpy(bad.b, "MZ", 2);
    ck_assert_int_eq(dw_ehframe_open_elf(&eh, img_read, &bad, &a), DW_ERR_FORMAT);
    bad = m;
    bad.b[5] = 2;
    ck_assert_int_eq(dw_ehframe_open_elf(&eh, img_read, &bad, &a), DW_ERR_FORMAT);
    bad = m;
    bad.b[56] = 0xff;
    bad.b[57] = 0xff;
    ck_assert_int_eq(dw_ehframe_open_elf(&eh, img_read, &bad, &a), DW_ERR_DAMAGED);
    bad = m;
    bad.b[64 + 56] = 7; /* PT_TLS instead */
    ck_assert_int_eq(dw_ehframe_open_elf(&eh, img_read, &bad, &a), DW_ERR_NOT_FOUND);
    bad = m;
    bad.b[HDR_RVA] = 2;
    ck_assert_int_eq(dw_ehframe_open_elf(&eh, img_read, &bad, &a), DW_ERR_DAMAGED);
    bad = m;
    bad.readable = 100;
    ck_assert_int_ne(dw_ehframe_open_elf(&eh, img_read, &bad, &a), DW_OK);
    dw_arena_free(&a);
}
END_TEST

/* Malformed .eh_frame entries cost only themselves: lengths past the end,
 * an FDE whose CIE pointer leads to itself (a loop) or out of the section,
 * a CIE with an unknown version or an over-long augmentation, LEB128 that
 * never ends; the good FDE beside them still answers. */
START_TEST(malformed_entries_decline)
{
    img m = {0};
    dw_arena a;
    dw_arena_init(&a);
    size_t cie = std_cie(&m, 0x1b);
    put_fde(&m, cie, 0x1000, 0x10, NULL, 0);
    /* An FDE pointing at itself as its CIE. */
    size_t self = begin_fde(&m, 0);
    patch32(&m, self + 4, 4);
    put_le(&m, (uint32_t)(0x2000 - m.len), 4);
    put_le(&m, 0x10, 4);
    put8(&m, 0);
    end_entry(&m, self);
    /* An FDE whose CIE would sit before the section. */
    size_t out = begin_fde(&m, 0);
    patch32(&m, out + 4, 0x100000);
    put_le(&m, (uint32_t)(0x3000 - m.len), 4);
    put_le(&m, 0x10, 4);
    end_entry(&m, out);
    /* A CIE of version 9, and an FDE using it. */
    size_t v9 = std_cie(&m, 0x1b);
    m.b[v9 + 8] = 9;
    put_fde(&m, v9, 0x4000, 0x10, NULL, 0);
    /* A CIE whose augmentation string never ends within the bound. */
    static const uint8_t none[1] = {0};
    size_t longaug = put_cie(&m, "zRRRRRRRRRRRRRRRRRRRRRRRRR", 1, -8, 16, none, 1, NULL, 0);
    put_fde(&m, longaug, 0x5000, 0x10, NULL, 0);
    /* An FDE with an endless ULEB in its instructions. */
    static const uint8_t endless[] = {0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    put_fde(&m, cie, 0x6000, 0x10, endless, sizeof endless);
    /* Instructions that run off the end of their FDE: 17 header bytes and
     * these 3 end exactly on the 4-byte boundary, inside the ULEB. */
    static const uint8_t cut[] = {0x41, 0x0e, 0x80};
    put_fde(&m, cie, 0x7000, 0x10, cut, sizeof cut);
    /* Last: an entry whose length runs far past the end. */
    put_le(&m, 0x7ffffff0, 4);
    put_le(&m, 0, 4);

    dw_ehframe eh = open_section(&m, 0, &a);
    dw_eh_row row;
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x1004, &row), DW_OK);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x2004, &row), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x3004, &row), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x4004, &row), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x5004, &row), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x6004, &row), DW_ERR_DAMAGED);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x7000, &row), DW_OK); /* stops before it */
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x7001, &row), DW_ERR_DAMAGED);
    ck_assert_uint_eq(eh.index_count, 3); /* good, endless, cut: their CIEs parse */

    /* An FDE whose own length overstates what follows: it is never parsed. */
    img t = {0};
    size_t tc = std_cie(&t, 0x1b);
    size_t tf = put_fde(&t, tc, 0x1000, 0x10, NULL, 0);
    patch32(&t, tf, 0x1000);
    ck_assert_int_eq(dw_ehframe_open_section(&eh, img_read, &t, 8, 0, 0, t.len, &a),
                     DW_ERR_NOT_FOUND);
    /* With the section end unknown the entry is indexed, and its lookup
     * fails where the image's bytes end. */
    ck_assert_int_eq(dw_ehframe_open_section(&eh, img_read, &t, 8, 0, 0, UINT64_MAX, &a), DW_OK);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x1000, &row), DW_ERR_DAMAGED);
    dw_arena_free(&a);
}
END_TEST

/* A table entry pointing outside .eh_frame, or at a CIE, is declined. */
START_TEST(table_pointing_astray)
{
    static const uint64_t pcs[] = {0x1000, 0x1100};
    size_t fdes[2];
    img m = {0};
    dw_arena a;
    dw_arena_init(&a);
    put_elf_headers(&m, 1, 0, 12 + 16);
    put_eh_frame(&m, pcs, 2, fdes);
    size_t wrong[2] = {EH_RVA - 0x100, EH_RVA}; /* before .eh_frame; the CIE */
    put_hdr(&m, 0x03, 2, pcs, wrong, 2);
    dw_ehframe eh;
    ck_assert_int_eq(dw_ehframe_open_elf(&eh, img_read, &m, &a), DW_OK);
    dw_eh_row row;
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x1000, &row), DW_ERR_DAMAGED);
    ck_assert_int_eq(dw_ehframe_find(&eh, 0x1100, &row), DW_ERR_DAMAGED);
    dw_arena_free(&a);
}
END_TEST

Suite *ehframe_suite(void)
{
    Suite *s = suite_create("ehframe");
    TCase *tc = tcase_create("ehframe");
    tcase_add_test(tc, rows_through_a_prologue);
    tcase_add_test(tc, every_register_rule);
    tcase_add_test(tc, remember_and_restore_state);
    tcase_add_test(tc, plt_and_signal_frame_expressions);
    tcase_add_test(tc, bad_expressions_decline);
    tcase_add_test(tc, pointer_encodings);
    tcase_add_test(tc, elf_eh_frame_hdr_table);
    tcase_add_test(tc, elf_without_usable_table);
    tcase_add_test(tc, elf_headers_refused);
    tcase_add_test(tc, malformed_entries_decline);
    tcase_add_test(tc, table_pointing_astray);
    suite_add_tcase(s, tc);
    return s;
}
