#include "report/json.h"

#include <string.h>

#include "util/reader.h"
#include "util/text.h"

void dw_json_init(dw_json *j, FILE *out, int pretty)
{
    j->out = out;
    j->depth = 0;
    j->pretty = pretty;
    j->after_key = 0;
    j->used = 0;
    memset(j->need_comma, 0, sizeof j->need_comma);
}

static void flush(dw_json *j)
{
    if (j->used)
        fwrite(j->buf, 1, j->used, j->out);
    j->used = 0;
}

static void put_bytes(dw_json *j, const char *s, size_t n)
{
    if (n > sizeof j->buf - j->used) {
        flush(j);
        if (n > sizeof j->buf) {
            fwrite(s, 1, n, j->out);
            return;
        }
    }
    memcpy(j->buf + j->used, s, n);
    j->used += n;
}

static void put_char(dw_json *j, char c)
{
    if (j->used == sizeof j->buf)
        flush(j);
    j->buf[j->used++] = c;
}

static void put_str(dw_json *j, const char *s)
{
    put_bytes(j, s, strlen(s));
}

/* A line break and the indentation of up to 32 levels, for copying from. */
static const char spaces[] = "\n                                                                ";

/* Buffer room put_plain_key makes beyond the deepest indentation; a key too
 * long for it takes the general path. */
#define PLAIN_KEY_ROOM 128
/* Bytes of the buffer readable past a copied string (copied_needs_escape). */
#define SCAN_SLACK 8

static void put_uint(dw_json *j, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[sizeof tmp - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_bytes(j, tmp + sizeof tmp - n, n);
}

/* "0x" and at least `width` lower-case hex digits (width 0 or 1: no padding). */
static void put_hex(dw_json *j, uint64_t v, int width)
{
    char tmp[2 + 64] = {'0', 'x'};
    char *end = dw_put_hex(tmp + 2, v, width, 0);
    put_bytes(j, tmp, (size_t)(end - tmp));
}

static void newline_indent(dw_json *j)
{
    if (!j->pretty)
        return;
    size_t n = 1 + 2 * (size_t)(j->depth > 0 ? j->depth : 0);
    if (n <= sizeof spaces - 1) {
        put_bytes(j, spaces, n);
        return;
    }
    put_char(j, '\n');
    for (int i = 0; i < j->depth; i++)
        put_bytes(j, "  ", 2);
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
            put_char(j, ',');
        j->need_comma[j->depth - 1] = 1;
    }
    if (j->depth > 0)
        newline_indent(j);
}

static void open_container(dw_json *j, char c)
{
    before_item(j);
    put_char(j, c);
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
    put_char(j, c);
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

/* Characters JSON needs escaped, and DEL. */
static int needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\' || c == 0x7f;
}

/* Escapes s[0..n) after the opening quote, up to and with the closing one. */
static void write_escaped_tail(dw_json *j, const char *s, size_t n)
{
    size_t run = 0; /* start of the pending run of plain characters */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!needs_escape(c))
            continue;
        put_bytes(j, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            put_bytes(j, "\\\"", 2);
            break;
        case '\\':
            put_bytes(j, "\\\\", 2);
            break;
        case '\n':
            put_bytes(j, "\\n", 2);
            break;
        case '\r':
            put_bytes(j, "\\r", 2);
            break;
        case '\t':
            put_bytes(j, "\\t", 2);
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0'};
            dw_put_hex(u + 4, c, 2, 0);
            put_bytes(j, u, sizeof u);
        }
        }
    }
    put_bytes(j, s + run, n - run);
    put_char(j, '"');
}

/* Whether any of the 8 bytes of x needs escaping: a control character,
 * '"', '\\' or DEL (exact: the classic "has a byte less than" and "has a
 * zero byte" word tests, which may misplace a hit but never miss or invent
 * one). */
static int word_needs_escape(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\'), del = x ^ (ones * 0x7f);
    uint64_t control = (x - ones * 0x20) & ~x & highs;
    uint64_t zero =
        ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((del - ones) & ~del);
    return (control | (zero & highs)) != 0;
}

/* Whether any of p[0..n) needs escaping, eight bytes at a time.  p points
 * into the writer's buffer with SCAN_SLACK bytes readable past p + n, so the
 * last word is read whole and its bytes past the end are masked off (no
 * byte-sized tail loop or copy: this runs for every key and string). */
static int copied_needs_escape(const char *p, size_t n)
{
    const uint8_t *u = (const uint8_t *)p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        if (word_needs_escape(dw_le64(u + i)))
            return 1;
    }
    if (i == n)
        return 0;
    uint64_t keep = ((uint64_t)1 << (8 * (n - i))) - 1; /* the first n - i bytes */
    uint64_t plain = 0x6161616161616161ull;             /* 'a' in the others */
    return word_needs_escape((dw_le64(u + i) & keep) | (plain & ~keep));
}

/* A quoted string: most need no escaping and are copied whole; one with a
 * character to escape (or longer than the buffer) takes the general path. */
static void write_escaped(dw_json *j, const char *s, size_t n)
{
    if (n + 2 + SCAN_SLACK <= sizeof j->buf) {
        if (n + 2 + SCAN_SLACK > sizeof j->buf - j->used)
            flush(j);
        char *out = j->buf + j->used;
        memcpy(out + 1, s, n);
        if (!copied_needs_escape(out + 1, n)) {
            out[0] = '"';
            out[n + 1] = '"';
            j->used += n + 2;
            return;
        }
    }
    put_char(j, '"');
    write_escaped_tail(j, s, n);
}

/* A key's text after its comma: line break and indentation (pretty),
 * quoted name, separator; written to dst, which has `room` bytes.  Returns
 * its length; 0 when the name needs escaping, the level is out of range or
 * it does not fit (the general path then writes the key). */
static size_t key_text(const dw_json *j, const char *name, char *dst, size_t room)
{
    size_t indent = j->pretty ? 1 + 2 * (size_t)j->depth : 0;
    size_t n = strlen(name);
    if (j->depth <= 0 || j->depth > DW_JSON_MAX_DEPTH || indent >= sizeof spaces ||
        indent + n + 4 + SCAN_SLACK > room)
        return 0;
    char *p = dst;
    memcpy(p, spaces, indent);
    p += indent;
    *p++ = '"';
    memcpy(p, name, n);
    if (copied_needs_escape(p, n))
        return 0;
    p += n;
    *p++ = '"';
    *p++ = ':';
    if (j->pretty)
        *p++ = ' ';
    return (size_t)(p - dst);
}

/* Keys are short and plain: the comma and the key text go into the buffer
 * in one step.  Returns 0, having written nothing, when the general path
 * must write the key. */
static int put_plain_key(dw_json *j, const char *key)
{
    if (j->after_key || j->depth <= 0 || j->depth > DW_JSON_MAX_DEPTH)
        return 0;
    if (sizeof j->buf - j->used < sizeof spaces + PLAIN_KEY_ROOM)
        flush(j);
    int comma = j->need_comma[j->depth - 1];
    size_t room = sizeof j->buf - j->used - (size_t)comma;
    size_t len = key_text(j, key, j->buf + j->used + comma, room);
    if (len == 0)
        return 0; /* nothing counted as written: j->used is unchanged */
    if (comma)
        j->buf[j->used] = ',';
    j->used += (size_t)comma + len;
    j->need_comma[j->depth - 1] = 1;
    j->after_key = 1;
    return 1;
}

void dw_json_key(dw_json *j, const char *key)
{
    if (put_plain_key(j, key))
        return;
    before_item(j);
    write_escaped(j, key, strlen(key));
    put_str(j, j->pretty ? ": " : ":");
    j->after_key = 1;
}

/* Make k's text for the writer's current level and layout, its comma
 * first; k->len 0 when it cannot be made (the key then goes through
 * dw_json_key each time). */
static void prepare_key(const dw_json *j, dw_json_prepared_key *k)
{
    k->depth = j->depth;
    k->pretty = j->pretty;
    k->text[0] = ',';
    size_t len = key_text(j, k->name, k->text + 1, sizeof k->text - 1);
    k->len = len ? 1 + len : 0;
}

void dw_json_key_prepared(dw_json *j, dw_json_prepared_key *k)
{
    if (k->depth != j->depth || k->pretty != j->pretty)
        prepare_key(j, k);
    if (k->len == 0 || j->after_key) {
        dw_json_key(j, k->name);
        return;
    }
    int comma = j->need_comma[j->depth - 1];
    put_bytes(j, k->text + !comma, k->len - !comma);
    j->need_comma[j->depth - 1] = 1;
    j->after_key = 1;
}

void dw_json_string_n(dw_json *j, const char *s, size_t n)
{
    before_item(j);
    write_escaped(j, s, n);
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
    put_uint(j, v);
}

void dw_json_int(dw_json *j, int64_t v)
{
    before_item(j);
    if (v < 0) {
        put_char(j, '-');
        put_uint(j, (uint64_t)0 - (uint64_t)v);
    } else {
        put_uint(j, (uint64_t)v);
    }
}

void dw_json_bool(dw_json *j, int v)
{
    before_item(j);
    put_str(j, v ? "true" : "false");
}

void dw_json_null(dw_json *j)
{
    before_item(j);
    put_str(j, "null");
}

void dw_json_hex(dw_json *j, uint64_t v)
{
    before_item(j);
    put_char(j, '"');
    put_hex(j, v, 0);
    put_char(j, '"');
}

void dw_json_hex_width(dw_json *j, uint64_t v, int width)
{
    before_item(j);
    put_char(j, '"');
    put_hex(j, v, width);
    put_char(j, '"');
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
    put_char(j, '\n');
    flush(j);
}
