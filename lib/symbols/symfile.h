/* Internal view of a Breakpad symbol file: the mapped text and its index.
 *
 * Sorted files are searched in their text (textsearch.c); otherwise the
 * index is built in one pass over the text (index.c) on first use.  It
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

/* Record groups in the order dump_syms writes them (textsearch.c). */
enum sym_section {
    SYM_SEC_HEADER,  /* MODULE, INFO */
    SYM_SEC_FILE,
    SYM_SEC_ORIGIN,  /* INLINE_ORIGIN */
    SYM_SEC_CODE,    /* FUNC with its line and INLINE records, PUBLIC */
    SYM_SEC_STACK,   /* STACK CFI, STACK WIN */
    SYM_SEC_COUNT
};

/* Sorted runs a text lookup searches. */
enum sym_run { SYM_RUN_FILE, SYM_RUN_ORIGIN, SYM_RUN_CODE, SYM_RUN_PUBLIC, SYM_RUN_COUNT };

typedef struct sym_key_range {
    uint64_t first, last;
    int known; /* the run has keyed records */
} sym_key_range;

/* Where the groups of a sorted file lie.  sec[k] is the offset of the first
 * line of group k or a later group; sec[SYM_SEC_COUNT] is the file size. */
typedef struct sym_plan {
    size_t sec[SYM_SEC_COUNT + 1];
    /* dump_syms writes PUBLIC records either among the FUNCs (one run sorted
     * by address) or after all of them (two sorted runs).  pub_run is the
     * start of the trailing run of PUBLIC lines; `split` says the FUNC part
     * and that run are sorted separately. */
    size_t pub_run;
    int split;
    /* The FUNCs are in order but the PUBLICs are not (dump_syms for Windows
     * writes a PDB's public symbols in the PDB's order): the code group is
     * searched for FUNCs alone, up to pub_run, and the PUBLICs of the code
     * group are looked up in an index of their own (public_index). */
    int publics_indexed;
    /* The first and last key of each searched run (FILE, INLINE_ORIGIN, the
     * code group, the trailing PUBLIC run), read while planning: searches aim
     * their probes by them (textsearch.c). */
    sym_key_range keys[SYM_RUN_COUNT];
} sym_plan;

/* Code-group searches remembered by the text lookups (textsearch.c). */
typedef struct sym_text_memo sym_text_memo;

struct dw_symfile {
    const char *text;
    size_t size;
    int mapped;  /* text is an mmap (else malloc'd) */
    dw_symfile_module module;
    char *module_strings; /* backing store of `module` */

    pthread_mutex_t index_lock; /* guards every lazy build below */
    atomic_int indexed;  /* 1 once `index` is complete (or failed) */
    dw_status index_status;
    sym_index index;

    atomic_int mode;     /* dw_sym_lookup_mode */
    atomic_size_t text_read; /* bytes read by text lookups so far */
    size_t text_read_limit;  /* past it the index is built (the file size; tests raise it) */
    sym_plan plan;       /* valid once mode is DW_SYM_LOOKUP_TEXT */
    sym_text_memo *memo; /* set with the plan; NULL when it could not be allocated */
    char mode_reason[DW_SYM_CORRUPT_MSG];
    atomic_int stack_indexed; /* 1 once `stack_index` is complete (or failed) */
    dw_status stack_status;
    sym_index stack_index;    /* the STACK group only, for text mode */
    atomic_int public_indexed; /* 1 once `public_index` is complete (or failed) */
    dw_status public_status;
    sym_index public_index;    /* the code group's PUBLICs only, for plan.publics_indexed */
};

/* Build the index if it is not built yet (thread-safe). */
dw_status dw_symfile_ensure_index(dw_symfile *sf);

/* Decide the lookup mode on first use (thread-safe); returns it, or
 * DW_SYM_LOOKUP_UNDECIDED with *st set when even the index failed. */
dw_sym_lookup_mode dw_symfile_ensure_mode(dw_symfile *sf, dw_status *st);

/* A text lookup met something only the full index resolves: switch the file
 * to index mode for good (thread-safe; the first reason is kept). */
dw_status dw_symfile_fall_back(dw_symfile *sf, const char *why);

/* The index holding the STACK CFI / STACK WIN records: the full index, or in
 * text mode an index of the STACK group alone.  NULL with *st on failure. */
const sym_index *dw_symfile_stack_records(dw_symfile *sf, dw_status *st);

/* The PUBLIC records a text lookup of a file with plan.publics_indexed
 * needs: the code group's PUBLICs alone, indexed on first use (thread-safe),
 * even once the full index exists, so that answers never depend on what
 * else was asked of the file.  NULL with *st on failure. */
const sym_index *dw_symfile_public_records(dw_symfile *sf, dw_status *st);

/* One-pass indexer (index.c): the whole text, or the lines from `start` on
 * (offsets stay relative to `text`). */
dw_status dw_sym_build_index(const char *text, size_t size, sym_index *ix);
dw_status dw_sym_build_index_from(const char *text, size_t size, size_t start, sym_index *ix);
void dw_sym_free_index(sym_index *ix);

/* Only the PUBLIC records among the lines [lo, hi) (lo a line start), parsed
 * and sorted exactly as the full index does; the other arrays stay empty. */
dw_status dw_sym_build_public_index(const char *text, size_t size, size_t lo, size_t hi,
                                    sym_index *ix);

/* The last PUBLIC of ix starting at or below rva, or SIZE_MAX (lookup.c). */
size_t dw_sym_public_at_or_below(const sym_index *ix, uint64_t rva);

/* ---- text mode (textsearch.c) -------------------------------------------- */

typedef enum sym_text_result {
    SYM_TEXT_FOUND,
    SYM_TEXT_NOT_FOUND,
    SYM_TEXT_FALLBACK, /* redo from the full index */
} sym_text_result;

/* Locate the groups and sample their order; 0 with a reason in `why` when the
 * file is not laid out for text search. */
int dw_sym_plan_text(const char *text, size_t size, sym_plan *plan, char *why, size_t why_size);

/* dw_symfile_lookup from the text (`out` already cleared), reporting the
 * bytes it read (a PUBLIC index it builds on the way is not counted: that
 * is paid once).  FALLBACK with a reason in `why` when the file must be
 * searched through the index instead. */
sym_text_result dw_sym_text_lookup(dw_symfile *sf, uint64_t rva, dw_sym_lookup *out,
                                   size_t *bytes_read, char *why, size_t why_size);

/* The memo of a file in text mode (thread-safe); optional: lookups without
 * one search every time. */
sym_text_memo *dw_sym_text_memo_new(void);
void dw_sym_text_memo_free(sym_text_memo *memo);

static inline dw_symstr dw_sym_str(const dw_symfile *sf, sym_span s)
{
    dw_symstr r = {s.len ? sf->text + s.off : NULL, s.len};
    return r;
}

/* Name of FILE / INLINE_ORIGIN number n, or an empty span. */
dw_symstr dw_sym_named_lookup(const dw_symfile *sf, const sym_named *arr, size_t n,
                              uint32_t number);

#endif
