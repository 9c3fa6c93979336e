/* builtin.c — the targets built into the stackrace CLI and the fuzz drivers. */
#include "builtin.h"

#include <stdio.h>
#include <stdlib.h>

#include "registry.h"
#include "go/runtime.h"

void builtin_register(void)
{
    char err[256];
    for (unsigned i = 0; i < sizeof go_targets / sizeof go_targets[0]; i++)
        if (registry_add(&go_targets[i], REGISTRY_BUILT_IN, err, sizeof err) != 0) {
            fprintf(stderr, "stackrace: internal error: %s\n", err);
            abort();
        }
}
