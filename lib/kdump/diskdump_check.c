/* diskdump / compressed kdump layout checks (diskdump_check.h says why). */
#include "kdump/diskdump_check.h"

#include <string.h>

/* disk_dump_header field offsets.  utsname (6 x 65 bytes) ends at 402; the
 * 32-bit layout pads 2 bytes and has an 8-byte timeval, the 64-bit one pads
 * 6 and has a 16-byte timeval, so the fields after it sit 12 bytes apart. */
#define DH_VERSION 8
#define DH32_BLOCK_SIZE 416
#define DH64_BLOCK_SIZE 428
/* sub_hdr_size, bitmap_blocks and max_mapnr follow block_size. */
#define DH_SUB_HDR_SIZE 4
#define DH_BITMAP_BLOCKS 8
#define DH_MAX_MAPNR 12
/* kdump_sub_header: split (i32) and, from version 6, max_mapnr_64; the
 * 32-bit offsets are those of the packed (IA-32) layout. */
#define SH32_SPLIT 8
#define SH32_MAX_MAPNR_64 72
#define SH64_SPLIT 12
#define SH64_MAX_MAPNR_64 96
#define PAGE_DESC_SIZE 24
/* page_desc.flags: zlib, lzo, snappy, zstd (diskdump_mod.h). */
#define DUMP_DH_COMPRESSED 0x27u
/* Block sizes libkdumpfile accepts are page sizes; these bound them. */
#define MIN_BLOCK 1024u
#define MAX_BLOCK (1u << 20)

typedef struct layout {
    uint32_t block, sub_blocks, bitmap_blocks;
    uint64_t max_pfn;
    int split;
} layout;

int dw_is_diskdump(const dw_reader *file)
{
    return file->size >= 8 &&
           (!memcmp(file->data, "KDUMP   ", 8) || !memcmp(file->data, "DISKDUMP", 8));
}

/* The fields as libkdumpfile reads them: it tries the 32-bit header first
 * and takes it when the block size is plausible and the bitmap covers
 * max_mapnr (diskdump.c try_header). */
static int read_layout(const dw_reader *f, size_t at, layout *out)
{
    uint32_t bs = 0, sub = 0, bitmap = 0, mapnr = 0;
    if (!dw_peek_u32(f, at, &bs) || !dw_peek_u32(f, at + DH_SUB_HDR_SIZE, &sub) ||
        !dw_peek_u32(f, at + DH_BITMAP_BLOCKS, &bitmap) ||
        !dw_peek_u32(f, at + DH_MAX_MAPNR, &mapnr))
        return 0;
    if (bs < MIN_BLOCK || bs > MAX_BLOCK || (uint64_t)8 * bitmap * bs < mapnr)
        return 0;
    *out = (layout){bs, sub, bitmap, mapnr, 0};
    return 1;
}

/* max_mapnr_64 and split from the sub-header (version 6 and later). */
static void read_sub_header(const dw_reader *f, int is64, uint32_t version, layout *l)
{
    uint32_t split = 0;
    uint64_t mapnr = 0;
    dw_peek_u32(f, (size_t)l->block + (is64 ? SH64_SPLIT : SH32_SPLIT), &split);
    l->split = version >= 2 && split != 0;
    if (version >= 6 &&
        dw_peek_u64(f, (size_t)l->block + (is64 ? SH64_MAX_MAPNR_64 : SH32_MAX_MAPNR_64), &mapnr))
        l->max_pfn = mapnr;
}

static dw_status fail(dw_error *err, dw_status st, const char *what, uint64_t at, size_t size)
{
    dw_error_set(err, st, "kdump: %s at byte %llu, past the end of the %zu-byte file", what,
                 (unsigned long long)at, size);
    return st;
}

/* Every page descriptor of the 2nd bitmap's pages: inside the file, its
 * page data inside the file, a compressed page no larger than a block. */
static dw_status check_descriptors(const dw_reader *f, const layout *l, uint64_t bitmap_at,
                                   uint64_t bits, uint64_t desc_at, dw_error *err)
{
    uint64_t n = 0;
    for (uint64_t pfn = 0; pfn < bits; pfn++) {
        uint8_t byte = f->data[bitmap_at + pfn / 8]; /* bitmap_at + bits / 8 <= desc_at */
        if (byte == 0 && pfn % 8 == 0) {
            pfn += 7; /* a run of excluded pages */
            continue;
        }
        if (!(byte >> (pfn % 8) & 1))
            continue;
        uint64_t at = desc_at + n++ * PAGE_DESC_SIZE;
        uint64_t offset = 0;
        uint32_t size = 0, flags = 0;
        if (!dw_peek_u64(f, (size_t)at, &offset) || !dw_peek_u32(f, (size_t)at + 8, &size) ||
            !dw_peek_u32(f, (size_t)at + 12, &flags))
            return fail(err, DW_ERR_TRUNCATED, "page descriptors end", at + PAGE_DESC_SIZE,
                        f->size);
        const char *bad = !dw_range_ok(offset, size, f->size) ? "its data lies past the end"
                          : (flags & DUMP_DH_COMPRESSED) && (size == 0 || size > l->block)
                              ? "its compressed size is not 1 to one block"
                              : NULL;
        if (bad) {
            /* Data past the end: the file was cut (a full disk while it was
             * written, a partial copy). */
            dw_status st = dw_range_ok(offset, size, f->size) ? DW_ERR_DAMAGED : DW_ERR_TRUNCATED;
            dw_error_set(err, st,
                         "kdump: page descriptor %llu at byte %llu (pfn 0x%llx, %u bytes at "
                         "%llu, flags 0x%x): %s; libkdumpfile cannot read such a file safely",
                         (unsigned long long)(n - 1), (unsigned long long)at,
                         (unsigned long long)pfn, size, (unsigned long long)offset, flags, bad);
            return st;
        }
    }
    return DW_OK;
}

dw_status dw_diskdump_check(const dw_reader *f, dw_error *err)
{
    uint32_t version = 0;
    layout l;
    int is64 = 0;
    if (!dw_peek_u32(f, DH_VERSION, &version) || version == 0 || version > 64 ||
        !(read_layout(f, DH32_BLOCK_SIZE, &l) || (is64 = read_layout(f, DH64_BLOCK_SIZE, &l)))) {
        dw_error_set(err, DW_ERR_FORMAT,
                     "kdump header: version %u, no plausible block size or a bitmap too small "
                     "for max_mapnr in a %zu-byte file: not a compressed kernel dump",
                     version, f->size);
        return DW_ERR_FORMAT;
    }
    /* Bitmaps start after the header and sub-header blocks; descriptors
     * after the bitmaps. */
    uint64_t bitmap_at = ((uint64_t)1 + l.sub_blocks) * l.block;
    uint64_t desc_at = bitmap_at + (uint64_t)l.bitmap_blocks * l.block;
    if (desc_at > f->size)
        return fail(err, DW_ERR_TRUNCATED, "the page bitmaps end", desc_at, f->size);
    read_sub_header(f, is64, version, &l);
    if (l.split)
        return DW_OK; /* descriptors cover start_pfn..end_pfn of a split set */
    uint64_t bits = (uint64_t)l.bitmap_blocks * l.block * 8;
    if (l.max_pfn <= bits / 2) { /* two bitmaps: the 2nd lists the dumped pages */
        bitmap_at += (uint64_t)l.bitmap_blocks / 2 * l.block;
        bits = (uint64_t)l.bitmap_blocks / 2 * l.block * 8;
    }
    return check_descriptors(f, &l, bitmap_at, l.max_pfn < bits ? l.max_pfn : bits, desc_at, err);
}
