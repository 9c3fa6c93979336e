/*
 * mstkbar.c — stack barriers: the lock, installation, removal, and the
 * trampoline (Go src/runtime/mstkbar.go and asm_amd64.s stackBarrier).
 *
 * Invariants (mstkbar.go's essay, and d446ba99 "document stack barrier
 * synchronization rules"):
 *  - gp.stkbar[gp.stkbarPos:] lists the barriers not yet hit, innermost
 *    first; entry i's savedLRPtr is a return slot that holds stackBarrierPC,
 *    and savedLRVal is the return PC it replaced.
 *  - Whoever installs, removes or unwinds barriers holds gp.stackLock.
 *    sigprof only *tries* the lock and skips its traceback when it cannot
 *    have it: spinning in a signal handler can deadlock against the
 *    interrupted thread itself (9c9d74ab).
 *  - The one exception: hitting a barrier (the trampoline) advances
 *    stkbarPos without the lock, so a traceback that starts inside the
 *    trampoline must work out whether the increment happened (traceback.c).
 */
#include "runtime.h"

#include <stdio.h>

void gcLockStackBarriers(g *gp) { sr_lock_acquire(&gp->stackLock); }
bool gcTryLockStackBarriers(g *gp) { return sr_lock_try(&gp->stackLock); }
void gcUnlockStackBarriers(g *gp) { sr_lock_release(&gp->stackLock); }

/* gcInstallStackBarrier (mstkbar.go:151–194): three separate writes, in
 * this order — grow the list, fill the entry, patch the slot. */
void gcInstallStackBarrier(g *gp, sr_addr lrPtr, sr_pc lr)
{
    sr_word n = sr_load(&gp->stkbar_len);
    if (n >= MAX_STKBAR)
        sr_throw("too many stack barriers");
    sr_store(&gp->stkbar_len, n + 1);
    sr_store(&gp->stkbar[n].savedLRPtr, lrPtr);
    sr_store(&gp->stkbar[n].savedLRVal, lr);
    sr_stack_store(lrPtr, SR_PC(F_STACKBARRIER));
    if (sr_tracing()) {
        char sym[64];
        sr_note("installs a stack barrier in %s's stack at 0x%llx (was %s)", gp->name,
                (unsigned long long)lrPtr, sr_pc_symbol(lr, sym, sizeof sym));
    }
}

/* gcRemoveStackBarrier (mstkbar.go:225–239). */
static void gcRemoveStackBarrier(g *gp, sr_word i)
{
    sr_addr lrPtr = sr_load(&gp->stkbar[i].savedLRPtr);
    sr_pc val = sr_load(&gp->stkbar[i].savedLRVal);
    if (sr_stack_load(lrPtr) != SR_PC(F_STACKBARRIER))
        sr_throw("stack barrier lost");
    sr_stack_store(lrPtr, val);
}

/* gcRemoveStackBarriers (mstkbar.go:198–216), at mark termination with the
 * world stopped, under the lock (taken here since 9c9d74ab; by scang
 * around scanstack before). */
void gcRemoveStackBarriers(g *gp)
{
    gcLockStackBarriers(gp);
    sr_word n = sr_load(&gp->stkbar_len);
    sr_word pos = sr_load(&gp->stkbarPos);
    if (n > pos)
        SR_NOTE("mark termination: removes %llu un-hit stack barrier%s from %s",
                (unsigned long long)(n - pos), n - pos == 1 ? "" : "s", gp->name);
    for (sr_word i = pos; i < n; i++)
        gcRemoveStackBarrier(gp, i);
    sr_store(&gp->stkbarPos, 0);
    sr_store(&gp->stkbar_len, 0);
    gcUnlockStackBarriers(gp);
    sr_rewriter_done(gp->stack, (unsigned)(gp->stkbar_len - gp->stkbarPos));
}

/* runtime·stackBarrier (asm_amd64.s:368–388 at f90b48e). We arrive here by
 * a RET that popped a patched slot; SP is one word above it. Every load is
 * a step, and the increment is a plain store: no lock. */
sr_pc stackBarrier(void *state, sr_addr sp)
{
    go_state *st = state;
    m *mp = sr_private(sr_self());
    g *gp = go_g(st, sr_load(&mp->tls_g));           /* get_tls; MOVQ g(CX), CX */
    sr_word pos = sr_load(&gp->stkbarPos);            /* MOVQ g_stkbarPos(CX), BX */
    if (pos >= sr_load(&gp->stkbar_len))
        sr_throw("index out of range");
    sr_addr lrPtr = sr_load(&gp->stkbar[pos].savedLRPtr); /* R8 */
    sr_pc lrVal = sr_load(&gp->stkbar[pos].savedLRVal);   /* BX */
    if (st->v->trampoline_checks_sp && lrPtr + 8 != sp)
        sr_throw("unexpected fault address in stackBarrier (savedLRPtr+8 != SP)");
    sr_store(&gp->stkbarPos, pos + 1);                    /* ADDQ $1, g_stkbarPos(CX) */
    SR_DETAIL("returns through a stack barrier of %s (stkbarPos -> %llu)", gp->name,
            (unsigned long long)(pos + 1));
    return lrVal;                                         /* JMP BX */
}
