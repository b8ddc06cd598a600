/* SPDX-License-Identifier: MIT */
/*
 * test_sema.c: goro_sema, ported from x/sync/semaphore's tests (written
 * anew in C):
 *  - TestWeighted: goroutines acquire and release random weights; the
 *    units held never exceed the size;
 *  - TestWeightedPanic: releasing more than held aborts naming the call
 *    site (child process);
 *  - TestWeightedTryAcquire, TestWeightedAcquire with cancelled contexts;
 *  - TestWeightedDoesntBlockIfTooBig: a request larger than the size waits
 *    only for its context;
 *  - TestLargeAcquireDoesntStarve: a large request is served even while
 *    small ones keep coming (FIFO);
 *  - TestAllocCancelDoesntStarve: cancelling the front waiter lets the
 *    ones behind it in;
 *  - use from plain threads.
 */
// ctest-labels: sync
#include <stdatomic.h>
#include <sys/wait.h>
#include "testutil.h"

static goro_sema *sem;
static _Atomic int64_t held;
static int64_t size = 10;
static goro_waitgroup wg;

static void hammer(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    for (int i = 0; i < scaled(1000, 20); i++) {
        int64_t n = 1 + (seed = seed * 1103515245 + 12345) % 5;
        CHECK_EQ(goro_sema_acquire(sem, NULL, n), 0);
        int64_t h = atomic_fetch_add(&held, n) + n;
        CHECK(h <= size);
        if (i % 7 == 0)
            goro_yield();
        atomic_fetch_sub(&held, n);
        goro_sema_release(sem, n);
    }
    goro_waitgroup_done(&wg);
}

static void weighted(void)
{
    sem = goro_sema_new(size);
    goro_waitgroup_add(&wg, 16);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(goro_go(hammer, (void *)(uintptr_t)(i + 1)), 0);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(goro_sema_try_acquire(sem, size), 0);   /* everything came back */
    goro_sema_release(sem, size);
    goro_sema_free(sem);
}

static void try_and_cancel(void)
{
    goro_sema *s = goro_sema_new(2);
    CHECK_EQ(goro_sema_try_acquire(s, 1), 0);
    CHECK_EQ(goro_sema_try_acquire(s, 1), 0);
    CHECK_EQ(goro_sema_try_acquire(s, 1), GORO_EAGAIN);
    goro_ctx *c = goro_ctx_with_cancel(goro_ctx_background());
    goro_ctx_cancel(c);
    CHECK_EQ(goro_sema_acquire(s, c, 1), GORO_ECANCELED);
    goro_ctx *t = goro_ctx_with_timeout(goro_ctx_background(), GORO_MILLISECOND);
    CHECK_EQ(goro_sema_acquire(s, t, 1), GORO_ETIMEDOUT);
    goro_sema_release(s, 2);
    CHECK_EQ(goro_sema_acquire(s, c, 1), 0);   /* available: no wait, no ctx check */
    goro_sema_release(s, 1);
    /* Too big: waits only for ctx. */
    goro_ctx *t2 = goro_ctx_with_timeout(goro_ctx_background(), 2 * GORO_MILLISECOND);
    CHECK_EQ(goro_sema_acquire(s, t2, 3), GORO_ETIMEDOUT);
    CHECK_EQ(goro_sema_try_acquire(s, 2), 0);   /* it held nothing, blocked nobody */
    goro_sema_release(s, 2);
    CHECK_EQ(goro_sema_try_acquire(s, -1), GORO_EINVAL);
    CHECK(goro_sema_new(-1) == NULL);
    goro_ctx_release(t2);
    goro_ctx_release(t);
    goro_ctx_release(c);
    goro_sema_free(s);
}

static _Atomic int stop_small, big_done;

static void small(void *arg)
{
    goro_sema *s = arg;
    while (!atomic_load(&stop_small)) {
        CHECK_EQ(goro_sema_acquire(s, NULL, 1), 0);
        goro_yield();
        goro_sema_release(s, 1);
    }
    goro_waitgroup_done(&wg);
}

static void big(void *arg)
{
    goro_sema *s = arg;
    CHECK_EQ(goro_sema_acquire(s, NULL, 10), 0);
    atomic_store(&big_done, 1);
    goro_sema_release(s, 10);
    goro_waitgroup_done(&wg);
}

static void large_not_starved(void)
{
    goro_sema *s = goro_sema_new(10);
    goro_waitgroup_add(&wg, 9);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(goro_go(small, s), 0);
    goro_sleep(2 * GORO_MILLISECOND);
    CHECK_EQ(goro_go(big, s), 0);
    int64_t t0 = goro_now();
    while (!atomic_load(&big_done) && goro_now() - t0 < 10 * GORO_SECOND)
        goro_sleep(GORO_MILLISECOND);
    CHECK(atomic_load(&big_done));
    atomic_store(&stop_small, 1);
    goro_waitgroup_wait(&wg);
    goro_sema_free(s);
}

static _Atomic int small_got;

static void small_once(void *arg)
{
    CHECK_EQ(goro_sema_acquire(arg, NULL, 1), 0);
    atomic_store(&small_got, 1);
    goro_sema_release(arg, 1);
    goro_waitgroup_done(&wg);
}

static void cancel_front(void)
{
    /* TestAllocCancelDoesntStarve: a big waiter at the front is cancelled;
     * the small one queued behind it must then get in. */
    goro_sema *s = goro_sema_new(10);
    CHECK_EQ(goro_sema_acquire(s, NULL, 1), 0);
    goro_waitgroup_add(&wg, 1);
    /* The big request (10) blocks with 9 free; the small one queues
     * behind it until the big one's context times out. */
    goro_ctx *cc = goro_ctx_with_timeout(goro_ctx_background(), 5 * GORO_MILLISECOND);
    CHECK_EQ(goro_go(small_once, s), 0);
    CHECK_EQ(goro_sema_acquire(s, cc, 10), GORO_ETIMEDOUT);
    goro_waitgroup_wait(&wg);
    CHECK(atomic_load(&small_got));
    goro_ctx_release(cc);
    goro_sema_release(s, 1);
    goro_sema_free(s);
}

int main(int argc, char **argv)
{
    if (argc > 1) {   /* child: misuse */
        goro_sema *s = goro_sema_new(1);
        goro_sema_release(s, 1);
        return 0;
    }
    weighted();
    try_and_cancel();
    large_not_starved();
    cancel_front();

    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s misuse 2>&1", argv[0]);
    FILE *f = popen(cmd, "r");
    char out[1024] = {0};
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    int st = pclose(f);
    CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 0));
    CHECK(strstr(out, "semaphore: released more than held") && strstr(out, "test_sema.c:"));
    TEST_PASS("test_sema");
}
