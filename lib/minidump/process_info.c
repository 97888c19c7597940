/* Process-wide side streams written by crash reporters: BreakpadInfo,
 * CrashpadInfo (with its annotations), AssertionInfo, the comment streams and
 * Breakpad's Linux text streams.
 *
 * Layouts (Breakpad minidump_format.h, Crashpad minidump_extensions.h):
 *   MDRawBreakpadInfo (12):   validity, dump_thread_id, requesting_thread_id (u32)
 *   MDRawAssertionInfo (776): expression, function, file WCHAR[128]; line, type u32
 *   MinidumpCrashpadInfo (52, newer writers append address_mask u64):
 *     version u32, report_id GUID, client_id GUID,
 *     simple_annotations LOCATION_DESCRIPTOR -> MinidumpSimpleStringDictionary,
 *     module_list LOCATION_DESCRIPTOR -> MinidumpModuleCrashpadInfoList
 *   MinidumpSimpleStringDictionary: count u32, {key RVA, value RVA}[count],
 *     each RVA a MinidumpUTF8String (u32 length, bytes, NUL)
 *   MinidumpModuleCrashpadInfoList: count u32,
 *     {minidump_module_list_index u32, LOCATION_DESCRIPTOR}[count]
 *   MinidumpModuleCrashpadInfo: version u32, list_annotations LOC
 *     (MinidumpRVAList: count u32, RVA[count] of UTF8 strings),
 *     simple_annotations LOC, annotation_objects LOC (version 1 added it)
 *   MinidumpAnnotationList: count u32, {name RVA, type u16, reserved u16,
 *     value RVA (MinidumpByteArray: u32 length, bytes)}[count]
 * A LOCATION_DESCRIPTOR is {DataSize u32, Rva u32}; size 0 means "absent". */
#include <stdio.h>
#include <string.h>

#include "minidump/internal.h"
#include "util/text.h"

#define BREAKPAD_INFO_SIZE 12
#define ASSERTION_INFO_SIZE 776
#define ASSERTION_STRING_UNITS 128
#define CRASHPAD_INFO_MIN_SIZE 52
#define CRASHPAD_MODULE_LINK_SIZE 12
#define CRASHPAD_DICT_ENTRY_SIZE 8
#define CRASHPAD_OBJECT_SIZE 12
/* Annotation lists are small in practice; anything larger is refused
 * before allocating (the file size bounds it too). */
#define MAX_CRASHPAD_ENTRIES 65536

/* ---- BreakpadInfo ----------------------------------------------------- */

static dw_status parse_breakpad_info(dw_dump *dump)
{
    dw_reader r;
    dw_status st = dw_find_record_stream(dump, DW_STREAM_BREAKPAD_INFO, BREAKPAD_INFO_SIZE,
                                         "MDRawBreakpadInfo", NULL, &r, NULL);
    if (st != DW_OK)
        return st;
    dw_breakpad_info *bi = &dump->breakpad_info;
    bi->validity = dw_read_u32(&r);
    bi->dump_thread_id = dw_read_u32(&r);
    bi->requesting_thread_id = dw_read_u32(&r);
    return DW_OK;
}

dw_status dw_dump_breakpad_info(dw_dump *dump, const dw_breakpad_info **out)
{
    if (!dump || !out)
        return DW_ERR_INVALID_ARG;
    *out = NULL;
    dw_status st = dw_lazy_run(dump, &dump->breakpad_info_lazy, parse_breakpad_info);
    if (st == DW_OK)
        *out = &dump->breakpad_info;
    return st;
}

/* ---- CrashpadInfo ------------------------------------------------------- */

typedef struct location {
    uint32_t size;
    uint32_t rva;
} location;

static location read_location(dw_reader *r)
{
    location loc;
    loc.size = dw_read_u32(r);
    loc.rva = dw_read_u32(r);
    return loc;
}

/* Crashpad's UUID: data1 u32, data2 u16, data3 u16 (little-endian), then 8
 * bytes in order; printed 8-4-4-4-12 like Breakpad and Crashpad do. */
static void format_uuid(const uint8_t *b, char out[37])
{
    static const uint8_t zero[16];
    if (!b)
        b = zero;
    snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", dw_le32(b),
             dw_le16(b + 4), dw_le16(b + 6), b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* A MinidumpUTF8String (u32 length excluding the NUL, then bytes) copied into
 * the arena; NULL when it does not lie inside the file. */
static const char *read_utf8_string(dw_dump *dump, uint32_t rva)
{
    uint32_t len;
    if (!dw_peek_u32(&dump->file, rva, &len))
        return NULL;
    int ok;
    dw_reader body = dw_file_window(dump, (uint64_t)rva + 4, len, &ok);
    if (!ok)
        return NULL;
    return dw_arena_strndup(&dump->arena, (const char *)body.data, body.size);
}

/* The window a location descriptor names, with `count` (the u32 at its
 * start) checked against the room for `elem_size` records after it.  An
 * absent location (size 0) is an empty list. */
static dw_status list_window(dw_dump *dump, location loc, size_t elem_size, const char *what,
                             uint32_t *count, dw_reader *records)
{
    *count = 0;
    *records = dw_reader_make(NULL, 0);
    if (loc.size == 0)
        return DW_OK;
    int ok;
    dw_reader w = dw_file_window(dump, loc.rva, loc.size, &ok);
    uint32_t declared;
    if (!ok || !dw_peek_u32(&w, 0, &declared))
        return dw_damage(dump, DW_STREAM_CRASHPAD_INFO, loc.rva, DW_ERR_TRUNCATED,
                         "CrashpadInfo: %s (%u bytes at 0x%x) lies outside the file", what,
                         loc.size, loc.rva);
    uint64_t room = (w.size - 4) / elem_size;
    uint32_t usable = declared;
    dw_status st = DW_OK;
    if (declared > room) {
        usable = (uint32_t)room;
        st = dw_damage(dump, DW_STREAM_CRASHPAD_INFO, loc.rva, DW_ERR_TRUNCATED,
                       "CrashpadInfo: %s declares %u entries but its %u bytes hold %llu", what,
                       declared, loc.size, (unsigned long long)room);
    }
    if (usable > MAX_CRASHPAD_ENTRIES) {
        usable = MAX_CRASHPAD_ENTRIES;
        st = dw_damage(dump, DW_STREAM_CRASHPAD_INFO, loc.rva, DW_ERR_LIMIT,
                       "CrashpadInfo: %s has %u entries, more than the limit of %d; "
                       "the rest are ignored",
                       what, declared, MAX_CRASHPAD_ENTRIES);
    }
    *count = usable;
    *records = dw_reader_sub_clamped(&w, 4, (uint64_t)usable * elem_size);
    return st;
}

static const char *string_or_damage(dw_dump *dump, uint32_t rva, const char *what)
{
    const char *s = read_utf8_string(dump, rva);
    if (s)
        return s;
    dw_damage(dump, DW_STREAM_CRASHPAD_INFO, rva, DW_ERR_DAMAGED,
              "CrashpadInfo: %s string at 0x%x cannot be read; shown as empty", what, rva);
    return "";
}

/* MinidumpSimpleStringDictionary -> key/value pairs. */
static dw_status read_string_dict(dw_dump *dump, location loc, const char *what,
                                  const dw_annotation **out, size_t *out_count)
{
    uint32_t count;
    dw_reader rec;
    *out = NULL;
    *out_count = 0;
    dw_status st = list_window(dump, loc, CRASHPAD_DICT_ENTRY_SIZE, what, &count, &rec);
    if (count == 0)
        return st;
    dw_annotation *items = dw_arena_calloc(&dump->arena, count, sizeof *items);
    if (!items)
        return dw_fail(dump, DW_ERR_NOMEM, "CrashpadInfo: out of memory for %u annotations", count);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t key_rva = dw_read_u32(&rec);
        uint32_t value_rva = dw_read_u32(&rec);
        items[i].key = string_or_damage(dump, key_rva, "annotation key");
        items[i].value = string_or_damage(dump, value_rva, "annotation value");
    }
    *out = items;
    *out_count = count;
    return st;
}

/* MinidumpRVAList of UTF-8 strings -> list annotations. */
static dw_status read_string_list(dw_dump *dump, location loc, const char *const **out,
                                  size_t *out_count)
{
    uint32_t count;
    dw_reader rec;
    *out = NULL;
    *out_count = 0;
    dw_status st = list_window(dump, loc, 4, "list_annotations", &count, &rec);
    if (count == 0)
        return st;
    const char **items = dw_arena_calloc(&dump->arena, count, sizeof *items);
    if (!items)
        return dw_fail(dump, DW_ERR_NOMEM, "CrashpadInfo: out of memory for %u annotations", count);
    for (uint32_t i = 0; i < count; i++)
        items[i] = string_or_damage(dump, dw_read_u32(&rec), "list annotation");
    *out = items;
    *out_count = count;
    return st;
}

/* MinidumpByteArray (u32 length, bytes) copied with a NUL after it; it has
 * the same layout as a MinidumpUTF8String but may hold any bytes. */
static int read_byte_array(dw_dump *dump, uint32_t rva, const uint8_t **out, size_t *size)
{
    uint32_t len;
    int ok;
    if (!dw_peek_u32(&dump->file, rva, &len))
        return 0;
    dw_reader body = dw_file_window(dump, (uint64_t)rva + 4, len, &ok);
    if (!ok)
        return 0;
    const char *copy = dw_arena_strndup(&dump->arena, (const char *)body.data, body.size);
    if (!copy)
        return 0;
    *out = (const uint8_t *)copy;
    *size = body.size;
    return 1;
}

/* MinidumpAnnotationList -> typed annotation objects. */
static dw_status read_annotation_objects(dw_dump *dump, location loc, dw_crashpad_object_list *out)
{
    uint32_t count;
    dw_reader rec;
    out->count = 0;
    out->items = NULL;
    dw_status st = list_window(dump, loc, CRASHPAD_OBJECT_SIZE, "annotation_objects", &count, &rec);
    if (count == 0)
        return st;
    dw_crashpad_annotation_object *items = dw_arena_calloc(&dump->arena, count, sizeof *items);
    if (!items)
        return dw_fail(dump, DW_ERR_NOMEM, "CrashpadInfo: out of memory for %u objects", count);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t name_rva = dw_read_u32(&rec);
        items[i].type = dw_read_u16(&rec);
        dw_read_u16(&rec); /* reserved */
        uint32_t value_rva = dw_read_u32(&rec);
        items[i].name = string_or_damage(dump, name_rva, "annotation object name");
        if (!read_byte_array(dump, value_rva, &items[i].value, &items[i].value_size)) {
            items[i].value = (const uint8_t *)"";
            dw_damage(dump, DW_STREAM_CRASHPAD_INFO, value_rva, DW_ERR_DAMAGED,
                      "CrashpadInfo: value of annotation object '%s' at 0x%x cannot be read",
                      items[i].name, value_rva);
        }
    }
    out->items = items;
    out->count = count;
    return st;
}

/* MinidumpModuleCrashpadInfo: a module's three kinds of annotations.  The
 * record may be shorter in old writers (no annotation_objects). */
static void read_crashpad_module(dw_dump *dump, uint32_t index, location loc, dw_crashpad_module *m,
                                 dw_crashpad_object_list *objects)
{
    m->module_index = index;
    int ok;
    dw_reader r = dw_file_window(dump, loc.rva, loc.size, &ok);
    if (!ok || loc.size < 4 + 8 + 8) {
        dw_damage(dump, DW_STREAM_CRASHPAD_INFO, loc.rva, DW_ERR_TRUNCATED,
                  "CrashpadInfo: module %u record (%u bytes at 0x%x) is unreadable", index,
                  loc.size, loc.rva);
        return;
    }
    dw_read_u32(&r); /* version */
    location list = read_location(&r);
    location simple = read_location(&r);
    location objs = {0, 0};
    if (dw_reader_remaining(&r) >= 8)
        objs = read_location(&r);
    read_string_list(dump, list, &m->list_annotations, &m->list_annotation_count);
    read_string_dict(dump, simple, "module simple_annotations", &m->simple_annotations,
                     &m->simple_annotation_count);
    read_annotation_objects(dump, objs, objects);
}

static dw_status read_crashpad_modules(dw_dump *dump, location loc)
{
    uint32_t count;
    dw_reader rec;
    dw_crashpad_info *ci = &dump->crashpad_info;
    dw_status st = list_window(dump, loc, CRASHPAD_MODULE_LINK_SIZE, "module_list", &count, &rec);
    if (count == 0)
        return st;
    dw_crashpad_module *mods = dw_arena_calloc(&dump->arena, count, sizeof *mods);
    dw_crashpad_object_list *objs = dw_arena_calloc(&dump->arena, count, sizeof *objs);
    if (!mods || !objs)
        return dw_fail(dump, DW_ERR_NOMEM, "CrashpadInfo: out of memory for %u modules", count);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t index = dw_read_u32(&rec);
        location mloc = read_location(&rec);
        read_crashpad_module(dump, index, mloc, &mods[i], &objs[i]);
    }
    ci->modules = mods;
    ci->module_count = count;
    dump->crashpad_objects = objs;
    return st;
}

static dw_status parse_crashpad_info(dw_dump *dump)
{
    dw_reader r;
    dw_status found = dw_find_record_stream(dump, DW_STREAM_CRASHPAD_INFO, CRASHPAD_INFO_MIN_SIZE,
                                            "MinidumpCrashpadInfo", NULL, &r, NULL);
    if (found != DW_OK)
        return found;
    dw_crashpad_info *ci = &dump->crashpad_info;
    memset(ci, 0, sizeof *ci);
    ci->version = dw_read_u32(&r);
    format_uuid(dw_reader_take(&r, 16), ci->report_id);
    format_uuid(dw_reader_take(&r, 16), ci->client_id);
    location simple = read_location(&r);
    location modules = read_location(&r);
    /* Sub-lists that are damaged are reported and left empty or partial; the
     * ids and whatever else reads fine stay available. */
    dw_status st = read_string_dict(dump, simple, "simple_annotations", &ci->simple_annotations,
                                    &ci->simple_annotation_count);
    if (st == DW_ERR_NOMEM)
        return st;
    st = read_crashpad_modules(dump, modules);
    return st == DW_ERR_NOMEM ? st : DW_OK;
}

dw_status dw_dump_crashpad_info(dw_dump *dump, const dw_crashpad_info **out)
{
    if (!dump || !out)
        return DW_ERR_INVALID_ARG;
    *out = NULL;
    dw_status st = dw_lazy_run(dump, &dump->crashpad_info_lazy, parse_crashpad_info);
    if (st == DW_OK)
        *out = &dump->crashpad_info;
    return st;
}

dw_status dw_crashpad_module_objects(dw_dump *dump, size_t module_pos,
                                     const dw_crashpad_object_list **out)
{
    if (!dump || !out)
        return DW_ERR_INVALID_ARG;
    *out = NULL;
    const dw_crashpad_info *ci;
    dw_status st = dw_dump_crashpad_info(dump, &ci);
    if (st != DW_OK)
        return st;
    if (module_pos >= ci->module_count || !dump->crashpad_objects)
        return dw_fail(dump, DW_ERR_NOT_FOUND,
                       "CrashpadInfo: module entry %zu does not exist (%zu entries)", module_pos,
                       ci->module_count);
    *out = &dump->crashpad_objects[module_pos];
    return DW_OK;
}

/* ---- AssertionInfo ------------------------------------------------------ */

static const char *read_wchar_field(dw_dump *dump, dw_reader *r)
{
    const uint8_t *p = dw_reader_take(r, ASSERTION_STRING_UNITS * 2);
    const char *s = p ? dw_utf16le_to_utf8(&dump->arena, p, ASSERTION_STRING_UNITS) : NULL;
    return s ? s : "";
}

static dw_status parse_assertion(dw_dump *dump)
{
    dw_reader r;
    dw_status st = dw_find_record_stream(dump, DW_STREAM_ASSERTION_INFO, ASSERTION_INFO_SIZE,
                                         "MDRawAssertionInfo", NULL, &r, NULL);
    if (st != DW_OK)
        return st;
    dw_assertion_info *a = &dump->assertion;
    a->expression = read_wchar_field(dump, &r);
    a->function = read_wchar_field(dump, &r);
    a->file = read_wchar_field(dump, &r);
    a->line = dw_read_u32(&r);
    a->type = dw_read_u32(&r);
    return DW_OK;
}

dw_status dw_dump_assertion_info(dw_dump *dump, const dw_assertion_info **out)
{
    if (!dump || !out)
        return DW_ERR_INVALID_ARG;
    *out = NULL;
    dw_status st = dw_lazy_run(dump, &dump->assertion_lazy, parse_assertion);
    if (st == DW_OK)
        *out = &dump->assertion;
    return st;
}

/* ---- Comments ------------------------------------------------------------ */

/* CommentStreamA is ANSI text, CommentStreamW UTF-16LE; either may or may
 * not carry a terminator, so both stop at the first NUL or the stream end.
 * A stream cut short by the end of the file keeps what exists. */
static dw_status parse_comment_a(dw_dump *dump)
{
    dw_reader r;
    if (dw_find_stream(dump, DW_STREAM_COMMENT_A, &r, NULL) == DW_ERR_NOT_FOUND)
        return DW_ERR_NOT_FOUND;
    const char *text = r.size ? dw_arena_strndup(&dump->arena, (const char *)r.data, r.size)
                              : dw_arena_strdup(&dump->arena, "");
    if (!text)
        return dw_fail(dump, DW_ERR_NOMEM, "CommentA: out of memory");
    dump->comment_a = text;
    return DW_OK;
}

static dw_status parse_comment_w(dw_dump *dump)
{
    dw_reader r;
    if (dw_find_stream(dump, DW_STREAM_COMMENT_W, &r, NULL) == DW_ERR_NOT_FOUND)
        return DW_ERR_NOT_FOUND;
    const char *text = dw_utf16le_to_utf8(&dump->arena, r.data, r.size / 2);
    if (!text)
        return dw_fail(dump, DW_ERR_NOMEM, "CommentW: out of memory");
    dump->comment_w = text;
    return DW_OK;
}

dw_status dw_dump_comment(dw_dump *dump, uint32_t which, const char **text)
{
    if (!dump || !text)
        return DW_ERR_INVALID_ARG;
    *text = NULL;
    dw_status st;
    if (which == DW_STREAM_COMMENT_A) {
        st = dw_lazy_run(dump, &dump->comment_a_lazy, parse_comment_a);
        *text = st == DW_OK ? dump->comment_a : NULL;
    } else if (which == DW_STREAM_COMMENT_W) {
        st = dw_lazy_run(dump, &dump->comment_w_lazy, parse_comment_w);
        *text = st == DW_OK ? dump->comment_w : NULL;
    } else {
        st = dw_fail(dump, DW_ERR_INVALID_ARG,
                     "dw_dump_comment: stream type 0x%x is not CommentStreamA (10) or W (11)",
                     which);
    }
    return st;
}

/* ---- Linux text streams ---------------------------------------------------- */

dw_status dw_dump_stream_text(dw_dump *dump, uint32_t type, const char **text, size_t *len)
{
    if (!dump || !text || !len)
        return DW_ERR_INVALID_ARG;
    *text = NULL;
    *len = 0;
    /* Breakpad's Linux streams 0x47670003 (cpuinfo) .. 0x47670009 (maps) are
     * file contents captured verbatim; other types are structured. */
    if (type < DW_STREAM_LINUX_CPU_INFO || type > DW_STREAM_LINUX_MAPS)
        return dw_fail(dump, DW_ERR_INVALID_ARG,
                       "dw_dump_stream_text: stream type 0x%x is not a Linux text stream "
                       "(0x47670003..0x47670009)",
                       type);
    dw_reader r;
    dw_status st = dw_find_stream(dump, type, &r, NULL);
    if (st == DW_ERR_NOT_FOUND)
        return st;
    /* A stream running past the end of the file was reported when the
     * directory was read; hand out the part that exists. */
    *text = r.size ? (const char *)r.data : "";
    *len = r.size;
    return st;
}
