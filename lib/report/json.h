/* A small streaming JSON writer: correct escaping, commas placed by the
 * writer, nesting bounded.  Output goes to a FILE*. */
#ifndef DW_REPORT_JSON_H
#define DW_REPORT_JSON_H

#include <stdint.h>
#include <stdio.h>

#define DW_JSON_MAX_DEPTH 32

typedef struct dw_json {
    FILE *out;
    int depth;
    int pretty;
    unsigned char need_comma[DW_JSON_MAX_DEPTH];
    int after_key;
} dw_json;

void dw_json_init(dw_json *j, FILE *out, int pretty);
void dw_json_begin_object(dw_json *j);
void dw_json_end_object(dw_json *j);
void dw_json_begin_array(dw_json *j);
void dw_json_end_array(dw_json *j);
void dw_json_key(dw_json *j, const char *key);
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
/* Ends the document with a newline. */
void dw_json_finish(dw_json *j);

#endif
