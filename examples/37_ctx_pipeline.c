/* SPDX-License-Identifier: MIT */
/*
 * 37_ctx_pipeline.c: mirrors the Go tour's "Pipeline" program
 * (section "Production concurrency patterns") with its context:
 * gen(ctx, 2, 3, 4) -> square(ctx, .) -> square(ctx, .) -> main, each
 * stage a goroutine that closes its unbuffered output channel when it
 * returns (defer close(out)) and sends with
 *     select { case out <- v: case <-ctx.Done(): return }
 * so that cancelling ctx stops every stage at its next send. main prints
 * 16, 81, 256, then cancel() (Go's defer cancel()).
 * (examples/20_pipeline.c is the same program with a done channel.)
 *
 * A second run, not in the Go original, shows what the context is for:
 * gen(ctx, 1..1000) -> square, of which main takes only two values before it
 * cancels. Every stage is then blocked sending, takes the ctx.Done() case
 * and returns, and goro_num_goroutine() (which does not count main) drops
 * back to 0 without main draining anything:
 *     16 / 81 / 256
 *     early exit: took 1, 4; goroutines: 2 running, 0 after cancel()
 *
 * References: each stage goroutine holds its own reference to ctx and to
 * its output channel; square takes over the caller's reference to its
 * input. gen and square return the receive view of a new channel, whose
 * reference passes to the caller.
 */
#include <goro.h>
#include <stdbool.h>
#include <stdio.h>

GORO_CHAN_DEFINE(intch, int)

/* select { case out <- v: return true; case <-ctx.Done(): return false } */
static bool send_or_cancel(intch_tx out, int v, goro_ctx *ctx)
{
    goro_case cases[] = {
        GORO_CASE_SEND(goro_chan_of(out), &v),
        GORO_CASE_RECV(goro_ctx_done(ctx), NULL),
    };
    return goro_select(cases, 2) == 0;
}

struct stage {
    goro_ctx *ctx;
    intch_rx in;                 /* square: the input; gen: unused */
    intch_tx out;
    int first, n;                /* gen: the numbers first, first+1, ... (n of them) */
    const int *nums;             /* gen: or these, if not NULL */
};

static void stage_exit(struct stage *s)   /* defer close(out), and the references */
{
    intch_close(s->out);
    goro_chan_release(goro_chan_of(s->out));
    goro_ctx_release(s->ctx);
}

static void gen_body(void *arg)
{
    struct stage *s = arg;
    for (int i = 0; i < s->n; i++)                      /* for _, n := range nums */
        if (!send_or_cancel(s->out, s->nums ? s->nums[i] : s->first + i, s->ctx))
            break;                                      /* case <-ctx.Done(): return */
    stage_exit(s);
}

static void square_body(void *arg)
{
    struct stage *s = arg;
    int n;
    while (intch_recv(s->in, &n) == 0)                  /* for n := range in */
        if (!send_or_cancel(s->out, n * n, s->ctx))
            break;
    goro_chan_release(goro_chan_of(s->in));
    stage_exit(s);
}

/* Starts body with a new output channel; returns its receive view (NULL
 * inside when out of memory). */
static intch_rx start_stage(goro_fn body, struct stage s)
{
    intch out = intch_make(0);                          /* out := make(chan int) */
    if (!goro_chan_of(out))
        return out.rx;
    s.out = out.tx;
    goro_chan_retain(goro_chan_of(out));                /* the stage's references */
    goro_ctx_retain(s.ctx);
    goro_go_copy(body, &s, sizeof s);
    return out.rx;                                      /* the caller's reference */
}

/* func gen(ctx context.Context, nums ...int) <-chan int */
static intch_rx gen(goro_ctx *ctx, const int *nums, int first, int n)
{
    return start_stage(gen_body, (struct stage){.ctx = ctx, .nums = nums, .first = first, .n = n});
}

/* func square(ctx context.Context, in <-chan int) <-chan int */
static intch_rx square(goro_ctx *ctx, intch_rx in)
{
    if (!goro_chan_of(in))
        return in;
    return start_stage(square_body, (struct stage){.ctx = ctx, .in = in});
}

static int verify_none(int want)                        /* goleak.VerifyNone */
{
    int64_t deadline = goro_now() + GORO_SECOND;
    int n;
    while ((n = goro_num_goroutine()) > want && goro_now() < deadline)
        goro_sleep(GORO_MILLISECOND);
    return n;
}

int main(void)
{
    goro_ctx *ctx = goro_ctx_with_cancel(goro_ctx_background());
    if (!ctx)
        return 1;

    /* Wire the pipeline: gen -> square -> square -> print */
    static const int nums[] = {2, 3, 4};
    intch_rx out = square(ctx, square(ctx, gen(ctx, nums, 0, 3)));
    if (!goro_chan_of(out))
        return 1;
    int n;
    while (intch_recv(out, &n) == 0)                    /* for n := range ... */
        printf("%d\n", n);                              /* 16, 81, 256 */
    goro_chan_release(goro_chan_of(out));
    goro_ctx_cancel(ctx);                               /* defer cancel() */
    goro_ctx_release(ctx);

    /* Not in the Go tour: stop a pipeline half-way by cancelling its context. */
    ctx = goro_ctx_with_cancel(goro_ctx_background());
    if (!ctx)
        return 1;
    out = square(ctx, gen(ctx, NULL, 1, 1000));
    if (!goro_chan_of(out))
        return 1;
    int a, b;
    intch_recv(out, &a);
    intch_recv(out, &b);
    int running = goro_num_goroutine();
    goro_ctx_cancel(ctx);                               /* cancel() */
    int left = verify_none(0);
    printf("early exit: took %d, %d; goroutines: %d running, %d after cancel()\n",
           a, b, running, left);
    goro_chan_release(goro_chan_of(out));
    goro_ctx_release(ctx);
    return left == 0 ? 0 : 1;
}
