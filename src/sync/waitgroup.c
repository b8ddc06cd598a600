/* SPDX-License-Identifier: MIT */
/*
 * waitgroup.c: goro_waitgroup (Go's sync.WaitGroup).
 *
 * state_ holds the counter in its high 32 bits (signed) and the number of
 * waiters in its low 32. add is one atomic add (acq_rel) unless it brings
 * the counter to zero with waiters present; then, under lock_ (a
 * goro__lock, which protects the waiter list waiters_), it detaches the
 * list, subtracts the detached waiters from state_ and wakes each after
 * dropping the lock. wait counts itself in (CAS, only while the counter is
 * non-zero) and links its node under the same lock, so a zeroing add that
 * saw the waiter also finds its node: under the lock, the waiter count
 * equals the list's length. A waiter that times out unlinks and uncounts
 * itself under the lock, unless a waker detached it first. A waker drops
 * the lock right after detaching and never touches the WaitGroup again (a
 * woken waiter may free it at once); it walks the detached nodes once,
 * waking each whose claim it wins and marking `passed` each whose deadline
 * won. A timed-out waiter that finds itself detached waits for that mark,
 * so the waker never reads a dead node.
 *
 * A zeroing add that finds, under the lock, the counter non-zero again was
 * overtaken by a later add (its waiters, if any, arrived after that add)
 * and wakes nobody.
 *
 * Misuse is detected as Go does: an add that takes the counter from 0 up
 * while waiters are counted ("Add called concurrently with Wait"), and a
 * waiter woken by the counter reaching 0 that finds the state non-zero
 * before it returns ("reused before previous Wait has returned").
 */
#include <string.h>

#include "sched/g.h"
#include "base/list.h"
#include "base/san.h"
#include "wait/wait.h"

typedef struct wg_node {
    goro__waiter w;
    struct wg_node *next;       /* (lock_ while listed; then the detaching waker) */
    _Atomic uint32_t passed;    /* set by a waker that detached this node but
                                   lost its claim (the deadline won): its last
                                   access; the timed-out waiter waits for it */
} wg_node;

static goro__lock *wg_lock(goro_waitgroup *wg)
{
    return (goro__lock *)&wg->lock_;
}

static _Atomic uint64_t *wg_state(goro_waitgroup *wg)
{
    return (_Atomic uint64_t *)&wg->state_;
}

static int32_t wg_count(uint64_t s)
{
    return (int32_t)(s >> 32);
}

static uint32_t wg_waiters(uint64_t s)
{
    return (uint32_t)s;
}

void goro_waitgroup_add_at(goro_waitgroup *wg, int64_t delta, const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    if (!wg)
        goro__fatal(file, line, "sync: WaitGroup is NULL");
    if (delta < INT32_MIN || delta > INT32_MAX)
        goro__fatal(file, line, "sync: WaitGroup delta out of range");
    if (delta < 0)
        san_release(wg);
    uint64_t s = atomic_fetch_add_explicit(wg_state(wg), (uint64_t)delta << 32,
                                           memory_order_acq_rel);
    int64_t v = (int64_t)wg_count(s) + delta;
    if (v < 0)
        goro__fatal(file, line, "sync: negative WaitGroup counter");
    if (v > INT32_MAX)
        goro__fatal(file, line, "sync: WaitGroup counter overflow");
    if (delta > 0 && wg_count(s) == 0 && wg_waiters(s) != 0)
        goro__fatal(file, line, "sync: WaitGroup misuse: Add called concurrently with Wait");
    if (v != 0 || wg_waiters(s) == 0)
        return;
    goro__lock_acquire_as(wg_lock(wg), WAITGROUP);
    uint64_t cur = atomic_load_explicit(wg_state(wg), memory_order_relaxed);
    if (wg_count(cur) != 0) {
        goro__lock_release(wg_lock(wg));   /* overtaken by a later add */
        return;
    }
    /* Under the lock the count equals the list's length. Detach the list
     * and uncount it, then drop the lock: from here on nothing touches wg,
     * since the first wake may let a waiter return and free it (it often
     * lives on that waiter's stack). One pass over the nodes (each on
     * another stack, a cache miss), each either claimed and woken, or, when
     * its deadline won the claim, marked passed: its waiter, which found
     * itself detached, waits for that mark before its node goes away. */
    wg_node *list = wg->waiters_;
    wg->waiters_ = NULL;
    atomic_fetch_sub_explicit(wg_state(wg), wg_waiters(cur), memory_order_relaxed);
    goro__lock_release(wg_lock(wg));
    while (list) {
        wg_node *x = list;
        list = x->next;   /* read first: x may die once woken or marked */
        if (list)
            __builtin_prefetch(list, 1);   /* overlap the next miss with this wake */
        if (goro__waiter_claim(&x->w))
            goro__waiter_wake(&x->w);
        else
            atomic_store_explicit(&x->passed, 1, memory_order_release);
    }
}

int goro_waitgroup_wait_until(goro_waitgroup *wg, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    if (!wg)
        return GORO_EINVAL;
    uint64_t s = atomic_load_explicit(wg_state(wg), memory_order_acquire);
    if (wg_count(s) == 0) {
        san_acquire(wg);
        return 0;
    }
    goro__init();
    wg_node n;
    goro__waiter_init(&n.w);
    atomic_store_explicit(&n.passed, 0, memory_order_relaxed);
    goro__lock_acquire_as(wg_lock(wg), WAITGROUP);
    do {
        if (wg_count(s) == 0) {
            goro__lock_release(wg_lock(wg));
            san_acquire(wg);
            return 0;
        }
    } while (!atomic_compare_exchange_weak_explicit(wg_state(wg), &s, s + 1,
                 memory_order_acq_rel, memory_order_acquire));
    wg_node *np = &n;
    GORO__SLIST_PUSH(*(wg_node **)&wg->waiters_, np, next);
    goro__lock_release(wg_lock(wg));
    int r = goro__waiter_block(&n.w, deadline, GORO_WAIT_WAITGROUP, wg);
    if (r == GORO_ETIMEDOUT) {
        bool listed = false;
        goro__lock_acquire_as(wg_lock(wg), WAITGROUP);
        GORO__SLIST_REMOVE(wg_node, *(wg_node **)&wg->waiters_, np, next, listed);
        if (listed)
            atomic_fetch_sub_explicit(wg_state(wg), 1, memory_order_relaxed);
        goro__lock_release(wg_lock(wg));
        /* Detached by a zeroing add that has not passed our node yet: it
         * will not wake us (our deadline won the claim) but may still read
         * the node; it marks it when done. Rare and short. */
        while (!listed && !atomic_load_explicit(&n.passed, memory_order_acquire))
            goro_yield();
        return r;
    }
    /* Woken by the counter reaching 0, which left the state 0: anything
     * else is an add (or wait) that did not wait for this wait to return. */
    if (atomic_load_explicit(wg_state(wg), memory_order_relaxed) != 0)
        GORO_FATAL("sync: WaitGroup is reused before previous Wait has returned");
    san_acquire(wg);
    return 0;
}

void goro_waitgroup_wait(goro_waitgroup *wg)
{
    if (!wg)
        GORO_FATAL("sync: WaitGroup is NULL");
    goro_waitgroup_wait_until(wg, GORO_FOREVER);
}

/* goro_waitgroup_go's goroutine: fn, then done. A done that drives the
 * counter negative (fn called done too) is reported at the
 * goro_waitgroup_go that started it. */
typedef struct wg_task {
    goro_waitgroup *wg;
    goro_fn fn;
    void *arg;
    const char *file;
    int line;
} wg_task;

static void wg_trampoline(void *p)
{
    wg_task t;
    memcpy(&t, p, sizeof t);
    t.fn(t.arg);
    goro_waitgroup_add_at(t.wg, -1, t.file, t.line);
}

int goro_waitgroup_go_opts_at(goro_waitgroup *wg, const goro_opts *opts, goro_fn fn,
                              void *arg, const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    if (!wg || !fn || !goro__opts_ok(opts))
        return GORO_EINVAL;
    wg_task t = { wg, fn, arg, file, line };
    goro_waitgroup_add_at(wg, 1, file, line);
    int r = goro__go_task(wg_trampoline, &t, sizeof t, (void (*)(void))fn, opts, file, line);
    if (r != 0)
        goro_waitgroup_add_at(wg, -1, file, line);
    return r;
}

int goro_waitgroup_go_at(goro_waitgroup *wg, goro_fn fn, void *arg, const char *file, int line)
{
    return goro_waitgroup_go_opts_at(wg, NULL, fn, arg, file, line);
}
