/*
 * trace.h — the event trace of one execution.
 *
 * Every scheduling point folds (actor, kind, address, value) into a 64-bit
 * trace hash: that is always on and costs a multiply per step, and it is
 * what "same schedule, same execution" is checked against. The full event
 * list (for narratives, timelines and --trace) is recorded only when asked,
 * i.e. on replay, so hunting stays fast.
 */
#ifndef STACKRACE_TRACE_H
#define STACKRACE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum trace_kind {
    T_LOAD, T_STORE, T_ATOMIC_LOAD, T_ATOMIC_STORE, T_CAS, T_CAS_FAIL,
    T_LOCK, T_LOCK_WAIT, T_TRYLOCK, T_TRYLOCK_FAIL, T_UNLOCK,
    T_YIELD, T_STEP,
    T_SLOAD, T_SSTORE, T_SET_SP, T_SET_PC,
    T_CALL, T_PROLOGUE, T_EPILOGUE, T_RET,
    T_SIGNAL, T_SIGNAL_REMOTE, T_HANDLER_DONE,
    T_SWITCH, T_NOTE, T_DETAIL, T_DISPLAY, T_WALK_BEGIN, T_WALK_END, T_FINDING, T_DONE,
    T_UNWIND, T_STACK_MOVE, /* scheduling points, last so that older kinds keep their
                               numbers (and executions their trace hashes) */
    T_NKINDS
} trace_kind;

typedef struct trace_ev {
    uint64_t step;
    uint64_t addr;
    uint64_t value;
    uint32_t text;   /* offset into the text pool (notes, names), or 0 */
    uint16_t actor;
    uint16_t kind;
} trace_ev;

/* A full trace keeps at most this many events (32 bytes each); past it
 * the events are counted, not kept. */
#define TRACE_MAX_EVENTS (4u << 20)

typedef struct trace {
    bool full;
    uint64_t dropped;
    uint64_t hash;
    trace_ev *ev;
    size_t n, cap;
    char *text;
    size_t text_len, text_cap;
} trace;

void trace_init(trace *t);
void trace_free(trace *t);
void trace_reset(trace *t, bool full);
/* Fold an event into the hash, and record it if the trace is full. */
static inline void trace_hash(trace *t, unsigned actor, unsigned kind, uint64_t addr,
                              uint64_t value)
{
    uint64_t h = t->hash ^ (((uint64_t)actor << 8) | kind);
    h = (h ^ addr) * 0x100000001b3ull;
    h = (h ^ value) * 0x9e3779b97f4a7c15ull;
    t->hash = h ^ (h >> 29);
}
void trace_add(trace *t, uint64_t step, unsigned actor, unsigned kind, uint64_t addr,
               uint64_t value, const char *text);
/* Inserts an annotation at index pos (pos <= n), after the event it is
 * about. */
void trace_insert(trace *t, size_t pos, uint64_t step, unsigned actor, unsigned kind,
                  const char *text);
const char *trace_text(const trace *t, uint32_t off);
const char *trace_kind_name(unsigned kind);
#endif
