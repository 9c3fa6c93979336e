/*
 * signal_safety.h — whether the async-signal-safety check is built in
 * (signal_safety.c; not in sanitizer builds).
 */
#ifndef STRESS_SIGNAL_SAFETY_H
#define STRESS_SIGNAL_SAFETY_H
/* 1 when the executable carries the check; 0 (the weak default) if not. */
int signal_safety_checked(void) __attribute__((weak));
static inline int signal_safety_on(void) { return signal_safety_checked ? signal_safety_checked() : 0; }
#endif
