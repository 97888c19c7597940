/* PE headers, sections and exports read through an image read callback. */
#include "image/pe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/reader.h"

/* PE format layout facts used below. */
#define DOS_MAGIC 0x5a4d /* "MZ" */
#define DOS_LFANEW_OFFSET 0x3c
#define NT_SIGNATURE 0x00004550 /* "PE\0\0" */
#define FILE_HEADER_SIZE 20
#define OPT_MAGIC_PE32 0x10b
#define OPT_MAGIC_PE32_PLUS 0x20b
#define SECTION_HEADER_SIZE 40
#define EXPORT_DIR_SIZE 40
/* e_lfanew beyond this is not a real image (headers live in the first pages). */
#define MAX_NT_OFFSET 0x100000
/* Longest export name read; C++ decorated names stay well under this. */
#define MAX_EXPORT_NAME 2048

static dw_status pe_fail(dw_pe *pe, dw_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static dw_status pe_fail(dw_pe *pe, dw_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pe->error, sizeof pe->error, fmt, ap);
    va_end(ap);
    return status;
}

int dw_pe_read(const dw_pe *pe, uint64_t rva, void *buf, size_t len)
{
    return pe->read(pe->ctx, rva, buf, len) >= len;
}

int dw_pe_read_u32(const dw_pe *pe, uint64_t rva, uint32_t *out)
{
    uint8_t b[4];
    if (!dw_pe_read(pe, rva, b, sizeof b))
        return 0;
    *out = dw_le32(b);
    return 1;
}

static dw_status parse_nt_offset(dw_pe *pe)
{
    uint8_t dos[64];
    if (!dw_pe_read(pe, 0, dos, sizeof dos))
        return pe_fail(pe, DW_ERR_TRUNCATED, "PE: DOS header (64 bytes) not readable");
    if (dw_le16(dos) != DOS_MAGIC)
        return pe_fail(pe, DW_ERR_FORMAT, "PE: no MZ signature (found 0x%04x)", dw_le16(dos));
    pe->nt_offset = dw_le32(dos + DOS_LFANEW_OFFSET);
    if (pe->nt_offset < sizeof dos || pe->nt_offset > MAX_NT_OFFSET)
        return pe_fail(pe, DW_ERR_DAMAGED, "PE: e_lfanew 0x%x is outside the header area",
                       pe->nt_offset);
    return DW_OK;
}

static dw_status parse_file_header(dw_pe *pe, uint16_t *opt_size)
{
    uint8_t b[4 + FILE_HEADER_SIZE];
    if (!dw_pe_read(pe, pe->nt_offset, b, sizeof b))
        return pe_fail(pe, DW_ERR_TRUNCATED, "PE: NT headers at e_lfanew 0x%x not readable",
                       pe->nt_offset);
    if (dw_le32(b) != NT_SIGNATURE)
        return pe_fail(pe, DW_ERR_FORMAT, "PE: no PE signature at e_lfanew 0x%x", pe->nt_offset);
    dw_reader r = dw_reader_make(b + 4, FILE_HEADER_SIZE);
    pe->machine = dw_read_u16(&r);
    pe->section_count = dw_read_u16(&r);
    pe->time_date_stamp = dw_read_u32(&r);
    dw_reader_skip(&r, 8); /* PointerToSymbolTable, NumberOfSymbols */
    *opt_size = dw_read_u16(&r);
    pe->characteristics = dw_read_u16(&r);
    if (pe->section_count > DW_PE_MAX_SECTIONS)
        return pe_fail(pe, DW_ERR_LIMIT, "PE: %u sections declared, the loader accepts at most %u",
                       pe->section_count, DW_PE_MAX_SECTIONS);
    return DW_OK;
}

/* IMAGE_OPTIONAL_HEADER32/64: the fields that differ in offset between the
 * two are ImageBase (28 u32 / 24 u64) and the data directories (96 / 112). */
static dw_status parse_optional_header(dw_pe *pe, uint16_t opt_size)
{
    uint8_t b[112 + 8 * DW_PE_DIR_COUNT];
    if (opt_size < 2)
        return pe_fail(pe, DW_ERR_DAMAGED, "PE: SizeOfOptionalHeader %u is impossible", opt_size);
    size_t want = opt_size < sizeof b ? opt_size : sizeof b;
    memset(b, 0, sizeof b);
    if (!dw_pe_read(pe, (uint64_t)pe->nt_offset + 4 + FILE_HEADER_SIZE, b, want))
        return pe_fail(pe, DW_ERR_TRUNCATED, "PE: optional header (%u bytes) not readable",
                       opt_size);
    uint16_t magic = dw_le16(b);
    size_t dirs_at;
    if (magic == OPT_MAGIC_PE32_PLUS) {
        pe->is_pe32_plus = 1;
        pe->image_base = dw_le64(b + 24);
        dirs_at = 112;
    } else if (magic == OPT_MAGIC_PE32) {
        pe->image_base = dw_le32(b + 28);
        dirs_at = 96;
    } else {
        return pe_fail(pe, DW_ERR_FORMAT, "PE: unknown optional header magic 0x%x", magic);
    }
    if (want < dirs_at)
        return pe_fail(pe, DW_ERR_DAMAGED, "PE: optional header of %u bytes lacks its fixed part",
                       opt_size);
    pe->section_alignment = dw_le32(b + 32);
    pe->file_alignment = dw_le32(b + 36);
    pe->size_of_image = dw_le32(b + 56);
    pe->size_of_headers = dw_le32(b + 60);
    pe->checksum = dw_le32(b + 64);
    uint32_t declared = dw_le32(b + dirs_at - 4);
    uint32_t fit = (uint32_t)((want - dirs_at) / 8);
    pe->dir_count = declared < fit ? declared : fit;
    if (pe->dir_count > DW_PE_DIR_COUNT)
        pe->dir_count = DW_PE_DIR_COUNT;
    for (uint32_t i = 0; i < pe->dir_count; i++) {
        pe->dirs[i].rva = dw_le32(b + dirs_at + 8 * i);
        pe->dirs[i].size = dw_le32(b + dirs_at + 8 * i + 4);
    }
    return DW_OK;
}

static dw_status parse_sections(dw_pe *pe, uint16_t opt_size)
{
    uint64_t table = (uint64_t)pe->nt_offset + 4 + FILE_HEADER_SIZE + opt_size;
    for (uint16_t i = 0; i < pe->section_count; i++) {
        uint8_t b[SECTION_HEADER_SIZE];
        if (!dw_pe_read(pe, table + (uint64_t)i * SECTION_HEADER_SIZE, b, sizeof b))
            return pe_fail(pe, DW_ERR_TRUNCATED, "PE: section header %u of %u not readable", i,
                           pe->section_count);
        dw_pe_section *s = &pe->sections[i];
        memcpy(s->name, b, 8);
        s->name[8] = '\0';
        s->virtual_size = dw_le32(b + 8);
        s->virtual_address = dw_le32(b + 12);
        s->raw_size = dw_le32(b + 16);
        s->raw_offset = dw_le32(b + 20);
        s->characteristics = dw_le32(b + 36);
    }
    return DW_OK;
}

dw_status dw_pe_open(dw_pe *pe, dw_image_read_fn read, void *ctx)
{
    if (!pe || !read)
        return DW_ERR_INVALID_ARG;
    memset(pe, 0, sizeof *pe);
    pe->read = read;
    pe->ctx = ctx;
    uint16_t opt_size = 0;
    dw_status st = parse_nt_offset(pe);
    if (st == DW_OK)
        st = parse_file_header(pe, &opt_size);
    if (st == DW_OK)
        st = parse_optional_header(pe, opt_size);
    if (st == DW_OK)
        st = parse_sections(pe, opt_size);
    return st;
}

const dw_pe_section *dw_pe_section_at(const dw_pe *pe, uint32_t rva)
{
    for (uint16_t i = 0; i < pe->section_count; i++) {
        const dw_pe_section *s = &pe->sections[i];
        uint32_t span = s->virtual_size > s->raw_size ? s->virtual_size : s->raw_size;
        if (rva >= s->virtual_address && rva - s->virtual_address < span)
            return s;
    }
    return NULL;
}

const dw_pe_dir *dw_pe_dir_get(const dw_pe *pe, unsigned index)
{
    if (index >= pe->dir_count || pe->dirs[index].rva == 0 || pe->dirs[index].size == 0)
        return NULL;
    return &pe->dirs[index];
}

/* ---- exports ---- */

/* NUL-terminated string at rva, read in chunks so a name at the very end of
 * the readable image still works; NULL when unreadable or unterminated. */
static char *read_c_string(const dw_pe *pe, dw_arena *arena, uint32_t rva)
{
    char buf[MAX_EXPORT_NAME];
    size_t have = 0;
    while (have < sizeof buf) {
        size_t chunk = sizeof buf - have < 128 ? sizeof buf - have : 128;
        size_t got = pe->read(pe->ctx, (uint64_t)rva + have, buf + have, chunk);
        char *nul = memchr(buf + have, '\0', got);
        if (nul)
            return dw_arena_strndup(arena, buf, (size_t)(nul - buf));
        if (got < chunk)
            return NULL;
        have += got;
    }
    return NULL;
}

typedef struct export_dir {
    uint32_t name_rva, base, function_count, name_count;
    uint32_t functions_rva, names_rva, ordinals_rva;
} export_dir;

static dw_status read_export_dir(dw_pe *pe, const dw_pe_dir *dir, export_dir *ed)
{
    uint8_t b[EXPORT_DIR_SIZE];
    if (!dw_pe_read(pe, dir->rva, b, sizeof b))
        return pe_fail(pe, DW_ERR_TRUNCATED, "exports: directory at rva 0x%x not readable",
                       dir->rva);
    ed->name_rva = dw_le32(b + 12);
    ed->base = dw_le32(b + 16);
    ed->function_count = dw_le32(b + 20);
    ed->name_count = dw_le32(b + 24);
    ed->functions_rva = dw_le32(b + 28);
    ed->names_rva = dw_le32(b + 32);
    ed->ordinals_rva = dw_le32(b + 36);
    /* Each name costs 4 bytes of pointer table in the image, so a count the
     * image cannot hold is damage, not just a big export table.  (A huge
     * NumberOfFunctions is harmless: only entries named by an ordinal are read.) */
    uint64_t limit = pe->size_of_image ? pe->size_of_image / 4 : DW_PE_MAX_EXPORTS;
    if (ed->name_count > limit)
        return pe_fail(pe, DW_ERR_DAMAGED, "exports: %u names declared but image is 0x%x bytes",
                       ed->name_count, pe->size_of_image);
    if (ed->name_count > DW_PE_MAX_EXPORTS)
        return pe_fail(pe, DW_ERR_LIMIT, "exports: %u names exceed the cap of %u", ed->name_count,
                       DW_PE_MAX_EXPORTS);
    return DW_OK;
}

/* Resolve name i to (name, rva): 1 = export, 2 = forwarder (skipped),
 * 0 = unusable ordinal or null address (skipped), -1 = unreadable. */
static int read_one_export(dw_pe *pe, dw_arena *arena, const dw_pe_dir *dir, const export_dir *ed,
                           uint32_t i, dw_pe_export *out)
{
    uint32_t name_rva, func_rva;
    uint8_t ord[2];
    if (!dw_pe_read_u32(pe, (uint64_t)ed->names_rva + 4ull * i, &name_rva) ||
        !dw_pe_read(pe, (uint64_t)ed->ordinals_rva + 2ull * i, ord, 2))
        return -1;
    uint16_t index = dw_le16(ord);
    if (index >= ed->function_count)
        return 0;
    if (!dw_pe_read_u32(pe, (uint64_t)ed->functions_rva + 4ull * index, &func_rva))
        return -1;
    /* An address inside the export directory is a forwarder string
     * ("OTHER.Function"), not code in this image. */
    if (func_rva == 0 || (func_rva >= dir->rva && func_rva - dir->rva < dir->size))
        return func_rva == 0 ? 0 : 2;
    out->name = read_c_string(pe, arena, name_rva);
    if (!out->name)
        return -1;
    out->rva = func_rva;
    out->ordinal = (uint16_t)(ed->base + index);
    return 1;
}

static int compare_exports(const void *a, const void *b)
{
    const dw_pe_export *x = a, *y = b;
    if (x->rva != y->rva)
        return x->rva < y->rva ? -1 : 1;
    return strcmp(x->name, y->name);
}

dw_status dw_pe_exports_read(dw_pe *pe, dw_arena *arena, dw_pe_exports *out)
{
    memset(out, 0, sizeof *out);
    out->dll_name = "";
    const dw_pe_dir *dir = dw_pe_dir_get(pe, DW_PE_DIR_EXPORT);
    if (!dir)
        return pe_fail(pe, DW_ERR_NOT_FOUND, "exports: image has no export directory");
    export_dir ed = {0};
    dw_status st = read_export_dir(pe, dir, &ed);
    if (st != DW_OK)
        return st;
    const char *dll = read_c_string(pe, arena, ed.name_rva);
    if (dll)
        out->dll_name = dll;
    out->items = dw_arena_calloc(arena, ed.name_count ? ed.name_count : 1, sizeof *out->items);
    if (!out->items)
        return pe_fail(pe, DW_ERR_NOMEM, "exports: no memory for %u names", ed.name_count);
    for (uint32_t i = 0; i < ed.name_count; i++) {
        int r = read_one_export(pe, arena, dir, &ed, i, &out->items[out->count]);
        if (r == 1)
            out->count++;
        else if (r == 2)
            out->skipped_forwarders++;
        else if (r < 0)
            out->unreadable++;
    }
    qsort(out->items, out->count, sizeof *out->items, compare_exports);
    if (out->unreadable)
        return pe_fail(pe, DW_ERR_TRUNCATED, "exports: %zu of %u names not readable",
                       out->unreadable, ed.name_count);
    return DW_OK;
}

const dw_pe_export *dw_pe_export_at(const dw_pe_exports *exports, uint32_t rva)
{
    size_t lo = 0, hi = exports->count;
    while (lo < hi) { /* first item with rva > target */
        size_t mid = lo + (hi - lo) / 2;
        if (exports->items[mid].rva <= rva)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    /* Aliases share an address (NtX / ZwX): answer the first by name, so the
     * choice does not depend on the search path.  Found by a second binary
     * search, not a walk back: a hostile table can alias every export. */
    uint32_t found = exports->items[lo - 1].rva;
    size_t first = 0;
    hi = lo - 1;
    while (first < hi) { /* first item with rva == found */
        size_t mid = first + (hi - first) / 2;
        if (exports->items[mid].rva < found)
            first = mid + 1;
        else
            hi = mid;
    }
    return &exports->items[first];
}
