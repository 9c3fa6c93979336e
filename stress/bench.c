/*
 * bench.c — bench-walkers (bench.h).
 */
#include "bench.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include "clock.h"
#include "guard.h"
#include "sanitizer.h"
#include "mutator.h"
#include "shapes.h"
#include "stress.h"
#include "view.h"

enum { WALK_MAX = SHADOW_MAX + 32 };

static bench_row *rows;
static unsigned nrows, reps, shadow_depth;


/* One walk, made comparable as the sampler makes it (sampler.c); judged
 * when v is given. Returns the frames kept. */
static int walk_once(const sr_walker *w, mutator *m, const ucontext_t *uc, uintptr_t *pcs,
                     verdict *judged)
{
    sr_stack_walk sw;
    stack_view v;
    saved_ctx at = view_context_of(uc);
    view_init(&sw, &v, m, &at, uc);
    int n = w->walk(&sw, pcs, WALK_MAX);
    walk_record rec = {pcs, n, n, 0, w->flags, 0};
    if (n > 0 && (w->flags & (SR_WALKER_LIVE | SR_WALKER_UCONTEXT)))
        rec.n = view_adapt(&v, pcs, n, &at, w->flags);
    if (judged) {
        oracle_sample o = {&m->shadow, at.pc, at.sp, sw.signal_return, &m->barriers,
                           view_readable, &v};
        *judged = oracle_check(&o, &rec, NULL).v;
    }
    return rec.n;
}

static void bench_handler(int sig, siginfo_t *info, void *ucv)
{
    (void)sig, (void)info;
    mutator *m = mutator_self;
    const ucontext_t *uc = ucv;
    if (!m)
        return;
    shadow_depth = m->shadow.depth;
    walk_guard *g = guard_self();
    uintptr_t pcs[WALK_MAX];
    for (unsigned i = 0; i < nrows; i++) {
        bench_row *r = &rows[i];
        if (!r->available)
            continue;
        g->walker = r->walker->name;
        g->in_handler = true;
        if (sigsetjmp(g->jb, 0) != 0) {
            guard_disarm(g);
            r->faulted = g->sig != GUARD_WATCHDOG;
            r->too_slow = g->sig == GUARD_WATCHDOG;
            continue;
        }
        guard_arm(g);
        r->frames = walk_once(r->walker, m, uc, pcs, &r->v); /* warm: caches, lazy loading */
        double t0 = (double)clk_ns();
        for (unsigned k = 0; k < reps; k++)
            walk_once(r->walker, m, uc, pcs, NULL);
        double ns = (double)clk_ns() - t0;
        guard_disarm(g);
        r->ns_walk = ns / reps;
        r->ns_frame = r->frames > 0 ? r->ns_walk / r->frames : 0;
    }
    atomic_store(&m->stop, 1);
}

int bench_run(bench_row *out, unsigned n, unsigned repetitions, unsigned *depth)
{
#ifdef ENGINE_TSAN
    /* the thread's signal to itself would wait for an interceptor its
     * program never calls */
    (void)out, (void)n, (void)repetitions, (void)depth;
    fprintf(stderr, "stackrace: bench-walkers: not in a ThreadSanitizer build (it defers signal "
                    "handlers); use another preset\n");
    return 2;
#endif
    rows = out;
    nrows = n;
    reps = repetitions ? repetitions : 1;
    for (unsigned i = 0; i < n; i++) {
        bench_row *r = &rows[i];
        r->available = !r->walker->init || r->walker->init(r->why, sizeof r->why) == 0;
    }
    static stress_config c;
    stress_defaults(&c, NULL);
    char why[256];
    shapes_init(why, sizeof why);
    c.shapes = shapes_with_fp();
    c.foreign_pm = 0;
    c.trap_pm = 0;
    c.longjmp_pm = 0;
    c.max_depth = 48;
    c.signal_self_at = 50;
    c.signal_self_depth = 24;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_SIGINFO;
    sa.sa_sigaction = bench_handler;
    sigemptyset(&sa.sa_mask);
    guard_reset();
    if (sigaction(SIGPROF, &sa, NULL) != 0) {
        fprintf(stderr, "stackrace: bench-walkers: sigaction: %s\n", strerror(errno));
        return 2;
    }
    /* a walker's reps walks are one guarded walk: the watchdog's limit is long */
    int rc = guard_start(BENCH_WATCHDOG_SECONDS);
    if (rc != 0) {
        fprintf(stderr, "stackrace: bench-walkers: the watchdog: %s\n", strerror(rc));
        return 2;
    }
    static mutator m;
    memset(&m, 0, sizeof m);
    if ((rc = mutator_start(&m, 0, &c, 7)) != 0) {
        fprintf(stderr, "stackrace: bench-walkers: starting the thread: %s\n", strerror(rc));
        guard_stop();
        return 2;
    }
    pthread_join(m.thread, NULL);
    mutator_unmap(&m);
    guard_stop();
    *depth = shadow_depth;
    return 0;
}
