/* SPDX-License-Identifier: MIT */
/*
 * 20_pipeline.c: mirrors the Go tour's "Pipeline" program (section
 * "Production concurrency patterns"): gen(2, 3, 4) -> square -> square ->
 * main, each stage a goroutine that sends on an unbuffered channel it
 * closes when done, and main prints 16, 81, 256.
 *
 * The Go original passes a context.Context so that every stage can give up
 * early (case <-ctx.Done(): return). goro's contexts come later; here a done
 * channel plays that part, which is what ctx.Done() is: each send is a
 * select between out <- v and <-done, and main's defer cancel() becomes
 * closing done at the end. Closing done early would make every stage
 * return at its next send.
 *
 * Lifetimes: gen and square return the receive view of a new channel,
 * whose reference passes to the caller; square takes over the reference to
 * its input and drops it when its loop ends; each stage's goroutine holds
 * its own references to its output and to done.
 */
#include <goro.h>
#include <stdbool.h>
#include <stdio.h>

GORO_CHAN_DEFINE(intch, int)

/* select { case out <- v: return true; case <-done: return false } */
static bool send_or_done(intch_tx out, int v, goro_chan *done)
{
    goro_case cases[] = {
        GORO_CASE_SEND(goro_chan_of(out), &v),
        GORO_CASE_RECV(done, NULL),
    };
    return goro_select(cases, 2) == 0;
}

struct stage {
    goro_chan *done;
    intch_rx in;                 /* square: the input; gen: unused */
    intch_tx out;
    const int *nums;             /* gen: the numbers */
    int n;
};

static void stage_exit(struct stage *s)   /* defer close(out), and the references */
{
    intch_close(s->out);
    goro_chan_release(goro_chan_of(s->out));
    goro_chan_release(s->done);
}

static void gen_body(void *arg)
{
    struct stage *s = arg;
    for (int i = 0; i < s->n; i++)
        if (!send_or_done(s->out, s->nums[i], s->done))
            break;
    stage_exit(s);
}

static void square_body(void *arg)
{
    struct stage *s = arg;
    int n;
    while (intch_recv(s->in, &n) == 0)          /* for n := range in */
        if (!send_or_done(s->out, n * n, s->done))
            break;
    goro_chan_release(goro_chan_of(s->in));
    stage_exit(s);
}

/* Starts body with a new output channel; returns the channel's receive
 * view, or a NULL one when out of memory. */
static intch_rx start_stage(goro_fn body, struct stage s)
{
    intch out = intch_make(0);
    if (!goro_chan_of(out))
        return out.rx;
    s.out = out.tx;
    goro_chan_retain(goro_chan_of(out));        /* the stage's reference */
    goro_chan_retain(s.done);
    goro_go_copy(body, &s, sizeof s);
    return out.rx;                               /* the caller's reference */
}

/* func gen(done, nums ...int) <-chan int */
static intch_rx gen(goro_chan *done, const int *nums, int n)
{
    return start_stage(gen_body, (struct stage){.done = done, .nums = nums, .n = n});
}

/* func square(done, in <-chan int) <-chan int */
static intch_rx square(goro_chan *done, intch_rx in)
{
    return start_stage(square_body, (struct stage){.done = done, .in = in});
}

int main(void)
{
    goro_chan *done = goro_chan_make(0, 0);      /* stands in for ctx */
    if (!done)
        return 1;

    /* Wire the pipeline: gen -> square -> square -> print */
    static const int nums[] = {2, 3, 4};
    intch_rx out = square(done, square(done, gen(done, nums, 3)));
    if (!goro_chan_of(out))
        return 1;
    int n;
    while (intch_recv(out, &n) == 0)
        printf("%d\n", n);                       /* 16, 81, 256 */

    goro_chan_release(goro_chan_of(out));
    goro_chan_close(done);                       /* defer cancel() */
    goro_chan_release(done);
    return 0;
}
