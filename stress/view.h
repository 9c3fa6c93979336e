/*
 * view.h — the memory view a walker reads a mutator's stack through.
 *
 * Bounds-checked (only the thread's stack and its signal stack, aligned
 * words: a walker following a wild pointer gets "no" instead of a fault)
 * and translating: a slot holding the barrier trampoline reads as the
 * return address the side table keeps for it. The view copies the table's
 * count and position when the walk starts, as Go's gentraceback copied
 * gp.stkbar: a slot patched after that copy is a trampoline PC the view
 * cannot translate (counted as missed), which is exactly how the seed bug
 * shows itself when the sampler does not hold the table's lock.
 */
#ifndef STRESS_VIEW_H
#define STRESS_VIEW_H
#include "mutator.h"
#include "stackrace/native.h"

typedef struct stack_view {
    const mutator *m;
    unsigned pos, n;
    unsigned missed;
    uintptr_t missed_slot;
    /* what the walker said about its end (native.h: sr_stack_walk.stopped) */
    int stop_why;
    long stop_code;
    uintptr_t stop_last;
} stack_view;

/* Prepares w to walk m from `from` (uc: the signal's context, or NULL),
 * reading m's stacks through v. */
void view_init(sr_stack_walk *w, stack_view *v, const mutator *m, const saved_ctx *from,
               const void *uc);
/* The pc, sp and fp of a signal's ucontext_t. */
saved_ctx view_context_of(const void *uc);
/* A live or context walker's frames, made comparable (view.c): keeps them
 * from the walk's starting pc on and translates trampoline PCs by slot.
 * Returns the number kept (0: the walk never reached pc, and pcs is left
 * as the walker gave it). */
int view_adapt(const stack_view *v, uintptr_t *pcs, int n, const saved_ctx *from,
               unsigned walker_flags);
/* SR_STOP_*'s name: "end of stack", "no unwind info", ... */
const char *view_stop_name(int why);
/* Whether the word at addr is in the walked thread's stacks (for the oracle). */
bool view_readable(const void *view, uintptr_t addr);
#endif
