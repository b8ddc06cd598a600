/* SPDX-License-Identifier: MIT */
/*
 * test_syscall.c: goro_syscall_begin / goro_syscall_end (blocking-call
 * handoff, Go's entersyscall/exitsyscall and sysmon's retake).
 *  - a goroutine blocked in a long call (read(2) of a pipe inside
 *    begin/end) does not stop the others, even at GOMAXPROCS 1: a
 *    ping-pong pair makes thousands of round trips meanwhile (progress,
 *    not wall-clock windows: it holds on a loaded machine);
 *  - many goroutines blocked at once are all in their calls together
 *    (each on a thread of its own), and every one gets a P back;
 *  - short calls in a tight loop (the fast path) race sysmon's retake
 *    without losing or duplicating anything;
 *  - begin/end nest, are no-ops on a plain thread, and errno set by the
 *    call survives end;
 *  - a goroutine that parks inside begin/end (misuse, but survivable) ends
 *    the bracket early and carries on.
 */
// ctest-labels: sched
#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>
#include "pingpong.h"

/* A goroutine blocked in read(2) on a plain (blocking) pipe, inside
 * begin/end, until main writes a byte. */
static int gate[2];
static _Atomic int blocked_now;

static void blocker(void *arg)
{
    (void)arg;
    char c;
    goro_syscall_begin();
    atomic_fetch_add(&blocked_now, 1);
    ssize_t r = read(gate[0], &c, 1);
    goro_syscall_end();
    CHECK_EQ(r, 1);
}

/* While one goroutine is blocked, the pair makes thousands of round trips
 * (at GOMAXPROCS 1 that needs sysmon to hand the P on). */
static void long_call(void *arg)
{
    (void)arg;
    CHECK(pipe(gate) == 0);
    pingpong p;
    atomic_store(&blocked_now, 0);
    pingpong_start(&p);
    goro_waitgroup blocked = {0};
    goro_waitgroup_go(&blocked, blocker, NULL);
    WAIT_FOR(atomic_load(&blocked_now) == 1, 5);
    CHECK_EQ(atomic_load(&blocked_now), 1);
    long r0 = atomic_load(&p.rounds);
    WAIT_FOR(atomic_load(&p.rounds) - r0 >= 5000, 8);
    long made = atomic_load(&p.rounds) - r0;
    printf("round trips while a goroutine blocked: %ld\n", made);
    CHECK(made >= 5000);
    CHECK(write(gate[1], "x", 1) == 1);
    goro_waitgroup_wait(&blocked);
    pingpong_stop(&p);
    close(gate[0]);
    close(gate[1]);
}

/* 64 goroutines block at once: all are inside their calls together (each
 * has a thread of its own), and all get a P back afterwards. */
static void many_calls(void *arg)
{
    (void)arg;
    int n = (int)scaled(64, 4);
    CHECK(pipe(gate) == 0);
    atomic_store(&blocked_now, 0);
    goro_waitgroup wg = {0};
    for (int i = 0; i < n; i++)
        CHECK(goro_waitgroup_go(&wg, blocker, NULL) == 0);
    WAIT_FOR(atomic_load(&blocked_now) == n, 10);
    printf("%d goroutines blocked at once\n", atomic_load(&blocked_now));
    CHECK_EQ(atomic_load(&blocked_now), n);
    char buf[64];
    memset(buf, 'x', sizeof buf);
    CHECK(write(gate[1], buf, (size_t)n) == n);
    goro_waitgroup_wait(&wg);
    close(gate[0]);
    close(gate[1]);
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

/* errno of the current thread (the compiler may not reuse an address of
 * errno computed before a call that can move the goroutine). */
static __attribute__((noinline)) int errno_now(void)
{
    __asm__ volatile("" ::: "memory");
    return errno;
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
    int e = errno;          /* the documented pattern: read it before end */
    goro_syscall_end();
    CHECK(r == -1);
    CHECK_EQ(e, EBADF);
    CHECK_EQ(errno_now(), EBADF);   /* and it survives end, on any thread */
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
