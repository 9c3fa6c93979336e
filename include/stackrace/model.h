/*
 * stackrace/model.h — the model API: what a target author writes against.
 *
 * A target models one system under test (a walker, a rewriter and a sampler)
 * as ordinary C code run by the deterministic model engine. The engine runs
 * every actor (thread) of the model as a fiber on one OS thread and decides,
 * at every *scheduling point*, whether to keep running the current actor,
 * switch to another, or deliver a signal. Those decisions come from the
 * schedule (bytes, or a strategy that records bytes), so the same schedule
 * always gives the same execution.
 *
 * The contract, in one paragraph: every access to state that two actors
 * share MUST go through this API (sr_load, sr_store, sr_cas, the locks, the
 * stack-word accessors). Each such call is a scheduling point, so a signal or
 * another actor can run between any two of them. Granularity is the
 * modeller's promise: if the real system makes a transition with two stores
 * (switch g, then switch SP), model it with two calls, so that the window
 * between them exists in the model too. Code between two API calls runs
 * atomically with respect to the model.
 *
 * Machine stacks are owned by the engine. A stack is an array of 64-bit words
 * at synthetic addresses; PCs are synthetic and symbolized from the target's
 * function table. The engine keeps the ground truth of every stack (the
 * logical chain of return PCs, as sr_call/sr_ret built it), whatever the
 * rewriter writes into the stack words. That ground truth is what the walk
 * oracle and the rewriter-bookkeeping checks compare against.
 *
 * Calling convention (x86-64 style): sr_call pushes the return PC into a
 * new slot at SP-8 and jumps to the callee's entry (SP delta 0); the
 * callee's prologue (a second step of sr_call) lowers
 * SP by the callee's frame size. sr_ret raises SP by the frame size (the
 * epilogue), then pops the return slot and jumps to the word it held. A word
 * that is a trampoline PC (a function whose table entry has a trampoline)
 * runs that trampoline on the returning actor; the trampoline says where
 * control really goes, and the engine checks that it is the true caller.
 *
 * Nothing here is specific to any runtime: a runtime's stack barriers are one
 * target (targets/go), written against this header only.
 */
#ifndef STACKRACE_MODEL_H
#define STACKRACE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SR_API_VERSION 1

/* A function that does not return, in C11 and in C++. */
#ifdef __cplusplus
#define SR_NORETURN [[noreturn]]
#else
#define SR_NORETURN _Noreturn
#endif

typedef uint64_t sr_word;   /* a machine word of the model */
typedef uint64_t sr_addr;   /* a synthetic address (stack words) */
typedef uint64_t sr_pc;     /* a synthetic program counter */

typedef struct sr_actor sr_actor; /* one thread of the model (opaque) */
typedef struct sr_stack sr_stack; /* one machine stack (opaque) */

/* ------------------------------------------------------------------ */
/* Functions and PCs                                                  */
/* ------------------------------------------------------------------ */

/*
 * A trampoline runs when a return pops a word that is this function's PC.
 * `sp` is the stack pointer after the pop (the popped slot is at sp - 8).
 * It runs on the returning actor with its own scheduling points, and returns
 * the PC execution continues at. The engine checks that PC against the
 * ground truth: a trampoline that returns anywhere but the true caller has
 * lost a return address (a rewriter-bookkeeping finding).
 */
typedef sr_pc (*sr_trampoline_fn)(void *target_state, sr_addr sp);

typedef struct sr_func {
    const char *name;        /* symbol, e.g. "runtime.mcall" */
    uint32_t frame_size;     /* bytes below the return slot, multiple of 8 */
    sr_trampoline_fn trampoline; /* non-NULL: this function is a trampoline */
} sr_func;

/* PC layout: function i of the target's table occupies
 * [SR_PC_BASE + i*SR_FUNC_SPAN, +SR_FUNC_SPAN). Offset 0 is the entry (SP
 * delta 0, before the prologue), SR_PC_EPILOGUE is after the epilogue (SP
 * delta 0 again), anything in between is the body (SP delta = frame size). */
#define SR_PC_BASE      0x400000u
#define SR_FUNC_SPAN    0x1000u
#define SR_PC_BODY      0x10u
#define SR_PC_EPILOGUE  0xff0u
#define SR_PC(i)        ((sr_pc)SR_PC_BASE + (sr_pc)(i) * SR_FUNC_SPAN)

/* Index of the function containing pc, or -1 if pc is not a target PC. */
int sr_pc_func(sr_pc pc);
/* Stack-pointer delta at pc: how far SP is below the return slot's address
 * minus 8 (0 at entry and after the epilogue, frame_size in the body).
 * Returns -1 for a PC outside the function table. Pure, no scheduling. */
int64_t sr_pc_spdelta(sr_pc pc);
/* "name+0xoff" into buf; returns buf. */
const char *sr_pc_symbol(sr_pc pc, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Scenario: the shape of one execution                               */
/* ------------------------------------------------------------------ */

typedef enum sr_delivery {
    SR_DELIVER_SAME_THREAD = 0, /* handler nested on the interrupted actor */
    SR_DELIVER_REMOTE = 1,      /* victim frozen, handler on the profiler actor */
    SR_DELIVER_MIXED = 2        /* the schedule picks per signal */
} sr_delivery;

typedef struct sr_scenario {
    uint32_t mutators;        /* mutator actors the target creates */
    uint32_t program_len;     /* operations in each mutator's program */
    uint32_t scan_rate;       /* per 1000: how eager the rewriter's agent is */
    uint32_t signal_rate;     /* per 1000 steps (strategies only) */
    uint32_t switch_rate;     /* per 1000 steps (random strategy only) */
    uint32_t barrier_spacing; /* 0: every frame; else first offset in bytes, doubling */
    sr_delivery delivery;
    uint32_t max_steps;       /* step budget; exceeding it is a hang */
} sr_scenario;

/* ------------------------------------------------------------------ */
/* Actors                                                             */
/* ------------------------------------------------------------------ */

typedef void (*sr_actor_fn)(void *arg);

enum {
    SR_ACTOR_SIGNALABLE = 1u << 0, /* signals may land on this actor */
    SR_ACTOR_DAEMON = 1u << 1      /* the execution ends without waiting for it */
};

/* Create an actor (only from a target's setup). `arg` is its private state,
 * returned by sr_private(). The name is used in narratives ("M1"). */
sr_actor *sr_spawn(const char *name, unsigned flags, sr_actor_fn fn, void *arg);
/* Create the actor that runs signal handlers in remote delivery, under a
 * name of the target's choosing (only from setup; optional: without it the
 * engine creates one named by sr_target.profiler_name or "profiler"). In
 * same-thread delivery this does nothing and returns NULL. */
sr_actor *sr_spawn_profiler(const char *name);
sr_actor *sr_self(void);
void *sr_private(sr_actor *a);
const char *sr_actor_name(sr_actor *a);
/* Set the actor's display name (e.g. "M1/G1" while it runs G1). No
 * scheduling point; the narrative picks it up from the next step on. */
void sr_set_display(const char *display);

/* ------------------------------------------------------------------ */
/* Shared memory and synchronization (each call is a scheduling point) */
/* ------------------------------------------------------------------ */

/* Plain accesses: checked for data races (check 5). `where` (the calling
 * function, filled in by the macros) locates them in race reports. */
sr_word sr_load_at(const sr_word *p, const char *where);
void sr_store_at(sr_word *p, sr_word v, const char *where);
#define sr_load(p) sr_load_at((p), __func__)
#define sr_store(p, v) sr_store_at((p), (v), __func__)
/* Atomic accesses (sequentially consistent, like Go's sync/atomic): a store
 * releases, a load acquires; they are synchronization, never races. */
sr_word sr_atomic_load(const sr_word *p);
void sr_atomic_store(sr_word *p, sr_word v);
/* Atomic compare-and-swap; returns true and stores `new` if *p == old. */
bool sr_cas(sr_word *p, sr_word old, sr_word new_value);
/* Names a range of the target state for race reports: `role` (e.g.
 * "queue.next") is what the finding's signature uses, `owner` (e.g. "T1")
 * what the narrative adds. Only from setup; the strings must outlive the
 * execution. */
void sr_name(const void *p, size_t size, const char *role, const char *owner);
/* A scheduling point with no access: a hint that the actor is spinning.
 * By default the schedule switches to another runnable actor here. */
void sr_yield(void);
/* A scheduling point with no access and no hint (a step of local work). */
void sr_step(void);

/* A model lock. Zero-initialized is unlocked. Contended sr_lock blocks the
 * actor (it is not runnable until the lock is free); a blocking sr_lock from
 * a signal handler on a lock the interrupted actor holds is a self-deadlock
 * finding, and no runnable actor at all is a deadlock finding. */
typedef struct sr_lock {
    sr_actor *owner;
    const char *name;
} sr_lock;

void sr_lock_acquire_at(sr_lock *l, const char *where);
/* `where` (the calling function) locates deadlock findings, so one bug gives
 * one signature whichever lock instance it involves. */
#define sr_lock_acquire(l) sr_lock_acquire_at((l), __func__)
bool sr_lock_try(sr_lock *l);
void sr_lock_release(sr_lock *l);
bool sr_lock_held_by_self(const sr_lock *l);

/* ------------------------------------------------------------------ */
/* Machine stacks, registers, calls and returns                       */
/* ------------------------------------------------------------------ */



/* A new stack of `size` bytes (multiple of 8), only from setup. */
sr_stack *sr_stack_new(const char *name, uint32_t size);
sr_addr sr_stack_lo(const sr_stack *s);
sr_addr sr_stack_hi(const sr_stack *s);
/* The stack containing addr (lo <= addr <= hi), or NULL. */
sr_stack *sr_stack_of(sr_addr addr);
/* Moves stack s to a new address range of `size` bytes (0: the same size),
 * as a runtime that grows, shrinks or copies a thread's stack does. The
 * live words (from the lowest SP of any actor on the stack, or the
 * innermost return slot, up) keep their distance from the top; the engine
 * moves its ground truth, the SP of every actor on the stack and the walks
 * in progress over it. Everything else that points into the stack — your
 * side tables, saved contexts, a walker's local variables — is yours to
 * fix: an access through a pointer into a range the stack left in its last
 * two moves is a rewriter finding (a stack has three homes, taken in turn).
 * sr_stack_lo/hi tell the new range. One scheduling point; the move counts
 * as a write of every word it keeps (check 5). */
void sr_stack_move(sr_stack *s, uint32_t size);

/* Stack words: scheduling points, and plain accesses for check 5.
 * Loading or storing a word outside every stack is a target bug
 * (reported). */
sr_word sr_stack_load_at(sr_addr addr, const char *where);
void sr_stack_store_at(sr_addr addr, sr_word v, const char *where);
#define sr_stack_load(a) sr_stack_load_at((a), __func__)
#define sr_stack_store(a, v) sr_stack_store_at((a), (v), __func__)

/* The current actor's registers. sr_set_sp and sr_set_pc are scheduling
 * points (a signal can land right after either). */
sr_addr sr_sp(void);
sr_pc sr_pcreg(void);
void sr_set_sp(sr_addr sp);
void sr_set_pc(sr_pc pc);

/* Start running function `fi` as the outermost frame of stack s (SP = hi -
 * frame size, no return slot). Not a scheduling point. */
void sr_enter(sr_stack *s, int fi);
/* Call function fi: two steps (push the return slot and jump; prologue). */
void sr_call(int fi);
/* Return from the current function: two steps (epilogue; pop and jump),
 * plus the trampoline's steps if the popped word is a trampoline PC. */
void sr_ret(void);
/* A multi-frame unwind (longjmp, a panic's recovery, a C++ exception): the
 * current actor's frames below `sp` are popped at once — no epilogues, no
 * returns, no trampolines — and it goes on at `pc` with SP = sp. `sp` must
 * be where a live frame's body runs (sr_sp() there, as setjmp would save
 * it) and `pc` a PC of that frame's function. One scheduling point. The
 * rewriter must forget what it kept for the popped frames: their slots
 * are dead, and the next calls reuse them. */
void sr_unwind(sr_addr sp, sr_pc pc);
/* Frames on a stack's ground truth (for targets' own bookkeeping/tests). */
unsigned sr_stack_depth(const sr_stack *s);

/* ------------------------------------------------------------------ */
/* Signals                                                            */
/* ------------------------------------------------------------------ */

/* What a signal handler gets: the interrupted actor and its registers at
 * the moment the signal landed. In same-thread delivery the handler runs on
 * the victim itself; in remote delivery it runs on the profiler actor while
 * the victim is frozen. */
typedef struct sr_sigctx {
    sr_actor *victim;
    sr_pc pc;
    sr_addr sp;
    bool remote;
    unsigned signo;   /* which signal: its index in sr_target.signals (0 for on_signal) */
    bool nested;      /* it landed while a handler (of another signal) ran on the victim */
} sr_sigctx;

typedef void (*sr_signal_fn)(void *target_state, const sr_sigctx *ctx);

/* A target with several signals (a runtime's own suspension signal and a
 * profiling signal, say) lists them in sr_target.signals; the schedule
 * picks which one lands. A signal never lands on an actor that is running
 * its handler (as a Unix signal without SA_NODEFER), but another signal can:
 * in same-thread delivery its handler then runs nested in the first one's,
 * unless the first one blocks it (`blocks`, as sa_mask does). Remote
 * delivery ignores masks (a profiler thread's SuspendThread does not ask),
 * though not a victim's running handler of that same signal. */
#define SR_MAX_SIGNALS 8
typedef struct sr_signal {
    const char *name;        /* "profiling", "activation": shown where it lands */
    sr_signal_fn handler;
    uint32_t blocks;         /* bit i: signal i cannot land while this handler runs */
} sr_signal;

/* True while the current actor runs a signal handler. */
bool sr_in_handler(void);

/* ------------------------------------------------------------------ */
/* Decisions the target asks the schedule for                         */
/* ------------------------------------------------------------------ */

/* A value in [0, n): what a mutator's program does next. The default (when
 * the schedule bytes run out) is 0, so make 0 the quiet choice. */
uint32_t sr_choose(uint32_t n);

/* ------------------------------------------------------------------ */
/* Checks                                                             */
/* ------------------------------------------------------------------ */

/* Check 1, target asserts: the target's own fatal error (a runtime's throw). Ends
 * the execution with a finding; does not return. */
SR_NORETURN void sr_throw_at(const char *msg, const char *where);
#define sr_throw(msg) sr_throw_at((msg), __func__)

/* The target's own checks: an invariant of the mechanism that the engine
 * cannot know ("the patched slot still holds the trampoline when the
 * rewriter restores it"). Ends the execution with a finding whose check is
 * `check`: 1-31 characters of a-z, 0-9 and '-', not one of the engine's
 * names; it prefixes the finding's file name (patch-lost-<hash>.sched).
 * `msg` must not vary between schedules (no addresses: they go in a note),
 * so that one bug gives one signature. Does not return. */
SR_NORETURN void sr_fail_at(const char *check, const char *msg, const char *where);
#define sr_fail(check, msg) sr_fail_at((check), (msg), __func__)

/* Check 2, the walk oracle. A walker reports what it found; the engine
 * compares the return PCs with the ground truth of the walked stack at some
 * moment between sr_walk_begin and sr_walk_end (exactly the snapshot when
 * the stack did not change). Frames are reported innermost first; the first
 * reported PC is the walk's starting PC and is not compared. Every
 * sr_walk_begin needs its sr_walk_end before the handler (or actor) that
 * began it returns; the sr_walk lives in the walker's frame. */
#define SR_WALK_MAX 128
typedef struct sr_walk {
    struct sr_stack *stack;
    sr_addr sp;              /* frames with return slots above sp are compared */
    unsigned n;
    sr_pc pcs[SR_WALK_MAX];
    /* engine bookkeeping: the ground-truth states seen during the walk */
    struct sr_walk *next_active;
    unsigned nseen;
    bool seen_overflow;
    uint64_t seen[32];
} sr_walk;

typedef enum sr_walk_end_kind {
    SR_WALK_COMPLETE = 0,  /* reached the outermost frame: compared */
    SR_WALK_DECLINED = 1,  /* the walker said "unreliable": counted, not compared */
    SR_WALK_TRUNCATED = 2  /* stopped at a depth limit: its frames must be the
                              innermost ones of the ground truth */
} sr_walk_end_kind;

void sr_walk_begin(sr_walk *w, sr_addr sp);
void sr_walk_frame(sr_walk *w, sr_pc pc);
void sr_walk_end_at(sr_walk *w, sr_walk_end_kind kind, const char *where);
#define sr_walk_end(w, kind) sr_walk_end_at((w), (kind), __func__)

/* Check 3, rewriter bookkeeping. Call when the rewriter claims a stack is
 * clean again: no live return slot may still hold a trampoline PC, and the
 * rewriter's side table must be empty (`side_entries` is its count). */
void sr_rewriter_done(sr_stack *s, unsigned side_entries);
/* A rewriter-bookkeeping failure the target detected itself (e.g. a
 * trampoline hit that finds no entry). Does not return. */
SR_NORETURN void sr_rewriter_fail_at(const char *msg, const char *where);
#define sr_rewriter_fail(msg) sr_rewriter_fail_at((msg), __func__)

/* ------------------------------------------------------------------ */
/* Narrative                                                          */
/* ------------------------------------------------------------------ */

/* True when this execution is being traced for a narrative (replay). Test it
 * before formatting an annotation so hunting stays fast. */
bool sr_tracing(void);
/* One narrative line for the current actor ("starts a scan of T1's stack"). */
void sr_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define SR_NOTE(...) do { if (sr_tracing()) sr_note(__VA_ARGS__); } while (0)
/* A detail: in the trace and the timeline, but folded into the narrative's
 * "…" lines like any unannotated step. For routine events (a collector cycle
 * starting, the world stopping) that matter only when a key note says so. */
void sr_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define SR_DETAIL(...) do { if (sr_tracing()) sr_detail(__VA_ARGS__); } while (0)

/* ------------------------------------------------------------------ */
/* Targets                                                            */
/* ------------------------------------------------------------------ */

typedef struct sr_target {
    const char *name;         /* "mylib-unwinder@fixed": the name hunt and list use */
    const char *description;  /* one line */
    const sr_func *funcs;     /* the function table: PCs and frame sizes */
    unsigned nfuncs;
    size_t state_size;        /* zeroed per execution, passed to the hooks */
    const void *config;       /* the target's own constant (e.g. a variant) */
    /* Per execution: build the world (stacks, actors) from the scenario. */
    void (*setup)(void *state, const void *config, const sr_scenario *sc);
    /* The signal handler (the sampler), for a target with one signal. */
    sr_signal_fn on_signal;
    /* Or the signals of a target with several (then on_signal is unused). */
    const sr_signal *signals;
    unsigned nsignals;
    /* Name of the actor that runs handlers in remote delivery ("M3"). */
    const char *profiler_name;
    /* Scenario defaults for this target (NULL: the engine's). */
    const sr_scenario *defaults;
} sr_target;

#ifdef __cplusplus
}
#endif
#endif
