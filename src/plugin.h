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
/* Loads every path of a colon-separated list (STACKRACE_PLUGIN); stops at
 * the first error. */
int plugin_load_list(const char *paths, char *err, size_t errlen);
#endif
