/*
 * scanner.c — the barrier scanner (scanner.h).
 */
#include "scanner.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <time.h>

#include "findings.h"

static mutator *muts;
static unsigned nmuts;
static pthread_t thread;
static bool started;
static atomic_int stopping;
static atomic_ulong cycles, installed, removed;


static void slot_finding(const char *message, const mutator *m, uintptr_t slot)
{
    char detail[96];
    fmtbuf b;
    fmt_init(&b, detail, sizeof detail);
    fmt_str(&b, "thread ");
    fmt_u(&b, m->index);
    fmt_str(&b, ", slot ");
    fmt_hex(&b, slot);
    findings_add("rewriter", message, detail);
}

void scanner_install(mutator *m)
{
    uintptr_t bad = 0;
    barrier_lock(&m->barriers);
    int n = barrier_install(&m->barriers, &m->shadow, &bad);
    barrier_unlock(&m->barriers);
    if (n < 0)
        slot_finding("a recorded return slot does not hold its frame's return address", m, bad);
    else
        atomic_fetch_add(&installed, (unsigned long)n);
}

void scanner_remove(mutator *m)
{
    uintptr_t bad = 0;
    barrier_lock(&m->barriers);
    int n = barrier_remove(&m->barriers, &bad);
    barrier_unlock(&m->barriers);
    if (n < 0) {
        slot_finding("a live barrier's slot no longer holds the trampoline (barrier lost)", m, bad);
        return;
    }
    atomic_fetch_add(&removed, (unsigned long)n);
    const shadow *s = &m->shadow;
    for (unsigned i = 0; i < s->depth; i++)
        if (s->f[i].kind == FRAME_CALL && s->f[i].slot &&
            *(volatile uintptr_t *)s->f[i].slot == barrier_pc())
            slot_finding("a return slot still holds the trampoline after removal", m,
                         s->f[i].slot);
}

/* One pass: apply fn to every mutator once, each when it is parked. */
static void pass(void (*fn)(mutator *))
{
    bool done[64] = {false};
    unsigned left = nmuts;
    while (left && !atomic_load_explicit(&stopping, memory_order_relaxed)) {
        for (unsigned i = 0; i < nmuts; i++) {
            if (done[i] || !mutator_hold(&muts[i], MUT_SCAN))
                continue;
            fn(&muts[i]);
            mutator_release(&muts[i], MUT_SCAN);
            done[i] = true;
            left--;
        }
        if (left) {
            /* nobody parked just now: let the mutators run rather than spin */
            struct timespec nap = {0, 20 * 1000};
            nanosleep(&nap, NULL);
        }
    }
}

static void *scanner_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&stopping)) {
        pass(scanner_install);
        pass(scanner_remove);
        atomic_fetch_add(&cycles, 1);
    }
    return NULL;
}

void scanner_reset(void)
{
    atomic_store(&cycles, 0);
    atomic_store(&installed, 0);
    atomic_store(&removed, 0);
}

int scanner_start(mutator *ms, unsigned n)
{
    muts = ms;
    nmuts = n;
    atomic_store(&stopping, 0);
    int rc = pthread_create(&thread, NULL, scanner_main, NULL);
    started = rc == 0;
    return rc;
}

void scanner_stop(void)
{
    atomic_store(&stopping, 1);
    if (started)
        pthread_join(thread, NULL);
    started = false;
}

void scanner_counts(uint64_t *c, uint64_t *i, uint64_t *r)
{
    *c = atomic_load(&cycles);
    *i = atomic_load(&installed);
    *r = atomic_load(&removed);
}
