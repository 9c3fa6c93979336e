/*
 * oracle.h — the walk oracle: a walk against the shadow stack.
 *
 * The ground truth of a walk that starts at pc on a thread whose shadow
 * holds frames f[0..d) is [pc, f[d-1].ra, ..., f[0].ra]: the walk must
 * start with it; what it finds beyond the program's root is not judged.
 *
 * The one tolerance, where the truth itself is ambiguous: a shape records
 * itself only once its body starts and forgets itself before its epilogue,
 * so in a prologue or an epilogue (or in a helper called from a body, such
 * as the foreign call's entry) the real stack holds one callee the shadow
 * does not. Whether a walker reports that callee's return address depends
 * on where in the prologue it stopped, so both are accepted: the walk may
 * carry, between pc and the shadow's frames, exactly
 *   - nothing, or
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
 * Nothing else: any other difference is a wrong walk.
 */
#ifndef STRESS_ORACLE_H
#define STRESS_ORACLE_H
#include <stdint.h>

#include "shadow.h"

typedef enum verdict {
    VERDICT_EXACT,     /* the truth (within the tolerance) */
    VERDICT_DECLINED,  /* no frames: the walker said it could not */
    VERDICT_TRUNCATED, /* a true prefix that stops before the root */
    VERDICT_WRONG      /* a frame that is not the thread's */
} verdict;

typedef struct oracle_result {
    verdict v;
    int at;        /* WRONG: index into the walk of the first bad frame */
    int extra;     /* frames accepted by the tolerance */
} oracle_result;

oracle_result oracle_check(const shadow *s, uintptr_t pc, const uintptr_t *pcs, int n,
                           uintptr_t signal_return);
const char *verdict_name(verdict v);
#endif
