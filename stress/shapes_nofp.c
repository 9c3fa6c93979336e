/*
 * shapes_nofp.c — the shapes without a frame pointer (compiled with
 * -fomit-frame-pointer). The return slot is found from the stack pointer
 * in the body: the nearest word above it holding the return address
 * (nothing in these small frames holds a code address of a shape).
 */
#include <setjmp.h>

#include "shape_body.h"

/* ra as the frame read it: its original, or the trampoline if its slot (or,
 * after a tail call, its caller's) was patched. */
PROGRAM_INLINE uintptr_t shape_find_slot(const mutator *m, uintptr_t ra)
{
    uintptr_t sp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    uintptr_t hi = (sp >= m->alt_lo && sp < m->alt_hi) ? m->alt_hi : m->stack_hi;
    for (uintptr_t a = sp; a + sizeof a <= hi; a += sizeof a)
        if (*(volatile uintptr_t *)a == ra)
            return a;
    return 0;
}

#define SHAPE_SLOT(m) shape_find_slot((m), (uintptr_t)__builtin_return_address(0))

SHAPE_FN void shape_plain_nofp(mutator *m)
{
    SHAPE_ENTER(m, SHAPE_CALL_NOFP);
    shape_body(m);
    SHAPE_LEAVE(m);
}

SHAPE_FN void shape_leaf_nofp(mutator *m)
{
    SHAPE_ENTER(m, SHAPE_LEAF_NOFP);
    shape_spin(m);
    SHAPE_LEAVE(m);
}

SHAPE_FN void shape_saved_nofp(mutator *m)
{
    SHAPE_ENTER(m, SHAPE_SAVED_NOFP);
    __asm__ volatile("" ::: "rbx", "rbp", "r12", "r13", "r14", "r15", "memory");
    shape_body(m);
    __asm__ volatile("" ::: "rbx", "rbp", "r12", "r13", "r14", "r15", "memory");
    SHAPE_LEAVE(m);
}
