/*
 * oracle.c — the stress engine's walk oracle (oracle.h).
 */
#include "oracle.h"

#include "shapes.h"

static bool readable(const oracle_sample *o, uintptr_t addr)
{
    return o->readable && addr && o->readable(o->ctx, addr);
}

static bool patched(const oracle_sample *o, uintptr_t slot)
{
    return readable(o, slot) && *(const volatile uintptr_t *)slot == barrier_pc();
}

/* Appends the shadow's frames, innermost first. */
static void push_shadow(const oracle_sample *o, walk_truth *t)
{
    const shadow *s = o->s;
    for (unsigned k = s->depth; k-- > 0;) {
        const shadow_frame *f = &s->f[k];
        bool call = f->kind == FRAME_CALL;
        truth_push(t, f->ra, call && patched(o, f->slot) ? TRUTH_PATCHED : 0);
    }
}

/* A shape's first instruction or its ret: the frame the shadow has not
 * recorded (or has forgotten) is certain, and its return address is at sp.
 * Not the root (nothing above it is judged) nor the trap handler (entered
 * by the kernel, left through the signal return: the tolerance's cases). */
static bool exact_extra_frame(const oracle_sample *o, uintptr_t *ra, unsigned *flags)
{
    int id = shape_of_pc(o->pc);
    if (id < 0 || id == SHAPE_ROOT || id == SHAPE_HANDLER)
        return false;
    bool entry = o->pc == shape_start((unsigned)id);
    bool ret = *(const unsigned char *)o->pc == 0xc3;
    if (!(entry || ret) || !readable(o, o->sp))
        return false;
    uintptr_t word = *(const volatile uintptr_t *)o->sp;
    *flags = 0;
    if (word == barrier_pc() && o->barriers) {
        *flags = TRUTH_PATCHED;
        word = barrier_lookup(o->barriers, o->barriers->pos, o->barriers->n, o->sp);
    }
    *ra = word;
    return true;
}

/* The shape a frame's code belongs to: a signal frame's is the interrupted
 * PC's (shadow.h). SHAPE_COUNT for none. */
static unsigned frame_function(const shadow_frame *f)
{
    if (f->kind != FRAME_SIGNAL)
        return f->shape;
    int id = shape_of_pc(f->ra);
    return id < 0 ? SHAPE_COUNT : (unsigned)id;
}

/* How many frames of the walk, after pc, the tolerance lets stand for the
 * unrecorded callee (oracle.h); 0 if none. */
static int tolerated_frames(const oracle_sample *o, const uintptr_t *pcs, int n)
{
    if (n < 2)
        return 0;
    const shadow *s = o->s;
    unsigned d = s->depth;
    const shadow_frame *top = d ? &s->f[d - 1] : NULL;
    unsigned fn = top ? frame_function(top) : SHAPE_ROOT;
    uintptr_t sr = o->signal_return;
    bool sigret1 = sr && pcs[1] == sr;
    /* the handler may have stepped over the trap already (ud2: 2 bytes) */
    bool trap2 = n >= 3 && (shape_is_trap_site(fn, pcs[2]) || shape_is_trap_site(fn, pcs[2] - 2));
    bool trap1 = shape_is_trap_site(fn, pcs[1]) || shape_is_trap_site(fn, pcs[1] - 2);
    /* __restore_rt is two instructions (mov $15, %eax; syscall) */
    bool in_sigreturn = sr && o->pc >= sr && o->pc < sr + 16;
    if (shape_is_return_site(fn, pcs[1]) || (sigret1 && top && top->kind == FRAME_SIGNAL))
        return 1;
    if (sigret1 && trap2)
        return 2;
    if (in_sigreturn && trap1)
        return 1;
    return 0;
}

/* Whether "nothing" between pc and the shadow's frames can be the truth:
 * only when pc is in the topmost recorded frame's own function (its body,
 * or a callee of the same function, recursion, which the shadow cannot
 * tell apart). Anywhere else a frame the shadow has not recorded certainly
 * lies between them: a callee's prologue or epilogue, libc, a helper, the
 * trap handler before it records itself. An empty shadow is not judged. */
static bool own_code(const oracle_sample *o)
{
    unsigned d = o->s->depth;
    if (d == 0)
        return true;
    const shadow_frame *top = &o->s->f[d - 1];
    return top->kind == FRAME_CALL && shape_of_pc(o->pc) == (int)top->shape;
}

/* The shadow's truth with a placeholder for the frame it has not recorded
 * (the walk skipped it: wrong at frame 1). */
static void unrecorded_truth(const oracle_sample *o, walk_truth *t)
{
    t->n = 0;
    truth_push(t, o->pc, 0);
    truth_push(t, 0, 0);
    push_shadow(o, t);
}

verdict_result oracle_check(const oracle_sample *o, const walk_record *w, walk_truth *judged)
{
    walk_truth t, mine;
    if (!judged)
        judged = &mine;
    t.n = 0;
    truth_push(&t, o->pc, 0);
    uintptr_t ra;
    unsigned flags;
    if (exact_extra_frame(o, &ra, &flags)) {
        truth_push(&t, ra, flags);
        push_shadow(o, &t);
        *judged = t;
        return verdict_classify(&t, w);
    }
    push_shadow(o, &t);
    *judged = t;
    verdict_result plain = verdict_classify(&t, w);
    if (w->caught || w->returned <= 0 || w->n <= 0)
        return plain;
    bool own = own_code(o);
    if (!own && w->n > 1 && plain.v != VERDICT_WRONG) {
        plain = (verdict_result){VERDICT_WRONG, 1}; /* it skipped the unrecorded frame */
        unrecorded_truth(o, judged);
    }
    if (plain.v == VERDICT_EXACT)
        return plain;
    int skip = tolerated_frames(o, w->pcs, w->n);
    if (!skip)
        return plain;
    /* the same truth with the tolerated frames in it */
    t.n = 0;
    for (int i = 0; i <= skip; i++)
        truth_push(&t, w->pcs[i], 0);
    push_shadow(o, &t);
    verdict_result alt = verdict_classify(&t, w);
    if (!verdict_better(alt.v, plain.v))
        return plain;
    *judged = t;
    return alt;
}
