/*
 * stack.c — machine stacks, symbols, calls and returns, and ground truth.
 *
 * Every stack has two views. Its *words* are what the model's code reads and
 * writes (a rewriter may put trampoline PCs into return slots; a buggy one
 * may scribble anything). Its *ground truth* is the logical call chain as
 * sr_call and sr_ret built it: for each live frame, the address of its
 * return slot and the true return PC. Only the engine writes the ground
 * truth, so it stays right whatever the target does to the words, and the
 * walk oracle and the rewriter checks compare against it.
 *
 * Stack i lives at STACK_REGION + i * STACK_STRIDE, so finding the stack of
 * an address is a subtraction and a division, and addresses are the same in
 * every execution (schedules replay across processes). Within its stride a
 * stack has STACK_HOMES homes; it starts in the first, and sr_stack_move
 * takes it to the next (round robin), so that an address into a home it
 * left is known for what it is: a pointer the move did not fix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "rng.h"
#include "sanitizer.h"

#define GT_SEED 0x6a09e667f3bcc909ull

static inline uint64_t gt_mix(uint64_t h, sr_pc ret)
{
    return rng_mix(h ^ ret);
}

void stk_reset(exec *e)
{
    e->nstacks = 0;
}

sr_stack *sr_stack_new(const char *name, uint32_t size)
{
    exec *e = exec_current;
    size = (size + 7u) & ~7u;
    if (!e->in_setup)
        exec_fail_detail(CHECK_MODEL, "model misuse: sr_stack_new outside setup", name, NULL);
    if (e->nstacks == MAX_STACKS || size == 0 || size > STACK_MAX_BYTES)
        exec_fail_detail(CHECK_MODEL, "model misuse: a stack of 0 or more than 256 KiB, or "
                         "more than 32 stacks", name, NULL);
    sr_stack *s = &e->stacks[e->nstacks];
    s->id = e->nstacks++;
    snprintf(s->name, sizeof s->name, "%s", name);
    s->home = 0;
    s->homes_left = 0;
    s->lo = STACK_REGION + (sr_addr)s->id * STACK_STRIDE;
    s->hi = s->lo + size;
    uint32_t nwords = size / 8;
    if (s->cap_words < nwords) {
        free(s->words);
        s->words = malloc((size_t)nwords * 8);
        if (!s->words)
            abort();
        s->cap_words = nwords;
    }
    memset(s->words, 0, (size_t)nwords * 8);
    s->depth = 0;
    s->prefix[0] = GT_SEED;
    s->walks = NULL;
    return s;
}

sr_addr sr_stack_lo(const sr_stack *s) { return s->lo; }
sr_addr sr_stack_hi(const sr_stack *s) { return s->hi; }
unsigned sr_stack_depth(const sr_stack *s) { return s->depth; }

/* The stack whose stride holds addr, whichever home it is in. */
static sr_stack *stride_of(exec *e, sr_addr addr)
{
    if (addr < STACK_REGION)
        return NULL;
    uint64_t id = (addr - STACK_REGION) / STACK_STRIDE;
    return id < (uint64_t)e->nstacks ? &e->stacks[id] : NULL;
}

sr_stack *stk_of(exec *e, sr_addr addr)
{
    sr_stack *s = stride_of(e, addr);
    return s && addr >= s->lo && addr <= s->hi ? s : NULL;
}

sr_stack *stk_moved_from(exec *e, sr_addr addr)
{
    sr_stack *s = stride_of(e, addr);
    if (!s)
        return NULL;
    unsigned home = (unsigned)((addr - STACK_REGION) % STACK_STRIDE / STACK_MAX_BYTES);
    return home != s->home && (s->homes_left >> home & 1) ? s : NULL;
}

sr_stack *sr_stack_of(sr_addr addr)
{
    return stk_of(exec_current, addr);
}

/* ---- symbols ---- */

int sr_pc_func(sr_pc pc)
{
    const sr_target *t = exec_current ? exec_current->target : NULL;
    if (!t || pc < SR_PC_BASE)
        return -1;
    uint64_t i = (pc - SR_PC_BASE) / SR_FUNC_SPAN;
    return i < t->nfuncs ? (int)i : -1;
}

int64_t sr_pc_spdelta(sr_pc pc)
{
    int fi = sr_pc_func(pc);
    if (fi < 0)
        return -1;
    uint64_t off = (pc - SR_PC_BASE) % SR_FUNC_SPAN;
    if (off == 0 || off >= SR_PC_EPILOGUE)
        return 0;
    return exec_current->target->funcs[fi].frame_size;
}

static const char *symbol(const sr_target *t, sr_pc pc, char *buf, size_t len)
{
    if (pc >= SR_PC_BASE) {
        uint64_t i = (pc - SR_PC_BASE) / SR_FUNC_SPAN;
        if (i < t->nfuncs) {
            snprintf(buf, len, "%s+0x%llx", t->funcs[i].name,
                     (unsigned long long)((pc - SR_PC_BASE) % SR_FUNC_SPAN));
            return buf;
        }
    }
    snprintf(buf, len, "0x%llx", (unsigned long long)pc);
    return buf;
}

const char *stk_symbol(const sr_target *t, sr_pc pc, char *buf, size_t len)
{
    ENGINE_QUIET_BEGIN();
    symbol(t, pc, buf, len);
    ENGINE_QUIET_END();
    return buf;
}

const char *sr_pc_symbol(sr_pc pc, char *buf, size_t len)
{
    return stk_symbol(exec_current->target, pc, buf, len);
}

static const sr_func *func_of(exec *e, sr_pc pc)
{
    int fi = sr_pc_func(pc);
    return fi < 0 ? NULL : &e->target->funcs[fi];
}

/* ---- ground truth ---- */

void stk_gt_push(sr_stack *s, sr_addr slot, sr_pc ret)
{
    if (s->depth == SR_WALK_MAX)
        exec_fail_detail(CHECK_MODEL, "model misuse: call chain deeper than SR_WALK_MAX",
                         s->name, NULL);
    s->frames[s->depth] = (gt_frame){slot, ret};
    s->prefix[s->depth + 1] = gt_mix(s->prefix[s->depth], ret);
    s->depth++;
    walk_note_change(s);
}

void stk_gt_pop(sr_stack *s)
{
    s->depth--;
    walk_note_change(s);
}

/* ---- stack words ---- */

static sr_word *word_at(exec *e, sr_addr addr, const char *what)
{
    sr_stack *s = stk_of(e, addr);
    sr_stack *moved = s ? NULL : stk_moved_from(e, addr);
    if (moved) {
        char detail[128];
        snprintf(detail, sizeof detail, "%s at 0x%llx, where %s was before it moved to 0x%llx",
                 what, (unsigned long long)addr, moved->name, (unsigned long long)moved->lo);
        exec_fail_detail(CHECK_REWRITER, "rewriter: an access to a moved stack's old home (a "
                         "pointer into the stack that the move did not fix)", "", detail);
    }
    if (!s || addr >= s->hi || (addr & 7)) {
        char detail[96];
        snprintf(detail, sizeof detail, "%s at 0x%llx", what, (unsigned long long)addr);
        exec_fail_detail(CHECK_MODEL, "fault: stack access outside every stack", "", detail);
    }
    return &s->words[(addr - s->lo) / 8];
}

sr_word sr_stack_load_at(sr_addr addr, const char *where)
{
    exec *e = exec_current;
    sr_word *w = word_at(e, addr, "load");
    sr_word v = *w;
    watch_read(e, NULL, addr, where);
    ENGINE_TSAN_READ(w);
    exec_point(T_SLOAD, addr, v, NULL);
    return v;
}

void sr_stack_store_at(sr_addr addr, sr_word v, const char *where)
{
    exec *e = exec_current;
    sr_word *w = word_at(e, addr, "store");
    watch_write(e, NULL, addr, where);
    ENGINE_TSAN_WRITE(w);
    *w = v;
    exec_point(T_SSTORE, addr, v, NULL);
}

/* ---- registers, calls, returns ---- */

sr_addr sr_sp(void) { return exec_current->cur->sp; }
sr_pc sr_pcreg(void) { return exec_current->cur->pc; }

void sr_set_sp(sr_addr sp)
{
    exec_current->cur->sp = sp;
    exec_point(T_SET_SP, sp, 0, NULL);
}

void sr_set_pc(sr_pc pc)
{
    exec_current->cur->pc = pc;
    exec_point(T_SET_PC, pc, 0, NULL);
}

void sr_enter(sr_stack *s, int fi)
{
    exec *e = exec_current;
    sr_actor *a = e->cur;
    a->sp = s->hi - e->target->funcs[fi].frame_size;
    a->pc = SR_PC(fi) + SR_PC_BODY;
}

/* The return PC of a call made at `pc`: the next call site of the caller's
 * body, so that successive calls from one frame have distinct return PCs. */
static sr_pc next_call_site(sr_pc pc)
{
    uint64_t off = (pc - SR_PC_BASE) % SR_FUNC_SPAN;
    if (off < SR_PC_BODY || off + 1 >= SR_PC_EPILOGUE)
        return pc - off + SR_PC_BODY + 1;
    return pc + 1;
}

void sr_call(int fi)
{
    exec *e = exec_current;
    sr_actor *a = e->cur;
    sr_addr slot = a->sp - 8;
    sr_stack *s = stk_of(e, slot);
    if (!s || slot < s->lo)
        exec_fail_detail(CHECK_MODEL, "model misuse: stack overflow on call",
                         e->target->funcs[fi].name, NULL);
    sr_pc ret = next_call_site(a->pc);
    watch_write(e, NULL, slot, e->target->funcs[fi].name); /* the call pushes the slot */
    ENGINE_TSAN_WRITE(&s->words[(slot - s->lo) / 8]);
    s->words[(slot - s->lo) / 8] = ret;
    a->sp = slot;
    a->pc = SR_PC(fi);
    stk_gt_push(s, slot, ret);
    exec_point(T_CALL, slot, ret, NULL);
    /* the prologue: a separate step, so a signal can land at the entry */
    uint32_t fs = e->target->funcs[fi].frame_size;
    if (a->sp - fs < s->lo)
        exec_fail_detail(CHECK_MODEL, "model misuse: stack overflow in prologue",
                         e->target->funcs[fi].name, NULL);
    a->sp -= fs;
    a->pc = SR_PC(fi) + SR_PC_BODY;
    exec_point(T_PROLOGUE, a->sp, a->pc, NULL);
}

static _Noreturn void lost_return(exec *e, sr_pc got, sr_pc want)
{
    char g[64], w[64], detail[200];
    snprintf(detail, sizeof detail, "return landed at %s, the true caller is %s",
             stk_symbol(e->target, got, g, sizeof g), stk_symbol(e->target, want, w, sizeof w));
    exec_fail_detail(CHECK_REWRITER, "rewriter: a return landed at the wrong PC (lost return "
                     "address)", "", detail);
}

void sr_ret(void)
{
    exec *e = exec_current;
    sr_actor *a = e->cur;
    const sr_func *f = func_of(e, a->pc);
    if (!f)
        exec_fail_detail(CHECK_MODEL, "model misuse: return from a PC outside the function "
                         "table", "", NULL);
    /* epilogue */
    a->sp += f->frame_size;
    a->pc = a->pc - (a->pc - SR_PC_BASE) % SR_FUNC_SPAN + SR_PC_EPILOGUE;
    exec_point(T_EPILOGUE, a->sp, a->pc, NULL);
    /* pop the return slot */
    sr_addr slot = a->sp;
    sr_stack *s = stk_of(e, slot);
    if (!s || s->depth == 0 || s->frames[s->depth - 1].slot != slot)
        exec_fail_detail(CHECK_MODEL, "model misuse: return with no matching call", f->name,
                         NULL);
    sr_pc want = s->frames[s->depth - 1].ret;
    watch_read(e, NULL, slot, f->name); /* the return pops it */
    ENGINE_TSAN_READ(&s->words[(slot - s->lo) / 8]);
    sr_word word = s->words[(slot - s->lo) / 8];
    stk_gt_pop(s);
    a->sp = slot + 8;
    a->pc = word;
    e->stats.returns++;
    exec_point(T_RET, slot, word, NULL);
    const sr_func *dest = func_of(e, word);
    sr_pc to = word;
    if (dest && dest->trampoline) {
        e->stats.trampolines++;
        to = dest->trampoline(e->state, a->sp);
    }
    if (to != want)
        lost_return(e, to, want);
    a->pc = to;
}

/* ---- stack moves ---- */

/* The lowest live address of s: the lowest SP of an actor on it, or of its
 * innermost return slot (its owner may run on another stack while its own
 * moves, as a runtime's stack growth runs on a system stack). Everything
 * below it is dead. */
static sr_addr live_low(exec *e, const sr_stack *s)
{
    sr_addr low = s->depth ? s->frames[s->depth - 1].slot : s->hi;
    for (int i = 0; i < e->nactors; i++) {
        sr_addr sp = e->actors[i].sp;
        if (sp >= s->lo && sp < s->hi && sp < low)
            low = sp;
    }
    return low;
}

void sr_stack_move(sr_stack *s, uint32_t size)
{
    exec *e = exec_current;
    size = size ? (size + 7u) & ~7u : (uint32_t)(s->hi - s->lo);
    sr_addr old_lo = s->lo, old_hi = s->hi;
    if (size > STACK_MAX_BYTES || old_hi - live_low(e, s) > size)
        exec_fail_detail(CHECK_MODEL, "model misuse: a stack move to a size that does not hold "
                         "the live frames (or over 256 KiB)", s->name, NULL);
    uint32_t old_n = (uint32_t)((old_hi - old_lo) / 8), new_n = size / 8;
    uint32_t kept = old_n < new_n ? old_n : new_n; /* words copied, counted from the top */
    /* the words keep their distance from the top, as a stack copy keeps them */
    ENGINE_QUIET_BEGIN();
    sr_word *words = calloc(new_n, 8);
    if (!words)
        abort();
    memcpy(words + (new_n - kept), s->words + (old_n - kept), (size_t)kept * 8);
    free(s->words);
    ENGINE_QUIET_END();
    s->words = words;
    s->cap_words = new_n;
    s->homes_left |= 1u << s->home;
    s->home = (s->home + 1) % STACK_HOMES;
    s->homes_left &= ~(1u << s->home);
    s->lo = STACK_REGION + (sr_addr)s->id * STACK_STRIDE + (sr_addr)s->home * STACK_MAX_BYTES;
    s->hi = s->lo + size;
    sr_addr delta = s->hi - old_hi; /* modulo 2^64: adding it moves an address */
    for (unsigned i = 0; i < s->depth; i++)
        s->frames[i].slot += delta;
    for (int i = 0; i < e->nactors; i++) /* the registers of every actor on it */
        if (e->actors[i].sp >= old_lo && e->actors[i].sp <= old_hi)
            e->actors[i].sp += delta;
    for (sr_walk *w = s->walks; w; w = w->next_active)
        w->sp += delta;
    /* the move rewrites every word it keeps: accesses it does not exclude race with it */
    race_stack_moved(&e->race, s->id, old_n, new_n, kept);
    for (uint32_t k = 1; k <= kept; k++) {
        watch_write(e, NULL, s->hi - 8 * (sr_addr)k, "sr_stack_move");
        ENGINE_TSAN_WRITE(&s->words[new_n - k]);
    }
    exec_point(T_STACK_MOVE, s->lo, size, s->name);
}

/* A multi-frame unwind (longjmp, a panic's recovery, an exception): every
 * frame whose return slot lies below sp is popped at once, without its
 * epilogue, its return or a trampoline. sp must be where a live frame's
 * body runs (the slot of the frame it called, plus 8) and pc a PC of the
 * function that frame returns into. */
void sr_unwind(sr_addr sp, sr_pc pc)
{
    exec *e = exec_current;
    sr_actor *a = e->cur;
    sr_stack *s = stk_of(e, a->sp);
    unsigned k = s ? s->depth : 0;
    while (k > 0 && s->frames[k - 1].slot < sp)
        k--;
    bool ok = s && (k == s->depth ? sp == a->sp
                                  : s->frames[k].slot + 8 == sp &&
                                        sr_pc_func(pc) == sr_pc_func(s->frames[k].ret));
    if (!ok)
        exec_fail_detail(CHECK_MODEL, "model misuse: an unwind to no live frame of the actor's "
                         "stack (or to a PC of another function)", "", NULL);
    /* the handler's C code would go on after it: siglongjmp is not modelled */
    if (a->handler_depth)
        exec_fail_detail(CHECK_MODEL, "model misuse: an unwind from a signal handler", "", NULL);
    s->depth = k; /* at once: no walk may see the frames go one by one */
    walk_note_change(s);
    a->sp = sp;
    a->pc = pc;
    exec_point(T_UNWIND, sp, pc, NULL);
}

/* ---- rewriter bookkeeping ---- */

void sr_rewriter_done(sr_stack *s, unsigned side_entries)
{
    exec *e = exec_current;
    for (unsigned i = 0; i < s->depth; i++) {
        sr_word w = s->words[(s->frames[i].slot - s->lo) / 8];
        const sr_func *f = func_of(e, w);
        if (f && f->trampoline) {
            char detail[128];
            snprintf(detail, sizeof detail, "slot 0x%llx of %s still holds %s",
                     (unsigned long long)s->frames[i].slot, s->name, f->name);
            exec_fail_detail(CHECK_REWRITER, "rewriter: a trampoline PC is left in a live "
                             "return slot after the rewriter finished", "", detail);
        }
    }
    if (side_entries) {
        char detail[96];
        snprintf(detail, sizeof detail, "%u entries left for %s", side_entries, s->name);
        exec_fail_detail(CHECK_REWRITER, "rewriter: side-table entries left after the "
                         "rewriter finished", "", detail);
    }
}

_Noreturn void sr_rewriter_fail_at(const char *msg, const char *where)
{
    exec_fail_detail(CHECK_REWRITER, msg, where, NULL);
}
