/*
 * fp.c — the frame-pointer walker: stackrace's own, and the reference the
 * others are measured against.
 *
 * On x86-64 code that keeps frame pointers, rbp points at the saved rbp of
 * the caller, with the return address just above it. The walker follows
 * that chain through the memory view only (bounds-checked: a wild rbp ends
 * the walk instead of faulting; translating: a barrier's trampoline reads as
 * the original return address), requires the chain to go up the stack, and
 * steps over the kernel's signal frames: a return address equal to the
 * signal return trampoline means the kernel's rt_sigframe starts at that
 * slot, its ucontext right after it (Linux arch/x86/include/asm/sigframe.h:
 * pretcode, then struct ucontext), and the walk goes on from the
 * interrupted registers saved there.
 *
 * At the interrupted frame only, it also looks at the instruction at pc
 * (the walked process's code, always mapped there): at a prologue's first
 * two instructions and at a ret, rbp is not (or no longer) the frame's own,
 * and the return address is at sp (push %rbp, ret) or just above the
 * pushed rbp (mov %rsp,%rbp); in the signal return trampoline itself, the
 * kernel's ucontext is at sp. Without that look a frame-pointer walker
 * silently skips the caller there (tests/plugins/walker.c's user-naive-fp
 * is that walker: stress and sweep both catch it).
 *
 * What it cannot do, by construction: code without frame pointers (rbp is
 * then any register), and the rest of a prologue or epilogue that does not
 * follow the usual push/mov ... pop/ret pattern. Its flag says so, and the
 * native engine then builds stacks of frame-pointer shapes only.
 */
#include <stddef.h>
#include <ucontext.h>

#include "walkers.h"

static bool read_greg(const sr_stack_walk *w, uintptr_t uc, int reg, uintptr_t *out)
{
    return w->read(w, uc + offsetof(ucontext_t, uc_mcontext.gregs) + (uintptr_t)reg * 8, out);
}

/* Where the interrupted frame's return address is when rbp is not yet (or
 * no longer) its own: an offset from sp, or -1 (rbp is the frame's). */
static int edge_ra_offset(uintptr_t pc)
{
    const unsigned char *p = (const unsigned char *)pc;
    if (p[0] == 0x55 || p[0] == 0xc3) /* push %rbp; ret */
        return 0;
    if (p[0] == 0x48 && p[1] == 0x89 && p[2] == 0xe5) /* mov %rsp,%rbp */
        return 8;
    return -1;
}

/* A return address equal to the signal return trampoline, at slot: the
 * kernel's rt_sigframe starts there, its ucontext right after it. Appends
 * the interrupted pc and returns the interrupted rbp, or 0. */
static uintptr_t step_signal_frame(const sr_stack_walk *w, uintptr_t slot, uintptr_t *pcs, int *n,
                                   int max)
{
    uintptr_t uc = slot + 8, pc, rbp;
    if (*n >= max || !read_greg(w, uc, REG_RIP, &pc) || !read_greg(w, uc, REG_RBP, &rbp))
        return 0;
    pcs[(*n)++] = pc;
    return rbp;
}

static int fp_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    int n = 0;
    pcs[n++] = w->pc;
    uintptr_t fp = w->fp, ra;
    bool crossed = true; /* the first frame may be anywhere */
    int edge = edge_ra_offset(w->pc);
    if (w->signal_return && w->pc - w->signal_return < 16) {
        /* in the signal return trampoline itself (mov $15,%eax; syscall):
         * the handler has returned, its frame's return address popped, and
         * the kernel's ucontext is at sp */
        if (!(fp = step_signal_frame(w, w->sp - 8, pcs, &n, max)))
            return sr_walk_end_because(w, n, SR_STOP_UNREADABLE, 0, w->sp);
    } else if (edge >= 0 && n < max && w->read(w, w->sp + (uintptr_t)edge, &ra) && ra) {
        pcs[n++] = ra; /* rbp is the caller's: the chain goes on from it */
        if (w->signal_return && ra == w->signal_return &&
            !(fp = step_signal_frame(w, w->sp + (uintptr_t)edge, pcs, &n, max)))
            return sr_walk_end_because(w, n, SR_STOP_UNREADABLE, 0, w->sp);
    }
    while (n < max) {
        uintptr_t next;
        if (!w->read(w, fp, &next) || !w->read(w, fp + 8, &ra))
            return sr_walk_end_because(w, n, SR_STOP_UNREADABLE, 0, fp);
        if (ra == 0)
            return sr_walk_end_because(w, n, SR_STOP_END, 0, fp);
        pcs[n++] = ra;
        if (w->signal_return && ra == w->signal_return) {
            if (!(fp = step_signal_frame(w, fp + 8, pcs, &n, max)))
                return sr_walk_end_because(w, n, SR_STOP_UNREADABLE, 0, fp + 8);
            crossed = true;
            continue;
        }
        if (next <= fp && !crossed) /* a chain that does not go up: its end */
            return sr_walk_end_because(w, n, SR_STOP_END, 0, next);
        crossed = false;
        fp = next;
    }
    return sr_walk_end_because(w, n, SR_STOP_DEPTH, 0, 0);
}

const sr_walker walker_fp = {
    .name = "fp",
    .description = "stackrace's frame-pointer walker (bounds-checked, barrier-aware)",
    .flags = SR_WALKER_NEEDS_FP,
    .init = NULL,
    .walk = fp_walk,
};
