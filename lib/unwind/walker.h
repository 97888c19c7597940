/* The stack walker's internal state and the interface its unwind rules share.
 *
 * Each rule lives in its own file (rule_*.c) and has the signature
 * dw_unwind_rule: from the callee frame it computes the caller's registers,
 * or answers DW_ERR_NOT_FOUND when it does not apply.  walker.c tries the
 * rules in trust order and validates every answer (the caller's stack pointer
 * must grow and stay in the stack; its IP must be plausible code). */
#ifndef DW_UNWIND_WALKER_H
#define DW_UNWIND_WALKER_H

#include <stddef.h>
#include <stdint.h>

#include "dumpwalk/dumpwalk.h"
#include "image/ehframe.h"
#include "image/image_store.h"
#include "image/pe.h"
#include "unwind/insn.h"
#include "unwind/x64_pdata.h"
#include "util/arena.h"
#include "util/reader.h"

/* Per-module facts the walker loads on first use. */
typedef struct dw_module_cache {
    int sym_tried;
    dw_symfile *sym; /* owned by the dw_symbols store */
    int image_tried;
    int image_ok;
    int image_from_dump;       /* headers read from dump memory */
    dw_pe pe;                  /* valid when image_ok */
    const dw_image_file *file; /* on-disk image, owned by the image store; may be NULL */
    struct dw_walker *walker;  /* read context for images in dump memory */
    uint64_t base;
    int exports_tried;
    dw_pe_exports exports;
    int eh_tried; /* .eh_frame located (ELF images; rule_ehframe.c) */
    int eh_ok;
    dw_ehframe eh;
    int code_checked; /* dw_walker_module_has_code */
    int has_code;
} dw_module_cache;

#define DW_WALKER_RECENT_MODULES 4
#define DW_WALKER_CODE_PAGES 256
#define DW_WALKER_CODE_PAGE_SHIFT 12
#define DW_WALKER_BARREN_RUNS 4

/* Whether [from, to) holds address, where to == UINT64_MAX reaches the top
 * (the convention of dw_module_stretch_at and dw_memory_stretch_at). */
static inline int dw_stretch_holds(uint64_t from, uint64_t to, uint64_t address)
{
    return address >= from && (address < to || to == UINT64_MAX);
}

/* A stretch of the address space from dw_memory_stretch_at: captured bytes
 * (data non-NULL) or a gap (data NULL); to == UINT64_MAX reaches the top. */
typedef struct dw_span_cache {
    int valid;
    uint64_t from, to;
    const uint8_t *data;
} dw_span_cache;

struct dw_walker {
    dw_dump *dump;
    dw_walk_options opts;
    dw_arena arena;
    const dw_module *modules;
    size_t module_count;
    /* One per module, dump order, each made on the module's first use: a
     * dump lists hundreds of modules and a walk touches a few, and an entry
     * holds a whole PE header view. */
    dw_module_cache **mcache;
    /* The captured range (or gap) of the last stack read and of the last
     * code read: a scan reads thousands of words from one stack range and
     * probes code in a few ranges and many gaps. */
    dw_span_cache stack_span, code_span;
    /* Recent module lookups: each answer with the address stretch it holds
     * for (dw_module_stretch_at).  A scan's words mostly fall in a few
     * modules and the gaps between them, in no particular order. */
    struct dw_module_stretch {
        uint64_t from, to;
        const dw_module *module;
        int valid;
    } recent[DW_WALKER_RECENT_MODULES];
    unsigned recent_next; /* the entry replaced next */
    /* rule_scan.c's verdicts on whole pages: can a return address there
     * have readable code before it?  Direct-mapped by page number. */
    struct dw_code_page {
        uint64_t page;
        uint8_t verdict; /* 0 unknown, 1 no code readable, 2 maybe */
    } code_pages[DW_WALKER_CODE_PAGES];
    /* Runs of stack slots of this walk that rule_scan.c found barren: no
     * word there can be a strong candidate.  Windows of successive scans
     * overlap, so later scans jump over these; reset per walk. */
    struct dw_slot_run {
        uint64_t from, to;
    } barren[DW_WALKER_BARREN_RUNS];
    unsigned barren_next;
    uint64_t barren_top;    /* the highest end among them: no run holds a slot above */
    int all_code_readable;  /* cores read text from mapped files: no page verdicts */
    dw_image_store *images; /* NULL without --images */
    dw_disasm dis32, dis64;
    int dis32_ok, dis64_ok; /* 0 not opened yet, 1 open, -1 capstone refused */
    dw_x64_unwinder x64;    /* .pdata evaluation state (capstone, scratch) */
    int x64_ok;

    /* the walk in progress */
    dw_arch arch;
    uint64_t stack_lo, stack_hi;
    unsigned next_index;
    int started, done;
    char stop_reason[96];
    dw_frame callee; /* the frame returned last (registers, symbols) */
    /* The frame before `callee` (its callee), for STACK WIN's .cbCalleeParams:
     * x86 stack arguments of that call still sit above callee's SP. */
    int has_grand_callee;
    unsigned grand_callee_index;
    uint64_t grand_callee_ip;
    /* Set by the eh_frame rule when it unwound a signal frame ('S'): the
     * frame it produced holds an interrupted IP, not a return address, so
     * its own CFI is looked up at the IP itself. */
    int eh_exact_ip_set;
    unsigned eh_exact_ip_index;
    uint64_t eh_exact_ip;
};

typedef struct dw_walker dw_walker;

/* A rule: compute the caller's registers from `callee`.  On DW_OK it fills
 * *caller (at least IP and SP valid), *trust and reason. */
typedef dw_status (*dw_unwind_rule)(dw_walker *w, const dw_frame *callee, dw_context *caller,
                                    dw_trust *trust, char *reason, size_t reason_size);

dw_status dw_rule_frame_pointer(dw_walker *w, const dw_frame *callee, dw_context *caller,
                                dw_trust *trust, char *reason, size_t reason_size);
/* Wine's fake callback return address 0xdeadbabe -> the interrupted syscall's caller. */
dw_status dw_rule_wine_callback(dw_walker *w, const dw_frame *callee, dw_context *caller,
                                dw_trust *trust, char *reason, size_t reason_size);
dw_status dw_rule_scan(dw_walker *w, const dw_frame *callee, dw_context *caller, dw_trust *trust,
                       char *reason, size_t reason_size);

/* ---- services for the rules (walker.c, module_cache.c) ---- */

/* Pointer size of the walk: 4 (x86) or 8 (amd64). */
static inline unsigned dw_walker_word(const dw_walker *w)
{
    return w->arch == DW_ARCH_X86 ? 4 : 8;
}
unsigned dw_walker_ip_reg(const dw_walker *w);
unsigned dw_walker_sp_reg(const dw_walker *w);
unsigned dw_walker_fp_reg(const dw_walker *w);

/* Read a pointer-sized little-endian word from dump memory; 1 on success. */
int dw_walker_read_word(dw_walker *w, uint64_t va, uint64_t *out);
/* The same for stack scanning, inline when the word lies in the stack range
 * read last (the span cache): most words of a scan do. */
static inline int dw_walker_stack_word(dw_walker *w, uint64_t va, uint64_t *out)
{
    const dw_span_cache *c = &w->stack_span;
    unsigned word = dw_walker_word(w);
    if (c->data && va >= c->from && va < c->to && c->to - va >= word) {
        const uint8_t *p = c->data + (va - c->from);
        *out = word == 8 ? dw_le64(p) : dw_le32(p);
        return 1;
    }
    return dw_walker_read_word(w, va, out);
}
/* Read `size` (at most 8) bytes of dump memory at addr as a little-endian
 * value; 1 on success.  The memory callback the STACK CFI, STACK WIN and
 * .eh_frame evaluators take, with the walker as ctx. */
int dw_walker_read_value(void *walker, uint64_t addr, unsigned size, uint64_t *value);
/* Dump memory through one of the walker's span caches; returns the bytes
 * copied from va onwards. */
size_t dw_walker_copy(dw_walker *w, dw_span_cache *c, uint64_t va, void *buf, size_t len);
/* Stack memory read (dump memory only). */
size_t dw_walker_read_stack(dw_walker *w, uint64_t va, void *buf, size_t len);
/* Whether any code byte of module m can be read at all: the dump captured
 * some memory in it (or just below it, where a call before its first byte
 * would start), or its image file was found, or the dump is not a minidump
 * (cores read text from mapped files).  Cached per module. */
int dw_walker_module_has_code(dw_walker *w, const dw_module *m, dw_module_cache *c);
/* Could code bytes be read on the page of `address`: was any byte from just
 * below the page (where a call before its first byte starts) to its end
 * captured, or was the image file of its module found?  Answers are cached
 * per page: stack scanning asks for thousands of words, and a dump without
 * module code answers no for nearly all of them.  Always 1 for cores, which
 * read text from mapped files. */
int dw_walker_page_verdict(dw_walker *w, uint64_t address);
static inline struct dw_code_page *dw_walker_code_page(dw_walker *w, uint64_t page)
{
    return &w->code_pages[(page ^ (page >> 8)) % DW_WALKER_CODE_PAGES];
}
static inline int dw_walker_page_may_have_code(dw_walker *w, uint64_t address)
{
    uint64_t page = address >> DW_WALKER_CODE_PAGE_SHIFT;
    const struct dw_code_page *e = dw_walker_code_page(w, page);
    if (w->all_code_readable)
        return 1;
    if (e->verdict && e->page == page) /* inline: a scan asks for every word */
        return e->verdict == 2;
    return dw_walker_page_verdict(w, address);
}
/* Code bytes: dump memory first, else the module's image file.  Returns the
 * number of contiguous bytes read from va. */
size_t dw_walker_read_code(dw_walker *w, uint64_t va, void *buf, size_t len);
/* The disassembler of the walk's architecture, or NULL. */
dw_disasm *dw_walker_disasm(dw_walker *w);

/* Module containing address, with its cache entry (NULL when none). */
const dw_module *dw_walker_module(dw_walker *w, uint64_t address, dw_module_cache **cache);
/* The module's .sym file (NULL when none / no store). */
dw_symfile *dw_walker_module_symfile(dw_walker *w, const dw_module *m, dw_module_cache *c);
/* The module's PE view (dump memory or image file), or NULL. */
const dw_pe *dw_walker_module_pe(dw_walker *w, const dw_module *m, dw_module_cache *c);
/* The module's exports, or NULL. */
const dw_pe_exports *dw_walker_module_exports(dw_walker *w, const dw_module *m, dw_module_cache *c);

/* Could `address` be a return address: inside a module, or in memory the
 * MemoryInfoList marks executable? */
int dw_walker_is_code(dw_walker *w, uint64_t address);
/* The same, given dw_walker_module's answer for the address. */
int dw_walker_is_code_in(dw_walker *w, uint64_t address, const dw_module *m, dw_module_cache *c);

/* Start address of the function containing `address`, from symbols, .pdata
 * or exports; 0 when unknown. */
uint64_t dw_walker_function_start(dw_walker *w, uint64_t address);

/* Fill module/symbol fields of a frame from frame->ip (frame->index 0 looks
 * up ip itself, callers ip - 1: the call instruction). */
void dw_walker_symbolize_frame(dw_walker *w, dw_frame *frame);

/* Set a register in a context and mark it valid. */
static inline void dw_ctx_set(dw_context *c, unsigned reg, uint64_t v)
{
    c->regs[reg] = v;
    c->valid |= (uint64_t)1 << reg;
}

#endif
