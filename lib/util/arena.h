/* A bump allocator owned by a dump handle: strings and arrays decoded from
 * the dump live here and are freed together when the handle closes, so
 * borrowed pointers handed to callers need no individual ownership. */
#ifndef DW_UTIL_ARENA_H
#define DW_UTIL_ARENA_H

#include <stddef.h>

typedef struct dw_arena_block dw_arena_block;
typedef struct dw_arena {
    dw_arena_block *head;
    size_t total; /* bytes handed out, for resource caps */
} dw_arena;

void dw_arena_init(dw_arena *a);
void dw_arena_free(dw_arena *a);
/* Zeroed memory aligned for any scalar; NULL on failure. */
void *dw_arena_alloc(dw_arena *a, size_t size);
/* count * size with overflow check. */
void *dw_arena_calloc(dw_arena *a, size_t count, size_t size);
char *dw_arena_strndup(dw_arena *a, const char *s, size_t n);
char *dw_arena_strdup(dw_arena *a, const char *s);
char *dw_arena_printf(dw_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
