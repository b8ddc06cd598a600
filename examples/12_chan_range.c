/* SPDX-License-Identifier: MIT */
/*
 * 12_chan_range.c: mirrors the Go tour's "Ranging over a channel"
 * program: generate(nums ...int) <-chan int starts a goroutine that sends
 * each number and then closes the channel; main ranges over the channel,
 * printing 2 3 5 7 11, and the loop ends when the channel is closed.
 *
 * for n := range ch is a loop on intch_recv, which returns 0 with a value
 * and GORO_ECLOSED once the channel is closed and drained. Go's variadic
 * nums ...int is an array and a count.
 *
 * Lifetimes: Go's garbage collector frees the channel once nobody can
 * reach it; in C each user holds a reference. generate's goroutine takes
 * one with goro_chan_retain and drops it after close; the caller drops the
 * one generate returns when its loop is over. Whoever is last frees it.
 */
#include <goro.h>
#include <stdio.h>

GORO_CHAN_DEFINE(intch, int)

struct gen_args {
    intch_tx out;         /* the goroutine's end: send-only */
    const int *nums;
    int n;
};

static void gen_body(void *arg)
{
    struct gen_args *a = arg;
    for (int i = 0; i < a->n; i++)
        intch_send(a->out, a->nums[i]);
    intch_close(a->out);                      /* no more values */
    goro_chan_release(goro_chan_of(a->out));  /* this goroutine's reference */
}

/* func generate(nums ...int) <-chan int */
static intch_rx generate(const int *nums, int n)
{
    intch ch = intch_make(0);
    struct gen_args a = {ch.tx, nums, n};
    goro_chan_retain(goro_chan_of(ch));       /* one for the goroutine */
    goro_go_copy(gen_body, &a, sizeof a);
    return ch.rx;                             /* and one for the caller */
}

int main(void)
{
    static const int primes[] = {2, 3, 5, 7, 11};
    intch_rx ch = generate(primes, 5);

    /* for n := range generate(2, 3, 5, 7, 11) */
    int n;
    while (intch_recv(ch, &n) == 0)
        printf("%d\n", n);
    /* the loop ends by itself once the channel is closed */

    goro_chan_release(goro_chan_of(ch));
    return 0;
}
