/*
 * stackrace/plugin.h — shipping targets in a shared object of your own.
 *
 * A plug-in is a shared object that defines one or more targets against
 * <stackrace/model.h> and exports one entry point, made by SR_PLUGIN:
 *
 *     #include <stackrace/plugin.h>
 *     extern const sr_target my_buggy, my_fixed;
 *     SR_PLUGIN("my-runtime", &my_buggy, &my_fixed)
 *
 * Load it with `stackrace --plugin ./my-runtime.so hunt my-runtime@buggy`
 * (every command takes --plugin, before or after the command name, as
 * often as needed), or name it in STACKRACE_PLUGIN (colon-separated paths;
 * the fuzz driver fuzz_plugin reads it too, with STACKRACE_TARGET).
 *
 * Linking. A plug-in does not link the engine: the model API (every sr_*
 * function) is resolved, when the plug-in is loaded, against the program
 * that loads it (stackrace, a fuzz driver), which exports it. Linking a
 * second copy of the engine into the plug-in would give it an engine of its
 * own that no execution runs in. The CMake package's stackrace_add_plugin()
 * and the pkg-config file's Cflags do the right thing.
 *
 * Versioning. The entry point records the plug-in ABI version and the sizes
 * of the structures the two sides share, as the plug-in's compiler saw
 * them; a loader that disagrees refuses the plug-in (exit status 2) rather
 * than run targets whose tables it would misread. Rebuild the plug-in
 * against the stackrace that loads it.
 */
#ifndef STACKRACE_PLUGIN_H
#define STACKRACE_PLUGIN_H

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a structure in model.h or this header changes layout or
 * meaning, or a model API function changes its contract. */
#define SR_PLUGIN_ABI 1

/* The entry point's name, and its type. */
#define SR_PLUGIN_ENTRY "stackrace_plugin_v1"
typedef struct sr_plugin sr_plugin;
typedef const sr_plugin *(*sr_plugin_entry_fn)(void);

struct sr_plugin {
    uint32_t abi;                 /* SR_PLUGIN_ABI */
    uint32_t sizeof_target;       /* sizeof(sr_target) */
    uint32_t sizeof_func;         /* sizeof(sr_func) */
    uint32_t sizeof_scenario;     /* sizeof(sr_scenario) */
    uint32_t sizeof_walk;         /* sizeof(sr_walk) */
    uint32_t sizeof_sigctx;       /* sizeof(sr_sigctx) */
    uint32_t sizeof_signal;       /* sizeof(sr_signal) */
    uint32_t sizeof_lock;         /* sizeof(sr_lock) */
    const char *name;             /* the plug-in's name, for messages */
    const sr_target *const *targets;
    uint32_t ntargets;
};

#define SR_PLUGIN_LAYOUT                                                         \
    SR_PLUGIN_ABI, (uint32_t)sizeof(sr_target), (uint32_t)sizeof(sr_func),       \
        (uint32_t)sizeof(sr_scenario), (uint32_t)sizeof(sr_walk),                \
        (uint32_t)sizeof(sr_sigctx), (uint32_t)sizeof(sr_signal),                \
        (uint32_t)sizeof(sr_lock)

#ifdef __cplusplus
#define SR_PLUGIN_EXTERN extern "C"
#else
#define SR_PLUGIN_EXTERN
#endif

/* Defines the entry point: the plug-in's name, then the addresses of its
 * targets (each an sr_target with static storage). Use it once, at file
 * scope, in one source file of the plug-in. */
#define SR_PLUGIN(plugin_name, ...)                                              \
    static const sr_target *const sr_plugin_targets_[] = {__VA_ARGS__};          \
    SR_PLUGIN_EXTERN __attribute__((visibility("default"))) const sr_plugin *    \
    stackrace_plugin_v1(void);                                                   \
    SR_PLUGIN_EXTERN __attribute__((visibility("default"))) const sr_plugin *    \
    stackrace_plugin_v1(void)                                                    \
    {                                                                            \
        static const sr_plugin plugin = {                                        \
            SR_PLUGIN_LAYOUT, plugin_name, sr_plugin_targets_,                   \
            (uint32_t)(sizeof sr_plugin_targets_ / sizeof sr_plugin_targets_[0])}; \
        return &plugin;                                                          \
    }

#ifdef __cplusplus
}
#endif
#endif
