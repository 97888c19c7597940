/* Process-wide streams: SystemInfo, MiscInfo, Exception (and crash reasons),
 * BreakpadInfo, CrashpadInfo, AssertionInfo, comments, Linux text streams.
 *
 * Synthetic dumps state their own ground truth; real dumps are compared
 * field by field with Breakpad's minidump_dump (bp.dump.txt) and the crash
 * reasons with minidump_stackwalk (bp.nosym.norm.txt) over the whole corpus. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "dumpwalk/dumpwalk.h"
#include "mdwriter.h"
#include "test_util.h"

/* ---- helpers ---------------------------------------------------------- */

/* A raw MINIDUMP_EXCEPTION_STREAM with flags (mdw_exception leaves them 0). */
static void add_exception(mdw *w, uint32_t code, uint32_t flags, uint64_t address, uint32_t nparams,
                          const uint64_t *params)
{
    uint8_t e[168] = {0};
    mdw_put32(e + 0, 0x1234);
    mdw_put32(e + 8, code);
    mdw_put32(e + 12, flags);
    mdw_put64(e + 24, address);
    mdw_put32(e + 32, nparams);
    for (uint32_t i = 0; i < nparams && i < 15; i++)
        mdw_put64(e + 40 + 8 * i, params[i]);
    mdw_add_stream(w, DW_STREAM_EXCEPTION, e, sizeof e);
}

/* Reason and crash address of a one-exception dump on the given platform. */
static void check_reason(uint16_t arch, uint32_t platform, uint32_t code, uint32_t flags,
                         uint32_t nparams, const uint64_t *params, const char *want_reason,
                         uint64_t want_address)
{
    mdw *w = mdw_new();
    mdw_system_info(w, arch, 10, 0, 19041, platform, NULL);
    add_exception(w, code, flags, 0xffffffff00401000ull, nparams, params);
    dw_test_dump t = dw_test_open_writer(w);
    dw_dump *d = t.dump;
    const dw_exception *e;
    ck_assert_int_eq(dw_dump_exception(d, &e), DW_OK);
    char reason[128];
    ck_assert_str_eq(dw_exception_reason(d, e, reason, sizeof reason), want_reason);
    ck_assert_uint_eq(dw_exception_crash_address(d, e), want_address);
    dw_test_close(&t);
}

/* ---- Exception: synthetic ----------------------------------------------- */

START_TEST(access_violation_kinds_and_address)
{
    const uint64_t read[] = {0, 0xffffffff00001234ull};
    const uint64_t write[] = {1, 0x20};
    const uint64_t exec[] = {8, 0x3df944};
    const uint64_t odd[] = {3, 0x10};
    /* x86: the fault address is masked to 32 bits (sign-extending writers). */
    check_reason(DW_CPU_X86, DW_PLATFORM_WIN32_NT, 0xc0000005, 0, 2, read,
                 "EXCEPTION_ACCESS_VIOLATION_READ", 0x1234);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_WIN32_NT, 0xc0000005, 0, 2, write,
                 "EXCEPTION_ACCESS_VIOLATION_WRITE", 0x20);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_WIN32_NT, 0xc0000005, 0, 2, exec,
                 "EXCEPTION_ACCESS_VIOLATION_EXEC", 0x3df944);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_WIN32_NT, 0xc0000005, 0, 2, odd,
                 "EXCEPTION_ACCESS_VIOLATION", 0x10);
    /* No parameters: no kind, and the exception address is all there is. */
    check_reason(DW_CPU_AMD64, DW_PLATFORM_WIN32_NT, 0xc0000005, 0, 0, NULL,
                 "EXCEPTION_ACCESS_VIOLATION", 0xffffffff00401000ull);
    check_reason(DW_CPU_X86, DW_PLATFORM_WIN32_NT, 0xc0000005, 0, 0, NULL,
                 "EXCEPTION_ACCESS_VIOLATION", 0x00401000);
}
END_TEST

START_TEST(in_page_error_and_fast_fail)
{
    const uint64_t inpage[] = {1, 0x7ff00000, 0xc000009c};
    check_reason(DW_CPU_AMD64, DW_PLATFORM_WIN32_NT, 0xc0000006, 0, 3, inpage,
                 "EXCEPTION_IN_PAGE_ERROR_WRITE / STATUS_DEVICE_DATA_ERROR", 0x7ff00000);
    const uint64_t inpage_unknown[] = {0, 0x1000, 0xc0dec0de};
    check_reason(DW_CPU_AMD64, DW_PLATFORM_WIN32_NT, 0xc0000006, 0, 3, inpage_unknown,
                 "EXCEPTION_IN_PAGE_ERROR_READ / 0xc0dec0de", 0x1000);
    const uint64_t fatal_app_exit[] = {7};
    check_reason(DW_CPU_AMD64, DW_PLATFORM_WIN32_NT, 0xc0000409, 0, 1, fatal_app_exit,
                 "FAST_FAIL_FATAL_APP_EXIT", 0xffffffff00401000ull);
    const uint64_t bogus_fast_fail[] = {100000};
    check_reason(DW_CPU_AMD64, DW_PLATFORM_WIN32_NT, 0xc0000409, 0, 1, bogus_fast_fail,
                 "EXCEPTION_STACK_BUFFER_OVERRUN", 0xffffffff00401000ull);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_WIN32_NT, 0xc0000409, 0, 0, NULL,
                 "EXCEPTION_STACK_BUFFER_OVERRUN", 0xffffffff00401000ull);
}
END_TEST

START_TEST(windows_named_and_unknown_codes)
{
    check_reason(DW_CPU_AMD64, DW_PLATFORM_WIN32_NT, 0x80000003, 0, 0, NULL, "EXCEPTION_BREAKPOINT",
                 0xffffffff00401000ull);
    check_reason(DW_CPU_X86, DW_PLATFORM_WIN32_NT, 0xc000008c, 0, 0, NULL,
                 "EXCEPTION_BOUNDS_EXCEEDED", 0x00401000);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_WIN32_NT, 0xe06d7363, 1, 0, NULL,
                 "Unhandled C++ Exception", 0xffffffff00401000ull);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_WIN32_NT, 0xc000000d, 0, 0, NULL,
                 "0xc000000d / 0x00000000", 0xffffffff00401000ull);
}
END_TEST

START_TEST(linux_signals_and_si_codes)
{
    check_reason(DW_CPU_AMD64, DW_PLATFORM_LINUX, 11, 1, 0, NULL, "SIGSEGV /SEGV_MAPERR",
                 0xffffffff00401000ull);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_LINUX, 11, 0, 0, NULL, "SIGSEGV /0x00000000",
                 0xffffffff00401000ull);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_ANDROID, 7, 2, 0, NULL, "SIGBUS / BUS_ADRERR",
                 0xffffffff00401000ull);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_LINUX, 4, 2, 0, NULL, "SIGILL / ILL_ILLOPN",
                 0xffffffff00401000ull);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_LINUX, 8, 1, 0, NULL, "SIGFPE / FPE_INTDIV",
                 0xffffffff00401000ull);
    check_reason(DW_CPU_ARM, DW_PLATFORM_LINUX, 6, 0, 0, NULL, "SIGABRT", 0x00401000);
    /* A Windows code on Linux is not an access violation: no parameter lookup. */
    const uint64_t params[] = {1, 0x45};
    check_reason(DW_CPU_AMD64, DW_PLATFORM_LINUX, 0xc0000005, 0, 2, params,
                 "0xc0000005 / 0x00000000", 0xffffffff00401000ull);
}
END_TEST

START_TEST(mach_exceptions)
{
    check_reason(DW_CPU_AMD64, DW_PLATFORM_MAC_OS_X, 1, 1, 0, NULL,
                 "EXC_BAD_ACCESS / KERN_INVALID_ADDRESS", 0xffffffff00401000ull);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_MAC_OS_X, 1, 13, 0, NULL,
                 "EXC_BAD_ACCESS / EXC_I386_GPFLT", 0xffffffff00401000ull);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_MAC_OS_X, 2, 1, 0, NULL,
                 "EXC_BAD_INSTRUCTION / EXC_I386_INVOP", 0xffffffff00401000ull);
    check_reason(DW_CPU_ARM64, DW_PLATFORM_IOS, 6, 1, 0, NULL,
                 "EXC_BREAKPOINT / EXC_ARM_BREAKPOINT", 0xffffffff00401000ull);
    check_reason(DW_CPU_ARM64, DW_PLATFORM_IOS, 5, 0x10002, 0, NULL, "EXC_SOFTWARE / SIGABRT",
                 0xffffffff00401000ull);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_IOS, 0x43506e78, 0, 0, NULL, "Uncaught NSException",
                 0xffffffff00401000ull);
    check_reason(DW_CPU_AMD64, DW_PLATFORM_MAC_OS_X, 0, 0, 0, NULL, "0x00000000 / 0x00000000",
                 0xffffffff00401000ull);
}
END_TEST

START_TEST(exception_without_system_info_is_numeric)
{
    mdw *w = mdw_new();
    const uint64_t params[] = {1, 0x45};
    add_exception(w, 0xc0000005, 0, 0x401000, 2, params);
    dw_test_dump t = dw_test_open_writer(w);
    dw_dump *d = t.dump;
    const dw_exception *e;
    ck_assert_int_eq(dw_dump_exception(d, &e), DW_OK);
    char reason[64];
    ck_assert_str_eq(dw_exception_reason(d, e, reason, sizeof reason), "0xc0000005 / 0x00000000");
    ck_assert_uint_eq(dw_exception_crash_address(d, e), 0x401000);
    /* A tiny buffer is filled safely. */
    char small[6];
    ck_assert_str_eq(dw_exception_reason(d, e, small, sizeof small), "0xc00");
    dw_test_close(&t);
}
END_TEST

START_TEST(exception_fields_and_parameter_overflow)
{
    mdw *w = mdw_new();
    const uint64_t params[] = {1, 2, 3};
    mdw_exception(w, 0xbf4, 0xc0000005, 0x40429e, 3, params, 0xac8, 716);
    uint8_t *buf;
    size_t size;
    buf = mdw_finish(w, &size);
    mdw_free(w);
    size_t dir = mdw_find_dir_entry(buf, size, DW_STREAM_EXCEPTION);
    ck_assert(dir != (size_t)-1);
    uint32_t rva = (uint32_t)(buf[dir + 8] | buf[dir + 9] << 8 | buf[dir + 10] << 16 |
                              (uint32_t)buf[dir + 11] << 24);
    mdw_patch_u32(buf, size, rva + 32, 40); /* NumberParameters > 15 */
    dw_test_dump t = dw_test_open_buffer(buf, size);
    dw_dump *d = t.dump;
    const dw_exception *e;
    ck_assert_int_eq(dw_dump_exception(d, &e), DW_OK);
    ck_assert_uint_eq(e->thread_id, 0xbf4);
    ck_assert_uint_eq(e->code, 0xc0000005);
    ck_assert_uint_eq(e->address, 0x40429e);
    ck_assert_uint_eq(e->parameter_count, 40);
    ck_assert_uint_eq(e->parameters[2], 3);
    ck_assert_uint_eq(e->context_rva, 0xac8);
    ck_assert_uint_eq(e->context_size, 716);
    ck_assert(dw_test_has_issue(d, DW_STREAM_EXCEPTION, ""));
    /* Parsed once: the second call returns the same record, no new issue. */
    size_t issues = dw_dump_health_count(d);
    const dw_exception *again;
    ck_assert_int_eq(dw_dump_exception(d, &again), DW_OK);
    ck_assert_ptr_eq(again, e);
    ck_assert_uint_eq(dw_dump_health_count(d), issues);
    dw_test_close(&t);
}
END_TEST

START_TEST(truncated_exception_stream)
{
    mdw *w = mdw_new();
    uint8_t e[100] = {0};
    mdw_add_stream(w, DW_STREAM_EXCEPTION, e, sizeof e);
    dw_test_dump t = dw_test_open_writer(w);
    dw_dump *d = t.dump;
    const dw_exception *out = (const dw_exception *)1;
    ck_assert_int_eq(dw_dump_exception(d, &out), DW_ERR_TRUNCATED);
    ck_assert_ptr_null(out);
    ck_assert(dw_test_has_issue(d, DW_STREAM_EXCEPTION, ""));
    dw_test_close(&t);
}
END_TEST

START_TEST(code_names)
{
    ck_assert_str_eq(dw_exception_code_name(0xc0000005), "EXCEPTION_ACCESS_VIOLATION");
    ck_assert_str_eq(dw_exception_code_name(0xc0000409), "STATUS_STACK_BUFFER_OVERRUN");
    ck_assert_str_eq(dw_exception_code_name(0xc000000d), "STATUS_INVALID_PARAMETER");
    ck_assert_str_eq(dw_exception_code_name(0x80000003), "EXCEPTION_BREAKPOINT");
    ck_assert_str_eq(dw_exception_code_name(0x4000001f), "STATUS_WX86_BREAKPOINT");
    ck_assert_str_eq(dw_exception_code_name(0xc0000374), "STATUS_HEAP_CORRUPTION");
    ck_assert_str_eq(dw_exception_code_name(0xc000008c), "EXCEPTION_ARRAY_BOUNDS_EXCEEDED");
    ck_assert_ptr_null(dw_exception_code_name(0x12345678));
}
END_TEST

/* ---- SystemInfo: synthetic ---------------------------------------------- */

START_TEST(system_info_fields)
{
    mdw *w = mdw_new();
    mdw_system_info(w, DW_CPU_X86, 5, 1, 2600, DW_PLATFORM_WIN32_NT, "Service Pack 2");
    dw_test_dump t = dw_test_open_writer(w);
    dw_dump *d = t.dump;
    const dw_system_info *si;
    ck_assert_int_eq(dw_dump_system_info(d, &si), DW_OK);
    ck_assert_uint_eq(si->processor_architecture, DW_CPU_X86);
    ck_assert_uint_eq(si->processor_level, 6);
    ck_assert_uint_eq(si->processor_revision, 0x9e0a);
    ck_assert_uint_eq(si->number_of_processors, 8);
    ck_assert_uint_eq(si->product_type, 1);
    ck_assert_uint_eq(si->build_number, 2600);
    ck_assert_uint_eq(si->suite_mask, 0x100);
    ck_assert_str_eq(si->csd_version, "Service Pack 2");
    ck_assert_str_eq(si->vendor_id, "GenuineIntel");
    ck_assert_uint_eq(si->version_information, 0x000906ea);
    ck_assert_uint_eq(si->feature_information, 0xbfebfbff);
    ck_assert_str_eq(si->os_name, "Windows NT");
    ck_assert_str_eq(si->cpu_name, "x86");
    dw_test_close(&t);

    w = mdw_new();
    mdw_system_info(w, DW_CPU_ARM64_OLD, 0, 0, 0, 0xabcd, NULL);
    t = dw_test_open_writer(w);
    d = t.dump;
    ck_assert_int_eq(dw_dump_system_info(d, &si), DW_OK);
    ck_assert_str_eq(si->cpu_name, "arm64");
    ck_assert_str_eq(si->os_name, "0x0000abcd");
    ck_assert_str_eq(si->vendor_id, "");
    ck_assert_uint_eq(si->processor_features[0], 0x7fffff);
    dw_test_close(&t);
}
END_TEST

START_TEST(system_info_truncated_and_bad_csd)
{
    mdw *w = mdw_new();
    mdw_system_info(w, DW_CPU_AMD64, 10, 0, 1, DW_PLATFORM_LINUX, "kernel");
    size_t size;
    uint8_t *buf = mdw_finish(w, &size);
    mdw_free(w);
    size_t dir = mdw_find_dir_entry(buf, size, DW_STREAM_SYSTEM_INFO);
    uint32_t rva = (uint32_t)(buf[dir + 8] | buf[dir + 9] << 8 | buf[dir + 10] << 16 |
                              (uint32_t)buf[dir + 11] << 24);

    /* CSD RVA past the end of the file: damage, the rest is kept. */
    uint8_t *bad_csd = malloc(size);
    memcpy(bad_csd, buf, size);
    mdw_patch_u32(bad_csd, size, rva + 24, 0x7ffffff0);
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open_buffer(bad_csd, size, NULL, &d, NULL), DW_OK);
    const dw_system_info *si;
    ck_assert_int_eq(dw_dump_system_info(d, &si), DW_OK);
    ck_assert_str_eq(si->csd_version, "");
    ck_assert_str_eq(si->os_name, "Linux");
    ck_assert_str_eq(si->cpu_name, "amd64");
    ck_assert(dw_test_has_issue(d, DW_STREAM_SYSTEM_INFO, ""));
    dw_dump_close(d);
    free(bad_csd);

    /* A 40-byte SystemInfo cannot hold MINIDUMP_SYSTEM_INFO. */
    mdw_patch_u32(buf, size, dir + 4, 40);
    ck_assert_int_eq(dw_dump_open_buffer(buf, size, NULL, &d, NULL), DW_OK);
    si = (const dw_system_info *)1;
    ck_assert_int_eq(dw_dump_system_info(d, &si), DW_ERR_TRUNCATED);
    ck_assert_ptr_null(si);
    ck_assert(dw_test_has_issue(d, DW_STREAM_SYSTEM_INFO, ""));
    ck_assert(strstr(dw_dump_last_error(d), "SystemInfo") != NULL);
    dw_dump_close(d);
    free(buf);
}
END_TEST

/* ---- MiscInfo: synthetic ------------------------------------------------ */

static void put_wide(uint8_t *p, const char *ascii)
{
    for (size_t i = 0; ascii[i]; i++)
        mdw_put16(p + 2 * i, (uint16_t)ascii[i]);
}

/* A MiscInfo record of `size` bytes with every field of its version set. */
static uint8_t *make_misc(uint32_t size)
{
    uint8_t *m = calloc(1, size);
    mdw_put32(m + 0, size);
    mdw_put32(m + 4, 0x3f7);
    mdw_put32(m + 8, 33180);
    mdw_put32(m + 12, 0x6716bba8);
    mdw_put32(m + 16, 7);
    mdw_put32(m + 20, 9);
    if (size >= 44) {
        mdw_put32(m + 24, 3701);
        mdw_put32(m + 36, 2);
        mdw_put32(m + 40, 1);
    }
    if (size >= 232) {
        mdw_put32(m + 44, 0x2000);
        mdw_put32(m + 56, 2);          /* TimeZoneId */
        mdw_put32(m + 60, 0xffffffc4); /* Bias -60 */
        put_wide(m + 64, "GMT Standard Time");
        mdw_put16(m + 128 + 2, 10); /* StandardDate.wMonth */
        put_wide(m + 148, "GMT Daylight Time");
        mdw_put32(m + 228, 0xffffffc4); /* DaylightBias -60 */
    }
    if (size >= 832) {
        put_wide(m + 232, "22621.1.amd64fre.ni_release.220506-1250");
        put_wide(m + 752, "dbgcore.amd64,10.0.22621.1");
    }
    if (size >= 1364) {
        mdw_put32(m + 832, 528);
        mdw_put32(m + 836, 1663);
        mdw_put64(m + 840, 7);
        mdw_put32(m + 1360, 2080657941);
    }
    return m;
}

START_TEST(misc_info_each_version)
{
    static const struct {
        uint32_t size;
        int version;
    } cases[] = {{24, 1}, {44, 2}, {232, 3}, {832, 4}, {1364, 5}, {1368, 5}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mdw *w = mdw_new();
        uint8_t *m = make_misc(cases[i].size);
        mdw_add_stream(w, DW_STREAM_MISC_INFO, m, cases[i].size);
        free(m);
        dw_test_dump t = dw_test_open_writer(w);
        dw_dump *d = t.dump;
        const dw_misc_info *mi;
        ck_assert_int_eq(dw_dump_misc_info(d, &mi), DW_OK);
        ck_assert_int_eq(mi->version, cases[i].version);
        ck_assert_uint_eq(mi->size_of_info, cases[i].size);
        ck_assert_uint_eq(mi->flags1, 0x3f7);
        ck_assert_uint_eq(mi->process_id, 33180);
        ck_assert_uint_eq(mi->process_create_time, 0x6716bba8);
        ck_assert_uint_eq(mi->process_user_time, 7);
        ck_assert_uint_eq(mi->process_kernel_time, 9);
        int v = cases[i].version;
        ck_assert_uint_eq(mi->processor_max_mhz, v >= 2 ? 3701 : 0);
        ck_assert_uint_eq(mi->processor_current_idle_state, v >= 2 ? 1 : 0);
        ck_assert_uint_eq(mi->process_integrity_level, v >= 3 ? 0x2000 : 0);
        ck_assert_uint_eq(mi->time_zone_id, v >= 3 ? 2 : 0);
        ck_assert_int_eq(mi->time_zone.bias, v >= 3 ? -60 : 0);
        ck_assert_str_eq(mi->time_zone.standard_name, v >= 3 ? "GMT Standard Time" : "");
        ck_assert_uint_eq(mi->time_zone.standard_date.month, v >= 3 ? 10 : 0);
        ck_assert_str_eq(mi->time_zone.daylight_name, v >= 3 ? "GMT Daylight Time" : "");
        ck_assert_int_eq(mi->time_zone.daylight_bias, v >= 3 ? -60 : 0);
        ck_assert_str_eq(mi->build_string, v >= 4 ? "22621.1.amd64fre.ni_release.220506-1250" : "");
        ck_assert_str_eq(mi->dbg_bld_str, v >= 4 ? "dbgcore.amd64,10.0.22621.1" : "");
        ck_assert_uint_eq(mi->xstate_size_of_info, v >= 5 ? 528 : 0);
        ck_assert_uint_eq(mi->xstate_context_size, v >= 5 ? 1663 : 0);
        ck_assert_uint_eq(mi->xstate_enabled_features, v >= 5 ? 7 : 0);
        ck_assert_uint_eq(mi->process_cookie, v >= 5 ? 2080657941u : 0);
        ck_assert_uint_eq(dw_dump_health_count(d), 0);
        dw_test_close(&t);
    }
}
END_TEST

START_TEST(misc_info_damaged_sizes)
{
    /* SizeOfInfo claims v3 but the stream holds 44 bytes: v2 fields survive. */
    mdw *w = mdw_new();
    uint8_t *m = make_misc(232);
    mdw_add_stream(w, DW_STREAM_MISC_INFO, m, 44);
    free(m);
    dw_test_dump t = dw_test_open_writer(w);
    dw_dump *d = t.dump;
    const dw_misc_info *mi;
    ck_assert_int_eq(dw_dump_misc_info(d, &mi), DW_OK);
    ck_assert_int_eq(mi->version, 2);
    ck_assert_uint_eq(mi->processor_max_mhz, 3701);
    ck_assert_str_eq(mi->time_zone.standard_name, "");
    ck_assert(dw_test_has_issue(d, DW_STREAM_MISC_INFO, ""));
    dw_test_close(&t);

    /* A 16-byte stream is not a MiscInfo at all. */
    w = mdw_new();
    mdw_misc_info(w, 16, 1, 2);
    t = dw_test_open_writer(w);
    d = t.dump;
    ck_assert_int_ne(dw_dump_misc_info(d, &mi), DW_OK);
    ck_assert_ptr_null(mi);
    ck_assert(dw_test_has_issue(d, DW_STREAM_MISC_INFO, ""));
    dw_test_close(&t);
}
END_TEST

/* ---- Missing streams, small streams ---------------------------------------- */

START_TEST(missing_streams_are_not_found)
{
    mdw *w = mdw_new();
    mdw_system_info(w, DW_CPU_AMD64, 10, 0, 1, DW_PLATFORM_WIN32_NT, NULL);
    dw_test_dump t = dw_test_open_writer(w);
    dw_dump *d = t.dump;
    const void *p;
    const char *text;
    size_t len;
    ck_assert_int_eq(dw_dump_misc_info(d, (const dw_misc_info **)&p), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_dump_exception(d, (const dw_exception **)&p), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_dump_breakpad_info(d, (const dw_breakpad_info **)&p), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_dump_crashpad_info(d, (const dw_crashpad_info **)&p), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_dump_assertion_info(d, (const dw_assertion_info **)&p), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_dump_comment(d, DW_STREAM_COMMENT_A, &text), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_dump_comment(d, DW_STREAM_COMMENT_W, &text), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_dump_comment(d, DW_STREAM_SYSTEM_INFO, &text), DW_ERR_INVALID_ARG);
    ck_assert_int_eq(dw_dump_stream_text(d, DW_STREAM_LINUX_MAPS, &text, &len), DW_ERR_NOT_FOUND);
    ck_assert_int_eq(dw_dump_stream_text(d, DW_STREAM_SYSTEM_INFO, &text, &len),
                     DW_ERR_INVALID_ARG);
    ck_assert_int_eq(dw_dump_stream_text(d, DW_STREAM_LINUX_DSO_DEBUG, &text, &len),
                     DW_ERR_INVALID_ARG);
    ck_assert_int_eq(dw_dump_stream_text(d, DW_STREAM_BREAKPAD_INFO, &text, &len),
                     DW_ERR_INVALID_ARG);
    ck_assert_uint_eq(dw_dump_health_count(d), 0);
    dw_test_close(&t);
}
END_TEST

START_TEST(breakpad_assertion_comments_and_text)
{
    mdw *w = mdw_new();
    uint8_t bi[12];
    mdw_put32(bi, 3);
    mdw_put32(bi + 4, 0x11c0);
    mdw_put32(bi + 8, 0xbf4);
    mdw_add_stream(w, DW_STREAM_BREAKPAD_INFO, bi, sizeof bi);
    uint8_t as[776] = {0};
    put_wide(as, "format != nullptr");
    put_wide(as + 256, "common_vfprintf");
    put_wide(as + 512, "output.cpp");
    mdw_put32(as + 768, 32);
    mdw_put32(as + 772, 1);
    mdw_add_stream(w, DW_STREAM_ASSERTION_INFO, as, sizeof as);
    mdw_add_stream(w, DW_STREAM_COMMENT_A, "hello A", 7); /* no terminator */
    uint8_t cw[10] = {0};
    mdw_put16(cw, 'h');
    mdw_put16(cw + 2, 0x00e9);
    mdw_add_stream(w, DW_STREAM_COMMENT_W, cw, sizeof cw);
    static const char cmdline[] = "/bin/app\0--flag\0";
    mdw_add_stream(w, DW_STREAM_LINUX_CMD_LINE, cmdline, sizeof cmdline - 1);
    dw_test_dump t = dw_test_open_writer(w);
    dw_dump *d = t.dump;

    const dw_breakpad_info *b;
    ck_assert_int_eq(dw_dump_breakpad_info(d, &b), DW_OK);
    ck_assert_uint_eq(b->validity, 3);
    ck_assert_uint_eq(b->dump_thread_id, 0x11c0);
    ck_assert_uint_eq(b->requesting_thread_id, 0xbf4);
    const dw_assertion_info *a;
    ck_assert_int_eq(dw_dump_assertion_info(d, &a), DW_OK);
    ck_assert_str_eq(a->expression, "format != nullptr");
    ck_assert_str_eq(a->function, "common_vfprintf");
    ck_assert_str_eq(a->file, "output.cpp");
    ck_assert_uint_eq(a->line, 32);
    ck_assert_uint_eq(a->type, 1);
    const char *text;
    ck_assert_int_eq(dw_dump_comment(d, DW_STREAM_COMMENT_A, &text), DW_OK);
    ck_assert_str_eq(text, "hello A");
    ck_assert_int_eq(dw_dump_comment(d, DW_STREAM_COMMENT_W, &text), DW_OK);
    ck_assert_str_eq(text, "h\xc3\xa9");
    size_t len;
    ck_assert_int_eq(dw_dump_stream_text(d, DW_STREAM_LINUX_CMD_LINE, &text, &len), DW_OK);
    ck_assert_uint_eq(len, sizeof cmdline - 1);
    ck_assert_int_eq(memcmp(text, cmdline, len), 0);
    dw_test_close(&t);
}
END_TEST

START_TEST(short_breakpad_and_assertion_streams)
{
    mdw *w = mdw_new();
    uint8_t small[8] = {0};
    mdw_add_stream(w, DW_STREAM_BREAKPAD_INFO, small, sizeof small);
    mdw_add_stream(w, DW_STREAM_ASSERTION_INFO, small, sizeof small);
    mdw_add_stream(w, DW_STREAM_CRASHPAD_INFO, small, sizeof small);
    dw_test_dump t = dw_test_open_writer(w);
    dw_dump *d = t.dump;
    const void *p;
    ck_assert_int_eq(dw_dump_breakpad_info(d, (const dw_breakpad_info **)&p), DW_ERR_TRUNCATED);
    ck_assert_int_eq(dw_dump_assertion_info(d, (const dw_assertion_info **)&p), DW_ERR_TRUNCATED);
    ck_assert_int_eq(dw_dump_crashpad_info(d, (const dw_crashpad_info **)&p), DW_ERR_TRUNCATED);
    ck_assert_uint_eq(dw_dump_health_count(d), 3);
    dw_test_close(&t);
}
END_TEST

/* ---- CrashpadInfo: synthetic ------------------------------------------------- */

static uint32_t append_utf8(mdw *w, const char *s)
{
    size_t n = strlen(s);
    uint8_t *b = calloc(1, n + 5);
    mdw_put32(b, (uint32_t)n);
    memcpy(b + 4, s, n);
    uint32_t rva = mdw_append(w, b, n + 5);
    free(b);
    return rva;
}

/* MinidumpSimpleStringDictionary of `n` pairs; returns its RVA, *size its bytes. */
static uint32_t append_dict(mdw *w, const char *const *kv, uint32_t n, uint32_t *size)
{
    uint32_t *rvas = calloc(2 * n + 1, sizeof *rvas);
    for (uint32_t i = 0; i < 2 * n; i++)
        rvas[i] = append_utf8(w, kv[i]);
    *size = 4 + 8 * n;
    uint8_t *b = calloc(1, *size);
    mdw_put32(b, n);
    for (uint32_t i = 0; i < 2 * n; i++)
        mdw_put32(b + 4 + 4 * i, rvas[i]);
    uint32_t rva = mdw_append(w, b, *size);
    free(b);
    free(rvas);
    return rva;
}

/* Returns the finished dump; *declared_count_off is the file offset of the
 * module-list count (for the malformed variant). */
static uint8_t *crashpad_dump(size_t *size, uint32_t *module_list_rva)
{
    mdw *w = mdw_new();
    static const char *const top[] = {"prod", "xcuitest", "ver", "1"};
    uint32_t top_size;
    uint32_t top_rva = append_dict(w, top, 2, &top_size);
    static const char *const mod_simple[] = {"k", "v"};
    uint32_t ms_size;
    uint32_t ms_rva = append_dict(w, mod_simple, 1, &ms_size);
    uint32_t l0 = append_utf8(w, "abort() called");
    uint8_t list[8];
    mdw_put32(list, 1);
    mdw_put32(list + 4, l0);
    uint32_t list_rva = mdw_append(w, list, sizeof list);
    /* One annotation object: name "counter", type 0x802a, 4 value bytes. */
    uint32_t name_rva = append_utf8(w, "counter");
    uint8_t value[8];
    mdw_put32(value, 4);
    mdw_put32(value + 4, 1);
    uint32_t value_rva = mdw_append(w, value, sizeof value);
    uint8_t objs[16];
    mdw_put32(objs, 1);
    mdw_put32(objs + 4, name_rva);
    mdw_put16(objs + 8, 0x802a);
    mdw_put16(objs + 10, 0);
    mdw_put32(objs + 12, value_rva);
    uint32_t objs_rva = mdw_append(w, objs, sizeof objs);
    uint8_t mod[28];
    mdw_put32(mod, 1);
    mdw_put32(mod + 4, sizeof list);
    mdw_put32(mod + 8, list_rva);
    mdw_put32(mod + 12, ms_size);
    mdw_put32(mod + 16, ms_rva);
    mdw_put32(mod + 20, sizeof objs);
    mdw_put32(mod + 24, objs_rva);
    uint32_t mod_rva = mdw_append(w, mod, sizeof mod);
    uint8_t links[16];
    mdw_put32(links, 1);
    mdw_put32(links + 4, 16); /* minidump_module_list_index */
    mdw_put32(links + 8, sizeof mod);
    mdw_put32(links + 12, mod_rva);
    *module_list_rva = mdw_append(w, links, sizeof links);
    uint8_t ci[52];
    mdw_put32(ci, 1);
    for (int i = 0; i < 16; i++) {
        ci[4 + i] = (uint8_t)(0x10 + i);
        ci[20 + i] = (uint8_t)(0xf0 - i);
    }
    mdw_put32(ci + 36, top_size);
    mdw_put32(ci + 40, top_rva);
    mdw_put32(ci + 44, sizeof links);
    mdw_put32(ci + 48, *module_list_rva);
    mdw_add_stream(w, DW_STREAM_CRASHPAD_INFO, ci, sizeof ci);
    uint8_t *buf = mdw_finish(w, size);
    mdw_free(w);
    return buf;
}

START_TEST(crashpad_annotations_synthetic)
{
    size_t size;
    uint32_t links_rva;
    uint8_t *buf = crashpad_dump(&size, &links_rva);
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open_buffer(buf, size, NULL, &d, NULL), DW_OK);
    const dw_crashpad_info *ci;
    ck_assert_int_eq(dw_dump_crashpad_info(d, &ci), DW_OK);
    ck_assert_uint_eq(ci->version, 1);
    ck_assert_str_eq(ci->report_id, "13121110-1514-1716-1819-1a1b1c1d1e1f");
    ck_assert_str_eq(ci->client_id, "edeeeff0-ebec-e9ea-e8e7-e6e5e4e3e2e1");
    ck_assert_uint_eq(ci->simple_annotation_count, 2);
    ck_assert_str_eq(ci->simple_annotations[0].key, "prod");
    ck_assert_str_eq(ci->simple_annotations[0].value, "xcuitest");
    ck_assert_str_eq(ci->simple_annotations[1].key, "ver");
    ck_assert_str_eq(ci->simple_annotations[1].value, "1");
    ck_assert_uint_eq(ci->module_count, 1);
    const dw_crashpad_module *m = &ci->modules[0];
    ck_assert_uint_eq(m->module_index, 16);
    ck_assert_uint_eq(m->list_annotation_count, 1);
    ck_assert_str_eq(m->list_annotations[0], "abort() called");
    ck_assert_uint_eq(m->simple_annotation_count, 1);
    ck_assert_str_eq(m->simple_annotations[0].key, "k");
    const dw_crashpad_object_list *objs;
    ck_assert_int_eq(dw_crashpad_module_objects(d, 0, &objs), DW_OK);
    ck_assert_uint_eq(objs->count, 1);
    ck_assert_str_eq(objs->items[0].name, "counter");
    ck_assert_uint_eq(objs->items[0].type, 0x802a);
    ck_assert_uint_eq(objs->items[0].value_size, 4);
    ck_assert_uint_eq(objs->items[0].value[0], 1);
    ck_assert_int_eq(dw_crashpad_module_objects(d, 1, &objs), DW_ERR_NOT_FOUND);
    ck_assert_uint_eq(dw_dump_health_count(d), 0);
    dw_dump_close(d);

    /* A module list declaring 4 billion entries: bounded, reported, no crash. */
    mdw_patch_u32(buf, size, links_rva, 0xffffffff);
    ck_assert_int_eq(dw_dump_open_buffer(buf, size, NULL, &d, NULL), DW_OK);
    ck_assert_int_eq(dw_dump_crashpad_info(d, &ci), DW_OK);
    ck_assert_uint_eq(ci->module_count, 1);
    ck_assert_uint_eq(ci->simple_annotation_count, 2);
    ck_assert(dw_test_has_issue(d, DW_STREAM_CRASHPAD_INFO, ""));
    dw_dump_close(d);
    free(buf);
}
END_TEST

/* ---- Real dumps vs Breakpad's minidump_dump --------------------------------- */

/* A minidump_dump output as blocks of "key = value" lines. */
typedef struct kv {
    char *key;
    char *value;
} kv;

typedef struct mdblock {
    char *name;
    kv *fields;
    size_t count;
} mdblock;

typedef struct mdfile {
    mdblock *blocks;
    size_t count;
} mdfile;

static char *trim_dup(const char *s, size_t n)
{
    while (n && (s[0] == ' '))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return strndup(s, n);
}

static int load_mdfile(const char *path, mdfile *f)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    memset(f, 0, sizeof *f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, fp)) > 0) {
        if (line[0] != ' ' && line[0] != '\n' && !strstr(line, " = ")) {
            f->blocks = realloc(f->blocks, (f->count + 1) * sizeof *f->blocks);
            f->blocks[f->count].name = trim_dup(line, (size_t)n);
            f->blocks[f->count].fields = NULL;
            f->blocks[f->count].count = 0;
            f->count++;
            continue;
        }
        char *eq = strstr(line, " = ");
        if (!f->count || !eq || line[0] != ' ')
            continue;
        mdblock *b = &f->blocks[f->count - 1];
        b->fields = realloc(b->fields, (b->count + 1) * sizeof *b->fields);
        b->fields[b->count].key = trim_dup(line, (size_t)(eq - line));
        b->fields[b->count].value = trim_dup(eq + 3, strlen(eq + 3));
        b->count++;
    }
    free(line);
    fclose(fp);
    return 1;
}

static void free_mdfile(mdfile *f)
{
    for (size_t i = 0; i < f->count; i++) {
        for (size_t j = 0; j < f->blocks[i].count; j++) {
            free(f->blocks[i].fields[j].key);
            free(f->blocks[i].fields[j].value);
        }
        free(f->blocks[i].fields);
        free(f->blocks[i].name);
    }
    free(f->blocks);
}

static const mdblock *find_block(const mdfile *f, const char *name)
{
    for (size_t i = 0; i < f->count; i++) {
        if (!strcmp(f->blocks[i].name, name))
            return &f->blocks[i];
    }
    return NULL;
}

static const char *field(const mdblock *b, const char *key)
{
    for (size_t i = 0; b && i < b->count; i++) {
        if (!strcmp(b->fields[i].key, key))
            return b->fields[i].value;
    }
    return NULL;
}

/* Compare a numeric field when Breakpad printed it ("0x1f", "24", "-60",
 * "0x45d35f73 2007-02-14 ...").  Returns 1 when compared. */
static int check_num(const char *dump, const mdblock *b, const char *key, int64_t ours)
{
    const char *v = field(b, key);
    /* "(invalid)": Breakpad withholds fields whose MiscInfo flag is clear. */
    if (!v || !strcmp(v, "(invalid)"))
        return 0;
    int64_t theirs = v[0] == '-' ? strtoll(v, NULL, 0) : (int64_t)strtoull(v, NULL, 0);
    /* Breakpad prints some u32 fields (process_cookie) as signed. */
    int same = v[0] == '-' ? (uint32_t)theirs == (uint32_t)ours : theirs == ours;
    ck_assert_msg(same, "%s: %s %s = %s, dumpwalk has 0x%" PRIx64, dump, b->name, key, v,
                  (uint64_t)ours);
    return 1;
}

static int check_str(const char *dump, const mdblock *b, const char *key, const char *ours)
{
    const char *v = field(b, key);
    if (!v || !strcmp(v, "(invalid)"))
        return 0;
    char quoted[1200];
    if (v[0] == '"') {
        snprintf(quoted, sizeof quoted, "\"%s\"", ours);
        ours = quoted;
    }
    ck_assert_msg(!strcmp(v, ours), "%s: %s %s = [%s], dumpwalk has [%s]", dump, b->name, key, v,
                  ours);
    return 1;
}

static int compare_system_info(const char *rel, dw_dump *d, const mdfile *f)
{
    const mdblock *b = find_block(f, "MDRawSystemInfo");
    const dw_system_info *si;
    if (!b)
        return 0;
    ck_assert_int_eq(dw_dump_system_info(d, &si), DW_OK);
    check_num(rel, b, "processor_architecture", si->processor_architecture);
    check_num(rel, b, "processor_level", si->processor_level);
    check_num(rel, b, "processor_revision", si->processor_revision);
    check_num(rel, b, "number_of_processors", si->number_of_processors);
    check_num(rel, b, "product_type", si->product_type);
    check_num(rel, b, "major_version", si->major_version);
    check_num(rel, b, "minor_version", si->minor_version);
    check_num(rel, b, "build_number", si->build_number);
    check_num(rel, b, "platform_id", si->platform_id);
    check_num(rel, b, "suite_mask", si->suite_mask);
    const char *csd = field(b, "(csd_version)");
    if (csd && strcmp(csd, "(null)"))
        check_str(rel, b, "(csd_version)", si->csd_version);
    const char *vendor = field(b, "(cpu_vendor)");
    if (vendor && strcmp(vendor, "(null)"))
        check_str(rel, b, "(cpu_vendor)", si->vendor_id);
    if (si->processor_architecture == DW_CPU_X86)
        check_num(rel, b, "cpu.x86_cpu_info.feature_information", si->feature_information);
    return 1;
}

static int compare_misc_info(const char *rel, dw_dump *d, const mdfile *f)
{
    const mdblock *b = find_block(f, "MDRawMiscInfo");
    const dw_misc_info *mi;
    if (!b)
        return 0;
    ck_assert_int_eq(dw_dump_misc_info(d, &mi), DW_OK);
    check_num(rel, b, "size_of_info", mi->size_of_info);
    check_num(rel, b, "flags1", mi->flags1);
    check_num(rel, b, "process_id", mi->process_id);
    check_num(rel, b, "process_create_time", mi->process_create_time);
    check_num(rel, b, "process_user_time", mi->process_user_time);
    check_num(rel, b, "process_kernel_time", mi->process_kernel_time);
    check_num(rel, b, "processor_max_mhz", mi->processor_max_mhz);
    check_num(rel, b, "processor_current_mhz", mi->processor_current_mhz);
    check_num(rel, b, "processor_mhz_limit", mi->processor_mhz_limit);
    check_num(rel, b, "processor_max_idle_state", mi->processor_max_idle_state);
    check_num(rel, b, "processor_current_idle_state", mi->processor_current_idle_state);
    check_num(rel, b, "process_integrity_level", mi->process_integrity_level);
    check_num(rel, b, "process_execute_flags", mi->process_execute_flags);
    check_num(rel, b, "protected_process", mi->protected_process);
    check_num(rel, b, "time_zone_id", mi->time_zone_id);
    check_num(rel, b, "time_zone.bias", mi->time_zone.bias);
    check_num(rel, b, "time_zone.standard_bias", mi->time_zone.standard_bias);
    check_num(rel, b, "time_zone.daylight_bias", mi->time_zone.daylight_bias);
    check_str(rel, b, "time_zone.standard_name", mi->time_zone.standard_name);
    check_str(rel, b, "time_zone.daylight_name", mi->time_zone.daylight_name);
    check_str(rel, b, "build_string", mi->build_string);
    check_str(rel, b, "dbg_bld_str", mi->dbg_bld_str);
    check_num(rel, b, "xstate_data.size_of_info", mi->xstate_size_of_info);
    check_num(rel, b, "xstate_data.context_size", mi->xstate_context_size);
    check_num(rel, b, "xstate_data.enabled_features", (int64_t)mi->xstate_enabled_features);
    check_num(rel, b, "process_cookie", mi->process_cookie);
    return 1;
}

static int compare_exception(const char *rel, dw_dump *d, const mdfile *f)
{
    const mdblock *b = find_block(f, "MDException");
    const dw_exception *e;
    if (!b)
        return 0;
    ck_assert_int_eq(dw_dump_exception(d, &e), DW_OK);
    check_num(rel, b, "thread_id", e->thread_id);
    check_num(rel, b, "exception_record.exception_code", e->code);
    check_num(rel, b, "exception_record.exception_flags", e->flags);
    check_num(rel, b, "exception_record.exception_record", (int64_t)e->record);
    check_num(rel, b, "exception_record.exception_address", (int64_t)e->address);
    check_num(rel, b, "exception_record.number_parameters", e->parameter_count);
    for (int i = 0; i < DW_EXCEPTION_MAX_PARAMETERS; i++) {
        char key[64];
        snprintf(key, sizeof key, "exception_record.exception_information[%2d]", i);
        check_num(rel, b, key, (int64_t)e->parameters[i]);
    }
    check_num(rel, b, "thread_context.data_size", e->context_size);
    check_num(rel, b, "thread_context.rva", e->context_rva);
    return 1;
}

static int compare_breakpad_and_assertion(const char *rel, dw_dump *d, const mdfile *f)
{
    int compared = 0;
    const mdblock *b = find_block(f, "MDRawBreakpadInfo");
    if (b) {
        const dw_breakpad_info *bi;
        ck_assert_int_eq(dw_dump_breakpad_info(d, &bi), DW_OK);
        check_num(rel, b, "validity", bi->validity);
        check_num(rel, b, "dump_thread_id", bi->dump_thread_id);
        check_num(rel, b, "requesting_thread_id", bi->requesting_thread_id);
        compared++;
    }
    b = find_block(f, "MDAssertion");
    if (b) {
        const dw_assertion_info *a;
        ck_assert_int_eq(dw_dump_assertion_info(d, &a), DW_OK);
        check_str(rel, b, "expression", a->expression);
        check_str(rel, b, "function", a->function);
        check_str(rel, b, "file", a->file);
        check_num(rel, b, "line", a->line);
        check_num(rel, b, "type", a->type);
        compared++;
    }
    return compared;
}

static void hex_bytes(const uint8_t *p, size_t n, char *out, size_t out_size)
{
    out[0] = '\0';
    for (size_t i = 0; i < n && 2 * i + 3 <= out_size; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* Breakpad prints every annotation of MDRawCrashpadInfo as one line:
 * simple_annotations["k"] = v, module_list[i].list_annotations[j] = v,
 * module_list[i].crashpad_annotations["name"] (type = t) = value. */
static int compare_crashpad(const char *rel, dw_dump *d, const mdfile *f)
{
    const mdblock *b = find_block(f, "MDRawCrashpadInfo");
    const dw_crashpad_info *ci;
    if (!b)
        return 0;
    ck_assert_int_eq(dw_dump_crashpad_info(d, &ci), DW_OK);
    check_num(rel, b, "version", ci->version);
    check_str(rel, b, "report_id", ci->report_id);
    check_str(rel, b, "client_id", ci->client_id);
    char key[2048];
    for (size_t i = 0; i < ci->simple_annotation_count; i++) {
        snprintf(key, sizeof key, "simple_annotations[\"%s\"]", ci->simple_annotations[i].key);
        ck_assert_msg(check_str(rel, b, key, ci->simple_annotations[i].value), "%s: no %s", rel,
                      key);
    }
    size_t lines = 0;
    for (size_t i = 0; i < b->count; i++)
        lines += strncmp(b->fields[i].key, "simple_annotations[", 19) == 0;
    ck_assert_uint_eq(lines, ci->simple_annotation_count);
    for (size_t m = 0; m < ci->module_count; m++) {
        const dw_crashpad_module *mod = &ci->modules[m];
        snprintf(key, sizeof key, "module_list[%zu].minidump_module_list_index", m);
        ck_assert(check_num(rel, b, key, mod->module_index));
        for (size_t j = 0; j < mod->list_annotation_count; j++) {
            snprintf(key, sizeof key, "module_list[%zu].list_annotations[%zu]", m, j);
            ck_assert(check_str(rel, b, key, mod->list_annotations[j]));
        }
        for (size_t j = 0; j < mod->simple_annotation_count; j++) {
            snprintf(key, sizeof key, "module_list[%zu].simple_annotations[\"%s\"]", m,
                     mod->simple_annotations[j].key);
            ck_assert(check_str(rel, b, key, mod->simple_annotations[j].value));
        }
        const dw_crashpad_object_list *objs;
        ck_assert_int_eq(dw_crashpad_module_objects(d, m, &objs), DW_OK);
        for (size_t j = 0; j < objs->count; j++) {
            const dw_crashpad_annotation_object *o = &objs->items[j];
            /* The line splits at its first " = ", inside "(type = N)". */
            snprintf(key, sizeof key, "module_list[%zu].crashpad_annotations[\"%s\"] (type", m,
                     o->name);
            char hex[1024], want[1200];
            const char *value = (const char *)o->value;
            if (o->type != DW_CRASHPAD_ANNOTATION_STRING) {
                hex_bytes(o->value, o->value_size, hex, sizeof hex);
                value = hex;
            }
            snprintf(want, sizeof want, "%u) = %s", o->type, value);
            ck_assert_msg(check_str(rel, b, key, want), "%s: no %s", rel, key);
        }
    }
    return 1;
}

START_TEST(minidump2_matches_minidump_dump)
{
    const char *expected = dw_test_shared_path("corpus/breakpad/expected/minidump2.dump.out");
    if (!expected)
        return;
    mdfile f;
    ck_assert(load_mdfile(expected, &f));
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open(corpus_abs("breakpad/minidump2.dmp"), NULL, &d, NULL), DW_OK);
    ck_assert(compare_system_info("minidump2", d, &f));
    ck_assert(compare_misc_info("minidump2", d, &f));
    ck_assert(compare_exception("minidump2", d, &f));
    ck_assert_int_eq(compare_breakpad_and_assertion("minidump2", d, &f), 1);
    const dw_system_info *si;
    dw_dump_system_info(d, &si);
    ck_assert_str_eq(si->csd_version, "Service Pack 2");
    ck_assert_str_eq(si->vendor_id, "GenuineIntel");
    const dw_misc_info *mi;
    dw_dump_misc_info(d, &mi);
    ck_assert_uint_eq(mi->process_id, 3932);
    dw_dump_close(d);
    free_mdfile(&f);
}
END_TEST

START_TEST(corpus_streams_match_minidump_dump)
{
    const char *const *paths;
    size_t n = corpus_dumps(&paths);
    size_t compared[5] = {0};
    for (size_t i = 0; i < n; i++) {
        const char *oracle = corpus_oracle(paths[i], "bp.dump.txt");
        mdfile f;
        if (!oracle || !load_mdfile(oracle, &f))
            continue;
        dw_dump *d;
        if (dw_dump_open(corpus_abs(paths[i]), NULL, &d, NULL) == DW_OK) {
            compared[0] += compare_system_info(paths[i], d, &f);
            compared[1] += compare_misc_info(paths[i], d, &f);
            compared[2] += compare_exception(paths[i], d, &f);
            compared[3] += compare_breakpad_and_assertion(paths[i], d, &f);
            compared[4] += compare_crashpad(paths[i], d, &f);
            dw_dump_close(d);
        }
        free_mdfile(&f);
    }
    if (n == 0)
        return;
    /* The corpus has dozens of each; make sure the comparison really ran. */
    ck_assert_uint_ge(compared[0], 40);
    ck_assert_uint_ge(compared[1], 35);
    ck_assert_uint_ge(compared[2], 40);
    ck_assert_uint_ge(compared[3], 15);
    ck_assert_uint_ge(compared[4], 3);
}
END_TEST

/* The `crash reason=... address=...` record of minidump_stackwalk. */
static int oracle_crash(const char *path, char *reason, size_t reason_size, char *address,
                        size_t address_size)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    int found = 0;
    while (!found && getline(&line, &cap, fp) > 0) {
        if (strncmp(line, "crash\t", 6))
            continue;
        char *r = strstr(line, "reason=");
        char *a = strstr(line, "\taddress=");
        if (!r || !a)
            continue;
        snprintf(reason, reason_size, "%.*s", (int)(a - r - 7), r + 7);
        a += 9;
        snprintf(address, address_size, "%.*s", (int)strcspn(a, "\t\n"), a);
        found = 1;
    }
    free(line);
    fclose(fp);
    return found;
}

START_TEST(corpus_crash_reasons_match_stackwalk)
{
    const char *const *paths;
    size_t n = corpus_dumps(&paths);
    size_t compared = 0;
    for (size_t i = 0; i < n; i++) {
        const char *oracle = corpus_oracle(paths[i], "bp.nosym.norm.txt");
        char want_reason[256], want_address[64];
        if (!oracle || !oracle_crash(oracle, want_reason, sizeof want_reason, want_address,
                                     sizeof want_address))
            continue;
        dw_dump *d;
        ck_assert_int_eq(dw_dump_open(corpus_abs(paths[i]), NULL, &d, NULL), DW_OK);
        const dw_exception *e;
        dw_status st = dw_dump_exception(d, &e);
        if (!strcmp(want_reason, "No crash")) {
            ck_assert_msg(st == DW_ERR_NOT_FOUND, "%s: Breakpad saw no crash", paths[i]);
        } else {
            ck_assert_msg(st == DW_OK, "%s: exception stream: %s", paths[i], dw_dump_last_error(d));
            char reason[256], address[64];
            dw_exception_reason(d, e, reason, sizeof reason);
            snprintf(address, sizeof address, "0x%" PRIx64, dw_exception_crash_address(d, e));
            ck_assert_msg(!strcmp(reason, want_reason), "%s: reason [%s], Breakpad [%s]", paths[i],
                          reason, want_reason);
            ck_assert_msg(!strcmp(address, want_address), "%s: address %s, Breakpad %s", paths[i],
                          address, want_address);
            compared++;
        }
        dw_dump_close(d);
    }
    if (n)
        ck_assert_uint_ge(compared, 44);
}
END_TEST

START_TEST(crashpad_annotation_dumps)
{
    dw_dump *d;
    const char *path = dw_test_shared_path("corpus/breakpad/minidump_crashpad_annotation.dmp");
    if (!path)
        return;
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    const dw_crashpad_info *ci;
    ck_assert_int_eq(dw_dump_crashpad_info(d, &ci), DW_OK);
    ck_assert_str_eq(ci->report_id, "725058a6-7289-480f-8a41-517bd0ba216b");
    ck_assert_str_eq(ci->client_id, "051a4158-d7ae-4c3c-882e-cd6380d95137");
    ck_assert_uint_eq(ci->simple_annotation_count, 4);
    ck_assert_str_eq(ci->simple_annotations[1].key, "plat");
    ck_assert_str_eq(ci->simple_annotations[1].value, "iOS");
    ck_assert_uint_eq(ci->modules[0].module_index, 1);
    const dw_crashpad_object_list *objs;
    ck_assert_int_eq(dw_crashpad_module_objects(d, 0, &objs), DW_OK);
    ck_assert_uint_ge(objs->count, 2);
    ck_assert_str_eq(objs->items[1].name, "exceptionName");
    ck_assert_str_eq((const char *)objs->items[1].value, "NSRangeException");
    ck_assert_uint_eq(dw_dump_health_count(d), 0);
    dw_dump_close(d);

    path = dw_test_shared_path("corpus/rust-minidump/simple-crashpad.dmp");
    ck_assert_ptr_nonnull(path);
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    ck_assert_int_eq(dw_dump_crashpad_info(d, &ci), DW_OK);
    ck_assert_str_eq(ci->report_id, "42f9de72-518a-43dd-97d7-8ddc328d3662");
    ck_assert_uint_eq(ci->simple_annotation_count, 1);
    ck_assert_str_eq(ci->simple_annotations[0].key, "hello");
    ck_assert_str_eq(ci->simple_annotations[0].value, "world");
    ck_assert_uint_eq(ci->module_count, 2);
    ck_assert_uint_eq(ci->modules[0].module_index, 16);
    ck_assert_str_eq(ci->modules[0].list_annotations[0], "abort() called");
    ck_assert_uint_eq(ci->modules[1].module_index, 39);
    ck_assert_str_eq(ci->modules[1].list_annotations[0], "dyld2 mode");
    dw_dump_close(d);
}
END_TEST

START_TEST(linux_text_streams_of_real_dump)
{
    const char *path = dw_test_shared_path("corpus/rust-minidump/linux-mini.dmp");
    if (!path)
        return;
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    const char *text;
    size_t len;
    ck_assert_int_eq(dw_dump_stream_text(d, DW_STREAM_LINUX_CPU_INFO, &text, &len), DW_OK);
    ck_assert(len > 9 && memmem(text, len, "processor", 9) != NULL);
    ck_assert_int_eq(dw_dump_stream_text(d, DW_STREAM_LINUX_MAPS, &text, &len), DW_OK);
    ck_assert(len > 0 && memchr(text, '\n', len) != NULL);
    const dw_system_info *si;
    ck_assert_int_eq(dw_dump_system_info(d, &si), DW_OK);
    ck_assert_str_eq(si->os_name, "Linux");
    ck_assert(strstr(si->csd_version, "linuxkit") != NULL);
    dw_dump_close(d);
}
END_TEST

Suite *process_streams_suite(void)
{
    Suite *s = suite_create("process_streams");
    TCase *t = tcase_create("synthetic");
    tcase_add_test(t, access_violation_kinds_and_address);
    tcase_add_test(t, in_page_error_and_fast_fail);
    tcase_add_test(t, windows_named_and_unknown_codes);
    tcase_add_test(t, linux_signals_and_si_codes);
    tcase_add_test(t, mach_exceptions);
    tcase_add_test(t, exception_without_system_info_is_numeric);
    tcase_add_test(t, exception_fields_and_parameter_overflow);
    tcase_add_test(t, truncated_exception_stream);
    tcase_add_test(t, code_names);
    tcase_add_test(t, system_info_fields);
    tcase_add_test(t, system_info_truncated_and_bad_csd);
    tcase_add_test(t, misc_info_each_version);
    tcase_add_test(t, misc_info_damaged_sizes);
    tcase_add_test(t, missing_streams_are_not_found);
    tcase_add_test(t, breakpad_assertion_comments_and_text);
    tcase_add_test(t, short_breakpad_and_assertion_streams);
    tcase_add_test(t, crashpad_annotations_synthetic);
    suite_add_tcase(s, t);
    TCase *real = tcase_create("corpus");
    tcase_add_test(real, minidump2_matches_minidump_dump);
    tcase_add_test(real, corpus_streams_match_minidump_dump);
    tcase_add_test(real, corpus_crash_reasons_match_stackwalk);
    tcase_add_test(real, crashpad_annotation_dumps);
    tcase_add_test(real, linux_text_streams_of_real_dump);
    suite_add_tcase(s, real);
    return s;
}
