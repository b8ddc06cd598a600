/* SPDX-License-Identifier: MIT */
/*
 * pingpong: two goroutines, two unbuffered channels. The driver goroutine
 * (Go's main is a goroutine, so main starts a driver and waits for it)
 * sends i on ping and waits for it back on pong, N = 1,000,000 times; the
 * other goroutine receives on ping and sends what it got on pong.
 * Figure: ns per round trip, median of 3 passes after a warm-up pass.
 * Each pass makes its own channels and partner goroutine (not timed).
 * Twin: bench/go/pingpong/main.go.
 * Usage: bench_pingpong [N]
 */
#include "bench.h"

static long n_trips = 1000000;
static goro_waitgroup partner_done;
static volatile long sink;

struct pair {
    goro_chan *ping, *pong;
};

static void partner(void *arg)
{
    struct pair *p = arg;
    long v;
    while (goro_chan_recv(p->ping, &v) == 0)   /* for v := range ping */
        goro_chan_send(p->pong, &v);           /*     pong <- v */
    goro_waitgroup_done(&partner_done);
}

static double one_pass(void)
{
    struct pair p = {bench_chan_make(sizeof(long), 0), bench_chan_make(sizeof(long), 0)};
    goro_waitgroup_add(&partner_done, 1);
    bench_go(partner, &p);

    long v = 0, sum = 0;
    int64_t t0 = goro_now();
    for (long i = 0; i < n_trips; i++) {
        goro_chan_send(p.ping, &i);
        goro_chan_recv(p.pong, &v);
        sum += v;
    }
    double ns = (double)(goro_now() - t0) / (double)n_trips;

    goro_chan_close(p.ping);
    goro_waitgroup_wait(&partner_done);
    goro_chan_release(p.ping);
    goro_chan_release(p.pong);
    if (sum != n_trips * (n_trips - 1) / 2)
        bench_die("pingpong checksum", 0);
    sink = sum;
    return ns;
}

int main(int argc, char **argv)
{
    n_trips = bench_arg(argc, argv, n_trips);
    bench_header("pingpong");
    printf("# n=%ld round trips\n", n_trips);
    bench_passes("pingpong", "ns_per_op", one_pass);
    return 0;
}
