/* dumpwalk: reports for people (text) and pipelines (JSON).
 *
 * The CLI prints exactly these; a program linking the library gets the same
 * output.  JSON documents carry "dumpwalk_json_version" (docs/json.md). */
#ifndef DUMPWALK_REPORT_H
#define DUMPWALK_REPORT_H

#include <stdio.h>

#include "dump.h"
#include "stack.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DW_JSON_SCHEMA_VERSION 1

typedef enum dw_report_section {
    DW_REPORT_INFO = 1,    /* OS, CPU, crash reason, process, dump flags, health */
    DW_REPORT_STREAMS = 2, /* the stream directory with sizes and health */
    DW_REPORT_THREADS = 3, /* ids, names, TEB, stack range, registers */
    DW_REPORT_MODULES = 4, /* loaded and unloaded modules */
    DW_REPORT_MEMORY = 5,  /* memory ranges and MemoryInfoList */
} dw_report_section;

typedef enum dw_report_format {
    DW_REPORT_TEXT = 1,
    DW_REPORT_JSON = 2,
} dw_report_format;

/* Write one section.  Parses what the section needs (and, for INFO and
 * STREAMS, every stream so the health report is complete). */
dw_status dw_report_write(dw_dump *dump, dw_report_section section, dw_report_format format,
                          FILE *out);

/* The stack report: every thread's frames (or one thread's), crash reason,
 * system info and modules.  Text reads like minidump-stackwalk's; JSON
 * follows minidump-stackwalk's schema plus dumpwalk's own fields (trust
 * reasons, dump health), documented in docs/json.md. */
typedef struct dw_stack_report_options {
    unsigned version;            /* DW_STACK_REPORT_OPTIONS_VERSION */
    const dw_walk_options *walk; /* symbols, images, limits; NULL for defaults */
    int only_thread;             /* non-zero: report only thread_id */
    uint32_t thread_id;
} dw_stack_report_options;

#define DW_STACK_REPORT_OPTIONS_VERSION 1
#define DW_STACK_REPORT_OPTIONS_INIT                                                               \
    {                                                                                              \
        DW_STACK_REPORT_OPTIONS_VERSION, NULL, 0, 0                                                \
    }

/* DW_ERR_NOT_FOUND when only_thread names no thread of the dump. */
dw_status dw_report_stack(dw_dump *dump, const dw_stack_report_options *opts,
                          dw_report_format format, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
