/*
 * guard.h — every walk runs under a guard: a fault inside the walker is
 * caught and reported, a walk that does not end is stopped by the
 * watchdog, and what the walker calls while it runs (malloc, locks, dlopen:
 * signal_safety.c) is checked. The run goes on after each.
 *
 * The guard is per thread (a mutator walking itself in its handler, the
 * profiler walking another): it is armed around one call of the walker,
 * after a sigsetjmp that does not save the signal mask (both handlers are
 * SA_NODEFER with empty masks, so the mask at the siglongjmp is the mask of
 * the walk: no system call per sample); the fault handler (SIGSEGV, SIGBUS) and the
 * watchdog's signal siglongjmp back to it when it is armed, and the walk
 * ends as a finding with the walker's name, the faulting PC, the fault
 * address and the walked thread's stack bounds. A fault with no armed guard
 * is the harness's own: it is told on stderr, then takes its default action.
 *
 * What a caught walker leaves behind (a lock it held, a half-updated cache)
 * stays behind: later walks may fault or stall again, and are reported
 * again (counted on the same finding).
 */
#ifndef STRESS_GUARD_H
#define STRESS_GUARD_H
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct walk_guard {
    sigjmp_buf jb;
    volatile int armed;
    bool in_handler;          /* the walk runs in a signal handler (else: a thread is stopped) */
    const char *walker;
    pid_t tid;
    atomic_llong started_ns;  /* CLOCK_MONOTONIC when armed; 0 when not */
    atomic_ulong walk;        /* walks armed so far */
    atomic_ulong kicked;      /* the walk the watchdog signalled about */
    /* what ended it, set by the fault or watchdog handler */
    volatile int sig;
    volatile uintptr_t fault_pc, fault_addr;
} walk_guard;

/* The calling thread's guard (created on first use, outside any handler:
 * guard_register). */
walk_guard *guard_self(void);
/* Makes the calling thread's guard (call when a walking thread starts). */
void guard_register(void);
/* Forgets every thread's guard (between runs: their threads are gone). */
void guard_reset(void);
/* Installs the fault and watchdog handlers, starts the watchdog thread
 * (limit: seconds a walk may take). 0 or an errno. */
int guard_start(double limit);
void guard_stop(void);
/* The watchdog's signal (sweep's tracer sends it to a stuck child). */
int guard_watchdog_signal(void);
/* How a caught walk is described: the library a PC belongs to. */
void guard_describe_pc(char *out, size_t n, uintptr_t pc);

/* A caught walk, told the same way by every engine: what befell walker into
 * msg, and where (the PC as library+offset, the fault address) into detail,
 * for the caller to add the walk's context to. Returns the finding's check:
 * "walker-fault" or "watchdog". Async-signal-safe. */
struct fmtbuf;
const char *guard_tell(const walk_guard *g, const char *walker, struct fmtbuf *msg,
                       struct fmtbuf *detail);

/* Arming, in the walking thread (see sampler.c for the pattern):
 *     g->walker = name; g->in_handler = ...;
 *     if (sigsetjmp(g->jb, 0) == 0) { guard_arm(g); n = walk(...); guard_disarm(g); }
 *     else { caught: g->sig says why (SIGSEGV, SIGBUS or GUARD_WATCHDOG) }
 */
enum { GUARD_WATCHDOG = 0x100 };
void guard_arm(walk_guard *g);
void guard_disarm(walk_guard *g);
#endif
