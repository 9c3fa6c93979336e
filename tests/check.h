/*
 * check.h — the tests' checks: CHECK counts a failure and says where, RUN
 * runs one test function and says whether it passed, harness_exit ends.
 */
#ifndef STACKRACE_TEST_CHECK_H
#define STACKRACE_TEST_CHECK_H
#include <stdio.h>

static int harness_failures;

#define CHECK(cond, ...)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
            harness_failures++;                                                       \
        }                                                                             \
    } while (0)

#define RUN(test)                                                                     \
    do {                                                                              \
        int before_ = harness_failures;                                               \
        test();                                                                       \
        printf("%s %s\n", harness_failures == before_ ? "ok  " : "FAIL", #test);      \
    } while (0)

static inline int harness_exit(void)
{
    printf("%s\n", harness_failures ? "FAILED" : "all passed");
    return harness_failures ? 1 : 0;
}
#endif
