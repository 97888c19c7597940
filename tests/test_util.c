#include "test_util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *dw_test_shared_dir(void)
{
    const char *s = getenv("DW_SHARED");
    struct stat st;
    if (!s || stat(s, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return s;
}

const char *dw_test_shared_path(const char *rel)
{
    static __thread char buf[4096];
    const char *dir = dw_test_shared_dir();
    if (!dir)
        return NULL;
    snprintf(buf, sizeof buf, "%s/%s", dir, rel);
    if (access(buf, R_OK) != 0)
        return NULL;
    return buf;
}

const char *dw_test_fixtures_dir(void)
{
    const char *s = getenv("DW_FIXTURES");
    return s ? s : "fixtures";
}

const char *dw_test_fixture_path(const char *rel)
{
    static __thread char buf[4][4096];
    static __thread unsigned next;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", dw_test_fixtures_dir(), rel);
    return b;
}

const char *dw_test_fixture_dump(void)
{
    static __thread char buf[4096];
    snprintf(buf, sizeof buf, "%s/synthetic-x64.dmp", dw_test_fixtures_dir());
    return buf;
}

uint8_t *dw_test_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        *size = (size_t)n;
    return buf;
}

const char *dw_test_tmpdir(void)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/dumpwalk-test-XXXXXX");
        if (!mkdtemp(dir))
            snprintf(dir, sizeof dir, "/tmp");
    }
    return dir;
}

dw_test_dump dw_test_open_buffer(uint8_t *buf, size_t size)
{
    dw_test_dump d = {buf, size, NULL};
    dw_error err;
    dw_status st = dw_dump_open_buffer(buf, size, NULL, &d.dump, &err);
    ck_assert_msg(st == DW_OK, "open: %s", err.message);
    return d;
}

dw_test_dump dw_test_open_writer(mdw *w)
{
    size_t size;
    uint8_t *buf = mdw_finish(w, &size);
    mdw_free(w);
    return dw_test_open_buffer(buf, size);
}

void dw_test_close(dw_test_dump *d)
{
    dw_dump_close(d->dump);
    free(d->buf);
    d->dump = NULL;
    d->buf = NULL;
}

int dw_test_has_issue(dw_dump *d, uint32_t stream_type, const char *needle)
{
    for (size_t i = 0; i < dw_dump_health_count(d); i++) {
        const dw_health_issue *h = dw_dump_health_at(d, i);
        if ((stream_type == DW_TEST_ANY_STREAM || h->stream_type == stream_type) &&
            strstr(h->message, needle))
            return 1;
    }
    return 0;
}

uint64_t dw_test_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

uint32_t dw_test_below(uint64_t *state, uint32_t n)
{
    return (uint32_t)(dw_test_random(state) % n);
}
