/*
 * run.h — running a target from a schedule (replay, minimize) and the
 * command-line plumbing the commands share.
 */
#ifndef STACKRACE_RUN_H
#define STACKRACE_RUN_H
#include <stdbool.h>
#include "engine.h"
#include "schedfile.h"

/* Replays s against t. full: record the full trace. */
void run_schedule(exec *e, const sr_target *t, const schedule *s, bool full, exec_result *r);
/* A heap-allocated, initialized exec (they are large). */
exec *run_new_exec(void);
void run_free_exec(exec *e);
/* Loads a schedule file, or with `raw_target` a raw fuzzer input for it.
 * Returns 0, or 2 after printing a one-line error. */
int run_load(const char *path, const char *raw_target, schedule *s);
/* Resolves a target name; prints the error and returns NULL if unknown. */
const sr_target *run_target(const char *name);
/* Uniform error line: "stackrace: <msg>" on stderr; returns 2. */
int run_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Strict number parsing for flag values. */
bool run_parse_u64(const char *s, uint64_t *out);
bool run_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
bool run_parse_seconds(const char *s, double *out);
double run_now(void);

typedef struct minimize_stats {
    size_t decisions[2], bytes[2]; /* before, after */
    uint64_t switches[2];
} minimize_stats;
/* Shrinks failing schedule s in place (minimize.c). 0: done; 1: s does not
 * fail; 2: internal error (the result did not replay the same). */
int run_minimize(exec *e, const sr_target *t, schedule *s, minimize_stats *st);

/* Commands. */
int cmd_list(int argc, char **argv);
int cmd_hunt(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_minimize(int argc, char **argv);
#endif
