/* The stack report: every thread's frames with the system, crash and module
 * facts around them.  Text reads like minidump-stackwalk's human output; JSON
 * follows minidump-stackwalk's schema plus dumpwalk's own fields (trust
 * reasons, symbol sources, stop reasons, dump health), see docs/json.md.
 *
 * One walker and one frame buffer serve the whole report: a thread is walked
 * into the buffer, printed, and the buffer reused for the next thread. */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dumpwalk/dumpwalk.h"
#include "report/json.h"
#include "report/report_callbacks.h"
#include "report/report_common.h"
#include "util/text.h"

/* The frame buffer never holds more than this many frames, whatever
 * max_frames says (a dw_frame is about 1 KiB). */
#define REPORT_MAX_FRAMES 4096

/* BreakpadInfo validity bit 0: dump_thread_id is set (Breakpad's
 * MD_BREAKPAD_INFO_VALID_DUMP_THREAD_ID). */
#define BREAKPAD_DUMP_THREAD_VALID 0x1u

/* What the report knows about each module's symbols (dump order). */
typedef struct module_syms {
    dw_symfile *sym;          /* owned by the symbol store; NULL when none */
    unsigned char corrupt;    /* a file exists but is not a usable .sym file */
    unsigned char referenced; /* a reported frame lies in the module */
} module_syms;

/* What a thread's walk left besides its frames. */
typedef struct walk_outcome {
    size_t frame_count;
    char stop_reason[128];
    int has_bounds; /* the walk's stack bounds are known */
    uint64_t stack_low, stack_high;
} walk_outcome;

/* The keys of a frame object, made once per report (json.h). */
typedef struct frame_keys {
    dw_json_prepared_key frame, trust, trust_reason, offset, module, module_offset, function,
        function_offset, symbol_source, doubtful_symbol, file, line, missing_symbols, inlines,
        unloaded_modules;
} frame_keys;

static const frame_keys frame_keys_init = {
    DW_JSON_PREPARED_KEY("frame"),
    DW_JSON_PREPARED_KEY("trust"),
    DW_JSON_PREPARED_KEY("trust_reason"),
    DW_JSON_PREPARED_KEY("offset"),
    DW_JSON_PREPARED_KEY("module"),
    DW_JSON_PREPARED_KEY("module_offset"),
    DW_JSON_PREPARED_KEY("function"),
    DW_JSON_PREPARED_KEY("function_offset"),
    DW_JSON_PREPARED_KEY("symbol_source"),
    DW_JSON_PREPARED_KEY("doubtful_symbol"),
    DW_JSON_PREPARED_KEY("file"),
    DW_JSON_PREPARED_KEY("line"),
    DW_JSON_PREPARED_KEY("missing_symbols"),
    DW_JSON_PREPARED_KEY("inlines"),
    DW_JSON_PREPARED_KEY("unloaded_modules"),
};

typedef struct stack_report {
    dw_dump *dump;
    const dw_stack_report_options *opts;
    dw_symbols *symbols; /* borrowed; NULL without --symbols */
    dw_walker *walker;
    dw_status thread_status;
    const dw_thread *threads;
    size_t thread_count;
    const dw_module *modules;
    size_t module_count;
    module_syms *msyms;        /* module_count entries */
    const dw_module **by_base; /* modules sorted by base, for the text listing */
    dw_frame *frames;          /* frame_cap + 1 slots: one more tells "truncated" */
    size_t frame_cap;
    walk_outcome walk;       /* of the thread walked last, besides its frames */
    int addr_digits;         /* hex digits of an address: 8 or 16 */
    const dw_exception *exc; /* NULL without an Exception stream */
    int has_dump_thread;
    uint32_t dump_thread_id; /* Breakpad's own dump-writing thread */
    /* The crashing thread's walk, kept when the JSON report has walked it for
     * crashing_thread, so its entry in threads is not walked a second time
     * (a third of the work on a dump whose crash is deep). */
    long kept_index; /* -1: none */
    dw_frame *kept_frames;
    walk_outcome kept;
    frame_keys keys;
} stack_report;

/* ---- per-thread analysis hook -------------------------------------------- */

/* The one place where thread analysis (lib/analysis/callbacks.c: parked at
 * ZwCallbackReturn, inside kernel-mode callbacks, waiting in a system call)
 * adds to a thread of this report: a one-line tag, classified from the
 * frames just walked.  Returns NULL when the analysis has nothing to say. */
static const char *thread_tag(stack_report *r, const dw_thread *thread, dw_thread_callbacks *cb,
                              char *buf, size_t size)
{
    /* Running and unknown threads have nothing to add to their frames. */
    if (dw_callback_analyze_frames(r->walker, thread, r->frames, r->walk.frame_count, cb) !=
            DW_OK ||
        cb->state == DW_THREAD_UNKNOWN || cb->state == DW_THREAD_RUNNING)
        return NULL;
    return dw_thread_callbacks_tag(cb, buf, size);
}

/* ---- setup ----------------------------------------------------------------- */

static int compare_module_base(const void *a, const void *b)
{
    const dw_module *ma = *(const dw_module *const *)a, *mb = *(const dw_module *const *)b;
    return ma->base < mb->base ? -1 : ma->base > mb->base;
}

static void load_module_symbols(stack_report *r)
{
    if (!r->symbols)
        return;
    for (size_t i = 0; i < r->module_count; i++) {
        const dw_module *m = &r->modules[i];
        dw_status st = dw_symbols_lookup(r->symbols, m->debug_file, m->debug_id, m->name,
                                         m->code_id, &r->msyms[i].sym);
        if (st != DW_OK) {
            r->msyms[i].sym = NULL;
            r->msyms[i].corrupt = st == DW_ERR_FORMAT || st == DW_ERR_IO;
        }
    }
}

static void find_dump_thread(stack_report *r)
{
    const dw_breakpad_info *bi;
    if (dw_dump_breakpad_info(r->dump, &bi) == DW_OK &&
        (bi->validity & BREAKPAD_DUMP_THREAD_VALID)) {
        r->has_dump_thread = 1;
        r->dump_thread_id = bi->dump_thread_id;
    }
}

static dw_status report_open(stack_report *r, dw_dump *dump, const dw_stack_report_options *opts)
{
    memset(r, 0, sizeof *r);
    r->kept_index = -1;
    r->keys = frame_keys_init;
    r->dump = dump;
    r->opts = opts;
    r->symbols = opts->walk ? opts->walk->symbols : NULL;
    r->thread_status = dw_dump_threads(dump, &r->threads, &r->thread_count);
    if (!r->threads)
        r->thread_count = 0;
    if (dw_dump_modules(dump, &r->modules, &r->module_count) != DW_OK && !r->modules)
        r->module_count = 0;
    if (dw_dump_exception(dump, &r->exc) != DW_OK)
        r->exc = NULL;
    find_dump_thread(r);
    dw_arch arch = dw_dump_arch(dump);
    r->addr_digits = arch == DW_ARCH_X86 || arch == DW_ARCH_ARM ? 8 : 16;

    unsigned max =
        opts->walk && opts->walk->max_frames ? opts->walk->max_frames : DW_WALK_DEFAULT_MAX_FRAMES;
    r->frame_cap = max < REPORT_MAX_FRAMES ? max : REPORT_MAX_FRAMES;
    /* Not zeroed: dw_walker_next writes a whole frame before it is read, and
     * zeroing 1 MiB per report was most of what a batch worker spent on a
     * small dump outside the walk. */
    r->frames = malloc((r->frame_cap + 1) * sizeof *r->frames);
    r->msyms = calloc(r->module_count ? r->module_count : 1, sizeof *r->msyms);
    r->by_base = calloc(r->module_count ? r->module_count : 1, sizeof *r->by_base);
    if (!r->frames || !r->msyms || !r->by_base)
        return DW_ERR_NOMEM;
    for (size_t i = 0; i < r->module_count; i++)
        r->by_base[i] = &r->modules[i];
    qsort(r->by_base, r->module_count, sizeof *r->by_base, compare_module_base);
    load_module_symbols(r);
    return dw_walker_new(dump, opts->walk, &r->walker);
}

static void report_close(stack_report *r)
{
    dw_walker_free(r->walker);
    free(r->frames);
    free(r->kept_frames);
    free(r->msyms);
    free(r->by_base);
}

/* ---- walking ----------------------------------------------------------------- */

static long module_index(const stack_report *r, const dw_module *m)
{
    if (!m || !r->modules || m < r->modules || m >= r->modules + r->module_count)
        return -1;
    return (long)(m - r->modules);
}

static int is_crashing_thread(const stack_report *r, const dw_thread *t)
{
    return r->exc && r->exc->thread_id == t->thread_id;
}

/* Breakpad's client writes the dump from a thread of its own; like
 * minidump-stackwalk we list it but do not walk it, unless it is the one
 * that crashed or the caller asked for it by id. */
static int skip_walk(const stack_report *r, const dw_thread *t)
{
    return r->has_dump_thread && t->thread_id == r->dump_thread_id && !is_crashing_thread(r, t) &&
           !r->opts->only_thread;
}

static void walk_thread(stack_report *r, const dw_thread *t)
{
    r->walk.frame_count = 0;
    r->walk.stop_reason[0] = '\0';
    r->walk.has_bounds = 0;
    if (skip_walk(r, t)) {
        snprintf(r->walk.stop_reason, sizeof r->walk.stop_reason,
                 "not walked: the Breakpad client's dump-writing thread");
        return;
    }
    if (dw_walker_start(r->walker, t) == DW_OK) {
        r->walk.has_bounds =
            dw_walker_stack_bounds(r->walker, &r->walk.stack_low, &r->walk.stack_high) == DW_OK;
        while (r->walk.frame_count <= r->frame_cap &&
               dw_walker_next(r->walker, &r->frames[r->walk.frame_count]) == DW_OK)
            r->walk.frame_count++;
    }
    if (r->walk.frame_count > r->frame_cap) {
        r->walk.frame_count = r->frame_cap;
        snprintf(r->walk.stop_reason, sizeof r->walk.stop_reason,
                 "more than %zu frames; the report shows the first %zu", r->frame_cap,
                 r->frame_cap);
    } else {
        const char *why = dw_walker_stop_reason(r->walker);
        snprintf(r->walk.stop_reason, sizeof r->walk.stop_reason, "%s", why[0] ? why : "unknown");
    }
    for (size_t i = 0; i < r->walk.frame_count; i++) {
        long mi = module_index(r, r->frames[i].module);
        if (mi >= 0)
            r->msyms[mi].referenced = 1;
    }
}

/* Keep the walk just made of thread `index` (its frames are copied; out of
 * memory keeps nothing, and the thread is walked again when asked). */
static void keep_walk(stack_report *r, size_t index)
{
    free(r->kept_frames);
    r->kept_index = -1;
    size_t n = r->walk.frame_count;
    r->kept_frames = malloc((n ? n : 1) * sizeof *r->frames);
    if (!r->kept_frames)
        return;
    memcpy(r->kept_frames, r->frames, n * sizeof *r->frames);
    r->kept = r->walk;
    r->kept_index = (long)index;
}

/* Walk thread `index`, or bring back its kept walk. */
static void walk_thread_at(stack_report *r, size_t index)
{
    if ((long)index != r->kept_index) {
        walk_thread(r, &r->threads[index]);
        return;
    }
    memcpy(r->frames, r->kept_frames, r->kept.frame_count * sizeof *r->frames);
    r->walk = r->kept;
}

/* A caller's IP is a return address: the call instruction is the byte
 * before it, and that byte is what Breakpad and minidump-stackwalk report
 * (and look up) for caller frames.  Frame 0 is where the thread stood. */
static uint64_t frame_instruction(const dw_frame *f)
{
    return f->index == 0 || f->ip == 0 ? f->ip : f->ip - 1;
}

/* The function offset of the frame's instruction (dw_frame's is of ip). */
static uint64_t instruction_function_offset(const dw_frame *f)
{
    uint64_t back = f->ip - frame_instruction(f);
    return f->function_offset >= back ? f->function_offset - back : 0;
}

static int symstr_len(dw_symstr s)
{
    return s.len > INT_MAX ? INT_MAX : (int)s.len;
}

/* The file name after its last directory separator (Windows or POSIX). */
static dw_symstr symstr_basename(dw_symstr s)
{
    for (size_t i = s.len; i > 0; i--) {
        if (s.ptr[i - 1] == '/' || s.ptr[i - 1] == '\\') {
            dw_symstr b = {s.ptr + i, s.len - i};
            return b;
        }
    }
    return s;
}

/* ---- text -------------------------------------------------------------------- */

/* Registers in the order minidump-stackwalk prints them. */
static const unsigned x86_display[] = {
    DW_X86_EIP, DW_X86_ESP, DW_X86_EBP, DW_X86_EBX, DW_X86_ESI,
    DW_X86_EDI, DW_X86_EAX, DW_X86_ECX, DW_X86_EDX, DW_X86_EFLAGS,
};
static const unsigned amd64_display[] = {
    DW_AMD64_RAX, DW_AMD64_RDX, DW_AMD64_RCX, DW_AMD64_RBX, DW_AMD64_RSI, DW_AMD64_RDI,
    DW_AMD64_RBP, DW_AMD64_RSP, DW_AMD64_R8,  DW_AMD64_R9,  DW_AMD64_R10, DW_AMD64_R11,
    DW_AMD64_R12, DW_AMD64_R13, DW_AMD64_R14, DW_AMD64_R15, DW_AMD64_RIP,
};

static const unsigned *display_registers(dw_arch arch, size_t *count)
{
    if (arch == DW_ARCH_AMD64) {
        *count = sizeof amd64_display / sizeof amd64_display[0];
        return amd64_display;
    }
    if (arch == DW_ARCH_X86) {
        *count = sizeof x86_display / sizeof x86_display[0];
        return x86_display;
    }
    *count = 0;
    return NULL;
}

/* minidump-stackwalk's words for each trust level ("Found by: ..."). */
static const char *trust_words(dw_trust trust)
{
    switch (trust) {
    case DW_TRUST_CONTEXT:
        return "given as instruction pointer in context";
    case DW_TRUST_PREWALKED:
        return "recovered by external stack walker";
    case DW_TRUST_CFI:
        return "call frame info";
    case DW_TRUST_CFI_SCAN:
        return "call frame info with scanning";
    case DW_TRUST_FRAME_POINTER:
        return "previous frame's frame pointer";
    case DW_TRUST_SCAN:
        return "stack scanning";
    case DW_TRUST_NONE:
        break;
    }
    return "unknown";
}

static void text_registers(FILE *out, const dw_context *ctx)
{
    size_t n;
    const unsigned *regs = display_registers(ctx->arch, &n);
    int wide = ctx->arch == DW_ARCH_AMD64;
    unsigned col = 0, per_line = wide ? 2 : 4;
    for (size_t i = 0; i < n; i++) {
        if (!dw_context_has(ctx, regs[i]))
            continue;
        fprintf(out, "%s %6s = 0x%0*" PRIx64, col == 0 ? " " : "", dw_reg_name(ctx->arch, regs[i]),
                wide ? 16 : 8, ctx->regs[regs[i]]);
        if (++col == per_line) {
            fputc('\n', out);
            col = 0;
        }
    }
    if (col)
        fputc('\n', out);
}

/* "module!function [file : line + 0xoff]", "module!function + 0xoff",
 * "module + 0xoff" or "0xaddress", from the most to the least known.
 * As in Breakpad's minidump_stackwalk, offsets are of the address itself
 * (a caller's return address), while the names and the line come from the
 * call instruction before it. */
static void text_location(FILE *out, const stack_report *r, const dw_frame *f)
{
    uint64_t instr = frame_instruction(f);
    if (!f->module) {
        fprintf(out, "0x%0*" PRIx64, r->addr_digits, f->ip);
        return;
    }
    if (!f->function.len) {
        fprintf(out, "%s + 0x%" PRIx64, f->module->name, f->ip - f->module->base);
        return;
    }
    fprintf(out, "%s!%.*s", f->module->name, symstr_len(f->function), f->function.ptr);
    if (!f->file.len) {
        fprintf(out, " + 0x%" PRIx64, f->function_offset);
        return;
    }
    dw_symstr base = symstr_basename(f->file);
    fprintf(out, " [%.*s : %u", symstr_len(base), base.ptr, f->line);
    /* With inlines the line shown is a call site, not the line record. */
    if (f->inline_count == 0 && f->line_address && instr >= f->line_address)
        fprintf(out, " + 0x%" PRIx64, f->ip - f->line_address);
    fputc(']', out);
}

/* Inlined calls first (innermost first), then the real frame; numbered in
 * one sequence as minidump-stackwalk does. */
static void text_frame(FILE *out, const stack_report *r, const dw_frame *f, unsigned *number)
{
    for (unsigned i = 0; i < f->inline_count; i++) {
        const dw_inline_frame *in = &f->inlines[i];
        fprintf(out, "%2u  %s!%.*s", (*number)++, f->module ? f->module->name : "?",
                symstr_len(in->function), in->function.ptr);
        if (in->file.len) {
            dw_symstr base = symstr_basename(in->file);
            fprintf(out, " [%.*s : %u]", symstr_len(base), base.ptr, in->line);
        }
        fprintf(out, "\n    Found by: inlining\n");
    }
    fprintf(out, "%2u  ", (*number)++);
    text_location(out, r, f);
    fputc('\n', out);
    text_registers(out, &f->context);
    fprintf(out, "    Found by: %s", trust_words(f->trust));
    if (f->reason[0] && strcmp(f->reason, dw_trust_name(f->trust)) != 0)
        fprintf(out, " (%s)", f->reason);
    fputc('\n', out);
}

static void text_thread(FILE *out, stack_report *r, size_t index)
{
    const dw_thread *t = &r->threads[index];
    walk_thread_at(r, index);
    fprintf(out, "Thread %zu %s%s - tid: %u\n", index, t->name ? t->name : "",
            is_crashing_thread(r, t) ? " (crashed)" : "", t->thread_id);
    dw_thread_callbacks cb;
    char tagbuf[512];
    const char *tag = thread_tag(r, t, &cb, tagbuf, sizeof tagbuf);
    if (tag)
        fprintf(out, "    Analysis: %s\n", tag);
    unsigned number = 0;
    for (size_t i = 0; i < r->walk.frame_count; i++)
        text_frame(out, r, &r->frames[i], &number);
    fprintf(out, "    Walk stopped: %s\n\n", r->walk.stop_reason);
}

static void text_header(FILE *out, const stack_report *r)
{
    const dw_misc_info *mi;
    const dw_header *h = dw_dump_header(r->dump);
    char buf[128];
    dw_report_text_system(r->dump, out);
    fputc('\n', out);
    if (r->exc) {
        fprintf(out, "Crash reason:  %s\n", dw_exception_reason(r->dump, r->exc, buf, sizeof buf));
        fprintf(out, "Crash address: 0x%0*" PRIx64 "\n", r->addr_digits,
                dw_exception_crash_address(r->dump, r->exc));
    } else {
        fprintf(out, "No crash\n");
    }
    if (dw_dump_misc_info(r->dump, &mi) == DW_OK && (mi->flags1 & DW_MISC_PROCESS_TIMES) &&
        h->time_date_stamp >= mi->process_create_time)
        fprintf(out, "Process uptime: %u seconds\n", h->time_date_stamp - mi->process_create_time);
    else
        fprintf(out, "Process uptime: not available\n");
    fputc('\n', out);
}

/* Breakpad marks modules that frames needed but no symbols covered. */
static void text_module_warning(FILE *out, const stack_report *r, const dw_module *m)
{
    const module_syms *ms = &r->msyms[module_index(r, m)];
    if (!ms->referenced || ms->sym)
        return;
    fprintf(out, "  (WARNING: %s symbols, %s, %s)", ms->corrupt ? "Corrupt" : "No",
            m->debug_file[0] ? dw_path_basename(m->debug_file) : "-",
            m->debug_id[0] ? m->debug_id : "-");
}

static void text_modules(FILE *out, const stack_report *r)
{
    const dw_module *main_module = dw_dump_main_module(r->dump);
    const dw_unloaded_module *un;
    size_t nu = 0;
    char buf[64];
    fprintf(out, "Loaded modules:\n");
    for (size_t i = 0; i < r->module_count; i++) {
        const dw_module *m = r->by_base[i];
        const char *ver = dw_report_module_version(m, buf, sizeof buf);
        fprintf(out, "0x%08" PRIx64 " - 0x%08" PRIx64 "  %s  %s%s", m->base, m->base + m->size - 1,
                m->name, ver ? ver : "???", m == main_module ? "  (main)" : "");
        text_module_warning(out, r, m);
        fputc('\n', out);
    }
    fprintf(out, "\nUnloaded modules:\n");
    if (dw_dump_unloaded_modules(r->dump, &un, &nu) != DW_OK && !un)
        nu = 0;
    for (size_t i = 0; i < nu; i++)
        fprintf(out, "0x%08" PRIx64 " - 0x%08" PRIx64 "  %s\n", un[i].base,
                un[i].base + un[i].size - 1, un[i].name);
}

static void stack_text(stack_report *r, FILE *out)
{
    text_header(out, r);
    if (r->thread_count == 0)
        fprintf(out, "No threads: %s\n\n", dw_dump_last_error(r->dump));
    /* The crashing thread first, then the others in dump order. */
    for (size_t i = 0; i < r->thread_count; i++) {
        const dw_thread *t = &r->threads[i];
        int wanted = !r->opts->only_thread || t->thread_id == r->opts->thread_id;
        if (wanted && is_crashing_thread(r, t))
            text_thread(out, r, i);
    }
    for (size_t i = 0; i < r->thread_count; i++) {
        const dw_thread *t = &r->threads[i];
        int wanted = !r->opts->only_thread || t->thread_id == r->opts->thread_id;
        if (wanted && !is_crashing_thread(r, t))
            text_thread(out, r, i);
    }
    text_modules(out, r);
    if (dw_dump_health_count(r->dump) > 0) {
        fputc('\n', out);
        dw_report_text_health(out, r->dump);
    }
}

/* ---- JSON -------------------------------------------------------------------- */

static void kv_addr(dw_json *j, const stack_report *r, const char *key, uint64_t v)
{
    dw_json_key(j, key);
    dw_json_hex_width(j, v, r->addr_digits);
}

static void kv_symstr(dw_json *j, const char *key, dw_symstr s)
{
    dw_json_key(j, key);
    if (s.len)
        dw_json_string_n(j, s.ptr, s.len);
    else
        dw_json_null(j);
}

/* Empty identifiers are absent in minidump-stackwalk's schema. */
static void kv_nonempty(dw_json *j, const char *key, const char *s)
{
    dw_json_kv_string(j, key, s && s[0] ? s : NULL);
}

static const char *symbol_source_name(dw_symbol_source s)
{
    switch (s) {
    case DW_SYMSRC_SYM_FUNC:
        return "sym_func";
    case DW_SYMSRC_SYM_PUBLIC:
        return "sym_public";
    case DW_SYMSRC_EXPORT:
        return "export";
    case DW_SYMSRC_NONE:
        break;
    }
    return NULL;
}

static void json_registers(dw_json *j, const dw_context *ctx)
{
    size_t n;
    const unsigned *regs = display_registers(ctx->arch, &n);
    int digits = ctx->arch == DW_ARCH_AMD64 ? 16 : 8;
    dw_json_key(j, "registers");
    dw_json_begin_object(j);
    for (size_t i = 0; i < n; i++) {
        if (!dw_context_has(ctx, regs[i]))
            continue;
        dw_json_key(j, dw_reg_name(ctx->arch, regs[i]));
        dw_json_hex_width(j, ctx->regs[regs[i]], digits);
    }
    dw_json_end_object(j);
}

static void json_inlines(dw_json *j, dw_json_prepared_key *key, const dw_frame *f)
{
    dw_json_key_prepared(j, key);
    if (f->inline_count == 0) {
        dw_json_null(j);
        return;
    }
    dw_json_begin_array(j);
    for (unsigned i = 0; i < f->inline_count; i++) {
        dw_json_begin_object(j);
        kv_symstr(j, "function", f->inlines[i].function);
        kv_symstr(j, "file", f->inlines[i].file);
        if (f->inlines[i].file.len)
            dw_json_kv_uint(j, "line", f->inlines[i].line);
        else
            dw_json_kv_null(j, "line");
        dw_json_end_object(j);
    }
    dw_json_end_array(j);
}

/* A frame's "key": value pairs through the report's prepared keys. */
static void pk_addr(dw_json *j, const stack_report *r, dw_json_prepared_key *k, uint64_t v)
{
    dw_json_key_prepared(j, k);
    dw_json_hex_width(j, v, r->addr_digits);
}

static void pk_string(dw_json *j, dw_json_prepared_key *k, const char *s)
{
    dw_json_key_prepared(j, k);
    dw_json_string(j, s);
}

static void pk_symstr(dw_json *j, dw_json_prepared_key *k, dw_symstr s)
{
    dw_json_key_prepared(j, k);
    if (s.len)
        dw_json_string_n(j, s.ptr, s.len);
    else
        dw_json_null(j);
}

static void pk_null(dw_json *j, dw_json_prepared_key *k)
{
    dw_json_key_prepared(j, k);
    dw_json_null(j);
}

static void json_frame(dw_json *j, stack_report *r, const dw_frame *f, int with_registers)
{
    frame_keys *k = &r->keys;
    uint64_t instr = frame_instruction(f);
    dw_json_begin_object(j);
    dw_json_key_prepared(j, &k->frame);
    dw_json_uint(j, f->index);
    pk_string(j, &k->trust, dw_trust_name(f->trust));
    pk_string(j, &k->trust_reason, f->reason);
    pk_addr(j, r, &k->offset, instr);
    pk_string(j, &k->module, f->module ? f->module->name : NULL);
    if (f->module)
        pk_addr(j, r, &k->module_offset, instr - f->module->base);
    else
        pk_null(j, &k->module_offset);
    pk_symstr(j, &k->function, f->function);
    if (f->function.len)
        pk_addr(j, r, &k->function_offset, instruction_function_offset(f));
    else
        pk_null(j, &k->function_offset);
    pk_string(j, &k->symbol_source, symbol_source_name(f->symbol_source));
    dw_json_key_prepared(j, &k->doubtful_symbol);
    dw_json_bool(j, f->doubtful_symbol);
    pk_symstr(j, &k->file, f->file);
    dw_json_key_prepared(j, &k->line);
    if (f->file.len)
        dw_json_uint(j, f->line);
    else
        dw_json_null(j);
    dw_json_key_prepared(j, &k->missing_symbols);
    dw_json_bool(j, f->missing_symbols);
    json_inlines(j, &k->inlines, f);
    pk_null(j, &k->unloaded_modules);
    if (with_registers)
        json_registers(j, &f->context);
    dw_json_end_object(j);
}

/* One thread object; the crashing_thread member also carries its index and
 * frame 0's registers (as minidump-stackwalk's does). */
static void json_thread(dw_json *j, stack_report *r, size_t index, int as_crashing)
{
    const dw_thread *t = &r->threads[index];
    walk_thread_at(r, index);
    if (as_crashing)
        keep_walk(r, index);
    dw_json_begin_object(j);
    if (as_crashing)
        dw_json_kv_uint(j, "threads_index", index);
    dw_json_kv_uint(j, "thread_id", t->thread_id);
    dw_json_kv_string(j, "thread_name", t->name);
    dw_json_kv_null(j, "last_error_value");
    dw_json_kv_uint(j, "frame_count", r->walk.frame_count);
    dw_json_key(j, "frames");
    dw_json_begin_array(j);
    for (size_t i = 0; i < r->walk.frame_count; i++)
        json_frame(j, r, &r->frames[i], as_crashing && i == 0);
    dw_json_end_array(j);
    dw_json_kv_string(j, "stop_reason", r->walk.stop_reason);
    dw_json_key(j, "stack_bounds");
    if (r->walk.has_bounds) {
        dw_json_begin_object(j);
        kv_addr(j, r, "low", r->walk.stack_low);
        kv_addr(j, r, "high", r->walk.stack_high);
        dw_json_end_object(j);
    } else {
        dw_json_null(j);
    }
    dw_thread_callbacks cb;
    char tagbuf[512];
    dw_json_kv_string(j, "tag", thread_tag(r, t, &cb, tagbuf, sizeof tagbuf));
    dw_json_key(j, "callback");
    dw_report_json_thread_callbacks(j, &cb);
    dw_json_end_object(j);
}

static void json_system_info(dw_json *j, const stack_report *r)
{
    const dw_system_info *si;
    char buf[160];
    dw_json_key(j, "system_info");
    if (dw_dump_system_info(r->dump, &si) != DW_OK) {
        dw_json_null(j);
        return;
    }
    dw_json_begin_object(j);
    dw_json_kv_string(j, "os", si->os_name);
    dw_json_kv_string(j, "os_ver", dw_report_os_version(si, buf, sizeof buf));
    dw_json_kv_string(j, "cpu_arch", si->cpu_name);
    dw_json_kv_string(j, "cpu_info", dw_report_cpu_description(si, buf, sizeof buf));
    dw_json_kv_uint(j, "cpu_count", si->number_of_processors);
    dw_json_kv_null(j, "cpu_microcode_version");
    dw_json_end_object(j);
}

/* Index of the crashing thread in the dump's thread list, or -1. */
static long crashing_index(const stack_report *r)
{
    for (size_t i = 0; r->exc && i < r->thread_count; i++) {
        if (r->threads[i].thread_id == r->exc->thread_id)
            return (long)i;
    }
    return -1;
}

static void json_crash(dw_json *j, stack_report *r)
{
    char buf[128];
    long ci = crashing_index(r);
    dw_json_key(j, "crash_info");
    if (!r->exc) {
        dw_json_null(j);
    } else {
        dw_json_begin_object(j);
        dw_json_kv_string(j, "type", dw_exception_reason(r->dump, r->exc, buf, sizeof buf));
        kv_addr(j, r, "address", dw_exception_crash_address(r->dump, r->exc));
        if (ci >= 0)
            dw_json_kv_uint(j, "crashing_thread", (uint64_t)ci);
        else
            dw_json_kv_null(j, "crashing_thread");
        dw_json_kv_null(j, "assertion");
        dw_json_end_object(j);
    }
    /* With --thread, the crashing thread is shown only when it is the one
     * asked for. */
    int shown =
        ci >= 0 && (!r->opts->only_thread || r->threads[ci].thread_id == r->opts->thread_id);
    dw_json_key(j, "crashing_thread");
    if (shown)
        json_thread(j, r, (size_t)ci, 1);
    else
        dw_json_null(j);
}

static void json_modules(dw_json *j, const stack_report *r)
{
    char buf[64];
    dw_json_key(j, "modules");
    dw_json_begin_array(j);
    for (size_t i = 0; i < r->module_count; i++) {
        const dw_module *m = &r->modules[i];
        const module_syms *ms = &r->msyms[i];
        dw_json_begin_object(j);
        kv_addr(j, r, "base_addr", m->base);
        kv_addr(j, r, "end_addr", m->base + m->size);
        dw_json_kv_string(j, "filename", m->name);
        kv_nonempty(j, "code_id", m->code_id);
        /* The PDB's name, as Breakpad's symbol store layout uses it; the
         * CodeView record may hold the build machine's full path. */
        kv_nonempty(j, "debug_file", dw_path_basename(m->debug_file));
        kv_nonempty(j, "debug_id", m->debug_id);
        dw_json_kv_string(j, "version", dw_report_module_version(m, buf, sizeof buf));
        dw_json_kv_bool(j, "loaded_symbols", ms->sym != NULL);
        dw_json_kv_bool(j, "missing_symbols", r->symbols && !ms->sym && ms->referenced);
        dw_json_kv_bool(j, "corrupt_symbols", ms->corrupt);
        dw_json_kv_null(j, "symbol_url");
        dw_json_kv_null(j, "cert_subject");
        dw_json_end_object(j);
    }
    dw_json_end_array(j);
    long main_index = module_index(r, dw_dump_main_module(r->dump));
    if (main_index >= 0)
        dw_json_kv_uint(j, "main_module", (uint64_t)main_index);
    else
        dw_json_kv_null(j, "main_module");
}

static void json_unloaded(dw_json *j, const stack_report *r)
{
    const dw_unloaded_module *un;
    size_t nu = 0;
    if (dw_dump_unloaded_modules(r->dump, &un, &nu) != DW_OK && !un)
        nu = 0;
    dw_json_key(j, "unloaded_modules");
    dw_json_begin_array(j);
    for (size_t i = 0; i < nu; i++) {
        dw_json_begin_object(j);
        kv_addr(j, r, "base_addr", un[i].base);
        kv_addr(j, r, "end_addr", un[i].base + un[i].size);
        dw_json_kv_string(j, "filename", un[i].name);
        dw_json_end_object(j);
    }
    dw_json_end_array(j);
}

static void json_process(dw_json *j, const stack_report *r)
{
    const dw_misc_info *mi;
    const dw_header *h = dw_dump_header(r->dump);
    int have = dw_dump_misc_info(r->dump, &mi) == DW_OK;
    if (have && (mi->flags1 & DW_MISC_PROCESS_ID))
        dw_json_kv_uint(j, "pid", mi->process_id);
    else
        dw_json_kv_null(j, "pid");
    if (have && (mi->flags1 & DW_MISC_PROCESS_TIMES) &&
        h->time_date_stamp >= mi->process_create_time)
        dw_json_kv_uint(j, "process_uptime", h->time_date_stamp - mi->process_create_time);
    else
        dw_json_kv_null(j, "process_uptime");
}

/* HandleData (MINIDUMP_HANDLE_DESCRIPTOR[_2]); null when the dump has no
 * such stream, as in minidump-stackwalk's schema. */
static void json_handles(dw_json *j, const stack_report *r)
{
    const dw_handle *h;
    size_t n = 0;
    dw_json_key(j, "handles");
    if (dw_dump_handles(r->dump, &h, &n) != DW_OK && !h) {
        dw_json_null(j);
        return;
    }
    dw_json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        dw_json_begin_object(j);
        dw_json_kv_hex(j, "handle", h[i].handle);
        dw_json_kv_string(j, "type_name", h[i].type_name);
        dw_json_kv_string(j, "object_name", h[i].object_name);
        dw_json_kv_hex(j, "attributes", h[i].attributes);
        dw_json_kv_hex(j, "granted_access", h[i].granted_access);
        dw_json_kv_uint(j, "handle_count", h[i].handle_count);
        dw_json_kv_uint(j, "pointer_count", h[i].pointer_count);
        dw_json_end_object(j);
    }
    dw_json_end_array(j);
}

/* minidump-stackwalk's status strings: "OK" unless there are no threads to
 * walk at all. */
static const char *json_status(const stack_report *r)
{
    return r->thread_count == 0 && r->thread_status != DW_OK ? "ERROR_NO_THREAD_LIST" : "OK";
}

/* `path` (batch lines) comes first when given; pretty 0 writes one line. */
static void stack_json(stack_report *r, FILE *out, int pretty, const char *path)
{
    dw_json j;
    dw_json_init(&j, out, pretty);
    dw_json_begin_object(&j);
    if (path)
        dw_json_kv_string(&j, "path", path);
    dw_json_kv_uint(&j, "dumpwalk_json_version", DW_JSON_SCHEMA_VERSION);
    dw_json_kv_string(&j, "status", json_status(r));
    json_system_info(&j, r);
    json_crash(&j, r);
    dw_json_kv_uint(&j, "thread_count", r->thread_count);
    dw_json_key(&j, "threads");
    dw_json_begin_array(&j);
    for (size_t i = 0; i < r->thread_count; i++) {
        if (!r->opts->only_thread || r->threads[i].thread_id == r->opts->thread_id)
            json_thread(&j, r, i, 0);
    }
    dw_json_end_array(&j);
    /* After the walks: missing_symbols names the modules frames needed. */
    json_modules(&j, r);
    json_unloaded(&j, r);
    json_handles(&j, r);
    dw_json_kv_bool(&j, "modules_contains_cert_info", 0);
    json_process(&j, r);
    dw_report_json_health(&j, r->dump);
    dw_json_end_object(&j);
    dw_json_finish(&j);
}

/* ---- entry point --------------------------------------------------------------- */

/* The report in one of its three shapes: text, pretty JSON, or one JSON
 * line led by "path" (line_path non-NULL; batch mode). */
static dw_status report_stack_as(dw_dump *dump, const dw_stack_report_options *opts,
                                 dw_report_format format, const char *line_path, FILE *out)
{
    dw_stack_report_options defaults = DW_STACK_REPORT_OPTIONS_INIT;
    if (!opts || opts->version < 1)
        opts = &defaults;
    if (opts->only_thread) {
        const dw_thread *t;
        if (dw_dump_thread_by_id(dump, opts->thread_id, &t) != DW_OK)
            return DW_ERR_NOT_FOUND;
    }
    /* The health report should be complete, as in the info report. */
    dw_dump_check_all(dump);
    stack_report r;
    dw_status st = report_open(&r, dump, opts);
    if (st == DW_OK) {
        if (format == DW_REPORT_JSON)
            stack_json(&r, out, line_path == NULL, line_path);
        else
            stack_text(&r, out);
        st = ferror(out) ? DW_ERR_IO : DW_OK;
    }
    report_close(&r);
    return st;
}

dw_status dw_report_stack(dw_dump *dump, const dw_stack_report_options *opts,
                          dw_report_format format, FILE *out)
{
    if (!dump || !out || (format != DW_REPORT_TEXT && format != DW_REPORT_JSON))
        return DW_ERR_INVALID_ARG;
    return report_stack_as(dump, opts, format, NULL, out);
}

dw_status dw_report_stack_json_line(dw_dump *dump, const dw_stack_report_options *opts,
                                    const char *path, FILE *out)
{
    if (!dump || !out || !path)
        return DW_ERR_INVALID_ARG;
    return report_stack_as(dump, opts, DW_REPORT_JSON, path, out);
}
