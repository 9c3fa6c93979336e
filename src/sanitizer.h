/*
 * sanitizer.h — keeping the engine's own bookkeeping out of
 * ThreadSanitizer's view.
 *
 * Under TSan every actor is a fiber that TSan treats as a thread, switched
 * with no synchronization (fiber.c), so that the only happens-before TSan
 * sees is what the model creates. The engine's sources are not instrumented
 * (src/tsan-ignore.txt), but the libc calls they make (memcpy, realloc,
 * vsnprintf) are intercepted and checked: ENGINE_QUIET_BEGIN/END bracket
 * them. And the main fiber, which reuses the actors' memory between
 * executions, joins them: every actor releases a token when it stops
 * running, the main fiber acquires it when the execution ends. Actors never
 * acquire it, so it orders nothing between actors. What TSan must see is
 * the model: its plain accesses (ENGINE_TSAN_READ/WRITE on the real memory
 * of the target state and the stacks) and its synchronization (model locks,
 * atomics, remote suspension: ENGINE_TSAN_ACQUIRE/RELEASE).
 */
#ifndef STACKRACE_SANITIZER_H
#define STACKRACE_SANITIZER_H

#if defined(__SANITIZE_THREAD__)
#define ENGINE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ENGINE_TSAN 1
#endif
#endif

#ifdef ENGINE_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
extern char engine_tsan_join;
#define ENGINE_JOIN_RELEASE() __tsan_release(&engine_tsan_join)
#define ENGINE_JOIN_ACQUIRE() __tsan_acquire(&engine_tsan_join)
#define ENGINE_QUIET_BEGIN() __tsan_ignore_thread_begin()
#define ENGINE_QUIET_END() __tsan_ignore_thread_end()
/* Model synchronization, the only edges between actors TSan should see. */
#define ENGINE_TSAN_ACQUIRE(addr) __tsan_acquire((void *)(addr))
#define ENGINE_TSAN_RELEASE(addr) __tsan_release((void *)(addr))
/* Model data accesses, the only accesses TSan should check. */
void __tsan_read8(void *addr);
void __tsan_write8(void *addr);
#define ENGINE_TSAN_READ(addr) __tsan_read8((void *)(addr))
#define ENGINE_TSAN_WRITE(addr) __tsan_write8((void *)(addr))
#else
#define ENGINE_TSAN_READ(addr) ((void)0)
#define ENGINE_TSAN_WRITE(addr) ((void)0)
#define ENGINE_TSAN_ACQUIRE(addr) ((void)0)
#define ENGINE_TSAN_RELEASE(addr) ((void)0)
#define ENGINE_JOIN_RELEASE() ((void)0)
#define ENGINE_JOIN_ACQUIRE() ((void)0)
#define ENGINE_QUIET_BEGIN() ((void)0)
#define ENGINE_QUIET_END() ((void)0)
#endif

/* A sanitizer build runs several times slower (ASan about 2x, TSan 5-15x):
 * the native engine's time limits on a walk scale by ENGINE_SLOWDOWN, so
 * that a slow but correct walker is not stopped as a hung one. */
#if defined(ENGINE_TSAN) || defined(__SANITIZE_ADDRESS__)
#define ENGINE_SLOWDOWN 10
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ENGINE_SLOWDOWN 10
#endif
#endif
#ifndef ENGINE_SLOWDOWN
#define ENGINE_SLOWDOWN 1
#endif

#endif
