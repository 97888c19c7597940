/* Modules, memory, memory info, handles and function tables: synthetic dumps
 * that state their own ground truth, then the real corpus checked against
 * Breakpad's and LLDB's reference outputs and the Wine fixtures' markers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "dumpwalk/dumpwalk.h"
#include "mdwriter.h"
#include "test_util.h"
#include "util/text.h"

/* ---- helpers ------------------------------------------------------------ */

/* ---- modules: synthetic ------------------------------------------------- */

static const uint8_t guid_bytes[16] = {0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde,
                                       0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

START_TEST(codeview_records_give_breakpad_ids)
{
    mdw *w = mdw_new();
    uint64_t version = ((uint64_t)((10u << 16) | 0u) << 32) | ((19041u << 16) | 1u);
    mdw_add_module(w, 0x140000000, 0x45000, "C:\\app\\app.exe", 0x6b04ab72, "C:\\build\\app.pdb",
                   guid_bytes, 0x1f, version);
    uint8_t nb10[16 + 8] = {'N', 'B', '1', '0'};
    mdw_put32(nb10 + 8, 0x3a2b1c0d); /* timestamp signature */
    mdw_put32(nb10 + 12, 0xa);       /* age */
    memcpy(nb10 + 16, "old.pdb", 8);
    mdw_add_module_raw_cv(w, 0x10000000, 0x1000, "C:\\old.dll", 0x11111111, nb10, sizeof nb10);
    /* BpEL with an 8-byte build id: the GUID is zero-padded. */
    uint8_t elf8[4 + 8] = {'L', 'E', 'p', 'B', 0x10, 0xfa, 0xa6, 0xbb, 0xaa, 0xb8, 0x3d, 0xb3};
    mdw_add_module_raw_cv(w, 0x200000, 0x442d0, "/usr/bin/short", 0, elf8, sizeof elf8);
    uint8_t elf20[4 + 20] = {'L', 'E', 'p', 'B'};
    for (int i = 0; i < 20; i++)
        elf20[4 + i] = (uint8_t)(0xa0 + i);
    mdw_add_module_raw_cv(w, 0x300000, 0x1000, "/lib/libx.so", 0, elf20, sizeof elf20);
    uint8_t junk[8] = {'X', 'Y', 'Z', 'W', 1, 2, 3, 4};
    mdw_add_module_raw_cv(w, 0x400000, 0x1000, "junk.dll", 0x22222222, junk, sizeof junk);
    uint8_t short_rsds[10] = {'R', 'S', 'D', 'S'};
    mdw_add_module_raw_cv(w, 0x500000, 0x1000, "short.dll", 0x33333333, short_rsds,
                          sizeof short_rsds);
    mdw_add_module(w, 0x600000, 0x2000, "nocv.dll", 0x44444444, NULL, NULL, 0, 0);
    dw_test_dump o = dw_test_open_writer(w);

    const dw_module *m;
    size_t n;
    ck_assert_int_eq(dw_dump_modules(o.dump, &m, &n), DW_OK);
    ck_assert_uint_eq(n, 7);

    ck_assert_int_eq(m[0].cv_kind, DW_CV_PDB70);
    ck_assert_str_eq(m[0].name, "app.exe");
    ck_assert_str_eq(m[0].path, "C:\\app\\app.exe");
    ck_assert_str_eq(m[0].debug_file, "C:\\build\\app.pdb");
    /* Data1/2/3 little-endian, Data4 bytes in order, age in lower-case hex. */
    ck_assert_str_eq(m[0].debug_id, "123456789ABCDEF00123456789ABCDEF1f");
    ck_assert_str_eq(m[0].code_id, "6B04AB7245000");
    ck_assert(m[0].has_version);
    ck_assert_uint_eq(m[0].file_version.major, 10);
    ck_assert_uint_eq(m[0].file_version.minor, 0);
    ck_assert_uint_eq(m[0].file_version.build, 19041);
    ck_assert_uint_eq(m[0].file_version.revision, 1);
    ck_assert_uint_eq(m[0].file_type, 1);

    ck_assert_int_eq(m[1].cv_kind, DW_CV_PDB20);
    ck_assert_str_eq(m[1].debug_id, "3A2B1C0Da");
    ck_assert_str_eq(m[1].debug_file, "old.pdb");
    ck_assert(!m[1].has_version);

    ck_assert_int_eq(m[2].cv_kind, DW_CV_ELF);
    ck_assert_str_eq(m[2].debug_id, "BBA6FA10B8AAB33D00000000000000000");
    ck_assert_str_eq(m[2].code_id, "10faa6bbaab83db3");
    ck_assert_str_eq(m[2].debug_file, "/usr/bin/short");

    ck_assert_int_eq(m[3].cv_kind, DW_CV_ELF);
    ck_assert_str_eq(m[3].debug_id, "A3A2A1A0A5A4A7A6A8A9AAABACADAEAF0");
    ck_assert_str_eq(m[3].code_id, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");

    ck_assert_int_eq(m[4].cv_kind, DW_CV_UNKNOWN);
    ck_assert_str_eq(m[4].debug_id, "");
    ck_assert_str_eq(m[4].debug_file, "");

    ck_assert_int_eq(m[5].cv_kind, DW_CV_UNKNOWN);
    ck_assert(dw_test_has_issue(o.dump, DW_STREAM_MODULE_LIST, "too short"));

    ck_assert_int_eq(m[6].cv_kind, DW_CV_NONE);
    ck_assert_str_eq(m[6].debug_id, "");
    ck_assert_str_eq(m[6].code_id, "444444442000");
    dw_test_close(&o);
}
END_TEST

START_TEST(module_lookup_by_address)
{
    mdw *w = mdw_new();
    /* Dump order is not address order; two modules share a base and one
     * sits inside another (damaged lists do this). */
    mdw_add_module(w, 0x500000, 0x10000, "main.exe", 1, NULL, NULL, 0, 0);
    mdw_add_module(w, 0x100000, 0x1000, "low.dll", 2, NULL, NULL, 0, 0);
    mdw_add_module(w, 0x200000, 0x100000, "big.dll", 3, NULL, NULL, 0, 0);
    mdw_add_module(w, 0x250000, 0x1000, "inner.dll", 4, NULL, NULL, 0, 0);
    mdw_add_module(w, 0x100000, 0x2000, "twin.dll", 5, NULL, NULL, 0, 0);
    dw_test_dump o = dw_test_open_writer(w);
    dw_dump *d = o.dump;
    ck_assert_str_eq(dw_dump_main_module(d)->name, "main.exe");
    ck_assert_str_eq(dw_dump_module_at(d, 0x500000)->name, "main.exe");
    ck_assert_str_eq(dw_dump_module_at(d, 0x50ffff)->name, "main.exe");
    ck_assert_ptr_null(dw_dump_module_at(d, 0x510000));
    ck_assert_ptr_null(dw_dump_module_at(d, 0xfffff));
    ck_assert_ptr_null(dw_dump_module_at(d, 0));
    ck_assert_ptr_null(dw_dump_module_at(d, UINT64_MAX));
    /* Same base: the first in dump order wins; past its end, the twin. */
    ck_assert_str_eq(dw_dump_module_at(d, 0x100fff)->name, "low.dll");
    ck_assert_str_eq(dw_dump_module_at(d, 0x101000)->name, "twin.dll");
    /* The innermost (highest base) containing module wins. */
    ck_assert_str_eq(dw_dump_module_at(d, 0x250010)->name, "inner.dll");
    /* Past the inner module, the enclosing one is found again. */
    ck_assert_str_eq(dw_dump_module_at(d, 0x260000)->name, "big.dll");
    ck_assert_str_eq(dw_dump_module_at(d, 0x2fffff)->name, "big.dll");
    dw_test_close(&o);
}
END_TEST

START_TEST(no_module_list_is_not_found)
{
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19041, 2, NULL);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_module *m;
    size_t n = 99;
    ck_assert_int_eq(dw_dump_modules(o.dump, &m, &n), DW_ERR_NOT_FOUND);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(dw_dump_main_module(o.dump));
    ck_assert_ptr_null(dw_dump_module_at(o.dump, 0x1000));
    dw_test_close(&o);
}
END_TEST

START_TEST(module_count_beyond_stream_is_damage)
{
    mdw *w = mdw_new();
    mdw_add_module(w, 0x400000, 0x1000, "a.exe", 1, NULL, NULL, 0, 0);
    mdw_add_module(w, 0x500000, 0x1000, "b.dll", 2, NULL, NULL, 0, 0);
    size_t size;
    uint8_t *buf = mdw_finish(w, &size);
    mdw_free(w);
    size_t entry = mdw_find_dir_entry(buf, size, DW_STREAM_MODULE_LIST);
    uint32_t rva = buf[entry + 8] | buf[entry + 9] << 8 | buf[entry + 10] << 16 |
                   (uint32_t)buf[entry + 11] << 24;
    mdw_patch_u32(buf, size, rva, 4000000);
    dw_test_dump o = dw_test_open_buffer(buf, size);
    const dw_module *m;
    size_t n;
    ck_assert_int_eq(dw_dump_modules(o.dump, &m, &n), DW_ERR_TRUNCATED);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(m[1].name, "b.dll");
    ck_assert(dw_test_has_issue(o.dump, DW_STREAM_MODULE_LIST, "declared"));
    dw_test_close(&o);
}
END_TEST

START_TEST(unloaded_modules_honour_declared_sizes)
{
    mdw *w = mdw_new();
    mdw_add_unloaded_module(w, 0x7ff900000000, 0xea000, "C:\\Windows\\shcore.dll", 0x12345678);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_unloaded_module *u;
    size_t n;
    ck_assert_int_eq(dw_dump_unloaded_modules(o.dump, &u, &n), DW_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(u[0].base, 0x7ff900000000);
    ck_assert_uint_eq(u[0].size, 0xea000);
    ck_assert_uint_eq(u[0].time_date_stamp, 0x12345678);
    ck_assert_str_eq(u[0].name, "shcore.dll");
    dw_test_close(&o);

    /* A future layout: 16-byte header, 32-byte entries. */
    w = mdw_new();
    uint32_t name_a = mdw_append_string(w, "a.dll"), name_b = mdw_append_string(w, "b.dll");
    uint8_t s[16 + 2 * 32] = {0};
    mdw_put32(s, 16);
    mdw_put32(s + 4, 32);
    mdw_put32(s + 8, 2);
    mdw_put64(s + 16, 0x1000);
    mdw_put32(s + 24, 0x100);
    mdw_put32(s + 36, name_a);
    mdw_put64(s + 48, 0x2000);
    mdw_put32(s + 56, 0x200);
    mdw_put32(s + 68, name_b);
    mdw_add_stream(w, DW_STREAM_UNLOADED_MODULE_LIST, s, sizeof s);
    o = dw_test_open_writer(w);
    ck_assert_int_eq(dw_dump_unloaded_modules(o.dump, &u, &n), DW_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(u[1].name, "b.dll");
    ck_assert_uint_eq(u[1].base, 0x2000);
    ck_assert_uint_eq(u[1].size, 0x200);
    dw_test_close(&o);

    /* An entry size too small for the fields is refused, not read. */
    w = mdw_new();
    mdw_put32(s + 4, 8);
    mdw_add_stream(w, DW_STREAM_UNLOADED_MODULE_LIST, s, sizeof s);
    o = dw_test_open_writer(w);
    ck_assert_int_eq(dw_dump_unloaded_modules(o.dump, &u, &n), DW_ERR_DAMAGED);
    ck_assert_uint_eq(n, 0);
    ck_assert(dw_test_has_issue(o.dump, DW_STREAM_UNLOADED_MODULE_LIST, "SizeOfEntry 8"));
    dw_test_close(&o);
}
END_TEST

/* ---- memory: synthetic -------------------------------------------------- */

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i);
}

START_TEST(memory_reads_across_adjacent_ranges)
{
    uint8_t a[16], b[16], c[16];
    fill(a, 16, 0x00);
    fill(b, 16, 0x10);
    fill(c, 16, 0x40);
    mdw *w = mdw_new();
    mdw_add_memory(w, 0x1010, b, 16); /* listed out of order on purpose */
    mdw_add_memory(w, 0x1000, a, 16);
    mdw_add_memory(w, 0x1030, c, 16);
    dw_test_dump o = dw_test_open_writer(w);
    dw_dump *d = o.dump;
    const dw_memory_range *r;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(d, &r, &n), DW_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(r[0].base, 0x1000);
    ck_assert_uint_eq(r[1].base, 0x1010);
    ck_assert_uint_eq(r[2].base, 0x1030);
    ck_assert_int_eq(r[0].source, DW_MEMSRC_MEMORY_LIST);

    uint8_t buf[64];
    size_t got = 99;
    ck_assert_int_eq(dw_memory_read(d, 0x1008, buf, 16, &got), DW_OK);
    ck_assert_uint_eq(got, 16);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(buf[i], 8 + i); /* 0x08..0x0f then 0x10..0x17 */
    ck_assert_int_eq(dw_memory_read(d, 0x1018, buf, 0x20, &got), DW_ERR_TRUNCATED);
    ck_assert_uint_eq(got, 8);
    ck_assert_int_eq(dw_memory_read(d, 0x1020, buf, 4, &got), DW_ERR_NOT_FOUND);
    ck_assert_uint_eq(got, 0);
    ck_assert_int_eq(dw_memory_read(d, 0xfff, buf, 4, &got), DW_ERR_NOT_FOUND);

    uint32_t v32;
    uint64_t v64;
    ck_assert_int_eq(dw_memory_read_u32(d, 0x100e, &v32), DW_OK);
    ck_assert_uint_eq(v32, 0x11100f0e);
    ck_assert_int_eq(dw_memory_read_u64(d, 0x1030, &v64), DW_OK);
    ck_assert_uint_eq(v64, 0x4746454443424140ull);
    ck_assert_int_eq(dw_memory_read_u64(d, 0x103c, &v64), DW_ERR_TRUNCATED);

    size_t avail;
    const uint8_t *p = dw_memory_span(d, 0x1004, &avail);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(avail, 12); /* a span stays inside one range */
    ck_assert_uint_eq(p[0], 4);
    ck_assert_ptr_null(dw_memory_span(d, 0x1040, &avail));
    ck_assert_uint_eq(avail, 0);
    dw_test_close(&o);
}
END_TEST

/* Memory64List stream bytes for `count` ranges whose data starts at base_rva. */
static void add_memory64(mdw *w, const uint64_t *starts, const uint64_t *sizes, size_t count,
                         uint64_t base_rva)
{
    uint8_t s[16 + 16 * 8] = {0};
    ck_assert_uint_le(count, 8);
    mdw_put64(s, count);
    mdw_put64(s + 8, base_rva);
    for (size_t i = 0; i < count; i++) {
        mdw_put64(s + 16 + 16 * i, starts[i]);
        mdw_put64(s + 24 + 16 * i, sizes[i]);
    }
    mdw_add_stream(w, DW_STREAM_MEMORY64_LIST, s, 16 + 16 * count);
}

START_TEST(memory_overlaps_resolve_by_source_then_order)
{
    /* Memory64List owns [0x2000,0x2100); MemoryList ranges overlap it and
     * each other; the later-listed MemoryList range starts lower but loses
     * the bytes the earlier-listed one covers. */
    uint8_t m64[0x100], first[0x80], second[0x100], low[0x40];
    memset(m64, 0xAA, sizeof m64);
    memset(first, 0xBB, sizeof first);
    memset(second, 0xCC, sizeof second);
    memset(low, 0xDD, sizeof low);
    mdw *w = mdw_new();
    uint32_t m64_rva = mdw_append(w, m64, sizeof m64);
    uint64_t start = 0x2000, size = sizeof m64;
    add_memory64(w, &start, &size, 1, m64_rva);
    mdw_add_memory(w, 0x20c0, first, sizeof first);   /* [0x20c0,0x2140) */
    mdw_add_memory(w, 0x2100, second, sizeof second); /* [0x2100,0x2200) */
    mdw_add_memory(w, 0x1fe0, low, sizeof low);       /* [0x1fe0,0x2020) */
    dw_test_dump o = dw_test_open_writer(w);
    dw_dump *d = o.dump;
    const dw_memory_range *r;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(d, &r, &n), DW_OK);
    ck_assert_uint_eq(n, 4);
    for (size_t i = 1; i < n; i++)
        ck_assert_uint_le(r[i - 1].base + r[i - 1].size, r[i].base);
    ck_assert_uint_eq(r[0].base, 0x1fe0); /* low, trimmed before the Memory64 range */
    ck_assert_uint_eq(r[0].size, 0x20);
    ck_assert_uint_eq(r[1].base, 0x2000);
    ck_assert_uint_eq(r[1].size, 0x100);
    ck_assert_int_eq(r[1].source, DW_MEMSRC_MEMORY64_LIST);
    ck_assert_uint_eq(r[2].base, 0x2100); /* first: the part past Memory64 */
    ck_assert_uint_eq(r[2].size, 0x40);
    ck_assert_uint_eq(r[3].base, 0x2140); /* second: the part past first */
    ck_assert_uint_eq(r[3].size, 0xc0);

    uint8_t buf[0x240];
    size_t got;
    ck_assert_int_eq(dw_memory_read(d, 0x1fe0, buf, sizeof buf, &got), DW_ERR_TRUNCATED);
    ck_assert_uint_eq(got, 0x220);
    ck_assert_uint_eq(buf[0x1f], 0xDD);
    ck_assert_uint_eq(buf[0x20], 0xAA);
    ck_assert_uint_eq(buf[0x11f], 0xAA);
    ck_assert_uint_eq(buf[0x120], 0xBB);
    ck_assert_uint_eq(buf[0x15f], 0xBB);
    ck_assert_uint_eq(buf[0x160], 0xCC);
    ck_assert_uint_eq(buf[0x21f], 0xCC);
    dw_test_close(&o);
}
END_TEST

START_TEST(memory_range_split_by_a_higher_priority_range)
{
    /* A MemoryList range that encloses a Memory64List range is split around
     * it, and both halves read the enclosing range's own bytes. */
    uint8_t inner[0x10], outer[0x100];
    memset(inner, 0x11, sizeof inner);
    fill(outer, sizeof outer, 0);
    mdw *w = mdw_new();
    uint32_t rva = mdw_append(w, inner, sizeof inner);
    uint64_t start = 0x5080, size = sizeof inner;
    add_memory64(w, &start, &size, 1, rva);
    mdw_add_memory(w, 0x5000, outer, sizeof outer);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_memory_range *r;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(o.dump, &r, &n), DW_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(r[0].size, 0x80);
    ck_assert_int_eq(r[1].source, DW_MEMSRC_MEMORY64_LIST);
    ck_assert_uint_eq(r[2].base, 0x5090);
    uint8_t buf[0x100];
    ck_assert_int_eq(dw_memory_read(o.dump, 0x5000, buf, sizeof buf, NULL), DW_OK);
    ck_assert_uint_eq(buf[0x7f], 0x7f);
    ck_assert_uint_eq(buf[0x80], 0x11);
    ck_assert_uint_eq(buf[0x8f], 0x11);
    ck_assert_uint_eq(buf[0x90], 0x90);
    ck_assert_uint_eq(buf[0xff], 0xff);
    dw_test_close(&o);
}
END_TEST

START_TEST(memory64_truncated_keeps_whole_ranges_and_clamps_the_last)
{
    uint8_t data[0x40];
    fill(data, sizeof data, 0x30);
    mdw *w = mdw_new();
    uint32_t rva = mdw_append(w, data, sizeof data);
    /* Range 2 declares far more than the file holds; range 3 lies beyond. */
    uint64_t starts[4] = {0x10000, 0x20000, 0x30000, 0x40000};
    uint64_t sizes[4] = {0x10, 0x20, 0x100000, 0x10};
    add_memory64(w, starts, sizes, 4, rva);
    size_t size;
    uint8_t *buf = mdw_finish(w, &size);
    mdw_free(w);
    dw_test_dump o = dw_test_open_buffer(buf, size);
    const dw_memory_range *r;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(o.dump, &r, &n), DW_ERR_TRUNCATED);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(r[0].size, 0x10);
    ck_assert_uint_eq(r[1].size, 0x20);
    ck_assert_uint_eq(r[2].file_offset, rva + 0x30);
    ck_assert_uint_eq(r[2].size, size - (rva + 0x30));
    ck_assert(dw_test_has_issue(o.dump, DW_STREAM_MEMORY64_LIST, "past the end of the file"));
    uint8_t b[4];
    ck_assert_int_eq(dw_memory_read(o.dump, 0x20000, b, 4, NULL), DW_OK);
    ck_assert_uint_eq(b[0], 0x40);
    ck_assert_int_eq(dw_memory_read(o.dump, 0x40000, b, 4, NULL), DW_ERR_NOT_FOUND);
    dw_test_close(&o);
}
END_TEST

START_TEST(memory_descriptors_past_eof_are_clamped_or_dropped)
{
    uint8_t a[16], b[16];
    fill(a, 16, 0);
    fill(b, 16, 0x80);
    mdw *w = mdw_new();
    mdw_add_memory(w, 0x1000, a, 16);
    mdw_add_memory(w, 0x2000, b, 16);
    size_t size;
    uint8_t *buf = mdw_finish(w, &size);
    mdw_free(w);
    size_t entry = mdw_find_dir_entry(buf, size, DW_STREAM_MEMORY_LIST);
    uint32_t s = buf[entry + 8] | buf[entry + 9] << 8 | buf[entry + 10] << 16 |
                 (uint32_t)buf[entry + 11] << 24;
    /* Descriptor 0: DataSize far past the end.  Descriptor 1: RVA past it. */
    mdw_patch_u32(buf, size, s + 4 + 8, 0x7fffffff);
    mdw_patch_u32(buf, size, s + 4 + 16 + 12, (uint32_t)size + 100);
    dw_test_dump o = dw_test_open_buffer(buf, size);
    const dw_memory_range *r;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(o.dump, &r, &n), DW_ERR_TRUNCATED);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(r[0].base, 0x1000);
    ck_assert_uint_eq(r[0].file_offset + r[0].size, size);
    ck_assert(dw_test_has_issue(o.dump, DW_STREAM_MEMORY_LIST, "range 0"));
    ck_assert(dw_test_has_issue(o.dump, DW_STREAM_MEMORY_LIST, "range 1"));
    size_t avail;
    ck_assert_ptr_nonnull(dw_memory_span(o.dump, 0x1000, &avail));
    ck_assert_uint_eq(avail, r[0].size);
    dw_test_close(&o);
}
END_TEST

START_TEST(no_memory_is_not_found)
{
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19041, 2, NULL);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_memory_range *r;
    size_t n = 5;
    ck_assert_int_eq(dw_memory_ranges(o.dump, &r, &n), DW_ERR_NOT_FOUND);
    ck_assert_uint_eq(n, 0);
    uint8_t b[4];
    size_t got = 7;
    ck_assert_int_eq(dw_memory_read(o.dump, 0, b, 4, &got), DW_ERR_NOT_FOUND);
    ck_assert_uint_eq(got, 0);
    dw_test_close(&o);
}
END_TEST

START_TEST(thread_stacks_are_the_lowest_priority_source)
{
    uint8_t stack[0x40], list[0x20];
    memset(stack, 0x57, sizeof stack);
    memset(list, 0x4c, sizeof list);
    mdw *w = mdw_new();
    mdw_add_thread(w, 7, 0x7000, 0x9000, stack, sizeof stack, 0, 0);
    mdw_add_memory(w, 0x9010, list, sizeof list);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_thread *t;
    size_t nt;
    if (dw_dump_threads(o.dump, &t, &nt) != DW_OK) {
        dw_test_close(&o);
        ck_abort_msg("dw_dump_threads is not usable yet: %s", dw_dump_last_error(o.dump));
    }
    const dw_memory_range *r;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(o.dump, &r, &n), DW_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(r[0].source, DW_MEMSRC_THREAD_STACK);
    ck_assert_int_eq(r[1].source, DW_MEMSRC_MEMORY_LIST);
    ck_assert_int_eq(r[2].source, DW_MEMSRC_THREAD_STACK);
    uint8_t b[0x40];
    ck_assert_int_eq(dw_memory_read(o.dump, 0x9000, b, sizeof b, NULL), DW_OK);
    ck_assert_uint_eq(b[0x0f], 0x57);
    ck_assert_uint_eq(b[0x10], 0x4c);
    ck_assert_uint_eq(b[0x2f], 0x4c);
    ck_assert_uint_eq(b[0x30], 0x57);
    dw_test_close(&o);
}
END_TEST

/* ---- memory info: synthetic --------------------------------------------- */

START_TEST(memory_info_sorted_and_looked_up)
{
    mdw *w = mdw_new();
    mdw_add_memory_info(w, 0x20000, 0x1000, 0x1000, 0x20, 0x1000000); /* image, RX */
    mdw_add_memory_info(w, 0x10000, 0x10000, 0x1000, 0x104, 0x20000); /* RW|GUARD */
    mdw_add_memory_info(w, 0x30000, 0x5000, 0x10000, 0x01, 0);        /* free */
    dw_test_dump o = dw_test_open_writer(w);
    const dw_memory_info *mi;
    size_t n;
    ck_assert_int_eq(dw_dump_memory_infos(o.dump, &mi, &n), DW_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(mi[0].base_address, 0x10000);
    ck_assert_uint_eq(mi[1].base_address, 0x20000);
    ck_assert_uint_eq(mi[1].type, 0x1000000);
    ck_assert_uint_eq(mi[1].allocation_base, 0x20000);
    ck_assert_uint_eq(mi[1].region_size, 0x1000);
    ck_assert_ptr_eq(dw_dump_memory_info_at(o.dump, 0x1ffff), &mi[0]);
    ck_assert_ptr_eq(dw_dump_memory_info_at(o.dump, 0x20fff), &mi[1]);
    ck_assert_ptr_null(dw_dump_memory_info_at(o.dump, 0x21000));
    ck_assert_ptr_null(dw_dump_memory_info_at(o.dump, 0xffff));
    ck_assert(dw_memory_protect_is_executable(mi[1].protect));
    ck_assert(!dw_memory_protect_is_executable(mi[0].protect));
    dw_test_close(&o);
}
END_TEST

START_TEST(protect_strings_and_executable_bits)
{
    char buf[128];
    ck_assert_str_eq(dw_memory_protect_string(0x20, buf, sizeof buf), "PAGE_EXECUTE_READ");
    ck_assert_str_eq(dw_memory_protect_string(0x104, buf, sizeof buf), "PAGE_READWRITE|PAGE_GUARD");
    ck_assert_str_eq(dw_memory_protect_string(0x02 | 0x200, buf, sizeof buf),
                     "PAGE_READONLY|PAGE_NOCACHE");
    ck_assert_str_eq(dw_memory_protect_string(0, buf, sizeof buf), "0x0");
    ck_assert_str_eq(dw_memory_protect_string(0x04 | 0x1000, buf, sizeof buf),
                     "PAGE_READWRITE|0x1000");
    char tiny[6];
    dw_memory_protect_string(0x40, tiny, sizeof tiny);
    ck_assert_uint_lt(strlen(tiny), sizeof tiny);
    ck_assert(dw_memory_protect_is_executable(0x10));
    ck_assert(dw_memory_protect_is_executable(0x20));
    ck_assert(dw_memory_protect_is_executable(0x40));
    ck_assert(dw_memory_protect_is_executable(0x80 | 0x100));
    ck_assert(!dw_memory_protect_is_executable(0x01));
    ck_assert(!dw_memory_protect_is_executable(0x08));
    ck_assert(!dw_memory_protect_is_executable(0x104));
}
END_TEST

START_TEST(memory_info_bad_entry_size_is_damage)
{
    mdw *w = mdw_new();
    uint8_t s[16 + 48] = {0};
    mdw_put32(s, 16);
    mdw_put32(s + 4, 40); /* smaller than MINIDUMP_MEMORY_INFO */
    mdw_put64(s + 8, 1);
    mdw_add_stream(w, DW_STREAM_MEMORY_INFO_LIST, s, sizeof s);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_memory_info *mi;
    size_t n;
    ck_assert_int_eq(dw_dump_memory_infos(o.dump, &mi, &n), DW_ERR_DAMAGED);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(dw_dump_memory_info_at(o.dump, 0));
    dw_test_close(&o);
}
END_TEST

/* ---- handles and function tables: synthetic ----------------------------- */

START_TEST(handles_v2_and_v1)
{
    mdw *w = mdw_new();
    mdw_add_handle(w, 0x4, "File", "\\Device\\HarddiskVolume3\\x", 0x120089);
    mdw_add_handle(w, 0x8, "Event", NULL, 0x1f0003);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_handle *h;
    size_t n;
    ck_assert_int_eq(dw_dump_handles(o.dump, &h, &n), DW_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(h[0].handle, 4);
    ck_assert_str_eq(h[0].type_name, "File");
    ck_assert_str_eq(h[0].object_name, "\\Device\\HarddiskVolume3\\x");
    ck_assert_uint_eq(h[0].granted_access, 0x120089);
    ck_assert_uint_eq(h[1].handle_count, 1);
    ck_assert_ptr_null(h[1].object_name);
    dw_test_close(&o);

    /* v1: 32-byte descriptors, no ObjectInfoRva. */
    w = mdw_new();
    uint32_t type = mdw_append_string(w, "Key");
    uint8_t s[16 + 32] = {0};
    mdw_put32(s, 16);
    mdw_put32(s + 4, 32);
    mdw_put32(s + 8, 1);
    mdw_put64(s + 16, 0x40);
    mdw_put32(s + 24, type);
    mdw_put32(s + 40, 3); /* HandleCount */
    mdw_put32(s + 44, 9); /* PointerCount */
    mdw_add_stream(w, DW_STREAM_HANDLE_DATA, s, sizeof s);
    o = dw_test_open_writer(w);
    ck_assert_int_eq(dw_dump_handles(o.dump, &h, &n), DW_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(h[0].type_name, "Key");
    ck_assert_uint_eq(h[0].handle_count, 3);
    ck_assert_uint_eq(h[0].pointer_count, 9);
    ck_assert_uint_eq(h[0].object_info_rva, 0);
    dw_test_close(&o);

    /* A descriptor size below v1's is refused. */
    w = mdw_new();
    mdw_put32(s + 4, 16);
    mdw_add_stream(w, DW_STREAM_HANDLE_DATA, s, sizeof s);
    o = dw_test_open_writer(w);
    ck_assert_int_eq(dw_dump_handles(o.dump, &h, &n), DW_ERR_DAMAGED);
    ck_assert_uint_eq(n, 0);
    ck_assert(dw_test_has_issue(o.dump, DW_STREAM_HANDLE_DATA, "SizeOfDescriptor 16"));
    dw_test_close(&o);
}
END_TEST

/* A FunctionTable stream: 24-byte header + 4 bytes of header padding, then
 * two tables (32-byte descriptor, 8-byte native descriptor, 12-byte entries,
 * per-table padding). */
static size_t build_function_tables(uint8_t *s, uint32_t second_entry_count)
{
    size_t at = 0;
    mdw_put32(s + 0, 24);
    mdw_put32(s + 4, 32);
    mdw_put32(s + 8, 8);
    mdw_put32(s + 12, 12);
    mdw_put32(s + 16, 2);
    mdw_put32(s + 20, 4);
    at = 28;
    const uint32_t counts[2] = {2, second_entry_count};
    for (int t = 0; t < 2; t++) {
        mdw_put64(s + at, 0x10000 * (t + 1));
        mdw_put64(s + at + 8, 0x10000 * (t + 1) + 0x1000);
        mdw_put64(s + at + 16, 0x10000 * (t + 1));
        mdw_put32(s + at + 24, counts[t]);
        mdw_put32(s + at + 28, 4);
        at += 32;
        memset(s + at, 0xee, 8);
        at += 8;
        for (uint32_t e = 0; e < 2; e++) { /* at most 2 entries are written */
            mdw_put32(s + at, 0x100 * (e + 1));
            mdw_put32(s + at + 4, 0x100 * (e + 1) + 0x80);
            mdw_put32(s + at + 8, 0x2000 + e);
            at += 12;
        }
        at += 4;
    }
    return at;
}

START_TEST(function_tables_follow_declared_sizes)
{
    uint8_t s[256] = {0};
    size_t len = build_function_tables(s, 2);
    mdw *w = mdw_new();
    mdw_add_stream(w, DW_STREAM_FUNCTION_TABLE, s, len);
    dw_test_dump o = dw_test_open_writer(w);
    const dw_function_table *t;
    size_t n;
    ck_assert_int_eq(dw_dump_function_tables(o.dump, &t, &n), DW_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(t[1].minimum_address, 0x20000);
    ck_assert_uint_eq(t[1].maximum_address, 0x21000);
    ck_assert_uint_eq(t[1].base_address, 0x20000);
    ck_assert_uint_eq(t[1].entry_count, 2);
    ck_assert_uint_eq(t[1].entry_size, 12);
    ck_assert_uint_eq(t[1].native_descriptor_size, 8);
    ck_assert_uint_eq(t[1].native_descriptor[7], 0xee);
    ck_assert_uint_eq(t[1].entries[12], 0x00); /* second entry's BeginAddress 0x200 */
    ck_assert_uint_eq(t[1].entries[13], 0x02);
    dw_test_close(&o);

    /* The second table declares more entries than the stream holds. */
    len = build_function_tables(s, 1000);
    w = mdw_new();
    mdw_add_stream(w, DW_STREAM_FUNCTION_TABLE, s, len);
    o = dw_test_open_writer(w);
    ck_assert_int_eq(dw_dump_function_tables(o.dump, &t, &n), DW_ERR_TRUNCATED);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(t[0].entry_count, 2);
    ck_assert(dw_test_has_issue(o.dump, DW_STREAM_FUNCTION_TABLE, "table 1"));
    dw_test_close(&o);
}
END_TEST

/* ---- corpus: modules against the reference tools ------------------------ */

typedef struct ref_module {
    uint64_t base, end;
    char name[512], debug[512], id[80];
} ref_module;

/* Value of "\tkey=" in a normalized oracle line, copied into out. */
static int norm_field(const char *line, const char *key, char *out, size_t cap)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\t%s=", key);
    const char *p = strstr(line, pat);
    if (!p)
        return 0;
    p += strlen(pat);
    size_t n = strcspn(p, "\t\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

static size_t read_norm_modules(const char *path, ref_module *out, size_t max)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return 0;
    static char line[16384];
    size_t n = 0;
    while (fgets(line, sizeof line, f) && n < max) {
        if (strncmp(line, "module\t", 7))
            continue;
        char num[64];
        ref_module *m = &out[n++];
        norm_field(line, "base", num, sizeof num);
        m->base = strtoull(num, NULL, 16);
        norm_field(line, "end", num, sizeof num);
        m->end = strtoull(num, NULL, 16);
        norm_field(line, "name", m->name, sizeof m->name);
        norm_field(line, "debug", m->debug, sizeof m->debug);
        norm_field(line, "id", m->id, sizeof m->id);
    }
    fclose(f);
    return n;
}

static int compare_module_ptrs(const void *a, const void *b)
{
    const dw_module *x = *(const dw_module *const *)a, *y = *(const dw_module *const *)b;
    if (x->base != y->base)
        return x->base < y->base ? -1 : 1;
    return x < y ? -1 : x > y;
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Compare one dump's modules with the oracle's (both sorted by base);
 * returns how many modules were compared. */
static size_t check_against_norm(const char *rel, dw_dump *d, const ref_module *ref, size_t nref)
{
    const dw_module *m;
    size_t n;
    dw_dump_modules(d, &m, &n);
    ck_assert_msg(n == nref, "%s: %zu modules, oracle has %zu", rel, n, nref);
    const dw_module **sorted = malloc((n ? n : 1) * sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        sorted[i] = &m[i];
    qsort(sorted, n, sizeof *sorted, compare_module_ptrs);
    for (size_t i = 0; i < n; i++) {
        const dw_module *x = sorted[i];
        const ref_module *r = &ref[i];
        ck_assert_msg(x->base == r->base && x->base + x->size - 1 == r->end,
                      "%s: module %zu at 0x%llx+0x%llx, oracle 0x%llx..0x%llx", rel, i,
                      (unsigned long long)x->base, (unsigned long long)x->size,
                      (unsigned long long)r->base, (unsigned long long)r->end);
        ck_assert_msg(!strcmp(x->name, r->name), "%s: 0x%llx name '%s', oracle '%s'", rel,
                      (unsigned long long)x->base, x->name, r->name);
        const char *debug = or_dash(*x->debug_file ? dw_path_basename(x->debug_file) : "");
        ck_assert_msg(!strcmp(debug, r->debug), "%s: %s debug file '%s', oracle '%s'", rel, x->name,
                      debug, r->debug);
        ck_assert_msg(!strcmp(or_dash(x->debug_id), r->id), "%s: %s debug id '%s', oracle '%s'",
                      rel, x->name, x->debug_id, r->id);
    }
    free(sorted);
    return n;
}

/* minidump_dump's view (bp.dump.txt): MDRawModule blocks in dump order and
 * the MemoryList's regions with their bytes. */
typedef struct bp_module {
    uint64_t base, size;
    char code_file[1024], code_id[96], debug_file[1024], debug_id[80];
} bp_module;

typedef struct bp_region {
    uint64_t start, size;
    uint8_t *bytes; /* NULL when minidump_dump printed none */
} bp_region;

typedef struct bp_dump {
    bp_module *modules;
    size_t nmodules, cap_modules;
    bp_region *regions;
    size_t nregions, cap_regions;
} bp_dump;

/* "  key   = value": the value after " = ", unquoted. */
static const char *bp_value(char *line)
{
    char *eq = strstr(line, " = ");
    if (!eq)
        return "";
    char *v = eq + 3;
    v[strcspn(v, "\n")] = '\0';
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v[n - 1] = '\0';
        v++;
    }
    return v;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

static uint8_t *hex_bytes(const char *hex, uint64_t want)
{
    if (strncmp(hex, "0x", 2))
        return NULL;
    hex += 2;
    if (strlen(hex) < 2 * want)
        return NULL;
    uint8_t *out = malloc(want ? want : 1);
    for (uint64_t i = 0; i < want; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return out;
}

static void bp_module_field(bp_module *m, char *line)
{
    const char *v = bp_value(line);
    if (strstr(line, "  base_of_image "))
        m->base = strtoull(v, NULL, 16);
    else if (strstr(line, "  size_of_image "))
        m->size = strtoull(v, NULL, 16);
    else if (strstr(line, "(code_file)"))
        copy_str(m->code_file, sizeof m->code_file, v);
    else if (strstr(line, "(code_identifier)"))
        copy_str(m->code_id, sizeof m->code_id, v);
    else if (strstr(line, "(debug_file)"))
        copy_str(m->debug_file, sizeof m->debug_file, v);
    else if (strstr(line, "(debug_identifier)"))
        copy_str(m->debug_id, sizeof m->debug_id, v);
}

static void bp_read(const char *path, bp_dump *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    enum { NONE, MODULE, LIST, REGION, REGION_BYTES } state = NONE;
    while (getline(&line, &cap, f) > 0) {
        if (!strcmp(line, "MDRawModule\n")) {
            if (out->nmodules == out->cap_modules) {
                out->cap_modules = out->cap_modules ? 2 * out->cap_modules : 64;
                out->modules = realloc(out->modules, out->cap_modules * sizeof *out->modules);
            }
            memset(&out->modules[out->nmodules++], 0, sizeof *out->modules);
            state = MODULE;
        } else if (!strcmp(line, "MinidumpMemoryList\n")) {
            state = LIST;
        } else if (state >= LIST && !strcmp(line, "MDMemoryDescriptor\n")) {
            if (out->nregions == out->cap_regions) {
                out->cap_regions = out->cap_regions ? 2 * out->cap_regions : 16;
                out->regions = realloc(out->regions, out->cap_regions * sizeof *out->regions);
            }
            memset(&out->regions[out->nregions++], 0, sizeof *out->regions);
            state = REGION;
        } else if (state == MODULE && line[0] == ' ') {
            bp_module_field(&out->modules[out->nmodules - 1], line);
        } else if (state == REGION && line[0] == ' ') {
            bp_region *r = &out->regions[out->nregions - 1];
            if (strstr(line, "start_of_memory_range"))
                r->start = strtoull(bp_value(line), NULL, 16);
            else if (strstr(line, "memory.data_size"))
                r->size = strtoull(bp_value(line), NULL, 16);
        } else if (state == REGION && !strcmp(line, "Memory\n")) {
            state = REGION_BYTES;
        } else if (state == REGION_BYTES) {
            line[strcspn(line, "\n")] = '\0';
            bp_region *r = &out->regions[out->nregions - 1];
            r->bytes = hex_bytes(line, r->size);
            state = LIST;
        } else if (line[0] != ' ' && line[0] != '\n' && strncmp(line, "region[", 7)) {
            state = NONE;
        }
    }
    free(line);
    fclose(f);
}

static void bp_free(bp_dump *b)
{
    for (size_t i = 0; i < b->nregions; i++)
        free(b->regions[i].bytes);
    free(b->regions);
    free(b->modules);
}

/* Dump order, full paths and code ids against minidump_dump.  Breakpad
 * prints the code id "id" for non-Windows modules without an ELF build id
 * (its placeholder); those are skipped. */
static size_t check_against_bp_dump(const char *rel, dw_dump *d, const bp_dump *bp)
{
    const dw_module *m;
    size_t n;
    dw_dump_modules(d, &m, &n);
    ck_assert_msg(n == bp->nmodules, "%s: %zu modules, minidump_dump lists %zu", rel, n,
                  bp->nmodules);
    for (size_t i = 0; i < n; i++) {
        const bp_module *b = &bp->modules[i];
        ck_assert_msg(m[i].base == b->base && m[i].size == b->size,
                      "%s: module %zu 0x%llx+0x%llx, minidump_dump 0x%llx+0x%llx", rel, i,
                      (unsigned long long)m[i].base, (unsigned long long)m[i].size,
                      (unsigned long long)b->base, (unsigned long long)b->size);
        ck_assert_msg(!strcmp(m[i].path, b->code_file), "%s: module %zu path '%s' vs '%s'", rel, i,
                      m[i].path, b->code_file);
        ck_assert_msg(!strcmp(m[i].debug_file, b->debug_file),
                      "%s: module %zu debug file '%s' vs '%s'", rel, i, m[i].debug_file,
                      b->debug_file);
        ck_assert_msg(!strcmp(m[i].debug_id, b->debug_id), "%s: module %zu debug id '%s' vs '%s'",
                      rel, i, m[i].debug_id, b->debug_id);
        if (strcmp(b->code_id, "id") != 0)
            ck_assert_msg(!strcmp(m[i].code_id, b->code_id), "%s: module %zu code id '%s' vs '%s'",
                          rel, i, m[i].code_id, b->code_id);
    }
    return n;
}

/* Every MemoryList region minidump_dump printed reads back byte for byte. */
static size_t check_regions(const char *rel, dw_dump *d, const bp_dump *bp)
{
    size_t checked = 0;
    for (size_t i = 0; i < bp->nregions; i++) {
        const bp_region *r = &bp->regions[i];
        if (!r->bytes || r->size == 0)
            continue;
        uint8_t *buf = malloc(r->size);
        size_t got = 0;
        dw_status st = dw_memory_read(d, r->start, buf, r->size, &got);
        ck_assert_msg(st == DW_OK && got == r->size, "%s: region 0x%llx+0x%llx read %s (%zu bytes)",
                      rel, (unsigned long long)r->start, (unsigned long long)r->size,
                      dw_status_name(st), got);
        ck_assert_msg(!memcmp(buf, r->bytes, r->size), "%s: region 0x%llx bytes differ", rel,
                      (unsigned long long)r->start);
        free(buf);
        checked++;
    }
    return checked;
}

START_TEST(corpus_modules_match_reference_tools)
{
    const char *const *paths;
    size_t ndumps = corpus_dumps(&paths);
    if (ndumps == 0)
        return; /* shared corpus absent */
    size_t cap = 4096, norm_checked = 0, bp_checked = 0, regions = 0;
    ref_module *ref = malloc(cap * sizeof *ref);
    for (size_t k = 0; k < ndumps; k++) {
        const char *rel = paths[k];
        dw_dump *d;
        dw_error err;
        if (dw_dump_open(corpus_abs(rel), NULL, &d, &err) != DW_OK)
            continue; /* unreadable fuzzed files are another suite's concern */
        /* Breakpad's normalized list, or LLDB's where Breakpad failed. */
        size_t nref = read_norm_modules(corpus_oracle(rel, "bp.nosym.norm.txt"), ref, cap);
        if (nref == 0)
            nref = read_norm_modules(corpus_oracle(rel, "lldb.nosym.norm.txt"), ref, cap);
        if (nref > 0)
            norm_checked += check_against_norm(rel, d, ref, nref);
        bp_dump bp;
        bp_read(corpus_oracle(rel, "bp.dump.txt"), &bp);
        if (bp.nmodules > 0)
            bp_checked += check_against_bp_dump(rel, d, &bp);
        regions += check_regions(rel, d, &bp);
        bp_free(&bp);
        dw_dump_close(d);
    }
    free(ref);
    /* The corpus holds well over a thousand modules; a parser that found none
     * must not pass. */
    ck_assert_uint_gt(norm_checked, 1500);
    ck_assert_uint_gt(bp_checked, 1500);
    ck_assert_uint_gt(regions, 200);
}
END_TEST

START_TEST(lldb_padded_module_lists)
{
    static const char *const files[] = {"corpus/lldb/module-list-padded.dmp",
                                        "corpus/lldb/module-list-not-padded.dmp"};
    for (size_t i = 0; i < 2; i++) {
        const char *path = dw_test_shared_path(files[i]);
        if (!path)
            return;
        dw_dump *d;
        ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
        const dw_module *m;
        size_t n;
        ck_assert_int_eq(dw_dump_modules(d, &m, &n), DW_OK);
        ck_assert_uint_eq(n, 2);
        ck_assert_str_eq(m[0].path, "/tmp/a");
        ck_assert_uint_eq(m[0].base, 0x1000);
        ck_assert_uint_eq(m[0].size, 0x2000);
        ck_assert_str_eq(m[1].path, "/tmp/b");
        ck_assert_uint_eq(m[1].base, 0x5000);
        ck_assert_uint_eq(m[1].size, 0x3000);
        ck_assert_str_eq(dw_dump_module_at(d, 0x7fff)->name, "b");
        ck_assert_uint_eq(dw_dump_health_count(d), 0);
        dw_dump_close(d);
    }
}
END_TEST

/* ---- corpus: memory ----------------------------------------------------- */

START_TEST(lldb_padded_memory_list)
{
    const char *path = dw_test_shared_path("corpus/lldb/memory-list-padded.dmp");
    if (!path)
        return;
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    const dw_memory_range *r;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(d, &r, &n), DW_OK);
    ck_assert_uint_eq(n, 2);
    char buf[32] = {0};
    ck_assert_int_eq(dw_memory_read(d, 0x8000, buf, 12, NULL), DW_OK);
    ck_assert_str_eq(buf, "Hello world!");
    memset(buf, 0, sizeof buf);
    ck_assert_int_eq(dw_memory_read(d, 0x8010, buf, 15, NULL), DW_OK);
    ck_assert_str_eq(buf, "Goodbye moon...");
    size_t got;
    ck_assert_int_eq(dw_memory_read(d, 0x8000, buf, 16, &got), DW_ERR_TRUNCATED);
    ck_assert_uint_eq(got, 12); /* 0x800c..0x800f is a gap */
    dw_dump_close(d);
}
END_TEST

START_TEST(radare2_truncated_memory64)
{
    const char *path = dw_test_shared_path("corpus/radare2-testbins/trunc_memory64.dmp");
    if (!path)
        return;
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    const dw_memory_range *r;
    size_t n;
    /* One range declared, but the 16-byte stream holds no descriptor and the
     * data offset is the end of the file: nothing usable, damage reported. */
    ck_assert_int_eq(dw_memory_ranges(d, &r, &n), DW_ERR_TRUNCATED);
    ck_assert_uint_eq(n, 0);
    ck_assert(dw_test_has_issue(d, DW_STREAM_MEMORY64_LIST, "Memory64List"));
    uint8_t b[4];
    ck_assert_int_eq(dw_memory_read(d, 0xdeadbeefcafe, b, 4, NULL), DW_ERR_NOT_FOUND);
    dw_dump_close(d);
}
END_TEST

/* The value of the next `"key": "` after *pos (advancing it), or NULL. */
static const char *json_next(const char **pos, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(*pos, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    size_t n = strcspn(p, "\"");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    *pos = p + n;
    return out;
}

/* Expect `text` at `addr` (present) or the address to be absent. */
static void check_marker(const char *name, dw_dump *d, const char *addr, const char *text,
                         int present)
{
    uint64_t va = strtoull(addr, NULL, 16);
    char buf[256] = {0};
    size_t len = strlen(text), got = 0;
    dw_status st = dw_memory_read(d, va, buf, len, &got);
    if (present) {
        ck_assert_msg(st == DW_OK && !memcmp(buf, text, len),
                      "%s: 0x%llx read %s '%.*s', want '%s'", name, (unsigned long long)va,
                      dw_status_name(st), (int)got, buf, text);
    } else {
        ck_assert_msg(st == DW_ERR_NOT_FOUND, "%s: 0x%llx should not be captured (%s)", name,
                      (unsigned long long)va, dw_status_name(st));
    }
}

/* Wine fixtures: every frame's marker string reads back from its stack,
 * except the dumper thread's in a dump written in-process (Wine writes no
 * stack for the calling thread); the global and heap markers exist only in
 * full-memory dumps. */
static size_t check_wine_markers(const char *name)
{
    char rel[128], dmp[128];
    snprintf(rel, sizeof rel, "wine/%s.json", name);
    const char *json_path = dw_test_shared_path(rel);
    if (!json_path)
        return 0;
    size_t size;
    char *json = (char *)dw_test_read_file(json_path, &size);
    ck_assert_ptr_nonnull(json);
    json = realloc(json, size + 1);
    json[size] = '\0';
    snprintf(dmp, sizeof dmp, "wine/%s.dmp", name);
    const char *dmp_path = dw_test_shared_path(dmp);
    if (!dmp_path) {
        snprintf(dmp, sizeof dmp, "wine/%s.dmp.gz", name);
        dmp_path = dw_test_shared_path(dmp);
    }
    ck_assert_ptr_nonnull(dmp_path);
    dw_dump *d;
    dw_error err;
    ck_assert_msg(dw_dump_open(dmp_path, NULL, &d, &err) == DW_OK, "%s", err.message);

    char type[512], addr[64], text[256];
    const char *pos = json;
    ck_assert_ptr_nonnull(json_next(&pos, "dump_type", type, sizeof type));
    int full = strstr(type, "FullMemory") != NULL;
    const char *g = strstr(json, "\"global_marker\"");
    const char *h = strstr(json, "\"heap_marker\"");
    ck_assert(g && h);
    ck_assert(json_next(&g, "addr", addr, sizeof addr) && json_next(&g, "text", text, sizeof text));
    check_marker(name, d, addr, text, full);
    ck_assert(json_next(&h, "addr", addr, sizeof addr) && json_next(&h, "text", text, sizeof text));
    check_marker(name, d, addr, text, full);

    size_t checked = 0;
    int in_process = strstr(type, "in-process") != NULL;
    char role[64];
    const char *t = strstr(json, "\"threads\"");
    ck_assert_ptr_nonnull(t);
    while (json_next(&t, "role", role, sizeof role)) {
        const char *next_thread = strstr(t, "\"role\"");
        const char *f = t;
        int present = !(in_process && !strcmp(role, "dumper"));
        while (json_next(&f, "marker_addr", addr, sizeof addr) &&
               (!next_thread || f < next_thread)) {
            ck_assert_ptr_nonnull(json_next(&f, "marker_text", text, sizeof text));
            check_marker(name, d, addr, text, present);
            checked++;
        }
    }
    dw_dump_close(d);
    free(json);
    return checked;
}

START_TEST(wine_marker_strings_read_back)
{
    static const char *const dumps[] = {"x64_ext_normal", "x64_inproc_normal", "x64_winedbg",
                                        "x64_nowin_ext_full"};
    if (!dw_test_shared_path("wine/x64_ext_normal.json"))
        return;
    size_t total = 0;
    for (size_t i = 0; i < sizeof dumps / sizeof dumps[0]; i++) {
        size_t n = check_wine_markers(dumps[i]);
        ck_assert_uint_ge(n, 20);
        total += n;
    }
    ck_assert_uint_ge(total, 100);
}
END_TEST

START_TEST(wine_normal_dump_ranges_are_sorted_and_disjoint)
{
    const char *path = dw_test_shared_path("wine/x64_ext_normal.dmp");
    if (!path)
        return;
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    const dw_memory_range *r;
    size_t n;
    ck_assert_int_eq(dw_memory_ranges(d, &r, &n), DW_OK);
    ck_assert_uint_gt(n, 10000);
    const dw_header *hdr = dw_dump_header(d);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_gt(r[i].size, 0);
        ck_assert_uint_le(r[i].file_offset + r[i].size, hdr->file_size);
        if (i > 0)
            ck_assert_uint_le(r[i - 1].base + r[i - 1].size, r[i].base);
        size_t avail;
        const uint8_t *p = dw_memory_span(d, r[i].base + r[i].size - 1, &avail);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq(avail, 1);
    }
    dw_dump_close(d);
}
END_TEST

/* ---- corpus: memory info, handles, function tables, unloaded modules ---- */

START_TEST(cet_xsave_dump_streams)
{
    const char *path = dw_test_shared_path("corpus/breakpad/tiny-exe-with-cet-xsave.dmp");
    if (!path)
        return;
    dw_dump *d;
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    const dw_handle *h;
    size_t n;
    /* HandleData: 16-byte header, 32-byte (v1) descriptors, 0x93 of them. */
    ck_assert_int_eq(dw_dump_handles(d, &h, &n), DW_OK);
    ck_assert_uint_eq(n, 0x93);
    ck_assert_uint_eq(h[0].handle, 4);
    ck_assert_str_eq(h[0].type_name, "File");
    ck_assert_str_eq(h[1].type_name, "Event");
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(h[i].object_info_rva, 0);

    const dw_unloaded_module *u;
    ck_assert_int_eq(dw_dump_unloaded_modules(d, &u, &n), DW_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(u[0].name, "shcore.dll");
    ck_assert_uint_eq(u[0].base, 0x7ff90f450000);
    ck_assert_uint_eq(u[0].size, 0xea000);

    /* MemoryInfoList agrees with minidump_dump's 0x22d MDRawMemoryInfo. */
    const dw_memory_info *mi;
    ck_assert_int_eq(dw_dump_memory_infos(d, &mi, &n), DW_OK);
    ck_assert_uint_eq(n, 0x22d);
    for (size_t i = 1; i < n; i++)
        ck_assert_uint_le(mi[i - 1].base_address + mi[i - 1].region_size, mi[i].base_address);
    /* The main module's first page is image memory; its code is executable. */
    const dw_module *exe = dw_dump_main_module(d);
    ck_assert_ptr_nonnull(exe);
    const dw_memory_info *at = dw_dump_memory_info_at(d, exe->base);
    ck_assert_ptr_nonnull(at);
    ck_assert_uint_eq(at->type, 0x1000000);
    ck_assert_uint_eq(at->state, 0x1000);
    const dw_memory_info *code = dw_dump_memory_info_at(d, exe->base + 0x1000);
    ck_assert_ptr_nonnull(code);
    ck_assert(dw_memory_protect_is_executable(code->protect));
    dw_dump_close(d);
}
END_TEST

START_TEST(corpus_function_tables)
{
    static const struct {
        const char *path;
        size_t tables;
    } cases[] = {
        {"corpus/electron-node-minidump/windows.dmp", 1},
        {"corpus/sentry-native/minidump.dmp", 3},
        {"corpus/wild-GrayGray72-Fortnite-Audio-Game-Crash/UE4Minidump.dmp", 3},
        {"corpus/wild-LYJ-Kerman-crash-log/crash.dmp", 46},
        {"corpus/wild-makkiilikecat-SWSC-GameServer/crash.dmp", 71},
        {"corpus/wild-vinionsinho-DeadIsland2VR/crash.d60d5032.dmp", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = dw_test_shared_path(cases[i].path);
        if (!path)
            return;
        dw_dump *d;
        ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
        const dw_function_table *t;
        size_t n;
        ck_assert_int_eq(dw_dump_function_tables(d, &t, &n), DW_OK);
        ck_assert_uint_eq(n, cases[i].tables);
        for (size_t k = 0; k < n; k++) {
            /* x64: DYNAMIC_FUNCTION_TABLE native descriptors, 12-byte
             * RUNTIME_FUNCTION entries inside the table's address range. */
            ck_assert_uint_eq(t[k].entry_size, 12);
            ck_assert_uint_le(t[k].minimum_address, t[k].maximum_address);
            ck_assert_uint_gt(t[k].entry_count, 0);
            const uint8_t *e = t[k].entries;
            uint32_t begin = e[0] | e[1] << 8 | e[2] << 16 | (uint32_t)e[3] << 24;
            ck_assert_uint_le(t[k].base_address + begin, t[k].maximum_address);
        }
        ck_assert_uint_eq(dw_dump_health_count(d), 0);
        dw_dump_close(d);
    }
    const dw_function_table *t;
    size_t n;
    dw_dump *d;
    const char *path = dw_test_shared_path("corpus/sentry-native/minidump.dmp");
    ck_assert_int_eq(dw_dump_open(path, NULL, &d, NULL), DW_OK);
    ck_assert_int_eq(dw_dump_function_tables(d, &t, &n), DW_OK);
    ck_assert_uint_eq(t[0].minimum_address, 0x7ff4fde91000);
    ck_assert_uint_eq(t[0].entry_count, 4);
    ck_assert_uint_eq(t[1].minimum_address, 0x810000);
    ck_assert_uint_eq(t[1].maximum_address, 0x811153);
    ck_assert_uint_eq(t[1].native_descriptor_size, 0x88);
    dw_dump_close(d);
}
END_TEST

Suite *modules_memory_suite(void)
{
    Suite *s = suite_create("modules_memory");
    TCase *synth = tcase_create("synthetic");
    tcase_add_test(synth, codeview_records_give_breakpad_ids);
    tcase_add_test(synth, module_lookup_by_address);
    tcase_add_test(synth, no_module_list_is_not_found);
    tcase_add_test(synth, module_count_beyond_stream_is_damage);
    tcase_add_test(synth, unloaded_modules_honour_declared_sizes);
    tcase_add_test(synth, memory_reads_across_adjacent_ranges);
    tcase_add_test(synth, memory_overlaps_resolve_by_source_then_order);
    tcase_add_test(synth, memory_range_split_by_a_higher_priority_range);
    tcase_add_test(synth, memory64_truncated_keeps_whole_ranges_and_clamps_the_last);
    tcase_add_test(synth, memory_descriptors_past_eof_are_clamped_or_dropped);
    tcase_add_test(synth, no_memory_is_not_found);
    tcase_add_test(synth, thread_stacks_are_the_lowest_priority_source);
    tcase_add_test(synth, memory_info_sorted_and_looked_up);
    tcase_add_test(synth, protect_strings_and_executable_bits);
    tcase_add_test(synth, memory_info_bad_entry_size_is_damage);
    tcase_add_test(synth, handles_v2_and_v1);
    tcase_add_test(synth, function_tables_follow_declared_sizes);
    suite_add_tcase(s, synth);
    TCase *corpus = tcase_create("corpus");
    tcase_set_timeout(corpus, 300);
    tcase_add_test(corpus, corpus_modules_match_reference_tools);
    tcase_add_test(corpus, lldb_padded_module_lists);
    tcase_add_test(corpus, lldb_padded_memory_list);
    tcase_add_test(corpus, radare2_truncated_memory64);
    tcase_add_test(corpus, wine_marker_strings_read_back);
    tcase_add_test(corpus, wine_normal_dump_ranges_are_sorted_and_disjoint);
    tcase_add_test(corpus, cet_xsave_dump_streams);
    tcase_add_test(corpus, corpus_function_tables);
    suite_add_tcase(s, corpus);
    return s;
}
