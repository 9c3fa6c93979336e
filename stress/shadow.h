/*
 * shadow.h — a thread's shadow stack: the ground truth of the native engine.
 *
 * Every frame of a call program records itself here when its body starts
 * and forgets itself when its body ends: the return address it will return
 * to, the address of the slot holding that return address, and what shape
 * of frame it is. A sampler reads the shadow of the thread it walked and
 * the walk oracle (oracle.c) compares the walk with it.
 *
 * Who reads it, and why that is safe without a lock:
 *  - the thread itself, from its own signal handler: a handler interrupts
 *    the thread between two instructions, so it sees the shadow exactly as
 *    the thread left it, provided the compiler does not move the stores
 *    across each other (the signal fences below);
 *  - a profiler or the scanner, only while the thread is stopped in a
 *    handshake or parked in a foreign call: the handshake's or the park's
 *    release/acquire pair orders the thread's shadow writes before the read.
 *
 * A push writes the frame before it bumps the depth and a pop drops the
 * depth first, so whatever the interrupt point, frames [0, depth) are whole.
 * Frame 0 is the outermost.
 */
#ifndef STRESS_SHADOW_H
#define STRESS_SHADOW_H
#include <stdint.h>
#include <stdatomic.h>

enum { SHADOW_MAX = 160 };

/* What kind of frame an entry is. A call frame's slot is a return slot (a
 * rewriter may patch it); a signal frame's entry is the interrupted PC,
 * saved by the kernel in the signal's ucontext, which is not a return slot
 * and must never be patched. */
enum { FRAME_CALL = 0, FRAME_SIGNAL = 1 };

typedef struct shadow_frame {
    uintptr_t ra;   /* return address (for a signal frame: the interrupted PC) */
    uintptr_t slot; /* where ra lives */
    uint8_t shape;  /* shapes.h: which function the frame belongs to (a signal
                     * frame: SHAPE_COUNT; the interrupted function is its ra's) */
    uint8_t kind;   /* FRAME_CALL or FRAME_SIGNAL */
} shadow_frame;

typedef struct shadow {
    volatile unsigned depth;
    shadow_frame f[SHADOW_MAX];
} shadow;

static inline __attribute__((always_inline)) void
shadow_push(shadow *s, uintptr_t ra, uintptr_t slot, unsigned shape, unsigned kind)
{
    shadow_frame *f = &s->f[s->depth];
    f->ra = ra;
    f->slot = slot;
    f->shape = (uint8_t)shape;
    f->kind = (uint8_t)kind;
    atomic_signal_fence(memory_order_seq_cst);
    s->depth = s->depth + 1;
    atomic_signal_fence(memory_order_seq_cst);
}

static inline __attribute__((always_inline)) void shadow_pop(shadow *s)
{
    atomic_signal_fence(memory_order_seq_cst);
    s->depth = s->depth - 1;
    atomic_signal_fence(memory_order_seq_cst);
}
#endif
