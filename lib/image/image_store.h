/* PE image files on disk: finding a module's image in user directories and
 * reading it as the loader would map it.
 *
 * Layouts searched in each directory (`--images DIR`):
 *   symbol server: <dir>/<code_file>/<TimeDateStamp %08X><SizeOfImage %x>/<code_file>
 *                  (every component matched case-insensitively)
 *   flat:          <dir>/<code_file> (case-insensitive), accepted only when the
 *                  file's own TimeDateStamp and SizeOfImage match.
 * An image found either way is checked against the requested identity.
 */
#ifndef DW_IMAGE_IMAGE_STORE_H
#define DW_IMAGE_IMAGE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "dumpwalk/status.h"
#include "image/pe.h"

/* An mmap'd image file.  pe reads the *mapped* layout: RVAs below
 * SizeOfHeaders come from the headers, section RVAs from their raw data, and
 * the rest of SizeOfImage (VirtualSize > SizeOfRawData, alignment gaps) reads
 * as zeros, as in the loaded image. */
typedef struct dw_image_file {
    char *path;
    const uint8_t *data;
    size_t size;
    int mapped; /* 0 while the headers are parsed (RVA = file offset) */
    dw_pe pe;   /* pe.read = dw_image_file_read, pe.ctx = this file */
} dw_image_file;

/* Open and map `path`; err (may be NULL) says why it failed. */
dw_status dw_image_file_open(const char *path, dw_image_file **out, dw_error *err);
void dw_image_file_close(dw_image_file *file);
/* dw_image_read_fn over a dw_image_file (ctx). */
size_t dw_image_file_read(void *ctx, uint64_t rva, void *buf, size_t len);

typedef struct dw_image_store dw_image_store;

dw_status dw_image_store_new(dw_image_store **out);
/* Add a directory to search (in the order added). */
dw_status dw_image_store_add_dir(dw_image_store *store, const char *dir);
/* The image of a module: code_file may be a full Windows or POSIX path (its
 * basename is used).  Results, hits and misses alike, are cached; the file is
 * owned by the store.  DW_ERR_NOT_FOUND when no directory holds it. */
dw_status dw_image_store_find(dw_image_store *store, const char *code_file, uint32_t timestamp,
                              uint32_t size_of_image, const dw_image_file **out);
void dw_image_store_free(dw_image_store *store);

#endif
