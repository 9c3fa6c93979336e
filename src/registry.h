/*
 * registry.h — the targets this build knows, by name. The table itself is
 * defined outside the engine (targets/registry.c), so the engine never
 * names a target.
 */
#ifndef STACKRACE_REGISTRY_H
#define STACKRACE_REGISTRY_H
#include "stackrace/model.h"

extern const sr_target *const sr_builtin_targets[];
extern const unsigned sr_builtin_target_count;

const sr_target *registry_find(const char *name);
#endif
