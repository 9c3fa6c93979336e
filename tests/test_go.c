/*
 * test_go.c — the Go stack-barrier target's verdict at each modelled commit,
 * on short budgets: the three buggy variants are found and say why, the
 * fixed one is clean while its sampler really walks.
 */
#include "harness.h"

#include "go/runtime.h"
#include "report.h"
#include "scenario.h"

static const sr_target *variant(const char *commit)
{
    for (int i = 0; i < 4; i++)
        if (strstr(go_targets[i].name, commit) && strlen(go_targets[i].name) ==
                                                      strlen("go-stkbar@") + strlen(commit))
            return &go_targets[i];
    return NULL;
}

typedef struct found {
    bool failed;
    exec_result r;
    uint8_t bytes[65536];
    size_t len;
    uint64_t execs;
    uint64_t walks;
} found;

/* Hunts until the first fatal finding of check `want` (CHECK_NONE: any),
 * passing over others. */
static found hunt_for(const sr_target *t, dec_mode mode, uint64_t seed, uint64_t budget,
                      bool races, check_kind want)
{
    static found f;
    memset(&f, 0, sizeof f);
    sr_scenario sc = scenario_defaults(t);
    exec *e = run_new_exec();
    e->race.on = races;
    for (uint64_t i = 0; i < budget; i++) {
        dec_start_strategy(&e->dec, mode, rng_mix(seed ^ rng_mix(i + 1)), &sc, 3);
        exec_run(e, t, &sc, &f.r);
        f.walks += f.r.stats.walks_complete;
        f.execs = i + 1;
        if (f.r.failed && (want == CHECK_NONE || f.r.f.check == (int)want)) {
            f.failed = true;
            const uint8_t *rec = dec_recording(&e->dec, &f.len);
            if (f.len <= sizeof f.bytes)
                memcpy(f.bytes, rec, f.len);
            break;
        }
    }
    run_free_exec(e);
    return f;
}

static found hunt(const sr_target *t, dec_mode mode, uint64_t seed, uint64_t budget)
{
    return hunt_for(t, mode, seed, budget, false, CHECK_NONE);
}

/* Replays a finding with the full trace; true if some note contains each
 * of the needles, in order. */
static bool story_has(const sr_target *t, const found *f, const char *const *needles)
{
    exec *e = run_new_exec();
    schedule s = {.sc = scenario_defaults(t), .bytes = (uint8_t *)f->bytes, .len = f->len};
    exec_result r;
    run_schedule(e, t, &s, true, &r);
    size_t k = 0;
    for (size_t i = 0; i < e->tr.n && needles[k]; i++)
        if (e->tr.ev[i].kind == T_NOTE && strstr(trace_text(&e->tr, e->tr.ev[i].text), needles[k]))
            k++;
    bool ok = needles[k] == NULL && r.failed && r.trace_hash == f->r.trace_hash;
    run_free_exec(e);
    return ok;
}

static void test_seed_bug_found(void)
{
    const sr_target *t = variant("f90b48e~1");
    for (int mode = DEC_RANDOM; mode <= DEC_PCT; mode++)
        for (uint64_t seed = 1; seed <= 5; seed++) {
            found f = hunt(t, mode, seed, 20000);
            CHECK(f.failed && f.r.f.check == CHECK_TARGET_ASSERT &&
                      strcmp(f.r.f.message, "missed stack barrier") == 0 &&
                      strcmp(f.r.f.location, "gentraceback") == 0,
                  "mode %d seed %llu: %s", mode, (unsigned long long)seed,
                  f.failed ? f.r.f.message : "not found");
            /* the seed's sequence: a scan holds the lock, sigprof fails to
             * take it and walks the cgo G anyway; or (this commit has the
             * f90b48e hole too) sigprof tries no lock at all */
            static const char *const seed_story[] = {"performs a cgo call",
                                                     "sigprof fails to take G1.stackLock",
                                                     "walks G1 from syscallpc/syscallsp",
                                                     "not the next one", NULL};
            static const char *const hole_story[] = {"performs a cgo call",
                                                     "no lock was tried",
                                                     "walks G1 from syscallpc/syscallsp",
                                                     "not the next one", NULL};
            CHECK(!f.failed || story_has(t, &f, seed_story) || story_has(t, &f, hole_story),
                  "mode %d seed %llu: story differs", mode, (unsigned long long)seed);
        }
}

static void test_f90b48e_hole_found(void)
{
    const sr_target *t = variant("f90b48e");
    for (int mode = DEC_RANDOM; mode <= DEC_PCT; mode++)
        for (uint64_t seed = 1; seed <= 5; seed++) {
            found f = hunt(t, mode, seed, 200000);
            CHECK(f.failed && strcmp(f.r.f.message, "missed stack barrier") == 0,
                  "mode %d seed %llu: %s", mode, (unsigned long long)seed,
                  f.failed ? f.r.f.message : "not found");
            /* the window 3f22ade describes: sp outside gp's stack, so no
             * lock is tried and tracebackUser stays true */
            static const char *const story[] = {"sp outside gp's stack",
                                                "tracebackUser = true (no lock was tried)",
                                                "walks G1 from syscallpc/syscallsp",
                                                "not the next one", NULL};
            CHECK(!f.failed || story_has(t, &f, story), "mode %d seed %llu: not the window",
                  mode, (unsigned long long)seed);
        }
}

/* 87f97c7 has two findings: the walk oracle's (a walk that returns frames
 * that are not the stack's; corpus/regress keeps one) and the traceback's
 * "index out of range" throw. Each seed must reach the walk oracle's, not
 * just anything: with the walk oracle accepting everything this fails. */
static void test_87f97c7_walk_oracle(void)
{
    const sr_target *t = variant("87f97c7");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        found f = hunt_for(t, DEC_RANDOM, seed, 20000, false, CHECK_WALK);
        CHECK(f.failed && f.r.f.check == CHECK_WALK, "seed %llu: %s (check %d)",
              (unsigned long long)seed, f.failed ? f.r.f.message : "nothing found",
              f.failed ? (int)f.r.f.check : 0);
    }
}

static void test_3f22ade_clean(void)
{
    const sr_target *t = variant("3f22ade");
    for (int mode = DEC_RANDOM; mode <= DEC_PCT; mode++) {
        found f = hunt(t, mode, 11, 30000);
        CHECK(!f.failed, "mode %d: %s (%s) after %llu execs", mode,
              f.failed ? f.r.f.message : "", f.failed ? f.r.f.detail : "",
              (unsigned long long)f.execs);
        /* a sampler that never walked would pass vacuously */
        CHECK(f.walks > f.execs, "mode %d: only %llu complete walks in %llu execs", mode,
              (unsigned long long)f.walks, (unsigned long long)f.execs);
    }
}

/* Any failing schedule minimizes, and the result replays to the same
 * finding: raw random inputs (scenario drawn from their first bytes). */
static void test_minimize_roundtrip(void)
{
    uint64_t rng = 12345;
    int failing = 0;
    exec *e = run_new_exec();
    for (int i = 0; i < 300 && failing < 25; i++) {
        const sr_target *t = &go_targets[i % 3];
        uint8_t bytes[400];
        size_t len = 8 + rng_below(&rng, sizeof bytes - 8);
        for (size_t k = 0; k < len; k++)
            bytes[k] = (uint8_t)rng_next(&rng);
        schedule s = {.flags = SCHED_FLAG_SCENARIO_IN_BYTES, .len = len};
        snprintf(s.target, sizeof s.target, "%s", t->name);
        s.bytes = malloc(len);
        memcpy(s.bytes, bytes, len);
        exec_result r;
        run_schedule(e, t, &s, false, &r);
        if (r.failed) {
            failing++;
            minimize_stats st;
            int rc = run_minimize(e, t, &s, NULL, 0, &st);
            CHECK(rc == 0, "%s input %d: minimize returned %d", t->name, i, rc);
            CHECK(rc != 0 || st.decisions[1] <= st.decisions[0], "%s input %d: grew", t->name, i);
        }
        sched_free(&s);
    }
    CHECK(failing >= 10, "only %d of 300 random inputs failed", failing);
    run_free_exec(e);
}

/* The minimizer as a minimizer: the seed-1 finding of the seed's bug
 * shrinks to strictly fewer decisions, at most MINIMIZED_DECISIONS (what
 * minimize.c reaches today: a regression of the search shows here), and
 * the minimized bytes, replayed by a fresh execution that knows nothing of
 * the minimizer's verdict, end in the same signature. */
enum { MINIMIZED_DECISIONS = 25 };
static void test_minimizer_shrinks_seed_finding(void)
{
    const sr_target *t = variant("f90b48e~1");
    found f = hunt(t, DEC_RANDOM, 1, 20000);
    CHECK(f.failed, "seed 1 found nothing");
    if (!f.failed)
        return;
    char want[64], got[64];
    finding_signature(&f.r.f, t->name, want, sizeof want);
    schedule s = {.sc = scenario_defaults(t), .len = f.len};
    snprintf(s.target, sizeof s.target, "%s", t->name);
    s.bytes = malloc(f.len);
    memcpy(s.bytes, f.bytes, f.len);
    exec *e = run_new_exec();
    minimize_stats st = {0};
    int rc = run_minimize(e, t, &s, NULL, 0, &st);
    run_free_exec(e);
    CHECK(rc == 0, "minimize returned %d", rc);
    CHECK(st.decisions[1] < st.decisions[0] && st.decisions[1] <= MINIMIZED_DECISIONS,
          "decisions %zu -> %zu (bound %d), bytes %zu -> %zu", st.decisions[0], st.decisions[1],
          MINIMIZED_DECISIONS, st.bytes[0], st.bytes[1]);
    CHECK(s.len < f.len, "bytes %zu -> %zu", f.len, s.len);
    exec *fresh = run_new_exec();
    exec_result r;
    run_schedule(fresh, t, &s, false, &r);
    run_free_exec(fresh);
    CHECK(r.failed, "the minimized schedule replays clean");
    if (r.failed) {
        finding_signature(&r.f, t->name, got, sizeof got);
        CHECK(strcmp(got, want) == 0, "replayed %s (%s), found %s (%s)", got, r.f.message, want,
              f.r.f.message);
    }
    sched_free(&s);
}

/* Check 5 on the Go target: the unlocked traceback's reads of the barrier
 * list race with the GC's writes (at 87f97c7 too, but there the walk
 * oracle usually ends a hunt first); 3f22ade has no race at all. */
static void test_races(void)
{
    const char *buggy[] = {"f90b48e~1", "f90b48e"};
    for (int i = 0; i < 2; i++)
        for (uint64_t seed = 1; seed <= 5; seed++) {
            found f = hunt_for(variant(buggy[i]), DEC_RANDOM, seed, 20000, true, CHECK_NONE);
            bool race = false;
            for (unsigned k = 0; k < f.r.nreports; k++)
                race |= f.r.reports[k].check == CHECK_RACE &&
                        strstr(f.r.reports[k].message, "stkbar") &&
                        strstr(f.r.reports[k].message, "gentraceback");
            CHECK(race, "%s seed %llu: no race on the barrier list (%s)", buggy[i],
                  (unsigned long long)seed, f.failed ? f.r.f.message : "nothing");
        }
    for (int mode = DEC_RANDOM; mode <= DEC_PCT; mode++) {
        found f = hunt_for(variant("3f22ade"), mode, 5, 30000, true, CHECK_NONE);
        CHECK(!f.failed, "3f22ade mode %d: %s (%s)", mode, f.failed ? f.r.f.message : "",
              f.failed ? f.r.f.detail : "");
    }
}

/* The detector sees the seed's bug where the throw does not: on 20 seeds,
 * some execution reports the barrier-list race without ending in "missed
 * stack barrier" or any other fatal finding. */
static void test_race_without_crash(void)
{
    const sr_target *t = variant("f90b48e~1");
    sr_scenario sc = scenario_defaults(t);
    exec *e = run_new_exec();
    e->race.on = true;
    exec_result r;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        uint64_t i;
        bool seen = false;
        for (i = 0; i < 20000 && !seen; i++) {
            dec_start_strategy(&e->dec, DEC_RANDOM, rng_mix(seed ^ rng_mix(i + 1)), &sc, 3);
            exec_run(e, t, &sc, &r);
            for (unsigned k = 0; k < r.nreports && !r.fatal; k++)
                seen |= strstr(r.reports[k].message, "stkbar") &&
                        strstr(r.reports[k].message, "gentraceback");
        }
        CHECK(seen, "seed %llu: no barrier-list race in a non-fatal execution in %llu execs",
              (unsigned long long)seed, (unsigned long long)i);
    }
    run_free_exec(e);
}

int main(int argc, char **argv)
{
    harness_init(argc, argv);
    RUN(test_races);
    RUN(test_race_without_crash);
    RUN(test_minimize_roundtrip);
    RUN(test_minimizer_shrinks_seed_finding);
    RUN(test_seed_bug_found);
    RUN(test_f90b48e_hole_found);
    RUN(test_87f97c7_walk_oracle);
    RUN(test_3f22ade_clean);
    return harness_exit();
}
