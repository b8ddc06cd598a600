/* SPDX-License-Identifier: MIT */
/*
 * 19_fan_in.c: mirrors the Go tour's "WaitGroup plus channel:
 * collecting results" program: fan out one goroutine per input (1..5), each
 * sending x*x on a results channel with room for every result; a further
 * goroutine waits on the WaitGroup and then closes results; main fans in by
 * ranging over results and prints "sum of squares: 55".
 *
 * The closer goroutine is what lets main's range loop end: the channel is
 * closed only after the last worker's send, so main sees every result and
 * then GORO_ECLOSED. It holds its own reference to the channel (main may
 * finish, and release its own, before the closer has returned from
 * close).
 */
#include <goro.h>
#include <stdio.h>

GORO_CHAN_DEFINE(intch, int)

static goro_waitgroup wg;

struct square_args {
    int x;
    intch_tx results;
};

static void square(void *arg)
{
    struct square_args *a = arg;
    intch_send(a->results, a->x * a->x);   /* results <- x * x */
    goro_waitgroup_done(&wg);              /* defer wg.Done() */
}

static void close_when_done(void *arg)
{
    intch_tx results = *(intch_tx *)arg;
    goro_waitgroup_wait(&wg);
    intch_close(results);
    goro_chan_release(goro_chan_of(results));
}

int main(void)
{
    static const int inputs[] = {1, 2, 3, 4, 5};
    enum { N = sizeof inputs / sizeof inputs[0] };
    intch results = intch_make(N);             /* make(chan int, len(inputs)) */
    if (!goro_chan_of(results))
        return 1;

    /* Fan out: process all inputs concurrently */
    for (int i = 0; i < N; i++) {
        struct square_args a = {inputs[i], results.tx};
        goro_waitgroup_add(&wg, 1);
        goro_go_copy(square, &a, sizeof a);     /* go func(x int) { ... }(n) */
    }

    /* Close results when all workers finish */
    goro_chan_retain(goro_chan_of(results));    /* the closer's reference */
    goro_go_copy(close_when_done, &results.tx, sizeof results.tx);

    /* Fan in: collect all results */
    int total = 0, r;
    while (intch_recv(results.rx, &r) == 0)     /* for r := range results */
        total += r;
    printf("sum of squares: %d\n", total);      /* 55 */

    intch_release(results);
    return 0;
}
