/*
 * stackrace/native.h — what a walker author writes for the native engine.
 *
 * The native engine (`stackrace stress`, `stackrace sweep`) runs real
 * threads on real stacks and interrupts them with real signals; at each
 * sample a walker turns the interrupted thread's stack into a list of PCs,
 * and the engine compares that list with the ground truth the thread's
 * frames recorded themselves (a shadow stack).
 *
 * A walker is a struct of three things: a name, whether it can run here
 * (init), and the walk itself. It is handed an sr_stack_walk: the context to
 * start from (pc, sp, fp: the interrupted registers, or a context the
 * thread saved before it blocked) and a memory view. It writes the PCs it
 * finds, innermost first, pcs[0] being the starting pc itself and each
 * later entry a return address as found on the stack (not minus one).
 *
 * Three kinds of walker:
 *  - a view walker reads the walked stack only through w->read. The view
 *    is bounds-checked (it answers false outside the walked thread's
 *    stacks, so a wild pointer cannot fault) and it translates: a return
 *    slot a rewriter has patched reads as the original return address.
 *    Such a walker can walk another thread's stack (a remote walk, a
 *    context saved before a blocking call) and stacks under barriers.
 *  - a live walker (SR_WALKER_LIVE) walks the stack it runs on, as glibc's
 *    backtrace() does, handler frames and all: the engine calls it only in
 *    the walked thread's own signal handler, keeps what it found from the
 *    walk's starting pc on, and translates trampoline PCs itself;
 *  - a context walker (SR_WALKER_UCONTEXT) starts from the signal's
 *    ucontext_t (w->ucontext: the walked thread's, and the thread is
 *    stopped in its handler while the walk runs) and reads the stack
 *    directly, as unw_init_local2(UNW_INIT_SIGNAL_FRAME) does. The engine
 *    keeps its frames from the starting pc on and translates as for a live
 *    walker.
 *
 * Declining is allowed and counted: return 0 when the stack cannot be
 * walked reliably. Returning frames that are not the thread's is a finding.
 *
 * A walker may say why its walk ended (w->stopped: the end of the stack, no
 * unwind information, an error of its library with the library's code, the
 * depth limit, memory it could not read), and the last address it computed
 * but did not return. The engine keeps it with every error's evidence
 * (`sweep --explain`, stress findings), so that a walk that lost frames says
 * whether the walker thought it had reached the end or gave up.
 */
#ifndef STACKRACE_NATIVE_H
#define STACKRACE_NATIVE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sr_stack_walk sr_stack_walk;
struct sr_stack_walk {
    uintptr_t pc, sp, fp;  /* where the walk starts */
    /* the signal's ucontext_t: always set for a context walker; NULL for a
     * view walker when no signal is involved (a remote walk of a parked
     * thread, which the profiler holds parked instead of stopping it) */
    const void *ucontext;
    /* Reads the stack word at addr into *out: false (and nothing read) when
     * addr is outside the walked thread's stacks or misaligned. */
    bool (*read)(const sr_stack_walk *w, uintptr_t addr, uintptr_t *out);
    /* The return address a signal handler's frame returns to (the kernel's
     * signal frame lies just above that slot): how a walker recognises a
     * signal frame. 0 if unknown. */
    uintptr_t signal_return;
    void *view; /* the engine's, for read */
    /* Optional to call, once, before returning: why the walk ended
     * (SR_STOP_*), the walker's own code for it (a library's return value;
     * 0 if none) and the last address it computed that is not among the
     * PCs it returns (0 if none). Async-signal-safe. Added after the first
     * release: a plug-in built against the older header never calls it. */
    void (*stopped)(const sr_stack_walk *w, int why, long code, uintptr_t last);
};

/* Why a walk ended, as its walker says (sr_stack_walk.stopped). */
enum sr_walk_stop {
    SR_STOP_UNSAID = 0, /* the walker did not say */
    SR_STOP_END,        /* it reached what it takes for the outermost frame */
    SR_STOP_NO_INFO,    /* no unwind information for the next frame */
    SR_STOP_ERROR,      /* its library reported an error (code: the library's) */
    SR_STOP_DEPTH,      /* the PCs buffer is full */
    SR_STOP_UNREADABLE, /* memory it needed could not be read */
    SR_STOP_DECLINED,   /* it refused to go on (a frame it cannot walk reliably) */
    SR_STOP_COUNT
};

/* Says why the walk ended, returning n (the walk's frame count), so that a
 * walker can end with `return sr_walk_end_because(w, n, SR_STOP_END, 0, 0);`. */
static inline int sr_walk_end_because(const sr_stack_walk *w, int n, int why, long code,
                                      uintptr_t last)
{
    if (w->stopped)
        w->stopped(w, why, code, last);
    return n;
}

enum {
    SR_WALKER_NEEDS_FP = 1u << 0, /* correct only on code that keeps frame pointers */
    SR_WALKER_LIVE = 1u << 1,     /* walks its own stack; never through the view */
    SR_WALKER_UCONTEXT = 1u << 2, /* walks from w->ucontext; never through the view */
};

typedef struct sr_walker {
    const char *name;
    const char *description;
    unsigned flags;
    /* 0 when the walker can run on this machine; else a reason in why
     * (e.g. "libunwind.so.8 not found"). NULL: always available. */
    int (*init)(char *why, size_t n);
    /* Writes up to max PCs into pcs; returns how many (0: declined). Runs
     * in a signal handler (or a profiler thread with the walked thread
     * stopped): it must be async-signal-safe. */
    int (*walk)(const sr_stack_walk *w, uintptr_t *pcs, int max);
} sr_walker;

/* Shipping walkers in a shared object of your own: define them, then
 *
 *     #include <stackrace/native.h>
 *     extern const sr_walker my_walker;
 *     SR_WALKER_PLUGIN("my-profiler", &my_walker)
 *
 * and load it like a target plug-in: `stackrace --plugin ./my-profiler.so
 * stress --walker my-walker` (STACKRACE_PLUGIN works too). One shared
 * object may carry targets (SR_PLUGIN, <stackrace/plugin.h>), walkers, or
 * both. A walker needs nothing from stackrace at run time but the view it
 * is handed: it links against nothing of ours. */
#define SR_WALKER_ABI 1
#define SR_WALKER_ENTRY "stackrace_walkers_v1"

typedef struct sr_walker_plugin {
    uint32_t abi;               /* SR_WALKER_ABI */
    uint32_t sizeof_walker;     /* sizeof(sr_walker) */
    uint32_t sizeof_stack_walk; /* sizeof(sr_stack_walk) */
    const char *name;
    const sr_walker *const *walkers;
    uint32_t nwalkers;
} sr_walker_plugin;

#ifdef __cplusplus
#define SR_WALKER_EXTERN extern "C"
#else
#define SR_WALKER_EXTERN
#endif

#define SR_WALKER_PLUGIN(plugin_name, ...)                                         \
    static const sr_walker *const sr_walker_plugin_list_[] = {__VA_ARGS__};        \
    SR_WALKER_EXTERN __attribute__((visibility("default"))) const sr_walker_plugin * \
    stackrace_walkers_v1(void);                                                    \
    SR_WALKER_EXTERN __attribute__((visibility("default"))) const sr_walker_plugin * \
    stackrace_walkers_v1(void)                                                     \
    {                                                                              \
        static const sr_walker_plugin plugin = {                                   \
            SR_WALKER_ABI, (uint32_t)sizeof(sr_walker), (uint32_t)sizeof(sr_stack_walk), \
            plugin_name, sr_walker_plugin_list_,                                   \
            (uint32_t)(sizeof sr_walker_plugin_list_ / sizeof sr_walker_plugin_list_[0])}; \
        return &plugin;                                                            \
    }

#ifdef __cplusplus
}
#endif
#endif
