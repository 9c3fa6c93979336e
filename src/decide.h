/*
 * decide.h — where every decision of an execution comes from.
 *
 * A schedule is a stream of bits. Each decision reads as few bits as its
 * range needs (ceil(log2 n), the value taken modulo n), least significant
 * bit first; past the end of the stream every read yields zeros, and zero is
 * every decision's default: keep running the current actor, no signal,
 * program choice 0, and when a switch is forced, the next runnable actor in
 * id order. So any byte string is a valid schedule, and truncating one
 * shortens the run gracefully.
 *
 * A decider runs in one of three modes:
 *   DEC_INPUT   the decisions are read from given bytes (replay, fuzzers);
 *   DEC_RANDOM  a uniform random walk proposes them (rates from the scenario);
 *   DEC_PCT     PCT proposes them (Burckhardt et al., ASPLOS 2010): random
 *               actor priorities, d-1 priority change points, the highest
 *               priority runnable actor runs.
 * Whatever the mode, every decision is also *recorded* as the bits that
 * encode it, so the recording replays the execution exactly in DEC_INPUT
 * mode. A finding from a strategy is saved as its recording.
 *
 * Plans, for the minimizer: a decider can *log* every non-default decision
 * as a plan entry keyed by the actor and the actor's own step (or program
 * choice) count, and a fourth mode, DEC_PLAN, proposes decisions from such a
 * plan. Keys local to an actor make a plan robust: removing one entry leaves
 * the others where they were in each actor's own history, while a position
 * in the byte stream would shift every later decision.
 */
#ifndef STACKRACE_DECIDE_H
#define STACKRACE_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stackrace/model.h"

typedef enum dec_mode { DEC_INPUT, DEC_RANDOM, DEC_PCT, DEC_PLAN } dec_mode;

/* Actors per execution; ids are 0..MAX_ACTORS-1, and MAX_ACTORS names the
 * scheduler's own decisions (those taken before any actor runs). */
#define MAX_ACTORS 16

/* What the decider reads and keeps of an actor (the engine's actor embeds
 * it): plan entries are keyed by the actor's id and its own history. */
typedef struct dec_actor {
    int id;                /* the actor's id (MAX_ACTORS: the scheduler) */
    int64_t prio;          /* PCT priority: higher runs first */
    uint64_t steps;        /* scheduling points this actor has passed */
    uint32_t choices;      /* program choices this actor has made */
    uint64_t choice_step;  /* its step count at its last choice */
    uint64_t pick_step;    /* its step count at its last forced switch ... */
    uint16_t pick_nth;     /* ... and how many it had at that step */
} dec_actor;

/* The runnable actors other than the running one, as the scheduler
 * numbers them (pick i runs the i-th): the engine computes the set, the
 * decider only reads it, so decisions depend on nothing else of the
 * engine's. */
typedef struct dec_runnable {
    void *ctx;
    uint32_t (*count)(void *ctx);
    dec_actor *(*nth)(void *ctx, uint32_t i);
} dec_runnable;

typedef enum plan_kind { PLAN_SWITCH, PLAN_SIGNAL, PLAN_PICK, PLAN_CHOICE } plan_kind;

typedef struct plan_entry {
    uint64_t at;      /* where in the actor's history (see step_key); PLAN_CHOICE:
                         the choice's ordinal */
    uint32_t value;   /* target actor id; signal: remote bit | signal index << 1;
                         choice value */
    uint16_t nth;     /* PLAN_PICK: an actor can be switched away from several
                         times at one step (blocked, woken, blocked again) */
    uint8_t kind;
    uint8_t actor;
} plan_entry;

typedef struct plan {
    plan_entry *e;
    size_t n, cap;
} plan;

void plan_free(plan *p);
void plan_copy(plan *dst, const plan *src);
/* Entries sorted by (actor, kind class, at, kind), as DEC_PLAN reads them. */
void plan_sort(plan *p);

#define DEC_PCT_MAX_DEPTH 16

typedef struct decider {
    dec_mode mode;
    /* DEC_INPUT */
    const uint8_t *in;
    size_t in_bits, in_pos;
    /* plans: logging every non-default decision, or following a plan */
    plan *log;
    const plan *follow;
    size_t cursor[MAX_ACTORS + 1];  /* per actor id (and the scheduler's, MAX_ACTORS) */
    size_t choice_cursor[MAX_ACTORS + 1];
    int64_t pending_target;    /* DEC_PLAN: target of the SWITCH just proposed */
    /* the recording */
    uint8_t *rec;
    size_t rec_cap, rec_pos;   /* capacity in bytes, position in bits */
    /* strategies */
    uint64_t rng;
    uint32_t switch_rate, signal_rate;
    uint32_t depth;            /* PCT depth d */
    uint64_t change_at[DEC_PCT_MAX_DEPTH];
    uint32_t nchange, next_change;
    uint64_t est_steps;        /* PCT: estimate of an execution's length */
    bool est_fixed;            /* ... set once for a whole hunt (dec_fix_estimate) */
    dec_runnable runnable;     /* given by the engine (dec_init keeps it) */
} decider;

/* runnable: how the decider sees the actors it may switch to. */
void dec_init(decider *d, dec_runnable runnable);
void dec_free(decider *d);
/* Prepare for one execution. */
void dec_start_input(decider *d, const uint8_t *bytes, size_t len);
/* Follow plan p (sorted); decisions not in it take their defaults. */
void dec_start_plan(decider *d, const plan *p);
void dec_start_strategy(decider *d, dec_mode mode, uint64_t seed, const sr_scenario *sc,
                        uint32_t pct_depth);
/* Called after setup, when the n actors exist (PCT assigns priorities). */
void dec_begin_exec(decider *d, dec_actor *const *actors, int n);
/* Called after the execution (PCT learns its length, unless fixed). */
void dec_end_exec(decider *d, uint64_t steps);
/* Fix PCT's estimate of an execution's length, so that execution i of a
 * hunt is the same whichever job runs it and whatever ran before. */
void dec_fix_estimate(decider *d, uint64_t steps);

/* The core: a value in [0, n). `proposal` is the strategy's choice (ignored
 * in DEC_INPUT mode). */
uint32_t dec_value(decider *d, uint32_t n, uint32_t proposal);

/* Per-step event: 0 nothing, 1 switch, 2 signal. */
enum { EV_NONE = 0, EV_SWITCH = 1, EV_SIGNAL = 2 };
/* cur: the running actor; steps: the execution's so far. */
int dec_event(decider *d, dec_actor *cur, uint64_t steps);
/* In mixed delivery, whether the signal just decided is delivered remotely. */
bool dec_remote(decider *d);
/* For a target with n > 1 signals, which one it is. */
unsigned dec_signal(decider *d, unsigned n);
/* Which runnable actor (index among the `n` runnable ones other than the
 * running one, in the scheduler's order) runs next. self: the running
 * actor, or the scheduler's own before any runs (running false). */
uint32_t dec_pick(decider *d, dec_actor *self, bool running, uint32_t n, bool after_event);
/* A program choice in [0, n), of self (an actor, or the scheduler's in setup). */
uint32_t dec_choose(decider *d, dec_actor *self, uint32_t n);

/* The recording, trailing zero bytes trimmed. */
const uint8_t *dec_recording(const decider *d, size_t *len);

#endif
