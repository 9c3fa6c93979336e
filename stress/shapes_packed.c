/*
 * shapes_packed.c — shapes laid out as compilers lay out real code when
 * nobody pads it: functions at 1-byte alignment (-falign-functions=1), in
 * source order, and a function that ends with a call that never returns,
 * so that the call's return address is the first byte of the next
 * function.
 *
 * That return address is the classic trap for a walker that looks up the
 * unwind information of a return address itself instead of the byte
 * before it (the call): it gets the next function's entry, whose CFA rule
 * (rsp+8) says nothing about the caller's frame. DWARF unwinders subtract
 * one for this reason (libgcc's _Unwind_Find_FDE is called with pc-1 for
 * every frame but a signal frame; libunwind's "use_prev_instr"). With the
 * default 16-byte alignment such a return lands in padding and the bug
 * stays hidden; here it cannot.
 *
 * noreturn: keeps the frame pointer, registers itself as a catcher, and
 *   calls throw, declared noreturn, as its last instruction;
 * throw: runs a program, then longjmps back to noreturn's catcher (its
 *   last instruction is longjmp's call, also noreturn);
 * leaf-packed: a leaf starting right there.
 * shapes_init checks the layout at run time (the return address throw sees
 * is exactly throw's first instruction) and leaves noreturn out if a
 * compiler laid it out otherwise; the test suite insists it did not.
 */
#include <setjmp.h>

#include "shape_body.h"

#define SHAPE_SLOT(m) ((uintptr_t)__builtin_frame_address(0) + sizeof(uintptr_t))

__attribute__((noreturn)) void shape_throw(mutator *m);

/* Runs no program itself: the only call that cannot return is throw's, so
 * no compiler has another cold block to put after it. */
SHAPE_FN void shape_noreturn(mutator *m)
{
    SHAPE_ENTER(m, SHAPE_NORETURN);
    jmp_buf jb;
    unsigned i = m->ncatch;
    if (__builtin_expect(i >= sizeof m->catchers / sizeof m->catchers[0], 0)) {
        shape_spin(m); /* no catcher left: a leaf this time */
        SHAPE_LEAVE(m);
        return;
    }
    m->catchers[i].jb = &jb;
    m->catchers[i].depth = m->shadow.depth;
    m->catchers[i].slot = SHAPE_SLOT(m);
    m->ncatch = i + 1;
    if (setjmp(jb) != 0) {
        m->ncatch = i;
        atomic_signal_fence(memory_order_seq_cst);
        m->transition = 0;
        SHAPE_LEAVE(m);
        return;
    }
    shape_count(&m->calls);
    shape_throw(m); /* the last instruction: throw's entry is its return address */
}

SHAPE_FN __attribute__((noreturn)) void shape_throw(mutator *m)
{
    SHAPE_ENTER(m, SHAPE_THROW);
    if (m->probing)
        m->probe_ra[2] = (uintptr_t)__builtin_return_address(0);
    shape_body(m);
    /* the program has returned to this frame: the innermost catcher is
     * noreturn's again */
    shape_longjmp_to(m, m->ncatch - 1);
}

SHAPE_FN void shape_leaf_packed(mutator *m)
{
    SHAPE_ENTER(m, SHAPE_LEAF_PACKED);
    shape_spin(m);
    SHAPE_LEAVE(m);
}
