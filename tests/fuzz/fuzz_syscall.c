/* libFuzzer harness: system-call stub decoding (lib/analysis/syscall_stub.h).
 * The first byte picks the bit width and the IP's offset; the rest is the
 * code.  Every IP offset is tried.  Checks: a match lies inside the bytes
 * given, and its SSN fields agree with each other. */
#include <stdint.h>
#include <stdlib.h>

#include "analysis/syscall_stub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const dw_syscall_stub *s, uint64_t va, size_t size)
{
    if (s->stub_address < va || s->stub_address >= va + size)
        abort();
    if (s->syscall_address < s->stub_address || s->syscall_address + s->syscall_length > va + size)
        abort();
    if (s->has_ssn && s->service != (s->ssn & 0x3fff))
        abort();
    if (!s->form || !s->description || (s->bits != 32 && s->bits != 64))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const int widths[] = {0, 32, 64};
    int bits = widths[data[0] % 3];
    const uint8_t *code = data + 1;
    size_t n = size - 1;
    if (n > 256)
        n = 256;
    /* Near the top of the address space, so wrap-around is exercised too. */
    uint64_t va = (data[0] & 0x80) ? UINT64_MAX - n : 0x7ffe0000;
    for (size_t ip = 0; ip <= n; ip++) {
        dw_syscall_stub s;
        if (dw_syscall_stub_decode(code, n, va, va + ip, bits, &s))
            check(&s, va, n);
    }
    return 0;
}
