/*
 * shape_body.h — what every shape does between recording and forgetting
 * itself: run program steps until the program returns. Included by
 * shapes_fp.c and shapes_nofp.c, which define SHAPE_SLOT() (where the
 * calling frame's return address lives) for their own frame layout.
 * Everything here is inlined: no frame may appear that the shadow does not
 * record.
 */
#ifndef STRESS_SHAPE_BODY_H
#define STRESS_SHAPE_BODY_H
#include <sys/syscall.h>

#include "barrier.h"
#include "program.h"

/* Every shape lives in one section, so that a PC can be told to be in one. */
#define SHAPE_FN __attribute__((noinline, used, section("sr_shape_text")))

/* The return address as the frame's caller will get it (barrier.h). */
#define SHAPE_ENTER(m, id)                                                            \
    do {                                                                              \
        uintptr_t slot_ = SHAPE_SLOT(m);                                              \
        uintptr_t ra_ = barrier_logical_ra(&(m)->barriers,                            \
                                           (uintptr_t)__builtin_return_address(0), slot_); \
        shadow_push(&(m)->shadow, ra_, slot_, (id), FRAME_CALL);                      \
    } while (0)
#define SHAPE_LEAVE(m) shadow_pop(&(m)->shadow)

PROGRAM_INLINE void shape_count(atomic_ulong *c)
{
    /* one writer: a plain load and store, no locked instruction */
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* Where the callee's return address will be: the word below the stack
 * pointer at the call (x86-64 passes the argument in a register, and a body
 * does not move its stack pointer around a call). A callee that cannot find
 * its own slot (no frame pointer) takes it from here, after checking it. */
PROGRAM_INLINE void shape_note_callee_slot(mutator *m)
{
    uintptr_t sp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    m->callee_slot = sp - sizeof(uintptr_t);
}

PROGRAM_INLINE void shape_call(mutator *m, unsigned id)
{
    if (id == SHAPE_RECURSE)
        m->recurse = program_below(m, 4);
    shape_count(&m->calls);
    shape_note_callee_slot(m);
    shape_fns[id](m);
}

/* sigaltstack by a raw system call: a libc call would be a frame of its own. */
PROGRAM_INLINE void shape_set_altstack(mutator *m, bool on)
{
    /* in the mutator, not a local: an address-taken local would keep the
     * compiler from making shape_tail's call a jump */
    m->alt_ss.ss_sp = (void *)m->alt_lo;
    m->alt_ss.ss_size = m->alt_hi - m->alt_lo;
    m->alt_ss.ss_flags = on ? 0 : SS_DISABLE;
    long rc;
    __asm__ volatile("syscall"
                     : "=a"(rc)
                     : "a"((long)SYS_sigaltstack), "D"(&m->alt_ss), "S"(0L)
                     : "rcx", "r11", "memory");
    if (rc == 0)
        m->on_alt = on;
}

/* A trap: ud2, which the trap handler (shapes_fp.c) turns into a signal
 * handler's frame running a nested program, then steps over. The nested
 * program may trap again, once: two signal frames on one stack (or the
 * second below the first on the signal stack, where the kernel stays once
 * on it, and where sigaltstack cannot be changed), as a profiler's signal
 * that lands in a handler makes them. */
enum { TRAP_NESTING = 2 };
PROGRAM_INLINE void shape_trap(mutator *m, bool alt)
{
    if (m->in_trap >= TRAP_NESTING || !m->alt_lo)
        return;
    if (alt != m->on_alt)
        shape_set_altstack(m, alt);
    shape_count(&m->traps);
    if (m->in_trap)
        shape_count(&m->nested_traps);
    __asm__ volatile("ud2" ::: "memory");
}

/* Back to catcher i: the frames below it are abandoned, with their
 * barriers (barrier_unwind) and their shadow entries. The shadow and the
 * stack disagree until the catcher runs again: `transition` says so. */
PROGRAM_INLINE __attribute__((noreturn)) void shape_longjmp_to(mutator *m, unsigned i)
{
    m->transition = 1;
    atomic_signal_fence(memory_order_seq_cst);
    uintptr_t slot = m->catchers[i].slot;
    bool alt = slot >= m->alt_lo && slot < m->alt_hi;
    barrier_unwind(&m->barriers, alt ? m->alt_lo : m->stack_lo, slot);
    m->shadow.depth = m->catchers[i].depth;
    shape_count(&m->longjmps);
    longjmp(*m->catchers[i].jb, 1);
}

/* Back to the innermost catcher, if it is not outside the trap handler
 * running this program. */
PROGRAM_INLINE void shape_longjmp(mutator *m)
{
    if (m->ncatch <= m->trap_catch_base)
        return;
    shape_longjmp_to(m, m->ncatch - 1);
}

/* tgkill(self, SIGPROF) by a raw system call: the handler then interrupts
 * this body, on a stack of shapes only. */
PROGRAM_INLINE void shape_signal_self(mutator *m)
{
    long rc;
    __asm__ volatile("syscall"
                     : "=a"(rc)
                     : "a"((long)SYS_tgkill), "D"((long)m->pid), "S"((long)m->tid),
                       "d"((long)SIGPROF)
                     : "rcx", "r11", "memory");
    (void)rc;
}

PROGRAM_INLINE void shape_body(mutator *m)
{
    for (;;) {
        unsigned op = program_next(m);
        if (op < SHAPE_COUNT) {
            shape_call(m, op);
            continue;
        }
        switch (op) {
        case OP_RET:
            return;
        case OP_FOREIGN:
            mutator_foreign(m, m->cfg->foreign_us / 2 + program_below(m, m->cfg->foreign_us + 1));
            break;
        case OP_TRAP:
            shape_trap(m, false);
            break;
        case OP_ALTTRAP:
            shape_trap(m, true);
            break;
        case OP_LONGJMP:
            shape_longjmp(m);
            break;
        case OP_SIGNAL_SELF:
            shape_signal_self(m);
            break;
        }
    }
}

/* Burns a little time without a call: where samples land in a leaf. */
PROGRAM_INLINE void shape_spin(mutator *m)
{
    unsigned n = 32 + program_below(m, 256);
    for (unsigned i = 0; i < n; i++)
        __asm__ volatile("" ::: "memory");
}
#endif
