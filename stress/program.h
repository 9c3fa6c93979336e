/*
 * program.h — the seeded generator of call programs, inlined into every
 * shape's body.
 *
 * A program is drawn step by step from the thread's seed: call a shape,
 * return, park in a foreign call, trap into a signal handler's frame (on
 * the thread's stack or its sigaltstack), or longjmp back to a catcher.
 * The deeper the stack, the likelier a return, so depths wander between
 * one and max_depth. This is inlined (never a frame of its own) because
 * every real frame on a mutator's stack must be a shape that the shadow
 * knows.
 */
#ifndef STRESS_PROGRAM_H
#define STRESS_PROGRAM_H
#include "mutator.h"
#include "shapes.h"
#include "stress.h"

#define PROGRAM_INLINE static inline __attribute__((always_inline))

PROGRAM_INLINE uint64_t program_rand(mutator *m)
{
    /* SplitMix64 (Steele, Lea, Flood 2014), as src/rng.h. */
    uint64_t z = (m->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

PROGRAM_INLINE unsigned program_below(mutator *m, unsigned n)
{
    return (unsigned)(((program_rand(m) >> 32) * (uint64_t)n) >> 32);
}

/* A callable shape from the configured mask (at least one bit is set). */
PROGRAM_INLINE unsigned program_shape(mutator *m)
{
    unsigned mask = m->cfg->shapes, shapes = 0;
    /* counted by hand: gcc makes __builtin_popcount a call of libgcc's
     * __popcountdi2, a frame without frame pointer the shadow does not know */
    for (unsigned x = mask; x; x &= x - 1)
        shapes++;
    unsigned k = program_below(m, shapes);
    for (;;) {
        unsigned id = (unsigned)__builtin_ctz(mask);
        if (k-- == 0)
            return id;
        mask &= mask - 1;
    }
}

PROGRAM_INLINE unsigned program_next(mutator *m)
{
    const stress_config *c = m->cfg;
    unsigned depth = m->shadow.depth;
    if (c->signal_self_at && !m->signalled_self && depth >= c->signal_self_depth &&
        atomic_load_explicit(&m->calls, memory_order_relaxed) >= c->signal_self_at) {
        m->signalled_self = true;
        return OP_SIGNAL_SELF;
    }
    if (c->call_budget &&
        atomic_load_explicit(&m->calls, memory_order_relaxed) >= c->call_budget)
        atomic_store_explicit(&m->stop, 1, memory_order_relaxed); /* a sweep's program ends */
    if (atomic_load_explicit(&m->stop, memory_order_relaxed) || depth + 4 >= c->max_depth)
        return OP_RET;
    unsigned r = program_below(m, 1000);
    unsigned ret_pm = 60 + 900 * depth / c->max_depth;
    if (r < ret_pm && depth > 0)
        return OP_RET;
    r = program_below(m, 1000);
    if (r < c->foreign_pm)
        return OP_FOREIGN;
    r -= c->foreign_pm;
    if (r < c->trap_pm)
        return OP_TRAP;
    r -= c->trap_pm;
    if (r < c->trap_pm)
        return OP_ALTTRAP;
    r -= c->trap_pm;
    if (r < c->longjmp_pm && m->ncatch > 0)
        return OP_LONGJMP;
    return program_shape(m);
}
#endif
