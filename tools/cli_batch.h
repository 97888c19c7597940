/* `dumpwalk batch`: the CLI side of dw_batch_run (include/dumpwalk/batch.h). */
#ifndef DW_TOOLS_CLI_BATCH_H
#define DW_TOOLS_CLI_BATCH_H

/* argv[0] is the program, argv[1] "batch".  Returns the exit status. */
int dw_cli_batch(int argc, char **argv);

#endif
