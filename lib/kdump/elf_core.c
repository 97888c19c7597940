/* ELF core files: program headers and notes.
 *
 * Elf64_Ehdr: e_ident[16] (EI_CLASS at 4: 1 = 32-bit, 2 = 64-bit; EI_DATA at
 *   5: 1 = little-endian), e_type u16 at 16, e_machine u16 at 18, e_phoff at
 *   32 (u64), e_phentsize u16 at 54, e_phnum u16 at 56.  Elf32: e_phoff u32
 *   at 28, e_phentsize at 42, e_phnum at 44.
 * Elf64_Phdr (56 bytes): p_type u32, p_flags u32, p_offset, p_vaddr, p_paddr,
 *   p_filesz, p_memsz, p_align (u64).  Elf32_Phdr (32 bytes): p_type,
 *   p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align (u32).
 * Notes: namesz, descsz, type (u32 each), then the name and the descriptor,
 *   each padded to 4 bytes (core files use 4-byte alignment on both classes).
 * NT_FILE ("CORE", 0x46494c45, fs/binfmt_elf.c fill_files_note): count and
 *   page_size (longs), count x {start, end, file_ofs in pages} (longs), then
 *   count NUL-terminated paths.  VMCOREINFO ("VMCOREINFO", type 0) is text
 *   "KEY=value\n" lines; a core that has it is a kernel dump. */
#include <stdlib.h>
#include <string.h>

#include "kdump/elf_core.h"

#define ET_CORE 4
#define PT_LOAD 1
#define PT_NOTE 4
#define NT_FILE 0x46494c45u
#define NT_GNU_BUILD_ID 3
#define EHDR64_SIZE 64
#define EHDR32_SIZE 52
#define PHDR64_SIZE 56
#define PHDR32_SIZE 32
#define MAX_NOTES 100000
/* Linux caps the mappings of a process (vm.max_map_count default 65530). */
#define MAX_MAPPINGS 1000000

/* A note as found in a PT_NOTE segment. */
typedef struct elf_note {
    const char *name;
    size_t name_len; /* without the NUL */
    uint32_t type;
    dw_reader desc;
} elf_note;

static size_t align4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* The next note of `r`; 0 at the end or when the rest is malformed. */
static int next_note(dw_reader *r, elf_note *n)
{
    uint32_t namesz = dw_read_u32(r), descsz = dw_read_u32(r);
    n->type = dw_read_u32(r);
    if (r->failed)
        return 0;
    const uint8_t *name = dw_reader_take(r, align4(namesz));
    if (!name)
        return 0;
    const uint8_t *desc = dw_reader_take(r, align4(descsz));
    if (!desc && descsz)
        return 0;
    n->name = (const char *)name;
    n->name_len = namesz && name[namesz - 1] == '\0' ? namesz - 1 : namesz;
    n->desc = dw_reader_make(desc, descsz);
    return 1;
}

static int note_is(const elf_note *n, const char *name)
{
    size_t len = strlen(name);
    return n->name_len == len && memcmp(n->name, name, len) == 0;
}

size_t dw_elf_find_build_id(const dw_reader *notes, int is64, const uint8_t **id)
{
    (void)is64; /* GNU notes use the same 4-byte layout on both classes */
    dw_reader r = *notes;
    r.pos = 0;
    elf_note n;
    for (unsigned i = 0; i < MAX_NOTES && next_note(&r, &n); i++) {
        if (n.type == NT_GNU_BUILD_ID && note_is(&n, "GNU") && n.desc.size > 0) {
            *id = n.desc.data;
            return n.desc.size;
        }
    }
    return 0;
}

static uint64_t read_long(dw_reader *r, int is64)
{
    return is64 ? dw_read_u64(r) : dw_read_u32(r);
}

static dw_status parse_nt_file(dw_dump *dump, dw_elf_core *core, const elf_note *n,
                               uint64_t note_offset)
{
    dw_reader r = n->desc;
    unsigned word = core->is64 ? 8 : 4;
    uint64_t count = read_long(&r, core->is64), page_size = read_long(&r, core->is64);
    uint64_t table;
    if (r.failed || !dw_mul_ok(count, 3 * word, &table) || table > dw_reader_remaining(&r) ||
        count > MAX_MAPPINGS)
        return dw_damage(dump, 0, note_offset, DW_ERR_DAMAGED,
                         "NT_FILE note: %llu mappings do not fit its %zu bytes; the module "
                         "list is empty",
                         (unsigned long long)count, n->desc.size);
    core->mappings = dw_arena_calloc(&dump->arena, count ? count : 1, sizeof *core->mappings);
    if (!core->mappings)
        return dw_fail(dump, DW_ERR_NOMEM, "NT_FILE note: out of memory for %llu mappings",
                       (unsigned long long)count);
    dw_reader names = dw_reader_sub_clamped(&r, r.pos + table, r.size);
    for (uint64_t i = 0; i < count; i++) {
        dw_elf_mapping *m = &core->mappings[i];
        m->start = read_long(&r, core->is64);
        m->end = read_long(&r, core->is64);
        uint64_t pages = read_long(&r, core->is64);
        m->file_offset = dw_mul_ok(pages, page_size, &m->file_offset) ? m->file_offset : 0;
        const uint8_t *rest = names.data + names.pos;
        const uint8_t *nul = memchr(rest, 0, dw_reader_remaining(&names));
        if (!nul || m->end < m->start) {
            core->mapping_count = i;
            return dw_damage(dump, 0, note_offset, DW_ERR_DAMAGED,
                             "NT_FILE note: mapping %llu of %llu has no path or a negative "
                             "size; the later ones are ignored",
                             (unsigned long long)i, (unsigned long long)count);
        }
        m->path = dw_arena_strndup(&dump->arena, (const char *)rest, (size_t)(nul - rest));
        dw_reader_skip(&names, (size_t)(nul - rest) + 1);
    }
    core->mapping_count = count;
    return DW_OK;
}

/* "OSRELEASE=5.10.0-20-amd64\n" in the VMCOREINFO text. */
static const char *vmcoreinfo_release(dw_dump *dump, const dw_reader *desc)
{
    static const char key[] = "OSRELEASE=";
    const char *text = (const char *)desc->data;
    size_t len = desc->size;
    for (size_t i = 0; i + sizeof key - 1 <= len; i++) {
        if ((i == 0 || text[i - 1] == '\n') && memcmp(text + i, key, sizeof key - 1) == 0) {
            size_t start = i + sizeof key - 1, end = start;
            while (end < len && text[end] != '\n' && text[end] != '\0')
                end++;
            return dw_arena_strndup(&dump->arena, text + start, end - start);
        }
    }
    return NULL;
}

static dw_status parse_notes(dw_dump *dump, dw_elf_core *core, const dw_reader *file,
                             uint64_t offset, uint64_t size)
{
    dw_reader r = dw_reader_sub_clamped(file, offset, size);
    dw_status st = DW_OK;
    if (r.size < size)
        st = dw_damage(dump, 0, offset, DW_ERR_TRUNCATED,
                       "PT_NOTE at offset 0x%llx: %llu bytes declared, the file holds %zu",
                       (unsigned long long)offset, (unsigned long long)size, r.size);
    elf_note n;
    for (unsigned i = 0; i < MAX_NOTES && next_note(&r, &n); i++) {
        if (n.type == NT_FILE && note_is(&n, "CORE") && !core->mappings) {
            dw_status nst = parse_nt_file(dump, core, &n, offset);
            st = nst != DW_OK ? nst : st;
        } else if (note_is(&n, "VMCOREINFO")) {
            core->has_vmcoreinfo = 1;
            core->os_release = vmcoreinfo_release(dump, &n.desc);
        }
    }
    return st;
}

static int compare_segments(const void *a, const void *b)
{
    const dw_elf_segment *x = a, *y = b;
    if (x->vaddr != y->vaddr)
        return x->vaddr < y->vaddr ? -1 : 1;
    return 0;
}

/* One program header; PT_LOAD becomes a segment, PT_NOTE is parsed. */
static dw_status read_phdr(dw_dump *dump, dw_elf_core *core, const dw_reader *file, dw_reader *ph,
                           uint64_t ph_offset)
{
    dw_elf_segment s;
    uint32_t type = dw_read_u32(ph);
    if (core->is64) {
        s.flags = dw_read_u32(ph);
        s.offset = dw_read_u64(ph);
        s.vaddr = dw_read_u64(ph);
        dw_read_u64(ph); /* p_paddr */
        s.declared = dw_read_u64(ph);
        s.memsz = dw_read_u64(ph);
    } else {
        s.offset = dw_read_u32(ph);
        s.vaddr = dw_read_u32(ph);
        dw_read_u32(ph); /* p_paddr */
        s.declared = dw_read_u32(ph);
        s.memsz = dw_read_u32(ph);
        s.flags = dw_read_u32(ph);
    }
    if (type == PT_NOTE)
        return parse_notes(dump, core, file, s.offset, s.declared);
    if (type != PT_LOAD || s.memsz == 0)
        return DW_OK;
    uint64_t in_file = s.offset < file->size ? file->size - s.offset : 0;
    s.filesz = s.declared < in_file ? s.declared : in_file;
    if (s.filesz > s.memsz)
        s.filesz = s.memsz;
    if (s.memsz > UINT64_MAX - s.vaddr)
        s.memsz = UINT64_MAX - s.vaddr;
    dw_status st = DW_OK;
    if (s.filesz < s.declared && s.filesz < s.memsz)
        st = dw_damage(dump, 0, ph_offset, DW_ERR_TRUNCATED,
                       "core truncated: segment 0x%llx-0x%llx declares 0x%llx bytes at file "
                       "offset 0x%llx but the %zu-byte file holds 0x%llx; the rest of its "
                       "pages are missing",
                       (unsigned long long)s.vaddr, (unsigned long long)(s.vaddr + s.memsz),
                       (unsigned long long)s.declared, (unsigned long long)s.offset, file->size,
                       (unsigned long long)s.filesz);
    core->segments[core->segment_count++] = s;
    return st;
}

/* Sort by address and drop a segment that overlaps the one before it. */
static dw_status normalize_segments(dw_dump *dump, dw_elf_core *core)
{
    qsort(core->segments, core->segment_count, sizeof *core->segments, compare_segments);
    size_t n = 0;
    dw_status st = DW_OK;
    for (size_t i = 0; i < core->segment_count; i++) {
        const dw_elf_segment *s = &core->segments[i];
        if (n > 0 && s->vaddr < core->segments[n - 1].vaddr + core->segments[n - 1].memsz) {
            st = dw_damage(dump, 0, 0, DW_ERR_DAMAGED,
                           "core: segment at 0x%llx overlaps the one at 0x%llx; it is ignored",
                           (unsigned long long)s->vaddr,
                           (unsigned long long)core->segments[n - 1].vaddr);
            continue;
        }
        core->segments[n++] = *s;
    }
    core->segment_count = n;
    return st;
}

static dw_status check_ident(const dw_reader *file, dw_elf_core *core, dw_error *err)
{
    const uint8_t *id = file->data;
    if (file->size < EHDR32_SIZE || memcmp(id,
                                           "\x7f"
                                           "ELF",
                                           4) != 0) {
        dw_error_set(err, DW_ERR_FORMAT, "not an ELF file: %zu bytes without an ELF header",
                     file->size);
        return DW_ERR_FORMAT;
    }
    if (id[4] != 1 && id[4] != 2) {
        dw_error_set(err, DW_ERR_FORMAT, "ELF: unknown class %u (EI_CLASS)", id[4]);
        return DW_ERR_FORMAT;
    }
    if (id[5] != 1) {
        dw_error_set(err, DW_ERR_UNSUPPORTED,
                     "ELF: big-endian cores are not supported (EI_DATA %u)", id[5]);
        return DW_ERR_UNSUPPORTED;
    }
    core->is64 = id[4] == 2;
    core->type = dw_le16(id + 16);
    core->machine = dw_le16(id + 18);
    if (core->type != ET_CORE) {
        dw_error_set(err, DW_ERR_FORMAT,
                     "ELF file of type %u is not a core dump (ET_CORE = 4): an executable or "
                     "library, not a dump",
                     core->type);
        return DW_ERR_FORMAT;
    }
    if (core->is64 && file->size < EHDR64_SIZE) {
        dw_error_set(err, DW_ERR_FORMAT, "ELF: %zu bytes are too few for an ELF64 header",
                     file->size);
        return DW_ERR_FORMAT;
    }
    return DW_OK;
}

dw_status dw_elf_core_parse(dw_dump *dump, const dw_reader *file, dw_elf_core *out, dw_error *err)
{
    memset(out, 0, sizeof *out);
    dw_status st = check_ident(file, out, err);
    if (st != DW_OK)
        return st;
    const uint8_t *h = file->data;
    uint64_t phoff = out->is64 ? dw_le64(h + 32) : dw_le32(h + 28);
    uint16_t phentsize = dw_le16(h + (out->is64 ? 54 : 42));
    uint16_t phnum = dw_le16(h + (out->is64 ? 56 : 44));
    size_t need = out->is64 ? PHDR64_SIZE : PHDR32_SIZE;
    if (phentsize < need) {
        dw_error_set(err, DW_ERR_FORMAT, "ELF core: program header size %u is below %zu", phentsize,
                     need);
        return DW_ERR_FORMAT;
    }
    uint64_t fits = phoff < file->size ? (file->size - phoff) / phentsize : 0;
    if (phnum > fits)
        dw_damage(dump, 0, phoff, DW_ERR_TRUNCATED,
                  "core truncated: %u program headers declared at offset 0x%llx, the file "
                  "holds %llu",
                  phnum, (unsigned long long)phoff, (unsigned long long)fits);
    uint16_t usable = phnum > fits ? (uint16_t)fits : phnum;
    out->segments = dw_arena_calloc(&dump->arena, usable ? usable : 1, sizeof *out->segments);
    if (!out->segments) {
        dw_error_set(err, DW_ERR_NOMEM, "out of memory for %u program headers", usable);
        return DW_ERR_NOMEM;
    }
    for (uint16_t i = 0; i < usable; i++) {
        uint64_t at = phoff + (uint64_t)i * phentsize;
        dw_reader ph = dw_reader_sub_clamped(file, at, phentsize);
        read_phdr(dump, out, file, &ph, at);
    }
    normalize_segments(dump, out);
    return DW_OK;
}

const dw_elf_segment *dw_elf_segment_at(const dw_elf_core *core, uint64_t va)
{
    size_t lo = 0, hi = core->segment_count;
    while (lo < hi) { /* first segment whose vaddr is above va */
        size_t mid = lo + (hi - lo) / 2;
        if (core->segments[mid].vaddr <= va)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && va - core->segments[lo - 1].vaddr < core->segments[lo - 1].memsz)
        return &core->segments[lo - 1];
    return NULL;
}

const dw_elf_mapping *dw_elf_mapping_at(const dw_elf_core *core, uint64_t va)
{
    /* NT_FILE is short (one entry per file mapping) and in address order in
     * practice, but that order is not promised: a linear search is exact. */
    for (size_t i = 0; i < core->mapping_count; i++) {
        if (va >= core->mappings[i].start && va < core->mappings[i].end)
            return &core->mappings[i];
    }
    return NULL;
}
