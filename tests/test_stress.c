/*
 * test_stress.c — the native engine's checks, each shown firing on a
 * known-bad case and quiet on a good one: the walk oracle and its one
 * tolerance, the barrier table's bookkeeping, and short real runs (a
 * correct walker clean under barriers in both delivery modes; the seed's
 * unlocked sampler caught; a walker that drops a frame caught; one that
 * always declines counted as such, never as validated).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "barrier.h"
#include "check.h"
#include "findings.h"
#include "oracle.h"
#include "sanitizer.h"
#include "signal_safety.h"
#include "shapes.h"
#include "stress.h"
#include "walkers.h"

/* A return site (just after a call) in shape id's code, and one that is not. */
static uintptr_t return_site(unsigned id)
{
    for (uintptr_t p = shape_start(id) + 1; p < shape_start(id) + 4096; p++)
        if (shape_is_return_site(id, p))
            return p;
    return 0;
}

static void push(shadow *s, uintptr_t ra, unsigned shape, unsigned kind)
{
    s->f[s->depth] = (shadow_frame){ra, 0, (uint8_t)shape, (uint8_t)kind};
    s->depth++;
}

static void test_oracle(void)
{
    /* a stack root -> call -> saved -> (top) call; RAs are return sites */
    uintptr_t in_root = return_site(SHAPE_ROOT), in_call = return_site(SHAPE_CALL),
              in_saved = return_site(SHAPE_SAVED);
    CHECK(in_root && in_call && in_saved, "return sites %lx %lx %lx", (unsigned long)in_root,
          (unsigned long)in_call, (unsigned long)in_saved);
    static shadow s;
    s.depth = 0;
    push(&s, in_root, SHAPE_CALL, FRAME_CALL);  /* a call frame, called from root */
    push(&s, in_call, SHAPE_SAVED, FRAME_CALL); /* a saved frame, called from call */
    push(&s, in_saved, SHAPE_CALL, FRAME_CALL); /* top: a call frame, called from saved */
    uintptr_t pc = shape_start(SHAPE_CALL) + 7;
    uintptr_t good[] = {pc, in_saved, in_call, in_root, 0x1234};
    oracle_result r = oracle_check(&s, pc, good, 5, 0);
    CHECK(r.v == VERDICT_EXACT, "truth plus frames beyond the root: %s", verdict_name(r.v));
    CHECK(oracle_check(&s, pc, good, 0, 0).v == VERDICT_DECLINED, "no frames is a decline");
    CHECK(oracle_check(&s, pc, good, 3, 0).v == VERDICT_TRUNCATED, "a true prefix");
    uintptr_t skipped[] = {pc, in_call, in_root};
    r = oracle_check(&s, pc, skipped, 3, 0);
    CHECK(r.v == VERDICT_WRONG && r.at == 1, "a skipped frame: %s at %d", verdict_name(r.v), r.at);
    uintptr_t other_pc[] = {pc + 1, in_saved, in_call, in_root};
    CHECK(oracle_check(&s, pc, other_pc, 4, 0).v == VERDICT_WRONG, "another starting pc");

    /* the tolerance: one callee of the top frame (a call frame) not yet recorded */
    uintptr_t callee = return_site(SHAPE_CALL);
    uintptr_t entering[] = {pc, callee, in_saved, in_call, in_root};
    r = oracle_check(&s, pc, entering, 5, 0);
    CHECK(r.v == VERDICT_EXACT && r.extra == 1, "a return site in the top frame's function: %s",
          verdict_name(r.v));
    uintptr_t elsewhere[] = {pc, in_saved, in_saved, in_call, in_root};
    CHECK(oracle_check(&s, pc, elsewhere, 5, 0).v == VERDICT_WRONG,
          "a return site in another function is not the callee");
    uintptr_t entering_short[] = {pc, callee, in_saved};
    CHECK(oracle_check(&s, pc, entering_short, 3, 0).v == VERDICT_TRUNCATED,
          "the tolerated callee, then a true prefix: truncated, not wrong");
    uintptr_t two[] = {pc, callee, callee, in_saved, in_call, in_root};
    CHECK(oracle_check(&s, pc, two, 6, 0).v == VERDICT_WRONG, "two unrecorded frames");
    uintptr_t not_after_call[] = {pc, shape_start(SHAPE_CALL) + 1, in_saved, in_call, in_root};
    CHECK(oracle_check(&s, pc, not_after_call, 5, 0).v == VERDICT_WRONG,
          "an address in the function that follows no call");

    /* a signal frame on top: the handler's own frame may be missing */
    uintptr_t sigret = 0x7000;
    push(&s, shape_start(SHAPE_CALL) + 3, SHAPE_CALL, FRAME_SIGNAL);
    uintptr_t handler_pc = shape_start(SHAPE_HANDLER) + 5;
    uintptr_t with_handler[] = {handler_pc, sigret, s.f[3].ra, in_saved, in_call, in_root};
    CHECK(oracle_check(&s, handler_pc, with_handler, 6, sigret).v == VERDICT_EXACT,
          "the signal return above a recorded signal frame");
    CHECK(oracle_check(&s, handler_pc, with_handler, 6, 0x7008).v == VERDICT_WRONG,
          "anything else above it");
}

static void test_barrier_table(void)
{
    static barrier_table t;
    static shadow s;
    uintptr_t stack[8];
    memset(&t, 0, sizeof t);
    s.depth = 0;
    for (unsigned i = 0; i < 4; i++) {
        stack[7 - i] = 0x1000 + i; /* frame i's return address, outermost highest */
        s.f[i] = (shadow_frame){0x1000 + i, (uintptr_t)&stack[7 - i], SHAPE_CALL, FRAME_CALL};
    }
    s.f[2].kind = FRAME_SIGNAL; /* never patched */
    s.depth = 4;
    uintptr_t bad = 0;
    CHECK(barrier_install(&t, &s, &bad) == 3, "three call frames");
    CHECK(t.e[0].slot == (uintptr_t)&stack[4] && t.e[2].slot == (uintptr_t)&stack[7],
          "innermost first");
    CHECK(stack[4] == barrier_pc() && stack[5] == 0x1002 && stack[7] == barrier_pc(),
          "call slots patched, the signal frame's not");
    CHECK(barrier_lookup(&t, 0, t.n, (uintptr_t)&stack[6]) == 0x1001, "lookup");
    CHECK(barrier_lookup(&t, 1, t.n, (uintptr_t)&stack[4]) == 0, "a popped entry is gone");
    CHECK(barrier_logical_ra(&t, barrier_pc(), (uintptr_t)&stack[6]) == 0x1001,
          "a frame reading its patched slot gets the original");

    /* the innermost frame is abandoned (longjmp); the stack starts at &stack[0] */
    barrier_unwind(&t, (uintptr_t)&stack[0], (uintptr_t)&stack[5]);
    CHECK(t.pos == 1, "one entry dropped, pos %u", t.pos);
    barrier_unwind(&t, (uintptr_t)&stack[7] + 8, (uintptr_t)&stack[7] + 64);
    CHECK(t.pos == 1, "entries on another stack are not the longjmp's");
    stack[4] = 0x1003; /* reused by a new frame */
    CHECK(barrier_remove(&t, &bad) == 2 && t.n == 0, "two restored");
    CHECK(stack[6] == 0x1001 && stack[7] == 0x1000, "originals back");

    /* known-bad: a slot that does not hold its return address; a lost barrier */
    stack[6] = 0xdead;
    CHECK(barrier_install(&t, &s, &bad) == -1 && bad == (uintptr_t)&stack[6] && t.n == 0,
          "install refuses a slot that does not hold its frame's return address");
    stack[6] = 0x1001;
    CHECK(barrier_install(&t, &s, &bad) == 3, "reinstalled");
    stack[6] = 0x1001; /* someone restored it behind the table's back */
    CHECK(barrier_remove(&t, &bad) == -1 && bad == (uintptr_t)&stack[6], "a lost barrier");
}

/* A trampoline hit without its entry ends the run, and says so first. */
static void test_pop_without_entry(void)
{
    int pipefd[2];
    CHECK(pipe(pipefd) == 0, "pipe");
    fflush(NULL); /* the child must not repeat what is buffered */
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 2);
        static barrier_table t;
        barrier_self = &t;
        barrier_pop(0x1000);
        _exit(0);
    }
    close(pipefd[1]);
    char buf[512] = {0};
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf - 1 && (n = read(pipefd[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d", status);
    CHECK(strstr(buf, "rewriter: a return through the trampoline found no entry"), "said: %s",
          buf);
}

static stress_stats run(const sr_walker *w, bool barriers, bool remote, bool unlocked)
{
    stress_config c;
    stress_defaults(&c, w);
    c.threads = 3;
    c.seconds = 1.5;
    c.barriers = barriers;
    c.remote = remote;
    c.unlocked = unlocked;
    char why[128];
    shapes_init(why, sizeof why);
    c.shapes = shapes_with_fp();
    stress_stats st;
    memset(&st, 0, sizeof st);
    CHECK(stress_run(&c, &st) == 0, "the run");
    return st;
}

static bool has_finding(const char *check, const char *words)
{
    for (unsigned i = 0; i < findings_stored(); i++) {
        const nfinding *f = findings_at(i);
        if (f && !strcmp(f->check, check) && strstr(f->message, words))
            return true;
    }
    return false;
}

static void test_fp_clean_under_barriers(void)
{
    for (int remote = 0; remote <= 1; remote++) {
        stress_stats st = run(&walker_fp, true, remote, false);
        const nfinding *f = findings_at(0);
        CHECK(st.wrong == 0 && st.findings == 0, "%s: %llu wrong, %u findings; %s: %s; %s",
              remote ? "remote" : "same-thread", (unsigned long long)st.wrong, st.findings,
              f ? f->check : "", f ? f->message : "", f ? f->detail : "");
        CHECK(st.exact > 1000 && st.installed > 100, "%s: %llu validated, %llu barriers",
              remote ? "remote" : "same-thread", (unsigned long long)st.exact,
              (unsigned long long)st.installed);
    }
}

static void test_unlocked_caught(void)
{
    for (int remote = 0; remote <= 1; remote++) {
        stress_stats st = run(&walker_fp, true, remote, true);
        CHECK(st.wrong > 0 && has_finding("walk-oracle", "missed barrier"),
              "%s: %llu wrong", remote ? "remote" : "same-thread", (unsigned long long)st.wrong);
    }
}

static int skip_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    int n = walker_fp.walk(w, pcs, max);
    if (n > 3) { /* drop frame 2, as a walker that misreads one frame would */
        memmove(&pcs[2], &pcs[3], (size_t)(n - 3) * sizeof *pcs);
        n--;
    }
    return n;
}

static int decline_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    (void)w, (void)pcs, (void)max;
    return 0;
}

static void test_bad_walkers_caught(void)
{
    sr_walker skip = {"skip", "drops a frame", SR_WALKER_NEEDS_FP, NULL, skip_walk};
    stress_stats st = run(&skip, false, false, false);
    CHECK(st.wrong > 0 && has_finding("walk-oracle", "not the thread's"), "%llu wrong",
          (unsigned long long)st.wrong);
    sr_walker decline = {"decline", "never walks", SR_WALKER_NEEDS_FP, NULL, decline_walk};
    st = run(&decline, true, false, false);
    CHECK(st.samples > 1000 && st.declined == st.samples && st.exact == 0 && st.findings == 0,
          "%llu samples, %llu declined, %llu validated", (unsigned long long)st.samples,
          (unsigned long long)st.declined, (unsigned long long)st.exact);
}

static int fault_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    (void)w, (void)pcs, (void)max;
    return *(volatile int *)16; /* a wild pointer */
}

static int hang_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    (void)w, (void)pcs, (void)max;
    for (volatile int spin = 1; spin;)
        __asm__ volatile("" ::: "memory");
    return 0;
}

static int malloc_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    void *volatile buffer = malloc(32); /* what a naive walker does for a buffer */
    free(buffer);
    return walker_fp.walk(w, pcs, max);
}

static const nfinding *finding_of(const char *check)
{
    for (unsigned i = 0; i < findings_stored(); i++) {
        const nfinding *f = findings_at(i);
        if (f && !strcmp(f->check, check))
            return f;
    }
    return NULL;
}

/* A fault in a walker is caught, reported with walker, PC, fault address and
 * stack bounds, and the run goes on: later samples are taken and judged. */
static void test_walker_fault_reported(void)
{
#ifdef ENGINE_TSAN
    /* ThreadSanitizer's handler wrapper cannot be left by siglongjmp from a
     * fault inside a signal handler: the process dies (tried: clang 14) */
    printf("     (not under ThreadSanitizer: a fault in a handler cannot be caught there)\n");
    return;
#endif
    sr_walker crash = {"crash", "reads address 16", SR_WALKER_NEEDS_FP, NULL, fault_walk};
    stress_stats st = run(&crash, false, false, false);
    const nfinding *f = finding_of("walker-fault");
    CHECK(f && strstr(f->message, "walker crash faulted (SIGSEGV)"), "finding: %s",
          f ? f->message : "none");
    CHECK(f && strstr(f->detail, "fault address 0x10") && strstr(f->detail, "its stack [") &&
              strstr(f->detail, "from pc 0x"),
          "detail: %s", f ? f->detail : "none");
    CHECK(st.faults > 100 && st.faults == st.samples - st.declined, "%llu faults of %llu samples",
          (unsigned long long)st.faults, (unsigned long long)st.samples);
    CHECK(f && atomic_load(&f->count) == st.faults, "every fault counted on the finding");
}

static void test_watchdog(void)
{
#ifdef ENGINE_TSAN
    /* ThreadSanitizer holds an asynchronous signal until the thread reaches
     * an interceptor, which a walker spinning in its own code never does */
    printf("     (not under ThreadSanitizer: it defers the watchdog's signal)\n");
    return;
#endif
    sr_walker hang = {"hang", "never returns", SR_WALKER_NEEDS_FP, NULL, hang_walk};
    stress_config c;
    stress_defaults(&c, &hang);
    c.threads = 2;
    c.seconds = 1.5;
    c.watchdog_seconds = 0.2;
    c.shapes = shapes_with_fp();
    stress_stats st;
    memset(&st, 0, sizeof st);
    CHECK(stress_run(&c, &st) == 0, "the run ends");
    const nfinding *f = finding_of("watchdog");
    CHECK(f && strstr(f->message, "walker hang did not finish"), "finding: %s",
          f ? f->message : "none");
    CHECK(st.faults >= 2, "%llu walks stopped", (unsigned long long)st.faults);
}

static void test_signal_safety(void)
{
    if (!signal_safety_on()) {
        printf("     (no async-signal-safety check in this build: sanitizer)\n");
        return;
    }
    sr_walker naive = {"naive", "mallocs", SR_WALKER_NEEDS_FP, NULL, malloc_walk};
    stress_stats st = run(&naive, false, false, false);
    const nfinding *f = finding_of("async-signal-safety");
    CHECK(f && strstr(f->message, "malloc called in a signal handler by walker naive"),
          "finding: %s", f ? f->message : "none");
    CHECK(st.exact > 0, "and the walks are still judged");
    /* glibc's backtrace() loads libgcc_s on its first call: cold, from a
     * handler, that allocates (this process has not called it before) */
    char why[128];
    CHECK(walker_glibc.init(why, sizeof why) == 0, "glibc: %s", why);
    run(&walker_glibc, false, false, false);
    f = finding_of("async-signal-safety");
    CHECK(f && strstr(f->message, "called in a signal handler by walker glibc") &&
              strstr(f->detail, "called from "),
          "finding: %s", f ? f->message : "none");
}

int main(void)
{
    char why[128];
    shapes_init(why, sizeof why);
    RUN(test_oracle);
    RUN(test_barrier_table);
    RUN(test_pop_without_entry);
    RUN(test_fp_clean_under_barriers);
    RUN(test_unlocked_caught);
    RUN(test_bad_walkers_caught);
    RUN(test_walker_fault_reported);
    RUN(test_watchdog);
    RUN(test_signal_safety);
    return harness_exit();
}
