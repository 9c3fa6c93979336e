/*
 * hijack.c — a return-address hijack in the style of a managed runtime's
 * GC suspension, as an out-of-tree stackrace plug-in.
 *
 * The mechanism (CoreCLR's FEATURE_HIJACK, src/coreclr/vm/threadsuspend.cpp:
 * Thread::HijackThread, Thread::UnhijackThread, OnHijackTripThread; the
 * names below are CoreCLR's): to bring a thread that runs managed code to a
 * safe point, the GC stops it, finds the return slot of its innermost
 * frame, saves the return address there and the slot's address in the
 * thread object (m_pvHJRetAddr, m_ppvHJRetAddrPtr), and writes the address
 * of a stub into the slot. When the frame returns, it returns into the stub,
 * which takes the hijack down and goes on to the saved address. A thread
 * has at most one hijacked frame; the GC also takes hijacks down itself
 * (UnhijackThread) when a thread did not trip its stub in time.
 *
 * The walker under test is a sampling profiler's, run from a signal on the
 * sampled thread or on a profiler thread that stops it: it walks return
 * slots, and a slot that holds the stub's address stands for the saved
 * return address, which only the thread object knows.
 *
 * Invariants and synchronization. Each Thread has a suspension lock,
 * Thread.lock. The thread holds it across each of its own calls and returns
 * (so the stub, which runs inside a return, runs under it too), and the GC
 * holds it while it hijacks or unhijacks: whoever holds it sees the stack
 * and the hijack fields agree, and a thread never changes its frames while
 * the GC writes into them (the model's stand-in for stopping the thread).
 *
 *   example-hijack@buggy: the walker substitutes m_pvHJRetAddr for the
 *       stub without the lock. Between its read of the slot (the stub) and
 *       its read of the field, the GC can take the hijack down (restore the
 *       slot, clear the fields) or the thread can trip it: the walker then
 *       reports a return address of 0, or of a frame that is gone.
 *   example-hijack@fixed: the walker try-locks Thread.lock (it runs in a
 *       signal handler: blocking on a lock the interrupted thread may hold
 *       would deadlock) and declines the sample when it cannot have it;
 *       holding it, it substitutes only the slot m_ppvHJRetAddrPtr names.
 *
 * Everything two actors share goes through the model API: the hijack fields
 * and the published top slot (sr_load/sr_store), the stack words
 * (sr_stack_load/sr_stack_store, sr_call/sr_ret), the lock (sr_lock_*).
 */
#include <stackrace/plugin.h>
#include <stdio.h>

enum { F_THREADSTART, F_M0, F_M1, F_M2, F_M3, F_STUB, F_NFUNCS };
#define NMETHODS 4
#define MAX_THREADS 8
#define MAX_DEPTH 12
#define STACK_BYTES (16u * 1024u)
#define STUB_PC SR_PC(F_STUB)

typedef struct variant {
    bool walker_locks; /* the fix: try-lock Thread.lock, decline without it */
} variant;

typedef struct world world;

typedef struct Thread {
    world *w;
    char name[16], lockname[24];
    sr_stack *stack;
    sr_addr hi;
    sr_word top_slot;        /* the innermost frame's return slot (0: none) */
    sr_word m_pvHJRetAddr;   /* the return address the hijack replaced */
    sr_word m_ppvHJRetAddrPtr; /* the slot it replaced it in (0: not hijacked) */
    sr_lock lock;            /* see the invariants above */
} Thread;

struct world {
    const variant *v;
    const sr_scenario *sc;
    int nthreads;
    Thread threads[MAX_THREADS];
};

static sr_pc OnHijackTripThread(void *state, sr_addr sp);

static const sr_func funcs[F_NFUNCS] = {
    [F_THREADSTART] = {"ThreadNative::KickOffThread", 64, NULL},
    [F_M0] = {"App.Parse", 48, NULL},
    [F_M1] = {"App.Render", 112, NULL},
    [F_M2] = {"App.Load", 32, NULL},
    [F_M3] = {"App.Step", 208, NULL},
    [F_STUB] = {"OnHijackTripThread", 0, OnHijackTripThread},
};

/* ---- the thread ---- */

/* The stub a hijacked frame returns into: it runs on the returning thread,
 * under its lock (it runs inside sr_ret), takes the hijack down and goes on
 * to the saved return address. */
static sr_pc OnHijackTripThread(void *state, sr_addr sp)
{
    (void)state;
    (void)sp;
    Thread *t = sr_private(sr_self());
    sr_pc ret = sr_load(&t->m_pvHJRetAddr);
    sr_store(&t->m_ppvHJRetAddrPtr, 0);
    sr_store(&t->m_pvHJRetAddr, 0);
    if (sr_tracing()) {
        char b[64];
        sr_note("%s trips its hijack: OnHijackTripThread goes on to %s", t->name,
                sr_pc_symbol(ret, b, sizeof b));
    }
    return ret;
}

static void thread_main(void *arg)
{
    Thread *t = arg;
    sr_addr slots[MAX_DEPTH + 1] = {0}; /* slots[d]: the return slot at depth d */
    unsigned depth = 0;
    sr_enter(t->stack, F_THREADSTART);
    for (uint32_t i = 0; i < t->w->sc->program_len; i++) {
        uint32_t op = sr_choose(4);
        if (op == 0) {
            sr_step();
        } else if (op < 3 && depth < MAX_DEPTH) {
            int fi = F_M0 + (int)sr_choose(NMETHODS);
            sr_lock_acquire(&t->lock);
            sr_call(fi);
            slots[++depth] = sr_sp() + funcs[fi].frame_size;
            sr_store(&t->top_slot, slots[depth]);
            sr_lock_release(&t->lock);
        } else if (op == 3 && depth > 0) {
            sr_lock_acquire(&t->lock);
            sr_ret();
            sr_store(&t->top_slot, slots[--depth]);
            sr_lock_release(&t->lock);
        }
    }
    while (depth > 0) {
        sr_lock_acquire(&t->lock);
        sr_ret();
        sr_store(&t->top_slot, slots[--depth]);
        sr_lock_release(&t->lock);
    }
}

/* ---- the GC ---- */

static void HijackThread(Thread *t)
{
    sr_lock_acquire(&t->lock);
    sr_addr slot = sr_load(&t->top_slot);
    if (slot && !sr_load(&t->m_ppvHJRetAddrPtr)) { /* at most one hijack per thread */
        sr_pc ret = sr_stack_load(slot);
        sr_store(&t->m_pvHJRetAddr, ret);
        sr_store(&t->m_ppvHJRetAddrPtr, slot);
        sr_stack_store(slot, STUB_PC);
        if (sr_tracing()) {
            char b[64];
            sr_note("hijacks %s: slot 0x%llx (was %s) now returns into OnHijackTripThread",
                    t->name, (unsigned long long)slot, sr_pc_symbol(ret, b, sizeof b));
        }
    }
    sr_lock_release(&t->lock);
}

static void UnhijackThread(Thread *t)
{
    sr_lock_acquire(&t->lock);
    sr_addr slot = sr_load(&t->m_ppvHJRetAddrPtr);
    if (slot) {
        /* the frame the hijack names is still there, still hijacked: the
         * thread cannot have returned through it (it would have tripped the
         * stub and cleared the fields) nor called over it (a call pushes
         * below it); a check of the model's own invariant */
        if (sr_stack_load(slot) != STUB_PC)
            sr_fail("hijack-lost", "the hijacked slot no longer holds the stub");
        sr_stack_store(slot, sr_load(&t->m_pvHJRetAddr));
        sr_store(&t->m_pvHJRetAddr, 0);
        sr_store(&t->m_ppvHJRetAddrPtr, 0);
        SR_NOTE("takes %s's hijack down: slot 0x%llx restored", t->name,
                (unsigned long long)slot);
    }
    sr_rewriter_done(t->stack, 0); /* no stub left in a live slot */
    sr_lock_release(&t->lock);
}

static void gc_main(void *arg)
{
    world *w = arg;
    for (;;) {
        if (sr_choose(1000) >= w->sc->scan_rate) {
            sr_yield(); /* idle: a daemon's loop must yield, or it can starve the threads */
            continue;
        }
        SR_DETAIL("GC suspends the threads for a collection");
        for (int i = 0; i < w->nthreads; i++)
            HijackThread(&w->threads[i]);
        /* the GC waits for the threads to trip their stubs (some do) */
        for (uint32_t k = 1 + sr_choose(8); k > 0; k--)
            sr_yield();
        for (int i = 0; i < w->nthreads; i++)
            UnhijackThread(&w->threads[i]);
    }
}

/* ---- the sampler and its walker ---- */

/* The return address in `slot`, seen through the hijack: the stub's
 * address stands for m_pvHJRetAddr. 0: the walker cannot tell. */
static sr_pc unhijacked(const world *w, Thread *t, sr_addr slot, sr_pc ret)
{
    if (ret != STUB_PC)
        return ret;
    if (w->v->walker_locks && sr_load(&t->m_ppvHJRetAddrPtr) != slot)
        return 0; /* a stub where no hijack is: not ours to guess */
    return sr_load(&t->m_pvHJRetAddr);
}

static void walk(const world *w, Thread *t, sr_pc pc, sr_addr sp)
{
    sr_walk wk;
    sr_walk_begin(&wk, sp);
    if (w->v->walker_locks && !sr_lock_try(&t->lock)) {
        SR_NOTE("%s's lock is taken: the sample is declined", t->name);
        sr_walk_end(&wk, SR_WALK_DECLINED);
        return;
    }
    sr_walk_end_kind end = SR_WALK_COMPLETE;
    /* A signal that lands in the stub finds the hijacked slot popped (it was
     * at sp - 8): the walk goes on from the frame the stub returns to. */
    if (pc == STUB_PC)
        pc = unhijacked(w, t, sp - 8, STUB_PC);
    for (unsigned n = 0;; n++) {
        sr_walk_frame(&wk, pc);
        int64_t delta = sr_pc_spdelta(pc);
        if (delta < 0)
            break; /* not a PC of ours: a profiler stops here, with what it has */
        sr_addr slot = sp + (sr_addr)delta;
        if (slot >= t->hi)
            break; /* the outermost frame */
        sr_pc word = sr_stack_load(slot);
        sr_pc ret = unhijacked(w, t, slot, word);
        if (ret != word && sr_tracing()) {
            char b[64];
            sr_note("the slot at 0x%llx holds the stub: %s's m_pvHJRetAddr says %s",
                    (unsigned long long)slot, t->name, sr_pc_symbol(ret, b, sizeof b));
        }
        pc = ret;
        sp = slot + 8;
        if (n + 1 >= SR_WALK_MAX - 1) {
            end = SR_WALK_TRUNCATED;
            break;
        }
    }
    sr_walk_end(&wk, end);
    if (w->v->walker_locks)
        sr_lock_release(&t->lock);
}

static void on_signal(void *state, const sr_sigctx *ctx)
{
    world *w = state;
    Thread *t = sr_private(ctx->victim);
    walk(w, t, ctx->pc, ctx->sp);
}

/* ---- setup ---- */

static void setup(void *state, const void *config, const sr_scenario *sc)
{
    world *w = state;
    w->v = config;
    w->sc = sc;
    w->nthreads = sc->mutators > MAX_THREADS ? MAX_THREADS : (int)sc->mutators;
    for (int i = 0; i < w->nthreads; i++) {
        Thread *t = &w->threads[i];
        t->w = w;
        snprintf(t->name, sizeof t->name, "T%d", i + 1);
        snprintf(t->lockname, sizeof t->lockname, "T%d.lock", i + 1);
        t->lock.name = t->lockname;
        t->stack = sr_stack_new(t->name, STACK_BYTES);
        t->hi = sr_stack_hi(t->stack);
        sr_name(&t->top_slot, sizeof t->top_slot, "top_slot", t->name);
        sr_name(&t->m_pvHJRetAddr, sizeof t->m_pvHJRetAddr, "m_pvHJRetAddr", t->name);
        sr_name(&t->m_ppvHJRetAddrPtr, sizeof t->m_ppvHJRetAddrPtr, "m_ppvHJRetAddrPtr",
                t->name);
        sr_spawn(t->name, SR_ACTOR_SIGNALABLE, thread_main, t);
    }
    sr_spawn("GC", SR_ACTOR_DAEMON, gc_main, w);
}

static const variant buggy = {.walker_locks = false}, fixed = {.walker_locks = true};
static const sr_scenario defaults = {
    .mutators = 2, .program_len = 40, .scan_rate = 200, .signal_rate = 40,
    .switch_rate = 60, .delivery = SR_DELIVER_MIXED, .max_steps = 200000,
};

static const sr_target hijack_buggy = {
    .name = "example-hijack@buggy",
    .description = "return-address hijack; the profiler's walker reads the hijack unlocked",
    .funcs = funcs, .nfuncs = F_NFUNCS, .state_size = sizeof(world), .config = &buggy,
    .setup = setup, .on_signal = on_signal, .profiler_name = "profiler",
    .defaults = &defaults,
};
static const sr_target hijack_fixed = {
    .name = "example-hijack@fixed",
    .description = "return-address hijack; the walker try-locks the thread, declines without",
    .funcs = funcs, .nfuncs = F_NFUNCS, .state_size = sizeof(world), .config = &fixed,
    .setup = setup, .on_signal = on_signal, .profiler_name = "profiler",
    .defaults = &defaults,
};

SR_PLUGIN("example-hijack", &hijack_buggy, &hijack_fixed)
