/* SPDX-License-Identifier: MIT */
/*
 * pipeline: gen -> square -> square -> driver over unbuffered channels.
 * gen sends 0..N-1 (N = 1,000,000) and closes; each square stage receives
 * until its input is closed, sends n*n (unsigned 64-bit, wrapping as Go's
 * ints do) and then closes its output; the driver goroutine (Go's main)
 * receives until the last channel is closed.
 * Figure: ns per item (end to end), median of 3 passes after a warm-up
 * pass. Twin: bench/go/pipeline/main.go.
 * Usage: bench_pipeline [N]
 */
#include "bench.h"

static long n_items = 1000000;
static goro_waitgroup stages;
static volatile uint64_t sink;

struct stage {
    goro_chan *in, *out;
};

static void gen(void *arg)
{
    struct stage *s = arg;
    for (uint64_t i = 0; i < (uint64_t)n_items; i++)
        goro_chan_send(s->out, &i);
    goro_chan_close(s->out);
    goro_waitgroup_done(&stages);
}

static void square(void *arg)
{
    struct stage *s = arg;
    uint64_t v;
    while (goro_chan_recv(s->in, &v) == 0) {   /* for v := range in */
        v *= v;
        goro_chan_send(s->out, &v);
    }
    goro_chan_close(s->out);
    goro_waitgroup_done(&stages);
}

static void spawn(goro_fn fn, goro_chan *in, goro_chan *out)
{
    struct stage s = {in, out};
    goro_waitgroup_add(&stages, 1);
    bench_go_copy(fn, &s, sizeof s);
}

static double one_pass(void)
{
    goro_chan *ch[3];
    for (int k = 0; k < 3; k++)
        ch[k] = bench_chan_make(sizeof(uint64_t), 0);

    int64_t t0 = goro_now();
    spawn(gen, NULL, ch[0]);
    spawn(square, ch[0], ch[1]);
    spawn(square, ch[1], ch[2]);
    uint64_t v, sum = 0;
    long got = 0;
    while (goro_chan_recv(ch[2], &v) == 0) {
        sum += v;
        got++;
    }
    double ns = (double)(goro_now() - t0) / (double)n_items;

    goro_waitgroup_wait(&stages);
    for (int k = 0; k < 3; k++)
        goro_chan_release(ch[k]);
    if (got != n_items)
        bench_die("pipeline count", 0);
    sink = sum;
    return ns;
}

int main(int argc, char **argv)
{
    n_items = bench_arg(argc, argv, n_items);
    bench_header("pipeline");
    printf("# n=%ld items, gen -> square -> square -> main, unbuffered\n", n_items);
    bench_passes("pipeline", "ns_per_op", one_pass);
    return 0;
}
