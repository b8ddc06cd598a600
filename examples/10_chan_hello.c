/* SPDX-License-Identifier: MIT */
/*
 * 10_chan_hello.c: mirrors the Go tour's first channel program
 * (section "Channels: communicating between goroutines"): ch := make(chan
 * string); a goroutine sends "hello from goroutine"; main receives it with
 * msg := <-ch and prints it.
 *
 * This one uses the untyped API: goro_chan_make(elem_size, cap) and
 * send/recv through pointers to the value. A Go string is a value; here the
 * channel carries a const char * to a string literal, which lives for the
 * whole program. The later examples use typed channels (GORO_CHAN_DEFINE).
 */
#include <goro.h>
#include <stdio.h>

static void hello(void *arg)
{
    goro_chan *ch = arg;
    const char *msg = "hello from goroutine";
    goro_chan_send(ch, &msg);     /* ch <- msg: blocks until main receives */
}

int main(void)
{
    /* ch := make(chan string): unbuffered, so every send is a rendezvous */
    goro_chan *ch = goro_chan_make(sizeof(const char *), 0);
    if (!ch)
        return 1;

    goro_go(hello, ch);

    const char *msg;
    goro_chan_recv(ch, &msg);     /* msg := <-ch: blocks until the send */
    printf("%s\n", msg);

    goro_chan_release(ch);        /* nobody uses ch any more */
    return 0;
}
