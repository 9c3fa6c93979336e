/*
 * cmd_walkers.c — `stackrace walkers`: the walkers the native engine can
 * check on this machine, and for each one that cannot run, why not.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "signal_safety.h"
#include "walkers.h"

static const char WALKERS_HELP[] =
    "usage: stackrace walkers [--json]\n"
    "\n"
    "Lists the walkers `stackrace stress`, `sweep` and `bench-walkers` can check:\n"
    "whether each is available here (its library found and loaded) and, if not,\n"
    "why; how it walks (through the engine's bounds-checked, barrier-translating\n"
    "view of the stack; live, from inside the handler; or from the signal's\n"
    "context); and whether this build carries the async-signal-safety check.\n";

static const char *kind_of(const sr_walker *w)
{
    if (w->flags & SR_WALKER_LIVE)
        return "live";
    if (w->flags & SR_WALKER_UCONTEXT)
        return "context";
    return "view";
}

int cli_walkers(int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(WALKERS_HELP, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--json"))
            json = true;
        else
            return cli_usage_error("walkers: unknown argument '%s' (stackrace walkers --help)",
                                   argv[i]);
    }
    if (json)
        printf("{\"signal_safety_check\":%s,\"walkers\":[", signal_safety_on() ? "true" : "false");
    int width = 0; /* the names' column */
    for (unsigned i = 0; i < walkers_count(); i++)
        if ((int)strlen(walkers_at(i)->name) > width)
            width = (int)strlen(walkers_at(i)->name);
    for (unsigned i = 0; i < walkers_count(); i++) {
        const sr_walker *w = walkers_at(i);
        char why[256] = "";
        bool ok = !w->init || w->init(why, sizeof why) == 0;
        if (json) {
            printf(i ? ",{\"name\":" : "{\"name\":");
            report_json_string(stdout, w->name);
            printf(",\"available\":%s,\"kind\":\"%s\",\"needs_frame_pointers\":%s,\"description\":",
                   ok ? "true" : "false", kind_of(w),
                   (w->flags & SR_WALKER_NEEDS_FP) ? "true" : "false");
            report_json_string(stdout, w->description ? w->description : "");
            printf(",\"origin\":");
            report_json_string(stdout, walkers_origin(i));
            if (!ok) {
                printf(",\"why\":");
                report_json_string(stdout, why);
            }
            putchar('}');
        } else {
            bool plugged = strcmp(walkers_origin(i), "built in") != 0;
            printf("%-*s %-9s %-7s %s%s%s%s%s%s\n", width, w->name, ok ? "available" : "missing",
                   kind_of(w), ok && w->description ? w->description : "",
                   ok ? "" : "not available: ", ok ? "" : why, plugged ? " (plug-in " : "",
                   plugged ? walkers_origin(i) : "", plugged ? ")" : "");
        }
    }
    if (json)
        puts("]}");
    else if (!signal_safety_on())
        puts("(this build has no async-signal-safety check: a sanitizer defines malloc)");
    return 0;
}
