/*
 * run.h — running a target from a schedule: replay and minimization.
 */
#ifndef STACKRACE_RUN_H
#define STACKRACE_RUN_H
#include <stdbool.h>
#include "engine.h"
#include "schedfile.h"

/* Replays s against t. full: record the full trace. */
void run_schedule(exec *e, const sr_target *t, const schedule *s, bool full, exec_result *r);
/* Whether the execution found `sig` (fatal or reported). */
bool result_has(const exec_result *r, const char *target, const char *sig);
/* A heap-allocated, initialized exec (they are large). */
exec *run_new_exec(void);
void run_free_exec(exec *e);
typedef struct minimize_stats {
    size_t decisions[2], bytes[2]; /* before, after */
    uint64_t switches[2];
} minimize_stats;
/* Shrinks failing schedule s in place (minimize.c) keeping finding `want`
 * (a signature; NULL: the execution's primary finding), for at most
 * `seconds` (0: no limit; at the limit it keeps the smallest schedule found
 * so far). 0: done; 1: s does not fail that way; 2: internal error (the
 * result did not replay the same). */
int run_minimize(exec *e, const sr_target *t, schedule *s, const char *want, double seconds,
                 minimize_stats *st);

#endif
