/* Helpers shared by the test suites. */
#ifndef DW_TESTS_TEST_UTIL_H
#define DW_TESTS_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "dumpwalk/dumpwalk.h"
#include "mdwriter.h"

/* Path of ../shared beside the project (env DW_SHARED, set by meson test),
 * or NULL when it is absent: tests that need it skip cleanly. */
const char *dw_test_shared_dir(void);
/* "<shared>/<rel>" in a static buffer, or NULL when shared is absent or the
 * file does not exist. */
const char *dw_test_shared_path(const char *rel);
/* The project's fixtures/ directory (env DW_FIXTURES). */
const char *dw_test_fixtures_dir(void);
/* "<fixtures>/<rel>" in one of four rotating static buffers per thread. */
const char *dw_test_fixture_path(const char *rel);
/* The bundled dump, fixtures/synthetic-x64.dmp (a buffer of its own). */
const char *dw_test_fixture_dump(void);
/* Read a whole file into a malloc'd buffer; NULL on failure. */
uint8_t *dw_test_read_file(const char *path, size_t *size);

/* xorshift64*: a fixed sequence per seed, so a failing generated case can be
 * replayed from the seed it names; below() is one value in [0, n). */
uint64_t dw_test_random(uint64_t *state);
uint32_t dw_test_below(uint64_t *state, uint32_t n);
/* A fresh temporary directory for this test process (created once). */
const char *dw_test_tmpdir(void);

/* ---- synthetic dumps ---- */

/* A dump opened from bytes built in memory; it owns the (malloc'd) bytes,
 * which must outlive the handle. */
typedef struct dw_test_dump {
    uint8_t *buf;
    size_t size;
    dw_dump *dump;
} dw_test_dump;

/* Open `buf` (taking ownership); the test fails with the open error when it
 * does not open. */
dw_test_dump dw_test_open_buffer(uint8_t *buf, size_t size);
/* Finish and free the writer, then open its bytes. */
dw_test_dump dw_test_open_writer(mdw *w);
/* Close the handle and free the bytes. */
void dw_test_close(dw_test_dump *d);

/* For dw_test_has_issue: an issue of any stream. */
#define DW_TEST_ANY_STREAM 0xffffffffu
/* Is there a health issue for `stream_type` whose message contains `needle`
 * ("" matches any message)? */
int dw_test_has_issue(dw_dump *d, uint32_t stream_type, const char *needle);

#endif
