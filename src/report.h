/*
 * report.h — narratives, traces, timelines and JSON for a traced execution
 * (an exec run with a full trace, and its result).
 */
#ifndef STACKRACE_REPORT_H
#define STACKRACE_REPORT_H
#include <stdio.h>
#include "engine.h"

/* num > 0: a numbered line; num == 0: a continuation; num < 0: a quiet step.
 * display: each actor's display name at that point. */
typedef void (*report_line_fn)(void *ctx, int num, const char *line, const trace_ev *ev,
                               const char (*display)[32]);
int report_narrative_lines(const exec *e, const exec_result *r, report_line_fn fn, void *ctx);
void report_narrative(FILE *out, const exec *e, const exec_result *r);
void report_trace(FILE *out, const exec *e);
int report_svg(FILE *out, const exec *e, const exec_result *r);
void report_json_string(FILE *out, const char *s);
#endif
