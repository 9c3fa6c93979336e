/*
 * hunt.h — the search: executions of a target under a strategy, on several
 * jobs, until a finding, a time or execution budget, or (keep_going) the
 * budget; each distinct finding saved, checked to replay, minimized.
 *
 * Stop rule: a fatal finding (one that ended its execution) ends the hunt
 * unless keep_going; a data race does not end its execution, so it does
 * not end the hunt either: it is saved and told as it is found, and the
 * hunt goes on to what the race leads to (or to its budget). That is how
 * the race detector can stay on by default without hiding the crash it
 * explains.
 *
 * Execution i of a hunt uses the seed rng_mix(seed ^ rng_mix(i + 1)),
 * whichever job runs it, so a hunt's executions do not depend on the number
 * of jobs. Each job is an OS thread with its own engine. A finding is
 * deduplicated by signature, saved as the strategy's recording (the bytes
 * replay it exactly), written atomically to OUT/<signature>.sched, then
 * replayed once: the replay must give the same signature (a self-check of
 * determinism). A fatal finding is minimized at once into
 * OUT/<signature>.min.sched; races when the jobs are done (minimizing takes
 * up to its budget, and the search for what a race leads to must not wait).
 *
 * Whoever runs a hunt hears of it through a sink: each finding once it is
 * recorded, progress, errors. The hunt records under its lock and tells
 * the sink under the same lock, so the sink sees findings one at a time
 * and in the order they were recorded; the sink never calls back into the
 * hunt.
 */
#ifndef STACKRACE_HUNT_H
#define STACKRACE_HUNT_H
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "schedfile.h"

enum {
    HUNT_MAX_FINDINGS = 256,
    HUNT_MAX_RACE_FINDINGS = HUNT_MAX_FINDINGS / 2 /* races never crowd out a fatal one */
};

typedef struct hunt_config {
    const sr_target *target;
    sr_scenario sc;
    dec_mode mode;            /* DEC_RANDOM or DEC_PCT */
    uint32_t depth;           /* PCT's depth */
    uint64_t seed;
    double time_limit;        /* seconds; 0: none */
    uint64_t exec_limit;      /* 0: none */
    int jobs;
    const char *out_dir;      /* exists, a directory */
    bool keep_going;
    bool races;               /* check 5, the race detector */
    double minimize_seconds;  /* budget for minimizing each finding */
} hunt_config;

typedef struct hunt_finding {
    char signature[64];
    char path[4096];
    char minimized[4200];     /* empty if minimization failed or ran out of time */
    finding f;
    bool fatal;               /* it ended its execution (else a data race) */
    uint64_t execs;           /* executions run when it was found, all jobs */
    double seconds;           /* since the hunt started */
} hunt_finding;

/* What the hunt did; filled as it goes (the sink may read the counts). */
typedef struct hunt_outcome {
    uint64_t execs, signals, walks_complete, walks_declined, walks_unjudged;
    double seconds;           /* of the search, not of the minimization after it */
    hunt_finding findings[HUNT_MAX_FINDINGS];
    int nfindings, nfatal, nraces;
    uint64_t first_execs, first_fatal_execs;
    double first_seconds, first_fatal_seconds;
    int error;                /* 2: a finding could not be written, or did not replay */
} hunt_outcome;

typedef struct hunt_sink {
    void *ctx;
    /* A finding, recorded and saved (a fatal one minimized too). `found` is
     * the schedule saved; `e` an engine the sink may replay it on. */
    void (*finding)(void *ctx, const hunt_finding *hf, const schedule *found, exec *e);
    /* About every 250 ms while the jobs run, if not NULL. */
    void (*progress)(void *ctx, uint64_t execs, double seconds, int nfindings);
    /* A one-line trouble (without "stackrace: "): the hunt goes on or ends
     * as the outcome says. */
    void (*error)(void *ctx, const char *message);
} hunt_sink;

/* Runs the hunt c describes, telling sink (any hook may be NULL), into out
 * (zeroed here). Returns out->error. */
int hunt_run(const hunt_config *c, const hunt_sink *sink, hunt_outcome *out);
#endif
