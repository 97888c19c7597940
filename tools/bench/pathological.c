/* Pathological-but-valid dumps (tests/pathological.h), timed: how long open
 * + every accessor + a walk of every thread + the JSON stack report take on
 * the shapes that make a parser or walker work hardest.  A Markdown table on
 * stdout; asserts nothing (tests/test_limits.c checks the results).
 *
 * usage: pathological_bench [RUNS]   (median of RUNS, default 3) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "dumpwalk/dumpwalk.h"
#include "pathological.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct figures {
    double open_parse, walk, report; /* seconds */
    size_t threads, frames;
} figures;

static figures measure(const uint8_t *buf, size_t size)
{
    figures f = {0, 0, 0, 0, 0};
    double t0 = now();
    dw_dump *d;
    if (dw_dump_open_buffer(buf, size, NULL, &d, NULL) != DW_OK) {
        fprintf(stderr, "pathological: a generated dump does not open\n");
        exit(1);
    }
    dw_dump_check_all(d);
    const dw_thread *t;
    dw_dump_threads(d, &t, &f.threads);
    const dw_memory_range *rg;
    size_t n;
    dw_memory_ranges(d, &rg, &n);
    double t1 = now();
    dw_walker *w;
    dw_walker_new(d, NULL, &w);
    for (size_t i = 0; i < f.threads; i++) {
        dw_frame fr;
        if (dw_walker_start(w, &t[i]) != DW_OK)
            continue;
        while (dw_walker_next(w, &fr) == DW_OK)
            f.frames++;
    }
    dw_walker_free(w);
    double t2 = now();
    FILE *devnull = fopen("/dev/null", "w");
    dw_stack_report_options so = DW_STACK_REPORT_OPTIONS_INIT;
    dw_report_stack(d, &so, DW_REPORT_JSON, devnull);
    fclose(devnull);
    double t3 = now();
    dw_dump_close(d);
    f.open_parse = t1 - t0;
    f.walk = t2 - t1;
    f.report = t3 - t2;
    return f;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static void row(const char *name, uint8_t *buf, size_t size, int runs)
{
    double open_parse[16], walk[16], report[16];
    figures f = {0, 0, 0, 0, 0};
    for (int r = 0; r < runs; r++) {
        f = measure(buf, size);
        open_parse[r] = f.open_parse;
        walk[r] = f.walk;
        report[r] = f.report;
    }
    printf("| %s | %.1f | %zu | %zu | %.1f | %.1f | %.1f |\n", name, size / 1048576.0, f.threads,
           f.frames, 1e3 * median(open_parse, runs), 1e3 * median(walk, runs),
           1e3 * median(report, runs));
    fflush(stdout);
    free(buf);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 3;
    if (runs < 1 || runs > 16)
        runs = 3;
    size_t size;
    printf("| input | MiB | threads | frames walked | open + parse (ms) | walk (ms) | "
           "JSON stack report (ms) |\n|---|---|---|---|---|---|---|\n");
    uint8_t *b = patho_many_ranges(62000, &size);
    row("62,000 memory ranges (+ 62,000 MemoryInfoList regions)", b, size, runs);
    b = patho_many_threads(10000, &size);
    row("10,000 threads", b, size, runs);
    b = patho_return_address_stack(1 << 20, 0, &size);
    row("1 MiB stack of return addresses, code not captured (weak: full scan per frame)", b, size,
        runs);
    b = patho_return_address_stack(1 << 20, 1, &size);
    row("1 MiB stack of return addresses after `call` (strong candidates)", b, size, runs);
    b = patho_fp_loop(1, &size);
    row("frame-pointer loop: [rbp] = rbp", b, size, runs);
    b = patho_fp_loop(2, &size);
    row("frame-pointer loop: two frames pointing at each other", b, size, runs);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("\npeak RSS of the whole run: %.0f MiB\n", ru.ru_maxrss / 1024.0);
    return 0;
}
