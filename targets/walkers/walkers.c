/*
 * walkers.c — the table of built-in walkers.
 */
#include "walkers.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const sr_walker *const builtin[] = {
    &walker_fp,
    &walker_libunwind, &walker_libunwind_none, &walker_libunwind_global,
    &walker_libunwind_step, &walker_libunwind_step_none, &walker_libunwind_step_global,
    &walker_libunwind_remote, &walker_libunwind_remote_none, &walker_libunwind_remote_global,
    &walker_llvm, &walker_libgcc, &walker_glibc,
};

enum { NBUILTIN = sizeof builtin / sizeof builtin[0], PLUGGED_MAX = 32 };
static const sr_walker *plugged[PLUGGED_MAX];
static char plugged_origin[PLUGGED_MAX][256];
static unsigned nplugged;

unsigned walkers_count(void) { return NBUILTIN + nplugged; }

const sr_walker *walkers_at(unsigned i)
{
    return i < NBUILTIN ? builtin[i] : i < walkers_count() ? plugged[i - NBUILTIN] : NULL;
}

const char *walkers_origin(unsigned i)
{
    return i < NBUILTIN ? "built in" : i < walkers_count() ? plugged_origin[i - NBUILTIN] : "";
}

static const sr_walker *find_exact(const char *name)
{
    for (unsigned i = 0; i < walkers_count(); i++)
        if (!strcmp(walkers_at(i)->name, name))
            return walkers_at(i);
    return NULL;
}

/* A walker with caching policies goes by its plain name for the per-thread
 * caches (libunwind.c), and also by W:cache=thread, as the other policies
 * are named: only where W:cache=none exists, so the name means something. */
const sr_walker *walkers_find(const char *name)
{
    const sr_walker *w = find_exact(name);
    static const char thread[] = ":cache=thread";
    size_t n = strlen(name), t = sizeof thread - 1;
    if (w || n <= t || strcmp(name + n - t, thread) != 0 || n - t + sizeof ":cache=none" > 96)
        return w;
    char base[96];
    memcpy(base, name, n - t);
    strcpy(base + n - t, ":cache=none");
    if (!find_exact(base))
        return NULL;
    base[n - t] = '\0';
    return find_exact(base);
}

static const char *malformed(const sr_walker *w)
{
    if (!w || !w->name || !*w->name)
        return "a walker without a name";
    if (!w->walk)
        return "a walker without a walk function";
    if (w->flags & ~(unsigned)(SR_WALKER_NEEDS_FP | SR_WALKER_LIVE | SR_WALKER_UCONTEXT))
        return "a walker with flags this stackrace does not know";
    return NULL;
}

int walkers_load_plugin(void *entry, const char *path, char *err, size_t errlen)
{
    const sr_walker_plugin *(*fn)(void);
    *(void **)&fn = entry;
    const sr_walker_plugin *p = fn();
    if (!p) {
        snprintf(err, errlen, "%s: its " SR_WALKER_ENTRY " returned NULL", path);
        return -1;
    }
    /* a walk struct without `stopped` is the first release's: such a
     * walker never calls it, and reads nothing past its own end */
    bool walk_ok = p->sizeof_stack_walk == sizeof(sr_stack_walk) ||
                   p->sizeof_stack_walk == offsetof(sr_stack_walk, stopped);
    if (p->abi != SR_WALKER_ABI || p->sizeof_walker != sizeof(sr_walker) || !walk_ok) {
        snprintf(err, errlen,
                 "%s: built for walker ABI %u (walker %u, walk %u bytes); this stackrace has "
                 "ABI %u (%zu, %zu): rebuild it against this stackrace's headers",
                 path, p->abi, p->sizeof_walker, p->sizeof_stack_walk, SR_WALKER_ABI,
                 sizeof(sr_walker), sizeof(sr_stack_walk));
        return -1;
    }
    if (!p->walkers || p->nwalkers == 0 || p->nwalkers > PLUGGED_MAX - nplugged) {
        snprintf(err, errlen, "%s: %u walkers (room for %u)", path, p->nwalkers,
                 PLUGGED_MAX - nplugged);
        return -1;
    }
    for (uint32_t i = 0; i < p->nwalkers; i++) {
        const sr_walker *w = p->walkers[i];
        const char *why = malformed(w);
        if (!why && walkers_find(w->name))
            why = "a walker name already taken";
        for (uint32_t j = 0; !why && j < i; j++)
            if (!strcmp(p->walkers[j]->name, w->name))
                why = "a walker defined twice";
        if (why) {
            snprintf(err, errlen, "%s: %s%s%s", path, why, w && w->name ? ": " : "",
                     w && w->name ? w->name : "");
            return -1;
        }
    }
    for (uint32_t i = 0; i < p->nwalkers; i++) {
        snprintf(plugged_origin[nplugged], sizeof plugged_origin[0], "%s", path);
        plugged[nplugged++] = p->walkers[i];
    }
    return 0;
}
