/*
 * engine.h — the model engine's internal state, shared by its modules.
 *
 * One `exec` is one execution of a target under one schedule. It lives in
 * an `engine`, which is per OS thread and keeps what is expensive to build
 * (fiber stacks, word arrays, trace buffers) across executions. The public
 * API functions (sr_load, sr_call, ...) find the running execution through
 * a thread-local pointer, so `--jobs N` runs N independent engines.
 *
 * Modules and prefixes (this header is the engine's; the modules below it
 * include it, the ones it includes never include it back):
 *   exec.c      exec_    lifecycle, the scheduling point, switching, aborting
 *   memory.c    (sr_)    shared words and model locks
 *   stack.c     stk_     stacks, symbols, calls/returns, ground truth
 *   walk.c      walk_    the walk oracle
 *   signal.c    sig_     signal delivery (same-thread and remote-suspend)
 *   watch.c     watch_   check 5's view of the execution: accesses, races told
 *   api.c       (sr_)    actors, program choices, throws, annotations
 * Below it, knowing nothing of the engine:
 *   decide.c    dec_     decisions: read from bytes or made by a strategy,
 *                        always recorded as bytes (over dec_actor, a runnable set)
 *   race.c      race_    the happens-before detector (over race_at words)
 *   trace.c     trace_   the event trace and its hash
 *   finding.c   finding_ findings and their signatures
 *   fiber.c     fiber_   the actors' stacks and switches
 * Around the engine (same library, used by the CLI and the tests):
 *   run.c       run_     running a target from a schedule
 *   minimize.c  run_minimize, plan-based ddmin
 *   hunt.c      hunt_    the search: jobs, seeds, saving, minimizing (hunt.h)
 *   schedfile.c sched_   the schedule file format
 *   scenario.c  scenario_ defaults, checks, scenarios drawn from bytes
 *   report.c    report_  narrative, trace, SVG, JSON strings
 * scripts/structure checks that no circle comes back.
 */
#ifndef STACKRACE_ENGINE_H
#define STACKRACE_ENGINE_H

#include <setjmp.h>
#include <stdatomic.h>

#include "stackrace/model.h"
#include "fiber.h"
#include "decide.h"
#include "trace.h"
#include "finding.h"
#include "feedback.h"
#include "race.h"

#define EXEC_MAX_REPORTS 8 /* non-fatal findings kept per execution */
#define MAX_STACKS 32
#define STACK_REGION 0x7f0000000000ull
#define STACK_STRIDE 0x100000ull   /* one stack per MiB of address space */
#define STACK_MAX_BYTES 0x40000u   /* 256 KiB */
#define STACK_HOMES 3              /* homes of STACK_MAX_BYTES in a stack's stride (the
                                      last quarter stays empty, so that no stack's hi is
                                      the next stride's first address): a move goes to the
                                      next home, so an address into a home it left is
                                      recognised as stale (stack.c) */
#define FIBER_STACK_BYTES (256u * 1024u)

typedef enum actor_state {
    ACT_RUNNABLE,
    ACT_BLOCKED,   /* waiting for a model lock */
    ACT_FROZEN,    /* suspended by a remote signal */
    ACT_IDLE,      /* the profiler with nothing to do */
    ACT_DONE
} actor_state;

struct sr_actor {
    fiber fib;
    int id;
    const char *name;
    char display[32];
    unsigned flags;
    sr_actor_fn fn;
    void *arg;
    actor_state state;
    sr_lock *waiting_on;
    sr_pc pc;
    sr_addr sp;
    unsigned handler_depth;   /* >0 while running a signal handler */
    uint32_t handling;        /* bit i: signal i's handler runs on this actor */
    uint32_t blocked;         /* bit i: signal i cannot land (the handlers' masks) */
    unsigned walks_open;      /* sr_walk_begin without sr_walk_end yet */
    const char *waiting_where; /* where it blocked on waiting_on */
    sr_actor *interrupted;    /* whose signal this actor is handling */
    uint64_t point;           /* its last scheduling point (feedback_point) */
    dec_actor dec;            /* what the decider keeps of it (dec.id == id) */
};

typedef struct gt_frame {
    sr_addr slot;  /* address of the return slot */
    sr_pc ret;     /* the true return PC */
} gt_frame;

struct sr_stack {
    char name[24];
    int id;
    sr_addr lo, hi;
    sr_word *words;          /* (hi - lo) / 8 words, reused across executions */
    uint32_t cap_words;
    /* Ground truth: frames[0] is the outermost. prefix[d] hashes frames[0..d). */
    gt_frame frames[SR_WALK_MAX];
    uint64_t prefix[SR_WALK_MAX + 1];
    unsigned depth;
    sr_walk *walks;          /* walks in progress over this stack */
    unsigned home;           /* which of its STACK_HOMES it is in now */
    unsigned homes_left;     /* bit k: it lived in home k earlier this execution */
};

typedef struct exec_stats {
    uint64_t signals, walks_complete, walks_declined, walks_unjudged, returns, trampolines,
        switches;
} exec_stats;

typedef struct exec {
    const sr_target *target;
    sr_scenario sc;
    void *state;
    size_t state_cap;

    sr_actor actors[MAX_ACTORS];
    int nactors;
    sr_stack stacks[MAX_STACKS];
    int nstacks;
    sr_actor *cur;
    sr_actor scheduler;        /* id MAX_ACTORS: owns the decisions no actor makes
                                  (the first pick, program choices in setup) */
    sr_actor *profiler;
    sr_sigctx remote_ctx;      /* the request the profiler serves */
    bool remote_pending;
    fiber main_fiber;
    bool in_setup;
    jmp_buf setup_exit;        /* a check that fails in setup ends the execution here */

    decider dec;
    uint64_t steps;
    const atomic_bool *stop;   /* if set and true, the execution ends early */
    feedback fb;               /* interleaving features for a fuzzer, or off */
    race race;                 /* check 5 */
    bool stopped;
    trace tr;
    size_t last_event[MAX_ACTORS]; /* full trace: 1 + index of each actor's last event */
    finding fail;
    bool failed;
    finding reports[EXEC_MAX_REPORTS];
    unsigned nreports;
    exec_stats stats;
} exec;

extern _Thread_local exec *exec_current;

/* exec.c */
typedef struct exec_result {
    bool failed;             /* some check failed: f is the primary finding */
    bool fatal;              /* f ended the execution (else f is reports[0]) */
    bool stopped;            /* ended early by exec->stop: no verdict */
    finding f;
    unsigned nreports;       /* findings that let the execution go on (races) */
    finding reports[EXEC_MAX_REPORTS];
    uint64_t steps;
    uint64_t trace_hash;
    exec_stats stats;
} exec_result;

void exec_init(exec *e);
void exec_free(exec *e);
/* Run one execution. The decider must have been prepared by the caller
 * (dec_start_*). */
void exec_run(exec *e, const sr_target *t, const sr_scenario *sc, exec_result *out);
/* The scheduling point: trace the step, maybe deliver a signal, maybe
 * switch. Every API call that touches shared state ends in one. */
void exec_point(int kind, uint64_t addr, uint64_t value, const char *text);
/* Switch away from the current actor because it cannot run (blocked,
 * frozen, idle, done) or yields. */
void exec_reschedule(void);
_Noreturn void exec_fail(int check, const char *msg);
_Noreturn void exec_fail_detail(int check, const char *msg, const char *where,
                                const char *detail);
/* A check of the target's own (sr_fail), under the target's name for it. */
_Noreturn void exec_fail_check(const char *check_name, const char *msg, const char *where);
/* Fold an event into the trace hash (and full trace) without deciding. */
void exec_event(int kind, uint64_t addr, uint64_t value, const char *text);
uint64_t exec_stable_addr(const void *p);
/* A finding that does not end the execution (a data race): recorded once
 * per message, and the execution goes on. */
void exec_report(int check, const char *msg, const char *where, const char *detail);
sr_actor *exec_spawn(exec *e, const char *name, unsigned flags, sr_actor_fn fn, void *arg);
sr_actor *exec_next_runnable(exec *e, sr_actor *after, uint32_t skip);
int exec_count_runnable(exec *e, const sr_actor *except);

/* stack.c */
void stk_reset(exec *e);
sr_stack *stk_of(exec *e, sr_addr addr);
/* The stack whose earlier home (before an sr_stack_move) holds addr. */
sr_stack *stk_moved_from(exec *e, sr_addr addr);
const char *stk_symbol(const sr_target *t, sr_pc pc, char *buf, size_t len);
void stk_gt_push(sr_stack *s, sr_addr slot, sr_pc ret);
void stk_gt_pop(sr_stack *s);

/* walk.c */
void walk_note_change(sr_stack *s);

/* watch.c: check 5's view of the execution. A plain access of the target
 * state (p) or of a stack word (p NULL, stack_addr); synchronization on the
 * word or lock at p; a name for a range of the target state. */
void watch_read(exec *e, const void *p, sr_addr stack_addr, const char *where);
void watch_write(exec *e, const void *p, sr_addr stack_addr, const char *where);
void watch_acquire(exec *e, const void *p);
void watch_release(exec *e, const void *p);
void watch_name(exec *e, const void *p, size_t size, const char *role, const char *owner);

/* signal.c */
/* How many signals the target has (0, 1 for on_signal, or nsignals). */
unsigned sig_count(const sr_target *t);
void sig_deliver(exec *e, bool remote, unsigned signo);
bool sig_can_land(exec *e, const sr_actor *a, bool remote, unsigned signo);
void sig_spawn_profiler(exec *e, const char *name);

#endif
