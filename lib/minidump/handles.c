/* HandleData (type 12) and FunctionTable (type 13) streams.
 *
 * Both streams declare their own header and record sizes so that writers can
 * grow them; records are stepped by the declared sizes and only the fields
 * this code knows are read from each. */
#include <string.h>

#include "minidump/internal.h"

/* MINIDUMP_HANDLE_DATA_STREAM: SizeOfHeader, SizeOfDescriptor,
 * NumberOfDescriptors, Reserved.  MINIDUMP_HANDLE_DESCRIPTOR (32 bytes):
 * Handle u64, TypeNameRva, ObjectNameRva, Attributes, GrantedAccess,
 * HandleCount, PointerCount; _2 (40 bytes) adds ObjectInfoRva, Reserved0. */
#define HANDLE_MIN_HEADER 16
#define HANDLE_DESCRIPTOR_V1 32
#define HANDLE_DESCRIPTOR_V2 40
#define DW_MAX_HANDLES 4000000

/* MINIDUMP_FUNCTION_TABLE_STREAM: SizeOfHeader, SizeOfDescriptor,
 * SizeOfNativeDescriptor, SizeOfFunctionEntry, NumberOfDescriptors,
 * SizeOfAlignPad (padding after the header).  Each table is then a
 * MINIDUMP_FUNCTION_TABLE_DESCRIPTOR (MinimumAddress, MaximumAddress,
 * BaseAddress u64, EntryCount u32, SizeOfAlignPad u32) of SizeOfDescriptor
 * bytes, the native descriptor, EntryCount function entries and the table's
 * own padding. */
#define FTABLE_MIN_HEADER 24
#define FTABLE_MIN_DESCRIPTOR 32
#define DW_MAX_FUNCTION_TABLES 100000

/* A string RVA of 0 means "none"; any other unreadable RVA is damage. */
static const char *handle_string(dw_dump *dump, uint32_t rva, size_t index, const char *what)
{
    if (rva == 0)
        return NULL;
    const char *s = dw_read_md_string(dump, rva);
    if (!s)
        dw_damage(dump, DW_STREAM_HANDLE_DATA, rva, DW_ERR_DAMAGED,
                  "HandleData: descriptor %zu %s (MINIDUMP_STRING at 0x%x) is unreadable", index,
                  what, rva);
    return s;
}

static void read_handle(dw_dump *dump, dw_reader d, uint32_t desc_size, size_t index, dw_handle *h)
{
    h->handle = dw_read_u64(&d);
    uint32_t type_rva = dw_read_u32(&d);
    uint32_t name_rva = dw_read_u32(&d);
    h->attributes = dw_read_u32(&d);
    h->granted_access = dw_read_u32(&d);
    h->handle_count = dw_read_u32(&d);
    h->pointer_count = dw_read_u32(&d);
    if (desc_size >= HANDLE_DESCRIPTOR_V2)
        h->object_info_rva = dw_read_u32(&d);
    h->type_name = handle_string(dump, type_rva, index, "type name");
    h->object_name = handle_string(dump, name_rva, index, "object name");
}

static const dw_sized_list_spec handle_list = {
    HANDLE_MIN_HEADER, HANDLE_DESCRIPTOR_V1, 0, DW_MAX_HANDLES, "SizeOfDescriptor", "descriptors",
};

static dw_status parse_handles(dw_dump *dump)
{
    dw_reader stream;
    uint32_t rva = 0, header_size, desc_size;
    uint64_t count;
    dw_status st = dw_find_stream(dump, DW_STREAM_HANDLE_DATA, &stream, &rva);
    if (st == DW_ERR_NOT_FOUND)
        return st;
    dw_status lst = dw_sized_list_header(dump, DW_STREAM_HANDLE_DATA, &stream, rva, &handle_list,
                                         &header_size, &desc_size, &count);
    if (count == 0 && lst != DW_OK)
        return lst;
    dump->handles = dw_arena_calloc(&dump->arena, count ? count : 1, sizeof(dw_handle));
    if (!dump->handles)
        return dw_fail(dump, DW_ERR_NOMEM, "HandleData: out of memory for %llu handles",
                       (unsigned long long)count);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t at = header_size + (uint64_t)i * desc_size;
        read_handle(dump, dw_reader_sub_clamped(&stream, at, desc_size), desc_size, i,
                    &dump->handles[i]);
    }
    dump->handle_count = count;
    return lst != DW_OK ? lst : st;
}

dw_status dw_dump_handles(dw_dump *dump, const dw_handle **handles, size_t *count)
{
    dw_status st = dw_lazy_run(dump, &dump->handles_lazy, parse_handles);
    *handles = dump->handles;
    *count = dump->handle_count;
    return st;
}

typedef struct ftable_layout {
    uint32_t header_size, desc_size, native_size, entry_size, count, align_pad;
} ftable_layout;

static dw_status ftable_header(dw_dump *dump, const dw_reader *stream, uint32_t rva,
                               ftable_layout *l)
{
    dw_reader r = *stream;
    l->header_size = dw_read_u32(&r);
    l->desc_size = dw_read_u32(&r);
    l->native_size = dw_read_u32(&r);
    l->entry_size = dw_read_u32(&r);
    l->count = dw_read_u32(&r);
    l->align_pad = dw_read_u32(&r);
    if (r.failed || l->header_size < FTABLE_MIN_HEADER || l->desc_size < FTABLE_MIN_DESCRIPTOR) {
        l->count = 0;
        return dw_damage(dump, DW_STREAM_FUNCTION_TABLE, rva, DW_ERR_DAMAGED,
                         "FunctionTable: header (SizeOfHeader %u, SizeOfDescriptor %u) in a "
                         "%zu-byte stream is unusable",
                         l->header_size, l->desc_size, stream->size);
    }
    /* Every table needs at least its descriptor: that bounds the count before
     * anything is allocated. */
    uint64_t room = stream->size / l->desc_size;
    if (l->count > room || l->count > DW_MAX_FUNCTION_TABLES) {
        uint32_t declared = l->count;
        l->count = (uint32_t)(room < DW_MAX_FUNCTION_TABLES ? room : DW_MAX_FUNCTION_TABLES);
        return dw_damage(dump, DW_STREAM_FUNCTION_TABLE, rva, DW_ERR_TRUNCATED,
                         "FunctionTable: %u tables declared but the %zu-byte stream can hold "
                         "at most %u",
                         declared, stream->size, l->count);
    }
    return DW_OK;
}

/* One table at the cursor; 0 (with damage reported) when it does not fit. */
static int read_ftable(dw_dump *dump, dw_reader *r, const ftable_layout *l, uint32_t rva,
                       size_t index, dw_function_table *t)
{
    size_t start = r->pos;
    const uint8_t *desc = dw_reader_take(r, l->desc_size);
    const uint8_t *native = dw_reader_take(r, l->native_size);
    uint32_t entry_count = desc ? dw_le32(desc + 24) : 0;
    uint32_t pad = desc ? dw_le32(desc + 28) : 0;
    uint64_t entries_size;
    int sized = dw_mul_ok(entry_count, l->entry_size, &entries_size) && entries_size <= SIZE_MAX;
    const uint8_t *entries = sized ? dw_reader_take(r, (size_t)entries_size) : NULL;
    if (!desc || !native || !entries || !dw_reader_skip(r, pad)) {
        dw_damage(dump, DW_STREAM_FUNCTION_TABLE, (uint64_t)rva + start, DW_ERR_TRUNCATED,
                  "FunctionTable: table %zu (%u entries of %u bytes) runs past the end of the "
                  "stream",
                  index, entry_count, l->entry_size);
        return 0;
    }
    t->minimum_address = dw_le64(desc);
    t->maximum_address = dw_le64(desc + 8);
    t->base_address = dw_le64(desc + 16);
    t->entry_count = entry_count;
    t->size_of_align_pad = pad;
    t->native_descriptor = native;
    t->native_descriptor_size = l->native_size;
    t->entries = entries;
    t->entry_size = l->entry_size;
    return 1;
}

static dw_status parse_function_tables(dw_dump *dump)
{
    dw_reader stream;
    uint32_t rva = 0;
    ftable_layout l;
    dw_status st = dw_find_stream(dump, DW_STREAM_FUNCTION_TABLE, &stream, &rva);
    if (st == DW_ERR_NOT_FOUND)
        return st;
    dw_status hst = ftable_header(dump, &stream, rva, &l);
    st = hst != DW_OK ? hst : st;
    if (l.count == 0)
        return st;
    dump->function_tables = dw_arena_calloc(&dump->arena, l.count, sizeof(dw_function_table));
    if (!dump->function_tables)
        return dw_fail(dump, DW_ERR_NOMEM, "FunctionTable: out of memory for %u tables", l.count);
    dw_reader r = stream;
    uint64_t first = (uint64_t)l.header_size + l.align_pad;
    if (!dw_reader_seek(&r, first))
        return dw_damage(dump, DW_STREAM_FUNCTION_TABLE, rva, DW_ERR_TRUNCATED,
                         "FunctionTable: header and padding (%llu bytes) exceed the %zu-byte "
                         "stream",
                         (unsigned long long)first, stream.size);
    size_t n = 0;
    while (n < l.count && read_ftable(dump, &r, &l, rva, n, &dump->function_tables[n]))
        n++;
    dump->function_table_count = n;
    return n < l.count ? DW_ERR_TRUNCATED : st;
}

dw_status dw_dump_function_tables(dw_dump *dump, const dw_function_table **tables, size_t *count)
{
    dw_status st = dw_lazy_run(dump, &dump->function_tables_lazy, parse_function_tables);
    *tables = dump->function_tables;
    *count = dump->function_table_count;
    return st;
}
