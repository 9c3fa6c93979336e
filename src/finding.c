/* finding.c — check names and finding signatures. */
#include "finding.h"

#include <stdio.h>

#include "rng.h"

const char *finding_check_name(int check)
{
    static const char *const names[CHECK_NKINDS] = {
        "none", "target-assert", "walk-oracle", "rewriter",
        "self-deadlock", "deadlock", "hang", "data-race", "model-misuse", "target-check",
    };
    return check >= 0 && check < CHECK_NKINDS ? names[check] : "unknown";
}

const char *finding_check(const finding *f)
{
    return f->check == CHECK_TARGET_CHECK && f->check_name[0] ? f->check_name
                                                                : finding_check_name(f->check);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return rng_mix(h ^ 0xff);
}

void finding_signature(const finding *f, const char *target, char *out, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)f->check;
    h = hash_str(h, target);
    h = hash_str(h, f->message);
    h = hash_str(h, f->location);
    if (f->check == CHECK_TARGET_CHECK)
        h = hash_str(h, f->check_name);
    snprintf(out, len, "%s-%016llx", finding_check(f), (unsigned long long)h);
}
