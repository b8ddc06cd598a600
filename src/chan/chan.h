/* SPDX-License-Identifier: MIT */
/*
 * chan.h: channel internals shared by chan.c and select.c.
 *
 * A blocked sender or receiver is represented on a channel by a sudog (one
 * per channel operation it waits for: one for a plain send/recv, one per
 * case for a select), linked in the channel's sendq or recvq. All sudogs of
 * one blocked party point at its single goro__waiter, so whichever channel
 * gets to it first claims it (wait.h) and the others skip it.
 *
 * Invariants (all under c->lock):
 *  - a buffered channel with items has no queued receivers (that could
 *    claim), one with free slots no queued senders (that could claim);
 *  - a sudog is in at most one queue; `queued` says whether it still is;
 *  - once a waker has claimed a sudog's waiter, it alone touches the
 *    sudog's elem, and it has unlinked that sudog.
 */
#ifndef GORO_CHAN_H
#define GORO_CHAN_H

#include "sched/g.h"
#include "wait/wait.h"

typedef struct goro__sudog {
    goro__waiter *w;                /* the blocked party */
    struct goro__sudog *next, *prev;  /* queue links (c->lock) */
    void *elem;                     /* sender's value / receiver's destination (may be NULL) */
    goro_chan *c;
    int index;                      /* select case index, 0 for plain ops */
    bool queued;                    /* (c->lock) */
} goro__sudog;

typedef struct goro__waitq {
    goro__sudog *first, *last;      /* first is also read lock-free (fast paths) */
} goro__waitq;

struct goro_chan {
    goro__lock lock;
    _Atomic uint32_t closed;        /* set once, under lock; read lock-free */
    _Atomic int32_t refs;
    uint32_t elemsize;
    size_t cap;
    _Atomic size_t count;           /* buffered items; written under lock */
    size_t sendx, recvx;            /* ring indices (lock) */
    goro__waitq recvq, sendq;       /* (lock) */
    _Alignas(16) unsigned char buf[];
};

void goro__waitq_push(goro__waitq *q, goro__sudog *s);
void goro__waitq_remove(goro__waitq *q, goro__sudog *s);

/* With c locked: try to complete a send of elem / a receive into out
 * (NULL discards). Return true when done; *wake is then a claimed waiter to
 * wake once c is unlocked (or NULL), and for a receive *closed says the
 * channel was closed and drained (out zeroed). A send on a closed channel
 * is "done" with *closed set. */
bool goro__chan_send_locked(goro_chan *c, const void *elem, goro__waiter **wake, bool *closed);
bool goro__chan_recv_locked(goro_chan *c, void *out, goro__waiter **wake, bool *closed);

/* Whether elem is a value a send may carry: not NULL unless the elements
 * are empty (Go's chan struct{}). A receive's NULL destination discards. */
bool goro__chan_value_ok(const goro_chan *c, const void *elem);

/* Lock-free: could a send / receive proceed right now? (False negatives
 * are impossible once the answer is stable; used by the try paths.) */
bool goro__chan_send_ready(goro_chan *c);
bool goro__chan_recv_ready(goro_chan *c);

/* goro_chan_try_send/recv without their poll point (a failed try may
 * yield): for the runtime's own tries, which run under a lock (a
 * goro_timer's op) or in a timer callback on a stopping goroutine's
 * stack, where no switch may happen. */
int goro__chan_try_send(goro_chan *c, const void *elem);
int goro__chan_try_recv(goro_chan *c, void *out);

#endif
