#include "util/text.h"

#include <string.h>

#include "util/reader.h"

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

char *dw_utf16le_to_utf8(dw_arena *a, const uint8_t *p, size_t units)
{
    /* Each unit yields at most 3 bytes (a surrogate pair, 2 units, yields 4). */
    if (units > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = dw_arena_alloc(a, units * 3 + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < units; i++) {
        uint32_t cp = dw_le16(p + 2 * i);
        if (cp == 0)
            break;
        if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < units) {
            uint32_t lo = dw_le16(p + 2 * (i + 1));
            if (lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                i++;
            } else {
                cp = 0xfffd;
            }
        } else if (cp >= 0xd800 && cp <= 0xdfff) {
            cp = 0xfffd;
        }
        n += utf8_encode(cp, out + n);
    }
    out[n] = '\0';
    return out;
}

char *dw_concat3(char *dst, size_t size, const char *a, const char *b, const char *c)
{
    const char *parts[3] = {a, b, c};
    size_t used = 0;
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(parts[i]);
        if (n > size - 1 - used)
            n = size - 1 - used;
        memcpy(dst + used, parts[i], n);
        used += n;
    }
    dst[used] = '\0';
    return dst;
}

char *dw_put_hex(char *out, uint64_t v, int min_digits, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[64];
    int n = 0;
    do {
        tmp[n++] = digits[v & 15];
        v >>= 4;
    } while (v);
    while (n < min_digits && n < (int)sizeof tmp)
        tmp[n++] = '0';
    while (n)
        *out++ = tmp[--n];
    return out;
}

const char *dw_path_basename(const char *path)
{
    const char *base = path;
    for (const char *p = path; *p; p++) {
        if (*p == '\\' || *p == '/')
            base = p + 1;
    }
    return base;
}
