/*
 * feedback.h — interleaving features for coverage-guided fuzzers.
 *
 * Code coverage barely sees interleavings: two schedules that run the same
 * code in a different order look alike to it. So at the places where the
 * order shows, the engine counts features into a fuzzer's counter map
 * (libFuzzer's extra counters, AFL++'s coverage map):
 *   - a switch: the pair (scheduling point the old actor stopped at, point
 *     the new actor resumes from);
 *   - a signal: the point where it landed, and how it was delivered;
 *   - contention: an actor blocking on a lock, or failing a try-lock, at a
 *     point.
 * A point is the kind and (stable) address of an actor's last scheduling
 * point. Without a map (hunting, replay) a feature costs one branch.
 */
#ifndef STACKRACE_FEEDBACK_H
#define STACKRACE_FEEDBACK_H

#include <stdint.h>
#include "rng.h"

typedef struct feedback {
    uint8_t *counters; /* NULL: off */
    uint32_t mask;     /* size - 1, a power of two */
} feedback;

enum { FEATURE_SWITCH = 1, FEATURE_SIGNAL, FEATURE_BLOCK, FEATURE_TRYLOCK_FAIL };

static inline uint64_t feedback_point(unsigned kind, uint64_t addr)
{
    return (uint64_t)kind << 56 ^ addr;
}

static inline void feedback_hit(const feedback *fb, unsigned feature, uint64_t a, uint64_t b)
{
    if (!fb->counters)
        return;
    uint32_t i = (uint32_t)rng_mix(rng_mix(a ^ feature) ^ b) & fb->mask;
    if (fb->counters[i] != 255)
        fb->counters[i]++;
}
#endif
