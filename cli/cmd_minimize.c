/* cmd_minimize.c — `stackrace minimize` (the algorithm is in minimize.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char MINIMIZE_HELP[] =
    "usage: stackrace minimize FILE -o OUT [--target T] [--time SEC] [--no-races]\n"
    "\n"
    "Shrinks the failing schedule in FILE to the fewest decisions (context\n"
    "switches, signals, program choices) that still fail with the same signature,\n"
    "and writes it to OUT. --time SEC stops shrinking after SEC seconds and keeps\n"
    "the smallest schedule found so far (default: no limit). The race detector runs\n"
    "unless --no-races (then a data-race finding does not fail).\n"
    "\n"
    "exit status: 0 written, 1 FILE does not fail, 2 on bad input\n";

int cli_minimize(int argc, char **argv)
{
    const char *file = NULL, *out = NULL, *target = NULL;
    double seconds = 0;
    bool races = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(MINIMIZE_HELP, stdout);
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--target")) {
            if (i + 1 >= argc)
                return cli_usage_error("minimize: %s needs a value", a);
            *(!strcmp(a, "-o") ? &out : &target) = argv[++i];
        } else if (!strcmp(a, "--no-races")) {
            races = false;
        } else if (!strcmp(a, "--time")) {
            if (i + 1 >= argc || !cli_parse_seconds(argv[i + 1], &seconds))
                return cli_usage_error("minimize: --time needs a positive number of seconds");
            i++;
        } else if (a[0] == '-' && a[1])
            return cli_usage_error("minimize: unknown option '%s' (stackrace minimize --help)",
                                   a);
        else if (file)
            return cli_usage_error("minimize: more than one FILE");
        else
            file = a;
    }
    if (!file || !out)
        return cli_usage_error("minimize: usage: stackrace minimize FILE -o OUT");
    schedule s;
    const sr_target *t;
    int rc = cli_load_for_target(file, target, &s, &t);
    if (rc)
        return rc;
    snprintf(s.target, sizeof s.target, "%s", t->name);
    exec *e = run_new_exec();
    e->race.on = races;
    minimize_stats st;
    rc = run_minimize(e, t, &s, NULL, seconds, &st);
    char err[256];
    if (rc == 1)
        printf("%s does not fail against %s: nothing to minimize\n", file, t->name);
    else if (rc == 2)
        fprintf(stderr, "stackrace: internal error: %s did not minimize reproducibly\n", file);
    else if (sched_write_file(out, &s, err, sizeof err) != 0)
        rc = cli_usage_error("minimize: %s", err);
    else
        printf("%s: decisions %zu -> %zu, context switches %llu -> %llu, bytes %zu -> %zu; "
               "written to %s\n",
               t->name, st.decisions[0], st.decisions[1], (unsigned long long)st.switches[0],
               (unsigned long long)st.switches[1], st.bytes[0], st.bytes[1], out);
    run_free_exec(e);
    sched_free(&s);
    return rc;
}
