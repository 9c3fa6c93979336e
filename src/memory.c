/*
 * memory.c — shared words and model locks: the scheduling points a target
 * uses for everything two actors share.
 *
 * Each access happens, then the scheduling point follows it: the value a
 * load returns is the value at the moment of the load, and another actor or
 * a signal may run before the next access. Model locks block (the waiter is
 * not runnable until the lock is released) rather than spin, which is
 * equivalent for the interleavings it allows and lets the engine see
 * deadlocks and self-deadlocks as such.
 *
 * Under ThreadSanitizer, model locks are the synchronization TSan sees
 * between actors: acquiring one acquires it, releasing it releases it.
 */
#include <stdio.h>

#include "engine.h"
#include "sanitizer.h"

sr_word sr_load_at(const sr_word *p, const char *where)
{
    exec *e = exec_current;
    sr_word v = *p;
    watch_read(e, p, 0, where);
    ENGINE_TSAN_READ(p);
    exec_point(T_LOAD, exec_stable_addr(p), v, NULL);
    return v;
}

void sr_store_at(sr_word *p, sr_word v, const char *where)
{
    exec *e = exec_current;
    watch_write(e, p, 0, where);
    ENGINE_TSAN_WRITE(p);
    *p = v;
    exec_point(T_STORE, exec_stable_addr(p), v, NULL);
}

sr_word sr_atomic_load(const sr_word *p)
{
    exec *e = exec_current;
    sr_word v = *p;
    watch_acquire(e, p);
    ENGINE_TSAN_ACQUIRE(p);
    exec_point(T_ATOMIC_LOAD, exec_stable_addr(p), v, NULL);
    return v;
}

void sr_atomic_store(sr_word *p, sr_word v)
{
    exec *e = exec_current;
    watch_release(e, p);
    ENGINE_TSAN_RELEASE(p);
    *p = v;
    exec_point(T_ATOMIC_STORE, exec_stable_addr(p), v, NULL);
}

bool sr_cas(sr_word *p, sr_word old, sr_word new_value)
{
    exec *e = exec_current;
    watch_acquire(e, p);
    ENGINE_TSAN_ACQUIRE(p);
    if (*p == old) {
        watch_release(e, p);
        ENGINE_TSAN_RELEASE(p);
        *p = new_value;
        exec_point(T_CAS, exec_stable_addr(p), new_value, NULL);
        return true;
    }
    exec_point(T_CAS_FAIL, exec_stable_addr(p), *p, NULL);
    return false;
}

void sr_yield(void)
{
    exec_point(T_YIELD, 0, 0, NULL);
    if (!exec_current->in_setup)
        exec_reschedule();
}

void sr_step(void)
{
    exec_point(T_STEP, 0, 0, NULL);
}

static _Noreturn void lock_fail(int check, const char *msg, const sr_lock *l, const char *where)
{
    char detail[96];
    ENGINE_QUIET_BEGIN();
    snprintf(detail, sizeof detail, "lock %s, held by %s", l->name ? l->name : "(unnamed)",
             l->owner->display);
    ENGINE_QUIET_END();
    exec_fail_detail(check, msg, where, detail);
}

static void block_on(exec *e, sr_lock *l, const char *where)
{
    sr_actor *a = e->cur;
    if (a->handler_depth && l->owner == a->interrupted)
        lock_fail(CHECK_SELF_DEADLOCK,
                  "self-deadlock: a signal handler blocks on a lock the interrupted actor "
                  "holds", l, where);
    if (l->owner == a)
        lock_fail(CHECK_DEADLOCK, "deadlock: an actor acquires a lock it holds", l, where);
    feedback_hit(&e->fb, FEATURE_BLOCK, a->point, exec_stable_addr(l));
    a->state = ACT_BLOCKED;
    a->waiting_on = l;
    a->waiting_where = where;
    exec_event(T_LOCK_WAIT, exec_stable_addr(l), (uint64_t)l->owner->id, l->name);
    exec_reschedule();
}

void sr_lock_acquire_at(sr_lock *l, const char *where)
{
    exec *e = exec_current;
    while (l->owner)
        block_on(e, l, where);
    l->owner = e->cur;
    watch_acquire(e, l);
    ENGINE_TSAN_ACQUIRE(l);
    exec_point(T_LOCK, exec_stable_addr(l), 0, l->name);
}

bool sr_lock_try(sr_lock *l)
{
    exec *e = exec_current;
    if (l->owner) {
        feedback_hit(&e->fb, FEATURE_TRYLOCK_FAIL, e->cur->point, exec_stable_addr(l));
        exec_point(T_TRYLOCK_FAIL, exec_stable_addr(l), (uint64_t)l->owner->id, l->name);
        return false;
    }
    l->owner = e->cur;
    watch_acquire(e, l);
    ENGINE_TSAN_ACQUIRE(l);
    exec_point(T_TRYLOCK, exec_stable_addr(l), 0, l->name);
    return true;
}

void sr_lock_release(sr_lock *l)
{
    exec *e = exec_current;
    if (l->owner != e->cur)
        exec_fail_detail(CHECK_MODEL, "model misuse: release of a lock the actor does not hold",
                         l->name ? l->name : "", NULL);
    watch_release(e, l);
    ENGINE_TSAN_RELEASE(l);
    l->owner = NULL;
    for (int i = 0; i < e->nactors; i++) {
        sr_actor *w = &e->actors[i];
        if (w->state == ACT_BLOCKED && w->waiting_on == l) {
            w->state = ACT_RUNNABLE;
            w->waiting_on = NULL;
        }
    }
    exec_point(T_UNLOCK, exec_stable_addr(l), 0, l->name);
}

bool sr_lock_held_by_self(const sr_lock *l)
{
    return l->owner == exec_current->cur;
}
