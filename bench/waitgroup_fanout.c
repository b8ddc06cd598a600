/* SPDX-License-Identifier: MIT */
/*
 * waitgroup_fanout: N = 100,000 goroutines all block in goro_waitgroup_wait
 * on one "gate" WaitGroup; one done on the gate releases them all, and each
 * then calls done on a "finished" WaitGroup that the driver waits on, and
 * blocks again on a second gate (so goroutine exit, a scheduler cost, is
 * not timed; the second gate opens after the timing). Runs inside a driver
 * goroutine (Go's main is one). Figures, median of 3 passes after a warm-up
 * pass:
 *   release_ns_per_g  from the gate's done to the last finished done, per
 *                     goroutine (the fan-out wake-up);
 *   total_ns_per_g    the whole pass (spawn, block, release, finish, second
 *                     release, exit) less a 1 ms settling sleep, per
 *                     goroutine.
 * Twin: bench/go/waitgroup_fanout/main.go.
 * Usage: bench_waitgroup_fanout [N]
 */
#include "bench.h"

static long n_goroutines = 100000;
static goro_waitgroup gate, ready, finished, gate2, exited;
static double cold_rel, cold_tot, rel[BENCH_PASSES], tot[BENCH_PASSES];

static void waiter(void *arg)
{
    (void)arg;
    goro_waitgroup_done(&ready);
    goro_waitgroup_wait(&gate);
    goro_waitgroup_done(&finished);
    goro_waitgroup_wait(&gate2);
    goro_waitgroup_done(&exited);
}

static void one_pass(double *release, double *total)
{
    int64_t t0 = goro_now();
    goro_waitgroup_add(&gate, 1);
    goro_waitgroup_add(&ready, n_goroutines);
    goro_waitgroup_add(&finished, n_goroutines);
    goro_waitgroup_add(&gate2, 1);
    goro_waitgroup_add(&exited, n_goroutines);
    for (long i = 0; i < n_goroutines; i++)
        bench_go(waiter, NULL);
    goro_waitgroup_wait(&ready);
    goro_sleep(GORO_MILLISECOND);      /* the last ones reach their wait */
    int64_t t1 = goro_now();
    goro_waitgroup_done(&gate);
    goro_waitgroup_wait(&finished);
    int64_t t2 = goro_now();
    goro_waitgroup_done(&gate2);
    goro_waitgroup_wait(&exited);
    int64_t t3 = goro_now();
    *release = (double)(t2 - t1) / (double)n_goroutines;
    *total = (double)(t3 - t0 - GORO_MILLISECOND) / (double)n_goroutines;
}

static void driver(void *arg)
{
    (void)arg;
    one_pass(&cold_rel, &cold_tot);
    for (int p = 0; p < BENCH_PASSES; p++)
        one_pass(&rel[p], &tot[p]);
}

int main(int argc, char **argv)
{
    n_goroutines = bench_arg(argc, argv, n_goroutines);
    bench_header("waitgroup_fanout");
    printf("# n=%ld goroutines\n", n_goroutines);
    bench_run(driver, NULL);
    bench_report("waitgroup_fanout", "release_ns_per_g", cold_rel, rel, BENCH_PASSES);
    bench_report("waitgroup_fanout", "total_ns_per_g", cold_tot, tot, BENCH_PASSES);
    return 0;
}
