/*
 * signal.c — signals as schedule decisions, in two deliveries.
 *
 * Same-thread (Unix): the handler runs nested on the interrupted actor's own
 * fiber, at the scheduling point where the signal landed. The interrupted
 * code cannot continue until the handler returns, but other actors can run
 * while the handler does (its accesses are scheduling points too).
 *
 * Remote-suspend (a profiler thread that suspends its victim, as on Windows): the
 * victim is frozen at the point where the signal landed and the handler
 * runs on a separate profiler actor, which reads the victim's registers
 * from the context it was given. The victim runs again when the handler is
 * done.
 *
 * A target has one signal (on_signal) or several (signals[]), which the
 * schedule picks from. A signal is blocked while its own handler runs on that
 * actor (like a Unix signal without SA_NODEFER), and while a handler whose
 * mask names it does; another signal's handler nests (same-thread delivery).
 * Remote delivery ignores masks (a suspending profiler does not ask), and the
 * profiler serves one victim at a time. A signal decision that cannot land is
 * dropped (counted by nothing: the schedule simply had no effect there).
 */
#include "engine.h"
#include "sanitizer.h"

unsigned sig_count(const sr_target *t)
{
    if (t->nsignals)
        return t->nsignals > SR_MAX_SIGNALS ? SR_MAX_SIGNALS : t->nsignals;
    return t->on_signal ? 1 : 0;
}

static sr_signal_fn handler_of(const sr_target *t, unsigned signo)
{
    return t->nsignals ? t->signals[signo].handler : t->on_signal;
}

static const char *name_of(const sr_target *t, unsigned signo)
{
    return t->nsignals ? t->signals[signo].name : NULL;
}

bool sig_can_land(exec *e, const sr_actor *a, bool remote, unsigned signo)
{
    if (!handler_of(e->target, signo) || !(a->flags & SR_ACTOR_SIGNALABLE) ||
        (a->handling >> signo & 1))
        return false;
    if (remote)
        return e->profiler && !e->remote_pending && a->state == ACT_RUNNABLE;
    return !(a->blocked >> signo & 1);
}

static void run_handler(exec *e, sr_actor *runner, const sr_sigctx *ctx)
{
    const sr_target *t = e->target;
    unsigned walks_before = runner->walks_open;
    uint32_t handling = runner->handling, blocked = runner->blocked;
    sr_actor *interrupted = runner->interrupted;
    runner->handler_depth++;
    runner->handling |= 1u << ctx->signo;
    if (t->nsignals)
        runner->blocked |= t->signals[ctx->signo].blocks;
    runner->interrupted = ctx->victim;
    handler_of(t, ctx->signo)(e->state, ctx);
    if (runner->walks_open != walks_before) /* its sr_walk died with the handler frame */
        exec_fail_detail(CHECK_MODEL, "model misuse: a signal handler returned with a walk in "
                         "progress", "", NULL);
    runner->handler_depth--;
    runner->handling = handling;
    runner->blocked = blocked;
    runner->interrupted = interrupted;
    exec_event(T_HANDLER_DONE, (uint64_t)ctx->victim->id, 0, NULL);
}

void sig_deliver(exec *e, bool remote, unsigned signo)
{
    sr_actor *a = e->cur;
    sr_sigctx ctx = {.victim = a, .pc = a->pc, .sp = a->sp, .remote = remote,
                     .signo = signo, .nested = a->handler_depth > 0};
    const char *name = name_of(e->target, signo);
    e->stats.signals++;
    feedback_hit(&e->fb, FEATURE_SIGNAL, a->point, remote | signo << 1);
    if (!remote) {
        exec_event(T_SIGNAL, a->pc, a->sp, name);
        run_handler(e, a, &ctx);
        return;
    }
    exec_event(T_SIGNAL_REMOTE, a->pc, a->sp, name);
    e->remote_ctx = ctx;
    e->remote_pending = true;
    race_suspend(&e->race, a->id, e->profiler->id);
    ENGINE_TSAN_RELEASE(&e->remote_ctx); /* the victim's past is the handler's */
    a->state = ACT_FROZEN;
    e->profiler->state = ACT_RUNNABLE;
    exec_reschedule();
    ENGINE_TSAN_ACQUIRE(&e->remote_pending); /* and the handler's is the victim's */
}

static void profiler_main(void *arg)
{
    exec *e = arg;
    sr_actor *self = e->cur;
    for (;;) {
        while (!e->remote_pending) {
            self->state = ACT_IDLE;
            exec_reschedule();
        }
        sr_sigctx ctx = e->remote_ctx;
        ENGINE_TSAN_ACQUIRE(&e->remote_ctx);
        run_handler(e, self, &ctx);
        race_resume(&e->race, ctx.victim->id, self->id);
        ENGINE_TSAN_RELEASE(&e->remote_pending);
        e->remote_pending = false;
        ctx.victim->state = ACT_RUNNABLE;
        self->state = ACT_IDLE;
        exec_reschedule();
    }
}

void sig_spawn_profiler(exec *e, const char *name)
{
    e->profiler = exec_spawn(e, name, SR_ACTOR_DAEMON, profiler_main, e);
    e->profiler->state = ACT_IDLE;
}
