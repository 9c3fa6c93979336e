/*
 * libgcc.c — libgcc_s's _Unwind_Backtrace, the DWARF unwinder under C++
 * exceptions and glibc's backtrace(). A live walker: it unwinds the
 * handler's own stack, through the kernel's signal frame (glibc's
 * __restore_rt carries CFI that describes the saved registers), by
 * .eh_frame; _Unwind_GetIP gives each frame's PC. Reached through dlopen
 * with prototypes of our own (the Itanium C++ ABI's unwinding interface).
 */
#include <stdint.h>

#include "dl.h"
#include "walkers.h"

struct _Unwind_Context;
typedef int (*unwind_trace_fn)(struct _Unwind_Context *, void *);
enum { URC_NO_REASON = 0, URC_END_OF_STACK = 5 };

static int (*unwind_backtrace)(unwind_trace_fn, void *);
static uintptr_t (*unwind_get_ip)(struct _Unwind_Context *);

typedef struct collect {
    uintptr_t *pcs;
    int n, max;
} collect;

static int one_frame(struct _Unwind_Context *ctx, void *arg)
{
    collect *c = arg;
    if (c->n >= c->max)
        return URC_END_OF_STACK;
    c->pcs[c->n++] = unwind_get_ip(ctx);
    return URC_NO_REASON;
}

static int libgcc_init(char *why, size_t n)
{
    static const char *const names[] = {"libgcc_s.so.1", NULL};
    static const char *const syms[] = {"_Unwind_Backtrace", "_Unwind_GetIP", NULL};
    void *fns[2];
    void *lib = walker_dlopen(names, why, n);
    if (!lib || !walker_dlsyms(lib, "libgcc_s.so.1", syms, fns, why, n))
        return -1;
    unwind_backtrace = (int (*)(unwind_trace_fn, void *))fns[0];
    unwind_get_ip = (uintptr_t(*)(struct _Unwind_Context *))fns[1];
    return 0;
}

/* _Unwind_Backtrace's code: _URC_END_OF_STACK (5) also when no FDE covers
 * the next frame (libgcc's uw_frame_state_for says so for both). */
static int libgcc_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    collect c = {pcs, 0, max};
    int rc = unwind_backtrace(one_frame, &c);
    int why = c.n >= max ? SR_STOP_DEPTH : rc == URC_END_OF_STACK ? SR_STOP_END : SR_STOP_ERROR;
    return sr_walk_end_because(w, c.n, why, rc, 0);
}

const sr_walker walker_libgcc = {
    .name = "libgcc",
    .description = "libgcc_s _Unwind_Backtrace from the handler (.eh_frame)",
    .flags = SR_WALKER_LIVE,
    .init = libgcc_init,
    .walk = libgcc_walk,
};
