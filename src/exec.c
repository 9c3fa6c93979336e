/*
 * exec.c — one execution: its lifecycle, the scheduling point, switching.
 *
 * Invariants:
 *  - Exactly one actor runs at a time (e->cur); all others are parked at a
 *    scheduling point inside fiber_switch. The main fiber (the caller of
 *    exec_run) runs only before the first actor starts and after the
 *    execution ends.
 *  - The execution ends when every non-daemon actor is done, or at the
 *    first finding. Either way control goes back to the main fiber, and the
 *    actors' fibers are abandoned where they stand: the next execution
 *    restarts them from the top on the same (reused) stacks.
 *  - Everything an actor does between two scheduling points is atomic, so
 *    the decisions taken at the points fix the whole execution. Nothing the
 *    engine hashes depends on host addresses (see stable_addr), so a
 *    schedule gives the same trace hash in every process.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "sanitizer.h"

_Thread_local exec *exec_current;

#ifdef ENGINE_TSAN
char engine_tsan_join;
#endif

/* The decider's view of the runnable actors (decide.h): the ones other
 * than the running actor, numbered as exec_next_runnable numbers them. */
static uint32_t runnable_count(void *ctx)
{
    exec *e = ctx;
    return (uint32_t)exec_count_runnable(e, e->cur);
}

static dec_actor *runnable_nth(void *ctx, uint32_t i)
{
    exec *e = ctx;
    return &exec_next_runnable(e, e->cur, i)->dec;
}

void exec_init(exec *e)
{
    memset(e, 0, sizeof *e);
    dec_init(&e->dec, (dec_runnable){e, runnable_count, runnable_nth});
    trace_init(&e->tr);
    race_init(&e->race);
}

void exec_free(exec *e)
{
    for (int i = 0; i < MAX_ACTORS; i++)
        if (e->actors[i].fib.stack_size)
            fiber_stack_free(&e->actors[i].fib);
    for (int i = 0; i < MAX_STACKS; i++)
        free(e->stacks[i].words);
    free(e->state);
    dec_free(&e->dec);
    trace_free(&e->tr);
    race_free(&e->race);
}

/* Stable names for addresses the trace hash sees: offsets into the target
 * state, never host pointers (which change with ASLR). */
uint64_t exec_stable_addr(const void *p)
{
    exec *e = exec_current;
    const char *c = p, *base = e->state;
    if (base && c >= base && c < base + e->target->state_size)
        return (uint64_t)(c - base) | (1ull << 62);
    return 0;
}

sr_actor *exec_next_runnable(exec *e, sr_actor *after, uint32_t skip)
{
    int n = e->nactors;
    int start = after ? after->id : -1;
    for (int k = 1; k <= n; k++) {
        sr_actor *a = &e->actors[(start + k + n) % n];
        if (a == after || a->state != ACT_RUNNABLE)
            continue;
        if (skip-- == 0)
            return a;
    }
    return NULL;
}

int exec_count_runnable(exec *e, const sr_actor *except)
{
    int n = 0;
    for (int i = 0; i < e->nactors; i++)
        n += e->actors[i].state == ACT_RUNNABLE && &e->actors[i] != except;
    return n;
}

static bool all_work_done(exec *e)
{
    for (int i = 0; i < e->nactors; i++) {
        const sr_actor *a = &e->actors[i];
        if (!(a->flags & SR_ACTOR_DAEMON) && a->state != ACT_DONE)
            return false;
    }
    return true;
}

/* Record an event in the hash (and the full trace) without deciding. */
void exec_event(int kind, uint64_t addr, uint64_t value, const char *text)
{
    exec *e = exec_current;
    trace_hash(&e->tr, (unsigned)e->cur->id, (unsigned)kind, addr, value);
    if (e->tr.full) {
        trace_add(&e->tr, e->steps, (unsigned)e->cur->id, (unsigned)kind, addr, value, text);
        e->last_event[e->cur->id] = e->tr.n;
    }
}

static void switch_to(exec *e, sr_actor *next)
{
    sr_actor *prev = e->cur;
    if (next == prev)
        return;
    exec_event(T_SWITCH, (uint64_t)next->id, 0, NULL);
    feedback_hit(&e->fb, FEATURE_SWITCH, prev->point, next->point);
    e->stats.switches++;
    e->cur = next;
    ENGINE_JOIN_RELEASE();
    fiber_switch(&prev->fib, &next->fib);
    /* resumed: whoever switched to us set e->cur */
}

static void back_to_main(exec *e)
{
    ENGINE_JOIN_RELEASE();
    fiber_switch(&e->cur->fib, &e->main_fiber);
    abort(); /* an ended execution is never resumed */
}

static void fill(exec *e, finding *f, int check, const char *msg, const char *where,
                 const char *detail)
{
    ENGINE_QUIET_BEGIN();
    f->check = check;
    snprintf(f->message, sizeof f->message, "%s", msg);
    snprintf(f->location, sizeof f->location, "%s", where ? where : "");
    snprintf(f->actor, sizeof f->actor, "%s", e->cur ? e->cur->display : "setup");
    snprintf(f->detail, sizeof f->detail, "%s", detail ? detail : "");
    f->step = e->steps;
    ENGINE_QUIET_END();
}

static _Noreturn void fail(int check, const char *check_name, const char *msg,
                           const char *where, const char *detail)
{
    exec *e = exec_current;
    if (!e->in_setup && !e->cur) {
        fprintf(stderr, "stackrace: target %s failed outside every actor: %s\n",
                e->target->name, msg);
        abort();
    }
    fill(e, &e->fail, check, msg, where, detail);
    snprintf(e->fail.check_name, sizeof e->fail.check_name, "%s", check_name ? check_name : "");
    e->failed = true;
    if (e->in_setup) /* on the main stack, no actor runs yet: back to exec_run */
        longjmp(e->setup_exit, 1);
    exec_event(T_FINDING, (uint64_t)check, 1, msg);
    back_to_main(e);
    abort();
}

_Noreturn void exec_fail_detail(int check, const char *msg, const char *where,
                                const char *detail)
{
    fail(check, NULL, msg, where, detail);
}

_Noreturn void exec_fail_check(const char *check_name, const char *msg, const char *where)
{
    fail(CHECK_TARGET_CHECK, check_name, msg, where, NULL);
}

void exec_report(int check, const char *msg, const char *where, const char *detail)
{
    exec *e = exec_current;
    for (unsigned i = 0; i < e->nreports; i++)
        if (e->reports[i].check == check && !strcmp(e->reports[i].message, msg))
            return;
    if (e->nreports == EXEC_MAX_REPORTS)
        return;
    fill(e, &e->reports[e->nreports++], check, msg, where, detail);
    /* told in the narrative, but not hashed: whether the detector runs
     * must not change an execution's trace hash */
    if (e->tr.full) {
        trace_add(&e->tr, e->steps, (unsigned)e->cur->id, T_FINDING, (uint64_t)check, 0, msg);
        e->last_event[e->cur->id] = e->tr.n;
    }
}

_Noreturn void exec_fail(int check, const char *msg)
{
    exec_fail_detail(check, msg, NULL, NULL);
}

void exec_reschedule(void)
{
    exec *e = exec_current;
    sr_actor *cur = e->cur;
    if (cur->state == ACT_DONE && all_work_done(e))
        back_to_main(e);
    int n = exec_count_runnable(e, cur);
    if (n == 0) {
        if (cur->state == ACT_RUNNABLE)
            return; /* a yield with nobody else to run */
        char detail[256];
        snprintf(detail, sizeof detail, "%s is %s%s and no actor can run", cur->display,
                 cur->state == ACT_BLOCKED ? "blocked on " : "waiting",
                 cur->state == ACT_BLOCKED && cur->waiting_on->name ? cur->waiting_on->name
                 : cur->state == ACT_BLOCKED                         ? "a lock"
                                                                     : "");
        exec_fail_detail(CHECK_DEADLOCK, "deadlock: no runnable actor",
                         cur->waiting_where ? cur->waiting_where : "", detail);
    }
    uint32_t idx = dec_pick(&e->dec, &cur->dec, true, (uint32_t)n, false);
    switch_to(e, exec_next_runnable(e, cur, idx));
}

void exec_point(int kind, uint64_t addr, uint64_t value, const char *text)
{
    exec *e = exec_current;
    if (e->in_setup)
        return;
    exec_event(kind, addr, value, text);
    if (++e->steps > e->sc.max_steps)
        exec_fail_detail(CHECK_HANG, "hang: step budget exceeded", "", NULL);
    if ((e->steps & 0xffff) == 0 && e->stop &&
        atomic_load_explicit(e->stop, memory_order_relaxed)) {
        e->stopped = true; /* a hunt's time is up in the middle of a long execution */
        back_to_main(e);
    }
    e->cur->dec.steps++;
    e->cur->point = feedback_point((unsigned)kind, addr);
    int ev = dec_event(&e->dec, &e->cur->dec, e->steps);
    if (ev == EV_NONE)
        return;
    if (ev == EV_SIGNAL) {
        bool remote = e->sc.delivery == SR_DELIVER_REMOTE;
        if (e->sc.delivery == SR_DELIVER_MIXED)
            remote = dec_remote(&e->dec);
        unsigned nsig = sig_count(e->target);
        unsigned signo = nsig > 1 ? dec_signal(&e->dec, nsig) : 0;
        if (sig_can_land(e, e->cur, remote, signo))
            sig_deliver(e, remote, signo);
        return;
    }
    uint32_t n = (uint32_t)exec_count_runnable(e, e->cur);
    uint32_t idx = dec_pick(&e->dec, &e->cur->dec, true, n, true);
    if (n)
        switch_to(e, exec_next_runnable(e, e->cur, idx));
}

static void actor_main(void *arg)
{
    sr_actor *a = arg;
    a->fn(a->arg);
    a->state = ACT_DONE;
    exec_event(T_DONE, 0, 0, NULL);
    exec_reschedule();
    fprintf(stderr, "stackrace: a finished actor was resumed\n");
    abort();
}

sr_actor *exec_spawn(exec *e, const char *name, unsigned flags, sr_actor_fn fn, void *arg)
{
    if (e->nactors == MAX_ACTORS)
        exec_fail_detail(CHECK_MODEL, "model misuse: more than 16 actors", name, NULL);
    sr_actor *a = &e->actors[e->nactors];
    if (!a->fib.stack_size && fiber_stack_alloc(&a->fib, FIBER_STACK_BYTES) != 0) {
        perror("stackrace: fiber stack");
        abort();
    }
    a->id = e->nactors++;
    a->name = name;
    snprintf(a->display, sizeof a->display, "%s", name);
    a->flags = flags;
    a->fn = fn;
    a->arg = arg;
    a->state = ACT_RUNNABLE;
    a->waiting_on = NULL;
    a->pc = 0;
    a->sp = 0;
    a->handler_depth = 0;
    a->handling = a->blocked = 0;
    a->walks_open = 0;
    a->waiting_where = NULL;
    a->interrupted = NULL;
    race_spawn(&e->race, a->id);
    a->point = 0;
    a->dec = (dec_actor){.id = a->id, .pick_step = ~0ull};
    fiber_start(&a->fib, actor_main, a);
    return a;
}

static void reset(exec *e, const sr_target *t, const sr_scenario *sc)
{
    e->target = t;
    e->sc = *sc;
    if (e->state_cap < t->state_size) {
        free(e->state);
        e->state = malloc(t->state_size ? t->state_size : 1);
        if (!e->state)
            abort();
        e->state_cap = t->state_size;
    }
    memset(e->state, 0, t->state_size);
    e->nactors = 0;
    e->cur = NULL;
    memset(&e->scheduler, 0, sizeof e->scheduler);
    e->scheduler.id = MAX_ACTORS;
    e->scheduler.dec.id = MAX_ACTORS;
    e->profiler = NULL;
    e->remote_pending = false;
    e->steps = 0;
    e->failed = false;
    e->nreports = 0;
    e->stopped = false;
    memset(&e->fail, 0, sizeof e->fail);
    memset(&e->stats, 0, sizeof e->stats);
    memset(e->last_event, 0, sizeof e->last_event);
    stk_reset(e);
    race_begin(&e->race);
}

void exec_run(exec *e, const sr_target *t, const sr_scenario *sc, exec_result *out)
{
    reset(e, t, sc);
    trace_reset(&e->tr, e->tr.full);
    exec_current = e;
    fiber_init_main(&e->main_fiber);
    e->in_setup = true;
    if (setjmp(e->setup_exit) == 0) {
        t->setup(e->state, t->config, &e->sc);
        if (sig_count(t) && sc->delivery != SR_DELIVER_SAME_THREAD && !e->profiler)
            sig_spawn_profiler(e, t->profiler_name ? t->profiler_name : "profiler");
    }
    e->in_setup = false;
    dec_actor *all[MAX_ACTORS];
    for (int i = 0; i < e->nactors; i++)
        all[i] = &e->actors[i].dec;
    dec_begin_exec(&e->dec, all, e->nactors);
    e->cur = NULL;
    int n = e->failed ? 0 : exec_count_runnable(e, NULL); /* a failed setup runs nothing */
    if (n)
        e->cur = exec_next_runnable(
            e, NULL, dec_pick(&e->dec, &e->scheduler.dec, false, (uint32_t)n, false));
    if (e->cur)
        fiber_switch(&e->main_fiber, &e->cur->fib);
    ENGINE_JOIN_ACQUIRE();
    for (int i = 0; i < e->nactors; i++)
        fiber_abandon(&e->actors[i].fib);
    dec_end_exec(&e->dec, e->steps);
    out->fatal = e->failed;
    out->failed = e->failed || e->nreports;
    out->stopped = e->stopped;
    out->f = e->failed ? e->fail : e->reports[0];
    out->nreports = e->nreports;
    memcpy(out->reports, e->reports, e->nreports * sizeof *e->reports);
    out->steps = e->steps;
    out->trace_hash = e->tr.hash;
    out->stats = e->stats;
    exec_current = NULL;
}
