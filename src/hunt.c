/*
 * hunt.c — the search (hunt.h): jobs, seeds, PCT's calibration,
 * deduplication, saving, the replay check, minimization.
 *
 * Synchronization: the jobs share the counters (atomics, relaxed: they are
 * figures, not guards) and `stop`, which each job reads between executions
 * and each engine reads inside a long one. Everything else the jobs share
 * — the findings table, the first-finding figures, `ended` — is under `mu`,
 * and so is every call of the sink: a job records a finding, writes its
 * file and tells the sink before the next finding, of any job, is looked
 * at. `ended` is set under `mu` before a fatal finding is minimized, so
 * that the findings other jobs report while it is (they come too late:
 * their executions ran after the one that ended the hunt) are dropped.
 */
#include "hunt.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "rng.h"
#include "run.h"

typedef struct hunt {
    const hunt_config *c;
    const hunt_sink *sink;
    hunt_outcome *out;
    uint64_t pct_steps;       /* PCT's fixed estimate of an execution's length */
    double start;
    atomic_uint_fast64_t execs, signals, walks_complete, walks_declined, walks_unjudged;
    atomic_bool stop;         /* read by the jobs, and by long executions */
    pthread_mutex_t mu;
    bool ended;               /* a fatal finding ended the hunt */
    bool said_full;           /* the table is full: said once */
} hunt;

/* Tells the sink a one-line trouble (h->mu held, or no job running). */
static void say(const hunt *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const hunt *h, const char *fmt, ...)
{
    if (!h->sink->error)
        return;
    char msg[4400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    h->sink->error(h->sink->ctx, msg);
}

/* Minimizes the finding into OUT/<signature>.min.sched, after the finding
 * itself is saved: a fatal one with h->mu held, races when the jobs are done. */
static void minimize_finding(const hunt *h, hunt_finding *hf, const schedule *found, exec *e)
{
    schedule small = *found;
    small.bytes = malloc(found->len ? found->len : 1);
    if (!small.bytes)
        return;
    memcpy(small.bytes, found->bytes, found->len);
    minimize_stats st;
    char path[sizeof hf->minimized], err[256];
    snprintf(path, sizeof path, "%.*s.min.sched", (int)(strlen(hf->path) - 6), hf->path);
    if (run_minimize(e, h->c->target, &small, hf->signature, h->c->minimize_seconds, &st) == 0 &&
        sched_write_file(path, &small, err, sizeof err) == 0)
        snprintf(hf->minimized, sizeof hf->minimized, "%s", path);
    sched_free(&small);
}

/* Minimizes the races the hunt found (see on_finding), from their files. */
static void minimize_races(hunt *h)
{
    exec *e = run_new_exec();
    e->race.on = true;
    for (int i = 0; i < h->out->nfindings; i++) {
        hunt_finding *hf = &h->out->findings[i];
        uint8_t *buf;
        size_t len;
        schedule s;
        char err[256];
        if (hf->fatal || sched_read_file(hf->path, &buf, &len, err, sizeof err) != 0)
            continue;
        if (sched_parse(buf, len, &s, err, sizeof err) == 0) {
            minimize_finding(h, hf, &s, e);
            sched_free(&s);
        }
        free(buf);
    }
    run_free_exec(e);
}

/* Whether a finding of signature sig is one to record (h->mu held): new,
 * the hunt not ended, and room for it in the table. */
static bool wanted(hunt *h, const char *sig, bool fatal)
{
    hunt_outcome *o = h->out;
    for (int i = 0; i < o->nfindings; i++)
        if (strcmp(o->findings[i].signature, sig) == 0)
            return false;
    if (h->ended)
        return false;
    if (o->nfindings == HUNT_MAX_FINDINGS || (!fatal && o->nraces == HUNT_MAX_RACE_FINDINGS)) {
        if (!h->said_full)
            say(h, "hunt: %d distinct %s found: no more are saved",
                fatal ? HUNT_MAX_FINDINGS : HUNT_MAX_RACE_FINDINGS,
                fatal ? "findings" : "data races");
        h->said_full = true;
        return false;
    }
    return true;
}

/* The saved bytes must replay to the same finding (h->mu held). */
static void check_replay(hunt *h, const hunt_finding *hf, const schedule *s, exec *replay)
{
    exec_result rr;
    const char *target = h->c->target->name;
    run_schedule(replay, h->c->target, s, false, &rr);
    char sig2[64] = "";
    if (result_has(&rr, target, hf->signature))
        snprintf(sig2, sizeof sig2, "%s", hf->signature);
    else if (rr.failed)
        finding_signature(&rr.f, target, sig2, sizeof sig2);
    if (strcmp(hf->signature, sig2) != 0) {
        say(h, "internal error: %s did not replay to the same finding (got %s)", hf->path,
            rr.failed ? sig2 : "no finding");
        h->out->error = 2;
    }
}

/* fatal: f ended its execution (else it is a report, a data race). */
static void on_finding(hunt *h, exec *e, const finding *f, bool fatal)
{
    double secs = clk_seconds() - h->start;
    hunt_outcome *o = h->out;
    char sig[64];
    finding_signature(f, h->c->target->name, sig, sizeof sig);
    pthread_mutex_lock(&h->mu);
    if (!wanted(h, sig, fatal)) {
        pthread_mutex_unlock(&h->mu);
        return;
    }
    hunt_finding *hf = &o->findings[o->nfindings++];
    o->nraces += !fatal;
    snprintf(hf->signature, sizeof hf->signature, "%s", sig);
    hf->f = *f;
    hf->fatal = fatal;
    snprintf(hf->path, sizeof hf->path, "%s/%s.sched", h->c->out_dir, sig);
    schedule s = {.sc = h->c->sc};
    snprintf(s.target, sizeof s.target, "%s", h->c->target->name);
    s.bytes = (uint8_t *)dec_recording(&e->dec, &s.len);
    char err[256];
    if (sched_write_file(hf->path, &s, err, sizeof err) != 0) {
        say(h, "%s", err);
        o->error = 2;
        atomic_store(&h->stop, true);
        pthread_mutex_unlock(&h->mu);
        return;
    }
    uint64_t execs = atomic_load(&h->execs); /* executions run so far, all jobs */
    hf->execs = execs;
    hf->seconds = secs;
    if (o->nfindings == 1) {
        o->first_execs = execs;
        o->first_seconds = secs;
    }
    if (fatal && o->nfatal++ == 0) {
        o->first_fatal_execs = execs;
        o->first_fatal_seconds = secs;
    }
    if (fatal && !h->c->keep_going) {
        h->ended = true; /* before minimizing: other jobs' findings come too late */
        atomic_store(&h->stop, true);
    }
    exec *replay = run_new_exec();
    replay->race.on = h->c->races;
    check_replay(h, hf, &s, replay);
    if (fatal)
        minimize_finding(h, hf, &s, replay);
    if (h->sink->finding)
        h->sink->finding(h->sink->ctx, hf, &s, replay);
    run_free_exec(replay);
    pthread_mutex_unlock(&h->mu);
}

static uint64_t exec_seed(const hunt *h, uint64_t i)
{
    return rng_mix(h->c->seed ^ rng_mix(i + 1));
}

/* PCT spreads its change points over the expected length of an execution:
 * measure it once, on executions of the random walk, for the whole hunt. */
static uint64_t calibrate_pct(const hunt *h)
{
    exec *e = run_new_exec();
    exec_result r;
    uint64_t total = 0, n = 32;
    for (uint64_t i = 0; i < n; i++) {
        dec_start_strategy(&e->dec, DEC_RANDOM, exec_seed(h, ~i), &h->c->sc, h->c->depth);
        exec_run(e, h->c->target, &h->c->sc, &r);
        total += r.steps;
    }
    run_free_exec(e);
    return total / n;
}

static void count(hunt *h, const exec_result *r)
{
    atomic_fetch_add_explicit(&h->execs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->signals, r->stats.signals, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->walks_complete, r->stats.walks_complete, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->walks_declined, r->stats.walks_declined, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->walks_unjudged, r->stats.walks_unjudged, memory_order_relaxed);
}

typedef struct job {
    hunt *h;
    int index;
    pthread_t thread;
} job;

static void *job_main(void *arg)
{
    job *j = arg;
    hunt *h = j->h;
    const hunt_config *c = h->c;
    exec *e = run_new_exec();
    exec_result r;
    e->stop = &h->stop;
    e->race.on = c->races;
    if (c->mode == DEC_PCT)
        dec_fix_estimate(&e->dec, h->pct_steps);
    for (uint64_t i = (uint64_t)j->index; !atomic_load_explicit(&h->stop, memory_order_relaxed);
         i += (uint64_t)c->jobs) {
        if (c->exec_limit && i >= c->exec_limit)
            break;
        dec_start_strategy(&e->dec, c->mode, exec_seed(h, i), &c->sc, c->depth);
        exec_run(e, c->target, &c->sc, &r);
        if (r.stopped)
            break;
        count(h, &r);
        /* in the order they happened: the races, then what ended the execution */
        for (unsigned k = 0; k < r.nreports; k++)
            on_finding(h, e, &r.reports[k], false);
        if (r.fatal)
            on_finding(h, e, &r.f, true);
        if (c->time_limit > 0 && clk_seconds() - h->start >= c->time_limit)
            atomic_store(&h->stop, true);
    }
    run_free_exec(e);
    return NULL;
}

/* Waits until the jobs should stop, telling the sink the progress. */
static void watch(hunt *h)
{
    const hunt_config *c = h->c;
    for (;;) {
        struct timespec ts = {0, 250 * 1000 * 1000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&h->mu);
        h->sink->progress(h->sink->ctx, atomic_load(&h->execs), clk_seconds() - h->start,
                          h->out->nfindings);
        pthread_mutex_unlock(&h->mu);
        if (atomic_load(&h->stop))
            break;
        if (c->exec_limit && atomic_load(&h->execs) >= c->exec_limit)
            break;
        if (c->time_limit > 0 && clk_seconds() - h->start >= c->time_limit) {
            atomic_store(&h->stop, true); /* a job may be deep in a long execution */
            break;
        }
    }
}

int hunt_run(const hunt_config *c, const hunt_sink *sink, hunt_outcome *out)
{
    memset(out, 0, sizeof *out);
    hunt *h = calloc(1, sizeof *h);
    job *jobs = calloc((size_t)c->jobs, sizeof *jobs);
    if (!h || !jobs)
        abort();
    h->c = c;
    h->sink = sink;
    h->out = out;
    pthread_mutex_init(&h->mu, NULL);
    h->start = clk_seconds();
    if (c->mode == DEC_PCT)
        h->pct_steps = calibrate_pct(h);
    int started = 0;
    for (int i = 0; i < c->jobs; i++) {
        jobs[i] = (job){.h = h, .index = i};
        if (pthread_create(&jobs[i].thread, NULL, job_main, &jobs[i]) != 0) {
            pthread_mutex_lock(&h->mu);
            say(h, "hunt: cannot start job %d of %d", i + 1, c->jobs);
            out->error = 2;
            pthread_mutex_unlock(&h->mu);
            atomic_store(&h->stop, true);
            break;
        }
        started++;
    }
    if (sink->progress)
        watch(h);
    for (int i = 0; i < started; i++)
        pthread_join(jobs[i].thread, NULL);
    free(jobs);
    out->seconds = clk_seconds() - h->start; /* the search, not the minimization after it */
    out->execs = atomic_load(&h->execs);
    out->signals = atomic_load(&h->signals);
    out->walks_complete = atomic_load(&h->walks_complete);
    out->walks_declined = atomic_load(&h->walks_declined);
    out->walks_unjudged = atomic_load(&h->walks_unjudged);
    minimize_races(h);
    pthread_mutex_destroy(&h->mu);
    free(h);
    return out->error;
}
