/*
 * cli.c — the `stackrace` command: dispatch, `list`, and top-level help.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "plugin.h"
#include "registry.h"
#include "report.h"
#include "cli.h"
#include "walkers.h"

static const char MAIN_HELP[] =
    "usage: stackrace [--plugin PATH.so]... [--no-builtins] COMMAND [options]\n"
    "\n"
    "Stress-tests and fuzzes stack walkers against whatever rewrites stacks under\n"
    "them, on deterministic models that replay exactly.\n"
    "\n"
    "commands:\n"
    "  list [--json]              the targets: built in, and from plug-ins\n"
    "  hunt TARGET [options]      search schedules for a finding\n"
    "  replay FILE [options]      replay a schedule exactly; narrate it\n"
    "  minimize FILE -o OUT       shrink a failing schedule\n"
    "  stress [options]           the native engine: real threads, signals and\n"
    "                             barriers; every walk checked against ground truth\n"
    "  walkers [--json]           the walkers the native engine can check here\n"
    "  sweep --walker W           every instruction of a program, walked under ptrace\n"
    "  bench-walkers              ns per frame for every walker, on one stack\n"
    "\n"
    "\n"
    "  --plugin PATH.so    load the targets of a plug-in (docs/plugging-in.md); any\n"
    "                      number, before or after COMMAND; STACKRACE_PLUGIN adds a\n"
    "                      colon-separated list of them\n"
    "  --no-builtins       leave the built-in targets out (to load one as a plug-in)\n"
    "\n"
    "`stackrace COMMAND --help` describes each command.\n";

static const char LIST_HELP[] =
    "usage: stackrace list [--json]\n"
    "\n"
    "Lists the targets this build knows and the plug-ins brought, with one-line\n"
    "descriptions (and, for a plug-in's, where it came from).\n";

int cli_list(int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(LIST_HELP, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--json"))
            json = true;
        else
            return cli_usage_error("list: unknown argument '%s' (stackrace list --help)",
                                   argv[i]);
    }
    if (json)
        putchar('[');
    for (unsigned i = 0; i < registry_count(); i++) {
        const sr_target *t = registry_at(i);
        const char *desc = t->description ? t->description : "";
        if (json) {
            printf(i ? ",{\"name\":" : "{\"name\":");
            report_json_string(stdout, t->name);
            printf(",\"description\":");
            report_json_string(stdout, desc);
            printf(",\"origin\":");
            report_json_string(stdout, registry_origin(i));
            putchar('}');
        } else if (strcmp(registry_origin(i), REGISTRY_BUILT_IN) != 0) {
            printf("%-24s %s (plug-in %s)\n", t->name, desc, registry_origin(i));
        } else {
            printf("%-24s %s\n", t->name, desc);
        }
    }
    if (json)
        puts("]");
    return 0;
}

/* Takes --plugin PATH and --no-builtins out of argv (wherever they are) and
 * fills the registry: the built-in targets, then STACKRACE_PLUGIN's, then
 * each --plugin's in order. 0, or 2 after a one-line error. */
static int load_targets(int *argc, char **argv)
{
    if (*argc < 1)
        return 0;
    bool builtins = true;
    int n = 1;
    for (int i = 1; i < *argc; i++)
        if (!strcmp(argv[i], "--no-builtins"))
            builtins = false;
    if (builtins)
        builtin_register();
    char err[512];
    const char *env = getenv("STACKRACE_PLUGIN");
    if (env && *env && plugin_load_list(env, err, sizeof err) != 0)
        return cli_usage_error("%s (from STACKRACE_PLUGIN)", err);
    for (int i = 1; i < *argc; i++) {
        if (!strcmp(argv[i], "--no-builtins"))
            continue;
        if (strcmp(argv[i], "--plugin") != 0) {
            argv[n++] = argv[i];
            continue;
        }
        if (i + 1 >= *argc)
            return cli_usage_error("--plugin needs the path of a shared object");
        if (plugin_load(argv[++i], err, sizeof err) != 0)
            return cli_usage_error("%s", err);
    }
    argv[n] = NULL;
    *argc = n;
    return 0;
}

int main(int argc, char **argv)
{
    plugin_set_extra(SR_WALKER_ENTRY, walkers_load_plugin);
    int rc = load_targets(&argc, argv);
    if (rc)
        return rc;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(MAIN_HELP, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "list")) return cli_list(argc - 1, argv + 1);
    if (!strcmp(cmd, "hunt")) return cli_hunt(argc - 1, argv + 1);
    if (!strcmp(cmd, "replay")) return cli_replay(argc - 1, argv + 1);
    if (!strcmp(cmd, "minimize")) return cli_minimize(argc - 1, argv + 1);
    if (!strcmp(cmd, "stress")) return cli_stress(argc - 1, argv + 1);
    if (!strcmp(cmd, "walkers")) return cli_walkers(argc - 1, argv + 1);
    if (!strcmp(cmd, "sweep")) return cli_sweep(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench-walkers")) return cli_bench_walkers(argc - 1, argv + 1);
    return cli_usage_error("unknown command '%s' (stackrace --help)", cmd);
}
