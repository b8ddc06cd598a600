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
static goro_waitgroup driver_done;
static double cold, passes[BENCH_PASSES];

static double one_pass(void)
{
    int64_t t0 = goro_now();
    for (long i = 0; i < n_ops; i++) {
        goro_mutex_lock(&mu);
        goro_mutex_unlock(&mu);
    }
    return (double)(goro_now() - t0) / (double)n_ops;
}

static void driver(void *arg)
{
    (void)arg;
    cold = one_pass();
    for (int p = 0; p < BENCH_PASSES; p++)
        passes[p] = one_pass();
    goro_waitgroup_done(&driver_done);
}

int main(int argc, char **argv)
{
    n_ops = bench_arg(argc, argv, n_ops);
    bench_header("mutex_uncontended");
    printf("# n=%ld lock+unlock pairs\n", n_ops);
    goro_waitgroup_add(&driver_done, 1);
    int rc = goro_go(driver, NULL);
    if (rc != 0)
        bench_die("goro_go", rc);
    goro_waitgroup_wait(&driver_done);
    bench_report("mutex_uncontended", "ns_per_op", cold, passes, BENCH_PASSES);
    return 0;
}
