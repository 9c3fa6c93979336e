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
 */
#ifndef STACKRACE_RACE_H
#define STACKRACE_RACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct exec;
struct sr_stack;

#define RACE_CLOCKS 17 /* MAX_ACTORS actors and the scheduler */

typedef struct race_vc {
    uint32_t c[RACE_CLOCKS];
} race_vc;

typedef struct race_names {
    const void *lo, *hi;  /* a named range of the target state */
    const char *role;     /* "next": what the signature uses */
    const char *owner;    /* "G1": what the narrative adds */
} race_names;

typedef struct race {
    bool on;
    uint32_t gen;          /* this execution's generation, never 0 */
    uint32_t stride;       /* bytes per shadow word this execution */
    uint8_t *state_shadow; /* one shadow word per 8 bytes of target state */
    size_t state_cap;      /* bytes allocated */
    uint8_t *stack_shadow[32]; /* per stack (MAX_STACKS) */
    size_t stack_cap[32];
    race_vc *sync;         /* clocks of locks and atomic words */
    uint32_t nsync, sync_cap;
    race_vc vc[RACE_CLOCKS]; /* each actor's clock, and the scheduler's */
    race_vc suspend, resume; /* remote-suspend handshakes */
    const char *where[256];  /* interned code locations */
    uint32_t nwhere;
    race_names names[256];
    uint32_t nnames;
} race;

void race_init(race *r);
void race_free(race *r);
/* Per execution, after reset and before setup. */
void race_begin(struct exec *e);
/* A new actor starts from the scheduler's clock. */
void race_spawn(struct exec *e, int actor);

/* Plain accesses: p is a pointer into the target state, or NULL with a
 * stack address. */
void race_read(struct exec *e, const void *p, uint64_t stack_addr, const char *where);
void race_write(struct exec *e, const void *p, uint64_t stack_addr, const char *where);
/* Synchronization on the word or lock at p (in the target state). */
void race_acquire(struct exec *e, const void *p);
void race_release(struct exec *e, const void *p);
/* Remote-suspend: the victim is frozen / the handler is done. */
void race_suspend(struct exec *e, int victim, int handler);
void race_resume(struct exec *e, int victim, int handler);

void race_name(struct exec *e, const void *p, unsigned long size, const char *role,
               const char *owner);
/* Stack s moved from old_n words to new_n, keeping the top `kept` words in
 * their places counted from the top: their history moves with them. */
void race_stack_moved(struct exec *e, const struct sr_stack *s, uint32_t old_n, uint32_t new_n,
                      uint32_t kept);
#endif
