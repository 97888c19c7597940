/* Opening a Breakpad symbol file: map it, read the MODULE record (and the
 * INFO CODE_ID record that follows it); on first use choose between text
 * search and the full index, and build the indexes that need building. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbols/symfile.h"
#include "symbols/symtext.h"

/* INFO records sit right after MODULE; stop looking after this many lines. */
#define INFO_SCAN_LINES 16

__attribute__((format(printf, 3, 4))) static void set_error(dw_error *err, dw_status st,
                                                            const char *fmt, ...)
{
    if (!err)
        return;
    err->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

char *dw_symstr_copy(dw_symstr s, char *buf, size_t buf_size)
{
    if (!buf || buf_size == 0)
        return buf;
    size_t n = s.len < buf_size - 1 ? s.len : buf_size - 1;
    if (n)
        memcpy(buf, s.ptr, n);
    buf[n] = '\0';
    return buf;
}

/* The next line [*line, *line_end) at or after p, '\r' stripped; returns the
 * start of the following line. */
static const char *next_line(const char *p, const char *end, const char **line_end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    if (e > p && e[-1] == '\r')
        e--;
    *line_end = e;
    return nl ? nl + 1 : end;
}

typedef struct module_fields {
    sym_tok os, arch, id, name, code_id, code_file;
} module_fields;

/* MODULE operatingsystem architecture id name (name may hold spaces). */
static int parse_module_line(const char *p, const char *e, module_fields *m)
{
    sym_cursor c = {p, e};
    sym_tok t;
    if (!sym_next(&c, &t) || !sym_tok_is(t, "MODULE"))
        return 0;
    if (!sym_next(&c, &m->os) || !sym_next(&c, &m->arch) || !sym_next(&c, &m->id))
        return 0;
    m->name = sym_rest(&c);
    return m->name.len > 0;
}

/* INFO CODE_ID code_id [code_file] */
static void scan_info(const char *p, const char *end, module_fields *m)
{
    for (int i = 0; i < INFO_SCAN_LINES && p < end; i++) {
        const char *e;
        const char *next = next_line(p, end, &e);
        sym_cursor c = {p, e};
        sym_tok t, kind;
        if (!sym_next(&c, &t) || !sym_tok_is(t, "INFO"))
            return;
        if (sym_next(&c, &kind) && sym_tok_is(kind, "CODE_ID") && sym_next(&c, &m->code_id))
            m->code_file = sym_rest(&c);
        p = next;
    }
}

static dw_status read_header(dw_symfile *sf, dw_error *err)
{
    const char *p = sf->text, *end = sf->text + sf->size;
    /* A UTF-8 byte order mark is not part of the first record. */
    if (sf->size >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    const char *e;
    const char *next = next_line(p, end, &e);
    module_fields m;
    memset(&m, 0, sizeof m);
    if (!parse_module_line(p, e, &m)) {
        set_error(err, DW_ERR_FORMAT,
                  "not a Breakpad symbol file: the first line is not "
                  "'MODULE os arch id name'");
        return DW_ERR_FORMAT;
    }
    scan_info(next, end, &m);
    const sym_tok *parts[] = {&m.os, &m.arch, &m.id, &m.name, &m.code_id, &m.code_file};
    size_t total = 0;
    for (size_t i = 0; i < 6; i++)
        total += parts[i]->len + 1;
    sf->module_strings = malloc(total);
    if (!sf->module_strings) {
        set_error(err, DW_ERR_NOMEM, "symbol file: out of memory");
        return DW_ERR_NOMEM;
    }
    const char **dst[] = {&sf->module.os,   &sf->module.arch,    &sf->module.id,
                          &sf->module.name, &sf->module.code_id, &sf->module.code_file};
    char *w = sf->module_strings;
    for (size_t i = 0; i < 6; i++) {
        if (parts[i]->len)
            memcpy(w, parts[i]->s, parts[i]->len);
        w[parts[i]->len] = '\0';
        *dst[i] = w;
        w += parts[i]->len + 1;
    }
    return DW_OK;
}

static dw_symfile *symfile_alloc(void)
{
    dw_symfile *sf = calloc(1, sizeof *sf);
    if (!sf)
        return NULL;
    if (pthread_mutex_init(&sf->index_lock, NULL) != 0) {
        free(sf);
        return NULL;
    }
    atomic_init(&sf->indexed, 0);
    atomic_init(&sf->mode, DW_SYM_LOOKUP_UNDECIDED);
    atomic_init(&sf->text_read, 0);
    atomic_init(&sf->stack_indexed, 0);
    atomic_init(&sf->public_indexed, 0);
    return sf;
}

static dw_status finish_open(dw_symfile *sf, dw_symfile **out, dw_error *err)
{
    sf->text_read_limit = sf->size;
    dw_status st = sf->size > UINT32_MAX ? DW_ERR_LIMIT : DW_OK;
    if (st != DW_OK)
        set_error(err, st, "symbol file larger than 4 GiB is not supported");
    else
        st = read_header(sf, err);
    if (st != DW_OK) {
        dw_symfile_close(sf);
        return st;
    }
    *out = sf;
    return DW_OK;
}

dw_status dw_symfile_open(const char *path, dw_symfile **out, dw_error *err)
{
    if (!path || !out) {
        set_error(err, DW_ERR_INVALID_ARG, "dw_symfile_open: NULL argument");
        return DW_ERR_INVALID_ARG;
    }
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_error(err, DW_ERR_IO, "%s: %s", path, strerror(errno));
        return DW_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        set_error(err, DW_ERR_IO, "%s: not a regular file", path);
        close(fd);
        return DW_ERR_IO;
    }
    if (st.st_size == 0) {
        set_error(err, DW_ERR_FORMAT, "%s: empty file, not a Breakpad symbol file", path);
        close(fd);
        return DW_ERR_FORMAT;
    }
    dw_symfile *sf = symfile_alloc();
    if (!sf) {
        close(fd);
        set_error(err, DW_ERR_NOMEM, "%s: out of memory", path);
        return DW_ERR_NOMEM;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        set_error(err, DW_ERR_IO, "%s: mmap: %s", path, strerror(errno));
        dw_symfile_close(sf);
        return DW_ERR_IO;
    }
    sf->text = map;
    sf->size = (size_t)st.st_size;
    sf->mapped = 1;
    return finish_open(sf, out, err);
}

dw_status dw_symfile_open_buffer(const void *data, size_t size, dw_symfile **out, dw_error *err)
{
    if (!data || !out || size == 0) {
        set_error(err, DW_ERR_INVALID_ARG, "dw_symfile_open_buffer: empty or NULL buffer");
        return DW_ERR_INVALID_ARG;
    }
    *out = NULL;
    dw_symfile *sf = symfile_alloc();
    char *copy = sf ? malloc(size) : NULL;
    if (!copy) {
        free(sf);
        set_error(err, DW_ERR_NOMEM, "symbol buffer: out of memory");
        return DW_ERR_NOMEM;
    }
    memcpy(copy, data, size);
    sf->text = copy;
    sf->size = size;
    return finish_open(sf, out, err);
}

void dw_symfile_close(dw_symfile *sf)
{
    if (!sf)
        return;
    dw_sym_free_index(&sf->index);
    dw_sym_free_index(&sf->stack_index);
    dw_sym_free_index(&sf->public_index);
    dw_sym_text_memo_free(sf->memo);
    if (sf->mapped)
        munmap((void *)sf->text, sf->size);
    else
        free((void *)sf->text);
    free(sf->module_strings);
    pthread_mutex_destroy(&sf->index_lock);
    free(sf);
}

const dw_symfile_module *dw_symfile_module_info(const dw_symfile *sf)
{
    return sf ? &sf->module : NULL;
}

/* Build the full index unless it is built; the caller holds index_lock. */
static dw_status build_index_locked(dw_symfile *sf)
{
    if (!atomic_load_explicit(&sf->indexed, memory_order_relaxed)) {
        sf->index_status = dw_sym_build_index(sf->text, sf->size, &sf->index);
        atomic_store_explicit(&sf->indexed, 1, memory_order_release);
    }
    return sf->index_status;
}

dw_status dw_symfile_ensure_index(dw_symfile *sf)
{
    if (atomic_load_explicit(&sf->indexed, memory_order_acquire))
        return sf->index_status;
    pthread_mutex_lock(&sf->index_lock);
    dw_status st = build_index_locked(sf);
    pthread_mutex_unlock(&sf->index_lock);
    return st;
}

/* Switch to the full index for good; the caller holds index_lock.  The
 * reason is written before the mode, which publishes it. */
static dw_status fall_back_locked(dw_symfile *sf, const char *why)
{
    dw_status st = build_index_locked(sf);
    if (atomic_load_explicit(&sf->mode, memory_order_relaxed) != DW_SYM_LOOKUP_INDEX) {
        snprintf(sf->mode_reason, sizeof sf->mode_reason, "%s",
                 why && *why ? why : "the text search gave up");
        atomic_store_explicit(&sf->mode, DW_SYM_LOOKUP_INDEX, memory_order_release);
    }
    return st;
}

dw_sym_lookup_mode dw_symfile_ensure_mode(dw_symfile *sf, dw_status *st)
{
    int mode = atomic_load_explicit(&sf->mode, memory_order_acquire);
    *st = DW_OK;
    if (mode != DW_SYM_LOOKUP_UNDECIDED)
        return (dw_sym_lookup_mode)mode;
    pthread_mutex_lock(&sf->index_lock);
    mode = atomic_load_explicit(&sf->mode, memory_order_relaxed);
    if (mode == DW_SYM_LOOKUP_UNDECIDED) {
        char why[DW_SYM_CORRUPT_MSG] = "";
        if (dw_sym_plan_text(sf->text, sf->size, &sf->plan, why, sizeof why)) {
            sf->memo = dw_sym_text_memo_new();
            mode = DW_SYM_LOOKUP_TEXT;
            atomic_store_explicit(&sf->mode, mode, memory_order_release);
        } else {
            *st = fall_back_locked(sf, why);
            mode = DW_SYM_LOOKUP_INDEX;
        }
    }
    pthread_mutex_unlock(&sf->index_lock);
    return (dw_sym_lookup_mode)mode;
}

dw_status dw_symfile_fall_back(dw_symfile *sf, const char *why)
{
    pthread_mutex_lock(&sf->index_lock);
    dw_status st = fall_back_locked(sf, why);
    pthread_mutex_unlock(&sf->index_lock);
    return st;
}

dw_sym_lookup_mode dw_symfile_lookup_mode(dw_symfile *sf)
{
    return sf ? (dw_sym_lookup_mode)atomic_load_explicit(&sf->mode, memory_order_acquire)
              : DW_SYM_LOOKUP_UNDECIDED;
}

const char *dw_symfile_lookup_mode_reason(dw_symfile *sf)
{
    return dw_symfile_lookup_mode(sf) == DW_SYM_LOOKUP_INDEX ? sf->mode_reason : "";
}

dw_status dw_symfile_use_index(dw_symfile *sf)
{
    if (!sf)
        return DW_ERR_INVALID_ARG;
    return dw_symfile_fall_back(sf, "the full index was requested");
}

/* In text mode STACK records come from an index of the STACK group alone:
 * dump_syms writes STACK CFI in the order of the unwind tables, not by
 * address, so that group cannot be bisected (and checking its order would
 * read as much as indexing it). */
const sym_index *dw_symfile_stack_records(dw_symfile *sf, dw_status *st)
{
    dw_sym_lookup_mode mode = dw_symfile_ensure_mode(sf, st);
    if (*st != DW_OK)
        return NULL;
    if (mode != DW_SYM_LOOKUP_TEXT ||
        (atomic_load_explicit(&sf->indexed, memory_order_acquire) && sf->index_status == DW_OK)) {
        *st = dw_symfile_ensure_index(sf);
        return *st == DW_OK ? &sf->index : NULL;
    }
    if (!atomic_load_explicit(&sf->stack_indexed, memory_order_acquire)) {
        pthread_mutex_lock(&sf->index_lock);
        if (!atomic_load_explicit(&sf->stack_indexed, memory_order_relaxed)) {
            sf->stack_status = dw_sym_build_index_from(
                sf->text, sf->size, sf->plan.sec[SYM_SEC_STACK], &sf->stack_index);
            atomic_store_explicit(&sf->stack_indexed, 1, memory_order_release);
        }
        pthread_mutex_unlock(&sf->index_lock);
    }
    *st = sf->stack_status;
    return *st == DW_OK ? &sf->stack_index : NULL;
}

/* Parsing the PUBLIC lines alone costs a fraction of the full index: a
 * kernel32.sym from a PDB is a few thousand PUBLICs in the PDB's order and
 * ten times their bytes of STACK WIN records. */
const sym_index *dw_symfile_public_records(dw_symfile *sf, dw_status *st)
{
    if (!atomic_load_explicit(&sf->public_indexed, memory_order_acquire)) {
        pthread_mutex_lock(&sf->index_lock);
        if (!atomic_load_explicit(&sf->public_indexed, memory_order_relaxed)) {
            sf->public_status =
                dw_sym_build_public_index(sf->text, sf->size, sf->plan.sec[SYM_SEC_CODE],
                                          sf->plan.sec[SYM_SEC_STACK], &sf->public_index);
            atomic_store_explicit(&sf->public_indexed, 1, memory_order_release);
        }
        pthread_mutex_unlock(&sf->index_lock);
    }
    *st = sf->public_status;
    return *st == DW_OK ? &sf->public_index : NULL;
}

dw_status dw_symfile_get_stats(dw_symfile *sf, dw_symfile_stats *out)
{
    if (!sf || !out)
        return DW_ERR_INVALID_ARG;
    dw_status st = dw_symfile_ensure_index(sf);
    if (st == DW_OK)
        *out = sf->index.stats;
    return st;
}

size_t dw_symfile_corrupt_count(dw_symfile *sf)
{
    if (!sf || dw_symfile_ensure_index(sf) != DW_OK)
        return 0;
    return sf->index.stats.corrupt;
}

size_t dw_symfile_corrupt_messages(dw_symfile *sf)
{
    if (!sf || dw_symfile_ensure_index(sf) != DW_OK)
        return 0;
    return sf->index.nmessages;
}

const char *dw_symfile_corrupt_message(dw_symfile *sf, size_t index)
{
    if (index >= dw_symfile_corrupt_messages(sf))
        return NULL;
    return sf->index.messages[index];
}

dw_symstr dw_sym_named_lookup(const dw_symfile *sf, const sym_named *arr, size_t n,
                              uint32_t number)
{
    size_t lo = 0, hi = n; /* first element with number >= wanted */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (arr[mid].number < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n && arr[lo].number == number)
        return dw_sym_str(sf, arr[lo].name);
    dw_symstr none = {NULL, 0};
    return none;
}
