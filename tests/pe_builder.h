/* Small but real PE images, thread stacks and process memory built in code,
 * for tests (tests/test_callbacks.c) and the bundled fixtures
 * (tests/fixture_gen.c).  Not part of the library.
 *
 * An image is its *mapped* bytes (RVA = offset into the buffer; section raw
 * offset = RVA), so one buffer serves dump memory and an --images file.
 * Writers record which bytes they touched so a fixture can capture only the
 * pages it built (pe_capture), as a dump holding parts of an image does.
 *
 * Format facts: Microsoft "PE Format" (IMAGE_NT_HEADERS, IMAGE_SECTION_HEADER,
 * IMAGE_EXPORT_DIRECTORY, RUNTIME_FUNCTION) and "x64 exception handling"
 * (UNWIND_INFO v1, UNWIND_CODE).  Every call abort()s on misuse: test code. */
#ifndef DW_TESTS_PE_BUILDER_H
#define DW_TESTS_PE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "mdwriter.h"

/* ---- images ---------------------------------------------------------------- */

/* IMAGE_SCN_* characteristics of the usual sections. */
#define PE_SCN_TEXT 0x60000020u  /* CNT_CODE | MEM_EXECUTE | MEM_READ */
#define PE_SCN_RDATA 0x40000040u /* CNT_INITIALIZED_DATA | MEM_READ */
#define PE_SCN_DATA 0xc0000040u  /* ... | MEM_WRITE */

typedef struct pe_section_spec {
    const char *name; /* up to 8 characters */
    uint32_t rva;
    uint32_t size;
    uint32_t characteristics;
} pe_section_spec;

#define PE_MAX_SECTIONS 6

/* Where an image's parts go.  export_rva 0: no export directory. */
typedef struct pe_layout {
    uint32_t size_of_image;
    uint32_t time_date_stamp;
    int exe;            /* IMAGE_FILE_DLL clear */
    uint32_t entry_rva; /* AddressOfEntryPoint, 0 for none */
    uint32_t export_rva;
    uint32_t pdata_rva;  /* RUNTIME_FUNCTION table */
    uint32_t unwind_rva; /* UNWIND_INFO blocks, PE_UNWIND_SLOT bytes apart */
    uint32_t section_count;
    pe_section_spec sections[PE_MAX_SECTIONS];
} pe_layout;

/* The 0x3000-byte test image: one .text section at 0x1000 holding code
 * (0x1000), exports (0x2000), .pdata (0x2800) and UNWIND_INFO (0x2c00). */
#define PE_SMALL_SIZE 0x3000
#define PE_SMALL_TS 0x5e5e5e5eu
extern const pe_layout pe_layout_small;

#define PE_UNWIND_SLOT 0x20
#define PE_MAX_PDATA 64

typedef struct pe_image {
    uint8_t *img; /* size bytes, heap */
    uint32_t size;
    uint64_t base;
    int pe64;
    uint32_t nt;  /* e_lfanew */
    uint32_t opt; /* optional header */
    pe_layout layout;
    uint32_t npdata;
    uint32_t pdata[PE_MAX_PDATA][3]; /* begin, end, unwind RVA; kept sorted */
    uint8_t *touched;                /* one flag per PE_GRANULE bytes */
} pe_image;

/* Bytes are tracked (and captured) in units of this many bytes. */
#define PE_GRANULE 0x100

/* Headers, section table and an int3-filled first code section.  layout NULL
 * means pe_layout_small.  pe_free releases the buffers. */
void pe_init(pe_image *p, int pe64, uint64_t base, const pe_layout *layout);
void pe_free(pe_image *p);

void pe_put16(pe_image *p, uint32_t rva, uint16_t v);
void pe_put32(pe_image *p, uint32_t rva, uint32_t v);
void pe_put64(pe_image *p, uint32_t rva, uint64_t v);
void pe_put_bytes(pe_image *p, uint32_t rva, const void *b, size_t n);
/* A string literal of code bytes (without its terminating NUL). */
#define PE_CODE(p, rva, lit) pe_put_bytes(p, rva, lit, sizeof(lit) - 1)

/* An export table; names must be given in ascending order (the loader
 * binary-searches them).  Aliases (NtX / ZwX) may share an RVA. */
typedef struct pe_export {
    const char *name;
    uint32_t rva;
} pe_export;
void pe_exports(pe_image *p, const char *dll, const pe_export *ex, uint32_t n);

/* One RUNTIME_FUNCTION [begin, end) with its UNWIND_INFO bytes (at most
 * PE_UNWIND_SLOT); the table stays sorted by begin whatever the call order. */
void pe_pdata(pe_image *p, uint32_t begin, uint32_t end, const void *unwind, size_t len);

/* UNWIND_INFO v1 for the prologue `[push rbx;] sub rsp,alloc`: push_end is
 * the prologue offset after the push (0: no push), alloc_end after the sub;
 * alloc is 8..0x80 in steps of 8 (UWOP_ALLOC_SMALL).  Returns the length. */
size_t pe_unwind_frame(uint8_t out[PE_UNWIND_SLOT], uint8_t push_end, uint8_t alloc_end,
                       uint32_t alloc);

/* UNWIND_INFO v1 of `sub rsp,0x28` (4 bytes). */
extern const uint8_t pe_unwind_alloc28[6];
/* KiUserCallbackDispatcher: no prologue; UWOP_ALLOC_SMALL 0x30 (the
 * UCALLOUT_FRAME's home and argument area) then UWOP_PUSH_MACHFRAME without
 * an error code, at +0x30. */
extern const uint8_t pe_unwind_dispatcher[8];

/* A function: sub rsp,0x28; call rel32 target; add rsp,0x28; ret, with its
 * .pdata.  Its return address is rva + PE_CALLER_RET.  Unlike asm_call, a
 * target out of rel32 range is allowed (the displacement wraps). */
#define PE_CALLER_RET 9
void pe_caller(pe_image *p, uint32_t rva, uint64_t target);

/* An x64 Windows 10 system-call stub: mov r10,rcx; mov eax,SSN;
 * test byte [7FFE0308h],1; jne +3; syscall; ret; int 2Eh; ret.  A thread
 * waiting in the kernel rests at rva + PE_STUB_WAIT_IP (the ret). */
#define PE_STUB_WAIT_IP 0x14
void pe_stub64(pe_image *p, uint32_t rva, uint32_t ssn);

/* Add the touched bytes to the dump's memory, rounded out to `granule`
 * (a multiple of PE_GRANULE), one range per contiguous run. */
void pe_capture(mdw *w, const pe_image *p, uint32_t granule);

/* ---- x64 code, one instruction at a time --------------------------------------- */

typedef struct pe_asm {
    pe_image *p;
    uint32_t at; /* RVA of the next byte */
} pe_asm;

pe_asm pe_asm_at(pe_image *p, uint32_t rva);
void asm_bytes(pe_asm *a, const void *b, size_t n);
#define ASM(a, lit) asm_bytes(a, lit, sizeof(lit) - 1)
/* call rel32 to a VA in the same image; returns the return address's RVA. */
uint32_t asm_call(pe_asm *a, uint64_t target);
/* An instruction ending in a RIP-relative disp32 to `target_rva` (opcode
 * bytes given), e.g. "\xff\x15" call [rip+x], "\x48\x8d\x0d" lea rcx,[rip+x].
 * Returns the RVA after the instruction. */
uint32_t asm_riprel(pe_asm *a, const void *opcode, size_t n, uint32_t target_rva);
#define ASM_RIPREL(a, lit, target) asm_riprel(a, lit, sizeof(lit) - 1, target)
/* Pad with int3 up to rva (inter-function filler, as MSVC emits). */
void asm_pad_to(pe_asm *a, uint32_t rva);

/* ---- thread stacks ------------------------------------------------------------ */

#define STK_MAX 0x1000

typedef struct pe_stack {
    uint64_t base; /* lowest captured address */
    uint32_t size; /* <= STK_MAX */
    uint8_t b[STK_MAX];
} pe_stack;

void stk_init(pe_stack *s, uint64_t base, uint32_t size);
void stk_put64(pe_stack *s, uint64_t va, uint64_t v);
void stk_put32(pe_stack *s, uint64_t va, uint32_t v);

/* The UCALLOUT_FRAME the kernel builds where KiUserCallbackDispatcher starts
 * (at `at`, the dispatcher's RSP): Buffer +0x20, Length +0x28, ApiNumber
 * +0x2c, then the MACHINE_FRAME at +0x30 that resumes the interrupted
 * system call at (outer_ip, outer_rsp). */
void stk_callout(pe_stack *s, uint64_t at, uint64_t buffer, uint32_t length, uint32_t api,
                 uint64_t outer_ip, uint64_t outer_rsp);

/* ---- process memory and files ---------------------------------------------------- */

/* The first 0x100 bytes of an x64 TEB: NT_TIB StackBase (+0x08) and
 * StackLimit (+0x10) and Self (+0x30), ClientId (+0x40), the PEB (+0x60). */
void scn_add_teb64(mdw *w, uint64_t teb, uint64_t peb, uint64_t stack_base, uint64_t stack_limit,
                   uint32_t pid, uint32_t tid);
/* The first 0x100 bytes of an x64 PEB: ImageBaseAddress (+0x10),
 * KernelCallbackTable (+0x58). */
void scn_add_peb64(mdw *w, uint64_t peb, uint64_t image_base, uint64_t kernel_callback_table);

/* An AMD64 CONTEXT (CONTROL | INTEGER | SEGMENTS) of these registers, with
 * the user-mode selectors (cs 0x33, ss/ds/es/gs 0x2b, fs 0x53) filled in
 * where they are 0.  Returns its RVA; *size gets its size. */
uint32_t scn_context64(mdw *w, const mdw_regs *regs, uint32_t *size);

/* Breakpad debug id: the PDB70 GUID's Data1/2/3 as numbers, Data4 as bytes,
 * upper hex, then the age in hex (41 bytes with the NUL at most). */
void scn_debug_id(const uint8_t guid[16], uint32_t age, char out[41]);

/* mkdir -p; 0 on success. */
int scn_mkdirs(const char *path);
/* Write a whole file; 0 on success. */
int scn_write_file(const char *path, const void *data, size_t len);
/* root/pdb/id/<pdb without .pdb>.sym holding "MODULE windows x86_64 id pdb"
 * then body; 0 on success. */
int scn_write_sym(const char *root, const char *pdb, const char *id, const char *body);

#endif
