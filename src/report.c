/*
 * report.c — telling an execution: the numbered narrative, the raw trace,
 * the swimlane SVG, and JSON string escaping.
 *
 * The narrative keeps what a reader needs to follow the race: the target's
 * annotations, signals landing, and the finding; every stretch of
 * unannotated steps between two such lines collapses into one "…" line that
 * says how many steps each actor took.
 */
#include "report.h"

#include <stdio.h>
#include <string.h>

static void init_display(const exec *e, char (*display)[32])
{
    for (int i = 0; i < e->nactors; i++)
        snprintf(display[i], 32, "%s", e->actors[i].name);
}

/* The "… N steps: M1 ×a, M2 ×b" line for the quiet steps since the last
 * narrative line. */
static void flush_quiet(FILE *out, const exec *e, const char (*display)[32], uint64_t *quiet,
                        uint64_t *total)
{
    if (*total == 0)
        return;
    fprintf(out, "     … %llu step%s:", (unsigned long long)*total, *total == 1 ? "" : "s");
    const char *sep = " ";
    for (int i = 0; i < e->nactors; i++)
        if (quiet[i]) {
            fprintf(out, "%s%s ×%llu", sep, display[i], (unsigned long long)quiet[i]);
            sep = ", ";
        }
    fputc('\n', out);
    memset(quiet, 0, sizeof(uint64_t) * MAX_ACTORS);
    *total = 0;
}

/* The finding a T_FINDING event is about: the fatal one, or a report. */
static const finding *finding_of(const exec *e, const exec_result *r, const trace_ev *ev)
{
    const char *msg = trace_text(&e->tr, ev->text);
    if (ev->value && r->fatal)
        return &r->f;
    for (unsigned i = 0; i < r->nreports; i++)
        if (!strcmp(r->reports[i].message, msg))
            return &r->reports[i];
    return &r->f;
}

static bool is_step(unsigned kind)
{
    return kind <= T_RET || kind == T_UNWIND || kind == T_STACK_MOVE; /* scheduling points */
}

int report_narrative_lines(const exec *e, const exec_result *r, report_line_fn fn, void *ctx)
{
    char display[MAX_ACTORS][32] = {{0}};
    init_display(e, display);
    int n = 0;
    char line[640], sym[64];
    const finding *f = NULL;
    for (size_t i = 0; i < e->tr.n; i++) {
        const trace_ev *ev = &e->tr.ev[i];
        const char *who = display[ev->actor];
        line[0] = 0;
        switch (ev->kind) {
        case T_DISPLAY:
            snprintf(display[ev->actor], 32, "%s", trace_text(&e->tr, ev->text));
            break;
        case T_NOTE:
            snprintf(line, sizeof line, "%s: %s", who, trace_text(&e->tr, ev->text));
            break;
        case T_SIGNAL: /* the text is the signal's name, if the target names them */
            snprintf(line, sizeof line, "%s: %s lands at %s", who,
                     ev->text ? trace_text(&e->tr, ev->text) : "a signal",
                     stk_symbol(e->target, ev->addr, sym, sizeof sym));
            break;
        case T_SIGNAL_REMOTE:
            snprintf(line, sizeof line, "%s: suspended at %s for %s", who,
                     stk_symbol(e->target, ev->addr, sym, sizeof sym),
                     ev->text ? trace_text(&e->tr, ev->text) : "a remote signal");
            break;
        case T_STACK_MOVE:
            snprintf(line, sizeof line, "%s: stack %s moves to 0x%llx (%llu bytes)", who,
                     trace_text(&e->tr, ev->text), (unsigned long long)ev->addr,
                     (unsigned long long)ev->value);
            break;
        case T_UNWIND:
            snprintf(line, sizeof line, "%s: unwinds to sp 0x%llx, at %s", who,
                     (unsigned long long)ev->addr,
                     stk_symbol(e->target, ev->value, sym, sizeof sym));
            break;
        case T_FINDING:
            f = finding_of(e, r, ev);
            /* a race's message already names both places */
            snprintf(line, sizeof line, "%s: FINDING (%s): %s%s%s", who,
                     finding_check(f), f->message,
                     f->location[0] && f->check != CHECK_RACE ? " in " : "",
                     f->check != CHECK_RACE ? f->location : "");
            break;
        default:
            break;
        }
        if (line[0]) {
            fn(ctx, ++n, line, ev, display);
            if (ev->kind == T_FINDING && f->detail[0]) {
                snprintf(line, sizeof line, "   %s", f->detail);
                fn(ctx, 0, line, ev, display);
            }
        } else if (is_step(ev->kind)) {
            fn(ctx, -1, NULL, ev, display); /* a quiet step */
        }
    }
    return n;
}

typedef struct text_ctx {
    FILE *out;
    const exec *e;
    /* a copy, not a pointer: the last "…" line is printed after
     * report_narrative_lines (whose array it is) has returned */
    char display[MAX_ACTORS][32];
    uint64_t quiet[MAX_ACTORS];
    uint64_t total;
} text_ctx;

static void text_line(void *p, int num, const char *line, const trace_ev *ev,
                      const char (*display)[32])
{
    text_ctx *c = p;
    memcpy(c->display, display, sizeof c->display);
    if (num < 0) {
        c->quiet[ev->actor]++;
        c->total++;
        return;
    }
    flush_quiet(c->out, c->e, display, c->quiet, &c->total);
    if (num == 0)
        fprintf(c->out, "     %s\n", line);
    else
        fprintf(c->out, "%3d. %s\n", num, line);
}

void report_narrative(FILE *out, const exec *e, const exec_result *r)
{
    text_ctx c = {.out = out, .e = e};
    report_narrative_lines(e, r, text_line, &c);
    flush_quiet(out, e, (const char (*)[32])c.display, c.quiet, &c.total);
    if (e->tr.dropped)
        fprintf(out, "     (the trace kept %zu events; %llu more were not recorded)\n", e->tr.n,
                (unsigned long long)e->tr.dropped);
}

void report_trace(FILE *out, const exec *e)
{
    char sym[64];
    for (size_t i = 0; i < e->tr.n; i++) {
        const trace_ev *ev = &e->tr.ev[i];
        fprintf(out, "%6llu %-12s %-13s", (unsigned long long)ev->step,
                e->actors[ev->actor].name, trace_kind_name(ev->kind));
        switch (ev->kind) {
        case T_CALL: case T_RET: case T_SLOAD: case T_SSTORE:
            fprintf(out, " 0x%llx %s", (unsigned long long)ev->addr,
                    stk_symbol(e->target, ev->value, sym, sizeof sym));
            break;
        case T_PROLOGUE: case T_EPILOGUE: case T_SET_PC:
            fprintf(out, " %s", stk_symbol(e->target, ev->kind == T_SET_PC ? ev->addr
                                                                             : ev->value,
                                           sym, sizeof sym));
            break;
        default:
            fprintf(out, " 0x%llx 0x%llx", (unsigned long long)ev->addr,
                    (unsigned long long)ev->value);
        }
        if (ev->text)
            fprintf(out, " \"%s\"", trace_text(&e->tr, ev->text));
        fputc('\n', out);
    }
}

void report_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* ---- the swimlane SVG ---- */

static void xml_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

#define LANE_H 40
#define LEFT 140
#define TOP 30

/* The title line and one lane per actor. */
static void svg_lanes(FILE *out, const exec *e, const exec_result *r, double width)
{
    int height = TOP + LANE_H * e->nactors + 40;
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "font-family=\"monospace\" font-size=\"12\">\n",
            LEFT + (int)width + 20, height);
    fprintf(out, "<text x=\"4\" y=\"16\">%s — %s: ", e->target->name,
            finding_check(&r->f));
    xml_text(out, r->f.message);
    fprintf(out, " (%llu steps)</text>\n", (unsigned long long)r->steps);
    for (int a = 0; a < e->nactors; a++) {
        int y = TOP + LANE_H * a;
        fprintf(out, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", y,
                LEFT + (int)width + 20, LANE_H, a % 2 ? "#f4f4f4" : "#ffffff");
        fprintf(out, "<text x=\"4\" y=\"%d\">", y + 24);
        xml_text(out, e->actors[a].name);
        fputs("</text>\n", out);
    }
}

/* Who runs when: one bar per run of consecutive steps of an actor. */
static void svg_runs(FILE *out, const exec *e, const exec_result *r, double xs)
{
    size_t i = 0;
    while (i < e->tr.n) {
        unsigned a = e->tr.ev[i].actor;
        uint64_t from = e->tr.ev[i].step;
        size_t j = i;
        while (j < e->tr.n && e->tr.ev[j].actor == a)
            j++;
        uint64_t to = j < e->tr.n ? e->tr.ev[j].step : r->steps;
        fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"10\" "
                     "fill=\"#7aa6d8\"/>\n",
                LEFT + (double)from * xs, TOP + LANE_H * (int)a + 4,
                (double)(to > from ? to - from : 1) * xs + 0.5);
        i = j;
    }
}

/* The locks an actor holds (up to 8 at once): since when, each. */
typedef struct svg_holds {
    uint64_t from[MAX_ACTORS][8];
    uint64_t addr[MAX_ACTORS][8]; /* the lock's address | 1; 0: a free slot */
} svg_holds;

/* A lock taken (T_LOCK, T_TRYLOCK) or let go (T_UNLOCK): the bar of its
 * hold is drawn when it ends. */
static void svg_lock(FILE *out, const exec *e, const trace_ev *ev, svg_holds *h, double x, int y,
                     double xs)
{
    for (int k = 0; k < 8; k++) {
        if (ev->kind != T_UNLOCK && !h->addr[ev->actor][k]) {
            h->addr[ev->actor][k] = ev->addr | 1;
            h->from[ev->actor][k] = ev->step;
            return;
        }
        if (ev->kind == T_UNLOCK && h->addr[ev->actor][k] == (ev->addr | 1)) {
            double x0 = LEFT + (double)h->from[ev->actor][k] * xs;
            fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"6\" "
                         "fill=\"#e0a030\"><title>holds ",
                    x0, y + 18, x - x0 + 1);
            xml_text(out, trace_text(&e->tr, ev->text));
            fputs("</title></rect>\n", out);
            h->addr[ev->actor][k] = 0;
        }
    }
}

/* Lock holds, signals, notes, the finding. */
static void svg_events(FILE *out, const exec *e, double xs)
{
    svg_holds holds = {{{0}}, {{0}}};
    for (size_t i = 0; i < e->tr.n; i++) {
        const trace_ev *ev = &e->tr.ev[i];
        double x = LEFT + (double)ev->step * xs;
        int y = TOP + LANE_H * ev->actor;
        switch (ev->kind) {
        case T_LOCK: case T_TRYLOCK: case T_UNLOCK:
            svg_lock(out, e, ev, &holds, x, y, xs);
            break;
        case T_SIGNAL: case T_SIGNAL_REMOTE:
            fprintf(out, "<path d=\"M%.1f %d l-5 -8 h10 z\" fill=\"#c03030\"><title>%s"
                         "</title></path>\n",
                    x, y + 4, ev->kind == T_SIGNAL ? "signal (same thread)"
                                                  : "signal (remote suspend)");
            break;
        case T_NOTE: case T_DETAIL:
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%d\" r=\"%d\" fill=\"%s\"><title>", x,
                    y + 32, ev->kind == T_NOTE ? 3 : 2,
                    ev->kind == T_NOTE ? "#303030" : "#a0a0a0");
            xml_text(out, trace_text(&e->tr, ev->text));
            fputs("</title></circle>\n", out);
            break;
        case T_FINDING:
            fprintf(out, "<text x=\"%.1f\" y=\"%d\" fill=\"#c00000\" font-size=\"20\">✖"
                         "<title>",
                    x - 6, y + 30);
            xml_text(out, trace_text(&e->tr, ev->text));
            fputs("</title></text>\n", out);
            break;
        default:
            break;
        }
    }
}

int report_svg(FILE *out, const exec *e, const exec_result *r)
{
    uint64_t steps = r->steps ? r->steps : 1;
    double width = 1400.0;
    double xs = width / (double)steps;
    svg_lanes(out, e, r, width);
    svg_runs(out, e, r, xs);
    svg_events(out, e, xs);
    fputs("</svg>\n", out);
    return 0;
}
