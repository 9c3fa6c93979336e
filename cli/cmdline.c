/* cmdline.c — what the commands share: loading inputs, naming targets,
 * errors, strict flag parsing, the clock. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry.h"
#include "scenario.h"

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("stackrace: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

const sr_target *cli_target(const char *name)
{
    const sr_target *t = registry_find(name);
    if (!t)
        cli_usage_error("unknown target '%s' (stackrace list shows the targets; a plug-in's "
                        "need --plugin)", name);
    return t;
}

int cli_load(const char *path, const char *raw_target, schedule *s)
{
    uint8_t *buf;
    size_t len;
    char err[256];
    if (sched_read_file(path, &buf, &len, err, sizeof err) != 0)
        return cli_usage_error("%s", err);
    int rc = 0;
    bool has_magic = len >= 8 && memcmp(buf, "SRSCHED\n", 8) == 0;
    if (raw_target && !has_magic) {
        /* a raw fuzzer input: the bytes are the schedule, scenario included */
        memset(s, 0, sizeof *s);
        snprintf(s->target, sizeof s->target, "%s", raw_target);
        s->flags = SCHED_FLAG_SCENARIO_IN_BYTES;
        s->bytes = buf;
        s->len = len;
        return 0;
    }
    if (sched_parse(buf, len, s, err, sizeof err) != 0) {
        rc = cli_usage_error("%s: %s", path, err);
    } else {
        const char *why = scenario_check(&s->sc);
        if (why) {
            rc = cli_usage_error("%s: bad scenario in header: %s", path, why);
            sched_free(s);
        }
    }
    free(buf);
    return rc;
}

int cli_load_for_target(const char *path, const char *target, schedule *s,
                        const sr_target **t)
{
    int rc = cli_load(path, target, s);
    if (rc)
        return rc;
    *t = cli_target(target ? target : s->target);
    if (!*t) {
        sched_free(s);
        return 2;
    }
    return 0;
}

bool cli_parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9') /* no sign, no leading space */
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

bool cli_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    uint64_t v;
    if (!cli_parse_u64(s, &v) || v < lo || v > hi)
        return false;
    *out = (uint32_t)v;
    return true;
}

bool cli_parse_seconds(const char *s, double *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v > 0) || v > 1e7)
        return false;
    *out = v;
    return true;
}
