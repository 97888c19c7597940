/* Threads, thread names/infos, register contexts and WoW64 contexts:
 * synthetic dumps that state their own ground truth, then every x86/amd64
 * thread of the shared corpus checked against Breakpad's (and LLDB's) frame 0. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dumpwalk/dumpwalk.h"
#include "mdwriter.h"
#include "test_util.h"
#include "util/reader.h"

/* Distinct values per register so a swapped offset shows. */
static mdw_regs sample_regs(uint64_t seed)
{
    mdw_regs r;
    for (int i = 0; i < 24; i++)
        r.r[i] = seed + 0x1111 * (uint64_t)(i + 1);
    return r;
}

/* ---- contexts ---- */

START_TEST(amd64_thread_registers)
{
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19041, 2, NULL);
    mdw_regs regs = sample_regs(0x7ff600000000ull);
    uint32_t size;
    uint32_t rva = mdw_context_amd64(w, &regs, 0x10001f, &size);
    uint8_t stack[64] = {0};
    mdw_add_thread(w, 0x1a4, 0x7ff7e000ull, 0x5ff000, stack, sizeof stack, rva, size);
    dw_test_dump o = dw_test_open_writer(w);

    ck_assert_int_eq(dw_dump_arch(o.dump), DW_ARCH_AMD64);
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(o.dump, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(t[0].thread_id, 0x1a4);
    ck_assert_uint_eq(t[0].teb, 0x7ff7e000ull);
    ck_assert_uint_eq(t[0].stack_start, 0x5ff000);
    ck_assert_uint_eq(t[0].stack_size, sizeof stack);
    ck_assert_uint_eq(t[0].context_size, 1232);
    ck_assert_ptr_null(t[0].name);

    dw_context c;
    ck_assert_int_eq(dw_thread_context(o.dump, &t[0], &c), DW_OK);
    ck_assert_int_eq(c.arch, DW_ARCH_AMD64);
    ck_assert_uint_eq(c.context_flags, 0x10001f);
    ck_assert_uint_eq(c.raw_size, 1232);
    for (unsigned i = 0; i <= DW_AMD64_RIP; i++) {
        ck_assert_msg(dw_context_has(&c, i), "%s missing", dw_reg_name(DW_ARCH_AMD64, i));
        ck_assert_uint_eq(c.regs[i], regs.r[i]);
    }
    ck_assert_uint_eq(c.regs[DW_AMD64_RFLAGS], (uint32_t)regs.r[DW_AMD64_RFLAGS]);
    for (unsigned i = DW_AMD64_CS; i <= DW_AMD64_SS; i++)
        ck_assert_uint_eq(c.regs[i], (uint16_t)regs.r[i]);
    ck_assert_uint_eq(dw_context_ip(&c), regs.r[DW_AMD64_RIP]);
    ck_assert_uint_eq(dw_context_sp(&c), regs.r[DW_AMD64_RSP]);
    uint64_t v = 0;
    ck_assert_int_eq(dw_context_get(&c, "R13", &v), DW_OK);
    ck_assert_uint_eq(v, regs.r[DW_AMD64_R13]);
    ck_assert_int_eq(dw_context_get(&c, "eflags", &v), DW_OK); /* alias of rflags */
    ck_assert_uint_eq(v, (uint32_t)regs.r[DW_AMD64_RFLAGS]);
    ck_assert_int_eq(dw_context_get(&c, "eax", &v), DW_ERR_NOT_FOUND);
    dw_test_close(&o);
}
END_TEST

START_TEST(x86_thread_registers)
{
    mdw *w = mdw_new();
    mdw_system_info(w, 0, 6, 1, 7601, 2, NULL);
    mdw_regs regs = sample_regs(0x00400000);
    uint32_t size;
    uint32_t rva = mdw_context_x86(w, &regs, 0x1003f, &size);
    mdw_add_thread(w, 0x2c, 0x7efdd000, 0, NULL, 0, rva, size);
    dw_test_dump o = dw_test_open_writer(w);

    ck_assert_int_eq(dw_dump_arch(o.dump), DW_ARCH_X86);
    const dw_thread *t;
    ck_assert_int_eq(dw_dump_thread_by_id(o.dump, 0x2c, &t), DW_OK);
    dw_context c;
    ck_assert_int_eq(dw_thread_context(o.dump, t, &c), DW_OK);
    ck_assert_int_eq(c.arch, DW_ARCH_X86);
    ck_assert_uint_eq(c.raw_size, 716);
    for (unsigned i = 0; i < DW_X86_REG_COUNT; i++) {
        ck_assert_msg(dw_context_has(&c, i), "%s missing", dw_reg_name(DW_ARCH_X86, i));
        ck_assert_uint_eq(c.regs[i], (uint32_t)regs.r[i]);
    }
    ck_assert_uint_eq(dw_context_ip(&c), (uint32_t)regs.r[DW_X86_EIP]);
    ck_assert_uint_eq(dw_context_sp(&c), (uint32_t)regs.r[DW_X86_ESP]);
    uint64_t v;
    ck_assert_int_eq(dw_context_get(&c, "ebp", &v), DW_OK);
    ck_assert_uint_eq(v, (uint32_t)regs.r[DW_X86_EBP]);
    ck_assert_int_eq(dw_context_get(&c, "rip", &v), DW_ERR_NOT_FOUND);
    dw_test_close(&o);
}
END_TEST

START_TEST(register_names_round_trip)
{
    ck_assert_uint_eq(dw_reg_count(DW_ARCH_AMD64), DW_AMD64_REG_COUNT);
    ck_assert_uint_eq(dw_reg_count(DW_ARCH_X86), DW_X86_REG_COUNT);
    ck_assert_uint_eq(dw_reg_count(DW_ARCH_ARM64), 0);
    for (unsigned i = 0; i < DW_AMD64_REG_COUNT; i++)
        ck_assert_int_eq(dw_reg_index(DW_ARCH_AMD64, dw_reg_name(DW_ARCH_AMD64, i)), (int)i);
    for (unsigned i = 0; i < DW_X86_REG_COUNT; i++)
        ck_assert_int_eq(dw_reg_index(DW_ARCH_X86, dw_reg_name(DW_ARCH_X86, i)), (int)i);
    ck_assert_str_eq(dw_reg_name(DW_ARCH_AMD64, DW_AMD64_R8), "r8");
    ck_assert_str_eq(dw_reg_name(DW_ARCH_X86, DW_X86_EDI), "edi");
    ck_assert_int_eq(dw_reg_index(DW_ARCH_AMD64, "rflags"), DW_AMD64_RFLAGS);
    ck_assert_int_eq(dw_reg_index(DW_ARCH_AMD64, "eflags"), DW_AMD64_RFLAGS);
    ck_assert_int_eq(dw_reg_index(DW_ARCH_X86, "rflags"), -1);
    ck_assert_int_eq(dw_reg_index(DW_ARCH_AMD64, "r16"), -1);
    ck_assert_int_eq(dw_reg_index(DW_ARCH_AMD64, NULL), -1);
    ck_assert_ptr_null(dw_reg_name(DW_ARCH_AMD64, DW_AMD64_REG_COUNT));
}
END_TEST

/* Decode one context with the given flags in a dump of `cpu`. */
static dw_status decode_with_flags(uint16_t cpu, uint32_t flags, const mdw_regs *regs,
                                   dw_context *c)
{
    mdw *w = mdw_new();
    mdw_system_info(w, cpu, 10, 0, 19041, 2, NULL);
    uint32_t size;
    uint32_t rva = cpu == 9 ? mdw_context_amd64(w, regs, flags, &size)
                            : mdw_context_x86(w, regs, flags, &size);
    mdw_add_thread(w, 1, 0, 0, NULL, 0, rva, size);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_thread *t;
    size_t n;
    dw_dump_threads(o.dump, &t, &n);
    ck_assert_uint_eq(n, 1);
    dw_status st = dw_thread_context(o.dump, &t[0], c);
    dw_test_close(&o);
    return st;
}

START_TEST(context_flag_subsets_leave_registers_missing)
{
    mdw_regs regs = sample_regs(0x1000);
    dw_context c;
    uint64_t v;
    /* AMD64 CONTROL only: cs ss rsp rip eflags. */
    ck_assert_int_eq(decode_with_flags(9, 0x100001, &regs, &c), DW_OK);
    ck_assert(dw_context_has(&c, DW_AMD64_RIP) && dw_context_has(&c, DW_AMD64_RSP));
    ck_assert(dw_context_has(&c, DW_AMD64_CS) && dw_context_has(&c, DW_AMD64_SS));
    ck_assert(dw_context_has(&c, DW_AMD64_RFLAGS));
    ck_assert(!dw_context_has(&c, DW_AMD64_RAX) && !dw_context_has(&c, DW_AMD64_RBP));
    ck_assert(!dw_context_has(&c, DW_AMD64_DS) && !dw_context_has(&c, DW_AMD64_GS));
    ck_assert_int_eq(dw_context_get(&c, "rax", &v), DW_ERR_NOT_FOUND);
    ck_assert_uint_eq(c.regs[DW_AMD64_RAX], 0);
    /* AMD64 INTEGER only: no rip, so the ip reads as 0 (missing). */
    ck_assert_int_eq(decode_with_flags(9, 0x100002, &regs, &c), DW_OK);
    ck_assert(dw_context_has(&c, DW_AMD64_RBP) && dw_context_has(&c, DW_AMD64_R15));
    ck_assert(!dw_context_has(&c, DW_AMD64_RIP));
    ck_assert_uint_eq(dw_context_ip(&c), 0);
    ck_assert_uint_eq(dw_context_sp(&c), 0);
    /* AMD64 CONTROL|INTEGER|FLOATING_POINT (Linux Breakpad): segments missing. */
    ck_assert_int_eq(decode_with_flags(9, 0x10000b, &regs, &c), DW_OK);
    ck_assert(dw_context_has(&c, DW_AMD64_CS) && !dw_context_has(&c, DW_AMD64_FS));
    /* x86 INTEGER only: ebp belongs to CONTROL there. */
    ck_assert_int_eq(decode_with_flags(0, 0x10002, &regs, &c), DW_OK);
    ck_assert(dw_context_has(&c, DW_X86_EAX) && dw_context_has(&c, DW_X86_EDI));
    ck_assert(!dw_context_has(&c, DW_X86_EBP) && !dw_context_has(&c, DW_X86_EIP));
    /* x86 SEGMENTS only. */
    ck_assert_int_eq(decode_with_flags(0, 0x10004, &regs, &c), DW_OK);
    ck_assert(dw_context_has(&c, DW_X86_GS) && dw_context_has(&c, DW_X86_DS));
    ck_assert(!dw_context_has(&c, DW_X86_CS) && !dw_context_has(&c, DW_X86_EAX));
    /* Only the CPU bit (Crashpad macOS) or nothing: general registers taken. */
    ck_assert_int_eq(decode_with_flags(9, 0x100000, &regs, &c), DW_OK);
    ck_assert(dw_context_has(&c, DW_AMD64_RIP) && dw_context_has(&c, DW_AMD64_RAX));
    ck_assert_int_eq(decode_with_flags(0, 0, &regs, &c), DW_OK);
    ck_assert(dw_context_has(&c, DW_X86_EIP) && dw_context_has(&c, DW_X86_EAX));
    ck_assert_uint_eq(c.regs[DW_X86_EIP], (uint32_t)regs.r[DW_X86_EIP]);
}
END_TEST

START_TEST(context_that_fits_no_layout_is_damaged)
{
    mdw_regs regs = sample_regs(0x2000);
    dw_context c;
    /* An AMD64-sized record whose CPU bits say x86, in an amd64 dump. */
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19041, 2, NULL);
    uint32_t size;
    uint32_t rva = mdw_context_amd64(w, &regs, 0x1003f, &size);
    mdw_add_thread(w, 0x77, 0, 0, NULL, 0, rva, size);
    /* A 716-byte x86 context in the same amd64 dump: too short. */
    rva = mdw_context_x86(w, &regs, 0x1003f, &size);
    mdw_add_thread(w, 0x78, 0, 0, NULL, 0, rva, size);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_thread *t;
    size_t n;
    dw_dump_threads(o.dump, &t, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(dw_thread_context(o.dump, &t[0], &c), DW_ERR_DAMAGED);
    ck_assert_ptr_nonnull(strstr(dw_dump_last_error(o.dump), "thread 0x77"));
    ck_assert_ptr_nonnull(strstr(dw_dump_last_error(o.dump), "0x0001003f"));
    ck_assert_uint_eq(c.valid, 0);
    ck_assert_int_eq(dw_thread_context(o.dump, &t[1], &c), DW_ERR_DAMAGED);
    ck_assert_ptr_nonnull(strstr(dw_dump_last_error(o.dump), "716-byte"));
    ck_assert_uint_eq(dw_context_ip(&c), 0);
    dw_test_close(&o);
}
END_TEST

START_TEST(extended_xsave_context_is_read)
{
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 22000, 2, NULL);
    mdw_regs regs = sample_regs(0x3000);
    uint32_t size;
    uint32_t rva = mdw_context_amd64(w, &regs, 0x10005f, &size);
    /* XSAVE/CET state follows the base record (appended contiguously). */
    uint8_t xsave[175];
    memset(xsave, 0xcc, sizeof xsave);
    ck_assert_uint_eq(mdw_append(w, xsave, sizeof xsave), rva + size);
    mdw_add_thread(w, 5, 0, 0, NULL, 0, rva, size + (uint32_t)sizeof xsave);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_thread *t;
    size_t n;
    dw_dump_threads(o.dump, &t, &n);
    dw_context c;
    ck_assert_int_eq(dw_thread_context(o.dump, &t[0], &c), DW_OK);
    ck_assert_uint_eq(c.raw_size, 1232 + sizeof xsave);
    ck_assert_uint_eq(dw_context_ip(&c), regs.r[DW_AMD64_RIP]);
    dw_test_close(&o);
}
END_TEST

START_TEST(arch_inferred_without_system_info)
{
    mdw_regs regs = sample_regs(0x4000);
    uint32_t size;
    mdw *w = mdw_new();
    uint32_t rva = mdw_context_amd64(w, &regs, 0x10000b, &size);
    mdw_add_thread(w, 9, 0, 0, NULL, 0, rva, size);
    dw_test_dump o = dw_test_open_writer(w);
    ck_assert_int_eq(dw_dump_arch(o.dump), DW_ARCH_AMD64);
    dw_test_close(&o);

    w = mdw_new();
    mdw_add_thread(w, 8, 0, 0, NULL, 0, 0, 0); /* no context: skipped */
    rva = mdw_context_x86(w, &regs, 0x1000f, &size);
    mdw_add_thread(w, 9, 0, 0, NULL, 0, rva, size);
    o = dw_test_open_writer(w);
    ck_assert_int_eq(dw_dump_arch(o.dump), DW_ARCH_X86);
    const dw_thread *t;
    ck_assert_int_eq(dw_dump_thread_by_id(o.dump, 9, &t), DW_OK);
    dw_context c;
    ck_assert_int_eq(dw_thread_context(o.dump, t, &c), DW_OK);
    ck_assert_uint_eq(dw_context_ip(&c), (uint32_t)regs.r[DW_X86_EIP]);
    ck_assert_int_eq(dw_dump_thread_by_id(o.dump, 8, &t), DW_OK);
    ck_assert_int_eq(dw_thread_context(o.dump, t, &c), DW_ERR_NOT_FOUND);
    dw_test_close(&o);

    /* Nothing to go on: unknown. */
    w = mdw_new();
    mdw_add_thread(w, 1, 0, 0, NULL, 0, 0, 0);
    o = dw_test_open_writer(w);
    ck_assert_int_eq(dw_dump_arch(o.dump), DW_ARCH_UNKNOWN);
    dw_test_close(&o);
}
END_TEST

START_TEST(arm_contexts_are_unsupported_not_crashes)
{
    mdw *w = mdw_new();
    mdw_system_info(w, 12, 10, 0, 22000, 2, NULL);
    uint8_t ctx[912];
    memset(ctx, 0x5a, sizeof ctx);
    uint32_t rva = mdw_append(w, ctx, sizeof ctx);
    mdw_add_thread(w, 3, 0, 0, NULL, 0, rva, sizeof ctx);
    dw_test_dump o = dw_test_open_writer(w);
    ck_assert_int_eq(dw_dump_arch(o.dump), DW_ARCH_ARM64);
    const dw_thread *t;
    size_t n;
    dw_dump_threads(o.dump, &t, &n);
    dw_context c;
    ck_assert_int_eq(dw_thread_context(o.dump, &t[0], &c), DW_ERR_UNSUPPORTED);
    ck_assert_int_eq(c.arch, DW_ARCH_ARM64);
    ck_assert_uint_eq(c.valid, 0);
    ck_assert_ptr_nonnull(strstr(dw_dump_last_error(o.dump), "ARM64"));
    uint64_t v;
    ck_assert_int_eq(dw_context_get(&c, "pc", &v), DW_ERR_NOT_FOUND);
    dw_test_close(&o);
}
END_TEST

START_TEST(context_at_and_out_of_file_locations)
{
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19041, 2, NULL);
    mdw_regs regs = sample_regs(0x5000);
    uint32_t size;
    uint32_t rva = mdw_context_amd64(w, &regs, 0x10001f, &size);
    mdw_add_thread(w, 0x10, 0, 0, NULL, 0, 0x7ffffff0, 1232); /* beyond the file */
    dw_test_dump o = dw_test_open_writer(w);
    dw_context c;
    ck_assert_int_eq(dw_dump_context_at(o.dump, rva, size, &c), DW_OK);
    ck_assert_uint_eq(dw_context_sp(&c), regs.r[DW_AMD64_RSP]);
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(o.dump, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 1); /* the thread is kept */
    ck_assert(dw_test_has_issue(o.dump, DW_TEST_ANY_STREAM, "thread 0x10 context"));
    ck_assert_int_eq(dw_thread_context(o.dump, &t[0], &c), DW_ERR_TRUNCATED);
    ck_assert_int_eq(dw_dump_context_at(o.dump, rva, 0, &c), DW_ERR_NOT_FOUND);
    dw_test_close(&o);
}
END_TEST

/* ---- thread lists ---- */

START_TEST(thread_ex_list_is_read)
{
    mdw *w = mdw_new();
    mdw_use_thread_ex_list(w, 1);
    mdw_add_thread(w, 0x100, 0x1000, 0x2000, NULL, 0, 0, 0);
    mdw_add_thread(w, 0x200, 0x3000, 0x4000, NULL, 0, 0, 0);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(o.dump, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(t[1].thread_id, 0x200);
    ck_assert_uint_eq(t[1].teb, 0x3000);
    ck_assert_uint_eq(t[1].stack_start, 0x4000);
    dw_test_close(&o);

    /* A raw ThreadExList with a backing store descriptor. */
    uint8_t s[4 + 64] = {0};
    mdw_patch_u32(s, sizeof s, 0, 1);
    mdw_patch_u32(s, sizeof s, 4, 0x42);
    mdw_patch_u64(s, sizeof s, 4 + 16, 0x7ffde000);
    mdw_patch_u64(s, sizeof s, 4 + 48, 0x6000000000ull); /* BackingStore start */
    mdw_patch_u32(s, sizeof s, 4 + 56, 0x8000);          /* its DataSize */
    w = mdw_new();
    mdw_add_stream(w, DW_STREAM_THREAD_EX_LIST, s, sizeof s);
    o = dw_test_open_writer(w);
    ck_assert_int_eq(dw_dump_threads(o.dump, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(t[0].thread_id, 0x42);
    ck_assert_uint_eq(t[0].teb, 0x7ffde000);
    ck_assert_uint_eq(t[0].backing_store_start, 0x6000000000ull);
    ck_assert_uint_eq(t[0].backing_store_size, 0x8000);
    dw_test_close(&o);
}
END_TEST

START_TEST(thread_list_preferred_over_ex_list)
{
    uint8_t ex[4 + 64] = {0};
    mdw_patch_u32(ex, sizeof ex, 0, 1);
    mdw_patch_u32(ex, sizeof ex, 4, 0xeeee);
    mdw *w = mdw_new();
    mdw_add_stream(w, DW_STREAM_THREAD_EX_LIST, ex, sizeof ex);
    mdw_add_thread(w, 0x3333, 0, 0, NULL, 0, 0, 0);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(o.dump, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(t[0].thread_id, 0x3333);
    dw_test_close(&o);
}
END_TEST

START_TEST(thread_names_are_merged)
{
    mdw *w = mdw_new();
    mdw_add_thread(w, 10, 0, 0, NULL, 0, 0, 0);
    mdw_add_thread(w, 20, 0, 0, NULL, 0, 0, 0);
    mdw_add_thread(w, 30, 0, 0, NULL, 0, 0, 0);
    mdw_add_thread_name(w, 30, "render \xc3\xa9");
    mdw_add_thread_name(w, 10, "main");
    mdw_add_thread_name(w, 99, "not listed");
    mdw_add_thread_name(w, 20, "");
    dw_test_dump o = dw_test_open_writer(w);
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(o.dump, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(t[0].name, "main");
    ck_assert_ptr_null(t[1].name);
    ck_assert_str_eq(t[2].name, "render \xc3\xa9");
    const dw_thread *one;
    ck_assert_int_eq(dw_dump_thread_by_id(o.dump, 30, &one), DW_OK);
    ck_assert_ptr_eq(one, &t[2]);
    ck_assert_int_eq(dw_dump_thread_by_id(o.dump, 99, &one), DW_ERR_NOT_FOUND);
    ck_assert_ptr_null(one);
    ck_assert_uint_eq(dw_dump_health_count(o.dump), 0);
    dw_test_close(&o);
}
END_TEST

START_TEST(thread_name_outside_file_is_reported)
{
    mdw *w = mdw_new();
    mdw_add_thread(w, 7, 0, 0, NULL, 0, 0, 0);
    uint8_t names[4 + 12] = {0};
    mdw_patch_u32(names, sizeof names, 0, 1);
    mdw_patch_u32(names, sizeof names, 4, 7);
    mdw_patch_u64(names, sizeof names, 8, 0x123456789ull);
    mdw_add_stream(w, DW_STREAM_THREAD_NAMES, names, sizeof names);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(o.dump, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_null(t[0].name);
    ck_assert(dw_test_has_issue(o.dump, DW_TEST_ANY_STREAM, "ThreadNames: name of thread 0x7"));
    dw_test_close(&o);
}
END_TEST

START_TEST(duplicate_thread_ids_find_the_first)
{
    mdw *w = mdw_new();
    mdw_add_thread(w, 5, 0x100, 0, NULL, 0, 0, 0);
    mdw_add_thread(w, 4, 0x200, 0, NULL, 0, 0, 0);
    mdw_add_thread(w, 5, 0x300, 0, NULL, 0, 0, 0);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_thread *t;
    ck_assert_int_eq(dw_dump_thread_by_id(o.dump, 5, &t), DW_OK);
    ck_assert_uint_eq(t->teb, 0x100);
    ck_assert_int_eq(dw_dump_thread_by_id(o.dump, 4, &t), DW_OK);
    ck_assert_uint_eq(t->teb, 0x200);
    dw_test_close(&o);
}
END_TEST

START_TEST(count_larger_than_stream_keeps_the_threads)
{
    mdw *w = mdw_new();
    for (uint32_t i = 0; i < 12; i++)
        mdw_add_thread(w, 100 + i, 0, 0, NULL, 0, 0, 0);
    size_t size;
    uint8_t *buf = mdw_finish(w, &size);
    mdw_free(w);
    size_t entry = mdw_find_dir_entry(buf, size, DW_STREAM_THREAD_LIST);
    ck_assert(entry != (size_t)-1);
    uint32_t rva = dw_le32(buf + entry + 8);
    mdw_patch_u32(buf, size, rva, 4096);
    dw_test_dump o = dw_test_open_buffer(buf, size);
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(o.dump, &t, &n), DW_ERR_TRUNCATED);
    ck_assert_uint_eq(n, 12);
    ck_assert_uint_eq(t[11].thread_id, 111);
    ck_assert(dw_test_has_issue(o.dump, DW_TEST_ANY_STREAM, "ThreadList: 4096"));
    ck_assert(dw_test_has_issue(o.dump, DW_TEST_ANY_STREAM, "holds 12"));
    dw_test_close(&o);
}
END_TEST

START_TEST(no_thread_stream_is_not_found)
{
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19041, 2, NULL);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_thread *t;
    size_t n = 99;
    ck_assert_int_eq(dw_dump_threads(o.dump, &t, &n), DW_ERR_NOT_FOUND);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_nonnull(strstr(dw_dump_last_error(o.dump), "ThreadList"));
    ck_assert_int_eq(dw_dump_thread_by_id(o.dump, 1, &t), DW_ERR_NOT_FOUND);
    const dw_thread_info *ti;
    ck_assert_int_eq(dw_dump_thread_infos(o.dump, &ti, &n), DW_ERR_NOT_FOUND);
    ck_assert_uint_eq(n, 0);
    dw_test_close(&o);
}
END_TEST

/* ThreadList with 4 bytes of padding after the count (LLDB's writer). */
START_TEST(padded_thread_list)
{
    uint8_t s[8 + 2 * 48] = {0};
    mdw_patch_u32(s, sizeof s, 0, 2);
    mdw_patch_u32(s, sizeof s, 8, 0xaaaa);
    mdw_patch_u32(s, sizeof s, 8 + 48, 0xbbbb);
    mdw *w = mdw_new();
    mdw_add_stream(w, DW_STREAM_THREAD_LIST, s, sizeof s);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(o.dump, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(t[0].thread_id, 0xaaaa);
    ck_assert_uint_eq(t[1].thread_id, 0xbbbb);
    dw_test_close(&o);

    const char *path = dw_test_shared_path("corpus/lldb/thread-list-padded.dmp");
    if (!path)
        return;
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    ck_assert_int_eq(dw_dump_threads(d, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(t[0].thread_id, 0x11223344);
    ck_assert_uint_eq(t[1].thread_id, 0x55667788);
    ck_assert_uint_eq(t[0].context_size, 0);
    ck_assert_uint_eq(dw_dump_health_count(d), 0);
    dw_dump_close(d);
}
END_TEST

/* ---- ThreadInfoList ---- */

/* A ThreadInfoList stream with the given header/entry sizes; entry i gets
 * ThreadId 0x100+i, StartAddress 0x401000+i, Affinity 0xf, and bytes past
 * the 64 known ones filled with 0xee. */
static size_t make_thread_info_list(uint8_t *s, size_t cap, uint32_t header_size,
                                    uint32_t entry_size, uint32_t declared, uint32_t present)
{
    size_t len = header_size + (size_t)entry_size * present;
    ck_assert(len <= cap);
    memset(s, 0, len);
    mdw_patch_u32(s, len, 0, header_size);
    mdw_patch_u32(s, len, 4, entry_size);
    mdw_patch_u32(s, len, 8, declared);
    for (uint32_t i = 0; i < present; i++) {
        size_t e = header_size + (size_t)entry_size * i;
        mdw_patch_u32(s, len, e, 0x100 + i);
        mdw_patch_u32(s, len, e + 4, 0x3);
        if (entry_size < 64)
            continue; /* a deliberately short entry: only its first fields */
        mdw_patch_u64(s, len, e + 16, 0x01d0000000000000ull + i);
        mdw_patch_u64(s, len, e + 48, 0x401000 + i);
        mdw_patch_u64(s, len, e + 56, 0xf);
        if (entry_size > 64)
            memset(s + e + 64, 0xee, entry_size - 64);
    }
    return len;
}

static dw_test_dump open_with_stream(uint32_t type, const uint8_t *s, size_t len)
{
    mdw *w = mdw_new();
    mdw_add_stream(w, type, s, len);
    return dw_test_open_writer(w);
}

START_TEST(thread_info_list_honours_declared_sizes)
{
    uint8_t s[1024];
    size_t len = make_thread_info_list(s, sizeof s, 16, 80, 3, 3);
    dw_test_dump o = open_with_stream(DW_STREAM_THREAD_INFO_LIST, s, len);
    const dw_thread_info *ti;
    size_t n;
    ck_assert_int_eq(dw_dump_thread_infos(o.dump, &ti, &n), DW_OK);
    ck_assert_uint_eq(n, 3);
    for (uint32_t i = 0; i < 3; i++) {
        ck_assert_uint_eq(ti[i].thread_id, 0x100 + i);
        ck_assert_uint_eq(ti[i].dump_flags, 0x3);
        ck_assert_uint_eq(ti[i].create_time, 0x01d0000000000000ull + i);
        ck_assert_uint_eq(ti[i].start_address, 0x401000 + i);
        ck_assert_uint_eq(ti[i].affinity, 0xf);
    }
    dw_test_close(&o);

    /* mdwriter's own (12-byte header, 64-byte entries). */
    mdw *w = mdw_new();
    mdw_add_thread_info(w, 0x55, 0x1, 0x1234, 0x7ff000, 0x3);
    o = dw_test_open_writer(w);
    ck_assert_int_eq(dw_dump_thread_infos(o.dump, &ti, &n), DW_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(ti[0].thread_id, 0x55);
    ck_assert_uint_eq(ti[0].create_time, 0x1234);
    ck_assert_uint_eq(ti[0].start_address, 0x7ff000);
    dw_test_close(&o);
}
END_TEST

START_TEST(thread_info_list_bad_sizes_are_damage)
{
    uint8_t s[1024];
    const dw_thread_info *ti;
    size_t n;
    /* Entries smaller than MINIDUMP_THREAD_INFO. */
    size_t len = make_thread_info_list(s, sizeof s, 12, 40, 2, 2);
    dw_test_dump o = open_with_stream(DW_STREAM_THREAD_INFO_LIST, s, len);
    ck_assert_int_eq(dw_dump_thread_infos(o.dump, &ti, &n), DW_ERR_DAMAGED);
    ck_assert_uint_eq(n, 0);
    ck_assert(dw_test_has_issue(o.dump, DW_TEST_ANY_STREAM, "SizeOfEntry 40"));
    dw_test_close(&o);
    /* A header larger than the stream. */
    len = make_thread_info_list(s, sizeof s, 12, 64, 1, 1);
    mdw_patch_u32(s, len, 0, 4000);
    o = open_with_stream(DW_STREAM_THREAD_INFO_LIST, s, len);
    ck_assert_int_eq(dw_dump_thread_infos(o.dump, &ti, &n), DW_ERR_DAMAGED);
    ck_assert(dw_test_has_issue(o.dump, DW_TEST_ANY_STREAM, "SizeOfHeader 4000"));
    dw_test_close(&o);
    /* More entries declared than present: the present ones are kept. */
    len = make_thread_info_list(s, sizeof s, 12, 72, 1000000, 2);
    o = open_with_stream(DW_STREAM_THREAD_INFO_LIST, s, len);
    ck_assert_int_eq(dw_dump_thread_infos(o.dump, &ti, &n), DW_ERR_TRUNCATED);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(ti[1].thread_id, 0x101);
    ck_assert(dw_test_has_issue(o.dump, DW_TEST_ANY_STREAM, "1000000 entries"));
    dw_test_close(&o);
    /* Too short for the header. */
    o = open_with_stream(DW_STREAM_THREAD_INFO_LIST, s, 8);
    ck_assert_int_eq(dw_dump_thread_infos(o.dump, &ti, &n), DW_ERR_TRUNCATED);
    ck_assert_uint_eq(n, 0);
    dw_test_close(&o);
}
END_TEST

START_TEST(thread_info_list_in_corpus)
{
    const char *path = dw_test_shared_path("corpus/lldb/fizzbuzz_no_heap.dmp");
    if (!path)
        return;
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    const dw_thread_info *ti;
    size_t n;
    ck_assert_int_eq(dw_dump_thread_infos(d, &ti, &n), DW_OK);
    const dw_thread *t;
    size_t nt;
    ck_assert_int_eq(dw_dump_threads(d, &t, &nt), DW_OK);
    ck_assert_uint_eq(n, nt);
    ck_assert_uint_ge(n, 1);
    const dw_thread *same;
    ck_assert_int_eq(dw_dump_thread_by_id(d, ti[0].thread_id, &same), DW_OK);
    ck_assert_uint_ne(ti[0].create_time, 0);
    dw_dump_close(d);
}
END_TEST

/* ---- WoW64 ---- */

/* An amd64 dump of a 32-bit process: TEB64 TLS slot 1 -> CPU area holding
 * {Flags, Machine} then an x86 context.  `capture_area` = 0 leaves the CPU
 * area out of the captured memory. */
static dw_test_dump make_wow64_dump(const mdw_regs *x86, int list_wow64, int capture_area)
{
    const uint64_t teb = 0x7efdb000, area = 0x1cfd20;
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19045, 2, NULL);
    mdw_add_module(w, 0x7ff800000000ull, 0x1f0000, "C:\\Windows\\System32\\ntdll.dll", 0, NULL,
                   NULL, 0, 0);
    if (list_wow64)
        mdw_add_module(w, 0x77000000, 0x9000, "C:\\Windows\\System32\\WOW64CPU.DLL", 0, NULL, NULL,
                       0, 0);
    mdw_regs r64 = sample_regs(0x7ff800001000ull);
    uint32_t size;
    uint32_t rva = mdw_context_amd64(w, &r64, 0x10001f, &size);
    mdw_add_thread(w, 0x28cc, teb, 0, NULL, 0, rva, size);
    uint8_t slots[16] = {0};
    mdw_patch_u64(slots, sizeof slots, 8, area); /* TlsSlots[1] */
    mdw_add_memory(w, teb + 0x1480, slots, sizeof slots);
    if (capture_area) {
        /* Build the area through the writer's own x86 context encoder. */
        mdw *tmp = mdw_new();
        uint32_t crva = mdw_context_x86(tmp, x86, 0x1002f, &size);
        size_t tsize;
        uint8_t *tbuf = mdw_finish(tmp, &tsize);
        mdw_free(tmp);
        uint8_t cpu[4 + 716];
        mdw_patch_u32(cpu, sizeof cpu, 0, 0x014c0000); /* Flags 0, Machine i386 */
        memcpy(cpu + 4, tbuf + crva, 716);
        free(tbuf);
        mdw_add_memory(w, area, cpu, sizeof cpu);
    }
    return dw_test_open_writer(w);
}

START_TEST(wow64_context_from_teb)
{
    mdw_regs x86 = sample_regs(0x00770000);
    dw_test_dump o = make_wow64_dump(&x86, 1, 1);
    ck_assert(dw_dump_is_wow64(o.dump));
    const dw_thread *t;
    ck_assert_int_eq(dw_dump_thread_by_id(o.dump, 0x28cc, &t), DW_OK);
    dw_context c;
    dw_status st = dw_thread_wow64_context(o.dump, t, &c);
    ck_assert_msg(st == DW_OK, "%s", dw_dump_last_error(o.dump));
    ck_assert_int_eq(c.arch, DW_ARCH_X86);
    ck_assert_uint_eq(c.context_flags, 0x1002f);
    ck_assert_uint_eq(dw_context_ip(&c), (uint32_t)x86.r[DW_X86_EIP]);
    ck_assert_uint_eq(dw_context_sp(&c), (uint32_t)x86.r[DW_X86_ESP]);
    ck_assert_uint_eq(c.regs[DW_X86_EBP], (uint32_t)x86.r[DW_X86_EBP]);
    /* The native context stays the 64-bit one. */
    ck_assert_int_eq(dw_thread_context(o.dump, t, &c), DW_OK);
    ck_assert_int_eq(c.arch, DW_ARCH_AMD64);
    dw_test_close(&o);
}
END_TEST

START_TEST(wow64_absent_or_uncaptured_is_not_found)
{
    mdw_regs x86 = sample_regs(0x00770000);
    dw_context c;
    const dw_thread *t;
    dw_test_dump o = make_wow64_dump(&x86, 0, 1);
    ck_assert(!dw_dump_is_wow64(o.dump));
    ck_assert_int_eq(dw_dump_thread_by_id(o.dump, 0x28cc, &t), DW_OK);
    ck_assert_int_eq(dw_thread_wow64_context(o.dump, t, &c), DW_ERR_NOT_FOUND);
    dw_test_close(&o);

    o = make_wow64_dump(&x86, 1, 0);
    ck_assert(dw_dump_is_wow64(o.dump));
    ck_assert_int_eq(dw_dump_thread_by_id(o.dump, 0x28cc, &t), DW_OK);
    ck_assert_int_eq(dw_thread_wow64_context(o.dump, t, &c), DW_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(dw_dump_last_error(o.dump), "0x1cfd20"));
    dw_test_close(&o);
}
END_TEST

/* syzygy's 64-bit dump of 32-bit notepad lists wow64*.dll; its TEB64 is
 * captured but the CPU area TLS slot 1 points to (0x1cfd20) is not. */
START_TEST(wow64_corpus_dumps)
{
    const char *path = dw_test_shared_path("corpus/syzygy/minidump/notepad-small-64bit.dmp");
    if (!path)
        return;
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    ck_assert_int_eq(dw_dump_arch(d), DW_ARCH_AMD64);
    ck_assert(dw_dump_is_wow64(d));
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(d, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 1);
    dw_context c;
    ck_assert_int_eq(dw_thread_wow64_context(d, &t[0], &c), DW_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(dw_dump_last_error(d), "0x1cfd20"));
    dw_dump_close(d);

    /* A 32-bit writer's dump of a WoW64 process is an x86 dump, not "WoW64". */
    path = dw_test_shared_path("corpus/wild-CearDragon-ultima-vi-online/tools-crash.dmp");
    if (!path)
        return;
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    ck_assert_int_eq(dw_dump_arch(d), DW_ARCH_X86);
    ck_assert(!dw_dump_is_wow64(d));
    dw_dump_close(d);
}
END_TEST

/* ---- the corpus against Breakpad and LLDB ---- */

typedef struct frame0 {
    uint32_t tid;
    uint64_t pc, sp;
} frame0;

typedef struct frame0_list {
    frame0 *v;
    size_t n, cap;
} frame0_list;

static const char *field(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    return p ? p + strlen(key) : NULL;
}

/* Frame 0 of every thread in an oracle *.norm.txt file. */
static frame0_list read_frame0s(const char *path)
{
    frame0_list l = {NULL, 0, 0};
    FILE *f = fopen(path, "r");
    if (!f)
        return l;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "frame\t", 6) != 0 || !strstr(line, "\tn=0\t"))
            continue;
        const char *t = field(line, "t="), *pc = field(line, "\tpc="), *sp = field(line, "\tsp=");
        if (!t || !pc || !sp)
            continue;
        if (l.n == l.cap) {
            l.cap = l.cap ? 2 * l.cap : 16;
            l.v = realloc(l.v, l.cap * sizeof *l.v);
            ck_assert_ptr_nonnull(l.v);
        }
        l.v[l.n].tid = (uint32_t)strtoul(t, NULL, 16);
        l.v[l.n].pc = strtoull(pc, NULL, 16);
        l.v[l.n].sp = strtoull(sp, NULL, 16);
        l.n++;
    }
    fclose(f);
    return l;
}

static const frame0 *find_frame0(const frame0_list *l, uint32_t tid)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].tid == tid)
            return &l->v[i];
    }
    return NULL;
}

/* The Exception stream's thread and context location, read straight from
 * MINIDUMP_EXCEPTION_STREAM (ThreadId at 0, ThreadContext at 160) so this
 * check does not depend on the exception parser.  Both tools start the
 * crashed thread's walk from this context. */
static int exception_context(dw_dump *d, uint32_t *tid, uint32_t *size, uint32_t *rva)
{
    const uint8_t *p;
    size_t n;
    if (dw_dump_stream_bytes(d, DW_STREAM_EXCEPTION, &p, &n) != DW_OK || n < 168)
        return 0;
    *tid = dw_le32(p);
    *size = dw_le32(p + 160);
    *rva = dw_le32(p + 164);
    return 1;
}

typedef struct corpus_tally {
    unsigned dumps, threads, decoded, compared, mismatches;
    char first_mismatch[512];
} corpus_tally;

static void note_mismatch(corpus_tally *tally, const char *rel, uint32_t tid, const char *tool,
                          const dw_context *c, const frame0 *f)
{
    if (!tally->mismatches++)
        snprintf(tally->first_mismatch, sizeof tally->first_mismatch,
                 "%.200s thread 0x%x: ours pc=0x%llx sp=0x%llx, %s pc=0x%llx sp=0x%llx", rel, tid,
                 (unsigned long long)dw_context_ip(c), (unsigned long long)dw_context_sp(c), tool,
                 (unsigned long long)f->pc, (unsigned long long)f->sp);
}

/* The context a tool starts thread `t` from: the exception's for the
 * crashed thread, the thread's own otherwise. */
static dw_status starting_context(dw_dump *d, const dw_thread *t, dw_context *c)
{
    uint32_t tid, size, rva;
    if (exception_context(d, &tid, &size, &rva) && tid == t->thread_id && size)
        return dw_dump_context_at(d, rva, size, c);
    return dw_thread_context(d, t, c);
}

static void check_dump_threads(const char *corpus, const char *rel, corpus_tally *tally)
{
    char path[8200], oracle[8300];
    snprintf(path, sizeof path, "%.4000s/%.4000s", corpus, rel);
    dw_dump *d;
    if (dw_dump_open(path, NULL, &d, NULL) != DW_OK)
        return;
    dw_arch arch = dw_dump_arch(d);
    const dw_thread *t;
    size_t n = 0;
    dw_dump_threads(d, &t, &n);
    if (arch != DW_ARCH_X86 && arch != DW_ARCH_AMD64) {
        dw_dump_close(d);
        return;
    }
    tally->dumps++;
    snprintf(oracle, sizeof oracle, "%.4000s/oracle/%.*s/bp.nosym.norm.txt", corpus,
             (int)(strrchr(rel, '.') - rel), rel);
    frame0_list bp = read_frame0s(oracle);
    snprintf(oracle, sizeof oracle, "%.4000s/oracle/%.*s/lldb.nosym.norm.txt", corpus,
             (int)(strrchr(rel, '.') - rel), rel);
    frame0_list lldb = read_frame0s(oracle);
    for (size_t i = 0; i < n; i++) {
        if (!t[i].context_size)
            continue;
        tally->threads++;
        dw_context c;
        dw_status st = starting_context(d, &t[i], &c);
        ck_assert_msg(st == DW_OK, "%s thread 0x%x: %s", rel, t[i].thread_id,
                      dw_dump_last_error(d));
        tally->decoded++;
        const frame0 *f = find_frame0(&bp, t[i].thread_id);
        const char *tool = "breakpad";
        if (!f) {
            f = find_frame0(&lldb, t[i].thread_id);
            tool = "lldb";
        }
        if (!f)
            continue;
        tally->compared++;
        if (dw_context_ip(&c) != f->pc || dw_context_sp(&c) != f->sp)
            note_mismatch(tally, rel, t[i].thread_id, tool, &c, f);
    }
    free(bp.v);
    free(lldb.v);
    dw_dump_close(d);
}

static void walk_corpus(const char *corpus, const char *rel_dir, corpus_tally *tally)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", corpus, rel_dir);
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *e;
    while ((e = readdir(dh))) {
        if (e->d_name[0] == '.' || (!rel_dir[0] && !strcmp(e->d_name, "oracle")))
            continue;
        char rel[4096], full[8192];
        snprintf(rel, sizeof rel, "%s%s%s", rel_dir, rel_dir[0] ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", corpus, rel);
        struct stat st;
        if (stat(full, &st) != 0)
            continue;
        const char *ext = strrchr(e->d_name, '.');
        if (S_ISDIR(st.st_mode))
            walk_corpus(corpus, rel, tally);
        else if (ext && (!strcmp(ext, ".dmp") || !strcmp(ext, ".mdmp")))
            check_dump_threads(corpus, rel, tally);
    }
    closedir(dh);
}

START_TEST(corpus_contexts_match_breakpad_and_lldb)
{
    const char *corpus = dw_test_shared_path("corpus");
    if (!corpus)
        return;
    char root[4096];
    snprintf(root, sizeof root, "%s", corpus);
    corpus_tally tally;
    memset(&tally, 0, sizeof tally);
    walk_corpus(root, "", &tally);
    fprintf(stderr,
            "threads corpus: %u x86/amd64 dumps, %u threads with contexts, %u decoded, "
            "%u compared with frame 0, %u mismatches\n",
            tally.dumps, tally.threads, tally.decoded, tally.compared, tally.mismatches);
    ck_assert_msg(tally.mismatches == 0, "%u mismatches; first: %s", tally.mismatches,
                  tally.first_mismatch);
    ck_assert_uint_eq(tally.decoded, tally.threads);
    /* 40+ x86/amd64 dumps and several hundred threads are in the corpus. */
    ck_assert_uint_ge(tally.dumps, 40);
    ck_assert_uint_ge(tally.compared, 400);
}
END_TEST

/* The Win11 CET/XSAVE context is larger than 0x4d0 and still decodes. */
START_TEST(corpus_cet_xsave_context)
{
    const char *path = dw_test_shared_path("corpus/breakpad/tiny-exe-with-cet-xsave.dmp");
    if (!path)
        return;
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(d, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 1);
    dw_context c;
    ck_assert_int_eq(dw_thread_context(d, &t[0], &c), DW_OK);
    ck_assert_uint_gt(c.raw_size, 1232);
    ck_assert_uint_eq(c.context_flags & 0x00100000, 0x00100000);
    ck_assert(dw_context_has(&c, DW_AMD64_RIP) && dw_context_has(&c, DW_AMD64_GS));
    dw_dump_close(d);
}
END_TEST

/* Thread names of a Windows dump with a ThreadNames stream. */
START_TEST(corpus_thread_names)
{
    const char *path = dw_test_shared_path("corpus/breakpad/thread_name_list.dmp");
    if (!path)
        return;
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    const dw_thread *t;
    ck_assert_int_eq(dw_dump_thread_by_id(d, 0x19a4, &t), DW_OK);
    ck_assert_str_eq(t->name, "main thread");
    ck_assert_int_eq(dw_dump_thread_by_id(d, 0x2ae0, &t), DW_OK);
    ck_assert_str_eq(t->name, "overflow thread");
    dw_dump_close(d);
}
END_TEST

/* Wine's dumps come with the dumped process's own record of each thread:
 * id, TEB and stack base ("thread_id": N, "teb": "0x..", "stack_base": "0x.."
 * in that order in the JSON).  The dumper thread of the in-process dump has
 * no context (Wine's behaviour). */
static void check_wine_dump(const char *name, uint32_t no_context_tid)
{
    char rel[128];
    snprintf(rel, sizeof rel, "wine/%s.dmp", name);
    const char *dump_path = dw_test_shared_path(rel);
    if (!dump_path)
        return;
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open(dump_path, NULL, &d, NULL), DW_OK);
    snprintf(rel, sizeof rel, "wine/%s.json", name);
    const char *json_path = dw_test_shared_path(rel);
    ck_assert_ptr_nonnull(json_path);
    size_t size;
    char *json = (char *)dw_test_read_file(json_path, &size);
    ck_assert_ptr_nonnull(json);
    json = realloc(json, size + 1);
    json[size] = '\0';
    unsigned checked = 0;
    for (const char *p = json; (p = strstr(p, "\"thread_id\": ")); p++) {
        unsigned long tid = strtoul(p + 13, NULL, 10);
        const char *teb = strstr(p, "\"teb\": \""), *base = strstr(p, "\"stack_base\": \"");
        ck_assert(teb && base);
        const dw_thread *t;
        ck_assert_msg(dw_dump_thread_by_id(d, (uint32_t)tid, &t) == DW_OK, "%s: tid %lu", name,
                      tid);
        uint64_t want_teb = strtoull(teb + 8, NULL, 16);
        if (want_teb)
            ck_assert_uint_eq(t->teb, want_teb);
        dw_context c;
        dw_status st = dw_thread_context(d, t, &c);
        if ((uint32_t)tid == no_context_tid) {
            ck_assert_int_eq(st, DW_ERR_NOT_FOUND);
            continue;
        }
        ck_assert_msg(st == DW_OK, "%s", dw_dump_last_error(d));
        uint64_t stack_base = strtoull(base + 15, NULL, 16), sp = dw_context_sp(&c);
        uint64_t floor = stack_base > 0x1000000 ? stack_base - 0x1000000 : 0;
        if (stack_base) /* the stack grows down from its base, well within 16 MiB */
            ck_assert_msg(sp < stack_base && sp > floor, "%s tid %lu: sp 0x%llx, stack base 0x%llx",
                          name, tid, (unsigned long long)sp, (unsigned long long)stack_base);
        checked++;
    }
    ck_assert_uint_ge(checked, 7);
    free(json);
    dw_dump_close(d);
}

START_TEST(wine_threads_match_ground_truth)
{
    check_wine_dump("x64_ext_normal", 0);
    check_wine_dump("x64_winedbg", 0);
    check_wine_dump("x64_inproc_normal", 280);
}
END_TEST

Suite *threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *c = tcase_create("contexts");
    tcase_add_test(c, amd64_thread_registers);
    tcase_add_test(c, x86_thread_registers);
    tcase_add_test(c, register_names_round_trip);
    tcase_add_test(c, context_flag_subsets_leave_registers_missing);
    tcase_add_test(c, context_that_fits_no_layout_is_damaged);
    tcase_add_test(c, extended_xsave_context_is_read);
    tcase_add_test(c, arch_inferred_without_system_info);
    tcase_add_test(c, arm_contexts_are_unsupported_not_crashes);
    tcase_add_test(c, context_at_and_out_of_file_locations);
    suite_add_tcase(s, c);

    TCase *l = tcase_create("lists");
    tcase_add_test(l, thread_ex_list_is_read);
    tcase_add_test(l, thread_list_preferred_over_ex_list);
    tcase_add_test(l, thread_names_are_merged);
    tcase_add_test(l, thread_name_outside_file_is_reported);
    tcase_add_test(l, duplicate_thread_ids_find_the_first);
    tcase_add_test(l, count_larger_than_stream_keeps_the_threads);
    tcase_add_test(l, no_thread_stream_is_not_found);
    tcase_add_test(l, padded_thread_list);
    tcase_add_test(l, thread_info_list_honours_declared_sizes);
    tcase_add_test(l, thread_info_list_bad_sizes_are_damage);
    tcase_add_test(l, thread_info_list_in_corpus);
    suite_add_tcase(s, l);

    TCase *w = tcase_create("wow64");
    tcase_add_test(w, wow64_context_from_teb);
    tcase_add_test(w, wow64_absent_or_uncaptured_is_not_found);
    tcase_add_test(w, wow64_corpus_dumps);
    suite_add_tcase(s, w);

    TCase *k = tcase_create("corpus");
    tcase_set_timeout(k, 600);
    tcase_add_test(k, corpus_contexts_match_breakpad_and_lldb);
    tcase_add_test(k, corpus_cet_xsave_context);
    tcase_add_test(k, corpus_thread_names);
    tcase_add_test(k, wine_threads_match_ground_truth);
    suite_add_tcase(s, k);
    return s;
}
