/*
 * walker.c — a user's walkers as a plug-in (<stackrace/native.h>): a
 * correct frame-pointer walk through the engine's view; the same walk
 * without its look at the interrupted instruction (it skips the caller at a
 * function's first instruction and at a ret, where rbp is the caller's);
 * and one that drops the caller of the interrupted frame everywhere, as a
 * walker that misreads a frame would. tests/plugin_walker_test.sh checks
 * the first is clean, the other two caught, the naive one by stress and
 * sweep alike; and one that faults (reads address 16), which must be a
 * fault and a finding, never a decline. BAD_ABI builds one the loader must
 * refuse; FIRST_RELEASE one that says it was built against the first
 * release's sr_stack_walk (no `stopped`), which the loader must take.
 */
#include <stackrace/native.h>

#ifdef FIRST_RELEASE /* its header had no `stopped` */
#undef sr_walk_end_because
#define sr_walk_end_because(w, n, why, code, last) (n)
#endif

/* Where the return address is when rbp is not yet (or no longer) the
 * interrupted frame's: an offset from sp, or -1. */
static int edge_ra_offset(uintptr_t pc)
{
    const unsigned char *op = (const unsigned char *)pc;
    if (op[0] == 0x55 || op[0] == 0xc3) /* push %rbp; ret */
        return 0;
    return op[0] == 0x48 && op[1] == 0x89 && op[2] == 0xe5 ? 8 : -1; /* mov %rsp,%rbp */
}

static int walk(const sr_stack_walk *w, uintptr_t *pcs, int max, int drop, int look)
{
    int n = 0;
    pcs[n++] = w->pc;
    uintptr_t fp = w->fp, next, ra;
    int depth = 0, edge = look ? edge_ra_offset(w->pc) : -1;
    if (look && w->signal_return && w->pc - w->signal_return < 16)
        return 0; /* in the signal return trampoline: a signal frame, declined */
    if (edge >= 0 && w->read(w, w->sp + (uintptr_t)edge, &ra) && ra) {
        if (ra == w->signal_return)
            return 0;
        pcs[n++] = ra;
    }
    while (n < max && w->read(w, fp, &next) && w->read(w, fp + 8, &ra) && ra) {
        if (depth++ != drop)
            pcs[n++] = ra;
        if (w->signal_return && ra == w->signal_return)
            return 0; /* signal frames: decline (this walker does not step over them) */
        if (next <= fp)
            return sr_walk_end_because(w, n, SR_STOP_END, 0, next);
        fp = next;
    }
    return n;
}

static int good_walk(const sr_stack_walk *w, uintptr_t *pcs, int max) { return walk(w, pcs, max, -1, 1); }
static int naive_walk(const sr_stack_walk *w, uintptr_t *pcs, int max) { return walk(w, pcs, max, -1, 0); }
static int skip_walk(const sr_stack_walk *w, uintptr_t *pcs, int max) { return walk(w, pcs, max, 0, 1); }

static const sr_walker user_fp = {"user-fp", "a user's frame-pointer walker",
                                  SR_WALKER_NEEDS_FP, NULL, good_walk};
static int crash_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    (void)w, (void)pcs, (void)max;
    return *(volatile int *)16;
}

static const sr_walker user_crash = {"user-crash", "reads address 16", SR_WALKER_NEEDS_FP, NULL,
                                     crash_walk};
/* Its first walk in a process spins until stopped (the watchdog's case: a
 * cycle in a frame chain); later ones are user-fp's. */
static int spin_once_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    static volatile int walked;
    if (!walked) {
        walked = 1;
        for (volatile unsigned long i = 0;; i++)
            ;
    }
    return good_walk(w, pcs, max);
}

static const sr_walker user_spin_once = {"user-spin-once", "its first walk never returns",
                                         SR_WALKER_NEEDS_FP, NULL, spin_once_walk};
static const sr_walker user_naive = {"user-naive-fp", "a frame-pointer walker that never looks at pc",
                                     SR_WALKER_NEEDS_FP, NULL, naive_walk};
static const sr_walker user_skip = {"user-skip", "drops the caller's frame",
                                    SR_WALKER_NEEDS_FP, NULL, skip_walk};

#ifdef BAD_ABI
#undef SR_WALKER_ABI
#define SR_WALKER_ABI 99
#endif
#ifdef FIRST_RELEASE
#include <stddef.h>
static const sr_walker *const first_release_walkers[] = {&user_fp, &user_naive, &user_skip,
                                                          &user_crash, &user_spin_once};
__attribute__((visibility("default"))) const sr_walker_plugin *stackrace_walkers_v1(void);
__attribute__((visibility("default"))) const sr_walker_plugin *stackrace_walkers_v1(void)
{
    static const sr_walker_plugin plugin = {SR_WALKER_ABI, sizeof(sr_walker),
                                            offsetof(sr_stack_walk, stopped), "user-walkers",
                                            first_release_walkers, 5};
    return &plugin;
}
#else
SR_WALKER_PLUGIN("user-walkers", &user_fp, &user_naive, &user_skip, &user_crash, &user_spin_once)
#endif
