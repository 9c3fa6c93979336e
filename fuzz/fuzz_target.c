/*
 * fuzz_target.c — the fuzzer entry point, built once per built-in target
 * (CMake defines STACKRACE_FUZZ_TARGET to the target's name) and once as
 * fuzz_plugin, for any plug-in's target (STACKRACE_PLUGIN, STACKRACE_TARGET
 * in the environment), for libFuzzer
 * (LLVMFuzzerTestOneInput) and for AFL++ in persistent mode with
 * shared-memory test cases (main below, when afl-clang-fast compiles it).
 *
 * The fuzzer's bytes are the schedule: the first bytes draw the scenario,
 * the rest are decisions (docs/engine.md), so any input is a valid
 * execution and every crash file is a reproducer that
 * `stackrace replay --target T FILE` narrates. A finding aborts, so the
 * fuzzer keeps the input; STACKRACE_FUZZ_NO_ABORT=1 (smoke tests) counts
 * findings instead. STACKRACE_FUZZ_RACES=1 runs the race detector too
 * (check 5): its reports are findings then. The engine counts interleaving
 * features into
 * libFuzzer's extra counters (feedback.h); STACKRACE_FUZZ_NO_FEEDBACK=1
 * turns them off, to measure what they are worth.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h> /* read(), in AFL++'s test-case macros */

#include "plugin.h"
#include "registry.h"
#include "run.h"
#ifdef STACKRACE_FUZZ_TARGET
#include "builtin.h"
#endif

#define FEATURE_MAP (1u << 14)
#ifndef __AFL_FUZZ_TESTCASE_LEN
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t features[FEATURE_MAP];
#endif

static exec *e;
static const sr_target *t;
static bool no_abort;
static unsigned long findings;

static void report_findings(void)
{
    if (no_abort)
        fprintf(stderr, "stackrace fuzz %s: %lu findings\n", t->name, findings);
}

/* The target: the built-in one this driver was made for, or (fuzz_plugin)
 * STACKRACE_TARGET from the plug-ins in STACKRACE_PLUGIN. */
static const sr_target *find_target(void)
{
#ifdef STACKRACE_FUZZ_TARGET
    builtin_register();
    const char *name = STACKRACE_FUZZ_TARGET;
#else
    const char *paths = getenv("STACKRACE_PLUGIN"), *name = getenv("STACKRACE_TARGET");
    char err[512];
    if (!paths || !*paths || !name || !*name) {
        fprintf(stderr, "stackrace: fuzz_plugin needs STACKRACE_PLUGIN (the plug-in's path) "
                        "and STACKRACE_TARGET (a target name)\n");
        exit(2);
    }
    if (plugin_load_list(paths, err, sizeof err) != 0) {
        fprintf(stderr, "stackrace: %s\n", err);
        exit(2);
    }
#endif
    const sr_target *found = registry_find(name);
    if (!found) {
        fprintf(stderr, "stackrace: fuzz target %s is not registered\n", name);
        exit(2);
    }
    return found;
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
/* AFL++: the features go into AFL's own coverage map, in slots of their
 * own. Both of AFL++'s instrumentations number the edges 1..__afl_final_loc
 * (afl-clang-lto at link time, stored by a priority-0 constructor;
 * afl-clang-fast in __sanitizer_cov_trace_pc_guard_init, a priority-2
 * sancov constructor, counting up from the current value), and the map is
 * made __afl_final_loc + 1 slots long when its shared memory is set up, in
 * a priority-3 constructor (afl-compiler-rt.o.c, __afl_auto_early, AFL++
 * 4.04c). Raising __afl_final_loc at priority 2 therefore reserves slots
 * that no edge uses, before or after sancov's numbering; without them the
 * features would land on the edges' counters (the map is exactly as long as
 * the edges) and blur both. The symbols are looked up at run time (the
 * executable exports them): code compiled by afl-clang-fast cannot declare
 * them itself. */
#define FEATURE_SLOTS (1u << 13)
static uint32_t feature_base; /* 0: no slots reserved */

__attribute__((constructor(2))) static void reserve_feature_slots(void)
{
    uint32_t *final_loc = dlsym(RTLD_DEFAULT, "__afl_final_loc");
    if (!final_loc)
        return;
    feature_base = *final_loc + 1;
    *final_loc += FEATURE_SLOTS;
}

static void use_feature_map(exec *x)
{
    uint8_t **area = dlsym(RTLD_DEFAULT, "__afl_area_ptr");
    uint32_t *size = dlsym(RTLD_DEFAULT, "__afl_map_size");
    if (!feature_base || !area || !*area || !size || *size < feature_base + FEATURE_SLOTS)
        return; /* no slots of our own: no features rather than blurred edges */
    x->fb.counters = *area + feature_base;
    x->fb.mask = FEATURE_SLOTS - 1;
    if (getenv("AFL_DEBUG")) /* AFL++'s own debug switch; the map test reads this */
        fprintf(stderr, "stackrace: interleaving features in AFL map slots [%u, %u)\n",
                feature_base, feature_base + FEATURE_SLOTS);
}
#else
/* libFuzzer: its extra counters. */
static void use_feature_map(exec *x)
{
    x->fb.counters = features;
    x->fb.mask = FEATURE_MAP - 1;
}
#endif

static void init(void)
{
    t = find_target();
    e = run_new_exec();
    const char *s = getenv("STACKRACE_FUZZ_RACES");
    e->race.on = s && *s == '1';
    s = getenv("STACKRACE_FUZZ_NO_FEEDBACK");
    if (!(s && *s == '1'))
        use_feature_map(e);
    s = getenv("STACKRACE_FUZZ_NO_ABORT");
    no_abort = s && *s == '1';
    atexit(report_findings);
}

#ifndef __AFL_FUZZ_TESTCASE_LEN
/* libFuzzer: the set-up before the first input, where an error can still
 * exit with its own status (an exit from inside LLVMFuzzerTestOneInput is
 * "fuzz target exited" to libFuzzer: status 77 and a crash file). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    init();
    return 0;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!e)
        init();
    schedule s = {.flags = SCHED_FLAG_SCENARIO_IN_BYTES, .bytes = (uint8_t *)data, .len = size};
    exec_result r;
    run_schedule(e, t, &s, false, &r);
    if (r.failed) {
        findings++;
        if (!no_abort) {
            char sig[64];
            finding_signature(&r.f, t->name, sig, sizeof sig);
            fprintf(stderr, "stackrace: %s: %s: %s%s%s\n", t->name, sig, r.f.message,
                    r.f.location[0] ? " in " : "", r.f.location);
            abort();
        }
    }
    return 0;
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();

int main(void)
{
    init();
    __AFL_INIT(); /* deferred fork server: the engine's set-up is done once */
    unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(100000)) {
        int len = __AFL_FUZZ_TESTCASE_LEN;
        LLVMFuzzerTestOneInput(buf, (size_t)len);
    }
    return 0;
}
#endif
