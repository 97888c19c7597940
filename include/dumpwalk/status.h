/* dumpwalk: status codes and error messages.
 *
 * Every fallible call returns a dw_status.  The human-readable detail of the
 * last failure on a dump handle is fetched with dw_dump_last_error(); calls
 * that have no handle yet (opening) fill a caller-provided dw_error.
 */
#ifndef DUMPWALK_STATUS_H
#define DUMPWALK_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dw_status {
    DW_OK = 0,
    DW_ERR_INVALID_ARG, /* the caller passed something unusable */
    DW_ERR_IO,          /* the file could not be opened, mapped or read */
    DW_ERR_FORMAT,      /* not a dump of a kind dumpwalk reads */
    DW_ERR_TRUNCATED,   /* data ends before a declared structure does */
    DW_ERR_DAMAGED,     /* a structure is present but its fields are inconsistent */
    DW_ERR_NOT_FOUND,   /* the stream, register, address or record is absent */
    DW_ERR_NOMEM,       /* an allocation failed */
    DW_ERR_LIMIT,       /* a resource cap was reached (size, count, depth) */
    DW_ERR_UNSUPPORTED, /* valid input that this version does not handle */
} dw_status;

/* A message a person can act on, e.g.
 * "ThreadList: 4096 threads declared but stream holds 12". */
#define DW_ERROR_MESSAGE_MAX 256
typedef struct dw_error {
    dw_status status;
    char message[DW_ERROR_MESSAGE_MAX];
} dw_error;

/* Stable short name of a status ("ok", "truncated", ...). Never NULL. */
const char *dw_status_name(dw_status status);

#ifdef __cplusplus
}
#endif
#endif
