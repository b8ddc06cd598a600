/* SPDX-License-Identifier: MIT */
/*
 * test_waitgroup.c: goro_waitgroup (Go's sync.WaitGroup).
 *  - TestWaitGroup: a barrier built from two WaitGroups releases nobody
 *    too soon and everybody in the end, reusing both 8 times;
 *  - TestWaitGroupMisuse: a negative counter aborts with "sync: negative
 *    WaitGroup counter" naming the call site (child process);
 *  - "Add called concurrently with Wait": an add that takes the counter
 *    from 0 up while a waiter is counted aborts (child process);
 *  - "reused before previous Wait has returned": a waiter released by the
 *    counter reaching 0 that finds the group already reused aborts (child
 *    process);
 *  - TestWaitGroupRace: Wait never returns before both Dones;
 *  - wait from plain threads and goroutines, add/done from both;
 *  - wait_until times out no earlier than its deadline, and timeouts racing
 *    the counter reaching 0 leave the group consistent and reusable, also
 *    when a plain thread's deadline passes while the release walks a long
 *    list of waiters (its node must outlive the walk);
 *  - goro_waitgroup_go; a goroutine it started that also calls done drives
 *    the counter negative when it returns: the abort names the call site of
 *    that goro_waitgroup_go (it used to name a line of waitgroup.c).
 */
// ctest-labels: sync
#include <pthread.h>
#include <stdatomic.h>
#include "misuse.h"
#include "testutil.h"

static goro_waitgroup wg;

/* ---- TestWaitGroup ------------------------------------------------------ */

#define BARRIER_N 16
static goro_waitgroup wg1, wg2;
static _Atomic int exited;

static void barrier_member(void *arg)
{
    (void)arg;
    goro_waitgroup_done(&wg1);
    goro_waitgroup_wait(&wg2);
    atomic_fetch_add(&exited, 1);
    goro_waitgroup_done(&wg);
}

static void test_wait_group_once(void)
{
    atomic_store(&exited, 0);
    goro_waitgroup_add(&wg1, BARRIER_N);
    goro_waitgroup_add(&wg2, BARRIER_N);
    goro_waitgroup_add(&wg, BARRIER_N);
    for (int i = 0; i < BARRIER_N; i++)
        CHECK(goro_go(barrier_member, NULL) == 0);
    goro_waitgroup_wait(&wg1);
    for (int i = 0; i < BARRIER_N; i++) {
        if (atomic_load(&exited) != 0) {
            fprintf(stderr, "WaitGroup released group too soon\n");
            exit(1);
        }
        goro_waitgroup_done(&wg2);
    }
    goro_waitgroup_wait(&wg);   /* blocks if the barrier failed to release someone */
    CHECK_EQ(atomic_load(&exited), BARRIER_N);
}

static void test_wait_group(void)
{
    for (int i = 0; i != 8; i++)
        test_wait_group_once();
    CHECK_EQ(wg1.state_, 0);
    CHECK_EQ(wg2.state_, 0);
}

/* ---- Misuse (child modes) -------------------------------------------------- */

enum { LINE_NEGATIVE = __LINE__ + 6 };
static void misuse_negative(void)
{
    goro_waitgroup w = {0};
    goro_waitgroup_add(&w, 1);
    goro_waitgroup_done(&w);
    goro_waitgroup_done(&w);
}

/* The state a waiter leaves while the counter has just reached 0 and the
 * zeroing add has not yet released it: counter 0, one waiter counted. */
enum { LINE_CONCURRENT = __LINE__ + 5 };
static void misuse_add_during_wait(void)
{
    goro_waitgroup w = {0};
    w.state_ = 1;
    goro_waitgroup_add(&w, 1);
}

static void done_twice(void *arg)
{
    goro_waitgroup_done(arg);   /* the done goro_waitgroup_go adds is one too many */
}

enum { LINE_GO_NEGATIVE = __LINE__ + 4 };
static void misuse_go_negative(void)
{
    static goro_waitgroup w;
    goro_waitgroup_go(&w, done_twice, &w);
    goro_sleep(30 * GORO_SECOND);   /* the goroutine aborts meanwhile */
}

static goro_waitgroup reuse_wg;

static void *reuse_waiter(void *arg)
{
    (void)arg;
    goro_waitgroup_wait(&reuse_wg);
    return NULL;
}

/* A waiter on a plain thread is slow to wake (a futex wake-up), so the
 * add right after the done reuses the group before its wait returns; the
 * waiter then finds the counter at 1. */
static void misuse_reuse(void)
{
    for (int round = 0; round < 100; round++) {
        goro_waitgroup_add(&reuse_wg, 1);
        pthread_t th;
        CHECK(pthread_create(&th, NULL, reuse_waiter, NULL) == 0);
        goro_sleep(2 * GORO_MILLISECOND);
        goro_waitgroup_done(&reuse_wg);
        goro_waitgroup_add(&reuse_wg, 1);       /* the waiter has not returned */
        goro_sleep(2 * GORO_MILLISECOND);
        goro_waitgroup_done(&reuse_wg);
        pthread_join(th, NULL);
    }
}

/* ---- TestWaitGroupRace --------------------------------------------------------- */

static _Atomic int race_n;
static goro_waitgroup race_wg;

static void race_bump(void *arg)
{
    (void)arg;
    atomic_fetch_add(&race_n, 1);
    goro_waitgroup_done(&race_wg);
}

static void race_rounds(void *arg)
{
    long rounds = (long)arg;
    for (long i = 0; i < rounds; i++) {
        atomic_store(&race_n, 0);
        goro_waitgroup_add(&race_wg, 1);
        CHECK(goro_go(race_bump, NULL) == 0);
        goro_waitgroup_add(&race_wg, 1);
        CHECK(goro_go(race_bump, NULL) == 0);
        goro_waitgroup_wait(&race_wg);
        if (atomic_load(&race_n) != 2) {
            fprintf(stderr, "Spurious wakeup from Wait\n");
            exit(1);
        }
    }
}

static void test_race(void)
{
    long rounds = scaled(1000, 10);
    run_main(race_rounds, (void *)rounds);
    race_rounds((void *)rounds);   /* waiting on a plain thread too */
}

/* ---- Threads and goroutines --------------------------------------------------- */

static goro_waitgroup gate, finished;
static _Atomic int passed;

static void gated(void)
{
    goro_waitgroup_wait(&gate);
    atomic_fetch_add(&passed, 1);
    goro_waitgroup_done(&finished);
}

static void gated_goroutine(void *arg)
{
    (void)arg;
    gated();
}

static void *gated_thread(void *arg)
{
    (void)arg;
    gated();
    return NULL;
}

static void *opener_thread(void *arg)
{
    (void)arg;
    goro_sleep(GORO_MILLISECOND);
    goro_waitgroup_done(&gate);
    return NULL;
}

static void test_mixed(void)
{
    enum { THREADS = 4, GOROUTINES = 1000 };
    goro_waitgroup_add(&gate, 1);
    goro_waitgroup_add(&finished, THREADS + GOROUTINES);
    pthread_t th[THREADS], opener;
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, gated_thread, NULL) == 0);
    for (int i = 0; i < GOROUTINES; i++)
        CHECK(goro_go(gated_goroutine, NULL) == 0);
    goro_sleep(GORO_MILLISECOND);
    CHECK_EQ(atomic_load(&passed), 0);
    CHECK(pthread_create(&opener, NULL, opener_thread, NULL) == 0);
    goro_waitgroup_wait(&finished);
    CHECK_EQ(atomic_load(&passed), THREADS + GOROUTINES);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_join(opener, NULL);
    CHECK_EQ(gate.state_, 0);
    CHECK_EQ(finished.state_, 0);
}

/* ---- wait_until ------------------------------------------------------------------ */

static goro_waitgroup twg;

static void timed_checks(long id)
{
    (void)id;
    int64_t t0 = goro_now();
    CHECK_EQ(goro_waitgroup_wait_until(&twg, t0 + 5 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    CHECK(goro_now() - t0 >= 5 * GORO_MILLISECOND);
    CHECK_EQ(goro_waitgroup_wait_until(&twg, t0), GORO_ETIMEDOUT);
}


/* Rounds of waiters with tiny deadlines against the counter reaching 0:
 * timeouts race the release. Each round ends when every waiter has
 * returned, so reusing the group is legal. */
static goro_waitgroup cwg, cwaiters;
static _Atomic int c_released, c_timedout;

static void churn_count(int r)
{
    CHECK(r == 0 || r == GORO_ETIMEDOUT);
    atomic_fetch_add(r == 0 ? &c_released : &c_timedout, 1);
}

static void churn_waiter(void *arg)
{
    long i = (long)arg;
    churn_count(goro_waitgroup_wait_until(&cwg, goro_now() + (i % 4) * GORO_MICROSECOND));
    goro_waitgroup_done(&cwaiters);
}

static void churn_rounds(void *arg)
{
    long rounds = (long)arg;
    for (long k = 0; k < rounds; k++) {
        goro_waitgroup_add(&cwg, 1);
        goro_waitgroup_add(&cwaiters, 4);
        for (long i = 0; i < 4; i++)
            CHECK(goro_go(churn_waiter, (void *)(k + i)) == 0);
        if (k % 2)
            goro_yield();
        goro_waitgroup_done(&cwg);
        goro_waitgroup_wait(&cwaiters);
        CHECK_EQ(cwg.state_, 0);
        CHECK(cwg.waiters_ == NULL);
    }
}

/* A plain thread waits first (so the release walks its node last) with a
 * deadline that falls while the release walks a long list of goroutine
 * waiters: its timeout races the walk for real, and it must not return
 * while the walk may still read its node. */
#define LONG_LIST 1000
static goro_waitgroup lwg, lwaiters;
static _Atomic int64_t l_deadline;
static _Atomic int l_thread_in, l_thread_out;

static void long_waiter(void *arg)
{
    (void)arg;
    churn_count(goro_waitgroup_wait_until(&lwg, GORO_FOREVER));
    goro_waitgroup_done(&lwaiters);
}

static void *long_thread(void *arg)
{
    (void)arg;
    atomic_store(&l_thread_in, 1);
    churn_count(goro_waitgroup_wait_until(&lwg, atomic_load(&l_deadline)));
    atomic_store(&l_thread_out, 1);
    return NULL;
}

static void long_rounds(void *arg)
{
    long rounds = (long)arg;
    int64_t setup = GORO_MILLISECOND;   /* how long queuing took last round */
    for (long k = 0; k < rounds; k++) {
        atomic_store(&l_thread_in, 0);
        atomic_store(&l_thread_out, 0);
        goro_waitgroup_add(&lwg, 1);
        int64_t t0 = goro_now();
        atomic_store(&l_deadline, t0 + setup + (k % 8) * 10 * GORO_MICROSECOND);
        pthread_t th;
        CHECK(pthread_create(&th, NULL, long_thread, NULL) == 0);
        /* The thread queues first (unless it already timed out: a slow
         * machine; then this round only checks the plain release). */
        while (!atomic_load(&l_thread_in) ||
               (lwg.waiters_ == NULL && !atomic_load(&l_thread_out)))
            goro_yield();
        goro_waitgroup_add(&lwaiters, LONG_LIST);
        for (long i = 0; i < LONG_LIST; i++)
            CHECK(goro_go(long_waiter, NULL) == 0);
        while ((uint32_t)lwg.state_ < LONG_LIST)
            goro_yield();                    /* the goroutines are queued */
        setup = goro_now() - t0;
        goro_waitgroup_done(&lwg);           /* the walk races the deadline */
        goro_waitgroup_wait(&lwaiters);
        pthread_join(th, NULL);
        CHECK_EQ(atomic_load(&l_thread_out), 1);
        CHECK_EQ(lwg.state_, 0);
    }
}

static void test_wait_until(void)
{
    goro_waitgroup_add(&twg, 1);
    run_goroutines_and_threads(timed_checks, 1, 1);
    CHECK_EQ(twg.state_, (uint64_t)1 << 32);   /* counter 1, no waiters left */
    goro_waitgroup_done(&twg);
    CHECK_EQ(goro_waitgroup_wait_until(&twg, 0), 0);   /* zero: at once */

    long rounds = scaled(5000, 25);
    run_main(churn_rounds, (void *)rounds);
    CHECK_EQ(atomic_load(&c_released) + atomic_load(&c_timedout), 4 * rounds);

    long lrounds = scaled(100, 10);
    atomic_store(&c_released, 0);
    atomic_store(&c_timedout, 0);
    run_main(long_rounds, (void *)lrounds);
    CHECK_EQ(atomic_load(&c_released) + atomic_load(&c_timedout), (LONG_LIST + 1) * lrounds);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "negative"))
            misuse_negative();
        else if (!strcmp(argv[1], "concurrent"))
            misuse_add_during_wait();
        else if (!strcmp(argv[1], "reuse"))
            misuse_reuse();
        else if (!strcmp(argv[1], "go-negative"))
            misuse_go_negative();
        return 0;   /* not reached when the misuse is caught */
    }
    expect_fatal("negative", "sync: negative WaitGroup counter", "test_waitgroup.c",
                 LINE_NEGATIVE);
    expect_fatal("concurrent", "sync: WaitGroup misuse: Add called concurrently with Wait",
                 "test_waitgroup.c", LINE_CONCURRENT);
    expect_fatal("reuse", "sync: WaitGroup is reused before previous Wait has returned",
                 "waitgroup.c", 0);
    expect_fatal("go-negative", "sync: negative WaitGroup counter", "test_waitgroup.c",
                 LINE_GO_NEGATIVE);

    test_wait_group();
    test_race();
    test_mixed();
    test_wait_until();
    TEST_PASS("test_waitgroup");
}
