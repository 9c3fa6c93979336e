/*
 * oracle.c — the walk oracle (oracle.h).
 */
#include "oracle.h"

#include "shapes.h"

const char *verdict_name(verdict v)
{
    static const char *const names[] = {"exact", "declined", "truncated", "wrong"};
    return names[v];
}

/* Compares pcs[from..n) with the shadow's return addresses, innermost first. */
static oracle_result compare(const shadow *s, const uintptr_t *pcs, int n, int from)
{
    unsigned d = s->depth;
    for (unsigned k = 0; k < d; k++) {
        int i = from + (int)k;
        if (i >= n)
            return (oracle_result){VERDICT_TRUNCATED, i, from - 1};
        if (pcs[i] != s->f[d - 1 - k].ra)
            return (oracle_result){VERDICT_WRONG, i, from - 1};
    }
    return (oracle_result){VERDICT_EXACT, -1, from - 1};
}

oracle_result oracle_check(const shadow *s, uintptr_t pc, const uintptr_t *pcs, int n,
                           uintptr_t signal_return)
{
    if (n <= 0)
        return (oracle_result){VERDICT_DECLINED, -1, 0};
    if (pcs[0] != pc)
        return (oracle_result){VERDICT_WRONG, 0, 0};
    oracle_result plain = compare(s, pcs, n, 1);
    if (plain.v == VERDICT_EXACT || n < 2)
        return plain;

    unsigned d = s->depth;
    const shadow_frame *top = d ? &s->f[d - 1] : NULL;
    unsigned fn = top ? top->shape : SHAPE_ROOT;
    bool sigret1 = signal_return && pcs[1] == signal_return;
    /* the handler may have stepped over the trap already (ud2: 2 bytes) */
    bool trap2 = n >= 3 && (shape_is_trap_site(fn, pcs[2]) || shape_is_trap_site(fn, pcs[2] - 2));
    bool trap1 = shape_is_trap_site(fn, pcs[1]) || shape_is_trap_site(fn, pcs[1] - 2);
    /* __restore_rt is two instructions (mov $15, %eax; syscall) */
    bool in_sigreturn = signal_return && pc >= signal_return && pc < signal_return + 16;
    int skip = 0;
    if (shape_is_return_site(fn, pcs[1]) || (sigret1 && top && top->kind == FRAME_SIGNAL))
        skip = 1;
    else if (sigret1 && trap2)
        skip = 2;
    else if (in_sigreturn && trap1)
        skip = 1;
    if (skip) {
        /* within the tolerance, a true prefix is a truncated walk, not a wrong one */
        oracle_result r = compare(s, pcs, n, 1 + skip);
        if (r.v == VERDICT_EXACT || plain.v == VERDICT_WRONG)
            return r.v == VERDICT_WRONG ? plain : r;
    }
    return plain;
}
