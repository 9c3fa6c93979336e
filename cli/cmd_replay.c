/*
 * cmd_replay.c — `stackrace replay`.
 *
 * Replay runs a schedule exactly (DEC_INPUT mode) and tells what happened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "cli.h"

static const char REPLAY_HELP[] =
    "usage: stackrace replay FILE [--narrative|--trace|--json|--svg OUT.svg] [--target T]\n"
    "                             [--no-races]\n"
    "\n"
    "Replays the schedule in FILE exactly and reports what happened: by default a\n"
    "summary line; --narrative the numbered story; --trace every event; --json a\n"
    "machine-readable object; --svg a swimlane timeline written to OUT.svg.\n"
    "--target T replays against another target (e.g. a fixed variant), and lets\n"
    "FILE be a raw fuzzer input (its bytes are the schedule, scenario included).\n"
    "The race detector (check 5) runs unless --no-races; either way the execution\n"
    "is the same, only data-race findings come and go.\n"
    "\n"
    "exit status: 1 if the execution fails a check, 0 if not, 2 on bad input\n";

static void print_json(const exec *e, const exec_result *r, const char *sig)
{
    printf("{\"target\":");
    report_json_string(stdout, e->target->name);
    printf(",\"failed\":%s,\"signature\":", r->failed ? "true" : "false");
    if (r->failed) report_json_string(stdout, sig);
    else printf("null");
    printf(",\"check\":");
    report_json_string(stdout, r->failed ? finding_check(&r->f) : "none");
    printf(",\"message\":");
    report_json_string(stdout, r->f.message);
    printf(",\"location\":");
    report_json_string(stdout, r->f.location);
    printf(",\"actor\":");
    report_json_string(stdout, r->f.actor);
    printf(",\"detail\":");
    report_json_string(stdout, r->f.detail);
    printf(",\"findings\":[");
    for (unsigned i = 0; i < r->nreports + (r->fatal ? 1u : 0u); i++) {
        const finding *f = i < r->nreports ? &r->reports[i] : &r->f;
        char s2[64];
        finding_signature(f, e->target->name, s2, sizeof s2);
        printf(i ? ",{\"signature\":" : "{\"signature\":");
        report_json_string(stdout, s2);
        printf(",\"check\":");
        report_json_string(stdout, finding_check(f));
        printf(",\"message\":");
        report_json_string(stdout, f->message);
        printf("}");
    }
    printf("]");
    printf(",\"steps\":%llu,\"trace_hash\":\"%016llx\",\"signals\":%llu,"
           "\"walks_complete\":%llu,\"walks_declined\":%llu,\"switches\":%llu,"
           "\"returns\":%llu,\"trampoline_hits\":%llu}\n",
           (unsigned long long)r->steps, (unsigned long long)r->trace_hash,
           (unsigned long long)r->stats.signals, (unsigned long long)r->stats.walks_complete,
           (unsigned long long)r->stats.walks_declined, (unsigned long long)r->stats.switches,
           (unsigned long long)r->stats.returns, (unsigned long long)r->stats.trampolines);
}

int cli_replay(int argc, char **argv)
{
    const char *file = NULL, *target = NULL, *svg = NULL;
    bool races = true;
    enum { SUMMARY, NARRATIVE, TRACE, JSON } mode = SUMMARY;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(REPLAY_HELP, stdout);
            return 0;
        } else if (!strcmp(a, "--narrative")) mode = NARRATIVE;
        else if (!strcmp(a, "--trace")) mode = TRACE;
        else if (!strcmp(a, "--json")) mode = JSON;
        else if (!strcmp(a, "--no-races")) races = false;
        else if (!strcmp(a, "--svg") || !strcmp(a, "--target")) {
            if (i + 1 >= argc)
                return cli_usage_error("replay: %s needs a value", a);
            *(!strcmp(a, "--svg") ? &svg : &target) = argv[++i];
        } else if (a[0] == '-' && a[1])
            return cli_usage_error("replay: unknown option '%s' (stackrace replay --help)", a);
        else if (file)
            return cli_usage_error("replay: more than one FILE");
        else
            file = a;
    }
    if (!file)
        return cli_usage_error("replay: missing FILE (stackrace replay --help)");
    schedule s;
    const sr_target *t;
    int rc = cli_load_for_target(file, target, &s, &t);
    if (rc)
        return rc;
    exec *e = run_new_exec();
    e->race.on = races;
    exec_result r;
    /* the full trace only when something will tell it */
    run_schedule(e, t, &s, mode == NARRATIVE || mode == TRACE || svg, &r);
    char sig[64] = "";
    if (r.failed)
        finding_signature(&r.f, t->name, sig, sizeof sig);
    switch (mode) {
    case NARRATIVE:
        report_narrative(stdout, e, &r);
        break;
    case TRACE:
        report_trace(stdout, e);
        break;
    case JSON:
        print_json(e, &r, sig);
        break;
    case SUMMARY:
        break;
    }
    if (mode != JSON) {
        if (r.failed)
            printf("%s: %s: %s%s%s (%s) after %llu steps; trace hash %016llx\n", t->name, sig,
                   r.f.message, r.f.location[0] ? " in " : "", r.f.location,
                   finding_check(&r.f), (unsigned long long)r.steps,
                   (unsigned long long)r.trace_hash);
        else
            printf("%s: no finding after %llu steps; trace hash %016llx\n", t->name,
                   (unsigned long long)r.steps, (unsigned long long)r.trace_hash);
    }
    if (svg) {
        FILE *f = fopen(svg, "w");
        if (!f) {
            rc = cli_usage_error("replay: cannot write %s", svg);
        } else {
            report_svg(f, e, &r);
            if (fclose(f) != 0)
                rc = cli_usage_error("replay: cannot write %s", svg);
        }
    }
    run_free_exec(e);
    sched_free(&s);
    return rc ? rc : r.failed ? 1 : 0;
}

