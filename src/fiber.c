/*
 * fiber.c - user-space context switching for the model engine.
 *
 * Why fibers, and why a hand-written switch
 * -----------------------------------------
 * The engine runs every actor of a model on one OS thread and picks, at each
 * step, which actor runs next.  An actor is therefore a coroutine with its own
 * stack, and the engine switches between actors at every visible operation:
 * millions of times per explored execution.  The switch is the hot path.
 *
 * The portable tool, swapcontext(3), saves and restores the signal mask with
 * a sigprocmask system call on every switch and copies the whole register
 * file plus FPU state: about 230 ns per switch on the development machine,
 * against about 9 ns for the assembly below.  A switch between two
 * C functions that both follow the platform ABI only has to preserve what the
 * ABI says survives a call: the callee-saved registers and the stack pointer.
 * Everything else is already assumed clobbered by the caller of
 * fiber_switch, because to the compiler it is an ordinary function call.
 * That is a dozen instructions (fiber_x86_64.S, fiber_aarch64.S), a few
 * nanoseconds.  The ucontext version stays as a fallback for other
 * architectures and for testing (-DFIBER_UCONTEXT=1).
 *
 * What is saved
 * -------------
 * x86-64 (SysV): rbx, rbp, r12-r15 are pushed on the running stack and rsp is
 * stored in the fiber.  aarch64 (AAPCS64): x19-x28, the frame pointer x29,
 * the link register x30 and the low halves d8-d15 of v8-v15, plus sp.  The
 * floating-point control state (x86 MXCSR and x87 control word, aarch64 FPCR)
 * is NOT switched, although the ABIs count its control bits as callee-saved:
 * only code that deliberately changes rounding or exception modes notices,
 * the engine and its actors never do, and ldmxcsr alone would cost more than
 * the rest of the switch.  It belongs to the OS thread and is shared by all
 * fibers on it, like errno.  x86 CET: entry points carry endbr64 when built
 * with -fcf-protection, but no property note is emitted, because switching
 * stacks this way is incompatible with a hardware shadow stack; aarch64
 * BTI/PAC are supported (see fiber_aarch64.S).
 *
 * The switch ends with a plain `ret` into the resumed fiber.  Popping the
 * address and jumping to it looks cheaper (and is, in a bare ping-pong), but
 * it leaves the CPU's return-stack predictor one entry off, so every return
 * after the switch mispredicts: with three call levels around each switch we
 * measured 20 ns per switch for pop+jmp against 11 ns for ret.
 *
 * A new fiber gets a hand-made frame at the top of its stack that looks like
 * a suspended switch: the switch "returns" into fiber_asm_entry, a tiny
 * trampoline that calls fiber_entry(self) with a 16-byte aligned stack.  The
 * trampoline's frame has a zero frame pointer and a zero return address, and
 * its CFI marks the return address undefined, so debuggers, perf and
 * backtrace() stop there instead of walking into garbage.  fiber_entry runs
 * the user function and aborts if it ever returns, since nothing sits below.
 *
 * Stacks are mmap'd once, with a PROT_NONE guard page below so an overflow
 * faults instead of silently corrupting a neighbour, and are reused by any
 * number of fiber_start calls.  Restarting a fiber mid-run just overwrites the
 * frame at the top: nothing on the old stack needs unwinding because the
 * engine's actors own no resources that their frames would release.
 *
 * Sanitizer protocol
 * ------------------
 * Sanitizers track "the current stack" and "the current thread" per OS
 * thread; a switch they do not hear about makes them wrong, so every switch
 * is announced:
 *
 * ThreadSanitizer.  Each fiber has its own TSan fiber (a ThreadState, i.e. a
 * vector clock and shadow call stack) from __tsan_create_fiber; the main
 * fiber uses the thread's own, __tsan_get_current_fiber.  Immediately before
 * the switch we call __tsan_switch_to_fiber(to, no_sync).  Without that,
 * TSan would see all actors as one thread: every access would be ordered by
 * program order and no race between actors could ever be reported.  The
 * no_sync flag matters just as much: by default TSan makes every switch a
 * release/acquire pair, which orders everything one actor did before
 * everything the next actor does and again hides every race.  With no_sync
 * the only happens-before edges are the ones the engine creates from the
 * model's synchronization, plus the creation edge from the caller of
 * fiber_start to the new TSan fiber (like pthread_create).
 *   Restarting a fiber mid-run leaves its TSan state full of frames that
 *   will never return, so fiber_abandon destroys the TSan fiber and
 *   fiber_start creates a fresh one.  The reused stack memory still carries
 *   shadow from the old run, which would race with the new run's accesses to
 *   the same addresses (there is no edge between the two runs), so the stack
 *   pages are replaced in place with mmap(MAP_FIXED) while TSan ignores
 *   writes: its mmap interceptor then resets the range to "never accessed".
 *   This module's own bookkeeping (the fiber structs) is read and written by
 *   different TSan fibers with no edge between them, sequenced only by the
 *   switches; those accesses are excluded from checking (FIBER_NOINSTR) so
 *   they cannot show up as false races.
 *
 * AddressSanitizer.  ASan must know the bounds of the current stack (for
 * stack-use-after-return and for reports) and keeps a per-stack "fake stack"
 * for detect_stack_use_after_return.  Before the switch:
 * __sanitizer_start_switch_fiber(&from->asan_fake_stack, to's bounds); after
 * control arrives, in the resumed fiber_switch or in a new fiber's
 * fiber_entry: __sanitizer_finish_switch_fiber(own fake stack, &old bounds).
 * The main thread's stack bounds are unknown up front; they are learned from
 * the "old bounds" that finish reports on the first switch away from it,
 * which always precedes any switch back to it.
 *   The API wants NULL in place of &fake_stack on the last switch away from a
 *   fiber, to free its fake stack.  We cannot know which switch is the last
 *   one (the engine abandons actors after they switched away), so we always
 *   save it, and fiber_abandon later frees it by briefly making it current
 *   and "switching away for good" without moving the stack
 *   (asan_free_fake_stack).  It also unpoisons the reused stack: frames that
 *   never returned left their redzones poisoned, which the new run would hit
 *   as false stack-buffer-overflow reports.
 *
 * The protocol is the same for the ucontext fallback; there ASan also prints
 * its one-time "doesn't fully support swapcontext" warning, which is harmless
 * because every switch is announced as above.  Under sanitizers a restart
 * costs a few microseconds (TSan fiber destroy/create, one mmap), which is
 * nothing next to the sanitizers' own overhead.
 *
 * No global mutable state: all of it lives in the fiber structs, so each OS
 * thread can run its own set of fibers independently.
 */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS / MAP_STACK under -std=c11 */

#include "fiber.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- sanitizer detection and interfaces ------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define FIBER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FIBER_TSAN 1
#endif
#endif

/* The switch glue juggles sanitizer state by hand, so it must not itself be
 * checked: ASan-instrumented locals could land on a fake stack that is being
 * detached, and TSan would flag the bookkeeping as races (see above). */
#if defined(FIBER_ASAN) || defined(FIBER_TSAN)
#define FIBER_NOINSTR __attribute__((no_sanitize("address", "thread")))
#else
#define FIBER_NOINSTR
#endif

/* Declared here rather than via <sanitizer/...> so gcc and clang builds see
 * the same prototypes; they match clang 14's and gcc 12's headers. */
#ifdef FIBER_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom,
                                    size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save,
                                     const void **bottom_old,
                                     size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#endif

#ifdef FIBER_TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#define FIBER_TSAN_NO_SYNC (1u << 0) /* __tsan_switch_to_fiber_no_sync */
#endif

#ifdef MAP_STACK
#define FIBER_MAP_STACK MAP_STACK
#else
#define FIBER_MAP_STACK 0
#endif

_Noreturn static void fiber_die(const char *what)
{
    fprintf(stderr, "fiber: %s\n", what);
    abort();
}

/* ---- ThreadSanitizer glue -------------------------------------------- */

FIBER_NOINSTR static void tsan_fiber_create(fiber *f)
{
#ifdef FIBER_TSAN
    if (!f->tsan)
        f->tsan = __tsan_create_fiber(0);
#else
    (void)f;
#endif
}

FIBER_NOINSTR static void tsan_fiber_destroy(fiber *f)
{
#ifdef FIBER_TSAN
    if (f->tsan && !f->is_main)
        __tsan_destroy_fiber(f->tsan);
    if (!f->is_main)
        f->tsan = NULL;
#else
    (void)f;
#endif
}

/* Replaces the stack pages in place so TSan forgets the accesses of the
 * previous run; ignoring writes turns the interceptor's "imitate a write by
 * the caller" into a plain reset, so nobody races with the fresh stack. */
FIBER_NOINSTR static void tsan_forget_stack(fiber *f)
{
#ifdef FIBER_TSAN
    AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
    void *p = mmap(f->stack_lo, f->stack_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | FIBER_MAP_STACK,
                   -1, 0);
    AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
    if (p == MAP_FAILED)
        fiber_die("cannot remap a fiber stack");
#else
    (void)f;
#endif
}

FIBER_NOINSTR static void tsan_before_switch(fiber *to)
{
#ifdef FIBER_TSAN
    __tsan_switch_to_fiber(to->tsan, FIBER_TSAN_NO_SYNC);
#else
    (void)to;
#endif
}

/* ---- AddressSanitizer glue ------------------------------------------- */

FIBER_NOINSTR static void asan_before_switch(fiber *from, fiber *to)
{
#ifdef FIBER_ASAN
    to->asan_prev = from;
    __sanitizer_start_switch_fiber(&from->asan_fake_stack, to->stack_lo,
                                   to->stack_size);
#else
    (void)from;
    (void)to;
#endif
}

/* Runs on self's stack right after control arrived.  A fiber entered for the
 * first time has no fake stack yet (NULL): ASan makes a new one lazily. */
FIBER_NOINSTR static void asan_after_switch(fiber *self)
{
#ifdef FIBER_ASAN
    const void *lo = NULL;
    size_t size = 0;
    __sanitizer_finish_switch_fiber(self->asan_fake_stack, &lo, &size);
    fiber *prev = self->asan_prev;
    if (prev && prev->is_main) { /* learn the OS thread's stack bounds */
        prev->stack_lo = (void *)lo;
        prev->stack_size = size;
    }
#else
    (void)self;
#endif
}

/* Frees an abandoned fiber's fake stack.  ASan only frees the *current* fake
 * stack (start_switch with NULL), so: park ours, adopt f's, drop it for good,
 * re-adopt ours.  The stack pointer never moves; bounds are restored from the
 * values finish reports. */
FIBER_NOINSTR static void asan_free_fake_stack(fiber *f)
{
#ifdef FIBER_ASAN
    void *mine = NULL;
    const void *lo = NULL;
    size_t size = 0;
    if (!f->asan_fake_stack)
        return;
    __sanitizer_start_switch_fiber(&mine, NULL, 0);
    __sanitizer_finish_switch_fiber(f->asan_fake_stack, &lo, &size);
    __sanitizer_start_switch_fiber(NULL, lo, size);
    __sanitizer_finish_switch_fiber(mine, NULL, NULL);
    f->asan_fake_stack = NULL;
#else
    (void)f;
#endif
}

/* Frames of the abandoned run never returned, so their redzones are still
 * poisoned; the next run must start from a clean stack. */
FIBER_NOINSTR static void asan_unpoison_stack(fiber *f)
{
#ifdef FIBER_ASAN
    __asan_unpoison_memory_region(f->stack_lo, f->stack_size);
#else
    (void)f;
#endif
}

/* ---- first entry of a fiber ------------------------------------------ */

FIBER_NOINSTR _Noreturn static void fiber_entry(fiber *self)
{
    asan_after_switch(self);
    self->ran = 1;
    self->fn(self->arg);
    fprintf(stderr,
            "fiber: the entry function of fiber %p returned; a fiber must "
            "never return, it must switch away for good instead\n",
            (void *)self);
    abort();
}

/* ---- backend: hand-written assembly ---------------------------------- */

#ifdef FIBER_BACKEND_ASM

/* In fiber_<arch>.S.  Pushes the callee-saved registers, stores sp in
 * *save_sp, loads sp from *load_sp, pops and returns there. */
__attribute__((visibility("hidden"))) void
fiber_asm_switch(void **save_sp, void *const *load_sp);
/* Never called: the first "return address" of a new fiber. */
__attribute__((visibility("hidden"))) void fiber_asm_entry(void);

/* Word slots of a suspended switch frame, lowest address first.  They must
 * match the push/pop order in the .S file. */
#if defined(__x86_64__)
enum {
    SLOT_SELF = 3,  /* r12: argument for fiber_entry */
    SLOT_ENTRY = 4, /* rbx: fiber_entry */
    SLOT_FP = 5,    /* rbp = 0: end of the frame-pointer chain */
    SLOT_RET = 6,   /* return address of the switch: the trampoline */
    FRAME_WORDS = 8 /* slot 7 = 0: the trampoline's own return address */
};
#elif defined(__aarch64__)
enum {
    SLOT_SELF = 0,   /* x19 */
    SLOT_ENTRY = 1,  /* x20 */
    SLOT_FP = 10,    /* x29 = 0 */
    SLOT_RET = 11,   /* x30: the trampoline */
    FRAME_WORDS = 20 /* x19-x30 then d8-d15 */
};
#endif

/* Builds, at the 16-byte aligned top of the stack, a frame that looks like a
 * suspended fiber_asm_switch.  The x86-64 trampoline then runs with
 * rsp % 16 == 8, exactly as at any function entry; on aarch64 sp is
 * 16-aligned at every instruction. */
FIBER_NOINSTR static void backend_prepare(fiber *f)
{
    uintptr_t top = ((uintptr_t)f->stack_lo + f->stack_size) & ~(uintptr_t)15;
    uintptr_t *sp = (uintptr_t *)top - FRAME_WORDS;
    memset(sp, 0, FRAME_WORDS * sizeof *sp);
    sp[SLOT_SELF] = (uintptr_t)f;
    sp[SLOT_ENTRY] = (uintptr_t)fiber_entry;
    sp[SLOT_FP] = 0;
    sp[SLOT_RET] = (uintptr_t)fiber_asm_entry;
    f->sp = sp;
}

FIBER_NOINSTR static inline void backend_switch(fiber *from, fiber *to)
{
    fiber_asm_switch(&from->sp, &to->sp);
}

/* ---- backend: ucontext fallback ------------------------------------- */

#else /* FIBER_BACKEND_UCONTEXT */

/* makecontext passes only int arguments, so the pointer travels in halves
 * (shifted twice so the code stays valid where uintptr_t has 32 bits). */
FIBER_NOINSTR static void uc_entry(unsigned lo, unsigned hi)
{
    uintptr_t p = ((uintptr_t)hi << 16 << 16) | (uintptr_t)lo;
    fiber_entry((fiber *)p);
}

FIBER_NOINSTR static void backend_prepare(fiber *f)
{
    uintptr_t p = (uintptr_t)f;
    if (getcontext(&f->uc) != 0)
        fiber_die("getcontext failed");
    f->uc.uc_stack.ss_sp = f->stack_lo;
    f->uc.uc_stack.ss_size = f->stack_size;
    f->uc.uc_link = NULL;
    makecontext(&f->uc, (void (*)(void))uc_entry, 2,
                (unsigned)(p & 0xffffffffu), (unsigned)(p >> 16 >> 16));
}

FIBER_NOINSTR static inline void backend_switch(fiber *from, fiber *to)
{
    if (swapcontext(&from->uc, &to->uc) != 0)
        fiber_die("swapcontext failed");
}

#endif

/* ---- public interface ------------------------------------------------ */

int fiber_stack_alloc(fiber *f, size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    memset(f, 0, sizeof *f);
    if (size == 0 || size > SIZE_MAX / 2) {
        errno = EINVAL;
        return -1;
    }
    size_t usable = (size + page - 1) & ~(page - 1);
    size_t total = usable + page;
    char *map = mmap(NULL, total, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | FIBER_MAP_STACK, -1, 0);
    if (map == MAP_FAILED)
        return -1;
    if (mprotect(map, page, PROT_NONE) != 0) { /* the guard page */
        int saved = errno;
        munmap(map, total);
        errno = saved;
        return -1;
    }
    f->map = map;
    f->map_size = total;
    f->stack_lo = map + page;
    f->stack_size = usable;
    return 0;
}

FIBER_NOINSTR void fiber_stack_free(fiber *f)
{
    fiber_abandon(f);
    tsan_fiber_destroy(f); /* armed but never entered: still holds one */
    if (f->map)
        munmap(f->map, f->map_size);
    f->map = NULL;
    f->map_size = 0;
    f->stack_lo = NULL;
    f->stack_size = 0;
}

FIBER_NOINSTR void fiber_init_main(fiber *f)
{
    memset(f, 0, sizeof *f);
    f->is_main = 1;
#ifdef FIBER_TSAN
    f->tsan = __tsan_get_current_fiber();
#endif
}

FIBER_NOINSTR void fiber_abandon(fiber *f)
{
    if (f->is_main || !f->ran)
        return; /* nothing ran on the stack since fiber_start */
    f->ran = 0;
    tsan_fiber_destroy(f);
    tsan_forget_stack(f);
    asan_free_fake_stack(f);
    asan_unpoison_stack(f);
}

FIBER_NOINSTR void fiber_start(fiber *f, fiber_fn fn, void *arg)
{
    if (!f->map)
        fiber_die("fiber_start on a fiber without a stack");
    fiber_abandon(f);
    /* A fiber armed but never entered still holds the TSan fiber of an
     * earlier start, whose creation edge predates what the caller wrote
     * since: make a new one, so the edge comes from this start. */
    tsan_fiber_destroy(f);
    f->fn = fn;
    f->arg = arg;
    backend_prepare(f);
    tsan_fiber_create(f); /* last: its creation edge covers the new frame */
}

/* Without sanitizers this compiles to a tail jump into the assembly. */
FIBER_NOINSTR void fiber_switch(fiber *from, fiber *to)
{
    asan_before_switch(from, to);
    tsan_before_switch(to); /* last: TSan wants it right before the jump */
    backend_switch(from, to);
    asan_after_switch(from);
}
