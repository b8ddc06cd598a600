/* SPDX-License-Identifier: MIT */
/*
 * mutex.c: goro_mutex (Go's sync.Mutex), with Go's two modes, normal and
 * starvation (Go's sync/mutex.go).
 *
 * state_ (atomic): bit 0 LOCKED, bit 1 WOKEN (a woken or spinning locker is
 * on its way, so unlock need not wake another), bit 2 STARVING, bits 3+ the
 * number of queued waiters. lock_ is a goro__lock that protects the wait
 * queue (head_, tail_; see syncq.h) and the waiter count.
 *
 * Normal mode: lock is one CAS 0 -> LOCKED, unlock one CAS LOCKED -> 0
 * (goro.h inlines both into the caller outside ThreadSanitizer builds, so
 * the functions here see only what those CASes left: keep them in step). A
 * locker that finds the mutex held spins briefly (only when GOMAXPROCS > 1,
 * other Ps are running and its own run queue is empty), then queues FIFO
 * and blocks. Unlock wakes the first waiter, which must then compete with
 * running lockers (barging: good throughput), and a waiter that loses goes
 * back to the head of the queue. Starvation mode: a waiter kept out for
 * more than 1 ms sets STARVING; from then on unlock hands the mutex
 * straight to the first waiter (LOCKED stays set for it; an unlocking
 * goroutine switches to it at once, see wake_locker), and new lockers
 * neither barge nor spin but queue at the tail. The mode ends when the
 * waiter that receives the mutex had waited less than 1 ms, or was the
 * last one.
 *
 * An unlock that must wake a waiter takes it off the queue while still
 * holding the mutex, and its last access to the mutex is the atomic step
 * that releases it (or, on a hand-off, the release of lock_ before the
 * wake): once another party can take the mutex, unlock no longer touches
 * it, so the mutex may be freed by whoever takes it next.
 *
 * Invariants: the waiter count equals the queue's length whenever lock_ is
 * free, except while an unlock that still holds the mutex has taken one
 * waiter off the queue and not yet uncounted it (so an unlocker that saw
 * waiters, then took lock_, finds them queued); STARVING implies at least
 * one waiter. WOKEN, LOCKED and the acquiring CAS also change without
 * lock_. Waiters with a deadline: the deadline competes for the node's
 * claim; unlockers claim under lock_ and skip (unlink, uncount) a node
 * whose deadline won, so a wakeup is never spent on a party that is
 * leaving. A woken locker that gives up (deadline) while WOKEN is its own
 * clears it and does the wakeup an unlock may have skipped on its account.
 *
 * TSan: unlock releases on the mutex, every successful lock acquires.
 */
#include "sched/g.h"
#include "base/san.h"
#include "wait/syncq.h"

#define MU_LOCKED    1u
#define MU_WOKEN     2u
#define MU_STARVING  4u
#define MU_WSHIFT    3
#define MU_WAITER    (1u << MU_WSHIFT)

#define STARVE_NS    (1000 * 1000)   /* 1 ms, Go's starvationThresholdNs */
#define SPIN_ITERS   4               /* Go's active_spin */
#define SPIN_PAUSES  30              /* Go's active_spin_cnt */

enum { WAKE_NORMAL = 0, WAKE_HANDOFF = 1 };

static _Atomic uint32_t *mu_state(goro_mutex *m)
{
    return (_Atomic uint32_t *)&m->state_;
}

static goro__lock *mu_lock(goro_mutex *m)
{
    return (goro__lock *)&m->lock_;
}

static goro__syncq mu_queue(goro_mutex *m)
{
    return goro__syncq_of(&m->head_, &m->tail_);
}

static int ncpu_cached(void)
{
    static _Atomic int ncpu;
    int n = atomic_load_explicit(&ncpu, memory_order_relaxed);
    if (!n) {
        n = goro_num_cpu();
        atomic_store_explicit(&ncpu, n, memory_order_relaxed);
    }
    return n;
}

/* Go's canSpin: a few rounds, only on a multicore machine with more than
 * one P where some other P is running (the holder may be on it), and not
 * while runnable goroutines wait on this P. A plain thread (no P) spins
 * whenever there is more than one CPU: its alternative is a futex sleep. */
static bool can_spin(int iter)
{
    if (iter >= SPIN_ITERS || ncpu_cached() <= 1)
        return false;
    return goro__should_spin();
}

static void spin(void)
{
    for (int i = 0; i < SPIN_PAUSES; i++)
        goro__cpu_relax();
}

/* Wakes a claimed waiter, off the queue and with lock_ dropped: handed
 * the mutex (starvation mode), it runs at once in the waker's place, as
 * with Go's semrelease(handoff), so that nothing queued can keep it (and
 * with it everybody) waiting; otherwise it competes for the mutex. */
static void wake_locker(goro__syncq_node *n, bool handoff)
{
    if (handoff) {
        n->w.result = WAKE_HANDOFF;
        goro__waiter_wake_handoff(&n->w);
    } else {
        n->w.result = WAKE_NORMAL;
        goro__waiter_wake(&n->w);
    }
}

/* Under lock_: one waiter fewer (it left the queue without the mutex);
 * starvation mode ends with the last waiter. */
static void uncount_waiter(goro_mutex *m)
{
    uint32_t old = atomic_load_explicit(mu_state(m), memory_order_relaxed);
    uint32_t new;
    do {
        new = old - MU_WAITER;
        if ((new >> MU_WSHIFT) == 0)
            new &= ~MU_STARVING;
    } while (!atomic_compare_exchange_weak_explicit(mu_state(m), &old, new,
                 memory_order_relaxed, memory_order_relaxed));
}

/* A woken or spinning locker that owned WOKEN gave up (deadline), and the
 * mutex is not held: an unlock may have skipped a wakeup on its account.
 * Wakes the first waiter if nobody else will take the mutex, or hands it
 * over in starvation mode, deciding from the state seen under lock_. */
static void wake_unheld(goro_mutex *m)
{
    goro__syncq q = mu_queue(m);
    goro__lock_acquire_as(mu_lock(m), MUTEX);
    for (;;) {
        uint32_t old = atomic_load_explicit(mu_state(m), memory_order_relaxed);
        if ((old >> MU_WSHIFT) == 0 || (old & MU_LOCKED))
            break;                      /* nobody to wake, or a holder will */
        bool handoff = old & MU_STARVING;
        if (!handoff && (old & MU_WOKEN))
            break;                      /* a woken locker is on its way */
        goro__syncq_node *n = goro__syncq_first(q);
        goro__syncq_remove(q, n);
        if (!goro__waiter_claim(&n->w)) {
            uncount_waiter(m);          /* its deadline won: it is leaving */
            continue;
        }
        uint32_t new;
        do {
            new = old - MU_WAITER;
            if (handoff) {
                new |= MU_LOCKED;
                if ((new >> MU_WSHIFT) == 0)
                    new &= ~MU_STARVING;
            } else {
                new |= MU_WOKEN;
            }
        } while (!atomic_compare_exchange_weak_explicit(mu_state(m), &old, new,
                     memory_order_relaxed, memory_order_relaxed));
        goro__lock_release(mu_lock(m));
        wake_locker(n, handoff);
        return;
    }
    goro__lock_release(mu_lock(m));
}

/* A woken or spinning locker (owner of WOKEN) leaves without the mutex. */
static void drop_woken(goro_mutex *m)
{
    uint32_t old = atomic_fetch_and_explicit(mu_state(m), ~MU_WOKEN, memory_order_relaxed);
    old &= ~MU_WOKEN;
    if ((old >> MU_WSHIFT) != 0 && !(old & MU_LOCKED))
        wake_unheld(m);
}

static int lock_slow(goro_mutex *m, int64_t deadline)
{
    goro__init();
    goro__syncq q = mu_queue(m);
    goro__syncq_node n;
    int64_t wait_start = 0;
    bool starving = false, awoke = false;
    int iter = 0;
    uint32_t old = atomic_load_explicit(mu_state(m), memory_order_relaxed);
    for (;;) {
        /* Spin while a running holder may release it soon (normal mode). */
        if ((old & (MU_LOCKED | MU_STARVING)) == MU_LOCKED && can_spin(iter)) {
            /* Tell unlock not to wake a waiter: we are here to take it. */
            if (!awoke && !(old & MU_WOKEN) && (old >> MU_WSHIFT) != 0 &&
                atomic_compare_exchange_strong_explicit(mu_state(m), &old, old | MU_WOKEN,
                    memory_order_relaxed, memory_order_relaxed))
                awoke = true;
            spin();
            iter++;
            old = atomic_load_explicit(mu_state(m), memory_order_relaxed);
            continue;
        }
        if (!(old & (MU_LOCKED | MU_STARVING))) {
            uint32_t new = old | MU_LOCKED;
            if (awoke)
                new &= ~MU_WOKEN;
            if (atomic_compare_exchange_weak_explicit(mu_state(m), &old, new,
                    memory_order_acquire, memory_order_relaxed))
                return 0;
            continue;
        }
        if (deadline != GORO_FOREVER && goro__nanotime() >= deadline) {
            if (awoke)
                drop_woken(m);
            return GORO_ETIMEDOUT;
        }
        /* Queue, unless it came free meanwhile (then go back and take it). */
        goro__lock_acquire_as(mu_lock(m), MUTEX);
        old = atomic_load_explicit(mu_state(m), memory_order_relaxed);
        bool queued = false;
        while (old & (MU_LOCKED | MU_STARVING)) {
            uint32_t new = old + MU_WAITER;
            if (starving)
                new |= MU_STARVING;   /* old is locked, or starving already */
            if (awoke)
                new &= ~MU_WOKEN;
            if ((new >> MU_WSHIFT) == 0)
                GORO_FATAL("sync: too many goroutines waiting on a Mutex");
            if (atomic_compare_exchange_weak_explicit(mu_state(m), &old, new,
                    memory_order_relaxed, memory_order_relaxed)) {
                queued = true;
                break;
            }
        }
        if (!queued) {
            goro__lock_release(mu_lock(m));
            continue;
        }
        awoke = false;
        goro__syncq_node_init(&n);
        /* A waiter that waited before goes back to the head (Go's LIFO). */
        if (wait_start == 0) {
            wait_start = goro__nanotime();
            goro__syncq_push_back(q, &n);
        } else {
            goro__syncq_push_front(q, &n);
        }
        goro__lock_release(mu_lock(m));

        int r = goro__waiter_block(&n.w, deadline, GORO_WAIT_MUTEX, m);
        if (r == GORO_ETIMEDOUT) {
            goro__lock_acquire_as(mu_lock(m), MUTEX);
            if (n.queued) {
                goro__syncq_remove(q, &n);
                uncount_waiter(m);
            }
            goro__lock_release(mu_lock(m));
            return GORO_ETIMEDOUT;
        }
        starving = starving || goro__nanotime() - wait_start > STARVE_NS;
        if (r == WAKE_HANDOFF) {
            /* Ours already (the unlocker set LOCKED and left starvation
             * mode if we were the last). Served fast: back to normal mode. */
            atomic_thread_fence(memory_order_acquire);
            if (!starving)
                atomic_fetch_and_explicit(mu_state(m), ~MU_STARVING, memory_order_relaxed);
            return 0;
        }
        awoke = true;
        iter = 0;
        old = atomic_load_explicit(mu_state(m), memory_order_relaxed);
    }
}

void (goro_mutex_lock)(goro_mutex *m)
{
    SAN_RUNTIME_SCOPE;
    if (!m)
        GORO_FATAL("sync: Mutex is NULL");
    uint32_t z = 0;
    if (goro_unlikely(!atomic_compare_exchange_strong_explicit(mu_state(m), &z, MU_LOCKED,
            memory_order_acquire, memory_order_relaxed)))
        lock_slow(m, GORO_FOREVER);
    san_acquire(m);
}

int goro_mutex_lock_until(goro_mutex *m, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    if (!m)
        return GORO_EINVAL;
    uint32_t z = 0;
    if (goro_unlikely(!atomic_compare_exchange_strong_explicit(mu_state(m), &z, MU_LOCKED,
            memory_order_acquire, memory_order_relaxed))) {
        int r = lock_slow(m, deadline);
        if (r != 0)
            return r;
    }
    san_acquire(m);
    return 0;
}

int goro_mutex_trylock(goro_mutex *m)
{
    SAN_RUNTIME_SCOPE;
    if (!m)
        return GORO_EINVAL;
    /* Go's TryLock: fails when locked or when a waiter is owed a hand-off;
     * otherwise one attempt that may beat a woken waiter. */
    uint32_t old = atomic_load_explicit(mu_state(m), memory_order_relaxed);
    if ((old & (MU_LOCKED | MU_STARVING)) ||
        !atomic_compare_exchange_strong_explicit(mu_state(m), &old, old | MU_LOCKED,
            memory_order_acquire, memory_order_relaxed))
        return GORO_EAGAIN;
    san_acquire(m);
    return 0;
}

/* unlock with waiters and nobody on the way: still holding the mutex, take
 * the first waiter off the queue, then either hand the mutex to it
 * (starvation mode: LOCKED is never dropped) or release the mutex and mark
 * it WOKEN in one atomic step (normal mode). Either way the last access to
 * m comes before the waiter is woken and while the mutex cannot have been
 * taken by anyone else, so a caller that frees the mutex once it has it
 * (the last reference of a refcounted object, say) frees it only after
 * this unlock is done with it.
 * Returns false, having changed nothing, when under lock_ there is nobody
 * to wake after all (no waiter, or a woken or spinning locker on its way):
 * the caller then releases the mutex with a CAS on the state it sees, so
 * a woken locker that queues again meanwhile (clearing WOKEN, under lock_,
 * while we still hold the mutex) is not left asleep. */
static bool unlock_wake(goro_mutex *m)
{
    goro__syncq q = mu_queue(m);
    goro__lock_acquire_as(mu_lock(m), MUTEX);
    for (;;) {
        uint32_t old = atomic_load_explicit(mu_state(m), memory_order_relaxed), new;
        if ((old >> MU_WSHIFT) == 0 ||
            ((old & MU_WOKEN) && !(old & MU_STARVING))) {
            goro__lock_release(mu_lock(m));   /* nobody left to wake */
            return false;
        }
        goro__syncq_node *n = goro__syncq_first(q);
        goro__syncq_remove(q, n);
        if (!goro__waiter_claim(&n->w)) {
            uncount_waiter(m);          /* its deadline won: it is leaving */
            continue;
        }
        bool handoff = old & MU_STARVING;
        if (handoff) {
            /* Ownership passes to n: LOCKED stays set. Starvation mode ends
             * with the last waiter. */
            do {
                new = old - MU_WAITER;
                if ((new >> MU_WSHIFT) == 0)
                    new &= ~MU_STARVING;
            } while (!atomic_compare_exchange_weak_explicit(mu_state(m), &old, new,
                         memory_order_release, memory_order_relaxed));
            goro__lock_release(mu_lock(m));
        } else {
            goro__lock_release(mu_lock(m));
            /* Release and uncount n in one step. A waiter may have switched
             * to starvation mode since we looked (it queued while we held
             * the mutex): then n gets the mutex handed over after all. */
            do {
                handoff = old & MU_STARVING;
                new = old - MU_WAITER;
                if (handoff) {
                    if ((new >> MU_WSHIFT) == 0)
                        new &= ~MU_STARVING;
                } else {
                    new = (new - MU_LOCKED) | MU_WOKEN;
                }
            } while (!atomic_compare_exchange_weak_explicit(mu_state(m), &old, new,
                         memory_order_release, memory_order_relaxed));
        }
        wake_locker(n, handoff);
        return true;
    }
}

/* Out of line, so that unlock's fast path needs no stack frame. */
__attribute__((noinline, cold)) static void unlock_slow(goro_mutex *m, uint32_t old,
                                                       const char *file, int line)
{
    if (!m)
        goro__fatal(file, line, "sync: Mutex is NULL");
    for (;;) {
        if (!(old & MU_LOCKED))
            goro__fatal(file, line, "sync: unlock of unlocked mutex");
        if ((old >> MU_WSHIFT) != 0 &&
            ((old & MU_STARVING) || !(old & MU_WOKEN))) {
            if (unlock_wake(m))
                return;
            old = atomic_load_explicit(mu_state(m), memory_order_relaxed);
            continue;
        }
        /* No waiters, or a woken or spinning locker will take it: release
         * with a CAS on the state that said so (the last access to m). */
        uint32_t new = old - MU_LOCKED;
        if ((new >> MU_WSHIFT) == 0)
            new &= ~MU_STARVING;
        if (atomic_compare_exchange_weak_explicit(mu_state(m), &old, new,
                memory_order_release, memory_order_relaxed))
            return;
    }
}

void goro_mutex_unlock_at(goro_mutex *m, const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    if (goro_unlikely(!m)) {
        unlock_slow(m, 0, file, line);
        return;
    }
    san_release(m);
    uint32_t old = MU_LOCKED;
    if (goro_unlikely(!atomic_compare_exchange_strong_explicit(mu_state(m), &old, 0,
            memory_order_release, memory_order_relaxed)))
        unlock_slow(m, old, file, line);
}
