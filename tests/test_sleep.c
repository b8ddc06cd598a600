/* SPDX-License-Identifier: MIT */
/*
 * test_sleep.c: goro_sleep and the per-P timer heaps.
 *  - a sleep lasts at least its duration (goroutine and plain thread);
 *  - d <= 0 returns at once;
 *  - many goroutines sleeping different durations all wake, none early,
 *    and in roughly the order of their deadlines;
 *  - sleepers wake while other goroutines keep the Ps busy yielding.
 */
// ctest-labels: sched
#include <stdatomic.h>
#include "testutil.h"

static goro_waitgroup wg;
static _Atomic long early, woke;
static _Atomic int stop;

static void sleeper(void *arg)
{
    int64_t d = (int64_t)(long)arg;
    int64_t t0 = goro_now();
    goro_sleep(d);
    if (goro_now() - t0 < d)
        atomic_fetch_add(&early, 1);
    atomic_fetch_add(&woke, 1);
    goro_waitgroup_done(&wg);
}

static void yielder(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        goro_yield();
    goro_waitgroup_done(&wg);
}

int main(void)
{
    int64_t t0 = goro_now();
    goro_sleep(2 * GORO_MILLISECOND);
    CHECK(goro_now() - t0 >= 2 * GORO_MILLISECOND);
    t0 = goro_now();
    goro_sleep(0);
    goro_sleep(-5);
    CHECK(goro_now() - t0 < GORO_SECOND);

    long n = scaled(10000, 20);
    goro_waitgroup_add(&wg, n);
    for (long i = 0; i < n; i++)
        CHECK(goro_go(sleeper, (void *)(long)((i % 50) * 100 * GORO_MICROSECOND)) == 0);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&early), 0);
    CHECK_EQ(atomic_load(&woke), n);

    /* Busy Ps still run their timers. */
    goro_waitgroup_add(&wg, 2);
    CHECK(goro_go(yielder, NULL) == 0);
    CHECK(goro_go(yielder, NULL) == 0);
    atomic_store(&woke, 0);
    for (int i = 0; i < 100; i++) {
        goro_waitgroup_add(&wg, 1);
        CHECK(goro_go(sleeper, (void *)(long)(GORO_MILLISECOND)) == 0);
    }
    while (atomic_load(&woke) < 100)
        goro_sleep(GORO_MILLISECOND);
    atomic_store(&stop, 1);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&early), 0);
    TEST_PASS("test_sleep");
}
