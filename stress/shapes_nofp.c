/*
 * shapes_nofp.c — the shapes without a frame pointer (compiled with
 * -fomit-frame-pointer). Nothing in the frame says where the return slot is,
 * so the caller said it (m->callee_slot: its stack pointer at the call, one
 * word down); the callee checks that the word there is its return address,
 * and records no slot (no barrier will be put there) if it is not.
 *
 * Not a scan of the frame for the return address: a frame's uninitialised
 * words hold what earlier frames left there, and an earlier incarnation of
 * the same shape, called from the same place, spilled that very value.
 */
#include <setjmp.h>

#include "shape_body.h"

PROGRAM_INLINE uintptr_t shape_checked_slot(const mutator *m, uintptr_t ra)
{
    uintptr_t slot = m->callee_slot;
    bool mine = (slot >= m->stack_lo && slot < m->stack_hi) ||
                (slot >= m->alt_lo && slot < m->alt_hi); /* inline: no call before the record */
    return mine && *(volatile uintptr_t *)slot == ra ? slot : 0;
}

#define SHAPE_SLOT(m) shape_checked_slot((m), (uintptr_t)__builtin_return_address(0))

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
