/* SPDX-License-Identifier: MIT */
/*
 * san.h: what the context-switch path tells ASan, TSan and Valgrind.
 *
 * Every switch is bracketed: san_switch_begin() just before the stack
 * changes (on the old stack), san_switch_end() just after (on the new one).
 * ASan learns the target stack's bounds and keeps a fake stack per fiber;
 * TSan switches fibers without synchronising (happens-before edges come
 * only from goro's own objects, see wait.c); Valgrind learns every stack
 * when it is carved (stack.c). All of it compiles to nothing otherwise.
 */
#ifndef GORO_SAN_H
#define GORO_SAN_H

#include "sched/runtime.h"

#if GORO_ASAN
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif
#if GORO_TSAN
#include <sanitizer/tsan_interface.h>
#endif

/* Stack bounds of the goroutine g, or of m's own thread stack (g NULL). */
__attribute__((always_inline)) static inline void san_switch_begin(M *m, G *from, G *to, bool from_dies)
{
#if GORO_ASAN
    void **fake = from_dies ? NULL : (from ? &from->asan_fake : &m->asan_fake);
    if (to)
        __sanitizer_start_switch_fiber(fake, to->stack_lo, to->stack_size);
    else
        __sanitizer_start_switch_fiber(fake, m->g0_stack_lo, m->g0_stack_size);
#endif
#if GORO_TSAN
    __tsan_switch_to_fiber(to ? to->tsan_fiber : m->tsan_fiber,
                           __tsan_switch_to_fiber_no_sync);
#endif
    (void)m; (void)from; (void)to; (void)from_dies;
}

/* On the resumed side; `self` is the goroutine now running (NULL: g0),
 * first_run when it has never run before. */
__attribute__((always_inline)) static inline void san_switch_end(M *m, G *self, bool first_run)
{
#if GORO_ASAN
    const void *lo;
    size_t sz;
    void *fake = first_run ? NULL : (self ? self->asan_fake : m->asan_fake);
    __sanitizer_finish_switch_fiber(fake, &lo, &sz);
#endif
    (void)m; (void)self; (void)first_run;
}

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
