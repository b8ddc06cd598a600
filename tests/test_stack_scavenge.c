/* SPDX-License-Identifier: MIT */
/*
 * test_stack_scavenge.c: dead goroutines' stacks keep their pages in the
 * pools (a goroutine's exit makes no system call), and sysmon gives the
 * pages beyond those the global pool keeps back to the kernel once the
 * pool has been left alone a while, so RSS after a burst of goroutines
 * comes down again (stack.c, goro__stack_scavenge).
 *  - with the pool told to keep no pages and never to go idle, N
 *    goroutines that each touched 32 KiB of stack end: RSS stays up by
 *    most of their pages (nothing given back on the exit path);
 *  - told to give back after 10 ms of quiet, once sysmon has gone to
 *    sleep for good (the tuning wakes it), RSS comes down to within a
 *    quarter of the burst, within 10 s (polled);
 *  - no stack is counted in use, and a second burst reuses the given-back
 *    stacks (their pages fault in again, as zeros) and ends as cleanly;
 *  - then the runtime goes idle again: sysmon, whose sleep was timed
 *    while pages waited, sleeps for good once the last pages are back
 *    (process CPU over 200 ms idle stays small).
 * RSS is only checked where it means what it says: not under sanitizers
 * or Valgrind (GORO_TEST_SLOW), whose shadow memory and own allocator
 * move it.
 */
// ctest-labels: sched
#define GORO_SCHED_INTERNAL   /* white-box: the scheduler's private header */
#include "sched/runtime.h"
#include "testutil.h"

#include <sys/resource.h>
#include <unistd.h>

#define TOUCH_KIB 32

static long n_goroutines;
static goro_chan *gate;
static goro_waitgroup started, done;
static _Atomic long bad;

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    CHECK(f);
    CHECK(fscanf(f, "%ld %ld", &size, &res) == 2);
    fclose(f);
    return res * sysconf(_SC_PAGESIZE);
}

/* RSS once it is below limit, or after 10 s (polled: the scavenger runs
 * on its own after the pool's quiet period). */
static long wait_rss_below(long limit)
{
    long rss = rss_bytes();
    for (int64_t deadline = goro_now() + 10 * GORO_SECOND;
         rss >= limit && goro_now() < deadline; rss = rss_bytes())
        goro_sleep(5 * GORO_MILLISECOND);
    return rss;
}

/* Waits until RSS stops falling (the scavenger has given back its last
 * chunk; its madvise calls are CPU the idle check must not count), or
 * 10 s. */
static void wait_rss_settled(void)
{
    long before, after = rss_bytes();
    int64_t deadline = goro_now() + 10 * GORO_SECOND;
    do {
        before = after;
        goro_sleep(20 * GORO_MILLISECOND);
        after = rss_bytes();
    } while (after < before && goro_now() < deadline);
}

static int64_t cpu_ns(void)
{
    struct rusage ru;
    CHECK(getrusage(RUSAGE_SELF, &ru) == 0);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * GORO_SECOND +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * GORO_MICROSECOND;
}

/* Writes a pattern over 32 KiB of frames and checks it (a given-back
 * stack reads as zeros first, never as another goroutine's data). */
static long touch(int n, volatile char *prev)
{
    volatile char buf[1024];
    for (int i = 0; i < 1024; i += 64)
        buf[i] = (char)(n + i);
    long r = n == 0 ? 0 : touch(n - 1, buf);
    for (int i = 0; i < 1024; i += 64)
        if (buf[i] != (char)(n + i))
            atomic_fetch_add(&bad, 1);
    return r + (prev ? prev[0] : 0);
}

static void worker(void *arg)
{
    (void)arg;
    touch(TOUCH_KIB - 4, NULL);
    goro_waitgroup_done(&started);
    CHECK(goro_chan_recv(gate, NULL) == GORO_ECLOSED);
    goro_waitgroup_done(&done);
}

/* N goroutines that all hold their stacks at once, then all end. */
static void burst(void *arg)
{
    (void)arg;
    gate = goro_chan_make(sizeof(int), 0);
    CHECK(gate);
    goro_waitgroup_add(&started, (int)n_goroutines);
    goro_waitgroup_add(&done, (int)n_goroutines);
    for (long i = 0; i < n_goroutines; i++)
        CHECK(goro_go(worker, NULL) == 0);
    goro_waitgroup_wait(&started);
    goro_chan_close(gate);
    goro_waitgroup_wait(&done);
    goro_chan_release(gate);
}

int main(void)
{
    bool slow = scaled(2, 2) == 1;
    n_goroutines = scaled(2000, 4);
    long burst_bytes = n_goroutines * TOUCH_KIB * 1024;
    goro__stack_scavenge_tune(0, INT64_MAX);   /* keep every page for now */
    run_main(burst, NULL);   /* the runtime's first stacks and threads */
    check_no_stack_in_use();

    /* A second burst reuses the first one's stacks: RSS is up by their
     * pages, all kept. */
    long rss0 = rss_bytes();
    run_main(burst, NULL);
    check_no_stack_in_use();
    CHECK_EQ(atomic_load(&bad), 0);

    /* Let sysmon fall asleep for good first (nothing to give back under
     * the first tuning): the new tuning must wake it. */
    goro_sleep(30 * GORO_MILLISECOND);
    goro__stack_scavenge_tune(0, 10 * GORO_MILLISECOND);
    long rss1 = wait_rss_below(rss0 - burst_bytes * 3 / 4);
    printf("rss %ld KiB with the burst's stacks kept, %ld KiB after the scavenger "
           "(burst touched %ld KiB)\n", rss0 / 1024, rss1 / 1024, burst_bytes / 1024);
    if (!slow)
        CHECK(rss1 < rss0 - burst_bytes * 3 / 4);
    check_no_stack_in_use();

    /* Given-back stacks are reused, zeroed, and counted right; their
     * pages go back again. */
    run_main(burst, NULL);
    check_no_stack_in_use();
    CHECK_EQ(atomic_load(&bad), 0);
    long rss2 = wait_rss_below(rss1 + burst_bytes / 4);
    if (!slow)
        CHECK(rss2 < rss1 + burst_bytes / 4);

    /* Once everything is given back, sysmon sleeps for good. */
    wait_rss_settled();
    int64_t c0 = cpu_ns();
    goro_sleep(200 * GORO_MILLISECOND);
    int64_t used = cpu_ns() - c0;
    printf("process CPU over 200 ms idle: %lld us\n", (long long)(used / 1000));
    if (!slow)
        CHECK(used < 20 * GORO_MILLISECOND);
    TEST_PASS("test_stack_scavenge");
}
