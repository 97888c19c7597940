/* The bounds-checked reader and the arena: the base every parser stands on. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/arena.h"
#include "util/reader.h"
#include "util/text.h"

START_TEST(reads_little_endian)
{
    const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
    dw_reader r = dw_reader_make(b, sizeof b);
    ck_assert_uint_eq(dw_read_u8(&r), 0x01);
    ck_assert_uint_eq(dw_read_u16(&r), 0x0302);
    ck_assert_uint_eq(dw_read_u32(&r), 0x07060504);
    ck_assert(!r.failed);
    ck_assert_uint_eq(dw_read_u32(&r), 0); /* only 2 bytes left */
    ck_assert(r.failed);
}
END_TEST

START_TEST(range_checks_do_not_overflow)
{
    ck_assert(dw_range_ok(0, 10, 10));
    ck_assert(!dw_range_ok(1, 10, 10));
    ck_assert(!dw_range_ok(UINT64_MAX, 2, 10));
    ck_assert(!dw_range_ok(5, UINT64_MAX, 10));
    uint64_t out;
    ck_assert(!dw_mul_ok(UINT64_MAX / 2, 3, &out));
    ck_assert(dw_mul_ok(1000, 48, &out) && out == 48000);
}
END_TEST

START_TEST(sub_windows_clamp_and_fail)
{
    uint8_t b[16] = {0};
    dw_reader r = dw_reader_make(b, sizeof b);
    int ok;
    dw_reader s = dw_reader_sub(&r, 8, 9, &ok);
    ck_assert(!ok);
    ck_assert_uint_eq(s.size, 0);
    s = dw_reader_sub_clamped(&r, 8, 100);
    ck_assert_uint_eq(s.size, 8);
    s = dw_reader_sub_clamped(&r, 100, 1);
    ck_assert_uint_eq(s.size, 0);
}
END_TEST

START_TEST(utf16_decodes_surrogates_and_stops_at_nul)
{
    dw_arena a;
    dw_arena_init(&a);
    /* "A", U+00E9, U+1F600 (surrogate pair), NUL, "B" */
    const uint8_t s[] = {0x41, 0, 0xe9, 0, 0x3d, 0xd8, 0x00, 0xde, 0, 0, 0x42, 0};
    char *out = dw_utf16le_to_utf8(&a, s, 6);
    ck_assert_str_eq(out, "A\xc3\xa9\xf0\x9f\x98\x80");
    /* A lone low surrogate becomes U+FFFD. */
    const uint8_t lone[] = {0x00, 0xdc};
    ck_assert_str_eq(dw_utf16le_to_utf8(&a, lone, 1), "\xef\xbf\xbd");
    dw_arena_free(&a);
}
END_TEST

START_TEST(arena_handles_large_and_small)
{
    dw_arena a;
    dw_arena_init(&a);
    char *small = dw_arena_strdup(&a, "hello");
    void *big = dw_arena_alloc(&a, 1 << 20);
    char *after = dw_arena_printf(&a, "%d-%s", 42, "x");
    ck_assert_ptr_nonnull(big);
    ck_assert_str_eq(small, "hello");
    ck_assert_str_eq(after, "42-x");
    ck_assert_ptr_null(dw_arena_calloc(&a, SIZE_MAX / 2, 4));
    ck_assert_str_eq(dw_path_basename("C:\\Windows\\System32\\ntdll.dll"), "ntdll.dll");
    ck_assert_str_eq(dw_path_basename("/usr/lib/libc.so.6"), "libc.so.6");
    dw_arena_free(&a);
}
END_TEST

START_TEST(concat3_joins_and_cuts_to_fit)
{
    char buf[16];
    ck_assert_str_eq(dw_concat3(buf, sizeof buf, "scan:", "call E8", ""), "scan:call E8");
    memset(buf, 'x', sizeof buf);
    ck_assert_str_eq(dw_concat3(buf, 12, "scan:", "call FF/2", " mem"), "scan:call F");
    ck_assert_int_eq(buf[12], 'x'); /* nothing written past the size given */
    ck_assert_str_eq(dw_concat3(buf, sizeof buf, "", "", ""), "");
    ck_assert_str_eq(dw_concat3(buf, 1, "abc", "def", "ghi"), "");
    ck_assert_str_eq(dw_concat3(buf, 4, "a", "bc", "d"), "abc");
}
END_TEST

/* dw_put_hex against printf's %X / %x with and without padding. */
START_TEST(put_hex_pads_and_picks_case)
{
    const uint64_t values[] = {0, 1, 0xf, 0xabc, 0xdeadbeef, UINT64_MAX};
    const int widths[] = {0, 1, 2, 8, 16, 20};
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
            for (int upper = 0; upper <= 1; upper++) {
                char got[80], want[80];
                *dw_put_hex(got, values[v], widths[w], upper) = '\0';
                snprintf(want, sizeof want, upper ? "%0*llX" : "%0*llx", widths[w],
                         (unsigned long long)values[v]);
                ck_assert_str_eq(got, want);
            }
        }
    }
}
END_TEST

Suite *reader_suite(void)
{
    Suite *s = suite_create("reader");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, reads_little_endian);
    tcase_add_test(tc, range_checks_do_not_overflow);
    tcase_add_test(tc, sub_windows_clamp_and_fail);
    tcase_add_test(tc, utf16_decodes_surrogates_and_stops_at_nul);
    tcase_add_test(tc, arena_handles_large_and_small);
    tcase_add_test(tc, concat3_joins_and_cuts_to_fit);
    tcase_add_test(tc, put_hex_pads_and_picks_case);
    suite_add_tcase(s, tc);
    return s;
}
