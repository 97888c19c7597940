/* Batch inputs: the files a batch run will report on, found from the paths
 * the user named.  Internal to lib/batch. */
#ifndef DW_BATCH_INPUTS_H
#define DW_BATCH_INPUTS_H

#include <stddef.h>

#include "dumpwalk/status.h"

/* One line of the batch output.  When `status` is not DW_OK the line is a
 * failure object with `error` as its message (the path could not be read);
 * otherwise the file is opened and walked. */
typedef struct dw_batch_input {
    char *path;
    dw_status status;
    char *error;
} dw_batch_input;

typedef struct dw_batch_inputs {
    dw_batch_input *items;
    size_t count, cap;
} dw_batch_inputs;

/* Expand named files and directories (recursively, in byte order of the
 * names).  DW_ERR_NOMEM is the only failure: unreadable paths become
 * failure items. */
dw_status dw_batch_inputs_collect(const char *const *paths, size_t path_count,
                                  dw_batch_inputs *out);
void dw_batch_inputs_free(dw_batch_inputs *in);

/* Non-zero when the first bytes of a file announce a dump dumpwalk reads
 * (after inflating gzip).  `size` is how many bytes `head` holds. */
int dw_batch_is_dump_magic(const unsigned char *head, size_t size);

#endif
