/* funcs.c — the Go model's function table: names and frame sizes. */
#include "runtime.h"

const sr_func go_funcs[F_NFUNCS] = {
    [F_MAIN] = {"runtime.main", 64, 0},
    [F_USER0 + 0] = {"main.f0", 40, 0},
    [F_USER0 + 1] = {"main.f1", 120, 0},
    [F_USER0 + 2] = {"main.f2", 248, 0},
    [F_USER0 + 3] = {"main.f3", 504, 0},
    [F_USER0 + 4] = {"main.f4", 24, 0},
    [F_USER0 + 5] = {"main.f5", 1016, 0},
    [F_CGOCALL] = {"runtime.cgocall", 48, 0},
    [F_ASMCGOCALL] = {"runtime.asmcgocall", 0, 0},
    [F_CFUNC] = {"C.work", 32, 0},
    [F_MSTART] = {"runtime.mstart", 96, 0},
    [F_MCALL] = {"runtime.mcall", 0, 0},
    [F_GOGO] = {"runtime.gogo", 0, 0},
    [F_STACKBARRIER] = {"runtime.stackBarrier", 0, stackBarrier},
};
