/*
 * rng.h — the engine's pseudo-random numbers: SplitMix64 (Steele, Lea and
 * Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
 * One 64-bit state, one add and a finalizer per draw: enough quality for
 * schedule exploration, and trivially seedable per execution.
 */
#ifndef STACKRACE_RNG_H
#define STACKRACE_RNG_H
#include <stdint.h>

static inline uint64_t rng_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t rng_next(uint64_t *state)
{
    *state += 0x9e3779b97f4a7c15ull;
    return rng_mix(*state);
}

/* Uniform in [0, n) for n > 0 (Lemire's multiply-shift; the bias is below
 * 2^-32 for the small n the engine draws). */
static inline uint32_t rng_below(uint64_t *state, uint32_t n)
{
    return (uint32_t)(((rng_next(state) >> 32) * (uint64_t)n) >> 32);
}

/* True with probability per_mille / 1000. */
static inline int rng_chance(uint64_t *state, uint32_t per_mille)
{
    return rng_below(state, 1000) < per_mille;
}
#endif
