/* The shared corpus of real dumps and the reference outputs beside it. */
#ifndef DW_TESTS_CORPUS_H
#define DW_TESTS_CORPUS_H

#include <stddef.h>
#include <stdint.h>

/* Paths (relative to shared/corpus) of every dump in the corpus, sorted;
 * 0 when the corpus is absent.  The list lives until the process exits. */
size_t corpus_dumps(const char *const **paths);
/* Absolute path of a corpus-relative path (static buffer per thread). */
const char *corpus_abs(const char *rel);
/* "<shared>/corpus/oracle/<rel without extension>/<file>", or NULL if absent. */
const char *corpus_oracle(const char *rel, const char *file);

/* Thread ids from a normalized oracle file ("thread ... tid=0x..");
 * returns the count (at most max), 0 when none.  skipped[i] (may be NULL) is
 * set for Breakpad's dump thread, which it names from BreakpadInfo even when
 * the thread list does not hold it. */
size_t oracle_thread_ids(const char *oracle_path, uint32_t *tids, int *skipped, size_t max);

#endif
