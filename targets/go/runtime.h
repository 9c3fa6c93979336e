/*
 * runtime.h — a model of the Go runtime's stack barriers (Go 1.5–1.6, amd64).
 *
 * The model follows src/runtime at the four commits it is registered under
 * (see variants.c); names are Go's, so a reader can put the model beside the
 * Go source. Only what matters for the race between stack-barrier
 * installation and profiling tracebacks (Go issues 11863 and 12528) is
 * modelled:
 *
 *   Gs      goroutines: a stack, a status word, the stack-barrier list
 *           (stkbar, stkbarPos) and its lock, syscallsp/pc, sched.sp/pc.
 *   Ms      machine threads = actors of the model. Mutator Ms run a G's
 *           program; one M is the GC worker; in remote delivery one more M
 *           is the profiler (Windows' profileloop).
 *   g0      each mutator M's system stack, used by cgo calls and parking.
 *
 * Everything one M reads that another M writes goes through the model API
 * (sr_load/sr_store/sr_cas, sr_lock_*, sr_stack_*): G status, the stkbar
 * list, the stack words, an M's TLS g, ncgo, curg. Fields that never change
 * after setup (stack bounds, which g0 belongs to which M) are plain reads.
 *
 * Pointers to Gs are stored in model words as G ids (0 = nil); go_g()
 * turns an id back into the G.
 */
#ifndef STACKRACE_GO_RUNTIME_H
#define STACKRACE_GO_RUNTIME_H

#include <stdbool.h>
#include "stackrace/model.h"

/* G statuses (runtime2.go). */
enum {
    _Gidle = 0, _Grunnable = 1, _Grunning = 2, _Gsyscall = 3, _Gwaiting = 4,
    _Gdead = 6, _Gcopystack = 8, _Gscan = 0x1000
};

/* GC phases (mgc.go), and P statuses used to stop the world (runtime2.go). */
enum { _GCoff = 0, _GCmark = 1, _GCmarktermination = 2 };
enum { _Pidle = 0, _Prunning = 1, _Psyscall = 2, _Pgcstop = 3 };

/* The function table: PCs and frame sizes (bytes below the return slot).
 * User frames vary in size so that barrier spacing from 1 KiB (doubling)
 * skips some frames and not others. */
enum {
    F_MAIN,          /* runtime.main: outermost frame of every G */
    F_USER0,         /* main.f0 .. main.f5 */
    F_USER_LAST = F_USER0 + 5,
    F_CGOCALL,       /* runtime.cgocall */
    F_ASMCGOCALL,    /* runtime.asmcgocall ($0 frame) */
    F_CFUNC,         /* the C function called through cgo */
    F_MSTART,        /* runtime.mstart: outermost frame of every g0 */
    F_MCALL,         /* runtime.mcall: setsSP */
    F_GOGO,          /* runtime.gogo: setsSP */
    F_STACKBARRIER,  /* runtime.stackBarrier: the trampoline */
    F_NFUNCS
};
#define NUSER (F_USER_LAST - F_USER0 + 1)
extern const sr_func go_funcs[F_NFUNCS];

#define MAX_MUTATORS 8
#define MAX_G (2 * MAX_MUTATORS + 1) /* ids 1..: user Gs, then g0s */
#define MAX_STKBAR 64
#define MAX_DEPTH 14                  /* user frames a program may reach */
#define G_STACK_BYTES 32768
#define G0_STACK_BYTES 8192
#define FIRST_STACK_BARRIER_OFFSET 1024 /* mstkbar.go firstStackBarrierOffset */

typedef struct stkbar {
    sr_word savedLRPtr; /* address of the patched return slot */
    sr_word savedLRVal; /* the original return PC */
} stkbar;

typedef struct g {
    int id;                 /* 1.. ; printed as G<id> or g0 */
    char name[8];
    char lockname[48];
    bool is_g0;
    struct m *m;            /* the M it belongs to (fixed in this model) */
    sr_stack *stack;
    sr_addr lo, hi;         /* stack.lo, stack.hi (fixed: no stack copies) */
    sr_word atomicstatus;
    sr_lock stackLock;      /* the stack barrier lock */
    sr_word stkbar_len;     /* len(gp.stkbar) */
    sr_word stkbarPos;
    stkbar stkbar[MAX_STKBAR];
    sr_word syscallsp, syscallpc;
    sr_word sched_sp, sched_pc;
} g;

typedef struct m {
    struct go_state *st;
    int id;
    char name[16];
    g *g0;
    g *user;                /* the G this M runs (fixed in this model) */
    sr_word tls_g;          /* TLS g: the G whose code runs now (id) */
    sr_word curg;           /* m.curg (id) */
    sr_word ncgo;           /* cgo calls in progress */
    sr_word p_status;       /* status of the P this M holds */
    sr_word stopped;        /* parked at a safe point for stop-the-world */
} m;

struct go_variant;

typedef struct go_state {
    const struct go_variant *v;
    const sr_scenario *sc;
    int nmut;
    m ms[MAX_MUTATORS + 2];  /* mutator Ms, then the GC's M */
    g gs[MAX_G + 1];         /* indexed by id; gs[0] unused (nil) */
    int ngs;
    sr_word gcphase;
    sr_word gcwaiting;       /* sched.gcwaiting: stop the world requested */
    uint32_t spacing;        /* firstStackBarrierOffset (0: every frame) */
    char profiler_name[24];
} go_state;

/* The four modelled commits differ here (variants.c). */
typedef void (*sigprof_fn)(go_state *st, const sr_sigctx *ctx);
typedef struct go_variant {
    const char *commit;
    sigprof_fn sigprof;
    bool traceback_checks_empty;   /* a7c09ad4: "len(stkbar) == 0 ||" */
    bool traceback_in_trampoline;  /* 3a2fc068: walks starting in stackBarrier */
    bool trampoline_checks_sp;     /* 77e52829: savedLRPtr+8 == SP */
} go_variant;

static inline g *go_g(go_state *st, sr_word id) { return id ? &st->gs[id] : 0; }

/* proc.c */
void go_setup(void *state, const void *config, const sr_scenario *sc);
void mutator_main(void *arg);
bool setsSP(sr_pc pc);

/* mstkbar.c */
void gcLockStackBarriers(g *gp);
bool gcTryLockStackBarriers(g *gp);
void gcUnlockStackBarriers(g *gp);
void gcInstallStackBarrier(g *gp, sr_addr lrPtr, sr_pc lr);
void gcRemoveStackBarriers(g *gp);
sr_pc stackBarrier(void *state, sr_addr sp);

/* mgcmark.c */
void gc_main(void *arg);

/* traceback.c */
/* Walk gp's stack from (pc0, sp0) as gentraceback does for a profiling
 * sample; reports the frames to the walk oracle; returns the frame count. */
int gentraceback(go_state *st, sr_pc pc0, sr_addr sp0, g *gp);

/* variants.c */
extern const go_variant go_87f97c7, go_f90b48e_parent, go_f90b48e, go_3f22ade;
extern const sr_target go_targets[4];

#endif
