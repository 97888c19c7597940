/* dumpwalk: threads, thread metadata and register contexts.
 *
 * Threads come from ThreadList (or ThreadExList), with names merged in from
 * ThreadNames.  Contexts are decoded from x86 CONTEXT or AMD64 CONTEXT records
 * (extended XSAVE/CET sizes included); a register that the ContextFlags say was
 * not captured is reported missing, never zero.
 */
#ifndef DUMPWALK_THREADS_H
#define DUMPWALK_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "dump.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dw_arch {
    DW_ARCH_UNKNOWN = 0,
    DW_ARCH_X86 = 1,
    DW_ARCH_AMD64 = 2,
    DW_ARCH_ARM = 3,
    DW_ARCH_ARM64 = 4,
} dw_arch;

/* Register numbers.  AMD64 follows the x64 unwind-code order (RAX=0 ... R15=15)
 * and x86 the ModRM order (EAX=0 ... EDI=7), so unwinders index by encoding. */
/* clang-format off */
enum {
    DW_AMD64_RAX, DW_AMD64_RCX, DW_AMD64_RDX, DW_AMD64_RBX,
    DW_AMD64_RSP, DW_AMD64_RBP, DW_AMD64_RSI, DW_AMD64_RDI,
    DW_AMD64_R8, DW_AMD64_R9, DW_AMD64_R10, DW_AMD64_R11,
    DW_AMD64_R12, DW_AMD64_R13, DW_AMD64_R14, DW_AMD64_R15,
    DW_AMD64_RIP, DW_AMD64_RFLAGS,
    DW_AMD64_CS, DW_AMD64_DS, DW_AMD64_ES, DW_AMD64_FS, DW_AMD64_GS, DW_AMD64_SS,
    DW_AMD64_REG_COUNT
};
enum {
    DW_X86_EAX, DW_X86_ECX, DW_X86_EDX, DW_X86_EBX,
    DW_X86_ESP, DW_X86_EBP, DW_X86_ESI, DW_X86_EDI,
    DW_X86_EIP, DW_X86_EFLAGS,
    DW_X86_CS, DW_X86_DS, DW_X86_ES, DW_X86_FS, DW_X86_GS, DW_X86_SS,
    DW_X86_REG_COUNT
};
/* clang-format on */
#define DW_MAX_REGS 32

typedef struct dw_context {
    dw_arch arch;
    uint32_t context_flags; /* raw ContextFlags */
    uint32_t raw_size;      /* bytes of the CONTEXT record in the dump */
    uint64_t valid;         /* bit i set: regs[i] was captured */
    uint64_t regs[DW_MAX_REGS];
} dw_context;

/* Register names: "rax".."r15", "rip", "rflags"/"eflags", segment names. */
const char *dw_reg_name(dw_arch arch, unsigned index);
int dw_reg_index(dw_arch arch, const char *name); /* -1 when unknown */
unsigned dw_reg_count(dw_arch arch);
/* DW_ERR_NOT_FOUND when the register is unknown or was not captured. */
dw_status dw_context_get(const dw_context *ctx, const char *name, uint64_t *value);
int dw_context_has(const dw_context *ctx, unsigned index);
/* Instruction and stack pointer of either architecture (0 when missing). */
uint64_t dw_context_ip(const dw_context *ctx);
uint64_t dw_context_sp(const dw_context *ctx);

typedef struct dw_thread {
    uint32_t thread_id;
    uint32_t suspend_count;
    uint32_t priority_class;
    uint32_t priority;
    uint64_t teb;
    uint64_t stack_start; /* stack memory descriptor */
    uint64_t stack_size;
    uint32_t stack_rva;
    uint32_t context_size;
    uint32_t context_rva;
    uint64_t backing_store_start; /* ThreadExList (IA64); 0 otherwise */
    uint64_t backing_store_size;
    const char *name; /* from ThreadNames, UTF-8; NULL when unnamed */
} dw_thread;

/* Borrowed array of every thread in dump order. */
dw_status dw_dump_threads(dw_dump *dump, const dw_thread **threads, size_t *count);
/* Find a thread by id; DW_ERR_NOT_FOUND when absent. */
dw_status dw_dump_thread_by_id(dw_dump *dump, uint32_t thread_id, const dw_thread **thread);

/* The thread's context as captured in the dump. */
dw_status dw_thread_context(dw_dump *dump, const dw_thread *thread, dw_context *out);
/* A context at an arbitrary location (e.g. the Exception stream's). */
dw_status dw_dump_context_at(dw_dump *dump, uint32_t rva, uint32_t size, dw_context *out);

/* WoW64: in an x64 dump of a 32-bit process, the x86 context that WoW64 saved
 * for the thread (TEB64 TLS slot 1 -> WOW64_CPURESERVED), when that memory is
 * in the dump.  DW_ERR_NOT_FOUND when the dump is not WoW64 or it is absent. */
dw_status dw_thread_wow64_context(dw_dump *dump, const dw_thread *thread, dw_context *out);
/* Non-zero when the module list holds wow64*.dll in an amd64 dump. */
int dw_dump_is_wow64(dw_dump *dump);
/* The architecture of the dump's CPU (from SystemInfo, else the first context). */
dw_arch dw_dump_arch(dw_dump *dump);

/* MINIDUMP_THREAD_INFO (ThreadInfoList stream). */
typedef struct dw_thread_info {
    uint32_t thread_id;
    uint32_t dump_flags;
    uint32_t dump_error;
    uint32_t exit_status;
    uint64_t create_time; /* FILETIME */
    uint64_t exit_time;
    uint64_t kernel_time;
    uint64_t user_time;
    uint64_t start_address;
    uint64_t affinity;
} dw_thread_info;

dw_status dw_dump_thread_infos(dw_dump *dump, const dw_thread_info **infos, size_t *count);

#ifdef __cplusplus
}
#endif
#endif
