/* Internal view of a Breakpad symbol file: the mapped text and its index.
 *
 * The index is built in one pass over the text (index.c) on first use.  It
 * holds numbers parsed from each record plus offsets of the record's text in
 * the mapping; names are never copied.  All offsets are uint32_t, so files are
 * limited to 4 GiB.
 */
#ifndef DW_SYMBOLS_SYMFILE_H
#define DW_SYMBOLS_SYMFILE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "dumpwalk/symbols.h"

#define DW_SYM_NO_FILE UINT32_MAX

/* A span of the mapped text. */
typedef struct sym_span {
    uint32_t off;
    uint32_t len;
} sym_span;

/* FILE n name / INLINE_ORIGIN n name: sorted by number. */
typedef struct sym_named {
    uint32_t number;
    sym_span name;
} sym_named;

typedef struct sym_line {
    uint64_t addr;
    uint32_t size;
    uint32_t line;
    uint32_t file;
} sym_line;

typedef struct sym_inline {
    uint32_t level;
    uint32_t call_line;
    uint32_t call_file; /* DW_SYM_NO_FILE in the old format without it */
    uint32_t origin;
} sym_inline;

/* One [addr, addr+size) of an INLINE record; per FUNC these are sorted by
 * (level, addr) so each nesting level can be binary searched. */
typedef struct sym_inline_range {
    uint64_t addr;
    uint64_t size;
    uint32_t level;
    uint32_t inline_index;
} sym_inline_range;

typedef struct sym_func {
    uint64_t addr;
    uint64_t size;
    uint32_t param_size;
    sym_span name;
    uint32_t line_first, line_count;
    uint32_t range_first, range_count;
} sym_func;

typedef struct sym_public {
    uint64_t addr;
    uint32_t param_size;
    sym_span name;
} sym_public;

/* STACK CFI INIT and its delta records (contiguous in `cfi_deltas`). */
typedef struct sym_cfi_init {
    uint64_t addr;
    uint64_t size;
    sym_span rules;
    uint32_t delta_first, delta_count;
} sym_cfi_init;

typedef struct sym_cfi_delta {
    uint64_t addr;
    sym_span rules;
} sym_cfi_delta;

/* STACK WIN, one array per type (0 FPO, 4 FrameData).  `parent` links each
 * record to the record enclosing it (UINT32_MAX for none): Breakpad allows
 * nested ranges and uses the innermost. */
typedef struct sym_win {
    uint64_t rva;
    uint32_t code_size;
    uint32_t prologue_size;
    uint32_t epilogue_size;
    uint32_t parameter_size;
    uint32_t saved_register_size;
    uint32_t local_size;
    uint32_t max_stack_size;
    uint32_t parent;
    uint32_t order; /* offset of the record's line: file order */
    int has_program;
    int allocates_base_pointer;
    sym_span program;
} sym_win;

#define DW_SYM_CORRUPT_KEEP 8
#define DW_SYM_CORRUPT_MSG 128

typedef struct sym_index {
    sym_func *funcs;
    size_t nfuncs;
    sym_line *lines;
    size_t nlines;
    sym_public *publics;
    size_t npublics;
    sym_named *files;
    size_t nfiles;
    sym_named *origins;
    size_t norigins;
    sym_inline *inlines;
    size_t ninlines;
    sym_inline_range *ranges;
    size_t nranges;
    sym_cfi_init *cfi;
    size_t ncfi;
    sym_cfi_delta *deltas;
    size_t ndeltas;
    sym_win *win[2]; /* [0] type 0 FPO, [1] type 4 FrameData */
    size_t nwin[2];
    dw_symfile_stats stats;
    size_t nmessages;
    char messages[DW_SYM_CORRUPT_KEEP][DW_SYM_CORRUPT_MSG];
} sym_index;

struct dw_symfile {
    const char *text;
    size_t size;
    int mapped;  /* text is an mmap (else malloc'd) */
    dw_symfile_module module;
    char *module_strings; /* backing store of `module` */

    pthread_mutex_t index_lock;
    atomic_int indexed;  /* 1 once `index` is complete (or failed) */
    dw_status index_status;
    sym_index index;
};

/* Build the index if it is not built yet (thread-safe). */
dw_status dw_symfile_ensure_index(dw_symfile *sf);

/* One-pass indexer (index.c). */
dw_status dw_sym_build_index(const char *text, size_t size, sym_index *ix);
void dw_sym_free_index(sym_index *ix);

static inline dw_symstr dw_sym_str(const dw_symfile *sf, sym_span s)
{
    dw_symstr r = {s.len ? sf->text + s.off : NULL, s.len};
    return r;
}

/* Name of FILE / INLINE_ORIGIN number n, or an empty span. */
dw_symstr dw_sym_named_lookup(const dw_symfile *sf, const sym_named *arr, size_t n,
                              uint32_t number);

#endif
