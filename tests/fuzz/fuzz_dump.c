/* libFuzzer harness: minidump parsing.  The input is a dump; it goes through
 * open, the directory, dw_dump_check_all, every stream accessor and every
 * report section (text and JSON, which must parse): tests/hostile.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hostile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hostile_options opts = {NULL, 0, HOSTILE_REPORT_SECTIONS | HOSTILE_REPORT_TEXT, 0};
    hostile_result res;
    if (hostile_run(data, size, &opts, &res) != 0) {
        fprintf(stderr, "promise violated: %s\n", res.violation);
        abort();
    }
    return 0;
}
