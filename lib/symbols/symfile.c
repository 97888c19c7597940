/* Opening a Breakpad symbol file: map it, read the MODULE record (and the
 * INFO CODE_ID record that follows it), and build the index on first use. */
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
    return sf;
}

static dw_status finish_open(dw_symfile *sf, dw_symfile **out, dw_error *err)
{
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

dw_status dw_symfile_ensure_index(dw_symfile *sf)
{
    if (atomic_load_explicit(&sf->indexed, memory_order_acquire))
        return sf->index_status;
    pthread_mutex_lock(&sf->index_lock);
    if (!atomic_load_explicit(&sf->indexed, memory_order_relaxed)) {
        sf->index_status = dw_sym_build_index(sf->text, sf->size, &sf->index);
        atomic_store_explicit(&sf->indexed, 1, memory_order_release);
    }
    pthread_mutex_unlock(&sf->index_lock);
    return sf->index_status;
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
