/* registry.c — the targets built into the stackrace CLI. */
#include "registry.h"

#include "go/runtime.h"

const sr_target *const sr_builtin_targets[] = {
    &go_targets[0], &go_targets[1], &go_targets[2], &go_targets[3],
};
const unsigned sr_builtin_target_count =
    sizeof sr_builtin_targets / sizeof sr_builtin_targets[0];
