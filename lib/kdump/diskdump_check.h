/* Checks of a diskdump / compressed kdump file's layout, made before the
 * file reaches libkdumpfile.
 *
 * libkdumpfile 0.5.1 trusts the layout: a sub-header or bitmap past the end
 * of the file reads as zeros (an empty dump), page data past the end reads
 * as zeros or, through its mmap cache, raises SIGBUS, and a compressed page
 * larger than the block size corrupts its heap after the "Wrong compressed
 * size" error.  So dumpwalk checks the header, the 2nd bitmap and every
 * page descriptor against the file and refuses a file that would take the
 * library there, saying where it is wrong.
 *
 * Layout (makedumpfile diskdump_mod.h and IMPLEMENTATION): block 0 is
 * disk_dump_header, sub_hdr_size blocks of kdump_sub_header follow, then
 * bitmap_blocks blocks of bitmaps (the 1st, RAM, and the 2nd, pages in the
 * dump, each half of them; one bitmap in files older than that), then one
 * 24-byte page_desc {offset u64, size u32, flags u32, page_flags u64} per
 * bit set in the 2nd bitmap, in PFN order. */
#ifndef DW_KDUMP_DISKDUMP_CHECK_H
#define DW_KDUMP_DISKDUMP_CHECK_H

#include "minidump/internal.h"

/* 1 when the file starts with a "KDUMP   " or "DISKDUMP" signature. */
int dw_is_diskdump(const dw_reader *file);

/* DW_OK, or DW_ERR_FORMAT / DW_ERR_TRUNCATED / DW_ERR_DAMAGED with the
 * reason in *err. */
dw_status dw_diskdump_check(const dw_reader *file, dw_error *err);

#endif
