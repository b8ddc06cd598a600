/* SPDX-License-Identifier: MIT */
/*
 * 34_leak_blocked.c: mirrors the Go tour's "Goroutine leaks", cause
 * 1, "Blocked forever on a channel send or receive", in its fixed form:
 *
 *     func fixed(ctx context.Context) {
 *         ch := make(chan int, 1)
 *         go func() {
 *             select {
 *             case val := <-ch:
 *                 fmt.Println(val)
 *             case <-ctx.Done():
 *                 return // clean exit when context is cancelled
 *             }
 *         }()
 *     }
 *
 * The leaky version receives from ch with nobody ever sending, and its
 * goroutine stays blocked for the life of the process. The fix gives the
 * goroutine a second way out: when the context is cancelled, its select
 * takes the ctx.Done() case and the goroutine returns.
 *
 * main calls fixed(ctx) and prints goro_num_goroutine() (which, unlike Go's
 * runtime.NumGoroutine, does not count main) before, while the goroutine
 * waits, and after cancel(); the Go original's goleak.VerifyNone check becomes
 * verify_none below, which, like goleak, retries for a while because
 * goroutines take a moment to exit after they are told to:
 *     before fixed(): 0 goroutines
 *     after fixed(): 1 goroutines (blocked in select)
 *     after cancel(): 0 goroutines (no leak)
 *
 * In C the goroutine also owns what the Go original's garbage collector would
 * free: it releases ch and its reference to ctx on its way out.
 */
#include <goro.h>
#include <stdio.h>

GORO_CHAN_DEFINE(intch, int)

/* goleak.VerifyNone: waits up to 1 s for the goroutine count to drop to
 * want; returns the count it saw last. */
static int verify_none(int want)
{
    int64_t deadline = goro_now() + GORO_SECOND;
    int n;
    while ((n = goro_num_goroutine()) > want && goro_now() < deadline)
        goro_sleep(GORO_MILLISECOND);
    return n;
}

struct receiver {
    goro_ctx *ctx;
    intch ch;
};

static void receive_or_exit(void *arg)
{
    struct receiver *r = arg;
    int val;
    goro_case cases[] = {
        GORO_CASE_RECV(goro_chan_of(r->ch), &val),   /* case val := <-ch: */
        GORO_CASE_RECV(goro_ctx_done(r->ctx), NULL), /* case <-ctx.Done(): */
    };
    if (goro_select(cases, 2) == 0)
        printf("%d\n", val);
    /* else: clean exit when context is cancelled */
    intch_release(r->ch);
    goro_ctx_release(r->ctx);
}

static void fixed(goro_ctx *ctx)
{
    intch ch = intch_make(1);                    /* ch := make(chan int, 1) */
    if (!goro_chan_of(ch))
        return;
    struct receiver r = {goro_ctx_retain(ctx), ch};
    goro_go_copy(receive_or_exit, &r, sizeof r);
}

int main(void)
{
    goro_ctx *ctx = goro_ctx_with_cancel(goro_ctx_background());
    if (!ctx)
        return 1;
    printf("before fixed(): %d goroutines\n", goro_num_goroutine());
    fixed(ctx);
    goro_sleep(10 * GORO_MILLISECOND);           /* let it block */
    printf("after fixed(): %d goroutines (blocked in select)\n", goro_num_goroutine());

    goro_ctx_cancel(ctx);                        /* cancel() */
    int left = verify_none(0);
    printf("after cancel(): %d goroutines (%s)\n", left, left == 0 ? "no leak" : "LEAK");
    goro_ctx_release(ctx);
    return left == 0 ? 0 : 1;
}
