/*
 * mutator.c — a mutator's thread: its stacks, its life, its foreign calls.
 *
 * Compiled with frame pointers: mutator_foreign saves its caller's context
 * from its own frame.
 */
#include "mutator.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "aim.h"
#include "guard.h"
#include "shapes.h"
#include "stress.h"

__thread mutator *mutator_self;

/* max_depth frames of the largest shape (shapes_fp.c: about 21 KiB) fit in
 * either, with room for the kernel's signal frames */
enum { STACK_BYTES = 8u << 20, ALT_BYTES = 2u << 20, GUARD = 4096 };

static void *map_stack(size_t bytes, void **map, size_t *map_size)
{
    *map_size = bytes + GUARD;
    void *p = mmap(NULL, *map_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    mprotect(p, GUARD, PROT_NONE);
    *map = p;
    return (char *)p + GUARD;
}

static void *mutator_main(void *arg)
{
    mutator *m = arg;
    m->pid = getpid();
    __atomic_store_n(&m->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
    mutator_self = m;
    barrier_self = &m->barriers;
    guard_register();
    /* no signal stack until a trap asks for ours (AddressSanitizer gives
     * every thread one of its own, which the shadow would not know) */
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
    if (m->cfg->aim)
        aim_open(m);
    shape_fns[SHAPE_ROOT](m);
    aim_close(m);
    if (m->on_alt)
        sigaltstack(&off, NULL);
    mutator_self = NULL;
    return NULL;
}

int mutator_start(mutator *m, unsigned index, const stress_config *cfg, uint64_t seed)
{
    m->index = index;
    m->cfg = cfg;
    m->rng = seed;
    void *stack = map_stack(STACK_BYTES, &m->stack_map, &m->stack_map_size);
    void *alt = map_stack(ALT_BYTES, &m->alt_map, &m->alt_map_size);
    if (!stack || !alt)
        return ENOMEM;
    m->stack_lo = (uintptr_t)stack;
    m->stack_hi = (uintptr_t)stack + STACK_BYTES;
    m->alt_lo = (uintptr_t)alt;
    m->alt_hi = (uintptr_t)alt + ALT_BYTES;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stack, STACK_BYTES);
    int rc = pthread_create(&m->thread, &attr, mutator_main, m);
    pthread_attr_destroy(&attr);
    return rc;
}

void mutator_stop(mutator *m)
{
    atomic_store(&m->stop, 1);
    pthread_join(m->thread, NULL);
}

void mutator_unmap(mutator *m)
{
    if (m->stack_map)
        munmap(m->stack_map, m->stack_map_size);
    if (m->alt_map)
        munmap(m->alt_map, m->alt_map_size);
    m->stack_map = m->alt_map = NULL;
}

bool mutator_hold(mutator *m, unsigned bit)
{
    unsigned s = atomic_load_explicit(&m->state, memory_order_relaxed);
    while ((s & MUT_FOREIGN) && !(s & bit))
        if (atomic_compare_exchange_weak_explicit(&m->state, &s, s | bit, memory_order_acquire,
                                                  memory_order_relaxed))
            return true;
    return false;
}

void mutator_release(mutator *m, unsigned bit)
{
    atomic_fetch_and_explicit(&m->state, ~bit, memory_order_release);
}

bool mutator_owns(const mutator *m, uintptr_t addr, size_t n)
{
    return (addr >= m->stack_lo && addr + n <= m->stack_hi) ||
           (addr >= m->alt_lo && addr + n <= m->alt_hi);
}

/* The foreign call. Saves the caller's context (its resume PC, its stack
 * pointer after the call returns, its frame pointer), publishes FOREIGN and
 * blocks; on the way back waits while the scanner holds the stack (SCAN). */
/* The sweep's foreign call: nobody else is there to rewrite this stack, so
 * the thread does it itself, alternately installing and removing. */
static void self_barriers(mutator *m)
{
    uintptr_t bad;
    barrier_lock(&m->barriers);
    if (m->barriers.pos == m->barriers.n) {
        m->barriers.n = m->barriers.pos = 0;
        barrier_install(&m->barriers, &m->shadow, &bad);
    } else {
        barrier_remove(&m->barriers, &bad);
    }
    barrier_unlock(&m->barriers);
}

__attribute__((noinline)) void mutator_foreign(mutator *m, unsigned us)
{
    if (m->cfg->self_barriers) {
        self_barriers(m);
        return;
    }
    uintptr_t *frame = __builtin_frame_address(0);
    m->saved.pc = (uintptr_t)__builtin_return_address(0);
    m->saved.sp = (uintptr_t)(frame + 2);
    m->saved.fp = frame[0];
    atomic_store_explicit(&m->foreign_calls,
                          atomic_load_explicit(&m->foreign_calls, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    atomic_store_explicit(&m->state, MUT_FOREIGN, memory_order_release);

    struct timespec now, until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += (long)us * 1000;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    do {
        /* a sample interrupts the sleep (EINTR): sleep on to the deadline */
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec < until.tv_sec ||
             (now.tv_sec == until.tv_sec && now.tv_nsec < until.tv_nsec));

    for (;;) {
        unsigned expect = MUT_FOREIGN;
        if (atomic_compare_exchange_weak_explicit(&m->state, &expect, MUT_RUNNING,
                                                  memory_order_acquire, memory_order_relaxed))
            break;
        sched_yield(); /* the scanner is installing or removing barriers */
    }
}
