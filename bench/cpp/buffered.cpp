/* SPDX-License-Identifier: MIT */
/*
 * buffered (C++): bench/buffered.c written with goro.hpp: a
 * goro::chan<long> of capacity 128, 1p1c and 4p4c, producers and
 * consumers started with waitgroup::go, receivers ranging over the
 * channel. Same figures (ns per item); run against the C program by
 * bench/cpp/compare.sh.
 * Usage: bench_cpp_buffered [N]
 */
#include <goro.hpp>

#include "../bench.h"

#define CAP 128
#define NPROD 4
#define NCONS 4

static long n_items = 10000000;
static volatile long sink;

static void produce(const goro::send_chan<long> &ch, long from, long to)
{
    for (long i = from; i < to; i++)
        ch.send(i);
}

static long consume(const goro::recv_chan<long> &ch)
{
    long sum = 0;
    for (long v : ch)   // for v := range ch
        sum += v;
    return sum;
}

static double pass_1p1c()
{
    goro::chan<long> ch(CAP);
    goro::waitgroup producers;
    int64_t t0 = goro_now();
    producers.go([ch] {
        produce(ch, 0, n_items);
        ch.close();
    });
    long sum = consume(ch);
    double ns = (double)(goro_now() - t0) / (double)n_items;
    producers.wait();
    if (sum != n_items * (n_items - 1) / 2)
        bench_die("buffered 1p1c checksum", 0);
    sink = sum;
    return ns;
}

static double pass_4p4c()
{
    goro::chan<long> ch(CAP);
    goro::waitgroup producers, consumers;
    long per = n_items / NPROD, partial[NCONS];
    int64_t t0 = goro_now();
    for (int c = 0; c < NCONS; c++)
        consumers.go([ch, c, &partial] { partial[c] = consume(ch); });
    for (int p = 0; p < NPROD; p++)
        producers.go([ch, p, per] { produce(ch, p * per, (p + 1) * per); });
    producers.wait();
    ch.close();
    consumers.wait();
    double ns = (double)(goro_now() - t0) / (double)(per * NPROD);
    long sum = 0, total = per * NPROD;
    for (int c = 0; c < NCONS; c++)
        sum += partial[c];
    if (sum != total * (total - 1) / 2)
        bench_die("buffered 4p4c checksum", 0);
    sink = sum;
    return ns;
}

static double cold[2], passes[2][BENCH_PASSES];

static void driver(void *)
{
    BENCH_MEASURE(cold[0], passes[0], pass_1p1c());
    BENCH_MEASURE(cold[1], passes[1], pass_4p4c());
}

int main(int argc, char **argv)
{
    n_items = bench_arg(argc, argv, n_items);
    bench_header("buffered");
    printf("# n=%ld items, cap %d, 1p1c and %dp%dc, C++\n", n_items, CAP, NPROD, NCONS);
    bench_run(driver, NULL);
    bench_report("buffered", "ns_per_op_1p1c", cold[0], passes[0], BENCH_PASSES);
    bench_report("buffered", "ns_per_op_4p4c", cold[1], passes[1], BENCH_PASSES);
    return 0;
}
