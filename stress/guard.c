/*
 * guard.c — fault catching and the watchdog around every walk (guard.h).
 */
#include "guard.h"

#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "clock.h"
#include "findings.h"
#include "unwind_info.h"

enum { GUARDS_MAX = 40, LIBS_MAX = 64 };

static walk_guard guards[GUARDS_MAX];
static atomic_uint nguards;
static __thread walk_guard *self __attribute__((tls_model("initial-exec")));
static int watchdog_signal;
static long long limit_ns;
static atomic_int stopping;
static pthread_t watchdog;
static bool watchdog_started;

/* The objects loaded when the run starts, to name a PC without dladdr
 * (which takes the loader's lock: not in a handler). */
static struct lib {
    char name[48];
    uintptr_t lo, hi;
} libs[LIBS_MAX];
static unsigned nlibs;


void guard_register(void)
{
    if (self)
        return;
    unsigned i = atomic_fetch_add(&nguards, 1);
    if (i >= GUARDS_MAX)
        return; /* walks on this thread run unguarded */
    self = &guards[i];
    self->tid = (pid_t)syscall(SYS_gettid);
}

walk_guard *guard_self(void) { return self; }

void guard_reset(void)
{
    atomic_store(&nguards, 0);
    memset(guards, 0, sizeof guards);
}

void guard_arm(walk_guard *g)
{
    atomic_fetch_add_explicit(&g->walk, 1, memory_order_relaxed);
    atomic_store_explicit(&g->started_ns, clk_ns(), memory_order_relaxed);
    g->armed = 1;
}

int guard_watchdog_signal(void) { return watchdog_signal; }

void guard_disarm(walk_guard *g)
{
    g->armed = 0;
    atomic_store_explicit(&g->started_ns, 0, memory_order_relaxed);
}

static void say(const char *s) { (void)!write(2, s, strlen(s)); }

/* A fault: the armed walker's (back to its sample), or the harness's own. */
static void on_fault(int sig, siginfo_t *si, void *ucv)
{
    const ucontext_t *uc = ucv;
    walk_guard *g = self;
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    if (g && g->armed) {
        g->armed = 0;
        g->sig = sig;
        g->fault_pc = pc;
        g->fault_addr = (uintptr_t)si->si_addr;
        siglongjmp(g->jb, 1);
    }
    char line[160], where[64];
    fmtbuf b;
    fmt_init(&b, line, sizeof line);
    fmt_str(&b, sig == SIGSEGV ? "stackrace: SIGSEGV" : "stackrace: SIGBUS");
    fmt_str(&b, " outside any walk, at ");
    guard_describe_pc(where, sizeof where, pc);
    fmt_str(&b, where);
    fmt_str(&b, ", address ");
    fmt_hex(&b, (uintptr_t)si->si_addr);
    fmt_str(&b, " (a fault of the harness itself)\n");
    say(line);
    signal(sig, SIG_DFL); /* returning re-executes the access: the default action */
}

static void on_watchdog(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si;
    const ucontext_t *uc = ucv;
    walk_guard *g = self;
    if (!g || !g->armed)
        return;
    /* the walk the watchdog meant, not one armed since (kicked == 0: the
     * sweep's tracer, which does not know the walk's number) */
    unsigned long kicked = atomic_load(&g->kicked);
    if (kicked == 0 || kicked == atomic_load(&g->walk)) {
        g->armed = 0;
        g->sig = GUARD_WATCHDOG;
        g->fault_pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
        g->fault_addr = 0;
        siglongjmp(g->jb, 1);
    }
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&stopping)) {
        struct timespec nap = {0, 20 * 1000 * 1000};
        nanosleep(&nap, NULL);
        long long now = clk_ns();
        unsigned n = atomic_load(&nguards);
        for (unsigned i = 0; i < n && i < GUARDS_MAX; i++) {
            walk_guard *g = &guards[i];
            unsigned long walk = atomic_load(&g->walk);
            long long t = atomic_load_explicit(&g->started_ns, memory_order_relaxed);
            if (t && now - t > limit_ns && atomic_load(&g->kicked) != walk) {
                atomic_store(&g->kicked, walk);
                syscall(SYS_tgkill, getpid(), g->tid, watchdog_signal);
            }
        }
    }
    return NULL;
}

static int add_lib(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size, (void)arg;
    if (nlibs >= LIBS_MAX)
        return 1;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < lo)
            lo = a;
        if (a + ph->p_memsz > hi)
            hi = a + ph->p_memsz;
    }
    const char *name = info->dlpi_name && *info->dlpi_name ? info->dlpi_name : "stackrace";
    const char *base = strrchr(name, '/');
    fmtbuf b;
    fmt_init(&b, libs[nlibs].name, sizeof libs[nlibs].name);
    fmt_str(&b, base ? base + 1 : name);
    libs[nlibs].lo = lo;
    libs[nlibs].hi = hi;
    nlibs++;
    return 0;
}

void guard_describe_pc(char *out, size_t n, uintptr_t pc)
{
    fmtbuf b;
    fmt_init(&b, out, n);
    for (unsigned i = 0; i < nlibs; i++)
        if (pc >= libs[i].lo && pc < libs[i].hi) {
            fmt_str(&b, libs[i].name);
            fmt_str(&b, "+");
            fmt_hex(&b, pc - libs[i].lo);
            return;
        }
    fmt_hex(&b, pc);
}

const char *guard_tell(const walk_guard *g, const char *walker, fmtbuf *msg, fmtbuf *detail)
{
    fmt_str(msg, "walker ");
    fmt_str(msg, walker);
    if (g->sig == GUARD_WATCHDOG) {
        fmt_str(msg, " did not finish a walk in ");
        fmt_u(msg, (uint64_t)((limit_ns + 500000) / 1000000));
        fmt_str(msg, " ms (stopped by the watchdog)");
    } else {
        fmt_str(msg, g->sig == SIGBUS ? " faulted (SIGBUS)" : " faulted (SIGSEGV)");
        fmt_str(msg, " during a walk; caught, the run goes on");
    }
    char where[64];
    fmt_str(detail, "at ");
    guard_describe_pc(where, sizeof where, g->fault_pc);
    fmt_str(detail, where);
    if (g->sig != GUARD_WATCHDOG) {
        fmt_str(detail, ", fault address ");
        fmt_hex(detail, g->fault_addr);
    }
    return g->sig == GUARD_WATCHDOG ? "watchdog" : "walker-fault";
}

int guard_start(double limit)
{
    limit_ns = (long long)(limit * 1e9);
    nlibs = 0;
    dl_iterate_phdr(add_lib, NULL);
    unwind_info_load(); /* the classifier's FDE lookups, from handlers (verdict.h) */
    watchdog_signal = SIGRTMIN + 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sa.sa_sigaction = on_fault;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
        return errno;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sa.sa_sigaction = on_watchdog;
    if (sigaction(watchdog_signal, &sa, NULL))
        return errno;
    atomic_store(&stopping, 0);
    int rc = pthread_create(&watchdog, NULL, watchdog_main, NULL);
    watchdog_started = rc == 0;
    return rc;
}

void guard_stop(void)
{
    atomic_store(&stopping, 1);
    if (watchdog_started)
        pthread_join(watchdog, NULL);
    watchdog_started = false;
}
