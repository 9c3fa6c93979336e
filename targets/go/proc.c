/*
 * proc.c — Ms running Gs: the mutator's program, cgo calls, parking, and the
 * safe points where a G stops for the world to stop.
 *
 * The cgo call is modelled one store per step, in the order of Go at
 * f90b48e (cgocall.go:89–139, proc.go reentersyscall/exitsyscall,
 * asm_amd64.s asmcgocall:543–593):
 *
 *   1. mp.ncgo++                               (cgocall.go:109)
 *   2. entersyscall: syscallsp, syscallpc, then
 *      casgstatus(_Grunning → _Gsyscall)       (proc.go:2242–2245)
 *   3. asmcgocall: TLS g = g0                  (asm_amd64.s:568)
 *   4.             SP = g0.sched.sp            (asm_amd64.s:569)
 *   5. the C function runs on g0's stack
 *   6. TLS g = G, then SP back to G's stack    (asm_amd64.s:589–590)
 *   7. exitsyscall: casgstatus(_Gsyscall → _Grunning) spins while a scan
 *      holds _Gscansyscall, then syscallsp = 0 (proc.go:2400–2404);
 *      endcgo: mp.ncgo--                        (cgocall.go:131–139)
 *
 * Between 3 and 4, and between the two stores of 6, g and SP disagree: a
 * SIGPROF landing there sees an SP outside gp's stack. That window is the
 * hole 3f22ade closed.
 *
 * Simplifications (none of them hides a race the target is about):
 *  - A G stays on its M; no scheduler, no run queues. Parking (gopark via
 *    mcall) and waking are modelled on the same M, so a parked G is
 *    _Gwaiting and scannable while its M runs g0; likewise a G stopped for
 *    stop-the-world is _Grunnable while its M waits on g0. m.curg keeps
 *    pointing at the G (Go's dropg clears it; no walk here depends on it).
 *  - A _Grunning G is never scanned: Go asks it to preempt and it scans
 *    itself (newstack's preemptscan); here the GC retries a few times and
 *    then leaves that G for the next cycle.
 */
#include "runtime.h"

#include <stdio.h>
#include <string.h>

bool setsSP(sr_pc pc)
{
    /* proc.go setsSP: PCs outside Go's text, and the functions that switch
     * SP (gogo, systemstack, mcall, morestack). */
    int fi = sr_pc_func(pc);
    return fi < 0 || fi == F_MCALL || fi == F_GOGO;
}

/* casgstatus: spins while a scan holds the _Gscan bit (proc.go:716). */
static void casgstatus(g *gp, sr_word from, sr_word to)
{
    while (!sr_cas(&gp->atomicstatus, from, to))
        sr_yield();
}

static void entersyscall(m *mp, g *gp)
{
    sr_store(&gp->syscallsp, sr_sp());
    sr_store(&gp->syscallpc, sr_pcreg());
    casgstatus(gp, _Grunning, _Gsyscall);
    SR_NOTE("%s enters the cgo call: %s is _Gsyscall (syscallsp=0x%llx)", gp->name, gp->name,
            (unsigned long long)sr_sp());
    sr_atomic_store(&mp->p_status, _Psyscall);
}

static void exitsyscall(m *mp, g *gp)
{
    /* exitsyscallfast: take the P back, unless stop-the-world took it; then
     * wait until startTheWorld leaves it idle */
    if (!sr_cas(&mp->p_status, _Psyscall, _Prunning))
        while (!sr_cas(&mp->p_status, _Pidle, _Prunning))
            sr_yield();
    casgstatus(gp, _Gsyscall, _Grunning);
    sr_store(&gp->syscallsp, 0);
    SR_NOTE("%s returns from the cgo call (_Grunning)", gp->name);
}

/* asmcgocall: switch to g0 (TLS g, then SP), run C, switch back. */
static void asmcgocall(m *mp, g *gp)
{
    g *g0 = mp->g0;
    sr_call(F_ASMCGOCALL);
    sr_store(&gp->sched_sp, sr_sp()); /* gosave */
    sr_store(&mp->tls_g, (sr_word)g0->id);
    SR_NOTE("asmcgocall: g = g0 (SP still on %s's stack)", gp->name);
    sr_addr gsp = sr_sp();
    sr_set_sp(g0->sched_sp);
    sr_call(F_CFUNC);
    SR_NOTE("runs C code on g0's stack");
    sr_step();
    sr_step();
    sr_ret();
    sr_store(&mp->tls_g, (sr_word)gp->id);
    SR_NOTE("asmcgocall returns: g = %s (SP still on g0's stack)", gp->name);
    sr_set_sp(gsp);
    sr_ret();
}

static void cgocall(m *mp, g *gp)
{
    sr_call(F_CGOCALL);
    SR_NOTE("%s performs a cgo call (ncgo++)", gp->name);
    sr_store(&mp->ncgo, sr_load(&mp->ncgo) + 1);
    entersyscall(mp, gp);
    asmcgocall(mp, gp);
    exitsyscall(mp, gp);
    sr_store(&mp->ncgo, sr_load(&mp->ncgo) - 1); /* endcgo */
    sr_ret();
}

/* mcall: save the G's context, switch TLS g to g0, then SP to g0's stack
 * (two steps, like every g/SP switch), and run g0's code. mcall and gogo are
 * setsSP functions, so a signal in their windows is not traced back. */
static void mcall_to_g0(m *mp, g *gp)
{
    sr_pc gpc = sr_pcreg();
    sr_set_pc(SR_PC(F_MCALL) + SR_PC_BODY);
    sr_store(&gp->sched_sp, sr_sp());
    sr_store(&gp->sched_pc, gpc);
    sr_store(&mp->tls_g, (sr_word)mp->g0->id);
    sr_set_sp(mp->g0->sched_sp);
    sr_set_pc(SR_PC(F_MSTART) + SR_PC_BODY);
}

/* gogo: back to the G where mcall left it. */
static void gogo(m *mp, g *gp)
{
    sr_set_pc(SR_PC(F_GOGO) + SR_PC_BODY);
    sr_store(&mp->tls_g, (sr_word)gp->id);
    sr_set_sp(sr_load(&gp->sched_sp));
    sr_set_pc(sr_load(&gp->sched_pc));
}

/* On g0: if the GC wants the world stopped, give up the P and wait until
 * the GC hands it back (gcstopm; startTheWorld). Only the GC moves a P out
 * of _Pgcstop, so the GC can never see a stale "stopped". */
static void stop_p_if_gc_waits(go_state *st, m *mp)
{
    if (!sr_atomic_load(&st->gcwaiting))
        return;
    sr_atomic_store(&mp->p_status, _Pgcstop);
    SR_DETAIL("gives up its P for stop-the-world");
    while (sr_atomic_load(&mp->p_status) == _Pgcstop)
        sr_yield();
}

/* A safe point in G code: for stop-the-world, the G is descheduled
 * (_Grunnable) and its M waits on g0, as gcstopm does. */
static void safepoint(go_state *st, m *mp, g *gp)
{
    if (!sr_atomic_load(&st->gcwaiting))
        return;
    mcall_to_g0(mp, gp);
    casgstatus(gp, _Grunning, _Grunnable);
    SR_DETAIL("%s stops at a safe point (_Grunnable); M runs g0", gp->name);
    stop_p_if_gc_waits(st, mp);
    casgstatus(gp, _Grunnable, _Grunning);
    gogo(mp, gp);
}

/* gopark: the G waits (_Gwaiting) while its M runs g0, then is readied
 * and runs again. */
static void gopark(go_state *st, m *mp, g *gp)
{
    mcall_to_g0(mp, gp);
    casgstatus(gp, _Grunning, _Gwaiting);
    SR_DETAIL("%s parks (_Gwaiting); M runs g0", gp->name);
    uint32_t waits = 1 + sr_choose(4);
    for (uint32_t i = 0; i < waits; i++) {
        stop_p_if_gc_waits(st, mp);
        sr_yield();
    }
    casgstatus(gp, _Gwaiting, _Grunnable);
    casgstatus(gp, _Grunnable, _Grunning);
    gogo(mp, gp);
    SR_DETAIL("%s runs again", gp->name);
}

/* The program: calls, returns, cgo calls and parks, chosen by the schedule.
 * Choice 0 (the default when the schedule runs out) is local work. */
void mutator_main(void *arg)
{
    m *mp = arg;
    go_state *st = mp->st;
    g *gp = mp->user;
    sr_enter(gp->stack, F_MAIN);
    unsigned depth = 0;
    for (uint32_t i = 0; i < st->sc->program_len; i++) {
        safepoint(st, mp, gp);
        switch (sr_choose(8)) {
        case 0:
            sr_step();
            break;
        case 1: case 2: case 3:
            if (depth < MAX_DEPTH) {
                sr_call(F_USER0 + (int)sr_choose(NUSER));
                depth++;
            }
            break;
        case 4: case 5:
            if (depth > 0) {
                sr_ret();
                depth--;
            }
            break;
        case 6:
            cgocall(mp, gp);
            break;
        case 7:
            gopark(st, mp, gp);
            break;
        }
    }
    while (depth-- > 0)
        sr_ret();
    casgstatus(gp, _Grunning, _Gdead);
    SR_DETAIL("%s exits", gp->name);
}

/* ---- setup ---- */

static g *newg(go_state *st, m *mp, bool is_g0, uint32_t bytes)
{
    g *gp = &st->gs[++st->ngs];
    gp->id = st->ngs;
    gp->is_g0 = is_g0;
    gp->m = mp;
    if (is_g0)
        snprintf(gp->name, sizeof gp->name, "g0");
    else
        snprintf(gp->name, sizeof gp->name, "G%d", mp->id);
    char sname[32];
    snprintf(sname, sizeof sname, "%s.%s", mp->name, gp->name);
    gp->stack = sr_stack_new(sname, bytes);
    gp->lo = sr_stack_lo(gp->stack);
    gp->hi = sr_stack_hi(gp->stack);
    snprintf(gp->lockname, sizeof gp->lockname, "%s.stackLock", is_g0 ? sname : gp->name);
    gp->stackLock.name = gp->lockname;
    /* for race reports: the G's fields by their Go names */
    sr_name(gp->stkbar, sizeof gp->stkbar, "stkbar", gp->name);
    sr_name(&gp->stkbar_len, sizeof gp->stkbar_len, "len(stkbar)", gp->name);
    sr_name(&gp->stkbarPos, sizeof gp->stkbarPos, "stkbarPos", gp->name);
    sr_name(&gp->syscallsp, 2 * sizeof(sr_word), "syscallsp/pc", gp->name);
    sr_name(&gp->sched_sp, 2 * sizeof(sr_word), "sched", gp->name);
    return gp;
}

void go_setup(void *state, const void *config, const sr_scenario *sc)
{
    go_state *st = state;
    st->v = config;
    st->sc = sc;
    st->nmut = (int)(sc->mutators < 1 ? 1 : sc->mutators > MAX_MUTATORS ? MAX_MUTATORS
                                                                         : sc->mutators);
    st->spacing = sc->barrier_spacing;
    for (int i = 0; i < st->nmut; i++) {
        m *mp = &st->ms[i];
        mp->st = st;
        mp->id = i + 1;
        snprintf(mp->name, sizeof mp->name, "M%d", mp->id);
        mp->user = newg(st, mp, false, G_STACK_BYTES);
        mp->g0 = newg(st, mp, true, G0_STACK_BYTES);
        /* g0 sits in mstart/schedule: its sched.sp is mstart's frame */
        mp->g0->sched_sp = mp->g0->hi - go_funcs[F_MSTART].frame_size;
        mp->user->atomicstatus = _Grunning;
        mp->tls_g = (sr_word)mp->user->id;
        mp->curg = (sr_word)mp->user->id;
        mp->p_status = _Prunning;
        sr_spawn(mp->name, SR_ACTOR_SIGNALABLE, mutator_main, mp);
    }
    m *gcm = &st->ms[st->nmut];
    gcm->st = st;
    gcm->id = st->nmut + 1;
    snprintf(gcm->name, sizeof gcm->name, "M%d GC", gcm->id);
    sr_spawn(gcm->name, SR_ACTOR_DAEMON, gc_main, st);
    /* Windows' profileloop thread, which suspends an M and runs sigprof for
     * it (os1_windows.go profilem), in remote delivery */
    snprintf(st->profiler_name, sizeof st->profiler_name, "M%d profiler", gcm->id + 1);
    sr_spawn_profiler(st->profiler_name);
}
