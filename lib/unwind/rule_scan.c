/* Stack scanning, validated.  A word on the stack is taken as a return
 * address only if it points into code and the bytes before it decode to a
 * CALL that ends exactly there.  A direct call (E8) must target the callee's
 * function (or a jump thunk to it) when that function is known; a call site
 * inside the callee's own function, before its IP, is what the callee's own
 * earlier calls leave behind.  Such weaker candidates are kept only as a
 * fallback when nothing stronger is found in the window. */
#include <stdio.h>
#include <string.h>

#include "unwind/walker.h"
#include "util/text.h"

/* Frame 0 may have a large frame of its own; look further. */
#define CONTEXT_FRAME_SCAN_FACTOR 4

typedef enum strength { CAND_NONE = 0, CAND_WEAK = 1, CAND_STRONG = 2 } strength;

typedef struct candidate {
    strength s;
    uint64_t ip;
    uint64_t slot;
    const char *why, *detail; /* the reason, in two static parts */
} candidate;

/* Does the instruction at `target` jump to `dest` (an import or
 * incremental-linking thunk: E9 rel32, or FF 25 through a pointer)? */
static int is_thunk_to(dw_walker *w, uint64_t target, uint64_t dest)
{
    uint8_t b[6];
    if (dw_walker_read_code(w, target, b, sizeof b) < 5)
        return 0;
    if (b[0] == 0xe9) {
        int32_t rel = (int32_t)(b[1] | b[2] << 8 | b[3] << 16 | (uint32_t)b[4] << 24);
        return target + 5 + (int64_t)rel == dest;
    }
    if (b[0] == 0xff && b[1] == 0x25) {
        int32_t disp = (int32_t)(b[2] | b[3] << 8 | b[4] << 16 | (uint32_t)b[5] << 24);
        uint64_t slot = w->arch == DW_ARCH_AMD64 ? target + 6 + (int64_t)disp : (uint32_t)disp;
        uint64_t ptr;
        return dw_walker_read_word(w, slot, &ptr) && ptr == dest;
    }
    return 0;
}

/* The longest run of code bytes, up to DW_CALL_MAX_LENGTH, that ends at
 * `ret` and is captured whole; 0 when not even a 2-byte call fits.  The
 * shortest read goes second: when it fails, as it does for most words of a
 * stack, no longer one can succeed. */
static size_t read_code_before(dw_walker *w, uint64_t ret, uint8_t *before)
{
    if (dw_walker_read_code(w, ret - DW_CALL_MAX_LENGTH, before, DW_CALL_MAX_LENGTH) ==
        DW_CALL_MAX_LENGTH)
        return DW_CALL_MAX_LENGTH;
    if (dw_walker_read_code(w, ret - 2, before, 2) != 2)
        return 0;
    for (size_t n = DW_CALL_MAX_LENGTH - 1; n > 2; n--) {
        if (dw_walker_read_code(w, ret - n, before, n) == n)
            return n;
    }
    return dw_walker_read_code(w, ret - 2, before, 2);
}

/* What judge() says of one word: its strength, the reason in two static
 * parts after "scan:" (formatted only for the word that wins), and whether the verdict
 * holds for every callee: then the word can never be strong, and a scan
 * holding a weak candidate passes over it. */
typedef struct verdict {
    strength s;
    const char *why, *detail;
    int never_strong;
} verdict;

static verdict judged(strength s, const char *why, const char *detail, int never_strong)
{
    verdict v = {s, why, detail, never_strong};
    return v;
}

/* A word that is no candidate for any callee. */
static const verdict nothing = {CAND_NONE, "", "", 1};

/* Classify one candidate return address. */
static verdict judge(dw_walker *w, uint64_t ret, uint64_t callee_start, uint64_t callee_ip)
{
    if (ret < 4096)
        return nothing;
    dw_module_cache *c;
    const dw_module *m = dw_walker_module(w, ret, &c);
    if (!dw_walker_is_code_in(w, ret, m, c))
        return nothing;
    if (m && !dw_walker_module_has_code(w, m, c))
        return judged(CAND_WEAK, "no-code module", "", 1);
    dw_disasm *d = dw_walker_disasm(w);
    uint8_t before[DW_CALL_MAX_LENGTH];
    size_t have = read_code_before(w, ret, before);
    if (!have || !d) {
        /* No code bytes: only module membership speaks for it. */
        if (!m)
            return nothing;
        return judged(CAND_WEAK, "no-code module", "", 1);
    }
    dw_call_site cs;
    if (!dw_call_before(d, before, have, ret, &cs))
        return nothing;
    int inside_callee = callee_start && cs.address >= callee_start && cs.address < callee_ip;
    if (cs.kind == DW_CALL_DIRECT && cs.has_target && callee_start) {
        if (cs.target == callee_start)
            return judged(CAND_STRONG, "call E8 target-match", "", 0);
        if (is_thunk_to(w, cs.target, callee_start))
            return judged(CAND_STRONG, "call E8 target-match(thunk)", "", 0);
        return judged(CAND_WEAK, "call E8 target-mismatch", "", 0);
    }
    const char *kind = cs.reason; /* "call E8", "call FF/2 reg", ... */
    const char *detail = cs.kind == DW_CALL_DIRECT ? " callee-unknown" : "";
    return judged(inside_callee ? CAND_WEAK : CAND_STRONG, kind, detail, 0);
}

/* The end of a known barren run holding `slot`, or `slot` itself. */
static uint64_t skip_barren(const dw_walker *w, uint64_t slot)
{
    if (slot >= w->barren_top)
        return slot;
    for (unsigned hops = 0; hops < DW_WALKER_BARREN_RUNS; hops++) {
        uint64_t next = slot;
        for (unsigned i = 0; i < DW_WALKER_BARREN_RUNS; i++) {
            if (slot >= w->barren[i].from && slot < w->barren[i].to)
                next = w->barren[i].to;
        }
        if (next == slot)
            break;
        slot = next;
    }
    return slot;
}

static void remember_barren(dw_walker *w, uint64_t from, uint64_t to)
{
    if (to - from < 2 * 8)
        return; /* not worth a slot */
    w->barren[w->barren_next].from = from;
    w->barren[w->barren_next].to = to;
    w->barren_next = (w->barren_next + 1) % DW_WALKER_BARREN_RUNS;
    w->barren_top = 0;
    for (unsigned i = 0; i < DW_WALKER_BARREN_RUNS; i++)
        w->barren_top = w->barren[i].to > w->barren_top ? w->barren[i].to : w->barren_top;
}

/* Judges the `words` stack words from `start` up, keeping the best
 * candidate; stops at the first strong one, at the stack's top, or at the
 * first word not captured.  A pointer into the stack being walked is data,
 * never a return address.  Once a weak candidate is held only a strong one
 * can replace it, so barren words are passed over, and runs of them are
 * remembered for the next scans of this walk. */
static void scan_window(dw_walker *w, uint64_t start, unsigned words, uint64_t callee_start,
                        uint64_t callee_ip, candidate *best)
{
    unsigned word = dw_walker_word(w);
    uint64_t room = start < w->stack_hi ? (w->stack_hi - start) / word : 0;
    uint64_t end = start + (room < words ? room : words) * word;
    uint64_t run = 0; /* start of the barren run in progress; 0: none */
    uint64_t slot = start;
    for (; slot < end; slot += word) {
        int weak_held = best->s == CAND_WEAK;
        if (weak_held) {
            uint64_t after = skip_barren(w, slot);
            if (after != slot) {
                run = run ? run : slot;
                slot = after - word;
                continue;
            }
        }
        uint64_t value;
        if (!dw_walker_stack_word(w, slot, &value))
            break;
        verdict v = nothing;
        if ((value < w->stack_lo || value >= w->stack_hi) &&
            (!weak_held || dw_walker_page_may_have_code(w, value)))
            v = judge(w, value, callee_start, callee_ip);
        if (weak_held && v.never_strong) {
            run = run ? run : slot;
            continue;
        }
        if (run)
            remember_barren(w, run, slot);
        run = 0;
        if (v.s > best->s) {
            best->s = v.s;
            best->ip = value;
            best->slot = slot;
            best->why = v.why;
            best->detail = v.detail;
        }
        if (best->s == CAND_STRONG)
            return;
    }
    if (run)
        remember_barren(w, run, slot < end ? slot : end);
}

dw_status dw_rule_scan(dw_walker *w, const dw_frame *callee, dw_context *caller, dw_trust *trust,
                       char *reason, size_t reason_size)
{
    unsigned spr = dw_walker_sp_reg(w), ipr = dw_walker_ip_reg(w), fpr = dw_walker_fp_reg(w);
    unsigned word = dw_walker_word(w);
    const dw_context *c = &callee->context;
    if (!dw_context_has(c, spr))
        return DW_ERR_NOT_FOUND;
    uint64_t start = c->regs[spr];
    uint64_t callee_start = dw_walker_function_start(w, callee->ip);
    unsigned words = w->opts.max_scan_words;
    if (callee->index == 0)
        words *= CONTEXT_FRAME_SCAN_FACTOR;
    candidate best = {CAND_NONE, 0, 0, "", ""};
    scan_window(w, start, words, callee_start, callee->ip, &best);
    if (best.s == CAND_NONE)
        return DW_ERR_NOT_FOUND;
    dw_ctx_set(caller, ipr, best.ip);
    dw_ctx_set(caller, spr, best.slot + word);
    /* A frame pointer the callee did not touch is still the caller's: keep
     * it when it points above the new frame, so a chain can resume. */
    if (dw_context_has(c, fpr) && c->regs[fpr] >= best.slot + word && c->regs[fpr] < w->stack_hi)
        dw_ctx_set(caller, fpr, c->regs[fpr]);
    *trust = DW_TRUST_SCAN;
    dw_concat3(reason, reason_size, "scan:", best.why, best.detail);
    return DW_OK;
}
