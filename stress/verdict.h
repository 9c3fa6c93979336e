/*
 * verdict.h — what a walk is, compared with the truth: one classifier for
 * every walker and both native engines (stress, sweep).
 *
 * The truth of a sample is the interrupted PC and the return addresses of
 * the frames above it, innermost first: t->pc[0..n). stress takes it from
 * the shadow stack (oracle.h), sweep from what its tracer saw. The walk is
 * what the walker returned, made comparable (view_adapt for live and
 * context walkers: from the interrupted PC on, trampoline PCs translated).
 * The same walk against the same truth gets the same class in both engines
 * and for every walker, ours included. The classes, and whose they are:
 *
 *   exact     the walk is the truth (frames beyond the program's root are
 *             not judged).
 *   declined  the walker returned no frames, by its own return code: it
 *             said it could not walk reliably. The walker's; harmless and
 *             counted, so a walker that always declines cannot pass unseen.
 *   stopped   a true prefix that ends at a frame without unwind
 *             information: the last frame is in code no FDE covers (the
 *             rewriter's hand-written trampoline, a PLT entry of a linker
 *             that writes no CFI for it: verdict_no_unwind_info), or,
 *             for a walker that reads the stack itself (live, context), the
 *             next return address it would read is the trampoline (a patched
 *             slot) or the last one it read was. Harmless, and provably so:
 *             no unwind information exists there to go on with; named as such.
 *             So is a live walk of a thread parked in the rig's own code
 *             that ends at the very PC the signal stopped it at, when no
 *             unwind information covers that PC (lld's PLT entries): the
 *             walk never reached the frame the truth begins with, and could
 *             not have.
 *   lost      a true prefix that ends where unwind information exists, or a
 *             live or context walk that never reached the interrupted frame
 *             (but for the case above): the walker lost frames it could have
 *             had. The walker's; counts as wrong.
 *   wrong     a frame that is not the thread's at that depth (made up,
 *             skipped, a trampoline it could not translate). The walker's.
 *   fault     the walker faulted or did not finish (caught by the guard).
 *             The walker's; a finding.
 *
 * Samples the sampler itself does not walk (its protocol: a busy barrier
 * lock, a thread between a return and its original return address, a
 * longjmp in flight whose truth the shadow has already cut) are not walks:
 * stress counts them as skipped, the rig's, apart from all of the above.
 *
 * The tolerances, all of them, each where the truth itself has two answers:
 *  1. A signal frame's entry (TRUTH_SIGNAL) may read as the trap instruction
 *     or the one after it: the trap handler steps over the 2-byte ud2 by
 *     rewriting the saved PC before it returns, so both are the interrupted
 *     PC at some point of the handler's life.
 *  2. A longjmp in flight (sweep.c): glibc's __longjmp describes, in its
 *     CFI, the setjmp target before the registers are restored (on purpose:
 *     the frames it abandons are dead), so a walk of the stack after the
 *     jump is the thread's as much as a walk of the stack before it.
 *  3. stress only (oracle.h): in a prologue or an epilogue the shadow is
 *     one frame behind the real stack; never at a function's first
 *     instruction or at its ret, where the stack pointer says exactly where
 *     the return address is.
 */
#ifndef STRESS_VERDICT_H
#define STRESS_VERDICT_H
#include <stdbool.h>
#include <stdint.h>

typedef enum verdict {
    VERDICT_EXACT,
    VERDICT_DECLINED,
    VERDICT_STOPPED,
    VERDICT_LOST,
    VERDICT_WRONG,
    VERDICT_FAULT,
    VERDICT_COUNT
} verdict;

/* "exact", "declined", "stopped", "lost", "wrong", "fault" */
const char *verdict_name(verdict v);
/* Whether the class is the walker's error (lost, wrong: a finding). */
static inline bool verdict_is_wrong(verdict v) { return v == VERDICT_LOST || v == VERDICT_WRONG; }

enum { TRUTH_MAX = 192 };

/* Flags of a truth frame. */
enum {
    TRUTH_SIGNAL = 1u << 0,  /* a signal frame's entry: the trap PC or the one after it */
    TRUTH_PATCHED = 1u << 1, /* its return address lives in a slot holding the trampoline */
};

typedef struct walk_truth {
    unsigned n;               /* pc[0] is the interrupted PC */
    uintptr_t pc[TRUTH_MAX];
    uint8_t flags[TRUTH_MAX];
} walk_truth;

/* What one walk gave, made comparable. */
typedef struct walk_record {
    const uintptr_t *pcs; /* the frames, from the interrupted PC on */
    int n;                /* how many */
    int returned;         /* what the walker itself returned (before view_adapt) */
    int caught;           /* the guard's signal when it faulted or was stopped, else 0 */
    unsigned walker_flags; /* SR_WALKER_* (native.h) */
    uintptr_t signal_pc;  /* where the signal stopped the thread, when the truth
                           * begins elsewhere (stress: a parked thread is judged
                           * from the frame it saved); else 0 */
} walk_record;

typedef struct verdict_result {
    verdict v;
    int at; /* the walk's index where it departs from the truth (stopped, lost,
             * wrong), or -1 */
} verdict_result;

verdict_result verdict_classify(const walk_truth *t, const walk_record *w);
/* Better for the walker: exact, stopped, declined, lost, wrong, fault (for
 * a tolerance that offers two truths: the walk is judged by the better). */
bool verdict_better(verdict a, verdict b);

/* Code without unwind information: the barrier trampoline's hand-written
 * instructions (barrier_x86_64.S carries no CFI), and any PC no FDE of the
 * loaded objects covers (unwind_info.h: after unwind_info_load; a PLT entry
 * of a linker that writes no CFI for .plt). A test checks both against
 * libgcc's own FDE lookup over the whole executable. */
bool verdict_no_unwind_info(uintptr_t pc);

/* Appends one frame to a truth. */
static inline void truth_push(walk_truth *t, uintptr_t pc, unsigned flags)
{
    if (t->n < TRUTH_MAX) {
        t->pc[t->n] = pc;
        t->flags[t->n] = (uint8_t)flags;
        t->n++;
    }
}
#endif
