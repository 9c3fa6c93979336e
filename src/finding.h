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
    CHECK_TARGET_CHECK,   /* a check of the target's own (sr_fail), named by it */
    CHECK_NKINDS
} check_kind;

#define FINDING_CHECK_NAME_MAX 32

typedef struct finding {
    int check;
    char check_name[FINDING_CHECK_NAME_MAX]; /* CHECK_TARGET_CHECK: the target's name for it */
    char message[128];
    char location[64];
    char actor[32];
    char detail[512];
    uint64_t step;
} finding;

const char *finding_check_name(int check);
/* The finding's check as users see it: the target's own name for a
 * CHECK_TARGET_CHECK, else finding_check_name(f->check). */
const char *finding_check(const finding *f);
/* "<check>-<16 hex>", filename-safe. */
void finding_signature(const finding *f, const char *target, char *out, size_t len);
#endif
