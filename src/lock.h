/*
 * lock.h: the runtime's own futex-based lock and futex helpers.
 *
 * The runtime never uses pthread mutexes internally: they would block a
 * whole thread without the scheduler knowing, and TSan would see them as
 * happens-before edges between unrelated goroutines. goro__lock is for
 * short critical sections in runtime code only; it spins briefly, then
 * sleeps on the futex. States: 0 free, 1 held, 2 held with sleepers.
 */
#ifndef GORO_LOCK_H
#define GORO_LOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

typedef struct goro__lock {
    _Atomic uint32_t state;
} goro__lock;

void goro__lock_slow(goro__lock *l);
void goro__futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t deadline);
void goro__futex_wake(_Atomic uint32_t *addr, int n);

static inline void goro__lock_acquire(goro__lock *l)
{
    uint32_t z = 0;
    if (!atomic_compare_exchange_strong_explicit(&l->state, &z, 1,
            memory_order_acquire, memory_order_relaxed))
        goro__lock_slow(l);
}

static inline int goro__lock_try(goro__lock *l)
{
    uint32_t z = 0;
    return atomic_compare_exchange_strong_explicit(&l->state, &z, 1,
            memory_order_acquire, memory_order_relaxed);
}

static inline void goro__lock_release(goro__lock *l)
{
    if (atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2)
        goro__futex_wake(&l->state, 1);
}

#endif
