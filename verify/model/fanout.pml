/* SPDX-License-Identifier: MIT */
/*
 * fanout.pml: a select sending on two channels against a select and a
 * plain receive; close must wake every waiter of a channel.
 *
 *   P0 goroutine   2x select { c0 <- v; c1 <- v }; close(c0); close(c1)
 *   P1 thread      select { v = <-c0; v = <-c1 } until both are closed
 *   P2 goroutine   v = <-c1 until c1 is closed
 *
 * Two selects lock the same two channels: address-ordered locking
 * (select.c:sel_lock) is what keeps them from deadlocking (run.sh checks
 * -DBROKEN_LOCKORDER here). When P0 closes c1, P1 and P2 may both be
 * queued on it: close has to claim and wake both (-DBROKEN_CLOSE).
 * A select's waiter is woken by another select's pass 1, or by close.
 */
#define NPROC   3
#define NCLIENT 3
#include "goro.pml"

proctype P0()
{
    CLIENT_LOCALS;
    client_start(0, 0);
    cs_ch[0] = 0; cs_dir[0] = DSEND; cs_val[0] = 1;
    cs_ch[1] = 1; cs_dir[1] = DSEND; cs_val[1] = 1;
    select_op(0); sel_ret = 0; sel_r = 0; sel_out = 0;
    cs_val[0] = 2; cs_val[1] = 2;
    select_op(0); sel_ret = 0; sel_r = 0; sel_out = 0;
    cs_ch[0] = 0; cs_ch[1] = 0; cs_dir[0] = 0; cs_dir[1] = 0; cs_val[0] = 0; cs_val[1] = 0;
    chan_close(0); r = 0;
    chan_close(1); r = 0;
    client_done()
}

proctype P1()
{
    CLIENT_LOCALS;
    client_start(1, 1);
    recv_both_until_closed();
    client_done()
}

proctype P2()
{
    CLIENT_LOCALS;
    client_start(2, 0);
    recv_until_closed(1);
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
