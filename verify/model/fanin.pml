/* SPDX-License-Identifier: MIT */
/*
 * fanin.pml: one select receiving from two channels, two senders that each
 * send on both channels and close one of them.
 *
 *   P0 goroutine   select { v = <-c0; v = <-c1 } until both are closed
 *   P1 goroutine   c0 <- 9;  c1 <- 10; close(c0)
 *   P2 thread      c1 <- 17; c0 <- 18; close(c1)
 *
 * P0's select waiter is queued on both channels while P1 and P2, each
 * holding only its own channel's lock, race to claim it: the case the CAS
 * in goro__waiter_claim exists for (run.sh checks -DBROKEN_CLAIM here).
 * Sends race with the other sender's close (a send that loses returns
 * GORO_ECLOSED and its value must appear nowhere). Plain sends block
 * with a `single` waiter (goro__waiter_block_unlock); P2 sleeps on its
 * futex. CAP0/CAP1 (-D) give the capacities.
 */
#define NPROC   3
#define NCLIENT 3
#include "goro.pml"

proctype P0()
{
    CLIENT_LOCALS;
    client_start(0, 0);
    recv_both_until_closed();
    client_done()
}

proctype P1()
{
    CLIENT_LOCALS;
    client_start(1, 0);
    chan_send(0, 9, 0); r = 0;
    chan_send(1, 10, 0); r = 0;
    chan_close(0); r = 0;
    client_done()
}

proctype P2()
{
    CLIENT_LOCALS;
    client_start(2, 1);
    chan_send(1, 17, 0); r = 0;
    chan_send(0, 18, 0); r = 0;
    chan_close(1); r = 0;
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
