/* SPDX-License-Identifier: MIT */
/*
 * test_sleep.c: goro_sleep and the per-P timer heaps.
 *  - a sleep lasts at least its duration (goroutine and plain thread);
 *  - d <= 0 returns at once;
 *  - many goroutines sleeping different durations all wake, none early,
 *    and in roughly the order of their deadlines;
 *  - sleepers wake while other goroutines keep the Ps busy yielding;
 *  - precision, in the spirit of Go's TestSleep: sleeps of 1 us to 2 ms
 *    on an otherwise idle runtime never return early (checked on every
 *    sample) and are rarely late by more than a few hundred microseconds
 *    (checked loosely, on the median of each duration, so that a loaded
 *    machine does not fail it: a sample that lost its CPU is an outlier).
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

/* Median lateness of `n` sleeps of d (ns), each checked never early. */
static int64_t median_late(int64_t d, int n)
{
    int64_t late[64];
    for (int i = 0; i < n; i++) {
        int64_t t0 = goro_now();
        goro_sleep(d);
        late[i] = goro_now() - t0 - d;
        CHECK(late[i] >= 0);
    }
    return median_i64(late, n);
}

static void precision(void *arg)
{
    (void)arg;
    static const int64_t ds[] = {
        GORO_MICROSECOND, 10 * GORO_MICROSECOND, 100 * GORO_MICROSECOND,
        GORO_MILLISECOND, 2 * GORO_MILLISECOND,
    };
    bool slow = scaled(10, 10) == 1;
    int64_t bound = (slow ? 100 : 20) * GORO_MILLISECOND;
    for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++) {
        int64_t m = median_late(ds[k], slow ? 9 : 41);
        printf("sleep %lld us: median %lld us late\n",
               (long long)(ds[k] / 1000), (long long)(m / 1000));
        CHECK(m <= bound);
    }
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

    run_main(precision, NULL);
    TEST_PASS("test_sleep");
}
