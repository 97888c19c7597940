#include "hostile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every byte the library hands out is read, so AddressSanitizer checks each
 * borrowed pointer and length.  The copy goes through memcpy (checked by
 * ASan's interceptor over the whole range, and not instrumented for fuzzer
 * coverage, so a large span costs little); the volatile sink keeps it. */
static volatile unsigned touch_sink;

static void touch_bytes(const void *p, size_t n)
{
    static unsigned char scratch[1 << 16];
    const unsigned char *b = p;
    while (n) {
        size_t k = n < sizeof scratch ? n : sizeof scratch;
        memcpy(scratch, b, k);
        touch_sink += scratch[k - 1];
        b += k;
        n -= k;
    }
}

static void touch_str(const char *s)
{
    if (s)
        touch_bytes(s, strlen(s) + 1);
}

typedef struct run {
    dw_dump *dump;
    const hostile_options *opts;
    hostile_result *res;
} run;

static int violate(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int violate(run *r, const char *fmt, ...)
{
    if (r->res->violation[0])
        return -1; /* keep the first */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->res->violation, sizeof r->res->violation, fmt, ap);
    va_end(ap);
    return -1;
}

/* Every status is a known one, and a failure other than "absent" leaves a
 * message on the handle a person can act on. */
static int check_status(run *r, dw_status st, const char *call)
{
    if ((unsigned)st > DW_ERR_UNSUPPORTED)
        return violate(r, "%s returned unknown status %d", call, (int)st);
    if (st != DW_OK && st != DW_ERR_NOT_FOUND && !dw_dump_last_error(r->dump)[0])
        return violate(r, "%s failed (%s) without a message", call, dw_status_name(st));
    return 0;
}

/* ---- header, directory, health ------------------------------------------ */

static void sweep_directory(run *r)
{
    const dw_header *h = dw_dump_header(r->dump);
    touch_bytes(h, sizeof *h);
    size_t n = dw_dump_stream_count(r->dump);
    for (size_t i = 0; i < n; i++) {
        const dw_stream_info *s = dw_dump_stream_at(r->dump, i);
        if (!s) {
            violate(r, "stream %zu of %zu is NULL", i, n);
            return;
        }
        touch_str(s->name);
        const uint8_t *bytes;
        size_t size;
        dw_status st = dw_dump_stream_bytes(r->dump, s->type, &bytes, &size);
        check_status(r, st, "dw_dump_stream_bytes");
        if (st == DW_OK || st == DW_ERR_TRUNCATED)
            touch_bytes(bytes, size);
    }
    if (dw_dump_stream_at(r->dump, n))
        violate(r, "dw_dump_stream_at past the end is not NULL");
}

static void sweep_health(run *r)
{
    dw_status st = dw_dump_check_all(r->dump);
    if (st != DW_OK && st != DW_ERR_DAMAGED)
        violate(r, "dw_dump_check_all returned %s", dw_status_name(st));
    size_t n = dw_dump_health_count(r->dump);
    r->res->health_issues = n;
    if (st == DW_ERR_DAMAGED && n == 0)
        violate(r, "dw_dump_check_all reports damage but the health report is empty");
    for (size_t i = 0; i < n; i++) {
        const dw_health_issue *h = dw_dump_health_at(r->dump, i);
        if (!h || !memchr(h->message, 0, sizeof h->message) || !h->message[0]) {
            violate(r, "health issue %zu has no message", i);
            return;
        }
    }
}

/* ---- the list getters ------------------------------------------------------ */

static void sweep_threads(run *r)
{
    const dw_thread *t;
    size_t n;
    dw_status st = dw_dump_threads(r->dump, &t, &n);
    if (check_status(r, st, "dw_dump_threads") || st != DW_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        touch_bytes(&t[i], sizeof t[i]);
        touch_str(t[i].name);
        const dw_thread *found;
        check_status(r, dw_dump_thread_by_id(r->dump, t[i].thread_id, &found),
                     "dw_dump_thread_by_id");
        dw_context ctx;
        check_status(r, dw_thread_context(r->dump, &t[i], &ctx), "dw_thread_context");
        check_status(r, dw_thread_wow64_context(r->dump, &t[i], &ctx), "dw_thread_wow64_context");
    }
    (void)dw_dump_is_wow64(r->dump);
    (void)dw_dump_arch(r->dump);
    const dw_thread_info *ti;
    if (dw_dump_thread_infos(r->dump, &ti, &n) == DW_OK)
        touch_bytes(ti, n * sizeof *ti);
}

static void sweep_modules(run *r)
{
    const dw_module *m;
    size_t n;
    dw_status st = dw_dump_modules(r->dump, &m, &n);
    if (!check_status(r, st, "dw_dump_modules") && st == DW_OK) {
        for (size_t i = 0; i < n; i++) {
            touch_bytes(&m[i], sizeof m[i]);
            touch_str(m[i].path);
            touch_str(m[i].name);
            touch_str(m[i].debug_file);
            touch_str(m[i].debug_id);
            touch_str(m[i].code_id);
            const dw_module *at = dw_dump_module_at(r->dump, m[i].base);
            if (at)
                touch_str(at->name);
            (void)dw_dump_module_at(r->dump, m[i].base + m[i].size);
        }
        const dw_module *main_module = dw_dump_main_module(r->dump);
        if (main_module)
            touch_str(main_module->path);
    }
    const dw_unloaded_module *u;
    st = dw_dump_unloaded_modules(r->dump, &u, &n);
    if (!check_status(r, st, "dw_dump_unloaded_modules") && st == DW_OK)
        for (size_t i = 0; i < n; i++) {
            touch_str(u[i].path);
            touch_str(u[i].name);
        }
}

/* Reads at the edges of a range: its first and last bytes, across its end
 * (into a neighbour or a hole), and one far too long. */
static void read_range_edges(run *r, const dw_memory_range *rg)
{
    uint8_t buf[64];
    size_t got;
    const uint64_t probes[] = {rg->base,
                               rg->base - 1,
                               rg->base + rg->size - 1,
                               rg->base + rg->size - 8,
                               rg->base + rg->size,
                               rg->base + 1};
    for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
        dw_status st = dw_memory_read(r->dump, probes[k], buf, sizeof buf, &got);
        if (got > sizeof buf)
            violate(r, "dw_memory_read reports %zu bytes for a %zu-byte buffer", got, sizeof buf);
        check_status(r, st, "dw_memory_read");
        size_t avail;
        const uint8_t *span = dw_memory_span(r->dump, probes[k], &avail);
        if (span && avail) { /* the start of the span and its last byte */
            touch_bytes(span, avail < 256 ? avail : 256);
            touch_bytes(span + avail - 1, 1);
        }
        uint32_t v32;
        uint64_t v64;
        (void)dw_memory_read_u32(r->dump, probes[k], &v32);
        (void)dw_memory_read_u64(r->dump, probes[k], &v64);
        (void)dw_dump_memory_info_at(r->dump, probes[k]);
    }
}

static void sweep_memory(run *r)
{
    const dw_memory_range *rg;
    size_t n;
    dw_status st = dw_memory_ranges(r->dump, &rg, &n);
    if (!check_status(r, st, "dw_memory_ranges") && st == DW_OK) {
        /* Every range's edges for small lists; a sample for huge ones, so one
         * input stays bounded in time. */
        size_t step = n > 4096 ? n / 4096 : 1;
        for (size_t i = 0; i < n; i += step)
            read_range_edges(r, &rg[i]);
        if (n) {
            uint8_t big[4096];
            size_t got;
            (void)dw_memory_read(r->dump, rg[0].base, big, sizeof big, &got);
            (void)dw_memory_read(r->dump, UINT64_MAX - 8, big, sizeof big, &got);
        }
    }
    const dw_memory_info *mi;
    st = dw_dump_memory_infos(r->dump, &mi, &n);
    if (!check_status(r, st, "dw_dump_memory_infos") && st == DW_OK)
        touch_bytes(mi, n * sizeof *mi);
}

static void sweep_exception(run *r)
{
    const dw_exception *e;
    dw_status st = dw_dump_exception(r->dump, &e);
    if (check_status(r, st, "dw_dump_exception") || st != DW_OK)
        return;
    char buf[128];
    touch_str(dw_exception_reason(r->dump, e, buf, sizeof buf));
    (void)dw_exception_crash_address(r->dump, e);
    dw_context ctx;
    check_status(r, dw_dump_context_at(r->dump, e->context_rva, e->context_size, &ctx),
                 "dw_dump_context_at");
}

static void sweep_system(run *r)
{
    const dw_system_info *si;
    if (dw_dump_system_info(r->dump, &si) == DW_OK) {
        touch_str(si->csd_version);
        touch_str(si->os_name);
        touch_str(si->cpu_name);
    }
    const dw_misc_info *mi;
    if (dw_dump_misc_info(r->dump, &mi) == DW_OK) {
        touch_str(mi->build_string);
        touch_str(mi->dbg_bld_str);
        touch_str(mi->time_zone.standard_name);
        touch_str(mi->time_zone.daylight_name);
    }
    const dw_breakpad_info *bi;
    (void)dw_dump_breakpad_info(r->dump, &bi);
    const dw_assertion_info *ai;
    if (dw_dump_assertion_info(r->dump, &ai) == DW_OK) {
        touch_str(ai->expression);
        touch_str(ai->function);
        touch_str(ai->file);
    }
    const char *text;
    if (dw_dump_comment(r->dump, DW_STREAM_COMMENT_A, &text) == DW_OK)
        touch_str(text);
    if (dw_dump_comment(r->dump, DW_STREAM_COMMENT_W, &text) == DW_OK)
        touch_str(text);
    for (uint32_t type = DW_STREAM_LINUX_CPU_INFO; type <= DW_STREAM_LINUX_DSO_DEBUG; type++) {
        size_t len;
        if (dw_dump_stream_text(r->dump, type, &text, &len) == DW_OK)
            touch_bytes(text, len);
    }
}

static void sweep_crashpad(run *r)
{
    const dw_crashpad_info *ci;
    if (dw_dump_crashpad_info(r->dump, &ci) != DW_OK)
        return;
    for (size_t i = 0; i < ci->simple_annotation_count; i++) {
        touch_str(ci->simple_annotations[i].key);
        touch_str(ci->simple_annotations[i].value);
    }
    for (size_t m = 0; m < ci->module_count; m++) {
        const dw_crashpad_module *cm = &ci->modules[m];
        for (size_t i = 0; i < cm->list_annotation_count; i++)
            touch_str(cm->list_annotations[i]);
        for (size_t i = 0; i < cm->simple_annotation_count; i++) {
            touch_str(cm->simple_annotations[i].key);
            touch_str(cm->simple_annotations[i].value);
        }
        const dw_crashpad_object_list *objs;
        if (dw_crashpad_module_objects(r->dump, m, &objs) != DW_OK)
            continue;
        for (size_t i = 0; i < objs->count; i++) {
            touch_str(objs->items[i].name);
            /* The API promises a NUL after value_size bytes. */
            touch_bytes(objs->items[i].value, objs->items[i].value_size + 1);
        }
    }
}

static void sweep_handles(run *r)
{
    const dw_handle *h;
    size_t n;
    if (dw_dump_handles(r->dump, &h, &n) == DW_OK)
        for (size_t i = 0; i < n; i++) {
            touch_str(h[i].type_name);
            touch_str(h[i].object_name);
        }
    const dw_function_table *ft;
    if (dw_dump_function_tables(r->dump, &ft, &n) == DW_OK)
        for (size_t i = 0; i < n; i++) {
            touch_bytes(ft[i].native_descriptor, ft[i].native_descriptor_size);
            touch_bytes(ft[i].entries, (size_t)ft[i].entry_count * ft[i].entry_size);
        }
}

/* ---- the stack walk ------------------------------------------------------- */

static void touch_frame(const dw_frame *f)
{
    if (!memchr(f->reason, 0, sizeof f->reason))
        abort(); /* an unterminated reason is a library bug worth a crash report */
    touch_bytes(f->function.ptr, f->function.len);
    touch_bytes(f->file.ptr, f->file.len);
    for (unsigned i = 0; i < f->inline_count && i < DW_FRAME_MAX_INLINE; i++) {
        touch_bytes(f->inlines[i].function.ptr, f->inlines[i].function.len);
        touch_bytes(f->inlines[i].file.ptr, f->inlines[i].file.len);
    }
    if (f->module)
        touch_str(f->module->name);
}

static void walk_thread(run *r, dw_walker *w, const dw_thread *t, unsigned cap)
{
    dw_status st = dw_walker_start(w, t);
    if (st != DW_OK)
        return;
    dw_frame f;
    unsigned frames = 0;
    while (dw_walker_next(w, &f) == DW_OK) {
        touch_frame(&f);
        if (f.inline_count > DW_FRAME_MAX_INLINE)
            violate(r, "thread %u frame %u: %u inline frames", t->thread_id, frames,
                    f.inline_count);
        if (++frames > cap) {
            violate(r, "thread %u: walk went past the %u-frame cap", t->thread_id, cap);
            return;
        }
    }
    r->res->frames += frames;
    touch_str(dw_walker_stop_reason(w));
}

static void sweep_walk(run *r)
{
    const dw_thread *t;
    size_t n;
    if (dw_dump_threads(r->dump, &t, &n) != DW_OK)
        return;
    r->res->threads = n;
    dw_walk_options wo = DW_WALK_OPTIONS_INIT;
    wo.symbols = r->opts->symbols;
    wo.max_frames = r->opts->max_frames;
    unsigned cap = wo.max_frames ? wo.max_frames : DW_WALK_DEFAULT_MAX_FRAMES;
    dw_walker *w;
    dw_status st = dw_walker_new(r->dump, &wo, &w);
    if (st != DW_OK) {
        check_status(r, st, "dw_walker_new");
        return;
    }
    for (size_t i = 0; i < n; i++)
        walk_thread(r, w, &t[i], cap);
    /* Symbolize the module edges too: the first and last byte of each. */
    const dw_module *m;
    size_t mc;
    if (dw_dump_modules(r->dump, &m, &mc) == DW_OK)
        for (size_t i = 0; i < mc && i < 64; i++) {
            dw_frame f;
            if (dw_walker_symbolize(w, m[i].base, &f) == DW_OK)
                touch_frame(&f);
            if (dw_walker_symbolize(w, m[i].base + m[i].size - 1, &f) == DW_OK)
                touch_frame(&f);
        }
    dw_walker_free(w);
}

/* ---- kernel-callback classification -------------------------------------- */

static int terminated(const char *s, size_t size)
{
    return memchr(s, 0, size) != NULL;
}

static void check_callbacks(run *r, const dw_thread_callbacks *c)
{
    if ((unsigned)c->state > DW_THREAD_PARKED)
        violate(r, "thread %u: unknown state %d", c->thread_id, (int)c->state);
    if (c->level_count > DW_CALLBACK_MAX_LEVELS || c->level_count > c->callback_depth ||
        c->evidence_count > DW_CALLBACK_MAX_EVIDENCE)
        violate(r, "thread %u: %u levels of depth %u, %u evidence items", c->thread_id,
                c->level_count, c->callback_depth, c->evidence_count);
    if (!terminated(c->syscall, sizeof c->syscall) || !terminated(c->note, sizeof c->note))
        violate(r, "thread %u: unterminated syscall or note", c->thread_id);
    for (unsigned i = 0; i < c->level_count && i < DW_CALLBACK_MAX_LEVELS; i++) {
        const dw_callback_level *l = &c->levels[i];
        if (!terminated(l->dispatcher, sizeof l->dispatcher) ||
            !terminated(l->routine, sizeof l->routine) ||
            !terminated(l->outer_syscall, sizeof l->outer_syscall))
            violate(r, "thread %u: level %u has an unterminated name", c->thread_id, i);
    }
    for (unsigned i = 0; i < c->evidence_count && i < DW_CALLBACK_MAX_EVIDENCE; i++) {
        if (!terminated(c->evidence[i].detail, sizeof c->evidence[i].detail))
            violate(r, "thread %u: evidence %u unterminated", c->thread_id, i);
        touch_str(dw_evidence_kind_name(c->evidence[i].kind));
        touch_str(dw_evidence_strength_name(c->evidence[i].strength));
    }
    char tag[256];
    touch_str(dw_thread_callbacks_tag(c, tag, sizeof tag));
    touch_str(dw_thread_state_name(c->state));
}

static void sweep_callbacks(run *r)
{
    const dw_thread *t;
    size_t n;
    if (dw_dump_threads(r->dump, &t, &n) != DW_OK)
        return;
    dw_walk_options wo = DW_WALK_OPTIONS_INIT;
    wo.symbols = r->opts->symbols;
    wo.max_frames = r->opts->max_frames;
    dw_callback_analyzer *a;
    dw_status st = dw_callback_analyzer_new(r->dump, &wo, &a);
    if (st != DW_OK) {
        check_status(r, st, "dw_callback_analyzer_new");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        dw_thread_callbacks c;
        st = dw_callback_analyze_thread(a, &t[i], &c);
        check_status(r, st, "dw_callback_analyze_thread");
        if (st == DW_OK)
            check_callbacks(r, &c);
    }
    dw_callback_analyzer_free(a);
}

/* ---- reports ---------------------------------------------------------------- */

/* Write a report into memory; for JSON, the output must be one valid
 * document even for a damaged dump. */
typedef dw_status (*report_fn)(run *r, dw_report_format fmt, FILE *out, int arg);

static dw_status report_section(run *r, dw_report_format fmt, FILE *out, int section)
{
    return dw_report_write(r->dump, (dw_report_section)section, fmt, out);
}

static dw_status report_stack(run *r, dw_report_format fmt, FILE *out, int arg)
{
    (void)arg;
    dw_walk_options wo = DW_WALK_OPTIONS_INIT;
    wo.symbols = r->opts->symbols;
    wo.max_frames = r->opts->max_frames;
    dw_stack_report_options so = DW_STACK_REPORT_OPTIONS_INIT;
    so.walk = &wo;
    return dw_report_stack(r->dump, &so, fmt, out);
}

static dw_status report_callbacks(run *r, dw_report_format fmt, FILE *out, int arg)
{
    (void)arg;
    dw_walk_options wo = DW_WALK_OPTIONS_INIT;
    wo.symbols = r->opts->symbols;
    wo.max_frames = r->opts->max_frames;
    size_t parked;
    return dw_report_callbacks(r->dump, &wo, fmt == DW_REPORT_JSON, out, &parked);
}

static void one_report(run *r, report_fn fn, int arg, dw_report_format fmt, const char *what)
{
    if (fmt == DW_REPORT_TEXT && !(r->opts->reports & HOSTILE_REPORT_TEXT))
        return;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return;
    dw_status st = fn(r, fmt, out, arg);
    fclose(out);
    check_status(r, st, what);
    if (st == DW_OK && fmt == DW_REPORT_JSON) {
        size_t where;
        r->res->json_bytes += len;
        if (!hostile_json_valid(buf, len, &where))
            violate(r, "%s: JSON invalid at byte %zu of %zu: '%.40s'", what, where, len,
                    buf + (where < len ? where : len));
    }
    free(buf);
}

static void sweep_reports(run *r)
{
    static const struct {
        dw_report_section section;
        const char *name;
    } sections[] = {
        {DW_REPORT_INFO, "report info"},       {DW_REPORT_STREAMS, "report streams"},
        {DW_REPORT_THREADS, "report threads"}, {DW_REPORT_MODULES, "report modules"},
        {DW_REPORT_MEMORY, "report memory"},
    };
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        if (!(r->opts->reports & HOSTILE_REPORT_SECTIONS))
            break;
        one_report(r, report_section, (int)sections[i].section, DW_REPORT_TEXT, sections[i].name);
        one_report(r, report_section, (int)sections[i].section, DW_REPORT_JSON, sections[i].name);
    }
    if (r->opts->reports & HOSTILE_REPORT_STACK) {
        one_report(r, report_stack, 0, DW_REPORT_TEXT, "report stack");
        one_report(r, report_stack, 0, DW_REPORT_JSON, "report stack");
        one_report(r, report_callbacks, 0, DW_REPORT_TEXT, "report callbacks");
        one_report(r, report_callbacks, 0, DW_REPORT_JSON, "report callbacks");
    }
}

int hostile_run(const uint8_t *data, size_t size, const hostile_options *opts, hostile_result *res)
{
    memset(res, 0, sizeof *res);
    run r = {NULL, opts, res};
    dw_error err;
    memset(&err, 0, sizeof err);
    dw_status st = dw_dump_open_buffer(data, size, NULL, &r.dump, &err);
    if (st != DW_OK) {
        if ((unsigned)st > DW_ERR_UNSUPPORTED || !err.message[0] ||
            !memchr(err.message, 0, sizeof err.message))
            return violate(&r, "open failed (%d) without a clear message", (int)st);
        return 0;
    }
    res->opened = 1;
    sweep_directory(&r);
    sweep_health(&r);
    sweep_threads(&r);
    sweep_modules(&r);
    sweep_memory(&r);
    sweep_exception(&r);
    sweep_system(&r);
    sweep_crashpad(&r);
    sweep_handles(&r);
    if (opts->walk) {
        sweep_walk(&r);
        sweep_callbacks(&r);
    }
    if (opts->reports)
        sweep_reports(&r);
    dw_dump_close(r.dump);
    return res->violation[0] ? -1 : 0;
}

/* ---- a strict JSON checker ---------------------------------------------- */

typedef struct jcur {
    const char *p, *end, *start;
    int ok;
} jcur;

#define JSON_MAX_NESTING 64

static void jskip_ws(jcur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int jlit(jcur *c, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n))
        return c->ok = 0;
    c->p += n;
    return 1;
}

static int is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int jstring(jcur *c)
{
    c->p++; /* the opening quote */
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p++;
        if (ch == '"')
            return 1;
        if (ch < 0x20)
            return c->ok = 0; /* control characters must be escaped */
        if (ch != '\\')
            continue;
        if (c->p >= c->end)
            break;
        char e = *c->p++;
        if (e == 'u') {
            for (int i = 0; i < 4; i++)
                if (c->p >= c->end || !is_hex(*c->p++))
                    return c->ok = 0;
        } else if (!strchr("\"\\/bfnrt", e) || !e) {
            return c->ok = 0;
        }
    }
    return c->ok = 0;
}

static int jdigits(jcur *c)
{
    const char *s = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > s ? 1 : (c->ok = 0);
}

static int jnumber(jcur *c)
{
    if (*c->p == '-')
        c->p++;
    if (c->p < c->end && *c->p == '0')
        c->p++;
    else if (!jdigits(c))
        return 0;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!jdigits(c))
            return 0;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (!jdigits(c))
            return 0;
    }
    return 1;
}

static int jvalue(jcur *c, int depth);

static int jcontainer(jcur *c, int depth, char close, int members)
{
    if (depth >= JSON_MAX_NESTING)
        return c->ok = 0;
    c->p++;
    jskip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return 1;
    }
    for (;;) {
        jskip_ws(c);
        if (members) {
            if (c->p >= c->end || *c->p != '"' || !jstring(c))
                return c->ok = 0;
            jskip_ws(c);
            if (c->p >= c->end || *c->p++ != ':')
                return c->ok = 0;
        }
        if (!jvalue(c, depth + 1))
            return 0;
        jskip_ws(c);
        if (c->p >= c->end)
            return c->ok = 0;
        char ch = *c->p++;
        if (ch == close)
            return 1;
        if (ch != ',')
            return c->ok = 0;
    }
}

static int jvalue(jcur *c, int depth)
{
    jskip_ws(c);
    if (c->p >= c->end)
        return c->ok = 0;
    switch (*c->p) {
    case '{':
        return jcontainer(c, depth, '}', 1);
    case '[':
        return jcontainer(c, depth, ']', 0);
    case '"':
        return jstring(c);
    case 't':
        return jlit(c, "true");
    case 'f':
        return jlit(c, "false");
    case 'n':
        return jlit(c, "null");
    default:
        return jnumber(c);
    }
}

int hostile_json_valid(const char *text, size_t len, size_t *where)
{
    jcur c = {text, text + len, text, 1};
    int ok = jvalue(&c, 0) && c.ok;
    if (ok) {
        jskip_ws(&c);
        ok = c.p == c.end;
    }
    *where = (size_t)(c.p - c.start);
    return ok;
}
