/*
 * oracle.h — the stress engine's walk oracle: a walk against the shadow
 * stack, classified by verdict.h.
 *
 * The ground truth of a walk that starts at pc on a thread whose shadow
 * holds frames f[0..d) is [pc, f[d-1].ra, ..., f[0].ra]: the walk must
 * start with it; what it finds beyond the program's root is not judged.
 * A frame whose slot holds the barrier trampoline is marked patched (a
 * live walker meets the trampoline there: verdict.h's "stopped").
 *
 * Where the shadow is exact about one more frame: at a shape's first
 * instruction (just called, not yet recorded) and at its ret (already
 * forgotten), the return address is the word at the stack pointer, so the
 * truth is [pc, *sp, f[d-1].ra, ...] and nothing else: a walk that skips
 * that caller is wrong.
 *
 * The one tolerance (verdict.h's third), where the truth itself is
 * ambiguous: a shape records itself only once its body starts and forgets
 * itself before its epilogue, so inside a prologue or an epilogue (or in a
 * helper called from a body, such as the foreign call's entry) the real
 * stack holds one callee the shadow does not, and the shadow cannot say
 * whether the PC is in that callee or in the top recorded frame's own
 * code. Both are accepted: the walk may carry, between pc and the shadow's
 * frames, exactly
 *   - nothing, when pc is in the topmost recorded frame's own function
 *     (anywhere else the unrecorded frame certainly exists: a callee's
 *     prologue or epilogue, libc, a helper, the trap handler before it
 *     records itself), or
 *   - a return address just after a call instruction in the topmost
 *     recorded frame's function (the callee being entered or left), or
 *   - if the topmost recorded frame is a signal frame, the signal return
 *     trampoline (the handler's frame, not yet recorded), or
 *   - the signal return trampoline and a trap instruction of the topmost
 *     recorded frame's function, or the instruction after it (a handler
 *     entered and nothing recorded yet, or a handler that has forgotten
 *     itself and stepped over the trap), or
 *   - when pc is in the signal return trampoline itself (the handler has
 *     returned, the kernel has not yet restored the interrupted context),
 *     that trap instruction or the one after it.
 * The walk is judged against whichever reading is better for it. Any other
 * difference is lost frames or a wrong walk.
 */
#ifndef STRESS_ORACLE_H
#define STRESS_ORACLE_H
#include <stdbool.h>
#include <stdint.h>

#include "barrier.h"
#include "shadow.h"
#include "verdict.h"

typedef struct oracle_sample {
    const shadow *s;
    uintptr_t pc, sp;         /* where the walk started */
    uintptr_t signal_return;  /* the kernel's signal return trampoline, or 0 */
    const barrier_table *barriers; /* the thread's: patched slots read as originals */
    /* whether the word at addr may be read (the thread's stacks); NULL: none */
    bool (*readable)(const void *ctx, uintptr_t addr);
    const void *ctx;
} oracle_sample;

/* The walk's verdict. judged, if not NULL, receives the truth the verdict
 * was reached against (for reports: the shadow's frames with the exact
 * extra frame or the tolerated ones in it; a 0 at frame 1 stands for the
 * frame the shadow has not recorded and the walk skipped). */
verdict_result oracle_check(const oracle_sample *o, const walk_record *w, walk_truth *judged);
#endif
