/*
 * fiber.h - fast, sanitizer-aware user-space context switching.
 *
 * The model engine runs every simulated thread (actor) as a fiber on one OS
 * thread and decides itself which one runs next.  fiber.c explains the design;
 * this header is the whole contract.
 *
 * Lifecycle of a fiber that owns a stack:
 *
 *     fiber f;
 *     fiber_stack_alloc(&f, 64 * 1024);    once; initializes every field of f
 *     fiber_start(&f, fn, arg);            (re)arm: fn(arg) runs at next switch
 *     fiber_switch(&me, &f);               ... runs until f switches away
 *     fiber_start(&f, fn2, arg2);          restart, even if f stopped mid-run
 *     fiber_stack_free(&f);                once, when f is not running
 *
 * The OS thread's own context is described by a "main" fiber:
 *
 *     fiber main_f;
 *     fiber_init_main(&main_f);            on the thread that will run fibers
 *
 * Rules (not checked at run time, breaking them is undefined behaviour):
 *   - A fiber and everything it switches with belong to one OS thread.
 *   - fiber_switch(from, to): from is the fiber currently running, to is a
 *     suspended fiber or one armed by fiber_start.  Self-switch is a no-op.
 *   - fiber_start / fiber_abandon / fiber_stack_free are never called on the
 *     running fiber.
 *   - fn must never return; it ends its life by switching away for good.
 *     If it returns anyway, the process prints a message and aborts.
 *
 * Build configuration: the backend is chosen here, so every translation unit
 * that includes this header must see the same FIBER_UCONTEXT value (the CMake
 * option defines it project-wide).  The struct layout does NOT depend on
 * sanitizer flags: sanitizer bookkeeping fields are always present.
 */
#ifndef STACKRACE_FIBER_H
#define STACKRACE_FIBER_H

#include <stddef.h>

#if defined(FIBER_UCONTEXT) && FIBER_UCONTEXT
#define FIBER_BACKEND_UCONTEXT 1
#elif defined(__ELF__) && (defined(__x86_64__) || defined(__aarch64__))
#define FIBER_BACKEND_ASM 1
#else
#define FIBER_BACKEND_UCONTEXT 1
#endif

#ifdef FIBER_BACKEND_UCONTEXT
#include <ucontext.h>
#endif

typedef struct fiber fiber;
typedef void (*fiber_fn)(void *arg);

/* Fields are private to fiber.c; they are public only so callers can embed
 * a fiber by value. */
struct fiber {
#ifdef FIBER_BACKEND_ASM
    void *sp;              /* saved stack pointer while suspended */
#else
    ucontext_t uc;         /* saved context while suspended */
#endif
    void *map;             /* mmap'd region incl. guard page; NULL if none */
    size_t map_size;
    void *stack_lo;        /* lowest usable byte, just above the guard page */
    size_t stack_size;     /* usable bytes; the stack top is stack_lo+size */
    fiber_fn fn;
    void *arg;
    void *tsan;            /* ThreadSanitizer fiber handle, or NULL */
    void *asan_fake_stack; /* AddressSanitizer fake stack while suspended */
    fiber *asan_prev;      /* fiber that switched to this one (ASan only) */
    int is_main;           /* describes an OS thread's own context */
    int ran;               /* entered since the last fiber_start */
};

/* Maps `size` bytes (rounded up to whole pages) of stack with a PROT_NONE
 * guard page below it, and initializes every field of *f.  Returns 0, or -1
 * (errno set, *f left with no stack) on failure.  The stack is kept across any
 * number of fiber_start calls until fiber_stack_free. */
int fiber_stack_alloc(fiber *f, size_t size);

/* Discards f's context (see fiber_abandon) and unmaps its stack.  Safe on a
 * fiber whose fiber_stack_alloc failed. */
void fiber_stack_free(fiber *f);

/* Makes *f describe the calling OS thread's own context, so fibers can switch
 * back to it.  It needs no stack and no fiber_stack_free. */
void fiber_init_main(fiber *f);

/* Arms f so that the next switch to it runs fn(arg) from the top of its
 * stack.  If f had run before (for instance it was abandoned mid-run), its old
 * context is discarded first, exactly as by fiber_abandon. */
void fiber_start(fiber *f, fiber_fn fn, void *arg);

/* Saves the running context into `from` and resumes `to`.  Returns when some
 * fiber switches back to `from`.  Creates no happens-before edge for
 * ThreadSanitizer: only the model's own synchronization orders actors. */
void fiber_switch(fiber *from, fiber *to);

/* Declares that f's current run is over for good: its suspended context is
 * discarded and the sanitizer state tied to it (TSan fiber, ASan fake stack,
 * stale stack shadow) is released.  fiber_start and fiber_stack_free call it
 * themselves, so calling it is optional; calling it early returns those
 * resources sooner.  No-op on a fiber that has not run since fiber_start. */
void fiber_abandon(fiber *f);

#endif /* STACKRACE_FIBER_H */
