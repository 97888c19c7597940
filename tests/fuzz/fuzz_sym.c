/* libFuzzer harness: Breakpad .sym parsing and every lookup.  The input is a
 * symbol file.  After the index is built, every FUNC, line, PUBLIC, STACK CFI
 * and STACK WIN record's first, middle and last address is looked up
 * (dw_symfile_lookup), and the CFI rules and WIN programs in force there are
 * evaluated (dw_symfile_find_cfi + dw_cfi_unwind, dw_symfile_find_win +
 * dw_win_eval), each bounded to 512 records per kind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dumpwalk/symbols.h"
#include "symbols/cfi.h"
#include "symbols/stackwin.h"
#include "symbols/symfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PER_KIND 512

static volatile size_t sink;

static void touch(dw_symstr s)
{
    size_t sum = 0;
    for (size_t i = 0; i < s.len; i++)
        sum += (unsigned char)s.ptr[i];
    sink += sum;
}

static int fake_read(void *ctx, uint64_t addr, unsigned size, uint64_t *value)
{
    (void)ctx;
    if (addr < 0x1000)
        return 0;
    uint64_t v = addr ^ 0x5a5a5a5a5a5a5a5aull;
    *value = size == 4 ? (uint32_t)v : v;
    return 1;
}

static void lookup(dw_symfile *sf, uint64_t rva, unsigned word)
{
    dw_sym_lookup l;
    if (dw_symfile_lookup(sf, rva, &l) == DW_OK) {
        touch(l.function);
        touch(l.file);
        if (l.inline_count > DW_SYM_MAX_INLINE)
            abort();
        for (unsigned i = 0; i < l.inline_count; i++) {
            touch(l.inlines[i].name);
            touch(l.inlines[i].call_file);
        }
    }
    char err[128];
    dw_cfi_rules rules;
    if (dw_symfile_find_cfi(sf, rva, &rules, err, sizeof err) == DW_OK) {
        dw_regset callee, caller;
        dw_regset_init(&callee);
        dw_regset_set_c(&callee, word == 8 ? "$rsp" : "$esp", 0x100000);
        dw_regset_set_c(&callee, word == 8 ? "$rip" : "$eip", rva);
        dw_regset_set_c(&callee, word == 8 ? "$rbp" : "$ebp", 0x100040);
        dw_regset_init(&caller);
        (void)dw_cfi_unwind(&rules, &callee, word, fake_read, NULL, &caller, err, sizeof err);
    }
    dw_win_record rec;
    if (dw_symfile_find_win(sf, rva, &rec) == DW_OK) {
        touch(rec.program);
        dw_win_input in = {(uint32_t)rva, 0x100000, 0x100040, 1, 2, 3, 0x100004};
        dw_win_output out;
        (void)dw_win_eval(&rec, &in, fake_read, NULL, &out, err, sizeof err);
    }
}

static void lookup_range(dw_symfile *sf, uint64_t addr, uint64_t size, unsigned word)
{
    lookup(sf, addr, word);
    lookup(sf, addr + size / 2, word);
    lookup(sf, addr + size - 1, word);
    lookup(sf, addr + size, word);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dw_symfile *sf;
    if (dw_symfile_open_buffer(data, size, &sf, NULL) != DW_OK)
        return 0;
    const dw_symfile_module *m = dw_symfile_module_info(sf);
    unsigned word = strstr(m->arch, "64") ? 8 : 4;
    dw_symfile_stats st;
    if (dw_symfile_get_stats(sf, &st) == DW_OK) {
        for (size_t i = 0; i < dw_symfile_corrupt_messages(sf); i++)
            if (!dw_symfile_corrupt_message(sf, i))
                abort();
        const sym_index *ix = &sf->index;
        for (size_t i = 0; i < ix->nfuncs && i < PER_KIND; i++)
            lookup_range(sf, ix->funcs[i].addr, ix->funcs[i].size, word);
        for (size_t i = 0; i < ix->nlines && i < PER_KIND; i++)
            lookup(sf, ix->lines[i].addr, word);
        for (size_t i = 0; i < ix->npublics && i < PER_KIND; i++)
            lookup(sf, ix->publics[i].addr, word);
        for (size_t i = 0; i < ix->ncfi && i < PER_KIND; i++)
            lookup_range(sf, ix->cfi[i].addr, ix->cfi[i].size, word);
        for (size_t i = 0; i < ix->ndeltas && i < PER_KIND; i++)
            lookup(sf, ix->deltas[i].addr, word);
        for (int k = 0; k < 2; k++)
            for (size_t i = 0; i < ix->nwin[k] && i < PER_KIND; i++)
                lookup_range(sf, ix->win[k][i].rva, ix->win[k][i].code_size, word);
    }
    lookup(sf, 0, word);
    lookup(sf, UINT64_MAX, word);
    dw_symfile_close(sf);
    return 0;
}
