/* STACK CFI rule lookup and evaluation (see cfi.h). */
#include "symbols/cfi.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "symbols/symfile.h"
#include "symbols/symtext.h"

__attribute__((format(printf, 4, 5))) static dw_status fail(char *err, size_t err_size,
                                                            dw_status st, const char *fmt, ...)
{
    if (err && err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return st;
}

static dw_status set_rule(dw_cfi_rules *rules, dw_cfi_rule r, char *err, size_t err_size)
{
    if (r.expr_len == 0)
        return fail(err, err_size, DW_ERR_DAMAGED, "STACK CFI: rule for '%.*s' has no expression",
                    (int)r.reg_len, r.reg);
    for (unsigned i = 0; i < rules->count; i++) {
        if (rules->rule[i].reg_len == r.reg_len && memcmp(rules->rule[i].reg, r.reg, r.reg_len) == 0) {
            rules->rule[i] = r;
            return DW_OK;
        }
    }
    if (rules->count >= DW_CFI_MAX_RULES)
        return fail(err, err_size, DW_ERR_LIMIT, "STACK CFI: more than %d register rules",
                    DW_CFI_MAX_RULES);
    rules->rule[rules->count++] = r;
    return DW_OK;
}

/* A "name:" token starts a rule; the expression runs to the next one. */
dw_status dw_cfi_rules_apply(dw_cfi_rules *rules, const char *text, size_t len, char *err,
                             size_t err_size)
{
    sym_cursor c = {text, text + len};
    sym_tok t;
    dw_cfi_rule cur = {0};
    int have = 0;
    while (sym_next(&c, &t)) {
        if (t.len >= 2 && t.s[t.len - 1] == ':') {
            if (have) {
                dw_status st = set_rule(rules, cur, err, err_size);
                if (st != DW_OK)
                    return st;
            }
            cur = (dw_cfi_rule){t.s, t.len - 1, NULL, 0};
            have = 1;
            continue;
        }
        if (!have)
            return fail(err, err_size, DW_ERR_DAMAGED,
                        "STACK CFI: expression '%.*s' before any 'register:'",
                        (int)(t.len > 32 ? 32 : t.len), t.s);
        if (!cur.expr)
            cur.expr = t.s;
        cur.expr_len = (size_t)(t.s + t.len - cur.expr);
    }
    if (!have)
        return fail(err, err_size, DW_ERR_DAMAGED, "STACK CFI: no rules");
    return set_rule(rules, cur, err, err_size);
}

static size_t cfi_at_or_below(const sym_index *ix, uint64_t rva)
{
    size_t lo = 0, hi = ix->ncfi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->cfi[mid].addr <= rva)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? SIZE_MAX : lo - 1;
}

dw_status dw_symfile_find_cfi(dw_symfile *sf, uint64_t rva, dw_cfi_rules *out, char *err,
                              size_t err_size)
{
    out->count = 0;
    dw_status st;
    const sym_index *ix = dw_symfile_stack_records(sf, &st);
    if (!ix)
        return fail(err, err_size, st, "symbol file could not be indexed");
    size_t i = cfi_at_or_below(ix, rva);
    if (i == SIZE_MAX || rva - ix->cfi[i].addr >= ix->cfi[i].size)
        return fail(err, err_size, DW_ERR_NOT_FOUND, "no STACK CFI covers 0x%llx",
                    (unsigned long long)rva);
    const sym_cfi_init *init = &ix->cfi[i];
    out->init_start = init->addr;
    out->init_size = init->size;
    st = dw_cfi_rules_apply(out, sf->text + init->rules.off, init->rules.len, err, err_size);
    /* Deltas are in file order; each applies from its address on. */
    for (uint32_t k = 0; st == DW_OK && k < init->delta_count; k++) {
        const sym_cfi_delta *d = &ix->deltas[init->delta_first + k];
        if (d->addr <= rva)
            st = dw_cfi_rules_apply(out, sf->text + d->rules.off, d->rules.len, err, err_size);
    }
    return st;
}

static const dw_cfi_rule *rule_named(const dw_cfi_rules *rules, const char *name)
{
    size_t n = strlen(name);
    for (unsigned i = 0; i < rules->count; i++)
        if (rules->rule[i].reg_len == n && memcmp(rules->rule[i].reg, name, n) == 0)
            return &rules->rule[i];
    return NULL;
}

static int is_undef(const dw_cfi_rule *r)
{
    return r->expr_len == 6 && memcmp(r->expr, ".undef", 6) == 0;
}

dw_status dw_cfi_unwind(const dw_cfi_rules *rules, const dw_regset *callee, unsigned word_size,
                        dw_mem_read_fn read_mem, void *mem_ctx, dw_regset *caller, char *err,
                        size_t err_size)
{
    const dw_cfi_rule *cfa_rule = rule_named(rules, ".cfa");
    const dw_cfi_rule *ra_rule = rule_named(rules, ".ra");
    if (!cfa_rule || !ra_rule || is_undef(cfa_rule) || is_undef(ra_rule))
        return fail(err, err_size, DW_ERR_NOT_FOUND, "STACK CFI: no rule for %s",
                    cfa_rule && !is_undef(cfa_rule) ? ".ra" : ".cfa");
    dw_regset vars = *callee;
    dw_postfix_ctx c = {&vars, word_size, read_mem, mem_ctx, err, err_size};
    uint64_t cfa;
    dw_status st = dw_postfix_eval(&c, cfa_rule->expr, cfa_rule->expr_len, &cfa);
    if (st == DW_OK)
        st = dw_regset_set_c(&vars, ".cfa", cfa);
    dw_regset_init(caller);
    if (st == DW_OK)
        st = dw_regset_set_c(caller, ".cfa", cfa);
    for (unsigned i = 0; st == DW_OK && i < rules->count; i++) {
        const dw_cfi_rule *r = &rules->rule[i];
        if (r == cfa_rule || is_undef(r))
            continue;
        uint64_t v;
        int required = r == ra_rule;
        dw_postfix_ctx rc = c;
        /* A callee-saved register whose rule cannot be evaluated (its slot is
         * not in the dump) is just unknown in the caller; only .ra is vital. */
        if (!required) {
            rc.err = NULL;
            rc.err_size = 0;
        }
        st = dw_postfix_eval(&rc, r->expr, r->expr_len, &v);
        if (st != DW_OK && !required) {
            st = DW_OK;
            continue;
        }
        if (st == DW_OK && dw_regset_set(caller, r->reg, r->reg_len, v) != DW_OK)
            st = fail(err, err_size, DW_ERR_LIMIT, "STACK CFI: cannot store '%.*s'",
                      (int)r->reg_len, r->reg);
    }
    return st;
}
