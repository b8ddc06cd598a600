/* SPDX-License-Identifier: MIT */
/*
 * cond.c: goro_cond (Go's sync.Cond), with the mutex passed to wait.
 *
 * A waiter queues its node (on its stack, syncq.h) at the tail of the
 * cond's queue *before* it unlocks the mutex, so a signal sent by anyone
 * who took the mutex after it cannot miss it. signal claims the head node,
 * broadcast every node, under lock_ (a goro__lock protecting head_, tail_
 * and every change of nwait_), and they wake them after dropping it. So
 * waiters wake in the order they started waiting (FIFO), each signal
 * wakes exactly one waiter if any is waiting, and a waiter only wakes for
 * a signal, a broadcast or its own deadline: no spurious wakeups. Go needs
 * tickets for this because it queues after unlocking; queuing first makes
 * them unnecessary here, and lets a timed-out waiter simply leave.
 *
 * nwait_ (atomic, written under lock_) is the queue's length, read
 * lock-free so that signalling an empty cond costs one load. self_ records
 * the cond's address on first use: a cond copied after first use aborts,
 * as Go's does ("sync.Cond is copied").
 *
 * TSan: wake-ups order waker before wakee (wait.c); the mutex, re-locked
 * before wait returns, orders the rest.
 */
#include "sched/g.h"
#include "base/san.h"
#include "wait/syncq.h"

static goro__lock *cond_lock(goro_cond *c)
{
    return (goro__lock *)&c->lock_;
}

static _Atomic uint32_t *cond_nwait(goro_cond *c)
{
    return (_Atomic uint32_t *)&c->nwait_;
}

static goro__syncq cond_queue(goro_cond *c)
{
    return goro__syncq_of(&c->head_, &c->tail_);
}

static void check_copy(goro_cond *c, const char *file, int line)
{
    void *_Atomic *self = (void *_Atomic *)&c->self_;
    void *s = atomic_load_explicit(self, memory_order_relaxed);
    if (goro_likely(s == c))
        return;
    if (!s && atomic_compare_exchange_strong_explicit(self, &s, c,
                  memory_order_relaxed, memory_order_relaxed))
        return;
    if (s != c)
        goro__fatal(file, line, "sync: Cond is copied");
}

int goro_cond_wait_until_at(goro_cond *c, goro_mutex *mu, int64_t deadline,
                            const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    if (!c || !mu)
        return GORO_EINVAL;
    check_copy(c, file, line);
    goro__init();
    goro__syncq q = cond_queue(c);
    goro__syncq_node n;
    goro__syncq_node_init(&n);
    goro__lock_acquire_as(cond_lock(c), COND);
    goro__syncq_push_back(q, &n);
    atomic_store_explicit(cond_nwait(c), atomic_load_explicit(cond_nwait(c),
                          memory_order_relaxed) + 1, memory_order_relaxed);
    goro__lock_release(cond_lock(c));

    goro_mutex_unlock_at(mu, file, line);
    int r = goro__waiter_block(&n.w, deadline, GORO_WAIT_COND, c);
    if (r == GORO_ETIMEDOUT) {
        goro__lock_acquire_as(cond_lock(c), COND);
        if (n.queued) {
            goro__syncq_remove(q, &n);
            atomic_store_explicit(cond_nwait(c), atomic_load_explicit(cond_nwait(c),
                                  memory_order_relaxed) - 1, memory_order_relaxed);
        }
        goro__lock_release(cond_lock(c));
    }
    goro_mutex_lock(mu);
    return r;
}

void goro_cond_wait_at(goro_cond *c, goro_mutex *mu, const char *file, int line)
{
    if (!c || !mu)
        goro__fatal(file, line, c ? "sync: Cond.Wait with a NULL mutex" : "sync: Cond is NULL");
    goro_cond_wait_until_at(c, mu, GORO_FOREVER, file, line);
}

/* Under lock_: pops up to `max` waiters, claiming them; returns the claimed
 * ones linked by wake_next, oldest first. Nodes whose deadline won the
 * claim are dropped (they are leaving). */
static goro__syncq_node *take(goro_cond *c, uint32_t max)
{
    goro__syncq q = cond_queue(c);
    goro__syncq_node *list = NULL, *tail = NULL, *n;
    uint32_t taken = 0, left = atomic_load_explicit(cond_nwait(c), memory_order_relaxed);
    while (taken < max && (n = goro__syncq_first(q)) != NULL) {
        goro__syncq_remove(q, n);
        left--;
        if (goro__waiter_claim(&n->w)) {
            GORO__SLIST_APPEND(list, tail, n, wake_next);
            taken++;
        }
    }
    atomic_store_explicit(cond_nwait(c), left, memory_order_relaxed);
    return list;
}

/* signal (max 1) and broadcast (max all): wakes up to max waiters. */
static void notify(goro_cond *c, uint32_t max, const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    if (!c)
        goro__fatal(file, line, "sync: Cond is NULL");
    check_copy(c, file, line);
    /* Pairs with the waiter's queuing: a waiter that queued before the
     * caller took the mutex is visible here. */
    if (atomic_load_explicit(cond_nwait(c), memory_order_acquire) == 0)
        return;
    goro__lock_acquire_as(cond_lock(c), COND);
    goro__syncq_node *list = take(c, max);
    goro__lock_release(cond_lock(c));
    goro__syncq_wake_list(list, 0);
}

void goro_cond_signal_at(goro_cond *c, const char *file, int line)
{
    notify(c, 1, file, line);
}

void goro_cond_broadcast_at(goro_cond *c, const char *file, int line)
{
    notify(c, UINT32_MAX, file, line);
}
