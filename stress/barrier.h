/*
 * barrier.h — return-address barriers: the native engine's real rewriter.
 *
 * A barrier replaces a frame's return address with the address of a small
 * trampoline (barrier_x86_64.S) and keeps the original in the thread's side
 * table. When the frame returns it lands in the trampoline, which pops the
 * innermost entry (barrier_pop), checks it belongs to the slot just
 * returned through, and jumps to the original return address. The logical
 * call chain never changes; only stack words do. Go's stack barriers
 * (runtime/mstkbar.go, 2015-2016), Linux's kretprobes and ftrace's return
 * hooks, .NET's return-address hijacking and the JVM's stack watermarks are
 * this mechanism.
 *
 * The side table's invariants (checked: a violation is a rewriter finding):
 *  - entries are in the shadow stack's order, innermost first (on one stack
 *    that is by address, lowest first; a thread's frames may span its stack
 *    and its signal stack, so not across them); entries [pos, n) are live: their slot holds the trampoline address and their
 *    frame has not returned; entries before pos have been popped;
 *  - a trampoline hit finds its slot at entries[pos] (the trampoline
 *    advances pos past it before anything else);
 *  - after barrier_remove, n == pos == 0 and no live slot holds the
 *    trampoline.
 *
 * Synchronization: the table belongs to its thread, which pops entries as
 * frames return, never under a lock. The scanner writes a thread's table
 * (install, remove) only while the thread is parked in a foreign call with
 * the scan bit set (mutator.h), and under the table's lock. A walker from
 * another context (a handler walking the parked thread's saved context, a
 * profiler) reads the table while the scanner may be installing: the
 * correct sampler takes the lock (trylock: a handler must not wait), the
 * seed bug's sampler does not (stress --variant unlocked).
 */
#ifndef STRESS_BARRIER_H
#define STRESS_BARRIER_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "shadow.h"

typedef struct barrier_entry {
    uintptr_t slot; /* the return slot patched */
    uintptr_t orig; /* the return address it held */
} barrier_entry;

typedef struct barrier_table {
    atomic_int lock;         /* 0 free, 1 held; a spinlock, as a handler may try it */
    atomic_int wanted;       /* the scanner waits for it: samplers' tries fail meanwhile */
    volatile unsigned n;     /* entries [0, n) installed this cycle */
    volatile unsigned pos;   /* entries [0, pos) popped by returns */
    barrier_entry e[SHADOW_MAX];
} barrier_table;

/* The trampoline's entry point (what patched slots hold) and the code range
 * that belongs to it: a thread whose PC is in [barrier_text_lo,
 * barrier_text_hi) is between a return and its original return address. */
void barrier_trampoline(void);
/* [barrier_pc() - 1, barrier_trampoline_end): the trampoline's hand-written
 * code (with the nop before it), which carries no unwind information. */
extern const char barrier_trampoline_end[];
uintptr_t barrier_text_lo(void);
uintptr_t barrier_text_hi(void);
static inline uintptr_t barrier_pc(void) { return (uintptr_t)&barrier_trampoline; }

/* A sampler's try: fails while the lock is held or wanted (a handler must not
 * wait, and a slow walker taking the lock at every sample must not starve the
 * scanner: it declines instead). */
bool barrier_trylock(barrier_table *t);
void barrier_lock(barrier_table *t);
void barrier_unlock(barrier_table *t);

/* Patches the return slots of the call frames in s (innermost first), keeping
 * the originals. Needs the lock. Returns the number installed; on a slot that
 * does not hold its frame's return address, installs nothing and returns -1
 * with *bad set to that slot. */
int barrier_install(barrier_table *t, const shadow *s, uintptr_t *bad);
/* Restores every live entry's slot and empties the table. Needs the lock.
 * Returns the number restored, or -1 with *bad the first live slot that no
 * longer holds the trampoline (a barrier lost). */
int barrier_remove(barrier_table *t, uintptr_t *bad);
/* The thread abandons its frames in [lo, sp) (a longjmp to a frame whose slot
 * is sp, on a stack that starts at lo): drops their entries, as they will
 * never be returned through (Go's gcUnwindBarriers), each slot restored
 * first: the frame calling this is among them and still runs until its
 * longjmp, and a sampler between the two would otherwise meet a trampoline
 * no entry explains (the sweep saw it: every walker "wrong" there). The stack's bounds
 * matter: a thread's frames span its stack and its signal stack, and which
 * of the two lies higher is the kernel's choice, so an address comparison
 * alone would drop the live frames of the other stack. Called by the thread
 * itself, running. */
void barrier_unwind(barrier_table *t, uintptr_t lo, uintptr_t sp);
/* The original return address of the entry in [pos, n) for slot, or 0 if
 * none: for a reader that copied n and pos (its snapshot) when it started. */
uintptr_t barrier_lookup(const barrier_table *t, unsigned pos, unsigned n, uintptr_t slot);

/* What a frame's return address really is: a frame that reads its own
 * return address after its slot was patched (the callee of a tail call
 * inherits its caller's slot, patched or not) reads the trampoline; the
 * thread's own table, which only it changes while it runs, has the
 * original. Inlined: it runs in a shape's body. */
static inline __attribute__((always_inline)) uintptr_t
barrier_logical_ra(const barrier_table *t, uintptr_t ra, uintptr_t slot)
{
    if (ra != (uintptr_t)&barrier_trampoline)
        return ra;
    for (unsigned k = t->pos; k < t->n && k < SHADOW_MAX; k++)
        if (t->e[k].slot == slot)
            return t->e[k].orig;
    return ra;
}

/* Called by the trampoline with the stack pointer after the return, once
 * the trampoline has advanced pos past the entry it pops; returns the
 * original return address. A hit without its entry is a fatal rewriter
 * finding (the thread cannot know where to go). */
uintptr_t barrier_pop(uintptr_t sp_after_return);
/* The table barrier_pop uses: the calling thread's (set by the thread). */
extern __thread barrier_table *barrier_self __attribute__((tls_model("initial-exec")));
#endif
