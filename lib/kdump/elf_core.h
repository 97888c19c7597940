/* The parts of an ELF core file libkdumpfile does not expose: the program
 * headers (which memory the core holds, with what protection), the NT_FILE
 * note (which file was mapped where) and whether it is a kernel dump
 * (VMCOREINFO note).  Read with dw_reader from the dump's bytes.
 *
 * Layouts are the System V gABI ones (Elf32/Elf64_Ehdr, _Phdr, _Nhdr) and the
 * Linux note formats (include/uapi/linux/elf.h, fs/binfmt_elf.c). */
#ifndef DW_KDUMP_ELF_CORE_H
#define DW_KDUMP_ELF_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "minidump/internal.h"

/* p_flags bits (gABI). */
#define DW_PF_X 0x1u
#define DW_PF_W 0x2u
#define DW_PF_R 0x4u

/* e_machine values (gABI). */
#define DW_EM_386 3
#define DW_EM_X86_64 62

typedef struct dw_elf_segment {
    uint64_t vaddr;
    uint64_t memsz;
    uint64_t offset;
    uint64_t filesz;   /* bytes of the segment present in the file (clamped) */
    uint64_t declared; /* p_filesz as written */
    uint32_t flags;    /* DW_PF_* */
} dw_elf_segment;

typedef struct dw_elf_mapping {
    uint64_t start, end;
    uint64_t file_offset; /* bytes */
    const char *path;
} dw_elf_mapping;

typedef struct dw_elf_core {
    int is64;
    uint16_t machine;
    uint16_t type;            /* ET_CORE = 4 */
    dw_elf_segment *segments; /* PT_LOAD, sorted by vaddr, non-overlapping */
    size_t segment_count;
    dw_elf_mapping *mappings; /* NT_FILE, in note order */
    size_t mapping_count;
    int has_vmcoreinfo;     /* a kernel dump (ELF vmcore) */
    const char *os_release; /* VMCOREINFO OSRELEASE=, or NULL */
} dw_elf_core;

/* Parse header, program headers and notes.  DW_ERR_FORMAT when the bytes are
 * not an ELF core of a supported byte order; damage (truncated segments,
 * malformed notes) is reported on the dump and parsing goes on. */
dw_status dw_elf_core_parse(dw_dump *dump, const dw_reader *file, dw_elf_core *out, dw_error *err);

/* The PT_LOAD segment containing va, or NULL. */
const dw_elf_segment *dw_elf_segment_at(const dw_elf_core *core, uint64_t va);
/* The NT_FILE mapping containing va, or NULL. */
const dw_elf_mapping *dw_elf_mapping_at(const dw_elf_core *core, uint64_t va);

/* The GNU build id among the ELF notes in `notes` (a PT_NOTE's bytes);
 * returns its length (0 when none) and points *id at it. */
size_t dw_elf_find_build_id(const dw_reader *notes, int is64, const uint8_t **id);

#endif
