/*
 * view.c — the bounds-checked, barrier-translating memory view (view.h).
 */
#include "view.h"

#include <string.h>
#include <ucontext.h>

#include "shapes.h"

/* Reads any word of the thread's stacks, as a debugger would: including an
 * instrumented frame's redzones, which AddressSanitizer must not report
 * (ThreadSanitizer still sees the read: it is how it sees the seed's race). */
__attribute__((no_sanitize("address"))) static bool view_read(const sr_stack_walk *w,
                                                              uintptr_t addr, uintptr_t *out)
{
    stack_view *v = w->view;
    if (addr % sizeof(uintptr_t) || !mutator_owns(v->m, addr, sizeof(uintptr_t)))
        return false;
    uintptr_t word = *(const volatile uintptr_t *)addr;
    if (word == barrier_pc()) {
        uintptr_t orig = barrier_lookup(&v->m->barriers, v->pos, v->n, addr);
        if (orig)
            word = orig;
        else if (v->missed++ == 0)
            v->missed_slot = addr;
    }
    *out = word;
    return true;
}

saved_ctx view_context_of(const void *ucv)
{
    const ucontext_t *uc = ucv;
    return (saved_ctx){(uintptr_t)uc->uc_mcontext.gregs[REG_RIP],
                       (uintptr_t)uc->uc_mcontext.gregs[REG_RSP],
                       (uintptr_t)uc->uc_mcontext.gregs[REG_RBP]};
}

void view_init(sr_stack_walk *w, stack_view *v, const mutator *m, const saved_ctx *from,
               const void *uc)
{
    w->pc = from->pc;
    w->sp = from->sp;
    w->fp = from->fp;
    v->m = m;
    v->n = m->barriers.n;
    v->pos = m->barriers.pos;
    v->missed = 0;
    v->missed_slot = 0;
    w->ucontext = uc;
    w->read = view_read;
    w->signal_return = shapes_signal_return();
    w->view = v;
}

/* A live or context walker's frames: from the walk's starting pc on (a live
 * walker begins in the handler; a context walker of a parked thread begins
 * in the system call), with trampoline PCs replaced by the originals the
 * table keeps, in order, as Go's gentraceback did with gp.stkbar. A walk
 * that never reaches the starting pc keeps nothing (truncated). */
int view_adapt(const stack_view *v, uintptr_t *pcs, int n, uintptr_t pc)
{
    int k = 0;
    while (k < n && pcs[k] != pc)
        k++;
    n -= k;
    memmove(pcs, pcs + k, (size_t)n * sizeof *pcs);
    unsigned next = v->pos;
    for (int i = 1; i < n; i++)
        if (pcs[i] == barrier_pc() && next < v->n)
            pcs[i] = v->m->barriers.e[next++].orig;
    return n;
}
