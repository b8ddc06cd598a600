/* SPDX-License-Identifier: MIT */
/*
 * test_lockthread.c: goro_lock_os_thread / goro_unlock_os_thread.
 *  - a wired goroutine always resumes on its own thread, across sleeps and
 *    yields, while other goroutines keep running;
 *  - calls nest; after the last unlock it may move again;
 *  - a goroutine that ends while wired takes its thread with it, and the
 *    runtime carries on;
 *  - both are no-ops on a plain thread.
 */
// ctest-labels: sched
#include <pthread.h>
#include <stdatomic.h>
#include "testutil.h"

static goro_waitgroup wg;
static _Atomic long others;
static _Atomic int stop;

static void busy(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        atomic_fetch_add(&others, 1);
        goro_sleep(50 * GORO_MICROSECOND);
    }
    goro_waitgroup_done(&wg);
}

static void wired(void *arg)
{
    (void)arg;
    goro_lock_os_thread();
    goro_lock_os_thread();
    pthread_t me = pthread_self();
    for (int i = 0; i < 300; i++) {
        if (i % 3)
            goro_sleep(20 * GORO_MICROSECOND);
        else
            goro_yield();
        CHECK(pthread_equal(me, pthread_self()));
    }
    goro_unlock_os_thread();
    for (int i = 0; i < 20; i++) {
        goro_yield();
        CHECK(pthread_equal(me, pthread_self()));   /* still wired once */
    }
    goro_unlock_os_thread();
    goro_unlock_os_thread();   /* unmatched: ignored */
    goro_waitgroup_done(&wg);
}

static void dies_wired(void *arg)
{
    (void)arg;
    goro_lock_os_thread();
    goro_sleep(GORO_MILLISECOND);
    goro_waitgroup_done(&wg);
}

int main(void)
{
    goro_lock_os_thread();
    goro_unlock_os_thread();
    goro_waitgroup_add(&wg, 4);
    CHECK(goro_go(busy, NULL) == 0);
    CHECK(goro_go(busy, NULL) == 0);
    CHECK(goro_go(wired, NULL) == 0);
    CHECK(goro_go(dies_wired, NULL) == 0);
    /* The others make progress while a goroutine is wired (waiting for it,
     * not for a fixed time: under Valgrind threads take turns). */
    long before = atomic_load(&others);
    for (int i = 0; i < 5000 && atomic_load(&others) <= before + 10; i++)
        goro_sleep(GORO_MILLISECOND);
    CHECK(atomic_load(&others) > before + 10);
    /* wired and dies_wired finish by themselves; stop the busy ones. */
    goro_sleep(30 * GORO_MILLISECOND);
    atomic_store(&stop, 1);
    goro_waitgroup_wait(&wg);

    /* The runtime still works after a thread went away. */
    atomic_store(&stop, 0);
    goro_waitgroup_add(&wg, 1);
    CHECK(goro_go(busy, NULL) == 0);
    goro_sleep(GORO_MILLISECOND);
    atomic_store(&stop, 1);
    goro_waitgroup_wait(&wg);
    TEST_PASS("test_lockthread");
}
