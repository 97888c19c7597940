/* Resource bounds (README "Limits"): pathological but valid dumps
 * (tests/pathological.h) complete with the expected results, and the caps
 * refuse what is past them with DW_ERR_LIMIT and a message.  These tests
 * check results, not time: tools/bench/pathological.c measures the time. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "dumpwalk/dumpwalk.h"
#include "image/pe.h"
#include "mdwriter.h"
#include "pathological.h"
#include "symbols/postfix.h"
#include "test_util.h"

typedef struct walk_result {
    unsigned frames;
    char stop[128];
    int sp_grows; /* every caller's SP above its callee's */
    uint64_t ip1; /* frame 1's IP, 0 when none */
} walk_result;

static walk_result walk(dw_dump *d, const dw_thread *t, unsigned max_frames)
{
    dw_walk_options wo = DW_WALK_OPTIONS_INIT;
    wo.max_frames = max_frames;
    dw_walker *w;
    ck_assert_int_eq(dw_walker_new(d, &wo, &w), DW_OK);
    ck_assert_int_eq(dw_walker_start(w, t), DW_OK);
    walk_result r = {0, "", 1, 0};
    dw_frame f;
    uint64_t last_sp = 0;
    while (dw_walker_next(w, &f) == DW_OK) {
        if (r.frames == 1)
            r.ip1 = f.ip;
        if (r.frames && f.sp <= last_sp)
            r.sp_grows = 0;
        last_sp = f.sp;
        r.frames++;
        ck_assert_msg(r.frames <= (max_frames ? max_frames : DW_WALK_DEFAULT_MAX_FRAMES) + 1,
                      "walk runs past its frame cap");
    }
    snprintf(r.stop, sizeof r.stop, "%s", dw_walker_stop_reason(w));
    dw_walker_free(w);
    return r;
}

START_TEST(test_62000_memory_ranges)
{
    size_t n = 62000, size;
    uint8_t *buf = patho_many_ranges(n, &size);
    dw_test_dump td = dw_test_open_buffer(buf, size);
    dw_dump *d = td.dump;
    ck_assert_int_eq(dw_dump_check_all(d), DW_OK);
    const dw_memory_range *rg;
    size_t count, listed = 0;
    ck_assert_int_eq(dw_memory_ranges(d, &rg, &count), DW_OK);
    for (size_t i = 0; i < count; i++)
        listed += rg[i].source == DW_MEMSRC_MEMORY_LIST;
    ck_assert_uint_eq(listed, n);
    /* Lookups land in the right range, at either end of the list. */
    static const size_t probes[] = {0, 1, 30000, 61998, 61999};
    for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
        uint8_t b[PATHO_RANGE_SIZE];
        size_t got;
        ck_assert_int_eq(dw_memory_read(d, PATHO_RANGE_VA(probes[k]), b, sizeof b, &got), DW_OK);
        ck_assert_uint_eq(got, sizeof b);
        ck_assert_uint_eq(b[0], probes[k] & 0xff);
        ck_assert_uint_eq(b[sizeof b - 1], probes[k] & 0xff);
        /* The hole after each range reads nothing. */
        ck_assert_int_ne(
            dw_memory_read(d, PATHO_RANGE_VA(probes[k]) + PATHO_RANGE_SIZE, b, 1, &got), DW_OK);
        ck_assert_uint_eq(got, 0);
    }
    const dw_memory_info *mi;
    ck_assert_int_eq(dw_dump_memory_infos(d, &mi, &count), DW_OK);
    ck_assert_uint_eq(count, n);
    const dw_memory_info *at = dw_dump_memory_info_at(d, PATHO_RANGE_VA(45000) + 0x80);
    ck_assert_ptr_nonnull(at);
    ck_assert_uint_eq(at->base_address, PATHO_RANGE_VA(45000));
    FILE *devnull = fopen("/dev/null", "w");
    ck_assert_int_eq(dw_report_write(d, DW_REPORT_MEMORY, DW_REPORT_JSON, devnull), DW_OK);
    fclose(devnull);
    dw_test_close(&td);
}
END_TEST

START_TEST(test_10000_threads)
{
    size_t n = 10000, size;
    uint8_t *buf = patho_many_threads(n, &size);
    dw_test_dump td = dw_test_open_buffer(buf, size);
    dw_dump *d = td.dump;
    const dw_thread *t;
    size_t count;
    ck_assert_int_eq(dw_dump_threads(d, &t, &count), DW_OK);
    ck_assert_uint_eq(count, n);
    const dw_thread *last;
    ck_assert_int_eq(dw_dump_thread_by_id(d, (uint32_t)n, &last), DW_OK);
    ck_assert_uint_eq(last->stack_start, PATHO_STACK_BASE + (n - 1) * 0x10000);
    /* Every thread walks to its one return address, whatever the count. */
    dw_walker *w;
    ck_assert_int_eq(dw_walker_new(d, NULL, &w), DW_OK);
    size_t frames = 0, with_caller = 0;
    for (size_t i = 0; i < count; i++) {
        ck_assert_int_eq(dw_walker_start(w, &t[i]), DW_OK);
        dw_frame f;
        unsigned k = 0;
        while (dw_walker_next(w, &f) == DW_OK) {
            if (k == 1 && f.ip == PATHO_MODULE_BASE + 0x1040)
                with_caller++;
            k++;
        }
        frames += k;
    }
    dw_walker_free(w);
    ck_assert_uint_eq(with_caller, n);
    ck_assert_uint_eq(frames, 2 * n);
    FILE *devnull = fopen("/dev/null", "w");
    dw_stack_report_options so = DW_STACK_REPORT_OPTIONS_INIT;
    ck_assert_int_eq(dw_report_stack(d, &so, DW_REPORT_JSON, devnull), DW_OK);
    fclose(devnull);
    dw_test_close(&td);
}
END_TEST

/* 1 MiB of return addresses: the walk stops at the frame cap (default and
 * caller-given), each frame one word above the last. */
static void check_return_address_stack(int with_code)
{
    size_t size;
    uint8_t *buf = patho_return_address_stack(1 << 20, with_code, &size);
    dw_test_dump td = dw_test_open_buffer(buf, size);
    dw_dump *d = td.dump;
    const dw_thread *t;
    size_t count;
    ck_assert_int_eq(dw_dump_threads(d, &t, &count), DW_OK);
    walk_result r = walk(d, &t[0], 0);
    ck_assert_uint_eq(r.frames, DW_WALK_DEFAULT_MAX_FRAMES);
    ck_assert_msg(strstr(r.stop, "frame limit") != NULL, "stop reason: %s", r.stop);
    ck_assert(r.sp_grows);
    r = walk(d, &t[0], 100);
    ck_assert_uint_eq(r.frames, 100);
    dw_test_close(&td);
}

START_TEST(test_stack_of_return_addresses)
{
    check_return_address_stack(0);
    check_return_address_stack(1);
}
END_TEST

START_TEST(test_frame_pointer_loop)
{
    for (int cycle = 1; cycle <= 2; cycle++) {
        size_t size;
        uint8_t *buf = patho_fp_loop(cycle, &size);
        dw_test_dump td = dw_test_open_buffer(buf, size);
        dw_dump *d = td.dump;
        const dw_thread *t;
        size_t count;
        ck_assert_int_eq(dw_dump_threads(d, &t, &count), DW_OK);
        walk_result r = walk(d, &t[0], 0);
        /* Context frame, the cycle's frames once each, then the end. */
        ck_assert_msg(r.frames >= 2 && r.frames <= 4, "cycle %d: %u frames", cycle, r.frames);
        ck_assert_uint_eq(r.ip1, PATHO_MODULE_BASE + 0x1080);
        ck_assert(r.sp_grows);
        ck_assert_msg(r.stop[0], "cycle %d: no stop reason", cycle);
        dw_test_close(&td);
    }
}
END_TEST

/* Module lookups stay one binary search however modules overlap: 99,000
 * small modules inside one that spans the whole address space (a scan of
 * the list per lookup before), and the overlap rules: the highest base
 * containing the address wins, the first in dump order among equal bases. */
START_TEST(test_overlapping_modules)
{
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19045, 2, NULL);
    mdw_add_module(w, 0, 0xffffffffu, "C:\\all.dll", 1, NULL, NULL, 0, 0);
    size_t n = 99000; /* with the three others, just under the 100,000 cap */
    for (size_t i = 0; i < n; i++)
        mdw_add_module(w, 0x10000 + i * 0x2000, 0x1000, "C:\\m.dll", 2, NULL, NULL, 0, 0);
    mdw_add_module(w, 0x8000, 0x100, "C:\\first.dll", 3, NULL, NULL, 0, 0);
    mdw_add_module(w, 0x8000, 0x200, "C:\\second.dll", 4, NULL, NULL, 0, 0);
    dw_test_dump td = dw_test_open_writer(w);
    dw_dump *d = td.dump;
    const dw_module *m;
    size_t count;
    ck_assert_int_eq(dw_dump_modules(d, &m, &count), DW_OK);
    ck_assert_uint_eq(count, n + 3);
    /* A million lookups in the gaps between the small modules: each must find
     * the spanning module without walking the list. */
    for (size_t k = 0; k < 1000000; k++) {
        uint64_t a = 0x10000 + (k % n) * 0x2000 + 0x1800;
        ck_assert_ptr_eq(dw_dump_module_at(d, a), &m[0]);
    }
    ck_assert_ptr_eq(dw_dump_module_at(d, 0x10000 + 77 * 0x2000 + 5), &m[78]);
    ck_assert_ptr_eq(dw_dump_module_at(d, 0x8050), &m[n + 1]); /* equal bases: first */
    ck_assert_ptr_eq(dw_dump_module_at(d, 0x8150), &m[n + 2]); /* past the first's end */
    ck_assert_ptr_eq(dw_dump_module_at(d, 0x8250), &m[0]);     /* back in the spanning one */
    ck_assert_ptr_null(dw_dump_module_at(d, 0xffffffffu));     /* its end is exclusive */
    dw_test_close(&td);
}
END_TEST

/* ---- a mapped PE32+ image whose exports all share one address ---------- */

static void le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
    le16(p, (uint16_t)v);
    le16(p + 2, (uint16_t)(v >> 16));
}

typedef struct image {
    uint8_t *bytes;
    size_t size;
} image;

static size_t image_read(void *ctx, uint64_t rva, void *buf, size_t len)
{
    const image *im = ctx;
    if (rva >= im->size)
        return 0;
    size_t n = im->size - rva < len ? (size_t)(im->size - rva) : len;
    memcpy(buf, im->bytes + rva, n);
    return n;
}

/* Headers at 0 (e_lfanew 0x40, PE32+, no sections), the export directory at
 * 0x1000, its three tables after it, then the names "f00000", "f00001", ...
 * (already in sorted order), every function at RVA 0x200 (below the
 * directory, so not a forwarder). */
static image aliased_exports_image(uint32_t n)
{
    uint32_t dir = 0x1000, funcs = dir + 40, names = funcs + 4 * n, ords = names + 4 * n;
    uint32_t strings = ords + 2 * n, size = strings + 8 * n + 16;
    image im = {calloc(1, size), size};
    uint8_t *b = im.bytes;
    le16(b, 0x5a4d);            /* MZ */
    le32(b + 0x3c, 0x40);       /* e_lfanew */
    le32(b + 0x40, 0x00004550); /* PE\0\0 */
    le16(b + 0x44, 0x8664);     /* Machine */
    le16(b + 0x54, 240);        /* SizeOfOptionalHeader */
    uint8_t *opt = b + 0x58;
    le16(opt, 0x20b);      /* PE32+ */
    le32(opt + 56, size);  /* SizeOfImage */
    le32(opt + 60, 0x400); /* SizeOfHeaders */
    le32(opt + 108, 16);   /* NumberOfRvaAndSizes */
    le32(opt + 112, dir);  /* export directory */
    le32(opt + 116, strings + 8 * n - dir);
    le32(b + dir + 16, 1); /* Base */
    le32(b + dir + 20, n); /* NumberOfFunctions */
    le32(b + dir + 24, n); /* NumberOfNames */
    le32(b + dir + 28, funcs);
    le32(b + dir + 32, names);
    le32(b + dir + 36, ords);
    for (uint32_t i = 0; i < n; i++) {
        le32(b + funcs + 4 * i, 0x200);
        le32(b + names + 4 * i, strings + 8 * i);
        le16(b + ords + 2 * i, (uint16_t)i);
        snprintf((char *)b + strings + 8 * i, 8, "f%05u", i);
    }
    return im;
}

/* A lookup in a table where every export aliases one address is one binary
 * search (it walked back over every alias: fuzz_pe timed out), and still
 * answers the first alias by name.  200,000 lookups over 200,000 aliases took
 * 2*10^10 steps before; the 10 s bound is generous for a binary search. */
START_TEST(test_aliased_exports)
{
    uint32_t n = 200000;
    image im = aliased_exports_image(n);
    dw_pe pe;
    ck_assert_msg(dw_pe_open(&pe, image_read, &im) == DW_OK, "%s", pe.error);
    dw_arena arena;
    dw_arena_init(&arena);
    dw_pe_exports ex;
    ck_assert_msg(dw_pe_exports_read(&pe, &arena, &ex) == DW_OK, "%s", pe.error);
    ck_assert_uint_eq(ex.count, n);
    time_t start = time(NULL);
    for (uint32_t i = 0; i < n; i++) {
        const dw_pe_export *e = dw_pe_export_at(&ex, 0x200 + i % 64);
        ck_assert_ptr_nonnull(e);
        ck_assert_str_eq(e->name, "f00000");
    }
    ck_assert_msg(time(NULL) - start < 10, "alias lookups are not logarithmic");
    ck_assert_ptr_null(dw_pe_export_at(&ex, 0x1ff));
    dw_arena_free(&arena);
    free(im.bytes);
}
END_TEST

/* A ThreadList declaring more threads than the cap is refused, before any
 * allocation, even when the stream really holds that many records. */
START_TEST(test_thread_cap)
{
    uint32_t n = 100001;
    size_t len = 4 + (size_t)n * 48;
    uint8_t *list = calloc(1, len);
    list[0] = (uint8_t)n;
    list[1] = (uint8_t)(n >> 8);
    list[2] = (uint8_t)(n >> 16);
    mdw *w = mdw_new();
    mdw_add_stream(w, DW_STREAM_THREAD_LIST, list, len);
    size_t size;
    uint8_t *buf = mdw_finish(w, &size);
    mdw_free(w);
    free(list);
    dw_test_dump td = dw_test_open_buffer(buf, size);
    dw_dump *d = td.dump;
    const dw_thread *t;
    size_t count;
    ck_assert_int_eq(dw_dump_threads(d, &t, &count), DW_ERR_LIMIT);
    ck_assert_msg(strstr(dw_dump_last_error(d), "100001") != NULL, "message: %s",
                  dw_dump_last_error(d));
    dw_test_close(&td);
}
END_TEST

/* A count larger than the stream holds costs nothing: no allocation of the
 * declared size, a message naming both numbers. */
START_TEST(test_count_past_stream)
{
    size_t size;
    uint8_t *buf = patho_many_threads(2, &size);
    size_t e = mdw_find_dir_entry(buf, size, DW_STREAM_THREAD_LIST);
    ck_assert(e != (size_t)-1);
    uint32_t rva = buf[e + 8] | buf[e + 9] << 8 | buf[e + 10] << 16 | (uint32_t)buf[e + 11] << 24;
    mdw_patch_u32(buf, size, rva, 0xfffffff0u);
    dw_test_dump td = dw_test_open_buffer(buf, size);
    dw_dump *d = td.dump;
    const dw_thread *t;
    size_t count;
    dw_status st = dw_dump_threads(d, &t, &count);
    ck_assert_msg(st != DW_OK, "4 billion threads accepted");
    ck_assert_msg(strstr(dw_dump_last_error(d), "ThreadList") != NULL, "message: %s",
                  dw_dump_last_error(d));
    dw_test_close(&td);
}
END_TEST

/* gzip input larger than max_inflated_size once inflated is refused. */
START_TEST(test_inflate_cap)
{
    size_t size;
    uint8_t *raw = patho_many_threads(64, &size);
    z_stream z;
    memset(&z, 0, sizeof z);
    ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, size);
    uint8_t *gz = malloc(cap);
    z.next_in = raw;
    z.avail_in = (uInt)size;
    z.next_out = gz;
    z.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t gz_size = z.total_out;
    deflateEnd(&z);
    dw_open_options o = DW_OPEN_OPTIONS_INIT;
    o.max_inflated_size = size - 1;
    dw_dump *d;
    dw_error err;
    ck_assert_int_eq(dw_dump_open_buffer(gz, gz_size, &o, &d, &err), DW_ERR_LIMIT);
    ck_assert_msg(err.message[0], "no message");
    o.max_inflated_size = size;
    ck_assert_int_eq(dw_dump_open_buffer(gz, gz_size, &o, &d, &err), DW_OK);
    ck_assert_uint_eq(dw_dump_header(d)->file_size, size);
    dw_dump_close(d);
    free(gz);
    free(raw);
}
END_TEST

/* Postfix programs: length and operand-stack depth are capped. */
START_TEST(test_postfix_caps)
{
    dw_regset vars;
    dw_regset_init(&vars);
    char err[128];
    dw_postfix_ctx c = {&vars, 8, NULL, NULL, err, sizeof err};
    char prog[DW_POSTFIX_MAX_LEN + 64];
    size_t len = 0;
    while (len + 2 < sizeof prog) {
        prog[len++] = '1';
        prog[len++] = ' ';
    }
    uint64_t v;
    ck_assert_int_eq(dw_postfix_eval(&c, prog, len, &v), DW_ERR_LIMIT);
    /* Within the length cap, deeper than the operand stack. */
    len = 2 * (DW_POSTFIX_MAX_DEPTH + 1);
    ck_assert_int_eq(dw_postfix_eval(&c, prog, len, &v), DW_ERR_LIMIT);
    ck_assert_msg(err[0], "no message");
}
END_TEST

Suite *limits_suite(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_62000_memory_ranges);
    tcase_add_test(tc, test_10000_threads);
    tcase_add_test(tc, test_stack_of_return_addresses);
    tcase_add_test(tc, test_frame_pointer_loop);
    tcase_add_test(tc, test_overlapping_modules);
    tcase_add_test(tc, test_aliased_exports);
    tcase_add_test(tc, test_thread_cap);
    tcase_add_test(tc, test_count_past_stream);
    tcase_add_test(tc, test_inflate_cap);
    tcase_add_test(tc, test_postfix_caps);
    suite_add_tcase(s, tc);
    return s;
}
