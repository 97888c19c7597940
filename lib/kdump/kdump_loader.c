/* libkdumpfile through dlopen (kdump_loader.h says why). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "kdump/kdump_loader.h"

/* dlsym hands out functions as void *; POSIX (XSH dlsym) requires that
 * such a pointer converts to the function's type, which holds when both
 * have one representation. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "dlsym results are copied into function pointers");

static int resolve(void *lib, const char *name, void *slot, char *why, size_t cap)
{
    dlerror(); /* a symbol's value may be NULL; only dlerror() tells failure apart */
    void *sym = dlsym(lib, name);
    const char *fail = dlerror();
    if (fail || !sym) {
        snprintf(why, cap, "%s", fail ? fail : name);
        return 0;
    }
    memcpy(slot, &sym, sizeof sym);
    return 1;
}

int dw_kdumpfile_load(const char *soname, dw_kdumpfile *out, char *why, size_t cap)
{
    memset(out, 0, sizeof *out);
    /* RTLD_LOCAL: its symbols (and libstdc++'s) stay out of the global
     * namespace; RTLD_NOW: a library missing one of them fails here, not at
     * the first call. */
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *fail = dlerror();
        snprintf(why, cap, "%s", fail ? fail : soname);
        return 0;
    }
    if (resolve(lib, "kdump_new", &out->new_ctx, why, cap) &&
        resolve(lib, "kdump_free", &out->free_ctx, why, cap) &&
        resolve(lib, "kdump_get_err", &out->get_err, why, cap) &&
        resolve(lib, "kdump_open_fdset", &out->open_fdset, why, cap) &&
        resolve(lib, "kdump_get_typed_attr", &out->get_typed_attr, why, cap) &&
        resolve(lib, "kdump_set_attr", &out->set_attr, why, cap) &&
        resolve(lib, "kdump_read", &out->read, why, cap))
        return 1;
    memset(out, 0, sizeof *out);
    dlclose(lib);
    return 0;
}

static struct {
    pthread_once_t once;
    int loaded;
    dw_kdumpfile api;
    char why[512];
} library = {PTHREAD_ONCE_INIT, 0, {0}, ""};

static void load_once(void)
{
    library.loaded =
        dw_kdumpfile_load(DW_KDUMPFILE_SONAME, &library.api, library.why, sizeof library.why);
}

const dw_kdumpfile *dw_kdumpfile_get(const char **why)
{
    pthread_once(&library.once, load_once);
    if (library.loaded)
        return &library.api;
    if (why)
        *why = library.why;
    return NULL;
}
