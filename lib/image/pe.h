/* A PE view over a read callback: headers, sections and exports.
 *
 * The image layer never touches a dump: it reads the *mapped* image (addresses
 * are RVAs) through dw_image_read_fn, so the same code serves an image captured
 * in dump memory and an image file on disk (image_store.h maps file offsets).
 * Every count read from the image is bounded before it is used.
 *
 * Format facts: Microsoft "PE Format" (IMAGE_DOS_HEADER.e_lfanew at 0x3c,
 * "PE\0\0", IMAGE_FILE_HEADER, IMAGE_OPTIONAL_HEADER32/64, IMAGE_SECTION_HEADER,
 * IMAGE_EXPORT_DIRECTORY).
 */
#ifndef DW_IMAGE_PE_H
#define DW_IMAGE_PE_H

#include <stddef.h>
#include <stdint.h>

#include "dumpwalk/status.h"
#include "util/arena.h"

/* Copy up to `len` bytes of the mapped image at `rva` into buf; returns how
 * many contiguous bytes were available there (0 when none). */
typedef size_t (*dw_image_read_fn)(void *ctx, uint64_t rva, void *buf, size_t len);

enum {
    DW_PE_MACHINE_I386 = 0x14c,
    DW_PE_MACHINE_AMD64 = 0x8664,
};

/* IMAGE_DIRECTORY_ENTRY_* indexes used here. */
enum {
    DW_PE_DIR_EXPORT = 0,
    DW_PE_DIR_EXCEPTION = 3,
    DW_PE_DIR_COUNT = 16,
};

/* The Windows loader refuses images with more sections than this. */
#define DW_PE_MAX_SECTIONS 96

typedef struct dw_pe_dir {
    uint32_t rva;
    uint32_t size;
} dw_pe_dir;

typedef struct dw_pe_section {
    char name[9]; /* NUL-terminated copy of the 8-byte name */
    uint32_t virtual_address;
    uint32_t virtual_size;
    uint32_t raw_size;   /* SizeOfRawData */
    uint32_t raw_offset; /* PointerToRawData */
    uint32_t characteristics;
} dw_pe_section;

typedef struct dw_pe {
    dw_image_read_fn read;
    void *ctx;
    uint32_t nt_offset; /* e_lfanew */
    uint16_t machine;
    uint16_t characteristics;
    uint32_t time_date_stamp;
    int is_pe32_plus; /* optional header magic 0x20b */
    uint64_t image_base;
    uint32_t section_alignment;
    uint32_t file_alignment;
    uint32_t size_of_image;
    uint32_t size_of_headers;
    uint32_t checksum;
    uint32_t dir_count; /* NumberOfRvaAndSizes, clamped to 16 */
    dw_pe_dir dirs[DW_PE_DIR_COUNT];
    uint16_t section_count;
    dw_pe_section sections[DW_PE_MAX_SECTIONS];
    char error[256]; /* why dw_pe_open or a later call failed */
} dw_pe;

/* Parse the headers through `read`.  The dw_pe holds no pointers into the
 * image other than read/ctx, so it may be copied; nothing is allocated.
 * DW_ERR_FORMAT: not a PE; DW_ERR_TRUNCATED: headers not readable;
 * DW_ERR_DAMAGED / DW_ERR_LIMIT: inconsistent or oversized fields.
 * pe->error says which. */
dw_status dw_pe_open(dw_pe *pe, dw_image_read_fn read, void *ctx);

/* Read exactly len bytes at rva; 1 on success. */
int dw_pe_read(const dw_pe *pe, uint64_t rva, void *buf, size_t len);
int dw_pe_read_u32(const dw_pe *pe, uint64_t rva, uint32_t *out);

/* The section whose [VirtualAddress, +max(VirtualSize, SizeOfRawData)) holds
 * rva, or NULL. */
const dw_pe_section *dw_pe_section_at(const dw_pe *pe, uint32_t rva);

/* A data directory, or NULL when absent (index past NumberOfRvaAndSizes or
 * rva/size zero). */
const dw_pe_dir *dw_pe_dir_get(const dw_pe *pe, unsigned index);

typedef struct dw_pe_export {
    const char *name;
    uint32_t rva;
    uint16_t ordinal; /* biased by the directory's Base */
} dw_pe_export;

typedef struct dw_pe_exports {
    const char *dll_name; /* the directory's Name ("" when unreadable) */
    dw_pe_export *items;  /* sorted by rva, then name */
    size_t count;
    size_t skipped_forwarders;
    size_t unreadable; /* names or table entries that could not be read */
} dw_pe_exports;

/* Cap on NumberOfNames; ntdll has ~2,500. */
#define DW_PE_MAX_EXPORTS (1u << 18)

/* Named exports (forwarders skipped), strings and array in `arena`.
 * DW_ERR_NOT_FOUND: no export directory; DW_ERR_TRUNCATED: the directory or
 * its tables are only partly readable (out holds what was read);
 * DW_ERR_DAMAGED / DW_ERR_LIMIT: impossible counts. */
dw_status dw_pe_exports_read(dw_pe *pe, dw_arena *arena, dw_pe_exports *out);

/* The export with the greatest rva <= `rva`, or NULL. */
const dw_pe_export *dw_pe_export_at(const dw_pe_exports *exports, uint32_t rva);

#endif
