/*
 * bench.h — bench-walkers: the cost of every walker on one and the same
 * stack.
 *
 * One mutator runs a seeded program of frame-pointer shapes (so that every
 * walker can walk it) until it is deep enough, then signals itself; in that
 * one handler every walker walks the interrupted stack `reps` times, timed
 * with CLOCK_MONOTONIC around the whole loop, and once more to be judged
 * against the shadow stack. ns per frame is the loop's time over reps and
 * over the frames the walker found.
 */
#ifndef STRESS_BENCH_H
#define STRESS_BENCH_H
#include <stdbool.h>

#include "oracle.h"
#include "stackrace/native.h"

/* The reps walks of one walker, timed together, are one guarded walk. */
enum { BENCH_WATCHDOG_SECONDS = 600 };

typedef struct bench_row {
    const sr_walker *walker;
    bool available, faulted, too_slow; /* too_slow: stopped by the watchdog */
    char why[160];
    int frames;        /* frames of the judged walk, from the interrupted pc */
    verdict v;         /* its verdict */
    double ns_walk, ns_frame;
} bench_row;

/* Fills rows[0..n) (one per walker given); depth: the stack's shadow depth.
 * 0, or 2 after a one-line error. */
int bench_run(bench_row *rows, unsigned n, unsigned reps, unsigned *depth);
#endif
