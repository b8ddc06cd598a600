/* SPDX-License-Identifier: MIT */
/*
 * test_wait.c: the blocking primitive (src/wait/wait.h).
 *  - a plain thread blocked in goro__waiter_block is woken by a goroutine,
 *    and receives the result the waker wrote;
 *  - a wakeup that arrives before the block is not lost (thread and
 *    goroutine);
 *  - deadlines: a plain thread and a goroutine time out with
 *    GORO_ETIMEDOUT, no earlier than the deadline;
 *  - exactly once: many sources race to claim one waiter; one wins, the
 *    waiter is woken once, over many rounds.
 */
// ctest-labels: sched
#include <stdatomic.h>
#include "testutil.h"
#include "wait/wait.h"

static goro__waiter *_Atomic target;
static goro_waitgroup wg;

static void waker(void *arg)
{
    (void)arg;
    goro__waiter *w;
    while (!(w = atomic_load(&target)))
        goro_yield();
    goro_sleep(GORO_MILLISECOND);   /* let the thread really sleep */
    CHECK(goro__waiter_claim(w));
    w->result = 42;
    goro__waiter_wake(w);
}

static _Atomic int wins;

static void racer(void *arg)
{
    goro__waiter *w = arg;
    if (goro__waiter_claim(w)) {
        atomic_fetch_add(&wins, 1);
        w->result = 7;
        goro__waiter_wake(w);
    }
    goro_waitgroup_done(&wg);
}

static void race_rounds(void *arg)
{
    long rounds = (long)arg;
    for (long r = 0; r < rounds; r++) {
        goro__waiter w;
        goro__waiter_init(&w);
        atomic_store(&wins, 0);
        goro_waitgroup_add(&wg, 4);
        for (int i = 0; i < 4; i++)
            CHECK(goro_go(racer, &w) == 0);
        CHECK_EQ(goro__waiter_block(&w, GORO_FOREVER, GORO_WAIT_NONE, NULL), 7);
        goro_waitgroup_wait(&wg);   /* racers done: w may die now */
        CHECK_EQ(atomic_load(&wins), 1);
    }
}

static void goroutine_timeouts(void *arg)
{
    (void)arg;
    goro__waiter w;
    goro__waiter_init(&w);
    int64_t t0 = goro_now();
    CHECK_EQ(goro__waiter_block(&w, t0 + 5 * GORO_MILLISECOND, GORO_WAIT_NONE, NULL), GORO_ETIMEDOUT);
    CHECK(goro_now() - t0 >= 5 * GORO_MILLISECOND);
    /* Already past. */
    goro__waiter_init(&w);
    CHECK_EQ(goro__waiter_block(&w, t0, GORO_WAIT_NONE, NULL), GORO_ETIMEDOUT);
    /* Woken before blocking. */
    goro__waiter_init(&w);
    CHECK(goro__waiter_claim(&w));
    w.result = 5;
    goro__waiter_wake(&w);
    CHECK_EQ(goro__waiter_block(&w, GORO_FOREVER, GORO_WAIT_NONE, NULL), 5);
}

int main(void)
{
    goro_maxprocs(0);   /* start the runtime */
    goro__waiter w;
    goro__waiter_init(&w);
    CHECK(w.g == NULL);
    CHECK(goro_go(waker, NULL) == 0);
    atomic_store(&target, &w);
    CHECK_EQ(goro__waiter_block(&w, GORO_FOREVER, GORO_WAIT_NONE, NULL), 42);

    goro__waiter_init(&w);
    CHECK(goro__waiter_claim(&w));
    w.result = 3;
    goro__waiter_wake(&w);
    CHECK_EQ(goro__waiter_block(&w, GORO_FOREVER, GORO_WAIT_NONE, NULL), 3);

    goro__waiter_init(&w);
    int64_t t0 = goro_now();
    CHECK_EQ(goro__waiter_block(&w, t0 + 5 * GORO_MILLISECOND, GORO_WAIT_NONE, NULL), GORO_ETIMEDOUT);
    CHECK(goro_now() - t0 >= 5 * GORO_MILLISECOND);

    run_main(goroutine_timeouts, NULL);
    run_main(race_rounds, (void *)scaled(20000, 50));
    TEST_PASS("test_wait");
}
