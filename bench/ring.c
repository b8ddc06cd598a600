/* SPDX-License-Identifier: MIT */
/*
 * ring: P = 10,000 participants in a ring of unbuffered channels: the
 * driver goroutine (Go's main) and 9,999 forwarders; forwarder i receives
 * on ch[i-1] and sends what it got on ch[i]. The driver sends a token on
 * ch[0] and receives it back from ch[P-1], 100 times (laps), so a pass is
 * P x 100 = 1,000,000 hops. Each pass builds its own ring (channels and
 * goroutines: the setup, timed separately and shown as a comment), times
 * the laps, then closes ch[0]; each forwarder closes its output when its
 * input is closed, and the driver waits for them all.
 * Figure: ns per hop, median of 3 passes after a warm-up pass.
 * Twin: bench/go/ring/main.go.
 * Usage: bench_ring [P [LAPS]]
 */
#include "bench.h"

static long n_part = 10000;
static long n_laps = 100;
static goro_waitgroup forwarders;
static double setup_us[BENCH_PASSES + 1];  /* per pass, the warm-up first */
static int pass_no;

struct link {
    goro_chan *in, *out;
};

static void forwarder(void *arg)
{
    struct link *l = arg;
    long token;
    while (goro_chan_recv(l->in, &token) == 0)
        goro_chan_send(l->out, &token);
    goro_chan_close(l->out);
    goro_waitgroup_done(&forwarders);
}

static double one_pass(void)
{
    int64_t t0 = goro_now();
    goro_chan **ch = malloc((size_t)n_part * sizeof *ch);
    if (!ch)
        bench_die("malloc", GORO_ENOMEM);
    for (long i = 0; i < n_part; i++)
        ch[i] = bench_chan_make(sizeof(long), 0);
    for (long i = 1; i < n_part; i++) {
        struct link l = {ch[i - 1], ch[i]};
        goro_waitgroup_add(&forwarders, 1);
        bench_go_copy(forwarder, &l, sizeof l);
    }
    int64_t t1 = goro_now();
    setup_us[pass_no++] = (double)(t1 - t0) / 1e3;

    long token = 0;
    for (long lap = 0; lap < n_laps; lap++) {
        goro_chan_send(ch[0], &token);
        goro_chan_recv(ch[n_part - 1], &token);
        token++;
    }
    double ns = (double)(goro_now() - t1) / (double)(n_part * n_laps);

    goro_chan_close(ch[0]);
    if (goro_chan_recv(ch[n_part - 1], NULL) != GORO_ECLOSED)
        bench_die("ring shutdown", 0);
    goro_waitgroup_wait(&forwarders);
    for (long i = 0; i < n_part; i++)
        goro_chan_release(ch[i]);
    free(ch);
    if (token != n_laps)
        bench_die("ring token", 0);
    return ns;
}

int main(int argc, char **argv)
{
    n_part = bench_arg(argc, argv, n_part);
    if (argc > 2)
        n_laps = bench_arg(argc - 1, argv + 1, n_laps);
    if (n_part < 2)
        n_part = 2;
    bench_header("ring");
    printf("# participants=%ld laps=%ld hops=%ld\n", n_part, n_laps, n_part * n_laps);
    double cold, passes[BENCH_PASSES];
    bench_measure(one_pass, &cold, passes);
    printf("# ring setup_us cold=%.6g passes: %.6g %.6g %.6g\n", setup_us[0],
           setup_us[1], setup_us[2], setup_us[3]);
    bench_report("ring", "ns_per_op", cold, passes, BENCH_PASSES);
    return 0;
}
