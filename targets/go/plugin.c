/*
 * plugin.c — the Go model as a plug-in (go-stkbar.so), from the same
 * sources as the built-in targets: what it takes to move a target out of
 * the tree. Load it into a stackrace without its built-in twins:
 *     stackrace --no-builtins --plugin go-stkbar.so hunt 'go-stkbar@f90b48e~1'
 */
#include <stackrace/plugin.h>

#include "runtime.h"

SR_PLUGIN("go-stkbar", &go_targets[0], &go_targets[1], &go_targets[2], &go_targets[3])
