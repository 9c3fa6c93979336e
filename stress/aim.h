/*
 * aim.h — aimed samples: a hardware breakpoint per thread on one chosen
 * instruction, so that a sample lands exactly there.
 *
 * A timer's samples fall where the thread spends its time; a function's
 * first instruction or its ret is one instruction among thousands, and a
 * walker bug that needs a sample on exactly that instruction is seen once
 * a run, or never. libunwind 1.6's register-state cache is such a bug: it
 * keys a rule by the IP alone, so a sample on throw's first instruction
 * (looked up at the PC) and the return address of noreturn's last call
 * (the same address, looked up one byte back) share an entry, and one gets
 * the other's rule (docs/walkers.md). The sweep meets every instruction;
 * stress met that one a few times in five seconds.
 *
 * So each running thread arms an execution breakpoint (perf_event_open,
 * PERF_TYPE_BREAKPOINT with sigtrap: Linux 5.13) on a point drawn at random
 * from the shapes' entries and the bytes of their code that may be a ret
 * (0xc3). A breakpoint fires only at an instruction's first byte, so a c3
 * inside another instruction costs a tick of waiting, never a wrong
 * sample. The hit is a synchronous SIGTRAP with the PC on the point; the
 * handler samples as the timer's does, and disarms. Each timer sample aims
 * again at a new point: at most one aimed sample per timer tick, so the
 * program keeps its time and the timer's samples their share.
 */
#ifndef STRESS_AIM_H
#define STRESS_AIM_H
#include <stdbool.h>
#include <stdint.h>

struct mutator;

/* Builds the points from the shapes in mask (shapes.h) and probes the
 * kernel; false when no breakpoint can be had here (aim_off_why says why). */
bool aim_init(unsigned mask);
/* No aimed samples in this run; why: for the report. */
void aim_off(const char *why);
/* NULL while aimed samples are on, else why they are off. */
const char *aim_off_why(void);
/* The calling thread's breakpoint: opened disarmed; false if it cannot be. */
bool aim_open(struct mutator *m);
void aim_close(struct mutator *m);
/* Moves the thread's breakpoint to a new point and arms it (from its own
 * signal handler: system calls only). */
void aim_next(struct mutator *m);
/* Whether the signal is the thread's breakpoint firing; disarms it. */
bool aim_hit(struct mutator *m, int si_code);
#endif
