/* libkdumpfile, loaded at run time on the first ELF core or kernel dump.
 *
 * Linking libkdumpfile pulls libstdc++, libaddrxlat, snappy, zstd and lzo
 * into every process, about 0.8 ms of dynamic loading at start-up, although
 * most programs only ever read minidumps.  So the library is compiled
 * against libkdumpfile's headers only and opened with dlopen() by its soname
 * when the backend is first needed; its functions are called through the
 * table below.  The table holds the exported functions the backend uses: the
 * header's inline helpers (kdump_open_fd, kdump_get_number_attr,
 * kdump_get_string_attr, kdump_set_string_attr) wrap kdump_open_fdset,
 * kdump_get_typed_attr and kdump_set_attr, which is why those are here
 * instead. */
#ifndef DW_KDUMP_KDUMP_LOADER_H
#define DW_KDUMP_KDUMP_LOADER_H

#include <stddef.h>

#include <libkdumpfile/kdumpfile.h>

/* The soname the headers belong to: libkdumpfile 0.5.x installs
 * libkdumpfile.so.10.  Override with -DDW_KDUMPFILE_SONAME=... for another
 * ABI version whose functions below have the same signatures. */
#ifndef DW_KDUMPFILE_SONAME
#if KDUMPFILE_VER_MAJOR != 0 || KDUMPFILE_VER_MINOR != 5
#error "libkdumpfile headers are not 0.5.x: set DW_KDUMPFILE_SONAME to the matching soname"
#endif
#define DW_KDUMPFILE_SONAME "libkdumpfile.so.10"
#endif

typedef struct dw_kdumpfile {
    kdump_ctx_t *(*new_ctx)(void);
    void (*free_ctx)(kdump_ctx_t *ctx);
    const char *(*get_err)(kdump_ctx_t *ctx);
    kdump_status (*open_fdset)(kdump_ctx_t *ctx, unsigned nfds, const int *fds);
    kdump_status (*get_typed_attr)(kdump_ctx_t *ctx, const char *key, kdump_attr_t *valp);
    kdump_status (*set_attr)(kdump_ctx_t *ctx, const char *key, const kdump_attr_t *valp);
    kdump_status (*read)(kdump_ctx_t *ctx, kdump_addrspace_t as, kdump_addr_t addr, void *buffer,
                         size_t *plength);
} dw_kdumpfile;

/* The functions of DW_KDUMPFILE_SONAME, loaded once per process (the first
 * call loads, under pthread_once, so concurrent first opens are safe; the
 * library stays loaded).  NULL when it cannot be loaded, with *why set to
 * the loader's reason (dlerror text), valid for the life of the process. */
const dw_kdumpfile *dw_kdumpfile_get(const char **why);

/* Open `soname` and resolve every function of the table into *out.
 * Returns 1, or 0 with the reason in why[0..cap) (nothing is left loaded).
 * dw_kdumpfile_get's worker, exposed so a test can name a missing library. */
int dw_kdumpfile_load(const char *soname, dw_kdumpfile *out, char *why, size_t cap);

#endif
