/* SPDX-License-Identifier: MIT */
/*
 * runq.h: a P's local run queue, the operations on the scheduler's hot
 * paths (ready, yield, the switch's choice of successor), inline in every
 * scheduler file that uses them; the rest of the run queues is in runq.c.
 *
 * The ring is single-producer (the P's owner puts) and multi-consumer (the
 * owner and thieves take, advancing runq_head by CAS); runnext is set by
 * the owner only and taken by CAS. Included by src/sched/ only.
 */
#ifndef GORO_SCHED_RUNQ_H
#define GORO_SCHED_RUNQ_H

#include "sched/runtime.h"

/* Moves half of p's full ring plus g to the global queue (runq.c). */
bool goro__runq_put_slow(P *p, G *g, uint32_t h, uint32_t t);

/* Owner only. next: g goes to runnext and the G it displaces to the tail.
 * Returns true when g was published by the (seq_cst) runnext exchange
 * alone, so a following seq_cst load needs no extra fence (see wake_after). */
static inline bool runq_put(P *p, G *g, bool next)
{
    if (next) {
        G *old = atomic_exchange_explicit(&p->runnext, g, memory_order_seq_cst);
        if (!old)
            return true;
        g = old;
    }
    for (;;) {
        uint32_t h = atomic_load_explicit(&p->runq_head, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&p->runq_tail, memory_order_relaxed);
        if (t - h < GORO_RUNQ_SIZE) {
            atomic_store_explicit(&p->runq[t % GORO_RUNQ_SIZE], g, memory_order_relaxed);
            atomic_store_explicit(&p->runq_tail, t + 1, memory_order_release);
            return false;
        }
        if (goro__runq_put_slow(p, g, h, t))
            return false;
    }
}

/* Work was just published (by a seq_cst RMW if `fenced`): make sure an M
 * will look at it. The StoreLoad order between publishing and reading
 * npidle/nmspinning pairs with the fence a spinning M takes between
 * dropping nmspinning and rescanning the queues. */
static inline void wake_after(bool fenced)
{
    if (!fenced)
        atomic_thread_fence(memory_order_seq_cst);
    goro__wakep();
}

/* Owner only. *inherit: g came from runnext and shares the current slice. */
static inline G *runq_get(P *p, bool *inherit)
{
    G *g = atomic_load_explicit(&p->runnext, memory_order_relaxed);
    if (g && atomic_compare_exchange_strong_explicit(&p->runnext, &g, NULL,
                 memory_order_acquire, memory_order_relaxed)) {
        *inherit = true;
        return g;
    }
    *inherit = false;
    for (;;) {
        uint32_t h = atomic_load_explicit(&p->runq_head, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&p->runq_tail, memory_order_relaxed);
        if (t == h)
            return NULL;
        g = atomic_load_explicit(&p->runq[h % GORO_RUNQ_SIZE], memory_order_relaxed);
        if (atomic_compare_exchange_weak_explicit(&p->runq_head, &h, h + 1,
                memory_order_release, memory_order_relaxed))
            return g;
    }
}

#endif
