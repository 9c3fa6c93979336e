/*
 * mutator.h — a mutator thread: runs call programs on a real stack.
 *
 * A mutator's stack is built from frame shapes (shapes.h) that record
 * themselves in its shadow stack. From time to time it parks in a foreign
 * call: it saves the context of the frame that made the call (pc, sp, fp),
 * publishes MUT_FOREIGN and blocks in a system call, as a Go thread in a cgo
 * call does (entersyscall saves syscallpc/syscallsp; Go 1.6 proc.go). A
 * sampler that interrupts a parked thread walks from that saved context,
 * and the scanner installs and removes barriers only in parked threads.
 *
 * The state word is the handshake between the three (Go's _Gsyscall and
 * _Gscan bits, proc.go):
 *   RUNNING            the thread runs its own frames; nobody else writes
 *                      its stack or its barrier table.
 *   FOREIGN            parked; saved is valid; the scanner may take it.
 *   FOREIGN|SCAN       the scanner owns the stack's barriers: the thread,
 *                      returning from its foreign call, waits for SCAN to
 *                      clear before it runs its frames again.
 *   FOREIGN|PROF       a remote profiler holds the thread parked to walk it
 *                      (a parked thread needs no signal to be stopped: it is
 *                      held, as Go's suspendG holds a goroutine in a system
 *                      call by its scan bit). PROF and SCAN may both be set:
 *                      the scanner and the profiler do not exclude each other
 *                      by the state word; the barrier lock orders them (or,
 *                      in the unlocked variant, nothing does: the seed bug).
 * The scanner and the profiler set their bit with a compare-and-swap from a
 * FOREIGN state without it (acquire) and clear it with a release; the thread
 * leaves FOREIGN with a compare-and-swap from FOREIGN alone (acquire), so it
 * waits while either bit is set, and enters it with a release store.
 */
#ifndef STRESS_MUTATOR_H
#define STRESS_MUTATOR_H
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "barrier.h"
#include "shadow.h"

struct stress_config;

enum { MUT_RUNNING = 0, MUT_FOREIGN = 1, MUT_SCAN = 2, MUT_PROF = 4 };

typedef struct saved_ctx {
    uintptr_t pc, sp, fp;
} saved_ctx;

/* What the samplers counted on one thread (relaxed atomics: the thread's own
 * handler and the profiler both count; the main thread reads for progress). */
typedef struct stress_counts {
    atomic_ulong samples, exact, declined, stopped, lost, wrong, faults; /* verdict.h */
    atomic_ulong skipped;                     /* not walked: the sampler's protocol */
    atomic_ulong running, foreign, lock_busy; /* which path the sample took */
    atomic_ulong frames;                      /* frames in exact walks */
    atomic_ulong throttled;                   /* signals not sampled: the duty-cycle cap */
    atomic_ulong aimed;                       /* samples at a breakpoint's point (aim.h) */
} stress_counts;

/* Remote handshake (sampler.c): the profiler asks, the thread's handler
 * saves its context, says stopped, and waits to be resumed. */
enum { HS_IDLE = 0, HS_ASKED = 1, HS_STOPPED = 2, HS_RESUME = 3 };

typedef struct mutator {
    shadow shadow;
    barrier_table barriers;
    atomic_uint state;
    saved_ctx saved;          /* the foreign call's caller, while FOREIGN */
    volatile int transition;  /* the shadow is knowingly out of step (longjmp) */

    /* the call program (program.h) */
    const struct stress_config *cfg;
    uint64_t rng;
    unsigned recurse;
    uintptr_t callee_slot;    /* the next callee's return slot (shape_body.h) */
    struct {
        jmp_buf *jb;
        unsigned depth;
        uintptr_t slot;
    } catchers[8];
    unsigned ncatch;
    unsigned in_trap;         /* trap handlers' programs running (nested: shape_body.h) */
    unsigned trap_catch_base; /* catchers below it are outside the handler */
    uintptr_t probe_ra[3];    /* shapes_init's checks: tail's, leaf's; throw's */
    bool probing;
    atomic_int stop;

    bool signalled_self;      /* bench-walkers: the program has stopped to be walked */
    unsigned index;
    pid_t pid, tid;
    pthread_t thread;
    uintptr_t stack_lo, stack_hi; /* the thread's stack, guard page excluded */
    uintptr_t alt_lo, alt_hi;     /* its signal stack, guard page excluded */
    void *stack_map, *alt_map;    /* the mappings, guard pages included */
    size_t stack_map_size, alt_map_size;
    bool on_alt;                  /* sigaltstack enabled for the next trap */
    bool aiming;                  /* aim_fd is the thread's breakpoint (aim.h) */
    int aim_fd;
    uint64_t aim_rng;
    stack_t alt_ss;

    atomic_int hs;
    saved_ctx stopped_at; /* the interrupted context, while HS_STOPPED */
    const void *stopped_uc; /* its ucontext_t, on the thread's stack */
    timer_t timer;
    bool has_timer;
    long long last_sample_end, last_sample_cost; /* the same-thread duty-cycle cap */
    stress_counts counts;
    atomic_ulong calls, foreign_calls, traps, nested_traps, longjmps;
} mutator;

/* The mutator the calling thread is (NULL on other threads). Initial-exec:
 * read in a trap handler before it records itself, where a call to the TLS
 * resolver would be a frame the shadow does not know. */
extern __thread mutator *mutator_self __attribute__((tls_model("initial-exec")));

/* Starts m's thread (its stacks mapped here); 0 or an errno. */
int mutator_start(mutator *m, unsigned index, const struct stress_config *cfg, uint64_t seed);
/* Asks m to unwind its program and exit, and joins it. */
void mutator_stop(mutator *m);
/* Sets bit (MUT_SCAN or MUT_PROF) if m is parked and the bit is clear. */
bool mutator_hold(mutator *m, unsigned bit);
/* Clears it: the thread may resume once no bit is left. */
void mutator_release(mutator *m, unsigned bit);
/* Unmaps m's stacks (after mutator_stop). */
void mutator_unmap(mutator *m);
/* The foreign call (mutator.c): park for about us microseconds. */
void mutator_foreign(mutator *m, unsigned us);
/* Whether addr is in one of m's stacks (n bytes from addr). */
bool mutator_owns(const mutator *m, uintptr_t addr, size_t n);
#endif
