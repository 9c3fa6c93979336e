/*
 * check.h — the tests' checks: CHECK counts a failure and says where, RUN
 * runs one test function and says whether it passed, SKIP ends a test that
 * cannot run here (and says why), harness_exit ends.
 *
 * A test binary runs every test, or one: `test_x NAME` runs test_NAME only,
 * `test_x --list` prints the names (cmake/discover_tests.cmake makes each a
 * ctest entry of its own from that list). A run in which every test that
 * ran was skipped exits HARNESS_SKIPPED, which ctest reports as skipped
 * (SKIP_RETURN_CODE): a test that cannot run here never reads as a pass.
 */
#ifndef STACKRACE_TEST_CHECK_H
#define STACKRACE_TEST_CHECK_H
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { HARNESS_SKIPPED = 77 };

static int harness_failures;
static int harness_ran, harness_skips;
static bool harness_skipping; /* the current test called SKIP */
static bool harness_listing;
static const char *harness_only; /* a test name without "test_", or NULL */
static bool harness_only_found;

#define CHECK(cond, ...)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
            harness_failures++;                                                       \
        }                                                                             \
    } while (0)

/* Ends the current test as skipped; the reason is printed (a format). */
#define SKIP(...)                                                                     \
    do {                                                                              \
        printf("     skipped: ");                                                    \
        printf(__VA_ARGS__);                                                          \
        putchar('\n');                                                                \
        harness_skipping = true;                                                      \
        return;                                                                       \
    } while (0)

static inline bool harness_wants(const char *name)
{
    if (strncmp(name, "test_", 5) == 0)
        name += 5;
    if (harness_listing) {
        printf("%s\n", name);
        return false;
    }
    if (harness_only && strcmp(harness_only, name) != 0)
        return false;
    harness_only_found = true;
    return true;
}

#define RUN(test)                                                                     \
    do {                                                                              \
        if (!harness_wants(#test))                                                    \
            break;                                                                    \
        int before_ = harness_failures;                                               \
        harness_skipping = false;                                                     \
        test();                                                                       \
        harness_ran++;                                                                \
        if (harness_skipping && harness_failures == before_) {                        \
            harness_skips++;                                                          \
            printf("skip %s\n", #test);                                               \
        } else {                                                                      \
            printf("%s %s\n", harness_failures == before_ ? "ok  " : "FAIL", #test);  \
        }                                                                             \
        fflush(stdout);                                                               \
    } while (0)

/* Reads the command line: nothing (every test), NAME or --list. */
static inline void harness_init(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-' && strcmp(argv[1], "--list") != 0)) {
        fprintf(stderr, "usage: %s [--list | NAME]\n", argv[0]);
        exit(2);
    }
    if (argc == 2 && strcmp(argv[1], "--list") == 0)
        harness_listing = true;
    else if (argc == 2)
        harness_only = argv[1];
}

static inline int harness_exit(void)
{
    if (harness_listing)
        return 0;
    if (harness_only && !harness_only_found) {
        fprintf(stderr, "no test named %s (see --list)\n", harness_only);
        return 2;
    }
    if (harness_failures) {
        printf("FAILED\n");
        return 1;
    }
    if (harness_ran > 0 && harness_skips == harness_ran) {
        printf("skipped\n");
        return HARNESS_SKIPPED;
    }
    printf(harness_skips ? "all passed (%d skipped)\n" : "all passed\n", harness_skips);
    return 0;
}
#endif
