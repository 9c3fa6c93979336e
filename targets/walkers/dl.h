/*
 * dl.h — how a walker reaches a third-party unwinder: each library in its
 * own dlopen(RTLD_LOCAL) namespace, never linked. Several of them export the
 * same names (nongnu libunwind defines _Unwind_Backtrace and backtrace, as
 * libgcc_s and glibc do), and the first definition loaded would win every
 * call otherwise.
 */
#ifndef TARGETS_WALKERS_DL_H
#define TARGETS_WALKERS_DL_H
#include <stdbool.h>
#include <stddef.h>

/* Opens the first of the NULL-terminated names that loads; NULL (with why
 * filled) if none does. */
void *walker_dlopen(const char *const *names, char *why, size_t n);
/* Looks up each of the NULL-terminated names into the matching slot of
 * out; false (with why filled) if one is missing. */
bool walker_dlsyms(void *lib, const char *libname, const char *const *names, void **out,
                   char *why, size_t n);
#endif
