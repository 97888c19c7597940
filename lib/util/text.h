/* Text decoding helpers: UTF-16LE to UTF-8 and printable sanitizing. */
#ifndef DW_UTIL_TEXT_H
#define DW_UTIL_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

/* Convert `units` UTF-16LE code units at p into a NUL-terminated UTF-8 string
 * in the arena.  Unpaired surrogates become U+FFFD.  Stops at a NUL unit. */
char *dw_utf16le_to_utf8(dw_arena *a, const uint8_t *p, size_t units);

/* Basename of a Windows or POSIX path (after the last '\\' or '/'). */
const char *dw_path_basename(const char *path);

#endif
