/* SPDX-License-Identifier: MIT */
/*
 * idle_cpu: after a burst of work (1,000 goroutines that each yield, sleep
 * 1 ms and finish), measure the process CPU time (getrusage, user + system,
 * all threads) consumed while the program sits idle for 1 second, main
 * blocked in goro_sleep. Idle workers should sleep on a futex, so the
 * target is 0. Figure: CPU ms per idle second, median of 3 passes after a
 * warm-up pass. Twin: bench/go/idle_cpu/main.go.
 * Usage: bench_idle_cpu [idle_ms]
 */
#include "bench.h"

#define BURST 1000
static long idle_ms = 1000;
static goro_waitgroup wg;

static void worker(void *arg)
{
    (void)arg;
    goro_yield();
    goro_sleep(GORO_MILLISECOND);
    goro_waitgroup_done(&wg);
}

static double one_pass(void)
{
    for (int i = 0; i < BURST; i++) {
        goro_waitgroup_add(&wg, 1);
        bench_go(worker, NULL);
    }
    goro_waitgroup_wait(&wg);
    int64_t c0 = bench_cpu_ns();
    goro_sleep(idle_ms * GORO_MILLISECOND);
    int64_t c1 = bench_cpu_ns();
    return (double)(c1 - c0) / 1e6 * (1000.0 / (double)idle_ms);
}

int main(int argc, char **argv)
{
    idle_ms = bench_arg(argc, argv, idle_ms);
    bench_header("idle_cpu");
    printf("# idle_ms=%ld burst=%d\n", idle_ms, BURST);
    double cold, passes[BENCH_PASSES];
    BENCH_MEASURE(cold, passes, one_pass());
    bench_report("idle_cpu", "cpu_ms", cold, passes, BENCH_PASSES);
    return 0;
}
