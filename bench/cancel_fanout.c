/* SPDX-License-Identifier: MIT */
/*
 * cancel_fanout: N = 10,000 goroutines each blocked in a select on
 * goro_ctx_done(ctx) of one goro_ctx_with_cancel context; the driver (a
 * goroutine, as Go's main is) cancels ctx and times how long it takes
 * until all N have exited, which each reports with wg.Done() after its
 * select returns. Before timing, the driver waits until every goroutine
 * has started (a second WaitGroup) and then 10 ms more, so that all are
 * parked in their select. Figures: cancel_us (cancel until wg.Wait()
 * returns) and ns_per_goroutine (the same divided by N), medians of 3
 * passes after a warm-up pass; as comments, setup_us (spawn until all
 * started) and call_us (the goro_ctx_cancel call alone, which wakes all
 * N). Twin: bench/go/cancel_fanout/main.go (which blocks in <-ctx.Done():
 * Go compiles a one-case select to that receive).
 * Usage: bench_cancel_fanout [N]
 */
#include "bench.h"

static long n_goroutines = 10000;
static goro_waitgroup started, exited;
static double cold[2], passes[2][BENCH_PASSES];

static void waiter(void *arg)
{
    goro_ctx *ctx = arg;
    goro_case cases[] = { GORO_CASE_RECV(goro_ctx_done(ctx), NULL) };
    goro_waitgroup_done(&started);
    goro_select(cases, 1);                  /* case <-ctx.Done(): */
    goro_waitgroup_done(&exited);
}

/* Returns cancel -> all exited in ns; *setup_ns the spawn phase, *call_ns
 * the cancel call. */
static double one_pass(double *setup_ns, double *call_ns)
{
    goro_ctx *ctx = goro_ctx_with_cancel(goro_ctx_background());
    if (!ctx)
        bench_die("goro_ctx_with_cancel", GORO_ENOMEM);
    int64_t t0 = goro_now();
    goro_waitgroup_add(&started, n_goroutines);
    goro_waitgroup_add(&exited, n_goroutines);
    for (long i = 0; i < n_goroutines; i++)
        bench_go(waiter, ctx);
    goro_waitgroup_wait(&started);
    *setup_ns = (double)(goro_now() - t0);
    goro_sleep(10 * GORO_MILLISECOND);     /* the last ones park */

    int64_t t1 = goro_now();
    goro_ctx_cancel(ctx);
    *call_ns = (double)(goro_now() - t1);
    goro_waitgroup_wait(&exited);
    double ns = (double)(goro_now() - t1);
    goro_ctx_release(ctx);
    return ns;
}

static void driver(void *arg)
{
    (void)arg;
    double setup[BENCH_PASSES + 1], call[BENCH_PASSES + 1], ns;
    ns = one_pass(&setup[BENCH_PASSES], &call[BENCH_PASSES]);
    cold[0] = ns / 1e3;
    cold[1] = ns / (double)n_goroutines;
    for (int p = 0; p < BENCH_PASSES; p++) {
        ns = one_pass(&setup[p], &call[p]);
        passes[0][p] = ns / 1e3;
        passes[1][p] = ns / (double)n_goroutines;
    }
    printf("# setup_us (spawn until all started): cold %.0f, passes", setup[BENCH_PASSES] / 1e3);
    for (int p = 0; p < BENCH_PASSES; p++)
        printf(" %.0f", setup[p] / 1e3);
    printf("\n# call_us (the cancel call alone): cold %.0f, passes", call[BENCH_PASSES] / 1e3);
    for (int p = 0; p < BENCH_PASSES; p++)
        printf(" %.0f", call[p] / 1e3);
    printf("\n");
}

int main(int argc, char **argv)
{
    n_goroutines = bench_arg(argc, argv, n_goroutines);
    bench_header("cancel_fanout");
    printf("# n=%ld\n", n_goroutines);
    bench_run(driver, NULL);
    bench_report("cancel_fanout", "cancel_us", cold[0], passes[0], BENCH_PASSES);
    bench_report("cancel_fanout", "ns_per_goroutine", cold[1], passes[1], BENCH_PASSES);
    return 0;
}
