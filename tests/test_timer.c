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
 *  - after_func runs in its own goroutine; stop is false once it started;
 *  - many timers, most stopped in a scattered order (stopped timers leave
 *    empty slots in the heap, compacted once they are the majority): the
 *    stopped ones never fire, every other one fires once, in the order
 *    of its deadline, and stop and reset still report pending ones.
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

/* Timers on one heap fire in deadline order: each sends its fire time,
 * so along the deadlines the times received must not go backwards. Two
 * Ms may run one P's timers at once (an idle one steals due timers), and
 * a loaded machine may stop either between taking a timer and reading
 * the clock: a step back of up to 1 ms is theirs, and up to 1% larger
 * ones are allowed (a CI run at GOMAXPROCS 2 on a loaded machine saw 8,
 * the largest 6 ms); a misordered heap would show hundreds (unless the machine
 * was too slow to start them all before the first deadline). A timer's
 * deadline is the clock read inside goro_timer_new plus its duration: a
 * thread stopped for milliseconds around that call (Valgrind runs one
 * thread at a time) moves the deadline as far, and every timer due in
 * between would read as a step back, so a timer whose creation took over
 * 1 ms is left out of the order. */
static void stop_many(void)
{
    enum { N = 3000 };
    static goro_timer *ts[N];
    static int64_t due[N], got[N];
    static bool vague[N];   /* created too slowly for its deadline to be known */
    int64_t base = goro_now() + 50 * MS;
    for (int i = 0; i < N; i++) {
        /* deadline order (i * 7919) % N: scattered over 30 ms */
        due[i] = base + (int64_t)((i * 7919) % N) * 10 * GORO_MICROSECOND;
        int64_t t0 = goro_now();
        ts[i] = goro_timer_new(due[i] - t0);
        vague[i] = goro_now() - t0 > MS;
        CHECK(ts[i] != NULL);
    }
    /* Stop 3 of every 4 in a scattered order, after resetting some (a
     * reset of a pending timer reports it was pending). */
    for (int k = 0; k < N; k++) {
        int i = (k * 2741) % N;
        if (i % 4 == 0)
            continue;
        if (i % 8 == 1)
            CHECK(goro_timer_reset(ts[i], due[i] - goro_now()));
        CHECK(goro_timer_stop(ts[i]));
        CHECK(!goro_timer_stop(ts[i]));
    }
    /* A timer created after its deadline (a loaded machine can stall
     * this loop for 50 ms) fires at its creation, out of deadline order. */
    bool in_time = goro_now() < base;
    goro_sleep(base + 30 * MS - goro_now());
    for (int i = 0; i < N; i++) {
        if (i % 4 == 0) {
            CHECK(goro_chan_recv(goro_timer_chan(ts[i]), &got[i]) == 0);
            CHECK(got[i] >= due[i]);
        }
        int64_t v;
        CHECK(goro_chan_try_recv(goro_timer_chan(ts[i]), &v) == GORO_EAGAIN);
    }
    int back = 0;
    int64_t prev = 0, worst = 0;
    for (int r = 0; r < N; r++) {   /* r: rank of the deadline */
        int i = (int)(((long)r * 1679) % N);   /* 7919 * 1679 = 1 mod 3000 */
        CHECK((i * 7919) % N == r);
        if (i % 4 != 0 || vague[i])
            continue;
        if (got[i] < prev - MS)
            back++;
        if (prev - got[i] > worst)
            worst = prev - got[i];
        if (got[i] > prev)
            prev = got[i];
    }
    if (back > N / 100)
        fprintf(stderr, "%d steps back by more than 1 ms, the largest %lld us\n", back,
                (long long)(worst / 1000));
    CHECK(back <= N / 100 || !in_time);
    for (int i = 0; i < N; i++)
        goro_timer_free(ts[i]);
}

static void in_goroutine(void *arg)
{
    (void)arg;
    after_basics();
    stop_and_reset();
    after_func_runs();
    tickers();
    stop_many();
}

int main(void)
{
    /* From a plain thread, then from a goroutine. */
    after_basics();
    stop_and_reset();
    after_func_runs();
    tickers();
    stop_many();
    atomic_store(&fired, 0);
    run_main(in_goroutine, NULL);
    TEST_PASS("test_timer");
}
