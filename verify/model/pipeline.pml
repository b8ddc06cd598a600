/* SPDX-License-Identifier: MIT */
/*
 * pipeline.pml: buffered channels, a full buffer with blocked senders, and
 * a select that two senders race to claim.
 *
 *   P0 goroutine   c0 <- 1; c0 <- 2; c0 <- 3; close(c0)
 *   P1 thread      for each v = <-c0 until closed: c1 <- 9, 10, 11 ...; close(c1)
 *   P2 goroutine   select { v = <-c0; v = <-c1 } until both are closed
 *
 * With CAP0 = 1, P0 blocks on a full c0 and a receive takes the oldest
 * value and moves P0's value into the freed slot (chan.c:131-138): the
 * abstract FIFO checks that the ring keeps order. P0 (holding c0) and P1
 * (holding c1) race to claim P2's select waiter. P1 is a plain thread, so
 * its blocking receives and sends go through the futex word, reused from
 * one wait to the next (run.sh checks -DBROKEN_FUTEX here).
 */
#define NPROC   3
#define NCLIENT 3
#include "goro.pml"

proctype P0()
{
    CLIENT_LOCALS;
    client_start(0, 0);
    chan_send(0, 1, 0); r = 0;
    chan_send(0, 2, 0); r = 0;
    chan_send(0, 3, 0); r = 0;
    chan_close(0); r = 0;
    client_done()
}

proctype P1()
{
    CLIENT_LOCALS;
    byte n = 8;
    client_start(1, 1);
    do
    :: chan_recv(0, 0);
        if
        :: r == R_CLOSED -> break
        :: else -> skip
        fi;
        r = 0; out = 0;
        n++;
        chan_send(1, n, 0); r = 0
    od;
    r = 0; out = 0; n = 0;
    chan_close(1); r = 0;
    client_done()
}

proctype P2()
{
    CLIENT_LOCALS;
    client_start(2, 0);
    recv_both_until_closed();
    client_done()
}

#include "check.pml"

init
{
    atomic {
        ch_cap[0] = CAP0; ch_cap[1] = CAP1;
        run P0(); run P1(); run P2(); run checker()
    }
}
