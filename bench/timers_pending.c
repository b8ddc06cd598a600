/* SPDX-License-Identifier: MIT */
/*
 * timers_pending: a driver goroutine (Go's main is a goroutine) creates N =
 * 1,000,000 timers with goro_timer_new(1 hour), none of which fires during
 * the run; main then sits idle for 1 s (goro_sleep) with all of them
 * pending. Figures: cpu_ms, the process CPU time (getrusage, user +
 * system, all threads) used during that idle second, whose target is 0
 * (pending timers cost memory, not CPU); bytes_per_timer, the RSS increase
 * (/proc/self/statm) from before creating to after, divided by N;
 * create_ns_per_timer; stop_ns_per_timer, the cost of goro_timer_stop on
 * each afterwards (in creation order), and free_ns_per_timer, that of
 * goro_timer_free on each stopped timer then (Go has no twin of it). One cold pass per process, like
 * parked_memory: a second pass would reuse the first one's memory.
 * Twin: bench/go/timers_pending/main.go (time.NewTimer, then Stop).
 * Usage: bench_timers_pending [N]
 */
#include "bench.h"

static long n_timers = 1000000;
static goro_timer **timers;
static double create_ns, stop_ns, free_ns;

static void create_all(void *arg)
{
    (void)arg;
    int64_t t0 = goro_now();
    for (long i = 0; i < n_timers; i++) {
        timers[i] = goro_timer_new(3600 * GORO_SECOND);
        if (!timers[i])
            bench_die("goro_timer_new", GORO_ENOMEM);
    }
    create_ns = (double)(goro_now() - t0) / (double)n_timers;
}

static void stop_free_all(void *arg)
{
    (void)arg;
    int64_t t0 = goro_now();
    for (long i = 0; i < n_timers; i++)
        goro_timer_stop(timers[i]);
    int64_t t1 = goro_now();
    for (long i = 0; i < n_timers; i++)
        goro_timer_free(timers[i]);
    stop_ns = (double)(t1 - t0) / (double)n_timers;
    free_ns = (double)(goro_now() - t1) / (double)n_timers;
}

int main(int argc, char **argv)
{
    n_timers = bench_arg(argc, argv, n_timers);
    bench_header("timers_pending");
    printf("# n=%ld timeout=1h idle=1s\n", n_timers);
    timers = malloc((size_t)n_timers * sizeof *timers);
    if (!timers)
        bench_die("malloc", GORO_ENOMEM);
    memset(timers, 0, (size_t)n_timers * sizeof *timers);   /* not charged to the timers */

    /* Start the runtime (threads, a first stack) before measuring. */
    bench_run(bench_noop, NULL);

    long rss0 = bench_rss_bytes();
    bench_run(create_all, NULL);
    long rss1 = bench_rss_bytes();

    goro_sleep(10 * GORO_MILLISECOND);    /* let the threads go idle */
    int64_t c0 = bench_cpu_ns(), w0 = goro_now();
    goro_sleep(GORO_SECOND);
    int64_t c1 = bench_cpu_ns(), w1 = goro_now();
    double cpu_ms = (double)(c1 - c0) / 1e6 * (1e9 / (double)(w1 - w0));

    bench_run(stop_free_all, NULL);
    printf("# rss_before=%ld rss_after=%ld\n", rss0, rss1);
    printf("timers_pending cpu_ms %.4g\n", cpu_ms);
    printf("timers_pending bytes_per_timer %.4g\n", (double)(rss1 - rss0) / (double)n_timers);
    printf("timers_pending create_ns_per_timer %.4g\n", create_ns);
    printf("timers_pending stop_ns_per_timer %.4g\n", stop_ns);
    printf("timers_pending free_ns_per_timer %.4g\n", free_ns);
    fflush(stdout);
    free(timers);
    return 0;
}
