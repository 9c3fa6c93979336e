/*
 * dl.c — loading third-party unwinders, one namespace each (dl.h).
 */
#include "dl.h"

#include <dlfcn.h>
#include <stdio.h>

void *walker_dlopen(const char *const *names, char *why, size_t n)
{
    for (const char *const *p = names; *p; p++) {
        void *lib = dlopen(*p, RTLD_NOW | RTLD_LOCAL);
        if (lib)
            return lib;
    }
    snprintf(why, n, "%s not found (dlopen: %s)", names[0], dlerror());
    return NULL;
}

bool walker_dlsyms(void *lib, const char *libname, const char *const *names, void **out,
                   char *why, size_t n)
{
    for (size_t i = 0; names[i]; i++) {
        out[i] = dlsym(lib, names[i]);
        if (!out[i]) {
            snprintf(why, n, "%s has no %s", libname, names[i]);
            return false;
        }
    }
    return true;
}
