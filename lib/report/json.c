#include "report/json.h"

#include <inttypes.h>
#include <string.h>

void dw_json_init(dw_json *j, FILE *out, int pretty)
{
    memset(j, 0, sizeof *j);
    j->out = out;
    j->pretty = pretty;
}

static void newline_indent(dw_json *j)
{
    if (!j->pretty)
        return;
    fputc('\n', j->out);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->out);
}

/* Comma and indentation before a value or key at the current level. */
static void before_item(dw_json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth > 0 && j->depth <= DW_JSON_MAX_DEPTH) {
        if (j->need_comma[j->depth - 1])
            fputc(',', j->out);
        j->need_comma[j->depth - 1] = 1;
    }
    if (j->depth > 0)
        newline_indent(j);
}

static void open_container(dw_json *j, char c)
{
    before_item(j);
    fputc(c, j->out);
    if (j->depth < DW_JSON_MAX_DEPTH)
        j->need_comma[j->depth] = 0;
    j->depth++;
}

static void close_container(dw_json *j, char c)
{
    int had_items = j->depth > 0 && j->depth <= DW_JSON_MAX_DEPTH && j->need_comma[j->depth - 1];
    j->depth--;
    if (had_items)
        newline_indent(j);
    fputc(c, j->out);
}

void dw_json_begin_object(dw_json *j)
{
    open_container(j, '{');
}

void dw_json_end_object(dw_json *j)
{
    close_container(j, '}');
}

void dw_json_begin_array(dw_json *j)
{
    open_container(j, '[');
}

void dw_json_end_array(dw_json *j)
{
    close_container(j, ']');
}

static void write_escaped(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(out, "\\u%04x", c);
            else
                fputc(c, out);
        }
    }
    fputc('"', out);
}

void dw_json_key(dw_json *j, const char *key)
{
    before_item(j);
    write_escaped(j->out, key, strlen(key));
    fputs(j->pretty ? ": " : ":", j->out);
    j->after_key = 1;
}

void dw_json_string_n(dw_json *j, const char *s, size_t n)
{
    before_item(j);
    write_escaped(j->out, s, n);
}

void dw_json_string(dw_json *j, const char *s)
{
    if (!s) {
        dw_json_null(j);
        return;
    }
    dw_json_string_n(j, s, strlen(s));
}

void dw_json_uint(dw_json *j, uint64_t v)
{
    before_item(j);
    fprintf(j->out, "%" PRIu64, v);
}

void dw_json_int(dw_json *j, int64_t v)
{
    before_item(j);
    fprintf(j->out, "%" PRId64, v);
}

void dw_json_bool(dw_json *j, int v)
{
    before_item(j);
    fputs(v ? "true" : "false", j->out);
}

void dw_json_null(dw_json *j)
{
    before_item(j);
    fputs("null", j->out);
}

void dw_json_hex(dw_json *j, uint64_t v)
{
    before_item(j);
    fprintf(j->out, "\"0x%" PRIx64 "\"", v);
}

void dw_json_hex_width(dw_json *j, uint64_t v, int width)
{
    before_item(j);
    fprintf(j->out, "\"0x%0*" PRIx64 "\"", width, v);
}

void dw_json_kv_string(dw_json *j, const char *key, const char *s)
{
    dw_json_key(j, key);
    dw_json_string(j, s);
}

void dw_json_kv_uint(dw_json *j, const char *key, uint64_t v)
{
    dw_json_key(j, key);
    dw_json_uint(j, v);
}

void dw_json_kv_int(dw_json *j, const char *key, int64_t v)
{
    dw_json_key(j, key);
    dw_json_int(j, v);
}

void dw_json_kv_hex(dw_json *j, const char *key, uint64_t v)
{
    dw_json_key(j, key);
    dw_json_hex(j, v);
}

void dw_json_kv_bool(dw_json *j, const char *key, int v)
{
    dw_json_key(j, key);
    dw_json_bool(j, v);
}

void dw_json_kv_null(dw_json *j, const char *key)
{
    dw_json_key(j, key);
    dw_json_null(j);
}

void dw_json_finish(dw_json *j)
{
    fputc('\n', j->out);
}
