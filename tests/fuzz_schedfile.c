/*
 * fuzz_schedfile.c — fuzz test of the schedule-file parser (schedfile.h).
 *
 * LLVMFuzzerTestOneInput parses the input; when it parses, the schedule is
 * re-encoded with sched_encode, and the encoding must parse again to the
 * same fields. The format is exact (no slack anywhere: fixed layout, no
 * trailing bytes, a CRC over everything), so the re-encoding must also be
 * byte-identical to the input. Any mismatch aborts.
 *
 * Built with -fsanitize=fuzzer this is a libFuzzer target. Built with
 * STACKRACE_FUZZ_MAIN it has its own main(): a deterministic mutation loop
 * (fixed-seed PRNG) over a few valid encodings, for argv[1] iterations
 * (default 200000), each input passed in a heap buffer of exactly its size
 * so that ASan sees any over-read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const uint8_t *data, size_t size)
{
    fprintf(stderr, "fuzz_schedfile: %s (input of %zu bytes:", what, size);
    for (size_t i = 0; i < size && i < 512; i++)
        fprintf(stderr, " %02x", data[i]);
    fprintf(stderr, "%s)\n", size > 512 ? " ..." : "");
    abort();
}

static int same_fields(const schedule *a, const schedule *b)
{
    return strcmp(a->target, b->target) == 0 && a->flags == b->flags &&
           a->sc.mutators == b->sc.mutators && a->sc.program_len == b->sc.program_len &&
           a->sc.scan_rate == b->sc.scan_rate && a->sc.signal_rate == b->sc.signal_rate &&
           a->sc.switch_rate == b->sc.switch_rate &&
           a->sc.barrier_spacing == b->sc.barrier_spacing &&
           (uint32_t)a->sc.delivery == (uint32_t)b->sc.delivery &&
           a->sc.max_steps == b->sc.max_steps && a->len == b->len &&
           (a->len == 0 || memcmp(a->bytes, b->bytes, a->len) == 0);
}

static size_t bounded_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

/* The error message must be one non-empty, terminated line. */
static void check_err(const char *err, const uint8_t *data, size_t size)
{
    size_t n = bounded_len(err, 256);
    if (n == 0 || n == 256 || strchr(err, '\n'))
        die("parse failed without a one-line reason", data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    schedule s;
    char err[256];
    memset(err, 0, sizeof err);
    if (sched_parse(data, size, &s, err, sizeof err) != 0) {
        check_err(err, data, size);
        sched_free(&s); /* must be harmless after a failed parse */
        return 0;
    }
    size_t nlen = bounded_len(s.target, sizeof s.target);
    if (nlen == 0 || nlen > SCHED_NAME_MAX)
        die("parsed a bad target name length", data, size);
    for (size_t i = 0; i < nlen; i++)
        if (s.target[i] < 0x21 || s.target[i] > 0x7e)
            die("parsed a target name with a non-printable byte", data, size);
    if (s.len > SCHED_MAX_PAYLOAD || s.len > size || (s.len && !s.bytes))
        die("parsed a bad payload", data, size);

    uint8_t *enc;
    size_t n = sched_encode(&s, &enc);
    if (n != size || memcmp(enc, data, size) != 0)
        die("re-encoding differs from the parsed input", data, size);

    schedule t;
    memset(err, 0, sizeof err);
    if (sched_parse(enc, n, &t, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_schedfile: re-parse: %s\n", err);
        die("re-encoding does not parse", data, size);
    }
    if (!same_fields(&s, &t))
        die("re-encoding parses to different fields", data, size);
    sched_free(&t);
    free(enc);
    sched_free(&s);
    return 0;
}

#ifdef STACKRACE_FUZZ_MAIN

#define MAX_INPUT 2048
#define MAX_SEEDS 64

static uint64_t rng_state = 0x5eed5eed12345678ull;

static uint64_t next(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t below(size_t n) { return n ? (size_t)(next() % n) : 0; }

typedef struct buf {
    uint8_t b[MAX_INPUT];
    size_t n;
} buf;

static buf seeds[MAX_SEEDS];
static size_t nseeds;

static void add_seed(const char *target, uint16_t flags, sr_scenario sc, size_t plen)
{
    schedule s;
    memset(&s, 0, sizeof s);
    snprintf(s.target, sizeof s.target, "%s", target);
    s.flags = flags;
    s.sc = sc;
    s.len = plen;
    s.bytes = malloc(plen ? plen : 1);
    if (!s.bytes)
        abort();
    for (size_t i = 0; i < plen; i++)
        s.bytes[i] = (uint8_t)next();
    uint8_t *enc;
    size_t n = sched_encode(&s, &enc);
    if (n > MAX_INPUT || nseeds == MAX_SEEDS)
        abort();
    memcpy(seeds[nseeds].b, enc, n);
    seeds[nseeds++].n = n;
    free(enc);
    free(s.bytes);
}

/* Offsets of a (possibly mutated) encoding, from its name length byte. */
static int layout(const buf *x, size_t *scen, size_t *plen_off, size_t *payload)
{
    if (x->n < 13)
        return -1;
    *scen = 13 + (size_t)x->b[12];
    *plen_off = *scen + 32;
    *payload = *plen_off + 8;
    return *payload <= x->n ? 0 : -1;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Makes the length and CRC fields agree with the bytes, so that mutations
 * of the fields behind the CRC reach the checks after it. */
static void fix_up(buf *x)
{
    size_t scen, plen_off, payload;
    if (layout(x, &scen, &plen_off, &payload) != 0)
        return;
    wr32(x->b + plen_off, (uint32_t)(x->n - payload));
    uint32_t crc = sched_crc32(0, x->b, plen_off + 4);
    crc = sched_crc32(crc, x->b + payload, x->n - payload);
    wr32(x->b + plen_off + 4, crc);
}

static const uint8_t interesting[] = {0, 1, 2, 7, 8, 0x20, 0x21, 0x40, 0x41, 0x7e, 0x7f,
                                      0x80, 0xfe, 0xff};

static void mutate(buf *x)
{
    switch (below(10)) {
    case 0: /* bit flip */
        if (x->n)
            x->b[below(x->n)] ^= (uint8_t)(1u << below(8));
        break;
    case 1: /* byte set */
        if (x->n)
            x->b[below(x->n)] = below(2) ? (uint8_t)next()
                                         : interesting[below(sizeof interesting)];
        break;
    case 2: /* truncate */
        x->n = below(x->n + 1);
        break;
    case 3: { /* extend */
        size_t k = 1 + below(64);
        for (size_t i = 0; i < k && x->n < MAX_INPUT; i++)
            x->b[x->n++] = (uint8_t)next();
        break;
    }
    case 4: { /* splice: our prefix, another seed's suffix */
        const buf *o = &seeds[below(nseeds)];
        size_t cut = below(x->n + 1), from = below(o->n + 1);
        size_t k = o->n - from;
        if (cut + k > MAX_INPUT)
            k = MAX_INPUT - cut;
        memcpy(x->b + cut, o->b + from, k);
        x->n = cut + k;
        break;
    }
    case 5: /* insert a byte */
        if (x->n < MAX_INPUT) {
            size_t at = below(x->n + 1);
            memmove(x->b + at + 1, x->b + at, x->n - at);
            x->b[at] = (uint8_t)next();
            x->n++;
        }
        break;
    case 6: /* delete a byte */
        if (x->n) {
            size_t at = below(x->n);
            memmove(x->b + at, x->b + at + 1, x->n - at - 1);
            x->n--;
        }
        break;
    case 7: { /* a header field to an edge value: version, flags, name length */
        static const size_t at[] = {8, 9, 10, 11, 12};
        size_t i = at[below(sizeof at / sizeof at[0])];
        if (i < x->n)
            x->b[i] = interesting[below(sizeof interesting)];
        break;
    }
    case 8: { /* a scenario or payload-length word to an edge value */
        size_t scen, plen_off, payload;
        if (layout(x, &scen, &plen_off, &payload) == 0) {
            static const uint32_t edge[] = {0, 1, 2, 3, 8, 9, 100, 1000, 1001, 100000000,
                                            SCHED_MAX_PAYLOAD, SCHED_MAX_PAYLOAD + 1,
                                            0x7fffffffu, 0xffffffffu};
            size_t w = below(9); /* 8 scenario words, then the payload length */
            wr32(x->b + scen + 4 * w, edge[below(sizeof edge / sizeof edge[0])]);
        }
        break;
    }
    default:
        fix_up(x);
        break;
    }
}

static void check_fixed_cases(void)
{
    /* the standard CRC-32 check value */
    if (sched_crc32(0, (const uint8_t *)"123456789", 9) != 0xcbf43926u) {
        fprintf(stderr, "fuzz_schedfile: sched_crc32 is not CRC-32/IEEE\n");
        abort();
    }
    /* every seed parses; known corruptions of the first one do not */
    for (size_t i = 0; i < nseeds; i++) {
        schedule s;
        char err[256];
        if (sched_parse(seeds[i].b, seeds[i].n, &s, err, sizeof err) != 0) {
            fprintf(stderr, "fuzz_schedfile: seed %zu does not parse: %s\n", i, err);
            abort();
        }
        sched_free(&s);
    }
    static const struct {
        size_t at;
        uint8_t v;
        int fix;
    } bad[] = {
        {0, 'X', 0},   /* magic */
        {8, 2, 0},     /* version 2, CRC not fixed: the version check is first */
        {8, 2, 1},     /* version 2, CRC fixed */
        {9, 1, 1},     /* version 0x0101 */
        {12, 0, 1},    /* name length 0 */
        {12, 65, 1},   /* name length above SCHED_NAME_MAX */
        {13, ' ', 1},  /* space in the name */
        {13, 0x7f, 1}, /* DEL in the name */
        {13, 0x80, 1}, /* high byte in the name */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf x = seeds[0];
        x.b[bad[i].at] = bad[i].v;
        if (bad[i].fix)
            fix_up(&x);
        schedule s;
        char err[256];
        if (sched_parse(x.b, x.n, &s, err, sizeof err) == 0) {
            fprintf(stderr, "fuzz_schedfile: corruption %zu (byte %zu = 0x%02x) parsed\n", i,
                    bad[i].at, bad[i].v);
            abort();
        }
    }
    /* trailing bytes, and a payload length past the end */
    buf x = seeds[0];
    x.b[x.n++] = 0;
    schedule s;
    char err[256];
    if (sched_parse(x.b, x.n, &s, err, sizeof err) == 0) {
        fprintf(stderr, "fuzz_schedfile: trailing byte accepted\n");
        abort();
    }
    x = seeds[0];
    size_t scen, plen_off, payload;
    if (layout(&x, &scen, &plen_off, &payload) != 0)
        abort();
    wr32(x.b + plen_off, SCHED_MAX_PAYLOAD + 1);
    if (sched_parse(x.b, x.n, &s, err, sizeof err) == 0) {
        fprintf(stderr, "fuzz_schedfile: oversized payload length accepted\n");
        abort();
    }
}

int main(int argc, char **argv)
{
    unsigned long iters = 200000;
    if (argc > 1) {
        char *end;
        iters = strtoul(argv[1], &end, 10);
        if (*end || !argv[1][0]) {
            fprintf(stderr, "usage: fuzz_schedfile [ITERATIONS]\n");
            return 2;
        }
    }

    static const char *const names[] = {
        "go-stkbar@f90b48e~1", "go-stkbar@3f22ade", "a", "x@y~1!",
        "0123456789012345678901234567890123456789012345678901234567890123", /* 64 */
    };
    static const size_t plens[] = {0, 1, 4, 7, 41, 64, 255, 300};
    static const uint16_t flagv[] = {0, SCHED_FLAG_SCENARIO_IN_BYTES}; /* the valid ones */
    sr_scenario base = {1, 16, 100, 20, 50, 0, SR_DELIVER_MIXED, 200000};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (size_t j = 0; j < sizeof plens / sizeof plens[0]; j += 1 + (i % 2)) {
            sr_scenario sc = base;
            sc.mutators = 1 + (uint32_t)(i + j) % 8;
            sc.delivery = (sr_delivery)((i + j) % 3);
            sc.barrier_spacing = (uint32_t)(j % 2) * 1024;
            sc.max_steps = (uint32_t)next();
            add_seed(names[i], flagv[(i + j) % 2], sc, plens[j]);
        }
    check_fixed_cases();

    unsigned long ok = 0, changed_ok = 0;
    buf cur = seeds[0];
    for (unsigned long it = 0; it < iters; it++) {
        /* mostly a fresh seed; sometimes keep stacking on the last input */
        if (below(4) != 0)
            cur = seeds[below(nseeds)];
        size_t k = 1 + below(4);
        for (size_t m = 0; m < k; m++)
            mutate(&cur);
        if (below(3) == 0)
            fix_up(&cur);
        uint8_t *in = malloc(cur.n ? cur.n : 1); /* exactly the input's size */
        if (!in)
            abort();
        memcpy(in, cur.b, cur.n);
        LLVMFuzzerTestOneInput(in, cur.n);
        schedule s;
        char err[256];
        if (sched_parse(in, cur.n, &s, err, sizeof err) == 0) {
            ok++;
            int is_seed = 0;
            for (size_t i = 0; i < nseeds && !is_seed; i++)
                is_seed = seeds[i].n == cur.n && memcmp(seeds[i].b, in, cur.n) == 0;
            changed_ok += !is_seed;
            sched_free(&s);
        }
        free(in);
    }
    printf("fuzz_schedfile: %lu iterations from %zu seeds, %lu parsed OK (%lu of them "
           "mutated)\n",
           iters, nseeds, ok, changed_ok);
    if (iters >= 1000 && changed_ok == 0) {
        fprintf(stderr, "fuzz_schedfile: no mutated input ever parsed; the fix-up is broken\n");
        return 1;
    }
    return 0;
}
#endif
