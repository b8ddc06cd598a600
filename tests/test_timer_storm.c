/* SPDX-License-Identifier: MIT */
/*
 * test_timer_storm.c: timers stopped, reset and fired from many
 * goroutines at once while GOMAXPROCS changes under them, and the timer
 * heaps' memory after millions of timers.
 *  - storm: 8 goroutines stop and reset their own timers (durations of
 *    0-300 us, so many fire mid-storm) and start and stop after_func
 *    timers, while the main thread moves GOMAXPROCS between 1 and 4 (Ps
 *    retire with timers queued and firing; their timers move to P 0).
 *    After every stop no value is left to receive (Go 1.23), a timer
 *    stopped last never fires later, an after_func whose stop returned
 *    true never runs and every other runs exactly once, and each timer reset at the
 *    end fires exactly once. Tickers ticking through the storm still
 *    tick at GOMAXPROCS 1 afterwards (a periodic timer re-armed by an
 *    idle M into a P retired meanwhile never fired again);
 *  - reset storm: 1,000 pending timers reset 100 times each leave each
 *    heap at most four slots per timer (stopped slots are compacted);
 *  - leak check: after 200,000 pending timers are stopped and freed, and
 *    after a million timers made, stopped and freed one at a time, no
 *    timer memory is live and each heap's slot array is small again.
 */
// ctest-labels: time
#define GORO_SCHED_INTERNAL   /* white-box: the timer heaps */
#include "sched/runtime.h"
#include "testutil.h"

#include <stdatomic.h>

#define US GORO_MICROSECOND
#define MS GORO_MILLISECOND
#define WORKERS 8
#define PER 64
#define AF 256
#define TICKERS 4

static _Atomic int tickers_stop;
static goro_waitgroup wg;
static _Atomic int af_runs[WORKERS][AF];
static bool af_stopped[WORKERS][AF];

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void af_fn(void *arg)
{
    atomic_fetch_add((_Atomic int *)arg, 1);
}

/* Receives one value from c within 10 s. */
static bool recv_within(goro_chan *c)
{
    int64_t v;
    return goro_chan_recv_until(c, &v, goro_now() + 10 * GORO_SECOND) == 0;
}

static void worker(void *arg)
{
    int w = (int)(intptr_t)arg;
    uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(w + 1);
    goro_timer *t[PER];
    bool stopped[PER];
    for (int i = 0; i < PER; i++) {
        t[i] = goro_timer_new(3600 * GORO_SECOND);
        CHECK(t[i]);
        stopped[i] = false;
    }
    long iters = scaled(5000, 10);
    int naf = 0;
    for (long it = 0; it < iters; it++) {
        int i = (int)(rnd(&s) % PER);
        int64_t v;
        switch (rnd(&s) % 4) {
        case 0:
            goro_timer_stop(t[i]);
            /* Nothing stale to receive once stop has returned. */
            CHECK_EQ(goro_chan_try_recv(goro_timer_chan(t[i]), &v), GORO_EAGAIN);
            stopped[i] = true;
            break;
        case 1:
            goro_timer_reset(t[i], (int64_t)(rnd(&s) % 300) * US);
            stopped[i] = false;
            break;
        case 2:
            (void)goro_chan_try_recv(goro_timer_chan(t[i]), &v);
            break;
        default:
            if (naf < AF) {
                goro_timer *a = goro_after_func((int64_t)(rnd(&s) % 200) * US,
                                                af_fn, &af_runs[w][naf]);
                CHECK(a);
                if (rnd(&s) & 1)
                    goro_yield();   /* let some fire first */
                /* free stops it too, but only stop says whether it was
                 * still pending (then fn never runs; else it ran or runs
                 * once). */
                af_stopped[w][naf] = goro_timer_stop(a);
                goro_timer_free(a);
                naf++;
            }
            goro_yield();
            break;
        }
    }
    /* Timers stopped last never fire later: give them time to (the
     * longest reset was 300 us). */
    goro_sleep(2 * MS);
    for (int i = 0; i < PER; i++) {
        int64_t v;
        if (stopped[i])
            CHECK_EQ(goro_chan_try_recv(goro_timer_chan(t[i]), &v), GORO_EAGAIN);
    }
    /* Each timer reset once more fires exactly once. */
    for (int i = 0; i < PER; i++)
        goro_timer_reset(t[i], (int64_t)(rnd(&s) % 300) * US);
    for (int i = 0; i < PER; i++) {
        int64_t v;
        CHECK(recv_within(goro_timer_chan(t[i])));
        CHECK(!goro_timer_stop(t[i]));
        CHECK_EQ(goro_chan_try_recv(goro_timer_chan(t[i]), &v), GORO_EAGAIN);
        goro_timer_free(t[i]);
    }
    for (int i = naf; i < AF; i++)
        af_stopped[w][i] = true;   /* never made: must read 0 runs */
    goro_waitgroup_done(&wg);
}

static _Atomic long ticks[TICKERS];

static void ticking(void *arg)
{
    int k = (int)(intptr_t)arg;
    goro_ticker *tk = goro_ticker_new(100 * US);
    CHECK(tk);
    while (!atomic_load(&tickers_stop)) {
        CHECK(recv_within(goro_ticker_chan(tk)));
        atomic_fetch_add(&ticks[k], 1);
    }
    goro_ticker_free(tk);
    goro_waitgroup_done(&wg);
}

static void storm(void)
{
    int procs0 = goro_maxprocs(0);
    goro_waitgroup_add(&wg, WORKERS + TICKERS);
    for (int k = 0; k < TICKERS; k++)
        CHECK(goro_go(ticking, (void *)(intptr_t)k) == 0);
    goro_waitgroup tw = {0};
    for (int w = 0; w < WORKERS; w++)
        CHECK(goro_waitgroup_go(&tw, worker, (void *)(intptr_t)w) == 0);
    /* GOMAXPROCS moves while they run (this is a plain thread). */
    static const int seq[] = { 4, 1, 3, 2, 4, 1, 2 };
    long changes = 0;
    for (;;) {
        goro_maxprocs(seq[changes % 7]);
        changes++;
        goro_sleep(200 * US);
        if (goro_waitgroup_wait_until(&tw, goro_now()) == 0)
            break;
    }
    /* Every ticker still ticks at GOMAXPROCS 1. */
    goro_maxprocs(1);
    long before[TICKERS];
    for (int k = 0; k < TICKERS; k++)
        before[k] = atomic_load(&ticks[k]);
    for (int k = 0; k < TICKERS; k++) {
        int64_t deadline = goro_now() + 10 * GORO_SECOND;
        while (atomic_load(&ticks[k]) < before[k] + 3 && goro_now() < deadline)
            goro_sleep(100 * US);
        CHECK(atomic_load(&ticks[k]) >= before[k] + 3);
    }
    atomic_store(&tickers_stop, 1);
    goro_waitgroup_wait(&wg);
    /* after_func: stopped in time never ran, the others ran once. */
    for (int w = 0; w < WORKERS; w++)
        for (int i = 0; i < AF; i++) {
            int want = af_stopped[w][i] ? 0 : 1;
            int64_t deadline = goro_now() + 10 * GORO_SECOND;
            while (atomic_load(&af_runs[w][i]) < want && goro_now() < deadline)
                goro_sleep(100 * US);
            CHECK_EQ(atomic_load(&af_runs[w][i]), want);
        }
    printf("storm: %ld GOMAXPROCS changes\n", changes);
    goro_maxprocs(procs0);
}

/* Slots and slot capacity over every P's heap. */
static void heap_sizes(long *slots, long *cap, long *live)
{
    *slots = *cap = *live = 0;
    GORO_FOR_EACH_P(p) {
        goro__lock_acquire(&p->timers_lock);
        *slots += p->nslots;
        *cap += p->cslots;
        *live += p->ntimers;
        CHECK(p->nslots <= 4 * p->ntimers + 1);
        goro__lock_release(&p->timers_lock);
    }
}

static void reset_storm(void *arg)
{
    (void)arg;
    enum { N = 1000 };
    static goro_timer *t[N];
    long slots, cap, live;
    for (int i = 0; i < N; i++)
        CHECK(t[i] = goro_timer_new(3600 * GORO_SECOND));
    for (int r = 0; r < 100; r++)
        for (int i = 0; i < N; i++)
            CHECK(goro_timer_reset(t[i], 3600 * GORO_SECOND + r));
    heap_sizes(&slots, &cap, &live);
    CHECK(live >= N);
    for (int i = 0; i < N; i++)
        goro_timer_free(t[i]);
}

static void leak_check(void *arg)
{
    (void)arg;
    long slots, cap, live;
    long n = scaled(200000, 20);
    goro_timer **t = malloc((size_t)n * sizeof *t);
    CHECK(t);
    long live0 = goro__alloc_live();
    for (long i = 0; i < n; i++)
        CHECK(t[i] = goro_timer_new(3600 * GORO_SECOND + i));
    heap_sizes(&slots, &cap, &live);
    CHECK(cap >= n);
    for (long i = 0; i < n; i++)
        CHECK(goro_timer_stop(t[i]));
    for (long i = 0; i < n; i++)
        goro_timer_free(t[i]);
    free(t);
    heap_sizes(&slots, &cap, &live);
    CHECK_EQ(slots, 0);
    CHECK(cap <= 256 * GORO_MAX_PROCS);
    CHECK(goro__alloc_live() <= live0);   /* (a goro_after of the storm may fire meanwhile) */

    long m = scaled(1000000, 100);
    for (long i = 0; i < m; i++) {
        goro_timer *x = goro_timer_new(3600 * GORO_SECOND);
        CHECK(x);
        CHECK(goro_timer_stop(x));
        goro_timer_free(x);
    }
    heap_sizes(&slots, &cap, &live);
    CHECK_EQ(slots, 0);
    CHECK(cap <= 256 * GORO_MAX_PROCS);
    CHECK(goro__alloc_live() <= live0);   /* (a goro_after of the storm may fire meanwhile) */
}

int main(void)
{
    storm();
    run_main(reset_storm, NULL);
    run_main(leak_check, NULL);
    TEST_PASS("test_timer_storm");
}
