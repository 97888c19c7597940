/* libFuzzer harness: reads of dump memory by virtual address.  The input is a
 * dump; besides the edges of every range (tests/hostile.c), every 8-byte
 * value of the input's last 512 bytes is used as an address (dumps are full
 * of pointers into their own ranges), read with a length taken from the next
 * value, through dw_memory_read, dw_memory_span and the u32/u64 helpers.
 * Checks: a read never claims more bytes than asked for, and a read reported
 * complete (DW_OK) agrees byte for byte with dw_memory_span. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dumpwalk/dumpwalk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void probe(dw_dump *dump, uint64_t va, size_t len)
{
    static uint8_t buf[1 << 16];
    if (len > sizeof buf)
        len = sizeof buf;
    size_t got = 0;
    dw_status st = dw_memory_read(dump, va, buf, len, &got);
    if (got > len || (st == DW_OK && got != len))
        abort();
    size_t avail = 0;
    const uint8_t *span = dw_memory_span(dump, va, &avail);
    if (span && avail) {
        volatile uint8_t last = span[avail - 1];
        (void)last;
        size_t common = avail < got ? avail : got;
        if (memcmp(span, buf, common) != 0)
            abort(); /* the copy and the zero-copy view disagree */
    }
    uint32_t v32;
    uint64_t v64;
    (void)dw_memory_read_u32(dump, va, &v32);
    (void)dw_memory_read_u64(dump, va, &v64);
    (void)dw_dump_memory_info_at(dump, va);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dw_dump *dump;
    if (dw_dump_open_buffer(data, size, NULL, &dump, NULL) != DW_OK)
        return 0;
    const dw_memory_range *rg;
    size_t n;
    if (dw_memory_ranges(dump, &rg, &n) == DW_OK) {
        for (size_t i = 0; i < n && i < 1024; i++) {
            probe(dump, rg[i].base, (size_t)(rg[i].size < 65536 ? rg[i].size : 65536));
            probe(dump, rg[i].base + rg[i].size - 1, 16);
            probe(dump, rg[i].base - 1, 2);
            if (i + 1 < n) /* across the gap (or seam) to the next range */
                probe(dump, rg[i + 1].base - 4, 8);
        }
    }
    size_t tail = size < 512 ? size : 512;
    const uint8_t *t = data + size - tail;
    for (size_t off = 0; off + 16 <= tail; off += 8)
        probe(dump, le64(t + off), (size_t)(le64(t + off + 8) & 0x1ffff));
    dw_dump_close(dump);
    return 0;
}
