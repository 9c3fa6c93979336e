/*
 * tiny.c — the smallest plug-in: two actors bump a counter, with or without
 * a lock (tiny@racy, tiny@locked). Built also with one of the BAD_* macros
 * defined, into the malformed plug-ins that tests/plugin_test.sh feeds to
 * the loader: each must be refused with its own one-line reason.
 */
#include <stackrace/plugin.h>

typedef struct tiny_state {
    sr_word count;
    sr_lock lock;
    bool locked;
} tiny_state;

static void bump(void *arg)
{
    tiny_state *st = arg;
    for (int k = 0; k < 3; k++) {
        if (st->locked)
            sr_lock_acquire(&st->lock);
        sr_store(&st->count, sr_load(&st->count) + 1);
        if (st->locked)
            sr_lock_release(&st->lock);
    }
#ifdef BAD_MISSING_API
    extern void sr_no_such_function(void);
    sr_no_such_function();
#endif
}

static void setup(void *state, const void *config, const sr_scenario *sc)
{
    tiny_state *st = state;
    (void)sc;
    st->locked = *(const bool *)config;
    sr_name(&st->count, sizeof st->count, "count", "tiny");
    sr_spawn("A", 0, bump, st);
    sr_spawn("B", 0, bump, st);
}

static const sr_func funcs[] = {{"tiny.main", 16, NULL}};
static const bool racy = false, locked = true;

#ifdef BAD_DUPLICATE_BUILTIN
#define RACY_NAME "go-stkbar@3f22ade"
#else
#define RACY_NAME "tiny@racy"
#endif
#ifdef BAD_DUPLICATE_SELF
#define LOCKED_NAME RACY_NAME
#else
#define LOCKED_NAME "tiny@locked"
#endif

static const sr_target tiny_racy = {
    .name = RACY_NAME, .description = "two actors bump a counter, no lock",
    .funcs = funcs, .nfuncs = 1, .state_size = sizeof(tiny_state), .config = &racy,
#ifndef BAD_NO_SETUP
    .setup = setup,
#endif
};
static const sr_target tiny_locked = {
    .name = LOCKED_NAME, .description = "two actors bump a counter under a lock",
    .funcs = funcs, .nfuncs = 1, .state_size = sizeof(tiny_state), .config = &locked,
    .setup = setup,
};

#if defined(BAD_ABI) || defined(BAD_LAYOUT)
/* an entry point made by another stackrace */
static const sr_target *const targets[] = {&tiny_racy, &tiny_locked};
__attribute__((visibility("default"))) const sr_plugin *stackrace_plugin_v1(void);
__attribute__((visibility("default"))) const sr_plugin *stackrace_plugin_v1(void)
{
    static const sr_plugin p = {
#ifdef BAD_ABI
        SR_PLUGIN_ABI + 1, sizeof(sr_target),
#else
        SR_PLUGIN_ABI, sizeof(sr_target) + 8,
#endif
        sizeof(sr_func), sizeof(sr_scenario), sizeof(sr_walk), sizeof(sr_sigctx),
        sizeof(sr_signal), sizeof(sr_lock), "tiny", targets, 2};
    return &p;
}
#elif defined(BAD_NO_ENTRY)
const sr_target *tiny_targets(int i);
const sr_target *tiny_targets(int i) { return i ? &tiny_locked : &tiny_racy; }
#elif defined(BAD_NULL_ENTRY)
__attribute__((visibility("default"))) const sr_plugin *stackrace_plugin_v1(void);
__attribute__((visibility("default"))) const sr_plugin *stackrace_plugin_v1(void)
{
    (void)tiny_racy;
    (void)tiny_locked;
    return 0;
}
#else
SR_PLUGIN("tiny", &tiny_racy, &tiny_locked)
#endif
