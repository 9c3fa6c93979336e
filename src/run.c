/* run.c — running a target from a schedule. */
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

exec *run_new_exec(void)
{
    exec *e = malloc(sizeof *e);
    if (!e)
        abort();
    exec_init(e);
    return e;
}

void run_free_exec(exec *e)
{
    exec_free(e);
    free(e);
}

void run_schedule(exec *e, const sr_target *t, const schedule *s, bool full, exec_result *r)
{
    sr_scenario sc = s->sc;
    const uint8_t *b = s->bytes;
    size_t n = s->len;
    if (s->flags & SCHED_FLAG_SCENARIO_IN_BYTES) {
        sc = scenario_defaults(t);
        size_t k = scenario_from_bytes(&sc, b, n);
        b += k;
        n -= k;
    }
    e->tr.full = full;
    dec_start_input(&e->dec, b, n);
    exec_run(e, t, &sc, r);
}


bool result_has(const exec_result *r, const char *target, const char *sig)
{
    char got[64];
    if (r->fatal) {
        finding_signature(&r->f, target, got, sizeof got);
        if (!strcmp(got, sig))
            return true;
    }
    for (unsigned i = 0; i < r->nreports; i++) {
        finding_signature(&r->reports[i], target, got, sizeof got);
        if (!strcmp(got, sig))
            return true;
    }
    return false;
}
