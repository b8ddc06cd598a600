/* SPDX-License-Identifier: MIT */
/*
 * pingpong.h: the ping-pong pair of goroutines that scheduler tests keep
 * running to show progress while something else (a hog, a blocking call)
 * holds a thread. pingpong_start starts a ponger (echoes v + 1 on pong
 * what it receives on ping, until ping is closed) and a pinger (sends,
 * waits for the answer, counts a round in `rounds`, until pingpong_stop);
 * pingpong_stop ends both, waits for them and frees the channels.
 * WAIT_FOR polls a condition every millisecond, parking between looks.
 */
#ifndef GORO_TEST_PINGPONG_H
#define GORO_TEST_PINGPONG_H

#include <stdatomic.h>
#include "testutil.h"

GORO_CHAN_DEFINE(pp_intch, int)

typedef struct pingpong {
    pp_intch ping, pong;
    _Atomic int stop;
    _Atomic long rounds;       /* round trips so far */
    goro_waitgroup wg;
} pingpong;

static inline void pp_ponger(void *arg)
{
    pingpong *p = arg;
    int v;
    while (pp_intch_recv(p->ping.rx, &v) == 0)
        pp_intch_send(p->pong.tx, v + 1);
}

static inline void pp_pinger(void *arg)
{
    pingpong *p = arg;
    int v = 0;
    while (!atomic_load(&p->stop)) {
        pp_intch_send(p->ping.tx, v);
        pp_intch_recv(p->pong.rx, &v);
        atomic_fetch_add(&p->rounds, 1);
    }
    pp_intch_close(p->ping.tx);
}

static inline void pingpong_start(pingpong *p)
{
    *p = (pingpong){ .ping = pp_intch_make(0), .pong = pp_intch_make(0) };
    CHECK(goro_waitgroup_go(&p->wg, pp_ponger, p) == 0);
    CHECK(goro_waitgroup_go(&p->wg, pp_pinger, p) == 0);
}

static inline void pingpong_stop(pingpong *p)
{
    atomic_store(&p->stop, 1);
    goro_waitgroup_wait(&p->wg);
    pp_intch_release(p->ping);
    pp_intch_release(p->pong);
}

/* Polls cond every ms (parking, so it needs a P too) until it holds or
 * `secs` pass. */
#define WAIT_FOR(cond, secs) do { \
    int64_t give_up_ = goro_now() + (secs) * GORO_SECOND; \
    while (!(cond) && goro_now() < give_up_) \
        goro_sleep(GORO_MILLISECOND); \
} while (0)

#endif
