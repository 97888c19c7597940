/* Finding the dumps a batch run reports on.
 *
 * Named files are always reported (a failure object says why one is no
 * dump); inside directories only files whose first bytes announce a dump are
 * taken, so a crash folder holding logs and dumps needs no filtering.  The
 * order is the order of the named paths, and inside a directory the byte
 * order of the names, so two runs over the same tree give the same lines. */
#include "batch/inputs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/reader.h"

/* Directory nesting followed at most; deeper trees are reported as a
 * failure item instead of recursing without bound. */
#define MAX_DEPTH 32
/* Bytes of a file looked at to recognise it. */
#define HEAD_SIZE 64

/* ELF gABI: e_ident[EI_DATA] at 5 (1 = little-endian, 2 = big-endian),
 * e_type at 16, ET_CORE = 4. */
#define ELF_EI_DATA 5
#define ELF_E_TYPE 16
#define ELF_ET_CORE 4

/* Signatures at offset 0 of the formats dw_dump_open reads: the minidump
 * header's Signature 'MDMP' (MINIDUMP_HEADER), and the kernel-dump formats
 * of the libkdumpfile backend: compressed kdump and diskdump headers
 * ("KDUMP   ", "DISKDUMP") and makedumpfile's flattened format. */
static const struct {
    const char *magic;
    size_t len;
} dump_signatures[] = {
    {"MDMP", 4},
    {"KDUMP   ", 8},
    {"DISKDUMP", 8},
    {"makedumpfile", 12},
};

static int is_elf_core(const unsigned char *head, size_t size)
{
    if (size < ELF_E_TYPE + 2 || memcmp(head,
                                        "\x7f"
                                        "ELF",
                                        4) != 0)
        return 0;
    unsigned type = head[ELF_EI_DATA] == 2 ? (unsigned)head[ELF_E_TYPE] << 8 | head[ELF_E_TYPE + 1]
                                           : dw_le16(head + ELF_E_TYPE);
    return type == ELF_ET_CORE;
}

int dw_batch_is_dump_magic(const unsigned char *head, size_t size)
{
    for (size_t i = 0; i < sizeof dump_signatures / sizeof dump_signatures[0]; i++) {
        if (size >= dump_signatures[i].len &&
            memcmp(head, dump_signatures[i].magic, dump_signatures[i].len) == 0)
            return 1;
    }
    return is_elf_core(head, size);
}

/* gzip member header: ID1 0x1f, ID2 0x8b (RFC 1952, 2.3.1). */
static int is_gzip(const unsigned char *head, size_t size)
{
    return size >= 2 && head[0] == 0x1f && head[1] == 0x8b;
}

/* The first bytes of the file, inflated when it is gzip.  -1 when the file
 * cannot be read (errno set). */
static ssize_t read_head(const char *path, unsigned char *head)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, head, HEAD_SIZE);
    if (n < 0 || !is_gzip(head, (size_t)n)) {
        int saved = errno;
        close(fd);
        errno = saved;
        return n;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    gzFile gz = gzdopen(fd, "rb"); /* owns fd from here */
    if (!gz) {
        close(fd);
        return 0;
    }
    int got = gzread(gz, head, HEAD_SIZE);
    gzclose(gz);
    return got < 0 ? 0 : got;
}

static dw_status push(dw_batch_inputs *in, const char *path, dw_status status, const char *error)
{
    if (in->count == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 64;
        dw_batch_input *items = realloc(in->items, cap * sizeof *items);
        if (!items)
            return DW_ERR_NOMEM;
        in->items = items;
        in->cap = cap;
    }
    dw_batch_input *it = &in->items[in->count];
    it->path = strdup(path);
    it->status = status;
    it->error = error ? strdup(error) : NULL;
    if (!it->path || (error && !it->error)) {
        free(it->path);
        free(it->error);
        return DW_ERR_NOMEM;
    }
    in->count++;
    return DW_OK;
}

static dw_status push_errno(dw_batch_inputs *in, const char *path, const char *what, int err)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s: %s: %s", path, what, strerror(err));
    return push(in, path, DW_ERR_IO, msg);
}

/* A file found inside a directory: taken only when it looks like a dump
 * (or cannot be read, which the user should hear about). */
static dw_status add_found_file(dw_batch_inputs *in, const char *path)
{
    unsigned char head[HEAD_SIZE];
    ssize_t n = read_head(path, head);
    if (n < 0)
        return push_errno(in, path, "cannot read", errno);
    return dw_batch_is_dump_magic(head, (size_t)n) ? push(in, path, DW_OK, NULL) : DW_OK;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entry names of a directory, sorted; NULL with errno on failure. */
static char **list_dir(const char *path, size_t *count)
{
    DIR *d = opendir(path);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int failed = 0;
    while (!failed && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **grown = realloc(names, cap * sizeof *names);
            failed = !grown;
            if (grown)
                names = grown;
        }
        if (!failed && !(names[n] = strdup(e->d_name)))
            failed = 1;
        n += !failed;
    }
    closedir(d);
    if (failed) {
        while (n)
            free(names[--n]);
        free(names);
        errno = ENOMEM;
        return NULL;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, compare_names);
    *count = n;
    return names ? names : calloc(1, sizeof *names);
}

static dw_status add_dir(dw_batch_inputs *in, const char *path, int depth);

/* One directory entry: recurse into real directories (not symlinks to
 * them, which could loop), look at regular files (symlinked ones too). */
static dw_status add_entry(dw_batch_inputs *in, const char *path, int depth)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return push_errno(in, path, "cannot stat", errno);
    if (S_ISDIR(st.st_mode))
        return add_dir(in, path, depth + 1);
    if (S_ISLNK(st.st_mode) && (stat(path, &st) != 0 || !S_ISREG(st.st_mode)))
        return DW_OK;
    return S_ISREG(st.st_mode) ? add_found_file(in, path) : DW_OK;
}

static dw_status add_dir(dw_batch_inputs *in, const char *path, int depth)
{
    if (depth > MAX_DEPTH) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s: directories nested deeper than %d levels are not searched",
                 path, MAX_DEPTH);
        return push(in, path, DW_ERR_LIMIT, msg);
    }
    size_t n = 0;
    char **names = list_dir(path, &n);
    if (!names)
        return errno == ENOMEM ? DW_ERR_NOMEM : push_errno(in, path, "cannot list", errno);
    dw_status st = DW_OK;
    size_t plen = strlen(path);
    int slash = plen > 0 && path[plen - 1] == '/';
    for (size_t i = 0; i < n && st == DW_OK; i++) {
        char *child = malloc(plen + strlen(names[i]) + 2);
        if (!child) {
            st = DW_ERR_NOMEM;
            break;
        }
        sprintf(child, "%s%s%s", path, slash ? "" : "/", names[i]);
        st = add_entry(in, child, depth);
        free(child);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return st;
}

dw_status dw_batch_inputs_collect(const char *const *paths, size_t path_count, dw_batch_inputs *out)
{
    memset(out, 0, sizeof *out);
    dw_status st = DW_OK;
    for (size_t i = 0; i < path_count && st == DW_OK; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0)
            st = push_errno(out, paths[i], "cannot open", errno);
        else if (S_ISDIR(sb.st_mode))
            st = add_dir(out, paths[i], 0);
        else
            st = push(out, paths[i], DW_OK, NULL); /* named: always reported */
    }
    if (st != DW_OK)
        dw_batch_inputs_free(out);
    return st;
}

void dw_batch_inputs_free(dw_batch_inputs *in)
{
    for (size_t i = 0; i < in->count; i++) {
        free(in->items[i].path);
        free(in->items[i].error);
    }
    free(in->items);
    memset(in, 0, sizeof *in);
}
