/* Batch runs: N worker threads walk dumps into per-dump line buffers; the
 * calling thread writes the lines in input order.
 *
 * Workers take the next input index under one mutex; a worker may run at
 * most WINDOW_PER_JOB * jobs inputs ahead of the line being written, so a
 * slow dump at the head cannot make the finished lines behind it pile up
 * without bound.  The symbol store in the walk options is shared: it is
 * thread-safe (include/dumpwalk/symbols.h); every worker opens its own dump
 * handles and walkers. */
#include "dumpwalk/batch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch/inputs.h"
#include "report/json.h"

#define WINDOW_PER_JOB 8

typedef enum line_kind { LINE_PENDING, LINE_OK, LINE_DAMAGED, LINE_FAILED } line_kind;

typedef struct line {
    char *text; /* malloc'd, ends with '\n' */
    size_t len;
    line_kind kind;
} line;

typedef struct batch_run {
    const dw_batch_inputs *inputs;
    const dw_batch_options *opts;
    dw_stack_report_options report;
    line *lines;
    size_t next;    /* next input a worker takes */
    size_t written; /* lines written so far */
    size_t window;
    pthread_mutex_t lock;
    pthread_cond_t line_ready; /* a worker finished a line */
    pthread_cond_t advanced;   /* the writer wrote a line */
} batch_run;

/* Failure statuses, named as minidump-stackwalk names its process results
 * where one fits (Breakpad's ProcessResult: MINIDUMP_NOT_FOUND,
 * NO_MINIDUMP_HEADER), else after the dw_status. */
static const struct {
    dw_status status;
    const char *name;
} error_statuses[] = {
    {DW_ERR_IO, "ERROR_MINIDUMP_NOT_FOUND"},        {DW_ERR_FORMAT, "ERROR_NO_MINIDUMP_HEADER"},
    {DW_ERR_TRUNCATED, "ERROR_NO_MINIDUMP_HEADER"}, {DW_ERR_DAMAGED, "ERROR_DAMAGED"},
    {DW_ERR_NOMEM, "ERROR_OUT_OF_MEMORY"},          {DW_ERR_LIMIT, "ERROR_LIMIT_EXCEEDED"},
    {DW_ERR_UNSUPPORTED, "ERROR_UNSUPPORTED"},      {DW_ERR_NOT_FOUND, "ERROR_NOT_FOUND"},
    {DW_ERR_INVALID_ARG, "ERROR_INVALID_ARGUMENT"},
};

const char *dw_batch_error_status(dw_status status)
{
    for (size_t i = 0; i < sizeof error_statuses / sizeof error_statuses[0]; i++) {
        if (error_statuses[i].status == status)
            return error_statuses[i].name;
    }
    return "ERROR_UNKNOWN";
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The failure object of one input; the line stays NULL only when even this
 * cannot be allocated (the writer then prints a fixed fallback). */
static void failure_line(line *out, const char *path, dw_status status, const char *message)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f) {
        dw_json j;
        dw_json_init(&j, f, 0);
        dw_json_begin_object(&j);
        dw_json_kv_string(&j, "path", path);
        dw_json_kv_uint(&j, "dumpwalk_json_version", DW_JSON_SCHEMA_VERSION);
        dw_json_kv_string(&j, "status", dw_batch_error_status(status));
        dw_json_kv_string(&j, "error", message);
        dw_json_end_object(&j);
        dw_json_finish(&j);
        if (fclose(f) != 0) {
            free(buf);
            buf = NULL;
        }
    }
    out->text = buf;
    out->len = buf ? len : 0;
    out->kind = LINE_FAILED;
}

/* Open, walk and report one dump into its line. */
static void process_input(const batch_run *b, const dw_batch_input *in, line *out)
{
    if (in->status != DW_OK) {
        failure_line(out, in->path, in->status, in->error);
        return;
    }
    dw_dump *dump;
    dw_error err;
    dw_status st = dw_dump_open(in->path, b->opts->open, &dump, &err);
    if (st != DW_OK) {
        failure_line(out, in->path, st, err.message);
        return;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    st = f ? dw_report_stack_json_line(dump, &b->report, in->path, f) : DW_ERR_NOMEM;
    if (f && fclose(f) != 0 && st == DW_OK)
        st = DW_ERR_NOMEM;
    if (st == DW_OK) {
        out->text = buf;
        out->len = len;
        out->kind = dw_dump_health_count(dump) ? LINE_DAMAGED : LINE_OK;
    } else {
        free(buf);
        char msg[DW_ERROR_MESSAGE_MAX + 64];
        snprintf(msg, sizeof msg, "cannot write the report: %s", dw_status_name(st));
        failure_line(out, in->path, st, msg);
    }
    dw_dump_close(dump);
}

static void *worker(void *arg)
{
    batch_run *b = arg;
    pthread_mutex_lock(&b->lock);
    for (;;) {
        while (b->next < b->inputs->count && b->next >= b->written + b->window)
            pthread_cond_wait(&b->advanced, &b->lock);
        if (b->next >= b->inputs->count)
            break;
        size_t i = b->next++;
        pthread_mutex_unlock(&b->lock);
        line done = {NULL, 0, LINE_PENDING};
        process_input(b, &b->inputs->items[i], &done);
        pthread_mutex_lock(&b->lock);
        b->lines[i] = done;
        pthread_cond_signal(&b->line_ready);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

static void count_line(dw_batch_summary *s, line_kind kind)
{
    s->dumps++;
    s->ok += kind == LINE_OK;
    s->damaged += kind == LINE_DAMAGED;
    s->failed += kind == LINE_FAILED;
}

/* The writer: lines in input order, each as soon as it and all before it
 * are done.  Returns DW_ERR_IO when `out` failed. */
static dw_status write_lines(batch_run *b, FILE *out, dw_batch_summary *s, double start)
{
    static const char no_memory[] =
        "{\"status\":\"ERROR_OUT_OF_MEMORY\",\"error\":\"no memory for this dump's line\"}\n";
    dw_status st = DW_OK;
    for (size_t i = 0; i < b->inputs->count; i++) {
        pthread_mutex_lock(&b->lock);
        while (b->lines[i].kind == LINE_PENDING)
            pthread_cond_wait(&b->line_ready, &b->lock);
        line l = b->lines[i];
        b->lines[i].text = NULL;
        pthread_mutex_unlock(&b->lock);

        const char *text = l.text ? l.text : no_memory;
        size_t len = l.text ? l.len : sizeof no_memory - 1;
        if (fwrite(text, 1, len, out) != len)
            st = DW_ERR_IO;
        free(l.text);
        count_line(s, l.kind);

        pthread_mutex_lock(&b->lock);
        b->written = i + 1;
        pthread_cond_broadcast(&b->advanced);
        pthread_mutex_unlock(&b->lock);
        if (b->opts->progress) {
            dw_batch_progress p = {i + 1, b->inputs->count, s->failed, s->damaged,
                                   now_seconds() - start};
            b->opts->progress(&p, b->opts->progress_ctx);
        }
    }
    return fflush(out) != 0 ? DW_ERR_IO : st;
}

static dw_status run_workers(batch_run *b, unsigned jobs, FILE *out, dw_batch_summary *s,
                             double start)
{
    pthread_t threads[DW_BATCH_MAX_JOBS];
    unsigned started = 0;
    for (; started < jobs; started++) {
        if (pthread_create(&threads[started], NULL, worker, b) != 0)
            break;
    }
    if (started == 0)
        return DW_ERR_NOMEM;
    dw_status st = write_lines(b, out, s, start);
    for (unsigned i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    return st;
}

dw_status dw_batch_run(const char *const *paths, size_t path_count, const dw_batch_options *opts,
                       FILE *out, dw_batch_summary *summary)
{
    dw_batch_options defaults = DW_BATCH_OPTIONS_INIT;
    dw_batch_summary local;
    if (!paths || !out || (opts && opts->jobs > DW_BATCH_MAX_JOBS))
        return DW_ERR_INVALID_ARG;
    if (!opts || opts->version < 1)
        opts = &defaults;
    if (!summary)
        summary = &local;
    memset(summary, 0, sizeof *summary);
    double start = now_seconds();

    dw_batch_inputs inputs;
    dw_status st = dw_batch_inputs_collect(paths, path_count, &inputs);
    if (st != DW_OK)
        return st;
    batch_run b;
    memset(&b, 0, sizeof b);
    b.inputs = &inputs;
    b.opts = opts;
    b.report = (dw_stack_report_options)DW_STACK_REPORT_OPTIONS_INIT;
    b.report.walk = opts->walk;
    unsigned jobs = opts->jobs ? opts->jobs : 1;
    b.window = (size_t)jobs * WINDOW_PER_JOB;
    b.lines = calloc(inputs.count ? inputs.count : 1, sizeof *b.lines);
    if (!b.lines) {
        dw_batch_inputs_free(&inputs);
        return DW_ERR_NOMEM;
    }
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.line_ready, NULL);
    pthread_cond_init(&b.advanced, NULL);
    st = run_workers(&b, jobs, out, summary, start);
    pthread_cond_destroy(&b.advanced);
    pthread_cond_destroy(&b.line_ready);
    pthread_mutex_destroy(&b.lock);
    free(b.lines);
    dw_batch_inputs_free(&inputs);
    summary->seconds = now_seconds() - start;
    return st;
}
