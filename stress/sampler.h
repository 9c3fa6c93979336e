/*
 * sampler.h — the samplers: signals that interrupt mutators and walk them.
 *
 * Same-thread: SIGPROF from the thread's own CLOCK_MONOTONIC timer
 * (timer_create with SIGEV_THREAD_ID) or from the chaos thread's random
 * tgkill; the handler walks the stack it interrupted, from the signal's
 * ucontext. Remote: the profiler thread stops each mutator in turn and walks
 * it, as a profiler on a system without same-thread signals (Go on Windows)
 * does: a running thread with a signal handshake (its handler saves the
 * interrupted context, says it is stopped, and waits), a parked one by
 * holding it parked (mutator.h: MUT_PROF) and walking its saved context.
 *
 * Either way the sample takes the sampler protocol of Go's sigprof: a
 * thread in a foreign call is walked from the context it saved before it
 * parked, and since the scanner may be installing barriers in a parked
 * thread, the walk holds the thread's barrier lock (try only: a handler
 * must not wait; a busy lock declines the sample). The unlocked variant
 * leaves the lock out: the seed bug (Go issue 12528).
 */
#ifndef STRESS_SAMPLER_H
#define STRESS_SAMPLER_H
#include "mutator.h"
#include "stress.h"

/* Installs the handlers (SIGPROF, the handshake's signal, the traps). */
int sampler_install(const stress_config *c, mutator *muts, unsigned n);
/* Per-thread timers (same-thread mode). 0 or an errno. */
int sampler_start_timers(void);
void sampler_stop_timers(void);
/* The chaos and profiler threads run until sampler_stop_threads. */
int sampler_start_threads(void);
void sampler_stop_threads(void);
#endif
