/*
 * mgcmark.c — the GC worker: scang/scanstack installing stack barriers in
 * the mark phase, and their removal at mark termination with the world
 * stopped (Go src/runtime/mgcmark.go scanstack:572–690, proc.go
 * scang:756–823, mstkbar.go gcRemoveStackBarriers).
 *
 * A cycle: mark (scan every G that is not running, installing barriers),
 * stop the world, remove every un-hit barrier, start the world. The GC runs
 * forever as a daemon; the execution ends when the mutators' programs do.
 */
#include "runtime.h"

/* scanstack in the mark phase: walk gp's frames from syscallsp (or
 * sched.sp) outwards and install a barrier at every frame whose fp is past
 * nextBarrier, except the innermost (n == 0), doubling the spacing after
 * each one (firstStackBarrierOffset 1024; gcstackbarrierall=1 gives 0).
 * At mark termination it removes the barriers not hit (mgcmark.go:631–648;
 * the rescan of the frames below them is not modelled). */
static void scanstack(go_state *st, g *gp)
{
    if (sr_atomic_load(&st->gcphase) == _GCmarktermination) {
        gcRemoveStackBarriers(gp);
        return;
    }
    sr_addr sp = sr_load(&gp->syscallsp);
    sr_pc pc = sr_load(&gp->syscallpc);
    if (sp == 0) {
        sp = sr_load(&gp->sched_sp);
        pc = sr_load(&gp->sched_pc);
    }
    if (sr_load(&gp->stkbarPos) != 0 || sr_load(&gp->stkbar_len) != 0)
        sr_throw("g already has stack barriers");
    sr_addr barrierOffset = st->spacing;
    sr_addr nextBarrier = sp + barrierOffset;
    gcLockStackBarriers(gp);
    SR_NOTE("takes %s", gp->lockname);
    unsigned n = 0;
    for (;;) {
        int64_t delta = sr_pc_spdelta(pc);
        if (delta < 0)
            sr_throw("scanstack: unknown pc");
        sr_addr fp = sp + (sr_addr)delta + 8;
        if (fp > gp->hi)
            break;
        if (fp == gp->hi)
            break; /* the outermost frame has no return slot */
        sr_addr lrPtr = fp - 8;
        sr_pc lr = sr_stack_load(lrPtr);
        if (fp > nextBarrier && n != 0) {
            gcInstallStackBarrier(gp, lrPtr, lr);
            barrierOffset *= 2;
            nextBarrier = sp + barrierOffset;
        }
        n++;
        pc = lr;
        sp = fp;
    }
    gcUnlockStackBarriers(gp);
    SR_NOTE("finishes scanning %s's stack and releases %s", gp->name, gp->lockname);
}

/* scang: scan gp if it is stopped (runnable, waiting, in a syscall),
 * holding the _Gscan bit over the scan so the G cannot start running. At
 * 87f97c7 scang also spun on gp.stackLock around scanstack (proc1.go:
 * 414–425); from 9c9d74ab scanstack and gcRemoveStackBarriers take it
 * themselves. Either way installation and removal hold the lock. */
static void scang(go_state *st, g *gp)
{
    for (int tries = 0; tries < 8; tries++) {
        sr_word s = sr_atomic_load(&gp->atomicstatus);
        switch (s) {
        case _Gdead:
            return;
        case _Grunnable:
        case _Gsyscall:
        case _Gwaiting:
            if (sr_cas(&gp->atomicstatus, s, s | _Gscan)) {
                if (sr_atomic_load(&st->gcphase) == _GCmark)
                    SR_NOTE("starts a scan of %s's stack: %s is %s", gp->name, gp->name,
                            s == _Gsyscall   ? "_Gscansyscall"
                            : s == _Gwaiting ? "_Gscanwaiting"
                                             : "_Gscanrunnable");
                scanstack(st, gp);
                sr_atomic_store(&gp->atomicstatus, s); /* restartg */
                return;
            }
            break;
        default: /* _Grunning: Go would ask it to scan itself; try later */
            sr_yield();
            break;
        }
    }
}

/* stopTheWorldWithSema, reduced: take the P of every M in a syscall
 * (_Psyscall -> _Pgcstop), wait for the others to stop at a safe point. */
static void stop_the_world(go_state *st, bool stolen[])
{
    sr_atomic_store(&st->gcwaiting, 1);
    for (int i = 0; i < st->nmut; i++) {
        m *mp = &st->ms[i];
        stolen[i] = false;
        for (;;) {
            if (sr_cas(&mp->p_status, _Psyscall, _Pgcstop)) {
                stolen[i] = true;
                break;
            }
            if (sr_atomic_load(&mp->p_status) == _Pgcstop)
                break;
            if (sr_atomic_load(&mp->user->atomicstatus) == _Gdead)
                break;
            sr_yield();
        }
    }
    SR_DETAIL("stops the world");
}

/* startTheWorld: Ps taken from syscalls become idle (their Ms take them
 * back in exitsyscall), Ms parked at safe points get theirs back. */
static void start_the_world(go_state *st, const bool stolen[])
{
    sr_atomic_store(&st->gcwaiting, 0);
    for (int i = 0; i < st->nmut; i++) {
        m *mp = &st->ms[i];
        if (stolen[i])
            sr_atomic_store(&mp->p_status, _Pidle);
        else if (sr_atomic_load(&mp->p_status) == _Pgcstop)
            sr_atomic_store(&mp->p_status, _Prunning);
    }
    SR_DETAIL("starts the world");
}

static void gc_cycle(go_state *st)
{
    sr_atomic_store(&st->gcphase, _GCmark);
    SR_DETAIL("GC cycle begins: mark phase");
    for (int i = 0; i < st->nmut; i++)
        scang(st, st->ms[i].user);
    bool stolen[MAX_MUTATORS];
    stop_the_world(st, stolen);
    sr_atomic_store(&st->gcphase, _GCmarktermination);
    for (int i = 0; i < st->nmut; i++)
        scang(st, st->ms[i].user);
    sr_atomic_store(&st->gcphase, _GCoff);
    start_the_world(st, stolen);
}

void gc_main(void *arg)
{
    go_state *st = arg;
    /* scan_rate per 1000: the higher, the shorter the idle time between
     * cycles */
    uint32_t idle = st->sc->scan_rate ? 1000 / st->sc->scan_rate : 1000;
    for (;;) {
        for (uint32_t i = 0; i < idle; i++)
            sr_yield();
        gc_cycle(st);
    }
}
