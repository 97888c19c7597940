/* dumpwalk: loaded and unloaded modules.
 *
 * ModuleList entries with their CodeView record decoded into Breakpad-style
 * identifiers: PDB70 ("RSDS") gives debug_id = GUID + age in upper hex; PDB20
 * ("NB10") signature + age; ELF build ids ("BpEL"/Linux) are turned into the
 * GUID-shaped id Breakpad uses plus the full build id as code_id.
 */
#ifndef DUMPWALK_MODULES_H
#define DUMPWALK_MODULES_H

#include <stddef.h>
#include <stdint.h>

#include "dump.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dw_version {
    uint16_t major, minor, build, revision;
} dw_version;

typedef enum dw_cv_kind {
    DW_CV_NONE = 0,
    DW_CV_PDB70 = 1, /* "RSDS" */
    DW_CV_PDB20 = 2, /* "NB10" */
    DW_CV_ELF = 3,   /* "BpEL" build id */
    DW_CV_UNKNOWN = 4,
} dw_cv_kind;

typedef struct dw_module {
    uint64_t base;
    uint64_t size;
    uint32_t checksum;
    uint32_t time_date_stamp;
    const char *path; /* full name as recorded, UTF-8 */
    const char *name; /* basename of path */
    int has_version;  /* VS_FIXEDFILEINFO signature 0xfeef04bd present */
    dw_version file_version;
    dw_version product_version;
    uint32_t file_flags, file_os, file_type;
    dw_cv_kind cv_kind;
    const char *debug_file; /* PDB/ELF name ("" when none) */
    const char *debug_id;   /* Breakpad id, upper hex ("" when none) */
    const char *code_id;    /* TimeDateStamp %08X + SizeOfImage %x, or ELF build id */
    uint32_t cv_rva, cv_size;
    uint32_t misc_rva, misc_size;
} dw_module;

dw_status dw_dump_modules(dw_dump *dump, const dw_module **modules, size_t *count);
/* Module containing `address` (binary search over the sorted list), or NULL. */
const dw_module *dw_dump_module_at(dw_dump *dump, uint64_t address);
/* The main executable: the first module of the list, by convention. */
const dw_module *dw_dump_main_module(dw_dump *dump);

typedef struct dw_unloaded_module {
    uint64_t base;
    uint64_t size;
    uint32_t checksum;
    uint32_t time_date_stamp;
    const char *path;
    const char *name;
} dw_unloaded_module;

dw_status dw_dump_unloaded_modules(dw_dump *dump, const dw_unloaded_module **modules,
                                   size_t *count);

#ifdef __cplusplus
}
#endif
#endif
