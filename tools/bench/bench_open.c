/* bench_open: time opening a dump and parsing every stream, in-process.
 *
 * For each dump given, runs dw_dump_open + dw_dump_check_all + dw_dump_close N times and prints
 * one tab-separated line: path, bytes, median and minimum microseconds per iteration, and the
 * status of the last check.  Process start-up and the first (cold) iteration are not counted:
 * the first iteration warms the page cache and the allocator.  A measuring tool for
 * tools/bench/bench.sh, not a test.
 *
 * usage: bench_open [-n N] DUMP... */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dumpwalk/dumpwalk.h"

#define DEFAULT_ITERATIONS 200
#define MAX_ITERATIONS 1000000

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One open + parse-everything + close.  Returns the check status, or the open failure. */
static dw_status open_check_close(const char *path, uint64_t *bytes)
{
    dw_dump *dump;
    dw_status st = dw_dump_open(path, NULL, &dump, NULL);
    if (st != DW_OK)
        return st;
    st = dw_dump_check_all(dump);
    *bytes = dw_dump_header(dump)->file_size;
    dw_dump_close(dump);
    return st;
}

static void bench_one(const char *path, long iterations, double *samples)
{
    uint64_t bytes = 0;
    dw_status st = open_check_close(path, &bytes);
    for (long i = 0; i < iterations; i++) {
        double start = now_us();
        st = open_check_close(path, &bytes);
        samples[i] = now_us() - start;
    }
    qsort(samples, (size_t)iterations, sizeof samples[0], compare_doubles);
    printf("%s\t%llu\t%.2f\t%.2f\t%s\n", path, (unsigned long long)bytes,
           samples[iterations / 2], samples[0], dw_status_name(st));
}

static int parse_iterations(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < 1 || v > MAX_ITERATIONS)
        return 0;
    *out = v;
    return 1;
}

int main(int argc, char **argv)
{
    long iterations = DEFAULT_ITERATIONS;
    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "-n")) {
        if (!parse_iterations(argv[2], &iterations)) {
            fprintf(stderr, "bench_open: -n needs a count from 1 to %d\n", MAX_ITERATIONS);
            return 2;
        }
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: bench_open [-n N] DUMP...\n");
        return 2;
    }
    double *samples = malloc((size_t)iterations * sizeof *samples);
    if (!samples) {
        fprintf(stderr, "bench_open: out of memory\n");
        return 2;
    }
    printf("dump\tbytes\tmedian_us\tmin_us\tstatus\n");
    for (int i = first; i < argc; i++)
        bench_one(argv[i], iterations, samples);
    free(samples);
    return 0;
}
