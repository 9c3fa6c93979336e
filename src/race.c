/*
 * race.c — the happens-before race detector (check 5); see race.h for what
 * synchronizes and what is checked.
 *
 * Shadow memory: one shadow word per 8 bytes of target state and per stack
 * word, `stride` bytes each: a header (generation, the word's sync clock,
 * the last write) and one read epoch per actor. A shadow word whose
 * generation is not this execution's is empty, so executions start clean
 * without clearing anything.
 */
#include "race.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "sanitizer.h"

#define NO_ACTOR 0xffffu

_Static_assert(RACE_CLOCKS == MAX_ACTORS + 1, "a clock per actor and the scheduler's");
_Static_assert(sizeof(((race *)0)->stack_shadow) / sizeof(uint8_t *) == MAX_STACKS,
               "a shadow per stack");

typedef struct shadow_hdr {
    uint32_t gen;
    uint32_t sync;       /* 1 + index into r->sync, or 0 */
    uint32_t w_clk;      /* the last write: its actor's clock then */
    uint32_t w_step;
    const char *w_where;
    uint16_t w_actor;    /* NO_ACTOR: none this execution */
    uint16_t pad[3];
} shadow_hdr;

typedef struct shadow_read {
    uint32_t clk;        /* 0: no read by this actor */
    uint32_t step;
    const char *where;
} shadow_read;

void race_init(race *r)
{
    memset(r, 0, sizeof *r); /* off until asked for (exec.race.on) */
}

void race_free(race *r)
{
    free(r->state_shadow);
    for (int i = 0; i < 32; i++)
        free(r->stack_shadow[i]);
    free(r->sync);
    memset(r, 0, sizeof *r);
}

static void grow(uint8_t **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    ENGINE_QUIET_BEGIN();
    uint8_t *q = realloc(*p, need);
    if (!q)
        abort();
    memset(q + *cap, 0, need - *cap); /* generation 0: empty */
    ENGINE_QUIET_END();
    *p = q;
    *cap = need;
}

static void clear_all(race *r)
{
    /* from an actor too (the first access of an execution): out of TSan's view */
    ENGINE_QUIET_BEGIN();
    if (r->state_shadow)
        memset(r->state_shadow, 0, r->state_cap);
    for (int i = 0; i < 32; i++)
        if (r->stack_shadow[i])
            memset(r->stack_shadow[i], 0, r->stack_cap[i]);
    ENGINE_QUIET_END();
}

void race_begin(exec *e)
{
    race *r = &e->race;
    memset(r->vc, 0, sizeof r->vc);
    r->vc[MAX_ACTORS].c[MAX_ACTORS] = 1;
    r->nsync = 0;
    r->nnames = 0;
    if (++r->gen == 0) { /* wrapped: old generations could look current */
        clear_all(r);
        r->gen = 1;
    }
}

/* The shadow layout depends on the number of actors, known once setup
 * has spawned them all: settled at each checked access (cheap when it
 * holds). False when the detector is off or setup is still running. */
static bool active(exec *e)
{
    race *r = &e->race;
    if (!r->on || e->in_setup)
        return false;
    uint32_t stride = (uint32_t)(sizeof(shadow_hdr) + sizeof(shadow_read) * (size_t)e->nactors);
    if (stride != r->stride) {
        clear_all(r);
        r->stride = stride;
    }
    grow(&r->state_shadow, &r->state_cap, (e->target->state_size / 8 + 1) * stride);
    return true;
}

void race_spawn(exec *e, int actor)
{
    race *r = &e->race;
    r->vc[actor] = r->vc[MAX_ACTORS];
    r->vc[actor].c[actor] = 1;
    r->vc[MAX_ACTORS].c[MAX_ACTORS]++;
}

static shadow_hdr *shadow_of(exec *e, const void *p, uint64_t stack_addr)
{
    race *r = &e->race;
    uint8_t *base;
    size_t index;
    if (p) {
        const char *c = p, *state = e->state;
        if (c < state || c >= state + e->target->state_size)
            return NULL;
        base = r->state_shadow;
        index = (size_t)(c - state) / 8;
    } else {
        sr_stack *s = stk_of(e, stack_addr);
        if (!s)
            return NULL;
        size_t need = (size_t)s->cap_words * r->stride;
        grow(&r->stack_shadow[s->id], &r->stack_cap[s->id], need);
        base = r->stack_shadow[s->id];
        index = (size_t)(stack_addr - s->lo) / 8;
    }
    shadow_hdr *h = (shadow_hdr *)(base + index * r->stride);
    if (h->gen != r->gen) {
        ENGINE_QUIET_BEGIN();
        memset(h, 0, r->stride);
        ENGINE_QUIET_END();
        h->gen = r->gen;
        h->w_actor = NO_ACTOR;
    }
    return h;
}

static shadow_read *reads_of(shadow_hdr *h) { return (shadow_read *)(h + 1); }

static void join(race_vc *into, const race_vc *from)
{
    for (int i = 0; i < RACE_CLOCKS; i++)
        if (from->c[i] > into->c[i])
            into->c[i] = from->c[i];
}

/* ---- reports ---- */

static const race_names *name_of(const race *r, const void *p)
{
    for (uint32_t i = 0; i < r->nnames; i++)
        if ((const char *)p >= (const char *)r->names[i].lo &&
            (const char *)p < (const char *)r->names[i].hi)
            return &r->names[i];
    return NULL;
}

typedef struct access {
    const char *kind;
    const char *where;
    unsigned actor;
    uint32_t step;
} access;

static void report(exec *e, const void *p, uint64_t stack_addr, access first, access second)
{
    race *r = &e->race;
    char var[96], msg[192], detail[512];
    const char *role;
    ENGINE_QUIET_BEGIN();
    if (p) {
        const race_names *n = name_of(r, p);
        role = n ? n->role : "target state";
        size_t off = n ? (size_t)((const char *)p - (const char *)n->lo) : 0;
        if (n)
            snprintf(var, sizeof var, "%s%s%s%s%.0zx", n->owner ? n->owner : "",
                     n->owner ? "." : "", n->role, off ? "+0x" : "", off);
        else
            snprintf(var, sizeof var, "state+0x%llx",
                     (unsigned long long)((const char *)p - (const char *)e->state));
    } else {
        role = "a stack word";
        snprintf(var, sizeof var, "%s stack word 0x%llx", stk_of(e, stack_addr)->name,
                 (unsigned long long)stack_addr);
    }
    /* the signature must not depend on which of the two came first */
    access a = first, b = second;
    if (strcmp(a.where, b.where) > 0 || (!strcmp(a.where, b.where) && strcmp(a.kind, b.kind) > 0)) {
        a = second;
        b = first;
    }
    snprintf(msg, sizeof msg, "data race on %s: %s in %s, %s in %s", role, a.kind, a.where,
             b.kind, b.where);
    snprintf(detail, sizeof detail, "%s: %s by %s at step %u in %s; %s by %s at step %u in %s, "
             "unordered", var, first.kind, e->actors[first.actor].display, first.step,
             first.where, second.kind, e->actors[second.actor].display, second.step,
             second.where);
    ENGINE_QUIET_END();
    exec_report(CHECK_RACE, msg, a.where, detail);
}

/* ---- accesses ---- */

/* Any access races with a last write that is not ordered before it. */
static void check_last_write(exec *e, shadow_hdr *h, const void *p, uint64_t stack_addr,
                             access now)
{
    if (h->w_actor != NO_ACTOR && h->w_actor != now.actor &&
        h->w_clk > e->race.vc[now.actor].c[h->w_actor])
        report(e, p, stack_addr, (access){"write", h->w_where, h->w_actor, h->w_step}, now);
}

void race_read(exec *e, const void *p, uint64_t stack_addr, const char *where)
{
    shadow_hdr *h = active(e) ? shadow_of(e, p, stack_addr) : NULL;
    if (!h)
        return;
    unsigned t = (unsigned)e->cur->id;
    const race_vc *vc = &e->race.vc[t];
    check_last_write(e, h, p, stack_addr, (access){"read", where, t, (uint32_t)e->steps});
    shadow_read *rd = &reads_of(h)[t];
    rd->clk = vc->c[t];
    rd->step = (uint32_t)e->steps;
    rd->where = where;
}

void race_write(exec *e, const void *p, uint64_t stack_addr, const char *where)
{
    shadow_hdr *h = active(e) ? shadow_of(e, p, stack_addr) : NULL;
    if (!h)
        return;
    unsigned t = (unsigned)e->cur->id;
    const race_vc *vc = &e->race.vc[t];
    access now = {"write", where, t, (uint32_t)e->steps};
    check_last_write(e, h, p, stack_addr, now);
    shadow_read *rd = reads_of(h);
    for (unsigned u = 0; u < (unsigned)e->nactors; u++) {
        if (u != t && rd[u].clk && rd[u].clk > vc->c[u])
            report(e, p, stack_addr, (access){"read", rd[u].where, u, rd[u].step}, now);
        rd[u].clk = 0; /* a later access that races with these reads races with this write */
    }
    h->w_actor = (uint16_t)t;
    h->w_clk = vc->c[t];
    h->w_step = (uint32_t)e->steps;
    h->w_where = where;
}

/* ---- synchronization ---- */

static race_vc *sync_of(exec *e, const void *p)
{
    race *r = &e->race;
    shadow_hdr *h = shadow_of(e, p, 0);
    if (!h)
        return NULL;
    if (!h->sync) {
        ENGINE_QUIET_BEGIN();
        if (r->nsync == r->sync_cap) {
            r->sync_cap = r->sync_cap ? r->sync_cap * 2 : 64;
            r->sync = realloc(r->sync, r->sync_cap * sizeof *r->sync);
            if (!r->sync)
                abort();
        }
        memset(&r->sync[r->nsync], 0, sizeof *r->sync);
        ENGINE_QUIET_END();
        h->sync = ++r->nsync;
    }
    return &r->sync[h->sync - 1];
}

void race_acquire(exec *e, const void *p)
{
    if (!active(e))
        return;
    race_vc *s = sync_of(e, p);
    if (s)
        join(&e->race.vc[e->cur->id], s);
}

void race_release(exec *e, const void *p)
{
    if (!active(e))
        return;
    race_vc *s = sync_of(e, p);
    race_vc *vc = &e->race.vc[e->cur->id];
    if (s)
        join(s, vc);
    vc->c[e->cur->id]++;
}

void race_suspend(exec *e, int victim, int handler)
{
    race *r = &e->race;
    join(&r->vc[handler], &r->vc[victim]);
    r->vc[victim].c[victim]++;
}

void race_resume(exec *e, int victim, int handler)
{
    race *r = &e->race;
    join(&r->vc[victim], &r->vc[handler]);
    r->vc[handler].c[handler]++;
}

void race_name(exec *e, const void *p, unsigned long size, const char *role, const char *owner)
{
    race *r = &e->race;
    if (r->nnames == sizeof r->names / sizeof r->names[0])
        return; /* names only make reports nicer */
    r->names[r->nnames++] = (race_names){p, (const char *)p + size, role, owner};
}

void race_stack_moved(exec *e, const sr_stack *s, uint32_t old_n, uint32_t new_n,
                      uint32_t kept)
{
    race *r = &e->race;
    uint8_t *sh = r->stack_shadow[s->id];
    if (!sh || !r->stride)
        return;
    size_t stride = r->stride, have = r->stack_cap[s->id] / stride;
    grow(&r->stack_shadow[s->id], &r->stack_cap[s->id], (size_t)new_n * stride);
    sh = r->stack_shadow[s->id];
    ENGINE_QUIET_BEGIN();
    if (old_n <= have) /* else nothing of it was ever recorded past `have` */
        memmove(sh + (size_t)(new_n - kept) * stride, sh + (size_t)(old_n - kept) * stride,
                (size_t)kept * stride);
    else
        memset(sh, 0, r->stack_cap[s->id]);
    memset(sh, 0, (size_t)(new_n - kept) * stride); /* below the kept words: nothing yet */
    ENGINE_QUIET_END();
}
