/* dumpwalk: kernel-mode callbacks and per-thread classification.
 *
 * Windows calls back from kernel mode into user mode through
 * ntdll!KiUserCallbackDispatcher, which calls PEB->KernelCallbackTable[i];
 * the user-mode side returns with NtCallbackReturn (ZwCallbackReturn).  A
 * thread whose kernel-mode callback has not completed waits with its user-mode
 * instruction pointer in the ZwCallbackReturn stub (Microsoft, "Detecting
 * Kernel-Mode Callbacks").
 *
 * dw_callback_analyze_thread() walks a thread and classifies it: parked at
 * the callback-return stub, inside one or more user-mode callbacks (each
 * level with its dispatcher frame, callback routine and the system call it
 * interrupts), in APC or exception dispatch, waiting in a system call, or
 * running user code.  Every claim carries the evidence it rests on and its
 * strength:
 *   strong: a symbol name (.sym FUNC/PUBLIC) or a PE export;
 *   medium: the captured code bytes decode as a system-call stub whose
 *           number is that call's on the dump's OS build;
 *   weak:   register state alone (e.g. RAX holds the number); a hint only,
 *           never enough to classify a thread.
 * A thread is never claimed without strong or medium evidence.
 *
 * Results are plain caller-owned structs with fixed-size arrays: nothing in
 * them points into the dump, the walker or the symbol store.
 */
#ifndef DUMPWALK_CALLBACKS_H
#define DUMPWALK_CALLBACKS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dump.h"
#include "stack.h"
#include "threads.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dw_thread_state {
    DW_THREAD_UNKNOWN = 0,            /* no evidence either way */
    DW_THREAD_RUNNING = 1,            /* the IP is in ordinary code */
    DW_THREAD_SYSCALL_WAIT = 2,       /* waiting in a system call (see syscall) */
    DW_THREAD_APC_DISPATCH = 3,       /* innermost dispatcher: KiUserApcDispatcher */
    DW_THREAD_EXCEPTION_DISPATCH = 4, /* innermost dispatcher: KiUserExceptionDispatcher */
    DW_THREAD_IN_CALLBACK = 5,        /* innermost dispatcher: KiUserCallbackDispatcher */
    DW_THREAD_PARKED = 6,             /* the IP is in NtCallbackReturn / ZwCallbackReturn */
} dw_thread_state;

/* "unknown", "running", "syscall_wait", "apc_dispatch", "exception_dispatch",
 * "in_callback", "parked_at_callback_return". */
const char *dw_thread_state_name(dw_thread_state state);

typedef enum dw_evidence_kind {
    DW_EVIDENCE_SYMBOL = 1,      /* a .sym FUNC/PUBLIC record */
    DW_EVIDENCE_EXPORT = 2,      /* a PE export (dump memory or --images), or an import name */
    DW_EVIDENCE_STUB_DECODE = 3, /* code bytes decoded as a system-call stub (or not) */
    DW_EVIDENCE_REGISTER = 4,    /* register values */
} dw_evidence_kind;

typedef enum dw_evidence_strength {
    DW_STRENGTH_WEAK = 1,
    DW_STRENGTH_MEDIUM = 2,
    DW_STRENGTH_STRONG = 3,
} dw_evidence_strength;

/* "symbol", "export", "stub_decode", "register" / "weak", "medium", "strong". */
const char *dw_evidence_kind_name(dw_evidence_kind kind);
const char *dw_evidence_strength_name(dw_evidence_strength strength);

#define DW_EVIDENCE_DETAIL_MAX 160
#define DW_CALLBACK_NAME_MAX 128
#define DW_CALLBACK_MAX_EVIDENCE 12
#define DW_CALLBACK_MAX_LEVELS 16

typedef struct dw_evidence {
    dw_evidence_kind kind;
    dw_evidence_strength strength;
    char detail[DW_EVIDENCE_DETAIL_MAX]; /* "frame 0 ntdll.dll!NtCallbackReturn+0x14 (export)" */
} dw_evidence;

/* One user-mode callback level, innermost first. */
typedef struct dw_callback_level {
    unsigned dispatcher_frame;             /* walk index of the KiUserCallbackDispatcher frame */
    uint64_t dispatcher_address;           /* that frame's IP (return address into ntdll) */
    char dispatcher[DW_CALLBACK_NAME_MAX]; /* "ntdll.dll!KiUserCallbackDispatcher" */
    int has_api_number;
    uint32_t api_number;                      /* the KernelCallbackTable index */
    uint64_t routine_address;                 /* KernelCallbackTable[api_number]; 0 when unread */
    char routine[DW_CALLBACK_NAME_MAX];       /* "user32.dll!__fnDWORD"; "" when unnamed */
    char outer_syscall[DW_CALLBACK_NAME_MAX]; /* the call it interrupts ("NtUserGetMessage") */
    dw_evidence_strength outer_strength;      /* of outer_syscall; 0 when unnamed */
    int has_outer_frame;
    unsigned outer_frame; /* walk index of the first frame outside the level */
} dw_callback_level;

typedef struct dw_thread_callbacks {
    uint32_t thread_id;
    dw_thread_state state;
    uint64_t ip; /* the walk's frame 0 */
    unsigned frames_examined;
    unsigned callback_depth; /* KiUserCallbackDispatcher frames on the stack */
    unsigned level_count;    /* min(callback_depth, DW_CALLBACK_MAX_LEVELS); later slots unset */
    dw_callback_level levels[DW_CALLBACK_MAX_LEVELS];
    int has_dispatcher_frame; /* APC / exception dispatch: the innermost one */
    unsigned dispatcher_frame;
    char syscall[DW_CALLBACK_NAME_MAX]; /* the call the thread waits in; "" when none */
    int has_ssn;
    uint32_t ssn;            /* as loaded by the stub (x64: kernel number) */
    unsigned evidence_count; /* slots past it are unset */
    dw_evidence evidence[DW_CALLBACK_MAX_EVIDENCE];
    char note[DW_EVIDENCE_DETAIL_MAX]; /* why the thread is unknown, walk problems; "" */
} dw_thread_callbacks;

/* A walker plus what the analysis caches per dump.  Borrows dump and the
 * options' pointers for its lifetime; one analyzer serves every thread. */
typedef struct dw_callback_analyzer dw_callback_analyzer;

dw_status dw_callback_analyzer_new(dw_dump *dump, const dw_walk_options *opts,
                                   dw_callback_analyzer **out);
void dw_callback_analyzer_free(dw_callback_analyzer *a);

/* Walk the thread and classify it into *out.  DW_OK whenever *out was
 * filled (an unwalkable thread is DW_THREAD_UNKNOWN with a note). */
dw_status dw_callback_analyze_thread(dw_callback_analyzer *a, const dw_thread *thread,
                                     dw_thread_callbacks *out);

/* Classify from frames already walked with `walker` (frame 0 first), as the
 * stack report does.  `thread` may be NULL (no TEB: callback table indexes
 * are then not resolved to routines). */
dw_status dw_callback_analyze_frames(dw_walker *walker, const dw_thread *thread,
                                     const dw_frame *frames, size_t count,
                                     dw_thread_callbacks *out);

/* Non-zero when the classification rests on strong or medium evidence of the
 * state (parked, in callback, dispatch, syscall wait). */
int dw_thread_callbacks_claimed(const dw_thread_callbacks *r);

/* A one-line summary ("parked at NtCallbackReturn, callback depth 2 [...]"). */
const char *dw_thread_callbacks_tag(const dw_thread_callbacks *r, char *buf, size_t size);

/* The callbacks report: every thread's classification, callback levels and
 * evidence, most interesting first in the text summary.  *parked_count (may
 * be NULL) receives the number of threads parked at the callback-return
 * stub.  JSON: {"threads": [...]} as documented in docs/json.md. */
dw_status dw_report_callbacks(dw_dump *dump, const dw_walk_options *walk, int json, FILE *out,
                              size_t *parked_count);

#ifdef __cplusplus
}
#endif
#endif
