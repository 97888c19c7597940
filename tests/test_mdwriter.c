/* The test minidump writer, checked byte by byte against the documented
 * MINIDUMP_* layouts with the bounds-checked reader alone (not through the
 * library's parsers, which these bytes are meant to test). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdwriter.h"
#include "test_util.h"
#include "util/reader.h"

/* A finished dump and a reader over it. */
typedef struct dumpbuf {
    uint8_t *p;
    size_t size;
    dw_reader r;
} dumpbuf;

static dumpbuf finish(mdw *w)
{
    dumpbuf d;
    d.p = mdw_finish(w, &d.size);
    d.r = dw_reader_make(d.p, d.size);
    mdw_free(w);
    return d;
}

static uint32_t u32_at(const dumpbuf *d, uint64_t off)
{
    uint32_t v = 0;
    ck_assert_msg(dw_peek_u32(&d->r, off, &v), "u32 at 0x%llx out of range",
                  (unsigned long long)off);
    return v;
}

static uint64_t u64_at(const dumpbuf *d, uint64_t off)
{
    uint64_t v = 0;
    ck_assert_msg(dw_peek_u64(&d->r, off, &v), "u64 at 0x%llx out of range",
                  (unsigned long long)off);
    return v;
}

static uint16_t u16_at(const dumpbuf *d, uint64_t off)
{
    ck_assert(dw_range_ok(off, 2, d->size));
    return dw_le16(d->p + off);
}

/* Directory entry of the first stream of `type`: sets *size, returns RVA
 * (the test fails when the stream is missing or out of the buffer). */
static uint32_t stream_at(const dumpbuf *d, uint32_t type, uint32_t *size)
{
    size_t entry = mdw_find_dir_entry(d->p, d->size, type);
    ck_assert_msg(entry != (size_t)-1, "stream %u missing", type);
    uint32_t sz = u32_at(d, entry + 4), rva = u32_at(d, entry + 8);
    ck_assert_msg(dw_range_ok(rva, sz, d->size), "stream %u outside the dump", type);
    if (size)
        *size = sz;
    return rva;
}

/* A MINIDUMP_STRING holding ASCII only, decoded into `out`. */
static const char *ascii_string_at(const dumpbuf *d, uint32_t rva, char *out, size_t cap)
{
    dw_reader r = d->r;
    ck_assert(dw_reader_seek(&r, rva));
    uint32_t len = dw_read_u32(&r);
    ck_assert_uint_eq(len % 2, 0);
    ck_assert_uint_lt(len / 2, cap);
    size_t n = len / 2;
    for (size_t i = 0; i < n; i++) {
        uint16_t unit = dw_read_u16(&r);
        ck_assert_uint_lt(unit, 0x80);
        out[i] = (char)unit;
    }
    ck_assert_uint_eq(dw_read_u16(&r), 0); /* the terminator */
    ck_assert(!r.failed);
    out[n] = '\0';
    return out;
}

START_TEST(header_and_directory)
{
    mdw *w = mdw_new();
    mdw_set_header(w, 0x61234567, 0x421826);
    const uint8_t blob[5] = {1, 2, 3, 4, 5};
    mdw_add_stream(w, 0x4b6b0002, blob, sizeof blob);
    mdw_add_stream_entry(w, 0xdead, 0x7777, 0x12345678);
    dumpbuf d = finish(w);

    ck_assert_uint_eq(u32_at(&d, 0), 0x504d444d);
    ck_assert_uint_eq(u32_at(&d, 4) & 0xffff, 0xa793);
    ck_assert_uint_eq(u32_at(&d, 8), 2);
    uint32_t dir = u32_at(&d, 12);
    ck_assert_uint_eq(dir % 4, 0);
    ck_assert_uint_eq(dir + 2 * 12, d.size); /* the directory ends the file */
    ck_assert_uint_eq(u32_at(&d, 20), 0x61234567);
    ck_assert_uint_eq(u64_at(&d, 24), 0x421826);

    ck_assert_uint_eq(u32_at(&d, dir), 0x4b6b0002);
    ck_assert_uint_eq(u32_at(&d, dir + 4), 5);
    uint32_t rva = u32_at(&d, dir + 8);
    ck_assert_uint_ge(rva, 32);
    ck_assert_mem_eq(d.p + rva, blob, sizeof blob);
    /* The raw entry keeps exactly what was asked for. */
    ck_assert_uint_eq(u32_at(&d, dir + 12), 0xdead);
    ck_assert_uint_eq(u32_at(&d, dir + 16), 0x7777);
    ck_assert_uint_eq(u32_at(&d, dir + 20), 0x12345678);
    free(d.p);
}
END_TEST

START_TEST(default_timestamp_and_empty_dump)
{
    dumpbuf d = finish(mdw_new());
    ck_assert_uint_eq(d.size, 32);
    ck_assert_uint_eq(u32_at(&d, 8), 0);
    ck_assert_uint_eq(u32_at(&d, 12), 32);
    ck_assert_uint_eq(u32_at(&d, 20), 0x5f000000);
    ck_assert_uint_eq(u64_at(&d, 24), 0);
    free(d.p);
}
END_TEST

static mdw_regs numbered_regs(void)
{
    mdw_regs regs;
    for (int i = 0; i < 24; i++)
        regs.r[i] = 0x1111111100000000ULL * (uint64_t)(i + 1) + (uint64_t)(0x100 + i);
    return regs;
}

START_TEST(amd64_context_at_documented_offsets)
{
    mdw *w = mdw_new();
    mdw_regs regs = numbered_regs();
    uint32_t ctx_size = 0;
    uint32_t ctx = mdw_context_amd64(w, &regs, 0x10000b, &ctx_size);
    const uint8_t stack[24] = {0xaa, 0xbb};
    mdw_add_thread(w, 0x1234, 0x7ff000, 0x5000, stack, sizeof stack, ctx, ctx_size);
    dumpbuf d = finish(w);

    ck_assert_uint_eq(ctx_size, 1232);
    ck_assert_uint_eq(ctx % 8, 0);
    ck_assert(dw_range_ok(ctx, 1232, d.size));
    ck_assert_uint_eq(u32_at(&d, ctx + 0x30), 0x10000b);
    ck_assert_uint_eq(u64_at(&d, ctx + 0x78), regs.r[0]);  /* Rax */
    ck_assert_uint_eq(u64_at(&d, ctx + 0x80), regs.r[1]);  /* Rcx */
    ck_assert_uint_eq(u64_at(&d, ctx + 0x98), regs.r[4]);  /* Rsp */
    ck_assert_uint_eq(u64_at(&d, ctx + 0xb8), regs.r[8]);  /* R8 */
    ck_assert_uint_eq(u64_at(&d, ctx + 0xf0), regs.r[15]); /* R15 */
    ck_assert_uint_eq(u64_at(&d, ctx + 0xf8), regs.r[16]); /* Rip */
    ck_assert_uint_eq(u32_at(&d, ctx + 0x44), (uint32_t)regs.r[17]);
    ck_assert_uint_eq(u16_at(&d, ctx + 0x38), (uint16_t)regs.r[18]); /* SegCs */
    ck_assert_uint_eq(u16_at(&d, ctx + 0x42), (uint16_t)regs.r[23]); /* SegSs */

    /* ThreadList: count, then MINIDUMP_THREAD (48 bytes). */
    uint32_t size;
    uint32_t tl = stream_at(&d, 3, &size);
    ck_assert_uint_eq(size, 4 + 48);
    ck_assert_uint_eq(u32_at(&d, tl), 1);
    ck_assert_uint_eq(u32_at(&d, tl + 4), 0x1234);
    ck_assert_uint_eq(u64_at(&d, tl + 4 + 16), 0x7ff000);     /* Teb */
    ck_assert_uint_eq(u64_at(&d, tl + 4 + 24), 0x5000);       /* Stack.StartOfMemoryRange */
    ck_assert_uint_eq(u32_at(&d, tl + 4 + 32), sizeof stack); /* Stack.Memory.DataSize */
    uint32_t stack_rva = u32_at(&d, tl + 4 + 36);
    ck_assert_mem_eq(d.p + stack_rva, stack, sizeof stack);
    ck_assert_uint_eq(u32_at(&d, tl + 4 + 40), 1232);
    ck_assert_uint_eq(u32_at(&d, tl + 4 + 44), ctx);
    free(d.p);
}
END_TEST

START_TEST(x86_context_at_documented_offsets)
{
    mdw *w = mdw_new();
    mdw_regs regs = numbered_regs();
    uint32_t ctx_size = 0;
    uint32_t ctx = mdw_context_x86(w, &regs, 0x1000f, &ctx_size);
    dumpbuf d = finish(w);
    ck_assert_uint_eq(ctx_size, 716);
    ck_assert(dw_range_ok(ctx, 716, d.size));
    ck_assert_uint_eq(u32_at(&d, ctx), 0x1000f);
    ck_assert_uint_eq(u32_at(&d, ctx + 0xb0), (uint32_t)regs.r[0]);  /* Eax */
    ck_assert_uint_eq(u32_at(&d, ctx + 0xac), (uint32_t)regs.r[1]);  /* Ecx */
    ck_assert_uint_eq(u32_at(&d, ctx + 0xc4), (uint32_t)regs.r[4]);  /* Esp */
    ck_assert_uint_eq(u32_at(&d, ctx + 0xb4), (uint32_t)regs.r[5]);  /* Ebp */
    ck_assert_uint_eq(u32_at(&d, ctx + 0x9c), (uint32_t)regs.r[7]);  /* Edi */
    ck_assert_uint_eq(u32_at(&d, ctx + 0xb8), (uint32_t)regs.r[8]);  /* Eip */
    ck_assert_uint_eq(u32_at(&d, ctx + 0xc0), (uint32_t)regs.r[9]);  /* EFlags */
    ck_assert_uint_eq(u32_at(&d, ctx + 0xbc), (uint32_t)regs.r[10]); /* SegCs */
    ck_assert_uint_eq(u32_at(&d, ctx + 0x8c), (uint32_t)regs.r[14]); /* SegGs */
    ck_assert_uint_eq(u32_at(&d, ctx + 0xc8), (uint32_t)regs.r[15]); /* SegSs */
    free(d.p);
}
END_TEST

START_TEST(thread_ex_list_entries_are_64_bytes)
{
    mdw *w = mdw_new();
    mdw_use_thread_ex_list(w, 1);
    mdw_add_thread(w, 7, 0, 0, NULL, 0, 0, 0);
    mdw_add_thread(w, 9, 0, 0, NULL, 0, 0, 0);
    dumpbuf d = finish(w);
    ck_assert_uint_eq(mdw_find_dir_entry(d.p, d.size, 3), (size_t)-1);
    uint32_t size;
    uint32_t tl = stream_at(&d, 8, &size);
    ck_assert_uint_eq(size, 4 + 2 * 64);
    ck_assert_uint_eq(u32_at(&d, tl), 2);
    ck_assert_uint_eq(u32_at(&d, tl + 4), 7);
    ck_assert_uint_eq(u32_at(&d, tl + 4 + 64), 9);
    free(d.p);
}
END_TEST

START_TEST(module_with_pdb70_record_and_version)
{
    mdw *w = mdw_new();
    const uint8_t guid[16] = {0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde,
                              1,    2,    3,    4,    5,    6,    7,    8};
    mdw_add_module(w, 0x140000000ULL, 0x20000, "C:\\demo\\demo.exe", 0x5e5e5e5e, "demo.pdb", guid,
                   3, 0x000a000000004a65ULL);
    dumpbuf d = finish(w);

    uint32_t size;
    uint32_t ml = stream_at(&d, 4, &size);
    ck_assert_uint_eq(size, 4 + 108);
    ck_assert_uint_eq(u32_at(&d, ml), 1);
    uint32_t m = ml + 4;
    ck_assert_uint_eq(u64_at(&d, m), 0x140000000ULL);
    ck_assert_uint_eq(u32_at(&d, m + 8), 0x20000);
    ck_assert_uint_eq(u32_at(&d, m + 16), 0x5e5e5e5e);
    char name[64];
    ck_assert_str_eq(ascii_string_at(&d, u32_at(&d, m + 20), name, sizeof name),
                     "C:\\demo\\demo.exe");
    /* VS_FIXEDFILEINFO at +24: signature, FileVersionMS/LS for 10.0.0.19045. */
    ck_assert_uint_eq(u32_at(&d, m + 24), 0xfeef04bd);
    ck_assert_uint_eq(u32_at(&d, m + 24 + 8), 0x000a0000);
    ck_assert_uint_eq(u32_at(&d, m + 24 + 12), 0x00004a65);

    /* CvRecord at +76: RSDS, GUID bytes, Age, NUL-terminated PDB name. */
    uint32_t cv_size = u32_at(&d, m + 76), cv = u32_at(&d, m + 80);
    ck_assert_uint_eq(cv_size, 4 + 16 + 4 + sizeof "demo.pdb");
    ck_assert(dw_range_ok(cv, cv_size, d.size));
    ck_assert_uint_eq(u32_at(&d, cv), 0x53445352);
    ck_assert_uint_eq(u32_at(&d, cv + 4), 0x12345678); /* Data1 */
    ck_assert_uint_eq(u16_at(&d, cv + 8), 0x9abc);     /* Data2 */
    ck_assert_mem_eq(d.p + cv + 4, guid, 16);
    ck_assert_uint_eq(u32_at(&d, cv + 20), 3);
    ck_assert_str_eq((const char *)d.p + cv + 24, "demo.pdb");
    ck_assert_uint_eq(u32_at(&d, m + 84), 0); /* no MiscRecord */
    free(d.p);
}
END_TEST

START_TEST(module_without_codeview_or_version)
{
    mdw *w = mdw_new();
    mdw_add_module(w, 0x10000, 0x1000, "a.dll", 0, NULL, NULL, 0, 0);
    const uint8_t junk[3] = {'N', 'B', '1'};
    mdw_add_module_raw_cv(w, 0x20000, 0x1000, "b.dll", 0, junk, sizeof junk);
    dumpbuf d = finish(w);
    uint32_t ml = stream_at(&d, 4, NULL);
    ck_assert_uint_eq(u32_at(&d, ml), 2);
    ck_assert_uint_eq(u32_at(&d, ml + 4 + 24), 0); /* no VS_FIXEDFILEINFO signature */
    ck_assert_uint_eq(u32_at(&d, ml + 4 + 76), 0); /* no CodeView */
    uint32_t m2 = ml + 4 + 108;
    ck_assert_uint_eq(u32_at(&d, m2 + 76), 3);
    ck_assert_mem_eq(d.p + u32_at(&d, m2 + 80), junk, sizeof junk);
    free(d.p);
}
END_TEST

START_TEST(memory64_list_is_contiguous_from_base_rva)
{
    mdw *w = mdw_new();
    mdw_use_memory64(w, 1);
    const uint8_t a[5] = {1, 2, 3, 4, 5}, b[3] = {9, 8, 7};
    mdw_add_memory(w, 0x10000, a, sizeof a);
    mdw_add_memory(w, 0x7fff0000, b, sizeof b);
    dumpbuf d = finish(w);
    ck_assert_uint_eq(mdw_find_dir_entry(d.p, d.size, 5), (size_t)-1);
    uint32_t size;
    uint32_t s = stream_at(&d, 9, &size);
    ck_assert_uint_eq(size, 16 + 2 * 16);
    ck_assert_uint_eq(u64_at(&d, s), 2);
    uint64_t base = u64_at(&d, s + 8);
    ck_assert_uint_eq(u64_at(&d, s + 16), 0x10000);
    ck_assert_uint_eq(u64_at(&d, s + 24), sizeof a);
    ck_assert_uint_eq(u64_at(&d, s + 32), 0x7fff0000);
    ck_assert_uint_eq(u64_at(&d, s + 40), sizeof b);
    ck_assert(dw_range_ok(base, sizeof a + sizeof b, d.size));
    ck_assert_mem_eq(d.p + base, a, sizeof a);
    ck_assert_mem_eq(d.p + base + sizeof a, b, sizeof b); /* no padding between ranges */
    free(d.p);
}
END_TEST

START_TEST(memory_list_descriptors)
{
    mdw *w = mdw_new();
    const uint8_t a[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0xee, 0xff};
    mdw_add_memory(w, 0x1000, a, sizeof a);
    mdw_add_memory(w, 0x3000, b, sizeof b);
    dumpbuf d = finish(w);
    uint32_t size;
    uint32_t s = stream_at(&d, 5, &size);
    ck_assert_uint_eq(size, 4 + 2 * 16);
    ck_assert_uint_eq(u32_at(&d, s), 2);
    ck_assert_uint_eq(u64_at(&d, s + 4), 0x1000);
    ck_assert_uint_eq(u32_at(&d, s + 12), sizeof a);
    ck_assert_mem_eq(d.p + u32_at(&d, s + 16), a, sizeof a);
    ck_assert_uint_eq(u64_at(&d, s + 20), 0x3000);
    ck_assert_uint_eq(u32_at(&d, s + 28), sizeof b);
    ck_assert_mem_eq(d.p + u32_at(&d, s + 32), b, sizeof b);
    free(d.p);
}
END_TEST

START_TEST(sized_header_lists)
{
    mdw *w = mdw_new();
    mdw_add_unloaded_module(w, 0x180000000ULL, 0x3000, "gone.dll", 0x1234);
    mdw_add_thread_info(w, 0x44, 2, 0x01d0000000000000ULL, 0x7ffb00001000ULL, 0xf);
    mdw_add_memory_info(w, 0x10000, 0x2000, 0x1000, 0x04, 0x20000);
    mdw_add_handle(w, 0x58, "Event", NULL, 0x1f0003);
    mdw_add_thread_name(w, 0x44, "worker");
    dumpbuf d = finish(w);
    char name[32];

    uint32_t u = stream_at(&d, 14, NULL);
    ck_assert_uint_eq(u32_at(&d, u), 12);
    ck_assert_uint_eq(u32_at(&d, u + 4), 24);
    ck_assert_uint_eq(u32_at(&d, u + 8), 1);
    ck_assert_uint_eq(u64_at(&d, u + 12), 0x180000000ULL);
    ck_assert_uint_eq(u32_at(&d, u + 20), 0x3000);
    ck_assert_uint_eq(u32_at(&d, u + 28), 0x1234);
    ck_assert_str_eq(ascii_string_at(&d, u32_at(&d, u + 32), name, sizeof name), "gone.dll");

    uint32_t ti = stream_at(&d, 17, NULL);
    ck_assert_uint_eq(u32_at(&d, ti), 12);
    ck_assert_uint_eq(u32_at(&d, ti + 4), 64);
    ck_assert_uint_eq(u32_at(&d, ti + 8), 1);
    ck_assert_uint_eq(u32_at(&d, ti + 12), 0x44);
    ck_assert_uint_eq(u32_at(&d, ti + 16), 2);
    ck_assert_uint_eq(u64_at(&d, ti + 12 + 16), 0x01d0000000000000ULL);
    ck_assert_uint_eq(u64_at(&d, ti + 12 + 48), 0x7ffb00001000ULL);
    ck_assert_uint_eq(u64_at(&d, ti + 12 + 56), 0xf);

    uint32_t mi = stream_at(&d, 16, NULL);
    ck_assert_uint_eq(u32_at(&d, mi), 16);
    ck_assert_uint_eq(u32_at(&d, mi + 4), 48);
    ck_assert_uint_eq(u64_at(&d, mi + 8), 1);
    ck_assert_uint_eq(u64_at(&d, mi + 16), 0x10000);
    ck_assert_uint_eq(u64_at(&d, mi + 16 + 24), 0x2000);
    ck_assert_uint_eq(u32_at(&d, mi + 16 + 32), 0x1000);
    ck_assert_uint_eq(u32_at(&d, mi + 16 + 36), 0x04);
    ck_assert_uint_eq(u32_at(&d, mi + 16 + 40), 0x20000);

    uint32_t h = stream_at(&d, 12, NULL);
    ck_assert_uint_eq(u32_at(&d, h), 16);
    ck_assert_uint_eq(u32_at(&d, h + 4), 40);
    ck_assert_uint_eq(u32_at(&d, h + 8), 1);
    ck_assert_uint_eq(u64_at(&d, h + 16), 0x58);
    ck_assert_str_eq(ascii_string_at(&d, u32_at(&d, h + 24), name, sizeof name), "Event");
    ck_assert_uint_eq(u32_at(&d, h + 28), 0); /* no object name */
    ck_assert_uint_eq(u32_at(&d, h + 36), 0x1f0003);

    uint32_t size;
    uint32_t tn = stream_at(&d, 24, &size);
    ck_assert_uint_eq(size, 4 + 12);
    ck_assert_uint_eq(u32_at(&d, tn), 1);
    ck_assert_uint_eq(u32_at(&d, tn + 4), 0x44);
    uint64_t name_rva = u64_at(&d, tn + 8);
    ck_assert_uint_le(name_rva, UINT32_MAX);
    ck_assert_str_eq(ascii_string_at(&d, (uint32_t)name_rva, name, sizeof name), "worker");
    free(d.p);
}
END_TEST

START_TEST(exception_system_and_misc_info)
{
    mdw *w = mdw_new();
    mdw_system_info(w, 9, 10, 0, 19045, 2, NULL);
    mdw_misc_info(w, 44, 4242, 0x60000000);
    const uint64_t params[2] = {1, 0x45};
    mdw_exception(w, 0x1000, 0xc0000005, 0x140001234ULL, 2, params, 0x200, 1232);
    dumpbuf d = finish(w);
    uint32_t size;
    char csd[8];

    uint32_t si = stream_at(&d, 7, &size);
    ck_assert_uint_eq(size, 56);
    ck_assert_uint_eq(u16_at(&d, si), 9);
    ck_assert_uint_eq(u32_at(&d, si + 8), 10);
    ck_assert_uint_eq(u32_at(&d, si + 12), 0);
    ck_assert_uint_eq(u32_at(&d, si + 16), 19045);
    ck_assert_uint_eq(u32_at(&d, si + 20), 2);
    ck_assert_str_eq(ascii_string_at(&d, u32_at(&d, si + 24), csd, sizeof csd), "");

    uint32_t mi = stream_at(&d, 15, &size);
    ck_assert_uint_eq(size, 44);
    ck_assert_uint_eq(u32_at(&d, mi), 44);
    ck_assert_uint_eq(u32_at(&d, mi + 4), 3);
    ck_assert_uint_eq(u32_at(&d, mi + 8), 4242);
    ck_assert_uint_eq(u32_at(&d, mi + 12), 0x60000000);

    uint32_t ex = stream_at(&d, 6, &size);
    ck_assert_uint_eq(size, 168);
    ck_assert_uint_eq(u32_at(&d, ex), 0x1000);
    ck_assert_uint_eq(u32_at(&d, ex + 8), 0xc0000005);
    ck_assert_uint_eq(u64_at(&d, ex + 24), 0x140001234ULL);
    ck_assert_uint_eq(u32_at(&d, ex + 32), 2);
    ck_assert_uint_eq(u64_at(&d, ex + 40), 1);
    ck_assert_uint_eq(u64_at(&d, ex + 48), 0x45);
    ck_assert_uint_eq(u32_at(&d, ex + 160), 1232);
    ck_assert_uint_eq(u32_at(&d, ex + 164), 0x200);
    free(d.p);
}
END_TEST

START_TEST(strings_are_utf16le_with_terminator)
{
    mdw *w = mdw_new();
    /* "a", U+00E9, U+1F600 (a surrogate pair in UTF-16) */
    uint32_t rva = mdw_append_string(w, "a\xc3\xa9\xf0\x9f\x98\x80");
    dumpbuf d = finish(w);
    const uint8_t expect[] = {8, 0, 0, 0, 'a', 0, 0xe9, 0, 0x3d, 0xd8, 0x00, 0xde, 0, 0};
    ck_assert(dw_range_ok(rva, sizeof expect, d.size));
    ck_assert_mem_eq(d.p + rva, expect, sizeof expect);
    free(d.p);
}
END_TEST

START_TEST(find_dir_entry_and_patch)
{
    mdw *w = mdw_new();
    mdw_add_stream(w, 0x100, "abcd", 4);
    mdw_add_stream(w, 0x200, "efgh", 4);
    mdw_add_stream(w, 0x200, "ijkl", 4);
    dumpbuf d = finish(w);
    uint32_t dir = u32_at(&d, 12);
    ck_assert_uint_eq(mdw_find_dir_entry(d.p, d.size, 0x100), dir);
    ck_assert_uint_eq(mdw_find_dir_entry(d.p, d.size, 0x200), dir + 12); /* the first one */
    ck_assert_uint_eq(mdw_find_dir_entry(d.p, d.size, 0x300), (size_t)-1);

    size_t e = mdw_find_dir_entry(d.p, d.size, 0x200);
    mdw_patch_u32(d.p, d.size, e + 4, 0xffffffff);
    ck_assert_uint_eq(u32_at(&d, e + 4), 0xffffffff);
    mdw_patch_u64(d.p, d.size, 24, 0x0102030405060708ULL);
    ck_assert_uint_eq(u64_at(&d, 24), 0x0102030405060708ULL);

    /* A directory that runs past the buffer, or a header cut short, finds nothing. */
    mdw_patch_u32(d.p, d.size, 8, 1000);
    ck_assert_uint_eq(mdw_find_dir_entry(d.p, d.size, 0x300), (size_t)-1);
    ck_assert_uint_eq(mdw_find_dir_entry(d.p, 10, 0x100), (size_t)-1);
    free(d.p);
}
END_TEST

START_TEST(write_file_matches_finish)
{
    const char *dir = dw_test_tmpdir();
    ck_assert_ptr_nonnull(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/mdwriter-roundtrip.dmp", dir);
    mdw *w = mdw_new();
    mdw_add_thread_name(w, 1, "x");
    mdw_add_memory(w, 0x1000, "zz", 2);
    size_t size;
    uint8_t *expect = mdw_finish(w, &size); /* finishing twice gives the same bytes */
    ck_assert_int_eq(mdw_write_file(w, path), 0);
    mdw_free(w);
    size_t got_size;
    uint8_t *got = dw_test_read_file(path, &got_size);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(got_size, size);
    ck_assert_mem_eq(got, expect, size);
    free(got);
    free(expect);
}
END_TEST

/* The bundled fixture (tests/make_fixtures.c) still says what it was made to say. */
START_TEST(bundled_synthetic_fixture)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/synthetic-x64.dmp", dw_test_fixtures_dir());
    dumpbuf d;
    d.p = dw_test_read_file(path, &d.size);
    ck_assert_msg(d.p != NULL, "%s missing: run build/tests/make_fixtures", path);
    ck_assert_uint_lt(d.size, 256 * 1024);
    d.r = dw_reader_make(d.p, d.size);
    ck_assert_uint_eq(u32_at(&d, 0), 0x504d444d);
    uint32_t si = stream_at(&d, 7, NULL);
    ck_assert_uint_eq(u16_at(&d, si), 9);
    ck_assert_uint_eq(u32_at(&d, si + 16), 19045);
    ck_assert_uint_eq(u32_at(&d, stream_at(&d, 15, NULL) + 8), 4242);
    uint32_t tl = stream_at(&d, 3, NULL);
    ck_assert_uint_eq(u32_at(&d, tl), 3);
    ck_assert_uint_eq(u32_at(&d, tl + 4 + 48), 0x1004);
    /* demo.exe, ntdll, kernel32, win32u, user32 */
    ck_assert_uint_eq(u32_at(&d, stream_at(&d, 4, NULL)), 5);
    uint32_t ex = stream_at(&d, 6, NULL);
    ck_assert_uint_eq(u32_at(&d, ex + 8), 0xc0000005);
    ck_assert_uint_eq(u64_at(&d, ex + 48), 0x45);
    const uint32_t others[] = {12, 14, 16, 24};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        stream_at(&d, others[i], NULL);
    free(d.p);
}
END_TEST

Suite *mdwriter_suite(void)
{
    Suite *s = suite_create("mdwriter");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, header_and_directory);
    tcase_add_test(tc, default_timestamp_and_empty_dump);
    tcase_add_test(tc, amd64_context_at_documented_offsets);
    tcase_add_test(tc, x86_context_at_documented_offsets);
    tcase_add_test(tc, thread_ex_list_entries_are_64_bytes);
    tcase_add_test(tc, module_with_pdb70_record_and_version);
    tcase_add_test(tc, module_without_codeview_or_version);
    tcase_add_test(tc, memory64_list_is_contiguous_from_base_rva);
    tcase_add_test(tc, memory_list_descriptors);
    tcase_add_test(tc, sized_header_lists);
    tcase_add_test(tc, exception_system_and_misc_info);
    tcase_add_test(tc, strings_are_utf16le_with_terminator);
    tcase_add_test(tc, find_dir_entry_and_patch);
    tcase_add_test(tc, write_file_matches_finish);
    tcase_add_test(tc, bundled_synthetic_fixture);
    suite_add_tcase(s, tc);
    return s;
}
