/*
 * cmd_hunt.c — `stackrace hunt`: run a strategy against a target until a
 * finding, a time or execution budget, or (with --keep-going) the budget.
 *
 * Stop rule: a fatal finding (one that ended its execution) ends the hunt
 * unless --keep-going; a data race does not end its execution, so it does
 * not end the hunt either: it is saved and told as it is found, and the hunt
 * goes on to what the race leads to (or to its budget). That is how the race
 * detector can stay on by default without hiding the crash it explains.
 *
 * Execution i of a hunt uses the seed mix(seed, i), whichever job runs it,
 * so a hunt's executions do not depend on --jobs. Each job is an OS thread
 * with its own engine. A finding is saved as the strategy's recording (the
 * bytes replay it exactly), written atomically to DIR/<signature>.sched,
 * then replayed once with full tracing: the replay must give the same
 * signature (a self-check of determinism) and tells the narrative.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "registry.h"
#include "report.h"
#include "rng.h"
#include "cli.h"
#include "scenario.h"

#define MAX_FINDINGS 256
#define MAX_RACE_FINDINGS (MAX_FINDINGS / 2) /* races never crowd out a fatal finding */

typedef struct hunt_finding {
    char signature[64];
    char path[4096];
    char minimized[4200]; /* empty if minimization failed or ran out of time */
    finding f;
    bool fatal;           /* it ended its execution (else a data race) */
    uint64_t execs;       /* executions run when it was found, all jobs */
    double seconds;       /* since the hunt started */
} hunt_finding;

typedef struct hunt {
    const sr_target *t;
    sr_scenario sc;
    dec_mode mode;
    uint32_t depth;
    uint64_t seed;
    double time_limit;
    uint64_t exec_limit;
    int jobs;
    const char *out_dir;
    bool keep_going, json, quiet;
    bool races;                /* check 5, the race detector (default on) */
    bool ended;                /* a fatal finding ended the hunt */

    uint64_t pct_steps;        /* PCT's fixed estimate of an execution's length */
    double minimize_seconds;   /* budget for minimizing each finding */

    double start;
    atomic_uint_fast64_t execs;
    atomic_bool stop;          /* read by the jobs, and by long executions */
    atomic_uint_fast64_t signals, walks_complete, walks_declined, walks_unjudged;
    pthread_mutex_t mu;
    hunt_finding findings[MAX_FINDINGS];
    int nfindings;
    uint64_t first_execs, first_fatal_execs;
    double first_seconds, first_fatal_seconds;
    int nfatal, nraces;
    bool said_full;            /* the table is full: said once */
    int error; /* 2 if a finding could not be written */
} hunt;

static const char *strategy_name(dec_mode m)
{
    return m == DEC_PCT ? "pct" : "random";
}

static void clear_progress(const hunt *h)
{
    if (!h->quiet)
        fputs("\r\033[K", stderr);
}

/* Minimizes the finding into DIR/<signature>.min.sched, after the finding
 * itself is saved: a fatal one with h->mu held, races when the jobs are done. */
static void minimize_finding(hunt *h, hunt_finding *hf, const schedule *found, exec *e)
{
    schedule small = *found;
    small.bytes = malloc(found->len ? found->len : 1);
    if (!small.bytes)
        return;
    memcpy(small.bytes, found->bytes, found->len);
    minimize_stats st;
    char path[sizeof hf->minimized], err[256];
    snprintf(path, sizeof path, "%.*s.min.sched", (int)(strlen(hf->path) - 6), hf->path);
    if (run_minimize(e, h->t, &small, hf->signature, h->minimize_seconds, &st) == 0 &&
        sched_write_file(path, &small, err, sizeof err) == 0)
        snprintf(hf->minimized, sizeof hf->minimized, "%s", path);
    sched_free(&small);
}

/* "replay: stackrace ... replay PATH --narrative"; a plug-in's finding needs
 * its plug-in loaded again (and the built-in targets left out if the hunt
 * left them out). */
static void print_replay(const hunt *h, const char *prefix, const char *path)
{
    const char *plugin = registry_plugin_of(h->t);
    printf("%sreplay: stackrace%s%s replay %s --narrative\n\n", prefix,
           !plugin ? "" : registry_has_builtins() ? " --plugin " : " --no-builtins --plugin ",
           plugin ? plugin : "", path);
}

/* A finding that did not end its execution (a data race): its detail names
 * both accesses, which is most of its story; the narrative is a replay away.
 * Told short so that the story of what it leads to stays readable. */
static void report_race(hunt *h, const hunt_finding *hf)
{
    clear_progress(h);
    printf("finding: %s after %llu execs (%.2f s): %s\n", hf->signature,
           (unsigned long long)hf->execs, hf->seconds, hf->f.message);
    printf("  %s\n", hf->f.detail);
    print_replay(h, "  ", hf->path);
    fflush(stdout);
}

/* Minimizes the races the hunt found (see on_finding), from their files. */
static void minimize_races(hunt *h)
{
    exec *e = run_new_exec();
    e->race.on = true;
    for (int i = 0; i < h->nfindings; i++) {
        hunt_finding *hf = &h->findings[i];
        uint8_t *buf;
        size_t len;
        schedule s;
        char err[256];
        if (hf->fatal || sched_read_file(hf->path, &buf, &len, err, sizeof err) != 0)
            continue;
        if (sched_parse(buf, len, &s, err, sizeof err) == 0) {
            minimize_finding(h, hf, &s, e);
            sched_free(&s);
        }
        free(buf);
    }
    run_free_exec(e);
}

/* Prints the finding and the narrative of its smallest schedule. */
static void report_finding(hunt *h, const hunt_finding *hf, const schedule *found, exec *e)
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
    run_schedule(e, h->t, &shown, true, &rr);
    putchar('\n');
    report_narrative(stdout, e, &rr);
    print_replay(h, "\n", hf->minimized[0] ? hf->minimized : hf->path);
    fflush(stdout);
    free(buf);
}

/* fatal: f ended its execution (else it is a report, a data race). */
static void on_finding(hunt *h, exec *e, const finding *f, bool fatal)
{
    double secs = cli_now() - h->start;
    char sig[64];
    finding_signature(f, h->t->name, sig, sizeof sig);
    pthread_mutex_lock(&h->mu);
    for (int i = 0; i < h->nfindings; i++)
        if (strcmp(h->findings[i].signature, sig) == 0) {
            pthread_mutex_unlock(&h->mu);
            return;
        }
    if (h->ended) {
        pthread_mutex_unlock(&h->mu);
        return;
    }
    if (h->nfindings == MAX_FINDINGS || (!fatal && h->nraces == MAX_RACE_FINDINGS)) {
        if (!h->said_full) {
            clear_progress(h);
            fprintf(stderr, "stackrace: hunt: %d distinct %s found: no more are saved\n",
                    fatal ? MAX_FINDINGS : MAX_RACE_FINDINGS, fatal ? "findings" : "data races");
            h->said_full = true;
        }
        pthread_mutex_unlock(&h->mu);
        return;
    }
    hunt_finding *hf = &h->findings[h->nfindings++];
    h->nraces += !fatal;
    snprintf(hf->signature, sizeof hf->signature, "%s", sig);
    hf->f = *f;
    hf->fatal = fatal;
    snprintf(hf->path, sizeof hf->path, "%s/%s.sched", h->out_dir, sig);
    schedule s = {.sc = h->sc};
    snprintf(s.target, sizeof s.target, "%s", h->t->name);
    size_t n;
    const uint8_t *rec = dec_recording(&e->dec, &n);
    s.bytes = (uint8_t *)rec;
    s.len = n;
    char err[256];
    if (sched_write_file(hf->path, &s, err, sizeof err) != 0) {
        clear_progress(h);
        fprintf(stderr, "stackrace: %s\n", err);
        h->error = 2;
        atomic_store(&h->stop, true);
        pthread_mutex_unlock(&h->mu);
        return;
    }
    uint64_t execs = atomic_load(&h->execs); /* executions run so far, all jobs */
    hf->execs = execs;
    hf->seconds = secs;
    if (h->nfindings == 1) {
        h->first_execs = execs;
        h->first_seconds = secs;
    }
    if (fatal && h->nfatal++ == 0) {
        h->first_fatal_execs = execs;
        h->first_fatal_seconds = secs;
    }
    if (fatal && !h->keep_going) {
        h->ended = true; /* before minimizing: other jobs' findings come too late */
        atomic_store(&h->stop, true);
    }
    /* the saved bytes must replay to the same finding */
    exec *replay = run_new_exec();
    replay->race.on = h->races;
    exec_result rr;
    run_schedule(replay, h->t, &s, false, &rr);
    char sig2[64] = "";
    if (result_has(&rr, h->t->name, sig))
        snprintf(sig2, sizeof sig2, "%s", sig);
    else if (rr.failed)
        finding_signature(&rr.f, h->t->name, sig2, sizeof sig2);
    if (strcmp(sig, sig2) != 0) {
        clear_progress(h);
        fprintf(stderr, "stackrace: internal error: %s did not replay to the same finding "
                        "(got %s)\n", hf->path, rr.failed ? sig2 : "no finding");
        h->error = 2;
    }
    /* a race is minimized when the hunt is over: minimizing takes up to its
     * budget, and the search for what the race leads to must not wait (nor
     * must the time to the first fatal finding include it) */
    if (fatal)
        minimize_finding(h, hf, &s, replay);
    if (!h->json && fatal)
        report_finding(h, hf, &s, replay);
    else if (!h->json)
        report_race(h, hf);
    run_free_exec(replay);
    pthread_mutex_unlock(&h->mu);
}

static uint64_t exec_seed(const hunt *h, uint64_t i)
{
    return rng_mix(h->seed ^ rng_mix(i + 1));
}

/* PCT spreads its change points over the expected length of an execution:
 * measure it once, on executions of the random walk, for the whole hunt. */
static uint64_t calibrate_pct(const hunt *h)
{
    exec *e = run_new_exec();
    exec_result r;
    uint64_t total = 0, n = 32;
    for (uint64_t i = 0; i < n; i++) {
        dec_start_strategy(&e->dec, DEC_RANDOM, exec_seed(h, ~i), &h->sc, h->depth);
        exec_run(e, h->t, &h->sc, &r);
        total += r.steps;
    }
    run_free_exec(e);
    return total / n;
}

typedef struct job {
    hunt *h;
    int index;
    pthread_t thread;
} job;

static void *job_main(void *arg)
{
    job *j = arg;
    hunt *h = j->h;
    exec *e = run_new_exec();
    exec_result r;
    e->stop = &h->stop;
    e->race.on = h->races;
    if (h->mode == DEC_PCT)
        dec_fix_estimate(&e->dec, h->pct_steps);
    for (uint64_t i = (uint64_t)j->index; !atomic_load_explicit(&h->stop, memory_order_relaxed);
         i += (uint64_t)h->jobs) {
        if (h->exec_limit && i >= h->exec_limit)
            break;
        dec_start_strategy(&e->dec, h->mode, exec_seed(h, i), &h->sc, h->depth);
        exec_run(e, h->t, &h->sc, &r);
        if (r.stopped)
            break;
        atomic_fetch_add_explicit(&h->execs, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&h->signals, r.stats.signals, memory_order_relaxed);
        atomic_fetch_add_explicit(&h->walks_complete, r.stats.walks_complete,
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&h->walks_declined, r.stats.walks_declined,
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&h->walks_unjudged, r.stats.walks_unjudged,
                                  memory_order_relaxed);
        /* in the order they happened: the races, then what ended the execution */
        for (unsigned k = 0; k < r.nreports; k++)
            on_finding(h, e, &r.reports[k], false);
        if (r.fatal)
            on_finding(h, e, &r.f, true);
        if (h->time_limit > 0 && cli_now() - h->start >= h->time_limit)
            atomic_store(&h->stop, true);
    }
    run_free_exec(e);
    return NULL;
}

static void progress(hunt *h, double now)
{
    double el = now - h->start;
    uint64_t n = atomic_load(&h->execs);
    fprintf(stderr, "\r\033[Khunt %s: %llu execs, %.0f execs/s, %.1f s, %d finding%s",
            h->t->name, (unsigned long long)n, el > 0 ? (double)n / el : 0.0, el,
            h->nfindings, h->nfindings == 1 ? "" : "s");
    fflush(stderr);
}

static void print_json(hunt *h, double secs)
{
    uint64_t n = atomic_load(&h->execs);
    /* the top-level fields describe the finding that matters: the first fatal
     * one if there is one, else the first data race; "findings" lists all */
    const hunt_finding *first = h->nfindings ? &h->findings[0] : NULL;
    for (int i = 0; i < h->nfindings; i++)
        if (h->findings[i].fatal) {
            first = &h->findings[i];
            break;
        }
    printf("{\"target\":");
    report_json_string(stdout, h->t->name);
    printf(",\"strategy\":\"%s\",\"depth\":%u,\"seed\":%llu,\"jobs\":%d,\"found\":%s",
           strategy_name(h->mode), h->depth, (unsigned long long)h->seed, h->jobs,
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
               (unsigned long long)h->first_execs, h->first_seconds);
    else
        printf(",\"first_finding_execs\":null,\"first_finding_seconds\":null");
    if (h->nfatal)
        printf(",\"first_fatal_execs\":%llu,\"first_fatal_seconds\":%.4f",
               (unsigned long long)h->first_fatal_execs, h->first_fatal_seconds);
    else
        printf(",\"first_fatal_execs\":null,\"first_fatal_seconds\":null");
    printf(",\"races\":%s", h->races ? "true" : "false");
    printf(",\"minimized\":");
    if (first && first->minimized[0]) report_json_string(stdout, first->minimized);
    else printf("null");
    printf(",\"signals\":%llu,\"walks_complete\":%llu,\"walks_declined\":%llu,"
           "\"walks_unjudged\":%llu",
           (unsigned long long)atomic_load(&h->signals),
           (unsigned long long)atomic_load(&h->walks_complete),
           (unsigned long long)atomic_load(&h->walks_declined),
           (unsigned long long)atomic_load(&h->walks_unjudged));
    printf(",\"findings\":[");
    for (int i = 0; i < h->nfindings; i++) {
        printf(i ? ",{" : "{");
        printf("\"check\":");
        report_json_string(stdout, finding_check(&h->findings[i].f));
        printf(",\"message\":");
        report_json_string(stdout, h->findings[i].f.message);
        printf(",\"location\":");
        report_json_string(stdout, h->findings[i].f.location);
        printf(",\"signature\":");
        report_json_string(stdout, h->findings[i].signature);
        printf(",\"detail\":");
        report_json_string(stdout, h->findings[i].f.detail);
        printf(",\"fatal\":%s,\"execs\":%llu,\"seconds\":%.4f",
               h->findings[i].fatal ? "true" : "false",
               (unsigned long long)h->findings[i].execs, h->findings[i].seconds);
        printf(",\"file\":");
        report_json_string(stdout, h->findings[i].path);
        printf(",\"minimized\":");
        if (h->findings[i].minimized[0]) report_json_string(stdout, h->findings[i].minimized);
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

int cli_hunt(int argc, char **argv)
{
    hunt *h = calloc(1, sizeof *h);
    if (!h)
        abort();
    const char *target = NULL;
    h->mode = DEC_RANDOM;
    h->depth = 3;
    h->jobs = 1;
    h->out_dir = "findings";
    h->minimize_seconds = 10;
    h->races = true;
    h->seed = rng_mix((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
    h->seed &= 0xffffffffull;
    bool have_time = false;
    sr_scenario sc = {0};
    bool have_max_steps = false;
    int rc = 0;
    /* the target comes first so its scenario defaults can be overridden */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(HUNT_HELP, stdout);
            free(h);
            return 0;
        }
        if (argv[i][0] != '-' && !target)
            target = argv[i];
        else if (argv[i][0] == '-' && !is_switch(argv[i]))
            i++; /* skip the flag's value */
    }
    if (!target) {
        free(h);
        return cli_usage_error("hunt: missing TARGET (stackrace hunt --help)");
    }
    if (!(h->t = cli_target(target))) {
        free(h);
        return 2;
    }
    sc = scenario_defaults(h->t);
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool known;
        if (a[0] != '-') {
            if (a != target)
                rc = cli_usage_error("hunt: unexpected argument '%s'", a);
            continue;
        }
        if (!strcmp(a, "--keep-going")) { h->keep_going = true; continue; }
        if (!strcmp(a, "--json")) { h->json = true; continue; }
        if (!strcmp(a, "--no-races")) { h->races = false; continue; }
        i++;
        if (!v) {
            rc = takes_value(a) ? cli_usage_error("hunt: %s needs a value", a)
                                : cli_usage_error("hunt: unknown option '%s' (stackrace hunt "
                                                  "--help)", a);
            break;
        }
        if (!strcmp(a, "--strategy")) {
            if (!strcmp(v, "random")) h->mode = DEC_RANDOM;
            else if (!strcmp(v, "pct")) h->mode = DEC_PCT;
            else rc = cli_usage_error("hunt: --strategy: '%s' is not random or pct", v);
        } else if (!strcmp(a, "--depth")) {
            if (!cli_parse_u32(v, 1, DEC_PCT_MAX_DEPTH, &h->depth))
                rc = cli_usage_error("hunt: --depth must be in 1..%d, got '%s'",
                                     DEC_PCT_MAX_DEPTH, v);
        } else if (!strcmp(a, "--seed")) {
            if (!cli_parse_u64(v, &h->seed))
                rc = cli_usage_error("hunt: --seed needs a non-negative number, got '%s'", v);
        } else if (!strcmp(a, "--time")) {
            if (!cli_parse_seconds(v, &h->time_limit))
                rc = cli_usage_error("hunt: --time needs a positive number of seconds, got "
                                     "'%s'", v);
            have_time = true;
        } else if (!strcmp(a, "--execs")) {
            if (!cli_parse_u64(v, &h->exec_limit) || h->exec_limit == 0)
                rc = cli_usage_error("hunt: --execs needs a positive number, got '%s'", v);
        } else if (!strcmp(a, "--jobs")) {
            uint32_t j;
            if (!cli_parse_u32(v, 1, 256, &j))
                rc = cli_usage_error("hunt: --jobs must be in 1..256, got '%s'", v);
            h->jobs = (int)j;
        } else if (!strcmp(a, "--out")) {
            h->out_dir = v;
        } else {
            have_max_steps |= !strcmp(a, "--max-steps");
            rc = parse_scenario_flag(a, v, &sc, &known);
            if (rc == 0 && !known)
                rc = cli_usage_error("hunt: unknown option '%s' (stackrace hunt --help)", a);
        }
    }
    if (rc == 0 && !have_max_steps)
        sc.max_steps = scenario_step_budget(&sc);
    if (rc == 0) {
        const char *why = scenario_check(&sc);
        if (why)
            rc = cli_usage_error("hunt: %s", why);
    }
    struct stat sb;
    if (rc == 0 && mkdir(h->out_dir, 0755) != 0 && errno != EEXIST)
        rc = cli_usage_error("hunt: cannot create %s: %s", h->out_dir, strerror(errno));
    else if (rc == 0 && (stat(h->out_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        rc = cli_usage_error("hunt: --out %s is not a directory", h->out_dir);
    if (rc) {
        free(h);
        return rc;
    }
    if (!have_time && !h->exec_limit)
        h->time_limit = 60;
    h->sc = sc;
    h->quiet = h->json || !isatty(2);
    pthread_mutex_init(&h->mu, NULL);
    char depth[32] = "";
    if (h->mode == DEC_PCT)
        snprintf(depth, sizeof depth, " (depth %u)", h->depth);
    if (!h->json)
        printf("hunting %s: strategy %s%s, seed %llu, %d job%s, scenario: %u mutator%s, "
               "program %u, delivery %s, barrier spacing %u\n",
               h->t->name, strategy_name(h->mode), depth,
               (unsigned long long)h->seed, h->jobs, h->jobs == 1 ? "" : "s", sc.mutators,
               sc.mutators == 1 ? "" : "s", sc.program_len,
               scenario_delivery_name(sc.delivery), sc.barrier_spacing);
    fflush(stdout);
    h->start = cli_now();
    if (h->mode == DEC_PCT)
        h->pct_steps = calibrate_pct(h);
    job *jobs = calloc((size_t)h->jobs, sizeof *jobs);
    int started = 0;
    for (int i = 0; i < h->jobs; i++) {
        jobs[i] = (job){.h = h, .index = i};
        if (pthread_create(&jobs[i].thread, NULL, job_main, &jobs[i]) != 0) {
            cli_usage_error("hunt: cannot start job %d of %d", i + 1, h->jobs);
            atomic_store(&h->stop, true);
            h->error = 2;
            break;
        }
        started++;
    }
    if (!h->quiet) {
        /* wait for the jobs, refreshing the progress line */
        for (;;) {
            struct timespec ts = {0, 250 * 1000 * 1000};
            nanosleep(&ts, NULL);
            pthread_mutex_lock(&h->mu);
            progress(h, cli_now());
            pthread_mutex_unlock(&h->mu);
            if (atomic_load(&h->stop))
                break;
            if (h->exec_limit && atomic_load(&h->execs) >= h->exec_limit)
                break;
            if (h->time_limit > 0 && cli_now() - h->start >= h->time_limit) {
                atomic_store(&h->stop, true); /* a job may be deep in a long execution */
                break;
            }
        }
    }
    for (int i = 0; i < started; i++)
        pthread_join(jobs[i].thread, NULL);
    free(jobs);
    double secs = cli_now() - h->start; /* the search, not the minimization after it */
    minimize_races(h);
    clear_progress(h);
    if (h->json) {
        print_json(h, secs);
    } else {
        uint64_t n = atomic_load(&h->execs);
        printf("hunt %s: %llu execs in %.1f s (%.0f execs/s), %d finding%s; signals %llu, "
               "walks %llu complete, %llu declined\n",
               h->t->name, (unsigned long long)n, secs, secs > 0 ? (double)n / secs : 0.0,
               h->nfindings, h->nfindings == 1 ? "" : "s",
               (unsigned long long)atomic_load(&h->signals),
               (unsigned long long)atomic_load(&h->walks_complete),
               (unsigned long long)atomic_load(&h->walks_declined));
    }
    int status = h->error ? h->error : h->nfindings ? 1 : 0;
    pthread_mutex_destroy(&h->mu);
    free(h);
    return status;
}
