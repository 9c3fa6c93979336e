/*
 * barrier.c — the side table of return-address barriers (barrier.h).
 */
#include "barrier.h"

#include <sched.h>
#include <stddef.h>

#include "findings.h"

__thread barrier_table *barrier_self;

/* barrier_x86_64.S advances pos itself, at this offset */
_Static_assert(offsetof(barrier_table, pos) == 12, "BARRIER_POS in barrier_x86_64.S");

extern const char __start_sr_tramp_text[], __stop_sr_tramp_text[];

/* gcc 12 sets up no frame pointer in a function that needs no stack
 * frame, -fno-omit-frame-pointer or not (clang does). The functions below
 * that the walked thread itself runs (the sweep's barriers, installed and
 * removed by the thread at its foreign calls) would then be frames the
 * frame-pointer walker, promised frame-pointer code, could only skip: in a
 * gcc build it was graded wrong inside barrier_install and barrier_remove.
 * Asking for the frame's address where the compiler cannot drop the
 * question keeps the frame pointer. */
#define KEEP_FRAME_POINTER() __asm__ volatile("" : : "r"(__builtin_frame_address(0)))

uintptr_t barrier_text_lo(void) { return (uintptr_t)__start_sr_tramp_text; }
uintptr_t barrier_text_hi(void) { return (uintptr_t)__stop_sr_tramp_text; }

static bool try_take(barrier_table *t)
{
    int expect = 0;
    return atomic_compare_exchange_strong_explicit(&t->lock, &expect, 1, memory_order_acquire,
                                                   memory_order_relaxed);
}

bool barrier_trylock(barrier_table *t)
{
    return !atomic_load_explicit(&t->wanted, memory_order_relaxed) && try_take(t);
}

void barrier_lock(barrier_table *t)
{
    atomic_store_explicit(&t->wanted, 1, memory_order_relaxed);
    while (!try_take(t))
        sched_yield();
    atomic_store_explicit(&t->wanted, 0, memory_order_relaxed);
}

void barrier_unlock(barrier_table *t)
{
    KEEP_FRAME_POINTER();
    atomic_store_explicit(&t->lock, 0, memory_order_release);
}

/* The table is published entry first, count second, slot last, as Go's
 * gcInstallStackBarrier appends to gp.stkbar before it writes the slot: a
 * reader who copied the count before the scanner bumped it, then reads the
 * patched slot, has a trampoline PC it cannot translate (the seed's
 * "missed stack barrier"). */
int barrier_install(barrier_table *t, const shadow *s, uintptr_t *bad)
{
    KEEP_FRAME_POINTER();
    unsigned depth = s->depth;
    for (unsigned i = 0; i < depth; i++) {
        const shadow_frame *f = &s->f[i];
        if (f->kind == FRAME_CALL && f->slot && *(volatile uintptr_t *)f->slot != f->ra) {
            *bad = f->slot;
            return -1;
        }
    }
    unsigned n = 0;
    for (unsigned i = depth; i-- > 0;) {
        const shadow_frame *f = &s->f[i];
        if (f->kind != FRAME_CALL || !f->slot)
            continue;
        t->e[n].slot = f->slot;
        t->e[n].orig = f->ra;
        n++;
        t->n = n;
        *(volatile uintptr_t *)f->slot = barrier_pc();
    }
    return (int)n;
}

int barrier_remove(barrier_table *t, uintptr_t *bad)
{
    KEEP_FRAME_POINTER();
    int restored = 0;
    for (unsigned k = t->pos; k < t->n; k++) {
        volatile uintptr_t *slot = (volatile uintptr_t *)t->e[k].slot;
        if (*slot != barrier_pc()) {
            *bad = t->e[k].slot;
            return -1;
        }
        *slot = t->e[k].orig;
        restored++;
    }
    t->n = 0;
    t->pos = 0;
    return restored;
}

void barrier_unwind(barrier_table *t, uintptr_t lo, uintptr_t sp)
{
    while (t->pos < t->n && t->e[t->pos].slot >= lo && t->e[t->pos].slot < sp) {
        /* the frame may still be running (the one about to longjmp): its
         * slot gets its return address back before the entry goes, so
         * that no instant shows a trampoline without an entry */
        volatile uintptr_t *slot = (volatile uintptr_t *)t->e[t->pos].slot;
        if (*slot == barrier_pc())
            *slot = t->e[t->pos].orig;
        atomic_signal_fence(memory_order_seq_cst);
        t->pos++;
    }
}

uintptr_t barrier_lookup(const barrier_table *t, unsigned pos, unsigned n, uintptr_t slot)
{
    for (unsigned k = pos; k < n && k < SHADOW_MAX; k++)
        if (t->e[k].slot == slot)
            return t->e[k].orig;
    return 0;
}

/* In the trampoline's section, and never instrumented: a sampler sees a PC
 * here as "between a return and its original return address". */
__attribute__((section("sr_tramp_text"), no_sanitize("address", "thread", "undefined")))
uintptr_t barrier_pop(uintptr_t sp_after_return)
{
    barrier_table *t = barrier_self;
    uintptr_t slot = sp_after_return - sizeof(uintptr_t);
    /* the trampoline has advanced pos past the entry it pops already */
    if (!t || t->pos == 0 || t->pos > t->n || t->e[t->pos - 1].slot != slot) {
        char detail[160];
        fmtbuf b;
        fmt_init(&b, detail, sizeof detail);
        fmt_str(&b, "slot ");
        fmt_hex(&b, slot);
        bool entry = t && t->pos > 0 && t->pos <= t->n;
        fmt_str(&b, entry ? ", innermost live entry's slot " : ", no live entry");
        if (entry)
            fmt_hex(&b, t->e[t->pos - 1].slot);

        findings_fatal("rewriter", "a return through the trampoline found no entry for its slot",
                       detail);
    }
    return t->e[t->pos - 1].orig;
}
