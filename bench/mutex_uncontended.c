/* SPDX-License-Identifier: MIT */
/*
 * mutex_uncontended: one goroutine locks and unlocks a free goro_mutex
 * N = 50,000,000 times (from inside a driver goroutine, as Go's main is
 * one). Figure: ns per lock + unlock pair, median of 3 passes after a
 * warm-up pass. Twin: bench/go/mutex_uncontended/main.go.
 * Usage: bench_mutex_uncontended [N]
 */
#include "bench.h"

static long n_ops = 50000000;
static goro_mutex mu;

static double one_pass(void)
{
    int64_t t0 = goro_now();
    for (long i = 0; i < n_ops; i++) {
        goro_mutex_lock(&mu);
        goro_mutex_unlock(&mu);
    }
    return (double)(goro_now() - t0) / (double)n_ops;
}

int main(int argc, char **argv)
{
    n_ops = bench_arg(argc, argv, n_ops);
    bench_header("mutex_uncontended");
    printf("# n=%ld lock+unlock pairs\n", n_ops);
    bench_passes("mutex_uncontended", "ns_per_op", one_pass);
    return 0;
}
