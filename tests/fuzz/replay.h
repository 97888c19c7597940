/* The libFuzzer harnesses' entry points as the Check suite links them
 * (tests/fuzz/meson.build renames LLVMFuzzerTestOneInput to <name>_one), so
 * every input under tests/fuzz/regressions/<name>/ is replayed in CI. */
#ifndef DW_TESTS_FUZZ_REPLAY_H
#define DW_TESTS_FUZZ_REPLAY_H

#include <stddef.h>
#include <stdint.h>

int fuzz_dump_one(const uint8_t *data, size_t size);
int fuzz_memory_one(const uint8_t *data, size_t size);
int fuzz_walk_one(const uint8_t *data, size_t size);
int fuzz_sym_one(const uint8_t *data, size_t size);
int fuzz_postfix_one(const uint8_t *data, size_t size);
int fuzz_pe_one(const uint8_t *data, size_t size);
int fuzz_syscall_one(const uint8_t *data, size_t size);

#endif
