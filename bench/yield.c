/* SPDX-License-Identifier: MIT */
/*
 * yield: two goroutines on one P alternate with goro_yield (Go:
 * runtime.Gosched with GOMAXPROCS=1); each yields N = 1,000,000 times.
 * The program sets maxprocs to 1 itself (bench/run.sh also exports
 * GOROMAXPROCS=1). A driver goroutine starts the pair, then parks on a
 * WaitGroup, so only the two yielders are runnable while timed.
 * Figure: ns per goro_yield call (total time / total yields), median of 3
 * passes after a warm-up pass. Twin: bench/go/yield/main.go.
 * Usage: bench_yield [N]
 */
#include "bench.h"

static long n_yields = 1000000;    /* per goroutine */
static goro_waitgroup wg;

static void yielder(void *arg)
{
    (void)arg;
    for (long i = 0; i < n_yields; i++)
        goro_yield();
    goro_waitgroup_done(&wg);
}

static double one_pass(void)
{
    goro_waitgroup_add(&wg, 2);
    bench_go(yielder, NULL);
    bench_go(yielder, NULL);
    int64_t t0 = goro_now();
    goro_waitgroup_wait(&wg);
    return (double)(goro_now() - t0) / (double)(2 * n_yields);
}

int main(int argc, char **argv)
{
    n_yields = bench_arg(argc, argv, n_yields);
    goro_maxprocs(1);
    bench_header("yield");
    printf("# n=%ld per goroutine, 2 goroutines\n", n_yields);
    bench_passes("yield", "ns_per_op", one_pass);
    return 0;
}
