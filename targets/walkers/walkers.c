/*
 * walkers.c — the table of built-in walkers.
 */
#include "walkers.h"

#include <string.h>

static const sr_walker *const builtin[] = {
    &walker_fp,     &walker_libunwind, &walker_libunwind_step, &walker_libunwind_remote,
    &walker_llvm,   &walker_libgcc,    &walker_glibc,
};

unsigned walkers_count(void) { return sizeof builtin / sizeof builtin[0]; }

const sr_walker *walkers_at(unsigned i) { return i < walkers_count() ? builtin[i] : NULL; }

const sr_walker *walkers_find(const char *name)
{
    for (unsigned i = 0; i < walkers_count(); i++)
        if (!strcmp(builtin[i]->name, name))
            return builtin[i];
    return NULL;
}
