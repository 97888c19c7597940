/* Pathological but valid minidumps, built with the test writer (mdwriter.h):
 * the shapes that make a parser or a walker do the most work per byte.
 * Shared by the limits suite (tests/test_limits.c: they complete with the
 * expected results) and the benchmark (tools/bench/pathological.c: how long
 * they take).  Every dump is x64 Windows 10 with one module, PATHO_MODULE,
 * whose code is not captured unless a builder says so. */
#ifndef DW_TESTS_PATHOLOGICAL_H
#define DW_TESTS_PATHOLOGICAL_H

#include <stddef.h>
#include <stdint.h>

#define PATHO_MODULE_BASE 0x7ff600000000ull
#define PATHO_MODULE_SIZE 0x100000u
#define PATHO_STACK_BASE 0x10000000ull

/* n MemoryList ranges of 64 bytes, 0x100 apart from 0x200000000, each
 * filled with the low byte of its index; and a MemoryInfoList region per
 * range.  One thread. */
#define PATHO_RANGE_VA(i) (0x200000000ull + (uint64_t)(i)*0x100)
#define PATHO_RANGE_SIZE 64
uint8_t *patho_many_ranges(size_t n, size_t *size);

/* n threads (ids 1..n), each with its own 256-byte stack at
 * PATHO_STACK_BASE + i * 0x10000 whose first word is a return address into
 * the module, and its own context (RIP in the module, RSP at the stack). */
uint8_t *patho_many_threads(size_t n, size_t *size);

/* One thread whose stack_bytes of stack are all return addresses into the
 * module.  with_code = 0: the module's code is not captured, so every word is
 * a weak candidate and a scan reads its whole window for each frame (the
 * scanner's worst case); with_code = 1: the code is captured and every word
 * follows a `call rel32`, a strong candidate one word further each frame. */
uint8_t *patho_return_address_stack(size_t stack_bytes, int with_code, size_t *size);

/* One thread whose frame-pointer chain is a cycle: cycle = 1, saved RBP
 * points at itself; cycle = 2, two frames point at each other.  Each frame's
 * return address points into the module; the rest of the stack is zero. */
uint8_t *patho_fp_loop(int cycle, size_t *size);

#endif
