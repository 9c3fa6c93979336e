/*
 * libunwind.c — nongnu libunwind (1.6, Debian's libunwind8), three ways:
 *
 *  libunwind         unw_backtrace() from the handler: a live walker, as most
 *                    profilers built on libunwind call it.
 *  libunwind-step    the unw_step loop from the signal's own context:
 *                    unw_init_local2(uc, UNW_INIT_SIGNAL_FRAME) starts at the
 *                    interrupted frame instead of the handler's.
 *  libunwind-remote  unw_init_remote over an address space of our own
 *                    (unw_create_addr_space) whose accessors read a copy of
 *                    the walked stack taken through the engine's memory view,
 *                    so patched slots read as their originals and the walk
 *                    never touches the live stack: it can walk another thread
 *                    or a parked thread's saved context. Unwind information is
 *                    looked up by the library's own local address space. The
 *                    accessors refuse every write: unw_set_reg on a local
 *                    cursor writes the register's save slot, which on a live
 *                    stack is a return address (the reason this walker copies).
 *
 * Each comes in the library's three caching policies (unw_set_caching_policy):
 * per-thread caches under the plain name, `:cache=none` and `:cache=global`.
 * Per-thread is what a profiler walking from signal handlers should ask for
 * (the global cache takes a lock); the other two are what users get by
 * default (global) or choose when caches are suspect (none). A policy
 * belongs to an address space, and the local walkers share the library's one
 * local space: each walk puts its own policy back, a compare unless another
 * variant walked last in this process (bench-walkers, one thread at a time;
 * stress and sweep run one walker).
 *
 * The local walkers come from libunwind.so.8 (local-only, names _ULx86_64_*),
 * the remote one from libunwind-x86_64.so.8 (names _Ux86_64_*), each
 * dlopen'ed RTLD_LOCAL: libunwind.so.8 also defines _Unwind_Backtrace and
 * backtrace, which must not take libgcc_s's and glibc's place. The header
 * (libunwind-dev) gives the types; no function of it is linked.
 */
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

#include "dl.h"
#include "walkers.h"

#if defined(STACKRACE_HAVE_LIBUNWIND) && defined(__x86_64__)
#include <libunwind.h>

static struct {
    int (*backtrace)(void **, int);
    int (*init_local2)(unw_cursor_t *, unw_context_t *, int);
    int (*step)(unw_cursor_t *);
    int (*get_reg)(unw_cursor_t *, int, unw_word_t *);
    int (*set_caching_policy)(unw_addr_space_t, unw_caching_policy_t);
    unw_addr_space_t space;       /* the library's local address space */
    unw_caching_policy_t policy;  /* the policy it was last given */
} local;

static struct {
    unw_addr_space_t (*create_addr_space)(unw_accessors_t *, int);
    int (*init_remote)(unw_cursor_t *, unw_addr_space_t, void *);
    int (*step)(unw_cursor_t *);
    int (*get_reg)(unw_cursor_t *, int, unw_word_t *);
    int (*set_caching_policy)(unw_addr_space_t, unw_caching_policy_t);
    unw_accessors_t *(*get_accessors)(unw_addr_space_t);
    unw_addr_space_t self;   /* the library's own local address space */
    unw_accessors_t *self_acc;
    unw_addr_space_t as;     /* ours */
    unw_caching_policy_t policy; /* both spaces' */
} remote;

static int load_local(char *why, size_t n)
{
    static const char *const names[] = {"libunwind.so.8", NULL};
    static const char *const syms[] = {"unw_backtrace", "_ULx86_64_init_local2", "_ULx86_64_step",
                                       "_ULx86_64_get_reg", "_ULx86_64_set_caching_policy",
                                       "_ULx86_64_local_addr_space", NULL};
    static int done, rc;
    static char why_not[256];
    if (done) {
        snprintf(why, n, "%s", why_not);
        return rc;
    }
    void *fns[6];
    void *lib = walker_dlopen(names, why, n);
    rc = lib && walker_dlsyms(lib, "libunwind.so.8", syms, fns, why, n) ? 0 : -1;
    if (rc == 0) {
        local.backtrace = (int (*)(void **, int))fns[0];
        local.init_local2 = (int (*)(unw_cursor_t *, unw_context_t *, int))fns[1];
        local.step = (int (*)(unw_cursor_t *))fns[2];
        local.get_reg = (int (*)(unw_cursor_t *, int, unw_word_t *))fns[3];
        local.set_caching_policy = (int (*)(unw_addr_space_t, unw_caching_policy_t))fns[4];
        local.space = *(unw_addr_space_t *)fns[5];
        local.policy = UNW_CACHE_GLOBAL; /* the library's default */
    }
    snprintf(why_not, sizeof why_not, "%s", rc ? why : "");
    done = 1;
    return rc;
}

/* The unw_step loop both cursor kinds share, saying why it ended: unw_step
 * returns 0 at the outermost frame and a negative UNW_E* on an error. */
static int step_loop(unw_cursor_t *cur, int (*step)(unw_cursor_t *),
                     int (*get_reg)(unw_cursor_t *, int, unw_word_t *), const sr_stack_walk *w,
                     uintptr_t *pcs, int max)
{
    int n = 0;
    for (;;) {
        unw_word_t ip;
        int rc = get_reg(cur, UNW_REG_IP, &ip);
        if (rc != 0)
            return sr_walk_end_because(w, n, SR_STOP_ERROR, rc, 0);
        if (ip == 0)
            return sr_walk_end_because(w, n, SR_STOP_END, 0, 0);
        pcs[n++] = (uintptr_t)ip;
        if (n >= max)
            return sr_walk_end_because(w, n, SR_STOP_DEPTH, 0, 0);
        if ((rc = step(cur)) <= 0) {
            unw_word_t next = 0;
            get_reg(cur, UNW_REG_IP, &next);
            int why = rc == 0 ? SR_STOP_END : rc == -UNW_ENOINFO ? SR_STOP_NO_INFO : SR_STOP_ERROR;
            return sr_walk_end_because(w, n, why, rc, next != ip ? (uintptr_t)next : 0);
        }
    }
}

/* Gives the local space policy p, unless it has it (unw_set_caching_policy
 * also flushes the caches: a generation count bumped, no lock). */
static void local_policy(unw_caching_policy_t p)
{
    if (local.policy != p) {
        local.set_caching_policy(local.space, p);
        local.policy = p;
    }
}

static int unwind_backtrace_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    (void)w;
    return local.backtrace((void **)pcs, max);
}

static int unwind_step_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    unw_cursor_t cur;
    if (!w->ucontext ||
        local.init_local2(&cur, (unw_context_t *)w->ucontext, UNW_INIT_SIGNAL_FRAME) != 0)
        return 0;
    return step_loop(&cur, local.step, local.get_reg, w, pcs, max);
}

/* The remote walk's state: the registers it starts from and the copy. */
enum { COPY_WORDS = 4096 }; /* 32 KiB of stack from sp up, then the view */
typedef struct remote_state {
    const sr_stack_walk *w;
    uintptr_t lo;
    size_t words;
    uintptr_t copy[COPY_WORDS];
} remote_state;

static int r_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need,
                            void *arg)
{
    (void)as, (void)arg;
    return remote.self_acc->find_proc_info(remote.self, ip, pi, need, NULL);
}

static void r_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
    (void)as, (void)arg;
    remote.self_acc->put_unwind_info(remote.self, pi, NULL);
}

static int r_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
    (void)as, (void)arg;
    return remote.self_acc->get_dyn_info_list_addr(remote.self, addr, NULL);
}

/* The memory of the loaded objects (their PT_LOAD segments, as loaded when
 * the walker was set up): what a walk may read that is not the walked stack,
 * its code and unwind tables. A remote unwinder reads another process, where
 * a wild address is an error the accessor returns; the local space's own
 * accessor would dereference it (it validates only for its own cursors), so
 * a walk gone astray would crash in our accessor and be told as libunwind's
 * fault. Objects loaded later are not readable to this walker. */
enum { SEGMENTS_MAX = 256 };
static struct segment {
    uintptr_t lo, hi;
} segments[SEGMENTS_MAX];
static unsigned nsegments;

static int add_segments(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size, (void)arg;
    for (unsigned i = 0; i < info->dlpi_phnum && nsegments < SEGMENTS_MAX; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_R))
            segments[nsegments++] = (struct segment){info->dlpi_addr + ph->p_vaddr,
                                                     info->dlpi_addr + ph->p_vaddr + ph->p_memsz};
    }
    return 0;
}

/* Written so that no sum can wrap: a walk gone astray asks for addresses
 * like 0xffffffffffffffff, where addr + 8 is 7 (such a read passed, and
 * crashed in the local accessor: the rig's fault, told as the walker's). */
static bool in_segments(uintptr_t addr)
{
    for (unsigned i = 0; i < nsegments; i++)
        if (addr >= segments[i].lo && addr < segments[i].hi &&
            segments[i].hi - addr >= sizeof(unw_word_t))
            return true;
    return false;
}

static int r_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write,
                        void *arg)
{
    (void)as;
    remote_state *s = arg;
    if (write)
        return -UNW_EREADONLYREG;
    if (addr >= s->lo && addr < s->lo + s->words * sizeof(uintptr_t) && addr % 8 == 0) {
        *val = s->copy[(addr - s->lo) / 8];
        return 0;
    }
    uintptr_t word;
    if (s->w->read(s->w, (uintptr_t)addr, &word)) {
        *val = word;
        return 0;
    }
    if (!in_segments((uintptr_t)addr))
        return -UNW_EINVAL;
    /* code and unwind tables, read through the local space */
    return remote.self_acc->access_mem(remote.self, addr, val, 0, NULL);
}

/* libunwind's x86-64 register numbers (UNW_X86_64_RAX = 0 … R15 = 15, RIP =
 * 16) as ucontext_t's gregs index them. */
static const int greg_of[17] = {REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI,
                                REG_RBP, REG_RSP, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP};

/* The walked thread's registers: the three the walk starts from, and the
 * others when a signal stopped the thread where the walk starts (a remote
 * unwinder reads them all from the stopped thread; a parked context keeps
 * only the three). An unknown register is an error, not a zero: a made-up
 * value would send the library's rules astray without a word. */
static int r_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write,
                        void *arg)
{
    (void)as;
    remote_state *s = arg;
    if (write)
        return -UNW_EREADONLYREG;
    const ucontext_t *uc = s->w->ucontext;
    switch (reg) {
    case UNW_X86_64_RIP: *val = s->w->pc; return 0;
    case UNW_X86_64_RSP: *val = s->w->sp; return 0;
    case UNW_X86_64_RBP: *val = s->w->fp; return 0;
    default:
        if (!uc || reg < 0 || reg >= UNW_X86_64_RIP ||
            (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] != s->w->pc)
            return -UNW_EBADREG;
        *val = (unw_word_t)uc->uc_mcontext.gregs[greg_of[reg]];
        return 0;
    }
}

static int r_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
                          void *arg)
{
    (void)as, (void)reg, (void)val, (void)write, (void)arg;
    return -UNW_EBADREG;
}

static int r_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
    (void)as, (void)c, (void)arg;
    return -UNW_EINVAL;
}

static int r_get_proc_name(unw_addr_space_t as, unw_word_t ip, char *buf, size_t len,
                           unw_word_t *off, void *arg)
{
    (void)as, (void)arg;
    return remote.self_acc->get_proc_name(remote.self, ip, buf, len, off, NULL);
}

static int remote_init(char *why, size_t n)
{
    static const char *const names[] = {"libunwind-x86_64.so.8", NULL};
    static const char *const syms[] = {"_Ux86_64_create_addr_space", "_Ux86_64_init_remote",
                                       "_Ux86_64_step", "_Ux86_64_get_reg",
                                       "_Ux86_64_set_caching_policy", "_Ux86_64_get_accessors",
                                       "_Ux86_64_local_addr_space", NULL};
    if (remote.as)
        return 0;
    void *fns[7];
    void *lib = walker_dlopen(names, why, n);
    if (!lib || !walker_dlsyms(lib, "libunwind-x86_64.so.8", syms, fns, why, n))
        return -1;
    remote.create_addr_space = (unw_addr_space_t(*)(unw_accessors_t *, int))fns[0];
    remote.init_remote = (int (*)(unw_cursor_t *, unw_addr_space_t, void *))fns[1];
    remote.step = (int (*)(unw_cursor_t *))fns[2];
    remote.get_reg = (int (*)(unw_cursor_t *, int, unw_word_t *))fns[3];
    remote.set_caching_policy = (int (*)(unw_addr_space_t, unw_caching_policy_t))fns[4];
    remote.get_accessors = (unw_accessors_t * (*)(unw_addr_space_t)) fns[5];
    remote.self = *(unw_addr_space_t *)fns[6];
    remote.self_acc = remote.get_accessors(remote.self);
    static unw_accessors_t acc = {
        .find_proc_info = r_find_proc_info,
        .put_unwind_info = r_put_unwind_info,
        .get_dyn_info_list_addr = r_get_dyn_info_list_addr,
        .access_mem = r_access_mem,
        .access_reg = r_access_reg,
        .access_fpreg = r_access_fpreg,
        .resume = r_resume,
        .get_proc_name = r_get_proc_name,
    };
    dl_iterate_phdr(add_segments, NULL);
    remote.as = remote.create_addr_space(&acc, 0);
    if (!remote.as) {
        snprintf(why, n, "unw_create_addr_space failed");
        return -1;
    }
    remote.policy = UNW_CACHE_GLOBAL; /* the library's default */
    return 0;
}

/* Our space's policy (its register-state cache) and the local space's,
 * through which unwind information is found. */
static void remote_policy(unw_caching_policy_t p)
{
    if (remote.policy != p) {
        remote.set_caching_policy(remote.self, p);
        remote.set_caching_policy(remote.as, p);
        remote.policy = p;
    }
}

static int remote_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    /* on the walking thread's stack (a handler's, or the profiler's): 32 KiB */
    remote_state state, *s = &state;
    s->w = w;
    s->lo = w->sp & ~(uintptr_t)7;
    s->words = 0;
    while (s->words < COPY_WORDS && w->read(w, s->lo + s->words * 8, &s->copy[s->words]))
        s->words++;
    unw_cursor_t cur;
    if (remote.init_remote(&cur, remote.as, s) != 0)
        return 0;
    return step_loop(&cur, remote.step, remote.get_reg, w, pcs, max);
}

/* One walker of each kind per policy: init loads and sets the policy, the
 * walk puts it back (see the top of this file). */
#define POLICY_VARIANT(kind, load, set, walk, suffix, policy)                      \
    static int kind##_init_##suffix(char *why, size_t n)                          \
    {                                                                             \
        if (load(why, n) != 0)                                                    \
            return -1;                                                            \
        set(policy);                                                              \
        return 0;                                                                 \
    }                                                                             \
    static int kind##_walk_##suffix(const sr_stack_walk *w, uintptr_t *pcs, int max) \
    {                                                                             \
        set(policy);                                                              \
        return walk(w, pcs, max);                                                 \
    }
#define POLICIES(kind, load, set, walk)                                           \
    POLICY_VARIANT(kind, load, set, walk, thread, UNW_CACHE_PER_THREAD)           \
    POLICY_VARIANT(kind, load, set, walk, none, UNW_CACHE_NONE)                   \
    POLICY_VARIANT(kind, load, set, walk, global, UNW_CACHE_GLOBAL)
POLICIES(backtrace, load_local, local_policy, unwind_backtrace_walk)
POLICIES(step, load_local, local_policy, unwind_step_walk)
POLICIES(remote, remote_init, remote_policy, remote_walk)
#define WALKER_FNS(kind, suffix) .init = kind##_init_##suffix, .walk = kind##_walk_##suffix
#else
static int unavailable(char *why, size_t n)
{
    snprintf(why, n, "built without libunwind-dev (libunwind.h)");
    return -1;
}
static int no_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    (void)w, (void)pcs, (void)max;
    return 0;
}
#define WALKER_FNS(kind, suffix) .init = unavailable, .walk = no_walk
#endif

#define BACKTRACE_DESCRIPTION "nongnu libunwind unw_backtrace() from the handler"
#define STEP_DESCRIPTION "nongnu libunwind unw_step loop from the signal's context"
#define REMOTE_DESCRIPTION "nongnu libunwind over a copied stack (unw_create_addr_space, translating)"

const sr_walker walker_libunwind = {"libunwind", BACKTRACE_DESCRIPTION ", per-thread caches",
                                    SR_WALKER_LIVE, WALKER_FNS(backtrace, thread)};
const sr_walker walker_libunwind_none = {"libunwind:cache=none", BACKTRACE_DESCRIPTION ", no cache",
                                         SR_WALKER_LIVE, WALKER_FNS(backtrace, none)};
const sr_walker walker_libunwind_global = {"libunwind:cache=global",
                                           BACKTRACE_DESCRIPTION ", the global cache",
                                           SR_WALKER_LIVE, WALKER_FNS(backtrace, global)};

const sr_walker walker_libunwind_step = {"libunwind-step", STEP_DESCRIPTION ", per-thread caches",
                                         SR_WALKER_UCONTEXT, WALKER_FNS(step, thread)};
const sr_walker walker_libunwind_step_none = {"libunwind-step:cache=none",
                                              STEP_DESCRIPTION ", no cache", SR_WALKER_UCONTEXT,
                                              WALKER_FNS(step, none)};
const sr_walker walker_libunwind_step_global = {"libunwind-step:cache=global",
                                                STEP_DESCRIPTION ", the global cache",
                                                SR_WALKER_UCONTEXT, WALKER_FNS(step, global)};

const sr_walker walker_libunwind_remote = {"libunwind-remote",
                                           REMOTE_DESCRIPTION ", per-thread caches", 0,
                                           WALKER_FNS(remote, thread)};
const sr_walker walker_libunwind_remote_none = {"libunwind-remote:cache=none",
                                                REMOTE_DESCRIPTION ", no cache", 0,
                                                WALKER_FNS(remote, none)};
const sr_walker walker_libunwind_remote_global = {"libunwind-remote:cache=global",
                                                  REMOTE_DESCRIPTION ", the global cache", 0,
                                                  WALKER_FNS(remote, global)};
