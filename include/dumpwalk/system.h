/* dumpwalk: process-wide streams: SystemInfo, MiscInfo, Exception,
 * Breakpad/Crashpad info, comments and Linux text streams.
 *
 * Each accessor returns DW_ERR_NOT_FOUND when the stream is absent and
 * DW_ERR_TRUNCATED/DW_ERR_DAMAGED when it is present but unusable (the dump
 * health report then names the problem).  Returned pointers are borrowed.
 */
#ifndef DUMPWALK_SYSTEM_H
#define DUMPWALK_SYSTEM_H

#include <stddef.h>
#include <stdint.h>

#include "dump.h"

#ifdef __cplusplus
extern "C" {
#endif

/* PROCESSOR_ARCHITECTURE_* values as stored in SystemInfo. */
enum {
    DW_CPU_X86 = 0,
    DW_CPU_ARM = 5,
    DW_CPU_IA64 = 6,
    DW_CPU_AMD64 = 9,
    DW_CPU_ARM64 = 12,
    DW_CPU_ARM64_OLD = 0x8003, /* Breakpad's pre-standard ARM64 */
    DW_CPU_UNKNOWN = 0xffff,
};

/* PlatformId values (VER_PLATFORM_* and Breakpad's extensions). */
enum {
    DW_PLATFORM_WIN32_NT = 2,
    DW_PLATFORM_MAC_OS_X = 0x8101,
    DW_PLATFORM_IOS = 0x8102,
    DW_PLATFORM_LINUX = 0x8201,
    DW_PLATFORM_SOLARIS = 0x8202,
    DW_PLATFORM_ANDROID = 0x8203,
    DW_PLATFORM_PS3 = 0x8204,
    DW_PLATFORM_NACL = 0x8205,
    DW_PLATFORM_FUCHSIA = 0x8206,
};

typedef struct dw_system_info {
    uint16_t processor_architecture; /* DW_CPU_* */
    uint16_t processor_level;
    uint16_t processor_revision;
    uint8_t number_of_processors;
    uint8_t product_type;
    uint32_t major_version;
    uint32_t minor_version;
    uint32_t build_number;
    uint32_t platform_id;    /* DW_PLATFORM_* */
    const char *csd_version; /* service pack / kernel string, UTF-8, "" if none */
    uint16_t suite_mask;
    /* CPU_INFORMATION: x86 variant */
    char vendor_id[13];           /* "GenuineIntel", "" when not x86/amd64 */
    uint32_t version_information; /* CPUID 1 EAX */
    uint32_t feature_information; /* CPUID 1 EDX */
    uint32_t amd_extended_cpu_features;
    /* CPU_INFORMATION: other variant */
    uint64_t processor_features[2];
    const char *os_name;  /* "Windows NT", "Linux", "Mac OS X", ... */
    const char *cpu_name; /* "x86", "amd64", "arm64", ... */
} dw_system_info;

dw_status dw_dump_system_info(dw_dump *dump, const dw_system_info **out);

/* MINIDUMP_MISC_INFO versions 1..5: `size_of_info` says which fields exist;
 * the MISC_* flags in `flags1` say which are valid. */
enum {
    DW_MISC_PROCESS_ID = 0x1,
    DW_MISC_PROCESS_TIMES = 0x2,
    DW_MISC_PROCESSOR_POWER_INFO = 0x4,
    DW_MISC_PROCESS_INTEGRITY = 0x10,
    DW_MISC_PROCESS_EXECUTE_FLAGS = 0x20,
    DW_MISC_TIMEZONE = 0x40,
    DW_MISC_PROTECTED_PROCESS = 0x80,
    DW_MISC_BUILDSTRING = 0x100,
    DW_MISC_PROCESS_COOKIE = 0x200,
};

typedef struct dw_system_time {
    uint16_t year, month, day_of_week, day, hour, minute, second, milliseconds;
} dw_system_time;

typedef struct dw_time_zone {
    int32_t bias;
    const char *standard_name;
    dw_system_time standard_date;
    int32_t standard_bias;
    const char *daylight_name;
    dw_system_time daylight_date;
    int32_t daylight_bias;
} dw_time_zone;

typedef struct dw_misc_info {
    uint32_t size_of_info; /* 24 (v1), 44 (v2), 232 (v3), 832 (v4), 1364 (v5) or more */
    int version;           /* 1..5 */
    uint32_t flags1;
    uint32_t process_id;
    uint32_t process_create_time; /* seconds since 1970 */
    uint32_t process_user_time;   /* seconds */
    uint32_t process_kernel_time;
    /* v2 */
    uint32_t processor_max_mhz, processor_current_mhz, processor_mhz_limit;
    uint32_t processor_max_idle_state, processor_current_idle_state;
    /* v3 */
    uint32_t process_integrity_level;
    uint32_t process_execute_flags;
    uint32_t protected_process;
    uint32_t time_zone_id;
    dw_time_zone time_zone;
    /* v4 */
    const char *build_string; /* UTF-8 */
    const char *dbg_bld_str;
    /* v5 */
    uint32_t xstate_size_of_info;
    uint32_t xstate_context_size;
    uint64_t xstate_enabled_features;
    uint32_t process_cookie;
} dw_misc_info;

dw_status dw_dump_misc_info(dw_dump *dump, const dw_misc_info **out);

#define DW_EXCEPTION_MAX_PARAMETERS 15
typedef struct dw_exception {
    uint32_t thread_id;
    uint32_t code;
    uint32_t flags;
    uint64_t record;          /* address of a chained EXCEPTION_RECORD */
    uint64_t address;         /* where it happened */
    uint32_t parameter_count; /* as declared, may exceed 15 in damaged dumps */
    uint64_t parameters[DW_EXCEPTION_MAX_PARAMETERS];
    uint32_t context_size; /* thread context location descriptor */
    uint32_t context_rva;
} dw_exception;

dw_status dw_dump_exception(dw_dump *dump, const dw_exception **out);

/* Crash reason as the field's tools print it, e.g.
 * "EXCEPTION_ACCESS_VIOLATION_WRITE", "SIGSEGV /SEGV_MAPERR", or a hex code.
 * Writes into buf and returns it. */
const char *dw_exception_reason(dw_dump *dump, const dw_exception *exc, char *buf, size_t buf_size);

/* The address a crash is "about": for access violations the faulting data
 * address (parameters[1]), otherwise the exception address.  32-bit dumps
 * are masked to 32 bits. */
uint64_t dw_exception_crash_address(dw_dump *dump, const dw_exception *exc);

/* Name of an NTSTATUS/exception code, or NULL when unknown. */
const char *dw_exception_code_name(uint32_t code);

typedef struct dw_breakpad_info {
    uint32_t validity; /* bit 0: dump thread id valid; bit 1: requesting */
    uint32_t dump_thread_id;
    uint32_t requesting_thread_id;
} dw_breakpad_info;

dw_status dw_dump_breakpad_info(dw_dump *dump, const dw_breakpad_info **out);

typedef struct dw_annotation {
    const char *key;
    const char *value;
} dw_annotation;

typedef struct dw_crashpad_module {
    uint32_t module_index; /* index into the ModuleList */
    size_t list_annotation_count;
    const char *const *list_annotations;
    size_t simple_annotation_count;
    const dw_annotation *simple_annotations;
} dw_crashpad_module;

typedef struct dw_crashpad_info {
    uint32_t version;
    char report_id[37]; /* GUID as 8-4-4-4-12 lower hex */
    char client_id[37];
    size_t simple_annotation_count;
    const dw_annotation *simple_annotations;
    size_t module_count;
    const dw_crashpad_module *modules;
} dw_crashpad_info;

dw_status dw_dump_crashpad_info(dw_dump *dump, const dw_crashpad_info **out);

/* Crashpad annotation objects (MinidumpAnnotation) registered by a module:
 * typed name/value pairs.  Type 1 (DW_CRASHPAD_ANNOTATION_STRING) is UTF-8
 * text; other types are raw bytes.  `value` always has a NUL after its
 * value_size bytes so string values can be used as C strings. */
#define DW_CRASHPAD_ANNOTATION_STRING 1
typedef struct dw_crashpad_annotation_object {
    const char *name;
    uint16_t type;
    const uint8_t *value;
    size_t value_size;
} dw_crashpad_annotation_object;

typedef struct dw_crashpad_object_list {
    size_t count;
    const dw_crashpad_annotation_object *items;
} dw_crashpad_object_list;

/* Annotation objects of crashpad_info->modules[module_pos]; DW_ERR_NOT_FOUND
 * when there is no CrashpadInfo stream or no such module entry. */
dw_status dw_crashpad_module_objects(dw_dump *dump, size_t module_pos,
                                     const dw_crashpad_object_list **out);

/* MINIDUMP_ASSERTION_INFO (Breakpad): expression/function/file as UTF-8. */
typedef struct dw_assertion_info {
    const char *expression;
    const char *function;
    const char *file;
    uint32_t line;
    uint32_t type;
} dw_assertion_info;

dw_status dw_dump_assertion_info(dw_dump *dump, const dw_assertion_info **out);

/* CommentStreamA / CommentStreamW as UTF-8 (which = DW_STREAM_COMMENT_A/_W). */
dw_status dw_dump_comment(dw_dump *dump, uint32_t which, const char **text);

/* Linux text streams (/proc maps, cmdline, environ, status, cpuinfo,
 * lsb-release) as they were captured: `len` bytes, not NUL-terminated in
 * general (cmdline/environ hold NULs between entries). */
dw_status dw_dump_stream_text(dw_dump *dump, uint32_t type, const char **text, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
