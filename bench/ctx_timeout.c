/* SPDX-License-Identifier: MIT */
/*
 * ctx_timeout: in a driver goroutine (Go's main is a goroutine), N =
 * 1,000,000 times: ctx = goro_ctx_with_timeout(background, 1 hour), then
 * goro_ctx_cancel(ctx) and goro_ctx_release(ctx), which is Go's
 *     ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
 *     cancel()
 * (the timer is armed and stopped each time; it never fires). Figure: ns
 * per iteration, median of 3 passes after a warm-up pass.
 * Twin: bench/go/ctx_timeout/main.go.
 * Usage: bench_ctx_timeout [N]
 */
#include "bench.h"

static long n_iters = 1000000;

static double one_pass(void)
{
    goro_ctx *bg = goro_ctx_background();
    int64_t t0 = goro_now();
    for (long i = 0; i < n_iters; i++) {
        goro_ctx *ctx = goro_ctx_with_timeout(bg, 3600 * GORO_SECOND);
        if (!ctx)
            bench_die("goro_ctx_with_timeout", GORO_ENOMEM);
        goro_ctx_cancel(ctx);
        goro_ctx_release(ctx);
    }
    return (double)(goro_now() - t0) / (double)n_iters;
}

int main(int argc, char **argv)
{
    n_iters = bench_arg(argc, argv, n_iters);
    bench_header("ctx_timeout");
    printf("# n=%ld timeout=1h\n", n_iters);
    bench_passes("ctx_timeout", "ns_per_op", one_pass);
    return 0;
}
