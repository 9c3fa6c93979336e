/*
 * shapes.c — the shape table, and what a PC can tell about a shape.
 */
#include "shapes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mutator.h"
#include "stress.h"

void shape_root(struct mutator *m);
void shape_plain(struct mutator *m);
void shape_leaf(struct mutator *m);
void shape_large(struct mutator *m);
void shape_alloca(struct mutator *m);
void shape_saved(struct mutator *m);
void shape_tail(struct mutator *m);
void shape_recurse(struct mutator *m);
void shape_catch(struct mutator *m);
void shape_plain_nofp(struct mutator *m);
void shape_leaf_nofp(struct mutator *m);
void shape_saved_nofp(struct mutator *m);
void shape_noreturn(struct mutator *m);
void shape_throw(struct mutator *m);
void shape_leaf_packed(struct mutator *m);
void shape_leaf_leave(struct mutator *m);

/* The offsets shape_leave_x86_64.S writes the shadow with. */
_Static_assert(offsetof(struct mutator, shadow) == 0 && offsetof(shadow, depth) == 0 &&
                   offsetof(shadow, f) == 8 && sizeof(shadow_frame) == 24 &&
                   offsetof(shadow_frame, slot) == 8 && offsetof(shadow_frame, shape) == 16 &&
                   offsetof(shadow_frame, kind) == 17 && SHAPE_LEAF_LEAVE == 16 &&
                   FRAME_CALL == 0,
               "the shadow's layout in shape_leave_x86_64.S");
_Static_assert(offsetof(struct mutator, barriers) == 3848 && offsetof(barrier_table, n) == 8 &&
                   offsetof(barrier_table, pos) == 12 && offsetof(barrier_table, e) == 16 &&
                   offsetof(barrier_entry, orig) == 8 && sizeof(barrier_entry) == 16,
               "the barrier table's layout in shape_leave_x86_64.S");

static void handler_as_shape(struct mutator *m) { (void)m; }

static const shape_info table[SHAPE_COUNT] = {
    [SHAPE_ROOT] = {"root", shape_root, true, false},
    [SHAPE_CALL] = {"call", shape_plain, true, true},
    [SHAPE_LEAF] = {"leaf", shape_leaf, true, true},
    [SHAPE_LARGE] = {"large", shape_large, true, true},
    [SHAPE_ALLOCA] = {"alloca", shape_alloca, true, true},
    [SHAPE_SAVED] = {"saved", shape_saved, true, true},
    [SHAPE_TAIL] = {"tail", shape_tail, true, true},
    [SHAPE_RECURSE] = {"recurse", shape_recurse, true, true},
    /* its own frame keeps rbp, but it calls libc's setjmp, whose frames do
     * not: not among the shapes promised to a frame-pointer walker */
    [SHAPE_CATCH] = {"catch", shape_catch, false, true},
    [SHAPE_HANDLER] = {"handler", handler_as_shape, true, false},
    [SHAPE_CALL_NOFP] = {"call-nofp", shape_plain_nofp, false, true},
    [SHAPE_LEAF_NOFP] = {"leaf-nofp", shape_leaf_nofp, false, true},
    [SHAPE_SAVED_NOFP] = {"saved-nofp", shape_saved_nofp, false, true},
    /* a catcher too (setjmp): not promised to a frame-pointer walker */
    [SHAPE_NORETURN] = {"noreturn", shape_noreturn, false, true},
    [SHAPE_THROW] = {"throw", shape_throw, true, false}, /* only noreturn calls it */
    [SHAPE_LEAF_PACKED] = {"leaf-packed", shape_leaf_packed, true, true},
    [SHAPE_LEAF_LEAVE] = {"leaf-leave", shape_leaf_leave, true, true},
};

const shape_fn shape_fns[SHAPE_COUNT] = {
    [SHAPE_ROOT] = shape_root, [SHAPE_CALL] = shape_plain, [SHAPE_LEAF] = shape_leaf,
    [SHAPE_LARGE] = shape_large, [SHAPE_ALLOCA] = shape_alloca, [SHAPE_SAVED] = shape_saved,
    [SHAPE_TAIL] = shape_tail, [SHAPE_RECURSE] = shape_recurse, [SHAPE_CATCH] = shape_catch,
    [SHAPE_CALL_NOFP] = shape_plain_nofp, [SHAPE_LEAF_NOFP] = shape_leaf_nofp,
    [SHAPE_SAVED_NOFP] = shape_saved_nofp, [SHAPE_NORETURN] = shape_noreturn,
    [SHAPE_THROW] = shape_throw, [SHAPE_LEAF_PACKED] = shape_leaf_packed,
    [SHAPE_LEAF_LEAVE] = shape_leaf_leave,
};

const shape_info *shape_at(unsigned id) { return id < SHAPE_COUNT ? &table[id] : NULL; }

/* Every shape is in section sr_shape_text (shape_body.h); a shape's code
 * runs from its address to the next shape's (or the section's end). */
extern const char __start_sr_shape_text[], __stop_sr_shape_text[];

uintptr_t shape_start(unsigned id)
{
    return id == SHAPE_HANDLER ? (uintptr_t)shape_trap_handler : (uintptr_t)table[id].fn;
}

uintptr_t shape_end(unsigned id)
{
    uintptr_t s = shape_start(id), end = (uintptr_t)__stop_sr_shape_text;
    for (unsigned k = 0; k < SHAPE_COUNT; k++) {
        uintptr_t t = shape_start(k);
        if (t > s && t < end)
            end = t;
    }
    return end;
}

static unsigned excluded; /* shapes shapes_init left out */

int shape_of_pc(uintptr_t pc)
{
    if (pc < (uintptr_t)__start_sr_shape_text || pc >= (uintptr_t)__stop_sr_shape_text)
        return -1;
    int best = -1;
    uintptr_t best_start = 0;
    for (unsigned id = 0; id < SHAPE_COUNT; id++) {
        uintptr_t s = shape_start(id);
        if (s <= pc && s >= best_start) {
            best = (int)id;
            best_start = s;
        }
    }
    return best;
}

/* The call instructions of x86-64: call rel32 (e8), and call through a
 * register or memory (ff /2) in its 2- to 7-byte forms, a REX prefix
 * (40-4f) before it adding one byte, and before that CET's notrack (3e),
 * MPX's bnd (f2) or an address-size (67) prefix. glibc's code and PLTs have
 * used the first two; the third is GNU ld's: under -fno-plt the compiler
 * calls through the GOT (ff 15, 6 bytes), and where the callee is in the
 * same object the linker rewrites it in place to a direct call of the same
 * length, "addr32 call" (67 e8; the x86-64 psABI's R_X86_64_GOTPCRELX
 * relaxation). A sweep tracer that missed it lost every such call from the
 * truth and graded the walkers wrong in the rig's own functions. */
bool shape_is_call(const unsigned char *end, unsigned len)
{
    unsigned char prefix = len >= 3 ? end[-(int)len] : 0;
    if ((prefix == 0x3e || prefix == 0xf2 || prefix == 0x67) && shape_is_call(end, len - 1))
        return true;
    if (len == 5 && end[-5] == 0xe8)
        return true;
    for (unsigned rex = 0; rex <= 1; rex++) {
        if (len < 2 + rex || (rex && (end[-(int)len] & 0xf0) != 0x40))
            continue;
        unsigned char op = end[-(int)len + (int)rex], modrm = end[-(int)len + (int)rex + 1];
        if (op != 0xff || ((modrm >> 3) & 7) != 2)
            continue;
        unsigned mod = modrm >> 6, rm = modrm & 7;
        unsigned want = 2 + (mod == 1 ? 1 : mod == 2 ? 4 : 0) + (mod != 3 && rm == 4 ? 1 : 0) +
                        (mod == 0 && rm == 5 ? 4 : 0);
        if (want + rex == len)
            return true;
    }
    return false;
}

static bool after_call(uintptr_t pc)
{
    for (unsigned len = 2; len <= 9; len++)
        if (shape_is_call((const unsigned char *)pc, len))
            return true;
    return false;
}

bool shape_is_return_site(unsigned id, uintptr_t pc)
{
    return shape_of_pc(pc - 1) == (int)id && after_call(pc);
}

bool shape_is_trap_site(unsigned id, uintptr_t pc)
{
    const unsigned char *p = (const unsigned char *)pc;
    return shape_of_pc(pc) == (int)id && p[0] == 0x0f && p[1] == 0x0b;
}

static unsigned callable_mask(bool need_fp)
{
    unsigned mask = 0;
    for (unsigned id = 0; id < SHAPE_COUNT; id++)
        if (table[id].callable && (table[id].fp || !need_fp) && !(excluded & (1u << id)))
            mask |= 1u << id;
    return mask;
}

unsigned shapes_all(void) { return callable_mask(false); }
unsigned shapes_with_fp(void) { return callable_mask(true); }

/* The callable shapes' names, comma-separated. */
static void shape_names(char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (unsigned id = 0; id < SHAPE_COUNT && used < n; id++)
        if (table[id].callable)
            used += (size_t)snprintf(out + used, n - used, "%s%s", used ? ", " : "",
                                     table[id].name);
}

int shapes_parse(const char *spec, unsigned *mask, char *why, size_t n)
{
    if (!strcmp(spec, "fp") || !strcmp(spec, "all")) {
        *mask = callable_mask(!strcmp(spec, "fp"));
        return 0;
    }
    *mask = 0;
    for (const char *p = spec; *p;) {
        size_t len = strcspn(p, ",");
        unsigned id = 0;
        while (id < SHAPE_COUNT && !(table[id].callable && strlen(table[id].name) == len &&
                                     !strncmp(table[id].name, p, len)))
            id++;
        if (id == SHAPE_COUNT || (excluded & (1u << id))) {
            char names[256];
            shape_names(names, sizeof names);
            snprintf(why, n, "%s '%.*s' (fp, all, or a comma-separated list of: %s)",
                     id == SHAPE_COUNT ? "no shape" : "left out here: shape", (int)len, p,
                     names);
            return -1;
        }
        *mask |= 1u << id;
        p += len + (p[len] == ',');
    }
    if (!*mask) {
        snprintf(why, n, "no shape in '%s'", spec);
        return -1;
    }
    return 0;
}

/* Runs shape id on this thread with a program that returns at once
 * (max_depth 0), probing: what the shape saw is left in probe_ra. */
static const mutator *probe(unsigned id)
{
    static stress_config cfg;
    static mutator m;
    memset(&m, 0, sizeof m);
    m.cfg = &cfg;
    m.probing = true;
    m.stack_hi = UINTPTR_MAX;
    shape_fns[id](&m);
    return &m;
}

/* A leaf is the tail call's target: if the compiler made the call a jump,
 * the leaf returns where shape_tail would have. */
static bool tail_is_a_jump(void)
{
    const mutator *m = probe(SHAPE_TAIL);
    return m->probe_ra[0] != 0 && m->probe_ra[0] == m->probe_ra[1];
}

/* throw sees its own first instruction as its return address if the
 * compiler made noreturn's call of throw its last instruction and packed
 * throw right behind it (shapes_packed.c). */
static bool noreturn_is_packed(void)
{
    return probe(SHAPE_NORETURN)->probe_ra[2] == shape_start(SHAPE_THROW);
}

int shapes_init(char *why, unsigned n)
{
    excluded = 0;
    why[0] = '\0';
    if (!tail_is_a_jump()) {
        excluded |= 1u << SHAPE_TAIL;
        snprintf(why, n, "shape tail left out: the compiler made its call a call, not a jump");
    }
    if (!noreturn_is_packed()) {
        excluded |= 1u << SHAPE_NORETURN;
        size_t used = strlen(why);
        snprintf(why + used, n - used, "%sshape noreturn left out: its call of throw is not "
                 "its last instruction, or throw does not follow it", used ? "; " : "");
    }
    return __builtin_popcount(excluded);
}
