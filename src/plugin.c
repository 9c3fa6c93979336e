/*
 * plugin.c — loading plug-ins.
 *
 * A plug-in is opened with RTLD_NOW, so that a model API function it needs
 * and this program lacks is an error at load time, not a crash in the
 * middle of a hunt, and with RTLD_LOCAL, so that two plug-ins' own symbols
 * never resolve to each other. Its targets are all checked before any is
 * registered: a plug-in is taken whole or not at all.
 */
#include "plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry.h"
#include "stackrace/plugin.h"

/* The plug-in's view of the shared structures must be ours. */
static const char *layout_mismatch(const sr_plugin *p)
{
    static char why[160];
    const sr_plugin ours = {SR_PLUGIN_LAYOUT, NULL, NULL, 0};
    if (p->abi != ours.abi) {
        snprintf(why, sizeof why, "built for plug-in ABI %u, this stackrace loads ABI %u; "
                 "rebuild it against this stackrace", p->abi, ours.abi);
        return why;
    }
    if (p->sizeof_target != ours.sizeof_target || p->sizeof_func != ours.sizeof_func ||
        p->sizeof_scenario != ours.sizeof_scenario || p->sizeof_walk != ours.sizeof_walk ||
        p->sizeof_sigctx != ours.sizeof_sigctx || p->sizeof_signal != ours.sizeof_signal ||
        p->sizeof_lock != ours.sizeof_lock)
        return "built with other stackrace headers (structure sizes differ); rebuild it "
               "against this stackrace";
    return NULL;
}

static int check_targets(const sr_plugin *p, const char *path, char *err, size_t errlen)
{
    if (!p->targets || p->ntargets == 0) {
        snprintf(err, errlen, "%s: the plug-in has no targets", path);
        return -1;
    }
    if (p->ntargets > registry_room()) {
        snprintf(err, errlen, "%s: %u targets, room for %u more", path, p->ntargets,
                 registry_room());
        return -1;
    }
    for (uint32_t i = 0; i < p->ntargets; i++) {
        const sr_target *t = p->targets[i];
        if (!t) {
            snprintf(err, errlen, "%s: a target is NULL", path);
            return -1;
        }
        if (registry_refuses(t, path, err, errlen))
            return -1;
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(p->targets[j]->name, t->name)) {
                snprintf(err, errlen, "%s: target '%s' is defined twice", path, t->name);
                return -1;
            }
    }
    return 0;
}

/* The files loaded so far: the same file named twice (STACKRACE_PLUGIN and
 * --plugin, say) is loaded once. */
static struct { dev_t dev; ino_t ino; } loaded[64];
static unsigned nloaded;

static bool already_loaded(const struct stat *st)
{
    for (unsigned i = 0; i < nloaded; i++)
        if (loaded[i].dev == st->st_dev && loaded[i].ino == st->st_ino)
            return true;
    return false;
}

static const char *extra_entry;
static plugin_extra_loader extra_load;

void plugin_set_extra(const char *entry_name, plugin_extra_loader load)
{
    extra_entry = entry_name;
    extra_load = load;
}

int plugin_load(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "cannot open plug-in %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "plug-in %s is not a file", path);
        return -1;
    }
    if (already_loaded(&st))
        return 0;
    if (nloaded == sizeof loaded / sizeof loaded[0]) {
        snprintf(err, errlen, "%s: more than %zu plug-ins", path, sizeof loaded / sizeof loaded[0]);
        return -1;
    }
    /* a name without a slash is a file here, not a library to search for */
    char *file = malloc(strlen(path) + 3);
    if (!file)
        abort();
    sprintf(file, "%s%s", strchr(path, '/') ? "" : "./", path);
    void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        /* dlerror says "FILE: why"; the path is said once */
        const char *why = dlerror();
        size_t n = strlen(file);
        if (why && !strncmp(why, file, n) && !strncmp(why + n, ": ", 2))
            why += n + 2;
        snprintf(err, errlen, "%s: cannot load it as a shared object (%s)", path,
                 why ? why : "dlopen failed");
        free(file);
        return -1;
    }
    sr_plugin_entry_fn entry;
    *(void **)&entry = dlsym(h, SR_PLUGIN_ENTRY);
    void *extra = extra_entry ? dlsym(h, extra_entry) : NULL;
    static const sr_plugin none = {SR_PLUGIN_LAYOUT, "", NULL, 0};
    const sr_plugin *p = entry ? entry() : extra ? &none : NULL;
    const char *why = !entry && !extra ? "not a stackrace plug-in (no " SR_PLUGIN_ENTRY
                                         " entry point; define it with SR_PLUGIN)"
                      : !p             ? "its entry point returned NULL"
                                       : layout_mismatch(p);
    if (why) {
        snprintf(err, errlen, "%s: %s", path, why);
        dlclose(h);
        free(file);
        return -1;
    }
    if ((p != &none && check_targets(p, path, err, errlen) != 0) ||
        (extra && extra_load(extra, path, err, errlen) != 0)) {
        dlclose(h);
        free(file);
        return -1;
    }
    /* the origin names the path as given; the object stays loaded */
    sprintf(file, "%s", path);
    loaded[nloaded].dev = st.st_dev;
    loaded[nloaded].ino = st.st_ino;
    nloaded++;
    for (uint32_t i = 0; i < p->ntargets; i++)
        if (registry_add(p->targets[i], file, err, errlen) != 0)
            return -1; /* checked above (names, duplicates, room): cannot happen */
    if (p->ntargets == 0)
        free(file); /* walkers only: no target keeps it as its origin */
    return 0;
}

int plugin_load_list(const char *paths, char *err, size_t errlen)
{
    char *copy = strdup(paths);
    if (!copy)
        abort();
    int rc = 0;
    for (char *save = NULL, *p = strtok_r(copy, ":", &save); p && rc == 0;
         p = strtok_r(NULL, ":", &save))
        rc = plugin_load(p, err, errlen);
    free(copy);
    return rc;
}
