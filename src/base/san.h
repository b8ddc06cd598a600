/* SPDX-License-Identifier: MIT */
/*
 * san.h: what the runtime tells ThreadSanitizer: runtime code runs with
 * its memory accesses ignored, and goro's own synchronisation makes the
 * happens-before edges. The context switch's annotations are the
 * scheduler's (sched/san_switch.h). All of it compiles to nothing without
 * TSan.
 */
#ifndef GORO_SAN_H
#define GORO_SAN_H

#include "base/config.h"

#if GORO_TSAN
#include <sanitizer/tsan_interface.h>
#endif

/* TSan: the library is compiled uninstrumented, but the libc functions it
 * calls (memcpy, realloc, clock_gettime, ...) are intercepted and checked.
 * Runtime code therefore runs with the current fiber's memory accesses
 * ignored: SAN_RUNTIME_SCOPE at the top of a public call ignores them until
 * the call returns (the count is per fiber, so parking inside is fine);
 * M threads ignore them for good on their scheduler context. */
#if GORO_TSAN
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
static inline void san_scope_end_(int *unused)
{
    (void)unused;
    __tsan_ignore_thread_end();
}
#define SAN_RUNTIME_SCOPE \
    __tsan_ignore_thread_begin(); \
    int san_scope_ __attribute__((cleanup(san_scope_end_), unused)) = 0
#define san_ignore_begin() __tsan_ignore_thread_begin()
#define san_ignore_end() __tsan_ignore_thread_end()
#else
#define SAN_RUNTIME_SCOPE do { } while (0)
#define san_ignore_begin() do { } while (0)
#define san_ignore_end() do { } while (0)
#endif

/* Happens-before edges for goro's own synchronisation (no-ops without TSan). */
static inline void san_release(void *addr)
{
#if GORO_TSAN
    __tsan_release(addr);
#endif
    (void)addr;
}

static inline void san_acquire(void *addr)
{
#if GORO_TSAN
    __tsan_acquire(addr);
#endif
    (void)addr;
}

#endif
