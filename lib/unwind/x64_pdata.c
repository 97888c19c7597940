/* x64 virtual unwind from .pdata/.xdata (rules and sources in x64_pdata.h). */
#include "unwind/x64_pdata.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/reader.h"

/* Chained UNWIND_INFO nesting ("multiple shrink-wrapping") is shallow in
 * practice; a cycle in damaged data stops here. */
#define MAX_CHAIN_DEPTH 32
/* Longest legal epilogue: add/lea, 16 pops, ret/jmp. */
#define EPILOG_MAX_INSNS 18
#define EPILOG_CODE_BYTES (EPILOG_MAX_INSNS * 15)

#define BIT(r) ((uint64_t)1 << (r))
/* Registers a caller can rely on after a call: the Windows x64 non-volatile
 * integer registers (RBX, RBP, RDI, RSI, R12-R15) and the segment registers.
 * RAX, RCX, RDX, R8-R11 and RFLAGS are volatile. */
static const uint64_t kept_across_call = BIT(DW_AMD64_RBX) | BIT(DW_AMD64_RBP) | BIT(DW_AMD64_RSI) |
                                         BIT(DW_AMD64_RDI) | BIT(DW_AMD64_R12) | BIT(DW_AMD64_R13) |
                                         BIT(DW_AMD64_R14) | BIT(DW_AMD64_R15) | BIT(DW_AMD64_CS) |
                                         BIT(DW_AMD64_DS) | BIT(DW_AMD64_ES) | BIT(DW_AMD64_FS) |
                                         BIT(DW_AMD64_GS) | BIT(DW_AMD64_SS);

/* Register names for messages, in UNWIND_CODE register-number order. */
static const char *const reg_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

/* capstone's 64-bit GPR ids in UNWIND_CODE register-number order. */
static const x86_reg cs_gpr[16] = {
    X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP, X86_REG_RBP,
    X86_REG_RSI, X86_REG_RDI, X86_REG_R8,  X86_REG_R9,  X86_REG_R10, X86_REG_R11,
    X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15,
};

static int gpr_from_cs(unsigned reg)
{
    for (int i = 0; i < 16; i++)
        if (cs_gpr[i] == reg)
            return i;
    return -1;
}

dw_status dw_x64_unwinder_init(dw_x64_unwinder *u)
{
    memset(u, 0, sizeof *u);
    return DW_OK;
}

/* Capstone is opened on the first epilogue check, not at init: only a
 * context frame (not a caller frame) can stand in an epilogue, and the
 * first cs_open of a process costs ~20 us of page faults in capstone's
 * tables, which a walk that never decodes should not pay. */
static int disasm_ready(dw_x64_unwinder *u)
{
    if (u->insn)
        return 1;
    if (u->cs_failed)
        return 0;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &u->cs) == CS_ERR_OK) {
        cs_option(u->cs, CS_OPT_DETAIL, CS_OPT_ON);
        u->insn = cs_malloc(u->cs);
        if (u->insn)
            return 1;
        cs_close(&u->cs);
    }
    u->cs = 0;
    u->cs_failed = 1;
    return 0;
}

void dw_x64_unwinder_fini(dw_x64_unwinder *u)
{
    if (u->insn)
        cs_free(u->insn, 1);
    if (u->cs)
        cs_close(&u->cs);
    u->insn = NULL;
}

/* ---- evaluation state ---- */

typedef struct unwind_state {
    dw_context regs; /* becomes the caller's registers */
    dw_x64_mem_read_fn mem;
    void *mem_ctx;
    dw_x64_unwind_result *res;
    uint64_t written; /* registers the unwind determined */
    int machframe;    /* RIP/RSP came from a machine frame */
} unwind_state;

static dw_status fail(unwind_state *st, dw_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static dw_status fail(unwind_state *st, dw_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->res->detail, sizeof st->res->detail, fmt, ap);
    va_end(ap);
    return status;
}

static dw_status get_reg(unwind_state *st, unsigned reg, uint64_t *out, const char *why)
{
    *out = 0;
    if (!(st->regs.valid & BIT(reg)))
        return fail(st, DW_ERR_TRUNCATED, "%s needs %s, which is not known", why,
                    reg < 16 ? reg_names[reg] : "a register");
    *out = st->regs.regs[reg];
    return DW_OK;
}

static void set_reg(unwind_state *st, unsigned reg, uint64_t value)
{
    st->regs.regs[reg] = value;
    st->regs.valid |= BIT(reg);
    st->written |= BIT(reg);
}

static dw_status read_stack(unwind_state *st, uint64_t va, uint64_t *out, const char *why)
{
    uint8_t b[8];
    *out = 0;
    if (st->mem(st->mem_ctx, va, b, sizeof b) < sizeof b)
        return fail(st, DW_ERR_TRUNCATED, "%s: stack memory at 0x%llx is not in the dump", why,
                    (unsigned long long)va);
    *out = dw_le64(b);
    return DW_OK;
}

/* RIP = [RSP], RSP += 8 + extra: a return. */
static dw_status pop_return(unwind_state *st, uint64_t extra)
{
    uint64_t rsp = st->regs.regs[DW_AMD64_RSP], rip;
    dw_status s = read_stack(st, rsp, &rip, "return address");
    if (s != DW_OK)
        return s;
    set_reg(st, DW_AMD64_RIP, rip);
    set_reg(st, DW_AMD64_RSP, rsp + 8 + extra);
    return DW_OK;
}

/* ---- epilogue detection and emulation ---- */

typedef enum epi_kind { EPI_ADD, EPI_LEA, EPI_POP, EPI_RET, EPI_JMP } epi_kind;

typedef struct epi_action {
    epi_kind kind;
    int reg;     /* POP: register popped; LEA: frame register */
    int64_t imm; /* ADD: immediate; LEA: displacement; RET: bytes released */
} epi_action;

/* The legal epilogue forms ("x64 prolog and epilog"): an optional first
 * `add rsp,imm` or `lea rsp,[fp+disp]`, 8-byte pops, then `ret` or a `jmp`
 * that is either direct to outside the function or through a ModRM memory
 * operand with mod 00. */
static int classify(const cs_insn *insn, int first, unsigned frame_reg, uint64_t fn_begin,
                    uint64_t fn_end, epi_action *a)
{
    const cs_x86 *x = &insn->detail->x86;
    const cs_x86_op *op = x->operands;
    switch (insn->id) {
    case X86_INS_ADD:
        if (!first || x->op_count != 2 || op[0].type != X86_OP_REG || op[0].reg != X86_REG_RSP ||
            op[1].type != X86_OP_IMM)
            return 0;
        *a = (epi_action){EPI_ADD, DW_AMD64_RSP, op[1].imm};
        return 1;
    case X86_INS_LEA:
        if (!first || frame_reg == 0 || x->op_count != 2 || op[0].type != X86_OP_REG ||
            op[0].reg != X86_REG_RSP || op[1].type != X86_OP_MEM ||
            op[1].mem.base != cs_gpr[frame_reg] || op[1].mem.index != X86_REG_INVALID)
            return 0;
        *a = (epi_action){EPI_LEA, (int)frame_reg, op[1].mem.disp};
        return 1;
    case X86_INS_POP: {
        int reg = x->op_count == 1 && op[0].type == X86_OP_REG ? gpr_from_cs(op[0].reg) : -1;
        if (reg < 0 || reg == DW_AMD64_RSP)
            return 0;
        *a = (epi_action){EPI_POP, reg, 0};
        return 1;
    }
    case X86_INS_RET:
        *a = (epi_action){EPI_RET, 0, x->op_count == 1 && op[0].type == X86_OP_IMM ? op[0].imm : 0};
        return 1;
    case X86_INS_JMP:
        if (x->op_count != 1)
            return 0;
        if (op[0].type == X86_OP_IMM &&
            ((uint64_t)op[0].imm < fn_begin || (uint64_t)op[0].imm >= fn_end)) {
            *a = (epi_action){EPI_JMP, 0, 0};
            return 1;
        }
        if (op[0].type == X86_OP_MEM && (x->modrm >> 6) == 0) {
            *a = (epi_action){EPI_JMP, 0, 0};
            return 1;
        }
        return 0;
    default:
        return 0;
    }
}

/* Decode from RIP; the number of actions up to and including the final
 * ret/jmp when the code is the tail of a legal epilogue, else 0. */
static size_t match_epilog(dw_x64_unwinder *u, const dw_x64_image *img,
                           const dw_runtime_function *rf, unsigned frame_reg, uint64_t rip,
                           epi_action *acts)
{
    uint8_t code[EPILOG_CODE_BYTES];
    if (!disasm_ready(u))
        return 0;
    size_t left = img->read(img->ctx, rip - img->base, code, sizeof code);
    const uint8_t *p = code;
    uint64_t addr = rip;
    size_t n = 0;
    while (n < EPILOG_MAX_INSNS && cs_disasm_iter(u->cs, &p, &left, &addr, u->insn)) {
        if (!classify(u->insn, n == 0, frame_reg, img->base + rf->begin, img->base + rf->end,
                      &acts[n]))
            return 0;
        if (acts[n].kind == EPI_RET || acts[n].kind == EPI_JMP)
            return n + 1;
        n++;
    }
    return 0;
}

static dw_status apply_epilog(unwind_state *st, const epi_action *acts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const epi_action *a = &acts[i];
        uint64_t rsp = st->regs.regs[DW_AMD64_RSP], v = 0;
        dw_status s = DW_OK;
        switch (a->kind) {
        case EPI_ADD:
            set_reg(st, DW_AMD64_RSP, rsp + (uint64_t)a->imm);
            break;
        case EPI_LEA:
            s = get_reg(st, (unsigned)a->reg, &v, "epilogue lea rsp");
            if (s == DW_OK)
                set_reg(st, DW_AMD64_RSP, v + (uint64_t)a->imm);
            break;
        case EPI_POP:
            s = read_stack(st, rsp, &v, "epilogue pop");
            if (s == DW_OK) {
                set_reg(st, (unsigned)a->reg, v);
                set_reg(st, DW_AMD64_RSP, rsp + 8);
            }
            break;
        case EPI_RET:
            s = pop_return(st, (uint64_t)a->imm);
            break;
        case EPI_JMP: /* a tail call: the stack is as at entry */
            s = pop_return(st, 0);
            break;
        }
        if (s != DW_OK)
            return s;
    }
    return DW_OK;
}

/* Version 2 unwind info lists its epilogues; is ip_rva inside one? */
static int in_listed_epilog(const dw_unwind_info *info, const dw_runtime_function *rf,
                            uint32_t ip_rva)
{
    for (size_t i = 0; i < info->epilog_count; i++) {
        uint32_t start = rf->end - info->epilog_offsets[i];
        if (info->epilog_offsets[i] <= rf->end - rf->begin && ip_rva >= start &&
            ip_rva - start < info->epilog_size)
            return 1;
    }
    return 0;
}

/* ---- unwind codes ---- */

static dw_status undo_op(unwind_state *st, const dw_unwind_info *info, const dw_unwind_op *op,
                         uint64_t frame_base)
{
    uint64_t rsp = st->regs.regs[DW_AMD64_RSP], v = 0;
    dw_status s = DW_OK;
    switch (op->op) {
    case DW_UWOP_PUSH_NONVOL:
        s = read_stack(st, rsp, &v, "PUSH_NONVOL");
        if (s == DW_OK) {
            set_reg(st, op->info, v);
            set_reg(st, DW_AMD64_RSP, rsp + 8);
        }
        return s;
    case DW_UWOP_ALLOC_LARGE:
    case DW_UWOP_ALLOC_SMALL:
        set_reg(st, DW_AMD64_RSP, rsp + op->value);
        return DW_OK;
    case DW_UWOP_SET_FPREG:
        /* RSP where the frame register was established: FP - 16 * offset. */
        s = get_reg(st, info->frame_register, &v, "SET_FPREG");
        if (s == DW_OK)
            set_reg(st, DW_AMD64_RSP, v - 16u * info->frame_offset);
        return s;
    case DW_UWOP_SAVE_NONVOL:
    case DW_UWOP_SAVE_NONVOL_FAR:
        s = read_stack(st, frame_base + op->value, &v, "SAVE_NONVOL");
        if (s == DW_OK)
            set_reg(st, op->info, v);
        return s;
    case DW_UWOP_PUSH_MACHFRAME: {
        /* Machine frame: [error code,] RIP, CS, EFLAGS, old RSP, SS. */
        uint64_t at = rsp + (op->info ? 8 : 0), rip, cs, flags, old_rsp, ss;
        if ((s = read_stack(st, at, &rip, "PUSH_MACHFRAME rip")) != DW_OK ||
            (s = read_stack(st, at + 8, &cs, "PUSH_MACHFRAME cs")) != DW_OK ||
            (s = read_stack(st, at + 16, &flags, "PUSH_MACHFRAME eflags")) != DW_OK ||
            (s = read_stack(st, at + 24, &old_rsp, "PUSH_MACHFRAME rsp")) != DW_OK ||
            (s = read_stack(st, at + 32, &ss, "PUSH_MACHFRAME ss")) != DW_OK)
            return s;
        set_reg(st, DW_AMD64_RIP, rip);
        set_reg(st, DW_AMD64_CS, cs & 0xffff);
        set_reg(st, DW_AMD64_RFLAGS, flags);
        set_reg(st, DW_AMD64_RSP, old_rsp);
        set_reg(st, DW_AMD64_SS, ss & 0xffff);
        st->machframe = 1;
        return DW_OK;
    }
    default:
        /* XMM saves (not tracked), v2 epilog markers, v1 legacy codes 6/7. */
        return DW_OK;
    }
}

/* Undo the codes of one UNWIND_INFO; in a prologue, only those whose
 * instruction ended at or before ip_offset. */
static dw_status undo_codes(unwind_state *st, const dw_unwind_info *info, int in_prolog,
                            unsigned ip_offset, uint64_t frame_base)
{
    for (size_t i = 0; i < info->op_count; i++) {
        if (in_prolog && info->ops[i].prolog_offset > ip_offset)
            continue;
        dw_status s = undo_op(st, info, &info->ops[i], frame_base);
        if (s != DW_OK)
            return s;
    }
    return DW_OK;
}

/* The base that SAVE_NONVOL offsets are measured from: RSP after the fixed
 * allocation, i.e. FP - 16 * FrameOffset once SET_FPREG has run, else RSP. */
static dw_status frame_base_of(unwind_state *st, const dw_unwind_info *info, int in_prolog,
                               unsigned ip_offset, uint64_t *base)
{
    *base = st->regs.regs[DW_AMD64_RSP];
    if (info->frame_register == 0)
        return DW_OK;
    for (size_t i = 0; in_prolog && i < info->op_count; i++)
        if (info->ops[i].op == DW_UWOP_SET_FPREG && info->ops[i].prolog_offset > ip_offset)
            return DW_OK; /* frame register not established yet */
    uint64_t fp = 0;
    dw_status s = get_reg(st, info->frame_register, &fp, "frame register");
    if (s == DW_OK)
        *base = fp - 16u * info->frame_offset;
    return s;
}

static dw_status read_info(dw_x64_unwinder *u, unwind_state *st, const dw_x64_image *img,
                           uint32_t rva)
{
    dw_status s = dw_unwind_info_read(img->read, img->ctx, rva, &u->info);
    if (s != DW_OK)
        return fail(st, s, "%s", u->info.error);
    return DW_OK;
}

/* Follow UNW_FLAG_CHAININFO to the primary entry, undoing every code. */
static dw_status undo_chain(dw_x64_unwinder *u, unwind_state *st, const dw_x64_image *img,
                            uint64_t frame_base)
{
    for (unsigned depth = 0; u->info.has_chain; depth++) {
        if (depth >= MAX_CHAIN_DEPTH)
            return fail(st, DW_ERR_LIMIT, "more than %d chained UNWIND_INFO entries",
                        MAX_CHAIN_DEPTH);
        dw_runtime_function parent = u->info.chained;
        if (parent.unwind_info & DW_RUNTIME_FUNCTION_INDIRECT) {
            uint8_t b[DW_RUNTIME_FUNCTION_SIZE];
            uint32_t at = parent.unwind_info & ~DW_RUNTIME_FUNCTION_INDIRECT;
            if (img->read(img->ctx, at, b, sizeof b) < sizeof b)
                return fail(st, DW_ERR_TRUNCATED, "chained RUNTIME_FUNCTION at 0x%x", at);
            parent.unwind_info = dw_le32(b + 8) & ~DW_RUNTIME_FUNCTION_INDIRECT;
        }
        dw_status s = read_info(u, st, img, parent.unwind_info);
        if (s == DW_OK)
            s = undo_codes(st, &u->info, 0, 0, frame_base);
        if (s != DW_OK)
            return s;
    }
    return DW_OK;
}

/* The caller has what a call preserves plus everything the unwind found. */
static void finish_registers(unwind_state *st, const dw_context *callee)
{
    st->regs.valid = (callee->valid & kept_across_call) | st->written;
}

static dw_status start(unwind_state *st, const dw_x64_image *img, const dw_runtime_function *rf,
                       unsigned flags, uint32_t *ip_rva)
{
    uint64_t rip = st->regs.regs[DW_AMD64_RIP];
    if (!(st->regs.valid & BIT(DW_AMD64_RIP)) || !(st->regs.valid & BIT(DW_AMD64_RSP)))
        return fail(st, DW_ERR_INVALID_ARG, "callee RIP or RSP unknown");
    uint64_t rva = rip - img->base;
    int inside = rip >= img->base && rva >= rf->begin &&
                 (rva < rf->end || ((flags & DW_X64_UNWIND_CALLER_FRAME) && rva == rf->end));
    if (!inside)
        return fail(st, DW_ERR_INVALID_ARG, "RIP 0x%llx is outside function [0x%x, 0x%x)",
                    (unsigned long long)rip, rf->begin, rf->end);
    *ip_rva = (uint32_t)rva;
    return DW_OK;
}

/* The IP is in an epilogue: by the v2 list when the info has one, else by
 * decoding.  0 = not an epilogue; 1 = it is one, and *s says whether
 * emulating it worked. */
static int try_epilog(dw_x64_unwinder *u, unwind_state *st, const dw_x64_image *img,
                      const dw_runtime_function *rf, uint32_t ip_rva, dw_status *s)
{
    const dw_unwind_info *info = &u->info;
    epi_action acts[EPILOG_MAX_INSNS];
    int listed = info->has_epilog_info && in_listed_epilog(info, rf, ip_rva);
    if (info->has_epilog_info && !listed)
        return 0;
    size_t n = match_epilog(u, img, rf, info->frame_register, img->base + ip_rva, acts);
    if (n == 0) {
        if (listed)
            *s = fail(st, DW_ERR_DAMAGED,
                      "rva 0x%x is in a listed epilogue whose code "
                      "is unreadable or not a legal epilogue",
                      ip_rva);
        return listed;
    }
    *s = apply_epilog(st, acts, n);
    return 1;
}

dw_status dw_x64_pdata_unwind(dw_x64_unwinder *u, const dw_x64_image *img,
                              const dw_runtime_function *rf, unsigned flags,
                              const dw_context *callee, dw_x64_mem_read_fn mem, void *mem_ctx,
                              dw_context *caller, dw_x64_unwind_result *res)
{
    unwind_state st = {*callee, mem, mem_ctx, res, 0, 0};
    res->reason[0] = res->detail[0] = '\0';
    uint32_t ip_rva = 0;
    dw_status s = start(&st, img, rf, flags, &ip_rva);
    if (s == DW_OK)
        s = read_info(u, &st, img, rf->unwind_info & ~DW_RUNTIME_FUNCTION_INDIRECT);
    if (s != DW_OK)
        return s;
    unsigned offset = ip_rva - rf->begin;
    int in_prolog = !(flags & DW_X64_UNWIND_CALLER_FRAME) && offset < u->info.prolog_size;
    int chained = u->info.has_chain;
    if (!in_prolog && !(flags & DW_X64_UNWIND_CALLER_FRAME) &&
        try_epilog(u, &st, img, rf, ip_rva, &s)) {
        if (s != DW_OK)
            return s;
        snprintf(res->reason, sizeof res->reason, "pdata+epilog");
    } else {
        uint64_t frame_base;
        unsigned prolog_size = u->info.prolog_size;
        s = frame_base_of(&st, &u->info, in_prolog, offset, &frame_base);
        if (s == DW_OK)
            s = undo_codes(&st, &u->info, in_prolog, offset, frame_base);
        if (s == DW_OK)
            s = undo_chain(u, &st, img, frame_base);
        if (s == DW_OK && !st.machframe)
            s = pop_return(&st, 0);
        if (s != DW_OK)
            return s;
        if (st.machframe)
            snprintf(res->reason, sizeof res->reason, "pdata+machframe");
        else if (in_prolog)
            snprintf(res->reason, sizeof res->reason, "pdata+prologue(%u/%u)", offset, prolog_size);
        else
            snprintf(res->reason, sizeof res->reason, chained ? "pdata+chained" : "pdata");
    }
    finish_registers(&st, callee);
    *caller = st.regs;
    return DW_OK;
}

dw_status dw_x64_pdata_step(dw_x64_unwinder *u, const dw_x64_image *img, uint32_t table_rva,
                            uint32_t table_size, unsigned flags, const dw_context *callee,
                            dw_x64_mem_read_fn mem, void *mem_ctx, dw_context *caller,
                            dw_x64_unwind_result *res)
{
    res->reason[0] = res->detail[0] = '\0';
    uint64_t rip = callee->regs[DW_AMD64_RIP];
    uint64_t rva = rip - img->base - ((flags & DW_X64_UNWIND_CALLER_FRAME) ? 1 : 0);
    if (!(callee->valid & BIT(DW_AMD64_RIP)) || rip < img->base || rva > UINT32_MAX) {
        snprintf(res->detail, sizeof res->detail, "RIP is unknown or outside the image");
        return DW_ERR_INVALID_ARG;
    }
    dw_runtime_function rf;
    dw_status s = dw_pdata_lookup(img->read, img->ctx, table_rva, table_size, (uint32_t)rva, &rf);
    if (s == DW_ERR_NOT_FOUND) {
        snprintf(res->reason, sizeof res->reason, "leaf");
        snprintf(res->detail, sizeof res->detail, "no RUNTIME_FUNCTION covers rva 0x%llx",
                 (unsigned long long)rva);
        return s;
    }
    if (s != DW_OK) {
        snprintf(res->detail, sizeof res->detail, ".pdata lookup of rva 0x%llx: %s",
                 (unsigned long long)rva,
                 s == DW_ERR_TRUNCATED ? "table entries not readable" : "damaged entry");
        return s;
    }
    return dw_x64_pdata_unwind(u, img, &rf, flags, callee, mem, mem_ctx, caller, res);
}
