/* SPDX-License-Identifier: MIT */
/*
 * 32_ctx_timeout.c: mirrors the Go tour's "Context cancellation"
 * program (the first main): three workers run doWork(ctx, id), a loop of
 * select { case <-ctx.Done(): print ctx.Err() and return; default: do
 * work and sleep }, under ctx, cancel := context.WithTimeout(Background,
 * 2 * time.Second) with defer cancel(), and main waits for them with a
 * WaitGroup.
 *
 * Go's
 *     ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
 *     defer cancel()
 * is
 *     goro_ctx *ctx = goro_ctx_with_timeout(goro_ctx_background(), 2 *
 * GORO_SECOND);     ... goro_ctx_cancel(ctx); goro_ctx_release(ctx);
 * A context is reference-counted; the workers use main's reference, which
 * is safe because main releases it only after wg.Wait().
 *
 * goro_ctx_done(ctx) is the channel ctx.Done() returns; select's default:
 * is goro_select_try returning GORO_EAGAIN. goro_ctx_err(ctx) is
 * GORO_ETIMEDOUT once the deadline has passed (Go's DeadlineExceeded);
 * goro_strerror names it "deadline exceeded" where Go prints "context
 * deadline exceeded".
 *
 * Times are scaled down and spread out so that the output is the same on
 * every run: each work step sleeps 100 ms (the Go original's 500 ms), the
 * timeout is 370 ms, and worker i starts (i - 1) * 20 ms late, so in each
 * round the workers print in id order, each does four steps, and each notices
 * the timeout when it wakes from its fourth sleep (at 400, 420, 440 ms):
 *     worker 1: doing work      (x3 workers, x4 rounds)
 *     ...
 *     worker 1 cancelled: deadline exceeded
 *     worker 2 cancelled: deadline exceeded
 *     worker 3 cancelled: deadline exceeded
 */
#include <goro.h>
#include <stdio.h>

#define MS GORO_MILLISECOND

struct job {
    goro_ctx *ctx;
    int id;
    goro_waitgroup *wg;
};

static void do_work(goro_ctx *ctx, int id)
{
    for (;;) {
        goro_case cases[] = {
            GORO_CASE_RECV(goro_ctx_done(ctx), NULL),       /* case <-ctx.Done(): */
        };
        if (goro_select_try(cases, 1) == 0) {
            printf("worker %d cancelled: %s\n", id, goro_strerror(goro_ctx_err(ctx)));
            return;
        }
        /* default: */
        printf("worker %d: doing work\n", id);
        goro_sleep(100 * MS);
    }
}

static void run_worker(void *arg)                 /* go func(id int) { ... }(i) */
{
    struct job *j = arg;
    goro_sleep((j->id - 1) * 20 * MS);            /* (stagger: see above) */
    do_work(j->ctx, j->id);
    goro_waitgroup_done(j->wg);                   /* defer wg.Done() */
}

int main(void)
{
    /* Context with a timeout: automatically cancelled when it expires */
    goro_ctx *ctx = goro_ctx_with_timeout(goro_ctx_background(), 370 * MS);
    if (!ctx)
        return 1;

    goro_waitgroup wg = {0};
    for (int i = 1; i <= 3; i++) {
        struct job j = {ctx, i, &wg};
        goro_waitgroup_add(&wg, 1);
        goro_go_copy(run_worker, &j, sizeof j);
    }
    goro_waitgroup_wait(&wg);

    goro_ctx_cancel(ctx);                         /* defer cancel() */
    goro_ctx_release(ctx);
    return 0;
}
