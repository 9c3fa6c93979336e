/*
 * glibc.c — glibc's backtrace(), as a profiler calls it from its handler.
 *
 * A live walker: backtrace() unwinds the stack it runs on, through the
 * handler and the kernel's signal frame, with libgcc_s's DWARF unwinder,
 * which glibc loads with dlopen on the first call (sysdeps/generic/
 * unwind-link.c in glibc 2.34+). That first call allocates and takes the
 * loader's lock: called cold from a signal handler it is not
 * async-signal-safe. The engine's signal-safety check sees the allocations
 * (the loader calls the public malloc); the loader's lock is internal and it
 * does not see that. The walker is deliberately not warmed up.
 */
#include <dlfcn.h>

#include "dl.h"
#include "walkers.h"

static int (*glibc_backtrace)(void **, int);

static int glibc_init(char *why, size_t n)
{
    static const char *const names[] = {"libc.so.6", NULL};
    static const char *const syms[] = {"backtrace", NULL};
    void *lib = walker_dlopen(names, why, n);
    return lib && walker_dlsyms(lib, "libc.so.6", syms, (void **)&glibc_backtrace, why, n) ? 0
                                                                                          : -1;
}

static int glibc_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    (void)w;
    return glibc_backtrace((void **)pcs, max);
}

const sr_walker walker_glibc = {
    .name = "glibc",
    .description = "glibc backtrace() from the handler (libgcc_s underneath, loaded on first use)",
    .flags = SR_WALKER_LIVE,
    .init = glibc_init,
    .walk = glibc_walk,
};
