/* SPDX-License-Identifier: MIT */
/*
 * test_yield.c: goro_yield fairness and the run-queue order.
 *  - N goroutines that only yield all make progress, and when the first
 *    reaches its quota each has had at least a tenth of it;
 *  - on one P, two yielding goroutines strictly alternate;
 *  - goro_yield on a plain thread returns.
 */
// ctest-labels: sched
#include <stdatomic.h>
#include "testutil.h"

#define N 8
static _Atomic long count[N];
static _Atomic int stop;
static goro_waitgroup wg;

static _Atomic int started;   /* all spawned: counting starts together */

static void spinner(void *arg)
{
    int i = *(int *)arg;
    while (!atomic_load(&started))
        goro_yield();
    while (!atomic_load(&stop)) {
        atomic_fetch_add(&count[i], 1);
        goro_yield();
    }
    goro_waitgroup_done(&wg);
}

static void watcher(void *arg)
{
    long quota = (long)arg;
    atomic_store(&started, 1);
    /* Everyone runs eventually ... */
    for (int i = 0; i < N; i++)
        while (atomic_load(&count[i]) == 0)
            goro_yield();
    /* ... and, on one P (where the scheduler alone decides, not the OS
     * scheduling several Ms on a loaded machine or under Valgrind), gets a
     * fair share meanwhile. */
    for (;;) {
        for (int i = 0; i < N; i++)
            if (atomic_load(&count[i]) >= quota) {
                long min = quota;
                for (int k = 0; k < N; k++)
                    if (atomic_load(&count[k]) < min)
                        min = atomic_load(&count[k]);
                if (goro_maxprocs(0) == 1)
                    CHECK(min >= quota / 10);
                atomic_store(&stop, 1);
                return;
            }
        goro_yield();
    }
}

static int trace[64];
static _Atomic int ntrace;

static void alternator(void *arg)
{
    int id = *(int *)arg;
    for (int i = 0; i < 16; i++) {
        trace[atomic_fetch_add(&ntrace, 1)] = id;
        goro_yield();
    }
    goro_waitgroup_done(&wg);
}

static void alternate(void *arg)
{
    (void)arg;
    goro_waitgroup_add(&wg, 2);
    for (int id = 0; id < 2; id++)
        CHECK(goro_go_copy(alternator, &id, sizeof id) == 0);
    goro_waitgroup_wait(&wg);
}

int main(void)
{
    goro_yield();
    goro_waitgroup_add(&wg, N);
    for (int i = 0; i < N; i++)
        CHECK(goro_go_copy(spinner, &i, sizeof i) == 0);
    run_main(watcher, (void *)scaled(20000, 20));
    goro_waitgroup_wait(&wg);

    if (goro_maxprocs(0) == 1) {
        run_main(alternate, NULL);
        CHECK_EQ(atomic_load(&ntrace), 32);
        for (int i = 1; i < 32; i++)
            CHECK(trace[i] != trace[i - 1]);
    }
    TEST_PASS("test_yield");
}
