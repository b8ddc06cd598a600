/* SPDX-License-Identifier: MIT */
/*
 * mutex: G goroutines (G = 2, 8, 100) increment one counter under one
 * goro_mutex, N = 10,000,000 increments in total (N/G each), from inside
 * a driver goroutine (Go's main is a goroutine). Figures, per G: ns per
 * increment (lock + add + unlock, total time / N) and process CPU ns per
 * increment (getrusage, every thread: what spinning and idle Ms cost),
 * medians of 3 passes after a warm-up pass. Twin: bench/go/mutex/main.go.
 * Usage: bench_mutex [N]
 */
#include "bench.h"

static long n_total = 10000000;
static goro_mutex mu;
static long counter;               /* protected by mu */
static goro_waitgroup wg;
static const int gs[] = {2, 8, 100};
/* [k]: wall ns per op at gs[k]; [3 + k]: process CPU ns per op */
static double cold[6], passes[6][BENCH_PASSES];

static void worker(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        goro_mutex_lock(&mu);
        counter++;
        goro_mutex_unlock(&mu);
    }
    goro_waitgroup_done(&wg);
}

/* Returns wall ns per op; *cpu gets process CPU ns per op. */
static double one_pass(int g, double *cpu)
{
    long per = n_total / g;
    counter = 0;
    int64_t c0 = bench_cpu_ns();
    int64_t t0 = goro_now();
    goro_waitgroup_add(&wg, g);
    for (int i = 0; i < g; i++)
        bench_go(worker, (void *)per);
    goro_waitgroup_wait(&wg);
    int64_t t1 = goro_now();
    *cpu = (double)(bench_cpu_ns() - c0) / (double)(per * g);
    if (counter != per * g) {
        fprintf(stderr, "bench: counter %ld, want %ld\n", counter, per * g);
        exit(1);
    }
    return (double)(t1 - t0) / (double)(per * g);
}

static void driver(void *arg)
{
    (void)arg;
    for (int k = 0; k < 3; k++) {
        cold[k] = one_pass(gs[k], &cold[3 + k]);
        for (int p = 0; p < BENCH_PASSES; p++)
            passes[k][p] = one_pass(gs[k], &passes[3 + k][p]);
    }
}

int main(int argc, char **argv)
{
    n_total = bench_arg(argc, argv, n_total);
    bench_header("mutex");
    printf("# n=%ld increments per pass; goroutines 2, 8, 100\n", n_total);
    bench_run(driver, NULL);
    for (int k = 0; k < 3; k++) {
        char metric[32];
        snprintf(metric, sizeof metric, "ns_per_op_g%d", gs[k]);
        bench_report("mutex", metric, cold[k], passes[k], BENCH_PASSES);
        snprintf(metric, sizeof metric, "cpu_ns_per_op_g%d", gs[k]);
        bench_report("mutex", metric, cold[3 + k], passes[3 + k], BENCH_PASSES);
    }
    return 0;
}
