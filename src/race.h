/*
 * race.h — check 5: a happens-before race detector over the model's shared
 * accesses.
 *
 * Every actor has a vector clock; so has the setup (the "scheduler", id
 * MAX_ACTORS), from which every actor starts. Synchronization is what the
 * model says it is, nothing else:
 *   - model locks: acquiring joins the lock's clock, releasing publishes the
 *     releaser's;
 *   - atomics (sr_atomic_load/sr_atomic_store/sr_cas): a store or a
 *     successful CAS releases into the word's clock, a load or any CAS
 *     acquires from it;
 *   - remote-suspend signals: the victim releases when it is frozen and the
 *     handler's actor acquires; the handler releases when it is done and the
 *     victim acquires when it runs again. (A same-thread handler runs on the
 *     victim: program order.)
 * Plain accesses (sr_load/sr_store, stack words, the slots calls and
 * returns write and read) are checked: two accesses to one word by two
 * actors, at least one a write, with neither ordered before the other, are a
 * data race. Per word the detector keeps the last write and each actor's
 * last read (FastTrack's epochs, Flanagan and Freund, PLDI 2009, without the
 * adaptive read sets: actors are few).
 *
 * Deterministic like everything else: clocks are functions of the schedule.
 * Shadow words carry the execution's generation, so nothing is cleared
 * between executions.
 *
 * The detector knows nothing of the engine: the engine (watch.c) says where
 * an access is (a word of the target state or of a stack, by index), who
 * makes it and when, and the detector hands back the races it makes; the
 * engine tells them.
 */
#ifndef STACKRACE_RACE_H
#define STACKRACE_RACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RACE_CLOCKS 17 /* MAX_ACTORS actors and the scheduler */
#define RACE_STACKS 32 /* MAX_STACKS */

typedef struct race_vc {
    uint32_t c[RACE_CLOCKS];
} race_vc;

typedef struct race_names {
    size_t lo, hi;        /* a named range of the target state: byte offsets */
    const char *role;     /* "next": what the signature uses */
    const char *owner;    /* "G1": what the narrative adds */
} race_names;

typedef struct race {
    bool on;
    uint32_t gen;          /* this execution's generation, never 0 */
    uint32_t stride;       /* bytes per shadow word this execution */
    uint8_t *state_shadow; /* one shadow word per 8 bytes of target state */
    size_t state_cap;      /* bytes allocated */
    uint8_t *stack_shadow[RACE_STACKS];
    size_t stack_cap[RACE_STACKS];
    race_vc *sync;         /* clocks of locks and atomic words */
    uint32_t nsync, sync_cap;
    race_vc vc[RACE_CLOCKS]; /* each actor's clock, and the scheduler's */
    race_names names[256];
    uint32_t nnames;
} race;

/* Where an access is, and who makes it when. */
#define RACE_STATE (-1)
typedef struct race_at {
    int stack;             /* RACE_STATE: the target state; else the stack's id */
    size_t word;           /* the word's index in it */
    size_t words;          /* the words it has */
    unsigned actor;        /* who */
    uint32_t step;         /* the execution's step */
    unsigned nactors;      /* actors in the execution (all spawned: setup is over) */
} race_at;

typedef struct race_access {
    const char *kind;      /* "read", "write" */
    const char *where;
    unsigned actor;
    uint32_t step;
} race_access;

/* The races one access makes, in the order found: with the word's last
 * write, then (a write) with each actor's last unordered read. */
typedef struct race_found {
    unsigned n;
    struct {
        race_access first, second;
    } race[RACE_CLOCKS + 1];
} race_found;

void race_init(race *r);
void race_free(race *r);
/* Per execution, after reset and before setup. */
void race_begin(race *r);
/* A new actor starts from the scheduler's clock. */
void race_spawn(race *r, int actor);

/* Plain accesses, after setup; true if found holds races. */
bool race_read(race *r, const race_at *at, const char *where, race_found *found);
bool race_write(race *r, const race_at *at, const char *where, race_found *found);
/* Synchronization on the word or lock at `at` (in the target state). */
void race_acquire(race *r, const race_at *at);
void race_release(race *r, const race_at *at);
/* Remote-suspend: the victim is frozen / the handler is done. */
void race_suspend(race *r, int victim, int handler);
void race_resume(race *r, int victim, int handler);

/* Names [offset, offset + size) of the target state, for the reports. */
void race_name(race *r, size_t offset, size_t size, const char *role, const char *owner);
const race_names *race_name_of(const race *r, size_t offset);
/* Stack `stack` moved from old_n words to new_n, keeping the top `kept`
 * words in their places counted from the top: their history moves with
 * them. */
void race_stack_moved(race *r, int stack, uint32_t old_n, uint32_t new_n, uint32_t kept);
#endif
