/* The callbacks report: which threads are inside kernel-mode callbacks, how
 * deep, parked at the callback-return stub, or waiting in what — the page a
 * person triaging a hang reads first.  Text lists the interesting threads
 * first; JSON has one object per thread in dump order (docs/json.md). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dumpwalk/dumpwalk.h"
#include "report/json.h"
#include "report/report_callbacks.h"
#include "report/report_common.h"

/* Text order: what a hang triage wants first. */
static int state_rank(dw_thread_state s)
{
    switch (s) {
    case DW_THREAD_PARKED:
        return 0;
    case DW_THREAD_IN_CALLBACK:
        return 1;
    case DW_THREAD_EXCEPTION_DISPATCH:
        return 2;
    case DW_THREAD_APC_DISPATCH:
        return 3;
    case DW_THREAD_SYSCALL_WAIT:
        return 4;
    case DW_THREAD_RUNNING:
        return 5;
    case DW_THREAD_UNKNOWN:
        return 6;
    }
    return 6;
}

static const char *state_words(dw_thread_state s)
{
    switch (s) {
    case DW_THREAD_PARKED:
        return "parked at the callback-return stub";
    case DW_THREAD_IN_CALLBACK:
        return "inside a user-mode callback";
    case DW_THREAD_EXCEPTION_DISPATCH:
        return "in exception dispatch";
    case DW_THREAD_APC_DISPATCH:
        return "in APC dispatch";
    case DW_THREAD_SYSCALL_WAIT:
        return "waiting in a system call";
    case DW_THREAD_RUNNING:
        return "running user code";
    case DW_THREAD_UNKNOWN:
        return "unknown";
    }
    return "unknown";
}

/* Append to buf at *pos, truncating. */
static void put(char *buf, size_t size, size_t *pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void put(char *buf, size_t size, size_t *pos, const char *fmt, ...)
{
    if (*pos >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *pos, size - *pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        *pos = *pos + (size_t)n < size ? *pos + (size_t)n : size;
}

static void put_level(char *buf, size_t size, size_t *pos, const dw_callback_level *lv)
{
    if (lv->routine[0])
        put(buf, size, pos, "%s", lv->routine);
    else if (lv->has_api_number)
        put(buf, size, pos, "table[%u]", lv->api_number);
    else
        put(buf, size, pos, "?");
    if (lv->outer_syscall[0])
        put(buf, size, pos, " from %s", lv->outer_syscall);
}

const char *dw_thread_callbacks_tag(const dw_thread_callbacks *r, char *buf, size_t size)
{
    size_t pos = 0;
    if (!buf || !size)
        return "";
    buf[0] = '\0';
    if (r->state == DW_THREAD_PARKED)
        put(buf, size, &pos, "parked at %s", r->syscall);
    else if (r->state == DW_THREAD_SYSCALL_WAIT && r->syscall[0])
        put(buf, size, &pos, "waiting in %s", r->syscall);
    else
        put(buf, size, &pos, "%s", state_words(r->state));
    if (r->state == DW_THREAD_SYSCALL_WAIT && !r->syscall[0] && r->has_ssn)
        put(buf, size, &pos, " (number 0x%x)", r->ssn);
    if (r->state != DW_THREAD_PARKED && r->state != DW_THREAD_SYSCALL_WAIT && r->syscall[0])
        put(buf, size, &pos, ", waiting in %s", r->syscall);
    if (r->callback_depth) {
        put(buf, size, &pos, "; callback depth %u: ", r->callback_depth);
        for (unsigned i = 0; i < r->level_count; i++) {
            put(buf, size, &pos, "%s", i ? ", " : "");
            put_level(buf, size, &pos, &r->levels[i]);
        }
    }
    dw_evidence_strength best = 0;
    for (unsigned i = 0; i < r->evidence_count; i++)
        if (r->evidence[i].strength > best)
            best = r->evidence[i].strength;
    if (best)
        put(buf, size, &pos, " [%s evidence]", dw_evidence_strength_name(best));
    return buf;
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_opt_string(dw_json *j, const char *key, const char *s)
{
    dw_json_kv_string(j, key, s && s[0] ? s : NULL);
}

static void json_level(dw_json *j, const dw_callback_level *lv)
{
    dw_json_begin_object(j);
    dw_json_kv_uint(j, "dispatcher_frame", lv->dispatcher_frame);
    dw_json_kv_hex(j, "dispatcher_address", lv->dispatcher_address);
    dw_json_kv_string(j, "dispatcher", lv->dispatcher);
    if (lv->has_api_number)
        dw_json_kv_uint(j, "api_number", lv->api_number);
    else
        dw_json_kv_null(j, "api_number");
    if (lv->routine_address)
        dw_json_kv_hex(j, "routine_address", lv->routine_address);
    else
        dw_json_kv_null(j, "routine_address");
    json_opt_string(j, "routine", lv->routine);
    json_opt_string(j, "outer_syscall", lv->outer_syscall);
    json_opt_string(j, "outer_syscall_strength",
                    lv->outer_strength ? dw_evidence_strength_name(lv->outer_strength) : NULL);
    if (lv->has_outer_frame)
        dw_json_kv_uint(j, "outer_frame", lv->outer_frame);
    else
        dw_json_kv_null(j, "outer_frame");
    dw_json_end_object(j);
}

void dw_report_json_thread_callbacks(dw_json *j, const dw_thread_callbacks *r)
{
    char tag[512];
    dw_json_begin_object(j);
    dw_json_kv_uint(j, "thread_id", r->thread_id);
    dw_json_kv_string(j, "state", dw_thread_state_name(r->state));
    dw_json_kv_uint(j, "callback_depth", r->callback_depth);
    json_opt_string(j, "syscall", r->syscall);
    if (r->has_ssn)
        dw_json_kv_hex(j, "ssn", r->ssn);
    else
        dw_json_kv_null(j, "ssn");
    dw_json_kv_hex(j, "ip", r->ip);
    dw_json_kv_uint(j, "frames_examined", r->frames_examined);
    dw_json_kv_bool(j, "claimed", dw_thread_callbacks_claimed(r));
    dw_json_key(j, "evidence");
    dw_json_begin_array(j);
    for (unsigned i = 0; i < r->evidence_count; i++) {
        const dw_evidence *e = &r->evidence[i];
        dw_json_begin_object(j);
        dw_json_kv_string(j, "kind", dw_evidence_kind_name(e->kind));
        dw_json_kv_string(j, "strength", dw_evidence_strength_name(e->strength));
        dw_json_kv_string(j, "detail", e->detail);
        dw_json_end_object(j);
    }
    dw_json_end_array(j);
    dw_json_key(j, "levels");
    dw_json_begin_array(j);
    for (unsigned i = 0; i < r->level_count; i++)
        json_level(j, &r->levels[i]);
    dw_json_end_array(j);
    json_opt_string(j, "note", r->note);
    dw_json_kv_string(j, "tag", dw_thread_callbacks_tag(r, tag, sizeof tag));
    dw_json_end_object(j);
}

/* ---- the report ----------------------------------------------------------------- */

typedef struct analysed {
    const dw_thread *thread;
    size_t index;
    dw_thread_callbacks result;
} analysed;

static int compare_analysed(const void *a, const void *b)
{
    const analysed *x = a, *y = b;
    int rx = state_rank(x->result.state), ry = state_rank(y->result.state);
    if (rx != ry)
        return rx - ry;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void text_level(FILE *out, unsigned n, const dw_callback_level *lv)
{
    fprintf(out, "    Level %u: frame %u %s (0x%llx)\n", n, lv->dispatcher_frame, lv->dispatcher,
            (unsigned long long)lv->dispatcher_address);
    if (lv->has_api_number || lv->routine[0]) {
        fprintf(out, "             routine");
        if (lv->has_api_number)
            fprintf(out, " KernelCallbackTable[%u]", lv->api_number);
        if (lv->routine_address)
            fprintf(out, " = 0x%llx", (unsigned long long)lv->routine_address);
        fprintf(out, " %s\n", lv->routine[0] ? lv->routine : "(unnamed)");
    }
    if (lv->outer_syscall[0])
        fprintf(out, "             interrupts %s (frame %u, %s)\n", lv->outer_syscall,
                lv->outer_frame, dw_evidence_strength_name(lv->outer_strength));
    else if (lv->has_outer_frame)
        fprintf(out, "             interrupts an unnamed call (frame %u)\n", lv->outer_frame);
}

static void text_thread(FILE *out, const analysed *a)
{
    const dw_thread_callbacks *r = &a->result;
    char tag[512];
    fprintf(out, "Thread %zu - tid: %u%s%s\n", a->index, r->thread_id, a->thread->name ? " " : "",
            a->thread->name ? a->thread->name : "");
    fprintf(out, "    %s\n", dw_thread_callbacks_tag(r, tag, sizeof tag));
    for (unsigned i = 0; i < r->level_count; i++)
        text_level(out, i + 1, &r->levels[i]);
    for (unsigned i = 0; i < r->evidence_count; i++)
        fprintf(out, "    %s %-8s %s: %s\n", i ? "        " : "Evidence",
                dw_evidence_strength_name(r->evidence[i].strength),
                dw_evidence_kind_name(r->evidence[i].kind), r->evidence[i].detail);
    if (r->note[0])
        fprintf(out, "    Note: %s\n", r->note);
    fputc('\n', out);
}

static void text_report(dw_dump *dump, FILE *out, analysed *all, size_t n)
{
    size_t counts[7] = {0};
    for (size_t i = 0; i < n; i++)
        counts[state_rank(all[i].result.state)]++;
    dw_report_text_system(dump, out);
    fprintf(out, "\nKernel-mode callbacks: %zu thread%s\n", n, n == 1 ? "" : "s");
    fprintf(out,
            "  parked at callback return: %zu\n  inside a callback:         %zu\n"
            "  exception dispatch:        %zu\n  APC dispatch:              %zu\n"
            "  waiting in a system call:  %zu\n  running:                   %zu\n"
            "  unknown:                   %zu\n\n",
            counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6]);
    analysed *sorted = malloc(n ? n * sizeof *sorted : 1);
    if (!sorted) {
        for (size_t i = 0; i < n; i++)
            text_thread(out, &all[i]);
        return;
    }
    memcpy(sorted, all, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_analysed);
    for (size_t i = 0; i < n; i++)
        text_thread(out, &sorted[i]);
    free(sorted);
    dw_report_text_health(out, dump);
}

static void json_report(dw_dump *dump, FILE *out, const analysed *all, size_t n, size_t parked)
{
    dw_json j;
    const dw_system_info *si;
    dw_json_init(&j, out, 1);
    dw_json_begin_object(&j);
    dw_json_kv_uint(&j, "dumpwalk_json_version", DW_JSON_SCHEMA_VERSION);
    if (dw_dump_system_info(dump, &si) == DW_OK)
        dw_json_kv_uint(&j, "os_build", si->build_number);
    else
        dw_json_kv_null(&j, "os_build");
    dw_json_kv_uint(&j, "thread_count", n);
    dw_json_kv_uint(&j, "parked_count", parked);
    dw_json_key(&j, "threads");
    dw_json_begin_array(&j);
    for (size_t i = 0; i < n; i++)
        dw_report_json_thread_callbacks(&j, &all[i].result);
    dw_json_end_array(&j);
    dw_report_json_health(&j, dump);
    dw_json_end_object(&j);
    dw_json_finish(&j);
}

dw_status dw_report_callbacks(dw_dump *dump, const dw_walk_options *walk, int json, FILE *out,
                              size_t *parked_count)
{
    if (!dump || !out)
        return DW_ERR_INVALID_ARG;
    const dw_thread *threads;
    size_t n = 0;
    if (dw_dump_threads(dump, &threads, &n) != DW_OK && !threads)
        n = 0;
    dw_callback_analyzer *a;
    dw_status st = dw_callback_analyzer_new(dump, walk, &a);
    if (st != DW_OK)
        return st;
    analysed *all = calloc(n ? n : 1, sizeof *all);
    if (!all) {
        dw_callback_analyzer_free(a);
        return DW_ERR_NOMEM;
    }
    size_t parked = 0;
    for (size_t i = 0; i < n; i++) {
        all[i].thread = &threads[i];
        all[i].index = i;
        dw_callback_analyze_thread(a, &threads[i], &all[i].result);
        parked += all[i].result.state == DW_THREAD_PARKED;
    }
    dw_callback_analyzer_free(a);
    if (json)
        json_report(dump, out, all, n, parked);
    else
        text_report(dump, out, all, n);
    free(all);
    if (parked_count)
        *parked_count = parked;
    return DW_OK;
}
