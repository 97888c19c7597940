/* Per-thread classification: kernel-mode callbacks, dispatchers, system-call
 * waits.  See include/dumpwalk/callbacks.h.
 *
 * Frame 0 says what the thread waits in (cb_syscall_at); the dispatcher
 * frames found further out say whether it runs inside a user-mode callback
 * (KiUserCallbackDispatcher, one level each), an APC or an exception
 * dispatch.  Each level is completed from the frames around its dispatcher:
 * the callback table index from the dispatcher's stack, and the system call
 * the callback interrupted from the first frame outside it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "analysis/callbacks_internal.h"
#include "analysis/ssn_table.h"

/* x64 UCALLOUT_FRAME, where KiUserCallbackDispatcher is entered (and its
 * RSP stays while it calls the routine): P1Home..P4Home at 0x00-0x1f,
 * Buffer 0x20, Length 0x28, ApiNumber 0x2c, then the MACHINE_FRAME at 0x30
 * that its unwind data names.  Source: ReactOS sdk/include/ndk/amd64/
 * ketypes.h (UCALLOUT_FRAME) and its ntdll/dispatch/amd64/dispatch.S, which
 * loads ApiNumber (CkApiNumber) and calls KernelCallbackTable[ApiNumber]. */
#define UCALLOUT64_API_NUMBER 0x2c
/* Wine's fake return address of its callback frame (rule_wine_callback.c):
 * the callback id is the first word above it. */
#define WINE_CALLBACK_RETURN 0xdeadbabeu
#define CALLBACK_API_MAX 0x400
/* Frames examined per thread: callbacks nest a few levels deep, far inside this. */
#define ANALYZE_MAX_FRAMES 512

typedef enum dispatcher_kind {
    DISPATCH_NONE = 0,
    DISPATCH_CALLBACK,
    DISPATCH_APC,
    DISPATCH_EXCEPTION,
} dispatcher_kind;

/* ntdll's user-mode dispatchers (their exported names). */
static const struct {
    const char *name;
    dispatcher_kind kind;
} dispatchers[] = {
    {"KiUserCallbackDispatcher", DISPATCH_CALLBACK},
    {"KiUserCallbackDispatcherContinue", DISPATCH_CALLBACK},
    {"KiUserCallbackDispatch", DISPATCH_CALLBACK},
    {"KiUserApcDispatcher", DISPATCH_APC},
    {"KiUserApcDispatch", DISPATCH_APC},
    {"KiUserExceptionDispatcher", DISPATCH_EXCEPTION},
    {"KiUserExceptionDispatch", DISPATCH_EXCEPTION},
};

struct dw_callback_analyzer {
    dw_dump *dump;
    dw_walker *walker;
    dw_frame *frames; /* ANALYZE_MAX_FRAMES, reused for every thread */
};

const char *dw_thread_state_name(dw_thread_state state)
{
    switch (state) {
    case DW_THREAD_UNKNOWN:
        return "unknown";
    case DW_THREAD_RUNNING:
        return "running";
    case DW_THREAD_SYSCALL_WAIT:
        return "syscall_wait";
    case DW_THREAD_APC_DISPATCH:
        return "apc_dispatch";
    case DW_THREAD_EXCEPTION_DISPATCH:
        return "exception_dispatch";
    case DW_THREAD_IN_CALLBACK:
        return "in_callback";
    case DW_THREAD_PARKED:
        return "parked_at_callback_return";
    }
    return "unknown";
}

const char *dw_evidence_kind_name(dw_evidence_kind kind)
{
    switch (kind) {
    case DW_EVIDENCE_SYMBOL:
        return "symbol";
    case DW_EVIDENCE_EXPORT:
        return "export";
    case DW_EVIDENCE_STUB_DECODE:
        return "stub_decode";
    case DW_EVIDENCE_REGISTER:
        return "register";
    }
    return "register";
}

const char *dw_evidence_strength_name(dw_evidence_strength strength)
{
    switch (strength) {
    case DW_STRENGTH_STRONG:
        return "strong";
    case DW_STRENGTH_MEDIUM:
        return "medium";
    case DW_STRENGTH_WEAK:
        return "weak";
    }
    return "weak";
}

/* ---- frame naming ---------------------------------------------------------- */

void cb_add_evidence(dw_thread_callbacks *r, dw_evidence_kind kind, dw_evidence_strength strength,
                     const char *fmt, ...)
{
    if (r->evidence_count >= DW_CALLBACK_MAX_EVIDENCE)
        return;
    dw_evidence *e = &r->evidence[r->evidence_count++];
    e->kind = kind;
    e->strength = strength;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
}

const char *cb_frame_function(const dw_frame *f, char *buf, size_t size)
{
    buf[0] = '\0';
    if (f->symbol_source == DW_SYMSRC_NONE || !f->function.len || f->doubtful_symbol)
        return buf;
    dw_symstr_copy(f->function, buf, size);
    /* Breakpad FUNC names may carry a parameter list. */
    char *paren = strchr(buf, '(');
    if (paren)
        *paren = '\0';
    /* x86 stdcall decoration: _Name@bytes (PUBLIC records keep it). */
    char *at = strrchr(buf, '@');
    if (at && at != buf && at[1] >= '0' && at[1] <= '9')
        *at = '\0';
    if (buf[0] == '_' && buf[1] != '_')
        memmove(buf, buf + 1, strlen(buf));
    return buf;
}

const char *cb_frame_label(const dw_frame *f, char *buf, size_t size)
{
    char fn[DW_CALLBACK_NAME_MAX];
    cb_frame_function(f, fn, sizeof fn);
    if (f->module && fn[0])
        snprintf(buf, size, "%s!%s+0x%llx", f->module->name, fn,
                 (unsigned long long)f->function_offset);
    else if (f->module)
        snprintf(buf, size, "%s+0x%llx", f->module->name, (unsigned long long)f->module_offset);
    else
        snprintf(buf, size, "0x%llx", (unsigned long long)f->ip);
    return buf;
}

void cb_join_name(char *buf, size_t size, const char *module, const char *function)
{
    size_t n = strlen(module);
    snprintf(buf, size, "%s", module);
    if (n + 1 < size) {
        buf[n] = '!';
        snprintf(buf + n + 1, size - n - 1, "%s", function);
    }
}

dw_evidence_kind cb_symbol_kind(const dw_frame *f)
{
    return f->symbol_source == DW_SYMSRC_EXPORT ? DW_EVIDENCE_EXPORT : DW_EVIDENCE_SYMBOL;
}

const char *cb_symbol_source_word(const dw_frame *f)
{
    switch (f->symbol_source) {
    case DW_SYMSRC_SYM_FUNC:
        return ".sym FUNC";
    case DW_SYMSRC_SYM_PUBLIC:
        return ".sym PUBLIC";
    case DW_SYMSRC_EXPORT:
        return "export";
    case DW_SYMSRC_NONE:
        break;
    }
    return "no symbol";
}

static dispatcher_kind dispatcher_of(const dw_frame *f)
{
    char fn[DW_CALLBACK_NAME_MAX];
    if (!f->module || strncasecmp(f->module->name, "ntdll", 5) != 0)
        return DISPATCH_NONE;
    cb_frame_function(f, fn, sizeof fn);
    for (size_t i = 0; fn[0] && i < sizeof dispatchers / sizeof dispatchers[0]; i++)
        if (!strcmp(fn, dispatchers[i].name))
            return dispatchers[i].kind;
    return DISPATCH_NONE;
}

/* ---- callback levels --------------------------------------------------------- */

typedef struct frame_list {
    const dw_frame *frames;
    size_t count;
} frame_list;

/* The callback routine: the KernelCallbackTable entry when readable, named
 * only by a symbol that starts exactly there; else the frame the dispatcher
 * called, when a .sym file names it. */
static void level_routine(dw_walker *w, const dw_thread *t, const frame_list *fl, size_t i,
                          dw_callback_level *lv)
{
    if (lv->has_api_number && cb_callback_table_entry(w, t, lv->api_number, &lv->routine_address))
        cb_name_function_start(w, lv->routine_address, lv->routine, sizeof lv->routine);
    if (lv->routine[0] || i == 0)
        return;
    const dw_frame *inner = &fl->frames[i - 1];
    char fn[DW_CALLBACK_NAME_MAX];
    if (inner->symbol_source == DW_SYMSRC_SYM_FUNC || inner->symbol_source == DW_SYMSRC_SYM_PUBLIC)
        if (cb_frame_function(inner, fn, sizeof fn)[0])
            cb_join_name(lv->routine, sizeof lv->routine, inner->module->name, fn);
}

/* The system call a level interrupted, from the first frame outside it:
 * Windows unwinds through the dispatcher's machine frame into the stub
 * itself; otherwise (Wine, or a stub without a frame) the call instruction
 * before the outer return address names it. */
static void level_outer(dw_walker *w, const frame_list *fl, size_t outer, uint32_t build,
                        dw_callback_level *lv)
{
    if (outer >= fl->count)
        return;
    lv->has_outer_frame = 1;
    lv->outer_frame = (unsigned)outer;
    const dw_frame *f = &fl->frames[outer];
    cb_syscall sc;
    cb_syscall_at(w, f, build, &sc);
    if (sc.named && (sc.by_symbol || sc.waiting)) {
        snprintf(lv->outer_syscall, sizeof lv->outer_syscall, "%s", sc.name);
        lv->outer_strength = sc.strength;
        return;
    }
    dw_evidence_strength s;
    if (cb_name_call_target(w, f->ip, lv->outer_syscall, sizeof lv->outer_syscall, &s)) {
        /* "win32u.dll!NtUserGetMessage" -> the bare call name, as stubs give. */
        char *bang = strchr(lv->outer_syscall, '!');
        if (bang)
            memmove(lv->outer_syscall, bang + 1, strlen(bang));
        lv->outer_strength = s;
    }
}

static void fill_level(dw_walker *w, const dw_thread *t, const frame_list *fl, size_t i,
                       uint32_t build, dw_callback_level *lv)
{
    const dw_frame *d = &fl->frames[i];
    memset(lv, 0, sizeof *lv);
    lv->dispatcher_frame = (unsigned)i;
    lv->dispatcher_address = d->ip;
    char fn[DW_CALLBACK_NAME_MAX];
    cb_join_name(lv->dispatcher, sizeof lv->dispatcher, d->module->name,
                 cb_frame_function(d, fn, sizeof fn));
    size_t outer = i + 1;
    uint32_t api;
    if (i + 1 < fl->count && fl->frames[i + 1].ip == WINE_CALLBACK_RETURN) {
        if (dw_memory_read_u32(w->dump, fl->frames[i + 1].sp, &api) == DW_OK) {
            lv->has_api_number = 1;
            lv->api_number = api;
        }
        outer = i + 2;
    } else if (w->arch == DW_ARCH_AMD64 &&
               dw_memory_read_u32(w->dump, d->sp + UCALLOUT64_API_NUMBER, &api) == DW_OK) {
        lv->has_api_number = 1;
        lv->api_number = api;
    }
    if (lv->has_api_number && lv->api_number >= CALLBACK_API_MAX)
        lv->has_api_number = 0; /* not a table index: the frame is not laid out as expected */
    level_routine(w, t, fl, i, lv);
    level_outer(w, fl, outer, build, lv);
}

/* ---- frame 0 ------------------------------------------------------------------ */

static void syscall_evidence(dw_thread_callbacks *r, const cb_syscall *sc, uint32_t build)
{
    if (sc->by_symbol)
        cb_add_evidence(r, sc->name_kind, DW_STRENGTH_STRONG, "frame 0 in %s: the %s stub",
                        sc->where, sc->name);
    if (sc->entry_insn && !sc->by_symbol)
        cb_add_evidence(r, DW_EVIDENCE_STUB_DECODE, DW_STRENGTH_MEDIUM,
                        "the instruction before the IP 0x%llx is %s: waiting in the kernel "
                        "(stub form not recognised, call not named)",
                        (unsigned long long)sc->stub_ip, sc->entry_insn);
    if (!sc->stub)
        return;
    if (sc->has_ssn && !sc->by_symbol && sc->named)
        cb_add_evidence(r, DW_EVIDENCE_STUB_DECODE, DW_STRENGTH_MEDIUM,
                        "%s stub at 0x%llx loads 0x%x = %s on build %u%s", sc->form,
                        (unsigned long long)sc->stub_ip, sc->ssn, sc->name, build,
                        sc->waiting ? ", IP after its kernel entry" : "");
    else if (sc->has_ssn)
        cb_add_evidence(r, DW_EVIDENCE_STUB_DECODE,
                        sc->waiting ? DW_STRENGTH_MEDIUM : DW_STRENGTH_WEAK,
                        "%s stub at 0x%llx loads 0x%x (%s on build %u)%s", sc->form,
                        (unsigned long long)sc->stub_ip, sc->ssn,
                        sc->named ? sc->name : "no name in the SSN table", build,
                        sc->waiting ? ", IP after its kernel entry" : "");
}

/* RAX/EAX holding NtCallbackReturn's number: a hint, never a claim. */
static void register_hint(dw_walker *w, const dw_frame *f0, uint32_t build, dw_thread_callbacks *r)
{
    uint32_t ssn;
    unsigned reg = w->arch == DW_ARCH_X86 ? DW_X86_EAX : DW_AMD64_RAX;
    int bits = w->arch == DW_ARCH_X86 && !dw_dump_is_wow64(w->dump) ? 32 : 64;
    if (!dw_context_has(&f0->context, reg) || !dw_ssn_callback_return(bits, build, &ssn))
        return;
    if ((f0->context.regs[reg] & 0xffffffffu) == ssn)
        cb_add_evidence(r, DW_EVIDENCE_REGISTER, DW_STRENGTH_WEAK,
                        "%s = 0x%x, NtCallbackReturn's number on build %u (register only)",
                        reg == DW_AMD64_RAX ? "rax" : "eax", ssn, build);
}

/* Evidence that frame 0 is ordinary code (not a system-call stub). */
static int running_evidence(const dw_frame *f0, const cb_syscall *sc, dw_thread_callbacks *r)
{
    char label[DW_CALLBACK_NAME_MAX];
    char fn[DW_CALLBACK_NAME_MAX];
    if (cb_frame_function(f0, fn, sizeof fn)[0] && !sc->stub) {
        cb_add_evidence(r, cb_symbol_kind(f0), DW_STRENGTH_STRONG,
                        "frame 0 in %s (%s), not a system-call stub",
                        cb_frame_label(f0, label, sizeof label), cb_symbol_source_word(f0));
        return 1;
    }
    if (sc->code_read && !sc->stub && !sc->entry_insn) {
        cb_add_evidence(r, DW_EVIDENCE_STUB_DECODE, DW_STRENGTH_MEDIUM,
                        "code at 0x%llx is captured and matches no system-call stub form",
                        (unsigned long long)f0->ip);
        return 1;
    }
    return 0;
}

/* ---- classification ------------------------------------------------------------- */

static void scan_dispatchers(dw_walker *w, const dw_thread *t, const frame_list *fl, uint32_t build,
                             dw_thread_callbacks *r, dispatcher_kind *innermost)
{
    *innermost = DISPATCH_NONE;
    char label[DW_CALLBACK_NAME_MAX];
    for (size_t i = 0; i < fl->count; i++) {
        const dw_frame *f = &fl->frames[i];
        dispatcher_kind k = dispatcher_of(f);
        if (k == DISPATCH_NONE)
            continue;
        if (*innermost == DISPATCH_NONE) {
            *innermost = k;
            r->has_dispatcher_frame = 1;
            r->dispatcher_frame = (unsigned)i;
        }
        if (k == DISPATCH_CALLBACK && r->level_count < DW_CALLBACK_MAX_LEVELS)
            fill_level(w, t, fl, i, build, &r->levels[r->level_count++]);
        if (k == DISPATCH_CALLBACK)
            r->callback_depth++;
        cb_add_evidence(r, cb_symbol_kind(f), DW_STRENGTH_STRONG, "frame %zu in %s (%s)", i,
                        cb_frame_label(f, label, sizeof label), cb_symbol_source_word(f));
    }
}

static dw_thread_state state_of(const cb_syscall *sc, dispatcher_kind innermost)
{
    if (sc->named && cb_is_callback_return(sc->name) && (sc->by_symbol || sc->stub))
        return DW_THREAD_PARKED;
    switch (innermost) {
    case DISPATCH_CALLBACK:
        return DW_THREAD_IN_CALLBACK;
    case DISPATCH_APC:
        return DW_THREAD_APC_DISPATCH;
    case DISPATCH_EXCEPTION:
        return DW_THREAD_EXCEPTION_DISPATCH;
    case DISPATCH_NONE:
        break;
    }
    if (sc->by_symbol || (sc->stub && sc->has_ssn && (sc->waiting || sc->named)) || sc->entry_insn)
        return DW_THREAD_SYSCALL_WAIT;
    return DW_THREAD_UNKNOWN;
}

/* Everything but the level and evidence slots, which are written whole as
 * they are counted in: the result is 9 KiB, mostly those slots, and a report
 * clears one per thread. */
static void clear_result(dw_thread_callbacks *r)
{
    memset(r, 0, offsetof(dw_thread_callbacks, levels));
    r->has_dispatcher_frame = 0;
    r->dispatcher_frame = 0;
    r->syscall[0] = '\0';
    r->has_ssn = 0;
    r->ssn = 0;
    r->evidence_count = 0;
    r->note[0] = '\0';
}

dw_status dw_callback_analyze_frames(dw_walker *w, const dw_thread *t, const dw_frame *frames,
                                     size_t count, dw_thread_callbacks *r)
{
    if (!w || !r || (!frames && count))
        return DW_ERR_INVALID_ARG;
    clear_result(r);
    r->thread_id = t ? t->thread_id : 0;
    r->frames_examined = (unsigned)count;
    if (count == 0) {
        snprintf(r->note, sizeof r->note, "no frames: the thread could not be walked");
        return DW_OK;
    }
    uint32_t build = cb_os_build(w->dump);
    const dw_frame *f0 = &frames[0];
    r->ip = f0->ip;
    cb_syscall sc;
    cb_syscall_at(w, f0, build, &sc);
    if (sc.named && (sc.by_symbol || sc.stub))
        snprintf(r->syscall, sizeof r->syscall, "%s", sc.name);
    r->has_ssn = sc.has_ssn;
    r->ssn = sc.ssn;
    syscall_evidence(r, &sc, build);
    frame_list fl = {frames, count};
    dispatcher_kind innermost;
    scan_dispatchers(w, t, &fl, build, r, &innermost);
    r->state = state_of(&sc, innermost);
    if (r->state == DW_THREAD_UNKNOWN && running_evidence(f0, &sc, r))
        r->state = DW_THREAD_RUNNING;
    if (r->state == DW_THREAD_UNKNOWN)
        snprintf(r->note, sizeof r->note,
                 "no symbol, export or captured code at the IP 0x%llx: not classified",
                 (unsigned long long)f0->ip);
    register_hint(w, f0, build, r);
    return DW_OK;
}

int dw_thread_callbacks_claimed(const dw_thread_callbacks *r)
{
    if (!r || r->state == DW_THREAD_UNKNOWN)
        return 0;
    for (unsigned i = 0; i < r->evidence_count; i++)
        if (r->evidence[i].strength >= DW_STRENGTH_MEDIUM)
            return 1;
    return 0;
}

/* ---- the analyzer ------------------------------------------------------------------ */

dw_status dw_callback_analyzer_new(dw_dump *dump, const dw_walk_options *opts,
                                   dw_callback_analyzer **out)
{
    if (!dump || !out)
        return DW_ERR_INVALID_ARG;
    dw_callback_analyzer *a = calloc(1, sizeof *a);
    if (!a)
        return DW_ERR_NOMEM;
    a->dump = dump;
    a->frames = malloc(ANALYZE_MAX_FRAMES * sizeof *a->frames);
    dw_status st = a->frames ? dw_walker_new(dump, opts, &a->walker) : DW_ERR_NOMEM;
    if (st != DW_OK) {
        free(a->frames);
        free(a);
        return st;
    }
    *out = a;
    return DW_OK;
}

void dw_callback_analyzer_free(dw_callback_analyzer *a)
{
    if (!a)
        return;
    dw_walker_free(a->walker);
    free(a->frames);
    free(a);
}

dw_status dw_callback_analyze_thread(dw_callback_analyzer *a, const dw_thread *t,
                                     dw_thread_callbacks *out)
{
    if (!a || !t || !out)
        return DW_ERR_INVALID_ARG;
    dw_frame *frames = a->frames;
    size_t n = 0;
    if (dw_walker_start(a->walker, t) == DW_OK)
        while (n < ANALYZE_MAX_FRAMES && dw_walker_next(a->walker, &frames[n]) == DW_OK)
            n++;
    dw_status st = dw_callback_analyze_frames(a->walker, t, frames, n, out);
    out->thread_id = t->thread_id;
    if (n == 0)
        snprintf(out->note, sizeof out->note, "not walked: %s", dw_walker_stop_reason(a->walker));
    return st;
}
