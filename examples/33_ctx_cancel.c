/* SPDX-License-Identifier: MIT */
/*
 * 33_ctx_cancel.c: mirrors the Go tour's "Context cancellation"
 * program (the second main): ctx, cancel := context.WithCancel(Background);
 * a goroutine sleeps 1 s and calls cancel(); main blocks on <-ctx.Done()
 * and prints "context cancelled: context canceled".
 *
 * The sleep is scaled down tenfold (100 ms). Go's cancel function is
 * goro_ctx_cancel(ctx), callable from any goroutine. The goroutine that
 * cancels holds its own reference to ctx (goro_ctx_retain before it
 * starts, goro_ctx_release when it is done), so it does not matter whether
 * main or it finishes with the context first.
 *
 * <-ctx.Done() is a receive on goro_ctx_done(ctx), a channel that is
 * closed on cancellation: the receive returns GORO_ECLOSED then. After
 * that, goro_ctx_err(ctx) is GORO_ECANCELED, which goro_strerror names
 * "context canceled", as Go's context.Canceled prints. main also prints
 * how long it waited, rounded to 10 ms.
 */
#include <goro.h>
#include <stdio.h>

static void cancel_later(void *arg)
{
    goro_ctx *ctx = arg;
    goro_sleep(100 * GORO_MILLISECOND);
    goro_ctx_cancel(ctx);                         /* cancel from another goroutine */
    goro_ctx_release(ctx);                        /* this goroutine's reference */
}

int main(void)
{
    /* WithCancel gives you a cancel function to call explicitly */
    goro_ctx *ctx = goro_ctx_with_cancel(goro_ctx_background());
    if (!ctx)
        return 1;
    int64_t t0 = goro_now();
    goro_go(cancel_later, goro_ctx_retain(ctx));

    goro_chan_recv(goro_ctx_done(ctx), NULL);     /* <-ctx.Done(): wait for cancellation */
    printf("context cancelled: %s\n", goro_strerror(goro_ctx_err(ctx)));
    int64_t waited = (goro_now() - t0 + 5 * GORO_MILLISECOND) / (10 * GORO_MILLISECOND) * 10;
    printf("(after about %lld ms)\n", (long long)waited);

    goro_ctx_release(ctx);                        /* main's reference (Go's GC) */
    return 0;
}
