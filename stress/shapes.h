/*
 * shapes.h — the family of frame shapes call programs are made of.
 *
 * Each shape is a real C function whose code the compiler shapes: a frame
 * that keeps the frame pointer and one that does not, a leaf, a frame too
 * large for one page (stack probes), a variable-sized frame (alloca), one
 * that saves every callee-saved register, a tail call, recursion, a
 * setjmp/longjmp catcher, a signal handler's frame above the kernel's
 * signal frame (on the thread's stack or on a sigaltstack, nested once),
 * and functions packed at 1-byte alignment, one starting at the return
 * address of a noreturn call. shapes_fp.c is compiled with frame pointers,
 * shapes_nofp.c without, shapes_packed.c unaligned; all optimized,
 * uninstrumented (a sanitizer's calls would be frames the shadow does not
 * know) and in one section, so that a PC can be told to be in a shape.
 *
 * Every shape records itself in the shadow stack when its body starts and
 * forgets itself when it ends (shadow.h). Between its first instruction and
 * that record, and between forgetting and returning (prologue, epilogue),
 * the shadow is one frame behind the real stack: the oracle's one documented
 * tolerance (oracle.c).
 */
#ifndef STRESS_SHAPES_H
#define STRESS_SHAPES_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mutator;

enum shape_id {
    SHAPE_ROOT,      /* the program's root: runs programs until told to stop */
    SHAPE_CALL,      /* frame pointer kept, calls on */
    SHAPE_LEAF,      /* frame pointer kept, calls nothing */
    SHAPE_LARGE,     /* a frame larger than a page: stack probes */
    SHAPE_ALLOCA,    /* a variable-sized frame */
    SHAPE_SAVED,     /* saves every callee-saved register */
    SHAPE_TAIL,      /* forgets itself, then tail-calls another shape */
    SHAPE_RECURSE,   /* calls itself a few times */
    SHAPE_CATCH,     /* setjmp; a deeper frame may longjmp back */
    SHAPE_HANDLER,   /* a signal handler's frame (entered by a trap) */
    SHAPE_CALL_NOFP, /* no frame pointer */
    SHAPE_LEAF_NOFP,
    SHAPE_SAVED_NOFP,
    SHAPE_NORETURN,    /* 1-byte aligned: ends with a call of throw (shapes_packed.c) */
    SHAPE_THROW,       /* starts at noreturn's return address; longjmps back */
    SHAPE_LEAF_PACKED, /* starts at throw's longjmp call's return address */
    SHAPE_LEAF_LEAVE,  /* by hand: an epilogue with leave (shape_leave_x86_64.S) */
    SHAPE_COUNT
};

/* Program steps besides calls (program.h). */
enum shape_op {
    OP_RET = SHAPE_COUNT, OP_FOREIGN, OP_TRAP, OP_ALTTRAP, OP_LONGJMP,
    OP_SIGNAL_SELF /* bench-walkers: stop here and be walked (program.h) */
};

typedef void (*shape_fn)(struct mutator *m);

typedef struct shape_info {
    const char *name;
    shape_fn fn;
    bool fp;          /* keeps the frame pointer, and so does what it calls */
    bool callable;    /* a program may call it (not the root or the handler) */
} shape_info;

const shape_info *shape_at(unsigned id);
/* The address of shape id's first instruction. */
uintptr_t shape_start(unsigned id);
/* Just past shape id's code: the next shape's start, or the section's end. */
uintptr_t shape_end(unsigned id);
/* The shape whose code contains pc, or -1. */
int shape_of_pc(uintptr_t pc);
/* Whether pc is a return address inside shape id's code (just after a call
 * instruction there). */
bool shape_is_return_site(unsigned id, uintptr_t pc);
/* Whether the len bytes before end are a call instruction (x86-64). */
bool shape_is_call(const unsigned char *end, unsigned len);
/* Whether pc is one of shape id's trap instructions. */
bool shape_is_trap_site(unsigned id, uintptr_t pc);
/* Masks of the callable shapes: all of them, and those with frame pointers. */
unsigned shapes_all(void);
unsigned shapes_with_fp(void);
/* A mask from "fp", "all" or a comma-separated list of callable shapes'
 * names (after shapes_init); -1 with the reason in why. */
int shapes_parse(const char *spec, unsigned *mask, char *why, size_t n);
/* Startup checks of what the compiler made of the shapes (a tail call that
 * is a jump, traps the handler recognises). Shapes that fail are left out of
 * shapes_all(); why is written to why. Returns the number left out. */
int shapes_init(char *why, unsigned n);
/* The address the signal handler's frame returns to (the kernel's signal
 * return trampoline), learned by shapes_init. */
uintptr_t shapes_signal_return(void);
/* Sets it before any trap (from the handler's sa_restorer), so that a
 * sample in the first trap's handler knows it too; each trap confirms it. */
void shapes_learn_signal_return(uintptr_t restorer);

/* The two trap signals' handler (shapes_fp.c): a trap in a shape enters
 * SHAPE_HANDLER, which runs a nested program. */
void shape_trap_handler(int sig, siginfo_t *info, void *uc);

/* The shapes, by id (shapes.c). */
extern const shape_fn shape_fns[SHAPE_COUNT];
#endif
