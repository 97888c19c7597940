/* What `dumpwalk` and `dumpwalk batch` share: the --symbols / --images
 * directories and the walk options built from them.  Header-only (static
 * inline), so the tool's build list stays the two command files. */
#ifndef DW_TOOLS_CLI_COMMON_H
#define DW_TOOLS_CLI_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dumpwalk/dumpwalk.h"

#define DW_CLI_MAX_DIRS 64

typedef struct dw_cli_dirs {
    const char *symbol_dirs[DW_CLI_MAX_DIRS];
    int symbol_dir_count;
    const char *image_dirs[DW_CLI_MAX_DIRS];
    int image_dir_count;
} dw_cli_dirs;

/* Is `option` one that names a directory (--symbols or --images)? */
static inline int dw_cli_is_dir_option(const char *option)
{
    return !strcmp(option, "--symbols") || !strcmp(option, "--images");
}

/* Record `dir` for --symbols or --images; 0 when there are too many. */
static inline int dw_cli_add_dir(dw_cli_dirs *d, const char *option, const char *dir)
{
    int sym = option[2] == 's';
    int *count = sym ? &d->symbol_dir_count : &d->image_dir_count;
    if (*count >= DW_CLI_MAX_DIRS)
        return 0;
    (sym ? d->symbol_dirs : d->image_dirs)[(*count)++] = dir;
    return 1;
}

/* A misspelt --symbols or --images directory would silently give an
 * unsymbolized walk, so it is a usage error: 0, with a message, when one of
 * `dirs` is not a directory. */
static inline int dw_cli_dirs_exist(const char *prog, const char *option, const char *const *dirs,
                                    int count)
{
    for (int i = 0; i < count; i++) {
        struct stat st;
        int exists = stat(dirs[i], &st) == 0;
        if (!exists || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "%s: %s %s: %s\n", prog, option, dirs[i],
                    exists ? "not a directory" : strerror(errno));
            return 0;
        }
    }
    return 1;
}

/* A symbol store over the --symbols directories; NULL (and a message) when
 * one cannot be used. */
static inline dw_symbols *dw_cli_open_symbols(const char *prog, const dw_cli_dirs *d)
{
    dw_symbols *syms;
    if (dw_symbols_new(&syms) != DW_OK) {
        fprintf(stderr, "%s: cannot create a symbol store: out of memory\n", prog);
        return NULL;
    }
    for (int i = 0; i < d->symbol_dir_count; i++) {
        if (dw_symbols_add_dir(syms, d->symbol_dirs[i]) != DW_OK) {
            fprintf(stderr, "%s: --symbols %s: %s\n", prog, d->symbol_dirs[i],
                    dw_symbols_last_error());
            dw_symbols_free(syms);
            return NULL;
        }
    }
    return syms;
}

/* Check the directories, open the symbol store (none without --symbols:
 * modules then report no symbol flags) and fill *walk with both; the caller
 * frees *syms.  0, with a message naming `prog` and *syms NULL, when the
 * directories cannot be used. */
static inline int dw_cli_walk_setup(const char *prog, const dw_cli_dirs *d, dw_symbols **syms,
                                    dw_walk_options *walk)
{
    *syms = NULL;
    if (!dw_cli_dirs_exist(prog, "--symbols", d->symbol_dirs, d->symbol_dir_count) ||
        !dw_cli_dirs_exist(prog, "--images", d->image_dirs, d->image_dir_count))
        return 0;
    if (d->symbol_dir_count && !(*syms = dw_cli_open_symbols(prog, d)))
        return 0;
    dw_walk_options w = DW_WALK_OPTIONS_INIT;
    w.symbols = *syms;
    w.image_dirs = d->image_dirs;
    w.image_dir_count = (size_t)d->image_dir_count;
    *walk = w;
    return 1;
}

#endif
