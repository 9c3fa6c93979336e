/* builtin.h — registering the built-in targets (registry.h). */
#ifndef STACKRACE_BUILTIN_H
#define STACKRACE_BUILTIN_H
void builtin_register(void);
#endif
