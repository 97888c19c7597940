/* Where dump bytes come from: a read-only mmap of a file, a caller's buffer,
 * or gzip input inflated into memory under a size cap. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "minidump/internal.h"

void dw_error_set(dw_error *err, dw_status status, const char *fmt, ...)
{
    if (!err)
        return;
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

static int is_gzip(const uint8_t *data, size_t size)
{
    return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

/* Inflate a whole gzip member into a growing heap buffer, refusing output
 * beyond max_out.  The buffer grows geometrically, so the cost is
 * proportional to the output. */
static dw_status inflate_gzip(const uint8_t *in, size_t in_size, uint64_t max_out, dw_source *src,
                              dw_error *err)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {
        dw_error_set(err, DW_ERR_NOMEM, "gzip: cannot initialise zlib");
        return DW_ERR_NOMEM;
    }
    size_t cap = in_size < (1u << 20) ? (1u << 20) : in_size * 4;
    if (cap > max_out)
        cap = (size_t)max_out;
    if (cap == 0)
        cap = 1;
    uint8_t *out = malloc(cap);
    size_t used = 0;
    dw_status st = DW_OK;
    int zr = Z_OK;
    zs.next_in = (Bytef *)in;
    /* zlib counts input in uInt; feed large inputs in chunks. */
    size_t in_left = in_size;
    while (out && zr != Z_STREAM_END) {
        if (zs.avail_in == 0 && in_left > 0) {
            zs.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
            in_left -= zs.avail_in;
        }
        if (used == cap) {
            if (cap >= max_out) {
                st = DW_ERR_LIMIT;
                dw_error_set(err, st,
                             "gzip: inflated data exceeds the %llu-byte cap "
                             "(raise dw_open_options.max_inflated_size)",
                             (unsigned long long)max_out);
                break;
            }
            size_t ncap = cap * 2 > max_out ? (size_t)max_out : cap * 2;
            uint8_t *n = realloc(out, ncap);
            if (!n) {
                st = DW_ERR_NOMEM;
                dw_error_set(err, st, "gzip: out of memory after %zu inflated bytes", used);
                break;
            }
            out = n;
            cap = ncap;
        }
        size_t room = cap - used;
        zs.next_out = out + used;
        zs.avail_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
        uInt before = zs.avail_out;
        zr = inflate(&zs, Z_NO_FLUSH);
        used += before - zs.avail_out;
        if (zr == Z_STREAM_END)
            break;
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            st = DW_ERR_FORMAT;
            dw_error_set(err, st, "gzip: corrupt compressed data after %zu bytes (%s)", used,
                         zs.msg ? zs.msg : "zlib error");
            break;
        }
        if (zr == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) {
            st = DW_ERR_TRUNCATED;
            dw_error_set(err, st,
                         "gzip: input ends before the compressed stream does "
                         "(%zu bytes inflated)",
                         used);
            break;
        }
    }
    inflateEnd(&zs);
    if (!out && st == DW_OK) {
        st = DW_ERR_NOMEM;
        dw_error_set(err, st, "gzip: out of memory");
    }
    if (st != DW_OK) {
        free(out);
        return st;
    }
    src->owned = out;
    src->data = out;
    src->size = used;
    return DW_OK;
}

dw_status dw_source_open_buffer(const void *data, size_t size, uint64_t max_inflated,
                                dw_source *src, dw_error *err)
{
    memset(src, 0, sizeof *src);
    if (!data && size) {
        dw_error_set(err, DW_ERR_INVALID_ARG, "buffer is NULL but size is %zu", size);
        return DW_ERR_INVALID_ARG;
    }
    if (is_gzip(data, size))
        return inflate_gzip(data, size, max_inflated, src, err);
    src->data = data;
    src->size = size;
    return DW_OK;
}

dw_status dw_source_open_path(const char *path, uint64_t max_inflated, dw_source *src,
                              dw_error *err)
{
    memset(src, 0, sizeof *src);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        dw_error_set(err, DW_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return DW_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        dw_error_set(err, DW_ERR_IO, "%s: not a regular file", path);
        close(fd);
        return DW_ERR_IO;
    }
    size_t size = (size_t)st.st_size;
    if (size == 0) {
        close(fd);
        dw_error_set(err, DW_ERR_FORMAT, "%s: file is empty", path);
        return DW_ERR_FORMAT;
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        dw_error_set(err, DW_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
        return DW_ERR_IO;
    }
    if (is_gzip(map, size)) {
        dw_status s = inflate_gzip(map, size, max_inflated, src, err);
        munmap(map, size);
        return s;
    }
    src->data = map;
    src->size = size;
    src->mapping = map;
    src->mapping_size = size;
    return DW_OK;
}

void dw_source_close(dw_source *src)
{
    if (src->mapping)
        munmap(src->mapping, src->mapping_size);
    free(src->owned);
    memset(src, 0, sizeof *src);
}
