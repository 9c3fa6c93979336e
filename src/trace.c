/* trace.c — the full event list, kept only when the trace is full. */
#include "trace.h"
#include "sanitizer.h"

#include <stdlib.h>
#include <string.h>

void trace_init(trace *t)
{
    memset(t, 0, sizeof *t);
}

void trace_free(trace *t)
{
    free(t->ev);
    free(t->text);
    memset(t, 0, sizeof *t);
}

void trace_reset(trace *t, bool full)
{
    t->full = full;
    t->hash = 0xcbf29ce484222325ull;
    t->n = 0;
    t->dropped = 0;
    t->text_len = 1; /* offset 0 means "no text" */
    if (full && !t->text) {
        t->text_cap = 4096;
        t->text = calloc(1, t->text_cap);
        if (!t->text)
            abort();
    }
}

static uint32_t add_text(trace *t, const char *s)
{
    size_t n = strlen(s) + 1;
    if (t->text_len + n > t->text_cap) {
        while (t->text_len + n > t->text_cap)
            t->text_cap *= 2;
        t->text = realloc(t->text, t->text_cap);
        if (!t->text)
            abort();
    }
    memcpy(t->text + t->text_len, s, n);
    uint32_t off = (uint32_t)t->text_len;
    t->text_len += n;
    return off;
}

void trace_add(trace *t, uint64_t step, unsigned actor, unsigned kind, uint64_t addr,
               uint64_t value, const char *text)
{
    if (t->n == TRACE_MAX_EVENTS) {
        t->dropped++;
        return;
    }
    ENGINE_QUIET_BEGIN();
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->ev = realloc(t->ev, t->cap * sizeof *t->ev);
        if (!t->ev)
            abort();
    }
    trace_ev *e = &t->ev[t->n++];
    e->step = step;
    e->actor = (uint16_t)actor;
    e->kind = (uint16_t)kind;
    e->addr = addr;
    e->value = value;
    e->text = text ? add_text(t, text) : 0;
    ENGINE_QUIET_END();
}

void trace_insert(trace *t, size_t pos, uint64_t step, unsigned actor, unsigned kind,
                  const char *text)
{
    size_t before = t->n;
    trace_add(t, step, actor, kind, 0, 0, text);
    if (t->n == before)
        return; /* dropped */
    ENGINE_QUIET_BEGIN();
    trace_ev ev = t->ev[t->n - 1];
    memmove(&t->ev[pos + 1], &t->ev[pos], (t->n - 1 - pos) * sizeof ev);
    t->ev[pos] = ev;
    ENGINE_QUIET_END();
}

const char *trace_text(const trace *t, uint32_t off)
{
    return off ? t->text + off : "";
}

const char *trace_kind_name(unsigned kind)
{
    static const char *const names[T_NKINDS] = {
        "load", "store", "atomic-load", "atomic-store", "cas", "cas-fail",
        "lock", "lock-wait", "trylock", "trylock-fail", "unlock",
        "yield", "step",
        "stack-load", "stack-store", "set-sp", "set-pc",
        "call", "prologue", "epilogue", "ret",
        "signal", "signal-remote", "handler-done",
        "switch", "note", "detail", "display", "walk-begin", "walk-end", "finding", "done",
        "unwind", "stack-move",
    };
    return kind < T_NKINDS ? names[kind] : "?";
}
