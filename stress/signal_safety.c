/*
 * signal_safety.c — the async-signal-safety check: malloc, free, calloc,
 * realloc, dlopen and pthread_mutex_lock reached while a walk runs.
 *
 * POSIX lists the functions a signal handler may call (signal-safety(7));
 * none of these is among them, and for a reason a profiler learns the hard
 * way: the interrupted thread may be inside malloc, holding its lock, and a
 * handler that calls malloc deadlocks on it or corrupts the heap. A walk the
 * profiler makes while another thread is stopped (a remote walk) has the
 * same problem with the stopped thread's locks.
 *
 * The check interposes the functions in the stackrace executable: the
 * dynamic linker binds every object's calls to them here first, libc's own
 * internal calls included (glibc routes its internal allocations through
 * the public malloc so that it can be replaced). Each wrapper looks at the
 * calling thread's walk guard (guard.h): if a walk is armed, it records a
 * finding naming the function, the walker and the caller, then calls
 * through. The allocator calls go to glibc's __libc_* entry points, the
 * others to the next definition (dlsym RTLD_NEXT, resolved outside any
 * handler at start-up).
 *
 * Built into the executables only without sanitizers: AddressSanitizer and
 * ThreadSanitizer define these functions themselves
 * (signal_safety_checked() says whether the check is in).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#include "findings.h"
#include "guard.h"

void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);

static void *(*next_dlopen)(const char *, int);
static int (*next_mutex_lock)(pthread_mutex_t *);

__attribute__((constructor)) static void resolve_next(void)
{
    next_dlopen = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
    next_mutex_lock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_lock");
}

int signal_safety_checked(void) { return 1; }

static void reached(const char *fn, const void *caller)
{
    walk_guard *g = guard_self();
    if (!g || !g->armed)
        return;
    char msg[160], detail[96], where[64];
    fmtbuf b;
    fmt_init(&b, msg, sizeof msg);
    fmt_str(&b, fn);
    fmt_str(&b, g->in_handler ? " called in a signal handler by walker "
                              : " called by walker ");
    fmt_str(&b, g->walker);
    if (!g->in_handler)
        fmt_str(&b, " while the walked thread was stopped");
    fmt_init(&b, detail, sizeof detail);
    fmt_str(&b, "called from ");
    guard_describe_pc(where, sizeof where, (uintptr_t)caller);
    fmt_str(&b, where);
    findings_add("async-signal-safety", msg, detail);
}

void *malloc(size_t n)
{
    reached("malloc", __builtin_return_address(0));
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    reached("calloc", __builtin_return_address(0));
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    reached("realloc", __builtin_return_address(0));
    return __libc_realloc(p, n);
}

void free(void *p)
{
    if (p)
        reached("free", __builtin_return_address(0));
    __libc_free(p);
}

void *dlopen(const char *file, int mode)
{
    reached("dlopen", __builtin_return_address(0));
    if (!next_dlopen)
        resolve_next();
    return next_dlopen(file, mode);
}

int pthread_mutex_lock(pthread_mutex_t *mu)
{
    reached("pthread_mutex_lock", __builtin_return_address(0));
    if (!next_mutex_lock)
        resolve_next();
    return next_mutex_lock(mu);
}
