/*
 * cmd_bench_walkers.c — `stackrace bench-walkers`: ns per frame for every
 * walker on the same stack, in one run (stress/bench.h).
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "cli.h"
#include "report.h"
#include "walkers.h"

static const char BENCH_HELP[] =
    "usage: stackrace bench-walkers [--reps N] [--json]\n"
    "\n"
    "Builds one stack of frame-pointer shapes on a real thread, stops it with a\n"
    "signal, and in that one handler has every available walker walk it N times\n"
    "(default 2000): ns per walk and per frame, the frames found, and whether the\n"
    "walk was right (judged against the shadow stack).\n";

int cli_bench_walkers(int argc, char **argv)
{
    uint64_t reps = 2000;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(BENCH_HELP, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--reps")) {
            if (i + 1 >= argc || !cli_parse_u64(argv[i + 1], &reps) || reps < 1 || reps > 10000000)
                return cli_usage_error("bench-walkers: --reps wants 1-10000000");
            i++;
        } else {
            return cli_usage_error("bench-walkers: unknown argument '%s' (stackrace "
                                   "bench-walkers --help)", argv[i]);
        }
    }
    bench_row rows[32];
    unsigned n = walkers_count() < 32 ? walkers_count() : 32;
    memset(rows, 0, sizeof rows);
    for (unsigned i = 0; i < n; i++)
        rows[i].walker = walkers_at(i);
    unsigned depth = 0;
    int rc = bench_run(rows, n, (unsigned)reps, &depth);
    if (rc)
        return rc;
    if (json)
        printf("{\"depth\":%u,\"reps\":%llu,\"walkers\":[", depth, (unsigned long long)reps);
    else
        printf("bench-walkers: one stack of %u recorded frames, %llu walks each\n"
               "  %-18s %7s %10s %10s  %s\n", depth, (unsigned long long)reps, "walker",
               "frames", "ns/walk", "ns/frame", "walk");
    for (unsigned i = 0; i < n; i++) {
        const bench_row *r = &rows[i];
        const char *state = !r->available ? "unavailable"
                            : r->faulted  ? "faulted"
                            : r->too_slow ? "stopped by the watchdog"
                                          : verdict_name(r->v);
        if (json) {
            printf(i ? ",{\"name\":" : "{\"name\":");
            report_json_string(stdout, r->walker->name);
            printf(",\"walk\":\"%s\"", state);
            if (r->available && !r->faulted && !r->too_slow)
                printf(",\"frames\":%d,\"ns_per_walk\":%.1f,\"ns_per_frame\":%.1f", r->frames,
                       r->ns_walk, r->ns_frame);
            putchar('}');
        } else if (r->available && !r->faulted && !r->too_slow) {
            printf("  %-18s %7d %10.0f %10.1f  %s\n", r->walker->name, r->frames, r->ns_walk,
                   r->ns_frame, state);
        } else {
            printf("  %-18s %7s %10s %10s  %s %s\n", r->walker->name, "-", "-", "-", state,
                   r->available ? "" : r->why);
        }
    }
    if (json)
        puts("]}");
    return 0;
}
