/* SPDX-License-Identifier: MIT */
/*
 * timeout.pml: deadlines competing for the claim, close waking blocked
 * senders, and a select with both directions on one channel.
 *
 *   P0 goroutine   c0 <- 1 (until a deadline); select-until { c0 <- 2; v = <-c1 }
 *   P1 thread      select-until { v = <-c0; c1 <- 9 };
 *                  select-until { v = <-c0; c0 <- 10 }
 *   P2 goroutine   v = <-c1 (until a deadline); close(c0); close(c1)
 *
 * Every deadline may pass at any moment. A goroutine's deadline is a timer
 * (wait.c:deadline_fire, run by a `timer` process, no lock held) or is
 * already over when it blocks (wait.c:119-124); a thread's is its futex
 * wait timing out (wait.c:84-92). Either competes with the channels for
 * the claim; a timed-out party unlinks its sudogs itself. close(c0) can
 * find blocked senders and receivers (GORO_ECLOSED to both). P1's second
 * select has a send and a receive case on c0: the channel is locked once
 * and the waiter is queued on both of its queues.
 */
#define NPROC   3
#define NCLIENT 3
#include "goro.pml"

proctype P0()
{
    CLIENT_LOCALS;
    client_start(0, 0);
    chan_send(0, 1, 1); r = 0;
    cs_ch[0] = 0; cs_dir[0] = DSEND; cs_val[0] = 2;
    cs_ch[1] = 1; cs_dir[1] = DRECV; cs_val[1] = 0;
    select_op(1); sel_ret = 0; sel_r = 0; sel_out = 0;
    cs_ch[0] = 0; cs_ch[1] = 0; cs_dir[0] = 0; cs_dir[1] = 0; cs_val[0] = 0; cs_val[1] = 0;
    client_done()
}

proctype P1()
{
    CLIENT_LOCALS;
    client_start(1, 1);
    cs_ch[0] = 0; cs_dir[0] = DRECV; cs_val[0] = 0;
    cs_ch[1] = 1; cs_dir[1] = DSEND; cs_val[1] = 9;
    select_op(1); sel_ret = 0; sel_r = 0; sel_out = 0;
    cs_ch[1] = 0; cs_dir[1] = DSEND; cs_val[1] = 10;
    select_op(1); sel_ret = 0; sel_r = 0; sel_out = 0;
    cs_ch[0] = 0; cs_ch[1] = 0; cs_dir[0] = 0; cs_dir[1] = 0; cs_val[0] = 0; cs_val[1] = 0;
    client_done()
}

proctype P2()
{
    CLIENT_LOCALS;
    client_start(2, 0);
    chan_recv(1, 1); r = 0; out = 0;
    chan_close(0); r = 0;
    chan_close(1); r = 0;
    client_done()
}

#include "check.pml"

init
{
    atomic {
        ch_cap[0] = CAP0; ch_cap[1] = CAP1;
        run P0(); run P1(); run P2(); run timer(0); run timer(2); run checker()
    }
}
