/* libFuzzer harness: stack walking of every thread, with an optional
 * Breakpad symbol file.
 *
 * Input: either a dump alone, or a .sym text (starting "MODULE ") followed by
 * the line "@@DUMP@@" and the dump.  The symbol text is stored where a
 * dw_symbols store looks for the module it names (matched by debug file
 * name; the first module otherwise), so the walk uses its FUNC, CFI and WIN
 * records.  The walk and the stack report run through tests/hostile.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char separator[] = "\n@@DUMP@@\n";
static char root[64];

/* A name safe to use as one path component. */
static int safe_component(const char *s)
{
    if (!s[0] || !strcmp(s, ".") || !strcmp(s, "..") || strlen(s) > 128)
        return 0;
    for (; *s; s++)
        if (!(*s == '.' || *s == '_' || *s == '-' || (*s >= '0' && *s <= '9') ||
              (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return 0;
    return 1;
}

static const char *base_name(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (*p == '/' || *p == '\\')
            b = p + 1;
    return b;
}

/* The module the symbol text belongs to: same debug file name, else the
 * first module with a usable debug file and id. */
static const dw_module *target_module(dw_dump *dump, const char *sym_name)
{
    const dw_module *m;
    size_t n;
    if (dw_dump_modules(dump, &m, &n) != DW_OK)
        return NULL;
    const dw_module *first = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *file = base_name(m[i].debug_file);
        if (!safe_component(file) || !safe_component(m[i].debug_id))
            continue;
        if (!strcmp(file, sym_name))
            return &m[i];
        if (!first)
            first = &m[i];
    }
    return first;
}

/* Store the symbol text for the module; returns 1 and the file's path. */
static int place_symbols(const uint8_t *sym, size_t sym_len, const dw_module *m, char *path,
                         size_t path_size)
{
    char dir[512];
    const char *file = base_name(m->debug_file);
    snprintf(dir, sizeof dir, "%s/%s", root, file);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/%s/%s", root, file, m->debug_id);
    mkdir(dir, 0700);
    snprintf(path, path_size, "%s/%s.sym", dir, file);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(sym, 1, sym_len, f);
    fclose(f);
    return 1;
}

static void remove_symbols(const char *path)
{
    char dir[1024];
    unlink(path);
    snprintf(dir, sizeof dir, "%s", path);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = 0;
        rmdir(dir);
    }
}

static void run_walk(const uint8_t *dump, size_t size, dw_symbols *syms)
{
    hostile_options opts = {syms, 0, HOSTILE_REPORT_STACK | HOSTILE_REPORT_TEXT, 1};
    hostile_result res;
    if (hostile_run(dump, size, &opts, &res) != 0) {
        fprintf(stderr, "promise violated: %s\n", res.violation);
        abort();
    }
}

static void remove_root(void)
{
    rmdir(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0]) {
        snprintf(root, sizeof root, "/tmp/dw-fuzz-walk-XXXXXX");
        if (!mkdtemp(root))
            abort();
        atexit(remove_root);
    }
    const uint8_t *sep = NULL;
    if (size > 7 && !memcmp(data, "MODULE ", 7))
        sep = memmem(data, size, separator, sizeof separator - 1);
    if (!sep) {
        run_walk(data, size, NULL);
        return 0;
    }
    size_t sym_len = (size_t)(sep - data);
    const uint8_t *dump = sep + sizeof separator - 1;
    size_t dump_len = size - sym_len - (sizeof separator - 1);

    /* The debug file name the text claims: MODULE os arch id name. */
    char name[129] = "";
    dw_symfile *sf;
    if (dw_symfile_open_buffer(data, sym_len, &sf, NULL) == DW_OK) {
        snprintf(name, sizeof name, "%s", dw_symfile_module_info(sf)->name);
        dw_symfile_close(sf);
    }
    dw_dump *d;
    const dw_module *m = NULL;
    char path[1024];
    int placed = 0;
    if (dw_dump_open_buffer(dump, dump_len, NULL, &d, NULL) == DW_OK) {
        m = target_module(d, name);
        if (m)
            placed = place_symbols(data, sym_len, m, path, sizeof path);
        dw_dump_close(d);
    }
    dw_symbols *syms = NULL;
    if (placed && dw_symbols_new(&syms) == DW_OK)
        dw_symbols_add_dir(syms, root);
    run_walk(dump, dump_len, syms);
    dw_symbols_free(syms);
    if (placed)
        remove_symbols(path);
    return 0;
}
