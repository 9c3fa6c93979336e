/*
 * plugin.h — loading targets from plug-ins (shared objects made with
 * <stackrace/plugin.h>) into the registry.
 */
#ifndef STACKRACE_PLUGIN_LOADER_H
#define STACKRACE_PLUGIN_LOADER_H
#include <stddef.h>

/* Loads the plug-in at path and registers its targets. 0, or -1 with a
 * one-line reason in err: not a loadable object, no entry point, another
 * ABI or structure layout, a malformed or duplicate target. On an error no
 * target of the plug-in is registered. A file already loaded (by another
 * path too) is not loaded again: 0. */
int plugin_load(const char *path, char *err, size_t errlen);
/* A plug-in may carry a second kind of entry point (the native engine's
 * walkers, <stackrace/native.h>): its name, and the function that loads
 * what it returns (whole or not at all: 0, or -1 with a reason in err). A
 * plug-in then needs at least one of the two entry points. */
typedef int (*plugin_extra_loader)(void *entry, const char *path, char *err, size_t errlen);
void plugin_set_extra(const char *entry_name, plugin_extra_loader load);
/* Loads every path of a colon-separated list (STACKRACE_PLUGIN); stops at
 * the first error. */
int plugin_load_list(const char *paths, char *err, size_t errlen);
#endif
