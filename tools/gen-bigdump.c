/* gen-bigdump: write a synthetic full-memory x64 minidump of a chosen size
 * (sparse: only the stacks, images and streams take disk space).
 *
 *   gen-bigdump [--size 4G] [--threads 16] [--modules 12] [--depth 24] OUT.dmp
 *
 * Prints what it wrote: size, ranges, bytes of real data, and the expected
 * top frame of every thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigdump.h"

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return 0;
    unsigned shift = 0;
    switch (*end) {
    case 'K':
    case 'k':
        shift = 10;
        end++;
        break;
    case 'M':
    case 'm':
        shift = 20;
        end++;
        break;
    case 'G':
    case 'g':
        shift = 30;
        end++;
        break;
    case 'T':
    case 't':
        shift = 40;
        end++;
        break;
    default:
        break;
    }
    if (*end || v > (~0ull >> shift))
        return 0;
    *out = (uint64_t)v << shift;
    return 1;
}

static int parse_count(const char *s, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || *end || v > 100000)
        return 0;
    *out = (unsigned)v;
    return 1;
}

int main(int argc, char **argv)
{
    bigdump_spec spec = {(uint64_t)4 << 30, 16, 12, 24};
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int ok = 1;
        if (!strcmp(a, "--size") && i + 1 < argc)
            ok = parse_size(argv[++i], &spec.size);
        else if (!strcmp(a, "--threads") && i + 1 < argc)
            ok = parse_count(argv[++i], &spec.threads);
        else if (!strcmp(a, "--modules") && i + 1 < argc)
            ok = parse_count(argv[++i], &spec.modules);
        else if (!strcmp(a, "--depth") && i + 1 < argc)
            ok = parse_count(argv[++i], &spec.max_depth);
        else if (a[0] != '-' && !out)
            out = a;
        else
            ok = 0;
        if (!ok) {
            fprintf(stderr, "usage: gen-bigdump [--size N[K|M|G|T]] [--threads N] "
                            "[--modules N] [--depth N] OUT.dmp\n");
            return 2;
        }
    }
    if (!out) {
        fprintf(stderr, "gen-bigdump: no output file given\n");
        return 2;
    }
    static bigdump_truth truth;
    char err[512];
    if (bigdump_write(out, &spec, &truth, err, sizeof err) != 0) {
        fprintf(stderr, "gen-bigdump: %s\n", err);
        return 1;
    }
    printf("%s: %llu bytes, %zu memory ranges, %llu bytes of data written, %u threads, "
           "%u modules\n",
           out, (unsigned long long)truth.file_size, truth.range_count,
           (unsigned long long)truth.bytes_written, spec.threads, spec.modules);
    for (unsigned t = 0; t < truth.thread_count; t++) {
        char fn[64];
        const bigdump_frame *f = &truth.frames[t][0];
        bigdump_function_name(f->module, f->function, fn, sizeof fn);
        printf("  thread 0x%x: %u frames, top %s!%s\n", truth.thread_ids[t], truth.depth[t],
               bigdump_module_name(f->module), fn);
    }
    return 0;
}
