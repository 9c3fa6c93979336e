/*
 * test_stress.c — the native engine's checks, each shown firing on a
 * known-bad case and quiet on a good one: the walk oracle and its one
 * tolerance, the barrier table's bookkeeping, and short real runs (a
 * correct walker clean under barriers in both delivery modes; the seed's
 * unlocked sampler caught; a walker that drops a frame caught; one that
 * always declines counted as such, never as validated).
 */
#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aim.h"
#include "barrier.h"
#include "check.h"
#include "findings.h"
#include "oracle.h"
#include "scanner.h"
#include "unwind_info.h"
#include "verdict.h"
#include "view.h"
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

/* The oracle may read the words of this fake stack, and no others. */
static uintptr_t fake_stack[16];
static bool fake_readable(const void *ctx, uintptr_t addr)
{
    (void)ctx;
    return addr >= (uintptr_t)fake_stack && addr < (uintptr_t)(fake_stack + 16);
}

static verdict judge(const shadow *s, uintptr_t pc, uintptr_t sp, const uintptr_t *pcs, int n,
                     uintptr_t sigret, int *at)
{
    oracle_sample o = {s, pc, sp, sigret, NULL, fake_readable, NULL};
    walk_record w = {pcs, n, n, 0, SR_WALKER_NEEDS_FP, 0};
    verdict_result r = oracle_check(&o, &w, NULL);
    if (at)
        *at = r.at;
    return r.v;
}

/* A trap instruction (ud2) in shape id's code. */
static uintptr_t trap_site(unsigned id)
{
    for (uintptr_t p = shape_start(id); p < shape_start(id) + 4096; p++)
        if (shape_is_trap_site(id, p))
            return p;
    return 0;
}

/* A ret instruction (pop %rbp; ret) in shape id's code. */
static uintptr_t ret_site(unsigned id)
{
    const unsigned char *p = (const unsigned char *)shape_start(id);
    for (unsigned i = 1; i < 4096; i++)
        if (p[i] == 0xc3 && p[i - 1] == 0x5d)
            return (uintptr_t)&p[i];
    return 0;
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
    uintptr_t pc = shape_start(SHAPE_CALL) + 7, sp = (uintptr_t)&fake_stack[4];
    uintptr_t good[] = {pc, in_saved, in_call, in_root, 0x1234};
    int at = 0;
    CHECK(judge(&s, pc, sp, good, 5, 0, NULL) == VERDICT_EXACT, "truth plus frames beyond the root");
    CHECK(judge(&s, pc, sp, good, 0, 0, NULL) == VERDICT_DECLINED, "no frames is a decline");
    CHECK(judge(&s, pc, sp, good, 3, 0, &at) == VERDICT_LOST && at == 3,
          "a true prefix that stops where unwind information exists: lost frames");
    uintptr_t skipped[] = {pc, in_call, in_root};
    CHECK(judge(&s, pc, sp, skipped, 3, 0, &at) == VERDICT_WRONG && at == 1, "a skipped frame");
    uintptr_t other_pc[] = {pc + 1, in_saved, in_call, in_root};
    CHECK(judge(&s, pc, sp, other_pc, 4, 0, NULL) == VERDICT_WRONG, "another starting pc");

    /* the tolerance: one callee of the top frame (a call frame) not yet recorded */
    uintptr_t callee = return_site(SHAPE_CALL);
    uintptr_t entering[] = {pc, callee, in_saved, in_call, in_root};
    CHECK(judge(&s, pc, sp, entering, 5, 0, NULL) == VERDICT_EXACT,
          "a return site in the top frame's function");
    uintptr_t elsewhere[] = {pc, in_saved, in_saved, in_call, in_root};
    CHECK(judge(&s, pc, sp, elsewhere, 5, 0, NULL) == VERDICT_WRONG,
          "a return site in another function is not the callee");
    uintptr_t entering_short[] = {pc, callee, in_saved};
    CHECK(judge(&s, pc, sp, entering_short, 3, 0, NULL) == VERDICT_LOST,
          "the tolerated callee, then a true prefix: lost frames, not wrong");
    uintptr_t two[] = {pc, callee, callee, in_saved, in_call, in_root};
    CHECK(judge(&s, pc, sp, two, 6, 0, NULL) == VERDICT_WRONG, "two unrecorded frames");
    uintptr_t not_after_call[] = {pc, shape_start(SHAPE_CALL) + 1, in_saved, in_call, in_root};
    CHECK(judge(&s, pc, sp, not_after_call, 5, 0, NULL) == VERDICT_WRONG,
          "an address in the function that follows no call");

    /* no tolerance at a function's first instruction or at its ret: the
     * return address at sp is the frame the shadow has not recorded */
    uintptr_t entry = shape_start(SHAPE_CALL), ret = ret_site(SHAPE_CALL);
    CHECK(ret, "a ret in the call shape");
    fake_stack[4] = callee;
    uintptr_t at_entry[] = {entry, callee, in_saved, in_call, in_root};
    uintptr_t skip_entry[] = {entry, in_saved, in_call, in_root};
    CHECK(judge(&s, entry, sp, at_entry, 5, 0, NULL) == VERDICT_EXACT, "entry: with its caller");
    CHECK(judge(&s, entry, sp, skip_entry, 4, 0, &at) == VERDICT_WRONG && at == 1,
          "entry: the caller skipped is wrong");
    uintptr_t at_ret[] = {ret, callee, in_saved, in_call, in_root};
    uintptr_t skip_ret[] = {ret, in_saved, in_call, in_root};
    CHECK(judge(&s, ret, sp, at_ret, 5, 0, NULL) == VERDICT_EXACT, "ret: with its caller");
    CHECK(judge(&s, ret, sp, skip_ret, 4, 0, NULL) == VERDICT_WRONG,
          "ret: the caller skipped is wrong");
    CHECK(judge(&s, ret, sp, at_ret, 1, 0, NULL) == VERDICT_LOST, "ret: only the pc is lost");

    /* a signal frame on top: the handler's own frame may be missing */
    uintptr_t sigret = 0x7000;
    push(&s, shape_start(SHAPE_CALL) + 3, SHAPE_CALL, FRAME_SIGNAL);
    uintptr_t handler_pc = shape_start(SHAPE_HANDLER) + 5;
    uintptr_t with_handler[] = {handler_pc, sigret, s.f[3].ra, in_saved, in_call, in_root};
    CHECK(judge(&s, handler_pc, sp, with_handler, 6, sigret, NULL) == VERDICT_EXACT,
          "the signal return above a recorded signal frame");
    CHECK(judge(&s, handler_pc, sp, with_handler, 6, 0x7008, NULL) == VERDICT_WRONG,
          "anything else above it");

    /* a trap in the top frame's function: its handler entered, nothing
     * recorded yet; then the handler returned, into the signal return */
    static shadow t;
    t.depth = 0;
    push(&t, in_root, SHAPE_CALL, FRAME_CALL);
    push(&t, in_call, SHAPE_SAVED, FRAME_CALL);
    push(&t, in_saved, SHAPE_CALL, FRAME_CALL);
    uintptr_t trap = trap_site(SHAPE_CALL);
    CHECK(trap, "a trap in the call shape");
    uintptr_t in_handler[] = {handler_pc, sigret, trap, in_saved, in_call, in_root};
    CHECK(judge(&t, handler_pc, sp, in_handler, 6, sigret, NULL) == VERDICT_EXACT,
          "the handler, the signal return and the trap: not recorded yet");
    in_handler[2] = trap + 2;
    CHECK(judge(&t, handler_pc, sp, in_handler, 6, sigret, NULL) == VERDICT_EXACT,
          "a handler that stepped over the trap");
    in_handler[2] = trap + 1;
    CHECK(judge(&t, handler_pc, sp, in_handler, 6, sigret, &at) == VERDICT_WRONG && at == 1,
          "the signal return above no trap");
    uintptr_t in_sigreturn[] = {sigret + 4, trap + 2, in_saved, in_call, in_root};
    CHECK(judge(&t, sigret + 4, sp, in_sigreturn, 5, sigret, NULL) == VERDICT_EXACT,
          "in the signal return: the trap, then the frames");
    CHECK(judge(&t, sigret + 4, sp, in_sigreturn, 5, 0, NULL) == VERDICT_WRONG,
          "no signal return known: the trap is not the truth");
    in_sigreturn[1] = in_saved - 1;
    CHECK(judge(&t, sigret + 4, sp, in_sigreturn, 5, sigret, NULL) == VERDICT_WRONG,
          "in the signal return, above no trap");
}

/* One recorded walk, classified as each kind of walker would have returned
 * it: the class depends on the frames, never on whose walker it is — except
 * where the walkers were handed different words (a view walker reads a
 * patched slot translated, so it has no trampoline to stop at). */
static void test_classifier_same_for_every_walker(void)
{
    static const unsigned kinds[] = {SR_WALKER_NEEDS_FP, 0, SR_WALKER_LIVE, SR_WALKER_UCONTEXT};
    static walk_truth t;
    uintptr_t pc = shape_start(SHAPE_CALL) + 7, tramp = barrier_pc() + 3;
    t.n = 0;
    truth_push(&t, pc, 0);
    truth_push(&t, 0x1100, 0);
    truth_push(&t, 0x1200, TRUTH_SIGNAL);
    truth_push(&t, 0x1300, 0);
    struct {
        const char *what;
        uintptr_t pcs[6];
        int n, returned, caught;
        verdict v;
        int at;
    } cases[] = {
        {"the truth, then frames beyond the root", {pc, 0x1100, 0x1200, 0x1300, 0x1400}, 5, 5, 0,
         VERDICT_EXACT, -1},
        {"a signal frame's entry after the trap", {pc, 0x1100, 0x1202, 0x1300}, 4, 4, 0,
         VERDICT_EXACT, -1},
        {"no frames", {0}, 0, 0, 0, VERDICT_DECLINED, -1},
        {"a fault", {0}, 0, 0, 11, VERDICT_FAULT, -1},
        {"frames, but never the interrupted one", {0}, 0, 7, 0, VERDICT_LOST, 0},
        {"a prefix that stops at a frame with unwind information", {pc, 0x1100}, 2, 2, 0,
         VERDICT_LOST, 2},
        {"only the pc", {pc}, 1, 1, 0, VERDICT_LOST, 1},
        {"a skipped frame", {pc, 0x1200, 0x1300}, 3, 3, 0, VERDICT_WRONG, 1},
        {"a made-up frame", {pc, 0x1100, 0x9999, 0x1300}, 4, 4, 0, VERDICT_WRONG, 2},
        {"an untranslated trampoline", {pc, 0x1100, barrier_pc(), 0x1300}, 4, 4, 0,
         VERDICT_WRONG, 2},
        {"another pc", {pc + 1, 0x1100}, 2, 2, 0, VERDICT_WRONG, 0},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (unsigned k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            walk_record w = {cases[i].pcs, cases[i].n, cases[i].returned, cases[i].caught,
                             kinds[k], 0};
            verdict_result r = verdict_classify(&t, &w);
            CHECK(r.v == cases[i].v && r.at == cases[i].at, "%s, walker flags %#x: %s at %d",
                  cases[i].what, kinds[k], verdict_name(r.v), r.at);
        }

    /* interrupted in the trampoline's code, which has no unwind information:
     * a walk that stops there is stopped, for every walker */
    static walk_truth in_tramp;
    in_tramp.n = 0;
    truth_push(&in_tramp, tramp, 0);
    truth_push(&in_tramp, 0x1100, 0);
    CHECK(verdict_no_unwind_info(tramp) && verdict_no_unwind_info(barrier_pc() - 1) &&
              !verdict_no_unwind_info((uintptr_t)&barrier_pop),
          "the trampoline has no unwind information, barrier_pop has");
    for (unsigned k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        uintptr_t only[] = {tramp};
        walk_record w = {only, 1, 1, 0, kinds[k], 0};
        CHECK(verdict_classify(&in_tramp, &w).v == VERDICT_STOPPED, "in the trampoline, flags %#x",
              kinds[k]);
    }

    /* a thread parked in the rig's code, judged from the frame it saved: a
     * live walk that ends at the pc the signal stopped it at, where no unwind
     * information is (lld's PLT entries), could not have gone on (stopped);
     * one that ends anywhere else before that frame lost it */
    uintptr_t handler = shape_start(SHAPE_HANDLER) + 5, covered = (uintptr_t)&barrier_pop;
    uintptr_t to_tramp[] = {handler, 0x7000, tramp}, to_covered[] = {handler, 0x7000, covered};
    walk_record parked = {to_tramp, 0, 3, 0, SR_WALKER_LIVE, tramp};
    CHECK(verdict_classify(&t, &parked).v == VERDICT_STOPPED,
          "parked: stops at the interrupted pc, which has no unwind information");
    parked.signal_pc = tramp + 1;
    CHECK(verdict_classify(&t, &parked).v == VERDICT_LOST,
          "parked: stops without unwind information, but not where the signal came");
    parked.pcs = to_covered;
    parked.signal_pc = covered;
    CHECK(verdict_classify(&t, &parked).v == VERDICT_LOST,
          "parked: stops at the interrupted pc, which has unwind information");

    /* the next return address lives in a patched slot: a walker that reads
     * the stack itself meets the trampoline (stopped); a view walker was
     * handed the original and has no excuse (lost) */
    t.flags[2] |= TRUTH_PATCHED;
    uintptr_t before_patch[] = {pc, 0x1100};
    for (unsigned k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        walk_record w = {before_patch, 2, 2, 0, kinds[k], 0};
        verdict want = kinds[k] & (SR_WALKER_LIVE | SR_WALKER_UCONTEXT) ? VERDICT_STOPPED
                                                                         : VERDICT_LOST;
        CHECK(verdict_classify(&t, &w).v == want, "a patched slot next, flags %#x: %s", kinds[k],
              verdict_name(verdict_classify(&t, &w).v));
        uintptr_t through[] = {pc, 0x1100, 0x1200};
        w.pcs = through;
        w.n = w.returned = 3; /* listed the trampoline (translated), then stopped */
        CHECK(verdict_classify(&t, &w).v == want, "after a patched slot, flags %#x", kinds[k]);
    }
}

/* verdict_no_unwind_info's answer, checked against libgcc's own FDE lookup
 * (_Unwind_Find_FDE) at every byte of this executable's code: the two
 * agree, no FDE covers the trampoline's code, and barrier_pop and the
 * shapes have theirs. */
struct eh_bases {
    void *tbase, *dbase, *func;
};

static int exe_text(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t *range = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            range[0] = info->dlpi_addr + ph->p_vaddr;
            range[1] = range[0] + ph->p_memsz;
        }
    }
    return 1; /* the first object is the executable */
}

static void test_unwind_info_agrees_with_libgcc(void)
{
    void *lib = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
    const void *(*find_fde)(void *, struct eh_bases *) =
        lib ? (const void *(*)(void *, struct eh_bases *))dlsym(lib, "_Unwind_Find_FDE") : NULL;
    if (!find_fde) {
        SKIP("no libgcc_s with _Unwind_Find_FDE here");
    }
    unwind_info_load();
    uintptr_t text[2] = {0, 0};
    dl_iterate_phdr(exe_text, text);
    CHECK(text[1] > text[0], "the executable's code");
    struct eh_bases b;
    unsigned disagree = 0, without = 0;
    for (uintptr_t pc = text[0]; pc < text[1]; pc++) {
        bool libgcc = find_fde((void *)pc, &b) != NULL;
        without += !libgcc;
        if (libgcc != unwind_info_covers(pc) && disagree++ == 0)
            CHECK(0, "at %#lx: libgcc finds %s FDE, unwind_info says the opposite",
                  (unsigned long)(pc - text[0]), libgcc ? "an" : "no");
    }
    CHECK(disagree == 0 && without > 0, "%u bytes disagree; %u without an FDE", disagree, without);
    for (uintptr_t pc = barrier_pc() - 1; pc < (uintptr_t)barrier_trampoline_end; pc++)
        CHECK(verdict_no_unwind_info(pc) && !find_fde((void *)pc, &b),
              "trampoline+%#lx has no FDE", (unsigned long)(pc - barrier_pc()));
    CHECK(!verdict_no_unwind_info((uintptr_t)&barrier_pop + 1) &&
              !verdict_no_unwind_info(shape_start(SHAPE_CALL) + 1),
          "barrier_pop and a shape have unwind information");
    CHECK(!verdict_no_unwind_info((uintptr_t)barrier_trampoline_end) ||
              !find_fde((void *)barrier_trampoline_end, &b),
          "the trampoline's range ends where it does");
}

/* view_adapt: a live walk is kept from the interrupted pc on, past the
 * handler's own signal return (which may also be that pc), and its
 * trampoline PCs are translated by the slots still patched above sp. */
static void test_view_adapt(void)
{
    static mutator m;
    static uintptr_t stack[32];
    memset(&m, 0, sizeof m);
    m.stack_lo = (uintptr_t)stack;
    m.stack_hi = (uintptr_t)(stack + 32);
    uintptr_t sr = shapes_signal_return();
    if (!sr) /* no run has installed the handlers yet: any address will do */
        shapes_learn_signal_return(sr = 0x7000);
    uintptr_t walk[] = {0x50, 0x51, sr, sr, 0x60, 0x61};
    saved_ctx from = {sr, (uintptr_t)&stack[8], 0};
    stack_view v = {.m = &m};
    int n = view_adapt(&v, walk, 6, &from, SR_WALKER_LIVE);
    CHECK(n == 3 && walk[0] == sr && walk[1] == 0x60, "kept %d from %lx", n, (unsigned long)walk[0]);

    /* entries: one already returned through (its slot below sp), one
     * restored (the thread removing its barriers), one live */
    m.barriers.e[0] = (barrier_entry){(uintptr_t)&stack[6], 0x1000};
    m.barriers.e[1] = (barrier_entry){(uintptr_t)&stack[10], 0x1001};
    m.barriers.e[2] = (barrier_entry){(uintptr_t)&stack[12], 0x1002};
    m.barriers.n = 3;
    stack[6] = barrier_pc();
    stack[10] = 0x1001;
    stack[12] = barrier_pc();
    v.n = 3;
    from.pc = barrier_pc() + 3;
    uintptr_t live[] = {0x50, sr, barrier_pc() + 3, barrier_pc(), 0x70};
    n = view_adapt(&v, live, 5, &from, SR_WALKER_LIVE);
    CHECK(n == 3 && live[1] == 0x1002, "the trampoline read as the live slot's original: %lx",
          (unsigned long)live[1]);
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

/* The frame-pointer shapes but the tail call, whose jump (frame torn down,
 * the callee not yet entered) no frame-pointer walker can see: the one
 * blind spot walker_fp has left (tests/stress_cli_test.sh sweeps it). */
static unsigned fp_shapes_but_tail(void) { return shapes_with_fp() & ~(1u << SHAPE_TAIL); }

/* A run bounded by its samples, not by the clock: the same work, and the
 * same counts to assert on, on a fast machine or a loaded one (the seconds
 * are only a limit for a run that stops sampling). */
enum { SAMPLES = 30000, RUN_LIMIT_SECONDS = 120 };
static stress_stats run_on(const sr_walker *w, unsigned shapes, uint64_t samples, bool barriers,
                           bool remote, bool unlocked)
{
    stress_config c;
    stress_defaults(&c, w);
    c.threads = 3;
    c.samples = samples;
    c.seconds = RUN_LIMIT_SECONDS;
    c.barriers = barriers;
    c.remote = remote;
    c.unlocked = unlocked;
    c.shapes = shapes;
    stress_stats st;
    memset(&st, 0, sizeof st);
    CHECK(stress_run(&c, &st) == 0, "the run");
    return st;
}

static stress_stats run(const sr_walker *w, bool barriers, bool remote, bool unlocked)
{
    return run_on(w, shapes_with_fp(), SAMPLES, barriers, remote, unlocked);
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

/* The scanner's three rewriter findings, on a parked mutator's recorded
 * frames over a stack of our own: each known-bad state reported, the good
 * one not. */
static void test_scanner_findings(void)
{
    static mutator m;
    uintptr_t stack[8];
    memset(&m, 0, sizeof m);
    m.index = 5;
    for (unsigned i = 0; i < 4; i++) {
        stack[7 - i] = 0x2000 + i;
        m.shadow.f[i] = (shadow_frame){0x2000 + i, (uintptr_t)&stack[7 - i], SHAPE_CALL, FRAME_CALL};
    }
    m.shadow.depth = 4;
    unsigned before = findings_stored();
    scanner_install(&m);
    scanner_remove(&m);
    CHECK(findings_stored() == before && stack[4] == 0x2003 && stack[7] == 0x2000,
          "a clean cycle: %u findings", findings_stored() - before);

    stack[5] = 0xdead; /* the shadow recorded what the stack does not hold */
    scanner_install(&m);
    CHECK(has_finding("rewriter", "a recorded return slot does not hold its frame's return address"),
          "install refused: not reported");
    stack[5] = 0x2002;

    scanner_install(&m);
    stack[6] = 0x2001; /* a barrier restored behind the table's back */
    scanner_remove(&m);
    CHECK(has_finding("rewriter", "no longer holds the trampoline (barrier lost)"),
          "barrier lost: not reported");
    m.barriers.n = 0;
    m.barriers.pos = 0;
    for (unsigned i = 0; i < 4; i++)
        stack[7 - i] = 0x2000 + i;

    scanner_install(&m);
    m.barriers.n--; /* the table forgot its outermost entry: its slot keeps the trampoline */
    scanner_remove(&m);
    CHECK(has_finding("rewriter", "a return slot still holds the trampoline after removal"),
          "trampoline left after removal: not reported");
}

/* A frame-pointer walker that never looks at the interrupted instruction:
 * at a function's first instruction and at its ret, rbp is the caller's,
 * and this walk silently skips the caller (walker_fp looks: fp.c). */
static int naive_fp_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    int n = 0;
    uintptr_t fp = w->fp, next, ra;
    pcs[n++] = w->pc;
    while (n < max && w->read(w, fp, &next) && w->read(w, fp + 8, &ra) && ra && next > fp) {
        if (ra == w->signal_return)
            return 0; /* declines at signal frames */
        pcs[n++] = ra;
        fp = next;
    }
    return n;
}

/* A correct walker is clean: no lost frames, no wrong walks, in both
 * delivery modes, under barriers. */
static void test_correct_walker_clean_under_barriers(void)
{
    for (int remote = 0; remote <= 1; remote++) {
        stress_stats st = run_on(&walker_fp, fp_shapes_but_tail(), SAMPLES, true, remote, false);
        const nfinding *f = findings_at(0);
        CHECK(st.wrong == 0 && st.lost == 0 && st.findings == 0,
              "%s: %llu wrong, %llu lost, %u findings; %s: %s; %s",
              remote ? "remote" : "same-thread", (unsigned long long)st.wrong,
              (unsigned long long)st.lost, st.findings,
              f ? f->check : "", f ? f->message : "", f ? f->detail : "");
        CHECK(st.exact > 1000 && st.installed > 100, "%s: %llu validated, %llu barriers",
              remote ? "remote" : "same-thread", (unsigned long long)st.exact,
              (unsigned long long)st.installed);
    }
}

/* The naive frame-pointer walker skips the caller at a function's entry
 * and its ret (sweep shows the same in its prologue rows): stress says so. */
static void test_fp_blind_spot_caught(void)
{
#ifdef ENGINE_TSAN
    /* running threads are not walked there (sampler.c): no sample lands at an entry */
    SKIP("not under ThreadSanitizer: it walks parked threads only");
#endif
    sr_walker naive = {"naive-fp", "never looks at pc", SR_WALKER_NEEDS_FP, NULL, naive_fp_walk};
    stress_stats st = run(&naive, false, false, false);
    /* the timer alone meets that instruction in 1 sample of ~2000 here;
     * with the breakpoints, ~1 in 50 */
    CHECK(st.wrong * 200 > st.samples && has_finding("walk-oracle", "not the thread's"), "%llu wrong of %llu",
          (unsigned long long)st.wrong, (unsigned long long)st.exact);
}

/* walker_fp, but wrong at one instruction only: leaf-leave's first */
static int wrong_at_one_entry(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    int n = walker_fp.walk(w, pcs, max);
    if (n > 1 && w->pc == shape_start(SHAPE_LEAF_LEAVE))
        pcs[1] ^= 0x10;
    return n;
}

/* Aimed samples (aim.h) land on the shapes' entries: a walker wrong at one
 * instruction is caught many times more often than by the timer alone. */
static void test_aimed_samples(void)
{
    if (!aim_init(fp_shapes_but_tail())) {
        SKIP("no aimed samples here: %s", aim_off_why());
    }
    sr_walker one = {"wrong-at-one-entry", "fp, wrong at leaf-leave's first instruction",
                     SR_WALKER_NEEDS_FP, NULL, wrong_at_one_entry};
    stress_stats st = run_on(&one, fp_shapes_but_tail(), SAMPLES, false, false, false);
    CHECK(st.aimed > 1000, "%llu aimed samples", (unsigned long long)st.aimed);
    /* the timer alone meets that instruction in 1 sample of ~2000 here;
     * with the breakpoints, ~1 in 50 */
    CHECK(st.wrong * 200 > st.samples && has_finding("walk-oracle", "not the thread's"),
          "%llu wrong in %llu samples, %llu aimed", (unsigned long long)st.wrong,
          (unsigned long long)st.samples, (unsigned long long)st.aimed);
}

static void test_unlocked_caught(void)
{
    for (int remote = 0; remote <= 1; remote++) {
        stress_stats st = run_on(&walker_fp, fp_shapes_but_tail(), 2 * SAMPLES, true, remote, true);
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

static int short_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    int n = walker_fp.walk(w, pcs, max);
    return n > 2 ? 2 : n; /* gives up after two frames, where frame pointers go on */
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
    /* the timer alone meets that instruction in 1 sample of ~2000 here;
     * with the breakpoints, ~1 in 50 */
    CHECK(st.wrong * 200 > st.samples && has_finding("walk-oracle", "not the thread's"), "%llu wrong",
          (unsigned long long)st.wrong);
    sr_walker give_up = {"give-up", "stops after two frames", SR_WALKER_NEEDS_FP, NULL, short_walk};
    st = run(&give_up, false, false, false);
    CHECK(st.lost > 0 && has_finding("walk-oracle", "lost frames (stopped where unwind"),
          "%llu lost", (unsigned long long)st.lost);
    sr_walker decline = {"decline", "never walks", SR_WALKER_NEEDS_FP, NULL, decline_walk};
    st = run(&decline, true, false, false);
    CHECK(st.declined > 1000 && st.declined + st.skipped == st.samples && st.exact == 0 &&
              st.findings == 0,
          "%llu samples, %llu declined, %llu skipped, %llu validated",
          (unsigned long long)st.samples, (unsigned long long)st.declined,
          (unsigned long long)st.skipped, (unsigned long long)st.exact);
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
    SKIP("not under ThreadSanitizer: a fault in a handler cannot be caught there");
#endif
    sr_walker crash = {"crash", "reads address 16", SR_WALKER_NEEDS_FP, NULL, fault_walk};
    stress_stats st = run(&crash, false, false, false);
    const nfinding *f = finding_of("walker-fault");
    CHECK(f && strstr(f->message, "walker crash faulted (SIGSEGV)"), "finding: %s",
          f ? f->message : "none");
    CHECK(f && strstr(f->detail, "fault address 0x10") && strstr(f->detail, "its stack [") &&
              strstr(f->detail, "from pc 0x"),
          "detail: %s", f ? f->detail : "none");
    CHECK(st.faults > 100 && st.faults == st.samples - st.skipped, "%llu faults of %llu samples",
          (unsigned long long)st.faults, (unsigned long long)st.samples);
    CHECK(f && atomic_load(&f->count) == st.faults, "every fault counted on the finding");
}

static void test_watchdog(void)
{
#ifdef ENGINE_TSAN
    /* ThreadSanitizer holds an asynchronous signal until the thread reaches
     * an interceptor, which a walker spinning in its own code never does */
    SKIP("not under ThreadSanitizer: it defers the watchdog's signal");
#endif
    sr_walker hang = {"hang", "never returns", SR_WALKER_NEEDS_FP, NULL, hang_walk};
    stress_config c;
    stress_defaults(&c, &hang);
    c.threads = 2;
    c.samples = 8;
    c.seconds = RUN_LIMIT_SECONDS;
    c.watchdog_seconds = 0.2;
    c.shapes = shapes_with_fp();
    stress_stats st;
    memset(&st, 0, sizeof st);
    CHECK(stress_run(&c, &st) == 0, "the run ends");
    const nfinding *f = finding_of("watchdog");
    CHECK(f && strstr(f->message, "walker hang did not finish a walk in 200 ms"), "finding: %s",
          f ? f->message : "none");
    CHECK(st.faults >= 2, "%llu walks stopped", (unsigned long long)st.faults);
}

static void test_signal_safety(void)
{
    if (!signal_safety_on()) {
        SKIP("no async-signal-safety check in this build: sanitizer");
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

/* The sweep's truth is only as good as its call decoder: a call it misses
 * drops a frame from the truth and grades every walker wrong below it.
 * Each encoding here is one a compiler or linker emits; the non-calls are
 * the jumps and moves that share their bytes. */
static void test_call_decoder(void)
{
    static const struct {
        const char *what;
        unsigned char bytes[8];
        unsigned len;
        bool call;
    } cases[] = {
        {"call rel32", {0xe8, 1, 2, 3, 4}, 5, true},
        {"addr32 call rel32 (GNU ld's -fno-plt relaxation)", {0x67, 0xe8, 1, 2, 3, 4}, 6, true},
        {"call *GOT(%rip)", {0xff, 0x15, 1, 2, 3, 4}, 6, true},
        {"call *%rax", {0xff, 0xd0}, 2, true},
        {"call *%r11", {0x41, 0xff, 0xd3}, 3, true},
        {"call *(%rcx,%rax,8)", {0xff, 0x14, 0xc1}, 3, true},
        {"call *0x10(%rax)", {0xff, 0x50, 0x10}, 3, true},
        {"notrack call *%rax", {0x3e, 0xff, 0xd0}, 3, true},
        {"bnd call rel32", {0xf2, 0xe8, 1, 2, 3, 4}, 6, true},
        {"jmp rel32", {0xe9, 1, 2, 3, 4}, 5, false},
        {"addr32 jmp rel32", {0x67, 0xe9, 1, 2, 3, 4}, 6, false},
        {"jmp *%rax", {0xff, 0xe0}, 2, false},
        {"jmp *GOT(%rip)", {0xff, 0x25, 1, 2, 3, 4}, 6, false},
        {"call rel32 read one byte long", {0x90, 0xe8, 1, 2, 3, 4}, 6, false},
        {"mov %rax,%rdi", {0x48, 0x89, 0xc7}, 3, false},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(shape_is_call(cases[i].bytes + cases[i].len, cases[i].len) == cases[i].call,
              "%s: %s", cases[i].what, cases[i].call ? "not seen as a call" : "seen as a call");
}

/* The layouts users' binaries have: a function whose first byte is the
 * return address of a noreturn call (1-byte aligned: shapes_packed.c), and
 * signal frames nested in a signal handler. */
static void test_layouts(void)
{
    CHECK(shapes_all() & (1u << SHAPE_NORETURN), "shape noreturn left out by shapes_init");
    uintptr_t entry = shape_start(SHAPE_THROW);
    CHECK(shape_is_return_site(SHAPE_NORETURN, entry),
          "throw's entry %#lx is not the return address of noreturn's call",
          (unsigned long)entry);
    CHECK(entry % 16 != 0 || shape_start(SHAPE_LEAF_PACKED) % 16 != 0,
          "the packed shapes are 16-byte aligned");
}

/* ... and a correct walker is exact on them, and stress met them. */
static void test_layouts_walked(void)
{
#ifdef ENGINE_TSAN
    /* no traps there (stress.c: TSan calls a handler from its own frames),
     * and running threads, in throw's frames, are not walked */
    SKIP("not under ThreadSanitizer: no traps, parked threads only");
#endif
    /* the frame-pointer walker on the frame-pointer shapes, the packed leaf
     * among them (the tail call is its blind spot: fp.c): nested signal frames */
    stress_stats st = run_on(&walker_fp, fp_shapes_but_tail(), SAMPLES, true, false, false);
    CHECK(st.nested_traps > 0, "no nested trap in %llu traps", (unsigned long long)st.traps);
    CHECK(st.exact > 0 && st.wrong == 0 && st.lost == 0 && st.faults == 0,
          "fp: %llu exact, %llu lost, %llu wrong, %llu faults", (unsigned long long)st.exact,
          (unsigned long long)st.lost, (unsigned long long)st.wrong,
          (unsigned long long)st.faults);
    /* libgcc (loaded by test_signal_safety) through noreturn's frames (it
     * looks up a return address's call, not its next function) and the
     * hand-written leave epilogue's CFI */
    char why[128];
    CHECK(walker_libgcc.init(why, sizeof why) == 0, "libgcc: %s", why);
    unsigned packed = (1u << SHAPE_NORETURN) | (1u << SHAPE_LEAF_PACKED) | (1u << SHAPE_CALL) |
                      (1u << SHAPE_LEAF) | (1u << SHAPE_LEAF_LEAVE);
    st = run_on(&walker_libgcc, packed, SAMPLES, false, false, false);
    CHECK(st.longjmps > 0, "no throw");
    CHECK(st.exact > 0 && st.wrong == 0 && st.lost == 0 && st.faults == 0,
          "libgcc on packed shapes: %llu exact, %llu lost, %llu wrong, %llu faults",
          (unsigned long long)st.exact, (unsigned long long)st.lost,
          (unsigned long long)st.wrong, (unsigned long long)st.faults);
    /* under barriers, tail's jump to leaf-leave: the callee reuses tail's
     * return slot, patched already, and records the logical return address
     * as the C shapes do (shape_leave_x86_64.S); recorded raw, stress graded
     * libgcc's correct walk wrong several times a second here */
    unsigned tail = (1u << SHAPE_CALL) | (1u << SHAPE_TAIL) | (1u << SHAPE_LEAF_LEAVE);
    st = run_on(&walker_libgcc, tail, 2 * SAMPLES, true, false, false);
    const nfinding *f = finding_of("walk-oracle");
    CHECK(st.exact > 1000 && st.installed > 100 && st.wrong == 0 && st.lost == 0,
          "libgcc, tail into leaf-leave under barriers: %llu exact, %llu barriers, %llu lost, "
          "%llu wrong; first: %s: %s", (unsigned long long)st.exact,
          (unsigned long long)st.installed, (unsigned long long)st.lost,
          (unsigned long long)st.wrong, f ? f->message : "-", f ? f->detail : "-");
}

int main(int argc, char **argv)
{
    harness_init(argc, argv);
    char why[128];
    shapes_init(why, sizeof why);
    RUN(test_oracle);
    RUN(test_classifier_same_for_every_walker);
    RUN(test_call_decoder);
    RUN(test_view_adapt);
    RUN(test_barrier_table);
    RUN(test_pop_without_entry);
    RUN(test_scanner_findings);
    RUN(test_correct_walker_clean_under_barriers);
    RUN(test_fp_blind_spot_caught);
    RUN(test_unlocked_caught);
    RUN(test_aimed_samples);
    RUN(test_bad_walkers_caught);
    RUN(test_walker_fault_reported);
    RUN(test_watchdog);
    RUN(test_signal_safety);
    RUN(test_layouts);
    RUN(test_layouts_walked);
    /* last: it loads libgcc_s, which test_signal_safety needs not yet loaded */
    RUN(test_unwind_info_agrees_with_libgcc);
    return harness_exit();
}
