/* SPDX-License-Identifier: MIT */
/*
 * 36_leak_range.c: mirrors the Go tour's "Goroutine leaks", cause 3,
 * "Ranging over an unclosed channel", in its fixed form:
 *
 *     go func() {
 *         for {
 *             select {
 *             case v, ok := <-ch:
 *                 if !ok {
 *                     return
 *                 }
 *                 fmt.Println(v)
 *             case <-ctx.Done():
 *                 return
 *             }
 *         }
 *     }()
 *
 * The leaky version is `for v := range ch`, which never ends if the sender
 * never closes ch. The Go original names two fixes, and this program shows
 * both with the same consumer goroutine:
 *   1. the sender closes ch when it is done: the consumer's receive
 *      returns GORO_ECLOSED (Go's ok == false) and it returns;
 *   2. the sender does not close ch, but the context is cancelled: the
 *      consumer's select takes the ctx.Done() case and it returns.
 * In both rounds main sends 1, 2, 3 on an unbuffered channel (so each
 * value has been received once its send returns), then closes ch or
 * cancels, and prints goro_num_goroutine() (not counting main) before and
 * after; verify_none stands for the Go original's goleak.VerifyNone:
 *     sender closes ch: 1 2 3, consumer: "channel closed", 0 goroutines left
 *     ctx cancelled:    1 2 3, consumer: "context canceled", 0 goroutines left
 */
#include <goro.h>
#include <stdio.h>

GORO_CHAN_DEFINE(intch, int)

static int verify_none(int want)                /* goleak.VerifyNone */
{
    int64_t deadline = goro_now() + GORO_SECOND;
    int n;
    while ((n = goro_num_goroutine()) > want && goro_now() < deadline)
        goro_sleep(GORO_MILLISECOND);
    return n;
}

struct consumer {
    goro_ctx *ctx;
    intch ch;
};

static void consume(void *arg)
{
    struct consumer *c = arg;
    for (;;) {
        int v;
        goro_case cases[] = {
            GORO_CASE_RECV(goro_chan_of(c->ch), &v),     /* case v, ok := <-ch: */
            GORO_CASE_RECV(goro_ctx_done(c->ctx), NULL), /* case <-ctx.Done(): */
        };
        int i = goro_select(cases, 2);
        if (i == 0 && cases[0].result == 0) {
            printf("  %d\n", v);                         /* fmt.Println(v) */
            continue;
        }
        printf("  consumer returns: %s\n",               /* return */
               i == 0 ? "channel closed" : goro_strerror(goro_ctx_err(c->ctx)));
        break;
    }
    intch_release(c->ch);                                /* its references */
    goro_ctx_release(c->ctx);
}

static int run_round(const char *title, bool close_ch)
{
    printf("%s\n", title);
    goro_ctx *ctx = goro_ctx_with_cancel(goro_ctx_background());
    intch ch = intch_make(0);
    if (!ctx || !goro_chan_of(ch))
        return -1;
    printf("  before: %d goroutines\n", goro_num_goroutine());
    goro_chan_retain(goro_chan_of(ch));
    struct consumer c = {goro_ctx_retain(ctx), ch};
    goro_go_copy(consume, &c, sizeof c);

    for (int v = 1; v <= 3; v++)
        intch_send(ch.tx, v);
    if (close_ch)
        intch_close(ch.tx);                              /* close(ch) */
    else
        goro_ctx_cancel(ctx);                            /* cancel() */

    int left = verify_none(0);
    printf("  after: %d goroutines (%s)\n", left, left == 0 ? "no leak" : "LEAK");
    intch_release(ch);
    goro_ctx_cancel(ctx);                                /* defer cancel() */
    goro_ctx_release(ctx);
    return left;
}

int main(void)
{
    int leaked = run_round("fix 1: the sender closes ch", true);
    leaked += run_round("fix 2: ch stays open, the context is cancelled", false);
    return leaked == 0 ? 0 : 1;
}
