/*
 * cmdline.h — the plumbing the `stackrace` commands share.
 */
#ifndef STACKRACE_CMDLINE_H
#define STACKRACE_CMDLINE_H
#include <stdbool.h>
#include <stdint.h>
#include "run.h"

/* Loads a schedule file, or with `raw_target` a raw fuzzer input for it.
 * Returns 0, or 2 after printing a one-line error. */
int run_load(const char *path, const char *raw_target, schedule *s);
/* run_load, then the target: --target's if given, else the file's. */
int run_load_for_target(const char *path, const char *target, schedule *s,
                        const sr_target **t);
/* Resolves a target name; prints the error and returns NULL if unknown. */
const sr_target *run_target(const char *name);
/* Uniform error line: "stackrace: <msg>" on stderr; returns 2. */
int run_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Strict number parsing for flag values. */
bool run_parse_u64(const char *s, uint64_t *out);
bool run_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
bool run_parse_seconds(const char *s, double *out);
double run_now(void);

/* Commands. */
int cmd_list(int argc, char **argv);
int cmd_hunt(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_minimize(int argc, char **argv);
int cmd_stress(int argc, char **argv);
int cmd_walkers(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_bench_walkers(int argc, char **argv);
#endif
