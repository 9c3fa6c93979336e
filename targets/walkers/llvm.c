/*
 * llvm.c — LLVM's libunwind (libunwind.so.1 of Debian's libunwind-14).
 *
 * Its header package conflicts with nongnu libunwind's (libunwind-14-dev vs
 * libunwind-dev), so it is reached through dlopen with prototypes of our
 * own, from LLVM's libunwind.h: unw_getcontext, unw_init_local, unw_step
 * and unw_get_reg, UNW_REG_IP = -1. A live walker: it captures the
 * handler's own registers and steps out through the kernel's signal frame.
 * The context and cursor are opaque arrays (LLVM: 21 and 33 words on
 * x86-64); ours are larger, to be safe with any version.
 */
#include <stdint.h>

#include "dl.h"
#include "walkers.h"

typedef struct llvm_context {
    _Alignas(16) uint64_t words[128];
} llvm_context;
typedef struct llvm_cursor {
    _Alignas(16) uint64_t words[256];
} llvm_cursor;
enum { LLVM_UNW_REG_IP = -1 };

static int (*llvm_getcontext)(llvm_context *);
static int (*llvm_init_local)(llvm_cursor *, llvm_context *);
static int (*llvm_step)(llvm_cursor *);
static int (*llvm_get_reg)(llvm_cursor *, int, uintptr_t *);

static int llvm_init(char *why, size_t n)
{
    static const char *const names[] = {"libunwind.so.1", "/usr/lib/llvm-14/lib/libunwind.so.1",
                                        NULL};
    static const char *const syms[] = {"unw_getcontext", "unw_init_local", "unw_step",
                                       "unw_get_reg", NULL};
    void *fns[4];
    void *lib = walker_dlopen(names, why, n);
    if (!lib || !walker_dlsyms(lib, "libunwind.so.1 (LLVM)", syms, fns, why, n))
        return -1;
    llvm_getcontext = (int (*)(llvm_context *))fns[0];
    llvm_init_local = (int (*)(llvm_cursor *, llvm_context *))fns[1];
    llvm_step = (int (*)(llvm_cursor *))fns[2];
    llvm_get_reg = (int (*)(llvm_cursor *, int, uintptr_t *))fns[3];
    return 0;
}

static int llvm_walk(const sr_stack_walk *w, uintptr_t *pcs, int max)
{
    llvm_context ctx;
    llvm_cursor cur;
    if (llvm_getcontext(&ctx) != 0 || llvm_init_local(&cur, &ctx) != 0)
        return 0;
    int n = 0;
    for (;;) {
        uintptr_t ip;
        int rc = llvm_get_reg(&cur, LLVM_UNW_REG_IP, &ip);
        if (rc != 0)
            return sr_walk_end_because(w, n, SR_STOP_ERROR, rc, 0);
        if (ip == 0)
            return sr_walk_end_because(w, n, SR_STOP_END, 0, 0);
        pcs[n++] = ip;
        if (n >= max)
            return sr_walk_end_because(w, n, SR_STOP_DEPTH, 0, 0);
        if ((rc = llvm_step(&cur)) <= 0) { /* 0: the end (UNW_STEP_END); < 0: an error */
            uintptr_t next = 0;
            llvm_get_reg(&cur, LLVM_UNW_REG_IP, &next);
            return sr_walk_end_because(w, n, rc == 0 ? SR_STOP_END : SR_STOP_ERROR, rc,
                                       next != ip ? next : 0);
        }
    }
}

const sr_walker walker_llvm = {
    .name = "llvm-libunwind",
    .description = "LLVM libunwind (libunwind-14) unw_step from the handler",
    .flags = SR_WALKER_LIVE,
    .init = llvm_init,
    .walk = llvm_walk,
};
