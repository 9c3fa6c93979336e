/*
 * registry.c — looking targets up by name.
 *
 * A plain array: programs know a handful of targets, registered once at
 * start-up on one thread, then only read.
 */
#include "registry.h"

#include <stdio.h>
#include <string.h>

#define REGISTRY_MAX 256

static struct {
    const sr_target *t;
    const char *origin;
} entries[REGISTRY_MAX];
static unsigned nentries;

const char *registry_check(const sr_target *t)
{
    if (!t->name || !t->name[0])
        return "a target has no name";
    if (strlen(t->name) > 64)
        return "a target name is longer than 64 characters";
    for (const char *c = t->name; *c; c++)
        if (*c <= ' ' || *c == '/' || *c == 0x7f)
            return "a target name has a space, a slash or a control character";
    if (!t->setup)
        return "a target has no setup function";
    if (!t->funcs || t->nfuncs == 0)
        return "a target has no function table";
    for (unsigned i = 0; i < t->nfuncs; i++)
        if (!t->funcs[i].name || (t->funcs[i].frame_size & 7))
            return "a function has no name or a frame size that is not a multiple of 8";
    if (t->state_size > (64u << 20))
        return "a target's state is larger than 64 MiB";
    if (t->nsignals && t->on_signal)
        return "a target has both on_signal and a signal table (signals replaces on_signal)";
    if (t->nsignals > SR_MAX_SIGNALS)
        return "a target has more signals than SR_MAX_SIGNALS";
    for (unsigned i = 0; i < t->nsignals; i++)
        if (!t->signals || !t->signals[i].handler)
            return "a signal has no handler";
    return NULL;
}

int registry_refuses(const sr_target *t, const char *origin, char *err, size_t errlen)
{
    const char *why = registry_check(t);
    if (why) {
        snprintf(err, errlen, "%s: %s%s%s", origin, why, t->name ? ": " : "",
                 t->name ? t->name : "");
        return -1;
    }
    for (unsigned i = 0; i < nentries; i++)
        if (!strcmp(entries[i].t->name, t->name)) {
            snprintf(err, errlen, "%s: target '%s' is already registered (%s)", origin,
                     t->name, entries[i].origin);
            return -1;
        }
    if (nentries == REGISTRY_MAX) {
        snprintf(err, errlen, "%s: more than %d targets", origin, REGISTRY_MAX);
        return -1;
    }
    return 0;
}

int registry_add(const sr_target *t, const char *origin, char *err, size_t errlen)
{
    if (registry_refuses(t, origin, err, errlen))
        return -1;
    entries[nentries].t = t;
    entries[nentries].origin = origin;
    nentries++;
    return 0;
}

const sr_target *registry_find(const char *name)
{
    for (unsigned i = 0; i < nentries; i++)
        if (!strcmp(entries[i].t->name, name))
            return entries[i].t;
    return NULL;
}

unsigned registry_count(void) { return nentries; }
const sr_target *registry_at(unsigned i) { return i < nentries ? entries[i].t : NULL; }
const char *registry_origin(unsigned i) { return i < nentries ? entries[i].origin : NULL; }

const char *registry_plugin_of(const sr_target *t)
{
    for (unsigned i = 0; i < nentries; i++)
        if (entries[i].t == t)
            return strcmp(entries[i].origin, REGISTRY_BUILT_IN) ? entries[i].origin : NULL;
    return NULL;
}

bool registry_has_builtins(void)
{
    for (unsigned i = 0; i < nentries; i++)
        if (!strcmp(entries[i].origin, REGISTRY_BUILT_IN))
            return true;
    return false;
}

unsigned registry_room(void) { return REGISTRY_MAX - nentries; }
