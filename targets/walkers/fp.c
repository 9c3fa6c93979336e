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
 * What it cannot do, by construction: code without frame pointers (rbp is
 * then any register), and the instructions of a prologue or epilogue (rbp
 * still the caller's): there it silently skips a frame. Its flag says so,
 * and the native engine then builds stacks of frame-pointer shapes only.
 */
#include <stddef.h>
#include <ucontext.h>

#include "walkers.h"

static bool read_greg(const sr_stack_walk *w, uintptr_t uc, int reg, uintptr_t *out)
{
    return w->read(w, uc + offsetof(ucontext_t, uc_mcontext.gregs) + (uintptr_t)reg * 8, out);
}

static int fp_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    int n = 0;
    pcs[n++] = w->pc;
    uintptr_t fp = w->fp;
    bool crossed = true; /* the first frame may be anywhere */
    while (n < max) {
        uintptr_t next, ra;
        if (!w->read(w, fp, &next) || !w->read(w, fp + 8, &ra) || ra == 0)
            break;
        pcs[n++] = ra;
        if (w->signal_return && ra == w->signal_return) {
            uintptr_t uc = fp + 16, pc, rbp;
            if (n >= max || !read_greg(w, uc, REG_RIP, &pc) || !read_greg(w, uc, REG_RBP, &rbp))
                break;
            pcs[n++] = pc;
            fp = rbp;
            crossed = true;
            continue;
        }
        if (next <= fp && !crossed)
            break;
        crossed = false;
        fp = next;
    }
    return n;
}

const sr_walker walker_fp = {
    .name = "fp",
    .description = "stackrace's frame-pointer walker (bounds-checked, barrier-aware)",
    .flags = SR_WALKER_NEEDS_FP,
    .init = NULL,
    .walk = fp_walk,
};
