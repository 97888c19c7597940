/* Hostile-input sweeps: every dump of fixtures/ and shared/corpus, pristine,
 * truncated at every 512-byte boundary, with seeded random bit flips, with
 * structure fields (header, directory entries, list headers and records,
 * thread contexts) overwritten by hostile values (0, max, just past EOF, ...),
 * with stack words replaced by plausible return addresses and self-pointers,
 * and gzip'd then damaged; plus a replay of every fuzzer regression input.
 *
 * Each input runs in-process through tests/hostile.c: open, every accessor,
 * a stack walk of every thread, every report (JSON must parse).  Pass = no
 * crash or sanitizer report, every promise held, and no input slower than
 * DW_SWEEP_INPUT_SECONDS (default 2 s); an alarm names an input that hangs.
 *
 * Tunables: DW_SWEEP_ITERATIONS (mutations of each kind per dump, default
 * 20), DW_SWEEP_SEED (default 0x5eed), DW_SWEEP_JSON_EVERY (JSON reports on
 * every Nth truncation, default 8), DW_SWEEP_INPUT_SECONDS,
 * DW_SWEEP_MAX_FRAMES, DW_SWEEP_REPORTS (HOSTILE_REPORT_* bits).  Every failure message names the
 * dump and the mutation, so a failure can be replayed. */
#include <check.h>
#include <dirent.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "corpus.h"
#include "fuzz/replay.h"
#include "hostile.h"
#include "test_util.h"

#define DEFAULT_ITERATIONS 20
#define DEFAULT_INPUT_SECONDS 2.0
#define TRUNCATION_STEP 512

/* ---- the inputs ------------------------------------------------------------ */

typedef struct input_file {
    char name[256];
    uint8_t *data;
    size_t size;
} input_file;

static input_file *inputs;
static size_t input_count;

static void add_input(const char *name, const char *path)
{
    size_t size;
    uint8_t *data = dw_test_read_file(path, &size);
    if (!data)
        return;
    inputs = realloc(inputs, (input_count + 1) * sizeof *inputs);
    input_file *in = &inputs[input_count++];
    snprintf(in->name, sizeof in->name, "%s", name);
    in->data = data;
    in->size = size;
}

/* Every .dmp of fixtures/ and every corpus dump, loaded once per test process. */
static void load_inputs(void)
{
    if (inputs)
        return;
    char path[4096];
    DIR *d = opendir(dw_test_fixtures_dir());
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".dmp")) {
            snprintf(path, sizeof path, "%s/%s", dw_test_fixtures_dir(), e->d_name);
            add_input(e->d_name, path);
        }
    }
    if (d)
        closedir(d);
    const char *const *rel;
    size_t n = corpus_dumps(&rel);
    for (size_t i = 0; i < n; i++)
        add_input(rel[i], corpus_abs(rel[i]));
}

/* A symbol store over fixtures/symbols and every corpus source's symbols/
 * directory, shared by all inputs so each .sym file is indexed once. */
static dw_symbols *corpus_symbols(void)
{
    static dw_symbols *syms;
    if (syms)
        return syms;
    if (dw_symbols_new(&syms) != DW_OK)
        return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/symbols", dw_test_fixtures_dir());
    if (access(path, R_OK) == 0)
        dw_symbols_add_dir(syms, path);
    if (!dw_test_shared_dir())
        return syms;
    snprintf(path, sizeof path, "%s/corpus", dw_test_shared_dir());
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        snprintf(path, sizeof path, "%s/corpus/%s/symbols", dw_test_shared_dir(), e->d_name);
        if (e->d_name[0] != '.' && access(path, R_OK) == 0)
            dw_symbols_add_dir(syms, path);
    }
    if (d)
        closedir(d);
    return syms;
}

static unsigned env_unsigned(const char *name, unsigned dflt)
{
    const char *s = getenv(name);
    return s && *s ? (unsigned)strtoul(s, NULL, 0) : dflt;
}

static double input_seconds_limit(void)
{
    const char *s = getenv("DW_SWEEP_INPUT_SECONDS");
    return s && *s ? strtod(s, NULL) : DEFAULT_INPUT_SECONDS;
}

/* ---- running one input ------------------------------------------------------ */

typedef struct sweep {
    const char *kind;
    size_t runs, opened, frames, json_bytes, failures;
    double slowest;
    char slowest_what[160];
    char first_failure[900];
    double started;
} sweep;

static char current_input[4608];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* An input still running long after its time limit is a hang: name it. */
static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "sweep: input hangs: ";
    ssize_t w = write(2, msg, sizeof msg - 1);
    w += write(2, current_input, strlen(current_input));
    w += write(2, "\n", 1);
    (void)w;
    _exit(3);
}

static void sweep_begin(sweep *s, const char *kind)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->started = now();
    signal(SIGALRM, on_alarm);
}

static void fail_input(sweep *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail_input(sweep *s, const char *fmt, ...)
{
    if (s->failures++)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->first_failure, sizeof s->first_failure, fmt, ap);
    va_end(ap);
}

/* What each sweep runs: pristine dumps get everything, text included; the
 * many damaged variants get the JSON reports (the text reports read the same
 * parsed data) and walks capped at 128 frames, so the suite stays within a
 * few minutes under ASan.  DW_SWEEP_REPORTS / DW_SWEEP_MAX_FRAMES override. */
typedef struct sweep_cost {
    unsigned reports;
    unsigned max_frames;
} sweep_cost;

static const sweep_cost full_cost = {HOSTILE_REPORT_ALL, 0};
static const sweep_cost bulk_cost = {HOSTILE_REPORT_SECTIONS | HOSTILE_REPORT_STACK, 128};
/* Truncations (some 12,000 cuts of the corpus, half the sweep's time even so)
 * run open, every accessor and the walk on every cut, and the JSON reports
 * on every 8th (DW_SWEEP_JSON_EVERY=1: on every cut). */
static const sweep_cost cut_cost = {0, 32};
#define DEFAULT_JSON_EVERY 8

static void run_one_cost(sweep *s, const uint8_t *data, size_t size, const char *what,
                         const sweep_cost *cost)
{
    double limit = input_seconds_limit();
    snprintf(current_input, sizeof current_input, "%s", what);
    alarm((unsigned)(limit * 10) + 10);
    hostile_options opts = {corpus_symbols(), env_unsigned("DW_SWEEP_MAX_FRAMES", cost->max_frames),
                            env_unsigned("DW_SWEEP_REPORTS", cost->reports), 1};
    hostile_result res;
    double t0 = now();
    int rc = hostile_run(data, size, &opts, &res);
    double dt = now() - t0;
    alarm(0);
    s->runs++;
    s->opened += res.opened;
    s->frames += res.frames;
    s->json_bytes += res.json_bytes;
    if (dt > s->slowest) {
        s->slowest = dt;
        snprintf(s->slowest_what, sizeof s->slowest_what, "%s", what);
    }
    if (rc != 0)
        fail_input(s, "%s: %s", what, res.violation);
    else if (dt > limit)
        fail_input(s, "%s: took %.2f s (limit %.1f s)", what, dt, limit);
}

static void run_one(sweep *s, const uint8_t *data, size_t size, const char *what)
{
    run_one_cost(s, data, size, what, &bulk_cost);
}

static void sweep_end(sweep *s)
{
    fprintf(stderr,
            "sweep %-10s %6zu inputs (%zu opened) in %6.1f s, %zu frames, %zu KiB JSON; "
            "slowest %.3f s (%s)\n",
            s->kind, s->runs, s->opened, now() - s->started, s->frames, s->json_bytes / 1024,
            s->slowest, s->slowest_what);
    signal(SIGALRM, SIG_DFL);
    ck_assert_msg(s->failures == 0, "%s sweep: %zu of %zu inputs failed; first: %s", s->kind,
                  s->failures, s->runs, s->first_failure);
}

/* ---- a seeded generator (splitmix64) ---------------------------------------- */

static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *state, uint64_t n)
{
    return n ? rng_next(state) % n : 0;
}

static uint64_t seed_for(size_t input_index, unsigned salt)
{
    return env_unsigned("DW_SWEEP_SEED", 0x5eed) * 0x100000001b3ull + input_index * 131 + salt;
}

/* ---- where the structure is ------------------------------------------------ */

/* Little-endian reads of the pristine file, 0 past its end. */
static uint32_t rd32(const input_file *in, uint64_t off)
{
    if (off > in->size || in->size - off < 4)
        return 0;
    const uint8_t *p = in->data + off;
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *buf, size_t size, uint64_t off, uint32_t v)
{
    for (int i = 0; i < 4 && off + i < size; i++)
        buf[off + i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *buf, size_t size, uint64_t off, uint64_t v)
{
    for (int i = 0; i < 8 && off + i < size; i++)
        buf[off + i] = (uint8_t)(v >> (8 * i));
}

/* File offsets of 4-byte fields that hold structure: the header's count and
 * directory RVA, every directory entry's type/size/RVA, the first 4 KiB of
 * every stream (list headers and records: counts, sizes, RVAs, addresses),
 * and the head of every thread context (ContextFlags and the registers). */
typedef struct field_map {
    uint64_t *off;
    size_t count, cap;
    /* [start, end) of each thread's stack bytes in the file */
    uint64_t stacks[64][2];
    size_t stack_count;
} field_map;

static void add_field(field_map *m, uint64_t off, const input_file *in)
{
    if (off + 4 > in->size)
        return;
    if (m->count == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->off = realloc(m->off, m->cap * sizeof *m->off);
    }
    m->off[m->count++] = off;
}

static void add_span(field_map *m, uint64_t start, uint64_t len, const input_file *in)
{
    for (uint64_t o = 0; o < len && o < 4096; o += 4)
        add_field(m, start + o, in);
}

/* MINIDUMP_THREAD (48 bytes): Stack descriptor at 24 (start u64, size, rva),
 * ThreadContext location at 40 (size, rva).  ThreadEx adds 16 bytes. */
static void map_threads(field_map *m, const input_file *in, uint32_t rva, uint32_t size,
                        uint32_t rec_size)
{
    uint32_t n = rd32(in, rva);
    for (uint32_t i = 0; i < n && i < 64 && 4 + (uint64_t)(i + 1) * rec_size <= size; i++) {
        uint64_t rec = rva + 4 + (uint64_t)i * rec_size;
        uint32_t stack_size = rd32(in, rec + 32), stack_rva = rd32(in, rec + 36);
        add_span(m, rd32(in, rec + 44), 0x100, in);
        if (stack_rva && (uint64_t)stack_rva + stack_size <= in->size && m->stack_count < 64) {
            m->stacks[m->stack_count][0] = stack_rva;
            m->stacks[m->stack_count++][1] = (uint64_t)stack_rva + stack_size;
        }
    }
}

static void map_fields(field_map *m, const input_file *in)
{
    memset(m, 0, sizeof *m);
    add_field(m, 8, in);
    add_field(m, 12, in);
    uint32_t count = rd32(in, 8), dir = rd32(in, 12);
    for (uint32_t i = 0; i < count && i < 256; i++) {
        uint64_t e = dir + (uint64_t)i * 12;
        if (e + 12 > in->size)
            break;
        add_field(m, e, in);
        add_field(m, e + 4, in);
        add_field(m, e + 8, in);
        uint32_t type = rd32(in, e), size = rd32(in, e + 4), rva = rd32(in, e + 8);
        add_span(m, rva, size, in);
        if (type == 3)
            map_threads(m, in, rva, size, 48);
        else if (type == 8)
            map_threads(m, in, rva, size, 64);
    }
}

/* ---- the mutations ------------------------------------------------------------ */

/* Values a hostile or broken writer puts in counts, sizes and RVAs. */
static uint32_t hostile_value(uint64_t *rng, size_t file_size, uint32_t old)
{
    switch (rng_below(rng, 12)) {
    case 0:
        return 0;
    case 1:
        return 0xffffffffu;
    case 2:
        return 0x7fffffffu;
    case 3:
        return 0x80000000u;
    case 4:
        return (uint32_t)file_size; /* just past EOF */
    case 5:
        return (uint32_t)file_size + 1;
    case 6:
        return (uint32_t)file_size - 1;
    case 7:
        return (uint32_t)file_size - 4; /* a field straddling EOF */
    case 8:
        return old + 1;
    case 9:
        return old - 1;
    case 10:
        return old * 2 + 1;
    default:
        return (uint32_t)rng_next(rng);
    }
}

static void describe(char *buf, size_t size, const input_file *in, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void describe(char *buf, size_t size, const input_file *in, const char *fmt, ...)
{
    int n = snprintf(buf, size, "%s ", in->name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, size - (size_t)n, fmt, ap);
    va_end(ap);
}

static void sweep_truncations(sweep *s, const input_file *in)
{
    /* Small cuts inside the header and the directory, then every 512 bytes. */
    static const size_t small[] = {0, 1, 4, 31, 32, 33, 64, 100, 200};
    char what[256];
    for (size_t i = 0; i < sizeof small / sizeof small[0] && small[i] < in->size; i++) {
        describe(what, sizeof what, in, "truncated to %zu bytes", small[i]);
        run_one(s, in->data, small[i], what);
    }
    for (size_t cut = TRUNCATION_STEP; cut < in->size; cut += TRUNCATION_STEP) {
        describe(what, sizeof what, in, "truncated to %zu bytes", cut);
        size_t nth = cut / TRUNCATION_STEP;
        unsigned every = env_unsigned("DW_SWEEP_JSON_EVERY", DEFAULT_JSON_EVERY);
        run_one_cost(s, in->data, cut, what, every && nth % every ? &cut_cost : &bulk_cost);
    }
}

/* Flip 1-8 bits: half the time anywhere, half inside the structure fields. */
static void sweep_bitflips(sweep *s, const input_file *in, size_t index, unsigned iterations,
                           const field_map *m, uint8_t *buf)
{
    uint64_t rng = seed_for(index, 1);
    char what[256];
    for (unsigned it = 0; it < iterations; it++) {
        memcpy(buf, in->data, in->size);
        unsigned flips = 1 + (unsigned)rng_below(&rng, 8);
        uint64_t first = 0;
        for (unsigned f = 0; f < flips; f++) {
            uint64_t off = (rng_next(&rng) & 1) && m->count
                               ? m->off[rng_below(&rng, m->count)] + rng_below(&rng, 4)
                               : rng_below(&rng, in->size);
            if (off >= in->size)
                continue;
            if (!f)
                first = off;
            buf[off] ^= (uint8_t)(1u << rng_below(&rng, 8));
        }
        describe(what, sizeof what, in,
                 "bit flips, seed iteration %u (%u flips, first at %" PRIu64 ")", it, flips, first);
        run_one(s, buf, in->size, what);
    }
}

/* Overwrite 1-3 structure fields with hostile values. */
static void sweep_fields(sweep *s, const input_file *in, size_t index, unsigned iterations,
                         const field_map *m, uint8_t *buf)
{
    if (!m->count)
        return;
    uint64_t rng = seed_for(index, 2);
    char what[256];
    for (unsigned it = 0; it < iterations; it++) {
        memcpy(buf, in->data, in->size);
        unsigned n = 1 + (unsigned)rng_below(&rng, 3);
        uint64_t off0 = 0;
        uint32_t val0 = 0;
        for (unsigned k = 0; k < n; k++) {
            uint64_t off = m->off[rng_below(&rng, m->count)];
            uint32_t v = hostile_value(&rng, in->size, rd32(in, off));
            wr32(buf, in->size, off, v);
            if (!k) {
                off0 = off;
                val0 = v;
            }
        }
        describe(what, sizeof what, in,
                 "field overwrite, iteration %u (%u fields, first: 0x%" PRIx64 " := 0x%x)", it, n,
                 off0, val0);
        run_one(s, buf, in->size, what);
    }
}

/* Stack words replaced: with addresses just past a module's start (what a
 * scan takes for return addresses) and with pointers back into the same
 * stack (frame-pointer loops and chains that do not grow). */
static void sweep_stacks(sweep *s, const input_file *in, size_t index, unsigned iterations,
                         const field_map *m, uint8_t *buf)
{
    if (!m->stack_count)
        return;
    uint64_t rng = seed_for(index, 3);
    char what[256];
    for (unsigned it = 0; it < iterations; it++) {
        memcpy(buf, in->data, in->size);
        size_t t = rng_below(&rng, m->stack_count);
        uint64_t lo = m->stacks[t][0], hi = m->stacks[t][1];
        if (hi - lo < 16)
            continue;
        unsigned words = 1 + (unsigned)rng_below(&rng, 64);
        for (unsigned k = 0; k < words; k++) {
            uint64_t off = lo + (rng_below(&rng, (hi - lo) / 8) * 8);
            uint64_t v = rng_next(&rng);
            /* Mostly small offsets from typical image bases, else garbage. */
            static const uint64_t bases[] = {0x400000, 0x10000000, 0x7ff00000000ull, 0x140000000ull,
                                             0x7c800000};
            if (k & 1)
                v = bases[rng_below(&rng, 5)] + rng_below(&rng, 0x100000);
            wr64(buf, in->size, off, v);
        }
        describe(what, sizeof what, in, "stack words, iteration %u (%u words, stack %zu)", it,
                 words, t);
        run_one(s, buf, in->size, what);
    }
}

/* ---- tests ------------------------------------------------------------------------ */

START_TEST(test_sweep_pristine)
{
    load_inputs();
    ck_assert_msg(input_count > 0, "no fixture dumps found in %s", dw_test_fixtures_dir());
    sweep s;
    sweep_begin(&s, "pristine");
    for (size_t i = 0; i < input_count; i++)
        run_one_cost(&s, inputs[i].data, inputs[i].size, inputs[i].name, &full_cost);
    sweep_end(&s);
    /* Real dumps open; only the corpus's deliberately broken ones may not. */
    ck_assert_msg(s.opened + 4 >= s.runs, "only %zu of %zu pristine dumps opened", s.opened,
                  s.runs);
}
END_TEST

START_TEST(test_sweep_truncation)
{
    load_inputs();
    sweep s;
    sweep_begin(&s, "truncation");
    for (size_t i = 0; i < input_count; i++)
        sweep_truncations(&s, &inputs[i]);
    sweep_end(&s);
}
END_TEST

static void sweep_mutations(const char *kind, void (*fn)(sweep *, const input_file *, size_t,
                                                         unsigned, const field_map *, uint8_t *))
{
    load_inputs();
    unsigned iterations = env_unsigned("DW_SWEEP_ITERATIONS", DEFAULT_ITERATIONS);
    sweep s;
    sweep_begin(&s, kind);
    for (size_t i = 0; i < input_count; i++) {
        field_map m;
        map_fields(&m, &inputs[i]);
        uint8_t *buf = malloc(inputs[i].size ? inputs[i].size : 1);
        fn(&s, &inputs[i], i, iterations, &m, buf);
        free(buf);
        free(m.off);
    }
    sweep_end(&s);
}

START_TEST(test_sweep_bitflips)
{
    sweep_mutations("bitflips", sweep_bitflips);
}
END_TEST

START_TEST(test_sweep_fields)
{
    sweep_mutations("fields", sweep_fields);
}
END_TEST

START_TEST(test_sweep_stacks)
{
    sweep_mutations("stacks", sweep_stacks);
}
END_TEST

/* gzip input: the fixture compressed, cut every 64 bytes, and bit-flipped
 * (the inflater must stop cleanly at the damage). */
static uint8_t *gzip_bytes(const uint8_t *data, size_t size, size_t *out_size)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, size);
    uint8_t *out = malloc(cap);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)size;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_size = z.total_out;
    deflateEnd(&z);
    return out;
}

START_TEST(test_sweep_gzip)
{
    load_inputs();
    ck_assert(input_count > 0);
    const input_file *in = &inputs[0];
    size_t gz_size;
    uint8_t *gz = gzip_bytes(in->data, in->size, &gz_size);
    sweep s;
    sweep_begin(&s, "gzip");
    char what[256];
    run_one_cost(&s, gz, gz_size, "gzip'd fixture", &full_cost);
    ck_assert_msg(s.opened == 1, "the gzip'd fixture does not open");
    for (size_t cut = 0; cut < gz_size; cut += 64) {
        describe(what, sizeof what, in, "gzip'd, truncated to %zu bytes", cut);
        run_one(&s, gz, cut, what);
    }
    uint8_t *buf = malloc(gz_size);
    uint64_t rng = seed_for(0, 4);
    unsigned iterations = env_unsigned("DW_SWEEP_ITERATIONS", DEFAULT_ITERATIONS) * 4;
    for (unsigned it = 0; it < iterations; it++) {
        memcpy(buf, gz, gz_size);
        uint64_t off = rng_below(&rng, gz_size);
        buf[off] ^= (uint8_t)(1u << rng_below(&rng, 8));
        describe(what, sizeof what, in, "gzip'd, bit flip at %" PRIu64, off);
        run_one(&s, buf, gz_size, what);
    }
    free(buf);
    free(gz);
    sweep_end(&s);
}
END_TEST

/* Every input a fuzzer found, replayed through its harness. */
typedef int (*harness_fn)(const uint8_t *, size_t);

START_TEST(test_fuzz_regressions)
{
    static const struct {
        const char *name;
        harness_fn fn;
    } harnesses[] = {
        {"fuzz_dump", fuzz_dump_one},       {"fuzz_memory", fuzz_memory_one},
        {"fuzz_walk", fuzz_walk_one},       {"fuzz_sym", fuzz_sym_one},
        {"fuzz_postfix", fuzz_postfix_one}, {"fuzz_pe", fuzz_pe_one},
        {"fuzz_syscall", fuzz_syscall_one},
    };
    const char *root = getenv("DW_SOURCE_ROOT");
    if (!root)
        root = ".";
    size_t replayed = 0;
    for (size_t h = 0; h < sizeof harnesses / sizeof harnesses[0]; h++) {
        char dir[4096], path[4096 + 256];
        snprintf(dir, sizeof dir, "%s/tests/fuzz/regressions/%s", root, harnesses[h].name);
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            size_t size;
            uint8_t *data = dw_test_read_file(path, &size);
            ck_assert_msg(data != NULL, "cannot read %s", path);
            snprintf(current_input, sizeof current_input, "%s", path);
            harnesses[h].fn(data, size); /* aborts on a broken promise */
            free(data);
            replayed++;
        }
        if (d)
            closedir(d);
    }
    fprintf(stderr, "fuzz regressions: %zu inputs replayed\n", replayed);
}
END_TEST

/* The JSON checker itself must reject what it is there to catch. */
START_TEST(test_json_checker)
{
    static const char *good[] = {"{}", "[]", " {\"a\": [1, -2.5e3, \"x\\n\\u00e9\", true, null]} ",
                                 "0", "\"\""};
    static const char *bad[] = {"",   "{",         "{\"a\" 1}", "[1,]",  "{\"a\":1}x", "\"a\x01\"",
                                "01", "[\"\\x\"]", "{a:1}",     "[1 2]", "nul",        "-"};
    size_t where;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(hostile_json_valid(good[i], strlen(good[i]), &where), "rejected: %s",
                      good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!hostile_json_valid(bad[i], strlen(bad[i]), &where), "accepted: %s", bad[i]);
}
END_TEST

static TCase *tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 900);
    suite_add_tcase(s, tc);
    return tc;
}

Suite *sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase(s, "basics");
    tcase_add_test(tc, test_json_checker);
    tcase_add_test(tc, test_fuzz_regressions);
    tcase_add_test(tc, test_sweep_pristine);
    tcase_add_test(tc, test_sweep_gzip);
    tcase_add_test(tcase(s, "truncation"), test_sweep_truncation);
    tc = tcase(s, "mutation");
    tcase_add_test(tc, test_sweep_bitflips);
    tcase_add_test(tc, test_sweep_fields);
    tcase_add_test(tc, test_sweep_stacks);
    return s;
}
