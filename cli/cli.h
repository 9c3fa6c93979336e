/*
 * cli.h — the `stackrace` command line: its commands (cli_*), and the
 * plumbing they share (cmdline.c). The command line is a client of
 * libstackrace (src/): src/ never includes a file of cli/.
 */
#ifndef STACKRACE_CLI_H
#define STACKRACE_CLI_H
#include <stdbool.h>
#include <stdint.h>
#include "run.h"

/* Loads a schedule file, or with `raw_target` a raw fuzzer input for it.
 * Returns 0, or 2 after printing a one-line error. */
int cli_load(const char *path, const char *raw_target, schedule *s);
/* cli_load, then the target: --target's if given, else the file's. */
int cli_load_for_target(const char *path, const char *target, schedule *s,
                        const sr_target **t);
/* Resolves a target name; prints the error and returns NULL if unknown. */
const sr_target *cli_target(const char *name);
/* Uniform error line: "stackrace: <msg>" on stderr; returns 2. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Strict number parsing for flag values. */
bool cli_parse_u64(const char *s, uint64_t *out);
bool cli_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
bool cli_parse_seconds(const char *s, double *out);

/* Commands. */
int cli_list(int argc, char **argv);
int cli_hunt(int argc, char **argv);
int cli_replay(int argc, char **argv);
int cli_minimize(int argc, char **argv);
int cli_stress(int argc, char **argv);
int cli_walkers(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_bench_walkers(int argc, char **argv);
#endif
