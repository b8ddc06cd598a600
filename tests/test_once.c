/* SPDX-License-Identifier: MIT */
/*
 * test_once.c: goro_once (Go's sync.Once).
 *  - TestOnce: 10 goroutines call do on one once; fn runs exactly once and
 *    every caller sees its effect when do returns;
 *  - callers that arrive while a slow fn runs (goroutines and plain
 *    threads) return only after it has returned;
 *  - 1,000 onces, each hit by several goroutines, each run once;
 *  - fn may use another once, and may park;
 *  - a zero-initialised once works; a NULL fn aborts (child process).
 */
// ctest-labels: sync
#include <pthread.h>
#include <stdatomic.h>
#include "misuse.h"
#include "testutil.h"

static goro_waitgroup wg;

/* ---- TestOnce ------------------------------------------------------------ */

static goro_once once;
static int one;                /* written only by the once's fn */

static void increment(void *arg)
{
    (void)arg;
    one++;
}

static void run(void *arg)
{
    (void)arg;
    goro_once_do(&once, increment, NULL);
    CHECK_EQ(one, 1);
    goro_waitgroup_done(&wg);
}

static void test_once(void)
{
    goro_waitgroup_add(&wg, 10);
    for (int i = 0; i < 10; i++)
        CHECK(goro_go(run, NULL) == 0);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(one, 1);
    goro_once_do(&once, increment, NULL);
    CHECK_EQ(one, 1);
}

/* ---- A slow fn: everybody waits for it ----------------------------------- */

static goro_once slow_once;
static _Atomic int slow_started, slow_finished, slow_runs;

static void slow(void *arg)
{
    (void)arg;
    atomic_fetch_add(&slow_runs, 1);
    atomic_store(&slow_started, 1);
    goro_sleep(20 * GORO_MILLISECOND);   /* parks inside fn */
    atomic_store(&slow_finished, 1);
}

static void slow_caller(void)
{
    goro_once_do(&slow_once, slow, NULL);
    CHECK_EQ(atomic_load(&slow_finished), 1);
}

static void slow_goroutine(void *arg)
{
    (void)arg;
    slow_caller();
    goro_waitgroup_done(&wg);
}

static void *slow_thread(void *arg)
{
    (void)arg;
    slow_caller();
    return NULL;
}

static void test_slow(void)
{
    enum { THREADS = 3, GOROUTINES = 20 };
    pthread_t th[THREADS];
    goro_waitgroup_add(&wg, GOROUTINES);
    CHECK(goro_go(slow_goroutine, NULL) == 0);
    while (!atomic_load(&slow_started))
        goro_sleep(100 * GORO_MICROSECOND);
    for (int i = 1; i < GOROUTINES; i++)
        CHECK(goro_go(slow_goroutine, NULL) == 0);
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, slow_thread, NULL) == 0);
    slow_caller();
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&slow_runs), 1);
}

/* ---- Many onces -------------------------------------------------------------- */

#define NONCE 1000
static goro_once onces[NONCE];
static int runs[NONCE];        /* each written only by its once's fn */

static void count_run(void *arg)
{
    runs[(int *)arg - (int *)runs]++;
}

static void many(void *arg)
{
    int start = *(int *)arg;
    for (int k = 0; k < NONCE; k++) {
        int i = (start + k) % NONCE;
        goro_once_do(&onces[i], count_run, &runs[i]);
        CHECK_EQ(runs[i], 1);
        if (k % 100 == 0)
            goro_yield();
    }
    goro_waitgroup_done(&wg);
}

static void test_many(void)
{
    goro_waitgroup_add(&wg, 8);
    for (int i = 0; i < 8; i++) {
        int start = i * 125;
        CHECK(goro_go_copy(many, &start, sizeof start) == 0);
    }
    goro_waitgroup_wait(&wg);
    for (int i = 0; i < NONCE; i++)
        CHECK_EQ(runs[i], 1);
}

/* ---- Nested ------------------------------------------------------------------- */

static goro_once outer, inner;
static int inner_runs, outer_runs;

static void inner_fn(void *arg)
{
    (void)arg;
    inner_runs++;
}

static void outer_fn(void *arg)
{
    (void)arg;
    goro_once_do(&inner, inner_fn, NULL);
    outer_runs++;
}

static void nested(void *arg)
{
    (void)arg;
    goro_once_do(&outer, outer_fn, NULL);
    goro_once_do(&inner, inner_fn, NULL);
    goro_waitgroup_done(&wg);
}

static void test_nested(void)
{
    goro_waitgroup_add(&wg, 4);
    for (int i = 0; i < 4; i++)
        CHECK(goro_go(nested, NULL) == 0);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(outer_runs, 1);
    CHECK_EQ(inner_runs, 1);
}

int main(int argc, char **argv)
{
    (void)argv;   /* the mode: this test has one misuse */
    if (argc > 1) {
        goro_once o = {0};
        goro_once_do(&o, NULL, NULL);
        return 0;
    }
    expect_fatal("null-fn", "sync: Once.Do with a NULL function", "once.c", 0);
    test_once();
    test_slow();
    test_many();
    test_nested();
    TEST_PASS("test_once");
}
