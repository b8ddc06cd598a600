/* SPDX-License-Identifier: MIT */
/*
 * rwmutex.c: goro_rwmutex (Go's sync.RWMutex) with writer preference.
 *
 * state_ (atomic): bits 0-27 the number of readers holding the lock,
 * WLOCKED (a writer holds it), WWAIT (the writer queue is not empty),
 * RWAIT (the reader queue is not empty). lock_ is a goro__lock protecting
 * both wait queues (rhead_/rtail_, whead_/wtail_; see syncq.h) and every
 * change of WWAIT and RWAIT.
 *
 * Fast paths, lock-free: rlock adds a reader by CAS while neither WLOCKED
 * nor WWAIT is set (a waiting writer holds back new readers); runlock
 * subtracts one; lock is a CAS 0 -> WLOCKED; unlock a CAS WLOCKED -> 0.
 * Everything else happens under lock_, and a blocked party is always
 * granted the lock by whoever wakes it (its reader count or WLOCKED is set
 * for it before the wake), so a woken party never has to retry:
 *  - a writer's unlock admits every queued reader at once (they arrived
 *    while it held the lock), else hands the lock to the first queued
 *    writer, else just clears WLOCKED (Go's order: readers that waited for
 *    a writer go before the next writer, so neither side starves);
 *  - the last reader out, when a writer waits, hands the lock to it;
 *  - a writer that gives up (deadline) and leaves the writer queue empty
 *    clears WWAIT and admits the readers it was holding back.
 * Invariant while lock_ is free: RWAIT implies WLOCKED or WWAIT (readers
 * only queue behind a writer, and whoever clears both admits them), and
 * WWAIT/RWAIT say exactly whether their queue is non-empty.
 *
 * Unlock and runlock grant the lock in the same atomic step that gives up
 * their own hold, while still holding lock_; the woken parties keep rw in
 * use until they run. When there is nobody to grant it to (every waiter
 * gave up), they drop lock_ first and release last, so that no release is
 * followed by another access to rw: whoever takes the lock next may free
 * it.
 *
 * TSan, as Go's race annotations: readers acquire on the "reader" address
 * and release on the "writer" address; writers acquire both and release
 * the reader one. So readers are ordered after writers and writers after
 * everyone, but readers are not ordered with each other.
 */
#include "sched/g.h"
#include "base/san.h"
#include "wait/syncq.h"

#define RW_RMASK    ((1u << 28) - 1)
#define RW_WLOCKED  (1u << 28)
#define RW_WWAIT    (1u << 29)
#define RW_RWAIT    (1u << 30)

static _Atomic uint32_t *rw_state(goro_rwmutex *rw)
{
    return (_Atomic uint32_t *)&rw->state_;
}

static goro__lock *rw_lock(goro_rwmutex *rw)
{
    return (goro__lock *)&rw->lock_;
}

static goro__syncq rw_rq(goro_rwmutex *rw)
{
    return goro__syncq_of(&rw->rhead_, &rw->rtail_);
}

static goro__syncq rw_wq(goro_rwmutex *rw)
{
    return goro__syncq_of(&rw->whead_, &rw->wtail_);
}

/* Happens-before addresses (see the header comment). */
static void *rw_rsync(goro_rwmutex *rw)
{
    return &rw->rhead_;
}

static void *rw_wsync(goro_rwmutex *rw)
{
    return &rw->whead_;
}

/* Under lock_: claims every queued reader, empties the reader queue and
 * returns the claimed ones (linked by wake_next) and their number. */
static goro__syncq_node *take_readers(goro_rwmutex *rw, uint32_t *count)
{
    goro__syncq q = rw_rq(rw);
    goro__syncq_node *list = NULL, *n;
    uint32_t k = 0;
    while ((n = goro__syncq_first(q)) != NULL) {
        goro__syncq_remove(q, n);
        if (goro__waiter_claim(&n->w)) {   /* else its deadline won */
            GORO__SLIST_PUSH(list, n, wake_next);
            k++;
        }
    }
    *count = k;
    return list;
}

/* Under lock_: the first writer whose claim we win (removed from the
 * queue, a list of one), or NULL; writers whose deadline won are dropped. */
static goro__syncq_node *take_writer(goro_rwmutex *rw)
{
    goro__syncq q = rw_wq(rw);
    goro__syncq_node *n;
    while ((n = goro__syncq_first(q)) != NULL) {
        goro__syncq_remove(q, n);
        if (goro__waiter_claim(&n->w)) {
            n->wake_next = NULL;
            return n;
        }
    }
    return NULL;
}

/* WWAIT if the writer queue is empty now (a grant then clears it), else 0. */
static uint32_t wwait_if_empty(goro_rwmutex *rw)
{
    return goro__syncq_empty(rw_wq(rw)) ? RW_WWAIT : 0;
}

/* Under lock_: the one atomic step that grants the lock to the parties just
 * taken: the state becomes ((old & ~clear) | set) + add (add may wrap, to
 * drop our own reader count). Release: they see what we wrote. */
static void grant(goro_rwmutex *rw, uint32_t old, uint32_t clear, uint32_t set, uint32_t add)
{
    while (!atomic_compare_exchange_weak_explicit(rw_state(rw), &old, ((old & ~clear) | set) + add,
               memory_order_release, memory_order_relaxed))
        ;
}

/* Under lock_, after the last waiting writer gave up: if no writer holds
 * the lock, the readers it held back go in. Returns them, to wake after
 * unlocking. (This runs inside a lock call, so touching rw after granting
 * is fine: the caller may not free rw while a call on it is in progress.) */
static goro__syncq_node *admit_held_back(goro_rwmutex *rw)
{
    uint32_t old = atomic_load_explicit(rw_state(rw), memory_order_relaxed), k;
    if ((old & (RW_WLOCKED | RW_WWAIT)) || !(old & RW_RWAIT))
        return NULL;
    goro__syncq_node *list = take_readers(rw, &k);
    grant(rw, old, RW_RWAIT, 0, k);   /* only other readers change the state now */
    return list;
}

/* Queues n as a reader or writer and blocks until granted or the deadline
 * passes. Called with lock_ held and RWAIT or WWAIT set; returns with lock_
 * dropped. */
static int rw_block(goro_rwmutex *rw, bool writer, goro__syncq_node *n, int64_t deadline)
{
    goro__syncq q = writer ? rw_wq(rw) : rw_rq(rw);
    goro__syncq_push_back(q, n);
    goro__lock_release(rw_lock(rw));
    int r = goro__waiter_block(&n->w, deadline,
                               writer ? GORO_WAIT_RWMUTEX_W : GORO_WAIT_RWMUTEX_R, rw);
    if (r != GORO_ETIMEDOUT)
        return 0;   /* granted: the waker set our reader count or WLOCKED */
    goro__syncq_node *wake = NULL;
    goro__lock_acquire_as(rw_lock(rw), RWMUTEX);
    if (n->queued)
        goro__syncq_remove(q, n);
    if (goro__syncq_empty(q)) {
        atomic_fetch_and_explicit(rw_state(rw), writer ? ~RW_WWAIT : ~RW_RWAIT,
                                  memory_order_relaxed);
        if (writer)   /* the readers we held back may go now */
            wake = admit_held_back(rw);
    }
    goro__lock_release(rw_lock(rw));
    goro__syncq_wake_list(wake, 0);
    return GORO_ETIMEDOUT;
}

/* A reader's or a writer's lock that found the fast path shut: under
 * lock_, take the lock if it is free for us now, else flag our queue
 * (RWAIT, WWAIT) and block in it. */
static int lock_slow(goro_rwmutex *rw, bool writer, int64_t deadline)
{
    goro__init();
    goro__syncq_node n;
    goro__syncq_node_init(&n);
    goro__lock_acquire_as(rw_lock(rw), RWMUTEX);
    /* A writer waits for readers too; a reader only for writers. */
    uint32_t busy = RW_WLOCKED | RW_WWAIT | (writer ? RW_RMASK : 0);
    uint32_t old = atomic_load_explicit(rw_state(rw), memory_order_relaxed);
    for (;;) {
        if (!(old & busy)) {
            if (!writer && (old & RW_RMASK) == RW_RMASK)
                GORO_FATAL("sync: too many readers on an RWMutex");
            if (atomic_compare_exchange_weak_explicit(rw_state(rw), &old,
                    writer ? old | RW_WLOCKED : old + 1,
                    memory_order_acquire, memory_order_relaxed)) {
                goro__lock_release(rw_lock(rw));
                return 0;
            }
            continue;
        }
        if (deadline != GORO_FOREVER && goro__nanotime() >= deadline) {
            goro__lock_release(rw_lock(rw));
            return GORO_ETIMEDOUT;
        }
        if (atomic_compare_exchange_weak_explicit(rw_state(rw), &old,
                old | (writer ? RW_WWAIT : RW_RWAIT), memory_order_relaxed, memory_order_relaxed))
            break;
    }
    return rw_block(rw, writer, &n, deadline);
}

static bool rlock_fast(goro_rwmutex *rw)
{
    uint32_t old = atomic_load_explicit(rw_state(rw), memory_order_relaxed);
    while (!(old & (RW_WLOCKED | RW_WWAIT)) && (old & RW_RMASK) != RW_RMASK)
        if (atomic_compare_exchange_weak_explicit(rw_state(rw), &old, old + 1,
                memory_order_acquire, memory_order_relaxed))
            return true;
    return false;
}

void goro_rwmutex_rlock(goro_rwmutex *rw)
{
    SAN_RUNTIME_SCOPE;
    if (!rw)
        GORO_FATAL("sync: RWMutex is NULL");
    if (goro_unlikely(!rlock_fast(rw)))
        lock_slow(rw, false, GORO_FOREVER);
    san_acquire(rw_rsync(rw));
}

int goro_rwmutex_rlock_until(goro_rwmutex *rw, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    if (!rw)
        return GORO_EINVAL;
    if (goro_unlikely(!rlock_fast(rw))) {
        int r = lock_slow(rw, false, deadline);
        if (r != 0)
            return r;
    }
    san_acquire(rw_rsync(rw));
    return 0;
}

int goro_rwmutex_tryrlock(goro_rwmutex *rw)
{
    SAN_RUNTIME_SCOPE;
    if (!rw)
        return GORO_EINVAL;
    if (!rlock_fast(rw))
        return GORO_EAGAIN;
    san_acquire(rw_rsync(rw));
    return 0;
}

/* The last reader out while a writer waits, still counted as a reader:
 * under lock_, give the lock to the first writer (or, if every writer gave
 * up, to the readers they held back) in the same atomic step that drops
 * our count. Returns the parties to wake, or NULL: nobody to grant it to
 * (or we are no longer the last reader: a writer gave up and readers came
 * in). */
static goro__syncq_node *grant_last_reader(goro_rwmutex *rw, uint32_t old)
{
    /* "Last reader, a writer waits" is stable under lock_: no reader comes
     * in past WWAIT, and WWAIT clears only under lock_. */
    if ((old & RW_RMASK) != 1 || !(old & RW_WWAIT))
        return NULL;
    uint32_t k;
    goro__syncq_node *list;
    if ((list = take_writer(rw)) != NULL)
        grant(rw, old, wwait_if_empty(rw), RW_WLOCKED, (uint32_t)-1);
    else if ((list = take_readers(rw, &k)) != NULL)   /* every writer gave up */
        grant(rw, old, RW_WWAIT | RW_RWAIT, 0, k - 1);
    else
        atomic_fetch_and_explicit(rw_state(rw), ~(RW_WWAIT | RW_RWAIT), memory_order_relaxed);
    return list;
}

/* A writer's unlock with waiters, still holding the lock: under lock_,
 * admit the queued readers (they waited behind us), else hand the lock to
 * the first writer (WLOCKED stays), in one atomic step with our release.
 * Returns the parties to wake, or NULL when every waiter gave up (the
 * stale flags cleared). */
static goro__syncq_node *grant_unlock(goro_rwmutex *rw, uint32_t old)
{
    uint32_t k;
    goro__syncq_node *list = NULL;
    if ((old & RW_RWAIT) && (list = take_readers(rw, &k)) != NULL)
        grant(rw, old, RW_WLOCKED | RW_RWAIT | wwait_if_empty(rw), 0, k);
    else if ((old & RW_WWAIT) && (list = take_writer(rw)) != NULL)
        grant(rw, old, RW_RWAIT | wwait_if_empty(rw), 0, 0);
    else
        atomic_fetch_and_explicit(rw_state(rw), ~(RW_WWAIT | RW_RWAIT), memory_order_relaxed);
    return list;
}

/* Drops our hold (a reader's count, or WLOCKED) with nobody to grant the
 * lock to; false, dropping nothing, if a party to grant it to queued
 * meanwhile. */
static bool release_plain(goro_rwmutex *rw, bool reader)
{
    uint32_t old = atomic_load_explicit(rw_state(rw), memory_order_relaxed);
    for (;;) {
        if (reader ? (old & RW_RMASK) == 1 && (old & RW_WWAIT) : (old & (RW_RWAIT | RW_WWAIT)))
            return false;
        if (atomic_compare_exchange_weak_explicit(rw_state(rw), &old,
                reader ? old - 1 : old & ~RW_WLOCKED, memory_order_release, memory_order_relaxed))
            return true;
    }
}

/* The release of the last reader while a writer waits, or of a writer
 * with waiters: grant and wake (grant_last_reader, grant_unlock). When
 * there is nobody to grant the lock to, lock_ is dropped first and our
 * hold last (release_plain, retried if someone queued meanwhile), so that
 * no release is followed by another access to rw. */
static void release_slow(goro_rwmutex *rw, bool reader)
{
    for (;;) {
        goro__lock_acquire_as(rw_lock(rw), RWMUTEX);
        uint32_t old = atomic_load_explicit(rw_state(rw), memory_order_relaxed);
        goro__syncq_node *list = reader ? grant_last_reader(rw, old) : grant_unlock(rw, old);
        goro__lock_release(rw_lock(rw));
        if (list) {
            goro__syncq_wake_list(list, 0);
            return;
        }
        if (release_plain(rw, reader))
            return;
    }
}

void goro_rwmutex_runlock_at(goro_rwmutex *rw, const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    if (!rw)
        goro__fatal(file, line, "sync: RWMutex is NULL");
    san_release(rw_wsync(rw));
    uint32_t old = atomic_load_explicit(rw_state(rw), memory_order_relaxed);
    for (;;) {
        if ((old & RW_RMASK) == 0)
            goro__fatal(file, line, "sync: RUnlock of unlocked RWMutex");
        if (goro_unlikely((old & RW_RMASK) == 1 && (old & RW_WWAIT))) {
            release_slow(rw, true);   /* the last reader lets the writer in */
            return;
        }
        if (atomic_compare_exchange_weak_explicit(rw_state(rw), &old, old - 1,
                memory_order_release, memory_order_relaxed))
            return;
    }
}

void goro_rwmutex_lock(goro_rwmutex *rw)
{
    SAN_RUNTIME_SCOPE;
    if (!rw)
        GORO_FATAL("sync: RWMutex is NULL");
    uint32_t z = 0;
    if (goro_unlikely(!atomic_compare_exchange_strong_explicit(rw_state(rw), &z, RW_WLOCKED,
            memory_order_acquire, memory_order_relaxed)))
        lock_slow(rw, true, GORO_FOREVER);
    san_acquire(rw_rsync(rw));
    san_acquire(rw_wsync(rw));
}

int goro_rwmutex_lock_until(goro_rwmutex *rw, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    if (!rw)
        return GORO_EINVAL;
    uint32_t z = 0;
    if (goro_unlikely(!atomic_compare_exchange_strong_explicit(rw_state(rw), &z, RW_WLOCKED,
            memory_order_acquire, memory_order_relaxed))) {
        int r = lock_slow(rw, true, deadline);
        if (r != 0)
            return r;
    }
    san_acquire(rw_rsync(rw));
    san_acquire(rw_wsync(rw));
    return 0;
}

int goro_rwmutex_trylock(goro_rwmutex *rw)
{
    SAN_RUNTIME_SCOPE;
    if (!rw)
        return GORO_EINVAL;
    uint32_t z = 0;
    if (!atomic_compare_exchange_strong_explicit(rw_state(rw), &z, RW_WLOCKED,
            memory_order_acquire, memory_order_relaxed))
        return GORO_EAGAIN;
    san_acquire(rw_rsync(rw));
    san_acquire(rw_wsync(rw));
    return 0;
}


void goro_rwmutex_unlock_at(goro_rwmutex *rw, const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    if (!rw)
        goro__fatal(file, line, "sync: RWMutex is NULL");
    uint32_t old = atomic_load_explicit(rw_state(rw), memory_order_relaxed);
    if (!(old & RW_WLOCKED) || (old & RW_RMASK))
        goro__fatal(file, line, "sync: Unlock of unlocked RWMutex");
    san_release(rw_rsync(rw));
    /* Nobody else changes the state while we hold it, but for waiters
     * setting RWAIT or WWAIT (under lock_). */
    if (goro_likely(!(old & (RW_RWAIT | RW_WWAIT))) &&
        atomic_compare_exchange_strong_explicit(rw_state(rw), &old, old & ~RW_WLOCKED,
            memory_order_release, memory_order_relaxed))
        return;
    release_slow(rw, false);
}
