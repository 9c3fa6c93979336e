/*
 * sweep.c — the deterministic sweep under ptrace (sweep.h).
 *
 * The protocol between the two processes, per instruction of the program:
 *  1. the parent single-steps the child one instruction (PTRACE_SINGLESTEP)
 *     and updates its truth from the registers before and after;
 *  2. it writes that truth into a page both share, and delivers SIGPROF
 *     with PTRACE_SYSCALL, so the child runs its handler at full speed and
 *     stops only at system calls; the handler walks, compares, and writes its
 *     verdict into the page;
 *  3. the parent lets the handler's system calls through until the
 *     rt_sigreturn that returns exactly to the instruction it interrupted,
 *     and files the verdict.
 * Step 3 is where a sweep's time goes: a walker that takes a lock with
 * sigprocmask around it (libunwind's caches) makes thousands of system
 * calls per walk, and each syscall stop is two context switches. So the
 * child installs a seccomp filter that hands the tracer rt_sigreturn alone
 * (SECCOMP_RET_TRACE; every other call runs untraced) and the parent waits
 * with PTRACE_CONT for that stop, then steps the call to its exit with
 * PTRACE_SYSCALL (since Linux 4.8 the seccomp stop comes after the entry
 * stop: the next syscall stop is the exit, with the registers restored).
 * Where no filter can be installed, the parent stops at every call. The
 * verdicts are the same either way (a test compares them).
 * A trap (ud2) in the program stops the child with SIGILL; the parent
 * delivers it the same way single-stepping, and the handler's first
 * instruction is the next one swept. Signals the handler itself raises (a
 * walker's fault, caught by the child's guard) are passed through.
 *
 * The child is forked before any thread exists in the caller, runs the
 * program on its main thread, and never returns: it ends at _exit.
 */
#include "sweep.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "barrier.h"
#include "clock.h"
#include "findings.h"
#include "guard.h"
#include "sanitizer.h"
#include "mutator.h"
#include "oracle.h"
#include "shapes.h"
#include "stress.h"
#include "view.h"

enum { WALK_MAX = SHADOW_MAX + 32 };

/* The page the two processes share. */
typedef struct sweep_page {
    /* the child, once, before the program */
    uintptr_t alt_lo, alt_hi;
    bool filtered; /* its seccomp filter traces rt_sigreturn alone */
    /* the parent, before each sample: the truth's return addresses,
     * innermost first, and the slots they were read from (0: a signal
     * frame's entry, the interrupted PC, which may also read as the PC
     * after the trap, where the handler resumes) */
    unsigned truth_n;
    uintptr_t truth[TRUTH_MAX];
    uintptr_t truth_slot[TRUTH_MAX];
    /* the child, after each sample */
    int verdict, at, caught, shape;
    unsigned findings;          /* its findings so far (async-signal safety, faults) */
    char first_finding[200];    /* the first one, told */
    unsigned shadow_depth;
    int walk_n;
    uintptr_t walk[24];
    int stop_why;        /* what the walker said about its end (view.h) */
    long stop_code;
    uintptr_t stop_last;
    char fault[EVIDENCE_FAULT]; /* a caught walk, told (guard_tell); else empty */
} sweep_page;

const char *sweep_region_name(unsigned r)
{
    static const char *const names[REGION_COUNT] = {"prologue", "body",         "epilogue",
                                                    "leaf",     "signal frame", "trampoline"};
    return r < REGION_COUNT ? names[r] : "?";
}

/* ret: pc is a return address, named by its call (it may be the next
 * function's first byte: shapes_packed.c). */
static void describe(char *out, size_t n, uintptr_t pc, bool ret)
{
    int id = shape_of_pc(ret ? pc - 1 : pc);
    if (id >= 0)
        snprintf(out, n, "%s+0x%lx", shape_at((unsigned)id)->name,
                 (unsigned long)(pc - shape_start((unsigned)id)));
    else if (pc >= barrier_text_lo() && pc < barrier_text_hi())
        snprintf(out, n, "trampoline+0x%lx", (unsigned long)(pc - barrier_text_lo()));
    else
        snprintf(out, n, "0x%lx", (unsigned long)pc);
}

void sweep_describe_pc(char *out, size_t n, uintptr_t pc) { describe(out, n, pc, false); }
void sweep_describe_ra(char *out, size_t n, uintptr_t ra) { describe(out, n, ra, true); }

/* ---- the child ---------------------------------------------------------- */

static sweep_page *page;
static const sweep_config *child_cfg;
static mutator child_m;

/* The tracer's truth, as the classifier takes it: the interrupted pc, then
 * the return addresses, each marked patched when its slot holds the
 * trampoline now (the child reads its own stack). */
static void page_truth(const sweep_page *p, uintptr_t pc, walk_truth *t)
{
    t->n = 0;
    truth_push(t, pc, 0);
    for (unsigned k = 0; k < p->truth_n; k++) {
        uintptr_t slot = p->truth_slot[k];
        unsigned flags = !slot ? TRUTH_SIGNAL
                         : *(const volatile uintptr_t *)slot == barrier_pc() ? TRUTH_PATCHED
                                                                              : 0;
        truth_push(t, p->truth[k], flags);
    }
}

/* The walk against the tracer's truth; while a longjmp is in flight, also
 * against the stack after the jump (verdict.h's second tolerance: the
 * child's shadow already holds it), and the better of the two. */
static verdict_result judge(const walk_record *rec, const sr_stack_walk *w, const stack_view *v)
{
    walk_truth t;
    page_truth(page, w->pc, &t);
    verdict_result r = verdict_classify(&t, rec);
    if (r.v != VERDICT_EXACT && child_m.transition) {
        oracle_sample o = {&child_m.shadow, w->pc, w->sp, w->signal_return,
                           &child_m.barriers, view_readable, v};
        verdict_result after = oracle_check(&o, rec, NULL);
        if (verdict_better(after.v, r.v))
            r = after;
    }
    return r;
}

/* A caught walk is a finding, told as stress tells it (guard_tell), and
 * the sample's evidence (page->fault). */
static void report_caught_walk(const walk_guard *g, const sr_stack_walk *w)
{
    char msg[160], detail[320], where[64];
    fmtbuf mb, b;
    fmt_init(&mb, msg, sizeof msg);
    fmt_init(&b, detail, sizeof detail);
    const char *check = guard_tell(g, child_cfg->walker->name, &mb, &b);
    fmt_str(&b, "; walking from ");
    sweep_describe_pc(where, sizeof where, w->pc);
    fmt_str(&b, where);
    findings_add(check, msg, detail);
    fmt_init(&b, page->fault, sizeof page->fault);
    fmt_str(&b, msg);
    fmt_str(&b, ", ");
    fmt_str(&b, detail);
}

static void child_sample(int sig, siginfo_t *info, void *ucv)
{
    (void)sig, (void)info;
    const ucontext_t *uc = ucv;
    mutator *m = &child_m;
    sr_stack_walk w;
    stack_view v;
    saved_ctx at = view_context_of(uc);
    view_init(&w, &v, m, &at, uc);
    uintptr_t pcs[WALK_MAX];
    int n = 0;
    walk_guard *g = guard_self();
    page->caught = 0;
    page->fault[0] = '\0';
    g->walker = child_cfg->walker->name;
    g->in_handler = true;
    if (sigsetjmp(g->jb, 0) == 0) {
        guard_arm(g);
        n = child_cfg->walker->walk(&w, pcs, WALK_MAX);
        guard_disarm(g);
    } else {
        guard_disarm(g);
        page->caught = g->sig;
        report_caught_walk(g, &w);
        n = 0;
    }
    unsigned flags = child_cfg->walker->flags;
    walk_record rec = {pcs, n, n, page->caught, flags, 0};
    if (n > 0 && (flags & (SR_WALKER_LIVE | SR_WALKER_UCONTEXT)))
        rec.n = view_adapt(&v, pcs, n, &at, flags);
    verdict_result r = judge(&rec, &w, &v);
    page->verdict = r.v;
    page->at = r.at;
    page->shape = shape_of_pc(w.pc);
    page->shadow_depth = m->shadow.depth;
    page->findings = findings_total();
    const nfinding *f = findings_at(0);
    if (f && !page->first_finding[0]) {
        fmtbuf b;
        fmt_init(&b, page->first_finding, sizeof page->first_finding);
        fmt_str(&b, f->check);
        fmt_str(&b, ": ");
        fmt_str(&b, f->message);
    }
    page->walk_n = rec.n;
    for (int i = 0; i < rec.n && i < 24; i++)
        page->walk[i] = pcs[i];
    page->stop_why = v.stop_why;
    page->stop_code = v.stop_code;
    page->stop_last = v.stop_last;
}

/* The child's seccomp filter: rt_sigreturn stops for the tracer, every
 * other system call runs. A call of another ABI (x32, i386) is let through
 * too: no handler of ours returns that way. */
static bool trace_only_sigreturn(void)
{
    if (getenv("STACKRACE_SWEEP_NO_SECCOMP"))
        return false; /* the slow path, for the test that compares the two */
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
           prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

static _Noreturn void child_main(const sweep_config *c, const stress_config *sc)
{
    child_cfg = c;
    mutator *m = &child_m;
    m->cfg = sc;
    m->rng = c->seed * 0x9e3779b97f4a7c15ull + 1;
    pthread_attr_t attr;
    void *lo;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) || pthread_attr_getstack(&attr, &lo, &size))
        _exit(3);
    m->stack_lo = (uintptr_t)lo;
    m->stack_hi = (uintptr_t)lo + size;
    size_t alt = 2u << 20;
    m->alt_map = mmap(NULL, alt, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m->alt_map == MAP_FAILED)
        _exit(3);
    m->alt_map_size = alt;
    m->alt_lo = (uintptr_t)m->alt_map;
    m->alt_hi = m->alt_lo + alt;
    page->alt_lo = m->alt_lo;
    page->alt_hi = m->alt_hi;
    mutator_self = m;
    barrier_self = &m->barriers;
    guard_register();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_SIGINFO;
    sa.sa_sigaction = child_sample;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPROF, &sa, NULL);
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sa.sa_sigaction = shape_trap_handler;
    sigaction(SIGILL, &sa, NULL);
    /* the signal return trampoline, known before the first trap: the
     * handler learns it only after its first instruction, and a walker
     * sampled there would be judged without it (as stress's sampler does) */
    struct sigaction now;
    if (sigaction(SIGILL, NULL, &now) == 0 && now.sa_restorer)
        shapes_learn_signal_return((uintptr_t)now.sa_restorer);
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);

    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
        _exit(4);
    page->filtered = trace_only_sigreturn();
    raise(SIGSTOP); /* attached: the parent sets its options */
    raise(SIGSTOP); /* the program starts: the parent steps from here */
    shape_fns[SHAPE_ROOT](m);
    raise(SIGSTOP); /* the program ended */
    _exit(0);
}

/* ---- the parent --------------------------------------------------------- */

typedef struct frame {
    uintptr_t ra, slot;
    bool signal;   /* the kernel's signal frame (its entry is the interrupted PC) */
    bool recorded; /* the child's shadow has reached this frame's depth */
} frame;

typedef struct tracer {
    pid_t pid;
    frame f[TRUTH_MAX];
    unsigned n;
    uintptr_t alt_lo, alt_hi;
    bool filtered; /* the child's seccomp filter is in place (sweep_page) */
    uintptr_t root_ra; /* the return address of the program's root call */
    sweep_result *r;
    unsigned cap;
    const sweep_config *c;
} tracer;

static bool on_alt(const tracer *t, uintptr_t a) { return a >= t->alt_lo && a < t->alt_hi; }

/* Frames whose slot is below the stack pointer (on its stack) are gone; so
 * are the signal stack's frames once the stack pointer has left it. */
static void prune(tracer *t, uintptr_t sp)
{
    while (t->n) {
        const frame *top = &t->f[t->n - 1];
        bool alt = on_alt(t, top->slot);
        if ((alt == on_alt(t, sp) && top->slot < sp) || (alt && !on_alt(t, sp)))
            t->n--;
        else
            break;
    }
}

static void push(tracer *t, uintptr_t ra, uintptr_t slot, bool signal)
{
    if (t->n < TRUTH_MAX)
        t->f[t->n++] = (frame){ra, slot, signal, false};
}

/* Whether the instruction at rip, ending at ra, is a call. Decoded, not
 * guessed from where it went: a call may go to the next instruction (a
 * noreturn call at a function's end, shapes_packed.c). */
static bool stepped_a_call(const tracer *t, uintptr_t rip, uintptr_t ra)
{
    if (ra <= rip || ra > rip + 9)
        return false;
    unsigned char bytes[16];
    for (unsigned k = 0; k < 2; k++) {
        errno = 0;
        long word = ptrace(PTRACE_PEEKDATA, t->pid, (void *)(ra - 16 + 8 * k), NULL);
        if (errno)
            return false;
        memcpy(bytes + 8 * k, &word, sizeof word);
    }
    return shape_is_call(bytes + 16, (unsigned)(ra - rip));
}

/* What one step did to the truth: a call pushed a return address just past
 * the instruction it executed; anything that raised the stack pointer above
 * a frame's slot popped it. */
static void follow(tracer *t, const struct user_regs_struct *before,
                   const struct user_regs_struct *after)
{
    if (after->rsp == before->rsp - 8) {
        errno = 0;
        long word = ptrace(PTRACE_PEEKDATA, t->pid, (void *)after->rsp, NULL);
        uintptr_t ra = (uintptr_t)word;
        if (errno == 0 && stepped_a_call(t, before->rip, ra)) {
            if (t->n == 0 && after->rip == shape_start(SHAPE_ROOT))
                t->root_ra = ra;
            push(t, ra, after->rsp, false);
            return;
        }
    }
    prune(t, after->rsp);
}

static sweep_pc *pc_entry(tracer *t, uintptr_t pc)
{
    sweep_result *r = t->r;
    unsigned mask = t->cap - 1, i = (unsigned)((pc * 0x9e3779b97f4a7c15ull) >> 40) & mask;
    while (r->pcs[i].pc && r->pcs[i].pc != pc)
        i = (i + 1) & mask;
    if (!r->pcs[i].pc) {
        if (r->npcs + 1 >= t->cap)
            return NULL; /* full: the PC is counted in its region only */
        r->pcs[i].pc = pc;
        r->npcs++;
    }
    return &r->pcs[i];
}

/* The region of the instruction at pc; also notes, on the top frame, that
 * the child's shadow has reached it (the end of its prologue). */
static unsigned region_update(tracer *t, const sweep_page *p, uintptr_t pc)
{
    if (pc >= barrier_text_lo() && pc < barrier_text_hi())
        return REGION_TRAMPOLINE;
    for (unsigned i = 0; i < t->n; i++)
        if (t->f[i].signal)
            return REGION_SIGNAL;
    if (p->shape < 0 || p->shape == SHAPE_LEAF || p->shape == SHAPE_LEAF_NOFP ||
        p->shape == SHAPE_LEAF_PACKED || p->shape == SHAPE_LEAF_LEAVE)
        return REGION_LEAF;
    if (p->shape == SHAPE_ROOT)
        return REGION_BODY;
    /* the truth holds the root's frame besides the shadow's */
    frame *top = &t->f[t->n - 1];
    if (pc == shape_start((unsigned)p->shape))
        top->recorded = false; /* a function's entry: after a tail call, a new prologue */
    if (p->shadow_depth + 1 >= t->n) {
        top->recorded = true;
        return REGION_BODY;
    }
    return top->recorded ? REGION_EPILOGUE : REGION_PROLOGUE;
}

/* The tracer's watchdog: a sample that takes longer than this is a stuck
 * walk; the tracer sends the child the guard's watchdog signal, which ends
 * the walk (guard.h) as in stress. */
enum { SAMPLE_SECONDS = 2 * ENGINE_SLOWDOWN };
static volatile sig_atomic_t alarmed;
static void on_alarm(int sig) { (void)sig; alarmed = 1; }

static int wait_stop(pid_t pid, int *status)
{
    for (;;) {
        if (waitpid(pid, status, __WALL) < 0) {
            if (errno == EINTR) {
                if (alarmed) {
                    alarmed = 0;
                    syscall(SYS_tgkill, pid, pid, guard_watchdog_signal());
                }
                continue;
            }
            return -1;
        }
        return WIFSTOPPED(*status) ? 0 : -1;
    }
}

static int sample_wait(tracer *t, const struct user_regs_struct *at);

/* One sample at the instruction the child is stopped at (steps 2 and 3). */
static int sample_here(tracer *t, sweep_page *p, const struct user_regs_struct *at)
{
    p->truth_n = t->n;
    for (unsigned k = 0; k < t->n; k++) {
        const frame *f = &t->f[t->n - 1 - k];
        p->truth[k] = f->ra;
        p->truth_slot[k] = f->signal ? 0 : f->slot;
    }
    /* queued, not injected: a stop that is not a signal-delivery stop (the
     * kernel's notice that a handler was entered while stepping) ignores an
     * injected signal; a queued one is reported first, then delivered */
    if (syscall(SYS_tgkill, t->pid, t->pid, SIGPROF) != 0)
        return -1;
    struct itimerval limit = {{0, 0}, {SAMPLE_SECONDS, 0}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &limit, NULL);
    int rc = sample_wait(t, at);
    setitimer(ITIMER_REAL, &off, NULL);
    alarmed = 0;
    return rc;
}

static bool seccomp_stop(int status)
{
    return status >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8));
}

static int sample_wait(tracer *t, const struct user_regs_struct *at)
{
    int sig = 0, status;
    int resume = t->filtered ? PTRACE_CONT : PTRACE_SYSCALL;
    for (;;) {
        if (ptrace(resume, t->pid, NULL, (void *)(long)sig) != 0 ||
            wait_stop(t->pid, &status) != 0)
            return -1;
        sig = 0;
        int s = WSTOPSIG(status);
        resume = t->filtered ? PTRACE_CONT : PTRACE_SYSCALL;
        if (seccomp_stop(status)) {
            resume = PTRACE_SYSCALL; /* an rt_sigreturn: to its exit */
        } else if (s == (SIGTRAP | 0x80)) {
            struct user_regs_struct regs;
            ptrace(PTRACE_GETREGS, t->pid, NULL, &regs);
            /* rt_sigreturn's exit (it sets orig_rax to -1: no restart) */
            if (regs.rip == at->rip && regs.rsp == at->rsp)
                return 0; /* back where it was interrupted */
        } else if (s != SIGTRAP) {
            sig = s; /* the handler's own (a walker's fault): deliver it */
        }
    }
}

static void tell_error(tracer *t, const sweep_page *p, uintptr_t pc, unsigned region,
                       unsigned v)
{
    char *told = t->r->first_wrong[region];
    char where[64];
    sweep_describe_pc(where, sizeof where, pc);
    int len = snprintf(told, 512, "%s at %s (%s), frame %d %s; truth:", verdict_name((verdict)v),
                       where, sweep_region_name(region), p->at,
                       v == VERDICT_LOST ? "is missing" : "differs");
    for (unsigned k = 0; k < p->truth_n && k < 12 && len < 400; k++) {
        describe(where, sizeof where, p->truth[k], true);
        len += snprintf(told + len, 512 - (size_t)len, " %s", where);
    }
    len += snprintf(told + len, 512 - (size_t)len, "; walk:");
    for (int k = 1; k < p->walk_n && k < 13 && len < 440; k++) {
        describe(where, sizeof where, p->walk[k], true);
        len += snprintf(told + len, 512 - (size_t)len, " %s", where);
    }
    if (p->stop_why && len < 480)
        snprintf(told + len, 512 - (size_t)len, "; the walker said: %s (%ld)",
                 view_stop_name(p->stop_why), p->stop_code);
}

/* n bytes of the child's memory at addr (zeros where it cannot be read). */
static void peek_bytes(const tracer *t, uintptr_t addr, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i += sizeof(long)) {
        errno = 0;
        long word = ptrace(PTRACE_PEEKDATA, t->pid, (void *)(addr + i), NULL);
        if (errno)
            word = 0;
        memcpy(out + i, &word, n - i < sizeof word ? n - i : sizeof word);
    }
}

static void keep_evidence(tracer *t, const sweep_page *p, uintptr_t pc, sweep_pc *e, unsigned v)
{
    sweep_result *r = t->r;
    if (e->evidence || r->nevidence >= SWEEP_EVIDENCE_MAX)
        return;
    sweep_evidence *ev = &r->evidence[r->nevidence++];
    e->evidence = r->nevidence;
    ev->verdict = (uint8_t)v;
    ev->frame = (int8_t)p->at;
    ev->stop_why = (uint8_t)p->stop_why;
    ev->stop_code = p->stop_code;
    ev->stop_last = p->stop_last;
    ev->truth_n = (uint8_t)(p->truth_n < EVIDENCE_FRAMES ? p->truth_n : EVIDENCE_FRAMES);
    memcpy(ev->truth, p->truth, ev->truth_n * sizeof ev->truth[0]);
    unsigned walk_n = p->walk_n > 1 ? (unsigned)p->walk_n - 1 : 0; /* walk[0] is the PC */
    ev->walk_n = (uint8_t)(walk_n < EVIDENCE_FRAMES ? walk_n : EVIDENCE_FRAMES);
    memcpy(ev->walk, p->walk + 1, ev->walk_n * sizeof ev->walk[0]);
    peek_bytes(t, pc - EVIDENCE_BYTES, ev->before, EVIDENCE_BYTES);
    peek_bytes(t, pc, ev->code, EVIDENCE_BYTES);
    memcpy(ev->fault, p->fault, sizeof ev->fault);
    ev->fault[sizeof ev->fault - 1] = '\0';
}

static void file_verdict(tracer *t, const sweep_page *p, uintptr_t pc)
{
    sweep_result *r = t->r;
    unsigned region = region_update(t, p, pc);
    unsigned v = (unsigned)p->verdict < VERDICT_COUNT ? (unsigned)p->verdict : VERDICT_WRONG;
    r->region[region].n[v]++;
    r->total.n[v]++;
    r->instructions++;
    if (v == VERDICT_FAULT)
        r->faults++;
    r->findings = p->findings;
    if (p->first_finding[0] && !r->first_finding[0])
        snprintf(r->first_finding, sizeof r->first_finding, "%s", p->first_finding);
    sweep_pc *e = pc_entry(t, pc);
    if (e) {
        e->region = (uint8_t)region;
        e->c.n[v]++;
        if (verdict_is_wrong((verdict)v) || v == VERDICT_FAULT)
            keep_evidence(t, p, pc, e, v);
    }
    if (verdict_is_wrong((verdict)v) && !r->first_wrong[region][0])
        tell_error(t, p, pc, region, v);
}

/* Steps the program to its end (the child's last SIGSTOP). */
static int trace(tracer *t, sweep_page *p)
{
    struct user_regs_struct before, after;
    int status, sig = 0;
    ptrace(PTRACE_GETREGS, t->pid, NULL, &before);
    for (;;) {
        if (ptrace(PTRACE_SINGLESTEP, t->pid, NULL, (void *)(long)sig) != 0 ||
            wait_stop(t->pid, &status) != 0)
            return -1;
        if (seccomp_stop(status)) {
            sig = 0; /* stepping into the handler's rt_sigreturn: step it */
            continue;
        }
        int s = WSTOPSIG(status);
        ptrace(PTRACE_GETREGS, t->pid, NULL, &after);
        if (sig == SIGILL) {
            /* the trap delivered: the handler's first instruction, its return
             * address (the signal return) at the stack pointer, the kernel's
             * signal frame just above */
            errno = 0;
            uintptr_t ra = (uintptr_t)ptrace(PTRACE_PEEKDATA, t->pid, (void *)after.rsp, NULL);
            push(t, before.rip, after.rsp + 8, true);
            push(t, ra, after.rsp, false);
        } else if (s == SIGTRAP) {
            follow(t, &before, &after);
        }
        sig = 0;
        if (s == SIGSTOP)
            return 0; /* the end */
        if (s == SIGILL) {
            sig = SIGILL; /* deliver it with the next step */
            before = after;
            continue;
        }
        if (s != SIGTRAP) {
            sig = s;
            before = after;
            continue;
        }
        /* the program is the root's call and what it calls */
        if (t->n > 0 && t->f[0].ra == t->root_ra) {
            if (sample_here(t, p, &after) != 0)
                return -1;
            file_verdict(t, p, (uintptr_t)after.rip);
        }
        before = after;
    }
}

int sweep_run(const sweep_config *c, sweep_result *r)
{
    memset(r, 0, sizeof *r);
#ifdef ENGINE_TSAN
    /* its handlers run late, at an interceptor, not at the instruction the
     * tracer delivered the signal at: there is nothing to sweep */
    fprintf(stderr, "stackrace: sweep: not in a ThreadSanitizer build (it defers signal "
                    "handlers); use another preset\n");
    return 2;
#endif
    static stress_config sc;
    stress_defaults(&sc, c->walker);
    char why[256];
    shapes_init(why, sizeof why);
    sc.shapes = c->shapes;
    sc.call_budget = c->calls;
    sc.self_barriers = c->barriers;
    sc.foreign_pm = c->barriers ? 20 : 0;
    sc.max_depth = 24;
    sweep_page *p = mmap(NULL, sizeof *p, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "stackrace: sweep: mmap: %s\n", strerror(errno));
        return 2;
    }
    page = p;
    tracer t = {.r = r, .c = c, .cap = SWEEP_PC_TABLE};
    r->pcs = calloc(t.cap, sizeof *r->pcs);
    r->evidence = calloc(SWEEP_EVIDENCE_MAX, sizeof *r->evidence);
    if (!r->pcs || !r->evidence) {
        sweep_free(r);
        munmap(p, sizeof *p);
        fprintf(stderr, "stackrace: sweep: out of memory\n");
        return 2;
    }
    guard_reset();
    guard_start(SAMPLE_SECONDS); /* the limit a stopped walk is told with */
    guard_stop(); /* the child inherits the handlers; its watchdog is the tracer's alarm */
    struct sigaction alarm_sa;
    memset(&alarm_sa, 0, sizeof alarm_sa);
    alarm_sa.sa_handler = on_alarm; /* no SA_RESTART: it must interrupt waitpid */
    sigaction(SIGALRM, &alarm_sa, NULL);
    double t0 = clk_seconds();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        child_main(c, &sc);
    t.pid = pid;
    int status, rc = -1;
    if (pid > 0 && wait_stop(pid, &status) == 0 &&
        ptrace(PTRACE_SETOPTIONS, pid, NULL,
               (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACESECCOMP)) == 0 &&
        ptrace(PTRACE_CONT, pid, NULL, NULL) == 0 && wait_stop(pid, &status) == 0) {
        t.filtered = p->filtered;
        t.alt_lo = p->alt_lo;
        t.alt_hi = p->alt_hi;
        rc = trace(&t, p);
    }
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, __WALL);
    }
    r->seconds = clk_seconds() - t0;
    munmap(p, sizeof *p);
    page = NULL;
    if (rc != 0) {
        fprintf(stderr, "stackrace: sweep: the traced child %s (ptrace: %s)\n",
                pid < 0 ? "could not be forked" : "was lost", strerror(errno));
        return 2;
    }
    return 0;
}

void sweep_free(sweep_result *r)
{
    free(r->pcs);
    free(r->evidence);
    r->pcs = NULL;
    r->evidence = NULL;
}
