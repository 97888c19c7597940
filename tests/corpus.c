#include "corpus.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

static char **list;
static size_t list_count, list_cap;
static size_t root_len;

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type != FTW_F || strstr(path, "/oracle/") || strstr(path, "/expected/"))
        return 0;
    if (!has_suffix(path, ".dmp") && !has_suffix(path, ".mdmp"))
        return 0;
    if (list_count == list_cap) {
        list_cap = list_cap ? list_cap * 2 : 64;
        list = realloc(list, list_cap * sizeof *list);
    }
    list[list_count++] = strdup(path + root_len + 1);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t corpus_dumps(const char *const **paths)
{
    const char *shared = dw_test_shared_dir();
    if (!shared)
        return 0;
    if (!list) {
        char root[4096];
        snprintf(root, sizeof root, "%s/corpus", shared);
        root_len = strlen(root);
        nftw(root, visit, 16, FTW_PHYS);
        if (list)
            qsort(list, list_count, sizeof *list, cmp);
    }
    *paths = (const char *const *)list;
    return list_count;
}

const char *corpus_abs(const char *rel)
{
    static __thread char buf[4096];
    const char *shared = dw_test_shared_dir();
    if (!shared)
        return NULL;
    snprintf(buf, sizeof buf, "%s/corpus/%s", shared, rel);
    return buf;
}

const char *corpus_oracle(const char *rel, const char *file)
{
    static __thread char buf[4096];
    const char *shared = dw_test_shared_dir();
    if (!shared)
        return NULL;
    const char *dot = strrchr(rel, '.');
    int stem = dot ? (int)(dot - rel) : (int)strlen(rel);
    snprintf(buf, sizeof buf, "%s/corpus/oracle/%.*s/%s", shared, stem, rel, file);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

size_t oracle_thread_ids(const char *oracle_path, uint32_t *tids, int *skipped, size_t max)
{
    FILE *f = oracle_path ? fopen(oracle_path, "r") : NULL;
    if (!f)
        return 0;
    char line[4096];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "thread\t", 7))
            continue;
        char *t = strstr(line, "\ttid=");
        if (t && n < max) {
            if (skipped)
                skipped[n] = strstr(line, "skipped=breakpad-dump-thread") != NULL;
            tids[n++] = (uint32_t)strtoul(t + 5, NULL, 16);
        }
    }
    fclose(f);
    return n;
}
