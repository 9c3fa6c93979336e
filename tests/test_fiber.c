/*
 * test_fiber.c - standalone test of src/fiber.c.
 *
 * Exits 0 when every check passes; otherwise prints the failed check and
 * exits 1.  Also prints the cost of one switch (informational only).
 * Build: cc -std=c11 -O2 src/fiber.c src/fiber_<arch>.S tests/test_fiber.c
 *        -Isrc (add -DFIBER_UCONTEXT=1, -fsanitize=... to test variants).
 *
 * Under ThreadSanitizer the fiber switch deliberately creates no
 * happens-before edge, exactly as the engine wants.  These tests pass data
 * between fibers through plain memory, so, like the engine, they create the
 * edges themselves: handoff() releases a token before switching and acquires
 * it after.  test_tsan_no_sync() checks that without those edges TSan does
 * report the handoff as a race.
 */
#define _POSIX_C_SOURCE 200809L

#include "fiber.h"

#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif

#define NOINLINE __attribute__((noinline))
#define STACK_SIZE (64 * 1024)

static void fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    exit(1);
}

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond))                                                       \
            fail(__FILE__, __LINE__, #cond);                               \
    } while (0)

/* ---- model-style happens-before edges (TSan only) -------------------- */

#ifdef TEST_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static _Thread_local char hb_token;
static void model_acquire(void) { __tsan_acquire(&hb_token); }
static void model_release(void) { __tsan_release(&hb_token); }
#else
static void model_acquire(void) {}
static void model_release(void) {}
#endif

/* A switch as the engine performs it: with an explicit edge. */
static void handoff(fiber *from, fiber *to)
{
    model_release();
    fiber_switch(from, to);
    model_acquire();
}

static void alloc_or_die(fiber *f)
{
    CHECK(fiber_stack_alloc(f, STACK_SIZE) == 0);
}

/* ---- 1. ping-pong main -> f0 -> f1 -> f2 -> main --------------------- */

#define RING_ROUNDS 50

struct ring {
    fiber main, f[3];
    int log[RING_ROUNDS * 4];
    int n;
    unsigned value;
};

struct ring_arg {
    struct ring *r;
    int id;
};

static void ring_fiber(void *p)
{
    struct ring_arg *a = p;
    struct ring *r = a->r;
    int id = a->id;
    model_acquire();
    for (int round = 0;; round++) {
        r->log[r->n++] = 100 * (id + 1) + round;
        r->value = r->value * 3u + (unsigned)id + 1u;
        handoff(&r->f[id], id == 2 ? &r->main : &r->f[id + 1]);
    }
}

static void test_ring(void)
{
    struct ring r;
    struct ring_arg args[3];
    memset(&r, 0, sizeof r);
    fiber_init_main(&r.main);
    for (int i = 0; i < 3; i++) {
        args[i] = (struct ring_arg){&r, i};
        alloc_or_die(&r.f[i]);
        fiber_start(&r.f[i], ring_fiber, &args[i]);
    }
    for (int round = 0; round < RING_ROUNDS; round++) {
        r.log[r.n++] = -round;
        handoff(&r.main, &r.f[0]);
    }
    unsigned value = 0;
    CHECK(r.n == RING_ROUNDS * 4);
    for (int round = 0; round < RING_ROUNDS; round++) {
        CHECK(r.log[4 * round] == -round);
        for (int id = 0; id < 3; id++) {
            CHECK(r.log[4 * round + 1 + id] == 100 * (id + 1) + round);
            value = value * 3u + (unsigned)id + 1u;
        }
    }
    CHECK(r.value == value);
    for (int i = 0; i < 3; i++)
        fiber_stack_free(&r.f[i]);
}

/* ---- 2. callee-saved registers and floating point survive ------------ */

/* Overwrites every callee-saved register the compiler lets us name, so a
 * switch that failed to restore them would hand back garbage. */
static void clobber_callee_saved(void)
{
#if defined(__x86_64__)
    __asm__ volatile("movq $-1, %%rbx\n\tmovq $-1, %%r12\n\tmovq $-1, %%r13\n\t"
                     "movq $-1, %%r14\n\tmovq $-1, %%r15"
                     ::: "rbx", "r12", "r13", "r14", "r15");
#elif defined(__aarch64__)
    __asm__ volatile("mov x19, #-1\n\tmov x20, #-1\n\tmov x21, #-1\n\t"
                     "mov x22, #-1\n\tmov x23, #-1\n\tmov x24, #-1\n\t"
                     "mov x25, #-1\n\tmov x26, #-1\n\tmov x27, #-1\n\t"
                     "mov x28, #-1\n\tfmov d8, #-1.0\n\tfmov d9, #-1.0\n\t"
                     "fmov d10, #-1.0\n\tfmov d11, #-1.0\n\tfmov d12, #-1.0\n\t"
                     "fmov d13, #-1.0\n\tfmov d14, #-1.0\n\tfmov d15, #-1.0"
                     ::: "x19", "x20", "x21", "x22", "x23", "x24", "x25",
                         "x26", "x27", "x28", "d8", "d9", "d10", "d11",
                         "d12", "d13", "d14", "d15");
#endif
}

struct regs {
    fiber main, worker, clobber;
    fiber *back; /* whom the clobber fiber returns to */
    unsigned long result;
    double fresult;
};

static void clobber_fiber(void *p)
{
    struct regs *g = p;
    model_acquire();
    for (volatile double junk = 3.25;; junk = junk * 1.5 + 1.0) {
        clobber_callee_saved();
        handoff(&g->clobber, g->back);
    }
}

static NOINLINE void maybe_switch(struct regs *g, fiber *self)
{
    if (!g)
        return;
    g->back = self;
    handoff(self, &g->clobber);
}

/* Keeps many integers and doubles live across each switch; with g == NULL
 * it computes the reference result without switching. */
static NOINLINE unsigned long mix(struct regs *g, fiber *self, double *fout)
{
    volatile unsigned long seed = 12345;
    volatile double fseed = 0.75;
    unsigned long a = seed, b = a * 3, c = a ^ 0x5555, d = a + 17, e = a * a;
    unsigned long h = ~a, i = a - 99, j = a << 3;
    double x = fseed, y = x * 2.5, z = x - 9.0, w = x * x, u = 1.0 / x;
    double v = x + 0.125, s = x * 3.0, t = -x;
    for (int k = 0; k < 100; k++) {
        maybe_switch(g, self);
        a = a * 31 + (unsigned long)k;
        b ^= a + c;
        c += b >> 3;
        d = d * 7 + (c & 255);
        e ^= d + h;
        h += e >> 5;
        i = i * 5 + (h & 15);
        j ^= i + a;
        x = x * 1.0001 + (double)(a & 7);
        y = y * 0.999 + x;
        z = z + y * 0.5;
        w = w * 0.5 + z;
        u = u + w * 0.001;
        v = v * 1.01 - u * 0.01;
        s = s + v;
        t = t * 0.9 + s * 0.001;
    }
    *fout = x + y + z + w + u + v + s + t;
    return a ^ b ^ c ^ d ^ e ^ h ^ i ^ j;
}

static void worker_fiber(void *p)
{
    struct regs *g = p;
    model_acquire();
    g->result = mix(g, &g->worker, &g->fresult);
    handoff(&g->worker, &g->main);
    fail(__FILE__, __LINE__, "worker resumed after finishing");
}

static void test_registers(void)
{
    struct regs g;
    double fref, fgot;
    memset(&g, 0, sizeof g);
    unsigned long ref = mix(NULL, NULL, &fref);
    fiber_init_main(&g.main);
    alloc_or_die(&g.worker);
    alloc_or_die(&g.clobber);
    fiber_start(&g.clobber, clobber_fiber, &g);

    unsigned long got = mix(&g, &g.main, &fgot); /* main's registers */
    CHECK(got == ref);
    CHECK(fgot == fref);

    fiber_start(&g.worker, worker_fiber, &g); /* a fiber's registers */
    handoff(&g.main, &g.worker);
    CHECK(g.result == ref);
    CHECK(g.fresult == fref);
    fiber_stack_free(&g.worker);
    fiber_stack_free(&g.clobber);
}

/* ---- 3. restart after abandoning mid-run ----------------------------- */

struct restart {
    fiber main, f;
    int starts;
    int step;
};

static NOINLINE void scribble(volatile char *buf, size_t n, int v)
{
    for (size_t k = 0; k < n; k++)
        buf[k] = (char)(v + (int)k);
}

static void restart_fiber(void *p)
{
    struct restart *r = p;
    volatile char buf[512]; /* escapes: ASan fake stack, TSan checks it */
    model_acquire();
    r->starts++;
    for (int step = 0;; step++) {
        scribble(buf, sizeof buf, step);
        r->step = step;
        handoff(&r->f, &r->main);
    }
}

/* Virtual size in KiB: leaked stacks, fake stacks or TSan fibers grow it. */
static long vm_size_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *fp = fopen("/proc/self/status", "r");
    if (!fp)
        return -1;
    while (fgets(line, sizeof line, fp))
        if (sscanf(line, "VmSize: %ld kB", &kib) == 1)
            break;
    fclose(fp);
    return kib;
}

static void restart_rounds(struct restart *r, int from, int to)
{
    for (int iter = from; iter < to; iter++) {
        int steps = 1 + iter % 4;
        if (iter % 3 == 0)
            fiber_abandon(&r->f); /* optional early release */
        fiber_start(&r->f, restart_fiber, r);
        for (int s = 0; s < steps; s++) {
            handoff(&r->main, &r->f);
            CHECK(r->starts == iter + 1); /* ran from the top again */
            CHECK(r->step == s);
        }
    }
}

static void test_restart(int iterations, int check_memory)
{
    struct restart r;
    memset(&r, 0, sizeof r);
    fiber_init_main(&r.main);
    alloc_or_die(&r.f);
    restart_rounds(&r, 0, 20); /* warm up the allocators */
    long before = vm_size_kib();
    restart_rounds(&r, 20, iterations);
    long after = vm_size_kib();
    fiber_stack_free(&r.f);
    if (check_memory && before > 0 && after > 0) {
        printf("restart: %d restarts, VmSize grew by %ld KiB\n",
               iterations, after - before);
        CHECK(after - before < 64 * 1024);
    }
}

/* Many fibers restarted round robin, so a stack's next run gets a different
 * TSan identity than its previous one: the stack's old shadow must not be
 * reported as racing with the new run.  No model edges here (they would order
 * the runs and hide the problem); the counters are relaxed atomics, which
 * TSan never reports and which create no edge. */
#define CHURN_FIBERS 24

struct churn {
    fiber main, f[CHURN_FIBERS];
    int runs[CHURN_FIBERS];
};

struct churn_arg {
    struct churn *c;
    int id;
};

static void churn_fiber(void *p)
{
    struct churn_arg *a = p;
    volatile char buf[512];
    __atomic_fetch_add(&a->c->runs[a->id], 1, __ATOMIC_RELAXED);
    for (int step = 0;; step++) {
        scribble(buf, sizeof buf, step);
        fiber_switch(&a->c->f[a->id], &a->c->main);
    }
}

static void test_churn(void)
{
    static struct churn c;
    struct churn_arg args[CHURN_FIBERS];
    fiber_init_main(&c.main);
    for (int i = 0; i < CHURN_FIBERS; i++) {
        args[i] = (struct churn_arg){&c, i};
        alloc_or_die(&c.f[i]);
    }
    for (int round = 0; round < 20; round++)
        for (int i = 0; i < CHURN_FIBERS; i++) {
            fiber_start(&c.f[i], churn_fiber, &args[i]);
            fiber_switch(&c.main, &c.f[i]); /* one step, then abandoned */
            CHECK(__atomic_load_n(&c.runs[i], __ATOMIC_RELAXED) == round + 1);
        }
    for (int i = 0; i < CHURN_FIBERS; i++)
        fiber_stack_free(&c.f[i]);
}

/* ---- 4. stack alignment at fiber entry ------------------------------- */

struct align {
    fiber main, f;
    int ok;
};

static NOINLINE int frame_is_aligned(void)
{
    _Alignas(16) char local[16];
    /* volatile: the compiler must not assume the alignment it relies on */
    volatile uintptr_t fa = (uintptr_t)__builtin_frame_address(0);
    volatile uintptr_t la = (uintptr_t)local;
    local[0] = 1;
    /* x86-64: the frame address is rsp at entry minus 8, so it is 16-aligned
     * iff the ABI's entry condition rsp % 16 == 8 holds. */
    return fa % 16 == 0 && la % 16 == 0 && local[0] == 1;
}

static void align_fiber(void *p)
{
    struct align *a = p;
    volatile uintptr_t fa = (uintptr_t)__builtin_frame_address(0);
    model_acquire();
    a->ok = (fa % 16 == 0) && frame_is_aligned();
    handoff(&a->f, &a->main);
    fail(__FILE__, __LINE__, "align fiber resumed");
}

static void test_alignment(void)
{
    struct align a;
    memset(&a, 0, sizeof a);
    fiber_init_main(&a.main);
    alloc_or_die(&a.f);
    for (int i = 0; i < 3; i++) { /* also after restarts */
        a.ok = 0;
        fiber_start(&a.f, align_fiber, &a);
        handoff(&a.main, &a.f);
        CHECK(a.ok);
    }
    fiber_stack_free(&a.f);
}

/* ---- 5. deep recursion: ~32 KiB of a 64 KiB stack -------------------- */

#define DEPTH 60
#define FRAME_BYTES 480

static NOINLINE unsigned long recurse(int depth, uintptr_t *lowest)
{
    volatile unsigned char buf[FRAME_BYTES];
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    if (here < *lowest)
        *lowest = here;
    for (int k = 0; k < FRAME_BYTES; k++)
        buf[k] = (unsigned char)(depth * 7 + k);
    unsigned long below = depth ? recurse(depth - 1, lowest) : 0;
    return below * 3 + buf[depth % FRAME_BYTES] + buf[FRAME_BYTES - 1];
}

struct deep {
    fiber main, f;
    unsigned long result;
    uintptr_t lowest;
};

static void deep_fiber(void *p)
{
    struct deep *d = p;
    model_acquire();
    d->lowest = UINTPTR_MAX;
    d->result = recurse(DEPTH, &d->lowest);
    handoff(&d->f, &d->main);
    fail(__FILE__, __LINE__, "deep fiber resumed");
}

static void test_deep_recursion(void)
{
    struct deep d;
    uintptr_t dummy = UINTPTR_MAX;
    memset(&d, 0, sizeof d);
    unsigned long expect = recurse(DEPTH, &dummy);
    fiber_init_main(&d.main);
    alloc_or_die(&d.f);
    fiber_start(&d.f, deep_fiber, &d);
    handoff(&d.main, &d.f);
    CHECK(d.result == expect);
    uintptr_t top = (uintptr_t)d.f.stack_lo + d.f.stack_size;
    size_t used = (size_t)(top - d.lowest);
    printf("deep recursion: %zu of %zu stack bytes used\n", used,
           d.f.stack_size);
    CHECK(used < d.f.stack_size);
#ifndef TEST_ASAN /* with ASan the buffers may live on its fake stack */
    CHECK(used >= 28 * 1024);
#endif
    fiber_stack_free(&d.f);
}

/* ---- 5b. the unwinder stops at the bottom of a fiber ----------------- */

struct unwind {
    fiber main, f;
    int frames;
};

static NOINLINE int count_frames(void)
{
    void *pcs[64];
    return backtrace(pcs, 64);
}

static void unwind_fiber(void *p)
{
    struct unwind *u = p;
    model_acquire();
    u->frames = count_frames();
    handoff(&u->f, &u->main);
    fail(__FILE__, __LINE__, "unwind fiber resumed");
}

static void test_unwind(void)
{
    struct unwind u;
    memset(&u, 0, sizeof u);
    fiber_init_main(&u.main);
    alloc_or_die(&u.f);
    fiber_start(&u.f, unwind_fiber, &u);
    handoff(&u.main, &u.f);
    /* count_frames, unwind_fiber, fiber_entry, the trampoline (or glibc's
     * context start), maybe a few more; never the 64 of a runaway walk. */
    printf("unwind: %d frames from inside a fiber\n", u.frames);
    CHECK(u.frames >= 2 && u.frames <= 8);
    fiber_stack_free(&u.f);
}

/* ---- 6. misuse dies loudly (child processes) ------------------------- */

static void returning_fiber(void *p) { (void)p; }

static void overflow_fiber(void *p)
{
    uintptr_t lowest = UINTPTR_MAX;
    (void)p;
    recurse(1 << 20, &lowest);
}

/* Runs body(fn) in a child whose stderr goes to a pipe; returns the wait
 * status and copies what the child printed into out. */
static int run_child(fiber_fn fn, char *out, size_t out_size)
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        fiber main_f, f;
        dup2(fds[1], 2);
        close(fds[0]);
        /* Die by the signal itself, not by a sanitizer's handler for it. */
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        fiber_init_main(&main_f);
        if (fiber_stack_alloc(&f, STACK_SIZE) != 0)
            _exit(3);
        fiber_start(&f, fn, NULL);
        fiber_switch(&main_f, &f);
        _exit(4);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < out_size && (got = read(fds[0], out + n, out_size - 1 - n)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    return status;
}

static void test_misuse(void)
{
    char out[4096];
    int st = run_child(returning_fiber, out, sizeof out);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    CHECK(strstr(out, "must never return") != NULL);
    st = run_child(overflow_fiber, out, sizeof out); /* the guard page */
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
}

/* ---- 7. TSan: the switch itself creates no happens-before ------------ */

#ifdef TEST_TSAN
struct nosync {
    fiber main, f;
    int shared;
};

static void nosync_fiber(void *p)
{
    struct nosync *s = p;
    s->shared++; /* races with main's write: no edge in between */
    fiber_switch(&s->f, &s->main);
}

static void test_tsan_no_sync(void)
{
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        static struct nosync s;
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        fiber_init_main(&s.main);
        if (fiber_stack_alloc(&s.f, STACK_SIZE) != 0)
            _exit(3);
        fiber_start(&s.f, nosync_fiber, &s);
        s.shared = 1;
        fiber_switch(&s.main, &s.f);
        exit(0); /* TSan turns this into exit code 66 if it saw the race */
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 66);
}
#endif

/* ---- 8. independent fibers on several OS threads --------------------- */

static void *thread_body(void *p)
{
    (void)p;
    test_ring();
    test_registers();
    test_restart(200, 0);
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, thread_body, NULL) == 0);
    for (int i = 0; i < 2; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
}

/* ---- 9. benchmark ---------------------------------------------------- */

#define BENCH_SWITCHES 1000000L

struct bench {
    fiber main, f;
};

static void bench_fiber(void *p)
{
    struct bench *b = p;
    for (;;)
        fiber_switch(&b->f, &b->main);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void bench(void)
{
    struct bench b;
    memset(&b, 0, sizeof b);
    fiber_init_main(&b.main);
    alloc_or_die(&b.f);
    fiber_start(&b.f, bench_fiber, &b);
    fiber_switch(&b.main, &b.f); /* warm up */
    double t0 = now_ns();
    for (long k = 0; k < BENCH_SWITCHES / 2; k++)
        fiber_switch(&b.main, &b.f); /* two switches per round trip */
    double t1 = now_ns();
    printf("ns per switch: %.2f (%ld switches)\n",
           (t1 - t0) / (double)BENCH_SWITCHES, BENCH_SWITCHES);
    fiber_stack_free(&b.f);
}

static int passed;

#define RUN(test_call)                                                      \
    do {                                                                    \
        test_call;                                                          \
        passed++;                                                           \
    } while (0)

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    RUN(test_ring());
    RUN(test_registers());
    RUN(test_restart(2000, 1));
    RUN(test_churn());
    RUN(test_alignment());
    RUN(test_deep_recursion());
    RUN(test_unwind());
    RUN(test_misuse());
#ifdef TEST_TSAN
    RUN(test_tsan_no_sync());
#endif
    RUN(test_threads());
    bench();
    /* A failed check exits at once, so reaching here means none failed. */
    printf("test_fiber: %d passed, 0 failed\n", passed);
    return 0;
}
