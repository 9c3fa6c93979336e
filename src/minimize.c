/*
 * minimize.c — `stackrace minimize`: the fewest decisions that still fail
 * the same way.
 *
 * The schedule's non-default decisions are turned into a plan (decide.h),
 * keyed by each actor's own step and choice counts, so that dropping one
 * entry leaves the others in place in each actor's history. ddmin then
 * drops chunks of entries, halving the chunk size down to single entries,
 * and keeps every drop after which the run still fails with the same
 * signature, as the plan of decisions that run actually made. The result
 * is re-recorded as bytes and checked by a plain replay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "run.h"

/* Runs plan p; true if it fails with signature `sig`. The decisions it
 * actually made are logged into `made` (sorted). */
static bool plan_fails(exec *e, const sr_target *t, const sr_scenario *sc, const plan *p,
                       const char *sig, plan *made)
{
    exec_result r;
    made->n = 0;
    e->dec.log = made;
    dec_start_plan(&e->dec, p);
    e->tr.full = false;
    exec_run(e, t, sc, &r);
    e->dec.log = NULL;
    plan_sort(made);
    return result_has(&r, t->name, sig);
}

/* ddmin over plan entries: try dropping chunks, halving the chunk size
 * down to single entries; keep every drop after which the run still fails
 * the same way (as the decisions that run actually made). */
/* Returns false if it stopped at the deadline (0: none). */
static bool shrink(exec *e, const sr_target *t, const sr_scenario *sc, plan *best,
                   const char *sig, double deadline)
{
    plan cand = {0}, made = {0};
    bool finished = true;
    for (size_t chunk = best->n / 2 ? best->n / 2 : 1; chunk >= 1 && finished; chunk /= 2) {
        for (size_t start = 0; start < best->n;) {
            if (deadline > 0 && clk_seconds() > deadline) {
                finished = false;
                break;
            }
            cand.n = 0;
            plan_copy(&cand, best);
            size_t end = start + chunk < cand.n ? start + chunk : cand.n;
            memmove(cand.e + start, cand.e + end, (cand.n - end) * sizeof *cand.e);
            cand.n -= end - start;
            if (plan_fails(e, t, sc, &cand, sig, &made) && made.n < best->n)
                plan_copy(best, &made);
            else
                start += chunk;
        }
        if (chunk == 1)
            break;
    }
    plan_free(&cand);
    plan_free(&made);
    return finished;
}

int run_minimize(exec *e, const sr_target *t, schedule *s, const char *want, double seconds,
                 minimize_stats *st)
{
    double deadline = seconds > 0 ? clk_seconds() + seconds : 0;
    exec_result r;
    run_schedule(e, t, s, false, &r);
    if (!r.failed || (want && !result_has(&r, t->name, want)))
        return 1;
    char sig[64];
    if (want)
        snprintf(sig, sizeof sig, "%s", want);
    else
        finding_signature(&r.f, t->name, sig, sizeof sig);
    sr_scenario sc = e->sc; /* as run: a raw input's scenario comes from its bytes */
    st->bytes[0] = s->len;
    st->switches[0] = r.stats.switches;
    /* the decisions the schedule makes, as a plan */
    plan best = {0}, made = {0};
    e->dec.log = &best;
    run_schedule(e, t, s, false, &r);
    e->dec.log = NULL;
    plan_sort(&best);
    st->decisions[0] = best.n;
    int rc = 2;
    if (plan_fails(e, t, &sc, &best, sig, &made)) {
        for (size_t before = best.n + 1; best.n < before;) {
            before = best.n;
            if (!shrink(e, t, &sc, &best, sig, deadline))
                break;
        }
        /* the bytes of the smallest plan, checked as a plain replay */
        plan_fails(e, t, &sc, &best, sig, &made);
        size_t n;
        const uint8_t *rec = dec_recording(&e->dec, &n);
        uint8_t *bytes = malloc(n ? n : 1);
        if (!bytes)
            abort();
        memcpy(bytes, rec, n);
        schedule small = *s;
        small.bytes = bytes;
        small.len = n;
        small.sc = sc;
        small.flags &= (uint16_t)~SCHED_FLAG_SCENARIO_IN_BYTES;
        run_schedule(e, t, &small, false, &r);
        if (result_has(&r, t->name, sig)) {
            free(s->bytes);
            *s = small;
            st->decisions[1] = best.n;
            st->switches[1] = r.stats.switches;
            st->bytes[1] = n;
            rc = 0;
        } else {
            free(bytes);
        }
    }
    plan_free(&made);
    plan_free(&best);
    return rc;
}

