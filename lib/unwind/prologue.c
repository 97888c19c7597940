/* Frame rules from code: prologue simulation, epilogue recognition and a
 * function-start back-scan (x86 and x64).  See prologue.h for the vocabulary. */
#include "unwind/prologue.h"

#include <string.h>

#include "dumpwalk/threads.h"

/* Bound on simulated instructions: real prologues are a few dozen at most. */
#define PROLOGUE_MAX_INSNS 256
#define EPILOGUE_MAX_INSNS 24
/* Bound on how far back the function-start scan looks. */
#define BACKSCAN_MAX_BYTES (64 * 1024)

/* Callee-saved registers.  x64: the Windows x64 ABI's non-volatile set (rbx,
 * rbp, rdi, rsi, r12-r15; a superset of SysV's).  x86: ebx, ebp, esi, edi. */
static int is_nonvolatile(int bits, int reg)
{
    if (bits == 32)
        return reg == DW_X86_EBX || reg == DW_X86_EBP || reg == DW_X86_ESI || reg == DW_X86_EDI;
    return reg == DW_AMD64_RBX || reg == DW_AMD64_RBP || reg == DW_AMD64_RSI ||
           reg == DW_AMD64_RDI || (reg >= DW_AMD64_R12 && reg <= DW_AMD64_R15);
}

/* A full-width general-purpose register operand, or -1. */
static int full_gpr(const cs_x86_op *op, int ptr)
{
    if (op->type != X86_OP_REG)
        return -1;
    int width;
    int reg = dw_disasm_gpr(op->reg, &width);
    return width == ptr ? reg : -1;
}

static int op_is_reg(const cs_x86_op *op, int ptr, int reg)
{
    return full_gpr(op, ptr) == reg;
}

static void add_saved(dw_frame_rule *rule, int reg, int64_t cfa_offset)
{
    for (unsigned i = 0; i < rule->saved_count; i++)
        if (rule->saved[i].reg == reg)
            return; /* the first save is the prologue's; later stores are locals */
    if (rule->saved_count >= DW_FRAME_MAX_SAVED)
        return;
    rule->saved[rule->saved_count].reg = (uint8_t)reg;
    rule->saved[rule->saved_count].cfa_offset = (int32_t)cfa_offset;
    rule->saved_count++;
}

/* ---- prologue simulation ---- */

typedef struct prologue_sim {
    int bits, ptr;
    int64_t depth;   /* CFA - SP */
    int depth_known; /* false after `and rsp,-N` (realignment) */
    int fp_set;
    int64_t fp_cfa; /* CFA = FP + fp_cfa */
    int alias_reg;  /* a register holding a copy of SP (mov rax,rsp), or -1 */
    int64_t alias_depth;
    int have_eax; /* mov eax,N seen: __chkstk size pending */
    int64_t eax;
    int chkstk_done; /* x86 __chkstk already moved esp by eax */
    int hotpatch_or_endbr;
    dw_frame_rule *rule;
} prologue_sim;

/* Offset from the CFA of a plain [base + disp] memory operand whose base we
 * can relate to the CFA; 0 when it cannot be resolved. */
static int mem_cfa_offset(const prologue_sim *s, const x86_op_mem *m, int64_t *out)
{
    if (m->index != X86_REG_INVALID || m->segment != X86_REG_INVALID)
        return 0;
    int width;
    int base = dw_disasm_gpr(m->base, &width);
    if (width != s->ptr)
        return 0;
    if (base == DW_AMD64_RSP && s->depth_known)
        *out = -s->depth + m->disp;
    else if (base >= 0 && base == s->alias_reg)
        *out = -s->alias_depth + m->disp;
    else if (base == DW_AMD64_RBP && s->fp_set)
        *out = -s->fp_cfa + m->disp;
    else
        return 0;
    return 1;
}

static int step_push(prologue_sim *s, const cs_x86 *x)
{
    const cs_x86_op *op = &x->operands[0];
    if (op->type == X86_OP_REG) {
        int reg = full_gpr(op, s->ptr);
        if (reg < 0)
            return 0;
        s->depth += s->ptr;
        if (s->depth_known && is_nonvolatile(s->bits, reg))
            add_saved(s->rule, reg, -s->depth);
        return 1;
    }
    /* push imm / push mem: x86 SEH frames push the scope table and handler. */
    s->depth += s->ptr;
    return 1;
}

/* sub rsp,N / add rsp,-N / sub rsp,rax after __chkstk. */
static int step_adjust(prologue_sim *s, unsigned id, const cs_x86 *x)
{
    if (x->op_count != 2 || !op_is_reg(&x->operands[0], s->ptr, DW_AMD64_RSP))
        return 0;
    const cs_x86_op *src = &x->operands[1];
    if (src->type == X86_OP_IMM) {
        int64_t n = id == X86_INS_SUB ? src->imm : -src->imm;
        if (n <= 0 || n > INT32_MAX)
            return 0; /* releasing stack belongs to an epilogue */
        s->depth += n;
        return 1;
    }
    if (id == X86_INS_SUB && op_is_reg(src, s->ptr, DW_AMD64_RAX) && s->have_eax) {
        if (!s->chkstk_done)
            s->depth += s->eax;
        s->have_eax = 0;
        return 1;
    }
    return 0;
}

static int is_fs_mem(const cs_x86_op *op)
{
    return op->type == X86_OP_MEM && op->mem.segment == X86_REG_FS;
}

static int step_mov_to_reg(prologue_sim *s, const cs_x86 *x)
{
    const cs_x86_op *dst = &x->operands[0], *src = &x->operands[1];
    int width;
    int reg = dw_disasm_gpr(dst->reg, &width);
    if (reg < 0)
        return 0;
    if (src->type == X86_OP_REG) {
        int from = dw_disasm_gpr(src->reg, NULL);
        if (s->bits == 32 && reg == DW_X86_EDI && from == DW_X86_EDI && width == 4)
            return 1; /* mov edi,edi: the hot-patch point */
        if (from != DW_AMD64_RSP || width != s->ptr || !s->depth_known || reg == DW_AMD64_RSP)
            return 0;
        if (reg == DW_AMD64_RBP) {
            s->fp_set = 1;
            s->fp_cfa = s->depth;
        } else {
            s->alias_reg = reg;
            s->alias_depth = s->depth;
        }
        return 1;
    }
    if (reg == DW_AMD64_RSP || reg == DW_AMD64_RBP)
        return 0;
    if (src->type == X86_OP_IMM && reg == DW_AMD64_RAX && width >= 4) {
        s->have_eax = 1; /* the size argument of __chkstk */
        s->eax = src->imm & 0xffffffff;
        return 1;
    }
    if (s->bits == 32 && is_fs_mem(src)) {
        if (reg == s->alias_reg)
            s->alias_reg = -1;
        return 1; /* mov eax, fs:[0]: SEH registration */
    }
    return 0;
}

static int step_mov_to_mem(prologue_sim *s, const cs_x86 *x)
{
    const cs_x86_op *dst = &x->operands[0], *src = &x->operands[1];
    if (s->bits == 32 && is_fs_mem(dst))
        return src->type == X86_OP_REG; /* mov fs:[0], esp */
    if (src->type != X86_OP_REG)
        return 0;
    int64_t at;
    if (!mem_cfa_offset(s, &dst->mem, &at))
        return 0;
    int width;
    int reg = dw_disasm_gpr(src->reg, &width);
    if (reg < 0)
        return 0;
    /* Home-space / frame saves: a non-volatile one is a register save; the
     * argument registers stored to the home area are not. */
    if (width == s->ptr && is_nonvolatile(s->bits, reg))
        add_saved(s->rule, reg, at);
    return 1;
}

static int step_mov(prologue_sim *s, const cs_x86 *x)
{
    if (x->op_count != 2)
        return 0;
    if (x->operands[0].type == X86_OP_REG)
        return step_mov_to_reg(s, x);
    if (x->operands[0].type == X86_OP_MEM)
        return step_mov_to_mem(s, x);
    return 0;
}

static int step_lea(prologue_sim *s, const cs_x86 *x)
{
    if (x->op_count != 2 || x->operands[1].type != X86_OP_MEM)
        return 0;
    const x86_op_mem *m = &x->operands[1].mem;
    int dst = full_gpr(&x->operands[0], s->ptr);
    int width;
    int base = dw_disasm_gpr(m->base, &width);
    if (dst < 0 || m->index != X86_REG_INVALID || width != s->ptr)
        return 0;
    if (dst == base && m->disp == 0 && dst != DW_AMD64_RSP)
        return 1; /* lea esi,[esi]: a padding nop */
    if (dst == DW_AMD64_RBP) {
        if (base == DW_AMD64_RSP && s->depth_known)
            s->fp_cfa = s->depth - m->disp;
        else if (base >= 0 && base == s->alias_reg)
            s->fp_cfa = s->alias_depth - m->disp;
        else
            return 0;
        s->fp_set = 1;
        return 1;
    }
    if (dst == DW_AMD64_RSP && base == DW_AMD64_RSP && s->depth_known && m->disp <= 0) {
        s->depth -= m->disp;
        return 1;
    }
    return 0;
}

/* mov eax,N; call __chkstk.  The x86 helper moves esp itself; the x64 one
 * only probes and the caller follows with sub rsp,rax. */
static int step_call(prologue_sim *s)
{
    if (!s->have_eax)
        return 0;
    if (s->bits == 32) {
        s->depth += s->eax;
        s->chkstk_done = 1;
    }
    return 1;
}

static int step_and(prologue_sim *s, const cs_x86 *x)
{
    if (x->op_count != 2 || !op_is_reg(&x->operands[0], s->ptr, DW_AMD64_RSP) ||
        x->operands[1].type != X86_OP_IMM || x->operands[1].imm >= 0 || !s->fp_set)
        return 0;
    s->depth_known = 0; /* realigned: only the frame pointer still relates to the CFA */
    return 1;
}

static int step_vector_save(prologue_sim *s, const cs_x86 *x)
{
    int64_t at;
    return x->op_count == 2 && x->operands[0].type == X86_OP_MEM &&
           x->operands[1].type == X86_OP_REG && mem_cfa_offset(s, &x->operands[0].mem, &at);
}

static int prologue_step(prologue_sim *s, const cs_insn *in)
{
    const cs_x86 *x = &in->detail->x86;
    switch (in->id) {
    case X86_INS_ENDBR64:
    case X86_INS_ENDBR32:
        s->hotpatch_or_endbr = 1;
        return 1;
    case X86_INS_NOP:
        return 1;
    case X86_INS_PUSH:
        return x->op_count == 1 && step_push(s, x);
    case X86_INS_SUB:
    case X86_INS_ADD:
        return step_adjust(s, in->id, x);
    case X86_INS_MOV:
        return step_mov(s, x);
    case X86_INS_LEA:
        return step_lea(s, x);
    case X86_INS_CALL:
        return step_call(s);
    case X86_INS_AND:
        return step_and(s, x);
    case X86_INS_MOVAPS:
    case X86_INS_MOVUPS:
    case X86_INS_MOVDQA:
    case X86_INS_MOVDQU:
    case X86_INS_VMOVAPS:
    case X86_INS_VMOVUPS:
    case X86_INS_VMOVDQA:
    case X86_INS_VMOVDQU:
        return step_vector_save(s, x);
    default:
        return 0;
    }
}

static void finish_rule(const prologue_sim *s, dw_frame_rule *rule)
{
    rule->ra_offset = -s->ptr;
    rule->frame_pointer = s->fp_set;
    if (s->fp_set) {
        rule->base = DW_CFA_FP;
        rule->cfa_offset = s->fp_cfa;
    } else if (s->depth_known) {
        rule->base = DW_CFA_SP;
        rule->cfa_offset = s->depth;
    } else {
        rule->base = DW_CFA_NONE;
    }
}

dw_status dw_prologue_analyze(dw_disasm *d, const uint8_t *code, size_t size, uint64_t start,
                              uint64_t ip, dw_frame_rule *out)
{
    memset(out, 0, sizeof *out);
    if (!d->open || ip < start || (!code && size))
        return DW_ERR_INVALID_ARG;
    prologue_sim s = {0};
    s.bits = d->bits;
    s.ptr = d->bits / 8;
    s.depth = s.ptr; /* the return address the call pushed */
    s.depth_known = 1;
    s.alias_reg = -1;
    s.rule = out;
    uint64_t pc = start;
    out->stop_reason = "reached ip";
    while (pc < ip) {
        size_t off = (size_t)(pc - start);
        if (out->insn_count >= PROLOGUE_MAX_INSNS) {
            out->stop_reason = "instruction limit";
            break;
        }
        if (off >= size) {
            out->stop_reason = "code before ip not captured";
            break;
        }
        size_t n = dw_disasm_one(d, code + off, size - off, pc);
        if (n == 0) {
            out->stop_reason = "undecodable bytes";
            break;
        }
        if (pc + n > ip) {
            out->stop_reason = "ip is inside an instruction";
            break;
        }
        if (!prologue_step(&s, d->insn)) {
            out->stop_reason = "not a prologue instruction";
            break;
        }
        pc += n;
        out->insn_count++;
    }
    out->analyzed_to = pc;
    out->reached_ip = pc == ip;
    finish_rule(&s, out);
    return DW_OK;
}

/* ---- epilogue recognition ---- */

typedef struct epilogue_sim {
    int ptr;
    dw_cfa_base base; /* what the stack pointer is currently expressed from */
    int64_t off;      /* SP = base + off */
    int fp_popped;    /* FP no longer holds the value it had at the IP */
    int adjusted;     /* an add/lea/mov/leave was seen: a tail jmp may end it */
    int64_t pop_at[DW_FRAME_MAX_SAVED];
    int pop_reg[DW_FRAME_MAX_SAVED];
    unsigned pops;
} epilogue_sim;

/* Switch the stack pointer to FP + off.  Pops recorded against the old base
 * cannot be expressed from the CFA any more, so they are forgotten. */
static int epilogue_from_fp(epilogue_sim *e, int64_t off)
{
    if (e->fp_popped)
        return 0;
    if (e->base != DW_CFA_FP)
        e->pops = 0;
    e->base = DW_CFA_FP;
    e->off = off;
    e->adjusted = 1;
    return 1;
}

static int epilogue_pop(epilogue_sim *e, int reg)
{
    if (reg < 0 || reg == DW_AMD64_RSP)
        return 0;
    if (e->pops < DW_FRAME_MAX_SAVED) {
        e->pop_reg[e->pops] = reg;
        e->pop_at[e->pops] = e->off;
        e->pops++;
    }
    if (reg == DW_AMD64_RBP)
        e->fp_popped = 1;
    e->off += e->ptr;
    return 1;
}

/* One epilogue instruction: 1 to go on, 2 when it ended the epilogue, 0 when
 * it is not part of one. */
static int epilogue_step(epilogue_sim *e, const cs_insn *in, uint32_t *ret_pop)
{
    const cs_x86 *x = &in->detail->x86;
    const cs_x86_op *op0 = &x->operands[0];
    switch (in->id) {
    case X86_INS_ADD:
        if (x->op_count != 2 || !op_is_reg(op0, e->ptr, DW_AMD64_RSP) ||
            x->operands[1].type != X86_OP_IMM || x->operands[1].imm <= 0)
            return 0;
        e->off += x->operands[1].imm;
        e->adjusted = 1;
        return 1;
    case X86_INS_LEA: {
        if (x->op_count != 2 || !op_is_reg(op0, e->ptr, DW_AMD64_RSP) ||
            x->operands[1].mem.index != X86_REG_INVALID)
            return 0;
        int width;
        int base = dw_disasm_gpr(x->operands[1].mem.base, &width);
        if (width != e->ptr)
            return 0;
        if (base == DW_AMD64_RBP)
            return epilogue_from_fp(e, x->operands[1].mem.disp);
        if (base != DW_AMD64_RSP)
            return 0;
        e->off += x->operands[1].mem.disp;
        e->adjusted = 1;
        return 1;
    }
    case X86_INS_MOV:
        if (x->op_count != 2 || !op_is_reg(op0, e->ptr, DW_AMD64_RSP) ||
            !op_is_reg(&x->operands[1], e->ptr, DW_AMD64_RBP))
            return 0;
        return epilogue_from_fp(e, 0);
    case X86_INS_LEAVE:
        return epilogue_from_fp(e, 0) && epilogue_pop(e, DW_AMD64_RBP);
    case X86_INS_POP:
        return x->op_count == 1 && epilogue_pop(e, full_gpr(op0, e->ptr));
    case X86_INS_RET:
        *ret_pop = x->op_count == 1 && op0->type == X86_OP_IMM ? (uint32_t)op0->imm : 0;
        return 2;
    case X86_INS_JMP:
        /* A tail call ends an epilogue only after the frame was released. */
        return e->adjusted || e->pops ? 2 : 0;
    default:
        return 0;
    }
}

int dw_epilogue_analyze(dw_disasm *d, const uint8_t *code, size_t size, uint64_t ip,
                        dw_frame_rule *out)
{
    memset(out, 0, sizeof *out);
    if (!d->open || !code)
        return 0;
    epilogue_sim e = {0};
    e.ptr = d->bits / 8;
    e.base = DW_CFA_SP;
    size_t off = 0;
    uint32_t ret_pop = 0;
    for (unsigned i = 0; i < EPILOGUE_MAX_INSNS; i++) {
        size_t n = dw_disasm_one(d, code + off, size - off, ip + off);
        if (n == 0)
            return 0;
        int r = epilogue_step(&e, d->insn, &ret_pop);
        if (r == 0)
            return 0;
        off += n;
        if (r == 2) {
            out->insn_count = i + 1;
            out->analyzed_to = ip + off;
            out->reached_ip = 1;
            out->base = e.base;
            out->cfa_offset = e.off + e.ptr; /* ret pops the return address */
            out->ra_offset = -e.ptr;
            out->ret_pop = ret_pop;
            out->frame_pointer = e.base == DW_CFA_FP;
            out->stop_reason = "epilogue";
            for (unsigned p = 0; p < e.pops; p++)
                add_saved(out, e.pop_reg[p], e.pop_at[p] - out->cfa_offset);
            return 1;
        }
        if (off >= size)
            return 0;
    }
    return 0;
}

/* ---- function-start back-scan ---- */

/* What the bytes just before `off` say about a function boundary there, as a
 * confidence contribution and a reason. */
static int boundary_before(const uint8_t *code, size_t off, const char **reason)
{
    uint8_t b1 = off >= 1 ? code[off - 1] : 0;
    uint8_t b2 = off >= 2 ? code[off - 2] : 0;
    if (b1 == 0xCC) {
        /* int3 after int3 or after a ret is inter-function padding. */
        int padding = b2 == 0xCC || b2 == 0xC3;
        *reason = padding ? "after int3 padding" : "after int3";
        return padding ? 45 : 30;
    }
    if (b1 == 0xC3) {
        *reason = "after ret";
        return 25;
    }
    if (off >= 3 && code[off - 3] == 0xC2) {
        *reason = "after ret N";
        return 15;
    }
    if (off >= 5 && code[off - 5] == 0xE9) {
        *reason = "after jmp";
        return 15;
    }
    if (b1 == 0x90) {
        *reason = b2 == 0x90 ? "after nop padding" : "after nop";
        return b2 == 0x90 ? 25 : 10;
    }
    *reason = "16-byte aligned";
    return 0;
}

/* What the back-scan remembers per byte of its window (reach_memo). */
enum {
    MEMO_LEN = 0x0f,     /* instruction length; 0 with MEMO_DECODED: invalid */
    MEMO_DECODED = 0x10, /* the instruction here has been decoded */
    MEMO_INT3 = 0x20,    /* ... and is an int3 */
    MEMO_REACH = 0x40,   /* decoding from here lands on ip */
    MEMO_NOREACH = 0x80, /* ... or does not */
};

/* Candidates share their decode paths: most meet after a few instructions,
 * so each byte of the window is decoded at most once and remembers whether
 * decoding from it reaches ip.  Without this a 4 KiB window cost one decode
 * per candidate per instruction up to ip (quadratic; a Linux dump with no
 * unwind data spent most of its walk here). */
typedef struct reach_memo {
    dw_disasm *d;
    const uint8_t *code;
    size_t size;
    uint64_t code_va;
    uint64_t lo; /* address of memo[0] */
    uint8_t *memo;
} reach_memo;

static uint8_t insn_facts(reach_memo *m, uint64_t pc)
{
    uint8_t *f = &m->memo[pc - m->lo];
    if (!(*f & MEMO_DECODED)) {
        size_t off = (size_t)(pc - m->code_va);
        size_t n = dw_disasm_one(m->d, m->code + off, m->size - off, pc);
        *f |= MEMO_DECODED | (uint8_t)(n & MEMO_LEN);
        if (n && m->d->insn->id == X86_INS_INT3)
            *f |= MEMO_INT3;
    }
    return *f;
}

/* Decoding from `from` lands exactly on `ip` without crossing int3 padding
 * (two int3s in a row before ip). */
static int decodes_to_ip(reach_memo *m, uint64_t from, uint64_t ip)
{
    uint64_t pc = from;
    int result = 0, prev_int3 = 0;
    while (pc < ip) { /* pc grows each step */
        uint8_t f = insn_facts(m, pc);
        if (prev_int3 && (f & MEMO_INT3))
            break; /* the pair fails every start before pc, not pc itself */
        if (f & (MEMO_REACH | MEMO_NOREACH)) {
            result = (f & MEMO_REACH) != 0;
            break;
        }
        if ((f & MEMO_LEN) == 0) {
            m->memo[pc - m->lo] |= MEMO_NOREACH;
            break;
        }
        prev_int3 = (f & MEMO_INT3) != 0;
        pc += f & MEMO_LEN;
    }
    if (pc == ip)
        result = 1;
    uint64_t stop = pc;
    for (pc = from; pc < stop && pc < ip; pc += m->memo[pc - m->lo] & MEMO_LEN)
        m->memo[pc - m->lo] |= result ? MEMO_REACH : MEMO_NOREACH;
    return result;
}

static int prologue_strength(const dw_disasm *d, const uint8_t *at, size_t avail,
                             const dw_frame_rule *rule)
{
    int hotpatch = d->bits == 32 && avail >= 2 && at[0] == 0x8B && at[1] == 0xFF;
    int endbr = avail >= 4 && at[0] == 0xF3 && at[1] == 0x0F && at[2] == 0x1E &&
                (at[3] == 0xFA || at[3] == 0xFB);
    if (hotpatch || endbr || rule->frame_pointer)
        return 35;
    return rule->insn_count >= 2 ? 30 : 15;
}

/* Keep `out` sorted by confidence (then nearest first) and at most max_out long. */
static size_t insert_candidate(dw_func_start *out, size_t count, size_t max_out,
                               const dw_func_start *c)
{
    size_t pos = count;
    while (pos > 0 &&
           (out[pos - 1].confidence < c->confidence ||
            (out[pos - 1].confidence == c->confidence && out[pos - 1].address < c->address)))
        pos--;
    if (pos >= max_out)
        return count;
    size_t keep = count < max_out ? count : max_out - 1;
    memmove(&out[pos + 1], &out[pos], (keep - pos) * sizeof *out);
    out[pos] = *c;
    return keep + 1;
}

/* Score one candidate start; 0 when it is not plausible. */
static int score_candidate(reach_memo *m, uint64_t a, uint64_t ip, dw_func_start *c)
{
    dw_disasm *d = m->d;
    const uint8_t *code = m->code;
    size_t size = m->size;
    uint64_t code_va = m->code_va;
    size_t off = (size_t)(a - code_va);
    const char *reason;
    int score = boundary_before(code, off, &reason);
    int aligned = (a & 15) == 0;
    if (score == 0 && !aligned)
        return 0;
    if (dw_disasm_one(d, code + off, size - off, a) == 0 || d->insn->id == X86_INS_NOP ||
        d->insn->id == X86_INS_INT3)
        return 0;
    dw_frame_rule rule;
    uint64_t limit = a < ip ? ip : code_va + size;
    dw_prologue_analyze(d, code + off, size - off, a, limit, &rule);
    if (rule.insn_count == 0 || !decodes_to_ip(m, a, ip))
        return 0;
    score += (aligned ? 15 : 0) + prologue_strength(d, code + off, size - off, &rule);
    c->address = a;
    c->confidence = score > 100 ? 100 : score;
    c->reason = reason;
    c->prologue_insns = rule.insn_count;
    return 1;
}

size_t dw_find_function_starts(dw_disasm *d, const uint8_t *code, size_t size, uint64_t code_va,
                               uint64_t ip, uint64_t lower_bound, dw_func_start *out,
                               size_t max_out)
{
    if (!d->open || !code || max_out == 0 || ip < code_va || ip - code_va > size)
        return 0;
    uint64_t lo = code_va > lower_bound ? code_va : lower_bound;
    if (lo > ip)
        return 0;
    if (ip - lo > BACKSCAN_MAX_BYTES)
        lo = ip - BACKSCAN_MAX_BYTES;
    /* Without memo space (out of memory) no start is offered: the walk
     * falls through to its other rules. */
    reach_memo m = {d, code, size, code_va, lo, dw_disasm_scratch(d, (size_t)(ip - lo) + 1)};
    if (!m.memo)
        return 0;
    size_t count = 0;
    for (uint64_t a = ip + 1; a-- > lo;) {
        dw_func_start c;
        if (score_candidate(&m, a, ip, &c))
            count = insert_candidate(out, count, max_out, &c);
        /* Every start further back would have to decode across this padding. */
        size_t off = (size_t)(a - code_va);
        if (off >= 2 && code[off - 1] == 0xCC && code[off - 2] == 0xCC)
            break;
    }
    return count;
}
