/*
 * traceback.c — gentraceback as sigprof uses it (Go src/runtime/traceback.go
 * at f90b48e, lines 122–512), reduced to the stack-barrier handling.
 *
 * The walk snapshots the barrier list once, at entry (traceback.go:147–148:
 * stkbar := gp.stkbar[gp.stkbarPos:], a copy of the slice header): barriers
 * installed after that are invisible to it. For each frame it reads the
 * return slot; a slot holding stackBarrierPC must be the first entry of the
 * snapshot, whose savedLRVal is the real return PC; anything else throws
 * "missed stack barrier" (289–296). That throw is the symptom of Go issue
 * 12528. Before a7c09ad4 there was no empty-snapshot test, and an empty
 * snapshot indexed out of range instead (Go issue 11863).
 *
 * A walk that starts inside the trampoline (pc in stackBarrier) must tell
 * whether the trampoline already advanced stkbarPos (193–221, added by
 * 3a2fc068). Before that, the walk read a garbage return PC there and
 * stopped early: a silently truncated sample, which the walk oracle sees.
 */
#include "runtime.h"

#include <stdio.h>

typedef struct snapshot {
    sr_word lo, hi; /* the entries [lo, hi) of gp.stkbar */
} snapshot;

static _Noreturn void missed(g *gp, sr_addr lrPtr, snapshot s)
{
    if (sr_tracing())
        sr_note("gentraceback meets a stack barrier at 0x%llx in %s's stack that is not the "
                "next one in its copy (%llu left)", (unsigned long long)lrPtr, gp->name,
                (unsigned long long)(s.hi - s.lo));
    sr_throw_at("missed stack barrier", "gentraceback");
}

/* traceback.go:193–221: the walk starts in stackBarrier. The test reads the
 * snapshot but then re-reads the live stkbarPos, as Go does. */
static sr_pc unwind_in_trampoline(g *gp, sr_addr sp0, snapshot *s)
{
    sr_word pos;
    if (s->hi > s->lo && sr_load(&gp->stkbar[s->lo].savedLRPtr) < sp0) {
        pos = sr_load(&gp->stkbarPos);          /* not yet incremented */
    } else {
        pos = sr_load(&gp->stkbarPos);
        if (!(pos > 0 && sr_load(&gp->stkbar[pos - 1].savedLRPtr) < sp0))
            sr_throw("inconsistent state in stackBarrier");
        pos--;                                  /* already incremented */
    }
    s->lo = pos + 1;
    s->hi = sr_load(&gp->stkbar_len);
    return sr_load(&gp->stkbar[pos].savedLRVal);
}

int gentraceback(go_state *st, sr_pc pc0, sr_addr sp0, g *gp)
{
    snapshot s;
    s.lo = sr_load(&gp->stkbarPos);
    s.hi = sr_load(&gp->stkbar_len);
    if (sr_tracing())
        sr_note("gentraceback of %s from sp 0x%llx copies %s.stkbar[stkbarPos:] (%llu "
                "entr%s)", gp->name, (unsigned long long)sp0, gp->name,
                (unsigned long long)(s.hi - s.lo), s.hi - s.lo == 1 ? "y" : "ies");
    sr_walk w;
    sr_walk_begin(&w, sp0);
    sr_pc pc = pc0;
    sr_addr sp = sp0;
    if (st->v->traceback_in_trampoline && sr_pc_func(pc) == F_STACKBARRIER)
        pc = unwind_in_trampoline(gp, sp0, &s);
    int n = 0;
    sr_walk_end_kind end = SR_WALK_COMPLETE;
    for (;;) {
        sr_walk_frame(&w, pc);
        n++;
        int64_t delta = sr_pc_spdelta(pc);
        if (delta < 0)
            break; /* "unexpected return pc": sigprof's walk just stops */
        sr_addr fp = sp + (sr_addr)delta + 8;
        if (fp >= gp->hi)
            break; /* the outermost frame */
        sr_addr lrPtr = fp - 8;
        sr_pc lr = sr_stack_load(lrPtr);
        if (lr == SR_PC(F_STACKBARRIER)) {
            if (s.hi <= s.lo) {
                if (!st->v->traceback_checks_empty)
                    sr_throw("index out of range");
                missed(gp, lrPtr, s);
            }
            if (sr_load(&gp->stkbar[s.lo].savedLRPtr) != lrPtr)
                missed(gp, lrPtr, s);
            lr = sr_load(&gp->stkbar[s.lo].savedLRVal);
            s.lo++;
        }
        if (lr == 0)
            break; /* no caller: the bottom of g0's stack */
        pc = lr;
        sp = fp;
        if (n >= 64) {
            end = SR_WALK_TRUNCATED; /* maxCPUProfStack */
            break;
        }
    }
    sr_walk_end(&w, end);
    return n;
}
