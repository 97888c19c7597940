/* The symbol store: directories in Breakpad's layout
 * (<dir>/<debug_file>/<debug_id>/<debug_file minus .pdb>.sym) and a cache of
 * what was found, shared by threads under one mutex. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "symbols/symfile.h"
#include "util/text.h"

#define MAX_DIRS 64
#define MAX_COMPONENT 255 /* one path component (NAME_MAX) */
#define MAX_ID 128

typedef struct cache_entry {
    char *key;         /* NULL for an empty slot */
    dw_symfile *file;  /* NULL when not found or unusable */
    dw_status status;
    char *message;     /* why not, replayed to later callers */
} cache_entry;

struct dw_symbols {
    char *dirs[MAX_DIRS];
    size_t ndirs;
    pthread_mutex_t lock;
    cache_entry *slots; /* open addressing, capacity a power of two */
    size_t cap;
    size_t used;
};

static _Thread_local char last_error[DW_ERROR_MESSAGE_MAX];

__attribute__((format(printf, 2, 3))) static dw_status fail(dw_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return st;
}

const char *dw_symbols_last_error(void)
{
    return last_error;
}

dw_status dw_symbols_new(dw_symbols **out)
{
    if (!out)
        return DW_ERR_INVALID_ARG;
    dw_symbols *s = calloc(1, sizeof *s);
    if (!s || pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return fail(DW_ERR_NOMEM, "symbol store: out of memory");
    }
    *out = s;
    return DW_OK;
}

void dw_symbols_free(dw_symbols *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->cap; i++) {
        free(s->slots[i].key);
        free(s->slots[i].message);
        dw_symfile_close(s->slots[i].file);
    }
    free(s->slots);
    for (size_t i = 0; i < s->ndirs; i++)
        free(s->dirs[i]);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

dw_status dw_symbols_add_dir(dw_symbols *s, const char *dir)
{
    if (!s || !dir || !*dir)
        return fail(DW_ERR_INVALID_ARG, "symbol store: empty directory name");
    pthread_mutex_lock(&s->lock);
    dw_status st = DW_OK;
    if (s->ndirs >= MAX_DIRS)
        st = fail(DW_ERR_LIMIT, "symbol store: more than %d directories", MAX_DIRS);
    else if (!(s->dirs[s->ndirs] = strdup(dir)))
        st = fail(DW_ERR_NOMEM, "symbol store: out of memory");
    else
        s->ndirs++;
    pthread_mutex_unlock(&s->lock);
    return st;
}

/* ---- cache: FNV-1a keyed open addressing --------------------------------- */

static uint64_t hash_key(const char *k)
{
    uint64_t h = 1469598103934665603ull;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ull;
    return h;
}

static cache_entry *slot_for(cache_entry *slots, size_t cap, const char *key)
{
    size_t i = (size_t)hash_key(key) & (cap - 1);
    while (slots[i].key && strcmp(slots[i].key, key) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int cache_grow(dw_symbols *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 64;
    cache_entry *n = calloc(ncap, sizeof *n);
    if (!n)
        return 0;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i].key)
            *slot_for(n, ncap, s->slots[i].key) = s->slots[i];
    free(s->slots);
    s->slots = n;
    s->cap = ncap;
    return 1;
}

static cache_entry *cache_find(dw_symbols *s, const char *key)
{
    if (!s->cap)
        return NULL;
    cache_entry *e = slot_for(s->slots, s->cap, key);
    return e->key ? e : NULL;
}

/* Remember a result; a failure to remember only costs a later re-search. */
static void cache_put(dw_symbols *s, const char *key, dw_symfile *file, dw_status st,
                      const char *message)
{
    if ((s->used + 1) * 2 > s->cap && !cache_grow(s)) {
        dw_symfile_close(file);
        return;
    }
    cache_entry *e = slot_for(s->slots, s->cap, key);
    e->key = strdup(key);
    e->message = message ? strdup(message) : NULL;
    if (!e->key) {
        free(e->message);
        e->message = NULL;
        dw_symfile_close(file);
        return;
    }
    e->file = file;
    e->status = st;
    s->used++;
}

/* ---- path construction --------------------------------------------------- */

/* File names come from dump data: only a plain basename may reach a path. */
static const char *safe_name(const char *name)
{
    if (!name || !*name)
        return NULL;
    const char *base = dw_path_basename(name);
    size_t n = strlen(base);
    if (n == 0 || n > MAX_COMPONENT || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return NULL;
    return base;
}

static int safe_id(const char *id)
{
    if (!id || !*id)
        return 0;
    size_t n = 0;
    for (; id[n]; n++) {
        char c = id[n];
        if (n >= MAX_ID || !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                             (c >= 'A' && c <= 'Z')))
            return 0;
    }
    return 1;
}

typedef struct candidate {
    const char *name; /* directory name under the store root */
    const char *id;
    char file[MAX_COMPONENT + 8]; /* <stem>.sym */
} candidate;

/* Breakpad strips a ".pdb" extension from the debug file; ELF and Mach-O
 * names keep theirs ("libc.so.6" -> "libc.so.6.sym"). */
static size_t debug_candidates(const char *base, const char *id, candidate out[2])
{
    size_t n = 0, len = strlen(base);
    if (len > 4 && strcasecmp(base + len - 4, ".pdb") == 0) {
        out[n] = (candidate){.name = base, .id = id};
        snprintf(out[n].file, sizeof out[n].file, "%.*s.sym", (int)(len - 4), base);
        n++;
    }
    out[n] = (candidate){.name = base, .id = id};
    snprintf(out[n].file, sizeof out[n].file, "%s.sym", base);
    return n + 1;
}

/* Try every directory for the candidates.  DW_ERR_NOT_FOUND when no file
 * exists; the first existing file decides otherwise. */
static dw_status search(dw_symbols *s, const candidate *c, size_t nc, dw_symfile **out,
                        char *msg, size_t msg_size)
{
    for (size_t d = 0; d < s->ndirs; d++) {
        for (size_t i = 0; i < nc; i++) {
            char path[4096];
            int len = snprintf(path, sizeof path, "%s/%s/%s/%s", s->dirs[d], c[i].name, c[i].id,
                               c[i].file);
            if (len < 0 || (size_t)len >= sizeof path)
                continue;
            struct stat sb;
            if (stat(path, &sb) != 0)
                continue; /* absent (ENOENT/ENOTDIR) or unreachable: try the next */
            dw_error err = {0};
            dw_status st = dw_symfile_open(path, out, &err);
            if (st != DW_OK)
                snprintf(msg, msg_size, "%s", err.message);
            return st;
        }
    }
    snprintf(msg, msg_size, "no symbol file for %s/%s in %zu director%s", c[0].name, c[0].id,
             s->ndirs, s->ndirs == 1 ? "y" : "ies");
    return DW_ERR_NOT_FOUND;
}

/* Look one key up in the cache or the directories (lock held). */
static dw_status find_cached(dw_symbols *s, char kind, const candidate *c, size_t nc,
                             dw_symfile **out)
{
    char key[2 * (MAX_COMPONENT + MAX_ID) + 8];
    snprintf(key, sizeof key, "%c/%s/%s", kind, c[0].name, c[0].id);
    cache_entry *e = cache_find(s, key);
    if (e) {
        *out = e->file;
        if (e->status != DW_OK)
            fail(e->status, "%s", e->message ? e->message : "symbol file unusable");
        return e->status;
    }
    char msg[DW_ERROR_MESSAGE_MAX] = "";
    dw_symfile *file = NULL;
    dw_status st = search(s, c, nc, &file, msg, sizeof msg);
    cache_put(s, key, file, st, st == DW_OK ? NULL : msg);
    *out = file;
    if (st != DW_OK)
        fail(st, "%s", msg);
    return st;
}

dw_status dw_symbols_lookup(dw_symbols *s, const char *debug_file, const char *debug_id,
                            const char *code_file, const char *code_id, dw_symfile **out)
{
    if (!s || !out)
        return fail(DW_ERR_INVALID_ARG, "dw_symbols_lookup: NULL argument");
    *out = NULL;
    const char *dbase = safe_name(debug_file), *cbase = safe_name(code_file);
    int have_debug = dbase && safe_id(debug_id);
    int have_code = cbase && safe_id(code_id);
    if (!have_debug && !have_code)
        return fail(DW_ERR_NOT_FOUND, "module has no usable debug or code identifier");
    pthread_mutex_lock(&s->lock);
    dw_status st = DW_ERR_NOT_FOUND;
    if (have_debug) {
        candidate c[2];
        size_t nc = debug_candidates(dbase, debug_id, c);
        st = find_cached(s, 'D', c, nc, out);
    }
    /* The code-file layout is only a fallback for a missing debug file; a
     * corrupt debug-file .sym is reported as such. */
    if (st == DW_ERR_NOT_FOUND && have_code) {
        candidate c = {.name = cbase, .id = code_id};
        snprintf(c.file, sizeof c.file, "%s.sym", cbase);
        st = find_cached(s, 'C', &c, 1, out);
    }
    pthread_mutex_unlock(&s->lock);
    return st;
}
