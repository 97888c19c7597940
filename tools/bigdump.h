/* A writer of synthetic full-memory x64 minidumps of any size, streamed to
 * disk: for measuring how dumpwalk scales with dump size and for tests.
 * Not part of the library (tools/gen-bigdump.c is its command line).
 *
 * The dump: SystemInfo (Windows 10 x64), ThreadList with one AMD64 CONTEXT
 * per thread, ModuleList, an Exception stream (access violation on the
 * first thread), and a Memory64List holding every thread's stack, every
 * module's mapped PE image, and zero-filled heap regions up to the requested
 * size.  Each image has PE32+ headers, an export table naming every
 * function, .pdata/.xdata unwind data and code: every function is
 * `sub rsp,0x28; call <callee>; nop; add rsp,0x28; ret`, and each stack
 * holds a real call chain through those functions (return addresses just
 * after the calls, frames 0x30 bytes apart), so a walker recovers every
 * frame from .pdata and names it from the exports.
 *
 * Only the bytes that are not zero are written; the rest of the file is a
 * hole (ftruncate), so a 4 GiB dump takes a few MiB of disk. */
#ifndef DW_TOOLS_BIGDUMP_H
#define DW_TOOLS_BIGDUMP_H

#include <stddef.h>
#include <stdint.h>

#define BIGDUMP_MAX_THREADS 256
#define BIGDUMP_MAX_MODULES 32
#define BIGDUMP_MAX_DEPTH 64
#define BIGDUMP_FUNCTIONS 64 /* per module */

typedef struct bigdump_spec {
    uint64_t size;      /* file size wanted (bytes); at least the stacks and images */
    unsigned threads;   /* 1..BIGDUMP_MAX_THREADS */
    unsigned modules;   /* 1..BIGDUMP_MAX_MODULES */
    unsigned max_depth; /* frames of the deepest stack, 2..BIGDUMP_MAX_DEPTH */
} bigdump_spec;

typedef struct bigdump_frame {
    unsigned module, function;
    uint64_t ip; /* frame 0: the context's rip; callers: the return address */
    uint64_t sp;
} bigdump_frame;

/* What the dump holds, for checking a walk against it. */
typedef struct bigdump_truth {
    unsigned thread_count;
    uint32_t thread_ids[BIGDUMP_MAX_THREADS];
    unsigned depth[BIGDUMP_MAX_THREADS]; /* frames, innermost first */
    bigdump_frame frames[BIGDUMP_MAX_THREADS][BIGDUMP_MAX_DEPTH];
    uint64_t file_size;
    uint64_t bytes_written; /* non-zero data actually written */
    size_t range_count;     /* Memory64List entries */
} bigdump_truth;

/* Write the dump; 0 on success, else -1 with a message in err. */
int bigdump_write(const char *path, const bigdump_spec *spec, bigdump_truth *truth, char *err,
                  size_t err_size);

/* "kernelbase.dll", ... (module i's file name). */
const char *bigdump_module_name(unsigned module);
/* The export name of a function: "<module stem>_fn<NN>", e.g. "kernelbase_fn07". */
void bigdump_function_name(unsigned module, unsigned function, char *buf, size_t size);

#endif
