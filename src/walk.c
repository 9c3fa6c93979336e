/*
 * walk.c — the walk oracle (check 2).
 *
 * A completed walk must equal the ground truth of the walked stack at *some*
 * moment during the walk: a walker may legitimately race with the stack it
 * walks (a sampler walking a running thread), but whatever it reports must
 * have been true at once. Exactly: when the stack did not change during the
 * walk, the walk must equal that one snapshot.
 *
 * Cheaply: the ground truth keeps a hash of every prefix of its call chain
 * (outermost first). A walk records the hash of the part it covers (frames
 * whose return slots are above its starting SP) when it begins and after
 * every change to the stack while it is in progress; at the end, the hash of
 * the reported return PCs must be one of those. A walker may decline
 * ("unreliable"); that is counted, not compared, so a walker that always
 * declines is visible in the statistics.
 */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "rng.h"
#include "sanitizer.h"

/* Hash of the frames of s whose return slots lie above sp. */
static uint64_t covered_hash(const sr_stack *s, sr_addr sp)
{
    unsigned k = s->depth;
    while (k > 0 && s->frames[k - 1].slot < sp)
        k--;
    return s->prefix[k];
}

static bool is_active(const exec *e, const sr_walk *w)
{
    for (int i = 0; i < e->nstacks; i++)
        for (const sr_walk *x = e->stacks[i].walks; x; x = x->next_active)
            if (x == w)
                return true;
    return false;
}

static unsigned covered_count(const sr_stack *s, sr_addr sp)
{
    unsigned k = s->depth;
    while (k > 0 && s->frames[k - 1].slot < sp)
        k--;
    return k;
}

static void remember(sr_walk *w)
{
    uint64_t h = covered_hash(w->stack, w->sp);
    for (unsigned i = 0; i < w->nseen; i++)
        if (w->seen[i] == h)
            return;
    if (w->nseen == sizeof w->seen / sizeof w->seen[0]) {
        w->seen_overflow = true;
        return;
    }
    w->seen[w->nseen++] = h;
}

void walk_note_change(sr_stack *s)
{
    for (sr_walk *w = s->walks; w; w = w->next_active)
        remember(w);
}

void sr_walk_begin(sr_walk *w, sr_addr sp)
{
    exec *e = exec_current;
    if (is_active(e, w))
        exec_fail_detail(CHECK_MODEL, "model misuse: sr_walk_begin on a walk in progress", "",
                         NULL);
    e->cur->walks_open++;
    w->stack = stk_of(e, sp);
    w->sp = sp;
    w->n = 0;
    w->nseen = 0;
    w->seen_overflow = false;
    w->next_active = NULL;
    exec_event(T_WALK_BEGIN, sp, w->stack ? (uint64_t)w->stack->id : ~0ull,
               w->stack ? w->stack->name : "?");
    if (!w->stack)
        return;
    remember(w);
    w->next_active = w->stack->walks;
    w->stack->walks = w;
}

void sr_walk_frame(sr_walk *w, sr_pc pc)
{
    if (w->n < SR_WALK_MAX)
        w->pcs[w->n] = pc;
    w->n++;
}

static void unlink_walk(sr_walk *w)
{
    for (sr_walk **p = &w->stack->walks; *p; p = &(*p)->next_active)
        if (*p == w) {
            *p = w->next_active;
            return;
        }
}

static void describe(exec *e, const sr_walk *w, char *buf, size_t len)
{
    char sym[64];
    size_t off = (size_t)snprintf(buf, len, "walk of %s from %s returned through:",
                                  w->stack->name,
                                  w->n ? stk_symbol(e->target, w->pcs[0], sym, sizeof sym)
                                       : "nothing");
    if (w->n <= 1 && off < len)
        off += (size_t)snprintf(buf + off, len - off, " (none)");
    for (unsigned i = 1; i < w->n && i < SR_WALK_MAX && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, " %s",
                                stk_symbol(e->target, w->pcs[i], sym, sizeof sym));
    if (off < len)
        off += (size_t)snprintf(buf + off, len - off, "; the ground truth now:");
    const sr_stack *s = w->stack;
    for (unsigned i = s->depth; i-- > 0 && off < len;)
        if (s->frames[i].slot >= w->sp)
            off += (size_t)snprintf(buf + off, len - off, " %s",
                                    stk_symbol(e->target, s->frames[i].ret, sym, sizeof sym));
}

static _Noreturn void wrong_walk(exec *e, const sr_walk *w, const char *msg,
                                 const char *where)
{
    char detail[512];
    ENGINE_QUIET_BEGIN();
    describe(e, w, detail, sizeof detail);
    ENGINE_QUIET_END();
    exec_fail_detail(CHECK_WALK, msg, where, detail);
}

/* A complete walk: its return PCs, outermost first, hash like the ground
 * truth's prefix; the hash must be one the stack had during the walk. */
static bool complete_walk_matches(const sr_walk *w)
{
    uint64_t h = w->stack->prefix[0];
    for (unsigned i = w->n; i-- > 1;)
        h = rng_mix(h ^ w->pcs[i]);
    for (unsigned i = 0; i < w->nseen; i++)
        if (w->seen[i] == h)
            return true;
    return false;
}

/* A truncated walk: its return PCs must be the innermost covered frames of
 * the ground truth. Judged against the stack as it is now, so only when
 * the stack did not change during the walk. */
static bool truncated_walk_matches(const sr_walk *w)
{
    const sr_stack *s = w->stack;
    unsigned k = covered_count(s, w->sp);
    if (w->n - 1 > k)
        return false;
    for (unsigned i = 1; i < w->n; i++)
        if (w->pcs[i] != s->frames[k - i].ret)
            return false;
    return true;
}

void sr_walk_end_at(sr_walk *w, sr_walk_end_kind kind, const char *where)
{
    exec *e = exec_current;
    exec_event(T_WALK_END, (uint64_t)kind, w->n, NULL);
    if (e->cur->walks_open)
        e->cur->walks_open--;
    if (w->stack)
        unlink_walk(w);
    if (kind == SR_WALK_DECLINED) {
        e->stats.walks_declined++;
        return;
    }
    e->stats.walks_complete++;
    if (!w->stack)
        exec_fail_detail(CHECK_WALK, "walk oracle: a walk from an SP outside every stack "
                         "claims frames", where, NULL);
    if (w->n > SR_WALK_MAX)
        wrong_walk(e, w, "walk oracle: a walk reports more frames than any stack holds",
                   where);
    bool changed = w->nseen > 1 || w->seen_overflow;
    if (kind == SR_WALK_TRUNCATED) {
        if (changed) {
            e->stats.walks_unjudged++; /* no snapshot to judge a partial walk by */
            return;
        }
        if (!truncated_walk_matches(w))
            wrong_walk(e, w, "walk oracle: a truncated walk is not the innermost part of the "
                       "walked stack", where);
        return;
    }
    if (complete_walk_matches(w))
        return;
    if (w->seen_overflow) {
        e->stats.walks_unjudged++; /* the state it saw may be one we did not keep */
        return;
    }
    wrong_walk(e, w, "walk oracle: a completed walk matches no ground-truth state of the "
               "walked stack", where);
}
