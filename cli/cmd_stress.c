/*
 * cmd_stress.c — `stackrace stress`: the native engine's run from the
 * command line (stress/stress.h), and its report.
 */
#include <stdio.h>
#include <string.h>

#include "aim.h"
#include "cli.h"
#include "report.h"
#include "findings.h"
#include "shapes.h"
#include "signal_safety.h"
#include "stress.h"
#include "walkers.h"

static const char STRESS_HELP[] =
    "usage: stackrace stress [--walker W] [--threads N] [--hz N] [--seconds S]\n"
    "                        [--samples N] [--barriers] [--remote]\n"
    "                        [--variant locked|unlocked]\n"
    "                        [--seed S] [--shapes S] [--no-chaos] [--no-aim] [--json]\n"
    "\n"
    "Runs real mutator threads on stacks of real frame shapes, interrupts them\n"
    "with real signals and checks every walk against the frames' own record of\n"
    "the stack (the shadow stack). With --barriers a scanner thread installs\n"
    "return-address barriers into parked threads and removes them each cycle.\n"
    "\n"
    "  --walker W        the walker to check (default fp; `stackrace walkers` lists them)\n"
    "  --threads N       mutator threads, 1-16 (default 4)\n"
    "  --hz N            samples per second per thread (default 20000)\n"
    "  --seconds S       how long (default 10)\n"
    "  --samples N       stop once N samples were taken (--seconds stays the\n"
    "                    limit): the same work on a fast or a loaded machine\n"
    "  --barriers        run the barrier scanner\n"
    "  --remote          a profiler thread walks each thread in turn: a running one\n"
    "                    stopped by a signal handshake, a parked one held parked;\n"
    "                    default: each thread walks itself from its own profiling\n"
    "                    signal (timers, random tgkill)\n"
    "  --variant V       locked: the sampler walks a parked thread under its barrier\n"
    "                    lock (the correct protocol; default); unlocked: without it,\n"
    "                    the seed bug (Go issue 12528, commit f90b48e)\n"
    "  --seed S          the call programs' seed (default 1)\n"
    "  --shapes S        the frame shapes stacks are built of: fp, all, or a list\n"
    "                    such as call,leaf,noreturn (default: what the\n"
    "                    walker claims to handle; fp for the frame-pointer walker)\n"
    "  --no-chaos        no random tgkill samples besides the timers\n"
    "  --no-aim          no aimed samples: by default each thread also keeps a\n"
    "                    hardware breakpoint on a function entry or ret of the\n"
    "                    shapes, moved at every timer sample, and samples where it\n"
    "                    fires (same-thread runs, where the kernel offers them)\n"
    "  --json            one JSON object at the end instead of the text summary\n"
    "\n"
    "Exit status: 0 clean, 1 if any finding, 2 on bad usage or setup failure.\n";

typedef struct stress_args {
    stress_config c;
    bool json;
    const char *shapes;
} stress_args;

static bool takes_value(const char *arg)
{
    static const char *const flags[] = {"--walker", "--variant", "--shapes", "--threads",
                                        "--hz", "--seconds", "--samples", "--seed"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strcmp(arg, flags[i]))
            return true;
    return false;
}

static int parse(int argc, char **argv, stress_args *a)
{
    const char *walker = "fp", *variant = "locked";
    stress_defaults(&a->c, NULL);
    a->shapes = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        uint32_t u;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(STRESS_HELP, stdout);
            return -1;
        } else if (!strcmp(arg, "--barriers")) {
            a->c.barriers = true;
        } else if (!strcmp(arg, "--remote")) {
            a->c.remote = true;
        } else if (!strcmp(arg, "--no-chaos")) {
            a->c.chaos = false;
        } else if (!strcmp(arg, "--no-aim")) {
            a->c.aim = false;
        } else if (!strcmp(arg, "--json")) {
            a->json = true;
        } else if (!val && takes_value(arg)) {
            return cli_usage_error("stress: %s needs a value (stackrace stress --help)", arg);
        } else if (!strcmp(arg, "--walker")) {
            walker = argv[++i];
        } else if (!strcmp(arg, "--variant")) {
            variant = argv[++i];
        } else if (!strcmp(arg, "--shapes")) {
            a->shapes = argv[++i];
        } else if (!strcmp(arg, "--threads")) {
            if (!cli_parse_u32(argv[++i], 1, STRESS_MAX_THREADS, &u))
                return cli_usage_error("stress: --threads wants 1-%d, not '%s'",
                                       STRESS_MAX_THREADS, argv[i]);
            a->c.threads = u;
        } else if (!strcmp(arg, "--hz")) {
            if (!cli_parse_u32(argv[++i], 1, 100000, &u))
                return cli_usage_error("stress: --hz wants 1-100000, not '%s'", argv[i]);
            a->c.hz = u;
        } else if (!strcmp(arg, "--seconds")) {
            if (!cli_parse_seconds(argv[++i], &a->c.seconds) || a->c.seconds <= 0)
                return cli_usage_error("stress: --seconds wants a positive number, not '%s'",
                                       argv[i]);
        } else if (!strcmp(arg, "--samples")) {
            if (!cli_parse_u64(argv[++i], &a->c.samples) || a->c.samples == 0)
                return cli_usage_error("stress: --samples wants a positive number, not '%s'",
                                       argv[i]);
        } else if (!strcmp(arg, "--seed")) {
            if (!cli_parse_u64(argv[++i], &a->c.seed))
                return cli_usage_error("stress: --seed wants a number, not '%s'", argv[i]);
        } else {
            return cli_usage_error("stress: unknown argument '%s' (stackrace stress --help)", arg);
        }
    }
    a->c.walker = walkers_find(walker);
    if (!a->c.walker)
        return cli_usage_error("stress: no walker '%s' (stackrace walkers lists them)", walker);
    if (!strcmp(variant, "unlocked"))
        a->c.unlocked = true;
    else if (strcmp(variant, "locked") != 0)
        return cli_usage_error("stress: --variant is locked or unlocked, not '%s'", variant);
    return 0;
}

static void print_json(const stress_args *a, const stress_stats *st)
{
    const stress_config *c = &a->c;
    double s = st->seconds > 0 ? st->seconds : 1;
    printf("{\"engine\":\"native\",\"walker\":");
    report_json_string(stdout, c->walker->name);
    printf(",\"threads\":%u,\"hz\":%u,\"seconds\":%.3f,\"barriers\":%s,\"delivery\":\"%s\","
           "\"variant\":\"%s\",\"seed\":%llu,",
           c->threads, c->hz, st->seconds, c->barriers ? "true" : "false",
           c->remote ? "remote" : "same-thread", c->unlocked ? "unlocked" : "locked",
           (unsigned long long)c->seed);
    printf("\"samples\":%llu,\"validated\":%llu,\"declined\":%llu,\"stopped\":%llu,"
           "\"lost\":%llu,\"wrong\":%llu,\"faults\":%llu,\"skipped\":%llu,"
           "\"findings\":%u,\"finding_occurrences\":%u,"
           "\"samples_per_sec\":%.1f,"
           "\"validated_per_sec\":%.1f,\"frames_per_walk\":%.2f,",
           (unsigned long long)st->samples, (unsigned long long)st->exact,
           (unsigned long long)st->declined, (unsigned long long)st->stopped,
           (unsigned long long)st->lost, (unsigned long long)st->wrong,
           (unsigned long long)st->faults, (unsigned long long)st->skipped, st->findings,
           st->occurrences,
           (double)st->samples / s, (double)st->exact / s,
           st->exact ? (double)st->frames / (double)st->exact : 0.0);
    if (st->first_finding >= 0)
        printf("\"first_finding_seconds\":%.4f,", st->first_finding);
    printf("\"signal_safety_check\":%s,", signal_safety_on() ? "true" : "false");
    printf("\"paths\":{\"running\":%llu,\"parked\":%llu,\"lock_busy\":%llu,\"throttled\":%llu,"
           "\"aimed\":%llu},",
           (unsigned long long)st->running, (unsigned long long)st->foreign,
           (unsigned long long)st->lock_busy, (unsigned long long)st->throttled,
           (unsigned long long)st->aimed);
    printf("\"aim\":");
    report_json_string(stdout, aim_off_why() ? aim_off_why() : "on");
    putchar(',');
    printf("\"program\":{\"calls\":%llu,\"foreign_calls\":%llu,\"traps\":%llu,"
           "\"nested_traps\":%llu,\"longjmps\":%llu},",
           (unsigned long long)st->calls, (unsigned long long)st->foreign_calls,
           (unsigned long long)st->traps, (unsigned long long)st->nested_traps,
           (unsigned long long)st->longjmps);
    printf("\"scanner\":{\"cycles\":%llu,\"installed\":%llu,\"removed\":%llu},",
           (unsigned long long)st->cycles, (unsigned long long)st->installed,
           (unsigned long long)st->removed);
    printf("\"finding_list\":[");
    for (unsigned i = 0; i < findings_stored(); i++) {
        const nfinding *f = findings_at(i);
        if (!f)
            continue;
        printf(i ? ",{\"check\":" : "{\"check\":");
        report_json_string(stdout, f->check);
        printf(",\"message\":");
        report_json_string(stdout, f->message);
        printf(",\"detail\":");
        report_json_string(stdout, f->detail);
        printf(",\"count\":%u}", atomic_load(&f->count));
    }
    printf("]}\n");
}

static void print_text(const stress_args *a, const stress_stats *st)
{
    double s = st->seconds > 0 ? st->seconds : 1;
    double pct = st->samples ? 100.0 / (double)st->samples : 0;
    printf("stress %s: %u threads, %s, %s%s, %.1f s\n", a->c.walker->name, a->c.threads,
           a->c.remote ? "remote" : "same-thread", a->c.barriers ? "barriers " : "no barriers",
           a->c.barriers ? (a->c.unlocked ? "(unlocked)" : "(locked)") : "", st->seconds);
    printf("  samples   %llu (%.0f/s): validated %.2f%%, declined %.2f%%, stopped %.2f%%, "
           "skipped %.2f%%\n",
           (unsigned long long)st->samples, (double)st->samples / s, (double)st->exact * pct,
           (double)st->declined * pct, (double)st->stopped * pct, (double)st->skipped * pct);
    printf("  errors    lost frames %llu, wrong %llu, faults %llu\n", (unsigned long long)st->lost,
           (unsigned long long)st->wrong, (unsigned long long)st->faults);
    printf("  validated %.0f/s, %.1f frames per walk; parked-thread samples %llu\n",
           (double)st->exact / s, st->exact ? (double)st->frames / (double)st->exact : 0.0,
           (unsigned long long)st->foreign);
    if (aim_off_why())
        printf("  aimed     off: %s\n", aim_off_why());
    else
        printf("  aimed     %llu samples at function entries and rets (hardware breakpoints)\n",
               (unsigned long long)st->aimed);
    if (a->c.barriers)
        printf("  scanner   %llu cycles, %llu barriers installed, %llu removed\n",
               (unsigned long long)st->cycles, (unsigned long long)st->installed,
               (unsigned long long)st->removed);
    if (st->first_finding >= 0)
        printf("  findings  %u (met %u times), the first after %.3f s\n", st->findings,
               st->occurrences, st->first_finding);
    else
        printf("  findings  0\n");
}

int cli_stress(int argc, char **argv)
{
    stress_args a;
    memset(&a, 0, sizeof a);
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    char why[256];
    if (a.c.walker->init && a.c.walker->init(why, sizeof why) != 0)
        return cli_usage_error("stress: walker %s is not available here: %s", a.c.walker->name,
                               why);
    if (a.c.remote && (a.c.walker->flags & SR_WALKER_LIVE))
        return cli_usage_error("stress: walker %s walks only the stack it runs on; it cannot "
                               "walk another thread (--remote)", a.c.walker->name);
    if (shapes_init(why, sizeof why) > 0 && !a.json)
        fprintf(stderr, "stackrace: %s\n", why);
    const char *shapes = a.shapes ? a.shapes : a.c.walker->flags & SR_WALKER_NEEDS_FP ? "fp" : "all";
    if (shapes_parse(shapes, &a.c.shapes, why, sizeof why) != 0)
        return cli_usage_error("stress: --shapes: %s", why);
    a.c.progress = !a.json;
    stress_stats st;
    memset(&st, 0, sizeof st);
    if ((rc = stress_run(&a.c, &st)) != 0)
        return rc;
    if (a.json)
        print_json(&a, &st);
    else
        print_text(&a, &st);
    return st.occurrences ? 1 : 0;
}
