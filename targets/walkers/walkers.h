/*
 * walkers.h — the walkers the native engine knows (built in, and later from
 * plug-ins), by name.
 */
#ifndef TARGETS_WALKERS_H
#define TARGETS_WALKERS_H
#include "stackrace/native.h"

extern const sr_walker walker_fp, walker_libunwind, walker_libunwind_step,
    walker_libunwind_remote, walker_llvm, walker_libgcc, walker_glibc;

unsigned walkers_count(void);
const sr_walker *walkers_at(unsigned i);
const sr_walker *walkers_find(const char *name);
#endif
