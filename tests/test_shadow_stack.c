/*
 * test_shadow_stack.c — per-thread shadow return stacks, the function-graph
 * tracer's mechanism (Linux kernel/trace/fgraph.c): a mechanism unlike Go's
 * stack barriers, expressed with the same model API.
 *
 * On every traced function entry the hook pushes {ret, retp} (the return
 * address and the address of the slot that held it) on the running task's
 * own ret_stack and overwrites the slot with return_to_handler, whose
 * return pops the entry and goes on to ret. An unwinder that meets
 * return_to_handler in a slot must find the entry it stands for:
 *   fgraph@index  the old scheme: the k-th return_to_handler met, innermost
 *                 first, is ret_stack[curr - k]. Wrong whenever the walk
 *                 interrupts a push between the index's increment and the
 *                 slot's overwrite: the newest entry stands for no slot yet.
 *   fgraph@retp   the scheme of ftrace_graph_ret_addr with
 *                 HAVE_FUNCTION_GRAPH_RET_ADDR_PTR: the entry whose retp is
 *                 this slot (and entries are published only when complete,
 *                 so a search never meets a stale one).
 * Two tasks, each with its own shadow stack; a sampling signal unwinds the
 * task it lands on (same-thread, as perf's NMI unwinds current) or a
 * stopped one (remote).
 */
#include "harness.h"

enum { G_ROOT, G_F1, G_F2, G_F3, G_RET_TO_HANDLER, G_NFUNCS };
#define RET_TO_HANDLER SR_PC(G_RET_TO_HANDLER)
#define MAX_DEPTH 8

typedef struct world world;

typedef struct task {
    const world *w;
    char name[16];
    sr_stack *stack;
    sr_word curr_ret_stack; /* entries 0..curr-1 are live */
    struct { sr_word ret, retp; } ret_stack[MAX_DEPTH];
} task;

struct world {
    bool by_retp;
    const sr_scenario *sc;
    task tasks[2];
};

static sr_pc return_to_handler(void *state, sr_addr sp)
{
    (void)state;
    (void)sp;
    task *t = sr_private(sr_self());
    sr_word i = sr_load(&t->curr_ret_stack) - 1;
    sr_pc ret = sr_load(&t->ret_stack[i].ret);
    sr_store(&t->curr_ret_stack, i);
    return ret;
}

static const sr_func funcs[G_NFUNCS] = {
    [G_ROOT] = {"start_kernel", 48, 0}, [G_F1] = {"vfs_read", 32, 0},
    [G_F2] = {"ext4_read", 64, 0},      [G_F3] = {"copy_to_user", 16, 0},
    [G_RET_TO_HANDLER] = {"return_to_handler", 0, return_to_handler},
};

/* The function-graph entry hook, right after the call pushed `slot`. */
static void prepare_ftrace_return(const world *w, task *t, sr_addr slot)
{
    sr_word i = sr_load(&t->curr_ret_stack);
    if (!w->by_retp)
        sr_store(&t->curr_ret_stack, i + 1); /* counted before it is filled */
    sr_store(&t->ret_stack[i].ret, sr_stack_load(slot));
    sr_store(&t->ret_stack[i].retp, slot);
    if (w->by_retp)
        sr_store(&t->curr_ret_stack, i + 1); /* published when complete */
    sr_stack_store(slot, RET_TO_HANDLER);
}

static void run_task(void *arg)
{
    task *t = arg;
    const world *w = t->w;
    unsigned depth = 0;
    sr_enter(t->stack, G_ROOT);
    for (uint32_t k = 0; k < w->sc->program_len; k++) {
        if (sr_choose(2) == 0 && depth < MAX_DEPTH) {
            int fi = G_F1 + (int)sr_choose(3);
            sr_call(fi);
            prepare_ftrace_return(w, t, sr_sp() + funcs[fi].frame_size);
            depth++;
        } else if (depth > 0) {
            sr_ret();
            depth--;
        } else {
            sr_step();
        }
    }
    while (depth-- > 0)
        sr_ret();
}

/* What return_to_handler in `slot` stands for; 0: unknown. `k`: how many
 * it has met already in this walk. */
static sr_pc ftrace_graph_ret_addr(const world *w, task *t, sr_addr slot, unsigned k)
{
    sr_word curr = sr_load(&t->curr_ret_stack);
    if (!w->by_retp)
        return curr > k ? sr_load(&t->ret_stack[curr - 1 - k].ret) : 0;
    for (sr_word i = curr; i-- > 0;)
        if (sr_load(&t->ret_stack[i].retp) == slot)
            return sr_load(&t->ret_stack[i].ret);
    return 0;
}

static void sample(void *state, const sr_sigctx *ctx)
{
    const world *w = state;
    task *t = sr_private(ctx->victim);
    sr_walk wk;
    sr_walk_begin(&wk, ctx->sp);
    if (sr_pc_func(ctx->pc) == G_RET_TO_HANDLER) { /* mid-return: unreliable */
        sr_walk_end(&wk, SR_WALK_DECLINED);
        return;
    }
    sr_pc pc = ctx->pc;
    sr_addr sp = ctx->sp;
    unsigned met = 0;
    for (;;) {
        sr_walk_frame(&wk, pc);
        int64_t delta = sr_pc_spdelta(pc);
        if (delta < 0)
            break; /* not a kernel text address: the unwinder stops there */
        sr_addr slot = sp + (sr_addr)delta;
        if (slot >= sr_stack_hi(t->stack))
            break;
        pc = sr_stack_load(slot);
        if (pc == RET_TO_HANDLER && !(pc = ftrace_graph_ret_addr(w, t, slot, met++))) {
            sr_walk_end(&wk, SR_WALK_DECLINED);
            return;
        }
        sp = slot + 8;
    }
    sr_walk_end(&wk, SR_WALK_COMPLETE);
}

static void setup(void *state, const void *config, const sr_scenario *sc)
{
    world *w = state;
    w->by_retp = *(const bool *)config;
    w->sc = sc;
    for (int i = 0; i < 2; i++) {
        task *t = &w->tasks[i];
        t->w = w;
        snprintf(t->name, sizeof t->name, "T%d", i + 1);
        t->stack = sr_stack_new(t->name, 4096);
        sr_name(&t->curr_ret_stack, sizeof t->curr_ret_stack, "curr_ret_stack", t->name);
        sr_spawn(t->name, SR_ACTOR_SIGNALABLE, run_task, t);
    }
}

static const bool by_index = false, by_retp = true;
#define FGRAPH_TARGET(name_, cfg)                                                       \
    {.name = name_, .description = "test", .funcs = funcs, .nfuncs = G_NFUNCS,          \
     .state_size = sizeof(world), .config = cfg, .setup = setup, .on_signal = sample,   \
     .profiler_name = "perf"}
static const sr_target fgraph_index = FGRAPH_TARGET("fgraph@index", &by_index);
static const sr_target fgraph_retp = FGRAPH_TARGET("fgraph@retp", &by_retp);

static sr_scenario scenario(sr_delivery d)
{
    return (sr_scenario){.mutators = 2, .program_len = 30, .scan_rate = 100,
                         .signal_rate = 100, .switch_rate = 100, .delivery = d,
                         .max_steps = 20000};
}

static void test_index_scheme_found(void)
{
    for (sr_delivery d = SR_DELIVER_SAME_THREAD; d <= SR_DELIVER_REMOTE; d++) {
        sr_scenario sc = scenario(d);
        hunt_result r = harness_hunt(&fgraph_index, &sc, DEC_RANDOM, 1, 20000);
        CHECK(r.found && r.check == CHECK_WALK, "delivery %d: %s", d,
              r.found ? r.message : "nothing");
    }
}

static void test_retp_scheme_clean(void)
{
    for (sr_delivery d = SR_DELIVER_SAME_THREAD; d <= SR_DELIVER_MIXED; d++)
        for (int m = DEC_RANDOM; m <= DEC_PCT; m++) {
            sr_scenario sc = scenario(d);
            hunt_result r = harness_hunt_races(&fgraph_retp, &sc, m, 2, 20000, true);
            CHECK(!r.found, "delivery %d mode %d: %s", d, m, r.message);
        }
}

int main(int argc, char **argv)
{
    harness_init(argc, argv);
    RUN(test_index_scheme_found);
    RUN(test_retp_scheme_clean);
    return harness_exit();
}
