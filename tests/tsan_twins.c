/*
 * tsan_twins.c — ThreadSanitizer sees the model (tsan preset only): a
 * minimal racy target draws a TSan data-race report, its locked and atomic
 * twins draw none. ctest checks the output (tests/CMakeLists.txt).
 *
 * usage: tsan_twins plain|locked|atomic
 */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "run.h"

typedef struct twin_state {
    int variant; /* 0 plain, 1 locked, 2 atomic */
    sr_word count;
    sr_lock l;
} twin_state;

static void bump(void *arg)
{
    twin_state *st = arg;
    for (int k = 0; k < 3; k++) {
        if (st->variant == 1)
            sr_lock_acquire(&st->l);
        if (st->variant == 2) {
            sr_word c = sr_atomic_load(&st->count);
            while (!sr_cas(&st->count, c, c + 1))
                c = sr_atomic_load(&st->count);
        } else {
            sr_store(&st->count, sr_load(&st->count) + 1);
        }
        if (st->variant == 1)
            sr_lock_release(&st->l);
    }
}

static void setup(void *state, const void *config, const sr_scenario *sc)
{
    twin_state *st = state;
    (void)sc;
    st->variant = *(const int *)config;
    sr_spawn("A", 0, bump, st);
    sr_spawn("B", 0, bump, st);
}

static const sr_func funcs[1] = {{"root", 16, 0}};

int main(int argc, char **argv)
{
    static const int variants[] = {0, 1, 2};
    int v = argc > 1 && !strcmp(argv[1], "locked") ? 1 : argc > 1 && !strcmp(argv[1], "atomic") ? 2 : 0;
    sr_target t = {.name = "twins", .description = "test", .funcs = funcs, .nfuncs = 1,
                   .state_size = sizeof(twin_state), .config = &variants[v], .setup = setup};
    sr_scenario sc = {.mutators = 1, .program_len = 1, .scan_rate = 100, .signal_rate = 0,
                      .switch_rate = 300, .delivery = SR_DELIVER_SAME_THREAD,
                      .max_steps = 1000};
    exec *e = run_new_exec();
    exec_result r;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        dec_start_strategy(&e->dec, DEC_RANDOM, seed, &sc, 3);
        exec_run(e, &t, &sc, &r);
    }
    run_free_exec(e);
    printf("tsan_twins %s: done\n", argc > 1 ? argv[1] : "plain");
    return 0;
}
