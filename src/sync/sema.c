/* SPDX-License-Identifier: MIT */
/*
 * sema.c: goro_sema, a weighted semaphore (golang.org/x/sync/semaphore).
 *
 * `mu` protects cur and the FIFO of waiters. Waiters are served strictly
 * in order: a release grants the front waiter if its request fits and
 * stops at the first that does not, so a large request is not starved by
 * a stream of small ones. A blocked acquire waits for two sources at once
 * with one goro__waiter: a grant from the semaphore (which claims it under
 * mu) and the close of its context's done channel (a sudog on that
 * channel, claimed by goro_chan_close); whichever claims first wins. A
 * grant that comes after the context was cancelled is handed back, as Go
 * does.
 */
#include <stdlib.h>

#include "chan/chan.h"
#include "base/list.h"
#include "base/san.h"

typedef struct sema_waiter {
    goro__waiter w;
    int64_t n;
    struct sema_waiter *next, *prev;   /* (mu) */
    bool queued;                       /* (mu) */
} sema_waiter;

struct goro_sema {
    goro__lock mu;
    int64_t size;
    int64_t cur;                       /* (mu) */
    sema_waiter *head, *tail;          /* (mu) */
};

static void wq_remove(goro_sema *s, sema_waiter *w)
{
    if (!w->queued)
        return;
    GORO__LIST_REMOVE(s->head, s->tail, w);
    w->queued = false;
}

/* With mu held: grant waiters in order while they fit. The granted are
 * chained on *wake (through `next`) to be woken once mu is dropped. */
static void notify(goro_sema *s, sema_waiter **wake)
{
    while (s->head) {
        sema_waiter *w = s->head;
        if (s->size - s->cur < w->n)
            break;   /* strict FIFO: nobody overtakes the front */
        wq_remove(s, w);
        if (!goro__waiter_claim(&w->w))
            continue;   /* its context won: gone */
        s->cur += w->n;
        GORO__SLIST_PUSH(*wake, w, next);
    }
}

static void wake_all(sema_waiter *list)
{
    while (list) {
        sema_waiter *w = list;
        list = w->next;   /* read before the wake: w dies with it */
        goro__waiter_wake(&w->w);
    }
}

goro_sema *goro_sema_new(int64_t size)
{
    SAN_RUNTIME_SCOPE;
    if (size < 0)
        return NULL;
    goro_sema *s = goro__malloc(sizeof *s);
    if (s) {
        *s = (goro_sema){ .size = size };
        goro__lock_init(&s->mu, SEMA);
    }
    return s;
}

void goro_sema_free(goro_sema *s)
{
    SAN_RUNTIME_SCOPE;
    if (!s)
        return;
    /* A waiter would wake on freed memory. */
    goro__lock_acquire(&s->mu);
    bool waiting = s->head != NULL;
    goro__lock_release(&s->mu);
    if (waiting) {
        goro__caller who;
        goro__caller_find(&who);
        goro__fatal_site(who.site, "semaphore: freed by %s while goroutines wait on it", who.entry);
    }
    goro__free(s);
}

int goro_sema_try_acquire(goro_sema *s, int64_t n)
{
    SAN_RUNTIME_SCOPE;
    if (!s || n < 0)
        return GORO_EINVAL;
    goro__lock_acquire(&s->mu);
    bool ok = s->size - s->cur >= n && !s->head;
    if (ok)
        s->cur += n;
    goro__lock_release(&s->mu);
    if (ok)
        san_acquire(s);
    return ok ? 0 : GORO_EAGAIN;
}

int goro_sema_acquire(goro_sema *s, goro_ctx *ctx, int64_t n)
{
    SAN_RUNTIME_SCOPE;
    if (!s || n < 0)
        return GORO_EINVAL;
    if (!ctx)
        ctx = goro_ctx_background();
    goro__lock_acquire(&s->mu);
    if (s->size - s->cur >= n && !s->head) {
        s->cur += n;
        goro__lock_release(&s->mu);
        san_acquire(s);
        return 0;
    }
    int err = goro_ctx_err(ctx);
    if (err) {
        goro__lock_release(&s->mu);
        return err;
    }
    goro_chan *done = goro_ctx_done(ctx);
    sema_waiter me = { .n = n };
    goro__waiter_init(&me.w);
    /* A request larger than the semaphore can only end with ctx: it is
     * not queued, so it holds nobody back. */
    if (n <= s->size) {
        sema_waiter *mep = &me;
        GORO__LIST_PUSH_BACK(s->head, s->tail, mep);
        me.queued = true;
    }
    goro__lock_release(&s->mu);

    goro__sudog sg = { .w = &me.w, .c = done };
    if (done) {
        goro__lock_acquire(&done->lock);
        bool closed = atomic_load_explicit(&done->closed, memory_order_relaxed);
        if (!closed)
            goro__waitq_push(&done->recvq, &sg);
        goro__lock_release(&done->lock);
        if (closed && goro__waiter_claim(&me.w)) {
            me.w.source = &sg;   /* as if the close had woken us */
            me.w.result = GORO_ECLOSED;
            goro__waiter_wake(&me.w);
        }
    }
    goro__waiter_block(&me.w, GORO_FOREVER, GORO_WAIT_SEMA, s);

    if (done) {
        goro__lock_acquire(&done->lock);
        goro__waitq_remove(&done->recvq, &sg);
        goro__lock_release(&done->lock);
    }
    if (me.w.source != &sg) {
        /* Granted. If ctx ended meanwhile, give it back (Go does). */
        san_acquire(s);
        err = goro_ctx_err(ctx);
        if (err)
            goro_sema_release(s, n);
        return err;
    }
    /* ctx won: leave the queue; if we held up others, let them in. */
    sema_waiter *wake = NULL;
    goro__lock_acquire(&s->mu);
    bool front = s->head == &me;
    wq_remove(s, &me);
    if (front)
        notify(s, &wake);
    goro__lock_release(&s->mu);
    wake_all(wake);
    return goro_ctx_err(ctx);
}

void goro_sema_release_at(goro_sema *s, int64_t n, const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    if (!s)
        goro__fatal(file, line, "semaphore: release of a NULL semaphore");
    san_release(s);
    sema_waiter *wake = NULL;
    goro__lock_acquire(&s->mu);
    s->cur -= n;
    if (s->cur < 0 || n < 0) {
        goro__lock_release(&s->mu);
        goro__fatal(file, line, "semaphore: released more than held");
    }
    notify(s, &wake);
    goro__lock_release(&s->mu);
    wake_all(wake);
}
