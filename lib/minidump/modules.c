/* ModuleList and UnloadedModuleList streams.
 *
 * MINIDUMP_MODULE (108 bytes): BaseOfImage u64, SizeOfImage, CheckSum,
 * TimeDateStamp, ModuleNameRva (a MINIDUMP_STRING), VS_FIXEDFILEINFO (52
 * bytes), CvRecord and MiscRecord locations (DataSize u32, Rva u32 each),
 * Reserved0 u64, Reserved1 u64.
 *
 * The CodeView record names the module's debug file and identifies it the way
 * Breakpad symbol stores do: debug_id = GUID (Data1 %08X, Data2 %04X, Data3
 * %04X, Data4 bytes %02X) followed by the age in lower-case hex, exactly as
 * Breakpad's minidump_dump and minidump_stackwalk print it (checked against
 * the corpus oracle, which shows ages such as "...1f"). */
#include <stdlib.h>
#include <string.h>

#include "minidump/backend.h"
#include "minidump/internal.h"
#include "util/text.h"

#define MODULE_SIZE 108
#define VS_FIXEDFILEINFO_SIGNATURE 0xfeef04bdu
#define UNLOADED_MIN_HEADER 12 /* SizeOfHeader, SizeOfEntry, NumberOfEntries */
#define UNLOADED_MIN_ENTRY 24  /* BaseOfImage u64, SizeOfImage, CheckSum, TimeDateStamp, NameRva */

/* CodeView signatures (little-endian u32 of the first four bytes). */
#define CV_SIGNATURE_RSDS 0x53445352u /* "RSDS": PDB 7.0 */
#define CV_SIGNATURE_NB10 0x3031424eu /* "NB10": PDB 2.0 */
#define CV_SIGNATURE_BPEL 0x4270454cu /* "LEpB": Breakpad's MD_CVINFOELF_SIGNATURE */

#define RSDS_MIN_SIZE 24 /* signature, GUID (16), age */
#define NB10_MIN_SIZE 16 /* signature, offset, timestamp signature, age */
#define GUID_SIZE 16

static const char *cv_name(dw_dump *dump, const uint8_t *p, size_t len)
{
    /* The PDB name is NUL-terminated inside the record; tolerate a missing NUL. */
    const uint8_t *nul = memchr(p, 0, len);
    return dw_arena_strndup(&dump->arena, (const char *)p, nul ? (size_t)(nul - p) : len);
}

/* A 16-byte GUID as Breakpad formats it: Data1/2/3 are little-endian fields,
 * upper case, then the age in lower case without padding. */
static const char *guid_age_id(dw_dump *dump, const uint8_t *g, uint32_t age)
{
    char id[32 + 8 + 1];
    char *p = dw_put_hex(id, dw_le32(g), 8, 1);
    p = dw_put_hex(p, dw_le16(g + 4), 4, 1);
    p = dw_put_hex(p, dw_le16(g + 6), 4, 1);
    for (int i = 8; i < GUID_SIZE; i++)
        p = dw_put_hex(p, g[i], 2, 1);
    p = dw_put_hex(p, age, 0, 0);
    return dw_arena_strndup(&dump->arena, id, (size_t)(p - id));
}

/* "%08X%llx": an upper-case 32-bit field, then a lower-case one unpadded
 * (NB10 ids, and the PE symbol-server key: timestamp and image size). */
static const char *hex32_then_lower(dw_dump *dump, uint32_t first, uint64_t second)
{
    char id[8 + 16 + 1];
    char *p = dw_put_hex(id, first, 8, 1);
    p = dw_put_hex(p, second, 0, 0);
    return dw_arena_strndup(&dump->arena, id, (size_t)(p - id));
}

static const char *lower_hex(dw_dump *dump, const uint8_t *p, size_t len)
{
    char *out = dw_arena_alloc(&dump->arena, len * 2 + 1);
    if (!out)
        return "";
    for (size_t i = 0; i < len; i++)
        dw_put_hex(out + 2 * i, p[i], 2, 0);
    out[len * 2] = '\0';
    return out;
}

/* Breakpad's ELF identifier: the build id's first 16 bytes (zero-padded when
 * shorter) read as a GUID, age 0; the whole build id is the code id. */
static void decode_elf_cv(dw_dump *dump, dw_module *m, const uint8_t *id, size_t len)
{
    uint8_t guid[GUID_SIZE] = {0};
    memcpy(guid, id, len < GUID_SIZE ? len : GUID_SIZE);
    m->cv_kind = DW_CV_ELF;
    m->debug_file = m->path; /* ELF modules have no separate debug file name */
    m->debug_id = guid_age_id(dump, guid, 0);
    m->code_id = lower_hex(dump, id, len);
}

static void cv_damage(dw_dump *dump, const dw_module *m, size_t index, const char *what)
{
    dw_damage(dump, DW_STREAM_MODULE_LIST, m->cv_rva, DW_ERR_DAMAGED,
              "ModuleList: module %zu (%s) CodeView record of %u bytes at 0x%x %s", index, m->name,
              m->cv_size, m->cv_rva, what);
}

static void decode_cv(dw_dump *dump, dw_module *m, size_t index)
{
    if (m->cv_size == 0)
        return;
    dw_reader cv = dw_reader_sub_clamped(&dump->file, m->cv_rva, m->cv_size);
    if (cv.size < m->cv_size)
        cv_damage(dump, m, index, "runs past the end of the file; decoding what is there");
    uint32_t sig;
    if (!dw_peek_u32(&cv, 0, &sig)) {
        m->cv_kind = DW_CV_UNKNOWN;
        cv_damage(dump, m, index, "is too short for a signature");
        return;
    }
    if (sig == CV_SIGNATURE_RSDS && cv.size >= RSDS_MIN_SIZE) {
        m->cv_kind = DW_CV_PDB70;
        m->debug_id = guid_age_id(dump, cv.data + 4, dw_le32(cv.data + 20));
        m->debug_file = cv_name(dump, cv.data + RSDS_MIN_SIZE, cv.size - RSDS_MIN_SIZE);
    } else if (sig == CV_SIGNATURE_NB10 && cv.size >= NB10_MIN_SIZE) {
        m->cv_kind = DW_CV_PDB20;
        m->debug_id = hex32_then_lower(dump, dw_le32(cv.data + 8), dw_le32(cv.data + 12));
        m->debug_file = cv_name(dump, cv.data + NB10_MIN_SIZE, cv.size - NB10_MIN_SIZE);
    } else if (sig == CV_SIGNATURE_BPEL) {
        decode_elf_cv(dump, m, cv.data + 4, cv.size - 4);
    } else {
        m->cv_kind = DW_CV_UNKNOWN;
        if (sig == CV_SIGNATURE_RSDS || sig == CV_SIGNATURE_NB10)
            cv_damage(dump, m, index, "is too short for its signature's fields");
    }
    if (!m->debug_file || !m->debug_id)
        m->debug_file = m->debug_id = ""; /* arena exhausted: degrade to "no id" */
}

static dw_version version_from(uint32_t ms, uint32_t ls)
{
    dw_version v = {(uint16_t)(ms >> 16), (uint16_t)ms, (uint16_t)(ls >> 16), (uint16_t)ls};
    return v;
}

/* VS_FIXEDFILEINFO: signature, StrucVersion, FileVersionMS/LS,
 * ProductVersionMS/LS, FileFlagsMask, FileFlags, FileOS, FileType, FileSubtype,
 * FileDateMS/LS. */
static void read_version_info(dw_reader *r, dw_module *m)
{
    uint32_t signature = dw_read_u32(r);
    dw_read_u32(r); /* StrucVersion */
    uint32_t fv_ms = dw_read_u32(r), fv_ls = dw_read_u32(r);
    uint32_t pv_ms = dw_read_u32(r), pv_ls = dw_read_u32(r);
    dw_read_u32(r); /* FileFlagsMask */
    m->file_flags = dw_read_u32(r);
    m->file_os = dw_read_u32(r);
    m->file_type = dw_read_u32(r);
    dw_reader_skip(r, 12); /* FileSubtype, FileDateMS, FileDateLS */
    m->has_version = signature == VS_FIXEDFILEINFO_SIGNATURE;
    if (m->has_version) {
        m->file_version = version_from(fv_ms, fv_ls);
        m->product_version = version_from(pv_ms, pv_ls);
    }
}

/* Which modules get a PE symbol-server key as code id: SystemInfo says which
 * OS wrote the dump (Breakpad's platform ids are >= 0x8000).  Without it, a
 * PE image is recognised by its link timestamp: ELF and Mach-O modules in
 * Breakpad/Crashpad dumps carry 0 there (and Breakpad then prints no code id). */
typedef enum pe_key_rule { PE_KEY_ALWAYS, PE_KEY_NEVER, PE_KEY_IF_TIMESTAMP } pe_key_rule;

static pe_key_rule code_id_rule(dw_dump *dump)
{
    const dw_system_info *si;
    if (dw_dump_system_info(dump, &si) != DW_OK || !si)
        return PE_KEY_IF_TIMESTAMP;
    return si->platform_id < 0x8000 ? PE_KEY_ALWAYS : PE_KEY_NEVER;
}

static int wants_pe_key(pe_key_rule rule, const dw_module *m)
{
    if (m->cv_kind == DW_CV_ELF || rule == PE_KEY_NEVER)
        return 0;
    return rule == PE_KEY_ALWAYS || m->time_date_stamp != 0;
}

static const char *module_path(dw_dump *dump, uint32_t name_rva, size_t index)
{
    const char *path = dw_read_md_string(dump, name_rva);
    if (path)
        return path;
    dw_damage(dump, DW_STREAM_MODULE_LIST, name_rva, DW_ERR_DAMAGED,
              "ModuleList: module %zu name (MINIDUMP_STRING at 0x%x) is unreadable", index,
              name_rva);
    return "";
}

static void read_module(dw_dump *dump, dw_reader *r, size_t index, pe_key_rule rule, dw_module *m)
{
    m->base = dw_read_u64(r);
    m->size = dw_read_u32(r);
    m->checksum = dw_read_u32(r);
    m->time_date_stamp = dw_read_u32(r);
    uint32_t name_rva = dw_read_u32(r);
    read_version_info(r, m);
    m->cv_size = dw_read_u32(r);
    m->cv_rva = dw_read_u32(r);
    m->misc_size = dw_read_u32(r);
    m->misc_rva = dw_read_u32(r);
    dw_reader_skip(r, 16); /* Reserved0, Reserved1 */
    m->path = module_path(dump, name_rva, index);
    m->name = dw_path_basename(m->path);
    m->debug_file = m->debug_id = m->code_id = "";
    decode_cv(dump, m, index);
    /* The symbol-server key of a PE image (the ELF case set its build id). */
    if (wants_pe_key(rule, m))
        m->code_id = hex32_then_lower(dump, m->time_date_stamp, m->size);
    if (!m->code_id)
        m->code_id = "";
}

static int compare_by_base(const void *a, const void *b)
{
    const dw_module *ma = *(const dw_module *const *)a;
    const dw_module *mb = *(const dw_module *const *)b;
    if (ma->base != mb->base)
        return ma->base < mb->base ? -1 : 1;
    /* Equal bases keep dump order: the modules array is in dump order. */
    return ma < mb ? -1 : ma > mb;
}

static uint64_t module_end(const dw_module *m)
{
    return m->size > UINT64_MAX - m->base ? UINT64_MAX : m->base + m->size;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The answer of dw_dump_module_at for every stretch of the address space,
 * so a lookup is one binary search however the modules overlap (a hostile
 * list of 100,000 modules under one that spans everything made a scan of the
 * list per lookup).  Stretches start at every base and end; in each, the
 * answer is the containing module with the highest base, the first in dump
 * order among equal bases.  Sweeping the starts upwards, modules are pushed
 * in base order (equal bases in reverse dump order), so the top of the stack,
 * once expired modules are popped, is that answer. */
static dw_status build_segments(dw_dump *dump)
{
    size_t n = dump->module_count, npoints = 0;
    const dw_module **s = dump->modules_sorted;
    uint64_t *points = dw_arena_calloc(&dump->arena, 2 * n + 1, sizeof *points);
    const dw_module **stack = dw_arena_calloc(&dump->arena, n + 1, sizeof *stack);
    dump->module_seg = dw_arena_calloc(&dump->arena, 2 * n + 1, sizeof *dump->module_seg);
    dump->module_seg_start = dw_arena_calloc(&dump->arena, 2 * n + 1, sizeof(uint64_t));
    if (!points || !stack || !dump->module_seg || !dump->module_seg_start)
        return dw_fail(dump, DW_ERR_NOMEM, "ModuleList: out of memory for %zu modules", n);
    for (size_t i = 0; i < n; i++) {
        points[npoints++] = s[i]->base;
        points[npoints++] = module_end(s[i]);
    }
    qsort(points, npoints, sizeof *points, compare_u64);
    size_t next = 0, depth = 0, nseg = 0;
    for (size_t k = 0; k < npoints; k++) {
        if (k && points[k] == points[k - 1])
            continue;
        size_t group = next;
        while (next < n && s[next]->base <= points[k])
            next++;
        for (size_t j = next; j > group; j--) /* equal bases: first in dump order on top */
            if (s[j - 1]->size)
                stack[depth++] = s[j - 1];
        while (depth && module_end(stack[depth - 1]) <= points[k])
            depth--;
        const dw_module *answer = depth ? stack[depth - 1] : NULL;
        if (nseg && dump->module_seg[nseg - 1] == answer)
            continue;
        dump->module_seg_start[nseg] = points[k];
        dump->module_seg[nseg++] = answer;
    }
    dump->module_seg_count = nseg;
    return DW_OK;
}

static dw_status build_lookup(dw_dump *dump)
{
    size_t n = dump->module_count;
    dump->modules_sorted = dw_arena_calloc(&dump->arena, n ? n : 1, sizeof(dw_module *));
    if (!dump->modules_sorted)
        return dw_fail(dump, DW_ERR_NOMEM, "ModuleList: out of memory for %zu modules", n);
    for (size_t i = 0; i < n; i++)
        dump->modules_sorted[i] = &dump->modules[i];
    qsort(dump->modules_sorted, n, sizeof(dw_module *), compare_by_base);
    return build_segments(dump);
}

static dw_status parse_modules(dw_dump *dump)
{
    if (dump->backend) { /* the list was filled at open (backend.h); index it */
        dw_status lookup_st = build_lookup(dump);
        return lookup_st != DW_OK ? lookup_st : dump->backend_status->modules;
    }
    dw_reader stream, records;
    uint32_t rva = 0, count = 0;
    dw_status st = dw_find_stream(dump, DW_STREAM_MODULE_LIST, &stream, &rva);
    if (st == DW_ERR_NOT_FOUND)
        return st;
    dw_status list_st = dw_list_header(dump, DW_STREAM_MODULE_LIST, &stream, rva, 4, MODULE_SIZE,
                                       DW_MAX_MODULES, &count, &records);
    if (count == 0 && list_st != DW_OK)
        return list_st;
    dump->modules = dw_arena_calloc(&dump->arena, count ? count : 1, sizeof(dw_module));
    if (!dump->modules)
        return dw_fail(dump, DW_ERR_NOMEM, "ModuleList: out of memory for %u modules", count);
    pe_key_rule rule = code_id_rule(dump);
    for (uint32_t i = 0; i < count; i++)
        read_module(dump, &records, i, rule, &dump->modules[i]);
    dump->module_count = count;
    dw_status lookup_st = build_lookup(dump);
    if (lookup_st != DW_OK)
        return lookup_st;
    return list_st != DW_OK ? list_st : st;
}

dw_status dw_dump_modules(dw_dump *dump, const dw_module **modules, size_t *count)
{
    dw_status st = dw_lazy_run(dump, &dump->modules_lazy, parse_modules);
    *modules = dump->modules;
    *count = dump->module_count;
    return st;
}

const dw_module *dw_module_stretch_at(dw_dump *dump, uint64_t address, uint64_t *from, uint64_t *to)
{
    *from = address;
    *to = address + 1 ? address + 1 : address;
    dw_lazy_ensure(dump, &dump->modules_lazy, parse_modules);
    if (!dump->module_seg) /* no list, or no memory for the lookup table */
        return NULL;
    size_t lo = 0, hi = dump->module_seg_count;
    while (lo < hi) { /* first stretch starting above address */
        size_t mid = lo + (hi - lo) / 2;
        if (dump->module_seg_start[mid] <= address)
            lo = mid + 1;
        else
            hi = mid;
    }
    const dw_module *m = lo ? dump->module_seg[lo - 1] : NULL;
    if (m && address - m->base >= m->size)
        return NULL;
    *from = lo ? dump->module_seg_start[lo - 1] : 0;
    *to = lo < dump->module_seg_count ? dump->module_seg_start[lo] : UINT64_MAX;
    return m;
}

const dw_module *dw_dump_module_at(dw_dump *dump, uint64_t address)
{
    uint64_t from, to;
    return dw_module_stretch_at(dump, address, &from, &to);
}

const dw_module *dw_dump_main_module(dw_dump *dump)
{
    dw_lazy_run(dump, &dump->modules_lazy, parse_modules);
    return dump->module_count ? &dump->modules[0] : NULL;
}

/* MINIDUMP_UNLOADED_MODULE_LIST: SizeOfHeader, SizeOfEntry, NumberOfEntries;
 * the declared sizes let later versions grow both, so records are stepped by
 * SizeOfEntry and only the fields we know are read. */
static const dw_sized_list_spec unloaded_list = {
    UNLOADED_MIN_HEADER, UNLOADED_MIN_ENTRY, 0, DW_MAX_MODULES, "SizeOfEntry", "entries",
};

static void read_unloaded(dw_dump *dump, dw_reader entry, size_t index, dw_unloaded_module *u)
{
    u->base = dw_read_u64(&entry);
    u->size = dw_read_u32(&entry);
    u->checksum = dw_read_u32(&entry);
    u->time_date_stamp = dw_read_u32(&entry);
    uint32_t name_rva = dw_read_u32(&entry);
    u->path = dw_read_md_string(dump, name_rva);
    if (!u->path) {
        dw_damage(dump, DW_STREAM_UNLOADED_MODULE_LIST, name_rva, DW_ERR_DAMAGED,
                  "UnloadedModuleList: entry %zu name (MINIDUMP_STRING at 0x%x) is unreadable",
                  index, name_rva);
        u->path = "";
    }
    u->name = dw_path_basename(u->path);
}

static dw_status parse_unloaded(dw_dump *dump)
{
    dw_reader stream;
    uint32_t rva = 0, header_size, entry_size;
    uint64_t count;
    dw_status st = dw_find_stream(dump, DW_STREAM_UNLOADED_MODULE_LIST, &stream, &rva);
    if (st == DW_ERR_NOT_FOUND)
        return st;
    dw_status layout_st = dw_sized_list_header(dump, DW_STREAM_UNLOADED_MODULE_LIST, &stream, rva,
                                               &unloaded_list, &header_size, &entry_size, &count);
    if (count == 0 && layout_st != DW_OK)
        return layout_st;
    dump->unloaded = dw_arena_calloc(&dump->arena, count ? count : 1, sizeof(dw_unloaded_module));
    if (!dump->unloaded)
        return dw_fail(dump, DW_ERR_NOMEM, "UnloadedModuleList: out of memory for %llu entries",
                       (unsigned long long)count);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t at = header_size + i * entry_size; /* count <= room keeps this in the stream */
        dw_reader entry = dw_reader_sub_clamped(&stream, at, entry_size);
        read_unloaded(dump, entry, i, &dump->unloaded[i]);
    }
    dump->unloaded_count = count;
    return layout_st != DW_OK ? layout_st : st;
}

dw_status dw_dump_unloaded_modules(dw_dump *dump, const dw_unloaded_module **modules, size_t *count)
{
    dw_status st = dw_lazy_run(dump, &dump->unloaded_lazy, parse_unloaded);
    *modules = dump->unloaded;
    *count = dump->unloaded_count;
    return st;
}
