/* SPDX-License-Identifier: MIT */
/*
 * san_switch.h: what the context-switch path tells ASan, TSan and Valgrind.
 *
 * Every switch is bracketed: san_switch_begin() just before the stack
 * changes (on the old stack), san_switch_end() just after (on the new one).
 * ASan learns the target stack's bounds and keeps a fake stack per fiber;
 * TSan switches fibers without synchronising (happens-before edges come
 * only from goro's own objects, see wait.c); Valgrind learns every stack
 * when it is carved (stack.c). All of it compiles to nothing otherwise.
 */
#ifndef GORO_SAN_SWITCH_H
#define GORO_SAN_SWITCH_H

#include "sched/runtime.h"

#if GORO_ASAN
#include <sanitizer/common_interface_defs.h>
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

#endif
