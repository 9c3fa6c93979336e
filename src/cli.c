/*
 * cli.c — the `stackrace` command: dispatch, `list`, and top-level help.
 */
#include <stdio.h>
#include <string.h>

#include "registry.h"
#include "report.h"
#include "cmdline.h"

static const char MAIN_HELP[] =
    "usage: stackrace COMMAND [options]\n"
    "\n"
    "Stress-tests and fuzzes stack walkers against whatever rewrites stacks under\n"
    "them, on deterministic models that replay exactly.\n"
    "\n"
    "commands:\n"
    "  list [--json]              the targets built in\n"
    "  hunt TARGET [options]      search schedules for a finding\n"
    "  replay FILE [options]      replay a schedule exactly; narrate it\n"
    "  minimize FILE -o OUT       shrink a failing schedule\n"
    "\n"
    "`stackrace COMMAND --help` describes each command.\n";

static const char LIST_HELP[] =
    "usage: stackrace list [--json]\n"
    "\n"
    "Lists the targets this build knows, with one-line descriptions.\n";

int cmd_list(int argc, char **argv)
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
            return run_usage_error("list: unknown argument '%s' (stackrace list --help)",
                                   argv[i]);
    }
    if (json)
        putchar('[');
    for (unsigned i = 0; i < sr_builtin_target_count; i++) {
        const sr_target *t = sr_builtin_targets[i];
        if (json) {
            printf(i ? ",{\"name\":" : "{\"name\":");
            report_json_string(stdout, t->name);
            printf(",\"description\":");
            report_json_string(stdout, t->description);
            putchar('}');
        } else {
            printf("%-24s %s\n", t->name, t->description);
        }
    }
    if (json)
        puts("]");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(MAIN_HELP, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "list")) return cmd_list(argc - 1, argv + 1);
    if (!strcmp(cmd, "hunt")) return cmd_hunt(argc - 1, argv + 1);
    if (!strcmp(cmd, "replay")) return cmd_replay(argc - 1, argv + 1);
    if (!strcmp(cmd, "minimize")) return cmd_minimize(argc - 1, argv + 1);
    return run_usage_error("unknown command '%s' (stackrace --help)", cmd);
}
