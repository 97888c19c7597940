/* dumpwalk: stack walking for x86 and x64 threads.
 *
 * A dw_walker is a cursor in the style of libunwind: start it on a thread,
 * then call dw_walker_next() once per frame; stop whenever you have enough.
 * Nothing is allocated per frame: the caller owns the dw_frame it passes in.
 *
 * Each caller frame is recovered by the most trusted rule that applies, in
 * this order:
 *   x64: Breakpad STACK CFI, PE .pdata/.xdata unwind data (image bytes from
 *        the dump or --images), capstone prologue/epilogue analysis, frame
 *        pointer chain, validated stack scan;
 *   x86: STACK WIN (FrameData/FPO), STACK CFI, EBP chain, prologue
 *        analysis, validated stack scan.
 * and carries a trust label (minidump-stackwalk's names) plus a reason naming
 * the rule and the checks that passed ("pdata+epilog", "scan:call E8
 * target-match").
 *
 * Frames are symbolized from Breakpad .sym files (FUNC/PUBLIC, file:line,
 * inline frames) and from PE export tables in dump memory or image files.
 */
#ifndef DUMPWALK_STACK_H
#define DUMPWALK_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "dump.h"
#include "modules.h"
#include "symbols.h"
#include "threads.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dw_trust {
    DW_TRUST_NONE = 0,
    DW_TRUST_SCAN = 1,          /* found by scanning the stack */
    DW_TRUST_CFI_SCAN = 2,      /* scanning, checked against unwind data */
    DW_TRUST_FRAME_POINTER = 3, /* frame pointer chain */
    DW_TRUST_CFI = 4,           /* unwind rules: .sym CFI/WIN, .pdata, prologue analysis */
    DW_TRUST_PREWALKED = 5,     /* given by the dump writer */
    DW_TRUST_CONTEXT = 6,       /* the thread's captured context (frame 0) */
} dw_trust;

/* "none", "scan", "cfi_scan", "frame_pointer", "cfi", "prewalked", "context". */
const char *dw_trust_name(dw_trust trust);

typedef enum dw_symbol_source {
    DW_SYMSRC_NONE = 0,
    DW_SYMSRC_SYM_FUNC = 1,   /* a .sym FUNC record */
    DW_SYMSRC_SYM_PUBLIC = 2, /* a .sym PUBLIC record */
    DW_SYMSRC_EXPORT = 3,     /* the module's PE export table */
} dw_symbol_source;

#define DW_FRAME_REASON_MAX 64
#define DW_FRAME_MAX_INLINE 16

/* An inlined call at a frame's address, innermost first. */
typedef struct dw_inline_frame {
    dw_symstr function;
    dw_symstr file;
    uint32_t line;
} dw_inline_frame;

typedef struct dw_frame {
    unsigned index;
    uint64_t ip; /* frame 0: the context's IP; callers: the return address */
    uint64_t sp; /* stack pointer in this frame */
    dw_trust trust;
    char reason[DW_FRAME_REASON_MAX];
    const dw_module *module; /* NULL when the IP is in no module */
    uint64_t module_offset;
    dw_symbol_source symbol_source;
    dw_symstr function;       /* empty when unknown */
    uint64_t function_offset; /* ip - function start */
    dw_symstr file;           /* empty when unknown */
    uint32_t line;
    uint64_t line_address; /* start of the line record covering the frame's
                            * instruction (for Breakpad's "+ 0x.." line
                            * offset); 0 when no line record covers it */
    int doubtful_symbol; /* an export whose offset is implausibly large */
    int missing_symbols; /* the module has no .sym file */
    unsigned inline_count;
    dw_inline_frame inlines[DW_FRAME_MAX_INLINE];
    dw_context context; /* registers known in this frame (valid bits say which) */
} dw_frame;

typedef struct dw_walk_options {
    unsigned version;              /* DW_WALK_OPTIONS_VERSION */
    dw_symbols *symbols;           /* may be NULL; borrowed */
    const char *const *image_dirs; /* PE image directories (--images); borrowed */
    size_t image_dir_count;
    unsigned max_frames;     /* 0: DW_WALK_DEFAULT_MAX_FRAMES */
    unsigned max_scan_words; /* words scanned per frame; 0: default */
    int no_scan;             /* disable stack scanning */
} dw_walk_options;

#define DW_WALK_OPTIONS_VERSION 1
#define DW_WALK_DEFAULT_MAX_FRAMES 1024
#define DW_WALK_OPTIONS_INIT                                                                       \
    {                                                                                              \
        DW_WALK_OPTIONS_VERSION, NULL, NULL, 0, 0, 0, 0                                            \
    }

typedef struct dw_walker dw_walker;

/* A walker for one dump; reusable across its threads.  Borrows dump and
 * options' pointers for its lifetime. */
dw_status dw_walker_new(dw_dump *dump, const dw_walk_options *opts, dw_walker **out);
void dw_walker_free(dw_walker *w);

/* Start on a thread.  The crashing thread starts from the Exception stream's
 * context (where the fault happened), others from their own context; a WoW64
 * thread walks its 32-bit stack when the x86 context is available. */
dw_status dw_walker_start(dw_walker *w, const dw_thread *thread);
/* Start from any context, with the stack bounds to stay inside. */
dw_status dw_walker_start_context(dw_walker *w, const dw_context *ctx, uint64_t stack_lo,
                                  uint64_t stack_hi);

/* The next frame (frame 0 first).  DW_OK: *frame filled.  DW_ERR_NOT_FOUND:
 * the walk ended (dw_walker_stop_reason says why). */
dw_status dw_walker_next(dw_walker *w, dw_frame *frame);
const char *dw_walker_stop_reason(const dw_walker *w);

/* The stack the current walk stays inside: [*low, *high), from the TEB's
 * NT_TIB when its memory is captured, else the thread's stack descriptor.
 * DW_ERR_NOT_FOUND before a walk has started. */
dw_status dw_walker_stack_bounds(const dw_walker *w, uint64_t *low, uint64_t *high);

/* Symbolize an address (module, function, file:line) as the walker would. */
dw_status dw_walker_symbolize(dw_walker *w, uint64_t address, dw_frame *out);

#ifdef __cplusplus
}
#endif
#endif
