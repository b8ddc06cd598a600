/* SPDX-License-Identifier: MIT */
/*
 * findrun.c: what an M without work does on its scheduler context (g0):
 * goro__find_runnable looks for a goroutine in named phases, in order,
 * and puts the M to sleep when none has one:
 *
 *   1. local:    this P's runnext and ring (the global queue first, 1
 *                schedule in GORO_GLOBAL_EVERY or when the slice is over);
 *   2. global:   the global queue;
 *   3. netpoll:  goroutines whose fds are ready (non-blocking poll);
 *   4. steal:    other Ps' rings (and, last, their runnext) and timers;
 *   5. release:  give the P back (last look at the global queue under
 *                sched.lock), stop spinning and rescan;
 *   6. stop:     block in the poller, else sleep on the M's futex.
 *
 * Spinning (Go's protocol). An M that steals is "spinning" and counted
 * in goro__S.nmspinning; at most half the busy Ps' worth of Ms spin (a
 * new spinner needs 2 * nmspinning < nprocs - npidle). Whoever readies a
 * goroutine publishes it, fences, and calls goro__wakep, which starts a
 * spinner only if none spins and a P is idle. A spinner that finds work
 * stops spinning and, if it was the last, wakes a successor (the work it
 * found may have come with more). A spinner that finds nothing gives its
 * P back, decrements nmspinning, fences, and only then rescans every
 * queue: a goroutine published before the decrement is seen by the
 * rescan, one published after it sees nmspinning == 0 and wakes an M.
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

/* ------------------------------------------------------------------ */
/* Spinning                                                            */

static void spin_start(M *m)
{
    m->spinning = true;
    atomic_fetch_add(&goro__S.nmspinning, 1);
}

/* A spinner found work: if it was the last one, recruit a successor. */
static void spin_found(M *m)
{
    m->spinning = false;
    if (atomic_fetch_sub(&goro__S.nmspinning, 1) == 1)
        goro__wakep();
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

/* A spinner without a P stops spinning: decrement, fence, rescan (the
 * header's rule). Returns true if work appeared meanwhile. */
static bool spin_stop_rescan(M *m)
{
    m->spinning = false;
    atomic_fetch_sub(&goro__S.nmspinning, 1);
    atomic_thread_fence(memory_order_seq_cst);
    return any_work();
}

/* ------------------------------------------------------------------ */
/* Netpoller                                                           */

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
    if (n) {
        GORO_TRACE(ev(GORO_TR_NETPOLL, -1, (uint64_t)n, 0, 0, 0));
        goro__ready_list(gs, n);
    }
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
        GORO_TRACE(ev(GORO_TR_NETPOLL, -1, (uint64_t)n, 0, 0, 0));
        goro__acquirep_idle(m);
        goro__ready_list(gs, n);
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* Getting a P to search with                                          */

/* m holds no P: takes an idle one, or sleeps until handed one (or until
 * its timed sleep ends; then false, and the caller comes back here). */
static bool search_p(M *m)
{
    if (m->p || goro__acquirep_idle(m))
        return true;
    /* Never sleep counted as spinning (a retired P's spinner lands here):
     * goro__wakep would think someone still looks for work. */
    if (m->spinning && spin_stop_rescan(m))
        goro__wakep();
    goro__stopm(m, 0);
    return m->p != NULL;
}

/* GOMAXPROCS shrank below p's id: retire p. Returns true if it did (m
 * then holds no P). */
static bool retire_if_gone(M *m, P *p)
{
    if (!goro__p_retired(p))
        return false;
    goro__lock_acquire(&goro__S.lock);
    bool retired = goro__p_retired(p);   /* GOMAXPROCS may have grown again */
    if (retired) {
        goro__releasep(m);
        goro__p_retire(p);
    }
    goro__lock_release(&goro__S.lock);
    return retired;
}

/* ------------------------------------------------------------------ */
/* Phases 1-4: look for a goroutine while holding p                    */

static G *take_local(P *p, bool *inherit)
{
    G *g;
    bool slice_over = false;
    if (goro_unlikely(atomic_load_explicit(&p->preempt, memory_order_relaxed))) {
        goro__runq_kick_runnext(p);
        slice_over = true;
    }
    /* Fairness: the global queue first now and then, so a busy P's own
     * goroutines cannot starve it. */
    if ((slice_over ||
         atomic_load_explicit(&p->schedtick, memory_order_relaxed) % GORO_GLOBAL_EVERY == 0) &&
        (g = goro__globrunq_take(p, 1)))
        return g;
    return runq_get(p, inherit);
}

static G *take_global(P *p)
{
    return goro__globrunq_take(p, 0);
}

/* Goroutines whose fds are ready, unless an M blocks in the poller (it
 * has them). They go to p's queue. */
static G *take_netpoll(P *p, bool *inherit)
{
    return poll_nonblocking() ? runq_get(p, inherit) : NULL;
}

/* Steals from the other Ps (their runnext only on the last pass), if not
 * too many Ms spin already (the header's rule); then runs their due
 * timers. */
static G *steal_work(M *m, P *p, bool *inherit)
{
    int np = atomic_load(&goro__S.nprocs);
    if (m->spinning || 2 * atomic_load(&goro__S.nmspinning) < np - atomic_load(&goro__S.npidle)) {
        if (!m->spinning)
            spin_start(m);
        for (int pass = 0; pass < 4; pass++) {
            uint32_t start = (uint32_t)goro__rng_next(&m->rng);
            for (int i = 0; i < np; i++) {
                P *v = atomic_load(&goro__S.allp[(start + (uint32_t)i) % (uint32_t)np]);
                if (!v || v == p || atomic_load_explicit(&v->status, memory_order_relaxed) == P_IDLE)
                    continue;
                G *g = goro__runq_steal(p, v, pass == 3);
                if (g)
                    return g;
            }
        }
    }
    if (goro__timers_steal_run(p, goro__nanotime()))
        return runq_get(p, inherit);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Phases 5-6: give up the P and stop the M                            */

/* Gives p back, unless the global queue has a goroutine after all (it is
 * returned, p kept). */
static G *release_p(M *m, P *p)
{
    goro__lock_acquire(&goro__S.lock);
    if (goro__S.runq_size > 0) {
        G *g = goro__globrunq_get(p, 0);
        goro__lock_release(&goro__S.lock);
        return g;
    }
    goro__releasep(m);
    if (goro__p_retired(p))
        goro__p_retire(p);
    else
        goro__pidle_put(p);
    goro__lock_release(&goro__S.lock);
    return NULL;
}

/* A spinner that gave its P back stops spinning and rescans (the
 * header's rule): work found meanwhile is searched for again, spinning,
 * with an idle P. Returns true if m holds a P again. */
static bool rescan_after_spinning(M *m)
{
    if (!m->spinning || !spin_stop_rescan(m) || !goro__acquirep_idle(m))
        return false;
    spin_start(m);
    return true;
}

/* m holds no P and found nothing: block in the poller if goroutines wait
 * on fds and no other M does, else sleep, until the earliest timer if
 * this M is the one to watch them (goro__timer_added wakes it for an
 * earlier one). */
static void stop_m(M *m)
{
    if (goro__netpoll_pending() && poll_blocking(m))
        return;
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
}

/* Finds a goroutine to run; returns with m->p held. May sleep. */
G *goro__find_runnable(M *m, bool *inherit)
{
    for (;;) {
        *inherit = false;
        if (!search_p(m) || retire_if_gone(m, m->p))
            continue;
        P *p = m->p;

        /* This P's due timers: their callbacks may ready goroutines. */
        int64_t now = goro__nanotime();
        goro__coarse_tick(now);
        goro__timers_run(p, now);

        G *g = take_local(p, inherit);
        if (!g)
            g = take_global(p);
        if (!g)
            g = take_netpoll(p, inherit);
        if (!g)
            g = steal_work(m, p, inherit);
        if (!g)
            g = release_p(m, p);
        if (g) {
            if (m->spinning)
                spin_found(m);
            return g;
        }
        if (rescan_after_spinning(m))
            continue;
        stop_m(m);
    }
}

/* The netpoller has just harvested events: sysmon polls only when nobody
 * has for a while. */
void goro__sched_note_poll(void)
{
    atomic_store_explicit(&goro__S.lastpoll, goro__nanotime(), memory_order_relaxed);
}
