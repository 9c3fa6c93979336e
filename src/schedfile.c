/* schedfile.c — parse and write schedule files (format in schedfile.h). */
#include "schedfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char MAGIC[8] = {'S', 'R', 'S', 'C', 'H', 'E', 'D', '\n'};

uint32_t sched_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int sched_parse(const uint8_t *buf, size_t len, schedule *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (len < sizeof MAGIC || memcmp(buf, MAGIC, sizeof MAGIC) != 0)
        FAIL("not a stackrace schedule file (bad magic)");
    if (len < 13)
        FAIL("truncated schedule file (header)");
    unsigned version = (unsigned)buf[8] | (unsigned)buf[9] << 8;
    if (version != SCHED_VERSION)
        FAIL("unsupported schedule format version %u (this stackrace reads version %d)",
             version, SCHED_VERSION);
    out->flags = (uint16_t)(buf[10] | buf[11] << 8);
    if (out->flags & ~SCHED_FLAG_SCENARIO_IN_BYTES)
        FAIL("corrupt schedule file (unknown flags 0x%x)", out->flags);
    size_t nlen = buf[12];
    if (nlen == 0 || nlen > SCHED_NAME_MAX)
        FAIL("corrupt schedule file (target name length %zu)", nlen);
    size_t off = 13 + nlen;
    if (len < off + 32 + 8)
        FAIL("truncated schedule file (header)");
    memcpy(out->target, buf + 13, nlen);
    for (size_t i = 0; i < nlen; i++)
        if (out->target[i] < 0x21 || out->target[i] > 0x7e)
            FAIL("corrupt schedule file (target name)");
    uint32_t f[8];
    for (int i = 0; i < 8; i++)
        f[i] = rd32(buf + off + 4 * (size_t)i);
    off += 32;
    uint32_t plen = rd32(buf + off), crc = rd32(buf + off + 4);
    if (plen > SCHED_MAX_PAYLOAD)
        FAIL("corrupt schedule file (payload length %u)", plen);
    if (len < off + 8 + plen)
        FAIL("truncated schedule file (%zu of %zu payload bytes)", len - off - 8, (size_t)plen);
    if (len > off + 8 + plen)
        FAIL("corrupt schedule file (%zu trailing bytes)", len - off - 8 - plen);
    uint32_t want = sched_crc32(0, buf, off + 4);
    want = sched_crc32(want, buf + off + 8, plen);
    if (want != crc)
        FAIL("corrupt schedule file (checksum mismatch)");
    out->sc = (sr_scenario){f[0], f[1], f[2], f[3], f[4], f[5], (sr_delivery)f[6], f[7]};
    out->len = plen;
    out->bytes = malloc(plen ? plen : 1);
    if (!out->bytes)
        FAIL("out of memory");
    memcpy(out->bytes, buf + off + 8, plen);
    return 0;
}

size_t sched_encode(const schedule *s, uint8_t **out)
{
    size_t nlen = strlen(s->target);
    size_t n = 13 + nlen + 32 + 8 + s->len;
    uint8_t *b = calloc(1, n);
    if (!b)
        abort();
    memcpy(b, MAGIC, sizeof MAGIC);
    b[8] = SCHED_VERSION & 0xff;
    b[9] = SCHED_VERSION >> 8;
    b[10] = (uint8_t)s->flags;
    b[11] = (uint8_t)(s->flags >> 8);
    b[12] = (uint8_t)nlen;
    memcpy(b + 13, s->target, nlen);
    size_t off = 13 + nlen;
    const sr_scenario *c = &s->sc;
    uint32_t f[8] = {c->mutators, c->program_len, c->scan_rate, c->signal_rate,
                     c->switch_rate, c->barrier_spacing, (uint32_t)c->delivery, c->max_steps};
    for (int i = 0; i < 8; i++)
        wr32(b + off + 4 * (size_t)i, f[i]);
    off += 32;
    wr32(b + off, (uint32_t)s->len);
    if (s->len)
        memcpy(b + off + 8, s->bytes, s->len);
    uint32_t crc = sched_crc32(0, b, off + 4);
    crc = sched_crc32(crc, b + off + 8, s->len);
    wr32(b + off + 4, crc);
    *out = b;
    return n;
}

int sched_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        FAIL("cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > SCHED_MAX_PAYLOAD + 4096) {
                free(b);
                fclose(f);
                FAIL("%s is too large to be a schedule", path);
            }
            cap *= 2;
            b = realloc(b, cap);
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        FAIL("cannot read %s", path);
    }
    *buf = b;
    *len = n;
    return 0;
}

int sched_write_file(const char *path, const schedule *s, char *err, size_t errlen)
{
    uint8_t *b;
    size_t n = sched_encode(s, &b);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        free(b);
        FAIL("cannot write %s: %s", tmp, strerror(errno));
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, b + done, n - done);
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            free(b);
            FAIL("cannot write %s: %s", tmp, strerror(errno));
        }
        done += (size_t)w;
    }
    free(b);
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        FAIL("cannot write %s: %s", path, strerror(errno));
    }
    return 0;
}

void sched_free(schedule *s)
{
    free(s->bytes);
    s->bytes = NULL;
}
