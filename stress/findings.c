/*
 * findings.c — the native engine's lock-free finding table (findings.h).
 */
#include "findings.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

static nfinding table[FINDINGS_MAX];
static atomic_uint claimed;
static atomic_uint total;
static atomic_llong first_ns; /* CLOCK_MONOTONIC, of the first finding */

void fmt_init(fmtbuf *b, char *buf, size_t n)
{
    b->p = buf;
    b->n = n;
    b->len = 0;
    if (n)
        buf[0] = '\0';
}

static void fmt_char(fmtbuf *b, char c)
{
    if (b->len + 1 < b->n) {
        b->p[b->len++] = c;
        b->p[b->len] = '\0';
    }
}

void fmt_str(fmtbuf *b, const char *s)
{
    while (s && *s)
        fmt_char(b, *s++);
}

void fmt_u(fmtbuf *b, uint64_t v)
{
    char d[24];
    int i = 0;
    do
        d[i++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (i)
        fmt_char(b, d[--i]);
}

void fmt_hex(fmtbuf *b, uint64_t v)
{
    fmt_str(b, "0x");
    int shift = 60;
    while (shift > 0 && ((v >> shift) & 0xf) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        fmt_char(b, "0123456789abcdef"[(v >> shift) & 0xf]);
}

static void copy(char *dst, size_t n, const char *src)
{
    fmtbuf b;
    fmt_init(&b, dst, n);
    fmt_str(&b, src);
}

static bool same(const nfinding *f, const char *check, const char *message)
{
    return !strcmp(f->check, check) && !strcmp(f->message, message);
}

/* Whether slot f is filled in. A slot claimed but not yet filled is waited
 * for, briefly: two threads meeting the same new finding at once would
 * otherwise both claim a slot and split its count (seen: three threads
 * whose walker faulted at their first samples). Bounded, because the
 * filler may be the very thread this handler interrupted; then the finding
 * is told twice, never lost. */
static bool published(const nfinding *f)
{
    for (unsigned spin = 0; spin < (1u << 20); spin++)
        if (atomic_load_explicit(&f->ready, memory_order_acquire))
            return true;
    return false;
}

int findings_add(const char *check, const char *message, const char *detail)
{
    if (atomic_fetch_add(&total, 1) == 0) {
        atomic_store(&first_ns, clk_ns()); /* async-signal-safe (clock.h) */
    }
    unsigned n = atomic_load(&claimed);
    for (unsigned i = 0; i < n && i < FINDINGS_MAX; i++)
        if (published(&table[i]) && same(&table[i], check, message)) {
            atomic_fetch_add(&table[i].count, 1);
            return (int)i;
        }
    unsigned i = atomic_fetch_add(&claimed, 1);
    if (i >= FINDINGS_MAX) {
        atomic_store(&claimed, FINDINGS_MAX);
        return -1;
    }
    nfinding *f = &table[i];
    copy(f->check, sizeof f->check, check);
    copy(f->message, sizeof f->message, message);
    copy(f->detail, sizeof f->detail, detail ? detail : "");
    atomic_store(&f->count, 1);
    atomic_store_explicit(&f->ready, 1, memory_order_release);
    return (int)i;
}

static void say(const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(2, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

_Noreturn void findings_fatal(const char *check, const char *message, const char *detail)
{
    findings_add(check, message, detail);
    say("stackrace: fatal finding: ");
    say(check);
    say(": ");
    say(message);
    say("\n");
    if (detail && *detail) {
        say("  ");
        say(detail);
        say("\n");
    }
    _exit(1);
}

unsigned findings_total(void) { return atomic_load(&total); }

double findings_first_time(void) { return (double)atomic_load(&first_ns) / 1e9; }

unsigned findings_stored(void)
{
    unsigned n = atomic_load(&claimed);
    return n < FINDINGS_MAX ? n : FINDINGS_MAX;
}

unsigned findings_distinct(void)
{
    unsigned n = findings_stored(), distinct = 0;
    for (unsigned i = 0; i < n; i++) {
        const nfinding *f = findings_at(i);
        bool seen = !f;
        for (unsigned j = 0; f && j < i && !seen; j++) {
            const nfinding *g = findings_at(j);
            seen = g && same(g, f->check, f->message);
        }
        distinct += !seen;
    }
    return distinct;
}

const nfinding *findings_at(unsigned i)
{
    if (i >= FINDINGS_MAX || !atomic_load_explicit(&table[i].ready, memory_order_acquire))
        return NULL;
    return &table[i];
}

void findings_reset(void)
{
    for (unsigned i = 0; i < FINDINGS_MAX; i++)
        atomic_store(&table[i].ready, 0);
    atomic_store(&claimed, 0);
    atomic_store(&total, 0);
    atomic_store(&first_ns, 0);
}
