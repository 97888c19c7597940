/* Overlap resolution of captured memory (lib/minidump/memory.c) against a
 * byte-by-byte oracle.
 *
 * Each dump holds random ranges (overlapping, nested, adjacent, duplicated,
 * in random or chunk-interleaved order, as real MemoryLists are) filled with
 * random bytes.  The oracle says, for every address of the window, which
 * range owns it: the first one listed that contains it.  The dump must give
 * exactly that: a read returns the owner's byte, an address no range covers
 * is not found, and the range list is sorted, disjoint, and has one piece
 * per maximal run of one owner. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dumpwalk/dumpwalk.h"
#include "mdwriter.h"
#include "test_util.h"

#define WINDOW_BASE 0x10000u
#define NONE UINT32_MAX

typedef struct case_range {
    uint64_t base;
    uint32_t size;
    uint8_t *data;
} case_range;

/* `count` ranges inside [WINDOW_BASE, WINDOW_BASE + window).  Bases are
 * drawn in `streams` ascending sequences taken in turns of a few ranges
 * (1 stream: sorted), with now and then a duplicate or a range nested in the
 * previous one. */
static case_range *make_ranges(uint64_t seed, size_t count, uint32_t window, unsigned streams)
{
    uint64_t st = seed * 0x9E3779B97F4A7C15ull + 1;
    case_range *r = calloc(count, sizeof *r);
    uint64_t cursor[8] = {0};
    for (size_t i = 0; i < count; i++) {
        unsigned s = (unsigned)((i / (1 + dw_test_below(&st, 4))) % streams);
        uint32_t kind = dw_test_below(&st, 10);
        if (i > 0 && kind == 0) {
            r[i].base = r[i - 1].base; /* a duplicate, listed again */
            r[i].size = r[i - 1].size;
        } else if (i > 0 && kind == 1 && r[i - 1].size > 2) {
            r[i].base = r[i - 1].base + 1; /* nested in the previous one */
            r[i].size = r[i - 1].size - 2;
        } else if (streams == 1 || kind == 2) {
            r[i].base = WINDOW_BASE + dw_test_below(&st, window - 64);
            r[i].size = 1 + dw_test_below(&st, 64);
        } else {
            cursor[s] = (cursor[s] + dw_test_below(&st, 48)) % (window - 64);
            r[i].base = WINDOW_BASE + cursor[s];
            r[i].size = 1 + dw_test_below(&st, 40);
        }
        if (streams == 1 && kind > 2)
            r[i].base = WINDOW_BASE + (uint64_t)i * (window - 64) / count; /* ascending */
        r[i].data = malloc(r[i].size);
        for (uint32_t k = 0; k < r[i].size; k++)
            r[i].data[k] = (uint8_t)dw_test_random(&st);
    }
    return r;
}

/* The oracle: owner[a] is the first range listed that holds WINDOW_BASE + a. */
static uint32_t *owners(const case_range *r, size_t count, uint32_t window)
{
    uint32_t *owner = malloc(window * sizeof *owner);
    for (uint32_t a = 0; a < window; a++)
        owner[a] = NONE;
    for (size_t i = count; i-- > 0;) {
        for (uint32_t k = 0; k < r[i].size; k++)
            owner[r[i].base - WINDOW_BASE + k] = (uint32_t)i;
    }
    return owner;
}

static size_t oracle_pieces(const uint32_t *owner, uint32_t window)
{
    size_t n = 0;
    for (uint32_t a = 0; a < window; a++)
        n += owner[a] != NONE && (a == 0 || owner[a - 1] != owner[a]);
    return n;
}

static void check_case(uint64_t seed, size_t count, uint32_t window, unsigned streams, int mem64)
{
    case_range *r = make_ranges(seed, count, window, streams);
    mdw *w = mdw_new();
    mdw_use_memory64(w, mem64);
    for (size_t i = 0; i < count; i++)
        mdw_add_memory(w, r[i].base, r[i].data, r[i].size);
    dw_test_dump td = dw_test_open_writer(w);
    dw_dump *dump = td.dump;

    uint32_t *owner = owners(r, count, window);
    const dw_memory_range *ranges;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(dump, &ranges, &n), DW_OK);
    ck_assert_msg(n == oracle_pieces(owner, window), "seed %llu: %zu pieces, oracle %zu",
                  (unsigned long long)seed, n, oracle_pieces(owner, window));
    for (size_t i = 1; i < n; i++)
        ck_assert_msg(ranges[i - 1].base + ranges[i - 1].size <= ranges[i].base,
                      "seed %llu: piece %zu overlaps or is out of order", (unsigned long long)seed,
                      i);
    for (uint32_t a = 0; a < window; a++) {
        uint8_t b = 0;
        dw_status st = dw_memory_read(dump, WINDOW_BASE + a, &b, 1, NULL);
        if (owner[a] == NONE) {
            ck_assert_msg(st == DW_ERR_NOT_FOUND, "seed %llu: 0x%x is not captured",
                          (unsigned long long)seed, WINDOW_BASE + a);
            continue;
        }
        const case_range *o = &r[owner[a]];
        ck_assert_msg(st == DW_OK && b == o->data[WINDOW_BASE + a - o->base],
                      "seed %llu: byte at 0x%x is not range %u's", (unsigned long long)seed,
                      WINDOW_BASE + a, owner[a]);
    }
    dw_test_close(&td);
    free(owner);
    for (size_t i = 0; i < count; i++)
        free(r[i].data);
    free(r);
}

/* Small cases, many seeds: every shape of overlap comes up. */
START_TEST(random_overlaps_match_the_oracle)
{
    for (uint64_t seed = 1; seed <= 300; seed++)
        check_case(seed, 2 + seed % 40, 0x400, 1 + (unsigned)(seed % 4), 0);
}
END_TEST

/* Memory64List ranks its ranges the same way (listing order). */
START_TEST(random_memory64_overlaps_match_the_oracle)
{
    for (uint64_t seed = 1000; seed < 1100; seed++)
        check_case(seed, 2 + seed % 40, 0x400, 1 + (unsigned)(seed % 4), 1);
}
END_TEST

/* Thousands of ranges: sorted (one run), and several address-ordered
 * sequences interleaved in chunks (many runs), as in large MemoryLists. */
START_TEST(many_ranges_sorted_and_interleaved)
{
    check_case(7, 4000, 0x20000, 1, 0);
    check_case(8, 4000, 0x20000, 3, 0);
    check_case(9, 4000, 0x20000, 8, 0);
}
END_TEST

Suite *memory_order_suite(void)
{
    Suite *s = suite_create("memory_order");
    TCase *tc = tcase_create("memory_order");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, random_overlaps_match_the_oracle);
    tcase_add_test(tc, random_memory64_overlaps_match_the_oracle);
    tcase_add_test(tc, many_ranges_sorted_and_interleaved);
    suite_add_tcase(s, tc);
    return s;
}
