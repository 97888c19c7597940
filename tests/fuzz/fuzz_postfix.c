/* libFuzzer harness: Breakpad postfix programs (lib/symbols/postfix.h), STACK
 * CFI rule sets (lib/symbols/cfi.h) and STACK WIN program strings
 * (lib/symbols/stackwin.h).  The first byte picks the word size; the rest is
 * the text.  Each line is evaluated as an expression and run as a program,
 * every line is applied as CFI rules and the resulting set is unwound, and
 * the whole text is run as a STACK WIN program.  Memory reads (^) answer
 * from a function of the address, so dereferences go on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/cfi.h"
#include "symbols/postfix.h"
#include "symbols/stackwin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fake_read(void *ctx, uint64_t addr, unsigned size, uint64_t *value)
{
    (void)ctx;
    if (addr < 0x1000)
        return 0; /* a null page, so failed reads are exercised */
    uint64_t v = addr * 0x9e3779b97f4a7c15ull;
    *value = size == 4 ? (uint32_t)v : v;
    return 1;
}

static void seed_regs(dw_regset *rs, unsigned word)
{
    static const char *const names64[] = {"$rip", "$rsp", "$rbp", "$rbx", "$r12", ".cfa"};
    static const char *const names32[] = {"$eip", "$esp", "$ebp", "$ebx", "$esi", "$edi"};
    dw_regset_init(rs);
    for (int i = 0; i < 6; i++)
        dw_regset_set_c(rs, word == 8 ? names64[i] : names32[i], 0x10000 + 0x100 * (uint64_t)i);
}

static void one_line(const char *line, size_t len, unsigned word, dw_cfi_rules *rules)
{
    char err[128];
    dw_regset vars;
    seed_regs(&vars, word);
    dw_postfix_ctx c = {&vars, word, fake_read, NULL, err, sizeof err};
    uint64_t result;
    if (dw_postfix_eval(&c, line, len, &result) != DW_OK && !err[0])
        abort(); /* a failure must say why */
    err[0] = 0;
    if (dw_postfix_run(&c, line, len) != DW_OK && !err[0])
        abort();
    (void)dw_cfi_rules_apply(rules, line, len, err, sizeof err);
    if (rules->count > DW_CFI_MAX_RULES)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    unsigned word = data[0] & 1 ? 8 : 4;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    dw_cfi_rules rules;
    memset(&rules, 0, sizeof rules);
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\n') {
            one_line(text + start, i - start, word, &rules);
            start = i + 1;
        }
    }
    char err[128];
    dw_regset callee, caller;
    seed_regs(&callee, word);
    dw_regset_init(&caller);
    (void)dw_cfi_unwind(&rules, &callee, word, fake_read, NULL, &caller, err, sizeof err);

    dw_win_record rec;
    memset(&rec, 0, sizeof rec);
    rec.type = 4;
    rec.has_program = 1;
    rec.program.ptr = text;
    rec.program.len = len;
    rec.parameter_size = data[0];
    rec.saved_register_size = 8;
    rec.local_size = 0x20;
    dw_win_input in = {0x401000, 0x12ff00, 0x12ff40, 1, 2, 3, 0x12ff04};
    dw_win_output out;
    (void)dw_win_eval(&rec, &in, fake_read, NULL, &out, err, sizeof err);
    return 0;
}
