/*
 * shapes_fp.c — the shapes that keep the frame pointer (compiled with
 * -fno-omit-frame-pointer): the return slot is the word above the saved
 * frame pointer, so SHAPE_SLOT is exact.
 */
#include <setjmp.h>
#include <signal.h>
#include <ucontext.h>

#include "shape_body.h"

#define SHAPE_SLOT(m) ((uintptr_t)__builtin_frame_address(0) + sizeof(uintptr_t))

enum { LARGE_FRAME = 5 * 4096 + 512 };

SHAPE_FN void shape_root(mutator *m)
{
    while (!atomic_load_explicit(&m->stop, memory_order_relaxed))
        shape_body(m);
}

SHAPE_FN void shape_plain(mutator *m)
{
    SHAPE_ENTER(m, SHAPE_CALL);
    shape_body(m);
    SHAPE_LEAVE(m);
}

SHAPE_FN void shape_leaf(mutator *m)
{
    SHAPE_ENTER(m, SHAPE_LEAF);
    if (m->probing)
        m->probe_ra[1] = (uintptr_t)__builtin_return_address(0);
    shape_spin(m);
    SHAPE_LEAVE(m);
}

/* Larger than a page: compiled with -fstack-clash-protection, the prologue
 * touches each page as it goes down (a probe loop or probe stores). */
SHAPE_FN void shape_large(mutator *m)
{
    volatile char big[LARGE_FRAME];
    big[0] = 1;
    big[LARGE_FRAME - 1] = 1;
    SHAPE_ENTER(m, SHAPE_LARGE);
    shape_body(m);
    SHAPE_LEAVE(m);
    big[LARGE_FRAME / 2] = big[0];
}

/* A variable-length array: the frame's size is known only at run time, so
 * the compiler addresses the frame from the frame pointer. */
SHAPE_FN void shape_alloca(mutator *m)
{
    size_t n = 16 + program_below(m, 3000);
    volatile char p[n];
    p[0] = 1;
    p[n - 1] = p[0];
    SHAPE_ENTER(m, SHAPE_ALLOCA);
    shape_body(m);
    SHAPE_LEAVE(m);
}

/* The clobbers make the prologue save, and the epilogue restore, every
 * callee-saved register. */
SHAPE_FN void shape_saved(mutator *m)
{
    SHAPE_ENTER(m, SHAPE_SAVED);
    __asm__ volatile("" ::: "rbx", "r12", "r13", "r14", "r15", "memory");
    shape_body(m);
    __asm__ volatile("" ::: "rbx", "r12", "r13", "r14", "r15", "memory");
    SHAPE_LEAVE(m);
}

/* Forgets itself, then jumps to another shape, which returns straight to
 * this one's caller through the same return slot. shapes_init checks that
 * the compiler did make it a jump. */
SHAPE_FN void shape_tail(mutator *m)
{
    SHAPE_ENTER(m, SHAPE_TAIL);
    if (m->probing)
        m->probe_ra[0] = (uintptr_t)__builtin_return_address(0);
    shape_body(m);
    unsigned id = m->probing ? SHAPE_LEAF : program_shape(m);
    if (id == SHAPE_TAIL)
        id = SHAPE_CALL;
    m->callee_slot = SHAPE_SLOT(m); /* the callee returns through this frame's slot */
    SHAPE_LEAVE(m);
#if defined(__clang__) && __has_attribute(musttail)
    __attribute__((musttail)) return shape_fns[id](m);
#else
    shape_fns[id](m); /* a sibling call at -O2: -foptimize-sibling-calls */
#endif
}

SHAPE_FN void shape_recurse(mutator *m)
{
    SHAPE_ENTER(m, SHAPE_RECURSE);
    if (m->recurse > 0 && m->shadow.depth + 6 < m->cfg->max_depth) {
        m->recurse--;
        shape_fns[SHAPE_RECURSE](m);
    } else {
        shape_body(m);
    }
    SHAPE_LEAVE(m);
}

SHAPE_FN void shape_catch(mutator *m)
{
    SHAPE_ENTER(m, SHAPE_CATCH);
    jmp_buf jb;
    unsigned i = m->ncatch;
    if (i < sizeof m->catchers / sizeof m->catchers[0]) {
        m->catchers[i].jb = &jb;
        m->catchers[i].depth = m->shadow.depth;
        m->catchers[i].slot = SHAPE_SLOT(m);
        m->ncatch = i + 1;
        if (setjmp(jb) != 0) {
            /* landed: the stack is back in step with the shadow */
            m->ncatch = i + 1;
            atomic_signal_fence(memory_order_seq_cst);
            m->transition = 0;
        }
        shape_body(m);
        m->ncatch = i;
    } else {
        shape_body(m);
    }
    SHAPE_LEAVE(m);
}

/* The trap handler: a signal handler's frame above the kernel's signal
 * frame. It records the interrupted PC as a signal frame (its slot is the
 * saved RIP in the ucontext, which is not a return slot) and itself, whose
 * return address is the kernel's signal return trampoline; runs a nested
 * program; and steps over the ud2. */
static atomic_uintptr_t signal_return;

uintptr_t shapes_signal_return(void) { return atomic_load(&signal_return); }

void shapes_learn_signal_return(uintptr_t restorer)
{
    atomic_store(&signal_return, restorer);
}

/* Ours: a ud2 in a shape. Inline, as the handler has not recorded itself. */
PROGRAM_INLINE bool shape_our_trap(uintptr_t pc)
{
    extern const char __start_sr_shape_text[], __stop_sr_shape_text[];
    const unsigned char *p = (const unsigned char *)pc;
    return pc >= (uintptr_t)__start_sr_shape_text && pc + 2 <= (uintptr_t)__stop_sr_shape_text &&
           p[0] == 0x0f && p[1] == 0x0b;
}

SHAPE_FN void shape_trap_handler(int sig, siginfo_t *info, void *ucv)
{
    (void)info;
    ucontext_t *uc = ucv;
    mutator *m = mutator_self;
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    if (!m || !shape_our_trap(pc)) {
        signal(sig, SIG_DFL); /* not ours: let it kill as it would */
        return;
    }
    atomic_store_explicit(&signal_return, (uintptr_t)__builtin_return_address(0),
                          memory_order_relaxed);
    /* the interrupted function is not named here (a call would be a frame
     * the shadow does not know, and gcc leaves a leaf without a frame
     * pointer): a reader takes it from the PC (shadow.h) */
    shadow_push(&m->shadow, pc, (uintptr_t)&uc->uc_mcontext.gregs[REG_RIP], SHAPE_COUNT,
                FRAME_SIGNAL);
    SHAPE_ENTER(m, SHAPE_HANDLER);
    unsigned base = m->trap_catch_base;
    m->in_trap++;
    m->trap_catch_base = m->ncatch;
    shape_body(m);
    m->trap_catch_base = base;
    m->in_trap--;
    SHAPE_LEAVE(m);
    shadow_pop(&m->shadow);
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(pc + 2);
}
