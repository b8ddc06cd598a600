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
static goro_waitgroup driver_done;
static double cold, passes[BENCH_PASSES];

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
    int rc = goro_go(yielder, NULL);
    if (rc == 0)
        rc = goro_go(yielder, NULL);
    if (rc != 0)
        bench_die("goro_go", rc);
    int64_t t0 = goro_now();
    goro_waitgroup_wait(&wg);
    return (double)(goro_now() - t0) / (double)(2 * n_yields);
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
    n_yields = bench_arg(argc, argv, n_yields);
    goro_maxprocs(1);
    bench_header("yield");
    printf("# n=%ld per goroutine, 2 goroutines\n", n_yields);
    goro_waitgroup_add(&driver_done, 1);
    int rc = goro_go(driver, NULL);
    if (rc != 0)
        bench_die("goro_go", rc);
    goro_waitgroup_wait(&driver_done);
    bench_report("yield", "ns_per_op", cold, passes, BENCH_PASSES);
    return 0;
}
