/* Breakpad's minidump_dump output for minidump2.dmp
 * (shared/corpus/breakpad/expected/minidump2.dump.out) must agree with
 * dumpwalk on every field both print.  The file is a sequence of blocks
 * ("MDRawThread", "MDRawModule", ...) of "key = value" lines; we read each
 * block's fields and compare them with what the library decoded. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dumpwalk/dumpwalk.h"
#include "test_util.h"

#define MAX_FIELDS 64

typedef struct block {
    char name[64];
    int nfields;
    char key[MAX_FIELDS][64];
    char value[MAX_FIELDS][256];
} block;

typedef struct dump_out {
    block *blocks;
    int count;
} dump_out;

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static int load_dump_out(const char *path, dump_out *d)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[8192];
    d->blocks = calloc(512, sizeof(block));
    d->count = 0;
    block *cur = NULL;
    while (fgets(line, sizeof line, f)) {
        trim(line);
        if (line[0] && line[0] != ' ' && !strchr(line, '=') && d->count < 512) {
            cur = &d->blocks[d->count++];
            snprintf(cur->name, sizeof cur->name, "%s", line);
            continue;
        }
        char *eq = strstr(line, " = ");
        if (!cur || !eq || line[0] != ' ' || cur->nfields >= MAX_FIELDS)
            continue;
        *eq = '\0';
        char *k = line;
        while (*k == ' ')
            k++;
        trim(k);
        snprintf(cur->key[cur->nfields], 64, "%s", k);
        snprintf(cur->value[cur->nfields], 256, "%s", eq + 3);
        cur->nfields++;
    }
    fclose(f);
    return 1;
}

static const char *field(const block *b, const char *key)
{
    for (int i = 0; i < b->nfields; i++)
        if (!strcmp(b->key[i], key))
            return b->value[i];
    return NULL;
}

/* Numeric value of a field ("0x1f", "2600", "0x45d35f73 2007-..."). */
static uint64_t num(const block *b, const char *key)
{
    const char *v = field(b, key);
    ck_assert_msg(v != NULL, "%s: no field %s", b->name, key);
    return strtoull(v, NULL, 0);
}

/* A quoted string field without its quotes. */
static void str(const block *b, const char *key, char *out, size_t size)
{
    const char *v = field(b, key);
    ck_assert_msg(v != NULL, "%s: no field %s", b->name, key);
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"')
        snprintf(out, size, "%.*s", (int)(n - 2), v + 1);
    else
        snprintf(out, size, "%s", v);
}

static const block *nth_block(const dump_out *d, const char *name, int n)
{
    for (int i = 0; i < d->count; i++)
        if (!strcmp(d->blocks[i].name, name) && n-- == 0)
            return &d->blocks[i];
    return NULL;
}

static dw_dump *open_minidump2(dump_out *d)
{
    const char *out_path = dw_test_shared_path("corpus/breakpad/expected/minidump2.dump.out");
    if (!out_path)
        return NULL;
    ck_assert(load_dump_out(out_path, d));
    const char *dmp = dw_test_shared_path("corpus/breakpad/minidump2.dmp");
    dw_dump *dump;
    dw_error err;
    ck_assert_msg(dw_dump_open(dmp, NULL, &dump, &err) == DW_OK, "%s", err.message);
    return dump;
}

START_TEST(header_and_directory_agree)
{
    dump_out d;
    dw_dump *dump = open_minidump2(&d);
    if (!dump)
        return;
    const block *b = nth_block(&d, "MDRawHeader", 0);
    const dw_header *h = dw_dump_header(dump);
    ck_assert_uint_eq(h->signature, num(b, "signature"));
    ck_assert_uint_eq(h->version, num(b, "version"));
    ck_assert_uint_eq(h->stream_count, num(b, "stream_count"));
    ck_assert_uint_eq(h->directory_rva, num(b, "stream_directory_rva"));
    ck_assert_uint_eq(h->checksum, num(b, "checksum"));
    ck_assert_uint_eq(h->time_date_stamp, num(b, "time_date_stamp"));
    ck_assert_uint_eq(h->flags, num(b, "flags"));
    for (size_t i = 0; i < dw_dump_stream_count(dump); i++) {
        const block *db = nth_block(&d, "MDRawDirectory", (int)i);
        const dw_stream_info *s = dw_dump_stream_at(dump, i);
        ck_assert_ptr_nonnull(db);
        ck_assert_uint_eq(s->type, num(db, "stream_type"));
        ck_assert_uint_eq(s->size, num(db, "location.data_size"));
        ck_assert_uint_eq(s->rva, num(db, "location.rva"));
    }
    dw_dump_close(dump);
    free(d.blocks);
}
END_TEST

static void check_x86_context(const block *b, const dw_context *ctx)
{
    static const char *const regs[] = {"gs",  "fs",  "es",  "ds",  "edi", "esi",    "ebx", "edx",
                                       "ecx", "eax", "ebp", "eip", "cs",  "eflags", "esp", "ss"};
    ck_assert_uint_eq(ctx->context_flags, num(b, "context_flags"));
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++) {
        uint64_t v;
        ck_assert_msg(dw_context_get(ctx, regs[i], &v) == DW_OK, "register %s missing", regs[i]);
        ck_assert_msg(v == num(b, regs[i]), "%s: 0x%" PRIx64 " vs breakpad 0x%" PRIx64, regs[i], v,
                      num(b, regs[i]));
    }
}

START_TEST(threads_and_contexts_agree)
{
    dump_out d;
    dw_dump *dump = open_minidump2(&d);
    if (!dump)
        return;
    const dw_thread *t;
    size_t n;
    ck_assert_int_eq(dw_dump_threads(dump, &t, &n), DW_OK);
    ck_assert_uint_eq(n, num(nth_block(&d, "MinidumpThreadList", 0), "thread_count"));
    for (size_t i = 0; i < n; i++) {
        const block *b = nth_block(&d, "MDRawThread", (int)i);
        ck_assert_uint_eq(t[i].thread_id, num(b, "thread_id"));
        ck_assert_uint_eq(t[i].suspend_count, num(b, "suspend_count"));
        ck_assert_uint_eq(t[i].priority_class, num(b, "priority_class"));
        ck_assert_uint_eq(t[i].priority, num(b, "priority"));
        ck_assert_uint_eq(t[i].teb, num(b, "teb"));
        ck_assert_uint_eq(t[i].stack_start, num(b, "stack.start_of_memory_range"));
        ck_assert_uint_eq(t[i].stack_size, num(b, "stack.memory.data_size"));
        ck_assert_uint_eq(t[i].stack_rva, num(b, "stack.memory.rva"));
        ck_assert_uint_eq(t[i].context_size, num(b, "thread_context.data_size"));
        ck_assert_uint_eq(t[i].context_rva, num(b, "thread_context.rva"));
        dw_context ctx;
        ck_assert_int_eq(dw_thread_context(dump, &t[i], &ctx), DW_OK);
        /* Context blocks: one per thread, then the exception's. */
        check_x86_context(nth_block(&d, "MDRawContextX86", (int)i), &ctx);
    }
    dw_dump_close(dump);
    free(d.blocks);
}
END_TEST

START_TEST(modules_agree)
{
    dump_out d;
    dw_dump *dump = open_minidump2(&d);
    if (!dump)
        return;
    const dw_module *m;
    size_t n;
    char s[256];
    ck_assert_int_eq(dw_dump_modules(dump, &m, &n), DW_OK);
    ck_assert_uint_eq(n, num(nth_block(&d, "MinidumpModuleList", 0), "module_count"));
    for (size_t i = 0; i < n; i++) {
        const block *b = nth_block(&d, "MDRawModule", (int)i);
        ck_assert_uint_eq(m[i].base, num(b, "base_of_image"));
        ck_assert_uint_eq(m[i].size, num(b, "size_of_image"));
        ck_assert_uint_eq(m[i].checksum, num(b, "checksum"));
        ck_assert_uint_eq(m[i].time_date_stamp, num(b, "time_date_stamp"));
        ck_assert_uint_eq(m[i].cv_size, num(b, "cv_record.data_size"));
        ck_assert_uint_eq(m[i].cv_rva, num(b, "cv_record.rva"));
        str(b, "(code_file)", s, sizeof s);
        ck_assert_str_eq(m[i].path, s);
        str(b, "(code_identifier)", s, sizeof s);
        ck_assert_str_eq(m[i].code_id, s);
        str(b, "(debug_file)", s, sizeof s);
        ck_assert_str_eq(m[i].debug_file, s);
        str(b, "(debug_identifier)", s, sizeof s);
        ck_assert_str_eq(m[i].debug_id, s);
    }
    dw_dump_close(dump);
    free(d.blocks);
}
END_TEST

START_TEST(memory_exception_system_misc_breakpad_agree)
{
    dump_out d;
    dw_dump *dump = open_minidump2(&d);
    if (!dump)
        return;
    /* Every MemoryList region is readable at its address with its size. */
    for (int i = 0;; i++) {
        const block *b = nth_block(&d, "MDMemoryDescriptor", i);
        if (!b)
            break;
        uint64_t start = num(b, "start_of_memory_range"), size = num(b, "memory.data_size");
        size_t got = 0;
        uint8_t *buf = malloc(size);
        ck_assert_int_eq(dw_memory_read(dump, start, buf, size, &got), DW_OK);
        ck_assert_uint_eq(got, size);
        free(buf);
    }
    const dw_exception *e;
    ck_assert_int_eq(dw_dump_exception(dump, &e), DW_OK);
    const block *b = nth_block(&d, "MDException", 0);
    ck_assert_uint_eq(e->thread_id, num(b, "thread_id"));
    ck_assert_uint_eq(e->code, num(b, "exception_record.exception_code"));
    ck_assert_uint_eq(e->flags, num(b, "exception_record.exception_flags"));
    ck_assert_uint_eq(e->record, num(b, "exception_record.exception_record"));
    ck_assert_uint_eq(e->address, num(b, "exception_record.exception_address"));
    ck_assert_uint_eq(e->parameter_count, num(b, "exception_record.number_parameters"));
    ck_assert_uint_eq(e->parameters[0], num(b, "exception_record.exception_information[ 0]"));
    ck_assert_uint_eq(e->parameters[1], num(b, "exception_record.exception_information[ 1]"));
    ck_assert_uint_eq(e->context_size, num(b, "thread_context.data_size"));
    ck_assert_uint_eq(e->context_rva, num(b, "thread_context.rva"));
    dw_context ctx;
    ck_assert_int_eq(dw_dump_context_at(dump, e->context_rva, e->context_size, &ctx), DW_OK);
    const dw_thread *t;
    size_t nt;
    dw_dump_threads(dump, &t, &nt);
    check_x86_context(nth_block(&d, "MDRawContextX86", (int)nt), &ctx);

    const dw_system_info *si;
    char s[256];
    ck_assert_int_eq(dw_dump_system_info(dump, &si), DW_OK);
    b = nth_block(&d, "MDRawSystemInfo", 0);
    ck_assert_uint_eq(si->processor_architecture, num(b, "processor_architecture"));
    ck_assert_uint_eq(si->processor_level, num(b, "processor_level"));
    ck_assert_uint_eq(si->processor_revision, num(b, "processor_revision"));
    ck_assert_uint_eq(si->number_of_processors, num(b, "number_of_processors"));
    ck_assert_uint_eq(si->product_type, num(b, "product_type"));
    ck_assert_uint_eq(si->major_version, num(b, "major_version"));
    ck_assert_uint_eq(si->minor_version, num(b, "minor_version"));
    ck_assert_uint_eq(si->build_number, num(b, "build_number"));
    ck_assert_uint_eq(si->platform_id, num(b, "platform_id"));
    ck_assert_uint_eq(si->suite_mask, num(b, "suite_mask"));
    ck_assert_uint_eq(si->version_information, num(b, "cpu.x86_cpu_info.version_information"));
    ck_assert_uint_eq(si->feature_information, num(b, "cpu.x86_cpu_info.feature_information"));
    ck_assert_uint_eq(si->amd_extended_cpu_features,
                      num(b, "cpu.x86_cpu_info.amd_extended_cpu_features"));
    str(b, "(csd_version)", s, sizeof s);
    ck_assert_str_eq(si->csd_version, s);
    str(b, "(cpu_vendor)", s, sizeof s);
    ck_assert_str_eq(si->vendor_id, s);

    const dw_misc_info *mi;
    ck_assert_int_eq(dw_dump_misc_info(dump, &mi), DW_OK);
    b = nth_block(&d, "MDRawMiscInfo", 0);
    ck_assert_uint_eq(mi->size_of_info, num(b, "size_of_info"));
    ck_assert_uint_eq(mi->flags1, num(b, "flags1"));
    ck_assert_uint_eq(mi->process_id, num(b, "process_id"));
    ck_assert_uint_eq(mi->process_create_time, num(b, "process_create_time"));
    ck_assert_uint_eq(mi->process_user_time, num(b, "process_user_time"));
    ck_assert_uint_eq(mi->process_kernel_time, num(b, "process_kernel_time"));

    const dw_breakpad_info *bi;
    ck_assert_int_eq(dw_dump_breakpad_info(dump, &bi), DW_OK);
    b = nth_block(&d, "MDRawBreakpadInfo", 0);
    ck_assert_uint_eq(bi->validity, num(b, "validity"));
    ck_assert_uint_eq(bi->dump_thread_id, num(b, "dump_thread_id"));
    ck_assert_uint_eq(bi->requesting_thread_id, num(b, "requesting_thread_id"));
    ck_assert_int_eq(dw_dump_check_all(dump), DW_OK);
    dw_dump_close(dump);
    free(d.blocks);
}
END_TEST

Suite *dump_out_suite(void)
{
    Suite *s = suite_create("dump_out");
    TCase *tc = tcase_create("minidump2");
    tcase_add_test(tc, header_and_directory_agree);
    tcase_add_test(tc, threads_and_contexts_agree);
    tcase_add_test(tc, modules_agree);
    tcase_add_test(tc, memory_exception_system_misc_breakpad_agree);
    suite_add_tcase(s, tc);
    return s;
}
