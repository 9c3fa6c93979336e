/*
 * cmd_hunt.c — `stackrace hunt`: the command line of the search (src/hunt.h
 * has it: jobs, seeds, the stop rule, saving, minimizing). Here: the flags,
 * and the sink that tells the hunt as it goes, in text (each finding with
 * its narrative and the replay command, a progress line on a terminal) or
 * as one JSON object at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hunt.h"
#include "registry.h"
#include "report.h"
#include "rng.h"
#include "cli.h"
#include "scenario.h"

/* The command's view of a hunt: what it was asked, how to tell it. */
typedef struct hunt_cli {
    const hunt_config *c;
    bool json, quiet;
} hunt_cli;

static const char *strategy_name(dec_mode m)
{
    return m == DEC_PCT ? "pct" : "random";
}

static void clear_progress(const hunt_cli *h)
{
    if (!h->quiet)
        fputs("\r\033[K", stderr);
}

/* "replay: stackrace ... replay PATH --narrative"; a plug-in's finding needs
 * its plug-in loaded again (and the built-in targets left out if the hunt
 * left them out). */
static void print_replay(const hunt_cli *h, const char *prefix, const char *path)
{
    const char *plugin = registry_plugin_of(h->c->target);
    printf("%sreplay: stackrace%s%s replay %s --narrative\n\n", prefix,
           !plugin ? "" : registry_has_builtins() ? " --plugin " : " --no-builtins --plugin ",
           plugin ? plugin : "", path);
}

/* A finding that did not end its execution (a data race): its detail names
 * both accesses, which is most of its story; the narrative is a replay away.
 * Told short so that the story of what it leads to stays readable. */
static void report_race(const hunt_cli *h, const hunt_finding *hf)
{
    clear_progress(h);
    printf("finding: %s after %llu execs (%.2f s): %s\n", hf->signature,
           (unsigned long long)hf->execs, hf->seconds, hf->f.message);
    printf("  %s\n", hf->f.detail);
    print_replay(h, "  ", hf->path);
    fflush(stdout);
}

/* Prints the finding and the narrative of its smallest schedule. */
static void report_finding(const hunt_cli *h, const hunt_finding *hf, const schedule *found,
                           exec *e)
{
    clear_progress(h);
    printf("finding: %s after %llu execs (%.2f s): %s%s%s\n", hf->signature,
           (unsigned long long)hf->execs, hf->seconds, hf->f.message,
           hf->f.location[0] ? " in " : "", hf->f.location);
    printf("  schedule: %s\n", hf->path);
    schedule shown = *found;
    uint8_t *buf = NULL;
    char err[256];
    if (hf->minimized[0]) {
        size_t len;
        schedule small;
        if (sched_read_file(hf->minimized, &buf, &len, err, sizeof err) == 0 &&
            sched_parse(buf, len, &small, err, sizeof err) == 0) {
            printf("  minimized: %s\n", hf->minimized);
            free(buf);
            buf = small.bytes;
            shown = small;
        }
    }
    exec_result rr;
    run_schedule(e, h->c->target, &shown, true, &rr);
    putchar('\n');
    report_narrative(stdout, e, &rr);
    print_replay(h, "\n", hf->minimized[0] ? hf->minimized : hf->path);
    fflush(stdout);
    free(buf);
}

/* The sink (hunt.h). */
static void tell_finding(void *ctx, const hunt_finding *hf, const schedule *found, exec *e)
{
    const hunt_cli *h = ctx;
    if (hf->fatal)
        report_finding(h, hf, found, e);
    else
        report_race(h, hf);
}

static void tell_progress(void *ctx, uint64_t execs, double el, int nfindings)
{
    const hunt_cli *h = ctx;
    fprintf(stderr, "\r\033[Khunt %s: %llu execs, %.0f execs/s, %.1f s, %d finding%s",
            h->c->target->name, (unsigned long long)execs, el > 0 ? (double)execs / el : 0.0,
            el, nfindings, nfindings == 1 ? "" : "s");
    fflush(stderr);
}

static void tell_error(void *ctx, const char *message)
{
    clear_progress(ctx);
    fprintf(stderr, "stackrace: %s\n", message);
}

static void print_json(const hunt_config *c, const hunt_outcome *o)
{
    double secs = o->seconds;
    uint64_t n = o->execs;
    /* the top-level fields describe the finding that matters: the first fatal
     * one if there is one, else the first data race; "findings" lists all */
    const hunt_finding *first = o->nfindings ? &o->findings[0] : NULL;
    for (int i = 0; i < o->nfindings; i++)
        if (o->findings[i].fatal) {
            first = &o->findings[i];
            break;
        }
    printf("{\"target\":");
    report_json_string(stdout, c->target->name);
    printf(",\"strategy\":\"%s\",\"depth\":%u,\"seed\":%llu,\"jobs\":%d,\"found\":%s",
           strategy_name(c->mode), c->depth, (unsigned long long)c->seed, c->jobs,
           first ? "true" : "false");
    printf(",\"check\":");
    if (first) report_json_string(stdout, finding_check(&first->f));
    else printf("null");
    printf(",\"message\":");
    if (first) report_json_string(stdout, first->f.message);
    else printf("null");
    printf(",\"execs\":%llu,\"seconds\":%.3f,\"execs_per_sec\":%.1f", (unsigned long long)n,
           secs, secs > 0 ? (double)n / secs : 0.0);
    printf(",\"finding\":");
    if (first) report_json_string(stdout, first->path);
    else printf("null");
    if (first)
        printf(",\"first_finding_execs\":%llu,\"first_finding_seconds\":%.4f",
               (unsigned long long)o->first_execs, o->first_seconds);
    else
        printf(",\"first_finding_execs\":null,\"first_finding_seconds\":null");
    if (o->nfatal)
        printf(",\"first_fatal_execs\":%llu,\"first_fatal_seconds\":%.4f",
               (unsigned long long)o->first_fatal_execs, o->first_fatal_seconds);
    else
        printf(",\"first_fatal_execs\":null,\"first_fatal_seconds\":null");
    printf(",\"races\":%s", c->races ? "true" : "false");
    printf(",\"minimized\":");
    if (first && first->minimized[0]) report_json_string(stdout, first->minimized);
    else printf("null");
    printf(",\"signals\":%llu,\"walks_complete\":%llu,\"walks_declined\":%llu,"
           "\"walks_unjudged\":%llu",
           (unsigned long long)o->signals,
           (unsigned long long)o->walks_complete,
           (unsigned long long)o->walks_declined,
           (unsigned long long)o->walks_unjudged);
    printf(",\"findings\":[");
    for (int i = 0; i < o->nfindings; i++) {
        printf(i ? ",{" : "{");
        printf("\"check\":");
        report_json_string(stdout, finding_check(&o->findings[i].f));
        printf(",\"message\":");
        report_json_string(stdout, o->findings[i].f.message);
        printf(",\"location\":");
        report_json_string(stdout, o->findings[i].f.location);
        printf(",\"signature\":");
        report_json_string(stdout, o->findings[i].signature);
        printf(",\"detail\":");
        report_json_string(stdout, o->findings[i].f.detail);
        printf(",\"fatal\":%s,\"execs\":%llu,\"seconds\":%.4f",
               o->findings[i].fatal ? "true" : "false",
               (unsigned long long)o->findings[i].execs, o->findings[i].seconds);
        printf(",\"file\":");
        report_json_string(stdout, o->findings[i].path);
        printf(",\"minimized\":");
        if (o->findings[i].minimized[0]) report_json_string(stdout, o->findings[i].minimized);
        else printf("null");
        printf("}");
    }
    printf("]}\n");
}

static const char HUNT_HELP[] =
    "usage: stackrace hunt TARGET [options]\n"
    "\n"
    "Runs executions of TARGET under a scheduling strategy until the first fatal\n"
    "finding (or, with --keep-going, until the budget), writing each finding\n"
    "atomically to DIR/<signature>.sched and printing its narrative and the replay\n"
    "command. The happens-before race detector (check 5) is on: a data race is\n"
    "written and printed as it is found, with both accesses, but does not end its\n"
    "execution or the hunt, so what it leads to is found too.\n"
    "\n"
    "options:\n"
    "  --strategy random|pct   scheduling strategy (default random)\n"
    "  --depth D               PCT depth: D-1 priority change points (default 3)\n"
    "  --seed N                hunt seed (default: from the clock; printed)\n"
    "  --time SEC              stop after SEC seconds (default 60 unless --execs)\n"
    "  --execs N               stop after N executions\n"
    "  --jobs N                parallel engines, one per thread (default 1)\n"
    "  --out DIR               where findings go (default ./findings)\n"
    "  --keep-going            continue after a finding; one file per signature\n"
    "  --json                  print one JSON object at the end instead of text\n"
    "  --no-races              turn the race detector off (faster; no data-race findings)\n"
    "scenario (default: the target's):\n"
    "  --mutators N            mutator actors (1..8)\n"
    "  --program-len N         operations in each mutator's program\n"
    "  --scan-rate N           rewriter eagerness, per mille\n"
    "  --signal-rate N         signals per 1000 steps\n"
    "  --switch-rate N         preemptions per 1000 steps (random strategy)\n"
    "  --barrier-spacing B     0: a barrier in every frame; else first offset in bytes\n"
    "  --delivery same-thread|remote|mixed\n"
    "  --max-steps N           step budget of one execution (a hang above it)\n"
    "\n"
    "exit status: 0 no finding, 1 finding(s), 2 usage or input error\n";

static int parse_scenario_flag(const char *flag, const char *val, sr_scenario *sc, bool *known)
{
    *known = true;
    uint32_t *field = NULL;
    if (!strcmp(flag, "--mutators")) field = &sc->mutators;
    else if (!strcmp(flag, "--program-len")) field = &sc->program_len;
    else if (!strcmp(flag, "--scan-rate")) field = &sc->scan_rate;
    else if (!strcmp(flag, "--signal-rate")) field = &sc->signal_rate;
    else if (!strcmp(flag, "--switch-rate")) field = &sc->switch_rate;
    else if (!strcmp(flag, "--barrier-spacing")) field = &sc->barrier_spacing;
    else if (!strcmp(flag, "--max-steps")) field = &sc->max_steps;
    else if (!strcmp(flag, "--delivery")) {
        if (!val) return cli_usage_error("--delivery needs a value");
        if (!strcmp(val, "same-thread")) sc->delivery = SR_DELIVER_SAME_THREAD;
        else if (!strcmp(val, "remote")) sc->delivery = SR_DELIVER_REMOTE;
        else if (!strcmp(val, "mixed")) sc->delivery = SR_DELIVER_MIXED;
        else return cli_usage_error("--delivery: '%s' is not same-thread, remote or mixed", val);
        return 0;
    } else {
        *known = false;
        return 0;
    }
    if (!val || !cli_parse_u32(val, 0, 100000000, field))
        return cli_usage_error("%s needs a number, got '%s'", flag, val ? val : "");
    return 0;
}

/* The flags without a value. */
static bool is_switch(const char *flag)
{
    return !strcmp(flag, "--keep-going") || !strcmp(flag, "--json") ||
           !strcmp(flag, "--no-races");
}

static bool takes_value(const char *flag)
{
    static const char *const flags[] = {
        "--strategy", "--depth", "--seed", "--time", "--execs", "--jobs", "--out",
        "--mutators", "--program-len", "--scan-rate", "--signal-rate", "--switch-rate",
        "--barrier-spacing", "--delivery", "--max-steps",
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strcmp(flag, flags[i]))
            return true;
    return false;
}

/* A flag with a value (--strategy ... and the scenario's): 0, or 2 after
 * a one-line error. */
static int value_flag(const char *a, const char *v, hunt_config *c, sr_scenario *sc,
                      bool *have_time, bool *have_max_steps)
{
    int rc = 0;
    bool known;
    if (!strcmp(a, "--strategy")) {
        if (!strcmp(v, "random")) c->mode = DEC_RANDOM;
        else if (!strcmp(v, "pct")) c->mode = DEC_PCT;
        else rc = cli_usage_error("hunt: --strategy: '%s' is not random or pct", v);
    } else if (!strcmp(a, "--depth")) {
        if (!cli_parse_u32(v, 1, DEC_PCT_MAX_DEPTH, &c->depth))
            rc = cli_usage_error("hunt: --depth must be in 1..%d, got '%s'",
                                 DEC_PCT_MAX_DEPTH, v);
    } else if (!strcmp(a, "--seed")) {
        if (!cli_parse_u64(v, &c->seed))
            rc = cli_usage_error("hunt: --seed needs a non-negative number, got '%s'", v);
    } else if (!strcmp(a, "--time")) {
        if (!cli_parse_seconds(v, &c->time_limit))
            rc = cli_usage_error("hunt: --time needs a positive number of seconds, got "
                                 "'%s'", v);
        *have_time = true;
    } else if (!strcmp(a, "--execs")) {
        if (!cli_parse_u64(v, &c->exec_limit) || c->exec_limit == 0)
            rc = cli_usage_error("hunt: --execs needs a positive number, got '%s'", v);
    } else if (!strcmp(a, "--jobs")) {
        uint32_t j = 1;
        if (!cli_parse_u32(v, 1, 256, &j))
            rc = cli_usage_error("hunt: --jobs must be in 1..256, got '%s'", v);
        c->jobs = (int)j;
    } else if (!strcmp(a, "--out")) {
        c->out_dir = v;
    } else {
        *have_max_steps |= !strcmp(a, "--max-steps");
        rc = parse_scenario_flag(a, v, sc, &known);
        if (rc == 0 && !known)
            rc = cli_usage_error("hunt: unknown option '%s' (stackrace hunt --help)", a);
    }
    return rc;
}

/* The command line into c and h: 0, -1 after --help, or 2 after a
 * one-line error. The target comes first, so that the scenario flags
 * override its defaults. */
static int parse(int argc, char **argv, hunt_config *c, hunt_cli *h)
{
    const char *target = NULL;
    bool have_time = false, have_max_steps = false;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(HUNT_HELP, stdout);
            return -1;
        }
        if (argv[i][0] != '-' && !target)
            target = argv[i];
        else if (argv[i][0] == '-' && !is_switch(argv[i]))
            i++; /* skip the flag's value */
    }
    if (!target)
        return cli_usage_error("hunt: missing TARGET (stackrace hunt --help)");
    if (!(c->target = cli_target(target)))
        return 2;
    sr_scenario sc = scenario_defaults(c->target);
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (a != target)
                rc = cli_usage_error("hunt: unexpected argument '%s'", a);
            continue;
        }
        if (!strcmp(a, "--keep-going")) { c->keep_going = true; continue; }
        if (!strcmp(a, "--json")) { h->json = true; continue; }
        if (!strcmp(a, "--no-races")) { c->races = false; continue; }
        i++;
        if (!v) {
            rc = takes_value(a) ? cli_usage_error("hunt: %s needs a value", a)
                                : cli_usage_error("hunt: unknown option '%s' (stackrace hunt "
                                                  "--help)", a);
            break;
        }
        rc = value_flag(a, v, c, &sc, &have_time, &have_max_steps);
    }
    if (rc)
        return rc;
    if (!have_max_steps)
        sc.max_steps = scenario_step_budget(&sc);
    const char *why = scenario_check(&sc);
    if (why)
        return cli_usage_error("hunt: %s", why);
    if (!have_time && !c->exec_limit)
        c->time_limit = 60;
    c->sc = sc;
    return 0;
}

/* --out: made if missing, and a directory. */
static int make_out_dir(const char *dir)
{
    struct stat sb;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return cli_usage_error("hunt: cannot create %s: %s", dir, strerror(errno));
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return cli_usage_error("hunt: --out %s is not a directory", dir);
    return 0;
}

int cli_hunt(int argc, char **argv)
{
    hunt_config c = {.mode = DEC_RANDOM, .depth = 3, .jobs = 1, .out_dir = "findings",
                     .minimize_seconds = 10, .races = true};
    hunt_cli h = {.c = &c};
    c.seed = rng_mix((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
    c.seed &= 0xffffffffull;
    int rc = parse(argc, argv, &c, &h);
    if (rc == 0)
        rc = make_out_dir(c.out_dir);
    if (rc)
        return rc < 0 ? 0 : rc;
    h.quiet = h.json || !isatty(2);
    char depth[32] = "";
    if (c.mode == DEC_PCT)
        snprintf(depth, sizeof depth, " (depth %u)", c.depth);
    if (!h.json)
        printf("hunting %s: strategy %s%s, seed %llu, %d job%s, scenario: %u mutator%s, "
               "program %u, delivery %s, barrier spacing %u\n",
               c.target->name, strategy_name(c.mode), depth, (unsigned long long)c.seed, c.jobs,
               c.jobs == 1 ? "" : "s", c.sc.mutators, c.sc.mutators == 1 ? "" : "s",
               c.sc.program_len, scenario_delivery_name(c.sc.delivery), c.sc.barrier_spacing);
    fflush(stdout);
    hunt_sink sink = {.ctx = &h, .finding = h.json ? NULL : tell_finding,
                      .progress = h.quiet ? NULL : tell_progress, .error = tell_error};
    hunt_outcome *o = calloc(1, sizeof *o);
    if (!o)
        abort();
    hunt_run(&c, &sink, o);
    clear_progress(&h);
    if (h.json)
        print_json(&c, o);
    else
        printf("hunt %s: %llu execs in %.1f s (%.0f execs/s), %d finding%s; signals %llu, "
               "walks %llu complete, %llu declined\n",
               c.target->name, (unsigned long long)o->execs, o->seconds,
               o->seconds > 0 ? (double)o->execs / o->seconds : 0.0, o->nfindings,
               o->nfindings == 1 ? "" : "s", (unsigned long long)o->signals,
               (unsigned long long)o->walks_complete, (unsigned long long)o->walks_declined);
    int status = o->error ? o->error : o->nfindings ? 1 : 0;
    free(o);
    return status;
}
