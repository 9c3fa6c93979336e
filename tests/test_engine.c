/*
 * test_engine.c — the model engine: decision encoding, strategies, replay
 * determinism, and every check shown firing on a known-bad target and
 * silent on its good twin.
 *
 * The small targets here are written against the public model API only,
 * like any target; each has a config selecting the bad or the good twin.
 */
#include "harness.h"

#include "scenario.h"
#include "schedfile.h"

static sr_scenario test_scenario(sr_delivery d)
{
    return (sr_scenario){.mutators = 1, .program_len = 10, .scan_rate = 100,
                         .signal_rate = 50, .switch_rate = 100, .barrier_spacing = 0,
                         .delivery = d, .max_steps = 5000};
}

/* ------------------------------------------------------------------ */
/* Check 1, target asserts: an unlocked check-then-act.               */
/* ------------------------------------------------------------------ */

typedef struct owner_state {
    sr_word flag, owner;
    sr_lock l;
    bool locked;
} owner_state;

static const bool yes = true, no = false;
static const sr_func no_funcs[1] = {{"root", 16, 0}};

#define SIMPLE_TARGET(name_, state_, setup_, config_)                                   \
    {.name = name_, .description = "test", .funcs = no_funcs, .nfuncs = 1,              \
     .state_size = sizeof(state_), .config = config_, .setup = setup_}

typedef struct owner_arg {
    owner_state *st;
    sr_word me;
} owner_arg;

static void owner_actor(void *arg)
{
    owner_arg *oa = arg;
    owner_state *st = oa->st;
    for (int k = 0; k < 3; k++) {
        if (st->locked)
            sr_lock_acquire(&st->l);
        if (sr_atomic_load(&st->flag) == 0) {
            sr_atomic_store(&st->flag, 1);
            sr_atomic_store(&st->owner, oa->me);
            if (sr_atomic_load(&st->owner) != oa->me)
                sr_throw("two owners");
            sr_atomic_store(&st->flag, 0);
        }
        if (st->locked)
            sr_lock_release(&st->l);
    }
}

typedef struct owner_world {
    owner_state st;
    owner_arg args[2];
} owner_world;

static void owner_setup(void *state, const void *config, const sr_scenario *sc)
{
    owner_world *w = state;
    (void)sc;
    w->st.locked = *(const bool *)config;
    w->st.l.name = "L";
    for (int i = 0; i < 2; i++) {
        w->args[i] = (owner_arg){&w->st, (sr_word)i + 1};
        sr_spawn(i ? "B" : "A", 0, owner_actor, &w->args[i]);
    }
}

static const sr_target owner_bad = SIMPLE_TARGET("owner@bad", owner_world, owner_setup, &no);
static const sr_target owner_good = SIMPLE_TARGET("owner@good", owner_world, owner_setup, &yes);

static void test_check_target_assert(void)
{
    sr_scenario sc = test_scenario(SR_DELIVER_SAME_THREAD);
    hunt_result bad = harness_hunt(&owner_bad, &sc, DEC_RANDOM, 1, 20000);
    CHECK(bad.found && bad.check == CHECK_TARGET_ASSERT, "unlocked twin: %s", bad.message);
    CHECK(strcmp(bad.message, "two owners") == 0, "message %s", bad.message);
    hunt_result good = harness_hunt(&owner_good, &sc, DEC_RANDOM, 1, 20000);
    CHECK(!good.found, "locked twin found %s", good.message);
    good = harness_hunt(&owner_good, &sc, DEC_PCT, 1, 20000);
    CHECK(!good.found, "locked twin (pct) found %s", good.message);
}

/* A target's own check (sr_fail): the same check-then-act, its
 * invariant named by the target; and a name the engine must refuse. */
typedef struct named_state {
    sr_word flag;
    sr_lock l;
    int mode; /* 0: locked; 1: unlocked; 2: unlocked, a malformed check name */
} named_state;

static void named_actor(void *arg)
{
    named_state *st = arg;
    if (st->mode == 0)
        sr_lock_acquire(&st->l);
    if (sr_load(&st->flag) != 0)
        sr_fail(st->mode == 2 ? "Single Owner" : "single-owner", "two owners at once");
    sr_store(&st->flag, 1);
    sr_store(&st->flag, 0);
    if (st->mode == 0)
        sr_lock_release(&st->l);
}

static void named_setup(void *state, const void *config, const sr_scenario *sc)
{
    named_state *st = state;
    (void)sc;
    st->mode = *(const int *)config;
    sr_spawn("A", 0, named_actor, st);
    sr_spawn("B", 0, named_actor, st);
}

static const int named_modes[3] = {0, 1, 2};
static const sr_target named_good = SIMPLE_TARGET("named@locked", named_state, named_setup,
                                                  &named_modes[0]);
static const sr_target named_bad = SIMPLE_TARGET("named@unlocked", named_state, named_setup,
                                                 &named_modes[1]);
static const sr_target named_misnamed = SIMPLE_TARGET("named@misnamed", named_state,
                                                      named_setup, &named_modes[2]);

static void test_check_target_own(void)
{
    sr_scenario sc = test_scenario(SR_DELIVER_SAME_THREAD);
    exec *e = run_new_exec();
    exec_result r;
    bool found = false;
    for (uint64_t i = 0; i < 20000 && !found; i++) {
        dec_start_strategy(&e->dec, DEC_RANDOM, rng_mix(i + 1), &sc, 3);
        exec_run(e, &named_bad, &sc, &r);
        found = r.failed;
    }
    CHECK(found && r.f.check == CHECK_TARGET_CHECK, "unlocked: %s",
          found ? r.f.message : "nothing");
    CHECK(!strcmp(finding_check(&r.f), "single-owner"), "check shown as %s", finding_check(&r.f));
    char sig[64];
    finding_signature(&r.f, named_bad.name, sig, sizeof sig);
    CHECK(!strncmp(sig, "single-owner-", 13), "signature %s", sig);
    run_free_exec(e);
    hunt_result good = harness_hunt(&named_good, &sc, DEC_RANDOM, 1, 20000);
    CHECK(!good.found, "locked twin found %s", good.message);
    hunt_result bad = harness_hunt(&named_misnamed, &sc, DEC_RANDOM, 1, 20000);
    CHECK(bad.found && bad.check == CHECK_MODEL && strstr(bad.message, "check name"),
          "a malformed check name: %s", bad.found ? bad.message : "nothing");
}

/* A setup that misuses the API or throws is a finding, not a crash (a
 * plug-in's setup is someone else's code). */
static void idle_actor(void *arg)
{
    (void)arg;
    sr_step();
}

static void bad_setup(void *state, const void *config, const sr_scenario *sc)
{
    (void)state;
    (void)sc;
    int how = *(const int *)config;
    sr_spawn("A", 0, idle_actor, NULL);
    if (how == 0)
        sr_stack_new("huge", 1u << 30);
    else if (how == 1)
        for (int i = 0; i < 17; i++)
            sr_spawn("X", 0, idle_actor, NULL);
    else
        sr_throw("the world cannot be built");
}

static const int bad_setups[3] = {0, 1, 2};
static const sr_target setup_targets[3] = {
    SIMPLE_TARGET("setup@huge-stack", int, bad_setup, &bad_setups[0]),
    SIMPLE_TARGET("setup@many-actors", int, bad_setup, &bad_setups[1]),
    SIMPLE_TARGET("setup@throws", int, bad_setup, &bad_setups[2]),
};

static void test_setup_failures(void)
{
    const int want[3] = {CHECK_MODEL, CHECK_MODEL, CHECK_TARGET_ASSERT};
    sr_scenario sc = test_scenario(SR_DELIVER_SAME_THREAD);
    exec *e = run_new_exec();
    exec_result r;
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++) { /* and the engine is sound for the next execution */
            dec_start_strategy(&e->dec, DEC_RANDOM, 1, &sc, 3);
            exec_run(e, &setup_targets[i], &sc, &r);
            CHECK(r.fatal && r.f.check == want[i] && !strcmp(r.f.actor, "setup"),
                  "%s: %s (%s)", setup_targets[i].name, r.fatal ? r.f.message : "no finding",
                  r.f.actor);
        }
    hunt_result ok = harness_hunt(&owner_good, &sc, DEC_RANDOM, 1, 100);
    CHECK(!ok.found, "after failed setups, a good target: %s", ok.message);
    run_free_exec(e);
}

/* ------------------------------------------------------------------ */
/* Checks 2 and 3: a stack, a walker, a rewriter with a trampoline.   */
/* ------------------------------------------------------------------ */

enum { P_ROOT, P_F1, P_F2, P_F3, P_TRAMP, P_NFUNCS };

enum variant { V_GOOD, V_WALK_DROPS_FRAME, V_WALK_NO_TRANSLATE, V_LOST, V_LEFTOVER, V_SIDE,
               V_NO_ENTRY, V_TRUNCATE_OK, V_TRUNCATE_BAD, V_RUNAWAY, V_NO_STACK, V_LEAK };

typedef struct patch_state {
    enum variant v;
    sr_stack *stack;
    sr_word ready, patched, returned;
    sr_lock l;
    sr_word n, pos;
    struct { sr_word slot, orig; } entry[4];
} patch_state;

static sr_pc patch_trampoline(void *state, sr_addr sp)
{
    patch_state *st = state;
    sr_word pos = sr_load(&st->pos);
    sr_word n = sr_load(&st->n);
    if (pos >= n || sr_load(&st->entry[pos].slot) + 8 != sp)
        sr_rewriter_fail("trampoline hit without its entry");
    sr_pc orig = sr_load(&st->entry[st->v == V_LOST ? (pos + 1) % n : pos].orig);
    sr_store(&st->pos, pos + 1);
    return orig;
}

static const sr_func patch_funcs[P_NFUNCS] = {
    [P_ROOT] = {"root", 32, 0},
    [P_F1] = {"f1", 16, 0},
    [P_F2] = {"f2", 24, 0},
    [P_F3] = {"f3", 40, 0},
    [P_TRAMP] = {"tramp", 0, patch_trampoline},
};

static void patch_mutator(void *arg)
{
    patch_state *st = arg;
    sr_enter(st->stack, P_ROOT);
    sr_call(P_F1);
    sr_call(P_F2);
    sr_call(P_F3);
    sr_step();
    sr_atomic_store(&st->ready, 1);
    while (!sr_atomic_load(&st->patched))
        sr_yield();
    sr_ret(); /* f3, through the trampoline */
    sr_atomic_store(&st->returned, 1);
    while (sr_atomic_load(&st->patched) != 2)
        sr_yield();
    sr_ret();
    sr_ret();
}

/* Patches the return slots of f3, f2, f1 (innermost first), then after the
 * first return removes what is left and says it is done. */
static void patch_rewriter(void *arg)
{
    patch_state *st = arg;
    while (!sr_atomic_load(&st->ready))
        sr_yield();
    sr_lock_acquire(&st->l);
    sr_addr slot = sr_stack_hi(st->stack) - patch_funcs[P_ROOT].frame_size - 8; /* f1's */
    sr_addr slots[3];
    slots[2] = slot;
    slots[1] = slots[2] - patch_funcs[P_F1].frame_size - 8;
    slots[0] = slots[1] - patch_funcs[P_F2].frame_size - 8;
    for (int i = 0; i < 3; i++) {
        if (st->v == V_NO_ENTRY && i == 0) {
            sr_stack_store(slots[i], SR_PC(P_TRAMP)); /* patched, never recorded */
            continue;
        }
        sr_word n = sr_load(&st->n);
        sr_store(&st->entry[n].slot, slots[i]);
        sr_store(&st->entry[n].orig, sr_stack_load(slots[i]));
        sr_store(&st->n, n + 1);
        sr_stack_store(slots[i], SR_PC(P_TRAMP));
    }
    sr_lock_release(&st->l);
    sr_atomic_store(&st->patched, 1);
    while (!sr_atomic_load(&st->returned))
        sr_yield();
    sr_lock_acquire(&st->l);
    sr_word n = sr_load(&st->n), pos = sr_load(&st->pos);
    for (sr_word i = pos; i < n; i++) {
        if (st->v == V_LEFTOVER && i == n - 1)
            continue;
        sr_addr slot = sr_load(&st->entry[i].slot); /* one load per statement: */
        sr_stack_store(slot, sr_load(&st->entry[i].orig)); /* the same order in any build */
    }
    if (st->v != V_SIDE) {
        sr_store(&st->n, 0);
        sr_store(&st->pos, 0);
    }
    sr_rewriter_done(st->stack, (unsigned)(st->n - st->pos));
    sr_lock_release(&st->l);
    sr_atomic_store(&st->patched, 2);
}

/* The sampler: a frame-pointer-less walk by frame sizes, translating
 * trampoline PCs through the side table under the lock (or not). */
static void patch_signal(void *state, const sr_sigctx *ctx)
{
    patch_state *st = state;
    sr_walk w;
    if (!sr_lock_try(&st->l)) {
        sr_walk_begin(&w, ctx->sp);
        sr_walk_end(&w, SR_WALK_DECLINED);
        return;
    }
    if (st->v == V_NO_STACK || st->v == V_RUNAWAY || st->v == V_LEAK) {
        sr_walk_begin(&w, st->v == V_NO_STACK ? 0x1000 : ctx->sp);
        for (int i = 0; i < (st->v == V_RUNAWAY ? 2 * SR_WALK_MAX : 2); i++)
            sr_walk_frame(&w, ctx->pc);
        if (st->v != V_LEAK)
            sr_walk_end(&w, SR_WALK_COMPLETE);
        sr_lock_release(&st->l);
        return;
    }
    sr_walk_begin(&w, ctx->sp);
    sr_pc pc = ctx->pc;
    sr_addr sp = ctx->sp;
    sr_word next = sr_load(&st->pos);
    int n = 0;
    sr_walk_end_kind end = SR_WALK_COMPLETE;
    if (sr_pc_func(pc) == P_TRAMP) {
        /* inside the trampoline: the entry being consumed says where to */
        sr_word pos = sr_load(&st->pos);
        sr_word i = pos > 0 && sr_load(&st->entry[pos - 1].slot) + 8 == sp ? pos - 1 : pos;
        pc = sr_load(&st->entry[i].orig);
        next = i + 1;
    }
    for (;;) {
        if (st->v == V_TRUNCATE_BAD && n == 1)
            sr_walk_frame(&w, pc + 1); /* a wrong return PC */
        else if (!(st->v == V_WALK_DROPS_FRAME && n == 1))
            sr_walk_frame(&w, pc);
        n++;
        if ((st->v == V_TRUNCATE_OK || st->v == V_TRUNCATE_BAD) && n == 2) {
            end = SR_WALK_TRUNCATED; /* a depth limit of two frames */
            break;
        }
        int64_t delta = sr_pc_spdelta(pc);
        if (delta < 0)
            break; /* not a PC: the walk ends, wrong */
        sr_addr fp = sp + (sr_addr)delta + 8;
        if (fp >= sr_stack_hi(st->stack))
            break;
        sr_pc lr = sr_stack_load(fp - 8);
        if (lr == SR_PC(P_TRAMP) && st->v != V_WALK_NO_TRANSLATE)
            lr = sr_load(&st->entry[next++].orig);
        pc = lr;
        sp = fp;
    }
    sr_walk_end(&w, end);
    sr_lock_release(&st->l);
}

static void patch_setup(void *state, const void *config, const sr_scenario *sc)
{
    patch_state *st = state;
    (void)sc;
    st->v = *(const enum variant *)config;
    st->l.name = "side-table lock";
    st->stack = sr_stack_new("T1", 4096);
    sr_spawn("T1", SR_ACTOR_SIGNALABLE, patch_mutator, st);
    sr_spawn("R", 0, patch_rewriter, st);
}

static const enum variant variants[] = {V_GOOD,        V_WALK_DROPS_FRAME, V_WALK_NO_TRANSLATE,
                                        V_LOST,        V_LEFTOVER,         V_SIDE,
                                        V_NO_ENTRY,    V_TRUNCATE_OK,      V_TRUNCATE_BAD,
                                        V_RUNAWAY,     V_NO_STACK,         V_LEAK};
#define PATCH_TARGET(i, name_)                                                          \
    {.name = name_, .description = "test", .funcs = patch_funcs, .nfuncs = P_NFUNCS,    \
     .state_size = sizeof(patch_state), .config = &variants[i], .setup = patch_setup,    \
     .on_signal = patch_signal}
static const sr_target patch_targets[] = {
    PATCH_TARGET(0, "patch@good"),          PATCH_TARGET(1, "patch@walk-drops-frame"),
    PATCH_TARGET(2, "patch@walk-no-translate"), PATCH_TARGET(3, "patch@lost"),
    PATCH_TARGET(4, "patch@leftover"),      PATCH_TARGET(5, "patch@side"),
    PATCH_TARGET(6, "patch@no-entry"),      PATCH_TARGET(7, "patch@truncate-ok"),
    PATCH_TARGET(8, "patch@truncate-bad"),  PATCH_TARGET(9, "patch@runaway"),
    PATCH_TARGET(10, "patch@no-stack"),     PATCH_TARGET(11, "patch@leak"),
};

static void expect(const sr_target *t, sr_delivery d, int check, const char *needle)
{
    sr_scenario sc = test_scenario(d);
    hunt_result r = harness_hunt(t, &sc, DEC_RANDOM, 7, 20000);
    if (check == CHECK_NONE) {
        CHECK(!r.found, "%s should be clean, found %s", t->name, r.message);
        r = harness_hunt(t, &sc, DEC_PCT, 7, 20000);
        CHECK(!r.found, "%s (pct) should be clean, found %s", t->name, r.message);
        /* and free of data races */
        r = harness_hunt_races(t, &sc, DEC_RANDOM, 7, 20000, true);
        CHECK(!r.found, "%s should have no race, found %s", t->name, r.message);
        return;
    }
    CHECK(r.found && r.check == check, "%s: expected %s, got %s (%s)", t->name,
          finding_check_name(check), r.found ? finding_check_name(r.check) : "nothing",
          r.message);
    CHECK(!needle || strstr(r.message, needle), "%s: message '%s' lacks '%s'", t->name,
          r.message, needle);
}

static void test_check_walk_oracle(void)
{
    expect(&patch_targets[0], SR_DELIVER_SAME_THREAD, CHECK_NONE, NULL);
    expect(&patch_targets[0], SR_DELIVER_REMOTE, CHECK_NONE, NULL);
    expect(&patch_targets[1], SR_DELIVER_SAME_THREAD, CHECK_WALK, "walk oracle");
    expect(&patch_targets[2], SR_DELIVER_REMOTE, CHECK_WALK, "walk oracle");
    expect(&patch_targets[7], SR_DELIVER_MIXED, CHECK_NONE, NULL);
    expect(&patch_targets[8], SR_DELIVER_SAME_THREAD, CHECK_WALK, "truncated walk");
    expect(&patch_targets[9], SR_DELIVER_SAME_THREAD, CHECK_WALK, "more frames");
    expect(&patch_targets[10], SR_DELIVER_SAME_THREAD, CHECK_WALK, "outside every stack");
    expect(&patch_targets[11], SR_DELIVER_SAME_THREAD, CHECK_MODEL, "walk in progress");
}

static void test_check_rewriter(void)
{
    expect(&patch_targets[3], SR_DELIVER_SAME_THREAD, CHECK_REWRITER, "lost return address");
    expect(&patch_targets[4], SR_DELIVER_SAME_THREAD, CHECK_REWRITER, "trampoline PC is left");
    expect(&patch_targets[5], SR_DELIVER_SAME_THREAD, CHECK_REWRITER, "side-table entries");
    expect(&patch_targets[6], SR_DELIVER_SAME_THREAD, CHECK_REWRITER, "without its entry");
}

/* ------------------------------------------------------------------ */
/* Check 4: self-deadlock, deadlock, hang.                            */
/* ------------------------------------------------------------------ */

typedef struct lock_state {
    bool bad;
    sr_lock a, b;
    sr_word flag;
} lock_state;

static void holder(void *arg)
{
    lock_state *st = arg;
    for (int k = 0; k < 5; k++) {
        sr_lock_acquire(&st->a);
        sr_step();
        sr_step();
        sr_lock_release(&st->a);
        sr_step();
    }
}

static void handler_lock_signal(void *state, const sr_sigctx *ctx)
{
    lock_state *st = state;
    (void)ctx;
    if (st->bad) {
        sr_lock_acquire(&st->a);
        sr_lock_release(&st->a);
    } else if (sr_lock_try(&st->a)) {
        sr_lock_release(&st->a);
    }
}

static void handler_lock_setup(void *state, const void *config, const sr_scenario *sc)
{
    lock_state *st = state;
    (void)sc;
    st->bad = !*(const bool *)config;
    st->a.name = "A";
    sr_spawn("T1", SR_ACTOR_SIGNALABLE, holder, st);
}

static const sr_target self_bad = {.name = "handler-lock@blocking", .description = "test",
                                   .funcs = no_funcs, .nfuncs = 1,
                                   .state_size = sizeof(lock_state), .config = &no,
                                   .setup = handler_lock_setup,
                                   .on_signal = handler_lock_signal};
static const sr_target self_good = {.name = "handler-lock@trylock", .description = "test",
                                    .funcs = no_funcs, .nfuncs = 1,
                                    .state_size = sizeof(lock_state), .config = &yes,
                                    .setup = handler_lock_setup,
                                    .on_signal = handler_lock_signal};

static void abba_first(void *arg)
{
    lock_state *st = arg;
    sr_lock_acquire(&st->a);
    sr_step();
    sr_lock_acquire(&st->b);
    sr_lock_release(&st->b);
    sr_lock_release(&st->a);
}

static void abba_second(void *arg)
{
    lock_state *st = arg;
    sr_lock *first = st->bad ? &st->b : &st->a, *second = st->bad ? &st->a : &st->b;
    sr_lock_acquire(first);
    sr_step();
    sr_lock_acquire(second);
    sr_lock_release(second);
    sr_lock_release(first);
}

static void abba_setup(void *state, const void *config, const sr_scenario *sc)
{
    lock_state *st = state;
    (void)sc;
    st->bad = !*(const bool *)config;
    st->a.name = "A";
    st->b.name = "B";
    sr_spawn("T1", 0, abba_first, st);
    sr_spawn("T2", 0, abba_second, st);
}

static const sr_target abba_bad = SIMPLE_TARGET("abba@bad", lock_state, abba_setup, &no);
static const sr_target abba_good = SIMPLE_TARGET("abba@good", lock_state, abba_setup, &yes);

static void spinner(void *arg)
{
    lock_state *st = arg;
    while (!sr_atomic_load(&st->flag))
        sr_yield();
}

static void setter(void *arg)
{
    lock_state *st = arg;
    sr_step();
    sr_atomic_store(&st->flag, 1);
}

static void spin_setup(void *state, const void *config, const sr_scenario *sc)
{
    lock_state *st = state;
    (void)sc;
    st->bad = !*(const bool *)config;
    sr_spawn("T1", 0, spinner, st);
    if (!st->bad)
        sr_spawn("T2", 0, setter, st);
}

static const sr_target spin_bad = SIMPLE_TARGET("spin@bad", lock_state, spin_setup, &no);
static const sr_target spin_good = SIMPLE_TARGET("spin@good", lock_state, spin_setup, &yes);

static void test_check_signal_context(void)
{
    expect(&self_bad, SR_DELIVER_SAME_THREAD, CHECK_SELF_DEADLOCK, "self-deadlock");
    expect(&self_bad, SR_DELIVER_REMOTE, CHECK_SELF_DEADLOCK, "self-deadlock");
    expect(&self_good, SR_DELIVER_SAME_THREAD, CHECK_NONE, NULL);
    expect(&self_good, SR_DELIVER_MIXED, CHECK_NONE, NULL);
    expect(&abba_bad, SR_DELIVER_SAME_THREAD, CHECK_DEADLOCK, "deadlock");
    expect(&abba_good, SR_DELIVER_SAME_THREAD, CHECK_NONE, NULL);
    expect(&spin_bad, SR_DELIVER_SAME_THREAD, CHECK_HANG, "step budget");
    expect(&spin_good, SR_DELIVER_SAME_THREAD, CHECK_NONE, NULL);
}

/* ------------------------------------------------------------------ */
/* Multi-frame unwinds: a panic pops barriered frames.                */
/* ------------------------------------------------------------------ */

/* root sets a jump point (setjmp), calls f1, f2, f3; the rewriter puts a
 * barrier in f2's return slot; f3 panics back to root (sr_unwind). The
 * runtime that discards the popped frames' barriers (Go's
 * gcUnwindBarriers) is clean; the one that keeps them leaves an entry for a
 * dead slot, which its own bookkeeping then reports. A bogus unwind is a
 * model misuse. */
enum { U_ROOT, U_F1, U_F2, U_F3, U_TRAMP, U_NFUNCS };
enum unwind_variant { U_DISCARDS, U_KEEPS, U_BOGUS };

typedef struct unwind_state {
    enum unwind_variant v;
    sr_stack *stack;
    sr_word nentries;
    sr_word slot, orig;
} unwind_state;

static sr_pc unwind_trampoline(void *state, sr_addr sp)
{
    (void)state;
    (void)sp;
    sr_rewriter_fail("a popped frame's barrier was hit");
}

static const sr_func unwind_funcs[U_NFUNCS] = {
    [U_ROOT] = {"root", 32, 0}, [U_F1] = {"f1", 16, 0}, [U_F2] = {"f2", 24, 0},
    [U_F3] = {"f3", 40, 0},     [U_TRAMP] = {"tramp", 0, unwind_trampoline},
};

static void unwind_mutator(void *arg)
{
    unwind_state *st = arg;
    sr_enter(st->stack, U_ROOT);
    sr_addr jmp_sp = sr_sp(); /* setjmp */
    sr_pc jmp_pc = sr_pcreg();
    sr_call(U_F1);
    sr_call(U_F2);
    sr_addr slot = sr_sp() + unwind_funcs[U_F2].frame_size; /* where f2 returns into f1 */
    sr_call(U_F3);
    sr_store(&st->orig, sr_stack_load(slot)); /* the rewriter's barrier */
    sr_store(&st->slot, slot);
    sr_store(&st->nentries, 1);
    sr_stack_store(slot, SR_PC(U_TRAMP));
    sr_unwind(st->v == U_BOGUS ? jmp_sp - 16 : jmp_sp, jmp_pc); /* f3 panics */
    if (sr_stack_depth(st->stack) != 0)
        sr_throw("the unwind left frames");
    if (st->v == U_DISCARDS && sr_load(&st->slot) < jmp_sp)
        sr_store(&st->nentries, 0); /* gcUnwindBarriers */
    sr_call(U_F3); /* the slots are reused */
    sr_call(U_F1);
    sr_ret();
    sr_ret();
    sr_rewriter_done(st->stack, (unsigned)sr_load(&st->nentries));
}

static void unwind_setup(void *state, const void *config, const sr_scenario *sc)
{
    unwind_state *st = state;
    (void)sc;
    st->v = *(const enum unwind_variant *)config;
    st->stack = sr_stack_new("S", 4096);
    sr_spawn("M", SR_ACTOR_SIGNALABLE, unwind_mutator, st);
}

static const enum unwind_variant unwind_variants[3] = {U_DISCARDS, U_KEEPS, U_BOGUS};
#define UNWIND_TARGET(name_, i)                                                          \
    {.name = name_, .description = "test", .funcs = unwind_funcs, .nfuncs = U_NFUNCS,    \
    .state_size = sizeof(unwind_state), .config = &unwind_variants[i],                   \
    .setup = unwind_setup}
static const sr_target unwind_targets[3] = {UNWIND_TARGET("unwind@discards", 0),
                                            UNWIND_TARGET("unwind@keeps", 1),
                                            UNWIND_TARGET("unwind@bogus", 2)};

static void test_unwind(void)
{
    sr_scenario sc = test_scenario(SR_DELIVER_SAME_THREAD);
    expect(&unwind_targets[0], SR_DELIVER_SAME_THREAD, CHECK_NONE, NULL);
    hunt_result r = harness_hunt(&unwind_targets[1], &sc, DEC_RANDOM, 1, 100);
    CHECK(r.found && r.check == CHECK_REWRITER && strstr(r.message, "side-table entries left"),
          "keeps: %s", r.found ? r.message : "nothing");
    r = harness_hunt(&unwind_targets[2], &sc, DEC_RANDOM, 1, 100);
    CHECK(r.found && r.check == CHECK_MODEL && strstr(r.message, "unwind"), "bogus: %s",
          r.found ? r.message : "nothing");
}

/* ------------------------------------------------------------------ */
/* Unjudged walks: a truncated walk of a stack that changed under it.  */
/* ------------------------------------------------------------------ */

/* A profiler actor walks another actor's running stack, two frames deep,
 * from the SP the mutator published in f1's body; once the walk has begun
 * the mutator returns out of f1 (and calls it again for the next walk). A
 * truncated walk is judged against the stack as it is at its end, so only
 * when the stack did not change during it; otherwise it is counted
 * unjudged: judged, these walks (true when they began) would read as
 * wrong. */
enum { UJ_ROOT, UJ_F1, UJ_NFUNCS };
static const sr_func unjudged_funcs[UJ_NFUNCS] = {[UJ_ROOT] = {"root", 16, 0},
                                                  [UJ_F1] = {"f1", 32, 0}};
typedef struct unjudged_state {
    sr_stack *stack;
    sr_word sp, pc, seq, begun, done;
} unjudged_state;

static void unjudged_mutator(void *arg)
{
    unjudged_state *st = arg;
    sr_enter(st->stack, UJ_ROOT);
    for (sr_word i = 1; i <= 20; i++) {
        sr_call(UJ_F1);
        sr_atomic_store(&st->pc, sr_pcreg());
        sr_atomic_store(&st->sp, sr_sp());
        sr_atomic_store(&st->seq, i);
        while (sr_atomic_load(&st->begun) != i)
            sr_yield();
        sr_ret();
    }
    sr_atomic_store(&st->done, 1);
}

static void unjudged_profiler(void *arg)
{
    unjudged_state *st = arg;
    sr_word last = 0;
    while (!sr_atomic_load(&st->done)) {
        sr_word seq = sr_atomic_load(&st->seq);
        if (seq == last) {
            sr_yield();
            continue;
        }
        sr_addr sp = sr_atomic_load(&st->sp);
        sr_walk w;
        sr_walk_begin(&w, sp);
        sr_atomic_store(&st->begun, seq);
        sr_walk_frame(&w, sr_atomic_load(&st->pc));
        sr_walk_frame(&w, sr_stack_load(sp + unjudged_funcs[UJ_F1].frame_size));
        sr_walk_end(&w, SR_WALK_TRUNCATED);
        last = seq;
    }
}

static void unjudged_setup(void *state, const void *config, const sr_scenario *sc)
{
    unjudged_state *st = state;
    (void)config, (void)sc;
    st->stack = sr_stack_new("S", 4096);
    sr_spawn("M", 0, unjudged_mutator, st);
    sr_spawn("P", 0, unjudged_profiler, st);
}

static const sr_target unjudged_target = {
    .name = "unjudged", .description = "test", .funcs = unjudged_funcs, .nfuncs = UJ_NFUNCS,
    .state_size = sizeof(unjudged_state), .setup = unjudged_setup};

static void test_walk_unjudged(void)
{
    sr_scenario sc = test_scenario(SR_DELIVER_SAME_THREAD);
    sc.signal_rate = 0;
    sc.switch_rate = 500;
    sc.max_steps = 100000;
    exec *e = run_new_exec();
    exec_result r;
    uint64_t unjudged = 0, complete = 0;
    for (uint64_t i = 0; i < 300; i++) {
        dec_start_strategy(&e->dec, DEC_RANDOM, rng_mix(i + 1), &sc, 3);
        exec_run(e, &unjudged_target, &sc, &r);
        CHECK(!r.failed, "exec %llu: %s (%s)", (unsigned long long)i, r.f.message, r.f.detail);
        if (r.failed)
            break;
        unjudged += r.stats.walks_unjudged;
        complete += r.stats.walks_complete;
    }
    run_free_exec(e);
    CHECK(unjudged > 0 && unjudged < complete, "%llu unjudged of %llu walks",
          (unsigned long long)unjudged, (unsigned long long)complete);
}

/* A complete walk over a stack that went through more states than the
 * oracle keeps (sr_walk.seen: 32) is not judged by the states it kept: the
 * mutator is 40 frames deep when the walk begins and returns out of all of
 * them before it ends; the walk reports the stack as it is then (nothing
 * above its SP), the 41st state, which the oracle did not keep. Judged, this
 * true walk would be wrong. */
enum { DEEP = 40 };
static void overflow_mutator(void *arg)
{
    unjudged_state *st = arg;
    sr_enter(st->stack, UJ_ROOT);
    for (int i = 0; i < DEEP; i++)
        sr_call(UJ_F1);
    sr_atomic_store(&st->pc, sr_pcreg());
    sr_atomic_store(&st->sp, sr_sp());
    sr_atomic_store(&st->seq, 1);
    while (sr_atomic_load(&st->begun) != 1)
        sr_yield();
    for (int i = 0; i < DEEP; i++)
        sr_ret();
    sr_atomic_store(&st->done, 1);
}

static void overflow_profiler(void *arg)
{
    unjudged_state *st = arg;
    while (sr_atomic_load(&st->seq) != 1)
        sr_yield();
    sr_walk w;
    sr_walk_begin(&w, sr_atomic_load(&st->sp));
    sr_atomic_store(&st->begun, 1);
    while (!sr_atomic_load(&st->done))
        sr_yield();
    sr_walk_frame(&w, sr_atomic_load(&st->pc)); /* and no frame above: none is left */
    sr_walk_end(&w, SR_WALK_COMPLETE);
}

static void overflow_setup(void *state, const void *config, const sr_scenario *sc)
{
    unjudged_state *st = state;
    (void)config, (void)sc;
    st->stack = sr_stack_new("S", 4096);
    sr_spawn("M", 0, overflow_mutator, st);
    sr_spawn("P", 0, overflow_profiler, st);
}

static const sr_target overflow_target = {
    .name = "unjudged-overflow", .description = "test", .funcs = unjudged_funcs,
    .nfuncs = UJ_NFUNCS, .state_size = sizeof(unjudged_state), .setup = overflow_setup};

static void test_walk_unjudged_overflow(void)
{
    sr_scenario sc = test_scenario(SR_DELIVER_SAME_THREAD);
    sc.signal_rate = 0;
    sc.max_steps = 100000;
    exec *e = run_new_exec();
    exec_result r;
    for (uint64_t i = 0; i < 20; i++) {
        dec_start_strategy(&e->dec, DEC_RANDOM, rng_mix(i + 1), &sc, 3);
        exec_run(e, &overflow_target, &sc, &r);
        CHECK(!r.failed, "exec %llu: %s (%s)", (unsigned long long)i, r.f.message, r.f.detail);
        CHECK(r.failed || (r.stats.walks_unjudged == 1 && r.stats.walks_complete == 1),
              "exec %llu: %llu unjudged of %llu walks", (unsigned long long)i,
              (unsigned long long)r.stats.walks_unjudged,
              (unsigned long long)r.stats.walks_complete);
        if (r.failed)
            break;
    }
    run_free_exec(e);
}

/* ------------------------------------------------------------------ */
/* Model misuse: a target that breaks the API's rules is told so.      */
/* ------------------------------------------------------------------ */

/* One target, one misuse per mode; MISUSE_NONE uses the same calls
 * correctly and is clean. Each misuse happens on the first execution. */
enum misuse {
    MISUSE_NONE, MISUSE_RELEASE_UNHELD, MISUSE_SPAWN_LATE, MISUSE_STACK_NEW_LATE,
    MISUSE_CALL_OVERFLOW, MISUSE_PROLOGUE_OVERFLOW, MISUSE_RET_OUTSIDE_TABLE,
    MISUSE_RET_NO_CALL, MISUSE_TOO_DEEP, MISUSE_MOVE_SIZE, MISUSE_UNWIND_IN_HANDLER,
    MISUSE_ACCESS_OFF_STACK, MISUSE_N
};
enum { MU_ROOT, MU_SMALL, MU_BIG, MU_NFUNCS };
static const sr_func misuse_funcs[MU_NFUNCS] = {
    [MU_ROOT] = {"root", 16, 0}, [MU_SMALL] = {"small", 16, 0}, [MU_BIG] = {"big", 512, 0}};

typedef struct misuse_state {
    enum misuse mode;
    sr_stack *stack, *tiny, *deep;
    sr_lock l;
    sr_addr jmp_sp;
    sr_pc jmp_pc;
} misuse_state;

static void misuse_nothing(void *arg) { (void)arg; }

static void misuse_mutator(void *arg)
{
    misuse_state *st = arg;
    enum misuse m = st->mode;
    sr_enter(m == MISUSE_CALL_OVERFLOW || m == MISUSE_PROLOGUE_OVERFLOW ? st->tiny
             : m == MISUSE_TOO_DEEP                                      ? st->deep
                                                                         : st->stack,
             MU_ROOT);
    st->jmp_sp = sr_sp(); /* setjmp */
    st->jmp_pc = sr_pcreg();
    switch (m) {
    case MISUSE_NONE:
        sr_lock_acquire(&st->l);
        sr_lock_release(&st->l);
        sr_call(MU_SMALL);
        sr_stack_move(st->stack, 0);
        sr_stack_store(sr_sp(), sr_stack_load(sr_sp()));
        sr_ret();
        break;
    case MISUSE_RELEASE_UNHELD: sr_lock_release(&st->l); break;
    case MISUSE_SPAWN_LATE: sr_spawn("late", 0, misuse_nothing, NULL); break;
    case MISUSE_STACK_NEW_LATE: sr_stack_new("late", 4096); break;
    case MISUSE_CALL_OVERFLOW: /* 64 bytes: root's 16, then 16 + 8 a call */
        for (;;)
            sr_call(MU_SMALL);
    case MISUSE_PROLOGUE_OVERFLOW: sr_call(MU_BIG); break; /* the slot fits, 512 do not */
    case MISUSE_RET_OUTSIDE_TABLE:
        sr_set_pc(0x10);
        sr_ret();
        break;
    case MISUSE_RET_NO_CALL: sr_ret(); break; /* root was entered, not called */
    case MISUSE_TOO_DEEP:
        for (int i = 0; i <= SR_WALK_MAX; i++)
            sr_call(MU_SMALL);
        break;
    case MISUSE_MOVE_SIZE:
        sr_call(MU_BIG);
        sr_stack_move(st->stack, 64); /* 16 + 8 + 512 bytes are live */
        break;
    case MISUSE_ACCESS_OFF_STACK: sr_stack_load(0x10); break;
    case MISUSE_UNWIND_IN_HANDLER:
        for (int i = 0; i < 200; i++) { /* until the handler runs here */
            sr_call(MU_SMALL);
            sr_ret();
        }
        break;
    case MISUSE_N: break;
    }
}

static void misuse_handler(void *state, const sr_sigctx *ctx)
{
    misuse_state *st = state;
    if (st->mode == MISUSE_UNWIND_IN_HANDLER && !ctx->remote)
        sr_unwind(st->jmp_sp, st->jmp_pc);
}

static void misuse_setup(void *state, const void *config, const sr_scenario *sc)
{
    misuse_state *st = state;
    (void)sc;
    st->mode = *(const enum misuse *)config;
    st->l.name = "L";
    st->stack = sr_stack_new("S", 4096);
    st->tiny = sr_stack_new("T", 64);
    st->deep = sr_stack_new("D", 65536);
    sr_spawn("M", SR_ACTOR_SIGNALABLE, misuse_mutator, st);
}

static const enum misuse misuse_modes[MISUSE_N] = {
    MISUSE_NONE, MISUSE_RELEASE_UNHELD, MISUSE_SPAWN_LATE, MISUSE_STACK_NEW_LATE,
    MISUSE_CALL_OVERFLOW, MISUSE_PROLOGUE_OVERFLOW, MISUSE_RET_OUTSIDE_TABLE,
    MISUSE_RET_NO_CALL, MISUSE_TOO_DEEP, MISUSE_MOVE_SIZE, MISUSE_UNWIND_IN_HANDLER,
    MISUSE_ACCESS_OFF_STACK};

static void test_model_misuse(void)
{
    static const char *const told[MISUSE_N] = {
        [MISUSE_RELEASE_UNHELD] = "model misuse: release of a lock the actor does not hold",
        [MISUSE_SPAWN_LATE] = "model misuse: sr_spawn outside setup",
        [MISUSE_STACK_NEW_LATE] = "model misuse: sr_stack_new outside setup",
        [MISUSE_CALL_OVERFLOW] = "model misuse: stack overflow on call",
        [MISUSE_PROLOGUE_OVERFLOW] = "model misuse: stack overflow in prologue",
        [MISUSE_RET_OUTSIDE_TABLE] = "model misuse: return from a PC outside the function table",
        [MISUSE_RET_NO_CALL] = "model misuse: return with no matching call",
        [MISUSE_TOO_DEEP] = "model misuse: call chain deeper than SR_WALK_MAX",
        [MISUSE_MOVE_SIZE] = "model misuse: a stack move to a size that does not hold",
        [MISUSE_UNWIND_IN_HANDLER] = "model misuse: an unwind from a signal handler",
        [MISUSE_ACCESS_OFF_STACK] = "fault: stack access outside every stack",
    };
    sr_scenario sc = test_scenario(SR_DELIVER_SAME_THREAD);
    sc.signal_rate = 200;
    for (int m = 0; m < MISUSE_N; m++) {
        const sr_target t = {.name = "misuse", .description = "test", .funcs = misuse_funcs,
                             .nfuncs = MU_NFUNCS, .state_size = sizeof(misuse_state),
                             .config = &misuse_modes[m], .setup = misuse_setup,
                             .on_signal = misuse_handler};
        hunt_result r = harness_hunt(&t, &sc, DEC_RANDOM, 1, m == MISUSE_NONE ? 2000 : 50);
        if (m == MISUSE_NONE) {
            CHECK(!r.found, "correct use: %s", r.message);
            continue;
        }
        CHECK(r.found && r.check == CHECK_MODEL && strstr(r.message, told[m]),
              "misuse %d: expected '%s', got %s (%s)", m, told[m],
              r.found ? finding_check_name(r.check) : "nothing", r.message);
    }
}

/* ------------------------------------------------------------------ */
/* Stack moves: the rewriter must fix what points into the stack.     */
/* ------------------------------------------------------------------ */

/* A barrier in f2's return slot, then the stack grows (copystack): the
 * runtime that adjusts its side table (adjuststkbar) takes the barrier down
 * at the new address; the one that does not writes through the old one. A
 * walk after the move, from the new SP, must match the moved ground truth. */
enum { MOVE_ADJUSTS, MOVE_STALE, MOVE_OFF_STACK, MOVE_RACY };

typedef struct move_state {
    int mode;
    sr_stack *stack, *other;
    sr_word slot, orig, go;
} move_state;

static void walk_here(const sr_stack *s)
{
    sr_walk w;
    sr_addr sp = sr_sp();
    sr_pc pc = sr_pcreg();
    sr_walk_begin(&w, sp);
    for (;;) {
        sr_walk_frame(&w, pc);
        sr_addr slot = sp + (sr_addr)sr_pc_spdelta(pc);
        if (slot >= sr_stack_hi(s))
            break;
        pc = sr_stack_load(slot);
        sp = slot + 8;
    }
    sr_walk_end(&w, SR_WALK_COMPLETE);
}

static void move_mutator(void *arg)
{
    move_state *st = arg;
    sr_enter(st->stack, U_ROOT);
    sr_call(U_F1);
    sr_call(U_F2);
    sr_addr slot = sr_sp() + unwind_funcs[U_F2].frame_size;
    sr_store(&st->orig, sr_stack_load(slot));
    sr_store(&st->slot, slot);
    sr_stack_store(slot, SR_PC(U_TRAMP));
    sr_addr old_hi = sr_stack_hi(st->stack), saved_sp = sr_sp();
    if (st->mode == MOVE_OFF_STACK) /* the move runs on another stack, as newstack on g0 */
        sr_set_sp(sr_stack_hi(st->other) - 64);
    sr_stack_move(st->stack, 8192); /* grows from 4 KiB */
    sr_addr delta = sr_stack_hi(st->stack) - old_hi;
    if (st->mode == MOVE_OFF_STACK)
        sr_set_sp(saved_sp + delta); /* back, to the moved frame (sched.sp adjusted) */
    if (!delta || sr_stack_lo(st->stack) + 8192 != sr_stack_hi(st->stack))
        sr_throw("the stack did not move");
    if (st->mode != MOVE_STALE)
        sr_store(&st->slot, sr_load(&st->slot) + delta);
    slot = sr_load(&st->slot); /* one load per statement: the same order in any build */
    sr_stack_store(slot, sr_load(&st->orig)); /* the barrier comes down */
    walk_here(st->stack);
    sr_call(U_F3);
    sr_ret();
    sr_ret();
    sr_ret();
    sr_rewriter_done(st->stack, 0);
}

/* A reader of the stack that nothing orders with the move: a race. */
static void move_reader(void *arg)
{
    move_state *st = arg;
    while (!sr_atomic_load(&st->go))
        sr_yield();
    (void)sr_stack_load(sr_stack_hi(st->stack) - 8 - unwind_funcs[U_ROOT].frame_size);
}

static void move_racy_mutator(void *arg)
{
    move_state *st = arg;
    sr_enter(st->stack, U_ROOT);
    sr_call(U_F1);
    sr_atomic_store(&st->go, 1);
    for (int k = 0; k < 4; k++)
        sr_step();
    sr_stack_move(st->stack, 8192);
    sr_ret();
}

static void move_setup(void *state, const void *config, const sr_scenario *sc)
{
    move_state *st = state;
    (void)sc;
    st->mode = *(const int *)config;
    st->stack = sr_stack_new("S", 4096);
    st->other = sr_stack_new("B", 4096);
    if (st->mode == MOVE_RACY) {
        sr_spawn("M", 0, move_racy_mutator, st);
        sr_spawn("R", 0, move_reader, st);
    } else {
        sr_spawn("M", SR_ACTOR_SIGNALABLE, move_mutator, st);
    }
}

static const int move_modes[4] = {MOVE_ADJUSTS, MOVE_STALE, MOVE_OFF_STACK, MOVE_RACY};
#define MOVE_TARGET(name_, i)                                                           \
    {.name = name_, .description = "test", .funcs = unwind_funcs, .nfuncs = U_NFUNCS,   \
     .state_size = sizeof(move_state), .config = &move_modes[i], .setup = move_setup}
static const sr_target move_targets[4] = {
    MOVE_TARGET("move@adjusts", 0), MOVE_TARGET("move@stale", 1),
    MOVE_TARGET("move@off-stack", 2), MOVE_TARGET("move@racy", 3)};

static void test_stack_move(void)
{
    sr_scenario sc = test_scenario(SR_DELIVER_SAME_THREAD);
    expect(&move_targets[MOVE_ADJUSTS], SR_DELIVER_SAME_THREAD, CHECK_NONE, NULL);
    expect(&move_targets[MOVE_OFF_STACK], SR_DELIVER_SAME_THREAD, CHECK_NONE, NULL);
    hunt_result r = harness_hunt(&move_targets[MOVE_STALE], &sc, DEC_RANDOM, 1, 100);
    CHECK(r.found && r.check == CHECK_REWRITER && strstr(r.message, "moved stack's old home"),
          "stale: %s", r.found ? r.message : "nothing");
    /* a read before the move, unordered with it, races with the move's writes:
     * the read's history moves with the word */
    exec *e = run_new_exec();
    e->race.on = true;
    exec_result res;
    bool read_first = false;
    for (uint64_t i = 0; i < 2000 && !read_first; i++) {
        dec_start_strategy(&e->dec, DEC_RANDOM, rng_mix(i + 1), &sc, 3);
        exec_run(e, &move_targets[MOVE_RACY], &sc, &res);
        for (unsigned k = 0; k < res.nreports; k++) {
            const char *d = res.reports[k].detail, *rd = strstr(d, "read by R");
            const char *wr = strstr(d, "write by M");
            read_first |= rd && wr && rd < wr && strstr(d, "sr_stack_move");
        }
    }
    CHECK(read_first, "no race between a read and the later move of its word");
    run_free_exec(e);
}

/* ------------------------------------------------------------------ */
/* Nested signals: a runtime's own signal and a profiler's.           */
/* ------------------------------------------------------------------ */

/* The "activation" handler (a runtime suspending its thread from a signal,
 * as CoreCLR does on Unix) updates a two-word record in two steps; SIGPROF's
 * handler reads it. Unmasked, SIGPROF nested inside the activation handler
 * sees the record torn (and ctx->nested says where it landed); with each
 * handler blocking the other (sa_mask) nothing nests. Neither signal ever
 * nests inside itself. */
typedef struct nest_state {
    sr_word a, b, in_activation;
    bool masked;
} nest_state;

static void nest_mutator(void *arg)
{
    (void)arg;
    for (int k = 0; k < 20; k++)
        sr_step();
}

static void on_activation(void *state, const sr_sigctx *ctx)
{
    nest_state *st = state;
    if (ctx->signo != 0 || sr_load(&st->in_activation))
        sr_throw("activation nested in itself");
    if (st->masked && ctx->nested)
        sr_throw("nested despite the mask");
    sr_store(&st->in_activation, 1);
    sr_store(&st->a, sr_load(&st->a) + 1);
    sr_store(&st->b, sr_load(&st->b) + 1);
    sr_store(&st->in_activation, 0);
}

static void on_sigprof(void *state, const sr_sigctx *ctx)
{
    nest_state *st = state;
    if (ctx->signo != 1)
        sr_throw("wrong signal number");
    if (ctx->nested != (sr_load(&st->in_activation) != 0))
        sr_throw("ctx->nested is wrong");
    if (st->masked && ctx->nested)
        sr_throw("nested despite the mask");
    sr_word a = sr_load(&st->a);
    if (a != sr_load(&st->b))
        sr_throw("torn record");
}

static void nest_setup(void *state, const void *config, const sr_scenario *sc)
{
    nest_state *st = state;
    (void)sc;
    st->masked = *(const bool *)config;
    sr_spawn("M", SR_ACTOR_SIGNALABLE, nest_mutator, NULL);
}

static const sr_signal nest_unmasked[2] = {{"activation", on_activation, 0},
                                           {"SIGPROF", on_sigprof, 0}};
static const sr_signal nest_masked[2] = {{"activation", on_activation, 1u << 1},
                                         {"SIGPROF", on_sigprof, 1u << 0}};
#define NEST_TARGET(name_, sigs_, masked_)                                               \
    {.name = name_, .description = "test", .funcs = no_funcs, .nfuncs = 1,               \
    .state_size = sizeof(nest_state), .config = masked_, .setup = nest_setup,            \
    .signals = sigs_, .nsignals = 2}
static const sr_target nest_bad = NEST_TARGET("nest@unmasked", nest_unmasked, &no);
static const sr_target nest_good = NEST_TARGET("nest@masked", nest_masked, &yes);

static void test_nested_signals(void)
{
    sr_scenario sc = test_scenario(SR_DELIVER_SAME_THREAD);
    sc.signal_rate = 300;
    hunt_result bad = harness_hunt(&nest_bad, &sc, DEC_RANDOM, 1, 20000);
    CHECK(bad.found && !strcmp(bad.message, "torn record"), "unmasked: %s",
          bad.found ? bad.message : "nothing");
    for (int m = DEC_RANDOM; m <= DEC_PCT; m++) {
        hunt_result good = harness_hunt(&nest_good, &sc, m, 1, 20000);
        CHECK(!good.found, "masked (mode %d): %s", m, good.message);
    }
    /* remote delivery ignores masks: the profiler suspends the thread inside
     * the activation handler and sees the record torn */
    sc.delivery = SR_DELIVER_MIXED;
    bad = harness_hunt(&nest_good, &sc, DEC_RANDOM, 1, 20000);
    CHECK(bad.found && (!strcmp(bad.message, "torn record") ||
                        !strcmp(bad.message, "nested despite the mask")),
          "masked, mixed delivery: %s", bad.found ? bad.message : "nothing");
}

/* ------------------------------------------------------------------ */
/* Check 5: data races.                                               */
/* ------------------------------------------------------------------ */

enum race_variant { R_PLAIN, R_LOCKED, R_ATOMIC, R_PUBLISHED, R_REMOTE_READ, R_UNPUBLISHED,
                   R_PLAIN_THEN_THROW };

typedef struct counter_state {
    enum race_variant v;
    sr_word count, ready;
    sr_lock l;
} counter_state;

static void incrementer(void *arg)
{
    counter_state *st = arg;
    for (int k = 0; k < 3; k++) {
        if (st->v == R_LOCKED)
            sr_lock_acquire(&st->l);
        if (st->v == R_ATOMIC) {
            sr_word c = sr_atomic_load(&st->count);
            while (!sr_cas(&st->count, c, c + 1))
                c = sr_atomic_load(&st->count);
        } else {
            sr_store(&st->count, sr_load(&st->count) + 1);
        }
        if (st->v == R_LOCKED)
            sr_lock_release(&st->l);
    }
    if (st->v == R_PLAIN_THEN_THROW)
        sr_throw("after the race");
}

/* Message passing: the producer writes the data, then publishes a flag;
 * with an atomic flag the consumer's read is ordered, with a plain one
 * nothing orders it. */
static void producer(void *arg)
{
    counter_state *st = arg;
    sr_store(&st->count, 42);
    if (st->v == R_PUBLISHED)
        sr_atomic_store(&st->ready, 1);
    else
        sr_store(&st->ready, 1);
}

static void consumer(void *arg)
{
    counter_state *st = arg;
    if (st->v == R_PUBLISHED) {
        while (!sr_atomic_load(&st->ready))
            sr_yield();
    } else {
        while (!sr_load(&st->ready))
            sr_yield();
    }
    (void)sr_load(&st->count);
}

/* A remote signal handler reads what the frozen victim wrote: ordered by
 * the suspension. */
static void writer(void *arg)
{
    counter_state *st = arg;
    for (int k = 0; k < 10; k++)
        sr_store(&st->count, (sr_word)k);
}

static void remote_reader(void *state, const sr_sigctx *ctx)
{
    counter_state *st = state;
    (void)ctx;
    (void)sr_load(&st->count);
}

static void counter_setup(void *state, const void *config, const sr_scenario *sc)
{
    counter_state *st = state;
    (void)sc;
    st->v = *(const enum race_variant *)config;
    st->l.name = "L";
    sr_name(&st->count, sizeof st->count, "count", "C");
    if (st->v == R_REMOTE_READ) {
        sr_spawn("W", SR_ACTOR_SIGNALABLE, writer, st);
    } else if (st->v == R_PUBLISHED || st->v == R_UNPUBLISHED) {
        sr_spawn("P", 0, producer, st);
        sr_spawn("C", 0, consumer, st);
    } else {
        sr_spawn("A", 0, incrementer, st);
        sr_spawn("B", 0, incrementer, st);
    }
}

static const enum race_variant race_variants[] = {R_PLAIN,       R_LOCKED,     R_ATOMIC,
                                                  R_PUBLISHED,   R_REMOTE_READ, R_UNPUBLISHED,
                                                  R_PLAIN_THEN_THROW};
#define RACE_TARGET(i, name_)                                                           \
    {.name = name_, .description = "test", .funcs = no_funcs, .nfuncs = 1,              \
     .state_size = sizeof(counter_state), .config = &race_variants[i],                  \
     .setup = counter_setup, .on_signal = remote_reader}
static const sr_target race_targets[] = {
    RACE_TARGET(0, "counter@plain"),   RACE_TARGET(1, "counter@locked"),
    RACE_TARGET(2, "counter@atomic"),  RACE_TARGET(3, "publish@atomic"),
    RACE_TARGET(4, "remote@suspended"), RACE_TARGET(5, "publish@plain"),
    RACE_TARGET(6, "counter@plain-then-throw"),
};

static void expect_race(const sr_target *t, sr_delivery d, bool racy, const char *needle)
{
    sr_scenario sc = test_scenario(d);
    for (int m = DEC_RANDOM; m <= DEC_PCT; m++) {
        hunt_result r = harness_hunt_races(t, &sc, m, 3, 20000, true);
        if (racy)
            CHECK(r.found && r.check == CHECK_RACE && strstr(r.message, needle),
                  "%s: expected a race on %s, got %s", t->name, needle,
                  r.found ? r.message : "nothing");
        else
            CHECK(!r.found, "%s: expected no race, got %s", t->name, r.message);
    }
}

static void test_check_races(void)
{
    expect_race(&race_targets[0], SR_DELIVER_SAME_THREAD, true,
                "data race on count: read in incrementer, write in incrementer");
    expect_race(&race_targets[1], SR_DELIVER_SAME_THREAD, false, NULL);
    expect_race(&race_targets[2], SR_DELIVER_SAME_THREAD, false, NULL);
    expect_race(&race_targets[3], SR_DELIVER_SAME_THREAD, false, NULL);
    expect_race(&race_targets[4], SR_DELIVER_REMOTE, false, NULL);
    expect_race(&race_targets[5], SR_DELIVER_SAME_THREAD, true, "read in consumer, write in producer");
    /* a race does not end its execution: what comes after is still found */
    sr_scenario sc = test_scenario(SR_DELIVER_SAME_THREAD);
    exec *e = run_new_exec();
    e->race.on = true;
    exec_result r;
    bool both = false;
    for (uint64_t seed = 1; seed < 2000 && !both; seed++) {
        dec_start_strategy(&e->dec, DEC_RANDOM, seed, &sc, 3);
        exec_run(e, &race_targets[6], &sc, &r);
        both = r.fatal && r.nreports > 0 && r.reports[0].check == CHECK_RACE &&
               !strcmp(r.f.message, "after the race");
    }
    CHECK(both, "no execution with both the race and the later throw");
    run_free_exec(e);
}

/* ------------------------------------------------------------------ */
/* Encoding, strategies, determinism.                                 */
/* ------------------------------------------------------------------ */

/* decide.c alone: a runnable set of its own, no engine (decide.h). */
typedef struct fake_runnable {
    dec_actor a[3];
    uint32_t n;
} fake_runnable;
static uint32_t fake_count(void *ctx) { return ((fake_runnable *)ctx)->n; }
static dec_actor *fake_nth(void *ctx, uint32_t i) { return &((fake_runnable *)ctx)->a[i]; }

static void test_decide_alone(void)
{
    fake_runnable f = {.n = 3};
    for (int i = 0; i < 3; i++)
        f.a[i] = (dec_actor){.id = i + 1, .pick_step = ~0ull};
    dec_runnable set = {&f, fake_count, fake_nth};
    sr_scenario sc = test_scenario(SR_DELIVER_SAME_THREAD);
    dec_actor self = {.id = 0, .pick_step = ~0ull};

    /* PCT: a forced switch goes to the runnable actor of highest priority,
     * and the recording replays that pick */
    decider d;
    dec_init(&d, set);
    dec_start_strategy(&d, DEC_PCT, 7, &sc, 1);
    dec_actor *all[3] = {&f.a[0], &f.a[1], &f.a[2]};
    dec_begin_exec(&d, all, 3);
    uint32_t best = 0;
    for (uint32_t i = 1; i < 3; i++)
        best = f.a[i].prio > f.a[best].prio ? i : best;
    uint32_t got = dec_pick(&d, &self, true, 3, false);
    CHECK(got == best, "PCT picked %u, the highest priority is %u", got, best);
    size_t n;
    uint8_t copy[64];
    const uint8_t *rec = dec_recording(&d, &n);
    memcpy(copy, rec, n);
    decider r;
    dec_init(&r, set);
    dec_start_input(&r, copy, n);
    CHECK(dec_pick(&r, &self, true, 3, false) == best, "the recording replays the pick");

    /* the random walk's non-default picks, logged as a plan, are followed */
    plan log = {0};
    uint32_t picks[20];
    dec_start_strategy(&d, DEC_RANDOM, 3, &sc, 3);
    d.log = &log;
    for (int i = 0; i < 20; i++) {
        self.steps++;
        picks[i] = dec_pick(&d, &self, true, 3, false);
    }
    d.log = NULL;
    plan_sort(&log);
    CHECK(log.n > 0, "no non-default pick in 20");
    dec_start_plan(&r, &log);
    self.steps = 0;
    self.pick_step = ~0ull;
    bool same = true;
    for (int i = 0; i < 20; i++) {
        self.steps++;
        same &= dec_pick(&r, &self, true, 3, false) == picks[i];
    }
    CHECK(same, "the plan's picks differ from the logged walk's");
    plan_free(&log);
    dec_free(&d);
    dec_free(&r);
}

static void test_encoding(void)
{
    fake_runnable none = {.n = 0};
    decider d;
    dec_init(&d, (dec_runnable){&none, fake_count, fake_nth});
    const uint8_t bytes[] = {0x05 /* 1,0,1,0,0,0,0,0 */, 0xff};
    dec_start_input(&d, bytes, sizeof bytes);
    CHECK(dec_value(&d, 2, 0) == 1, "bit 0");
    CHECK(dec_value(&d, 2, 0) == 0, "bit 1");
    CHECK(dec_value(&d, 2, 0) == 1, "bit 2");
    CHECK(dec_value(&d, 1, 0) == 0, "a one-way choice reads nothing");
    CHECK(dec_value(&d, 8, 0) == 0, "bits 3-5 are 0");
    CHECK(dec_value(&d, 5, 0) == 4, "3 bits: 0, 0, then 1 from the next byte: 4 mod 5");
    for (int i = 0; i < 100; i++)
        (void)dec_value(&d, 3, 0);
    CHECK(dec_value(&d, 1000, 0) == 0, "past the end every decision is 0");
    /* the recording of what was read replays the same values */
    size_t n;
    const uint8_t *rec = dec_recording(&d, &n);
    uint8_t copy[64];
    memcpy(copy, rec, n);
    decider d2;
    dec_init(&d2, (dec_runnable){&none, fake_count, fake_nth});
    dec_start_input(&d2, copy, n);
    CHECK(dec_value(&d2, 2, 0) == 1 && dec_value(&d2, 2, 0) == 0 && dec_value(&d2, 2, 0) == 1,
          "recording replays");
    dec_free(&d);
    dec_free(&d2);
}

static void test_schedule_file_roundtrip(void)
{
    uint8_t payload[300];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7);
    schedule s = {.flags = 0, .sc = test_scenario(SR_DELIVER_MIXED)};
    snprintf(s.target, sizeof s.target, "go-stkbar@f90b48e~1");
    s.bytes = payload;
    s.len = sizeof payload;
    uint8_t *buf;
    size_t len = sched_encode(&s, &buf);
    schedule back;
    char err[256];
    CHECK(sched_parse(buf, len, &back, err, sizeof err) == 0, "parse: %s", err);
    CHECK(strcmp(back.target, s.target) == 0 && back.len == s.len &&
              memcmp(back.bytes, payload, s.len) == 0 &&
              memcmp(&back.sc, &s.sc, sizeof s.sc) == 0,
          "round trip");
    sched_free(&back);
    buf[11] = 0x80; /* an unknown flag bit */
    CHECK(sched_parse(buf, len, &back, err, sizeof err) != 0 && strstr(err, "unknown flags"),
          "unknown flags: %s", err);
    buf[11] = 0;
    buf[len - 1] ^= 1;
    CHECK(sched_parse(buf, len, &back, err, sizeof err) != 0 && strstr(err, "checksum"),
          "flipped payload: %s", err);
    CHECK(sched_parse(buf, len - 1, &back, err, sizeof err) != 0 && strstr(err, "truncated"),
          "truncated: %s", err);
    buf[8] = 9;
    CHECK(sched_parse(buf, len, &back, err, sizeof err) != 0 && strstr(err, "version 9"),
          "version: %s", err);
    buf[0] = 'X';
    CHECK(sched_parse(buf, len, &back, err, sizeof err) != 0 && strstr(err, "magic"),
          "magic: %s", err);
    free(buf);
}

/* A strategy's recording replays to the same trace hash and result. */
static void replays_exactly(const sr_target *t, const sr_scenario *sc, dec_mode mode,
                            int seeds)
{
    exec *e = run_new_exec(), *r2 = run_new_exec();
    for (int seed = 1; seed <= seeds; seed++) {
        exec_result a, b;
        dec_start_strategy(&e->dec, mode, (uint64_t)seed, sc, 3);
        exec_run(e, t, sc, &a);
        size_t n;
        const uint8_t *rec = dec_recording(&e->dec, &n);
        dec_start_input(&r2->dec, rec, n);
        exec_run(r2, t, sc, &b);
        CHECK(a.trace_hash == b.trace_hash && a.failed == b.failed && a.steps == b.steps,
              "%s seed %d: strategy and replay differ", t->name, seed);
    }
    run_free_exec(e);
    run_free_exec(r2);
}

static void test_replay_determinism(void)
{
    sr_scenario sc = test_scenario(SR_DELIVER_MIXED);
    replays_exactly(&patch_targets[0], &sc, DEC_RANDOM, 200);
    replays_exactly(&patch_targets[0], &sc, DEC_PCT, 200);
    replays_exactly(&owner_bad, &sc, DEC_RANDOM, 200);
    replays_exactly(&abba_bad, &sc, DEC_PCT, 200);
}

static uint64_t hash_of(const sr_target *t, const sr_scenario *sc, dec_mode mode, uint64_t seed,
                        uint32_t depth, uint64_t *switches)
{
    exec *e = run_new_exec();
    exec_result r;
    dec_start_strategy(&e->dec, mode, seed, sc, depth);
    exec_run(e, t, sc, &r);
    if (switches)
        *switches = r.stats.switches;
    run_free_exec(e);
    return r.trace_hash;
}

static void two_workers(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20; i++)
        sr_step();
}

static void workers_setup(void *state, const void *config, const sr_scenario *sc)
{
    (void)state;
    (void)config;
    (void)sc;
    sr_spawn("W1", 0, two_workers, NULL);
    sr_spawn("W2", 0, two_workers, NULL);
}

static const sr_target workers = SIMPLE_TARGET("workers", lock_state, workers_setup, &yes);

static void test_strategies(void)
{
    sr_scenario sc = test_scenario(SR_DELIVER_SAME_THREAD);
    /* same seed, same execution; different seeds explore */
    for (int m = DEC_RANDOM; m <= DEC_PCT; m++) {
        CHECK(hash_of(&owner_bad, &sc, m, 42, 3, NULL) == hash_of(&owner_bad, &sc, m, 42, 3, NULL),
              "mode %d not deterministic", m);
        int distinct = 0;
        uint64_t first = hash_of(&owner_bad, &sc, m, 1, 3, NULL);
        for (uint64_t s = 2; s < 40; s++)
            distinct += hash_of(&owner_bad, &sc, m, s, 3, NULL) != first;
        CHECK(distinct > 10, "mode %d explores too little: %d of 38 differ", m, distinct);
    }
    /* PCT depth 1: no change point, so the highest-priority worker runs to
     * completion and there is exactly one switch */
    for (uint64_t s = 1; s < 20; s++) {
        uint64_t sw;
        hash_of(&workers, &sc, DEC_PCT, s, 1, &sw);
        CHECK(sw == 1, "pct depth 1, seed %llu: %llu switches", (unsigned long long)s,
              (unsigned long long)sw);
        hash_of(&workers, &sc, DEC_PCT, s, 2, &sw);
        CHECK(sw <= 2, "pct depth 2, seed %llu: %llu switches", (unsigned long long)s,
              (unsigned long long)sw);
    }
    /* random switches at about the scenario's rate */
    sc.switch_rate = 500;
    uint64_t total = 0;
    for (uint64_t s = 1; s <= 50; s++) {
        uint64_t sw;
        hash_of(&workers, &sc, DEC_RANDOM, s, 3, &sw);
        total += sw;
    }
    CHECK(total > 50 * 8 && total < 50 * 30, "random switch rate off: %llu switches in 50 runs",
          (unsigned long long)total);
}

static void test_scenario_from_bytes(void)
{
    for (unsigned b = 0; b < 256; b++) {
        uint8_t bytes[4] = {(uint8_t)b, (uint8_t)(b * 3), (uint8_t)(b * 5), (uint8_t)(b * 7)};
        sr_scenario sc = test_scenario(SR_DELIVER_MIXED);
        CHECK(scenario_from_bytes(&sc, bytes, 4) == 4, "consumes 4");
        CHECK(scenario_check(&sc) == NULL, "byte %u gives an invalid scenario: %s", b,
              scenario_check(&sc));
    }
}

int main(int argc, char **argv)
{
    harness_init(argc, argv);
    RUN(test_encoding);
    RUN(test_decide_alone);
    RUN(test_schedule_file_roundtrip);
    RUN(test_scenario_from_bytes);
    RUN(test_strategies);
    RUN(test_replay_determinism);
    RUN(test_check_target_assert);
    RUN(test_check_target_own);
    RUN(test_setup_failures);
    RUN(test_check_walk_oracle);
    RUN(test_check_rewriter);
    RUN(test_check_signal_context);
    RUN(test_check_races);
    RUN(test_nested_signals);
    RUN(test_unwind);
    RUN(test_walk_unjudged);
    RUN(test_walk_unjudged_overflow);
    RUN(test_model_misuse);
    RUN(test_stack_move);
    return harness_exit();
}
