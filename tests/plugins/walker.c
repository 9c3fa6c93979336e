/*
 * walker.c — a user's walkers as a plug-in (<stackrace/native.h>): a
 * correct frame-pointer walk through the engine's view, and one that drops
 * the caller of the interrupted frame, as a walker that misreads a frame
 * would. tests/plugin_walker_test.sh checks the first is clean and the
 * second caught. BAD_ABI builds one the loader must refuse.
 */
#include <stackrace/native.h>

static int walk(const sr_stack_walk *w, uintptr_t *pcs, int max, int drop)
{
    int n = 0;
    pcs[n++] = w->pc;
    uintptr_t fp = w->fp, next, ra;
    int depth = 0;
    while (n < max && w->read(w, fp, &next) && w->read(w, fp + 8, &ra) && ra) {
        if (depth++ != drop)
            pcs[n++] = ra;
        if (w->signal_return && ra == w->signal_return)
            return 0; /* signal frames: decline (this walker does not step over them) */
        if (next <= fp)
            break;
        fp = next;
    }
    return n;
}

static int good_walk(const sr_stack_walk *w, uintptr_t *pcs, int max) { return walk(w, pcs, max, -1); }
static int skip_walk(const sr_stack_walk *w, uintptr_t *pcs, int max) { return walk(w, pcs, max, 0); }

static const sr_walker user_fp = {"user-fp", "a user's frame-pointer walker",
                                  SR_WALKER_NEEDS_FP, NULL, good_walk};
static const sr_walker user_skip = {"user-skip", "drops the caller's frame",
                                    SR_WALKER_NEEDS_FP, NULL, skip_walk};

#ifdef BAD_ABI
#undef SR_WALKER_ABI
#define SR_WALKER_ABI 99
#endif
SR_WALKER_PLUGIN("user-walkers", &user_fp, &user_skip)
