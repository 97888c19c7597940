/* Past Wine's user-mode callback frame.
 *
 * Wine (8.x, dlls/ntdll/unix/signal_x86_64.c: the user-mode callback path
 * into KiUserCallbackDispatcher) does not build Windows' machine frame.  It
 * copies the callback arguments below the interrupted system call's stack
 * pointer and pushes a fake return address, 0xdeadbabe, followed by the
 * callback id, the argument pointer and the argument length; the .pdata of
 * KiUserCallbackDispatcher unwinds to that fake address.  The frames of the
 * interrupted call continue at args + len, where the return address into the
 * caller of the system-call stub sits (shared/wine/README.md; checked against
 * x64_ext_normal.unwind.txt: id 3, args 0x1c1f930, len 0xf8 -> rsp 0x1c1fa28).
 *
 * Only IP and SP of the caller are known: Wine keeps the nonvolatile
 * registers in its own syscall frame, out of user-mode reach. */
#include <stdio.h>

#include "unwind/walker.h"

#define WINE_CALLBACK_RETURN 0xdeadbabeu
/* The argument block starts right above the three words (id, args, len),
 * rounded to 16 bytes: never further than this from them. */
#define WINE_ARGS_MAX_GAP 0x40
/* Callback argument blocks are small structures (a few hundred bytes). */
#define WINE_ARGS_MAX_LEN 0x10000

dw_status dw_rule_wine_callback(dw_walker *w, const dw_frame *callee, dw_context *caller,
                                dw_trust *trust, char *reason, size_t reason_size)
{
    if (w->arch != DW_ARCH_AMD64 || callee->ip != WINE_CALLBACK_RETURN)
        return DW_ERR_NOT_FOUND;
    uint64_t sp = callee->sp, id, args, len, ret;
    if (!dw_walker_read_word(w, sp, &id) || !dw_walker_read_word(w, sp + 8, &args) ||
        !dw_walker_read_word(w, sp + 16, &len))
        return DW_ERR_NOT_FOUND;
    len &= 0xffffffffu; /* a ULONG in a 64-bit slot */
    if (args < sp + 24 || args - (sp + 24) > WINE_ARGS_MAX_GAP || len > WINE_ARGS_MAX_LEN)
        return DW_ERR_NOT_FOUND;
    uint64_t outer_sp = args + len;
    if (outer_sp + 8 > w->stack_hi || !dw_walker_read_word(w, outer_sp, &ret) ||
        !dw_walker_is_code(w, ret))
        return DW_ERR_NOT_FOUND;
    dw_ctx_set(caller, DW_AMD64_RIP, ret);
    dw_ctx_set(caller, DW_AMD64_RSP, outer_sp + 8);
    *trust = DW_TRUST_CFI;
    snprintf(reason, reason_size, "wine-callback id=%u args+len", (unsigned)(id & 0xffffffffu));
    return DW_OK;
}
