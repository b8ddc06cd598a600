/*
 * lock.c: futex wait/wake and the slow path of goro__lock (see lock.h).
 * Deadlines are absolute CLOCK_MONOTONIC nanoseconds; INT64_MAX = none.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

void goro__futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t deadline)
{
    struct timespec ts, *tp = NULL;
    if (deadline != INT64_MAX) {
        ts.tv_sec = deadline / 1000000000;
        ts.tv_nsec = deadline % 1000000000;
        tp = &ts;
    }
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline. */
    int saved = errno;
    syscall(SYS_futex, addr, FUTEX_WAIT_BITSET_PRIVATE, val, tp, NULL,
            FUTEX_BITSET_MATCH_ANY);
    errno = saved;
}

void goro__futex_wake(_Atomic uint32_t *addr, int n)
{
    int saved = errno;
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
    errno = saved;
}

void goro__lock_slow(goro__lock *l)
{
    for (int i = 0; i < 100; i++) {
        uint32_t z = 0;
        if (atomic_load_explicit(&l->state, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(&l->state, &z, 1,
                memory_order_acquire, memory_order_relaxed))
            return;
        goro__cpu_relax();
    }
    while (atomic_exchange_explicit(&l->state, 2, memory_order_acquire) != 0)
        goro__futex_wait(&l->state, 2, INT64_MAX);
}
