/* SPDX-License-Identifier: MIT */
/*
 * pingpong (C++): bench/pingpong.c written with goro.hpp: goro::chan<long>,
 * range-for in the partner, goro::go with a capturing lambda. Same figure
 * (ns per round trip, median of 3 passes after a warm-up pass); run
 * against the C program by bench/cpp/compare.sh.
 * Usage: bench_cpp_pingpong [N]
 */
#include <goro.hpp>

#include "../bench.h"

static long n_trips = 1000000;
static volatile long sink;

static double one_pass()
{
    goro::chan<long> ping(0), pong(0);
    goro::waitgroup partner;
    partner.go([ping, pong] {
        for (long v : ping)   // for v := range ping
            pong.send(v);     //     pong <- v
    });

    long sum = 0;
    int64_t t0 = goro_now();
    for (long i = 0; i < n_trips; i++) {
        ping.send(i);
        sum += *pong.recv();
    }
    double ns = (double)(goro_now() - t0) / (double)n_trips;

    ping.close();
    partner.wait();
    if (sum != n_trips * (n_trips - 1) / 2)
        bench_die("pingpong checksum", 0);
    sink = sum;
    return ns;
}

int main(int argc, char **argv)
{
    n_trips = bench_arg(argc, argv, n_trips);
    bench_header("pingpong");
    printf("# n=%ld round trips, C++\n", n_trips);
    bench_passes("pingpong", "ns_per_op", one_pass);
    return 0;
}
