/* SPDX-License-Identifier: MIT */
/*
 * parked_chan: N = 100,000 goroutines, each blocked receiving on its own
 * unbuffered channel. A driver goroutine makes each channel and starts its
 * goroutine, which calls wg.Done() and then receives; the driver waits on
 * the WaitGroup (so all have started), and main then lets the last ones
 * reach their receive before reading RSS. Then the driver closes every
 * channel and waits for all the goroutines to return.
 * Figures: RSS increase per goroutine in bytes, channel included
 * (/proc/self/statm, before the first channel vs after all are parked);
 * create_ms (first spawn until every goroutine started); release_ns_per_g
 * (closing every channel until all have returned, per goroutine).
 * One cold pass per process, no warm-up (a second pass would reuse the
 * first one's stacks). Twin: bench/go/parked_chan/main.go.
 * Usage: bench_parked_chan [N]
 */
#include "bench.h"

static long n_goroutines = 100000;
static goro_chan **chans;
static goro_waitgroup started, exited;
static double create_ms, release_ns;

static void receiver(void *arg)
{
    goro_chan *ch = arg;
    goro_waitgroup_done(&started);
    goro_chan_recv(ch, NULL);          /* parks until its channel is closed */
    goro_waitgroup_done(&exited);
}

static void spawn_all(void *arg)
{
    (void)arg;
    int64_t t0 = goro_now();
    for (long i = 0; i < n_goroutines; i++) {
        chans[i] = bench_chan_make(sizeof(long), 0);
        goro_waitgroup_add(&started, 1);
        goro_waitgroup_add(&exited, 1);
        bench_go(receiver, chans[i]);
    }
    goro_waitgroup_wait(&started);
    create_ms = (double)(goro_now() - t0) / 1e6;
}

static void release_all(void *arg)
{
    (void)arg;
    int64_t t0 = goro_now();
    for (long i = 0; i < n_goroutines; i++)
        goro_chan_close(chans[i]);
    goro_waitgroup_wait(&exited);
    release_ns = (double)(goro_now() - t0) / (double)n_goroutines;
    for (long i = 0; i < n_goroutines; i++)
        goro_chan_release(chans[i]);
}

int main(int argc, char **argv)
{
    n_goroutines = bench_arg(argc, argv, n_goroutines);
    bench_header("parked_chan");
    printf("# n=%ld\n", n_goroutines);
    chans = calloc((size_t)n_goroutines, sizeof *chans);
    if (!chans)
        bench_die("calloc", GORO_ENOMEM);

    /* Start the runtime and run one goroutine, so its threads and first
     * stack are not charged to the receivers. */
    bench_run(bench_noop, NULL);

    long rss0 = bench_rss_bytes();
    bench_run(spawn_all, NULL);
    goro_sleep(100 * GORO_MILLISECOND);    /* the last ones reach their receive */
    long rss1 = bench_rss_bytes();
    int live = goro_num_goroutine();
    bench_run(release_all, NULL);

    printf("# rss_before=%ld rss_after=%ld live=%d\n", rss0, rss1, live);
    printf("parked_chan bytes_per_goroutine %.6g\n",
           (double)(rss1 - rss0) / (double)n_goroutines);
    printf("parked_chan create_ms %.6g\n", create_ms);
    printf("parked_chan release_ns_per_g %.6g\n", release_ns);
    fflush(stdout);
    return 0;
}
