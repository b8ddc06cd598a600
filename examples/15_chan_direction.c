/* SPDX-License-Identifier: MIT */
/*
 * 15_chan_direction.c: mirrors the Go tour's "Channel direction in
 * function signatures" program: producer(ch chan<- int) sends 0..4 and
 * closes; consumer(ch <-chan int) ranges over the channel printing
 * "received: <n>"; main makes a chan int with capacity 5, starts the
 * producer as a goroutine and runs the consumer itself.
 *
 * GORO_CHAN_DEFINE(intch, int) gives the channel type intch and its two
 * views: intch_tx (chan<- int, the field ch.tx) and intch_rx (<-chan int,
 * ch.rx). intch_send and intch_close take only an intch_tx, intch_recv and
 * intch_len only an intch_rx, so, as in Go, the compiler rejects a receive
 * in the producer or a send in the consumer (see the two commented-out
 * lines), and a view cannot be turned back into the other one. Passing
 * ch.tx / ch.rx is Go's implicit narrowing of a bidirectional chan.
 */
#include <goro.h>
#include <stdio.h>

GORO_CHAN_DEFINE(intch, int)

/* chan<- T: send-only channel (the function can only send) */
static void producer(void *arg)
{
    intch_tx ch = *(intch_tx *)arg;
    for (int i = 0; i < 5; i++)
        intch_send(ch, i);
    intch_close(ch);                 /* close is allowed on send-only channels */

    /* int v; intch_recv(ch, &v);
     *   would not compile: intch_recv takes an intch_rx and ch is an
     *   intch_tx (gcc: "incompatible type for argument 1 of 'intch_recv'") */

    goro_chan_release(goro_chan_of(ch));   /* the goroutine's reference */
}

/* <-chan T: receive-only channel (the function can only receive) */
static void consumer(intch_rx ch)
{
    int n;
    while (intch_recv(ch, &n) == 0)  /* for n := range ch */
        printf("received: %d\n", n);

    /* intch_send(ch, 1);
     *   would not compile: intch_send takes an intch_tx and ch is an
     *   intch_rx (gcc: "incompatible type for argument 1 of 'intch_send'") */
}

int main(void)
{
    intch ch = intch_make(5);
    if (!goro_chan_of(ch))
        return 1;

    goro_chan_retain(goro_chan_of(ch));          /* one for the producer */
    goro_go_copy(producer, &ch.tx, sizeof ch.tx); /* go producer(ch): narrowed to send-only */
    consumer(ch.rx);                             /* consumer(ch): narrowed to receive-only */

    intch_release(ch);
    return 0;
}
