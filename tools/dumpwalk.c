/* dumpwalk: the command-line interface.  A thin layer over the public API:
 * it parses arguments, opens the dump and asks the library for a report.
 *
 * Exit status: 0 success; 1 the dump opened but damage was reported; 2
 * unusable input or a usage error (always with a one-line reason on stderr);
 * 3 (callbacks only) at least one thread is parked at ZwCallbackReturn. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dumpwalk/dumpwalk.h"

#include "cli_batch.h"
#include "cli_common.h"

#define EXIT_DAMAGED 1
#define EXIT_UNUSABLE 2
/* `callbacks` found a thread parked at ZwCallbackReturn (wins over 1: a CI
 * gate asks about the hang; damage is still reported on stderr). */
#define EXIT_PARKED 3

typedef struct cli_options {
    const char *command;
    const char *dump_path;
    int json;
    dw_cli_dirs dirs;
    long long thread_id; /* -1: all */
} cli_options;

static const char usage_text[] =
    "usage: dumpwalk COMMAND [--json] [OPTIONS] DUMP\n"
    "\n"
    "Offline analysis of Windows minidumps (plain or gzip-compressed).\n"
    "\n"
    "commands:\n"
    "  info      OS, CPU, crash reason and address, process, dump flags, health\n"
    "  streams   the stream directory with sizes and health\n"
    "  threads   thread ids, names, TEB, stack range, registers\n"
    "  modules   loaded and unloaded modules with versions and debug ids\n"
    "  memory    captured memory ranges and memory regions\n"
    "  stack     every thread's call stack (or --thread's), symbolized, with modules\n"
    "  callbacks per-thread state: parked at ZwCallbackReturn, inside kernel-mode\n"
    "            callbacks (depth, routine, interrupted call), dispatch, waits\n"
    "  batch     many dumps (files, directories, .gz) to JSON lines, N threads:\n"
    "            dumpwalk batch [--jobs N] [--symbols DIR]... [--images DIR]... PATH...\n"
    "\n"
    "options:\n"
    "  --json            machine-readable output (docs/json.md)\n"
    "  --symbols DIR     Breakpad symbol store (repeatable; stack, callbacks)\n"
    "  --images DIR      PE image directory, symbol-server layout or flat\n"
    "                    (repeatable; stack, callbacks)\n"
    "  --thread TID      only this thread (decimal or 0x hex; stack)\n"
    "  --jobs N          worker threads (batch; default: one per CPU)\n"
    "  -h, --help        this text\n"
    "  --version         print the version\n"
    "\n"
    "exit status: 0 ok, 1 damage reported in the dump, 2 unusable input or usage error,\n"
    "             3 (callbacks) at least one thread parked at ZwCallbackReturn\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "dumpwalk: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see 'dumpwalk --help')\n");
    return EXIT_UNUSABLE;
}

static int parse_thread_id(const char *s, long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || end == s || v > 0xffffffffull)
        return 0;
    *out = (long long)v;
    return 1;
}

/* Returns -1 on success, else an exit status. */
static int parse_args(int argc, char **argv, cli_options *o)
{
    memset(o, 0, sizeof *o);
    o->thread_id = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("dumpwalk %s\n", DW_VERSION_STRING);
            return 0;
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (dw_cli_is_dir_option(a)) {
            if (!has_value)
                return usage_error("%s needs a directory", a);
            if (!dw_cli_add_dir(&o->dirs, a, argv[++i]))
                return usage_error("too many %s directories", a);
        } else if (!strcmp(a, "--thread")) {
            if (!has_value || !parse_thread_id(argv[++i], &o->thread_id))
                return usage_error("%s needs a thread id", a);
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else if (!o->command) {
            o->command = a;
        } else if (!o->dump_path) {
            o->dump_path = a;
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    if (!o->command)
        return usage_error("%s", "no command given");
    if (!o->dump_path)
        return usage_error("%s: no dump file given", o->command);
    return -1;
}

static int section_for(const char *command, dw_report_section *out)
{
    static const struct {
        const char *name;
        dw_report_section section;
    } table[] = {
        {"info", DW_REPORT_INFO},       {"streams", DW_REPORT_STREAMS},
        {"threads", DW_REPORT_THREADS}, {"modules", DW_REPORT_MODULES},
        {"memory", DW_REPORT_MEMORY},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (!strcmp(command, table[i].name)) {
            *out = table[i].section;
            return 1;
        }
    }
    return 0;
}

/* The exit status of a report that was written (or failed to be). */
static int report_exit_status(const cli_options *o, dw_dump *dump, dw_status st)
{
    int rc = 0;
    if (st != DW_OK) {
        fprintf(stderr, "dumpwalk: %s: cannot write the report: %s\n", o->dump_path,
                dw_status_name(st));
        rc = EXIT_UNUSABLE;
    } else if (dw_dump_health_count(dump) > 0) {
        const dw_health_issue *h = dw_dump_health_at(dump, 0);
        fprintf(stderr, "dumpwalk: %s: damaged: %s%s\n", o->dump_path, h->message,
                dw_dump_health_count(dump) > 1 ? " (and more; see the health report)" : "");
        rc = EXIT_DAMAGED;
    }
    return rc;
}

static int open_dump(const cli_options *o, dw_dump **dump)
{
    dw_error err;
    if (dw_dump_open(o->dump_path, NULL, dump, &err) != DW_OK) {
        fprintf(stderr, "dumpwalk: %s\n", err.message);
        return 0;
    }
    return 1;
}

static int run_report(const cli_options *o, dw_report_section section)
{
    dw_dump *dump;
    if (!open_dump(o, &dump))
        return EXIT_UNUSABLE;
    dw_status st =
        dw_report_write(dump, section, o->json ? DW_REPORT_JSON : DW_REPORT_TEXT, stdout);
    int rc = report_exit_status(o, dump, st);
    dw_dump_close(dump);
    return rc;
}

static int run_stack(const cli_options *o)
{
    dw_symbols *syms;
    dw_walk_options walk;
    if (!dw_cli_walk_setup("dumpwalk", &o->dirs, &syms, &walk))
        return EXIT_UNUSABLE;
    dw_stack_report_options ro = DW_STACK_REPORT_OPTIONS_INIT;
    ro.walk = &walk;
    if (o->thread_id >= 0) {
        ro.only_thread = 1;
        ro.thread_id = (uint32_t)o->thread_id;
    }
    dw_dump *dump;
    int rc = EXIT_UNUSABLE;
    if (open_dump(o, &dump)) {
        dw_status st =
            dw_report_stack(dump, &ro, o->json ? DW_REPORT_JSON : DW_REPORT_TEXT, stdout);
        if (st == DW_ERR_NOT_FOUND && ro.only_thread)
            fprintf(stderr, "dumpwalk: %s: no thread with id %u (0x%x)\n", o->dump_path,
                    ro.thread_id, ro.thread_id);
        else
            rc = report_exit_status(o, dump, st);
        dw_dump_close(dump);
    }
    dw_symbols_free(syms);
    return rc;
}

static int run_callbacks(const cli_options *o)
{
    dw_symbols *syms;
    dw_walk_options walk;
    if (!dw_cli_walk_setup("dumpwalk", &o->dirs, &syms, &walk))
        return EXIT_UNUSABLE;
    dw_dump *dump;
    int rc = EXIT_UNUSABLE;
    if (open_dump(o, &dump)) {
        size_t parked = 0;
        dw_status st = dw_report_callbacks(dump, &walk, o->json, stdout, &parked);
        rc = report_exit_status(o, dump, st);
        if (st == DW_OK && parked > 0)
            rc = EXIT_PARKED;
        dw_dump_close(dump);
    }
    dw_symbols_free(syms);
    return rc;
}

/* A report is written in one go: into a pipe or file, in 64 KiB writes
 * rather than stdio's default 4 KiB (a 1 MiB JSON report made 250 write
 * calls, a tenth of the run).  A terminal keeps its line buffering. */
static char stdout_buffer[64 * 1024];

static void buffer_stdout(void)
{
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, stdout_buffer, _IOFBF, sizeof stdout_buffer);
}

int main(int argc, char **argv)
{
    /* batch takes many paths: its own parser (tools/cli_batch.c). */
    if (argc > 1 && !strcmp(argv[1], "batch"))
        return dw_cli_batch(argc, argv);
    buffer_stdout();
    cli_options o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    dw_report_section section;
    if (section_for(o.command, &section))
        return run_report(&o, section);
    if (!strcmp(o.command, "stack"))
        return run_stack(&o);
    if (!strcmp(o.command, "callbacks"))
        return run_callbacks(&o);
    return usage_error("unknown command '%s'", o.command);
}
