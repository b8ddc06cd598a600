/* SPDX-License-Identifier: MIT */
/*
 * test_timer.c: goro_after, timers, tickers, goro_after_func.
 *  - goro_after delivers the fire time once, not before d; usable in
 *    select as a timeout, from goroutines and plain threads;
 *  - Go's TestAfterStop: a stopped timer and a stopped after_func never
 *    fire; stop reports whether it was pending;
 *  - Go's TestReset and the Go 1.23 stop/reset matrix: after stop or
 *    reset returns, no stale value is received, whether the timer had not
 *    fired, had fired with the value unread, or had been read;
 *  - tickers tick every period, drop ticks for a slow reader, stop and
 *    reset; bad periods are rejected;
 *  - after_func runs in its own goroutine; stop is false once it started.
 */
// ctest-labels: time
#include <stdatomic.h>
#include "testutil.h"

#define MS GORO_MILLISECOND

static _Atomic int fired;

static void bump(void *arg)
{
    (void)arg;
    CHECK(goro_id() != 0);   /* its own goroutine */
    atomic_fetch_add(&fired, 1);
}

static void after_basics(void)
{
    int64_t t0 = goro_now(), v = 0;
    goro_chan *c = goro_after(2 * MS);
    CHECK(c);
    CHECK_EQ(goro_chan_recv(c, &v), 0);
    CHECK(v >= t0 + 2 * MS);
    CHECK(goro_now() - t0 >= 2 * MS);
    CHECK_EQ(goro_chan_try_recv(c, &v), GORO_EAGAIN);   /* once */
    goro_chan_release(c);

    /* Released before it fires: nothing leaks, nothing crashes. */
    goro_chan_release(goro_after(MS));

    /* A timeout in select. */
    goro_chan *never = goro_chan_make(sizeof(int), 0);
    goro_chan *to = goro_after(3 * MS);
    int x;
    goro_case cs[2] = { GORO_CASE_RECV(never, &x), GORO_CASE_RECV(to, NULL) };
    CHECK_EQ(goro_select(cs, 2), 1);
    goro_chan_release(to);
    goro_chan_release(never);
}

static void stop_and_reset(void)
{
    int64_t v;
    /* TestAfterStop. */
    goro_timer *t = goro_timer_new(10 * MS);
    goro_timer *f = goro_after_func(10 * MS, bump, NULL);
    CHECK(goro_timer_stop(t));
    CHECK(goro_timer_stop(f));
    CHECK(!goro_timer_stop(t));
    goro_sleep(20 * MS);
    CHECK_EQ(goro_chan_try_recv(goro_timer_chan(t), &v), GORO_EAGAIN);
    CHECK_EQ(atomic_load(&fired), 0);
    goro_timer_free(f);

    /* Fired, value unread: stop drains it and reports true. */
    CHECK(!goro_timer_reset(t, MS));
    goro_sleep(5 * MS);
    CHECK(goro_timer_stop(t));
    CHECK_EQ(goro_chan_try_recv(goro_timer_chan(t), &v), GORO_EAGAIN);

    /* Fired and read: stop is false. */
    CHECK(!goro_timer_reset(t, MS));
    CHECK_EQ(goro_chan_recv(goro_timer_chan(t), &v), 0);
    CHECK(!goro_timer_stop(t));

    /* Reset of a fired, unread timer: true, and only the new value comes. */
    goro_timer_reset(t, MS);
    goro_sleep(5 * MS);
    int64_t before = goro_now();
    CHECK(goro_timer_reset(t, 5 * MS));
    CHECK_EQ(goro_chan_recv(goro_timer_chan(t), &v), 0);
    CHECK(v >= before + 5 * MS);

    /* TestReset: reset of a pending timer moves its deadline. */
    goro_timer_reset(t, 50 * MS);
    goro_sleep(5 * MS);
    before = goro_now();
    CHECK(goro_timer_reset(t, 10 * MS));
    CHECK_EQ(goro_chan_recv(goro_timer_chan(t), &v), 0);
    CHECK(v >= before + 10 * MS);
    CHECK(v < before + 45 * MS);

    /* Racing stop against firing, many times: never a stale value. */
    for (int i = 0; i < scaled(300, 10); i++) {
        goro_timer_reset(t, (i % 3) * 100 * GORO_MICROSECOND);
        if (i % 2)
            goro_sleep(100 * GORO_MICROSECOND);
        goro_timer_stop(t);
        CHECK_EQ(goro_chan_try_recv(goro_timer_chan(t), &v), GORO_EAGAIN);
    }
    goro_timer_free(t);
}

static void after_func_runs(void)
{
    atomic_store(&fired, 0);
    goro_timer *f = goro_after_func(MS, bump, NULL);
    while (atomic_load(&fired) == 0)
        goro_sleep(MS);
    CHECK(!goro_timer_stop(f));
    goro_timer_free(f);
    CHECK(goro_after_func(MS, NULL, NULL) == NULL);
}

static void tickers(void)
{
    CHECK(goro_ticker_new(0) == NULL);
    CHECK(goro_ticker_new(-5) == NULL);
    goro_ticker *tk = goro_ticker_new(2 * MS);
    CHECK(tk);
    int64_t first = 0, prev = 0, v;
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(goro_chan_recv(goro_ticker_chan(tk), &v), 0);
        CHECK(v > prev);
        if (!first)
            first = v;
        prev = v;
    }
    /* Ticks keep to the period's schedule (a late one is not followed by a
     * late series), so 5 ticks span at least 4 periods less one. */
    CHECK(prev - first >= 3 * 2 * MS);
    /* A slow reader misses ticks: at most one is ever queued. */
    goro_sleep(20 * MS);
    CHECK(goro_chan_len(goro_ticker_chan(tk)) <= 1);
    CHECK_EQ(goro_ticker_reset(tk, 0), GORO_EINVAL);
    CHECK_EQ(goro_ticker_reset(tk, 4 * MS), 0);
    CHECK_EQ(goro_chan_try_recv(goro_ticker_chan(tk), &v), GORO_EAGAIN);   /* drained */
    int64_t t0 = goro_now();
    CHECK_EQ(goro_chan_recv(goro_ticker_chan(tk), &v), 0);
    CHECK(v >= t0 + 3 * MS);
    goro_ticker_stop(tk);
    goro_sleep(10 * MS);
    CHECK_EQ(goro_chan_try_recv(goro_ticker_chan(tk), &v), GORO_EAGAIN);
    goro_ticker_free(tk);
}

static void in_goroutine(void *arg)
{
    (void)arg;
    after_basics();
    stop_and_reset();
    after_func_runs();
    tickers();
}

int main(void)
{
    /* From a plain thread, then from a goroutine. */
    after_basics();
    stop_and_reset();
    after_func_runs();
    tickers();
    atomic_store(&fired, 0);
    run_main(in_goroutine, NULL);
    TEST_PASS("test_timer");
}
