#include "util/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_DEFAULT (16 * 1024)
#define ARENA_ALIGN 16

struct dw_arena_block {
    dw_arena_block *next;
    size_t used;
    size_t cap;
    _Alignas(16) unsigned char mem[];
};

void dw_arena_init(dw_arena *a)
{
    a->head = NULL;
    a->total = 0;
}

void dw_arena_free(dw_arena *a)
{
    dw_arena_block *b = a->head;
    while (b) {
        dw_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}

static dw_arena_block *arena_new_block(size_t need)
{
    size_t cap = need > ARENA_BLOCK_DEFAULT ? need : ARENA_BLOCK_DEFAULT;
    if (cap > SIZE_MAX - sizeof(dw_arena_block))
        return NULL;
    dw_arena_block *b = malloc(sizeof(dw_arena_block) + cap);
    if (!b)
        return NULL;
    b->next = NULL;
    b->used = 0;
    b->cap = cap;
    return b;
}

void *dw_arena_alloc(dw_arena *a, size_t size)
{
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    size_t rounded = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    dw_arena_block *b = a->head;
    if (!b || b->cap - b->used < rounded) {
        dw_arena_block *nb = arena_new_block(rounded);
        if (!nb)
            return NULL;
        /* A large one-off allocation goes behind the head so the head's
         * free space stays usable. */
        if (b && rounded > ARENA_BLOCK_DEFAULT) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = b->mem + b->used;
    b->used += rounded;
    a->total += rounded;
    memset(p, 0, size);
    return p;
}

void *dw_arena_calloc(dw_arena *a, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    return dw_arena_alloc(a, count * size);
}

char *dw_arena_strndup(dw_arena *a, const char *s, size_t n)
{
    char *p = dw_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *dw_arena_strdup(dw_arena *a, const char *s)
{
    return dw_arena_strndup(a, s, strlen(s));
}

char *dw_arena_printf(dw_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = dw_arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
