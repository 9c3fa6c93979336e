/*
 * registry.h — the targets a program knows, by name: the ones built into
 * it (registered by the program, e.g. targets/builtin.c) and the ones its
 * plug-ins bring (plugin.c). The engine itself names no target.
 */
#ifndef STACKRACE_REGISTRY_H
#define STACKRACE_REGISTRY_H
#include <stdbool.h>
#include <stddef.h>
#include "stackrace/model.h"

/* The origin of the targets a program has built in. */
#define REGISTRY_BUILT_IN "built in"

/* Adds t, which comes from `origin` (REGISTRY_BUILT_IN, or a plug-in's path; the
 * string must outlive the registry). 0, or -1 with a one-line reason in err
 * (a target already registered under that name, a malformed target). */
int registry_add(const sr_target *t, const char *origin, char *err, size_t errlen);
/* Whether registry_add would refuse t: -1 with the reason in err, else 0. */
int registry_refuses(const sr_target *t, const char *origin, char *err, size_t errlen);
/* A one-line reason why t cannot be run, or NULL if it is well-formed. */
const char *registry_check(const sr_target *t);
const sr_target *registry_find(const char *name);
unsigned registry_count(void);
const sr_target *registry_at(unsigned i);
const char *registry_origin(unsigned i);
/* Whether any built-in target is registered (not under --no-builtins). */
bool registry_has_builtins(void);
/* How many more targets the registry takes. */
unsigned registry_room(void);
/* The plug-in t came from, or NULL if it is built in (or not registered). */
const char *registry_plugin_of(const sr_target *t);
#endif
