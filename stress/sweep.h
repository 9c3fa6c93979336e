/*
 * sweep.h — the deterministic sweep: every instruction of a call program,
 * walked.
 *
 * A child process runs one call program (the same shapes, one thread, the
 * barriers installed and removed by the thread itself) single-stepped under
 * ptrace. At every instruction the parent injects the sampling signal; the
 * child's handler walks with the walker under test and compares the walk
 * with the ground truth the parent wrote for that instruction. The parent
 * builds that truth from what it saw the child do, not from the child's own
 * shadow: each call it stepped over (the stack pointer down by one word,
 * the word there a return address just past the instruction) pushes a frame,
 * each move of the stack pointer above a frame's slot pops it (a return, a
 * longjmp, a signal return), and a signal it delivered pushes the kernel's
 * signal frame and the handler's frame. So prologues and epilogues, where
 * the shadow is ambiguous, are judged exactly here: a walker that skips a
 * frame there is wrong.
 *
 * Each verdict is filed under the PC and under a region:
 *   trampoline    the barrier trampoline (a return on its way back)
 *   signal frame  anywhere above a signal frame (a trap's handler program)
 *   leaf          a leaf shape, or code that is not a shape (libc, helpers)
 *   prologue      a shape before it recorded itself
 *   body          a shape that has recorded itself (the root's code too)
 *   epilogue      a shape after it forgot itself
 * The child's shadow (read from its report, not trusted as truth) tells
 * prologue from body from epilogue: shapes record themselves exactly where
 * their frame is set up.
 */
#ifndef STRESS_SWEEP_H
#define STRESS_SWEEP_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "verdict.h"
#include "stackrace/native.h"

enum sweep_region {
    REGION_PROLOGUE, REGION_BODY, REGION_EPILOGUE, REGION_LEAF, REGION_SIGNAL,
    REGION_TRAMPOLINE, REGION_COUNT
};
const char *sweep_region_name(unsigned r);

typedef struct sweep_config {
    const sr_walker *walker;
    uint64_t seed;
    unsigned long calls; /* the program's length, in calls */
    bool barriers;
    unsigned shapes;     /* mask of callable shapes (shapes_parse) */
} sweep_config;

typedef struct sweep_counts {
    uint64_t n[VERDICT_COUNT]; /* by verdict (verdict.h) */
} sweep_counts;

enum { SWEEP_PC_TABLE = 1u << 16 };

/* The evidence of a PC's first error (lost, wrong, fault): what the walker
 * returned, what the truth was, and the code there, as the tracer read it
 * from the child; for a fault, where the walker faulted, as the child's
 * guard told it. The bytes before the PC are the end of the instruction
 * before it (x86 cannot be decoded backwards: a reader disassembles them). */
enum {
    EVIDENCE_FRAMES = 16, EVIDENCE_BYTES = 16, EVIDENCE_FAULT = 160, SWEEP_EVIDENCE_MAX = 4096
};
typedef struct sweep_evidence {
    uint8_t verdict;
    int8_t frame;             /* the first frame that differs or is missing */
    uint8_t truth_n, walk_n;  /* after the PC */
    uint8_t stop_why;         /* what the walker said about its end (SR_STOP_*) */
    long stop_code;
    uintptr_t stop_last;
    uintptr_t truth[EVIDENCE_FRAMES], walk[EVIDENCE_FRAMES];
    unsigned char before[EVIDENCE_BYTES], code[EVIDENCE_BYTES];
    char fault[EVIDENCE_FAULT]; /* a fault: the walker's, told; else empty */
} sweep_evidence;

typedef struct sweep_pc {
    uintptr_t pc;
    uint8_t region;
    unsigned evidence; /* 1 + its index in sweep_result.evidence; 0: none */
    sweep_counts c;
} sweep_pc;

typedef struct sweep_result {
    sweep_counts region[REGION_COUNT];
    sweep_counts total;
    uint64_t instructions, faults; /* faults: samples whose walk was caught (verdict fault) */
    unsigned findings;        /* the child's findings, every occurrence (async-signal
                               * safety, faults: each caught walk is one) */
    char first_finding[200];  /* the first, told */
    double seconds;
    sweep_pc *pcs; /* a hash table of SWEEP_PC_TABLE slots; pc 0: empty (sweep_free) */
    sweep_evidence *evidence; /* up to SWEEP_EVIDENCE_MAX, in the order met (sweep_free) */
    unsigned nevidence;
    unsigned npcs;
    char first_wrong[REGION_COUNT][512]; /* each region's first lost or wrong walk, told */
} sweep_result;

/* Runs the sweep. 0 when it ran to the end; else 2 after a one-line error. */
int sweep_run(const sweep_config *c, sweep_result *r);
void sweep_free(sweep_result *r);
/* "name+0xoff" for a PC of the sweep's program (shapes, trampoline). */
void sweep_describe_pc(char *out, size_t n, uintptr_t pc);
/* The same for a return address, named by its call (the byte before it). */
void sweep_describe_ra(char *out, size_t n, uintptr_t ra);
#endif
