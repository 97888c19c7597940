/* A small minidump writer for tests: builds dumps in code so every test
 * states its own ground truth.  Not part of the library.
 *
 * Layout produced: MINIDUMP_HEADER at 0, then every appended blob in order
 * (each blob's RVA is known as soon as it is appended), then the streams,
 * then the stream directory (its RVA goes into the header).  Malformed
 * variants are made by patching the finished bytes (mdw_patch_*), or by
 * adding raw streams with mdw_add_stream.
 *
 * All calls abort() on allocation failure: this is test code. */
#ifndef DW_TESTS_MDWRITER_H
#define DW_TESTS_MDWRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct mdw mdw;

mdw *mdw_new(void);
void mdw_free(mdw *w);

/* Header fields (defaults: time 0x5f000000, flags 0). */
void mdw_set_header(mdw *w, uint32_t time_date_stamp, uint64_t flags);

/* Append raw bytes to the body; returns their RVA. */
uint32_t mdw_append(mdw *w, const void *data, size_t len);
/* Append a MINIDUMP_STRING (u32 byte length + UTF-16LE + NUL) of an
 * ASCII/UTF-8 string (BMP only); returns its RVA. */
uint32_t mdw_append_string(mdw *w, const char *utf8);

/* Add a stream with the given raw bytes (copied).  Streams are written in
 * the order added; adding a type twice makes a duplicate entry. */
void mdw_add_stream(mdw *w, uint32_t type, const void *data, size_t len);
/* Add a directory entry with arbitrary size/rva (for malformed dumps). */
void mdw_add_stream_entry(mdw *w, uint32_t type, uint32_t size, uint32_t rva);

/* SystemInfo (MINIDUMP_SYSTEM_INFO, 56 bytes); csd may be NULL (an empty
 * CSDVersion string is still written).  Fixed: ProcessorLevel 6, Revision
 * 0x9e0a, 8 processors, ProductType 1; arch 0 (x86) gets VendorId
 * "GenuineIntel", other arches ProcessorFeatures. */
void mdw_system_info(mdw *w, uint16_t arch, uint32_t major, uint32_t minor, uint32_t build,
                     uint32_t platform_id, const char *csd);

/* Register files for contexts, indexed by DW_AMD64_* / DW_X86_* numbers
 * (see include/dumpwalk/threads.h). */
typedef struct mdw_regs {
    uint64_t r[24];
} mdw_regs;

/* Append an AMD64 CONTEXT (1232 bytes, ContextFlags = flags, e.g. 0x10001f
 * for CONTROL|INTEGER|SEGMENTS|FLOATING_POINT|DEBUG... pass 0x10000b for
 * control+integer+segments) and return its RVA; *size gets 1232. */
uint32_t mdw_context_amd64(mdw *w, const mdw_regs *regs, uint32_t flags, uint32_t *size);
/* Append an x86 CONTEXT (716 bytes, flags e.g. 0x1000f) and return its RVA. */
uint32_t mdw_context_x86(mdw *w, const mdw_regs *regs, uint32_t flags, uint32_t *size);

/* A thread: its stack bytes are appended and described by the thread's
 * stack descriptor (stack may be NULL with stack_len 0).  The stack is not
 * put in the MemoryList: call mdw_add_memory too if readers need it there. */
void mdw_add_thread(mdw *w, uint32_t tid, uint64_t teb, uint64_t stack_start, const void *stack,
                    size_t stack_len, uint32_t ctx_rva, uint32_t ctx_size);
/* Emit ThreadExList (type 8) instead of ThreadList (type 3). */
void mdw_use_thread_ex_list(mdw *w, int on);
void mdw_add_thread_name(mdw *w, uint32_t tid, const char *name);
void mdw_add_thread_info(mdw *w, uint32_t tid, uint32_t dump_flags, uint64_t create_time,
                         uint64_t start_address, uint64_t affinity);

/* A module with a PDB70 CodeView record (guid: 16 bytes, may be NULL for no
 * CodeView) and optional VS_FIXEDFILEINFO version (a.b.c.d, 0 to omit).
 * guid is copied as the 16 file bytes (Data1 LE, Data2 LE, Data3 LE, Data4);
 * version packs a.b.c.d as a<<48 | b<<32 | c<<16 | d (FileVersionMS = high
 * half), written to both File and ProductVersion. */
void mdw_add_module(mdw *w, uint64_t base, uint32_t size, const char *path, uint32_t timestamp,
                    const char *pdb_name, const uint8_t *guid, uint32_t age, uint64_t version);
/* A module whose CodeView record is the given raw bytes (NB10, BpEL, junk). */
void mdw_add_module_raw_cv(mdw *w, uint64_t base, uint32_t size, const char *path,
                           uint32_t timestamp, const void *cv, size_t cv_len);
void mdw_add_unloaded_module(mdw *w, uint64_t base, uint32_t size, const char *path,
                             uint32_t timestamp);

/* Captured memory.  With memory64 on, all mdw_add_memory ranges go into a
 * Memory64List (data contiguous at the end of the body) instead of MemoryList. */
void mdw_add_memory(mdw *w, uint64_t va, const void *data, size_t len);
void mdw_use_memory64(mdw *w, int on);
void mdw_add_memory_info(mdw *w, uint64_t base, uint64_t size, uint32_t state, uint32_t protect,
                         uint32_t type);

/* Exception stream (MINIDUMP_EXCEPTION_STREAM). */
void mdw_exception(mdw *w, uint32_t tid, uint32_t code, uint64_t address, uint32_t nparams,
                   const uint64_t *params, uint32_t ctx_rva, uint32_t ctx_size);

/* MiscInfo with the given number of bytes (24, 44, 232, 832, 840); fields
 * set: flags1 = PROCESS_ID|PROCESS_TIMES, pid, create_time. */
void mdw_misc_info(mdw *w, uint32_t size_of_info, uint32_t pid, uint32_t create_time);

/* Handle (MINIDUMP_HANDLE_DESCRIPTOR_2). */
void mdw_add_handle(mdw *w, uint64_t handle, const char *type_name, const char *object_name,
                    uint32_t granted_access);

/* Serialize.  Returns a malloc'd buffer the caller frees. */
uint8_t *mdw_finish(mdw *w, size_t *size);
/* Serialize to a file; 0 on success. */
int mdw_write_file(mdw *w, const char *path);

/* Little-endian patch helpers for making malformed variants. */
void mdw_patch_u32(uint8_t *buf, size_t size, size_t offset, uint32_t value);
void mdw_patch_u64(uint8_t *buf, size_t size, size_t offset, uint64_t value);
/* File offset of the directory entry for the first stream of `type` in a
 * finished buffer (to patch its size/rva), or (size_t)-1. */
size_t mdw_find_dir_entry(const uint8_t *buf, size_t size, uint32_t type);

/* Store a little-endian value at p (for building raw stream bytes). */
void mdw_put16(uint8_t *p, uint16_t v);
void mdw_put32(uint8_t *p, uint32_t v);
void mdw_put64(uint8_t *p, uint64_t v);

#endif
