/*
 * harness.h — the tests' tiny framework: CHECK (check.h), and running a
 * target many times under a strategy through the engine's internal API.
 */
#ifndef STACKRACE_TEST_HARNESS_H
#define STACKRACE_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine.h"
#include "rng.h"
#include "run.h"

typedef struct hunt_result {
    bool found;
    int check;
    char message[128];
    uint64_t execs;
} hunt_result;

/* Runs up to `execs` executions of t under `mode` from `seed`; stops at the
 * first finding. The race detector is on only when asked. */
static inline hunt_result harness_hunt_races(const sr_target *t, const sr_scenario *sc,
                                             dec_mode mode, uint64_t seed, uint64_t execs,
                                             bool races)
{
    hunt_result hr = {0};
    exec *e = run_new_exec();
    e->race.on = races;
    exec_result r;
    for (uint64_t i = 0; i < execs; i++) {
        dec_start_strategy(&e->dec, mode, rng_mix(seed ^ rng_mix(i + 1)), sc, 3);
        exec_run(e, t, sc, &r);
        if (r.failed) {
            hr.found = true;
            hr.check = r.f.check;
            snprintf(hr.message, sizeof hr.message, "%s", r.f.message);
            hr.execs = i + 1;
            break;
        }
    }
    if (!hr.found)
        hr.execs = execs;
    run_free_exec(e);
    return hr;
}

static inline hunt_result harness_hunt(const sr_target *t, const sr_scenario *sc, dec_mode mode,
                                       uint64_t seed, uint64_t execs)
{
    return harness_hunt_races(t, sc, mode, seed, execs, false);
}

#endif
