/* Run the dumpwalk CLI from tests and capture what it printed. */
#ifndef DW_TESTS_CLI_RUN_H
#define DW_TESTS_CLI_RUN_H

#include <stddef.h>

typedef struct cli_result {
    int exit_code; /* -1 if it did not exit normally */
    int signal;    /* the terminating signal, 0 if none */
    char *out;     /* stdout, NUL-terminated (malloc'd) */
    size_t out_len;
    char *err; /* stderr */
    size_t err_len;
} cli_result;

/* Run $DW_CLI with argv (NULL-terminated, without argv[0]).  Returns 0 when
 * the program could be started. */
int cli_run(const char *const *args, cli_result *res);
void cli_result_free(cli_result *res);
/* Path of the CLI binary (env DW_CLI) or NULL. */
const char *cli_path(void);

/* Run and check the basic contract: no signal, exit status `want_exit`, and
 * on failure a one-line reason on stderr. */
void cli_run_expect(const char *const *args, int want_exit, cli_result *res);
/* Newlines in s. */
int cli_count_lines(const char *s);

/* Minimal JSON syntax validation: 1 when `text` is exactly one valid JSON
 * value (RFC 8259) followed only by whitespace. */
int json_is_valid(const char *text, size_t len);

#endif
