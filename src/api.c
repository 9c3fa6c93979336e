/*
 * api.c — the small parts of the model API: actors, decisions, throws,
 * annotations.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "sanitizer.h"

sr_actor *sr_spawn(const char *name, unsigned flags, sr_actor_fn fn, void *arg)
{
    exec *e = exec_current;
    if (!e->in_setup)
        exec_fail(CHECK_MODEL, "model misuse: sr_spawn outside setup");
    return exec_spawn(e, name, flags, fn, arg);
}

sr_actor *sr_spawn_profiler(const char *name)
{
    exec *e = exec_current;
    if (!e->in_setup)
        exec_fail(CHECK_MODEL, "model misuse: sr_spawn_profiler outside setup");
    if (e->sc.delivery == SR_DELIVER_SAME_THREAD || !sig_count(e->target) || e->profiler)
        return e->profiler;
    sig_spawn_profiler(e, name);
    return e->profiler;
}

void sr_name(const void *p, size_t size, const char *role, const char *owner)
{
    watch_name(exec_current, p, size, role, owner);
}

sr_actor *sr_self(void) { return exec_current->cur; }
void *sr_private(sr_actor *a) { return a->arg; }
const char *sr_actor_name(sr_actor *a) { return a->name; }
bool sr_in_handler(void) { return exec_current->cur->handler_depth > 0; }
bool sr_tracing(void) { return exec_current->tr.full; }

void sr_set_display(const char *display)
{
    exec *e = exec_current;
    ENGINE_QUIET_BEGIN();
    snprintf(e->cur->display, sizeof e->cur->display, "%s", display);
    ENGINE_QUIET_END();
    if (e->tr.full)
        trace_add(&e->tr, e->steps, (unsigned)e->cur->id, T_DISPLAY, 0, 0, display);
}

uint32_t sr_choose(uint32_t n)
{
    exec *e = exec_current;
    return dec_choose(&e->dec, e->cur ? &e->cur->dec : &e->scheduler.dec, n);
}

_Noreturn void sr_throw_at(const char *msg, const char *where)
{
    exec_fail_detail(CHECK_TARGET_ASSERT, msg, where, NULL);
}

/* A check name becomes part of a file name and of the CLI's output. */
static bool check_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= FINDING_CHECK_NAME_MAX)
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
            return false;
    for (int k = 0; k < CHECK_NKINDS; k++)
        if (!strcmp(name, finding_check_name(k)))
            return false; /* the engine's own */
    return true;
}

_Noreturn void sr_fail_at(const char *check, const char *msg, const char *where)
{
    if (!check_name_ok(check))
        exec_fail_detail(CHECK_MODEL, "model misuse: sr_fail's check name must be 1-31 "
                         "characters of a-z, 0-9 and '-', and not one of the engine's checks",
                         where, check);
    exec_fail_check(check, msg, where);
}

static void note(unsigned kind, const char *fmt, va_list ap)
{
    exec *e = exec_current;
    if (!e->tr.full)
        return;
    char buf[256];
    ENGINE_QUIET_BEGIN();
    vsnprintf(buf, sizeof buf, fmt, ap);
    ENGINE_QUIET_END();
    if (!e->cur) {
        trace_add(&e->tr, e->steps, 0, kind, 0, 0, buf);
        return;
    }
    /* An annotation is about what the actor just did: put it right after
     * the actor's last event, even if other actors ran since (the actor may
     * have been switched away at the very scheduling point it describes). */
    size_t pos = e->last_event[e->cur->id];
    uint64_t step = pos ? e->tr.ev[pos - 1].step : e->steps;
    trace_insert(&e->tr, pos, step, (unsigned)e->cur->id, kind, buf);
    for (int i = 0; i < e->nactors; i++)
        if (e->last_event[i] > pos)
            e->last_event[i]++;
    e->last_event[e->cur->id] = pos + 1;
}

void sr_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    note(T_NOTE, fmt, ap);
    va_end(ap);
}

void sr_detail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    note(T_DETAIL, fmt, ap);
    va_end(ap);
}
