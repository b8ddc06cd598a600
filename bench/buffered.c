/* SPDX-License-Identifier: MIT */
/*
 * buffered: a channel of long with capacity 128 carries N = 10,000,000
 * items, in two configurations, each measured on its own:
 *  - 1p1c: one producer goroutine sends 0..N-1 and closes; the driver
 *    goroutine (Go's main) receives until the channel is closed;
 *  - 4p4c: four producer goroutines send N/4 items each; four consumer
 *    goroutines receive until the channel is closed; the driver waits for
 *    the producers, closes the channel, and waits for the consumers.
 * Figures: ns per item (ns_per_op_1p1c, ns_per_op_4p4c), each the median
 * of 3 passes after a warm-up pass. Twin: bench/go/buffered/main.go.
 * Usage: bench_buffered [N]
 */
#include "bench.h"

#define CAP 128
#define NPROD 4
#define NCONS 4

static long n_items = 10000000;
static goro_waitgroup producers, consumers;
static volatile long sink;

struct producer_args {
    goro_chan *ch;
    long from, to;
    int close_after;      /* 1p1c: the producer closes the channel */
};

static void producer(void *arg)
{
    struct producer_args *a = arg;
    for (long i = a->from; i < a->to; i++)
        goro_chan_send(a->ch, &i);
    if (a->close_after)
        goro_chan_close(a->ch);
    goro_waitgroup_done(&producers);
}

static long consume(goro_chan *ch)
{
    long v, sum = 0;
    while (goro_chan_recv(ch, &v) == 0)        /* for v := range ch */
        sum += v;
    return sum;
}

static long partial[NCONS];             /* each consumer's sum */

struct consumer_args {
    goro_chan *ch;
    int slot;
};

static void consumer(void *arg)
{
    struct consumer_args *a = arg;
    partial[a->slot] = consume(a->ch);
    goro_waitgroup_done(&consumers);
}

static double pass_1p1c(void)
{
    goro_chan *ch = bench_chan_make(sizeof(long), CAP);
    int64_t t0 = goro_now();
    goro_waitgroup_add(&producers, 1);
    struct producer_args pa = {ch, 0, n_items, 1};
    bench_go_copy(producer, &pa, sizeof pa);
    long sum = consume(ch);
    double ns = (double)(goro_now() - t0) / (double)n_items;
    goro_waitgroup_wait(&producers);
    goro_chan_release(ch);
    if (sum != n_items * (n_items - 1) / 2)
        bench_die("buffered 1p1c checksum", 0);
    sink = sum;
    return ns;
}

static double pass_4p4c(void)
{
    goro_chan *ch = bench_chan_make(sizeof(long), CAP);
    long per = n_items / NPROD;
    int64_t t0 = goro_now();
    for (int c = 0; c < NCONS; c++) {
        goro_waitgroup_add(&consumers, 1);
        struct consumer_args ca = {ch, c};
        bench_go_copy(consumer, &ca, sizeof ca);
    }
    for (int p = 0; p < NPROD; p++) {
        goro_waitgroup_add(&producers, 1);
        struct producer_args pa = {ch, p * per, (p + 1) * per, 0};
        bench_go_copy(producer, &pa, sizeof pa);
    }
    goro_waitgroup_wait(&producers);
    goro_chan_close(ch);
    goro_waitgroup_wait(&consumers);
    double ns = (double)(goro_now() - t0) / (double)(per * NPROD);
    goro_chan_release(ch);
    long sum = 0, total = per * NPROD;
    for (int c = 0; c < NCONS; c++)
        sum += partial[c];
    if (sum != total * (total - 1) / 2)
        bench_die("buffered 4p4c checksum", 0);
    sink = sum;
    return ns;
}

static double cold[2], passes[2][BENCH_PASSES];

static void driver(void *arg)
{
    (void)arg;
    BENCH_MEASURE(cold[0], passes[0], pass_1p1c());
    BENCH_MEASURE(cold[1], passes[1], pass_4p4c());
}

int main(int argc, char **argv)
{
    n_items = bench_arg(argc, argv, n_items);
    bench_header("buffered");
    printf("# n=%ld items, cap %d, 1p1c and %dp%dc\n", n_items, CAP, NPROD, NCONS);
    bench_run(driver, NULL);
    bench_report("buffered", "ns_per_op_1p1c", cold[0], passes[0], BENCH_PASSES);
    bench_report("buffered", "ns_per_op_4p4c", cold[1], passes[1], BENCH_PASSES);
    return 0;
}
