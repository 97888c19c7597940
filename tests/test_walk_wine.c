/* Stack walks of the Wine x64 dumps against their ground truth: each thread's
 * JSON lists the return address of every frame of the test program
 * (shared/wine/x64_*.json); the walk must recover them, in order. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dumpwalk/dumpwalk.h"
#include "test_util.h"

#define MAX_THREADS 32
#define MAX_RETS 64

typedef struct truth_thread {
    uint32_t tid;
    size_t nrets;
    uint64_t rets[MAX_RETS];
} truth_thread;

/* The JSON lists threads in order, each with "thread_id" then its frames'
 * "ret" values; those two keys appear nowhere else. */
static size_t load_truth(const char *path, truth_thread *t, size_t max)
{
    size_t size;
    char *text = (char *)dw_test_read_file(path, &size);
    if (!text)
        return 0;
    text = realloc(text, size + 1);
    text[size] = '\0';
    size_t n = 0;
    for (char *p = text; (p = strchr(p, '"')); p++) {
        if (!strncmp(p, "\"thread_id\": ", 13) && n < max) {
            memset(&t[n], 0, sizeof t[n]);
            t[n++].tid = (uint32_t)strtoul(p + 13, NULL, 10);
        } else if (!strncmp(p, "\"ret\": \"", 8) && n > 0 && t[n - 1].nrets < MAX_RETS) {
            t[n - 1].rets[t[n - 1].nrets++] = strtoull(p + 8, NULL, 16);
        }
    }
    free(text);
    return n;
}

typedef struct walk_score {
    size_t expected, found, threads, threads_complete;
} walk_score;

/* How many of the thread's ground-truth return addresses the walk recovers
 * as an ordered subsequence of its frames' IPs. */
static size_t walk_and_match(dw_walker *w, const dw_thread *thr, const truth_thread *truth)
{
    if (dw_walker_start(w, thr) != DW_OK)
        return 0;
    dw_frame f;
    size_t k = 0;
    while (k < truth->nrets && dw_walker_next(w, &f) == DW_OK) {
        if (f.ip == truth->rets[k])
            k++;
    }
    return k;
}

static walk_score score_dump(const char *dump_rel, const char *json_rel, int with_images)
{
    walk_score s = {0, 0, 0, 0};
    const char *dpath = dw_test_shared_path(dump_rel);
    if (!dpath)
        return s;
    char dump_path[4096];
    snprintf(dump_path, sizeof dump_path, "%s", dpath);
    truth_thread truth[MAX_THREADS];
    size_t nt = load_truth(dw_test_shared_path(json_rel), truth, MAX_THREADS);
    dw_dump *dump;
    dw_error err;
    ck_assert_msg(dw_dump_open(dump_path, NULL, &dump, &err) == DW_OK, "%s", err.message);
    char images[4096];
    snprintf(images, sizeof images, "%s/wine/images", dw_test_shared_dir());
    const char *dirs[] = {images};
    dw_walk_options opts = DW_WALK_OPTIONS_INIT;
    if (with_images) {
        opts.image_dirs = dirs;
        opts.image_dir_count = 1;
    }
    dw_walker *w;
    ck_assert_int_eq(dw_walker_new(dump, &opts, &w), DW_OK);
    for (size_t i = 0; i < nt; i++) {
        const dw_thread *thr;
        if (dw_dump_thread_by_id(dump, truth[i].tid, &thr) != DW_OK || truth[i].nrets == 0)
            continue;
        dw_context ctx;
        if (dw_thread_context(dump, thr, &ctx) != DW_OK)
            continue; /* the in-process dumper thread has no context (Wine) */
        size_t got = walk_and_match(w, thr, &truth[i]);
        s.expected += truth[i].nrets;
        s.found += got;
        s.threads++;
        s.threads_complete += got == truth[i].nrets;
        fprintf(stderr, "  wine %s tid %u: %zu/%zu return addresses\n", dump_rel, truth[i].tid, got,
                truth[i].nrets);
    }
    dw_walker_free(w);
    dw_dump_close(dump);
    fprintf(stderr, "wine %s%s: %zu/%zu return addresses, %zu/%zu threads complete\n", dump_rel,
            with_images ? " (--images)" : "", s.found, s.expected, s.threads_complete, s.threads);
    return s;
}

START_TEST(full_memory_dump_needs_nothing_else)
{
    walk_score s = score_dump("wine/x64_nowin_ext_full.dmp.gz", "wine/x64_nowin_ext_full.json", 0);
    if (s.threads == 0)
        return;
    ck_assert_uint_eq(s.found, s.expected);
}
END_TEST

START_TEST(normal_dumps_with_images)
{
    static const char *const dumps[][2] = {
        {"wine/x64_ext_normal.dmp", "wine/x64_ext_normal.json"},
        {"wine/x64_winedbg.dmp", "wine/x64_winedbg.json"},
        {"wine/x64_inproc_normal.dmp", "wine/x64_inproc_normal.json"},
    };
    for (size_t i = 0; i < 3; i++) {
        walk_score s = score_dump(dumps[i][0], dumps[i][1], 1);
        if (s.threads == 0)
            continue;
        ck_assert_msg(s.found == s.expected, "%s: %zu/%zu", dumps[i][0], s.found, s.expected);
    }
}
END_TEST

START_TEST(normal_dumps_without_images_still_walk)
{
    /* Without .pdata, frame pointers and validated scanning must still find
     * most frames of the test program. */
    walk_score s = score_dump("wine/x64_ext_normal.dmp", "wine/x64_ext_normal.json", 0);
    if (s.threads == 0)
        return;
    ck_assert_msg(s.found * 10 >= s.expected * 8, "%zu/%zu", s.found, s.expected);
}
END_TEST

Suite *walk_wine_suite(void)
{
    Suite *s = suite_create("walk_wine");
    TCase *tc = tcase_create("wine");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, full_memory_dump_needs_nothing_else);
    tcase_add_test(tc, normal_dumps_with_images);
    tcase_add_test(tc, normal_dumps_without_images_still_walk);
    suite_add_tcase(s, tc);
    return s;
}
