/*
 * findings.h — the native engine's findings, recorded from anywhere.
 *
 * A finding may be met in a signal handler, a profiler thread or the
 * scanner, so recording one is async-signal-safe: no locks, no allocation,
 * no stdio; the text is formatted with the small helpers below into a
 * fixed record claimed with one atomic increment. The main thread prints
 * records as they become whole and writes them into the final report.
 * Findings with the same signature (check and message) are counted on the
 * first record rather than stored again.
 *
 * A fatal finding (a thread that cannot go on, such as a trampoline hit
 * without its entry) is written to stderr at once, with write(2), and the
 * process exits with status 1: it is told before the run ends, never lost
 * (the run's summary is not printed: the process cannot go on).
 */
#ifndef STRESS_FINDINGS_H
#define STRESS_FINDINGS_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum { FINDINGS_MAX = 64 };

typedef struct nfinding {
    char check[24];
    char message[160];
    char detail[1024];
    atomic_uint count;  /* times seen (same signature) */
    atomic_int ready;   /* 1 once whole */
} nfinding;

/* A string under construction in a fixed buffer; never overflows. */
typedef struct fmtbuf {
    char *p;
    size_t n, len;
} fmtbuf;
void fmt_init(fmtbuf *b, char *buf, size_t n);
void fmt_str(fmtbuf *b, const char *s);
void fmt_u(fmtbuf *b, uint64_t v);
void fmt_hex(fmtbuf *b, uint64_t v);

/* Records a finding; returns its index (or the index of the record it was
 * counted on), -1 when the table is full (the total is still counted). */
int findings_add(const char *check, const char *message, const char *detail);
/* Records a finding, prints it to stderr and exits with status 1. */
_Noreturn void findings_fatal(const char *check, const char *message, const char *detail);

unsigned findings_total(void);  /* every finding, duplicates included */
/* CLOCK_MONOTONIC seconds of the first finding since the last reset; 0 if none. */
double findings_first_time(void);
unsigned findings_stored(void); /* records claimed (at most FINDINGS_MAX) */
/* Distinct signatures among the records (two threads meeting one finding at
 * the same instant may both have stored it). */
unsigned findings_distinct(void);
const nfinding *findings_at(unsigned i); /* NULL until whole */
void findings_reset(void);
#endif
