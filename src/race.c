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

#include "sanitizer.h"

#define NO_ACTOR 0xffffu
#define SCHEDULER (RACE_CLOCKS - 1) /* the setup's clock, from which actors start */

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
    for (int i = 0; i < RACE_STACKS; i++)
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
    for (int i = 0; i < RACE_STACKS; i++)
        if (r->stack_shadow[i])
            memset(r->stack_shadow[i], 0, r->stack_cap[i]);
    ENGINE_QUIET_END();
}

void race_begin(race *r)
{
    memset(r->vc, 0, sizeof r->vc);
    r->vc[SCHEDULER].c[SCHEDULER] = 1;
    r->nsync = 0;
    r->nnames = 0;
    if (++r->gen == 0) { /* wrapped: old generations could look current */
        clear_all(r);
        r->gen = 1;
    }
}

/* The shadow layout depends on the number of actors, known once setup
 * has spawned them all: settled at each checked access (cheap when it
 * holds). False when the detector is off. */
static bool active(race *r, const race_at *at)
{
    if (!r->on)
        return false;
    uint32_t stride = (uint32_t)(sizeof(shadow_hdr) + sizeof(shadow_read) * (size_t)at->nactors);
    if (stride != r->stride) {
        clear_all(r);
        r->stride = stride;
    }
    return true;
}

void race_spawn(race *r, int actor)
{
    r->vc[actor] = r->vc[SCHEDULER];
    r->vc[actor].c[actor] = 1;
    r->vc[SCHEDULER].c[SCHEDULER]++;
}

static shadow_hdr *shadow_of(race *r, const race_at *at)
{
    uint8_t **base = at->stack == RACE_STATE ? &r->state_shadow : &r->stack_shadow[at->stack];
    size_t *cap = at->stack == RACE_STATE ? &r->state_cap : &r->stack_cap[at->stack];
    grow(base, cap, (at->words + 1) * r->stride);
    shadow_hdr *h = (shadow_hdr *)(*base + at->word * r->stride);
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

const race_names *race_name_of(const race *r, size_t offset)
{
    for (uint32_t i = 0; i < r->nnames; i++)
        if (offset >= r->names[i].lo && offset < r->names[i].hi)
            return &r->names[i];
    return NULL;
}

static void found_race(race_found *found, race_access first, race_access second)
{
    found->race[found->n].first = first;
    found->race[found->n].second = second;
    found->n++;
}

/* ---- accesses ---- */

/* Any access races with a last write that is not ordered before it. */
static void check_last_write(const race *r, const shadow_hdr *h, race_access now,
                             race_found *found)
{
    if (h->w_actor != NO_ACTOR && h->w_actor != now.actor &&
        h->w_clk > r->vc[now.actor].c[h->w_actor])
        found_race(found, (race_access){"write", h->w_where, h->w_actor, h->w_step}, now);
}

bool race_read(race *r, const race_at *at, const char *where, race_found *found)
{
    found->n = 0;
    if (!active(r, at))
        return false;
    shadow_hdr *h = shadow_of(r, at);
    unsigned t = at->actor;
    const race_vc *vc = &r->vc[t];
    check_last_write(r, h, (race_access){"read", where, t, at->step}, found);
    shadow_read *rd = &reads_of(h)[t];
    rd->clk = vc->c[t];
    rd->step = at->step;
    rd->where = where;
    return found->n > 0;
}

bool race_write(race *r, const race_at *at, const char *where, race_found *found)
{
    found->n = 0;
    if (!active(r, at))
        return false;
    shadow_hdr *h = shadow_of(r, at);
    unsigned t = at->actor;
    const race_vc *vc = &r->vc[t];
    race_access now = {"write", where, t, at->step};
    check_last_write(r, h, now, found);
    shadow_read *rd = reads_of(h);
    for (unsigned u = 0; u < at->nactors; u++) {
        if (u != t && rd[u].clk && rd[u].clk > vc->c[u])
            found_race(found, (race_access){"read", rd[u].where, u, rd[u].step}, now);
        rd[u].clk = 0; /* a later access that races with these reads races with this write */
    }
    h->w_actor = (uint16_t)t;
    h->w_clk = vc->c[t];
    h->w_step = at->step;
    h->w_where = where;
    return found->n > 0;
}

/* ---- synchronization ---- */

static race_vc *sync_of(race *r, const race_at *at)
{
    shadow_hdr *h = shadow_of(r, at);
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

void race_acquire(race *r, const race_at *at)
{
    if (active(r, at))
        join(&r->vc[at->actor], sync_of(r, at));
}

/* at->words == 0: a word outside the target state, which has no clock;
 * the releaser's epoch ends all the same. */
void race_release(race *r, const race_at *at)
{
    if (!active(r, at))
        return;
    race_vc *vc = &r->vc[at->actor];
    if (at->words)
        join(sync_of(r, at), vc);
    vc->c[at->actor]++;
}

void race_suspend(race *r, int victim, int handler)
{
    join(&r->vc[handler], &r->vc[victim]);
    r->vc[victim].c[victim]++;
}

void race_resume(race *r, int victim, int handler)
{
    join(&r->vc[victim], &r->vc[handler]);
    r->vc[handler].c[handler]++;
}

void race_name(race *r, size_t offset, size_t size, const char *role, const char *owner)
{
    if (r->nnames == sizeof r->names / sizeof r->names[0])
        return; /* names only make reports nicer */
    r->names[r->nnames++] = (race_names){offset, offset + size, role, owner};
}

void race_stack_moved(race *r, int stack, uint32_t old_n, uint32_t new_n, uint32_t kept)
{
    uint8_t *sh = r->stack_shadow[stack];
    if (!sh || !r->stride)
        return;
    size_t stride = r->stride, have = r->stack_cap[stack] / stride;
    grow(&r->stack_shadow[stack], &r->stack_cap[stack], (size_t)new_n * stride);
    sh = r->stack_shadow[stack];
    ENGINE_QUIET_BEGIN();
    if (old_n <= have) /* else nothing of it was ever recorded past `have` */
        memmove(sh + (size_t)(new_n - kept) * stride, sh + (size_t)(old_n - kept) * stride,
                (size_t)kept * stride);
    else
        memset(sh, 0, r->stack_cap[stack]);
    memset(sh, 0, (size_t)(new_n - kept) * stride); /* below the kept words: nothing yet */
    ENGINE_QUIET_END();
}
