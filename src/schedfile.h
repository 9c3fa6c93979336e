/*
 * schedfile.h — the schedule file: a small versioned header in front of the
 * decision bytes.
 *
 * Layout (little-endian):
 *   0   8  magic "SRSCHED\n"
 *   8   2  format version (SCHED_VERSION)
 *   10  2  flags (bit 0: the scenario is drawn from the leading bytes)
 *   12  1  target name length L (1..SCHED_NAME_MAX)
 *   13  L  target name
 *   ..  32 scenario: 8 u32 (mutators, program_len, scan_rate, signal_rate,
 *          switch_rate, barrier_spacing, delivery, max_steps)
 *   ..  4  payload length P
 *   ..  4  CRC-32 (IEEE) of everything before it and of the payload
 *   ..  P  the decision bytes
 * Anything that does not parse exactly is rejected with a one-line reason.
 */
#ifndef STACKRACE_SCHEDFILE_H
#define STACKRACE_SCHEDFILE_H

#include <stddef.h>
#include <stdint.h>
#include "stackrace/model.h"

#define SCHED_VERSION 1
#define SCHED_NAME_MAX 64
#define SCHED_MAX_PAYLOAD (16u << 20)
#define SCHED_FLAG_SCENARIO_IN_BYTES 1u

typedef struct schedule {
    char target[SCHED_NAME_MAX + 1];
    uint16_t flags;
    sr_scenario sc;
    uint8_t *bytes;
    size_t len;
} schedule;

/* 0 on success; else -1 with a one-line reason in err. */
int sched_parse(const uint8_t *buf, size_t len, schedule *out, char *err, size_t errlen);
/* Encodes into a malloc'd buffer; returns its length. */
size_t sched_encode(const schedule *s, uint8_t **out);
/* Reads a whole file (at most max bytes). 0 on success. */
int sched_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen);
/* Writes atomically: a temporary file in the same directory, fsync, rename. */
int sched_write_file(const char *path, const schedule *s, char *err, size_t errlen);
void sched_free(schedule *s);
uint32_t sched_crc32(uint32_t crc, const uint8_t *p, size_t n);
#endif
