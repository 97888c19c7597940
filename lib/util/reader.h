/* The one bounds-checked reader every byte of dump data goes through.
 *
 * A dw_reader is a window [data, data+size) with a cursor.  Every get checks
 * `pos + n <= size` without overflow; a failed read sets `failed` and returns
 * zero, so a parser can read a whole record and check once.  Fields are
 * decoded little-endian explicitly; structs are never cast onto bytes.
 */
#ifndef DW_UTIL_READER_H
#define DW_UTIL_READER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct dw_reader {
    const uint8_t *data;
    size_t size;
    size_t pos;
    int failed;
} dw_reader;

static inline dw_reader dw_reader_make(const void *data, size_t size)
{
    dw_reader r = {(const uint8_t *)data, size, 0, 0};
    return r;
}

/* Does [offset, offset+len) lie inside a window of `size` bytes? */
static inline int dw_range_ok(uint64_t offset, uint64_t len, uint64_t size)
{
    return offset <= size && len <= size - offset;
}

/* A sub-window at an absolute offset; `ok` is 0 (and the window empty) when
 * it does not fit. */
static inline dw_reader dw_reader_sub(const dw_reader *r, uint64_t offset, uint64_t len, int *ok)
{
    if (!dw_range_ok(offset, len, r->size)) {
        if (ok)
            *ok = 0;
        return dw_reader_make(NULL, 0);
    }
    if (ok)
        *ok = 1;
    return dw_reader_make(r->data + offset, (size_t)len);
}

/* Like dw_reader_sub but clamps to what exists instead of failing. */
static inline dw_reader dw_reader_sub_clamped(const dw_reader *r, uint64_t offset, uint64_t len)
{
    if (offset >= r->size)
        return dw_reader_make(NULL, 0);
    uint64_t avail = r->size - offset;
    return dw_reader_make(r->data + offset, (size_t)(len < avail ? len : avail));
}

static inline size_t dw_reader_remaining(const dw_reader *r)
{
    return r->pos <= r->size ? r->size - r->pos : 0;
}

static inline int dw_reader_seek(dw_reader *r, uint64_t pos)
{
    if (pos > r->size) {
        r->failed = 1;
        return 0;
    }
    r->pos = (size_t)pos;
    return 1;
}

/* Pointer to the next n bytes and advance, or NULL (and failed) if short. */
static inline const uint8_t *dw_reader_take(dw_reader *r, size_t n)
{
    if (r->failed || !dw_range_ok(r->pos, n, r->size)) {
        r->failed = 1;
        return NULL;
    }
    const uint8_t *p = r->data + r->pos;
    r->pos += n;
    return p;
}

static inline int dw_reader_skip(dw_reader *r, size_t n)
{
    return dw_reader_take(r, n) != NULL;
}

static inline uint16_t dw_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t dw_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t dw_le64(const uint8_t *p)
{
    return (uint64_t)dw_le32(p) | ((uint64_t)dw_le32(p + 4) << 32);
}

static inline uint8_t dw_read_u8(dw_reader *r)
{
    const uint8_t *p = dw_reader_take(r, 1);
    return p ? p[0] : 0;
}

static inline uint16_t dw_read_u16(dw_reader *r)
{
    const uint8_t *p = dw_reader_take(r, 2);
    return p ? dw_le16(p) : 0;
}

static inline uint32_t dw_read_u32(dw_reader *r)
{
    const uint8_t *p = dw_reader_take(r, 4);
    return p ? dw_le32(p) : 0;
}

static inline uint64_t dw_read_u64(dw_reader *r)
{
    const uint8_t *p = dw_reader_take(r, 8);
    return p ? dw_le64(p) : 0;
}

/* Copy n bytes out (zero-filled on failure). */
static inline int dw_read_bytes(dw_reader *r, void *out, size_t n)
{
    const uint8_t *p = dw_reader_take(r, n);
    if (!p) {
        memset(out, 0, n);
        return 0;
    }
    memcpy(out, p, n);
    return 1;
}

/* Read a u32/u64 at an absolute offset without moving the cursor. */
static inline int dw_peek_u32(const dw_reader *r, uint64_t offset, uint32_t *out)
{
    if (!dw_range_ok(offset, 4, r->size))
        return 0;
    *out = dw_le32(r->data + offset);
    return 1;
}

static inline int dw_peek_u64(const dw_reader *r, uint64_t offset, uint64_t *out)
{
    if (!dw_range_ok(offset, 8, r->size))
        return 0;
    *out = dw_le64(r->data + offset);
    return 1;
}

/* count * elem_size without overflow; 0 on overflow. */
static inline int dw_mul_ok(uint64_t count, uint64_t elem_size, uint64_t *out)
{
    if (elem_size != 0 && count > UINT64_MAX / elem_size)
        return 0;
    *out = count * elem_size;
    return 1;
}

#endif
