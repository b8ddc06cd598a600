/*
 * test_syscall.c: goro_syscall_begin / goro_syscall_end (blocking-call
 * handoff, Go's entersyscall/exitsyscall and sysmon's retake).
 *  - a goroutine blocked in a long call (usleep inside begin/end) does not
 *    stop the others, even at GOMAXPROCS 1: a ping-pong pair keeps going;
 *  - many goroutines blocked at once overlap (their calls run on as many
 *    threads), and every one gets a P back afterwards;
 *  - short calls in a tight loop (the fast path) race sysmon's retake
 *    without losing or duplicating anything;
 *  - begin/end nest, are no-ops on a plain thread, and errno set by the
 *    call survives end;
 *  - a goroutine that parks inside begin/end (misuse, but survivable) ends
 *    the bracket early and carries on.
 */
// ctest-labels: io;sched
#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>
#include "testutil.h"

GORO_CHAN_DEFINE(intch, int)

static _Atomic int stop;
static _Atomic long rounds;

struct pair {
    intch ping, pong;
};

static void ponger(void *arg)
{
    struct pair *p = arg;
    int v;
    while (intch_recv(p->ping.rx, &v) == 0)
        intch_send(p->pong.tx, v + 1);
}

static void pinger(void *arg)
{
    struct pair *p = arg;
    int v = 0;
    while (!atomic_load(&stop)) {
        intch_send(p->ping.tx, v);
        intch_recv(p->pong.rx, &v);
        atomic_fetch_add(&rounds, 1);
    }
    intch_close(p->ping.tx);
}

static void sleeper(void *arg)
{
    long us = (long)(intptr_t)arg;
    goro_syscall_begin();
    usleep((useconds_t)us);
    goro_syscall_end();
}

/* One goroutine sleeps 300 ms inside begin/end; the pair must progress. */
static void long_call(void *arg)
{
    (void)arg;
    struct pair p = { intch_make(0), intch_make(0) };
    goro_waitgroup wg = {0};
    atomic_store(&stop, 0);
    atomic_store(&rounds, 0);
    goro_waitgroup_go(&wg, ponger, &p);
    goro_waitgroup_go(&wg, pinger, &p);
    goro_sleep(5 * GORO_MILLISECOND);
    goro_waitgroup blocked = {0};
    goro_waitgroup_go(&blocked, sleeper, (void *)(intptr_t)300000);
    goro_sleep(20 * GORO_MILLISECOND);   /* the blocked call is under way */
    long r0 = atomic_load(&rounds);
    goro_sleep(200 * GORO_MILLISECOND);
    long r1 = atomic_load(&rounds);
    printf("round trips while a goroutine blocked: %ld\n", r1 - r0);
    CHECK(r1 - r0 > 100);
    goro_waitgroup_wait(&blocked);
    atomic_store(&stop, 1);
    goro_waitgroup_wait(&wg);
    intch_release(p.ping);
    intch_release(p.pong);
}

/* 64 goroutines each block 50 ms: overlapped, well under 64 * 50 ms. */
static void many_calls(void *arg)
{
    (void)arg;
    int n = (int)scaled(64, 4);
    goro_waitgroup wg = {0};
    int64_t t0 = goro_now();
    for (int i = 0; i < n; i++)
        CHECK(goro_waitgroup_go(&wg, sleeper, (void *)(intptr_t)50000) == 0);
    goro_waitgroup_wait(&wg);
    int64_t el = goro_now() - t0;
    printf("%d overlapping 50 ms calls took %.1f ms\n", n, el / 1e6);
    CHECK(el < (int64_t)n * 50 * GORO_MILLISECOND / 3);
}

static _Atomic long fast_total;

static void fast_loop(void *arg)
{
    long n = (long)(intptr_t)arg, sum = 0;
    for (long i = 0; i < n; i++) {
        goro_syscall_begin();
        sum += (long)getppid() > 0;
        if (i % 64 == 0)
            usleep(1);   /* now and then, long enough for a retake */
        goro_syscall_end();
        if (i % 1000 == 0)
            goro_yield();
    }
    atomic_fetch_add(&fast_total, sum);
}

static void fast_calls(void *arg)
{
    (void)arg;
    long per = scaled(100000, 20);
    int n = 8;
    goro_waitgroup wg = {0};
    for (int i = 0; i < n; i++)
        CHECK(goro_waitgroup_go(&wg, fast_loop, (void *)(intptr_t)per) == 0);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&fast_total), n * per);
}

static void nesting_and_errno(void *arg)
{
    (void)arg;
    goro_syscall_begin();
    goro_syscall_begin();
    usleep(1000);
    goro_syscall_end();
    usleep(1000);   /* still inside the outer bracket */
    errno = 0;
    int r = close(-1);
    goro_syscall_end();
    int e = errno;
    CHECK(r == -1);
    CHECK_EQ(e, EBADF);
    goro_syscall_end();   /* unmatched: ignored */
    goro_yield();
}

static void parks_inside(void *arg)
{
    (void)arg;
    goro_chan *c = goro_chan_make(sizeof(int), 0);
    CHECK(c);
    goro_syscall_begin();
    int v = 0;
    CHECK_EQ(goro_chan_recv_until(c, &v, goro_now() + 10 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    goro_syscall_end();
    goro_sleep(GORO_MILLISECOND);
    goro_yield();
    goro_chan_release(c);
}

int main(void)
{
    /* Plain thread: no-ops. */
    goro_syscall_begin();
    goro_syscall_end();
    goro_syscall_end();

    run_main(long_call, NULL);
    run_main(many_calls, NULL);
    run_main(fast_calls, NULL);
    run_main(nesting_and_errno, NULL);
    run_main(parks_inside, NULL);
    TEST_PASS("test_syscall");
}
