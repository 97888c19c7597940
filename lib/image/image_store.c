/* Image files on disk (see image_store.h for the layouts). */
#include "image/image_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/text.h"

/* Bounds on what a store will do: directories, cached lookups, and entries
 * scanned in one directory listing. */
#define MAX_STORE_DIRS 64
#define MAX_CACHE_ENTRIES 4096
#define MAX_DIR_SCAN 100000
#define PATH_MAX_LEN 4096

static void set_error(dw_error *err, dw_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(dw_error *err, dw_status status, const char *fmt, ...)
{
    if (!err)
        return;
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

/* ---- the mapped view of one file ---- */

static size_t copy_file_bytes(const dw_image_file *f, uint64_t offset, uint8_t *buf, size_t len)
{
    if (offset >= f->size)
        return 0;
    size_t n = f->size - offset < len ? (size_t)(f->size - offset) : len;
    memcpy(buf, f->data + offset, n);
    return n;
}

/* Start of the first section above rva (or SizeOfImage): where a zero gap ends. */
static uint64_t next_section_start(const dw_pe *pe, uint64_t rva)
{
    uint64_t next = pe->size_of_image;
    for (uint16_t i = 0; i < pe->section_count; i++) {
        uint32_t va = pe->sections[i].virtual_address;
        if (va > rva && va < next)
            next = va;
    }
    return next;
}

/* Bytes at rva inside one section: raw data, then zeros up to VirtualSize. */
static size_t read_section(const dw_image_file *f, const dw_pe_section *s, uint64_t rva,
                           uint8_t *buf, size_t len)
{
    uint64_t off = rva - s->virtual_address;
    uint64_t span = s->virtual_size > s->raw_size ? s->virtual_size : s->raw_size;
    if (len > span - off)
        len = (size_t)(span - off);
    if (off < s->raw_size) {
        size_t want = s->raw_size - off < len ? (size_t)(s->raw_size - off) : len;
        size_t got = copy_file_bytes(f, (uint64_t)s->raw_offset + off, buf, want);
        /* Raw data cut short by the end of the file is not in the image. */
        return got;
    }
    memset(buf, 0, len);
    return len;
}

/* One contiguous piece at rva; 0 when rva is outside the image. */
static size_t read_piece(const dw_image_file *f, uint64_t rva, uint8_t *buf, size_t len)
{
    const dw_pe *pe = &f->pe;
    if (!f->mapped)
        return copy_file_bytes(f, rva, buf, len);
    if (rva >= pe->size_of_image)
        return 0;
    if (len > pe->size_of_image - rva)
        len = (size_t)(pe->size_of_image - rva);
    if (rva < pe->size_of_headers) {
        size_t want = pe->size_of_headers - rva < len ? (size_t)(pe->size_of_headers - rva) : len;
        return copy_file_bytes(f, rva, buf, want);
    }
    const dw_pe_section *s = dw_pe_section_at(pe, (uint32_t)rva);
    if (s)
        return read_section(f, s, rva, buf, len);
    uint64_t gap = next_section_start(pe, rva) - rva;
    if (len > gap)
        len = (size_t)gap;
    memset(buf, 0, len);
    return len;
}

size_t dw_image_file_read(void *ctx, uint64_t rva, void *buf, size_t len)
{
    const dw_image_file *f = ctx;
    size_t done = 0;
    /* Each piece ends at a header/section/gap boundary: at most
     * 2 * sections + 2 pieces. */
    for (unsigned i = 0; done < len && i < 2 * DW_PE_MAX_SECTIONS + 2; i++) {
        size_t n = read_piece(f, rva + done, (uint8_t *)buf + done, len - done);
        if (n == 0)
            break;
        done += n;
    }
    return done;
}

dw_status dw_image_file_open(const char *path, dw_image_file **out, dw_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_error(err, DW_ERR_IO, "%s: cannot open", path);
        return DW_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
        close(fd);
        set_error(err, DW_ERR_IO, "%s: not a regular non-empty file", path);
        return DW_ERR_IO;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    dw_image_file *f = calloc(1, sizeof *f);
    char *copy = strdup(path);
    if (map == MAP_FAILED || !f || !copy) {
        if (map != MAP_FAILED)
            munmap(map, (size_t)st.st_size);
        free(f);
        free(copy);
        set_error(err, DW_ERR_IO, "%s: cannot map", path);
        return DW_ERR_IO;
    }
    f->path = copy;
    f->data = map;
    f->size = (size_t)st.st_size;
    dw_status status = dw_pe_open(&f->pe, dw_image_file_read, f);
    if (status != DW_OK) {
        set_error(err, status, "%s: %s", path, f->pe.error);
        dw_image_file_close(f);
        return status;
    }
    f->mapped = 1;
    *out = f;
    return DW_OK;
}

void dw_image_file_close(dw_image_file *file)
{
    if (!file)
        return;
    if (file->data)
        munmap((void *)file->data, file->size);
    free(file->path);
    free(file);
}

/* ---- the store ---- */

typedef struct cache_entry {
    char *name;
    uint32_t timestamp;
    uint32_t size_of_image;
    dw_image_file *file; /* NULL: known to be absent */
} cache_entry;

struct dw_image_store {
    char *dirs[MAX_STORE_DIRS];
    size_t dir_count;
    cache_entry *cache;
    size_t cache_count;
};

dw_status dw_image_store_new(dw_image_store **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? DW_OK : DW_ERR_NOMEM;
}

dw_status dw_image_store_add_dir(dw_image_store *store, const char *dir)
{
    if (store->dir_count >= MAX_STORE_DIRS)
        return DW_ERR_LIMIT;
    char *copy = strdup(dir);
    if (!copy)
        return DW_ERR_NOMEM;
    store->dirs[store->dir_count++] = copy;
    return DW_OK;
}

void dw_image_store_free(dw_image_store *store)
{
    if (!store)
        return;
    for (size_t i = 0; i < store->dir_count; i++)
        free(store->dirs[i]);
    for (size_t i = 0; i < store->cache_count; i++) {
        free(store->cache[i].name);
        dw_image_file_close(store->cache[i].file);
    }
    free(store->cache);
    free(store);
}

/* "<dir>/<name>" where name matches an entry of dir case-insensitively
 * (exact spelling tried first). */
static int join_ci(const char *dir, const char *name, char *out, size_t out_size)
{
    struct stat st;
    if (snprintf(out, out_size, "%s/%s", dir, name) >= (int)out_size)
        return 0;
    if (stat(out, &st) == 0)
        return 1;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    for (size_t i = 0; !found && i < MAX_DIR_SCAN && (e = readdir(d)) != NULL; i++) {
        if (strcasecmp(e->d_name, name) == 0)
            found = snprintf(out, out_size, "%s/%s", dir, e->d_name) < (int)out_size;
    }
    closedir(d);
    return found;
}

static int identity_matches(const dw_image_file *f, uint32_t timestamp, uint32_t size_of_image)
{
    return f->pe.time_date_stamp == timestamp && f->pe.size_of_image == size_of_image;
}

/* Open path and keep it only if it is the requested image. */
static dw_image_file *open_if_match(const char *path, uint32_t timestamp, uint32_t size_of_image)
{
    dw_image_file *f;
    if (dw_image_file_open(path, &f, NULL) != DW_OK)
        return NULL;
    if (identity_matches(f, timestamp, size_of_image))
        return f;
    dw_image_file_close(f);
    return NULL;
}

static dw_image_file *find_symbol_server(const char *dir, const char *name, uint32_t timestamp,
                                         uint32_t size_of_image)
{
    char by_name[PATH_MAX_LEN], by_key[PATH_MAX_LEN], file[PATH_MAX_LEN], key[32];
    /* Breakpad/symbol-server code id: TimeDateStamp %08X then SizeOfImage %x;
     * join_ci accepts any case of either half. */
    snprintf(key, sizeof key, "%08X%x", timestamp, size_of_image);
    if (!join_ci(dir, name, by_name, sizeof by_name) ||
        !join_ci(by_name, key, by_key, sizeof by_key) || !join_ci(by_key, name, file, sizeof file))
        return NULL;
    return open_if_match(file, timestamp, size_of_image);
}

static dw_image_file *find_flat(const char *dir, const char *name, uint32_t timestamp,
                                uint32_t size_of_image)
{
    char path[PATH_MAX_LEN];
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    dw_image_file *found = NULL;
    struct dirent *e;
    for (size_t i = 0; !found && i < MAX_DIR_SCAN && (e = readdir(d)) != NULL; i++) {
        if (strcasecmp(e->d_name, name) != 0)
            continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            found = open_if_match(path, timestamp, size_of_image);
    }
    closedir(d);
    return found;
}

static cache_entry *cache_lookup(dw_image_store *store, const char *name, uint32_t timestamp,
                                 uint32_t size_of_image)
{
    for (size_t i = 0; i < store->cache_count; i++) {
        cache_entry *c = &store->cache[i];
        if (c->timestamp == timestamp && c->size_of_image == size_of_image &&
            strcasecmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

/* Remember a lookup result; on failure the file is closed and NULL returned. */
static cache_entry *cache_add(dw_image_store *store, const char *name, uint32_t timestamp,
                              uint32_t size_of_image, dw_image_file *file)
{
    char *copy = NULL;
    if (store->cache_count >= MAX_CACHE_ENTRIES)
        goto fail;
    if (store->cache_count % 16 == 0) {
        cache_entry *grown =
            realloc(store->cache, (store->cache_count + 16) * sizeof *store->cache);
        if (!grown)
            goto fail;
        store->cache = grown;
    }
    copy = strdup(name);
    if (!copy)
        goto fail;
    cache_entry *c = &store->cache[store->cache_count++];
    *c = (cache_entry){copy, timestamp, size_of_image, file};
    return c;
fail:
    dw_image_file_close(file);
    return NULL;
}

dw_status dw_image_store_find(dw_image_store *store, const char *code_file, uint32_t timestamp,
                              uint32_t size_of_image, const dw_image_file **out)
{
    *out = NULL;
    /* The name comes from the dump: one path component, never "." or "..",
     * so a dump cannot make the lookup leave the image directories. */
    const char *name = dw_path_basename(code_file);
    if (!name[0] || !strcmp(name, ".") || !strcmp(name, ".."))
        return DW_ERR_INVALID_ARG;
    cache_entry *hit = cache_lookup(store, name, timestamp, size_of_image);
    if (hit) {
        *out = hit->file;
        return hit->file ? DW_OK : DW_ERR_NOT_FOUND;
    }
    dw_image_file *file = NULL;
    for (size_t i = 0; !file && i < store->dir_count; i++) {
        file = find_symbol_server(store->dirs[i], name, timestamp, size_of_image);
        if (!file)
            file = find_flat(store->dirs[i], name, timestamp, size_of_image);
    }
    cache_entry *added = cache_add(store, name, timestamp, size_of_image, file);
    if (!added)
        return store->cache_count >= MAX_CACHE_ENTRIES ? DW_ERR_LIMIT : DW_ERR_NOMEM;
    *out = added->file;
    return *out ? DW_OK : DW_ERR_NOT_FOUND;
}
