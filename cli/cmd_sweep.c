/*
 * cmd_sweep.c — `stackrace sweep`: every instruction of a call program,
 * walked under ptrace and judged against the truth the tracer observed
 * (stress/sweep.h).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "shapes.h"
#include "sweep.h"
#include "view.h"
#include "walkers.h"

static const char SWEEP_HELP[] =
    "usage: stackrace sweep --walker W [--calls N] [--seed S] [--no-barriers]\n"
    "                       [--shapes S] [--json] [--per-pc] [--explain PC]\n"
    "\n"
    "Runs one call program in a child single-stepped under ptrace; at every\n"
    "instruction the child's signal handler walks its stack with walker W and\n"
    "the walk is compared with the ground truth the tracer saw (calls, returns,\n"
    "signal deliveries). Verdicts are summarized per region: prologue, body,\n"
    "epilogue, leaf, signal frame, trampoline. Each walk is exact, declined (the\n"
    "walker returned no frames), stopped (a true prefix ending where no unwind\n"
    "information exists: the trampoline, a patched slot), lost (a true prefix\n"
    "ending where unwind information exists: an error), wrong (a frame that is\n"
    "not the thread's: an error) or fault (the walker crashed or hung: a finding).\n"
    "\n"
    "  --walker W        the walker (`stackrace walkers` lists them; default fp)\n"
    "  --calls N         the program's length in calls (default 300)\n"
    "  --seed S          the program's seed (default 1)\n"
    "  --no-barriers     no return-address barriers (no trampoline region)\n"
    "  --shapes S        frame shapes: fp, all, or a list such as call,leaf,recurse\n"
    "                    (default: what the walker claims to handle)\n"
    "  --json            one JSON object\n"
    "  --per-pc          with --json: every PC's verdicts too, and for a PC with\n"
    "                    errors the first one's evidence: the walk and the truth\n"
    "                    after the PC, and the code bytes before and at it\n"
    "  --explain PC      after the summary, everything the sweep knows about one\n"
    "                    instruction, named as --per-pc names it (throw+0x0,\n"
    "                    libc.so.6+0x3f2a0) or by its address in this run (0x...)\n"
    "\n"
    "Exit status: 0 when the sweep ran to the end (whatever the verdicts), 2 on\n"
    "bad usage, when the traced child could not be run, or when --explain's PC\n"
    "was never reached.\n";

/* A PC as the tables name it: shape+offset, trampoline+offset, or else
 * object+offset (dladdr: stable from run to run, where the address is not,
 * under ASLR). The parent's names: the child runs the same mappings. */
static void name_any(char *out, size_t n, uintptr_t pc, bool ret)
{
    if (ret)
        sweep_describe_ra(out, n, pc);
    else
        sweep_describe_pc(out, n, pc);
    Dl_info info;
    if (strncmp(out, "0x", 2) || !pc || !dladdr((void *)(ret ? pc - 1 : pc), &info) ||
        !info.dli_fname || !info.dli_fbase)
        return;
    const char *base = strrchr(info.dli_fname, '/');
    snprintf(out, n, "%s+0x%lx", base ? base + 1 : info.dli_fname,
             (unsigned long)(pc - (uintptr_t)info.dli_fbase));
}

static void name_pc(char *out, size_t n, uintptr_t pc) { name_any(out, n, pc, false); }
static void name_ra(char *out, size_t n, uintptr_t ra) { name_any(out, n, ra, true); }

static void counts_json(const sweep_counts *c)
{
    for (unsigned v = 0; v < VERDICT_COUNT; v++)
        printf("%s\"%s\":%llu", v ? "," : "{", verdict_name((verdict)v),
               (unsigned long long)c->n[v]);
    putchar('}');
}

static uint64_t sum(const sweep_counts *c)
{
    uint64_t n = 0;
    for (unsigned v = 0; v < VERDICT_COUNT; v++)
        n += c->n[v];
    return n;
}

static void print_text(const sweep_config *c, const sweep_result *r)
{
    printf("sweep %s: %llu instructions walked in %.1f s (%u distinct PCs)%s\n", c->walker->name,
           (unsigned long long)r->instructions, r->seconds, r->npcs,
           c->barriers ? ", barriers on" : "");
    printf("  %-13s %9s", "region", "samples");
    for (unsigned v = 0; v < VERDICT_COUNT; v++)
        printf(" %9s", verdict_name((verdict)v));
    putchar('\n');
    for (unsigned i = 0; i <= REGION_COUNT; i++) {
        const sweep_counts *k = i < REGION_COUNT ? &r->region[i] : &r->total;
        uint64_t n = sum(k);
        if (!n)
            continue;
        printf("  %-13s %9llu", i < REGION_COUNT ? sweep_region_name(i) : "all",
               (unsigned long long)n);
        for (unsigned v = 0; v < VERDICT_COUNT; v++)
            printf(" %8.2f%%", 100.0 * (double)k->n[v] / (double)n);
        putchar('\n');
    }
    printf("  (exact, declined and stopped are not errors; lost and wrong are the walker's\n"
           "  errors; fault: the walker crashed or hung, each a finding)\n");
    if (r->findings)
        printf("  findings in the child: %u, the first: %s\n", r->findings, r->first_finding);
    for (unsigned i = 0; i < REGION_COUNT; i++)
        if (r->first_wrong[i][0])
            printf("  first error, %s: %s\n", sweep_region_name(i), r->first_wrong[i]);
}

static void frames_json(const char *key, const uintptr_t *pcs, unsigned n)
{
    printf(",\"%s\":[", key);
    for (unsigned k = 0; k < n; k++) {
        char where[64];
        name_ra(where, sizeof where, pcs[k]);
        if (k)
            putchar(',');
        report_json_string(stdout, where);
    }
    putchar(']');
}

static void bytes_hex(char *out, const unsigned char *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        sprintf(out + 3 * i, "%02x%s", b[i], i + 1 < n ? " " : "");
}

static void evidence_json(const sweep_evidence *ev)
{
    char hex[3 * EVIDENCE_BYTES + 1];
    printf(",\"first_error\":{\"verdict\":\"%s\",\"frame\":%d", verdict_name((verdict)ev->verdict),
           ev->frame);
    frames_json("truth", ev->truth, ev->truth_n);
    frames_json("walk", ev->walk, ev->walk_n);
    char last[64];
    name_ra(last, sizeof last, ev->stop_last);
    printf(",\"stop\":{\"why\":\"%s\",\"code\":%ld,\"last\":", view_stop_name(ev->stop_why),
           ev->stop_code);
    report_json_string(stdout, ev->stop_last ? last : "");
    putchar('}');
    bytes_hex(hex, ev->before, EVIDENCE_BYTES);
    printf(",\"bytes_before\":\"%s\"", hex);
    bytes_hex(hex, ev->code, EVIDENCE_BYTES);
    printf(",\"bytes\":\"%s\"", hex);
    if (ev->fault[0]) {
        printf(",\"fault\":");
        report_json_string(stdout, ev->fault);
    }
    putchar('}');
}

static const sweep_evidence *evidence_of(const sweep_result *r, const sweep_pc *e)
{
    return e->evidence ? &r->evidence[e->evidence - 1] : NULL;
}

static void frames_text(const char *label, const uintptr_t *pcs, unsigned n)
{
    printf("    %-6s", label);
    for (unsigned k = 0; k < n; k++) {
        char where[64];
        name_ra(where, sizeof where, pcs[k]);
        printf(" %s", where);
    }
    printf("%s\n", n ? "" : " (nothing)");
}

/* --explain: the PC as the tables name it, or an address. 0 if found. */
static int explain(const sweep_result *r, const char *spec)
{
    uintptr_t addr = 0;
    if (!strncmp(spec, "0x", 2))
        addr = (uintptr_t)strtoull(spec, NULL, 16);
    for (unsigned i = 0; i < SWEEP_PC_TABLE; i++) {
        const sweep_pc *e = &r->pcs[i];
        char where[64];
        if (!e->pc)
            continue;
        name_pc(where, sizeof where, e->pc);
        if (e->pc != addr && strcmp(where, spec))
            continue;
        printf("%s (%#lx), %s region:", where, (unsigned long)e->pc, sweep_region_name(e->region));
        for (unsigned v = 0; v < VERDICT_COUNT; v++)
            printf(" %s %llu", verdict_name((verdict)v), (unsigned long long)e->c.n[v]);
        putchar('\n');
        const sweep_evidence *ev = evidence_of(r, e);
        if (!ev) {
            printf("  no error here\n");
            return 0;
        }
        char hex[3 * EVIDENCE_BYTES + 1];
        printf("  the first error: %s, frame %d (frames after the PC, return addresses named "
               "by their call)\n", verdict_name((verdict)ev->verdict), ev->frame);
        if (ev->fault[0])
            printf("  %s\n", ev->fault);
        frames_text("truth", ev->truth, ev->truth_n);
        frames_text("walk", ev->walk, ev->walk_n);
        if (ev->stop_why) {
            char last[64];
            name_ra(last, sizeof last, ev->stop_last);
            printf("  the walker said: %s (code %ld)%s%s\n", view_stop_name(ev->stop_why),
                   ev->stop_code, ev->stop_last ? ", the last address it computed: " : "",
                   ev->stop_last ? last : "");
        } else {
            printf("  the walker did not say why it stopped\n");
        }
        bytes_hex(hex, ev->before, EVIDENCE_BYTES);
        printf("  code before the PC: %s\n", hex);
        bytes_hex(hex, ev->code, EVIDENCE_BYTES);
        printf("  code at the PC:     %s\n", hex);
        return 0;
    }
    return -1;
}

static void print_json(const sweep_config *c, const sweep_result *r, bool per_pc)
{
    printf("{\"walker\":");
    report_json_string(stdout, c->walker->name);
    printf(",\"seed\":%llu,\"calls\":%lu,\"barriers\":%s,\"instructions\":%llu,\"pcs\":%u,"
           "\"seconds\":%.3f,\"faults\":%llu,\"findings\":%u,\"first_finding\":",
           (unsigned long long)c->seed, c->calls, c->barriers ? "true" : "false",
           (unsigned long long)r->instructions, r->npcs, r->seconds,
           (unsigned long long)r->faults, r->findings);
    report_json_string(stdout, r->first_finding);
    printf(",\"total\":");
    counts_json(&r->total);
    printf(",\"regions\":{");
    for (unsigned i = 0; i < REGION_COUNT; i++) {
        printf(i ? ",\"%s\":" : "\"%s\":", sweep_region_name(i));
        counts_json(&r->region[i]);
    }
    printf("},\"first_wrong\":{");
    for (unsigned i = 0, k = 0; i < REGION_COUNT; i++)
        if (r->first_wrong[i][0]) {
            printf(k++ ? ",\"%s\":" : "\"%s\":", sweep_region_name(i));
            report_json_string(stdout, r->first_wrong[i]);
        }
    putchar('}');
    if (per_pc) {
        printf(",\"per_pc\":[");
        bool first = true;
        for (unsigned i = 0; i < SWEEP_PC_TABLE; i++) {
            const sweep_pc *e = &r->pcs[i];
            if (!e->pc)
                continue;
            char where[64];
            name_pc(where, sizeof where, e->pc);
            printf(first ? "{\"pc\":" : ",{\"pc\":");
            first = false;
            report_json_string(stdout, where);
            printf(",\"region\":\"%s\",\"verdicts\":", sweep_region_name(e->region));
            counts_json(&e->c);
            if (evidence_of(r, e))
                evidence_json(evidence_of(r, e));
            putchar('}');
        }
        putchar(']');
    }
    puts("}");
}

int cli_sweep(int argc, char **argv)
{
    sweep_config c = {.seed = 1, .calls = 300, .barriers = true};
    const char *walker = "fp", *shapes = NULL, *explain_pc = NULL;
    bool json = false, per_pc = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        uint64_t u;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(SWEEP_HELP, stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--per-pc")) {
            per_pc = true;
        } else if (!strcmp(a, "--no-barriers")) {
            c.barriers = false;
        } else if (!strcmp(a, "--walker") || !strcmp(a, "--shapes") || !strcmp(a, "--calls") ||
                   !strcmp(a, "--seed") || !strcmp(a, "--explain")) {
            if (!has)
                return cli_usage_error("sweep: %s needs a value (stackrace sweep --help)", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--walker")) {
                walker = v;
            } else if (!strcmp(a, "--explain")) {
                explain_pc = v;
            } else if (!strcmp(a, "--shapes")) {
                shapes = v;
            } else if (!cli_parse_u64(v, &u) || (!strcmp(a, "--calls") && (u < 1 || u > 100000))) {
                return cli_usage_error("sweep: %s wants %s, not '%s'", a,
                                       !strcmp(a, "--calls") ? "1-100000" : "a number", v);
            } else if (!strcmp(a, "--calls")) {
                c.calls = (unsigned long)u;
            } else {
                c.seed = u;
            }
        } else {
            return cli_usage_error("sweep: unknown argument '%s' (stackrace sweep --help)", a);
        }
    }
    c.walker = walkers_find(walker);
    if (!c.walker)
        return cli_usage_error("sweep: no walker '%s' (stackrace walkers lists them)", walker);
    char why[256];
    shapes_init(why, sizeof why);
    if (!shapes)
        shapes = c.walker->flags & SR_WALKER_NEEDS_FP ? "fp" : "all";
    if (shapes_parse(shapes, &c.shapes, why, sizeof why) != 0)
        return cli_usage_error("sweep: --shapes: %s", why);
    if (c.walker->init && c.walker->init(why, sizeof why) != 0)
        return cli_usage_error("sweep: walker %s is not available here: %s", c.walker->name, why);
    sweep_result r;
    int rc = sweep_run(&c, &r);
    if (rc)
        return rc;
    if (json && explain_pc)
        return cli_usage_error("sweep: --explain is text; --json --per-pc has the same evidence");
    if (json)
        print_json(&c, &r, per_pc);
    else
        print_text(&c, &r);
    if (explain_pc && explain(&r, explain_pc) != 0) {
        fprintf(stderr, "stackrace: sweep: --explain: no instruction '%s' in this sweep (the "
                        "PCs are named as in --json --per-pc)\n", explain_pc);
        sweep_free(&r);
        return 2;
    }
    sweep_free(&r);
    return 0;
}
