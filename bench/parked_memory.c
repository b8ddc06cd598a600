/* SPDX-License-Identifier: MIT */
/*
 * parked_memory: N = 100,000 goroutines each blocked in goro_sleep(1 hour).
 * A driver goroutine spawns them; each calls wg.Done() and then sleeps; the
 * driver waits on the WaitGroup (so all have started), and main then lets
 * the last ones reach their sleep before reading RSS. Figures: RSS increase
 * per goroutine in bytes (/proc/self/statm, before spawning vs after all
 * are parked), and create_ms (first spawn until every goroutine started).
 * One cold pass per process, no warm-up: a second pass would reuse the
 * first one's stacks. main returning kills the sleepers, as in Go.
 * Twin: bench/go/parked_memory/main.go.
 * Usage: bench_parked_memory [N]
 */
#include "bench.h"

static long n_goroutines = 100000;
static goro_waitgroup started;
static double create_ms;

static void sleeper(void *arg)
{
    (void)arg;
    goro_waitgroup_done(&started);
    goro_sleep(3600 * GORO_SECOND);
}

static void driver(void *arg)
{
    (void)arg;
    int64_t t0 = goro_now();
    for (long i = 0; i < n_goroutines; i++) {
        goro_waitgroup_add(&started, 1);
        bench_go(sleeper, NULL);
    }
    goro_waitgroup_wait(&started);
    create_ms = (double)(goro_now() - t0) / 1e6;
}

int main(int argc, char **argv)
{
    n_goroutines = bench_arg(argc, argv, n_goroutines);
    bench_header("parked_memory");
    printf("# n=%ld\n", n_goroutines);

    /* Start the runtime and run one goroutine, so its threads and first
     * stack are not charged to the sleepers. */
    bench_run(bench_noop, NULL);

    long rss0 = bench_rss_bytes();
    bench_run(driver, NULL);
    goro_sleep(100 * GORO_MILLISECOND);    /* the last ones reach goro_sleep */
    long rss1 = bench_rss_bytes();

    printf("# rss_before=%ld rss_after=%ld live=%d\n", rss0, rss1,
           goro_num_goroutine());
    printf("parked_memory bytes_per_goroutine %.4g\n",
           (double)(rss1 - rss0) / (double)n_goroutines);
    printf("parked_memory create_ms %.4g\n", create_ms);
    fflush(stdout);
    return 0;
}
