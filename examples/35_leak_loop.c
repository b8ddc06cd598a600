/* SPDX-License-Identifier: MIT */
/*
 * 35_leak_loop.c: mirrors the Go tour's "Goroutine leaks", cause 2,
 * "Infinite loop with no exit condition", in its fixed form:
 *
 *     go func() {
 *         for {
 *             select {
 *             case <-ctx.Done():
 *                 return
 *             default:
 *                 process()
 *             }
 *         }
 *     }()
 *
 * The leaky version loops on process() forever. The fix checks for
 * cancellation before each step: select with a default: case is
 * goro_select_try, which returns GORO_EAGAIN at once when ctx.Done() is
 * not closed yet.
 *
 * process() prints its step number and takes 40 ms (a sleep); main cancels
 * after 100 ms, while the third step is under way, so the loop sees the
 * cancellation when that step ends:
 *     before: 0 goroutines
 *     process: step 1 / 2 / 3
 *     after cancel(): 0 goroutines (no leak)
 * goro_num_goroutine() does not count main; verify_none stands for the
 * Go original's goleak.VerifyNone and, like it, retries for a while.
 *
 * A loop like this that never parks (process() pure computation) still
 * stops here: goro does not preempt C code, but main is a plain thread
 * that keeps running beside it, and the select_try sees the cancellation.
 * It would, however, keep its P (its share of GOROMAXPROCS) busy until
 * then, so long computations should check ctx between chunks, as this
 * loop does.
 */
#include <goro.h>
#include <stdio.h>

static int verify_none(int want)                /* goleak.VerifyNone */
{
    int64_t deadline = goro_now() + GORO_SECOND;
    int n;
    while ((n = goro_num_goroutine()) > want && goro_now() < deadline)
        goro_sleep(GORO_MILLISECOND);
    return n;
}

static void process(void)
{
    static int step;
    printf("process: step %d\n", ++step);
    goro_sleep(40 * GORO_MILLISECOND);
}

static void loop(void *arg)
{
    goro_ctx *ctx = arg;                         /* this goroutine's reference */
    for (;;) {
        goro_case cases[] = { GORO_CASE_RECV(goro_ctx_done(ctx), NULL) };
        if (goro_select_try(cases, 1) == 0)      /* case <-ctx.Done(): */
            break;
        process();                               /* default: */
    }
    goro_ctx_release(ctx);
}

int main(void)
{
    goro_ctx *ctx = goro_ctx_with_cancel(goro_ctx_background());
    if (!ctx)
        return 1;
    printf("before: %d goroutines\n", goro_num_goroutine());
    goro_go(loop, goro_ctx_retain(ctx));

    goro_sleep(100 * GORO_MILLISECOND);
    goro_ctx_cancel(ctx);                        /* cancel() */
    int left = verify_none(0);
    printf("after cancel(): %d goroutines (%s)\n", left, left == 0 ? "no leak" : "LEAK");
    goro_ctx_release(ctx);
    return left == 0 ? 0 : 1;
}
