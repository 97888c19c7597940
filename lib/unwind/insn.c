/* Capstone handles and the call-before-return check used by stack scanning. */
#include "unwind/insn.h"

#include <stdlib.h>
#include <string.h>

dw_status dw_disasm_open(dw_disasm *d, int bits)
{
    memset(d, 0, sizeof *d);
    if (bits != 32 && bits != 64)
        return DW_ERR_INVALID_ARG;
    cs_mode mode = bits == 64 ? CS_MODE_64 : CS_MODE_32;
    if (cs_open(CS_ARCH_X86, mode, &d->handle) != CS_ERR_OK)
        return DW_ERR_UNSUPPORTED;
    if (cs_option(d->handle, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
        cs_close(&d->handle);
        return DW_ERR_UNSUPPORTED;
    }
    d->insn = cs_malloc(d->handle);
    if (!d->insn) {
        cs_close(&d->handle);
        return DW_ERR_NOMEM;
    }
    d->bits = bits;
    d->open = 1;
    return DW_OK;
}

void dw_disasm_close(dw_disasm *d)
{
    if (!d || !d->open)
        return;
    cs_free(d->insn, 1);
    cs_close(&d->handle);
    free(d->scratch);
    memset(d, 0, sizeof *d);
}

uint8_t *dw_disasm_scratch(dw_disasm *d, size_t size)
{
    if (size > d->scratch_size) {
        uint8_t *p = realloc(d->scratch, size);
        if (!p)
            return NULL;
        d->scratch = p;
        d->scratch_size = size;
    }
    memset(d->scratch, 0, size);
    return d->scratch;
}

size_t dw_disasm_one(dw_disasm *d, const uint8_t *code, size_t size, uint64_t va)
{
    if (!d->open || size == 0)
        return 0;
    const uint8_t *p = code;
    size_t left = size;
    uint64_t addr = va;
    if (!cs_disasm_iter(d->handle, &p, &left, &addr, d->insn))
        return 0;
    return d->insn->size;
}

/* Capstone's register ids grouped by the architectural register they alias. */
static const struct gpr_alias {
    x86_reg r64, r32, r16, r8;
} gpr_aliases[16] = {
    {X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL},
    {X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL},
    {X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL},
    {X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL},
    {X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL},
    {X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL},
    {X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL},
    {X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL},
    {X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B},
    {X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B},
    {X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B},
    {X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B},
    {X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B},
    {X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B},
    {X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B},
    {X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B},
};

int dw_disasm_gpr(unsigned capstone_reg, int *width)
{
    int w = 0, index = -1;
    for (int i = 0; i < 16 && index < 0; i++) {
        const struct gpr_alias *a = &gpr_aliases[i];
        if (capstone_reg == (unsigned)a->r64)
            w = 8, index = i;
        else if (capstone_reg == (unsigned)a->r32)
            w = 4, index = i;
        else if (capstone_reg == (unsigned)a->r16)
            w = 2, index = i;
        else if (capstone_reg == (unsigned)a->r8)
            w = 1, index = i;
    }
    if (width)
        *width = w;
    return index;
}

/* Prefixes a near call may legitimately carry: a segment override (2E/3E is
 * also the CET "notrack" hint), operand/address size, and F2 (the MPX "bnd"
 * hint).  LOCK or REP on a call is #UD, so such a decode is an accident of
 * where we started, not the instruction that was executed. */
static int call_prefixes_ok(const cs_x86 *x)
{
    return x->prefix[0] == 0 || x->prefix[0] == X86_PREFIX_REPNE;
}

/* Classify the instruction decoded in d->insn as a near call; 0 if it is not. */
static int classify_call(const dw_disasm *d, uint64_t return_address, dw_call_site *site)
{
    const cs_insn *in = d->insn;
    if (in->id != X86_INS_CALL || !in->detail)
        return 0;
    const cs_x86 *x = &in->detail->x86;
    if (!call_prefixes_ok(x) || x->op_count != 1)
        return 0;
    memset(site, 0, sizeof *site);
    site->length = (uint8_t)in->size;
    site->address = return_address - in->size;
    if (x->opcode[0] == 0xE8) {
        if (x->operands[0].type != X86_OP_IMM)
            return 0;
        site->kind = DW_CALL_DIRECT;
        site->has_target = 1;
        site->target = (uint64_t)x->operands[0].imm;
        if (d->bits == 32)
            site->target &= 0xffffffffu;
        site->reason = "call E8";
        return 1;
    }
    /* FF /2 (near indirect); FF /3 is the far call, which capstone names LCALL. */
    if (x->opcode[0] != 0xFF || ((x->modrm >> 3) & 7) != 2)
        return 0;
    site->kind = DW_CALL_INDIRECT;
    site->memory_operand = x->operands[0].type == X86_OP_MEM;
    site->reason = site->memory_operand ? "call FF/2 mem" : "call FF/2 reg";
    return 1;
}

/* Direct beats indirect (E8 at R-5 is by far the common case and its target can
 * be checked); otherwise the longer decode keeps its real prefixes. */
static int better_call(const dw_call_site *a, const dw_call_site *b)
{
    if (a->kind != b->kind)
        return a->kind == DW_CALL_DIRECT;
    return a->length > b->length;
}

int dw_call_before(dw_disasm *d, const uint8_t *before, size_t avail, uint64_t return_address,
                   dw_call_site *out)
{
    memset(out, 0, sizeof *out);
    if (!d->open || !before)
        return 0;
    size_t window = avail < DW_CALL_MAX_LENGTH ? avail : DW_CALL_MAX_LENGTH;
    const uint8_t *end = before + avail;
    for (size_t len = window; len >= 2; len--) {
        if (return_address < len)
            continue;
        uint64_t start = return_address - len;
        if (dw_disasm_one(d, end - len, len, start) != len)
            continue;
        dw_call_site site;
        if (classify_call(d, return_address, &site) &&
            (out->kind == DW_CALL_NONE || better_call(&site, out)))
            *out = site;
    }
    return out->kind != DW_CALL_NONE;
}
