/* SPDX-License-Identifier: MIT */
/*
 * test_idle.c: an idle runtime uses no CPU. After goroutines (including
 * sleepers, so timers were used) have finished, the process's CPU time
 * over 300 ms of idleness stays under 15 ms: idle threads sleep on futexes,
 * nothing spins or polls.
 */
// ctest-labels: sched
#include <sys/resource.h>
#include "testutil.h"

static goro_waitgroup wg;

static void work(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++)
        goro_yield();
    goro_sleep(GORO_MILLISECOND);
    goro_waitgroup_done(&wg);
}

static int64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * GORO_SECOND +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * GORO_MICROSECOND;
}

int main(void)
{
    goro_waitgroup_add(&wg, 1000);
    for (int i = 0; i < 1000; i++)
        CHECK(goro_go(work, NULL) == 0);
    goro_waitgroup_wait(&wg);
    goro_sleep(20 * GORO_MILLISECOND);   /* let spinning threads settle */
    int64_t c0 = cpu_ns();
    goro_sleep(300 * GORO_MILLISECOND);
    int64_t used = cpu_ns() - c0;
    printf("CPU while idle: %.2f ms\n", used / 1e6);
    CHECK(used < 15 * GORO_MILLISECOND);
    TEST_PASS("test_idle");
}
