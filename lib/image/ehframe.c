/* .eh_frame: locate it, find the FDE for an address, run its CFA program,
 * evaluate the resulting row (format facts: see ehframe.h).
 *
 * Everything is read through the image callback in small windows
 * (eh_stream), so nothing is allocated per lookup and a length or pointer
 * that leads outside what the image maps just ends the read.  Every loop
 * is bounded: by the bytes of its entry, and by the constants below. */
#include <stdlib.h>
#include <string.h>

#include "image/ehframe.h"
#include "util/reader.h"

/* Bounds (none of them is reached by real images: glibc's largest FDE is
 * under 256 bytes and its .eh_frame under 200 KiB). */
#define MAX_EH_FRAME_SIZE ((uint64_t)256 << 20) /* when the section end is unknown */
#define MAX_ENTRY_SIZE ((uint64_t)1 << 20)      /* one CIE or FDE */
#define MAX_INDEX_ENTRIES ((size_t)1 << 20)     /* FDEs indexed by a walk */
#define MAX_AUGMENTATION 16                     /* characters of a CIE augmentation string */
#define MAX_REMEMBER_DEPTH 8                    /* DW_CFA_remember_state nesting */
#define MAX_EXPR_LEN 1024                       /* bytes of one DWARF expression */
#define MAX_EXPR_STEPS 1024                     /* operations evaluated (branches loop) */
#define MAX_EXPR_STACK 32
#define MAX_PHDRS 256
#define WINDOW 256

/* ELF (gABI): PT_LOAD, and GNU's program header for .eh_frame_hdr. */
#define PT_LOAD 1
#define PT_GNU_EH_FRAME 0x6474e550u

/* DW_EH_PE_* pointer encodings (LSB "DWARF Exception Header Encoding"):
 * the low nibble is the format, bits 4-6 what it is relative to, bit 7
 * "indirect" (the value is the address of the pointer). */
enum {
    PE_ABSPTR = 0x00,
    PE_ULEB128 = 0x01,
    PE_UDATA2 = 0x02,
    PE_UDATA4 = 0x03,
    PE_UDATA8 = 0x04,
    PE_SLEB128 = 0x09,
    PE_SDATA2 = 0x0a,
    PE_SDATA4 = 0x0b,
    PE_SDATA8 = 0x0c,
    PE_PCREL = 0x10,
    PE_TEXTREL = 0x20,
    PE_DATAREL = 0x30,
    PE_FUNCREL = 0x40,
    PE_ALIGNED = 0x50,
    PE_INDIRECT = 0x80,
    PE_OMIT = 0xff,
};

/* DW_CFA_* (DWARF 5 table 7.29, plus GNU's 0x2e/0x2f).  The first three
 * carry an operand in their low six bits. */
enum {
    CFA_ADVANCE_LOC = 0x40,
    CFA_OFFSET = 0x80,
    CFA_RESTORE = 0xc0,
    CFA_NOP = 0x00,
    CFA_SET_LOC = 0x01,
    CFA_ADVANCE_LOC1 = 0x02,
    CFA_ADVANCE_LOC2 = 0x03,
    CFA_ADVANCE_LOC4 = 0x04,
    CFA_OFFSET_EXTENDED = 0x05,
    CFA_RESTORE_EXTENDED = 0x06,
    CFA_UNDEFINED = 0x07,
    CFA_SAME_VALUE = 0x08,
    CFA_REGISTER = 0x09,
    CFA_REMEMBER_STATE = 0x0a,
    CFA_RESTORE_STATE = 0x0b,
    CFA_DEF_CFA = 0x0c,
    CFA_DEF_CFA_REGISTER = 0x0d,
    CFA_DEF_CFA_OFFSET = 0x0e,
    CFA_DEF_CFA_EXPRESSION = 0x0f,
    CFA_EXPRESSION = 0x10,
    CFA_OFFSET_EXTENDED_SF = 0x11,
    CFA_DEF_CFA_SF = 0x12,
    CFA_DEF_CFA_OFFSET_SF = 0x13,
    CFA_VAL_OFFSET = 0x14,
    CFA_VAL_OFFSET_SF = 0x15,
    CFA_VAL_EXPRESSION = 0x16,
    CFA_GNU_ARGS_SIZE = 0x2e,
    CFA_GNU_NEGATIVE_OFFSET_EXTENDED = 0x2f,
};

/* DW_OP_* used by CFI expressions (DWARF 5 table 7.9). */
enum {
    OP_DEREF = 0x06,
    OP_CONST1U = 0x08,
    OP_CONST1S = 0x09,
    OP_CONST2U = 0x0a,
    OP_CONST2S = 0x0b,
    OP_CONST4U = 0x0c,
    OP_CONST4S = 0x0d,
    OP_CONST8U = 0x0e,
    OP_CONST8S = 0x0f,
    OP_CONSTU = 0x10,
    OP_CONSTS = 0x11,
    OP_DUP = 0x12,
    OP_DROP = 0x13,
    OP_OVER = 0x14,
    OP_PICK = 0x15,
    OP_SWAP = 0x16,
    OP_ROT = 0x17,
    OP_ABS = 0x19,
    OP_AND = 0x1a,
    OP_DIV = 0x1b,
    OP_MINUS = 0x1c,
    OP_MOD = 0x1d,
    OP_MUL = 0x1e,
    OP_NEG = 0x1f,
    OP_NOT = 0x20,
    OP_OR = 0x21,
    OP_PLUS = 0x22,
    OP_PLUS_UCONST = 0x23,
    OP_SHL = 0x24,
    OP_SHR = 0x25,
    OP_SHRA = 0x26,
    OP_XOR = 0x27,
    OP_BRA = 0x28,
    OP_EQ = 0x29,
    OP_GE = 0x2a,
    OP_GT = 0x2b,
    OP_LE = 0x2c,
    OP_LT = 0x2d,
    OP_NE = 0x2e,
    OP_SKIP = 0x2f,
    OP_LIT0 = 0x30,
    OP_LIT31 = 0x4f,
    OP_BREG0 = 0x70,
    OP_BREG31 = 0x8f,
    OP_BREGX = 0x92,
    OP_DEREF_SIZE = 0x94,
    OP_NOP = 0x96,
};

/* ---- a bounded byte stream over the image callback ----------------------- */

typedef struct eh_stream {
    const dw_ehframe *eh;
    uint64_t pos, end; /* RVAs; reads stop at end */
    uint64_t win_at;
    size_t win_len;
    int failed;
    uint8_t win[WINDOW];
} eh_stream;

static void stream_init(eh_stream *s, const dw_ehframe *eh, uint64_t pos, uint64_t end)
{
    s->eh = eh;
    s->pos = pos;
    s->end = end;
    s->win_at = 0;
    s->win_len = 0;
    s->failed = pos > end;
}

static uint8_t get_u8(eh_stream *s)
{
    if (s->failed || s->pos >= s->end) {
        s->failed = 1;
        return 0;
    }
    if (s->pos < s->win_at || s->pos - s->win_at >= s->win_len) {
        uint64_t left = s->end - s->pos;
        size_t want = left < WINDOW ? (size_t)left : WINDOW;
        s->win_at = s->pos;
        s->win_len = s->eh->read(s->eh->ctx, s->pos, s->win, want);
        if (s->win_len > want)
            s->win_len = want;
        if (s->win_len == 0) {
            s->failed = 1;
            return 0;
        }
    }
    return s->win[s->pos++ - s->win_at];
}

/* n little-endian bytes (n <= 8). */
static uint64_t get_le(eh_stream *s, unsigned n)
{
    uint8_t b[8] = {0};
    for (unsigned i = 0; i < n; i++)
        b[i] = get_u8(s);
    return dw_le64(b);
}

static int64_t sign_extend(uint64_t v, unsigned bits)
{
    if (bits >= 64)
        return (int64_t)v;
    uint64_t sign = (uint64_t)1 << (bits - 1);
    return (int64_t)((v ^ sign) - sign);
}

/* LEB128 (DWARF 5 section 7.6); more than 10 bytes is malformed. */
static uint64_t get_uleb(eh_stream *s)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        uint8_t b = get_u8(s);
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    s->failed = 1;
    return 0;
}

static int64_t get_sleb(eh_stream *s)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        uint8_t b = get_u8(s);
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            unsigned bits = shift + 7;
            return bits < 64 ? sign_extend(v, bits) : (int64_t)v;
        }
    }
    s->failed = 1;
    return 0;
}

static int skip_bytes(eh_stream *s, uint64_t n)
{
    if (s->failed || n > s->end - s->pos) {
        s->failed = 1;
        return 0;
    }
    s->pos += n;
    return 1;
}

static uint64_t addr_mask(const dw_ehframe *eh)
{
    return eh->addr_size == 4 ? 0xffffffffu : UINT64_MAX;
}

/* ---- DW_EH_PE pointers ----------------------------------------------------- */

/* The value of an encoded field, by its format nibble only (sign-extended
 * for the signed formats).  0 and failed for a format that does not exist. */
static uint64_t get_encoded_value(eh_stream *s, uint8_t enc)
{
    switch (enc & 0x0f) {
    case PE_ABSPTR:
        return get_le(s, s->eh->addr_size);
    case PE_ULEB128:
        return get_uleb(s);
    case PE_UDATA2:
        return get_le(s, 2);
    case PE_UDATA4:
        return get_le(s, 4);
    case PE_UDATA8:
        return get_le(s, 8);
    case PE_SLEB128:
        return (uint64_t)get_sleb(s);
    case PE_SDATA2:
        return (uint64_t)sign_extend(get_le(s, 2), 16);
    case PE_SDATA4:
        return (uint64_t)sign_extend(get_le(s, 4), 32);
    case PE_SDATA8:
        return get_le(s, 8);
    }
    s->failed = 1;
    return 0;
}

/* An encoded address, as an RVA.  `datarel` is the base of DW_EH_PE_datarel
 * (.eh_frame_hdr's start inside that section); UINT64_MAX where it has none.
 * textrel, funcrel, aligned and indirect name nothing an unwinder needs in
 * these places and are refused. */
static int get_encoded_pointer(eh_stream *s, uint8_t enc, uint64_t datarel, uint64_t *out)
{
    uint64_t field = s->pos;
    uint64_t v = get_encoded_value(s, enc);
    if (s->failed || (enc & PE_INDIRECT))
        return 0;
    switch (enc & 0x70) {
    case PE_ABSPTR:
        v -= s->eh->link_base;
        break;
    case PE_PCREL:
        v += field;
        break;
    case PE_DATAREL:
        if (datarel == UINT64_MAX)
            return 0;
        v += datarel;
        break;
    default:
        return 0;
    }
    *out = v & addr_mask(s->eh);
    return 1;
}

/* ---- CIE and FDE ------------------------------------------------------------ */

/* An entry's header: length (0xffffffff: 64-bit length follows), then the
 * CIE id (0 in a CIE) or CIE pointer, 4 or 8 bytes to match. */
typedef struct eh_entry {
    uint64_t start;
    uint64_t id_pos;
    uint64_t id;
    uint64_t body; /* after the id */
    uint64_t end;
} eh_entry;

/* 1: an entry; 0: the zero terminator; -1: malformed or unreadable. */
static int read_entry(const dw_ehframe *eh, uint64_t at, eh_entry *e)
{
    eh_stream s;
    stream_init(&s, eh, at, eh->eh_frame_end);
    uint64_t len = get_le(&s, 4);
    int is64 = len == 0xffffffffu;
    if (is64)
        len = get_le(&s, 8);
    if (s.failed)
        return -1;
    if (len == 0)
        return 0;
    if (len > MAX_ENTRY_SIZE || len > eh->eh_frame_end - s.pos)
        return -1;
    e->start = at;
    e->end = s.pos + len;
    e->id_pos = s.pos;
    e->id = get_le(&s, is64 ? 8 : 4);
    e->body = s.pos;
    return s.failed || e->body > e->end ? -1 : 1;
}

typedef struct eh_cie {
    uint64_t code_align;
    int64_t data_align;
    unsigned ra_column;
    uint8_t fde_enc;
    int has_z;
    int signal;
    uint64_t insns, insns_end;
} eh_cie;

/* The letters after 'z' (LSB "Augmentation String Format"): R the FDE
 * pointer encoding, P a personality routine (encoding + pointer), L the
 * LSDA encoding, S a signal frame; B (AArch64 BTI) and G (MTE) carry no
 * data.  An unknown letter ends interpretation: 'z' lets us skip the rest. */
static int read_augmentation_data(eh_stream *s, const char *aug, eh_cie *cie)
{
    uint64_t len = get_uleb(s);
    uint64_t data_end = s->pos + len;
    if (s->failed || len > s->end - s->pos)
        return 0;
    for (const char *c = aug + 1; *c; c++) {
        if (*c == 'R') {
            cie->fde_enc = get_u8(s);
        } else if (*c == 'P') {
            uint8_t enc = get_u8(s);
            get_encoded_value(s, enc); /* the personality routine: not needed */
        } else if (*c == 'L') {
            get_u8(s);
        } else if (*c == 'S') {
            cie->signal = 1;
        } else if (*c != 'B' && *c != 'G') {
            break;
        }
    }
    if (s->failed || s->pos > data_end)
        return 0;
    s->pos = data_end;
    return 1;
}

static dw_status parse_cie(const dw_ehframe *eh, uint64_t at, eh_cie *cie)
{
    eh_entry e;
    if (read_entry(eh, at, &e) != 1 || e.id != 0)
        return DW_ERR_DAMAGED;
    eh_stream s;
    stream_init(&s, eh, e.body, e.end);
    memset(cie, 0, sizeof *cie);
    cie->fde_enc = PE_ABSPTR;
    uint8_t version = get_u8(&s);
    if (version != 1 && version != 3 && version != 4)
        return DW_ERR_UNSUPPORTED;
    char aug[MAX_AUGMENTATION + 1];
    size_t n = 0;
    for (uint8_t c; (c = get_u8(&s)) != 0 && !s.failed;) {
        if (n == MAX_AUGMENTATION)
            return DW_ERR_UNSUPPORTED;
        aug[n++] = (char)c;
    }
    aug[n] = '\0';
    if (n && aug[0] != 'z')
        return DW_ERR_UNSUPPORTED; /* "eh" (pre-2000 GCC) and the like */
    if (version == 4 && (get_u8(&s) != eh->addr_size || get_u8(&s) != 0))
        return DW_ERR_UNSUPPORTED; /* address_size, segment_selector_size */
    cie->code_align = get_uleb(&s);
    cie->data_align = get_sleb(&s);
    cie->ra_column = version == 1 ? get_u8(&s) : (unsigned)get_uleb(&s);
    cie->has_z = n > 0;
    if (cie->has_z && !read_augmentation_data(&s, aug, cie))
        return DW_ERR_DAMAGED;
    if (s.failed)
        return DW_ERR_DAMAGED;
    cie->insns = s.pos;
    cie->insns_end = e.end;
    return DW_OK;
}

typedef struct eh_fde {
    uint64_t pc_begin, pc_end;
    uint64_t insns, insns_end;
    eh_cie cie;
} eh_fde;

/* The CIE an FDE points to: CIE_pointer counts back from its own field
 * (LSB), and must land inside .eh_frame. */
static dw_status parse_fde(const dw_ehframe *eh, const eh_entry *e, eh_fde *fde)
{
    if (e->id == 0 || e->id > e->id_pos || e->id_pos - e->id < eh->eh_frame)
        return DW_ERR_DAMAGED;
    dw_status st = parse_cie(eh, e->id_pos - e->id, &fde->cie);
    if (st != DW_OK)
        return st;
    eh_stream s;
    stream_init(&s, eh, e->body, e->end);
    uint64_t range;
    if (!get_encoded_pointer(&s, fde->cie.fde_enc, UINT64_MAX, &fde->pc_begin))
        return DW_ERR_DAMAGED;
    range = get_encoded_value(&s, fde->cie.fde_enc & 0x0f) & addr_mask(eh);
    if (fde->cie.has_z)
        skip_bytes(&s, get_uleb(&s));
    if (s.failed)
        return DW_ERR_DAMAGED;
    fde->pc_end = fde->pc_begin + range;
    if (fde->pc_end < fde->pc_begin)
        return DW_ERR_DAMAGED;
    fde->insns = s.pos;
    fde->insns_end = e->end;
    return DW_OK;
}

/* ---- the CFA program --------------------------------------------------------- */

typedef struct cfa_run {
    const dw_ehframe *eh;
    const eh_fde *fde;
    const dw_eh_row *initial; /* the row after the CIE's instructions; NULL in the CIE */
    uint64_t target;
    uint64_t loc;
    int reached; /* an advance went past target: the row is final */
    dw_eh_row stack[MAX_REMEMBER_DEPTH];
    unsigned depth;
} cfa_run;

static dw_eh_rule *column(dw_eh_row *row, uint64_t reg)
{
    return reg < DW_EH_COLUMNS ? &row->col[reg] : NULL;
}

static void set_offset_rule(dw_eh_row *row, uint64_t reg, uint8_t kind, int64_t offset)
{
    dw_eh_rule *r = column(row, reg);
    if (r) {
        memset(r, 0, sizeof *r);
        r->kind = kind;
        r->offset = offset;
    }
}

static void set_simple_rule(dw_eh_row *row, uint64_t reg, uint8_t kind, uint64_t other)
{
    dw_eh_rule *r = column(row, reg);
    if (r) {
        memset(r, 0, sizeof *r);
        r->kind = kind;
        r->reg = (uint16_t)(other < 0xffff ? other : 0xffff);
    }
}

static void restore_rule(cfa_run *run, dw_eh_row *row, uint64_t reg)
{
    dw_eh_rule *r = column(row, reg);
    if (r)
        *r = run->initial ? run->initial->col[reg] : (dw_eh_rule){0};
}

/* A DW_FORM_block operand (ULEB length, bytes): remember where it is. */
static int take_block(eh_stream *s, uint64_t *at, uint32_t *len)
{
    uint64_t n = get_uleb(s);
    *at = s->pos;
    if (s->failed || n > MAX_EXPR_LEN || !skip_bytes(s, n))
        return 0;
    *len = (uint32_t)n;
    return 1;
}

/* Move the location; past the target the row is complete. */
static int advance(cfa_run *run, uint64_t delta, uint64_t factor)
{
    uint64_t d;
    if (!dw_mul_ok(delta, factor, &d) || run->loc + d < run->loc)
        return 0;
    if (run->loc + d > run->target)
        run->reached = 1;
    else
        run->loc += d;
    return 1;
}

static int remember(cfa_run *run, const dw_eh_row *row)
{
    if (run->depth == MAX_REMEMBER_DEPTH)
        return 0;
    run->stack[run->depth++] = *row;
    return 1;
}

/* DW_CFA_restore_state restores the CFA rule too (as libgcc and gdb do; the
 * code GCC emits for epilogues in the middle of a function relies on it). */
static int restore_state(cfa_run *run, dw_eh_row *row)
{
    if (run->depth == 0)
        return 0;
    const dw_eh_row *saved = &run->stack[--run->depth];
    row->cfa_is_expr = saved->cfa_is_expr;
    row->cfa_reg = saved->cfa_reg;
    row->cfa_offset = saved->cfa_offset;
    row->cfa_expr = saved->cfa_expr;
    row->cfa_expr_len = saved->cfa_expr_len;
    memcpy(row->col, saved->col, sizeof row->col);
    return 1;
}

static int def_cfa(dw_eh_row *row, uint64_t reg, int64_t offset)
{
    row->cfa_is_expr = 0;
    row->cfa_reg = reg < UINT32_MAX ? (unsigned)reg : UINT32_MAX;
    row->cfa_offset = offset;
    return 1;
}

/* Instructions that only change the CFA rule. */
static int exec_cfa_rule(eh_stream *s, const eh_cie *cie, uint8_t op, dw_eh_row *row)
{
    uint64_t reg;
    switch (op) {
    case CFA_DEF_CFA:
        reg = get_uleb(s);
        return def_cfa(row, reg, (int64_t)get_uleb(s));
    case CFA_DEF_CFA_SF:
        reg = get_uleb(s);
        return def_cfa(row, reg, get_sleb(s) * cie->data_align);
    case CFA_DEF_CFA_REGISTER:
        if (row->cfa_is_expr)
            return 0; /* only defined for a register+offset CFA (DWARF 5 6.4.2.2) */
        return def_cfa(row, get_uleb(s), row->cfa_offset);
    case CFA_DEF_CFA_OFFSET:
        if (row->cfa_is_expr)
            return 0;
        return def_cfa(row, row->cfa_reg, (int64_t)get_uleb(s));
    case CFA_DEF_CFA_OFFSET_SF:
        if (row->cfa_is_expr)
            return 0;
        return def_cfa(row, row->cfa_reg, get_sleb(s) * cie->data_align);
    case CFA_DEF_CFA_EXPRESSION:
        row->cfa_is_expr = 1;
        return take_block(s, &row->cfa_expr, &row->cfa_expr_len);
    }
    return -1;
}

/* Instructions that set a register's rule. */
static int exec_reg_rule(eh_stream *s, const eh_cie *cie, uint8_t op, cfa_run *run, dw_eh_row *row)
{
    uint64_t reg = 0, other;
    int64_t daf = cie->data_align;
    dw_eh_rule *r;
    if (op != CFA_GNU_ARGS_SIZE)
        reg = get_uleb(s);
    switch (op) {
    case CFA_OFFSET_EXTENDED:
        set_offset_rule(row, reg, DW_EH_OFFSET, (int64_t)get_uleb(s) * daf);
        return 1;
    case CFA_OFFSET_EXTENDED_SF:
        set_offset_rule(row, reg, DW_EH_OFFSET, get_sleb(s) * daf);
        return 1;
    case CFA_GNU_NEGATIVE_OFFSET_EXTENDED:
        set_offset_rule(row, reg, DW_EH_OFFSET, -(int64_t)get_uleb(s) * daf);
        return 1;
    case CFA_VAL_OFFSET:
        set_offset_rule(row, reg, DW_EH_VAL_OFFSET, (int64_t)get_uleb(s) * daf);
        return 1;
    case CFA_VAL_OFFSET_SF:
        set_offset_rule(row, reg, DW_EH_VAL_OFFSET, get_sleb(s) * daf);
        return 1;
    case CFA_RESTORE_EXTENDED:
        restore_rule(run, row, reg);
        return 1;
    case CFA_UNDEFINED:
        set_simple_rule(row, reg, DW_EH_UNDEFINED, 0);
        return 1;
    case CFA_SAME_VALUE:
        set_simple_rule(row, reg, DW_EH_SAME_VALUE, 0);
        return 1;
    case CFA_REGISTER:
        other = get_uleb(s);
        set_simple_rule(row, reg, DW_EH_REGISTER, other);
        return 1;
    case CFA_EXPRESSION:
    case CFA_VAL_EXPRESSION: {
        uint64_t at;
        uint32_t len;
        if (!take_block(s, &at, &len))
            return 0;
        if ((r = column(row, reg)) != NULL) {
            memset(r, 0, sizeof *r);
            r->kind = op == CFA_EXPRESSION ? DW_EH_EXPRESSION : DW_EH_VAL_EXPRESSION;
            r->expr = at;
            r->expr_len = len;
        }
        return 1;
    }
    case CFA_GNU_ARGS_SIZE:
        row->args_size = get_uleb(s);
        return 1;
    }
    return -1;
}

/* One instruction; 0 when it is malformed or unknown. */
static int exec_one(eh_stream *s, cfa_run *run, dw_eh_row *row)
{
    const eh_cie *cie = &run->fde->cie;
    uint8_t op = get_u8(s);
    uint8_t low = op & 0x3f;
    switch (op & 0xc0) {
    case CFA_ADVANCE_LOC:
        return advance(run, low, cie->code_align);
    case CFA_OFFSET:
        set_offset_rule(row, low, DW_EH_OFFSET, (int64_t)get_uleb(s) * cie->data_align);
        return 1;
    case CFA_RESTORE:
        restore_rule(run, row, low);
        return 1;
    }
    switch (op) {
    case CFA_NOP:
        return 1;
    case CFA_SET_LOC: {
        uint64_t loc;
        if (!get_encoded_pointer(s, cie->fde_enc, UINT64_MAX, &loc) || loc < run->loc)
            return 0;
        return advance(run, loc - run->loc, 1);
    }
    case CFA_ADVANCE_LOC1:
        return advance(run, get_le(s, 1), cie->code_align);
    case CFA_ADVANCE_LOC2:
        return advance(run, get_le(s, 2), cie->code_align);
    case CFA_ADVANCE_LOC4:
        return advance(run, get_le(s, 4), cie->code_align);
    case CFA_REMEMBER_STATE:
        return remember(run, row);
    case CFA_RESTORE_STATE:
        return restore_state(run, row);
    }
    int done = exec_cfa_rule(s, cie, op, row);
    if (done < 0)
        done = exec_reg_rule(s, cie, op, run, row);
    return done > 0;
}

/* Run [from, to) until the location passes the target. */
static dw_status run_program(cfa_run *run, uint64_t from, uint64_t to, dw_eh_row *row)
{
    eh_stream s;
    stream_init(&s, run->eh, from, to);
    run->depth = 0;
    while (s.pos < to && !run->reached) {
        if (!exec_one(&s, run, row) || s.failed)
            return DW_ERR_DAMAGED;
    }
    return DW_OK;
}

static dw_status row_for_fde(const dw_ehframe *eh, const eh_fde *fde, uint64_t rva, dw_eh_row *row)
{
    cfa_run runs, *run = &runs;
    memset(run, 0, offsetof(cfa_run, stack));
    run->eh = eh;
    run->fde = fde;
    run->target = rva;
    run->loc = fde->pc_begin;
    memset(row, 0, sizeof *row);
    row->pc_begin = fde->pc_begin;
    row->pc_end = fde->pc_end;
    row->ra_column = fde->cie.ra_column;
    row->signal_frame = fde->cie.signal;
    dw_status st = run_program(run, fde->cie.insns, fde->cie.insns_end, row);
    dw_eh_row initial = *row;
    run->initial = &initial;
    if (st == DW_OK)
        st = run_program(run, fde->insns, fde->insns_end, row);
    return st;
}

/* ---- finding the FDE ------------------------------------------------------- */

/* Entry i of .eh_frame_hdr's table: (initial location, FDE address), both
 * encoded with table_enc relative to the header's start. */
static int table_entry(const dw_ehframe *eh, uint64_t i, uint64_t *pc, uint64_t *fde)
{
    eh_stream s;
    uint64_t at = eh->table + i * eh->entry_size;
    stream_init(&s, eh, at, at + eh->entry_size);
    return get_encoded_pointer(&s, eh->table_enc, eh->hdr, pc) &&
           get_encoded_pointer(&s, eh->table_enc, eh->hdr, fde);
}

/* The FDE of the last table or index entry whose location is <= rva. */
static int candidate_fde(const dw_ehframe *eh, uint64_t rva, uint64_t *fde)
{
    uint64_t lo = 0, hi = eh->entry_size ? eh->fde_count : eh->index_count, found = UINT64_MAX;
    uint64_t found_fde = 0;
    while (lo < hi) { /* at most 64 rounds */
        uint64_t mid = lo + (hi - lo) / 2, pc, at;
        if (eh->entry_size) {
            if (!table_entry(eh, mid, &pc, &at))
                return 0;
        } else {
            pc = eh->index[mid].pc;
            at = eh->index[mid].fde;
        }
        if (pc <= rva) {
            found = mid;
            found_fde = at;
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *fde = found_fde;
    return found != UINT64_MAX;
}

dw_status dw_ehframe_find(const dw_ehframe *eh, uint64_t rva, dw_eh_row *row)
{
    uint64_t at;
    if (!eh || !eh->read || !candidate_fde(eh, rva, &at))
        return DW_ERR_NOT_FOUND;
    if (at < eh->eh_frame || at >= eh->eh_frame_end)
        return DW_ERR_DAMAGED;
    eh_entry e;
    eh_fde fde;
    if (read_entry(eh, at, &e) != 1)
        return DW_ERR_DAMAGED;
    dw_status st = parse_fde(eh, &e, &fde);
    if (st != DW_OK)
        return st;
    if (rva < fde.pc_begin || rva >= fde.pc_end)
        return DW_ERR_NOT_FOUND; /* in a gap between functions */
    return row_for_fde(eh, &fde, rva, row);
}

/* ---- opening --------------------------------------------------------------- */

static int index_less(const void *a, const void *b)
{
    const dw_eh_index_entry *x = a, *y = b;
    return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/* Walk .eh_frame entry by entry; with `out`, record each FDE that covers
 * code.  Returns the FDE count; stops at the terminator, the end, the first
 * entry whose length is unreadable, or the cap.  An FDE whose CIE is bad
 * costs only that FDE. */
static size_t walk_section(const dw_ehframe *eh, dw_eh_index_entry *out, size_t cap)
{
    size_t n = 0;
    uint64_t at = eh->eh_frame;
    while (at < eh->eh_frame_end && n < cap) { /* each entry moves `at` forward */
        eh_entry e;
        if (read_entry(eh, at, &e) != 1)
            break;
        eh_fde fde;
        if (e.id != 0 && parse_fde(eh, &e, &fde) == DW_OK && fde.pc_end > fde.pc_begin) {
            if (out) {
                out[n].pc = fde.pc_begin;
                out[n].fde = at;
            }
            n++;
        }
        at = e.end;
    }
    return n;
}

static dw_status build_index(dw_ehframe *eh, dw_arena *arena)
{
    size_t n = walk_section(eh, NULL, MAX_INDEX_ENTRIES);
    if (n == 0)
        return DW_ERR_NOT_FOUND;
    dw_eh_index_entry *index = dw_arena_calloc(arena, n, sizeof *index);
    if (!index)
        return DW_ERR_NOMEM;
    n = walk_section(eh, index, n);
    qsort(index, n, sizeof *index, index_less);
    eh->index = index;
    eh->index_count = n;
    return DW_OK;
}

dw_status dw_ehframe_open_section(dw_ehframe *eh, dw_image_read_fn read, void *ctx,
                                  unsigned addr_size, uint64_t link_base, uint64_t rva,
                                  uint64_t size, dw_arena *arena)
{
    if (!eh || !read || !arena || (addr_size != 4 && addr_size != 8))
        return DW_ERR_INVALID_ARG;
    memset(eh, 0, sizeof *eh);
    eh->read = read;
    eh->ctx = ctx;
    eh->addr_size = addr_size;
    eh->link_base = link_base;
    eh->eh_frame = rva;
    eh->eh_frame_end =
        size > MAX_EH_FRAME_SIZE || rva + size < rva ? rva + MAX_EH_FRAME_SIZE : rva + size;
    if (eh->eh_frame_end < rva)
        return DW_ERR_DAMAGED;
    eh->hdr = UINT64_MAX;
    return build_index(eh, arena);
}

/* Bytes of one table entry for a fixed-size encoding; 0 for the others. */
static unsigned table_entry_size(uint8_t enc)
{
    switch (enc & 0x0f) {
    case PE_UDATA2:
    case PE_SDATA2:
        return 4;
    case PE_UDATA4:
    case PE_SDATA4:
        return 8;
    case PE_UDATA8:
    case PE_SDATA8:
        return 16;
    }
    return 0;
}

/* .eh_frame_hdr (LSB): version 1, eh_frame_ptr_enc, fde_count_enc,
 * table_enc, eh_frame_ptr, fde_count, then the sorted table.  Without a
 * usable table, .eh_frame is walked into an index instead. */
static dw_status open_hdr(dw_ehframe *eh, uint64_t hdr, uint64_t hdr_size, dw_arena *arena)
{
    eh_stream s;
    stream_init(&s, eh, hdr, hdr + hdr_size);
    uint8_t version = get_u8(&s), ptr_enc = get_u8(&s), count_enc = get_u8(&s);
    uint8_t table_enc = get_u8(&s);
    if (s.failed || version != 1)
        return DW_ERR_DAMAGED;
    eh->hdr = hdr;
    if (ptr_enc == PE_OMIT || !get_encoded_pointer(&s, ptr_enc, hdr, &eh->eh_frame))
        return DW_ERR_DAMAGED;
    eh->eh_frame_end = eh->eh_frame + MAX_EH_FRAME_SIZE;
    if (eh->eh_frame_end < eh->eh_frame)
        return DW_ERR_DAMAGED;
    uint64_t count = 0, bytes;
    unsigned size = table_entry_size(table_enc);
    if (count_enc != PE_OMIT && table_enc != PE_OMIT && size)
        count = get_encoded_value(&s, count_enc);
    if (!s.failed && count && dw_mul_ok(count, size, &bytes) &&
        dw_range_ok(s.pos - hdr, bytes, hdr_size)) {
        eh->table = s.pos;
        eh->table_enc = table_enc;
        eh->fde_count = count;
        eh->entry_size = size;
        return DW_OK;
    }
    return build_index(eh, arena);
}

typedef struct elf_phdr {
    uint32_t type;
    uint64_t offset, vaddr, memsz;
} elf_phdr;

static int read_phdr(const dw_ehframe *eh, uint64_t at, unsigned entsize, elf_phdr *ph)
{
    uint8_t b[56];
    if (eh->read(eh->ctx, at, b, entsize) != entsize)
        return 0;
    dw_reader r = dw_reader_make(b, entsize);
    ph->type = dw_read_u32(&r);
    if (eh->addr_size == 8) {
        dw_read_u32(&r); /* p_flags */
        ph->offset = dw_read_u64(&r);
        ph->vaddr = dw_read_u64(&r);
        dw_reader_seek(&r, 40);
        ph->memsz = dw_read_u64(&r);
    } else {
        ph->offset = dw_read_u32(&r);
        ph->vaddr = dw_read_u32(&r);
        dw_reader_seek(&r, 20);
        ph->memsz = dw_read_u32(&r);
    }
    return !r.failed;
}

dw_status dw_ehframe_open_elf(dw_ehframe *eh, dw_image_read_fn read, void *ctx, dw_arena *arena)
{
    if (!eh || !read || !arena)
        return DW_ERR_INVALID_ARG;
    memset(eh, 0, sizeof *eh);
    eh->read = read;
    eh->ctx = ctx;
    uint8_t b[64];
    size_t got = read(ctx, 0, b, sizeof b);
    dw_reader r = dw_reader_make(b, got);
    /* e_ident: "\x7fELF", EI_CLASS 1/2, EI_DATA 1 (little-endian). */
    if (got < 52 ||
        memcmp(b,
               "\x7f"
               "ELF",
               4) != 0 ||
        (b[4] != 1 && b[4] != 2) || b[5] != 1)
        return DW_ERR_FORMAT;
    eh->addr_size = b[4] == 2 ? 8 : 4;
    int is64 = eh->addr_size == 8;
    uint64_t phoff = 0;
    dw_reader_seek(&r, is64 ? 32 : 28);
    phoff = is64 ? dw_read_u64(&r) : dw_read_u32(&r);
    dw_reader_seek(&r, is64 ? 54 : 42);
    unsigned entsize = dw_read_u16(&r), phnum = dw_read_u16(&r);
    if (r.failed || entsize != (is64 ? 56u : 32u) || phnum == 0 || phnum > MAX_PHDRS)
        return DW_ERR_DAMAGED;
    /* Program headers sit in the first PT_LOAD (file offset 0 at RVA 0). */
    elf_phdr ph, hdr = {0, 0, 0, 0};
    int have_load = 0;
    for (unsigned i = 0; i < phnum; i++) {
        if (!read_phdr(eh, phoff + (uint64_t)i * entsize, entsize, &ph))
            return DW_ERR_DAMAGED;
        if (ph.type == PT_LOAD && !have_load) {
            eh->link_base = ph.vaddr - ph.offset; /* the address file offset 0 links at */
            have_load = 1;
        } else if (ph.type == PT_GNU_EH_FRAME) {
            hdr = ph;
        }
    }
    if (!have_load || hdr.type != PT_GNU_EH_FRAME)
        return DW_ERR_NOT_FOUND;
    if (hdr.memsz < 4 || hdr.memsz > MAX_EH_FRAME_SIZE)
        return DW_ERR_DAMAGED;
    return open_hdr(eh, (hdr.vaddr - eh->link_base) & addr_mask(eh), hdr.memsz, arena);
}

/* ---- evaluating a row ------------------------------------------------------ */

typedef struct expr_eval {
    const dw_eh_regs *regs;
    dw_eh_mem_fn mem;
    void *mem_ctx;
    unsigned addr_size;
    uint64_t stack[MAX_EXPR_STACK];
    unsigned depth;
} expr_eval;

static int push(expr_eval *x, uint64_t v)
{
    if (x->depth == MAX_EXPR_STACK)
        return 0;
    x->stack[x->depth++] = v;
    return 1;
}

static int pop(expr_eval *x, uint64_t *v)
{
    if (x->depth == 0)
        return 0;
    *v = x->stack[--x->depth];
    return 1;
}

static int deref(expr_eval *x, unsigned size)
{
    uint64_t addr, v;
    if (size == 0 || size > 8 || !pop(x, &addr) || !x->mem(x->mem_ctx, addr, size, &v))
        return 0;
    if (size < 8)
        v &= ((uint64_t)1 << (8 * size)) - 1;
    return push(x, v);
}

static int breg(expr_eval *x, uint64_t reg, int64_t offset)
{
    if (reg >= DW_EH_COLUMNS || !(x->regs->valid & (1u << reg)))
        return 0;
    return push(x, x->regs->value[reg] + (uint64_t)offset);
}

/* Binary operators; -1 when op is not one. */
static int binary(expr_eval *x, uint8_t op)
{
    uint64_t b, a, r;
    switch (op) {
    case OP_AND:
    case OP_DIV:
    case OP_MINUS:
    case OP_MOD:
    case OP_MUL:
    case OP_OR:
    case OP_PLUS:
    case OP_SHL:
    case OP_SHR:
    case OP_SHRA:
    case OP_XOR:
    case OP_EQ:
    case OP_GE:
    case OP_GT:
    case OP_LE:
    case OP_LT:
    case OP_NE:
        break;
    default:
        return -1;
    }
    if (!pop(x, &b) || !pop(x, &a))
        return 0;
    int64_t sa = (int64_t)a, sb = (int64_t)b;
    switch (op) {
    case OP_AND:
        r = a & b;
        break;
    case OP_DIV:
        if (sb == 0 || (sb == -1 && sa == INT64_MIN))
            return 0;
        r = (uint64_t)(sa / sb);
        break;
    case OP_MINUS:
        r = a - b;
        break;
    case OP_MOD:
        if (b == 0)
            return 0;
        r = a % b;
        break;
    case OP_MUL:
        r = a * b;
        break;
    case OP_OR:
        r = a | b;
        break;
    case OP_PLUS:
        r = a + b;
        break;
    case OP_SHL:
        r = b >= 64 ? 0 : a << b;
        break;
    case OP_SHR:
        r = b >= 64 ? 0 : a >> b;
        break;
    case OP_SHRA:
        /* Sign-extending shift done on the unsigned value: >> of a negative
         * signed value is implementation-defined in C. */
        if (b >= 64)
            r = sa < 0 ? UINT64_MAX : 0;
        else
            r = sa < 0 ? ~(~a >> b) : a >> b;
        break;
    case OP_XOR:
        r = a ^ b;
        break;
    /* Comparisons are signed (DWARF 5 2.5.1.5). */
    case OP_EQ:
        r = sa == sb;
        break;
    case OP_GE:
        r = sa >= sb;
        break;
    case OP_GT:
        r = sa > sb;
        break;
    case OP_LE:
        r = sa <= sb;
        break;
    case OP_LT:
        r = sa < sb;
        break;
    default:
        r = sa != sb;
        break;
    }
    return push(x, r);
}

/* Stack manipulation and unary operators; -1 when op is neither. */
static int stack_op(expr_eval *x, eh_stream *s, uint8_t op)
{
    uint64_t a, b, c;
    switch (op) {
    case OP_DUP:
        return x->depth && push(x, x->stack[x->depth - 1]);
    case OP_DROP:
        return pop(x, &a);
    case OP_OVER:
        return x->depth >= 2 && push(x, x->stack[x->depth - 2]);
    case OP_PICK: {
        uint8_t i = get_u8(s);
        return i < x->depth && push(x, x->stack[x->depth - 1 - i]);
    }
    case OP_SWAP:
        if (!pop(x, &a) || !pop(x, &b))
            return 0;
        return push(x, a) && push(x, b);
    case OP_ROT: /* top three: a b c (c on top) become c a b */
        if (!pop(x, &c) || !pop(x, &b) || !pop(x, &a))
            return 0;
        return push(x, c) && push(x, a) && push(x, b);
    case OP_ABS:
        return pop(x, &a) && push(x, (int64_t)a < 0 ? (uint64_t)0 - a : a);
    case OP_NEG:
        return pop(x, &a) && push(x, (uint64_t)0 - a);
    case OP_NOT:
        return pop(x, &a) && push(x, ~a);
    case OP_PLUS_UCONST:
        return pop(x, &a) && push(x, a + get_uleb(s));
    }
    return -1;
}

/* Constants and register-relative values; -1 when op is neither. */
static int value_op(expr_eval *x, eh_stream *s, uint8_t op)
{
    if (op >= OP_LIT0 && op <= OP_LIT31)
        return push(x, (uint64_t)(op - OP_LIT0));
    if (op >= OP_BREG0 && op <= OP_BREG31)
        return breg(x, op - OP_BREG0, get_sleb(s));
    switch (op) {
    case OP_CONST1U:
        return push(x, get_le(s, 1));
    case OP_CONST1S:
        return push(x, (uint64_t)sign_extend(get_le(s, 1), 8));
    case OP_CONST2U:
        return push(x, get_le(s, 2));
    case OP_CONST2S:
        return push(x, (uint64_t)sign_extend(get_le(s, 2), 16));
    case OP_CONST4U:
        return push(x, get_le(s, 4));
    case OP_CONST4S:
        return push(x, (uint64_t)sign_extend(get_le(s, 4), 32));
    case OP_CONST8U:
    case OP_CONST8S:
        return push(x, get_le(s, 8));
    case OP_CONSTU:
        return push(x, get_uleb(s));
    case OP_CONSTS:
        return push(x, (uint64_t)get_sleb(s));
    case OP_BREGX: {
        uint64_t reg = get_uleb(s);
        return breg(x, reg, get_sleb(s));
    }
    case OP_DEREF:
        return deref(x, x->addr_size);
    case OP_DEREF_SIZE:
        return deref(x, get_u8(s));
    }
    return -1;
}

/* DW_OP_skip / DW_OP_bra: a signed 2-byte offset from after the operand,
 * which must stay inside the expression. */
static int branch(expr_eval *x, eh_stream *s, uint8_t op, uint64_t start)
{
    int64_t off = sign_extend(get_le(s, 2), 16);
    uint64_t cond = 1;
    if (op == OP_BRA && !pop(x, &cond))
        return 0;
    if (!cond)
        return 1;
    uint64_t to = s->pos + (uint64_t)off;
    if (to < start || to > s->end)
        return 0;
    s->pos = to;
    return 1;
}

/* Evaluate the expression at [at, at + len); with has_initial, the value
 * is pushed first (DW_CFA_expression / val_expression push the CFA). */
static int eval_expr(const dw_ehframe *eh, uint64_t at, uint32_t len, expr_eval *x, int has_initial,
                     uint64_t initial, uint64_t *out)
{
    eh_stream s;
    stream_init(&s, eh, at, at + len);
    x->depth = 0;
    if (has_initial)
        push(x, initial);
    for (unsigned steps = 0; s.pos < s.end; steps++) {
        if (steps == MAX_EXPR_STEPS)
            return 0;
        uint8_t op = get_u8(&s);
        int done;
        if (op == OP_NOP)
            done = 1;
        else if (op == OP_SKIP || op == OP_BRA)
            done = branch(x, &s, op, at);
        else if ((done = value_op(x, &s, op)) < 0 && (done = stack_op(x, &s, op)) < 0)
            done = binary(x, op); /* -1: an operation CFI has no use for (DW_OP_reg*, ...) */
        if (done <= 0 || s.failed)
            return 0;
    }
    uint64_t v;
    if (!pop(x, &v))
        return 0;
    *out = v & addr_mask(eh);
    return 1;
}

static int compute_cfa(const dw_ehframe *eh, const dw_eh_row *row, expr_eval *x, uint64_t *cfa)
{
    if (row->cfa_is_expr)
        return eval_expr(eh, row->cfa_expr, row->cfa_expr_len, x, 0, 0, cfa);
    if (row->cfa_reg >= DW_EH_COLUMNS || !(x->regs->valid & (1u << row->cfa_reg)))
        return 0;
    *cfa = (x->regs->value[row->cfa_reg] + (uint64_t)row->cfa_offset) & addr_mask(eh);
    return 1;
}

/* One column of the caller; 0 when its value cannot be had. */
static int compute_column(const dw_ehframe *eh, const dw_eh_rule *r, uint64_t cfa, unsigned c,
                          expr_eval *x, uint64_t *v)
{
    uint64_t addr;
    switch (r->kind) {
    case DW_EH_SAME_VALUE:
        *v = x->regs->value[c];
        return (x->regs->valid >> c) & 1;
    case DW_EH_OFFSET:
        return x->mem(x->mem_ctx, (cfa + (uint64_t)r->offset) & addr_mask(eh), eh->addr_size, v);
    case DW_EH_VAL_OFFSET:
        *v = (cfa + (uint64_t)r->offset) & addr_mask(eh);
        return 1;
    case DW_EH_REGISTER:
        if (r->reg >= DW_EH_COLUMNS || !((x->regs->valid >> r->reg) & 1))
            return 0;
        *v = x->regs->value[r->reg];
        return 1;
    case DW_EH_EXPRESSION:
        return eval_expr(eh, r->expr, r->expr_len, x, 1, cfa, &addr) &&
               x->mem(x->mem_ctx, addr, eh->addr_size, v);
    case DW_EH_VAL_EXPRESSION:
        return eval_expr(eh, r->expr, r->expr_len, x, 1, cfa, v);
    }
    return 0;
}

dw_status dw_ehframe_unwind(const dw_ehframe *eh, const dw_eh_row *row, const dw_eh_regs *callee,
                            dw_eh_mem_fn mem, void *mem_ctx, dw_eh_regs *caller)
{
    if (!eh || !row || !callee || !mem || !caller)
        return DW_ERR_INVALID_ARG;
    expr_eval x;
    memset(&x, 0, sizeof x);
    x.regs = callee;
    x.mem = mem;
    x.mem_ctx = mem_ctx;
    x.addr_size = eh->addr_size;
    memset(caller, 0, sizeof *caller);
    if (!compute_cfa(eh, row, &x, &caller->cfa))
        return DW_ERR_NOT_FOUND;
    for (unsigned c = 0; c < DW_EH_COLUMNS; c++) {
        const dw_eh_rule *r = &row->col[c];
        uint64_t v;
        if (r->kind == DW_EH_UNDEFINED)
            caller->undefined |= 1u << c;
        else if (r->kind != DW_EH_UNSPECIFIED && compute_column(eh, r, caller->cfa, c, &x, &v)) {
            caller->value[c] = v & addr_mask(eh);
            caller->valid |= 1u << c;
        }
    }
    return DW_OK;
}
