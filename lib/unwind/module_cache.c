/* What the walker knows per module, loaded on first use: its .sym file, its
 * PE view (from the image file when one is found in --images, else from the
 * dump's own memory), and its export table. */
#include <string.h>

#include "image/pdata.h"
#include "minidump/backend.h"
#include "unwind/walker.h"

/* Images in dump memory are read through this: RVAs relative to the module
 * base, as many contiguous captured bytes as there are. */
static size_t read_dump_image(void *ctx, uint64_t rva, void *buf, size_t len)
{
    dw_module_cache *c = ctx;
    return dw_memory_copy(c->walker->dump, c->base + rva, buf, len);
}

static const dw_module *module_at(dw_walker *w, uint64_t address)
{
    for (unsigned i = 0; i < DW_WALKER_RECENT_MODULES; i++) {
        const struct dw_module_stretch *r = &w->recent[i];
        if (r->valid && dw_stretch_holds(r->from, r->to, address))
            return r->module;
    }
    struct dw_module_stretch *r = &w->recent[w->recent_next];
    w->recent_next = (w->recent_next + 1) % DW_WALKER_RECENT_MODULES;
    r->module = dw_module_stretch_at(w->dump, address, &r->from, &r->to);
    r->valid = 1;
    return r->module;
}

const dw_module *dw_walker_module(dw_walker *w, uint64_t address, dw_module_cache **cache)
{
    const dw_module *m = module_at(w, address);
    if (cache)
        *cache = NULL;
    if (!m || !w->modules || m < w->modules || m >= w->modules + w->module_count)
        return m;
    if (cache) {
        dw_module_cache **slot = &w->mcache[m - w->modules];
        if (!*slot) /* out of memory leaves it NULL: the module is used without its facts */
            *slot = dw_arena_calloc(&w->arena, 1, sizeof **slot);
        *cache = *slot;
    }
    return m;
}

dw_symfile *dw_walker_module_symfile(dw_walker *w, const dw_module *m, dw_module_cache *c)
{
    if (!c || !w->opts.symbols)
        return NULL;
    if (!c->sym_tried) {
        c->sym_tried = 1;
        if (dw_symbols_lookup(w->opts.symbols, m->debug_file, m->debug_id, m->name, m->code_id,
                              &c->sym) != DW_OK)
            c->sym = NULL;
    }
    return c->sym;
}

static void load_image(dw_walker *w, const dw_module *m, dw_module_cache *c)
{
    c->walker = w;
    c->base = m->base;
    if (w->images && dw_image_store_find(w->images, m->path, m->time_date_stamp, (uint32_t)m->size,
                                         &c->file) == DW_OK) {
        c->pe = c->file->pe;
        c->image_ok = 1;
        return;
    }
    c->file = NULL;
    if (dw_pe_open(&c->pe, read_dump_image, c) == DW_OK) {
        c->image_ok = 1;
        c->image_from_dump = 1;
    }
}

const dw_pe *dw_walker_module_pe(dw_walker *w, const dw_module *m, dw_module_cache *c)
{
    if (!c)
        return NULL;
    if (!c->image_tried) {
        c->image_tried = 1;
        load_image(w, m, c);
    }
    return c->image_ok ? &c->pe : NULL;
}

const dw_pe_exports *dw_walker_module_exports(dw_walker *w, const dw_module *m, dw_module_cache *c)
{
    if (!c)
        return NULL;
    if (!c->exports_tried) {
        c->exports_tried = 1;
        dw_pe *pe = (dw_pe *)dw_walker_module_pe(w, m, c);
        if (pe) {
            dw_status st = dw_pe_exports_read(pe, &w->arena, &c->exports);
            if (st != DW_OK && st != DW_ERR_TRUNCATED)
                memset(&c->exports, 0, sizeof c->exports);
        }
    }
    return c->exports.count ? &c->exports : NULL;
}

/* Was any byte of [lo, hi) captured (hi == UINT64_MAX: to the top)? */
static int captured_in(dw_dump *dump, uint64_t lo, uint64_t hi)
{
    uint64_t from, to;
    return dw_memory_stretch_at(dump, lo, &from, &to) != NULL || to < hi;
}

/* Was the image file of module m found (--images)? */
static int has_image_file(dw_walker *w, const dw_module *m, dw_module_cache *c)
{
    return m && c && dw_walker_module_pe(w, m, c) && c->file;
}

/* dw_walker_page_may_have_code's answer for a page not in the cache yet
 * (never asked for cores: all_code_readable answers first). */
int dw_walker_page_verdict(dw_walker *w, uint64_t address)
{
    uint64_t page = address >> DW_WALKER_CODE_PAGE_SHIFT;
    uint64_t lo = page << DW_WALKER_CODE_PAGE_SHIFT;
    uint64_t hi = lo + ((uint64_t)1 << DW_WALKER_CODE_PAGE_SHIFT);
    hi = hi > lo ? hi : UINT64_MAX; /* the top page */
    lo = lo > DW_CALL_MAX_LENGTH ? lo - DW_CALL_MAX_LENGTH : 0;
    int maybe = captured_in(w->dump, lo, hi);
    if (!maybe) {
        dw_module_cache *c;
        const dw_module *m = dw_walker_module(w, address, &c);
        maybe = has_image_file(w, m, c);
    }
    struct dw_code_page *e = dw_walker_code_page(w, page);
    e->page = page;
    e->verdict = maybe ? 2 : 1;
    return maybe;
}

size_t dw_walker_read_code(dw_walker *w, uint64_t va, void *buf, size_t len)
{
    if (!dw_walker_page_may_have_code(w, va))
        return 0;
    size_t got = dw_walker_copy(w, &w->code_span, va, buf, len);
    if (got == len)
        return got;
    if (dw_dump_header(w->dump)->format != DW_FORMAT_MINIDUMP) {
        /* ELF cores leave out read-only file pages (text): read them from the
         * file the core's NT_FILE note says was mapped there. */
        size_t from_file = dw_backend_read_mapped_file(w->dump, va, buf, len);
        return from_file > got ? from_file : got;
    }
    dw_module_cache *c;
    const dw_module *m = dw_walker_module(w, va, &c);
    if (!m || !dw_walker_module_pe(w, m, c) || !c->file)
        return got;
    return dw_image_file_read((void *)c->file, va - m->base, buf, len);
}

int dw_walker_module_has_code(dw_walker *w, const dw_module *m, dw_module_cache *c)
{
    if (!c)
        return 1;
    if (!c->code_checked) {
        c->code_checked = 1;
        uint64_t lo = m->base > DW_CALL_MAX_LENGTH ? m->base - DW_CALL_MAX_LENGTH : 0;
        uint64_t hi = m->base + m->size < m->base ? UINT64_MAX : m->base + m->size;
        c->has_code =
            captured_in(w->dump, lo, hi) || w->all_code_readable || has_image_file(w, m, c);
    }
    return c->has_code;
}

/* IMAGE_SCN_MEM_EXECUTE: the section holds code. */
#define SCN_MEM_EXECUTE 0x20000000u

/* x86-64 Linux maps the kernel image and its modules in the top 2 GiB
 * (Documentation/arch/x86/x86_64/mm.rst: "kernel text mapping" and "module
 * mapping space").  A kernel dump lists no modules, so in such a dump an
 * address there whose bytes are captured may hold code; the scan rule still
 * demands a call instruction before it. */
#define LINUX_X64_KERNEL_TEXT_START 0xffffffff80000000ull

static int is_kernel_text(dw_walker *w, uint64_t address)
{
    uint8_t byte;
    if (dw_dump_header(w->dump)->format != DW_FORMAT_KDUMP || w->arch != DW_ARCH_AMD64 ||
        address < LINUX_X64_KERNEL_TEXT_START)
        return 0;
    return dw_memory_copy(w->dump, address, &byte, 1) == 1;
}

int dw_walker_is_code(dw_walker *w, uint64_t address)
{
    dw_module_cache *c;
    const dw_module *m = dw_walker_module(w, address, &c);
    return dw_walker_is_code_in(w, address, m, c);
}

int dw_walker_is_code_in(dw_walker *w, uint64_t address, const dw_module *m, dw_module_cache *c)
{
    if (m && dw_dump_header(w->dump)->format != DW_FORMAT_MINIDUMP) {
        /* A mapped file of an ELF core: its segments in the core carry their
         * protection; the code pages the core left out have none there. */
        const dw_memory_info *mi = dw_dump_memory_info_at(w->dump, address);
        return !mi || dw_memory_protect_is_executable(mi->protect);
    }
    if (m) {
        const dw_pe *pe = dw_walker_module_pe(w, m, c);
        if (!pe || pe->section_count == 0)
            return 1;
        const dw_pe_section *s = dw_pe_section_at(pe, (uint32_t)(address - m->base));
        return s && (s->characteristics & SCN_MEM_EXECUTE);
    }
    const dw_memory_info *mi = dw_dump_memory_info_at(w->dump, address);
    if (mi)
        return mi->state == 0x1000 && dw_memory_protect_is_executable(mi->protect);
    return is_kernel_text(w, address);
}

uint64_t dw_walker_function_start(dw_walker *w, uint64_t address)
{
    dw_module_cache *c;
    const dw_module *m = dw_walker_module(w, address, &c);
    if (!m)
        return 0;
    uint64_t rva = address - m->base;
    dw_symfile *sf = dw_walker_module_symfile(w, m, c);
    dw_sym_lookup l;
    if (sf && dw_symfile_lookup(sf, rva, &l) == DW_OK && l.kind == DW_SYM_FUNC)
        return m->base + l.function_start;
    const dw_pe *pe = dw_walker_module_pe(w, m, c);
    dw_runtime_function rf;
    if (pe && w->arch == DW_ARCH_AMD64 &&
        dw_pe_find_runtime_function(pe, (uint32_t)rva, &rf) == DW_OK)
        return m->base + rf.begin;
    if (sf && l.kind == DW_SYM_PUBLIC)
        return m->base + l.function_start;
    const dw_pe_exports *ex = dw_walker_module_exports(w, m, c);
    const dw_pe_export *e = ex ? dw_pe_export_at(ex, (uint32_t)rva) : NULL;
    return e ? m->base + e->rva : 0;
}
