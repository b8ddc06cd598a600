// SPDX-License-Identifier: MIT
// ctest-labels: time
/*
 * test_timer_shared.c: goroutines stop and reset one timer concurrently,
 * as Go allows. goro_timer_stop/reset/free drain the timer's channel
 * under the timer's own runtime lock; they once drained it with the
 * public goro_chan_try_recv, whose preemption point could yield with the
 * lock held. The goroutine then resumed on another thread still holding
 * it (GORO_DEBUG's lock-rank check aborted in the soak), and a goroutine
 * of the same P that called stop or reset meanwhile blocked the thread on
 * the lock, the holder queued behind it: at GOMAXPROCS=1 nothing ran
 * again. Each goroutine also spins between calls so that its slice ends
 * (sysmon's preemption) inside them.
 *
 * Then a ticker nobody reads, beside goroutines whose slices end: its
 * callback's send finds the channel full, and the public try_send's
 * preemption point yielded from inside the scheduler (the callback runs
 * on a stopping goroutine's stack, in the middle of its switch): a nested
 * switch (GORO_DEBUG's switch-out check aborted in 2 of 2 runs).
 */
#include <stdatomic.h>
#include "testutil.h"

static goro_timer *shared;
static _Atomic long calls;
static int64_t until;

static void spin_us(int us)
{
    int64_t end = goro_now() + us * GORO_MICROSECOND;
    while (goro_now() < end)
        ;
}

static void stopper(void *arg)
{
    (void)arg;
    while (goro_now() < until) {
        goro_timer_stop(shared);
        spin_us(50);
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    }
}

static void resetter(void *arg)
{
    (void)arg;
    while (goro_now() < until) {
        goro_timer_reset(shared, GORO_SECOND * 3600);
        spin_us(50);
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    }
}

static void slice_ender(void *arg)
{
    (void)arg;
    while (goro_now() < until) {
        spin_us(11000);   /* past the 10 ms slice: sysmon sets preempt */
        goro_yield();
    }
}

int main(void)
{
    shared = goro_timer_new(GORO_SECOND * 3600);
    CHECK(shared);
    until = goro_now() + scaled(2000, 2) * GORO_MILLISECOND;
    goro_waitgroup wg = { 0 };
    for (int i = 0; i < 2; i++) {
        CHECK(goro_waitgroup_go(&wg, stopper, NULL) == 0);
        CHECK(goro_waitgroup_go(&wg, resetter, NULL) == 0);
    }
    if (goro_waitgroup_wait_until(&wg, until + 20 * GORO_SECOND) != 0) {
        fprintf(stderr, "stop/reset of one timer stuck after %ld calls\n", atomic_load(&calls));
        goro_dump(stderr);
        return 1;
    }
    goro_timer_free(shared);
    printf("ok: %ld stops and resets of one timer\n", atomic_load(&calls));

    goro_ticker *tk = goro_ticker_new(20 * GORO_MICROSECOND);
    CHECK(tk);
    until = goro_now() + scaled(1000, 2) * GORO_MILLISECOND;
    for (int i = 0; i < 2; i++)
        CHECK(goro_waitgroup_go(&wg, slice_ender, NULL) == 0);
    CHECK(goro_waitgroup_wait_until(&wg, until + 20 * GORO_SECOND) == 0);
    goro_ticker_free(tk);
    printf("ok: an unread ticker beside goroutines whose slices end\n");
    return 0;
}
