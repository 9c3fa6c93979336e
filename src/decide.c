/*
 * decide.c — decisions: read from bytes, or proposed by a strategy, and
 * always recorded. See decide.h for the encoding and why zero is default.
 *
 * Hot path: dec_event runs at every scheduling point. In the common case it
 * reads or records a single zero bit, which is one compare and an increment.
 */
#include "decide.h"

#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "sanitizer.h"

static unsigned bits_for(uint32_t n)
{
    unsigned k = 0;
    while (k < 32 && (1ull << k) < n)
        k++;
    return k;
}

void dec_init(decider *d, dec_runnable runnable)
{
    memset(d, 0, sizeof *d);
    d->runnable = runnable;
    d->depth = 3;
    d->est_steps = 2000;
}

void dec_free(decider *d)
{
    free(d->rec);
    d->rec = NULL;
}

static void rec_reset(decider *d)
{
    if (d->rec)
        memset(d->rec, 0, (d->rec_pos + 7) / 8);
    d->rec_pos = 0;
}

void dec_start_input(decider *d, const uint8_t *bytes, size_t len)
{
    rec_reset(d);
    d->mode = DEC_INPUT;
    d->in = bytes;
    d->in_bits = len * 8;
    d->in_pos = 0;
}

void dec_start_plan(decider *d, const plan *p)
{
    rec_reset(d);
    d->mode = DEC_PLAN;
    d->in = NULL;
    d->in_bits = d->in_pos = 0;
    d->follow = p;
    d->pending_target = -1;
    /* per-actor cursors: the first entry of each actor in each class */
    for (int a = 0; a <= MAX_ACTORS; a++)
        d->cursor[a] = d->choice_cursor[a] = p->n;
    for (size_t i = p->n; i-- > 0;) {
        const plan_entry *pe = &p->e[i];
        if (pe->kind == PLAN_CHOICE)
            d->choice_cursor[pe->actor] = i;
        else
            d->cursor[pe->actor] = i;
    }
}

void dec_start_strategy(decider *d, dec_mode mode, uint64_t seed, const sr_scenario *sc,
                        uint32_t pct_depth)
{
    rec_reset(d);
    d->mode = mode;
    d->in = NULL;
    d->in_bits = d->in_pos = 0;
    d->rng = rng_mix(seed ^ 0x5eed5eed5eedull);
    d->switch_rate = sc->switch_rate;
    d->signal_rate = sc->signal_rate;
    d->depth = pct_depth ? pct_depth : 3;
    if (d->depth > DEC_PCT_MAX_DEPTH)
        d->depth = DEC_PCT_MAX_DEPTH;
}

/* PCT's set-up once the actors exist: a random permutation of high
 * priorities, and d-1 change points spread uniformly over the expected
 * length of the execution. */
void dec_begin_exec(decider *d, dec_actor *const *actors, int n)
{
    if (d->mode != DEC_PCT)
        return;
    uint32_t perm[MAX_ACTORS];
    for (int i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    for (int i = n - 1; i > 0; i--) {
        uint32_t j = rng_below(&d->rng, (uint32_t)i + 1);
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i = 0; i < n; i++)
        actors[i]->prio = 1000000 + (int64_t)perm[i];
    d->nchange = d->depth - 1;
    uint64_t k = d->est_steps ? d->est_steps : 1;
    for (uint32_t i = 0; i < d->nchange; i++)
        d->change_at[i] = 1 + rng_next(&d->rng) % k;
    /* sort ascending so the scheduler only looks at the next one */
    for (uint32_t i = 1; i < d->nchange; i++)
        for (uint32_t j = i; j > 0 && d->change_at[j - 1] > d->change_at[j]; j--) {
            uint64_t t = d->change_at[j];
            d->change_at[j] = d->change_at[j - 1];
            d->change_at[j - 1] = t;
        }
    d->next_change = 0;
}

void dec_fix_estimate(decider *d, uint64_t steps)
{
    d->est_steps = steps < 16 ? 16 : steps;
    d->est_fixed = true;
}

void dec_end_exec(decider *d, uint64_t steps)
{
    if (d->est_fixed)
        return;
    /* a running average, so change points cover the executions we see */
    d->est_steps = (d->est_steps * 7 + steps) / 8;
    if (d->est_steps < 16)
        d->est_steps = 16;
}

static void rec_grow(decider *d, size_t need_bits)
{
    size_t need = (need_bits + 7) / 8;
    if (need <= d->rec_cap)
        return;
    ENGINE_QUIET_BEGIN();
    size_t cap = d->rec_cap ? d->rec_cap * 2 : 4096;
    while (cap < need)
        cap *= 2;
    uint8_t *p = realloc(d->rec, cap);
    if (!p)
        abort();
    memset(p + d->rec_cap, 0, cap - d->rec_cap);
    d->rec = p;
    d->rec_cap = cap;
    ENGINE_QUIET_END();
}

static uint32_t read_bits(decider *d, unsigned k)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < k; i++, d->in_pos++) {
        if (d->in_pos >= d->in_bits)
            break;
        v |= (uint32_t)((d->in[d->in_pos >> 3] >> (d->in_pos & 7)) & 1u) << i;
    }
    return v;
}

static void write_bits(decider *d, unsigned k, uint32_t v)
{
    rec_grow(d, d->rec_pos + k);
    for (unsigned i = 0; i < k; i++, d->rec_pos++)
        if ((v >> i) & 1u)
            d->rec[d->rec_pos >> 3] |= (uint8_t)(1u << (d->rec_pos & 7));
}

uint32_t dec_value(decider *d, uint32_t n, uint32_t proposal)
{
    if (n <= 1)
        return 0;
    unsigned k = bits_for(n);
    uint32_t v;
    if (d->mode == DEC_INPUT) {
        v = read_bits(d, k) % n;
    } else {
        v = proposal < n ? proposal : 0;
    }
    if (v == 0 && d->rec_pos + k <= d->rec_cap * 8)
        d->rec_pos += k; /* zero bits: the buffer is already zero */
    else
        write_bits(d, k, v);
    return v;
}

/* Index, among the n runnable actors other than the running one, of the
 * one with the highest PCT priority. */
static uint32_t pct_best(const decider *d, uint32_t n)
{
    uint32_t best = 0;
    int64_t best_prio = INT64_MIN;
    for (uint32_t i = 0; i < n; i++) {
        const dec_actor *a = d->runnable.nth(d->runnable.ctx, i);
        if (a->prio > best_prio) {
            best_prio = a->prio;
            best = i;
        }
    }
    return best;
}

static bool pct_should_switch(decider *d, dec_actor *cur, uint64_t steps)
{
    if (d->next_change < d->nchange && steps >= d->change_at[d->next_change]) {
        /* a change point: the running actor drops below every initial
         * priority (to d-1-i, so later change points sink lower still) */
        cur->prio = (int64_t)(d->nchange - d->next_change);
        d->next_change++;
    }
    uint32_t n = d->runnable.count(d->runnable.ctx);
    if (n == 0)
        return false;
    const dec_actor *a = d->runnable.nth(d->runnable.ctx, pct_best(d, n));
    return a->prio > cur->prio;
}

/* ---- plans ---- */

void plan_free(plan *p)
{
    free(p->e);
    memset(p, 0, sizeof *p);
}

static void plan_reserve(plan *p, size_t n)
{
    if (n <= p->cap)
        return;
    ENGINE_QUIET_BEGIN();
    while (p->cap < n)
        p->cap = p->cap ? p->cap * 2 : 256;
    p->e = realloc(p->e, p->cap * sizeof *p->e);
    ENGINE_QUIET_END();
    if (!p->e)
        abort();
}

static void plan_add(plan *p, plan_kind kind, const dec_actor *a, uint64_t at, uint32_t value,
                     uint16_t nth)
{
    plan_reserve(p, p->n + 1);
    p->e[p->n++] = (plan_entry){at, value, nth, (uint8_t)kind, (uint8_t)a->id};
}

void plan_copy(plan *dst, const plan *src)
{
    plan_reserve(dst, src->n);
    if (src->n)
        memcpy(dst->e, src->e, src->n * sizeof *src->e);
    dst->n = src->n;
}

static int plan_cmp(const void *pa, const void *pb)
{
    const plan_entry *a = pa, *b = pb;
    int ca = a->kind == PLAN_CHOICE, cb = b->kind == PLAN_CHOICE;
    if (a->actor != b->actor) return a->actor < b->actor ? -1 : 1;
    if (ca != cb) return ca < cb ? -1 : 1;
    if (a->at != b->at) return a->at < b->at ? -1 : 1;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    return a->nth < b->nth ? -1 : a->nth > b->nth;
}

void plan_sort(plan *p)
{
    if (p->n > 1)
        qsort(p->e, p->n, sizeof *p->e, plan_cmp);
}

/* The entry of `kind` for actor a at `at`, or NULL. Cursors only move
 * forward: an actor's counts only grow. */
static const plan_entry *plan_find(const decider *d, size_t *cursor, const dec_actor *a,
                                   uint64_t at, plan_kind kind, uint16_t nth)
{
    const plan *p = d->follow;
    bool choice = kind == PLAN_CHOICE;
    size_t i = *cursor;
    while (i < p->n && p->e[i].actor == a->id && (p->e[i].kind == PLAN_CHOICE) == choice &&
           p->e[i].at < at)
        i++;
    *cursor = i;
    for (; i < p->n && p->e[i].actor == a->id && (p->e[i].kind == PLAN_CHOICE) == choice &&
           p->e[i].at == at;
         i++)
        if (p->e[i].kind == kind && p->e[i].nth == nth)
            return &p->e[i];
    return NULL;
}

/* Where in an actor's history a step-keyed decision is: its program
 * choice count and the steps since its last choice. Removing a decision
 * (even a program choice) before that moves nothing after it in the same
 * program operation. */
static uint64_t step_key(const dec_actor *a)
{
    return (uint64_t)a->choices << 32 | ((a->steps - a->choice_step) & 0xffffffffu);
}

static uint32_t index_of(const decider *d, uint32_t n, int64_t actor_id)
{
    for (uint32_t i = 0; i < n; i++)
        if (d->runnable.nth(d->runnable.ctx, i)->id == actor_id)
            return i;
    return 0;
}

int dec_event(decider *d, dec_actor *cur, uint64_t steps)
{
    int proposal = EV_NONE;
    if (d->mode == DEC_PLAN) {
        dec_actor *a = cur;
        const plan_entry *pe = plan_find(d, &d->cursor[a->id], a, step_key(a), PLAN_SWITCH, 0);
        if (pe) {
            proposal = EV_SWITCH;
            d->pending_target = pe->value;
        } else if ((pe = plan_find(d, &d->cursor[a->id], a, step_key(a), PLAN_SIGNAL, 0))) {
            proposal = EV_SIGNAL;
            d->pending_target = pe->value; /* remote bit | signal index << 1 */
        }
    }
    if (d->mode == DEC_RANDOM) {
        if (rng_chance(&d->rng, d->switch_rate))
            proposal = EV_SWITCH;
        else if (d->signal_rate && rng_chance(&d->rng, d->signal_rate))
            proposal = EV_SIGNAL;
    } else if (d->mode == DEC_PCT) {
        if (d->signal_rate && rng_chance(&d->rng, d->signal_rate))
            proposal = EV_SIGNAL;
        else if (pct_should_switch(d, cur, steps))
            proposal = EV_SWITCH;
    }
    if (dec_value(d, 2, proposal != EV_NONE) == 0)
        return EV_NONE;
    int ev = dec_value(d, 2, proposal == EV_SIGNAL) ? EV_SIGNAL : EV_SWITCH;
    if (d->log)
        plan_add(d->log, ev == EV_SIGNAL ? PLAN_SIGNAL : PLAN_SWITCH, cur, step_key(cur), 0, 0);
    return ev;
}

bool dec_remote(decider *d)
{
    uint32_t proposal = 0;
    if (d->mode == DEC_PLAN)
        proposal = (uint32_t)(d->pending_target & 1);
    else if (d->mode != DEC_INPUT)
        proposal = (uint32_t)(rng_next(&d->rng) & 1);
    bool remote = dec_value(d, 2, proposal) != 0;
    if (d->log && d->log->n)
        d->log->e[d->log->n - 1].value = remote;
    return remote;
}

unsigned dec_signal(decider *d, unsigned n)
{
    uint32_t proposal = 0;
    if (d->mode == DEC_PLAN)
        proposal = (uint32_t)(d->pending_target >> 1);
    else if (d->mode != DEC_INPUT)
        proposal = (uint32_t)(rng_next(&d->rng) % n);
    unsigned signo = dec_value(d, n, proposal % n);
    if (d->log && d->log->n) /* the entry dec_event logged (and dec_remote marked) */
        d->log->e[d->log->n - 1].value |= signo << 1;
    return signo;
}

_Static_assert(sizeof(((decider *)0)->cursor) / sizeof(size_t) == MAX_ACTORS + 1,
               "a plan cursor for every actor id and for the scheduler's own decisions");

uint32_t dec_pick(decider *d, dec_actor *self, bool running, uint32_t n, bool after_event)
{
    uint32_t proposal = 0;
    dec_actor *a = self;
    uint16_t nth = 0;
    if (!after_event && running) {
        /* count forced switches at this step, so each has its own key */
        if (a->pick_step == a->steps)
            a->pick_nth++;
        else
            a->pick_step = a->steps, a->pick_nth = 0;
        nth = a->pick_nth;
    }
    if (d->mode == DEC_PLAN) {
        const plan_entry *pe;
        if (after_event)
            proposal = index_of(d, n, d->pending_target);
        else if ((pe = plan_find(d, &d->cursor[a->id], a, step_key(a), PLAN_PICK, nth)))
            proposal = index_of(d, n, pe->value);
    } else if (d->mode == DEC_RANDOM) {
        proposal = rng_below(&d->rng, n ? n : 1);
    } else if (d->mode == DEC_PCT) {
        /* Forced switches (block, finish, yield) go to the best other
         * actor, and no priority changes: after a yield, if the yielder
         * outranks that actor, PCT switches back at its next scheduling
         * point. So a spin loop gives the actor it waits for one step per
         * iteration, an idle loop delays the yielder by as many steps as it
         * yields, and the priorities and change points decide the rest. */
        proposal = pct_best(d, n);
    }
    uint32_t v = dec_value(d, n, proposal);
    if (d->log && n) {
        uint32_t target = (uint32_t)d->runnable.nth(d->runnable.ctx, v)->id;
        if (after_event)
            d->log->e[d->log->n - 1].value = target;
        else if (v != 0)
            plan_add(d->log, PLAN_PICK, a, step_key(a), target, nth);
    }
    return v;
}

uint32_t dec_choose(decider *d, dec_actor *self, uint32_t n)
{
    uint32_t proposal = 0;
    dec_actor *a = self;
    if (d->mode == DEC_PLAN) {
        const plan_entry *pe = plan_find(d, &d->choice_cursor[a->id], a, a->choices,
                                         PLAN_CHOICE, 0);
        proposal = pe ? pe->value : 0;
    } else if (d->mode != DEC_INPUT) {
        proposal = rng_below(&d->rng, n ? n : 1);
    }
    uint32_t v = dec_value(d, n, proposal);
    if (d->log && v)
        plan_add(d->log, PLAN_CHOICE, a, a->choices, v, 0);
    a->choices++;
    a->choice_step = a->steps;
    return v;
}

const uint8_t *dec_recording(const decider *d, size_t *len)
{
    size_t n = (d->rec_pos + 7) / 8;
    while (n > 0 && d->rec[n - 1] == 0)
        n--;
    *len = n;
    return d->rec;
}
