/* SPDX-License-Identifier: MIT */
/*
 * 13_chan_buffered.c: mirrors the Go tour's "Buffered channels"
 * program: ch := make(chan int, 3); three sends that do not block because
 * the buffer has room; three receives that print 1 2 3 without any other
 * goroutine; then len(ch), cap(ch), which print "0 3".
 *
 * len(ch) is intch_len on the receive view (goro_chan_len on the untyped
 * channel) and cap(ch) is goro_chan_cap. The fourth send, commented out in
 * the Go original because it would block forever, is shown with
 * intch_try_send, which returns GORO_EAGAIN instead of blocking.
 */
#include <goro.h>
#include <stdio.h>

GORO_CHAN_DEFINE(intch, int)

int main(void)
{
    /* Buffered channel with capacity 3 */
    intch ch = intch_make(3);
    if (!goro_chan_of(ch))
        return 1;

    /* These three sends do not block: the buffer has space */
    intch_send(ch.tx, 1);
    intch_send(ch.tx, 2);
    intch_send(ch.tx, 3);

    /* intch_send(ch.tx, 4) would block: the buffer is full. The
     * non-blocking form says so instead: */
    if (intch_try_send(ch.tx, 4) != GORO_EAGAIN)
        return 1;

    /* Receive all three without needing a matching sender goroutine */
    int v;
    intch_recv(ch.rx, &v);
    printf("%d\n", v);            /* 1 */
    intch_recv(ch.rx, &v);
    printf("%d\n", v);            /* 2 */
    intch_recv(ch.rx, &v);
    printf("%d\n", v);            /* 3 */

    /* Check current length and capacity */
    printf("%zu %zu\n", intch_len(ch.rx), goro_chan_cap(goro_chan_of(ch)));  /* 0 3 */

    intch_release(ch);
    return 0;
}
