/*
 * wait.h: the one blocking primitive everything else is built on.
 *
 * A waiter is a record (usually on the blocked party's stack) that one or
 * more sources (a channel queue, a mutex queue, a timer, ...) point at.
 * Waking is two steps: a source first claims the waiter (CAS; exactly one
 * source ever succeeds), then fills in the outcome (source, result, any
 * data hand-off through `elem`) and calls goro__waiter_wake, which is its
 * last access to the waiter. Sources that lose the claim skip the waiter
 * and go on to the next; the woken party later unlinks itself from the
 * sources that lost.
 *
 * The blocked party is a goroutine (it parks; its thread runs others) or a
 * plain thread (it sleeps on the waiter's futex word). A wakeup that comes
 * before goro__waiter_block is not lost: the goroutine's park returns at
 * once, the thread finds the futex word already set.
 */
#ifndef GORO_WAIT_H
#define GORO_WAIT_H

#include "internal.h"

typedef struct goro__waiter {
    _Atomic uint32_t claimed;  /* 0 open, 1 claimed (CAS by sources, or by the deadline) */
    bool single;               /* one source, whose lock every claimer holds:
                                  the claim needs no CAS (set before queuing) */
    _Atomic uint32_t futex;    /* plain thread: 0 blocked-to-be, 1 woken, 2 sleeping */
    G *g;                      /* the goroutine, NULL on a plain thread */
    void *source;              /* which source woke it (written by the claimer) */
    void *elem;                /* hand-off buffer the claimer may copy to/from */
    int result;                /* outcome (written by the claimer) */
} goro__waiter;

void goro__waiter_init(goro__waiter *w);

static inline bool goro__waiter_claim(goro__waiter *w)
{
    if (w->single) {
        if (atomic_load_explicit(&w->claimed, memory_order_relaxed))
            return false;
        atomic_store_explicit(&w->claimed, 1, memory_order_relaxed);
        return true;
    }
    uint32_t z = 0;
    return atomic_compare_exchange_strong_explicit(&w->claimed, &z, 1,
            memory_order_acq_rel, memory_order_relaxed);
}

/* After a successful claim: wake the blocked party. Last access to w. */
void goro__waiter_wake(goro__waiter *w);

/* Blocks until a source wakes w (returns w->result), or until `deadline`
 * (GORO_FOREVER: none) passes and w's own timeout wins the claim (returns
 * GORO_ETIMEDOUT, w->source NULL). */
int goro__waiter_block(goro__waiter *w, int64_t deadline);

/* For a waiter that only sources holding `l` can claim (w->single, no
 * deadline), with l held: releases l and blocks; a goroutine releases l
 * only once it is parked, which spares the park/wake race. */
int goro__waiter_block_unlock(goro__waiter *w, goro__lock *l);

#endif
