/* The info, streams, threads, modules and memory reports, as text and JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dumpwalk/dumpwalk.h"
#include "report/json.h"
#include "report/report_common.h"

/* ---- shared pieces ---------------------------------------------------- */

const char *dw_report_cpu_description(const dw_system_info *si, char *buf, size_t size)
{
    /* As Breakpad words it: family = ProcessorLevel, model and stepping are
     * the high and low bytes of ProcessorRevision; x86 dumps name the CPUID
     * vendor first. */
    unsigned family = si->processor_level;
    unsigned model = si->processor_revision >> 8, stepping = si->processor_revision & 0xff;
    int x86ish =
        si->processor_architecture == DW_CPU_X86 || si->processor_architecture == DW_CPU_AMD64;
    if (!x86ish)
        snprintf(buf, size, "%s", si->cpu_name ? si->cpu_name : "unknown");
    else if (si->processor_architecture == DW_CPU_X86 && si->vendor_id[0])
        snprintf(buf, size, "%s family %u model %u stepping %u", si->vendor_id, family, model,
                 stepping);
    else
        snprintf(buf, size, "family %u model %u stepping %u", family, model, stepping);
    return buf;
}

const char *dw_report_os_version(const dw_system_info *si, char *buf, size_t size)
{
    if (si->csd_version && si->csd_version[0])
        snprintf(buf, size, "%u.%u.%u %s", si->major_version, si->minor_version, si->build_number,
                 si->csd_version);
    else
        snprintf(buf, size, "%u.%u.%u", si->major_version, si->minor_version, si->build_number);
    return buf;
}

const char *dw_report_time(uint32_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, size, "%u", t);
    return buf;
}

void dw_report_json_health(dw_json *j, dw_dump *dump)
{
    size_t n = dw_dump_health_count(dump);
    dw_json_key(j, "health");
    dw_json_begin_object(j);
    dw_json_kv_bool(j, "ok", n == 0);
    dw_json_key(j, "issues");
    dw_json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        const dw_health_issue *h = dw_dump_health_at(dump, i);
        const char *name = dw_stream_type_name(h->stream_type);
        dw_json_begin_object(j);
        dw_json_kv_string(j, "stream", h->stream_type ? (name ? name : "unknown") : "header");
        dw_json_kv_uint(j, "stream_type", h->stream_type);
        dw_json_kv_hex(j, "offset", h->offset);
        dw_json_kv_string(j, "status", dw_status_name(h->status));
        dw_json_kv_string(j, "message", h->message);
        dw_json_end_object(j);
    }
    dw_json_end_array(j);
    dw_json_end_object(j);
}

void dw_report_text_health(FILE *out, dw_dump *dump)
{
    size_t n = dw_dump_health_count(dump);
    if (n == 0) {
        fprintf(out, "Health: ok\n");
        return;
    }
    fprintf(out, "Health: %zu problem%s\n", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %s\n", dw_dump_health_at(dump, i)->message);
}

static void json_begin_doc(dw_json *j, dw_dump *dump)
{
    dw_json_begin_object(j);
    dw_json_kv_uint(j, "dumpwalk_json_version", DW_JSON_SCHEMA_VERSION);
    const dw_header *h = dw_dump_header(dump);
    dw_json_kv_string(j, "format", h->format == DW_FORMAT_MINIDUMP ? "minidump" : "core");
}

/* ---- info --------------------------------------------------------------- */

static void json_system_info(dw_json *j, dw_dump *dump)
{
    const dw_system_info *si;
    char buf[160];
    dw_json_key(j, "system_info");
    if (dw_dump_system_info(dump, &si) != DW_OK) {
        dw_json_null(j);
        return;
    }
    dw_json_begin_object(j);
    dw_json_kv_string(j, "os", si->os_name);
    dw_json_kv_string(j, "os_ver", dw_report_os_version(si, buf, sizeof buf));
    dw_json_kv_uint(j, "os_build", si->build_number);
    dw_json_kv_string(j, "csd_version", si->csd_version);
    dw_json_kv_string(j, "cpu_arch", si->cpu_name);
    dw_json_kv_string(j, "cpu_info", dw_report_cpu_description(si, buf, sizeof buf));
    dw_json_kv_uint(j, "cpu_count", si->number_of_processors);
    dw_json_kv_uint(j, "processor_architecture", si->processor_architecture);
    dw_json_kv_uint(j, "product_type", si->product_type);
    dw_json_kv_uint(j, "platform_id", si->platform_id);
    dw_json_end_object(j);
}

static void json_misc_info(dw_json *j, dw_dump *dump)
{
    const dw_misc_info *mi;
    dw_json_key(j, "process");
    if (dw_dump_misc_info(dump, &mi) != DW_OK) {
        dw_json_null(j);
        return;
    }
    const dw_header *h = dw_dump_header(dump);
    dw_json_begin_object(j);
    if (mi->flags1 & DW_MISC_PROCESS_ID)
        dw_json_kv_uint(j, "pid", mi->process_id);
    else
        dw_json_kv_null(j, "pid");
    if (mi->flags1 & DW_MISC_PROCESS_TIMES) {
        dw_json_kv_uint(j, "create_time", mi->process_create_time);
        if (h->time_date_stamp >= mi->process_create_time)
            dw_json_kv_uint(j, "uptime_seconds", h->time_date_stamp - mi->process_create_time);
        dw_json_kv_uint(j, "user_time_seconds", mi->process_user_time);
        dw_json_kv_uint(j, "kernel_time_seconds", mi->process_kernel_time);
    }
    if (mi->build_string && mi->build_string[0])
        dw_json_kv_string(j, "build_string", mi->build_string);
    dw_json_kv_uint(j, "misc_info_version", (uint64_t)mi->version);
    dw_json_end_object(j);
}

static void json_crash_info(dw_json *j, dw_dump *dump)
{
    const dw_exception *e;
    char buf[128];
    dw_json_key(j, "crash_info");
    if (dw_dump_exception(dump, &e) != DW_OK) {
        dw_json_null(j);
        return;
    }
    dw_json_begin_object(j);
    dw_json_kv_string(j, "type", dw_exception_reason(dump, e, buf, sizeof buf));
    dw_json_kv_hex(j, "address", dw_exception_crash_address(dump, e));
    dw_json_kv_hex(j, "exception_address", e->address);
    dw_json_kv_uint(j, "crashing_thread_id", e->thread_id);
    dw_json_kv_hex(j, "code", e->code);
    dw_json_kv_hex(j, "flags", e->flags);
    dw_json_key(j, "parameters");
    dw_json_begin_array(j);
    uint32_t np = e->parameter_count < DW_EXCEPTION_MAX_PARAMETERS ? e->parameter_count
                                                                   : DW_EXCEPTION_MAX_PARAMETERS;
    for (uint32_t i = 0; i < np; i++)
        dw_json_hex(j, e->parameters[i]);
    dw_json_end_array(j);
    dw_json_end_object(j);
}

static void info_json(dw_dump *dump, FILE *out)
{
    dw_json j;
    char buf[512];
    const dw_header *h = dw_dump_header(dump);
    dw_json_init(&j, out, 1);
    json_begin_doc(&j, dump);
    dw_json_kv_uint(&j, "file_size", h->file_size);
    dw_json_kv_bool(&j, "compressed", h->was_compressed);
    dw_json_kv_uint(&j, "timestamp", h->time_date_stamp);
    dw_json_kv_string(&j, "time", dw_report_time(h->time_date_stamp, buf, sizeof buf));
    dw_json_kv_hex(&j, "flags", h->flags);
    dw_json_kv_string(&j, "flags_names", dw_dump_flags_string(h->flags, buf, sizeof buf));
    dw_json_kv_uint(&j, "stream_count", dw_dump_stream_count(dump));
    json_system_info(&j, dump);
    json_misc_info(&j, dump);
    json_crash_info(&j, dump);
    const dw_thread *threads;
    size_t nthreads = 0;
    dw_dump_threads(dump, &threads, &nthreads);
    dw_json_kv_uint(&j, "thread_count", nthreads);
    const dw_module *mods;
    size_t nmods = 0;
    dw_dump_modules(dump, &mods, &nmods);
    dw_json_kv_uint(&j, "module_count", nmods);
    dw_report_json_health(&j, dump);
    dw_json_end_object(&j);
    dw_json_finish(&j);
}

void dw_report_text_system(dw_dump *dump, FILE *out)
{
    const dw_system_info *si;
    char buf[160];
    if (dw_dump_system_info(dump, &si) != DW_OK) {
        fprintf(out, "Operating system: unknown (no usable SystemInfo stream)\n");
        return;
    }
    fprintf(out, "Operating system: %s\n", si->os_name);
    fprintf(out, "                  %s\n", dw_report_os_version(si, buf, sizeof buf));
    fprintf(out, "CPU: %s\n", si->cpu_name);
    fprintf(out, "     %s\n", dw_report_cpu_description(si, buf, sizeof buf));
    fprintf(out, "     %u CPU%s\n", si->number_of_processors,
            si->number_of_processors == 1 ? "" : "s");
}

static void info_text_process(dw_dump *dump, FILE *out)
{
    const dw_misc_info *mi;
    const dw_header *h = dw_dump_header(dump);
    if (dw_dump_misc_info(dump, &mi) != DW_OK)
        return;
    if (mi->flags1 & DW_MISC_PROCESS_ID)
        fprintf(out, "Process id: %u\n", mi->process_id);
    if ((mi->flags1 & DW_MISC_PROCESS_TIMES) && h->time_date_stamp >= mi->process_create_time)
        fprintf(out, "Process uptime: %u seconds\n", h->time_date_stamp - mi->process_create_time);
}

static void info_text_crash(dw_dump *dump, FILE *out)
{
    const dw_exception *e;
    char buf[128];
    if (dw_dump_exception(dump, &e) != DW_OK) {
        fprintf(out, "No crash\n");
        return;
    }
    fprintf(out, "Crash reason:  %s\n", dw_exception_reason(dump, e, buf, sizeof buf));
    fprintf(out, "Crash address: 0x%" PRIx64 "\n", dw_exception_crash_address(dump, e));
    fprintf(out, "Crashing thread: %u (0x%x)\n", e->thread_id, e->thread_id);
}

static void info_text(dw_dump *dump, FILE *out)
{
    char buf[512];
    const dw_header *h = dw_dump_header(dump);
    dw_report_text_system(dump, out);
    fprintf(out, "\n");
    info_text_crash(dump, out);
    info_text_process(dump, out);
    fprintf(out, "Dump time: %s\n", dw_report_time(h->time_date_stamp, buf, sizeof buf));
    fprintf(out, "Dump flags: 0x%" PRIx64 " (%s)\n", h->flags,
            dw_dump_flags_string(h->flags, buf, sizeof buf));
    const dw_thread *threads;
    size_t nthreads = 0, nmods = 0;
    const dw_module *mods;
    dw_dump_threads(dump, &threads, &nthreads);
    dw_dump_modules(dump, &mods, &nmods);
    fprintf(out, "Threads: %zu  Modules: %zu  Streams: %zu%s\n", nthreads, nmods,
            dw_dump_stream_count(dump), h->was_compressed ? "  (gzip input)" : "");
    dw_report_text_health(out, dump);
}

/* ---- streams ------------------------------------------------------------ */

static void streams_json(dw_dump *dump, FILE *out)
{
    dw_json j;
    dw_json_init(&j, out, 1);
    json_begin_doc(&j, dump);
    dw_json_key(&j, "streams");
    dw_json_begin_array(&j);
    for (size_t i = 0; i < dw_dump_stream_count(dump); i++) {
        const dw_stream_info *s = dw_dump_stream_at(dump, i);
        dw_json_begin_object(&j);
        dw_json_kv_uint(&j, "index", i);
        dw_json_kv_uint(&j, "type", s->type);
        dw_json_kv_string(&j, "name", s->name);
        dw_json_kv_uint(&j, "size", s->size);
        dw_json_kv_hex(&j, "rva", s->rva);
        dw_json_kv_bool(&j, "in_bounds", s->in_bounds);
        dw_json_kv_bool(&j, "duplicate", s->duplicate);
        dw_json_end_object(&j);
    }
    dw_json_end_array(&j);
    dw_report_json_health(&j, dump);
    dw_json_end_object(&j);
    dw_json_finish(&j);
}

static void streams_text(dw_dump *dump, FILE *out)
{
    fprintf(out, "%-5s %-12s %-22s %10s %10s  %s\n", "index", "type", "name", "size", "rva",
            "notes");
    for (size_t i = 0; i < dw_dump_stream_count(dump); i++) {
        const dw_stream_info *s = dw_dump_stream_at(dump, i);
        fprintf(out, "%-5zu 0x%-10x %-22s %10u 0x%08x  %s%s\n", i, s->type, s->name, s->size,
                s->rva, s->in_bounds ? "" : "past-end-of-file ", s->duplicate ? "duplicate" : "");
    }
    dw_report_text_health(out, dump);
}

/* ---- threads ------------------------------------------------------------ */

static void json_registers(dw_json *j, const dw_context *ctx)
{
    dw_json_begin_object(j);
    for (unsigned r = 0; r < dw_reg_count(ctx->arch); r++) {
        if (dw_context_has(ctx, r))
            dw_json_kv_hex(j, dw_reg_name(ctx->arch, r), ctx->regs[r]);
    }
    dw_json_end_object(j);
}

static void threads_json(dw_dump *dump, FILE *out)
{
    const dw_thread *threads;
    size_t n = 0;
    dw_json j;
    dw_json_init(&j, out, 1);
    json_begin_doc(&j, dump);
    dw_status st = dw_dump_threads(dump, &threads, &n);
    dw_json_kv_string(&j, "thread_list_status", dw_status_name(st));
    dw_json_key(&j, "threads");
    dw_json_begin_array(&j);
    for (size_t i = 0; i < n; i++) {
        const dw_thread *t = &threads[i];
        dw_context ctx;
        dw_json_begin_object(&j);
        dw_json_kv_uint(&j, "thread_id", t->thread_id);
        dw_json_kv_string(&j, "name", t->name);
        dw_json_kv_hex(&j, "teb", t->teb);
        dw_json_kv_hex(&j, "stack_start", t->stack_start);
        dw_json_kv_uint(&j, "stack_size", t->stack_size);
        dw_json_kv_uint(&j, "suspend_count", t->suspend_count);
        dw_json_kv_uint(&j, "priority_class", t->priority_class);
        dw_json_kv_uint(&j, "priority", t->priority);
        dw_status cs = dw_thread_context(dump, t, &ctx);
        dw_json_kv_string(&j, "context_status", dw_status_name(cs));
        if (cs == DW_OK) {
            dw_json_kv_hex(&j, "context_flags", ctx.context_flags);
            dw_json_key(&j, "registers");
            json_registers(&j, &ctx);
        }
        if (dw_thread_wow64_context(dump, t, &ctx) == DW_OK) {
            dw_json_key(&j, "wow64_registers");
            json_registers(&j, &ctx);
        }
        dw_json_end_object(&j);
    }
    dw_json_end_array(&j);
    dw_report_json_health(&j, dump);
    dw_json_end_object(&j);
    dw_json_finish(&j);
}

static void text_registers(FILE *out, const dw_context *ctx)
{
    unsigned col = 0;
    for (unsigned r = 0; r < dw_reg_count(ctx->arch); r++) {
        if (!dw_context_has(ctx, r))
            continue;
        int wide = ctx->arch == DW_ARCH_AMD64;
        fprintf(out, "%s%6s = 0x%0*" PRIx64, col == 0 ? "    " : "  ", dw_reg_name(ctx->arch, r),
                wide ? 16 : 8, ctx->regs[r]);
        if (++col == (wide ? 3u : 4u)) {
            fputc('\n', out);
            col = 0;
        }
    }
    if (col)
        fputc('\n', out);
}

static void threads_text(dw_dump *dump, FILE *out)
{
    const dw_thread *threads;
    size_t n = 0;
    dw_status st = dw_dump_threads(dump, &threads, &n);
    if (st != DW_OK && n == 0) {
        fprintf(out, "No threads: %s\n", dw_dump_last_error(dump));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const dw_thread *t = &threads[i];
        dw_context ctx;
        fprintf(out, "Thread %zu  id %u (0x%x)%s%s%s\n", i, t->thread_id, t->thread_id,
                t->name ? "  \"" : "", t->name ? t->name : "", t->name ? "\"" : "");
        fprintf(out,
                "    teb 0x%" PRIx64 "  stack 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64
                " bytes)  suspend %u  priority %u\n",
                t->teb, t->stack_start, t->stack_start + t->stack_size, t->stack_size,
                t->suspend_count, t->priority);
        if (dw_thread_context(dump, t, &ctx) == DW_OK)
            text_registers(out, &ctx);
        else
            fprintf(out, "    no context: %s\n", dw_dump_last_error(dump));
        if (dw_thread_wow64_context(dump, t, &ctx) == DW_OK) {
            fprintf(out, "    WoW64 x86 context:\n");
            text_registers(out, &ctx);
        }
    }
}

/* ---- modules ------------------------------------------------------------ */

const char *dw_report_module_version(const dw_module *m, char *buf, size_t size)
{
    if (!m->has_version)
        return NULL;
    snprintf(buf, size, "%u.%u.%u.%u", m->file_version.major, m->file_version.minor,
             m->file_version.build, m->file_version.revision);
    return buf;
}

static void modules_json(dw_dump *dump, FILE *out)
{
    const dw_module *mods;
    const dw_unloaded_module *un;
    size_t n = 0, nu = 0;
    char buf[64];
    dw_json j;
    dw_json_init(&j, out, 1);
    json_begin_doc(&j, dump);
    dw_dump_modules(dump, &mods, &n);
    dw_json_key(&j, "modules");
    dw_json_begin_array(&j);
    for (size_t i = 0; i < n; i++) {
        const dw_module *m = &mods[i];
        dw_json_begin_object(&j);
        dw_json_kv_hex(&j, "base_addr", m->base);
        dw_json_kv_hex(&j, "end_addr", m->base + m->size);
        dw_json_kv_uint(&j, "size", m->size);
        dw_json_kv_string(&j, "filename", m->name);
        dw_json_kv_string(&j, "path", m->path);
        dw_json_kv_string(&j, "version", dw_report_module_version(m, buf, sizeof buf));
        dw_json_kv_string(&j, "debug_file", m->debug_file);
        dw_json_kv_string(&j, "debug_id", m->debug_id);
        dw_json_kv_string(&j, "code_id", m->code_id);
        dw_json_kv_hex(&j, "timestamp", m->time_date_stamp);
        dw_json_kv_hex(&j, "checksum", m->checksum);
        dw_json_end_object(&j);
    }
    dw_json_end_array(&j);
    dw_dump_unloaded_modules(dump, &un, &nu);
    dw_json_key(&j, "unloaded_modules");
    dw_json_begin_array(&j);
    for (size_t i = 0; i < nu; i++) {
        dw_json_begin_object(&j);
        dw_json_kv_hex(&j, "base_addr", un[i].base);
        dw_json_kv_hex(&j, "end_addr", un[i].base + un[i].size);
        dw_json_kv_string(&j, "filename", un[i].name);
        dw_json_kv_string(&j, "path", un[i].path);
        dw_json_kv_hex(&j, "timestamp", un[i].time_date_stamp);
        dw_json_end_object(&j);
    }
    dw_json_end_array(&j);
    dw_report_json_health(&j, dump);
    dw_json_end_object(&j);
    dw_json_finish(&j);
}

static void modules_text(dw_dump *dump, FILE *out)
{
    const dw_module *mods;
    const dw_unloaded_module *un;
    size_t n = 0, nu = 0;
    char buf[64];
    dw_dump_modules(dump, &mods, &n);
    fprintf(out, "Loaded modules:\n");
    for (size_t i = 0; i < n; i++) {
        const dw_module *m = &mods[i];
        const char *ver = dw_report_module_version(m, buf, sizeof buf);
        fprintf(out, "0x%08" PRIx64 " - 0x%08" PRIx64 "  %s  %s  (%s %s)%s\n", m->base,
                m->base + m->size - 1, m->name, ver ? ver : "???",
                m->debug_file[0] ? m->debug_file : "-", m->debug_id[0] ? m->debug_id : "-",
                i == 0 ? "  (main)" : "");
    }
    if (dw_dump_unloaded_modules(dump, &un, &nu) == DW_OK && nu) {
        fprintf(out, "\nUnloaded modules:\n");
        for (size_t i = 0; i < nu; i++)
            fprintf(out, "0x%08" PRIx64 " - 0x%08" PRIx64 "  %s\n", un[i].base,
                    un[i].base + un[i].size - 1, un[i].name);
    }
}

/* ---- memory ------------------------------------------------------------- */

static const char *source_name(dw_memory_source s)
{
    switch (s) {
    case DW_MEMSRC_MEMORY64_LIST:
        return "Memory64List";
    case DW_MEMSRC_MEMORY_LIST:
        return "MemoryList";
    case DW_MEMSRC_THREAD_STACK:
        return "ThreadStack";
    case DW_MEMSRC_CORE_SEGMENT:
        return "CoreSegment";
    }
    return "?";
}

static void memory_json(dw_dump *dump, FILE *out)
{
    const dw_memory_range *r;
    const dw_memory_info *mi;
    size_t n = 0, ni = 0;
    char buf[96];
    dw_json j;
    dw_json_init(&j, out, 1);
    json_begin_doc(&j, dump);
    dw_memory_ranges(dump, &r, &n);
    dw_json_key(&j, "memory_ranges");
    dw_json_begin_array(&j);
    for (size_t i = 0; i < n; i++) {
        dw_json_begin_object(&j);
        dw_json_kv_hex(&j, "base", r[i].base);
        dw_json_kv_uint(&j, "size", r[i].size);
        dw_json_kv_hex(&j, "file_offset", r[i].file_offset);
        dw_json_kv_string(&j, "source", source_name(r[i].source));
        dw_json_end_object(&j);
    }
    dw_json_end_array(&j);
    dw_dump_memory_infos(dump, &mi, &ni);
    dw_json_key(&j, "memory_info");
    dw_json_begin_array(&j);
    for (size_t i = 0; i < ni; i++) {
        dw_json_begin_object(&j);
        dw_json_kv_hex(&j, "base", mi[i].base_address);
        dw_json_kv_hex(&j, "allocation_base", mi[i].allocation_base);
        dw_json_kv_uint(&j, "size", mi[i].region_size);
        dw_json_kv_hex(&j, "state", mi[i].state);
        dw_json_kv_hex(&j, "protect", mi[i].protect);
        dw_json_kv_string(&j, "protect_names",
                          dw_memory_protect_string(mi[i].protect, buf, sizeof buf));
        dw_json_kv_hex(&j, "type", mi[i].type);
        dw_json_end_object(&j);
    }
    dw_json_end_array(&j);
    dw_report_json_health(&j, dump);
    dw_json_end_object(&j);
    dw_json_finish(&j);
}

static void memory_text(dw_dump *dump, FILE *out)
{
    const dw_memory_range *r;
    const dw_memory_info *mi;
    size_t n = 0, ni = 0;
    char buf[96];
    uint64_t total = 0;
    dw_memory_ranges(dump, &r, &n);
    fprintf(out, "Memory ranges (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "0x%016" PRIx64 " - 0x%016" PRIx64 "  %10" PRIu64 " bytes  %s\n", r[i].base,
                r[i].base + r[i].size, r[i].size, source_name(r[i].source));
        total += r[i].size;
    }
    fprintf(out, "Total: %" PRIu64 " bytes captured\n", total);
    if (dw_dump_memory_infos(dump, &mi, &ni) == DW_OK && ni) {
        fprintf(out, "\nMemory regions (%zu):\n", ni);
        for (size_t i = 0; i < ni; i++)
            fprintf(out, "0x%016" PRIx64 " %12" PRIu64 "  state 0x%05x type 0x%07x  %s\n",
                    mi[i].base_address, mi[i].region_size, mi[i].state, mi[i].type,
                    dw_memory_protect_string(mi[i].protect, buf, sizeof buf));
    }
}

/* ---- dispatch ----------------------------------------------------------- */

dw_status dw_report_write(dw_dump *dump, dw_report_section section, dw_report_format format,
                          FILE *out)
{
    if (!dump || !out)
        return DW_ERR_INVALID_ARG;
    int json = format == DW_REPORT_JSON;
    if (section == DW_REPORT_INFO || section == DW_REPORT_STREAMS)
        dw_dump_check_all(dump);
    switch (section) {
    case DW_REPORT_INFO:
        json ? info_json(dump, out) : info_text(dump, out);
        break;
    case DW_REPORT_STREAMS:
        json ? streams_json(dump, out) : streams_text(dump, out);
        break;
    case DW_REPORT_THREADS:
        json ? threads_json(dump, out) : threads_text(dump, out);
        break;
    case DW_REPORT_MODULES:
        json ? modules_json(dump, out) : modules_text(dump, out);
        break;
    case DW_REPORT_MEMORY:
        json ? memory_json(dump, out) : memory_text(dump, out);
        break;
    default:
        return DW_ERR_INVALID_ARG;
    }
    return ferror(out) ? DW_ERR_IO : DW_OK;
}
