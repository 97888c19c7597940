/* `dumpwalk batch [--jobs N] [--symbols DIR]... [--images DIR]... PATH...`
 *
 * JSON lines on stdout (one per dump, input order), a progress bar with rate
 * and ETA on stderr when stderr is a terminal, a one-line summary on stderr
 * at the end.  Exit status: 0 every dump walked without damage; 1 some were
 * damaged or could not be read (their lines say why); 2 usage error, no
 * input, or stdout could not be written. */
#include "cli_batch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dumpwalk/dumpwalk.h"

#include "cli_common.h"

#define EXIT_SOME_BAD 1
#define EXIT_UNUSABLE 2
/* The bar is redrawn at most this often (seconds). */
#define PROGRESS_INTERVAL 0.1
#define BAR_WIDTH 30

typedef struct batch_cli {
    dw_cli_dirs dirs;
    unsigned jobs;
    const char **paths; /* points into argv */
    size_t path_count;
} batch_cli;

typedef struct progress_state {
    double last_draw;
    int drawn;
} progress_state;

static int batch_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "dumpwalk batch: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see 'dumpwalk --help')\n");
    return EXIT_UNUSABLE;
}

/* Default --jobs: one worker per online CPU. */
static unsigned default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > DW_BATCH_MAX_JOBS ? DW_BATCH_MAX_JOBS : (unsigned)n;
}

static int parse_jobs(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v < 1 || v > DW_BATCH_MAX_JOBS)
        return 0;
    *out = (unsigned)v;
    return 1;
}

/* Returns -1 on success, else an exit status. */
static int parse_batch_args(int argc, char **argv, batch_cli *o)
{
    memset(o, 0, sizeof *o);
    o->jobs = default_jobs();
    o->paths = calloc((size_t)argc, sizeof *o->paths);
    if (!o->paths)
        return EXIT_UNUSABLE;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--jobs") || !strcmp(a, "-j")) {
            if (!has_value || !parse_jobs(argv[++i], &o->jobs))
                return batch_usage("--jobs needs a number from 1 to %s", "256");
        } else if (dw_cli_is_dir_option(a)) {
            if (!has_value)
                return batch_usage("%s needs a directory", a);
            if (!dw_cli_add_dir(&o->dirs, a, argv[++i]))
                return batch_usage("too many %s directories", a);
        } else if (!strcmp(a, "--")) {
            while (++i < argc)
                o->paths[o->path_count++] = argv[i];
        } else if (a[0] == '-' && a[1] != '\0') {
            return batch_usage("unknown option '%s'", a);
        } else {
            o->paths[o->path_count++] = a;
        }
    }
    if (o->path_count == 0)
        return batch_usage("%s", "no files or directories given");
    return -1;
}

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "[#########.....]  1234/5678  812.3 dumps/s  ETA 0:05" on one terminal
 * line, redrawn in place. */
static void draw_progress(const dw_batch_progress *p, void *ctx)
{
    progress_state *ps = ctx;
    double now = monotonic_seconds();
    if (p->done != p->total && now - ps->last_draw < PROGRESS_INTERVAL)
        return;
    ps->last_draw = now;
    ps->drawn = 1;
    double rate = p->elapsed > 0 ? (double)p->done / p->elapsed : 0;
    long eta = rate > 0 ? (long)((double)(p->total - p->done) / rate + 0.5) : 0;
    int filled = p->total ? (int)((double)BAR_WIDTH * (double)p->done / (double)p->total) : 0;
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r[%s] %zu/%zu  %.1f dumps/s  ETA %ld:%02ld  failed %zu ", bar, p->done,
            p->total, rate, eta / 60, eta % 60, p->failed);
    fflush(stderr);
}

static int run_batch(const batch_cli *o, const dw_walk_options *walk)
{
    dw_batch_options bo = DW_BATCH_OPTIONS_INIT;
    bo.walk = walk;
    bo.jobs = o->jobs;
    progress_state ps = {0, 0};
    if (isatty(STDERR_FILENO)) {
        bo.progress = draw_progress;
        bo.progress_ctx = &ps;
    }
    dw_batch_summary s;
    dw_status st = dw_batch_run(o->paths, o->path_count, &bo, stdout, &s);
    if (ps.drawn)
        fputc('\n', stderr);
    if (st != DW_OK) {
        fprintf(stderr, "dumpwalk batch: stopped: %s\n",
                st == DW_ERR_IO ? "cannot write the output" : dw_status_name(st));
        return EXIT_UNUSABLE;
    }
    fprintf(stderr,
            "dumpwalk batch: %zu dumps: %zu ok, %zu damaged, %zu failed in %.3f s "
            "(%.1f dumps/s, %u jobs)\n",
            s.dumps, s.ok, s.damaged, s.failed, s.seconds,
            s.seconds > 0 ? (double)s.dumps / s.seconds : 0.0, o->jobs);
    if (s.dumps == 0)
        return EXIT_UNUSABLE;
    return s.damaged || s.failed ? EXIT_SOME_BAD : 0;
}

int dw_cli_batch(int argc, char **argv)
{
    batch_cli o;
    int rc = parse_batch_args(argc, argv, &o);
    dw_symbols *syms = NULL;
    dw_walk_options walk;
    if (rc < 0 && !dw_cli_walk_setup("dumpwalk batch", &o.dirs, &syms, &walk))
        rc = EXIT_UNUSABLE;
    if (rc < 0)
        rc = run_batch(&o, &walk);
    dw_symbols_free(syms);
    free(o.paths);
    return rc;
}
