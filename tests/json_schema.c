/* docs/json.md tables as a schema, and a validator for documents.  See
 * json_schema.h.  Test code: aborts on allocation failure. */
#include "json_schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

enum {
    T_OBJECT = 1,
    T_ARRAY = 2,
    T_STRING = 4,
    T_HEX = 8,
    T_NUMBER = 16,
    T_BOOL = 32,
    T_NULL = 64,
};

typedef struct js_row {
    char *table; /* heading text, or "heading/outer" for `outer[].inner` rows */
    char *key;
    unsigned types;
    int optional;
} js_row;

struct js_schema {
    js_row *rows;
    size_t count, cap;
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p)
        abort();
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static const struct {
    const char *name;
    unsigned bit;
} type_names[] = {
    {"object", T_OBJECT}, {"array", T_ARRAY}, {"string", T_STRING}, {"hex", T_HEX},
    {"number", T_NUMBER}, {"bool", T_BOOL},   {"null", T_NULL},
};

/* "string/number/null" or "number, optional": 0 types when unparsable. */
static unsigned parse_types(const char *cell, size_t len, int *optional)
{
    unsigned types = 0;
    *optional = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && (cell[i] == ' ' || cell[i] == '/' || cell[i] == ','))
            i++;
        size_t start = i;
        while (i < len && cell[i] != ' ' && cell[i] != '/' && cell[i] != ',')
            i++;
        size_t n = i - start;
        if (n == 0)
            continue;
        if (n == 8 && !strncmp(cell + start, "optional", 8)) {
            *optional = 1;
            continue;
        }
        unsigned bit = 0;
        for (size_t t = 0; t < sizeof type_names / sizeof type_names[0]; t++) {
            if (strlen(type_names[t].name) == n && !strncmp(cell + start, type_names[t].name, n))
                bit = type_names[t].bit;
        }
        if (!bit)
            return 0;
        types |= bit;
    }
    return types;
}

static void add_row(js_schema *s, const char *heading, const char *name, size_t n, unsigned types,
                    int optional)
{
    if (s->count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 128;
        s->rows = xrealloc(s->rows, s->cap * sizeof *s->rows);
    }
    js_row *r = &s->rows[s->count++];
    const char *sub = memmem(name, n, "[].", 3);
    if (sub) {
        size_t hl = strlen(heading), ol = (size_t)(sub - name);
        r->table = xrealloc(NULL, hl + ol + 2);
        snprintf(r->table, hl + ol + 2, "%s/%.*s", heading, (int)ol, name);
        r->key = xstrndup(sub + 3, n - ol - 3);
    } else {
        size_t kl = n >= 2 && !strncmp(name + n - 2, "[]", 2) ? n - 2 : n;
        r->table = xrealloc(NULL, strlen(heading) + 1);
        strcpy(r->table, heading);
        r->key = xstrndup(name, kl);
    }
    r->types = types;
    r->optional = optional;
}

/* "| `a`, `b` (dw) | string/null | meaning |": one row per backticked name. */
static void parse_table_row(js_schema *s, const char *heading, const char *line, size_t len)
{
    const char *c1 = line + 1, *end = line + len;
    const char *bar1 = memchr(c1, '|', (size_t)(end - c1));
    if (!bar1)
        return;
    const char *c2 = bar1 + 1, *bar2 = memchr(c2, '|', (size_t)(end - c2));
    if (!bar2)
        return;
    int optional;
    unsigned types = parse_types(c2, (size_t)(bar2 - c2), &optional);
    if (!types)
        return; /* the header row, or a table that is not a member table */
    for (const char *p = c1; p < bar1;) {
        const char *open = memchr(p, '`', (size_t)(bar1 - p));
        if (!open)
            break;
        const char *close = memchr(open + 1, '`', (size_t)(bar1 - open - 1));
        if (!close)
            break;
        add_row(s, heading, open + 1, (size_t)(close - open - 1), types, optional);
        p = close + 1;
    }
}

js_schema *js_schema_load(const char *markdown_path)
{
    size_t size;
    char *text = (char *)dw_test_read_file(markdown_path, &size);
    if (!text)
        return NULL;
    js_schema *s = calloc(1, sizeof *s);
    char heading[256] = "";
    for (size_t pos = 0; pos < size;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - line) : size - pos;
        pos += len + 1;
        if (len > 0 && line[0] == '#') {
            size_t i = 0;
            while (i < len && (line[i] == '#' || line[i] == ' '))
                i++;
            snprintf(heading, sizeof heading, "%.*s", (int)(len - i), line + i);
        } else if (len > 1 && line[0] == '|' && strncmp(line, "|---", 4) != 0) {
            parse_table_row(s, heading, line, len);
        }
    }
    free(text);
    return s;
}

void js_schema_free(js_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++) {
        free(s->rows[i].table);
        free(s->rows[i].key);
    }
    free(s->rows);
    free(s);
}

size_t js_schema_rows(const js_schema *s, const char *heading)
{
    size_t n = 0;
    for (size_t i = 0; i < s->count; i++)
        n += !strcmp(s->rows[i].table, heading);
    return n;
}

/* ---- a JSON tree ------------------------------------------------------------ */

typedef struct jn {
    unsigned type;   /* one T_* bit; strings that look like 0x-hex get T_STRING|T_HEX */
    const char *key; /* raw member name when inside an object */
    size_t key_len;
    int child, next;
} jn;

typedef struct jtree {
    jn *n;
    int count, cap;
    const char *p, *end;
} jtree;

static int jt_new(jtree *t, unsigned type)
{
    if (t->count == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->n = xrealloc(t->n, (size_t)t->cap * sizeof *t->n);
    }
    jn *n = &t->n[t->count];
    memset(n, 0, sizeof *n);
    n->type = type;
    n->child = n->next = -1;
    return t->count++;
}

static void jt_ws(jtree *t)
{
    while (t->p < t->end && strchr(" \t\r\n", *t->p))
        t->p++;
}

static int jt_string(jtree *t, const char **s, size_t *len)
{
    if (t->p >= t->end || *t->p != '"')
        return 0;
    const char *start = ++t->p;
    while (t->p < t->end && *t->p != '"') {
        if ((unsigned char)*t->p < 0x20)
            return 0;
        t->p += *t->p == '\\' ? 2 : 1;
    }
    if (t->p >= t->end)
        return 0;
    *s = start;
    *len = (size_t)(t->p++ - start);
    return 1;
}

static int is_hex_text(const char *s, size_t len)
{
    if (len < 3 || s[0] != '0' || s[1] != 'x')
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (!strchr("0123456789abcdef", s[i]))
            return 0;
    }
    return 1;
}

static int jt_value(jtree *t, int depth);

static int jt_container(jtree *t, int depth, unsigned type)
{
    int self = jt_new(t, type), last = -1;
    char close = type == T_OBJECT ? '}' : ']';
    t->p++;
    jt_ws(t);
    if (t->p < t->end && *t->p == close) {
        t->p++;
        return self;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        jt_ws(t);
        if (type == T_OBJECT) {
            if (!jt_string(t, &key, &key_len))
                return -1;
            jt_ws(t);
            if (t->p >= t->end || *t->p++ != ':')
                return -1;
        }
        int v = jt_value(t, depth + 1);
        if (v < 0)
            return -1;
        t->n[v].key = key;
        t->n[v].key_len = key_len;
        if (last < 0)
            t->n[self].child = v;
        else
            t->n[last].next = v;
        last = v;
        jt_ws(t);
        if (t->p < t->end && *t->p == ',') {
            t->p++;
            continue;
        }
        if (t->p < t->end && *t->p == close) {
            t->p++;
            return self;
        }
        return -1;
    }
}

static int jt_value(jtree *t, int depth)
{
    jt_ws(t);
    if (t->p >= t->end || depth > 64)
        return -1;
    char c = *t->p;
    if (c == '{' || c == '[')
        return jt_container(t, depth, c == '{' ? T_OBJECT : T_ARRAY);
    if (c == '"') {
        const char *s;
        size_t len;
        if (!jt_string(t, &s, &len))
            return -1;
        return jt_new(t, T_STRING | (is_hex_text(s, len) ? T_HEX : 0));
    }
    static const struct {
        const char *word;
        unsigned type;
    } words[] = {{"true", T_BOOL}, {"false", T_BOOL}, {"null", T_NULL}};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i].word);
        if ((size_t)(t->end - t->p) >= n && !strncmp(t->p, words[i].word, n)) {
            t->p += n;
            return jt_new(t, words[i].type);
        }
    }
    const char *start = t->p;
    while (t->p < t->end && strchr("+-0123456789.eE", *t->p))
        t->p++;
    return t->p > start ? jt_new(t, T_NUMBER) : -1;
}

/* ---- validation --------------------------------------------------------------- */

typedef struct vctx {
    const js_schema *s;
    const jtree *t;
    const js_link *links;
    size_t link_count;
    char *why;
    size_t why_size;
} vctx;

static int fail(vctx *v, const char *fmt, ...)
{
    if (v->why[0])
        return 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->why, v->why_size, fmt, ap);
    va_end(ap);
    return 0;
}

static const js_row *find_row(const vctx *v, const char *const *tables, size_t nt, const char *key,
                              size_t key_len)
{
    for (size_t i = 0; i < v->s->count; i++) {
        const js_row *r = &v->s->rows[i];
        if (strlen(r->key) != key_len || strncmp(r->key, key, key_len) != 0)
            continue;
        for (size_t k = 0; k < nt; k++) {
            if (!strcmp(r->table, tables[k]))
                return r;
        }
    }
    return NULL;
}

/* The table for the value of `key` in table `parent`: a link, else an
 * `outer[].inner` sub-table; NULL when the value is only type-checked. */
static const char *child_table(const vctx *v, const char *parent, const char *key, char *buf,
                               size_t size)
{
    for (size_t i = 0; i < v->link_count; i++) {
        if (!strcmp(v->links[i].parent, parent) && !strcmp(v->links[i].key, key))
            return v->links[i].child;
    }
    snprintf(buf, size, "%s/%s", parent, key);
    return js_schema_rows(v->s, buf) ? buf : NULL;
}

static int check_object(vctx *v, int node, const char *const *tables, size_t nt, const char *path);

static int check_member(vctx *v, const js_row *row, int node, const char *path)
{
    const jn *n = &v->t->n[node];
    if (!(n->type & row->types))
        return fail(v, "%s: type not allowed by docs/json.md (%s)", path, row->table);
    char buf[320];
    const char *child = child_table(v, row->table, row->key, buf, sizeof buf);
    if (!child)
        return 1;
    if (n->type == T_OBJECT)
        return check_object(v, node, &child, 1, path);
    if (n->type != T_ARRAY)
        return 1;
    int i = 0;
    for (int e = n->child; e >= 0; e = v->t->n[e].next, i++) {
        char sub[560];
        snprintf(sub, sizeof sub, "%.500s[%d]", path, i);
        if (v->t->n[e].type != T_OBJECT)
            return fail(v, "%s: not an object (%s)", sub, child);
        if (!check_object(v, e, &child, 1, sub))
            return 0;
    }
    return 1;
}

static int check_object(vctx *v, int node, const char *const *tables, size_t nt, const char *path)
{
    for (int m = v->t->n[node].child; m >= 0; m = v->t->n[m].next) {
        const jn *mn = &v->t->n[m];
        char sub[512];
        snprintf(sub, sizeof sub, "%s.%.*s", path, (int)mn->key_len, mn->key);
        const js_row *row = find_row(v, tables, nt, mn->key, mn->key_len);
        if (!row)
            return fail(v, "%s: member not documented in docs/json.md (%s)", sub, tables[0]);
        for (int o = v->t->n[node].child; o != m; o = v->t->n[o].next) {
            if (v->t->n[o].key_len == mn->key_len && !strncmp(v->t->n[o].key, mn->key, mn->key_len))
                return fail(v, "%s: duplicate member", sub);
        }
        if (!check_member(v, row, m, sub))
            return 0;
    }
    for (size_t i = 0; i < v->s->count; i++) {
        const js_row *r = &v->s->rows[i];
        int in_tables = 0;
        for (size_t k = 0; k < nt; k++)
            in_tables |= !strcmp(r->table, tables[k]);
        if (!in_tables || r->optional)
            continue;
        int present = 0;
        for (int m = v->t->n[node].child; m >= 0 && !present; m = v->t->n[m].next)
            present = strlen(r->key) == v->t->n[m].key_len &&
                      !strncmp(r->key, v->t->n[m].key, v->t->n[m].key_len);
        if (!present)
            return fail(v, "%s: documented member '%s' (%s) is missing", path, r->key, r->table);
    }
    return 1;
}

int js_validate(const js_schema *s, const char *text, size_t len, const char *const *roots,
                size_t root_count, const js_link *links, size_t link_count, char *why,
                size_t why_size)
{
    jtree t = {NULL, 0, 0, text, text + len};
    why[0] = '\0';
    int root = jt_value(&t, 0);
    jt_ws(&t);
    vctx v = {s, &t, links, link_count, why, why_size};
    int ok;
    if (root < 0 || t.p != t.end)
        ok = fail(&v, "not one valid JSON value (near byte %zu)", (size_t)(t.p - text));
    else if (t.n[root].type != T_OBJECT)
        ok = fail(&v, "not an object");
    else
        ok = check_object(&v, root, roots, root_count, "$");
    free(t.n);
    return ok;
}
