/* registry.c — looking targets up by name. */
#include "registry.h"

#include <string.h>

const sr_target *registry_find(const char *name)
{
    for (unsigned i = 0; i < sr_builtin_target_count; i++)
        if (strcmp(sr_builtin_targets[i]->name, name) == 0)
            return sr_builtin_targets[i];
    return 0;
}
