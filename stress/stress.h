/*
 * stress.h — the native engine's run: real threads, real signals, real
 * barriers, a walker checked against ground truth at every sample.
 *
 * A run starts `threads` mutators (mutator.h) that execute call programs
 * (program.h) built from frame shapes (shapes.h); samplers interrupt them
 * (sampler.c): per-thread CLOCK_MONOTONIC timers and a chaos thread's
 * random tgkill deliver SIGPROF to the thread itself, which walks its own
 * stack from the signal's context; or, with `remote`, a profiler thread
 * takes each thread in turn, stopping a running one with a signal handshake
 * (and walking the context its handler saved) or holding a parked one
 * parked (and walking the context it saved). With `barriers`, a scanner thread (scanner.c)
 * installs return-address barriers into parked threads and removes them at
 * the end of each cycle. Every walk goes to the oracle (oracle.c).
 */
#ifndef STRESS_STRESS_H
#define STRESS_STRESS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "stackrace/native.h"

enum { STRESS_MAX_THREADS = 16 };

typedef struct stress_config {
    const sr_walker *walker;
    unsigned threads;
    unsigned hz;         /* samples per second per thread */
    double seconds;
    uint64_t samples;    /* 0: run for `seconds`; else until so many samples, `seconds` at most */
    bool barriers;
    bool remote;         /* a profiler thread stops and walks (else same-thread) */
    bool unlocked;       /* the seed bug: walk a parked thread without its lock */
    bool chaos;          /* a chaos thread adds random tgkill samples */
    uint64_t seed;
    unsigned shapes;     /* mask of callable shapes (shapes.h) */
    /* the call programs */
    unsigned max_depth;
    unsigned foreign_pm; /* per mille of program steps that park */
    unsigned foreign_us;
    unsigned trap_pm, longjmp_pm;
    unsigned long call_budget; /* 0: programs run until stopped; else they end after so many calls */
    unsigned long signal_self_at; /* bench-walkers: after so many calls, at a depth of at */
    unsigned signal_self_depth;   /* least this, the thread signals itself once */
    bool self_barriers;  /* the foreign call installs or removes barriers in the caller's own
                          * stack instead of parking (the sweep: one thread, no scanner) */
    double watchdog_seconds; /* a walk taking longer is stopped and reported (default 1 s,
                              * ENGINE_SLOWDOWN times that in a sanitizer build) */
    bool progress;       /* a progress line on stderr */
    bool aim;            /* aimed samples at entries and rets, where the kernel can (aim.h) */
} stress_config;

typedef struct stress_stats {
    uint64_t samples, exact, declined, stopped, lost, wrong, faults; /* verdict.h */
    uint64_t skipped; /* samples the sampler did not walk (its protocol, not the walker) */
    uint64_t running, foreign, lock_busy, frames, throttled, aimed;
    uint64_t calls, foreign_calls, traps, nested_traps, longjmps;
    uint64_t cycles, installed, removed;
    unsigned findings;    /* distinct (by check and message) */
    unsigned occurrences; /* every time one was met */
    double seconds;
    double first_finding; /* seconds into the run; negative if none */
} stress_stats;

/* Fills c with the defaults for walker w. */
void stress_defaults(stress_config *c, const sr_walker *w);
/* Runs; 0 when done (findings or not: see st), else 2 after a one-line error
 * on stderr (a thread or timer that could not be made). */
int stress_run(const stress_config *c, stress_stats *st);
/* The counts so far (for progress and the final report). */
void stress_collect(stress_stats *st);
#endif
