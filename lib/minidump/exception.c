/* Exception stream (type 6): which thread crashed, how, and where.
 *
 * MINIDUMP_EXCEPTION_STREAM (168 bytes, Microsoft minidumpapiset.h):
 *   0 ThreadId u32, 4 __alignment u32,
 *   8 MINIDUMP_EXCEPTION: ExceptionCode u32, ExceptionFlags u32,
 *     ExceptionRecord u64, ExceptionAddress u64, NumberParameters u32,
 *     __unusedAlignment u32, ExceptionInformation[15] u64,
 *   160 ThreadContext MINIDUMP_LOCATION_DESCRIPTOR (DataSize u32, Rva u32).
 *
 * Non-Windows writers reuse the record (Breakpad minidump_format.h and
 * minidump_exception_{linux,mac}.h): on Linux/Android ExceptionCode is the
 * signal number and ExceptionFlags the si_code; on macOS/iOS the code is the
 * Mach exception type and the flags its first code word.  The crash reason
 * strings below follow what Breakpad's minidump_stackwalk prints so that
 * reports compare field by field. */
#include <stdio.h>
#include <string.h>

#include "minidump/internal.h"

#define EXCEPTION_STREAM_SIZE 168

static dw_status parse_exception(dw_dump *dump)
{
    dw_reader r;
    uint32_t rva = 0;
    dw_status st = dw_find_record_stream(dump, DW_STREAM_EXCEPTION, EXCEPTION_STREAM_SIZE,
                                         "MINIDUMP_EXCEPTION_STREAM",
                                         "; the crash record is unusable", &r, &rva);
    if (st != DW_OK)
        return st;
    dw_exception *e = &dump->exception;
    memset(e, 0, sizeof *e);
    e->thread_id = dw_read_u32(&r);
    dw_read_u32(&r); /* __alignment */
    e->code = dw_read_u32(&r);
    e->flags = dw_read_u32(&r);
    e->record = dw_read_u64(&r);
    e->address = dw_read_u64(&r);
    e->parameter_count = dw_read_u32(&r);
    dw_read_u32(&r); /* __unusedAlignment */
    for (int i = 0; i < DW_EXCEPTION_MAX_PARAMETERS; i++)
        e->parameters[i] = dw_read_u64(&r);
    e->context_size = dw_read_u32(&r);
    e->context_rva = dw_read_u32(&r);
    if (e->parameter_count > DW_EXCEPTION_MAX_PARAMETERS)
        dw_damage(dump, DW_STREAM_EXCEPTION, rva + 24, DW_ERR_DAMAGED,
                  "Exception: NumberParameters is %u but EXCEPTION_MAXIMUM_PARAMETERS is 15; "
                  "only the first 15 are used",
                  e->parameter_count);
    return DW_OK;
}

dw_status dw_dump_exception(dw_dump *dump, const dw_exception **out)
{
    if (!dump || !out)
        return DW_ERR_INVALID_ARG;
    *out = NULL;
    dw_status st = dw_lazy_run(dump, &dump->exception_lazy, parse_exception);
    if (st == DW_OK)
        *out = &dump->exception;
    return st;
}

/* ---- Names ------------------------------------------------------------ */

typedef struct code_name {
    uint32_t code;
    const char *name;
} code_name;

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *lookup(const code_name *table, size_t n, uint32_t code)
{
    for (size_t i = 0; i < n; i++) {
        if (table[i].code == code)
            return table[i].name;
    }
    return NULL;
}

/* Exception and NTSTATUS codes: names from Microsoft's ntstatus.h and
 * winnt.h (EXCEPTION_* where winnt.h has an alias), plus the well-known
 * software exception codes of the MSVC and .NET runtimes. */
static const code_name ntstatus_names[] = {
    {0x40000015, "STATUS_FATAL_APP_EXIT"},
    {0x4000001e, "STATUS_WX86_SINGLE_STEP"},
    {0x4000001f, "STATUS_WX86_BREAKPOINT"},
    {0x40010005, "DBG_CONTROL_C"},
    {0x40010006, "DBG_PRINTEXCEPTION_C"},
    {0x40010008, "DBG_CONTROL_BREAK"},
    {0x4001000a, "DBG_PRINTEXCEPTION_WIDE_C"},
    {0x406d1388, "MS_VC_EXCEPTION_SET_THREAD_NAME"},
    {0x80000001, "EXCEPTION_GUARD_PAGE"},
    {0x80000002, "EXCEPTION_DATATYPE_MISALIGNMENT"},
    {0x80000003, "EXCEPTION_BREAKPOINT"},
    {0x80000004, "EXCEPTION_SINGLE_STEP"},
    {0x80000026, "STATUS_LONGJUMP"},
    {0x80000029, "STATUS_UNWIND_CONSOLIDATE"},
    {0xc0000001, "STATUS_UNSUCCESSFUL"},
    {0xc0000002, "STATUS_NOT_IMPLEMENTED"},
    {0xc0000005, "EXCEPTION_ACCESS_VIOLATION"},
    {0xc0000006, "EXCEPTION_IN_PAGE_ERROR"},
    {0xc0000008, "EXCEPTION_INVALID_HANDLE"},
    {0xc000000d, "STATUS_INVALID_PARAMETER"},
    {0xc000000e, "STATUS_NO_SUCH_DEVICE"},
    {0xc0000010, "STATUS_INVALID_DEVICE_REQUEST"},
    {0xc0000017, "STATUS_NO_MEMORY"},
    {0xc000001d, "EXCEPTION_ILLEGAL_INSTRUCTION"},
    {0xc0000022, "STATUS_ACCESS_DENIED"},
    {0xc0000025, "EXCEPTION_NONCONTINUABLE_EXCEPTION"},
    {0xc0000026, "EXCEPTION_INVALID_DISPOSITION"},
    {0xc0000027, "STATUS_UNWIND"},
    {0xc0000028, "STATUS_BAD_STACK"},
    {0xc0000034, "STATUS_OBJECT_NAME_NOT_FOUND"},
    {0xc000003c, "STATUS_DATA_OVERRUN"},
    {0xc000003e, "STATUS_DATA_ERROR"},
    {0xc000003f, "STATUS_CRC_ERROR"},
    {0xc0000043, "STATUS_SHARING_VIOLATION"},
    {0xc0000044, "STATUS_QUOTA_EXCEEDED"},
    {0xc000007f, "STATUS_DISK_FULL"},
    {0xc000008c, "EXCEPTION_ARRAY_BOUNDS_EXCEEDED"},
    {0xc000008d, "EXCEPTION_FLT_DENORMAL_OPERAND"},
    {0xc000008e, "EXCEPTION_FLT_DIVIDE_BY_ZERO"},
    {0xc000008f, "EXCEPTION_FLT_INEXACT_RESULT"},
    {0xc0000090, "EXCEPTION_FLT_INVALID_OPERATION"},
    {0xc0000091, "EXCEPTION_FLT_OVERFLOW"},
    {0xc0000092, "EXCEPTION_FLT_STACK_CHECK"},
    {0xc0000093, "EXCEPTION_FLT_UNDERFLOW"},
    {0xc0000094, "EXCEPTION_INT_DIVIDE_BY_ZERO"},
    {0xc0000095, "EXCEPTION_INT_OVERFLOW"},
    {0xc0000096, "EXCEPTION_PRIV_INSTRUCTION"},
    {0xc000009a, "STATUS_INSUFFICIENT_RESOURCES"},
    {0xc000009c, "STATUS_DEVICE_DATA_ERROR"},
    {0xc000009d, "STATUS_DEVICE_NOT_CONNECTED"},
    {0xc00000aa, "STATUS_INSTRUCTION_MISALIGNMENT"},
    {0xc00000b5, "STATUS_IO_TIMEOUT"},
    {0xc00000fd, "EXCEPTION_STACK_OVERFLOW"},
    {0xc0000102, "STATUS_FILE_CORRUPT_ERROR"},
    {0xc0000120, "STATUS_CANCELLED"},
    {0xc000012d, "STATUS_COMMITMENT_LIMIT"},
    {0xc0000135, "STATUS_DLL_NOT_FOUND"},
    {0xc0000138, "STATUS_ORDINAL_NOT_FOUND"},
    {0xc0000139, "STATUS_ENTRYPOINT_NOT_FOUND"},
    {0xc000013a, "STATUS_CONTROL_C_EXIT"},
    {0xc0000142, "STATUS_DLL_INIT_FAILED"},
    {0xc0000185, "STATUS_IO_DEVICE_ERROR"},
    {0xc0000194, "EXCEPTION_POSSIBLE_DEADLOCK"},
    {0xc000026e, "STATUS_VOLUME_DISMOUNTED"},
    {0xc00002b4, "STATUS_FLOAT_MULTIPLE_FAULTS"},
    {0xc00002b5, "STATUS_FLOAT_MULTIPLE_TRAPS"},
    {0xc00002c5, "STATUS_DATATYPE_MISALIGNMENT_ERROR"},
    {0xc0000374, "STATUS_HEAP_CORRUPTION"},
    {0xc0000409, "STATUS_STACK_BUFFER_OVERRUN"},
    {0xc0000417, "STATUS_INVALID_CRUNTIME_PARAMETER"},
    {0xc0000420, "STATUS_ASSERTION_FAILURE"},
    {0xc00004a2, "STATUS_ENCLAVE_VIOLATION"},
    {0xc0000602, "STATUS_FAIL_FAST_EXCEPTION"},
    {0xe0434352, "CLR_EXCEPTION"},       /* .NET runtime ('CCR') */
    {0xe06d7363, "EH_EXCEPTION_NUMBER"}, /* MSVC C++ throw ('msc'), ehdata.h */
};

const char *dw_exception_code_name(uint32_t code)
{
    return lookup(ntstatus_names, COUNT(ntstatus_names), code);
}

/* ---- Crash reasons, Windows --------------------------------------------- */

/* Reason strings Breakpad prints for Windows codes (minidump_processor.cc);
 * some differ from the winnt.h names, e.g. ARRAY_BOUNDS_EXCEEDED is printed
 * as EXCEPTION_BOUNDS_EXCEEDED.  Codes not listed print as "code / flags". */
static const code_name windows_reasons[] = {
    {0x40010005, "DBG_CONTROL_C"},
    {0x80000001, "EXCEPTION_GUARD_PAGE"},
    {0x80000002, "EXCEPTION_DATATYPE_MISALIGNMENT"},
    {0x80000003, "EXCEPTION_BREAKPOINT"},
    {0x80000004, "EXCEPTION_SINGLE_STEP"},
    {0xc0000008, "EXCEPTION_INVALID_HANDLE"},
    {0xc000001d, "EXCEPTION_ILLEGAL_INSTRUCTION"},
    {0xc0000025, "EXCEPTION_NONCONTINUABLE_EXCEPTION"},
    {0xc0000026, "EXCEPTION_INVALID_DISPOSITION"},
    {0xc000008c, "EXCEPTION_BOUNDS_EXCEEDED"},
    {0xc000008d, "EXCEPTION_FLT_DENORMAL_OPERAND"},
    {0xc000008e, "EXCEPTION_FLT_DIVIDE_BY_ZERO"},
    {0xc000008f, "EXCEPTION_FLT_INEXACT_RESULT"},
    {0xc0000090, "EXCEPTION_FLT_INVALID_OPERATION"},
    {0xc0000091, "EXCEPTION_FLT_OVERFLOW"},
    {0xc0000092, "EXCEPTION_FLT_STACK_CHECK"},
    {0xc0000093, "EXCEPTION_FLT_UNDERFLOW"},
    {0xc0000094, "EXCEPTION_INT_DIVIDE_BY_ZERO"},
    {0xc0000095, "EXCEPTION_INT_OVERFLOW"},
    {0xc0000096, "EXCEPTION_PRIV_INSTRUCTION"},
    {0xc00000fd, "EXCEPTION_STACK_OVERFLOW"},
    {0xc00000ff, "EXCEPTION_BAD_FUNCTION_TABLE"},
    {0xc0000194, "EXCEPTION_POSSIBLE_DEADLOCK"},
    {0xc0000374, "EXCEPTION_HEAP_CORRUPTION"},
    {0xe0000008, "Out of Memory"}, /* Breakpad/Chrome OOM code */
    {0xe06d7363, "Unhandled C++ Exception"},
    {0x0517a7ed, "Simulated Exception"}, /* Breakpad's simulated crash */
};

#define WIN_ACCESS_VIOLATION 0xc0000005u
#define WIN_IN_PAGE_ERROR 0xc0000006u
#define WIN_STACK_BUFFER_OVERRUN 0xc0000409u

/* __fastfail codes (FAST_FAIL_* in winnt.h), passed in parameter 0 of
 * STATUS_STACK_BUFFER_OVERRUN. */
static const char *const fast_fail_names[] = {
    "FAST_FAIL_LEGACY_GS_VIOLATION",
    "FAST_FAIL_VTGUARD_CHECK_FAILURE",
    "FAST_FAIL_STACK_COOKIE_CHECK_FAILURE",
    "FAST_FAIL_CORRUPT_LIST_ENTRY",
    "FAST_FAIL_INCORRECT_STACK",
    "FAST_FAIL_INVALID_ARG",
    "FAST_FAIL_GS_COOKIE_INIT",
    "FAST_FAIL_FATAL_APP_EXIT",
    "FAST_FAIL_RANGE_CHECK_FAILURE",
    "FAST_FAIL_UNSAFE_REGISTRY_ACCESS",
    "FAST_FAIL_GUARD_ICALL_CHECK_FAILURE",
    "FAST_FAIL_GUARD_WRITE_CHECK_FAILURE",
    "FAST_FAIL_INVALID_FIBER_SWITCH",
    "FAST_FAIL_INVALID_SET_OF_CONTEXT",
    "FAST_FAIL_INVALID_REFERENCE_COUNT",
    NULL,
    NULL,
    NULL,
    "FAST_FAIL_INVALID_JUMP_BUFFER",
    "FAST_FAIL_MRDATA_MODIFIED",
    "FAST_FAIL_CERTIFICATION_FAILURE",
    "FAST_FAIL_INVALID_EXCEPTION_CHAIN",
    "FAST_FAIL_CRYPTO_LIBRARY",
    "FAST_FAIL_INVALID_CALL_IN_DLL_CALLOUT",
    "FAST_FAIL_INVALID_IMAGE_BASE",
    "FAST_FAIL_DLOAD_PROTECTION_FAILURE",
    "FAST_FAIL_UNSAFE_EXTENSION_CALL",
    "FAST_FAIL_DEPRECATED_SERVICE_INVOKED",
    "FAST_FAIL_INVALID_BUFFER_ACCESS",
    "FAST_FAIL_INVALID_BALANCED_TREE",
    "FAST_FAIL_INVALID_NEXT_THREAD",
    "FAST_FAIL_GUARD_ICALL_CHECK_SUPPRESSED",
    "FAST_FAIL_APCS_DISABLED",
    "FAST_FAIL_INVALID_IDLE_STATE",
    "FAST_FAIL_MRDATA_PROTECTION_FAILURE",
    "FAST_FAIL_UNEXPECTED_HEAP_EXCEPTION",
    "FAST_FAIL_INVALID_LOCK_STATE",
    "FAST_FAIL_GUARD_JUMPTABLE",
    "FAST_FAIL_INVALID_LONGJUMP_TARGET",
    "FAST_FAIL_INVALID_DISPATCH_CONTEXT",
    "FAST_FAIL_INVALID_THREAD",
    "FAST_FAIL_INVALID_SYSCALL_NUMBER",
    "FAST_FAIL_INVALID_FILE_OPERATION",
    "FAST_FAIL_LPAC_ACCESS_DENIED",
    "FAST_FAIL_GUARD_SS_FAILURE",
    "FAST_FAIL_LOADER_CONTINUITY_FAILURE",
    "FAST_FAIL_GUARD_EXPORT_SUPPRESSION_FAILURE",
    "FAST_FAIL_INVALID_CONTROL_STACK",
    "FAST_FAIL_SET_CONTEXT_DENIED",
    "FAST_FAIL_INVALID_IAT",
    "FAST_FAIL_HEAP_METADATA_CORRUPTION",
    "FAST_FAIL_PAYLOAD_RESTRICTION_VIOLATION",
    "FAST_FAIL_LOW_LABEL_ACCESS_DENIED",
    "FAST_FAIL_ENCLAVE_CALL_FAILURE",
    "FAST_FAIL_UNHANDLED_LSS_EXCEPTON",
    "FAST_FAIL_ADMINLESS_ACCESS_DENIED",
    "FAST_FAIL_UNEXPECTED_CALL",
    "FAST_FAIL_CONTROL_INVALID_RETURN_ADDRESS",
    "FAST_FAIL_UNEXPECTED_HOST_BEHAVIOR",
    "FAST_FAIL_FLAGS_CORRUPTION",
    "FAST_FAIL_VEH_CORRUPTION",
    "FAST_FAIL_ETW_CORRUPTION",
    "FAST_FAIL_RIO_ABORT",
    "FAST_FAIL_INVALID_PFN",
    "FAST_FAIL_GUARD_ICALL_CHECK_FAILURE_XFG",
    "FAST_FAIL_CAST_GUARD",
    "FAST_FAIL_HOST_VISIBILITY_CHANGE",
    "FAST_FAIL_KERNEL_CET_SHADOW_STACK_ASSIST",
    "FAST_FAIL_PATCH_CALLBACK_FAILED",
    "FAST_FAIL_NTDLL_PATCH_FAILED",
    "FAST_FAIL_INVALID_FLS_DATA",
};

static uint32_t param_count(const dw_exception *exc)
{
    return exc->parameter_count < DW_EXCEPTION_MAX_PARAMETERS ? exc->parameter_count
                                                              : DW_EXCEPTION_MAX_PARAMETERS;
}

/* Parameter 0 of an access violation / in-page error: 0 read, 1 write,
 * 8 DEP (execute) — the EXCEPTION_RECORD documentation. */
static const char *access_suffix(uint64_t kind)
{
    switch (kind) {
    case 0:
        return "_READ";
    case 1:
        return "_WRITE";
    case 8:
        return "_EXEC";
    }
    return "";
}

static void windows_memory_fault(const dw_exception *exc, const char *base, char *buf, size_t size)
{
    const char *suffix = param_count(exc) >= 1 ? access_suffix(exc->parameters[0]) : "";
    int n = snprintf(buf, size, "%s%s", base, suffix);
    /* In-page errors carry the NTSTATUS of the failed paging I/O in parameter 2. */
    if (exc->code == WIN_IN_PAGE_ERROR && param_count(exc) >= 3 && n > 0 && (size_t)n < size) {
        uint32_t status = (uint32_t)exc->parameters[2];
        const char *name = dw_exception_code_name(status);
        if (name)
            snprintf(buf + n, size - (size_t)n, " / %s", name);
        else
            snprintf(buf + n, size - (size_t)n, " / 0x%08x", status);
    }
}

static int windows_reason(const dw_exception *exc, char *buf, size_t size)
{
    if (exc->code == WIN_ACCESS_VIOLATION) {
        windows_memory_fault(exc, "EXCEPTION_ACCESS_VIOLATION", buf, size);
        return 1;
    }
    if (exc->code == WIN_IN_PAGE_ERROR) {
        windows_memory_fault(exc, "EXCEPTION_IN_PAGE_ERROR", buf, size);
        return 1;
    }
    if (exc->code == WIN_STACK_BUFFER_OVERRUN) {
        /* Since Windows 8 this code means __fastfail; the subcode is the story. */
        const char *name = NULL;
        if (param_count(exc) >= 1 && exc->parameters[0] < COUNT(fast_fail_names))
            name = fast_fail_names[exc->parameters[0]];
        snprintf(buf, size, "%s", name ? name : "EXCEPTION_STACK_BUFFER_OVERRUN");
        return 1;
    }
    const char *name = lookup(windows_reasons, COUNT(windows_reasons), exc->code);
    if (name)
        snprintf(buf, size, "%s", name);
    return name != NULL;
}

/* ---- Crash reasons, Linux/Android signals -------------------------------- */

/* si_code values per signal (Linux asm-generic/siginfo.h). */
static const code_name ill_codes[] = {
    {1, "ILL_ILLOPC"}, {2, "ILL_ILLOPN"}, {3, "ILL_ILLADR"}, {4, "ILL_ILLTRP"},
    {5, "ILL_PRVOPC"}, {6, "ILL_PRVREG"}, {7, "ILL_COPROC"}, {8, "ILL_BADSTK"},
};
static const code_name bus_codes[] = {
    {1, "BUS_ADRALN"},    {2, "BUS_ADRERR"},    {3, "BUS_OBJERR"},
    {4, "BUS_MCEERR_AR"}, {5, "BUS_MCEERR_AO"},
};
static const code_name fpe_codes[] = {
    {1, "FPE_INTDIV"}, {2, "FPE_INTOVF"}, {3, "FPE_FLTDIV"}, {4, "FPE_FLTOVF"},
    {5, "FPE_FLTUND"}, {6, "FPE_FLTRES"}, {7, "FPE_FLTINV"}, {8, "FPE_FLTSUB"},
};
static const code_name segv_codes[] = {
    {1, "SEGV_MAPERR"},
    {2, "SEGV_ACCERR"},
    {3, "SEGV_BNDERR"},
    {4, "SEGV_PKUERR"},
};

/* Signal numbers (Linux x86/arm asm/signal.h).  `separator` is printed
 * between the name and the si_code when the signal has si_code names; Breakpad
 * prints "SIGSEGV /SEGV_MAPERR" without a space, and reports compare with it. */
static const struct {
    uint32_t signo;
    const char *name;
    const char *separator;
    const code_name *codes;
    size_t code_count;
} linux_signals[] = {
    {1, "SIGHUP", NULL, NULL, 0},
    {2, "SIGINT", NULL, NULL, 0},
    {3, "SIGQUIT", NULL, NULL, 0},
    {4, "SIGILL", " / ", ill_codes, COUNT(ill_codes)},
    {5, "SIGTRAP", NULL, NULL, 0},
    {6, "SIGABRT", NULL, NULL, 0},
    {7, "SIGBUS", " / ", bus_codes, COUNT(bus_codes)},
    {8, "SIGFPE", " / ", fpe_codes, COUNT(fpe_codes)},
    {9, "SIGKILL", NULL, NULL, 0},
    {10, "SIGUSR1", NULL, NULL, 0},
    {11, "SIGSEGV", " /", segv_codes, COUNT(segv_codes)},
    {12, "SIGUSR2", NULL, NULL, 0},
    {13, "SIGPIPE", NULL, NULL, 0},
    {14, "SIGALRM", NULL, NULL, 0},
    {15, "SIGTERM", NULL, NULL, 0},
    {16, "SIGSTKFLT", NULL, NULL, 0},
    {17, "SIGCHLD", NULL, NULL, 0},
    {18, "SIGCONT", NULL, NULL, 0},
    {19, "SIGSTOP", NULL, NULL, 0},
    {20, "SIGTSTP", NULL, NULL, 0},
    {21, "SIGTTIN", NULL, NULL, 0},
    {22, "SIGTTOU", NULL, NULL, 0},
    {23, "SIGURG", NULL, NULL, 0},
    {24, "SIGXCPU", NULL, NULL, 0},
    {25, "SIGXFSZ", NULL, NULL, 0},
    {26, "SIGVTALRM", NULL, NULL, 0},
    {27, "SIGPROF", NULL, NULL, 0},
    {28, "SIGWINCH", NULL, NULL, 0},
    {29, "SIGIO", NULL, NULL, 0},
    {30, "SIGPWR", NULL, NULL, 0},
    {31, "SIGSYS", NULL, NULL, 0},
    {0xffffffff, "DUMP_REQUESTED", NULL, NULL, 0}, /* Breakpad: dump without a crash */
};

static int linux_reason(const dw_exception *exc, char *buf, size_t size)
{
    for (size_t i = 0; i < COUNT(linux_signals); i++) {
        if (linux_signals[i].signo != exc->code)
            continue;
        if (!linux_signals[i].separator) {
            snprintf(buf, size, "%s", linux_signals[i].name);
            return 1;
        }
        const char *sub = lookup(linux_signals[i].codes, linux_signals[i].code_count, exc->flags);
        if (sub)
            snprintf(buf, size, "%s%s%s", linux_signals[i].name, linux_signals[i].separator, sub);
        else
            snprintf(buf, size, "%s%s0x%08x", linux_signals[i].name, linux_signals[i].separator,
                     exc->flags);
        return 1;
    }
    return 0;
}

/* ---- Crash reasons, macOS/iOS Mach exceptions ---------------------------- */

enum { FAMILY_ANY, FAMILY_ARM, FAMILY_X86 };

/* Mach exception types (mach/exception_types.h) and Crashpad's synthetic
 * codes ('CPsx' simulated crash, 'CPnx' uncaught NSException). */
static const code_name mach_exceptions[] = {
    {1, "EXC_BAD_ACCESS"}, {2, "EXC_BAD_INSTRUCTION"}, {3, "EXC_ARITHMETIC"},
    {4, "EXC_EMULATION"},  {5, "EXC_SOFTWARE"},        {6, "EXC_BREAKPOINT"},
    {7, "EXC_SYSCALL"},    {8, "EXC_MACH_SYSCALL"},    {9, "EXC_RPC_ALERT"},
};
#define MACH_SIMULATED 0x43507378u
#define MACH_NS_EXCEPTION 0x43506e78u

/* The first code word of each Mach exception, by exception type and CPU
 * family: kern_return.h for EXC_BAD_ACCESS, mach/{i386,arm}/exception.h for
 * the rest; 0xdeadc0de is Breakpad's uncaught-NSException marker. */
static const struct {
    uint32_t exception;
    int family;
    uint32_t code;
    const char *name;
} mach_codes[] = {
    {1, FAMILY_ANY, 1, "KERN_INVALID_ADDRESS"},
    {1, FAMILY_ANY, 2, "KERN_PROTECTION_FAILURE"},
    {1, FAMILY_ANY, 8, "KERN_NO_ACCESS"},
    {1, FAMILY_ANY, 9, "KERN_MEMORY_FAILURE"},
    {1, FAMILY_ANY, 10, "KERN_MEMORY_ERROR"},
    {1, FAMILY_ANY, 50, "KERN_CODESIGN_ERROR"},
    {1, FAMILY_ARM, 0x101, "EXC_ARM_DA_ALIGN"},
    {1, FAMILY_ARM, 0x102, "EXC_ARM_DA_DEBUG"},
    {1, FAMILY_X86, 13, "EXC_I386_GPFLT"},
    {2, FAMILY_ARM, 1, "EXC_ARM_UNDEFINED"},
    {2, FAMILY_X86, 1, "EXC_I386_INVOP"},
    {2, FAMILY_X86, 10, "EXC_I386_INVTSSFLT"},
    {2, FAMILY_X86, 11, "EXC_I386_SEGNPFLT"},
    {2, FAMILY_X86, 12, "EXC_I386_STKFLT"},
    {2, FAMILY_X86, 13, "EXC_I386_GPFLT"},
    {2, FAMILY_X86, 17, "EXC_I386_ALIGNFLT"},
    {3, FAMILY_X86, 1, "EXC_I386_DIV"},
    {3, FAMILY_X86, 2, "EXC_I386_INTO"},
    {3, FAMILY_X86, 3, "EXC_I386_NOEXT"},
    {3, FAMILY_X86, 4, "EXC_I386_EXTOVR"},
    {3, FAMILY_X86, 5, "EXC_I386_EXTERR"},
    {3, FAMILY_X86, 6, "EXC_I386_EMERR"},
    {3, FAMILY_X86, 7, "EXC_I386_BOUND"},
    {3, FAMILY_X86, 8, "EXC_I386_SSEEXTERR"},
    {5, FAMILY_ANY, 0x10002, "SIGABRT"},
    {5, FAMILY_ANY, 0xdeadc0de, "UNCAUGHT_NS_EXCEPTION"},
    {6, FAMILY_ARM, 0x101, "EXC_ARM_DA_ALIGN"},
    {6, FAMILY_ARM, 0x102, "EXC_ARM_DA_DEBUG"},
    {6, FAMILY_ARM, 1, "EXC_ARM_BREAKPOINT"},
    {6, FAMILY_X86, 1, "EXC_I386_SGL"},
    {6, FAMILY_X86, 2, "EXC_I386_BPT"},
};

static int cpu_family(uint16_t arch)
{
    if (arch == DW_CPU_ARM || arch == DW_CPU_ARM64 || arch == DW_CPU_ARM64_OLD)
        return FAMILY_ARM;
    if (arch == DW_CPU_X86 || arch == DW_CPU_AMD64)
        return FAMILY_X86;
    return -1;
}

static const char *mach_code_name(uint32_t exception, int family, uint32_t code)
{
    for (size_t i = 0; i < COUNT(mach_codes); i++) {
        if (mach_codes[i].exception == exception && mach_codes[i].code == code &&
            (mach_codes[i].family == FAMILY_ANY || mach_codes[i].family == family))
            return mach_codes[i].name;
    }
    return NULL;
}

static int mac_reason(const dw_exception *exc, uint16_t arch, char *buf, size_t size)
{
    if (exc->code == MACH_SIMULATED) {
        snprintf(buf, size, "Simulated Exception");
        return 1;
    }
    if (exc->code == MACH_NS_EXCEPTION) {
        snprintf(buf, size, "Uncaught NSException");
        return 1;
    }
    const char *name = lookup(mach_exceptions, COUNT(mach_exceptions), exc->code);
    if (!name)
        return 0;
    const char *sub = mach_code_name(exc->code, cpu_family(arch), exc->flags);
    if (sub)
        snprintf(buf, size, "%s / %s", name, sub);
    else
        snprintf(buf, size, "%s / 0x%08x", name, exc->flags);
    return 1;
}

/* ---- Crash reasons, Fuchsia ------------------------------------------------ */

/* ZX_EXCP_* exception types (zircon/syscalls/exception.h). */
static const code_name fuchsia_exceptions[] = {
    {0x8, "GENERAL"},
    {0x108, "FATAL_PAGE_FAULT"},
    {0x208, "UNDEFINED_INSTRUCTION"},
    {0x308, "SW_BREAKPOINT"},
    {0x408, "HW_BREAKPOINT"},
    {0x508, "UNALIGNED_ACCESS"},
    {0x8008, "THREAD_STARTING"},
    {0x8108, "THREAD_EXITING"},
    {0x8208, "POLICY_ERROR"},
    {0x8308, "PROCESS_STARTING"},
};

static int fuchsia_reason(const dw_exception *exc, char *buf, size_t size)
{
    const char *name = lookup(fuchsia_exceptions, COUNT(fuchsia_exceptions), exc->code);
    if (name)
        snprintf(buf, size, "%s / 0x%08x", name, exc->flags);
    return name != NULL;
}

/* ---- Public entry points --------------------------------------------------- */

static int is_windows(uint32_t platform)
{
    return platform == DW_PLATFORM_WIN32_NT || platform == 1 /* VER_PLATFORM_WIN32_WINDOWS */;
}

const char *dw_exception_reason(dw_dump *dump, const dw_exception *exc, char *buf, size_t buf_size)
{
    if (!buf || buf_size == 0)
        return buf;
    buf[0] = '\0';
    if (!exc)
        return buf;
    const dw_system_info *si = NULL;
    if (dump)
        dw_dump_system_info(dump, &si);
    int named = 0;
    if (si && is_windows(si->platform_id))
        named = windows_reason(exc, buf, buf_size);
    else if (si && (si->platform_id == DW_PLATFORM_LINUX || si->platform_id == DW_PLATFORM_ANDROID))
        named = linux_reason(exc, buf, buf_size);
    else if (si && (si->platform_id == DW_PLATFORM_MAC_OS_X || si->platform_id == DW_PLATFORM_IOS))
        named = mac_reason(exc, si->processor_architecture, buf, buf_size);
    else if (si && si->platform_id == DW_PLATFORM_FUCHSIA)
        named = fuchsia_reason(exc, buf, buf_size);
    /* Unknown platform or code: both numbers, the way Breakpad shows them. */
    if (!named)
        snprintf(buf, buf_size, "0x%08x / 0x%08x", exc->code, exc->flags);
    return buf;
}

/* CPUs with 32-bit addresses: the upper half of a 64-bit field is noise
 * (some writers sign-extend). */
static int is_32bit_cpu(uint16_t arch)
{
    switch (arch) {
    case DW_CPU_X86:
    case 1: /* MIPS */
    case 3: /* PPC */
    case 4: /* SHX */
    case DW_CPU_ARM:
    case 10: /* IA32 on Win64 */
        return 1;
    }
    return 0;
}

uint64_t dw_exception_crash_address(dw_dump *dump, const dw_exception *exc)
{
    if (!exc)
        return 0;
    const dw_system_info *si = NULL;
    if (dump)
        dw_dump_system_info(dump, &si);
    if (!si)
        return exc->address;
    uint64_t address = exc->address;
    /* Access violations and in-page errors put the data address they could not
     * touch in parameter 1 (EXCEPTION_RECORD documentation). */
    if (is_windows(si->platform_id) &&
        (exc->code == WIN_ACCESS_VIOLATION || exc->code == WIN_IN_PAGE_ERROR) &&
        param_count(exc) >= 2)
        address = exc->parameters[1];
    if (is_32bit_cpu(si->processor_architecture))
        address &= 0xffffffffu;
    return address;
}
