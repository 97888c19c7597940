/* A small streaming JSON writer: correct escaping, commas placed by the
 * writer, nesting bounded.  Output collects in a buffer that goes to the
 * FILE* when full and at dw_json_finish (a report of a thousand frames made
 * tens of thousands of stdio calls, a fifth of a walk's time); nothing else
 * may write to that FILE* between dw_json_init and dw_json_finish. */
#ifndef DW_REPORT_JSON_H
#define DW_REPORT_JSON_H

#include <stdint.h>
#include <stdio.h>

/* Nesting the writer keeps commas for; deeper items (a caller's bug: the
 * reports nest a few levels) get none. */
#define DW_JSON_MAX_DEPTH 48
#define DW_JSON_BUFFER 8192

typedef struct dw_json {
    FILE *out;
    int depth;
    int pretty;
    unsigned char need_comma[DW_JSON_MAX_DEPTH];
    int after_key;
    size_t used; /* bytes of buf not yet written to out */
    char buf[DW_JSON_BUFFER];
} dw_json;

/* A key written again and again at one nesting level (the fields of every
 * frame): its comma, line break, indentation, quoted name and separator are
 * made once, on first use, and copied after that.  Initialise with
 * DW_JSON_PREPARED_KEY("name"); one per writer (it records the writer's
 * layout), never shared between threads. */
#define DW_JSON_PREPARED_KEY_MAX 112
typedef struct dw_json_prepared_key {
    const char *name;
    int depth;  /* the level the text was made for; 0: none yet */
    int pretty; /* ... and the layout */
    size_t len; /* bytes of text, the leading comma included; 0: not preparable */
    char text[DW_JSON_PREPARED_KEY_MAX];
} dw_json_prepared_key;
#define DW_JSON_PREPARED_KEY(n)                                                                    \
    {                                                                                              \
        (n), 0, 0, 0,                                                                              \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

void dw_json_init(dw_json *j, FILE *out, int pretty);
void dw_json_begin_object(dw_json *j);
void dw_json_end_object(dw_json *j);
void dw_json_begin_array(dw_json *j);
void dw_json_end_array(dw_json *j);
void dw_json_key(dw_json *j, const char *key);
/* The same key as dw_json_key(j, k->name), written from its prepared text. */
void dw_json_key_prepared(dw_json *j, dw_json_prepared_key *k);
void dw_json_string(dw_json *j, const char *s); /* NULL writes null */
void dw_json_string_n(dw_json *j, const char *s, size_t n);
void dw_json_uint(dw_json *j, uint64_t v);
void dw_json_int(dw_json *j, int64_t v);
void dw_json_bool(dw_json *j, int v);
void dw_json_null(dw_json *j);
void dw_json_hex(dw_json *j, uint64_t v);                  /* "0x..." string */
void dw_json_hex_width(dw_json *j, uint64_t v, int width); /* zero-padded digits */
/* key + value shorthands */
void dw_json_kv_string(dw_json *j, const char *key, const char *s);
void dw_json_kv_uint(dw_json *j, const char *key, uint64_t v);
void dw_json_kv_int(dw_json *j, const char *key, int64_t v);
void dw_json_kv_hex(dw_json *j, const char *key, uint64_t v);
void dw_json_kv_bool(dw_json *j, const char *key, int v);
void dw_json_kv_null(dw_json *j, const char *key);
/* Ends the document with a newline and writes out what is buffered. */
void dw_json_finish(dw_json *j);

#endif
