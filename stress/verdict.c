/*
 * verdict.c — the walk classifier (verdict.h).
 */
#include "verdict.h"

#include "barrier.h"
#include "stackrace/native.h"
#include "unwind_info.h"

const char *verdict_name(verdict v)
{
    static const char *const names[VERDICT_COUNT] = {"exact", "declined", "stopped",
                                                     "lost",  "wrong",    "fault"};
    return (unsigned)v < VERDICT_COUNT ? names[v] : "?";
}

bool verdict_better(verdict a, verdict b)
{
    static const int rank[VERDICT_COUNT] = {
        [VERDICT_EXACT] = 0, [VERDICT_STOPPED] = 1, [VERDICT_DECLINED] = 2,
        [VERDICT_LOST] = 3,  [VERDICT_WRONG] = 4,   [VERDICT_FAULT] = 5};
    return rank[a] < rank[b];
}

bool verdict_no_unwind_info(uintptr_t pc)
{
    return (pc >= barrier_pc() - 1 && pc < (uintptr_t)barrier_trampoline_end) ||
           !unwind_info_covers(pc);
}

static bool frame_matches(const walk_truth *t, unsigned k, uintptr_t pc)
{
    return pc == t->pc[k] || ((t->flags[k] & TRUTH_SIGNAL) && pc == t->pc[k] + 2);
}

/* A true prefix of k frames: did it end where nothing could go on? The
 * walker would have unwound frame k-1 to find frame k. */
static bool stopped_without_unwind_info(const walk_truth *t, unsigned k, unsigned walker_flags)
{
    /* an unwinder looks a return address up one byte back (the call), the
     * interrupted pc and a signal frame's entry as they are */
    bool ra = k - 1 > 0 && !(t->flags[k - 1] & TRUTH_SIGNAL);
    if (verdict_no_unwind_info(t->pc[k - 1] - (ra ? 1 : 0)))
        return true; /* code without CFI: interrupted there, or called from it */
    /* a view walker reads patched slots translated: no trampoline to stop at */
    if (!(walker_flags & (SR_WALKER_LIVE | SR_WALKER_UCONTEXT)))
        return false;
    /* frame k-1 was read as the trampoline (it has no CFI to unwind), or
     * frame k would be (a walker that looks up a frame before listing it) */
    return (k >= 2 && (t->flags[k - 1] & TRUTH_PATCHED)) || (t->flags[k] & TRUTH_PATCHED);
}

/* A walk that never reached the truth's first frame: did it stop at the PC
 * the signal interrupted, in code without unwind information? Its frames
 * before that are not judged (the rig's: the handler, the signal frame). */
static bool stopped_before_truth(const walk_record *w)
{
    return w->signal_pc && w->pcs[w->returned - 1] == w->signal_pc &&
           verdict_no_unwind_info(w->signal_pc);
}

verdict_result verdict_classify(const walk_truth *t, const walk_record *w)
{
    if (w->caught)
        return (verdict_result){VERDICT_FAULT, -1};
    if (w->returned <= 0)
        return (verdict_result){VERDICT_DECLINED, -1};
    if (w->n <= 0) /* frames, but never the interrupted one */
        return (verdict_result){stopped_before_truth(w) ? VERDICT_STOPPED : VERDICT_LOST, 0};
    if (t->n == 0 || w->pcs[0] != t->pc[0])
        return (verdict_result){VERDICT_WRONG, 0};
    for (unsigned k = 1; k < t->n; k++) {
        if ((int)k >= w->n) {
            bool stop = stopped_without_unwind_info(t, k, w->walker_flags);
            return (verdict_result){stop ? VERDICT_STOPPED : VERDICT_LOST, (int)k};
        }
        if (!frame_matches(t, k, w->pcs[k]))
            return (verdict_result){VERDICT_WRONG, (int)k};
    }
    return (verdict_result){VERDICT_EXACT, -1};
}
