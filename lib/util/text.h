/* Text decoding helpers: UTF-16LE to UTF-8 and printable sanitizing. */
#ifndef DW_UTIL_TEXT_H
#define DW_UTIL_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

/* Convert `units` UTF-16LE code units at p into a NUL-terminated UTF-8 string
 * in the arena.  Unpaired surrogates become U+FFFD.  Stops at a NUL unit. */
char *dw_utf16le_to_utf8(dw_arena *a, const uint8_t *p, size_t units);

/* Copy the strings a, b, c one after another into dst (size > 0), cut to
 * fit and NUL-terminated: snprintf(dst, size, "%s%s%s", ...) for hot paths,
 * without the format parsing.  Returns dst. */
char *dw_concat3(char *dst, size_t size, const char *a, const char *b, const char *c);

/* v in hex at out, most significant digit first: at least `min_digits`
 * digits (zero padded, at most 64), else as many as v needs; upper or lower
 * case.  out holds 64 bytes when min_digits may exceed 16.  Returns the end
 * (no NUL is written).  For hot paths: snprintf's "%0*llX" without the
 * format parsing. */
char *dw_put_hex(char *out, uint64_t v, int min_digits, int upper);

/* Basename of a Windows or POSIX path (after the last '\\' or '/'). */
const char *dw_path_basename(const char *path);

#endif
