/* SPDX-License-Identifier: MIT */
/*
 * sleepers: from a driver goroutine (Go's main is a goroutine), start N =
 * 100,000 goroutines that each sleep 1 ms once and then wg.Done(), and
 * wg.Wait(). Each goroutine measures its own oversleep: the time its
 * goro_sleep(1 ms) took, minus 1 ms. Figures: wall_ms (first spawn until
 * wg.Wait() returns), p99_oversleep_us and p50_oversleep_us over the N
 * goroutines of a pass, and ns_per_sleep = (wall - 1 ms) / N; each the
 * median of 3 passes after a warm-up pass; the mean oversleep as a
 * comment. Twin: bench/go/sleepers/main.go.
 * Usage: bench_sleepers [N]
 */
#include "bench.h"

static long n_goroutines = 100000;
static goro_waitgroup wg;
static int64_t *over;                  /* ns, one slot per goroutine */

enum { WALL, P99, P50, PER_SLEEP, NMETRICS };
static const char *metric[NMETRICS] = {
    "wall_ms", "p99_oversleep_us", "p50_oversleep_us", "ns_per_sleep",
};
static double cold[NMETRICS], passes[NMETRICS][BENCH_PASSES];

static void sleeper(void *arg)
{
    int64_t *slot = arg;
    int64_t t0 = goro_now();
    goro_sleep(GORO_MILLISECOND);
    *slot = goro_now() - t0 - GORO_MILLISECOND;
    goro_waitgroup_done(&wg);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void one_pass(double *out)
{
    int64_t t0 = goro_now();
    for (long i = 0; i < n_goroutines; i++) {
        goro_waitgroup_add(&wg, 1);
        bench_go(sleeper, &over[i]);
    }
    goro_waitgroup_wait(&wg);
    int64_t wall = goro_now() - t0;
    qsort(over, (size_t)n_goroutines, sizeof *over, cmp_i64);
    double sum = 0;
    for (long i = 0; i < n_goroutines; i++)
        sum += (double)over[i];
    out[WALL] = (double)wall / 1e6;
    out[P99] = (double)over[(n_goroutines * 99) / 100] / 1e3;
    out[P50] = (double)over[n_goroutines / 2] / 1e3;
    out[PER_SLEEP] = (double)(wall - GORO_MILLISECOND) / (double)n_goroutines;
    printf("# pass: wall_ms %.1f mean_oversleep_us %.1f max_oversleep_us %.1f\n",
           out[WALL], sum / (double)n_goroutines / 1e3,
           (double)over[n_goroutines - 1] / 1e3);
}

static void driver(void *arg)
{
    (void)arg;
    double v[NMETRICS];
    one_pass(cold);
    for (int p = 0; p < BENCH_PASSES; p++) {
        one_pass(v);
        for (int k = 0; k < NMETRICS; k++)
            passes[k][p] = v[k];
    }
}

int main(int argc, char **argv)
{
    n_goroutines = bench_arg(argc, argv, n_goroutines);
    over = calloc((size_t)n_goroutines, sizeof *over);
    if (!over)
        bench_die("calloc", GORO_ENOMEM);
    bench_header("sleepers");
    printf("# n=%ld sleep=1ms\n", n_goroutines);
    bench_run(driver, NULL);
    for (int k = 0; k < NMETRICS; k++)
        bench_report("sleepers", metric[k], cold[k], passes[k], BENCH_PASSES);
    free(over);
    return 0;
}
