/* Helpers shared by the test suites. */
#ifndef DW_TESTS_TEST_UTIL_H
#define DW_TESTS_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Path of ../shared beside the project (env DW_SHARED, set by meson test),
 * or NULL when it is absent: tests that need it skip cleanly. */
const char *dw_test_shared_dir(void);
/* "<shared>/<rel>" in a static buffer, or NULL when shared is absent or the
 * file does not exist. */
const char *dw_test_shared_path(const char *rel);
/* The project's fixtures/ directory (env DW_FIXTURES). */
const char *dw_test_fixtures_dir(void);
/* Read a whole file into a malloc'd buffer; NULL on failure. */
uint8_t *dw_test_read_file(const char *path, size_t *size);
/* A fresh temporary directory for this test process (created once). */
const char *dw_test_tmpdir(void);

#endif
