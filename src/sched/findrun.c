/* SPDX-License-Identifier: MIT */
/*
 * findrun.c: what an M without work does on its scheduler context (g0):
 * goro__find_runnable looks for a goroutine in the local queue, the global
 * queue, the netpoller, other Ps' timers and queues (stealing), and puts
 * the M to sleep when there is none.
 *
 * Netpoller. An M that runs out of work polls (netpoll.c) without
 * blocking; one about to sleep while goroutines wait on fds blocks in the
 * poller instead, one M at a time, until the earliest timer.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched/runtime.h"
#include "sched/runq.h"
#include "base/san.h"

static void reset_spinning(M *m)
{
    m->spinning = false;
    if (atomic_fetch_sub(&goro__S.nmspinning, 1) == 1)
        goro__wakep();   /* we were the last spinner: recruit a successor */
}

/* Looks at every P's queue (after dropping the spinning count). */
static bool any_work(void)
{
    if (atomic_load(&goro__S.runq_size) > 0)
        return true;
    int n = atomic_load(&goro__S.nprocs);
    for (int i = 0; i < n; i++) {
        P *p = atomic_load(&goro__S.allp[i]);
        if (p && !goro__runq_empty(p))
            return true;
    }
    return false;
}

/* Non-blocking netpoll (goro__find_runnable with a P, sysmon without): the
 * goroutines it readies go to the caller's P, or the global queue. One
 * poller at a time, and none while an M blocks in the poller. */
static int poll_nonblocking(void)
{
    if (!goro__netpoll_pending() || atomic_load(&goro__S.poll_blocked))
        return 0;
    uint32_t z = 0;
    if (!atomic_compare_exchange_strong(&goro__S.poll_nb, &z, 1))
        return 0;
    G *gs[GORO_POLL_BATCH];
    int n = goro__netpoll(0, gs, GORO_POLL_BATCH);
    atomic_store_explicit(&goro__S.poll_nb, 0, memory_order_release);
    if (n)
        goro__ready_list(gs, n);
    return n;
}

int goro__sched_poll(void)
{
    return poll_nonblocking();
}

/* m, holding no P, blocks in the poller if no other M does (Go's
 * lastpoll), until the earliest timer. It then takes an idle P if one is
 * free and queues the readied goroutines on it (else globally). Returns
 * false if another M is the poller. */
static bool poll_blocking(M *m)
{
    uint32_t z = 0;
    if (!atomic_compare_exchange_strong(&goro__S.poll_blocked, &z, 1))
        return false;
    int64_t until = goro__timers_earliest();
    atomic_store(&goro__S.poll_until, until ? until : INT64_MAX);
    /* A timer added before poll_blocked was visible: goro__timer_added
     * did not break us, so look again (seq_cst on both sides). */
    int64_t u2 = goro__timers_earliest();
    if (u2 && (!until || u2 < until)) {
        until = u2;
        atomic_store(&goro__S.poll_until, until);
    }
    bool watcher = false;
    if (until) {
        int64_t su = atomic_load(&goro__S.timer_sleep_until);
        if (su == 0 || until < su) {
            atomic_store(&goro__S.timer_sleep_until, until);
            watcher = true;
        }
    }
    G *gs[GORO_POLL_BATCH];
    int n = goro__netpoll(until ? until : INT64_MAX, gs, GORO_POLL_BATCH);
    atomic_store(&goro__S.poll_until, INT64_MAX);
    atomic_store(&goro__S.poll_blocked, 0);
    if (watcher) {
        int64_t expect = until;
        atomic_compare_exchange_strong(&goro__S.timer_sleep_until, &expect, 0);
    }
    if (n) {
        goro__acquirep_idle(m);
        goro__ready_list(gs, n);
    }
    return true;
}

/* Finds a goroutine to run; returns with m->p held. May sleep. */
G *goro__find_runnable(M *m, bool *inherit)
{
top:
    *inherit = false;
    if (!m->p) {
        if (!goro__acquirep_idle(m)) {
            /* Never sleep counted as spinning (a retired P's spinner lands
             * here): goro__wakep would think someone still looks for work. */
            if (m->spinning) {
                m->spinning = false;
                atomic_fetch_sub(&goro__S.nmspinning, 1);
                atomic_thread_fence(memory_order_seq_cst);
                if (any_work())
                    goro__wakep();
            }
            goro__stopm(m, 0);
            goto top;
        }
    }
    P *p = m->p;
    if (goro__p_retired(p)) {
        goro__lock_acquire(&goro__S.lock);
        bool retired = goro__p_retired(p);   /* GOMAXPROCS may have grown again */
        if (retired) {
            goro__p_retire(p);
            m->p = NULL;
        }
        goro__lock_release(&goro__S.lock);
        if (retired)
            goto top;
    }
    int64_t now = goro__nanotime();
    goro__coarse_tick(now);
    goro__timers_run(p, now);

    G *g;
    bool slice_over = false;
    if (goro_unlikely(atomic_load_explicit(&p->preempt, memory_order_relaxed))) {
        goro__runq_kick_runnext(p);
        slice_over = true;
    }
    if ((slice_over || atomic_load_explicit(&p->schedtick, memory_order_relaxed) % GORO_GLOBAL_EVERY == 0) &&
        (g = goro__globrunq_take(p, 1)))
        goto found;
    if ((g = runq_get(p, inherit)))
        goto found;
    if ((g = goro__globrunq_take(p, 0)))
        goto found;
    /* Goroutines whose fds are ready, unless an M blocks in the poller
     * (it has them). They go to our queue. */
    if (poll_nonblocking() && (g = runq_get(p, inherit)))
        goto found;

    /* Steal, if not too many are spinning already. */
    int np = atomic_load(&goro__S.nprocs);
    if (m->spinning || 2 * atomic_load(&goro__S.nmspinning) < np - atomic_load(&goro__S.npidle)) {
        if (!m->spinning) {
            m->spinning = true;
            atomic_fetch_add(&goro__S.nmspinning, 1);
        }
        for (int pass = 0; pass < 4; pass++) {
            uint32_t start = (uint32_t)goro__rng_next(&m->rng);
            for (int i = 0; i < np; i++) {
                P *v = atomic_load(&goro__S.allp[(start + (uint32_t)i) % (uint32_t)np]);
                if (!v || v == p || atomic_load_explicit(&v->status, memory_order_relaxed) == P_IDLE)
                    continue;
                if ((g = goro__runq_steal(p, v, pass == 3)))
                    goto found;
            }
        }
    }
    if (goro__timers_steal_run(p, goro__nanotime()) && (g = runq_get(p, inherit)))
        goto found;

    /* Nothing: give the P back. */
    goro__lock_acquire(&goro__S.lock);
    if (goro__S.runq_size > 0) {
        g = goro__globrunq_get(p, 0);
        goro__lock_release(&goro__S.lock);
        goto found;
    }
    if (goro__p_retired(p))
        goro__p_retire(p);
    else
        goro__pidle_put(p);
    m->p = NULL;
    goro__lock_release(&goro__S.lock);

    if (m->spinning) {
        m->spinning = false;
        atomic_fetch_sub(&goro__S.nmspinning, 1);
        atomic_thread_fence(memory_order_seq_cst);
        if (any_work()) {
            if (goro__acquirep_idle(m)) {
                m->spinning = true;
                atomic_fetch_add(&goro__S.nmspinning, 1);
                goto top;
            }
        }
    }

    /* Goroutines wait on fds and no M blocks in the poller: this one does,
     * until the earliest timer (goro__timer_added breaks it for an earlier
     * one). */
    if (goro__netpoll_pending() && poll_blocking(m))
        goto top;

    /* Sleep, until the earliest timer if this M is the one to watch them. */
    int64_t until = goro__timers_earliest();
    if (until) {
        int64_t su = atomic_load(&goro__S.timer_sleep_until);
        if (su == 0 || until < su)
            atomic_store(&goro__S.timer_sleep_until, until);
        else
            until = 0;   /* another M watches an earlier or equal deadline */
    }
    goro__stopm(m, until);
    if (until) {
        int64_t expect = until;
        atomic_compare_exchange_strong(&goro__S.timer_sleep_until, &expect, 0);
    }
    goto top;

found:
    if (m->spinning)
        reset_spinning(m);
    return g;
}

/* The netpoller has just harvested events: sysmon polls only when nobody
 * has for a while. */
void goro__sched_note_poll(void)
{
    atomic_store_explicit(&goro__S.lastpoll, goro__nanotime(), memory_order_relaxed);
}
