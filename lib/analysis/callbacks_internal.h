/* Shared by the callback analysis files (callbacks.c, syscall_at.c,
 * callback_table.c): evidence bookkeeping and frame naming. */
#ifndef DW_ANALYSIS_CALLBACKS_INTERNAL_H
#define DW_ANALYSIS_CALLBACKS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "dumpwalk/callbacks.h"
#include "unwind/walker.h"

/* Append evidence to r (dropped silently past DW_CALLBACK_MAX_EVIDENCE: the
 * strongest items are added first). */
void cb_add_evidence(dw_thread_callbacks *r, dw_evidence_kind kind, dw_evidence_strength strength,
                     const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* The frame's function name without x86 decoration ("_NtFoo@8" -> "NtFoo")
 * or a parameter list; "" when the frame has no usable symbol (none, or an
 * export implausibly far from the address).  Returns buf. */
const char *cb_frame_function(const dw_frame *f, char *buf, size_t size);
/* "ntdll.dll!KiUserCallbackDispatcher+0xc3" or "0x..." into buf. */
const char *cb_frame_label(const dw_frame *f, char *buf, size_t size);
/* "module!function" into buf, truncated to fit. */
void cb_join_name(char *buf, size_t size, const char *module, const char *function);
/* Evidence kind of a frame's symbol source (symbol or export). */
dw_evidence_kind cb_symbol_kind(const dw_frame *f);
const char *cb_symbol_source_word(const dw_frame *f);

/* What a code address tells about the system call it belongs to. */
typedef struct cb_syscall {
    int named;                       /* name set */
    char name[DW_CALLBACK_NAME_MAX]; /* "NtWaitForSingleObject" (Zw -> Nt) */
    dw_evidence_strength strength;   /* of the name */
    int by_symbol;                   /* name from a symbol/export of the address */
    int stub;                        /* the code bytes are a system-call stub */
    int waiting;                     /* ... and the IP rests after its kernel entry */
    int has_ssn;
    uint32_t ssn;
    uint32_t service;                      /* ssn & 0x3fff, the number the table is keyed by */
    int ssn_bits;                          /* table to look service up in: 64 / 32 */
    const char *form;                      /* stub form name, or NULL */
    int code_read;                         /* code bytes around the IP were available */
    const char *entry_insn;                /* no stub form matched, but the IP follows this
                                              kernel-entry instruction ("syscall"); else NULL */
    uint64_t stub_ip;                      /* the address decoded (x86: the stub after a helper) */
    dw_evidence_kind name_kind;            /* by_symbol: symbol or export */
    char where[DW_CALLBACK_NAME_MAX + 32]; /* by_symbol: "ntdll.dll!NtFoo+0x14 (export)" */
} cb_syscall;

/* OS build from SystemInfo (0 when unknown). */
uint32_t cb_os_build(dw_dump *dump);

/* Identify the system call at frame f (frame 0: its IP; callers: the return
 * address, a stub's post-entry point).  x86 threads resting in the shared
 * KiFastSystemCall helper are followed to the stub at [ESP]. */
void cb_syscall_at(dw_walker *w, const dw_frame *f, uint32_t build, cb_syscall *out);

/* Is name NtCallbackReturn / ZwCallbackReturn? */
int cb_is_callback_return(const char *name);

/* The KernelCallbackTable entry `index` of the thread's process, read
 * through TEB -> PEB -> table; 1 on success. */
int cb_callback_table_entry(dw_walker *w, const dw_thread *t, uint32_t index, uint64_t *entry);
/* A name for a function that starts exactly at `address` (a symbol or
 * export at offset 0) into buf; "" when none.  Returns buf. */
const char *cb_name_function_start(dw_walker *w, uint64_t address, char *buf, size_t size);
/* The function called by the call instruction that ends at return address
 * `ret` (call rel32, call [rip+disp] / [abs] through an import slot), named
 * by its export or the import-by-name entry of the caller's image; 1 and buf
 * when named. */
int cb_name_call_target(dw_walker *w, uint64_t ret, char *buf, size_t size,
                        dw_evidence_strength *strength);

#endif
