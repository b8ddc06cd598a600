/* SPDX-License-Identifier: MIT */
/*
 * wait.c: the blocking primitive (contract in wait.h).
 *
 * Goroutines: waking is goro__ready(g), which either makes a parked g
 * runnable on the waker's P (runnext), or, if g has not parked yet, marks
 * it so its park returns at once. A deadline is a timer on the goroutine's
 * P whose callback competes for the claim like any source.
 * Plain threads: waking sets the futex word of the thread's record to 1
 * and wakes the sleeper only if it is asleep (word 2), so a wake before the
 * sleep costs no syscall. A thread about to sleep without a deadline asks
 * deadlock.c whether that leaves nothing that could ever wake anybody.
 * Blocking records its reason: a goroutine in its G (four relaxed stores,
 * the clock read being goro__coarse_ns), a thread in its record.
 * TSan: the waker releases on w, the woken party acquires on it.
 */
#include "sched/g.h"
#include "base/san.h"
#include "sched/timer.h"
#include "wait/wait.h"

void goro__waiter_init(goro__waiter *w)
{
    atomic_store_explicit(&w->claimed, 0, memory_order_relaxed);
    w->single = false;
    w->g = goro__getg();
    w->thr = NULL;
    if (!w->g) {
        w->thr = goro__thr_self();
        atomic_store_explicit(&w->thr->futex, 0, memory_order_relaxed);
    }
    w->source = NULL;
    w->elem = NULL;
    w->result = 0;
}

static inline void wake(goro__waiter *w, bool handoff)
{
    san_release(w);
    G *g = w->g;
    if (g) {
        if (handoff)
            goro__ready_handoff(g);
        else
            goro__ready(g);
        return;
    }
    goro__thr *t = w->thr;
    if (atomic_exchange_explicit(&t->futex, 1, memory_order_release) == 2)
        goro__futex_wake(&t->futex, 1);
}

void goro__waiter_wake(goro__waiter *w)
{
    wake(w, false);
}

void goro__waiter_wake_handoff(goro__waiter *w)
{
    wake(w, true);
}

static void deadline_fire(goro__timer *t)
{
    goro__waiter *w = t->arg;
    if (goro__waiter_claim(w)) {
        w->source = NULL;
        w->result = GORO_ETIMEDOUT;
        goro__waiter_wake(w);
    }
}

static int block_thread(goro__waiter *w, int64_t deadline, int reason, const void *obj)
{
    goro__thr *t = w->thr;
    atomic_store_explicit(&t->seq, atomic_load_explicit(&t->seq, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    atomic_store_explicit(&t->timed, deadline != GORO_FOREVER, memory_order_relaxed);
    atomic_store_explicit(&t->obj, obj, memory_order_relaxed);
    atomic_store_explicit(&t->since, goro__nanotime(), memory_order_relaxed);
    atomic_store_explicit(&t->fp, (uintptr_t)__builtin_frame_address(0), memory_order_relaxed);
    atomic_store_explicit(&t->reason, (uint8_t)reason, memory_order_relaxed);
    bool checked = deadline != GORO_FOREVER;   /* a timed wait ends by itself */
    int r;
    for (;;) {
        uint32_t v = atomic_load_explicit(&t->futex, memory_order_acquire);
        if (v == 1)
            break;
        /* seq_cst: publishes the record above to the deadlock check, and
         * orders it before goro__thread_sleeps reads the Ms' state. */
        if (v == 0 && !atomic_compare_exchange_strong_explicit(&t->futex, &v, 2,
                          memory_order_seq_cst, memory_order_acquire))
            continue;
        if (!checked) {
            checked = true;
            goro__thread_sleeps();
        }
        goro__futex_wait(&t->futex, 2, deadline);
        if (deadline != GORO_FOREVER &&
            atomic_load_explicit(&t->futex, memory_order_acquire) != 1 &&
            goro__nanotime() >= deadline) {
            if (goro__waiter_claim(w)) {
                w->source = NULL;
                w->result = GORO_ETIMEDOUT;
                break;
            }
            deadline = GORO_FOREVER;   /* a source won: its wake is coming */
        }
    }
    r = w->result;
    atomic_store_explicit(&t->reason, GORO_WAIT_NONE, memory_order_relaxed);
    return r;
}

/* A goroutine about to park records what on (read racily by dumps). */
static inline void note_park(G *g, int reason, const void *obj)
{
    goro__gwait *rec = goro__g_wait(g);
    atomic_store_explicit(&rec->reason, (uint8_t)reason, memory_order_relaxed);
    atomic_store_explicit(&rec->obj, obj, memory_order_relaxed);
    atomic_store_explicit(&rec->since,
        atomic_load_explicit(&goro__coarse_ns, memory_order_relaxed), memory_order_relaxed);
    atomic_store_explicit(&rec->nwaits,
        atomic_load_explicit(&rec->nwaits, memory_order_relaxed) + 1, memory_order_relaxed);
}

int goro__waiter_block(goro__waiter *w, int64_t deadline, int reason, const void *obj)
{
    SAN_RUNTIME_SCOPE;
    if (!w->g) {
        int r = block_thread(w, deadline, reason, obj);
        san_acquire(w);
        return r;
    }
    note_park(w->g, reason, obj);
    if (deadline != GORO_FOREVER) {
        if (deadline <= goro__nanotime()) {
            if (goro__waiter_claim(w)) {
                w->result = GORO_ETIMEDOUT;
                goro__poll_point();
                return GORO_ETIMEDOUT;
            }
            goro__park();   /* a source won the claim: wait for its wake */
        } else {
            goro__timer t = { .fn = deadline_fire, .arg = w };
            goro__timer_start(&t, deadline);
            goro__park();
            goro__timer_stop(&t);
        }
    } else {
        goro__park();
    }
    san_acquire(w);
    return w->result;
}

int goro__waiter_block_unlock(goro__waiter *w, goro__lock *l, int reason, const void *obj)
{
    SAN_RUNTIME_SCOPE;
    if (!w->g) {
        goro__lock_release(l);
        int r = block_thread(w, GORO_FOREVER, reason, obj);
        san_acquire(w);
        return r;
    }
    note_park(w->g, reason, obj);
    goro__park_unlock(l);
    san_acquire(w);
    return w->result;
}
