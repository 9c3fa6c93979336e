/*
 * variants.c — sigprof at the four commits, side by side, and the four
 * registered targets.
 *
 * sigprof (proc.go; proc1.go at 87f97c7) runs at every profiling signal. gp
 * is the G of the interrupted context (TLS g: g0 while the M runs C code),
 * mp the interrupted M. "Bounds ok" is the stack-bounds test of every
 * version: gp != nil && gp.stack.lo <= sp <= gp.stack.hi && !setsSP(pc).
 * "The cgo case" is: mp.ncgo > 0 && mp.curg != nil && mp.curg.syscallpc != 0
 * && mp.curg.syscallsp != 0; it walks mp.curg from its syscall point.
 *
 * What changes (hashes in full in docs/go-target.md):
 *   87f97c7  spin on gp.stackLock for all of sigprof (gp is g0 in C code, so
 *            the cgo walk of mp.curg is not excluded from a scan of curg).
 *   a4a57bb4 (f90b48e~1) try-lock gp.m.curg only when bounds are ok; on
 *            failure skip the user walk, but the cgo walk ignores that.
 *   f90b48e  the cgo walk also requires tracebackUser — but when bounds are
 *            not ok, no lock is tried and tracebackUser stays true.
 *   3f22ade  a try-lock of exactly the G each walk starts from, right before
 *            that walk; no lock, no walk.
 * Windows' libcall walk is not modelled (libcalls leave the G _Grunning, so
 * no scan can run during one; f90b48e's message says as much).
 */
#include "runtime.h"

static m *interrupted_m(const sr_sigctx *ctx) { return sr_private(ctx->victim); }

static bool bounds_ok(const g *gp, const sr_sigctx *ctx)
{
    return gp && gp->lo <= ctx->sp && ctx->sp <= gp->hi && !setsSP(ctx->pc);
}

static g *cgo_case(go_state *st, m *mp)
{
    if (sr_load(&mp->ncgo) == 0)
        return 0;
    g *curg = go_g(st, sr_load(&mp->curg));
    if (!curg || sr_load(&curg->syscallpc) == 0 || sr_load(&curg->syscallsp) == 0)
        return 0;
    return curg;
}

static int traceback_cgo(go_state *st, g *curg)
{
    SR_NOTE("sigprof: %s is in a cgo call: walks %s from syscallpc/syscallsp", curg->name,
            curg->name);
    /* two loads, two scheduling points: in this order, as Go evaluates the
     * arguments (C leaves the order of a call's arguments unspecified, and
     * gcc and clang differ: one load per statement) */
    sr_pc pc = sr_load(&curg->syscallpc);
    sr_addr sp = sr_load(&curg->syscallsp);
    return gentraceback(st, pc, sp, curg);
}

static int traceback_ctx(go_state *st, g *gp, const sr_sigctx *ctx)
{
    SR_NOTE("sigprof: walks %s from the signal context", gp->name);
    return gentraceback(st, ctx->pc, ctx->sp, gp);
}

/* No traceback: Go records a two-frame System/ExternalCode sample. The
 * walk oracle counts it as declined, so a sampler that never walks shows. */
static void no_traceback(const sr_sigctx *ctx)
{
    sr_walk w;
    sr_walk_begin(&w, ctx->sp);
    sr_walk_end(&w, SR_WALK_DECLINED);
}

static void note_signal(const sr_sigctx *ctx, const m *mp, const g *gp)
{
    if (ctx->remote)
        SR_NOTE("suspends %s and runs sigprof for it: gp=%s, sp 0x%llx (%s)", mp->name,
                gp ? gp->name : "nil", (unsigned long long)ctx->sp,
                bounds_ok(gp, ctx) ? "bounds ok" : "sp outside gp's stack");
    else
        SR_NOTE("sigprof: gp=%s, sp 0x%llx (%s)", gp ? gp->name : "nil",
                (unsigned long long)ctx->sp,
                bounds_ok(gp, ctx) ? "bounds ok" : "sp outside gp's stack");
}

/* 87f97c7 (proc1.go:2478–2607). */
static void sigprof_87f97c7(go_state *st, const sr_sigctx *ctx)
{
    m *mp = interrupted_m(ctx);
    g *gp = go_g(st, sr_load(&mp->tls_g));
    note_signal(ctx, mp, gp);
    gcLockStackBarriers(gp); /* for !cas(&gp.stackLock, 0, 1) { osyield() } */
    SR_NOTE("sigprof takes %s", gp->lockname);
    bool traceback = bounds_ok(gp, ctx);
    g *curg = cgo_case(st, mp);
    if (curg)
        traceback_cgo(st, curg);
    else if (traceback)
        traceback_ctx(st, gp, ctx);
    else
        no_traceback(ctx);
    gcUnlockStackBarriers(gp);
}

/* a4a57bb4 = f90b48e~1 and f90b48e (proc.go:2983–3044): the same code but
 * for `&& tracebackUser` on the cgo test. */
static void sigprof_dec2015(go_state *st, const sr_sigctx *ctx, bool cgo_needs_lock)
{
    m *mp = interrupted_m(ctx);
    g *gp = go_g(st, sr_load(&mp->tls_g));
    note_signal(ctx, mp, gp);
    bool traceback = true, tracebackUser = true, haveStackLock = false;
    g *lockg = 0;
    if (!bounds_ok(gp, ctx)) {
        traceback = false;
    } else if ((lockg = go_g(st, sr_load(&gp->m->curg))) != 0) {
        if (gcTryLockStackBarriers(lockg)) {
            haveStackLock = true;
            SR_NOTE("sigprof takes %s", lockg->lockname);
        } else {
            SR_NOTE("sigprof fails to take %s: tracebackUser = false", lockg->lockname);
            tracebackUser = false;
            if (gp == lockg)
                traceback = false;
        }
    }
    if (!traceback)
        SR_NOTE("sigprof: traceback = false, tracebackUser = %s",
                tracebackUser ? "true (no lock was tried)" : "false");
    g *curg = cgo_case(st, mp);
    if (curg && (!cgo_needs_lock || tracebackUser))
        traceback_cgo(st, curg);
    else if (traceback)
        traceback_ctx(st, gp, ctx);
    else
        no_traceback(ctx);
    if (haveStackLock)
        gcUnlockStackBarriers(lockg);
}

static void sigprof_a4a57bb4(go_state *st, const sr_sigctx *ctx)
{
    sigprof_dec2015(st, ctx, false);
}

static void sigprof_f90b48e(go_state *st, const sr_sigctx *ctx)
{
    sigprof_dec2015(st, ctx, true);
}

/* 3f22ade (proc.go:2992–3023). */
static void sigprof_3f22ade(go_state *st, const sr_sigctx *ctx)
{
    m *mp = interrupted_m(ctx);
    g *gp = go_g(st, sr_load(&mp->tls_g));
    note_signal(ctx, mp, gp);
    bool traceback = bounds_ok(gp, ctx);
    g *haveStackLock = 0;
    int n = 0;
    g *curg = cgo_case(st, mp);
    if (curg) {
        if (gcTryLockStackBarriers(curg)) {
            haveStackLock = curg;
            n = traceback_cgo(st, curg);
        } else {
            SR_NOTE("sigprof fails to take %s: no traceback", curg->lockname);
        }
    } else if (traceback) {
        g *ucurg = go_g(st, sr_load(&gp->m->curg));
        if (ucurg && gcTryLockStackBarriers(ucurg))
            haveStackLock = ucurg;
        if (gp != ucurg || haveStackLock)
            n = traceback_ctx(st, gp, ctx);
    }
    if (haveStackLock)
        gcUnlockStackBarriers(haveStackLock);
    if (n <= 0)
        no_traceback(ctx);
}

static void on_signal(void *state, const sr_sigctx *ctx)
{
    go_state *st = state;
    st->v->sigprof(st, ctx);
}

/* ---- the variants and the targets ---- */

const go_variant go_87f97c7 = {
    .commit = "87f97c7", .sigprof = sigprof_87f97c7,
    .traceback_checks_empty = false, .traceback_in_trampoline = false,
    .trampoline_checks_sp = false,
};
const go_variant go_f90b48e_parent = {
    .commit = "f90b48e~1", .sigprof = sigprof_a4a57bb4,
    .traceback_checks_empty = true, .traceback_in_trampoline = true,
    .trampoline_checks_sp = true,
};
const go_variant go_f90b48e = {
    .commit = "f90b48e", .sigprof = sigprof_f90b48e,
    .traceback_checks_empty = true, .traceback_in_trampoline = true,
    .trampoline_checks_sp = true,
};
const go_variant go_3f22ade = {
    .commit = "3f22ade", .sigprof = sigprof_3f22ade,
    .traceback_checks_empty = true, .traceback_in_trampoline = true,
    .trampoline_checks_sp = true,
};

/* GODEBUG=gcstackbarrierall=1, as TestStackBarrierProfiling runs: a barrier
 * in every frame but the innermost. */
static const sr_scenario go_defaults = {
    .mutators = 1, .program_len = 16, .scan_rate = 100, .signal_rate = 20,
    .switch_rate = 60, .barrier_spacing = 0, .delivery = SR_DELIVER_MIXED,
    .max_steps = 200000,
};

#define GO_COMMON                                                                 \
    .funcs = go_funcs, .nfuncs = F_NFUNCS, .state_size = sizeof(go_state),        \
    .setup = go_setup, .on_signal = on_signal, .defaults = &go_defaults

const sr_target go_targets[4] = {
    {.name = "go-stkbar@87f97c7",
     .description = "Go 1.5, Jul 2015: sigprof spins on the interrupted G's stack lock",
     .config = &go_87f97c7, GO_COMMON},
    {.name = "go-stkbar@f90b48e~1",
     .description = "Dec 2015: the cgo traceback ignores a failed try-lock (issue 12528)",
     .config = &go_f90b48e_parent, GO_COMMON},
    {.name = "go-stkbar@f90b48e",
     .description = "the seed's fix: the cgo traceback needs the lock, unless sp is out of "
                    "bounds",
     .config = &go_f90b48e, GO_COMMON},
    {.name = "go-stkbar@3f22ade",
     .description = "Jan 2016: try-lock exactly the G each traceback starts from",
     .config = &go_3f22ade, GO_COMMON},
};
