/*
 * clock.h — the one clock both engines and the command line read: the
 * monotonic clock (never set back, unlike the wall clock), as seconds or
 * nanoseconds. clock_gettime is async-signal-safe (POSIX.1-2008) and a
 * vDSO call on Linux, so the native engine's handlers read it too.
 */
#ifndef STACKRACE_CLOCK_H
#define STACKRACE_CLOCK_H
#include <time.h>

static inline long long clk_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static inline double clk_seconds(void)
{
    return (double)clk_ns() * 1e-9;
}
#endif
