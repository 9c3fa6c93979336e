/*
 * finding.h — a failed check, and the signature that deduplicates it.
 *
 * The signature hashes (check, target, message, top symbolic location): the
 * message must therefore be stable across schedules (no addresses or step
 * numbers in it; those go to `detail`), and the location is a function name
 * without offset.
 */
#ifndef STACKRACE_FINDING_H
#define STACKRACE_FINDING_H

#include <stddef.h>
#include <stdint.h>

typedef enum check_kind {
    CHECK_NONE = 0,
    CHECK_TARGET_ASSERT,  /* 1: the target's throw */
    CHECK_WALK,           /* 2: the walk oracle */
    CHECK_REWRITER,       /* 3: rewriter bookkeeping */
    CHECK_SELF_DEADLOCK,  /* 4: a handler blocks on the interrupted actor's lock */
    CHECK_DEADLOCK,       /* 4: no runnable actor */
    CHECK_HANG,           /* 4: step budget exceeded */
    CHECK_RACE,           /* 5: two unordered accesses, one a write */
    CHECK_MODEL,          /* the target misused the model API */
    CHECK_NKINDS
} check_kind;

typedef struct finding {
    int check;
    char message[128];
    char location[64];
    char actor[32];
    char detail[512];
    uint64_t step;
} finding;

const char *finding_check_name(int check);
/* "<check>-<16 hex>", filename-safe. */
void finding_signature(const finding *f, const char *target, char *out, size_t len);
#endif
