/* SPDX-License-Identifier: MIT */
/*
 * pairs: K independent ping-pong pairs (default 64), each two goroutines
 * and two unbuffered channels, doing N/K round trips each (N = 2,000,000
 * in all); nothing is shared between pairs, so the figure shows how the
 * scheduler scales when every P has its own work.
 * Figure: ns per round trip of the whole set (wall time / N: lower is
 * better, and the ratio between GOMAXPROCS 1 and P is the speed-up),
 * median of 3 passes after a warm-up pass.
 * Twin: bench/go/pairs/main.go.
 * Usage: bench_pairs [N [K]]
 */
#include "bench.h"

static long n_trips = 2000000;
static long n_pairs = 64;
static goro_waitgroup pairs_done;

struct pair {
    goro_chan *ping, *pong;
    long trips, sum;
};

static void echo(void *arg)
{
    struct pair *p = arg;
    long v;
    while (goro_chan_recv(p->ping, &v) == 0)
        goro_chan_send(p->pong, &v);
    goro_chan_release(p->ping);
    goro_chan_release(p->pong);
    goro_waitgroup_done(&pairs_done);
}

static void driver(void *arg)
{
    struct pair *p = arg;
    long v = 0;
    for (long i = 0; i < p->trips; i++) {
        goro_chan_send(p->ping, &i);
        goro_chan_recv(p->pong, &v);
        p->sum += v;
    }
    goro_chan_close(p->ping);
    goro_waitgroup_done(&pairs_done);
}

static double one_pass(void)
{
    struct pair *ps = calloc((size_t)n_pairs, sizeof *ps);
    if (!ps)
        bench_die("calloc", GORO_ENOMEM);
    long per = n_trips / n_pairs;
    for (long k = 0; k < n_pairs; k++) {
        ps[k].ping = bench_chan_make(sizeof(long), 0);
        ps[k].pong = bench_chan_make(sizeof(long), 0);
        ps[k].trips = per;
        goro_chan_retain(ps[k].ping);   /* the echo side releases its own */
        goro_chan_retain(ps[k].pong);
    }
    goro_waitgroup_add(&pairs_done, 2 * n_pairs);
    int64_t t0 = goro_now();
    for (long k = 0; k < n_pairs; k++) {
        bench_go(echo, &ps[k]);
        bench_go(driver, &ps[k]);
    }
    goro_waitgroup_wait(&pairs_done);
    double ns = (double)(goro_now() - t0) / (double)(per * n_pairs);
    for (long k = 0; k < n_pairs; k++) {
        if (ps[k].sum != per * (per - 1) / 2)
            bench_die("pairs checksum", 0);
        goro_chan_release(ps[k].ping);
        goro_chan_release(ps[k].pong);
    }
    free(ps);
    return ns;
}

int main(int argc, char **argv)
{
    n_trips = bench_arg(argc, argv, n_trips);
    if (argc > 2 && atol(argv[2]) > 0)
        n_pairs = atol(argv[2]);
    bench_header("pairs");
    printf("# n=%ld round trips over %ld pairs\n", n_trips, n_pairs);
    bench_passes("pairs", "ns_per_op", one_pass);
    return 0;
}
