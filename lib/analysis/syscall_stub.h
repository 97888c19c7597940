/* Recognising the NT system-call stubs of ntdll.dll / win32u.dll around an IP.
 *
 * A thread blocked in the kernel sits in (or, on x86, returns into) a stub
 * that loads the system service number (SSN) into eax and enters the kernel.
 * Knowing the SSN names the wait (NtWaitForSingleObject, NtUserGetMessage,
 * NtCallbackReturn, ...) even without symbols.  Pure byte matching: the
 * caller passes the code bytes around the IP and their virtual address.
 */
#ifndef DW_ANALYSIS_SYSCALL_STUB_H
#define DW_ANALYSIS_SYSCALL_STUB_H

#include <stddef.h>
#include <stdint.h>

typedef struct dw_syscall_stub {
    const char *form;         /* "x64-win10", "x86-sharedUserData", ... (see .c) */
    const char *description;  /* which Windows builds use this form */
    int bits;                 /* 64 or 32 (x86 and WoW64 stubs) */
    int has_ssn;              /* 0 only for the shared KiFastSystemCall helper */
    uint32_t ssn;             /* the `mov eax, imm32` immediate, unmasked */
    uint32_t service;         /* ssn & 0x3fff: table (bits 12-13: 1 = win32k) and index;
                                 Win10 WoW64 stubs keep a thunk index in bits 16+ */
    int kernel_bits;          /* 64 when `service` is an x64 kernel number (x64 and WoW64
                                 stubs: look it up in the 64-bit SSN table), 32 for native
                                 x86 stubs, 0 when the form does not tell */
    uint64_t stub_address;    /* first byte of the stub */
    uint64_t syscall_address; /* the syscall / sysenter / int 2e / call instruction */
    uint8_t syscall_length;
    int ip_after_syscall; /* IP is where a thread waiting in this call rests: just after
                             that instruction (x86: the return address of the helper
                             call), or XP's KiFastSystemCallRet */
    int ip_in_stub;       /* IP lies inside the stub (including just after its end) */
} dw_syscall_stub;

/* Longest stub matched (the Windows 10 x64 form with its int 2e path). */
#define DW_SYSCALL_STUB_MAX 32

/* Is `ip` inside or just after a system-call stub?  `code` holds `size` bytes
 * whose first byte is at `code_va`; give about 32 bytes before the IP and 16
 * after.  `bits` is 64 for x64 code, 32 for x86/WoW64 code, 0 to try both.
 * Every byte of a matched stub must be present.  When several stubs fit, the
 * one the IP waits in wins over one it merely lies in.  Returns 1 and fills
 * *out on a match; 0 otherwise.
 *
 * x86 threads blocked through KiFastSystemCall (XP - 7) rest in that shared
 * helper, whose form has no SSN: decode again at the return address at [ESP],
 * which lies just after the `call [edx]` of the service's own stub. */
int dw_syscall_stub_decode(const uint8_t *code, size_t size, uint64_t code_va, uint64_t ip,
                           int bits, dw_syscall_stub *out);

#endif
