/* The bundled fixtures (fixtures/), written by tests/make_fixtures and
 * regenerated in memory by the fixture suite to prove they never drift. */
#ifndef DW_TESTS_FIXTURE_GEN_H
#define DW_TESTS_FIXTURE_GEN_H

#include <stddef.h>

/* Write every fixture under dir: synthetic-x64.dmp and its Breakpad symbol
 * store symbols/.  The bytes depend on nothing but this code.  0 on success;
 * -1 after a one-line message on stderr. */
int fixture_write_all(const char *dir);

/* The files fixture_write_all writes, relative to its dir. */
const char *const *fixture_files(size_t *count);

#endif
