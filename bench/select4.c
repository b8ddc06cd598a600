/* SPDX-License-Identifier: MIT */
/*
 * select4: four producer goroutines each send N/4 items on their own
 * channel and close it; the driver goroutine (Go's main) receives all N =
 * 4,000,000 items with a select over the four channels. A channel found
 * closed is set to NULL in its case, so that case never fires again (Go's
 * nil-channel idiom); the loop ends when all four are closed. Measured
 * with unbuffered channels and with capacity 128.
 * Figures: ns per item (ns_per_op_unbuffered, ns_per_op_cap128), each the
 * median of 3 passes after a warm-up pass. Twin: bench/go/select4/main.go.
 * Usage: bench_select4 [N]
 */
#include "bench.h"

#define NCH 4

static long n_items = 4000000;
static goro_waitgroup producers;
static volatile long sink;

struct producer_args {
    goro_chan *ch;
    long from, to;
};

static void producer(void *arg)
{
    struct producer_args *a = arg;
    for (long i = a->from; i < a->to; i++)
        goro_chan_send(a->ch, &i);
    goro_chan_close(a->ch);
    goro_waitgroup_done(&producers);
}

static double one_pass(size_t cap)
{
    goro_chan *ch[NCH];
    long per = n_items / NCH;
    for (int k = 0; k < NCH; k++)
        ch[k] = bench_chan_make(sizeof(long), cap);

    int64_t t0 = goro_now();
    for (int k = 0; k < NCH; k++) {
        struct producer_args a = {ch[k], k * per, (k + 1) * per};
        goro_waitgroup_add(&producers, 1);
        bench_go_copy(producer, &a, sizeof a);
    }
    long v, sum = 0, got = 0;
    goro_case cs[NCH];
    for (int k = 0; k < NCH; k++)
        cs[k] = GORO_CASE_RECV(ch[k], &v);
    for (int open = NCH; open > 0;) {
        int k = goro_select(cs, NCH);
        if (k < 0)
            bench_die("goro_select", k);
        if (cs[k].result == GORO_ECLOSED) {
            cs[k].ch = NULL;          /* nil channel: never ready again */
            open--;
            continue;
        }
        sum += v;
        got++;
    }
    double ns = (double)(goro_now() - t0) / (double)got;

    goro_waitgroup_wait(&producers);
    for (int k = 0; k < NCH; k++)
        goro_chan_release(ch[k]);
    if (got != per * NCH || sum != got * (got - 1) / 2)
        bench_die("select4 checksum", 0);
    sink = sum;
    return ns;
}

static double cold[2], passes[2][BENCH_PASSES];

static void driver(void *arg)
{
    (void)arg;
    BENCH_MEASURE(cold[0], passes[0], one_pass(0));
    BENCH_MEASURE(cold[1], passes[1], one_pass(128));
}

int main(int argc, char **argv)
{
    n_items = bench_arg(argc, argv, n_items);
    bench_header("select4");
    printf("# n=%ld items over %d channels, unbuffered and cap 128\n", n_items, NCH);
    bench_run(driver, NULL);
    bench_report("select4", "ns_per_op_unbuffered", cold[0], passes[0], BENCH_PASSES);
    bench_report("select4", "ns_per_op_cap128", cold[1], passes[1], BENCH_PASSES);
    return 0;
}
