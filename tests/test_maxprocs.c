/* SPDX-License-Identifier: MIT */
/*
 * test_maxprocs.c: GOMAXPROCS.
 *  - the default honours GOROMAXPROCS (CTest runs this at 1 and 2);
 *  - goro_maxprocs returns the previous value, n <= 0 only queries;
 *  - changing it up and down while goroutines yield, sleep and spawn loses
 *    and duplicates nothing (every goroutine counted exactly once);
 *  - goro_num_cpu is at least 1.
 */
// ctest-labels: sched
#include <stdatomic.h>
#include "testutil.h"

static _Atomic long done_count, work;
static goro_waitgroup wg;

static void worker(void *arg)
{
    long rounds = (long)arg;
    for (long i = 0; i < rounds; i++) {
        atomic_fetch_add(&work, 1);
        if (i % 7 == 0)
            goro_sleep(10 * GORO_MICROSECOND);
        else
            goro_yield();
    }
    atomic_fetch_add(&done_count, 1);
    goro_waitgroup_done(&wg);
}

int main(void)
{
    const char *env = getenv("GOROMAXPROCS");
    int start = goro_maxprocs(0);
    if (env)
        CHECK_EQ(start, atoi(env));
    CHECK(goro_num_cpu() >= 1);
    CHECK_EQ(goro_maxprocs(-1), start);

    long n = scaled(200, 10), rounds = scaled(2000, 20);
    goro_waitgroup_add(&wg, n);
    for (long i = 0; i < n; i++)
        CHECK(goro_go(worker, (void *)rounds) == 0);
    int sizes[] = { 4, 1, 3, 2, 8, 1, 2 };
    int prev = start;
    for (int k = 0; k < 40; k++) {
        int want = sizes[k % 7];
        CHECK_EQ(goro_maxprocs(want), prev);
        prev = want;
        goro_sleep(GORO_MILLISECOND);
    }
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&done_count), n);
    CHECK_EQ(atomic_load(&work), n * rounds);
    CHECK_EQ(goro_maxprocs(start), prev);
    TEST_PASS("test_maxprocs");
}
