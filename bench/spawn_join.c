/* SPDX-License-Identifier: MIT */
/*
 * spawn_join: from inside a goroutine (Go's main is a goroutine, so main
 * starts a driver goroutine and waits for it), spawn N = 1,000,000
 * goroutines that each do trivial work and wg.Done(), then wg.Wait().
 * Figure: ns per goroutine (spawn + run + join), median of 3 passes after
 * a warm-up pass. Twin: bench/go/spawn_join/main.go.
 * Usage: bench_spawn_join [N]
 */
#include "bench.h"

static long n_goroutines = 1000000;
static goro_waitgroup wg;          /* the N workers of one pass */
static volatile uintptr_t sink;

static void trivial(void *arg)
{
    uintptr_t n = (uintptr_t)arg;
    if (n == UINTPTR_MAX)          /* never true: keeps n "used", like _ = n*n */
        sink = n * n;
    goro_waitgroup_done(&wg);
}

static double one_pass(void)
{
    int64_t t0 = goro_now();
    for (long i = 0; i < n_goroutines; i++) {
        goro_waitgroup_add(&wg, 1);
        bench_go(trivial, (void *)(uintptr_t)i);
    }
    goro_waitgroup_wait(&wg);
    return (double)(goro_now() - t0) / (double)n_goroutines;
}

int main(int argc, char **argv)
{
    n_goroutines = bench_arg(argc, argv, n_goroutines);
    bench_header("spawn_join");
    printf("# n=%ld\n", n_goroutines);
    bench_passes("spawn_join", "ns_per_op", one_pass);
    return 0;
}
