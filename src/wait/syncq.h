/* SPDX-License-Identifier: MIT */
/*
 * syncq.h: the FIFO wait queue shared by the sync primitives (mutex.c,
 * rwmutex.c, cond.c).
 *
 * A queue is a doubly linked list of syncq nodes, each on its blocked
 * party's stack, with head and tail kept in the primitive's public struct
 * (void * fields). Every function here runs under the primitive's own
 * goro__lock, which protects the links and each node's `queued` flag.
 *
 * The rule that keeps nodes alive: every source claims a node only while
 * holding that lock, and wakes it after dropping the lock (a claimed node
 * cannot go away before its wake). The one claim made without the lock is
 * the node's own deadline; a party that timed out takes the lock and
 * unlinks itself if it is still queued before its node dies, so a source
 * never sees a dead node. A source that fails to claim a node (its deadline
 * won) unlinks it and clears `queued`, which tells the timed-out party the
 * source has done its bookkeeping for it.
 */
#ifndef GORO_SYNCQ_H
#define GORO_SYNCQ_H

#include "base/list.h"
#include "sched/g.h"
#include "wait/wait.h"

typedef struct goro__syncq_node {
    goro__waiter w;
    struct goro__syncq_node *next, *prev;   /* queue links (the lock) */
    struct goro__syncq_node *wake_next;     /* claimed nodes to wake after unlocking */
    bool queued;                            /* linked in the queue (the lock) */
} goro__syncq_node;

typedef struct goro__syncq {
    void **head, **tail;       /* the primitive's head_ and tail_ fields */
} goro__syncq;

static inline goro__syncq goro__syncq_of(void **head, void **tail)
{
    goro__syncq q = { head, tail };
    return q;
}

static inline goro__syncq_node *goro__syncq_first(goro__syncq q)
{
    return (goro__syncq_node *)*q.head;
}

static inline bool goro__syncq_empty(goro__syncq q)
{
    return *q.head == NULL;
}

static inline void goro__syncq_push_back(goro__syncq q, goro__syncq_node *n)
{
    goro__syncq_node *h = *q.head, *t = *q.tail;   /* typed copies */
    GORO__LIST_PUSH_BACK(h, t, n);
    *q.head = h;
    *q.tail = t;
    n->queued = true;
}

static inline void goro__syncq_push_front(goro__syncq q, goro__syncq_node *n)
{
    goro__syncq_node *h = *q.head, *t = *q.tail;   /* typed copies */
    GORO__LIST_PUSH_FRONT(h, t, n);
    *q.head = h;
    *q.tail = t;
    n->queued = true;
}

static inline void goro__syncq_remove(goro__syncq q, goro__syncq_node *n)
{
    goro__syncq_node *h = *q.head, *t = *q.tail;   /* typed copies */
    GORO__LIST_REMOVE(h, t, n);
    *q.head = h;
    *q.tail = t;
    n->queued = false;
}

/* Prepares a node for queuing (a fresh waiter each time it blocks). */
static inline void goro__syncq_node_init(goro__syncq_node *n)
{
    goro__waiter_init(&n->w);
    n->next = n->prev = n->wake_next = NULL;
    n->queued = false;
}

/* Wakes a list of claimed nodes (linked by wake_next) with `result`; call
 * with the lock dropped. Each node's link is read before its wake, the
 * waker's last access to it. */
static inline void goro__syncq_wake_list(goro__syncq_node *list, int result)
{
    while (list) {
        goro__syncq_node *n = list;
        list = n->wake_next;
        n->w.result = result;
        goro__waiter_wake(&n->w);
    }
}

#endif
