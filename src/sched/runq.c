/* SPDX-License-Identifier: MIT */
/*
 * runq.c: the run queues: a P's ring (the inline part is in runq.h),
 * stealing from another P's ring, and the global queue.
 *
 * Each P has a 256-slot single-producer/multi-consumer ring plus a runnext
 * slot; the global queue (sched.lock) is checked 1 schedule in 61; Ms
 * without local work steal half of a victim's ring. goro__globrunq_get,
 * goro__globrunq_push_head and goro__runq_put_global need sched.lock held;
 * goro__globrunq_take takes it itself.
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
/* Local run queue (slow paths)                                        */

/* Moves half of p's ring plus g to the global queue (ring full). */
bool goro__runq_put_slow(P *p, G *g, uint32_t h, uint32_t t)
{
    enum { N = GORO_RUNQ_SIZE / 2 };
    G *batch[N + 1];
    uint32_t n = (t - h) / 2;
    if (n != N)
        GORO_FATAL("goro__runq_put_slow: queue is not full");
    for (uint32_t i = 0; i < n; i++)
        batch[i] = atomic_load_explicit(&p->runq[(h + i) % GORO_RUNQ_SIZE],
                                        memory_order_relaxed);
    if (!atomic_compare_exchange_strong_explicit(&p->runq_head, &h, h + n,
            memory_order_release, memory_order_relaxed))
        return false;
    batch[n] = g;
    for (uint32_t i = 0; i < n; i++)
        batch[i]->schedlink = batch[i + 1];
    goro__lock_acquire(&goro__S.lock);
    goro__runq_put_global(batch[0], batch[n], (int)n + 1);
    goro__lock_release(&goro__S.lock);
    return true;
}


bool goro__runq_empty(P *p)
{
    for (;;) {
        uint32_t h = atomic_load_explicit(&p->runq_head, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&p->runq_tail, memory_order_acquire);
        G *n = atomic_load_explicit(&p->runnext, memory_order_acquire);
        if (t == atomic_load_explicit(&p->runq_tail, memory_order_acquire))
            return h == t && n == NULL;
    }
}

/* How long a thief leaves a running victim's runnext alone. The thief
 * still counts as spinning meanwhile, so the wakeps of goroutines readied
 * during the wait start no other M: one wakeup of an idle M covers a
 * whole burst of hand-offs (a producer and a consumer taking turns on
 * one P). Go's runqgrab asks for 3 us, but its threads keep Linux's
 * default 50 us timer slack, so it sleeps about 50 us; goro's Ms run
 * with 1 ns of slack (timers end on time) and ask for the 50 us. At 3 us
 * the workerpool, pingpong, pipeline and select4 benchmarks at P2 slept
 * and woke Ms 6 to 20 times as often for the same work (counts in
 * docs/bench-scaling.md). */
#define RUNNEXT_GRACE_US 50

/* Thief: copies half of victim's ring into batch (ring of p at offset
 * `at`); returns how many. May take runnext when allowed. */
static uint32_t runq_grab(P *victim, G **dst, bool steal_next)
{
    for (;;) {
        uint32_t h = atomic_load_explicit(&victim->runq_head, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&victim->runq_tail, memory_order_acquire);
        uint32_t n = t - h;
        n = n - n / 2;
        if (n == 0) {
            if (steal_next) {
                G *g = atomic_load_explicit(&victim->runnext, memory_order_relaxed);
                if (g) {
                    /* Let a running victim take its own runnext first: it is
                     * usually about to (a woken partner). */
                    if (atomic_load_explicit(&victim->status, memory_order_relaxed) == P_RUNNING)
                        usleep(RUNNEXT_GRACE_US);
                    if (atomic_compare_exchange_strong_explicit(&victim->runnext, &g, NULL,
                            memory_order_acquire, memory_order_relaxed)) {
                        dst[0] = g;
                        return 1;
                    }
                }
            }
            return 0;
        }
        if (n > GORO_RUNQ_SIZE / 2)
            continue;   /* torn read of head/tail */
        for (uint32_t i = 0; i < n; i++)
            dst[i] = atomic_load_explicit(&victim->runq[(h + i) % GORO_RUNQ_SIZE],
                                          memory_order_relaxed);
        if (atomic_compare_exchange_strong_explicit(&victim->runq_head, &h, h + n,
                memory_order_release, memory_order_relaxed))
            return n;
    }
}

/* Steals into p's ring; returns one G to run now, or NULL. */
G *goro__runq_steal(P *p, P *victim, bool steal_next)
{
    G *batch[GORO_RUNQ_SIZE / 2];
    uint32_t n = runq_grab(victim, batch, steal_next);
    if (n == 0)
        return NULL;
    GORO_TRACE(ev(GORO_TR_STEAL, p->id, (uint64_t)victim->id, n, 0, 0));
    atomic_store_explicit(&p->nsteals,
        atomic_load_explicit(&p->nsteals, memory_order_relaxed) + 1, memory_order_relaxed);
    G *g = batch[--n];
    if (n == 0)
        return g;
    uint32_t t = atomic_load_explicit(&p->runq_tail, memory_order_relaxed);
    for (uint32_t i = 0; i < n; i++)
        atomic_store_explicit(&p->runq[(t + i) % GORO_RUNQ_SIZE], batch[i],
                              memory_order_relaxed);
    atomic_store_explicit(&p->runq_tail, t + n, memory_order_release);
    return g;
}

/* ------------------------------------------------------------------ */
/* Global queue (sched.lock held)                                      */

void goro__runq_put_global(G *head, G *tail, int n)
{
    GORO_ASSERT_HELD(&goro__S.lock);
    tail->schedlink = NULL;
    if (goro__S.runq_tail)
        goro__S.runq_tail->schedlink = head;
    else
        goro__S.runq_head = head;
    goro__S.runq_tail = tail;
    atomic_store_explicit(&goro__S.runq_size, goro__S.runq_size + n, memory_order_relaxed);
}

/* g goes before everything queued: it holds what the others wait for. */
void goro__globrunq_push_head(G *g)
{
    GORO_ASSERT_HELD(&goro__S.lock);
    g->schedlink = goro__S.runq_head;
    goro__S.runq_head = g;
    if (!goro__S.runq_tail)
        goro__S.runq_tail = g;
    atomic_store_explicit(&goro__S.runq_size, goro__S.runq_size + 1, memory_order_relaxed);
}

/* Takes a batch for p: returns one G, moves up to `max` more to p's ring. */
G *goro__globrunq_get(P *p, int max)
{
    GORO_ASSERT_HELD(&goro__S.lock);
    int size = atomic_load_explicit(&goro__S.runq_size, memory_order_relaxed);
    if (size == 0)
        return NULL;
    int np = atomic_load_explicit(&goro__S.nprocs, memory_order_relaxed);
    int n = size / np + 1;
    if (n > size)
        n = size;
    if (max > 0 && n > max)
        n = max;
    if (n > (int)GORO_RUNQ_SIZE / 2)
        n = GORO_RUNQ_SIZE / 2;
    atomic_store_explicit(&goro__S.runq_size, size - n, memory_order_relaxed);
    G *g = goro__S.runq_head;
    goro__S.runq_head = g->schedlink;
    if (!goro__S.runq_head)
        goro__S.runq_tail = NULL;
    for (int i = 1; i < n; i++) {
        G *x = goro__S.runq_head;
        goro__S.runq_head = x->schedlink;
        if (!goro__S.runq_head)
            goro__S.runq_tail = NULL;
        runq_put(p, x, false);
    }
    return g;
}

G *goro__globrunq_take(P *p, int max)
{
    if (atomic_load_explicit(&goro__S.runq_size, memory_order_relaxed) == 0)
        return NULL;
    goro__lock_acquire(&goro__S.lock);
    G *g = goro__globrunq_get(p, max);
    goro__lock_release(&goro__S.lock);
    return g;
}


/* The owner saw p->preempt (sysmon: the slice is over): the runnext
 * goroutine goes to the tail, so the global queue's head, else the local
 * queue's, runs next, on a slice of its own. */
void goro__runq_kick_runnext(P *p)
{
    atomic_store_explicit(&p->preempt, 0, memory_order_relaxed);
    G *g = atomic_load_explicit(&p->runnext, memory_order_relaxed);
    if (g && atomic_compare_exchange_strong_explicit(&p->runnext, &g, NULL,
                 memory_order_acquire, memory_order_relaxed))
        runq_put(p, g, false);
}
