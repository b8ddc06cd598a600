/* SPDX-License-Identifier: MIT */
/*
 * 17_select_default.c: mirrors the Go tour's "select with a default
 * case (non-blocking)" program: tryReceive(ch <-chan int) (int, bool)
 * selects on v := <-ch with a default case, returning (v, true) if a value
 * was ready and (0, false) at once if not.
 *
 * The Go original shows only the function; main here calls it on an empty
 * channel, then after a send, then once more after draining it.
 * goro_select_try is select with default: it returns GORO_EAGAIN, without
 * blocking, when no case is ready. With a single case it is the same as
 * intch_try_recv (0 or GORO_EAGAIN).
 */
#include <goro.h>
#include <stdbool.h>
#include <stdio.h>

GORO_CHAN_DEFINE(intch, int)

static bool try_receive(intch_rx ch, int *v)
{
    goro_case cases[] = {
        GORO_CASE_RECV(goro_chan_of(ch), v),     /* case v := <-ch: */
    };
    if (goro_select_try(cases, 1) == 0)
        return true;                             /*     return v, true */
    *v = 0;                                      /* default: */
    return false;                                /*     return 0, false (channel empty: don't block) */
}

static void show(intch_rx ch)
{
    int v;
    bool ok = try_receive(ch, &v);
    printf("%d %s\n", v, ok ? "true" : "false");
}

int main(void)
{
    intch ch = intch_make(1);
    if (!goro_chan_of(ch))
        return 1;

    show(ch.rx);                 /* 0 false: nothing to receive */
    intch_send(ch.tx, 42);
    show(ch.rx);                 /* 42 true */
    show(ch.rx);                 /* 0 false: drained again */

    intch_release(ch);
    return 0;
}
