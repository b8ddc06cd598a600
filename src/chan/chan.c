/* SPDX-License-Identifier: MIT */
/*
 * chan.c: channels (Go's chan T): make, send, receive, close, len, cap.
 *
 * Go's algorithm (runtime/chan.go) on goro's
 * blocking primitive: a send that finds a queued receiver copies its value
 * straight into the receiver's destination and wakes it (the receiver runs
 * next on the sender's P); otherwise it fills the ring buffer, or queues a
 * sudog and blocks. Receives mirror this; a receive from a full buffer with
 * a queued sender takes the oldest item and moves the sender's value into
 * the freed slot, which keeps FIFO order. close wakes every queued sudog
 * with GORO_ECLOSED (receivers get a zeroed value). Wakeups happen after
 * the channel lock is dropped. A send of NULL on a channel of non-empty
 * elements is GORO_EINVAL before anything else (there is no value to copy).
 * Releasing the last reference while anyone is queued aborts (they would
 * wake on freed memory). Invariants: chan.h.
 *
 * TSan: a send releases on the channel, a successful receive acquires.
 */
#include <string.h>

#include "chan/chan.h"
#include "base/list.h"
#include "base/san.h"

#define MAX_ELEM 65536

/* ---- wait queues (c->lock) ---- */

void goro__waitq_push(goro__waitq *q, goro__sudog *s)
{
    GORO__LIST_PUSH_BACK(q->first, q->last, s);
    s->queued = true;
}

void goro__waitq_remove(goro__waitq *q, goro__sudog *s)
{
    if (!s->queued)
        return;
    GORO__LIST_REMOVE(q->first, q->last, s);
    s->queued = false;
}

/* Pops sudogs until one whose waiter this caller claims. */
static goro__sudog *dequeue_claimed(goro__waitq *q)
{
    goro__sudog *s;
    while ((s = q->first) != NULL) {
        goro__waitq_remove(q, s);
        if (goro__waiter_claim(s->w))
            return s;
    }
    return NULL;
}

static void copy_elem(const goro_chan *c, void *dst, const void *src)
{
    if (!dst || !src)
        return;
    switch (c->elemsize) {   /* constant sizes compile to plain moves */
    case 0: break;
    case 4: memcpy(dst, src, 4); break;
    case 8: memcpy(dst, src, 8); break;
    default: memcpy(dst, src, c->elemsize); break;
    }
}

static void *slot(goro_chan *c, size_t i)
{
    return c->buf + i * c->elemsize;
}

static void finish_wake(goro__sudog *s, int result, goro__waiter **wake)
{
    s->w->source = s;
    s->w->result = result;
    *wake = s->w;
}

/* ---- the operations, with c locked ---- */

bool goro__chan_send_locked(goro_chan *c, const void *elem, goro__waiter **wake, bool *closed)
{
    GORO_ASSERT_HELD(&c->lock);
    *wake = NULL;
    *closed = false;
    if (atomic_load_explicit(&c->closed, memory_order_relaxed)) {
        *closed = true;
        return true;
    }
    goro__sudog *r = dequeue_claimed(&c->recvq);
    if (r) {
        copy_elem(c, r->elem, elem);
        finish_wake(r, 0, wake);
        return true;
    }
    size_t n = atomic_load_explicit(&c->count, memory_order_relaxed);
    if (n < c->cap) {
        copy_elem(c, slot(c, c->sendx), elem);
        if (++c->sendx == c->cap)
            c->sendx = 0;
        atomic_store_explicit(&c->count, n + 1, memory_order_relaxed);
        return true;
    }
    return false;
}

bool goro__chan_recv_locked(goro_chan *c, void *out, goro__waiter **wake, bool *closed)
{
    GORO_ASSERT_HELD(&c->lock);
    *wake = NULL;
    *closed = false;
    size_t n = atomic_load_explicit(&c->count, memory_order_relaxed);
    if (n == 0 && atomic_load_explicit(&c->closed, memory_order_relaxed)) {
        if (out && c->elemsize)
            memset(out, 0, c->elemsize);
        *closed = true;
        return true;
    }
    goro__sudog *s = dequeue_claimed(&c->sendq);
    if (s) {
        if (c->cap == 0) {
            copy_elem(c, out, s->elem);
        } else {
            /* Full buffer: take the oldest, the sender's value takes its slot. */
            copy_elem(c, out, slot(c, c->recvx));
            copy_elem(c, slot(c, c->recvx), s->elem);
            if (++c->recvx == c->cap)
                c->recvx = 0;
            c->sendx = c->recvx;
        }
        finish_wake(s, 0, wake);
        return true;
    }
    if (n > 0) {
        copy_elem(c, out, slot(c, c->recvx));
        if (++c->recvx == c->cap)
            c->recvx = 0;
        atomic_store_explicit(&c->count, n - 1, memory_order_relaxed);
        return true;
    }
    return false;
}

bool goro__chan_value_ok(const goro_chan *c, const void *elem)
{
    return elem || c->elemsize == 0;
}

bool goro__chan_send_ready(goro_chan *c)
{
    if (atomic_load_explicit(&c->closed, memory_order_relaxed))
        return true;
    if (c->cap == 0)
        return __atomic_load_n(&c->recvq.first, __ATOMIC_RELAXED) != NULL;
    return atomic_load_explicit(&c->count, memory_order_relaxed) < c->cap;
}

bool goro__chan_recv_ready(goro_chan *c)
{
    if (c->cap == 0 ? __atomic_load_n(&c->sendq.first, __ATOMIC_RELAXED) != NULL
                    : atomic_load_explicit(&c->count, memory_order_relaxed) > 0)
        return true;
    return atomic_load_explicit(&c->closed, memory_order_relaxed) != 0;
}

/* ---- public calls ---- */

goro_chan *goro_chan_make(size_t elem_size, size_t cap)
{
    SAN_RUNTIME_SCOPE;
    if (elem_size > MAX_ELEM)
        return NULL;
    if (elem_size && cap > (SIZE_MAX / 2 - sizeof(goro_chan)) / elem_size)
        return NULL;
    goro_chan *c = goro__malloc(sizeof(goro_chan) + cap * elem_size);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    goro__lock_init(&c->lock, CHAN);
    c->elemsize = (uint32_t)elem_size;
    c->cap = cap;
    atomic_store_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

goro_chan *goro_chan_retain(goro_chan *c)
{
    if (c)
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void goro_chan_release(goro_chan *c)
{
    SAN_RUNTIME_SCOPE;
    if (!c || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    /* Whoever is still queued would wake on freed memory. */
    goro__lock_acquire(&c->lock);
    bool blocked = c->recvq.first || c->sendq.first;
    goro__lock_release(&c->lock);
    if (blocked) {   /* name the program's call: release takes no call site */
        goro__caller who;
        goro__caller_find(&who);
        goro__fatal_site(who.site, "chan: last reference released by %s while goroutines are blocked on it",
                         who.entry);
    }
    goro__free(c);
}

/* With c->lock held: queues s (whose waiter is fresh) on q and blocks until
 * a partner or the deadline claims it; returns with the lock dropped. A
 * timed-out waiter unlinks itself under the lock before s dies. ra: the
 * public call's return address (GORO_PARK_FRAME). */
static inline int chan_block(goro_chan *c, goro__waitq *q, goro__sudog *s,
                             int64_t deadline, int reason, uintptr_t ra)
{
    goro__waiter *w = s->w;
    if (deadline == GORO_FOREVER) {
        w->single = true;   /* only this channel (under its lock) can claim it */
        goro__waitq_push(q, s);
        return GORO_PARK_FRAME(ra, int, goro__waiter_block_unlock(w, &c->lock, reason, c));
    }
    goro__waitq_push(q, s);
    goro__lock_release(&c->lock);
    int r = GORO_PARK_FRAME(ra, int, goro__waiter_block(w, deadline, reason, c));
    if (r == GORO_ETIMEDOUT) {
        goro__lock_acquire(&c->lock);
        goro__waitq_remove(q, s);
        goro__lock_release(&c->lock);
    }
    return r;
}

/* A send of *elem or a receive into elem (NULL discards), both directions
 * in one body: try it under the lock, wake the partner it completed with
 * once the lock is dropped, else (block) wait in the direction's queue
 * (ra: as chan_block's). Always inlined with `send` a constant: two
 * specialised copies. */
static inline __attribute__((always_inline))
int chan_op(goro_chan *c, void *elem, int64_t deadline, bool block, uintptr_t ra, bool send)
{
    if (!block && !(send ? goro__chan_send_ready(c) : goro__chan_recv_ready(c)))
        return GORO_EAGAIN;
    if (send)
        san_release(c);
    goro__waiter *wake;
    bool closed;
    goro__lock_acquire(&c->lock);
    if (send ? goro__chan_send_locked(c, elem, &wake, &closed)
             : goro__chan_recv_locked(c, elem, &wake, &closed)) {
        goro__lock_release(&c->lock);
        if (wake)
            goro__waiter_wake(wake);
        if (!send)
            san_acquire(c);
        return closed ? GORO_ECLOSED : 0;
    }
    if (!block) {
        goro__lock_release(&c->lock);
        return GORO_EAGAIN;
    }
    goro__waiter w;
    goro__waiter_init(&w);
    goro__sudog s = { .w = &w, .elem = elem, .c = c };
    int r = chan_block(c, send ? &c->sendq : &c->recvq, &s, deadline,
                       send ? GORO_WAIT_CHAN_SEND : GORO_WAIT_CHAN_RECV, ra);
    if (!send && r != GORO_ETIMEDOUT)
        san_acquire(c);
    return r;
}

static int chan_send(goro_chan *c, const void *elem, int64_t deadline, bool block,
                     uintptr_t ra)
{
    if (!c || !goro__chan_value_ok(c, elem))
        return GORO_EINVAL;
    return chan_op(c, (void *)elem, deadline, block, ra, true);
}

static int chan_recv(goro_chan *c, void *out, int64_t deadline, bool block, uintptr_t ra)
{
    if (!c)
        return GORO_EINVAL;
    return chan_op(c, out, deadline, block, ra, false);
}

int goro_chan_send(goro_chan *c, const void *elem)
{
    SAN_RUNTIME_SCOPE;
    return chan_send(c, elem, GORO_FOREVER, true, GORO_CALLER_PC());
}

int goro_chan_send_until(goro_chan *c, const void *elem, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    return chan_send(c, elem, deadline, true, GORO_CALLER_PC());
}

int goro__chan_try_send(goro_chan *c, const void *elem)
{
    SAN_RUNTIME_SCOPE;
    return chan_send(c, elem, GORO_FOREVER, false, 0);
}

int goro_chan_try_send(goro_chan *c, const void *elem)
{
    SAN_RUNTIME_SCOPE;
    int r = goro__chan_try_send(c, elem);
    if (r == GORO_EAGAIN)
        goro__poll_point();
    return r;
}

int goro_chan_recv(goro_chan *c, void *out)
{
    SAN_RUNTIME_SCOPE;
    return chan_recv(c, out, GORO_FOREVER, true, GORO_CALLER_PC());
}

int goro_chan_recv_until(goro_chan *c, void *out, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    return chan_recv(c, out, deadline, true, GORO_CALLER_PC());
}

int goro__chan_try_recv(goro_chan *c, void *out)
{
    SAN_RUNTIME_SCOPE;
    return chan_recv(c, out, GORO_FOREVER, false, 0);
}

int goro_chan_try_recv(goro_chan *c, void *out)
{
    SAN_RUNTIME_SCOPE;
    int r = goro__chan_try_recv(c, out);
    if (r == GORO_EAGAIN)
        goro__poll_point();
    return r;
}

int goro_chan_close(goro_chan *c)
{
    SAN_RUNTIME_SCOPE;
    if (!c)
        return GORO_EINVAL;
    san_release(c);
    goro__lock_acquire(&c->lock);
    if (atomic_load_explicit(&c->closed, memory_order_relaxed)) {
        goro__lock_release(&c->lock);
        return GORO_ECLOSED;
    }
    atomic_store_explicit(&c->closed, 1, memory_order_relaxed);
    /* Claim everyone queued, then wake them with the lock dropped; the
     * claimed sudogs are chained through `next`, which nobody else reads
     * once they are unlinked and claimed. */
    goro__sudog *list = NULL, *tail = NULL;
    goro__waitq *qs[2] = { &c->recvq, &c->sendq };
    for (int k = 0; k < 2; k++) {
        goro__sudog *s;
        while ((s = dequeue_claimed(qs[k])) != NULL) {
            if (k == 0 && s->elem && c->elemsize)
                memset(s->elem, 0, c->elemsize);
            s->w->source = s;
            s->w->result = GORO_ECLOSED;
            GORO__SLIST_APPEND(list, tail, s, next);
        }
    }
    goro__lock_release(&c->lock);
    while (list) {
        goro__sudog *s = list;
        list = s->next;   /* read before the wake: s dies with it */
        goro__waiter_wake(s->w);
    }
    return 0;
}

size_t goro_chan_len(goro_chan *c)
{
    return c ? atomic_load_explicit(&c->count, memory_order_relaxed) : 0;
}

size_t goro_chan_cap(goro_chan *c)
{
    return c ? c->cap : 0;
}
