/* System service numbers (SSNs) of the NT calls a blocked or callback thread
 * is usually found in, per Windows build.
 *
 * SSNs change between releases, so a number means nothing without the OS
 * build (SystemInfo BuildNumber).  Only builds and calls whose numbers were
 * checked against a published table are listed (see ssn_table.c); anything
 * else is reported unknown rather than guessed.
 */
#ifndef DW_ANALYSIS_SSN_TABLE_H
#define DW_ANALYSIS_SSN_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* Name of the service `ssn` on `build` (bits: 64 for x64 ntdll/win32u, 32 for
 * x86 ones), or NULL when it is not in the table.  Win32k services have bit 12
 * set (0x1000 and up). */
const char *dw_ssn_name(int bits, uint32_t build, uint32_t ssn);

/* The SSN of service `name` ("NtWaitForSingleObject") on `build`: 1 and *ssn
 * when known, 0 otherwise. */
int dw_ssn_lookup(int bits, uint32_t build, const char *name, uint32_t *ssn);

/* Does the table have any numbers for this build? */
int dw_ssn_build_covered(int bits, uint32_t build);

/* NtCallbackReturn on `build`: 1 and *ssn when known. */
int dw_ssn_callback_return(int bits, uint32_t build, uint32_t *ssn);

#endif
