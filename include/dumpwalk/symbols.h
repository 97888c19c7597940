/* dumpwalk: Breakpad .sym symbol files and a symbol store.
 *
 * A dw_symfile is one Breakpad text symbol file (see Breakpad's
 * docs/symbol_files.md), memory-mapped read-only.  Opening it only checks the
 * MODULE record.  Lookups binary-search the sorted text directly when the file
 * is laid out as dump_syms writes it, else the first lookup builds a compact
 * index (sorted arrays of offsets into the mapped text) in one pass; see
 * dw_symfile_lookup_mode().  Lookups never allocate (the lazy indexes aside).
 *
 * Strings handed out by lookups are dw_symstr spans pointing into the mapped
 * text: they are NOT NUL-terminated and stay valid as long as the dw_symfile
 * does.  Print them with "%.*s" or copy them with dw_symstr_copy().
 *
 * A dw_symbols store maps (debug_file, debug_id) to a dw_symfile below one of
 * its directories, in Breakpad's layout.  Files it loads are owned by the
 * store and live until dw_symbols_free().  A store may be shared between
 * threads: its cache is guarded by a mutex, and a dw_symfile may be looked up
 * from several threads at once (its lazy indexes are built under a lock).
 */
#ifndef DUMPWALK_SYMBOLS_H
#define DUMPWALK_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dw_symfile dw_symfile;
typedef struct dw_symbols dw_symbols;

/* A borrowed, length-delimited string inside a symbol file. */
typedef struct dw_symstr {
    const char *ptr; /* NULL with len 0 when absent */
    size_t len;
} dw_symstr;

/* Copy s into buf as a NUL-terminated string, truncating to fit; returns buf. */
char *dw_symstr_copy(dw_symstr s, char *buf, size_t buf_size);

/* ---- one symbol file ---------------------------------------------------- */

/* Open a .sym file (mmap).  DW_ERR_IO when it cannot be read, DW_ERR_FORMAT
 * when its first record is not a valid MODULE record.  `err` may be NULL. */
dw_status dw_symfile_open(const char *path, dw_symfile **out, dw_error *err);

/* Open symbol text held in memory; the bytes are copied. */
dw_status dw_symfile_open_buffer(const void *data, size_t size, dw_symfile **out, dw_error *err);

/* Close a file from dw_symfile_open*.  Never call it on a file owned by a
 * dw_symbols store. */
void dw_symfile_close(dw_symfile *sf);

/* The MODULE and INFO CODE_ID records, NUL-terminated, valid as long as sf. */
typedef struct dw_symfile_module {
    const char *os;        /* "windows", "Linux", "mac", ... */
    const char *arch;      /* "x86", "x86_64", ... */
    const char *id;        /* the debug id, e.g. "5A9832E5287241C1838ED98914E9B7FF1" */
    const char *name;      /* the debug file, e.g. "test_app.pdb" */
    const char *code_id;   /* from INFO CODE_ID ("" when absent) */
    const char *code_file; /* from INFO CODE_ID ("" when absent) */
} dw_symfile_module;

const dw_symfile_module *dw_symfile_module_info(const dw_symfile *sf);

/* What the full index holds (builds it if needed, whatever the lookup mode:
 * the counts need a pass over the whole file). */
typedef struct dw_symfile_stats {
    size_t lines_total;       /* text lines read */
    size_t funcs;             /* FUNC records kept */
    size_t funcs_overlapping; /* FUNC records dropped: they overlap an earlier-starting one */
    size_t line_records;
    size_t publics;
    size_t files;
    size_t inline_origins;
    size_t inlines; /* INLINE records */
    size_t cfi_init;
    size_t cfi_delta;
    size_t win_fpo;       /* STACK WIN type 0 */
    size_t win_framedata; /* STACK WIN type 4 */
    size_t ignored;       /* records of kinds this version does not use */
    size_t corrupt;       /* lines that could not be parsed (each costs only itself) */
} dw_symfile_stats;

dw_status dw_symfile_get_stats(dw_symfile *sf, dw_symfile_stats *out);

/* How lookups of a file are answered.  The first lookup chooses: a file whose
 * records are grouped and sorted the way Breakpad's dump_syms writes them is
 * searched directly in its text (binary searches over the mapping: the cost
 * grows with the records touched, not the file size; STACK records get a
 * small index of the STACK section alone, built on the first STACK lookup).
 * Any other file, or one where a search meets records out of order,
 * overlapping FUNCs or an unparsable line, falls back to the full index.
 * Both modes give identical results. */
typedef enum dw_sym_lookup_mode {
    DW_SYM_LOOKUP_UNDECIDED = 0, /* no lookup yet */
    DW_SYM_LOOKUP_TEXT = 1,
    DW_SYM_LOOKUP_INDEX = 2,
} dw_sym_lookup_mode;

dw_sym_lookup_mode dw_symfile_lookup_mode(dw_symfile *sf);
/* Why the file fell back to the full index ("" in text mode or before the
 * first lookup), e.g. "PUBLIC records out of address order near byte 96".
 * Valid as long as sf. */
const char *dw_symfile_lookup_mode_reason(dw_symfile *sf);
/* Answer every lookup from the full index from now on (for comparisons and
 * benchmarks); builds it if needed. */
dw_status dw_symfile_use_index(dw_symfile *sf);

/* Number of corrupt lines, and the first few messages about them
 * ("line 1234: FUNC with bad size").  `index` < dw_symfile_corrupt_messages();
 * returns NULL past the end.  Both build the index if needed. */
size_t dw_symfile_corrupt_count(dw_symfile *sf);
size_t dw_symfile_corrupt_messages(dw_symfile *sf);
const char *dw_symfile_corrupt_message(dw_symfile *sf, size_t index);

/* One inlined call active at an address. */
typedef struct dw_sym_inline {
    dw_symstr name;      /* the inlined function (its INLINE_ORIGIN) */
    dw_symstr call_file; /* call site, in the next outer frame (empty in old-format files) */
    uint32_t call_line;
    uint32_t nest_level;  /* 0 = called directly from the FUNC */
    uint64_t range_start; /* the INLINE range covering the address */
    uint64_t range_size;
} dw_sym_inline;

#define DW_SYM_MAX_INLINE 32

typedef enum dw_sym_kind {
    DW_SYM_NONE = 0,
    DW_SYM_FUNC = 1,   /* a FUNC record covers the address */
    DW_SYM_PUBLIC = 2, /* only the nearest PUBLIC record at or below it */
} dw_sym_kind;

/* Everything known about one module-relative address.
 *
 * Frames, innermost first: inlines[0].name at file:line, then inlines[1].name
 * at inlines[0].call_file:call_line, ..., and finally `function` at the call
 * site of inlines[inline_count-1]; with no inlines, `function` at file:line. */
typedef struct dw_sym_lookup {
    dw_sym_kind kind;
    dw_symstr function;
    uint64_t function_start;
    uint64_t function_size; /* 0 for PUBLIC: public symbols have no size */
    uint32_t param_size;
    int has_line; /* a line record covers the address */
    dw_symstr file;
    uint32_t line;
    uint64_t line_start;
    uint64_t line_size;
    unsigned inline_count;
    int inlines_truncated; /* deeper than DW_SYM_MAX_INLINE */
    dw_sym_inline inlines[DW_SYM_MAX_INLINE];
} dw_sym_lookup;

/* Look up a module-relative address.  DW_ERR_NOT_FOUND (out->kind ==
 * DW_SYM_NONE) when neither a FUNC nor a PUBLIC record applies. */
dw_status dw_symfile_lookup(dw_symfile *sf, uint64_t rva, dw_sym_lookup *out);

/* ---- the store ------------------------------------------------------------ */

dw_status dw_symbols_new(dw_symbols **out);
void dw_symbols_free(dw_symbols *syms);

/* Add a store root; directories are searched in the order added.  The path
 * is copied. */
dw_status dw_symbols_add_dir(dw_symbols *syms, const char *dir);

/* Find the symbol file of a module.  Tried, in each directory:
 *   <dir>/<debug_file>/<debug_id>/<debug_file without .pdb>.sym
 *   <dir>/<debug_file>/<debug_id>/<debug_file>.sym
 *   <dir>/<code_file>/<code_id>/<code_file>.sym   (fallback)
 * with file names reduced to their basename (Windows or POSIX paths).  Any
 * argument may be NULL or "".  The result is cached (found or not), keyed by
 * debug_file+debug_id (code_file+code_id for the fallback).
 * DW_ERR_NOT_FOUND when no file exists; DW_ERR_FORMAT or DW_ERR_IO when a file
 * exists but is not a usable symbol file.  *out is owned by the store. */
dw_status dw_symbols_lookup(dw_symbols *syms, const char *debug_file, const char *debug_id,
                            const char *code_file, const char *code_id, dw_symfile **out);

/* The message of the calling thread's last failed dw_symbols_lookup or
 * dw_symbols_add_dir ("" when none).  Thread-local: valid until the same
 * thread's next call. */
const char *dw_symbols_last_error(void);

#ifdef __cplusplus
}
#endif
#endif
