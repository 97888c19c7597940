/* Checking JSON documents against the schema tables of docs/json.md.
 *
 * docs/json.md describes each object as a markdown table under a heading
 * ("### Frame object") whose rows name members (`name`, `a`, `b`,
 * `name[]` for arrays, `outer[].inner` for members of array elements) and
 * their types (`string/null`, `hex`, `number, optional`...).  The tests load
 * those tables and validate real output against them, so the document and
 * the code cannot drift apart. */
#ifndef DW_TESTS_JSON_SCHEMA_H
#define DW_TESTS_JSON_SCHEMA_H

#include <stddef.h>

typedef struct js_schema js_schema;

/* Load every table of a markdown file; NULL when it cannot be read. */
js_schema *js_schema_load(const char *markdown_path);
void js_schema_free(js_schema *s);
/* Number of rows of the table under `heading` (0 when there is none). */
size_t js_schema_rows(const js_schema *s, const char *heading);

/* Which table describes the value of `key` inside an object of table
 * `parent` (for arrays: each element).  Tables not linked this way are only
 * type-checked. */
typedef struct js_link {
    const char *parent, *key, *child;
} js_link;

/* Validate `text` (one JSON value) as an object described by the tables
 * `roots` (their members together, e.g. "Batch line" + "Top level"); links
 * name nested tables.  Returns 1 when valid; else 0 with a message naming
 * the JSON path of the first problem in `why`. */
int js_validate(const js_schema *s, const char *text, size_t len, const char *const *roots,
                size_t root_count, const js_link *links, size_t link_count, char *why,
                size_t why_size);

#endif
