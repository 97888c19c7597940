/* The stack walker: a cursor over one thread's frames.  Frame 0 comes from
 * the captured context; each caller is computed by the first rule (in trust
 * order) whose answer passes validation. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minidump/backend.h"
#include "unwind/rule_cfi.h"
#include "unwind/rule_ehframe.h"
#include "unwind/rule_pdata.h"
#include "unwind/rule_prologue.h"
#include "unwind/rule_win.h"
#include "unwind/walker.h"
#include "util/text.h"

#define DEFAULT_SCAN_WORDS 256
/* NT_TIB.StackBase / StackLimit offsets inside the TEB (winnt.h NT_TIB). */
#define TIB64_STACK_BASE 0x8
#define TIB64_STACK_LIMIT 0x10
#define TIB32_STACK_BASE 0x4
#define TIB32_STACK_LIMIT 0x8
/* A WoW64 thread's TEB32 follows its TEB64 at this distance (two pages). */
#define WOW64_TEB32_OFFSET 0x2000
/* Stacks bigger than this are not believed (default reserve is 1 MiB). */
#define MAX_PLAUSIBLE_STACK ((uint64_t)1 << 30)

/* The rules, in the order they are trusted. */
static const struct {
    dw_unwind_rule fn;
    const char *name;
} x64_rules[] =
    {
        {dw_rule_cfi, "cfi"},
        {dw_rule_ehframe, "eh_frame"},
        {dw_rule_pdata, "pdata"},
        {dw_rule_prologue, "prologue"},
        {dw_rule_wine_callback, "wine_callback"},
        {dw_rule_frame_pointer, "frame_pointer"},
        {dw_rule_scan, "scan"},
},
  x86_rules[] = {
      /* Breakpad's order: STACK WIN, then STACK CFI, then the EBP chain.  The
       * prologue rule sits before the chain but only answers where it is exact
       * (an epilogue, or an IP inside the prologue, where EBP is not yet this
       * frame's); in a function body it declines. */
      {dw_rule_win, "win"},
      {dw_rule_cfi, "cfi"},
      {dw_rule_ehframe, "eh_frame"},
      {dw_rule_prologue, "prologue"},
      {dw_rule_frame_pointer, "frame_pointer"},
      {dw_rule_scan, "scan"},
};

const char *dw_trust_name(dw_trust trust)
{
    switch (trust) {
    case DW_TRUST_NONE:
        return "none";
    case DW_TRUST_SCAN:
        return "scan";
    case DW_TRUST_CFI_SCAN:
        return "cfi_scan";
    case DW_TRUST_FRAME_POINTER:
        return "frame_pointer";
    case DW_TRUST_CFI:
        return "cfi";
    case DW_TRUST_PREWALKED:
        return "prewalked";
    case DW_TRUST_CONTEXT:
        return "context";
    }
    return "none";
}

unsigned dw_walker_ip_reg(const dw_walker *w)
{
    return w->arch == DW_ARCH_X86 ? DW_X86_EIP : DW_AMD64_RIP;
}

unsigned dw_walker_sp_reg(const dw_walker *w)
{
    return w->arch == DW_ARCH_X86 ? DW_X86_ESP : DW_AMD64_RSP;
}

unsigned dw_walker_fp_reg(const dw_walker *w)
{
    return w->arch == DW_ARCH_X86 ? DW_X86_EBP : DW_AMD64_RBP;
}

/* Copies dump memory through a span cache: bytes inside the cached range
 * are copied without a lookup, and a read inside a cached gap fails without
 * one.  Reads that cross a range's end take the general path. */
size_t dw_walker_copy(dw_walker *w, dw_span_cache *c, uint64_t va, void *buf, size_t len)
{
    if (!c->valid || !dw_stretch_holds(c->from, c->to, va)) {
        c->data = dw_memory_stretch_at(w->dump, va, &c->from, &c->to);
        c->valid = 1;
        if (!c->data && w->dump->backend) {
            c->valid = 0; /* backend dumps: no stretches to cache */
            return dw_memory_copy(w->dump, va, buf, len);
        }
    }
    if (!c->data)
        return 0;
    uint64_t off = va - c->from;
    if (len <= c->to - c->from && off <= c->to - c->from - len) {
        memcpy(buf, c->data + off, len);
        return len;
    }
    return dw_memory_copy(w->dump, va, buf, len);
}

int dw_walker_read_value(void *walker, uint64_t addr, unsigned size, uint64_t *value)
{
    dw_walker *w = walker;
    uint8_t b[8];
    if (size > sizeof b || dw_walker_copy(w, &w->stack_span, addr, b, size) != size)
        return 0;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)b[i] << (8 * i);
    *value = v;
    return 1;
}

int dw_walker_read_word(dw_walker *w, uint64_t va, uint64_t *out)
{
    return dw_walker_read_value(w, va, dw_walker_word(w), out);
}

size_t dw_walker_read_stack(dw_walker *w, uint64_t va, void *buf, size_t len)
{
    return dw_walker_copy(w, &w->stack_span, va, buf, len);
}

/* Opened on first use: many walks decode nothing (a dump whose frames all
 * come from CFI or .pdata caller frames), and the first cs_open of a
 * process costs ~20 us of page faults in capstone's tables. */
dw_disasm *dw_walker_disasm(dw_walker *w)
{
    int bits = w->arch == DW_ARCH_X86 ? 32 : 64;
    dw_disasm *d = bits == 32 ? &w->dis32 : &w->dis64;
    int *state = bits == 32 ? &w->dis32_ok : &w->dis64_ok;
    if (*state == 0)
        *state = dw_disasm_open(d, bits) == DW_OK ? 1 : -1;
    return *state > 0 ? d : NULL;
}

static void set_stop(dw_walker *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->stop_reason, sizeof w->stop_reason, fmt, ap);
    va_end(ap);
    w->done = 1;
}

dw_status dw_walker_new(dw_dump *dump, const dw_walk_options *opts, dw_walker **out)
{
    if (!dump || !out)
        return DW_ERR_INVALID_ARG;
    dw_walker *w = calloc(1, sizeof *w);
    if (!w)
        return DW_ERR_NOMEM;
    w->dump = dump;
    dw_walk_options defaults = DW_WALK_OPTIONS_INIT;
    w->opts = opts && opts->version >= 1 ? *opts : defaults;
    if (!w->opts.max_frames)
        w->opts.max_frames = DW_WALK_DEFAULT_MAX_FRAMES;
    if (!w->opts.max_scan_words)
        w->opts.max_scan_words = DEFAULT_SCAN_WORDS;
    dw_arena_init(&w->arena);
    w->all_code_readable = dump->backend != NULL;
    if (dw_dump_modules(dump, &w->modules, &w->module_count) != DW_OK && !w->modules)
        w->module_count = 0;
    w->mcache =
        dw_arena_calloc(&w->arena, w->module_count ? w->module_count : 1, sizeof *w->mcache);
    if (w->opts.image_dir_count && dw_image_store_new(&w->images) == DW_OK) {
        for (size_t i = 0; i < w->opts.image_dir_count; i++)
            dw_image_store_add_dir(w->images, w->opts.image_dirs[i]);
    }
    w->x64_ok = dw_x64_unwinder_init(&w->x64) == DW_OK;
    if (!w->mcache) {
        dw_walker_free(w);
        return DW_ERR_NOMEM;
    }
    *out = w;
    return DW_OK;
}

void dw_walker_free(dw_walker *w)
{
    if (!w)
        return;
    if (w->dis32_ok > 0)
        dw_disasm_close(&w->dis32);
    if (w->dis64_ok > 0)
        dw_disasm_close(&w->dis64);
    if (w->x64_ok)
        dw_x64_unwinder_fini(&w->x64);
    if (w->images)
        dw_image_store_free(w->images);
    dw_arena_free(&w->arena);
    free(w);
}

dw_status dw_walker_start_context(dw_walker *w, const dw_context *ctx, uint64_t stack_lo,
                                  uint64_t stack_hi)
{
    if (!w || !ctx)
        return DW_ERR_INVALID_ARG;
    memset(&w->callee, 0, sizeof w->callee);
    w->stop_reason[0] = '\0';
    w->done = 0;
    w->started = 0;
    w->has_grand_callee = 0;
    w->next_index = 0;
    w->arch = ctx->arch;
    if (w->arch != DW_ARCH_X86 && w->arch != DW_ARCH_AMD64) {
        set_stop(w, "no unwinder for this CPU architecture");
        return DW_ERR_UNSUPPORTED;
    }
    w->callee.context = *ctx;
    uint64_t sp = dw_context_sp(ctx);
    w->stack_lo = stack_lo < sp ? stack_lo : sp;
    w->stack_hi = stack_hi;
    memset(w->barren, 0, sizeof w->barren); /* they describe the last thread's stack */
    w->barren_top = 0;
    return DW_OK;
}

/* Stack bounds from the TEB's NT_TIB when that memory is captured and
 * consistent with the stack pointer, else from the stack descriptor. */
static void thread_stack_bounds(dw_walker *w, const dw_thread *t, uint64_t teb, int tib32,
                                uint64_t sp, uint64_t *lo, uint64_t *hi)
{
    *lo = t->stack_start;
    *hi = t->stack_start + t->stack_size;
    if (!teb)
        return;
    uint64_t base = 0, limit = 0;
    if (tib32) {
        uint32_t b32, l32;
        if (dw_memory_read_u32(w->dump, teb + TIB32_STACK_BASE, &b32) != DW_OK ||
            dw_memory_read_u32(w->dump, teb + TIB32_STACK_LIMIT, &l32) != DW_OK)
            return;
        base = b32;
        limit = l32;
    } else if (dw_memory_read_u64(w->dump, teb + TIB64_STACK_BASE, &base) != DW_OK ||
               dw_memory_read_u64(w->dump, teb + TIB64_STACK_LIMIT, &limit) != DW_OK) {
        return;
    }
    if (limit < base && base - limit <= MAX_PLAUSIBLE_STACK && sp >= limit && sp <= base) {
        *lo = limit;
        *hi = base > *hi ? base : *hi;
    }
}

dw_status dw_walker_start(dw_walker *w, const dw_thread *t)
{
    if (!w || !t)
        return DW_ERR_INVALID_ARG;
    dw_context ctx;
    const dw_exception *e;
    int tib32 = 0;
    uint64_t teb = t->teb;
    if (dw_dump_is_wow64(w->dump) && dw_thread_wow64_context(w->dump, t, &ctx) == DW_OK) {
        tib32 = 1;
        teb = t->teb + WOW64_TEB32_OFFSET;
    } else if (dw_dump_exception(w->dump, &e) == DW_OK && e->thread_id == t->thread_id &&
               dw_dump_context_at(w->dump, e->context_rva, e->context_size, &ctx) == DW_OK) {
        tib32 = ctx.arch == DW_ARCH_X86;
    } else {
        dw_status st = dw_thread_context(w->dump, t, &ctx);
        if (st != DW_OK) {
            set_stop(w, "thread %u has no usable context", t->thread_id);
            return st;
        }
        tib32 = ctx.arch == DW_ARCH_X86;
    }
    uint64_t lo, hi;
    thread_stack_bounds(w, t, teb, tib32, dw_context_sp(&ctx), &lo, &hi);
    return dw_walker_start_context(w, &ctx, lo, hi);
}

/* A rule's answer is believed only if the caller's frame is above the
 * callee's on the stack, inside the stack, and its IP is not null. */
static int caller_is_valid(dw_walker *w, const dw_context *callee, const dw_context *caller)
{
    unsigned ipr = dw_walker_ip_reg(w), spr = dw_walker_sp_reg(w);
    if (!dw_context_has(caller, ipr) || !dw_context_has(caller, spr))
        return 0;
    uint64_t sp = caller->regs[spr];
    if (sp <= callee->regs[spr] || sp > w->stack_hi)
        return 0;
    if (w->arch == DW_ARCH_X86 && (caller->regs[ipr] > 0xffffffffu || sp > 0xffffffffu))
        return 0;
    return 1;
}

/* The rules read the callee's registers, addresses and symbol; its inline
 * frames are the report's, and copying them made a third of a frame's
 * memory traffic. */
static void remember_callee(dw_walker *w, const dw_frame *f)
{
    memcpy(&w->callee, f, offsetof(dw_frame, inlines));
    w->callee.inline_count = 0;
    w->callee.context = f->context;
}

static void emit_frame(dw_walker *w, const dw_context *ctx, dw_trust trust, const char *reason,
                       dw_frame *out)
{
    /* The inline slots past inline_count are never read: not zeroed. */
    memset(out, 0, offsetof(dw_frame, inlines));
    out->index = w->next_index++;
    out->context = *ctx;
    out->context.arch = w->arch;
    out->ip = ctx->regs[dw_walker_ip_reg(w)];
    out->sp = ctx->regs[dw_walker_sp_reg(w)];
    out->trust = trust;
    dw_concat3(out->reason, sizeof out->reason, reason, "", "");
    dw_walker_symbolize_frame(w, out);
    w->has_grand_callee = w->started && out->index > 0;
    w->grand_callee_index = w->callee.index;
    w->grand_callee_ip = w->callee.ip;
    remember_callee(w, out);
}

static dw_status next_caller(dw_walker *w, dw_frame *out)
{
    size_t n = w->arch == DW_ARCH_X86 ? sizeof x86_rules / sizeof x86_rules[0]
                                      : sizeof x64_rules / sizeof x64_rules[0];
    for (size_t i = 0; i < n; i++) {
        dw_unwind_rule rule = w->arch == DW_ARCH_X86 ? x86_rules[i].fn : x64_rules[i].fn;
        if (w->opts.no_scan && rule == dw_rule_scan)
            continue;
        dw_context caller;
        memset(&caller, 0, sizeof caller);
        caller.arch = w->arch;
        dw_trust trust = DW_TRUST_NONE;
        char reason[DW_FRAME_REASON_MAX] = "";
        if (rule(w, &w->callee, &caller, &trust, reason, sizeof reason) != DW_OK)
            continue;
        uint64_t ip = caller.regs[dw_walker_ip_reg(w)];
        if (dw_context_has(&caller, dw_walker_ip_reg(w)) && ip < 4096 && trust >= DW_TRUST_CFI) {
            set_stop(w, "end of stack: %s gives return address 0x%llx", reason,
                     (unsigned long long)ip);
            return DW_ERR_NOT_FOUND;
        }
        if (!caller_is_valid(w, &w->callee.context, &caller) || ip < 4096)
            continue;
        emit_frame(w, &caller, trust, reason, out);
        return DW_OK;
    }
    set_stop(w, "no rule recovered a caller of frame %u", w->callee.index);
    return DW_ERR_NOT_FOUND;
}

dw_status dw_walker_next(dw_walker *w, dw_frame *out)
{
    if (!w || !out)
        return DW_ERR_INVALID_ARG;
    if (w->done)
        return DW_ERR_NOT_FOUND;
    if (!w->started) {
        w->started = 1;
        dw_context ctx = w->callee.context;
        if (!dw_context_has(&ctx, dw_walker_ip_reg(w))) {
            set_stop(w, "the context has no instruction pointer");
            return DW_ERR_NOT_FOUND;
        }
        emit_frame(w, &ctx, DW_TRUST_CONTEXT, "context", out);
        return DW_OK;
    }
    if (w->next_index >= w->opts.max_frames) {
        set_stop(w, "frame limit (%u) reached", w->opts.max_frames);
        return DW_ERR_NOT_FOUND;
    }
    return next_caller(w, out);
}

dw_status dw_walker_stack_bounds(const dw_walker *w, uint64_t *low, uint64_t *high)
{
    if (!w || !low || !high)
        return DW_ERR_INVALID_ARG;
    if (!w->started && !w->done && w->stack_hi == 0)
        return DW_ERR_NOT_FOUND;
    *low = w->stack_lo;
    *high = w->stack_hi;
    return DW_OK;
}

const char *dw_walker_stop_reason(const dw_walker *w)
{
    return w ? w->stop_reason : "";
}

dw_status dw_walker_symbolize(dw_walker *w, uint64_t address, dw_frame *out)
{
    if (!w || !out)
        return DW_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    out->ip = address;
    dw_walker_symbolize_frame(w, out);
    return out->module ? DW_OK : DW_ERR_NOT_FOUND;
}
