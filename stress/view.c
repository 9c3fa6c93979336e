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

static void view_stopped(const sr_stack_walk *w, int why, long code, uintptr_t last)
{
    stack_view *v = w->view;
    v->stop_why = why > SR_STOP_UNSAID && why < SR_STOP_COUNT ? why : SR_STOP_UNSAID;
    v->stop_code = code;
    v->stop_last = last;
}

const char *view_stop_name(int why)
{
    static const char *const names[SR_STOP_COUNT] = {
        "unsaid", "end of stack", "no unwind info", "error", "depth limit", "unreadable memory",
        "declined"};
    return why >= 0 && why < SR_STOP_COUNT ? names[why] : "unsaid";
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
    v->stop_why = SR_STOP_UNSAID;
    v->stop_code = 0;
    v->stop_last = 0;
    w->stopped = view_stopped;
    w->ucontext = uc;
    w->read = view_read;
    w->signal_return = shapes_signal_return();
    w->view = v;
}

bool view_readable(const void *view, uintptr_t addr)
{
    const stack_view *v = view;
    return addr % sizeof(uintptr_t) == 0 && mutator_owns(v->m, addr, sizeof(uintptr_t));
}

/* Whether entry e is still a barrier of a frame on the stack: its slot holds
 * the trampoline (the thread removing its own barriers restores slot by
 * slot) and the frame has not returned through it (a thread in the
 * trampoline, before barrier_pop, is past the slot of the entry it pops). */
static bool entry_live(const stack_view *v, const barrier_entry *e, uintptr_t sp)
{
    const mutator *m = v->m;
    if (!view_readable(v, e->slot) || *(const volatile uintptr_t *)e->slot != barrier_pc())
        return false;
    bool slot_alt = e->slot >= m->alt_lo && e->slot < m->alt_hi;
    bool sp_alt = sp >= m->alt_lo && sp < m->alt_hi;
    return slot_alt != sp_alt || e->slot >= sp;
}

/* A live or context walker's frames: from the walk's starting pc on (a live
 * walker begins in the handler, whose own frame returns to the signal
 * return trampoline, which may also be the pc the thread was interrupted
 * at: the search starts after it; a context walker of a parked thread
 * begins in the system call). Trampoline PCs are replaced by the originals
 * of the barriers still live, innermost first: the i-th trampoline the
 * walker met is the i-th patched slot above the stack pointer, which is
 * what a walker that returns one trampoline address per patched slot met,
 * wherever the thread is in the trampoline or in its own barrier removal
 * (Go's gentraceback translated by position in gp.stkbar, which is right
 * only when no return is half done). */
int view_adapt(const stack_view *v, uintptr_t *pcs, int n, const saved_ctx *from,
               unsigned walker_flags)
{
    int k = 0;
    uintptr_t sr = shapes_signal_return();
    if ((walker_flags & SR_WALKER_LIVE) && sr) {
        while (k < n && pcs[k] != sr)
            k++;
        k = k < n ? k + 1 : 0; /* no handler frame found: search from the start */
    }
    while (k < n && pcs[k] != from->pc)
        k++;
    if (k == n)
        return 0; /* never met pc: the walk stays as given, for the report */
    n -= k;
    memmove(pcs, pcs + k, (size_t)n * sizeof *pcs);
    const barrier_table *t = &v->m->barriers;
    unsigned next = v->pos;
    for (int i = 1; i < n; i++) {
        if (pcs[i] != barrier_pc())
            continue;
        while (next < v->n && !entry_live(v, &t->e[next], from->sp))
            next++;
        if (next < v->n)
            pcs[i] = t->e[next++].orig;
    }
    return n;
}
