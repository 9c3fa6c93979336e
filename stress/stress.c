/*
 * stress.c — one native run (stress.h): start everything, watch, stop.
 *
 * Order matters at both ends. Handlers are installed before any thread
 * exists; the scanner and the samplers start once every mutator has told
 * its thread id. At the end the samplers stop first (no signal may reach a
 * thread that is gone), then the scanner (it must not take a thread that is
 * unwinding to exit), then the mutators, which return through whatever
 * barriers are still installed: every one of them is popped on the way.
 */
#include "stress.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "findings.h"
#include "guard.h"
#include "sanitizer.h"
#include "mutator.h"
#include "sampler.h"
#include "scanner.h"
#include "shapes.h"

static mutator *muts;
static unsigned nmuts;
static const stress_config *running_cfg;
static double run_start;

void stress_defaults(stress_config *c, const sr_walker *w)
{
    memset(c, 0, sizeof *c);
    c->walker = w;
    c->threads = 4;
    c->hz = 20000;
    c->seconds = 10;
    c->chaos = true;
    c->seed = 1;
    c->max_depth = 48;
    c->foreign_pm = 2;
    c->foreign_us = 40;
    c->trap_pm = 4;
#ifdef ENGINE_TSAN
    /* ThreadSanitizer calls a handler from its own, whose frames would sit
     * between the trap handler's and the kernel's signal frame unrecorded */
    c->trap_pm = 0;
#endif
    c->longjmp_pm = 20;
    c->watchdog_seconds = 1.0 * ENGINE_SLOWDOWN;
    c->aim = true;
}


void stress_collect(stress_stats *st)
{
    double seconds = st->seconds;
    memset(st, 0, sizeof *st);
    st->seconds = seconds;
    st->first_finding = findings_total() ? findings_first_time() - run_start : -1;
    for (unsigned i = 0; i < nmuts; i++) {
        const mutator *m = &muts[i];
        const stress_counts *c = &m->counts;
        st->samples += atomic_load(&c->samples);
        st->exact += atomic_load(&c->exact);
        st->declined += atomic_load(&c->declined);
        st->stopped += atomic_load(&c->stopped);
        st->lost += atomic_load(&c->lost);
        st->wrong += atomic_load(&c->wrong);
        st->skipped += atomic_load(&c->skipped);
        st->faults += atomic_load(&c->faults);
        st->running += atomic_load(&c->running);
        st->foreign += atomic_load(&c->foreign);
        st->lock_busy += atomic_load(&c->lock_busy);
        st->frames += atomic_load(&c->frames);
        st->throttled += atomic_load(&c->throttled);
        st->aimed += atomic_load(&c->aimed);
        st->calls += atomic_load(&m->calls);
        st->foreign_calls += atomic_load(&m->foreign_calls);
        st->traps += atomic_load(&m->traps);
        st->nested_traps += atomic_load(&m->nested_traps);
        st->longjmps += atomic_load(&m->longjmps);
    }
    scanner_counts(&st->cycles, &st->installed, &st->removed);
    st->findings = findings_distinct();
    st->occurrences = findings_total();
}

static void stop_all(void)
{
    sampler_stop_threads();
    sampler_stop_timers();
    scanner_stop();
    for (unsigned i = 0; muts && i < nmuts; i++)
        if (muts[i].thread)
            mutator_stop(&muts[i]);
    guard_stop();
}

static void free_all(void)
{
    for (unsigned i = 0; muts && i < nmuts; i++)
        mutator_unmap(&muts[i]);
    free(muts);
    muts = NULL;
    nmuts = 0;
}

static int fail(const char *what, int err)
{
    fprintf(stderr, "stackrace: stress: %s: %s\n", what, strerror(err));
    stop_all();
    free_all();
    return 2;
}

static void progress(const stress_stats *st, double elapsed, bool tty)
{
    double rate = elapsed > 0 ? (double)st->exact / elapsed : 0;
    fprintf(stderr, "%sstress %s: %.0f/%.0f s  samples %llu  validated %llu (%.0f/s)  declined %llu"
                    "  lost %llu  wrong %llu  findings %u%s",
            tty ? "\r" : "", running_cfg->walker->name, elapsed, running_cfg->seconds,
            (unsigned long long)st->samples, (unsigned long long)st->exact, rate,
            (unsigned long long)st->declined, (unsigned long long)st->lost,
            (unsigned long long)st->wrong, st->findings,
            tty ? "  " : "\n");
}

static void print_new_findings(unsigned *printed, bool tty)
{
    for (; *printed < findings_stored(); ++*printed) {
        const nfinding *f = findings_at(*printed);
        if (!f)
            break;
        fprintf(stderr, "%sstackrace: finding %u: %s: %s\n  %s\n", tty ? "\n" : "", *printed + 1,
                f->check, f->message, f->detail);
    }
}

/* Whether the run has taken the samples it was asked for (c->samples). */
static bool enough_samples(const stress_config *c)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < nmuts; i++)
        n += atomic_load(&muts[i].counts.samples);
    return n >= c->samples;
}

int stress_run(const stress_config *c, stress_stats *st)
{
    running_cfg = c;
    run_start = clk_seconds();
    findings_reset();
    guard_reset();
    scanner_reset();
    muts = calloc(c->threads, sizeof *muts);
    if (!muts)
        return fail("memory for the mutators", ENOMEM);
    nmuts = c->threads;
    int rc = sampler_install(c, muts, nmuts);
    if (rc)
        return fail("sigaction", rc);
    if ((rc = guard_start(c->watchdog_seconds)) != 0)
        return fail("starting the watchdog", rc);
    for (unsigned i = 0; i < nmuts; i++) {
        uint64_t seed = c->seed * 0x9e3779b97f4a7c15ull + i + 1;
        if ((rc = mutator_start(&muts[i], i, c, seed)) != 0)
            return fail("starting a mutator thread", rc);
    }
    for (unsigned i = 0; i < nmuts; i++)
        while (!__atomic_load_n(&muts[i].tid, __ATOMIC_ACQUIRE))
            sched_yield();
    if (c->barriers && (rc = scanner_start(muts, nmuts)) != 0)
        return fail("starting the scanner", rc);
    if (!c->remote && (rc = sampler_start_timers()) != 0)
        return fail("the sampling timers", rc);
    if ((rc = sampler_start_threads()) != 0)
        return fail("starting a sampler thread", rc);

    bool tty = c->progress && isatty(2);
    double t0 = clk_seconds(), last = t0, elapsed = 0;
    unsigned printed = 0;
    while ((elapsed = clk_seconds() - t0) < c->seconds && !(c->samples && enough_samples(c))) {
        struct timespec nap = {0, 50 * 1000 * 1000};
        nanosleep(&nap, NULL);
        if (c->progress)
            print_new_findings(&printed, tty);
        double t = clk_seconds();
        if (c->progress && t - last >= (tty ? 0.5 : 10.0)) {
            st->seconds = t - t0;
            stress_collect(st);
            progress(st, t - t0, tty);
            last = t;
        }
    }
    stop_all();
    st->seconds = clk_seconds() - t0;
    stress_collect(st);
    if (c->progress) {
        print_new_findings(&printed, tty);
        progress(st, st->seconds, tty);
        if (tty)
            fputc('\n', stderr);
    }
    free_all();
    return 0;
}
