/* PLACEHOLDER CLI: replaced by the real one. */
#include <stdio.h>
#include "dumpwalk/dumpwalk.h"
int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    dw_dump *d;
    dw_error e;
    if (dw_dump_open(argv[argc - 1], NULL, &d, &e) != DW_OK) {
        fprintf(stderr, "dumpwalk: %s\n", e.message);
        return 2;
    }
    printf("streams: %zu\n", dw_dump_stream_count(d));
    dw_dump_close(d);
    return 0;
}
