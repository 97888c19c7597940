/* The hostile-input pipeline shared by the sweep tests (test_sweep.c) and the
 * libFuzzer harnesses (tests/fuzz/): one input goes through everything a
 * user of the library can do with it, and every answer is checked for the
 * properties the API promises whatever the bytes are.
 *
 *   open (buffer) -> header, directory, raw stream bytes
 *   -> dw_dump_check_all and the health report
 *   -> every list getter and lookup, with every borrowed string and array
 *      touched byte by byte (so AddressSanitizer sees a bad pointer)
 *   -> memory reads at every range's edges
 *   -> a stack walk of every thread (and symbolization of what it finds)
 *   -> kernel-callback classification of every thread (callbacks.h)
 *   -> every report section, text and JSON, the stack report and the
 *      callbacks report; the JSON must parse.
 *
 * A violated promise (a failing status without a message, an out-of-range
 * status, JSON that does not parse, a frame count past the cap) is returned
 * as a message; crashes and sanitizer reports end the process as usual. */
#ifndef DW_TESTS_HOSTILE_H
#define DW_TESTS_HOSTILE_H

#include <stddef.h>
#include <stdint.h>

#include "dumpwalk/dumpwalk.h"

enum {
    HOSTILE_REPORT_SECTIONS = 1, /* info, streams, threads, modules, memory */
    HOSTILE_REPORT_STACK = 2,    /* dw_report_stack and dw_report_callbacks */
    HOSTILE_REPORT_TEXT = 4,     /* the text form too, not only JSON */
    HOSTILE_REPORT_ALL = 7,
};

typedef struct hostile_options {
    dw_symbols *symbols; /* may be NULL */
    unsigned max_frames; /* per thread; 0: the library default */
    unsigned reports;    /* HOSTILE_REPORT_* bits: which reports to write */
    int walk;            /* non-zero: walk every thread */
} hostile_options;

typedef struct hostile_result {
    int opened; /* dw_dump_open_buffer succeeded */
    size_t health_issues;
    size_t threads;
    size_t frames;       /* frames produced over all threads */
    size_t json_bytes;   /* JSON written over all reports */
    char violation[512]; /* "" when every promise held */
} hostile_result;

/* Run one input through the pipeline.  Returns 0 when every promise held,
 * -1 with res->violation set otherwise. */
int hostile_run(const uint8_t *data, size_t size, const hostile_options *opts, hostile_result *res);

/* A strict JSON syntax check (RFC 8259 grammar, nesting bounded at 64).
 * Returns 1 when `text` holds exactly one JSON value (whitespace around it
 * allowed), 0 otherwise with *where set to the offset of the first error. */
int hostile_json_valid(const char *text, size_t len, size_t *where);

#endif
