/* Dumps that are not minidumps: ELF core files and Linux kernel dumps, read
 * through libkdumpfile (lib/kdump/).
 *
 * A backend parses its format once, at open, into the same arrays the
 * minidump stream parsers fill (threads, modules, memory ranges, memory info,
 * system info) and keeps each one's status in dw_backend_status.  The lazy
 * parsers of lib/minidump/ check dump->backend first and, when it is set,
 * serve those arrays instead of looking for streams; memory reads go to the
 * backend's read function.  A minidump has dump->backend == NULL and takes
 * none of these paths. */
#ifndef DW_MINIDUMP_BACKEND_H
#define DW_MINIDUMP_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "minidump/internal.h"

typedef struct dw_backend {
    const char *name; /* "libkdumpfile" */
    /* Copy `len` bytes at virtual address `va`; *got receives the bytes
     * copied from va onwards.  Same contract as dw_memory_read: DW_OK,
     * DW_ERR_TRUNCATED (a prefix), DW_ERR_NOT_FOUND (with a message naming
     * the address and why it is absent). */
    dw_status (*read)(dw_dump *dump, uint64_t va, void *buf, size_t len, size_t *got);
    /* Bytes at `va` taken from the file a user core says was mapped there
     * (NT_FILE), for pages the core left out; returns how many were read. */
    size_t (*read_mapped_file)(dw_dump *dump, uint64_t va, void *buf, size_t len);
    void (*close)(dw_dump *dump);
} dw_backend;

/* What the backend's open left in each slot of struct dw_dump. */
typedef struct dw_backend_status {
    dw_status threads, modules, memory, memory_infos, system_info;
} dw_backend_status;

/* Which backend format the first bytes of a file announce; 0 for none.
 * ELF "\x7fELF", diskdump/compressed kdump "KDUMP   " / "DISKDUMP",
 * makedumpfile flattened "makedumpfile". */
int dw_backend_magic(const uint8_t *data, size_t size);

/* Open the dump through the backend: fills header, arrays and statuses.
 * `path` is the file the bytes came from (NULL for a caller's buffer or
 * inflated gzip input).  Defined only when built with libkdumpfile. */
dw_status dw_backend_open(dw_dump *dump, const char *path, dw_error *err);

/* Bytes at va from the mapped file named in a user core's NT_FILE note; 0
 * for minidumps and kernel dumps. */
size_t dw_backend_read_mapped_file(dw_dump *dump, uint64_t va, void *buf, size_t len);

#endif
