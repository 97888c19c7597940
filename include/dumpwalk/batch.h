/* dumpwalk: batch processing for crash-report pipelines.
 *
 * dw_batch_run() takes files and directories, finds the dumps among them
 * (by their first bytes, not their names; gzip'd dumps included), walks
 * every one with N worker threads that share one symbol store, and writes
 * JSON lines: one object per dump, in input order whatever order the workers
 * finish in.  A dump that cannot be read gives a failure object and the run
 * goes on.
 *
 * Line format (docs/json.md, "batch"): the `stack` JSON document on one line
 * with "path" as its first member, or for a failure
 *   {"path":"...","dumpwalk_json_version":1,"status":"ERROR_...","error":"..."}
 */
#ifndef DUMPWALK_BATCH_H
#define DUMPWALK_BATCH_H

#include <stddef.h>
#include <stdio.h>

#include "dump.h"
#include "report.h"
#include "stack.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Passed to the progress callback after each dump's line is written. */
typedef struct dw_batch_progress {
    size_t done;    /* lines written so far */
    size_t total;   /* dumps found */
    size_t failed;  /* failure objects among them */
    size_t damaged; /* dumps whose health report is not empty */
    double elapsed; /* seconds since the run started */
} dw_batch_progress;

typedef struct dw_batch_options {
    unsigned version;            /* DW_BATCH_OPTIONS_VERSION */
    const dw_walk_options *walk; /* symbols (shared by all workers), images; NULL: defaults */
    const dw_open_options *open; /* NULL: defaults */
    unsigned jobs;               /* worker threads; 0 means 1 */
    /* Called on the calling thread; may be NULL. */
    void (*progress)(const dw_batch_progress *progress, void *ctx);
    void *progress_ctx;
} dw_batch_options;

#define DW_BATCH_OPTIONS_VERSION 1
#define DW_BATCH_OPTIONS_INIT                                                                      \
    {                                                                                              \
        DW_BATCH_OPTIONS_VERSION, NULL, NULL, 1, NULL, NULL                                        \
    }
/* More workers than this are refused (DW_ERR_INVALID_ARG). */
#define DW_BATCH_MAX_JOBS 256

typedef struct dw_batch_summary {
    size_t dumps;   /* lines written */
    size_t ok;      /* walked, no damage */
    size_t damaged; /* walked, health report not empty */
    size_t failed;  /* failure objects */
    double seconds; /* wall time of the run */
} dw_batch_summary;

/* Walk `paths` (files and directories, searched recursively in name order)
 * and write one JSON line per dump to `out`.  A named file is always
 * reported (a failure object when it is no dump); in directories only files
 * that start like a dump are taken.  Returns DW_OK when every line was
 * written (even if some are failure objects), DW_ERR_IO when writing failed,
 * DW_ERR_INVALID_ARG for bad arguments.  `summary` may be NULL. */
dw_status dw_batch_run(const char *const *paths, size_t path_count, const dw_batch_options *opts,
                       FILE *out, dw_batch_summary *summary);

/* One dump's batch line: the stack JSON on one line, "path" first (the
 * line ends with '\n'). */
dw_status dw_report_stack_json_line(dw_dump *dump, const dw_stack_report_options *opts,
                                    const char *path, FILE *out);

/* The failure-object status for a dw_status, e.g. "ERROR_MINIDUMP_NOT_FOUND"
 * (DW_ERR_IO) or "ERROR_NO_MINIDUMP_HEADER" (DW_ERR_FORMAT). */
const char *dw_batch_error_status(dw_status status);

#ifdef __cplusplus
}
#endif
#endif
