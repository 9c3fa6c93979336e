/*
 * walkers.h — the walkers the native engine knows (built in, and later from
 * plug-ins), by name.
 */
#ifndef TARGETS_WALKERS_H
#define TARGETS_WALKERS_H
#include "stackrace/native.h"

extern const sr_walker walker_fp, walker_libunwind, walker_libunwind_step,
    walker_libunwind_remote, walker_llvm, walker_libgcc, walker_glibc;
/* libunwind's other caching policies (the plain names: per-thread). */
extern const sr_walker walker_libunwind_none, walker_libunwind_global,
    walker_libunwind_step_none, walker_libunwind_step_global, walker_libunwind_remote_none,
    walker_libunwind_remote_global;

/* Built in first, then the plug-ins'. */
unsigned walkers_count(void);
const sr_walker *walkers_at(unsigned i);
const sr_walker *walkers_find(const char *name);
/* Where walker i came from: "built in" or the plug-in's path. */
const char *walkers_origin(unsigned i);
/* Takes the walkers of a plug-in's SR_WALKER_ENTRY (entry: the symbol):
 * checks the ABI and layout, names (unique, no clash with a walker already
 * known) and functions, then adds them all, or none (-1, a reason in err).
 * The loader for plugin_set_extra. */
int walkers_load_plugin(void *entry, const char *path, char *err, size_t errlen);
#endif
