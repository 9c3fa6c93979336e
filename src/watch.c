/*
 * watch.c — the engine's side of check 5 (race.h): where each plain access
 * and each synchronization is (a word of the target state or of a stack),
 * who makes it and when, handed to the detector; and the races it hands
 * back, told as reports. The detector never sees the engine; this file is
 * the one place that knows both.
 *
 * Nothing is watched during setup (the actors do not run yet, and the
 * setup's writes are ordered before every actor by race_spawn), nor when
 * the detector is off.
 */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "sanitizer.h"

_Static_assert(RACE_CLOCKS == MAX_ACTORS + 1, "a clock per actor and the scheduler's");
_Static_assert(RACE_STACKS == MAX_STACKS, "a shadow per stack");

static bool watching(const exec *e)
{
    return e->race.on && !e->in_setup;
}

/* A word of the target state; false if p is not in it. */
static bool state_word(const exec *e, const void *p, race_at *at)
{
    const char *c = p, *state = e->state;
    if (!state || c < state || c >= state + e->target->state_size)
        return false;
    *at = (race_at){RACE_STATE, (size_t)(c - state) / 8, e->target->state_size / 8 + 1,
                    (unsigned)e->cur->id, (uint32_t)e->steps, (unsigned)e->nactors};
    return true;
}

/* A word of a stack; false if addr is in none. */
static bool stack_word(exec *e, sr_addr addr, race_at *at)
{
    const sr_stack *s = stk_of(e, addr);
    if (!s)
        return false;
    *at = (race_at){s->id, (size_t)(addr - s->lo) / 8, s->cap_words, (unsigned)e->cur->id,
                    (uint32_t)e->steps, (unsigned)e->nactors};
    return true;
}

/* "M1.head+0x8" (a named range: owner.role), "state+0x40", "S stack word
 * 0x...": the word raced on, and the role the signature uses. */
static const char *describe_word(const exec *e, const race_at *at, sr_addr stack_addr,
                                 char *var, size_t len)
{
    if (at->stack != RACE_STATE) {
        snprintf(var, len, "%s stack word 0x%llx", e->stacks[at->stack].name,
                 (unsigned long long)stack_addr);
        return "a stack word";
    }
    size_t offset = at->word * 8;
    const race_names *n = race_name_of(&e->race, offset);
    if (!n) {
        snprintf(var, len, "state+0x%llx", (unsigned long long)offset);
        return "target state";
    }
    size_t off = offset - n->lo;
    snprintf(var, len, "%s%s%s%s%.0zx", n->owner ? n->owner : "", n->owner ? "." : "", n->role,
             off ? "+0x" : "", off);
    return n->role;
}

static void tell(exec *e, const race_at *at, sr_addr stack_addr, const race_found *found)
{
    for (unsigned i = 0; i < found->n; i++) {
        race_access first = found->race[i].first, second = found->race[i].second;
        char var[96], msg[192], detail[512];
        ENGINE_QUIET_BEGIN();
        const char *role = describe_word(e, at, stack_addr, var, sizeof var);
        /* the signature must not depend on which of the two came first */
        race_access a = first, b = second;
        if (strcmp(a.where, b.where) > 0 ||
            (!strcmp(a.where, b.where) && strcmp(a.kind, b.kind) > 0)) {
            a = second;
            b = first;
        }
        snprintf(msg, sizeof msg, "data race on %s: %s in %s, %s in %s", role, a.kind, a.where,
                 b.kind, b.where);
        snprintf(detail, sizeof detail,
                 "%s: %s by %s at step %u in %s; %s by %s at step %u in %s, unordered", var,
                 first.kind, e->actors[first.actor].display, first.step, first.where,
                 second.kind, e->actors[second.actor].display, second.step, second.where);
        ENGINE_QUIET_END();
        exec_report(CHECK_RACE, msg, a.where, detail);
    }
}

/* A plain read or write of the target state (p) or of a stack word (p NULL). */
static void watch_access(exec *e, const void *p, sr_addr stack_addr, const char *where,
                         bool write)
{
    race_at at;
    race_found found;
    if (!watching(e) || !(p ? state_word(e, p, &at) : stack_word(e, stack_addr, &at)))
        return;
    if (write ? race_write(&e->race, &at, where, &found) : race_read(&e->race, &at, where, &found))
        tell(e, &at, stack_addr, &found);
}

void watch_read(exec *e, const void *p, sr_addr stack_addr, const char *where)
{
    watch_access(e, p, stack_addr, where, false);
}

void watch_write(exec *e, const void *p, sr_addr stack_addr, const char *where)
{
    watch_access(e, p, stack_addr, where, true);
}

/* Synchronization on the lock or atomic word at p; one outside the target
 * state synchronizes nothing, but a release still ends the releaser's
 * epoch. */
void watch_acquire(exec *e, const void *p)
{
    race_at at;
    if (watching(e) && state_word(e, p, &at))
        race_acquire(&e->race, &at);
}

void watch_release(exec *e, const void *p)
{
    if (!watching(e))
        return;
    race_at at = {RACE_STATE, 0, 0, (unsigned)e->cur->id, (uint32_t)e->steps,
                  (unsigned)e->nactors};
    state_word(e, p, &at);
    race_release(&e->race, &at);
}

void watch_name(exec *e, const void *p, size_t size, const char *role, const char *owner)
{
    const char *c = p, *state = e->state;
    if (state && c >= state && c < state + e->target->state_size)
        race_name(&e->race, (size_t)(c - state), size, role, owner);
}
