/*
 * sampler.c — the samplers (sampler.h) and the sample itself.
 */
#include "sampler.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "aim.h"
#include "clock.h"
#include "findings.h"
#include "guard.h"
#include "sanitizer.h"
#include "oracle.h"
#include "shapes.h"
#include "view.h"

enum { WALK_MAX = SHADOW_MAX + 32 };

static const stress_config *cfg;
static mutator *muts;
static unsigned nmuts;
static int stop_signal;
static atomic_int threads_stop;
static pthread_t chaos_thread, profiler_thread;
static bool chaos_started, profiler_started;

static void count(atomic_ulong *c, unsigned long n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* A PC as a reader wants it: shape+offset, the trampoline, the signal
 * return, or the bare address. A return address (ret) is named by its
 * call: it may be the next function's first byte (shapes_packed.c). */
static void describe_pc(fmtbuf *b, uintptr_t pc, bool ret, uintptr_t signal_return)
{
    int id = shape_of_pc(ret ? pc - 1 : pc);
    if (id >= 0) {
        fmt_str(b, shape_at((unsigned)id)->name);
        fmt_str(b, "+");
        fmt_hex(b, pc - shape_start((unsigned)id));
    } else if (pc == 0 && ret) {
        fmt_str(b, "(unrecorded)"); /* a frame the shadow has not recorded */
    } else if (pc == barrier_pc()) {
        fmt_str(b, "trampoline");
    } else if (signal_return && pc == signal_return) {
        fmt_str(b, "sigreturn");
    } else {
        char where[80];
        guard_describe_pc(where, sizeof where, pc);
        fmt_str(b, where);
    }
}

static void describe_frames(fmtbuf *b, const uintptr_t *pcs, int n)
{
    uintptr_t sr = shapes_signal_return();
    for (int i = 0; i < n && i < 24; i++) {
        fmt_str(b, " ");
        describe_pc(b, pcs[i], i > 0, sr);
    }
    if (n > 24)
        fmt_str(b, " ...");
}

static void report_wrong(const mutator *m, bool foreign, bool remote, verdict_result r,
                         const walk_record *rec, const walk_truth *t, const stack_view *v)
{
    char msg[160], detail[1024];
    fmtbuf b;
    fmt_init(&b, msg, sizeof msg);
    fmt_str(&b, "walker ");
    fmt_str(&b, cfg->walker->name);
    if (v->missed)
        fmt_str(&b, " met a barrier its table copy did not have (missed barrier)");
    else if (r.v == VERDICT_LOST)
        fmt_str(&b, r.at == 0 ? " lost frames (never reached the interrupted frame)"
                              : " lost frames (stopped where unwind information exists)");
    else
        fmt_str(&b, " returned frames that are not the thread's");
    fmt_str(&b, foreign ? ", walking a parked thread" : ", walking a running thread");
    fmt_str(&b, remote ? " (remote)" : " (same-thread)");

    fmt_init(&b, detail, sizeof detail);
    fmt_str(&b, "thread ");
    fmt_u(&b, m->index);
    fmt_str(&b, ", frame ");
    fmt_u(&b, (uint64_t)r.at);
    fmt_str(&b, r.v == VERDICT_LOST ? " is missing; truth:" : " differs; truth:");
    describe_frames(&b, t->pc, (int)t->n);
    fmt_str(&b, "; walk:");
    describe_frames(&b, rec->pcs, rec->n);
    if (rec->n == 0 && rec->returned > 0) {
        /* nothing matched the interrupted PC: view_adapt left the walk as
         * the walker gave it, which says where the walker lost its way */
        fmt_str(&b, " (the walker gave:");
        describe_frames(&b, rec->pcs, rec->returned);
        fmt_str(&b, ")");
    }
    if (v->missed) {
        fmt_str(&b, "; slot ");
        fmt_hex(&b, v->missed_slot);
        fmt_str(&b, " held the trampoline");
    }
    if (v->stop_why) {
        fmt_str(&b, "; the walker said: ");
        fmt_str(&b, view_stop_name(v->stop_why));
        if (v->stop_last) {
            fmt_str(&b, ", last address ");
            fmt_hex(&b, v->stop_last);
        }
    }
    findings_add("walk-oracle", msg, detail);
}

/* A walk that faulted or was stopped by the watchdog (guard.h). */
static void report_caught(const mutator *m, const walk_guard *g, const saved_ctx *from,
                          bool foreign, bool remote)
{
    char msg[160], detail[640];
    fmtbuf mb, b;
    fmt_init(&mb, msg, sizeof msg);
    fmt_init(&b, detail, sizeof detail);
    const char *check = guard_tell(g, cfg->walker->name, &mb, &b);
    fmt_str(&b, "; walking thread ");
    fmt_u(&b, m->index);
    fmt_str(&b, foreign ? " (parked" : " (running");
    fmt_str(&b, remote ? ", remote)" : ", same-thread)");
    fmt_str(&b, " from pc ");
    fmt_hex(&b, from->pc);
    fmt_str(&b, " sp ");
    fmt_hex(&b, from->sp);
    fmt_str(&b, "; its stack [");
    fmt_hex(&b, m->stack_lo);
    fmt_str(&b, ", ");
    fmt_hex(&b, m->stack_hi);
    fmt_str(&b, "), signal stack [");
    fmt_hex(&b, m->alt_lo);
    fmt_str(&b, ", ");
    fmt_hex(&b, m->alt_hi);
    fmt_str(&b, ")");
    findings_add(check, msg, detail);
}

/* One sample of m, interrupted at `at` (its registers when the signal came,
 * uc the signal's context). */
/* Where a sample's walk starts; false if the sample is skipped (counted so).
 * A parked thread is walked from the context it saved, under its barrier
 * lock unless the variant is the unlocked one (*locked: taken); a running
 * one from the interrupted context. */
static bool walk_start(mutator *m, const saved_ctx *at, saved_ctx *from, bool *foreign,
                       bool *locked)
{
    stress_counts *c = &m->counts;
    *locked = false;
    if (m->transition) {
        count(&c->skipped, 1); /* a longjmp in flight: the shadow has cut what the stack holds */
        return false;
    }
    unsigned state = atomic_load_explicit(&m->state, memory_order_acquire);
    *foreign = state & MUT_FOREIGN;
    *from = *at;
    if (*foreign) {
        count(&c->foreign, 1);
        if (!cfg->unlocked) {
            if (!barrier_trylock(&m->barriers)) {
                count(&c->lock_busy, 1);
                count(&c->skipped, 1);
                return false;
            }
            *locked = true;
        }
        *from = m->saved;
        return true;
    }
    count(&c->running, 1);
#ifdef ENGINE_TSAN
    /* ThreadSanitizer runs an asynchronous signal's handler late, at the
     * thread's next interceptor, with the context of the moment the signal
     * came: a running thread has moved on since. Parked threads are walked
     * from the context they saved, which is still theirs. */
    count(&c->skipped, 1);
    return false;
#endif
    if (from->pc >= barrier_text_lo() && from->pc < barrier_text_hi()) {
        count(&c->skipped, 1); /* between a return and its original return address */
        return false;
    }
    return true;
}

/* The walker's walk under the thread's guard: its frames, or 0 with
 * *caught the signal that stopped it (a fault, the watchdog's). */
static int guarded_walk(const sr_stack_walk *w, uintptr_t *pcs, walk_guard *g, bool remote,
                        int *caught)
{
    *caught = 0;
    if (!g)
        return cfg->walker->walk(w, pcs, WALK_MAX);
    int n = 0;
    g->walker = cfg->walker->name;
    g->in_handler = !remote;
    if (sigsetjmp(g->jb, 0) == 0) {
        guard_arm(g);
        n = cfg->walker->walk(w, pcs, WALK_MAX);
        guard_disarm(g);
    } else {
        guard_disarm(g);
        *caught = g->sig;
    }
    return n;
}

static void sample(mutator *m, const saved_ctx *at, const void *uc, bool remote)
{
    stress_counts *c = &m->counts;
    count(&c->samples, 1);
    saved_ctx from;
    bool foreign, locked;
    if (!walk_start(m, at, &from, &foreign, &locked))
        return;
    sr_stack_walk w;
    stack_view v;
    view_init(&w, &v, m, &from, uc);
    uintptr_t pcs[WALK_MAX];
    walk_guard *g = guard_self();
    int caught, n = guarded_walk(&w, pcs, g, remote, &caught);
    walk_record rec = {pcs, caught ? 0 : n, caught ? 0 : n, caught, cfg->walker->flags,
                       foreign ? at->pc : 0};
    if (rec.n > 0 && (cfg->walker->flags & (SR_WALKER_LIVE | SR_WALKER_UCONTEXT)))
        rec.n = view_adapt(&v, pcs, n, &from, cfg->walker->flags);
    oracle_sample o = {&m->shadow, from.pc,        from.sp, w.signal_return,
                       &m->barriers, view_readable, &v};
    walk_truth judged;
    verdict_result r = oracle_check(&o, &rec, &judged);
    if (locked)
        barrier_unlock(&m->barriers);
    switch (r.v) {
    case VERDICT_EXACT:
        count(&c->exact, 1);
        count(&c->frames, (unsigned long)rec.n);
        break;
    case VERDICT_DECLINED:
        count(&c->declined, 1);
        break;
    case VERDICT_STOPPED:
        count(&c->stopped, 1);
        break;
    case VERDICT_LOST:
        count(&c->lost, 1);
        report_wrong(m, foreign, remote, r, &rec, &judged, &v);
        break;
    case VERDICT_WRONG:
        count(&c->wrong, 1);
        report_wrong(m, foreign, remote, r, &rec, &judged, &v);
        break;
    case VERDICT_FAULT:
    case VERDICT_COUNT:
        count(&c->faults, 1);
        report_caught(m, g, &from, foreign, remote);
        break;
    }
}


/* A same-thread sample where the signal stopped the thread; at most half
 * the thread's time in samples: a slow walker at a high rate would
 * otherwise leave the program no time to run (and park). */
static void sample_here(mutator *m, const void *uc)
{
    long long start = clk_ns();
    if (start - m->last_sample_end < m->last_sample_cost) {
        count(&m->counts.throttled, 1);
        return;
    }
    saved_ctx at = view_context_of(uc);
    sample(m, &at, uc, false);
    m->last_sample_end = clk_ns();
    m->last_sample_cost = m->last_sample_end - start;
}

static void on_sigprof(int sig, siginfo_t *info, void *uc)
{
    (void)sig;
    (void)info;
    int saved_errno = errno;
    mutator *m = mutator_self;
    if (m) {
        sample_here(m, uc);
        aim_next(m); /* one aimed sample per tick at most (aim.h) */
    }
    errno = saved_errno;
}

/* The thread's breakpoint fired: the PC is on its point. */
static void on_aimed(int sig, siginfo_t *info, void *uc)
{
    (void)sig;
    int saved_errno = errno;
    mutator *m = mutator_self;
    if (m && aim_hit(m, info->si_code)) {
        count(&m->counts.aimed, 1);
        sample_here(m, uc);
    }
    errno = saved_errno;
}

static long futex(atomic_int *word, int op, int val, const struct timespec *timeout)
{
    return syscall(SYS_futex, (int *)word, op, val, timeout, NULL, 0);
}

/* Bumped (and woken) by every thread that stops for the profiler. */
static atomic_int stop_events;

/* The handshake's victim side: save the context, say stopped, sleep until
 * resumed (a futex: a stopped thread must not take a CPU from the others). */
static void on_stop(int sig, siginfo_t *info, void *uc)
{
    (void)sig;
    (void)info;
    int saved_errno = errno;
    mutator *m = mutator_self;
    int expect = HS_ASKED;
    if (m) {
        m->stopped_at = view_context_of(uc);
        m->stopped_uc = uc;
        if (atomic_compare_exchange_strong_explicit(&m->hs, &expect, HS_STOPPED,
                                                    memory_order_acq_rel, memory_order_acquire)) {
            atomic_fetch_add_explicit(&stop_events, 1, memory_order_release);
            futex(&stop_events, FUTEX_WAKE_PRIVATE, 1, NULL);
            while (atomic_load_explicit(&m->hs, memory_order_acquire) != HS_RESUME)
                futex(&m->hs, FUTEX_WAIT_PRIVATE, HS_STOPPED, NULL);
            atomic_store_explicit(&m->hs, HS_IDLE, memory_order_release);
        }
    }
    errno = saved_errno;
}

int sampler_install(const stress_config *c, mutator *ms, unsigned n)
{
    cfg = c;
    muts = ms;
    nmuts = n;
    stop_signal = SIGRTMIN + 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sa.sa_sigaction = on_sigprof;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, stop_signal);
    if (sigaction(SIGPROF, &sa, NULL))
        return errno;
    sa.sa_sigaction = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGPROF);
    if (sigaction(stop_signal, &sa, NULL))
        return errno;
    if (!c->aim)
        aim_off("--no-aim");
    else if (c->remote)
        aim_off("--remote: the samples are the profiler thread's");
    if (c->aim && !c->remote && aim_init(c->shapes)) {
        sa.sa_sigaction = on_aimed; /* as on_sigprof: no sample nests in it */
        sigaddset(&sa.sa_mask, stop_signal);
        if (sigaction(SIGTRAP, &sa, NULL))
            return errno;
    }
    /* nodefer: a trap in a trap handler's program nests (shape_body.h),
     * and a trap handler must not block the samples that walk through its
     * frame */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sa.sa_sigaction = shape_trap_handler;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGILL, &sa, NULL))
        return errno;
    struct sigaction now; /* glibc fills in its signal return trampoline */
    if (sigaction(SIGILL, NULL, &now) == 0 && now.sa_restorer)
        shapes_learn_signal_return((uintptr_t)now.sa_restorer);
    return 0;
}

int sampler_start_timers(void)
{
    long long interval = 1000000000LL / cfg->hz;
    for (unsigned i = 0; i < nmuts; i++) {
        mutator *m = &muts[i];
        struct sigevent ev;
        memset(&ev, 0, sizeof ev);
        ev.sigev_notify = SIGEV_THREAD_ID;
        ev.sigev_signo = SIGPROF;
        ev._sigev_un._tid = __atomic_load_n(&m->tid, __ATOMIC_ACQUIRE);
        if (timer_create(CLOCK_MONOTONIC, &ev, &m->timer))
            return errno;
        m->has_timer = true;
        /* threads' timers start out of phase */
        long long first = interval / 2 + (long long)i * interval / nmuts + 1;
        struct itimerspec its = {{(time_t)(interval / 1000000000LL), (long)(interval % 1000000000LL)},
                                 {(time_t)(first / 1000000000LL), (long)(first % 1000000000LL)}};
        if (timer_settime(m->timer, 0, &its, NULL))
            return errno;
    }
    return 0;
}

void sampler_stop_timers(void)
{
    for (unsigned i = 0; muts && i < nmuts; i++)
        if (muts[i].has_timer) {
            timer_delete(muts[i].timer);
            muts[i].has_timer = false;
        }
    muts = NULL; /* the run's mutators are about to go */
    nmuts = 0;
}

static void tick(struct timespec *t, long ns)
{
    t->tv_nsec += ns;
    while (t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec++;
    }
}

static int send(const mutator *m, int sig)
{
    return (int)syscall(SYS_tgkill, getpid(), __atomic_load_n(&m->tid, __ATOMIC_ACQUIRE), sig);
}

/* Random tgkill: samples at moments no timer would choose. */
static void *chaos_main(void *arg)
{
    (void)arg;
    uint64_t rng = cfg->seed ^ 0xc4a05;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    long mean = 1000000000L / (long)cfg->hz;
    while (!atomic_load(&threads_stop)) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        tick(&next, (long)((rng >> 33) % (uint64_t)(2 * mean)) + 1);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        send(&muts[(rng >> 20) % nmuts], SIGPROF);
    }
    return NULL;
}

/* The profiler: when a thread's turn comes (hz times a second each), holds
 * it parked and walks it if it is parked, else asks it to stop; walks
 * whichever have stopped and resumes them. Several threads may be stopped
 * at once: a thread waiting for a CPU answers late, and asking the others
 * meanwhile keeps the rate. */
static void *profiler_main(void *arg)
{
    (void)arg;
    guard_register();
    double period = 1.0 / cfg->hz, due[STRESS_MAX_THREADS], asked[STRESS_MAX_THREADS];
    double start = clk_seconds();
    for (unsigned i = 0; i < nmuts; i++)
        due[i] = start + period * i / nmuts;
    while (!atomic_load(&threads_stop)) {
        int events = atomic_load_explicit(&stop_events, memory_order_acquire);
        double now = clk_seconds(), next = now + period;
        bool worked = false;
        for (unsigned i = 0; i < nmuts; i++) {
            mutator *m = &muts[i];
            int hs = atomic_load_explicit(&m->hs, memory_order_acquire);
            if (hs == HS_IDLE && now >= due[i] && !(cfg->walker->flags & SR_WALKER_UCONTEXT) &&
                mutator_hold(m, MUT_PROF)) {
                /* parked: held where it is, walked from its saved context (a
                 * context walker needs a signal's context: it gets the handshake) */
                sample(m, &m->saved, NULL, true);
                mutator_release(m, MUT_PROF);
                due[i] = due[i] + period < now ? now + period : due[i] + period;
                worked = true;
            } else if (hs == HS_STOPPED) {
                sample(m, &m->stopped_at, m->stopped_uc, true);
                atomic_store_explicit(&m->hs, HS_RESUME, memory_order_release);
                futex(&m->hs, FUTEX_WAKE_PRIVATE, 1, NULL);
                worked = true;
            } else if (hs == HS_IDLE && now >= due[i]) {
                atomic_store_explicit(&m->hs, HS_ASKED, memory_order_release);
                asked[i] = now;
                if (send(m, stop_signal) != 0)
                    atomic_store(&m->hs, HS_IDLE);
                due[i] = due[i] + period < now ? now + period : due[i] + period;
                worked = true;
            } else if (hs == HS_ASKED && now - asked[i] > 2.0) {
                int expect = HS_ASKED; /* no answer: give up, unless it answers now */
                atomic_compare_exchange_strong(&m->hs, &expect, HS_IDLE);
            }
            if (hs == HS_IDLE && due[i] < next)
                next = due[i];
        }
        if (worked)
            continue;
        double wait = next - now;
        if (wait > 0) {
            long long ns = (long long)(wait * 1e9);
            struct timespec timeout = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
            futex(&stop_events, FUTEX_WAIT_PRIVATE, events, &timeout);
        }
    }
    /* leave nobody stopped */
    for (unsigned i = 0; i < nmuts; i++) {
        mutator *m = &muts[i];
        for (;;) {
            int hs = atomic_load(&m->hs);
            if (hs == HS_STOPPED) {
                atomic_store(&m->hs, HS_RESUME);
                futex(&m->hs, FUTEX_WAKE_PRIVATE, 1, NULL);
            }
            int expect = HS_ASKED;
            if (hs == HS_IDLE || (hs == HS_ASKED && atomic_compare_exchange_strong(&m->hs, &expect, HS_IDLE)))
                break;
            sched_yield();
        }
    }
    return NULL;
}

int sampler_start_threads(void)
{
    atomic_store(&threads_stop, 0);
    int rc = 0;
    if (cfg->remote) {
        rc = pthread_create(&profiler_thread, NULL, profiler_main, NULL);
        profiler_started = rc == 0;
    } else if (cfg->chaos) {
        rc = pthread_create(&chaos_thread, NULL, chaos_main, NULL);
        chaos_started = rc == 0;
    }
    return rc;
}

void sampler_stop_threads(void)
{
    atomic_store(&threads_stop, 1);
    if (profiler_started)
        pthread_join(profiler_thread, NULL);
    if (chaos_started)
        pthread_join(chaos_thread, NULL);
    profiler_started = chaos_started = false;
}
