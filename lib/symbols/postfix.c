/* The Breakpad postfix evaluator (see postfix.h for the language). */
#include "symbols/postfix.h"

#include <stdarg.h>
#include <stdio.h>

#include "symbols/symtext.h"

void dw_regset_init(dw_regset *rs)
{
    rs->count = 0;
}

static dw_regval *find(const dw_regset *rs, const char *name, size_t len)
{
    if (len >= DW_REGNAME_MAX)
        return NULL;
    for (unsigned i = 0; i < rs->count; i++) {
        const dw_regval *r = &rs->regs[i];
        if (strncmp(r->name, name, len) == 0 && r->name[len] == '\0')
            return (dw_regval *)r;
    }
    return NULL;
}

int dw_regset_get(const dw_regset *rs, const char *name, size_t len, uint64_t *value)
{
    const dw_regval *r = find(rs, name, len);
    if (!r)
        return 0;
    *value = r->value;
    return 1;
}

dw_status dw_regset_set(dw_regset *rs, const char *name, size_t len, uint64_t value)
{
    if (len == 0 || len >= DW_REGNAME_MAX)
        return DW_ERR_LIMIT;
    dw_regval *r = find(rs, name, len);
    if (!r) {
        if (rs->count >= DW_REGSET_MAX)
            return DW_ERR_LIMIT;
        r = &rs->regs[rs->count++];
        memcpy(r->name, name, len);
        r->name[len] = '\0';
        r->assigned = 0;
    }
    r->value = value;
    return DW_OK;
}

dw_status dw_regset_set_c(dw_regset *rs, const char *name, uint64_t value)
{
    return dw_regset_set(rs, name, strlen(name), value);
}

/* ---- evaluation ---------------------------------------------------------- */

/* An operand: a number, or a variable name not yet resolved (the target of
 * '=' must stay a name). */
typedef struct operand {
    const char *name; /* NULL for a number */
    size_t name_len;
    uint64_t value;
} operand;

typedef struct machine {
    dw_postfix_ctx *c;
    operand stack[DW_POSTFIX_MAX_DEPTH];
    unsigned depth;
    uint64_t mask; /* word-size wrap */
} machine;

__attribute__((format(printf, 3, 4))) static dw_status fail(machine *m, dw_status st,
                                                            const char *fmt, ...)
{
    if (m->c->err && m->c->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->c->err, m->c->err_size, fmt, ap);
        va_end(ap);
    }
    return st;
}

static dw_status push(machine *m, operand o)
{
    if (m->depth >= DW_POSTFIX_MAX_DEPTH)
        return fail(m, DW_ERR_LIMIT, "postfix: stack deeper than %d", DW_POSTFIX_MAX_DEPTH);
    m->stack[m->depth++] = o;
    return DW_OK;
}

static dw_status pop(machine *m, operand *o, sym_tok op)
{
    if (m->depth == 0)
        return fail(m, DW_ERR_DAMAGED, "postfix: stack underflow at '%.*s'", (int)op.len, op.s);
    *o = m->stack[--m->depth];
    return DW_OK;
}

/* Pop an operand and resolve a variable to its value. */
static dw_status pop_value(machine *m, uint64_t *v, sym_tok op)
{
    operand o = {NULL, 0, 0};
    dw_status st = pop(m, &o, op);
    if (st != DW_OK)
        return st;
    if (!o.name) {
        *v = o.value;
        return DW_OK;
    }
    if (!dw_regset_get(m->c->vars, o.name, o.name_len, v))
        return fail(m, DW_ERR_NOT_FOUND, "postfix: unknown variable '%.*s'", (int)o.name_len,
                    o.name);
    return DW_OK;
}

static dw_status binary(machine *m, sym_tok op)
{
    uint64_t a, b, r;
    dw_status st = pop_value(m, &b, op);
    if (st == DW_OK)
        st = pop_value(m, &a, op);
    if (st != DW_OK)
        return st;
    switch (op.s[0]) {
    case '+': r = a + b; break;
    case '-': r = a - b; break;
    case '*': r = a * b; break;
    case '/':
    case '%':
        if (b == 0)
            return fail(m, DW_ERR_DAMAGED, "postfix: division by zero");
        r = op.s[0] == '/' ? a / b : a % b;
        break;
    default: /* '@': align down to a power of two */
        if (b == 0 || (b & (b - 1)) != 0)
            return fail(m, DW_ERR_DAMAGED, "postfix: align by %llu, not a power of two",
                        (unsigned long long)b);
        r = a & ~(b - 1);
        break;
    }
    return push(m, (operand){NULL, 0, r & m->mask});
}

static dw_status deref(machine *m, sym_tok op)
{
    uint64_t addr, v;
    dw_status st = pop_value(m, &addr, op);
    if (st != DW_OK)
        return st;
    if (!m->c->read_mem || !m->c->read_mem(m->c->mem_ctx, addr, m->c->word_size, &v))
        return fail(m, DW_ERR_NOT_FOUND, "postfix: cannot read memory at 0x%llx",
                    (unsigned long long)addr);
    return push(m, (operand){NULL, 0, v & m->mask});
}

static dw_status assign(machine *m, sym_tok op)
{
    uint64_t v;
    operand target = {NULL, 0, 0};
    dw_status st = pop_value(m, &v, op);
    if (st == DW_OK)
        st = pop(m, &target, op);
    if (st != DW_OK)
        return st;
    if (!target.name || target.name[0] != '$')
        return fail(m, DW_ERR_DAMAGED, "postfix: assignment to something not a $variable");
    st = dw_regset_set(m->c->vars, target.name, target.name_len, v);
    if (st != DW_OK)
        return fail(m, st, "postfix: cannot store '%.*s' (too many or too long)",
                    (int)target.name_len, target.name);
    dw_regval *r = find(m->c->vars, target.name, target.name_len);
    r->assigned = 1;
    return DW_OK;
}

/* Decimal (optionally negative, two's complement) or 0x hex. */
static int parse_number(sym_tok t, uint64_t *out)
{
    int neg = t.len > 1 && t.s[0] == '-';
    sym_tok d = {t.s + neg, t.len - (size_t)neg};
    if (d.len > 2 && d.s[0] == '0' && (d.s[1] == 'x' || d.s[1] == 'X')) {
        sym_tok h = {d.s + 2, d.len - 2};
        if (!sym_parse_hex(h, out))
            return 0;
    } else {
        if (d.len == 0 || d.len > 20)
            return 0;
        uint64_t v = 0;
        for (size_t i = 0; i < d.len; i++) {
            if (d.s[i] < '0' || d.s[i] > '9')
                return 0;
            uint64_t digit = (uint64_t)(d.s[i] - '0');
            if (v > (UINT64_MAX - digit) / 10)
                return 0;
            v = v * 10 + digit;
        }
        *out = v;
    }
    if (neg)
        *out = (uint64_t)0 - *out;
    return 1;
}

static dw_status step(machine *m, sym_tok t, int allow_assign)
{
    if (t.len == 1 && strchr("+-*/%@", t.s[0]))
        return binary(m, t);
    if (t.len == 1 && t.s[0] == '^')
        return deref(m, t);
    if (t.len == 1 && t.s[0] == '=') {
        if (!allow_assign)
            return fail(m, DW_ERR_DAMAGED, "postfix: '=' in an expression");
        return assign(m, t);
    }
    if (t.s[0] == '$' || t.s[0] == '.') {
        if (t.len < 2)
            return fail(m, DW_ERR_DAMAGED, "postfix: empty variable name");
        return push(m, (operand){t.s, t.len, 0});
    }
    uint64_t v;
    if (!parse_number(t, &v))
        return fail(m, DW_ERR_DAMAGED, "postfix: bad token '%.*s'", (int)(t.len > 32 ? 32 : t.len),
                    t.s);
    return push(m, (operand){NULL, 0, v & m->mask});
}

static dw_status execute(machine *m, const char *text, size_t len, int allow_assign)
{
    dw_postfix_ctx *c = m->c;
    if (c->word_size != 4 && c->word_size != 8)
        return fail(m, DW_ERR_INVALID_ARG, "postfix: word size %u", c->word_size);
    if (len > DW_POSTFIX_MAX_LEN)
        return fail(m, DW_ERR_LIMIT, "postfix: program of %zu bytes exceeds %d", len,
                    DW_POSTFIX_MAX_LEN);
    m->mask = c->word_size == 4 ? 0xffffffffu : UINT64_MAX;
    sym_cursor cur = {text, text + len};
    sym_tok t;
    unsigned tokens = 0;
    while (sym_next(&cur, &t)) {
        if (++tokens > DW_POSTFIX_MAX_TOKENS)
            return fail(m, DW_ERR_LIMIT, "postfix: more than %d tokens", DW_POSTFIX_MAX_TOKENS);
        dw_status st = step(m, t, allow_assign);
        if (st != DW_OK)
            return st;
    }
    return DW_OK;
}

dw_status dw_postfix_eval(dw_postfix_ctx *c, const char *expr, size_t len, uint64_t *result)
{
    machine m = {.c = c};
    dw_status st = execute(&m, expr, len, 0);
    if (st != DW_OK)
        return st;
    if (m.depth != 1)
        return fail(&m, DW_ERR_DAMAGED, "postfix: expression leaves %u values, not 1", m.depth);
    sym_tok end = {"end", 3};
    return pop_value(&m, result, end);
}

dw_status dw_postfix_run(dw_postfix_ctx *c, const char *prog, size_t len)
{
    machine m = {.c = c};
    dw_status st = execute(&m, prog, len, 1);
    if (st == DW_OK && m.depth != 0)
        return fail(&m, DW_ERR_DAMAGED, "postfix: program leaves %u values on the stack",
                    m.depth);
    return st;
}
