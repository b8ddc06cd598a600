/* SPDX-License-Identifier: MIT */
/*
 * select.c: goro_select (Go's select statement).
 *
 * Go's three passes (selectgo in Go's runtime/select.go):
 *  1. with every channel locked (in address order, each once, so
 *     overlapping selects cannot deadlock), poll the cases in a uniformly
 *     random order and complete the first that can proceed;
 *  2. if none can (and blocking is allowed), queue one sudog per case, all
 *     pointing at one waiter, unlock, and block: exactly one source (or the
 *     deadline) claims the waiter;
 *  3. relock and unlink the sudogs that did not win. The winning sudog,
 *     already unlinked by its waker, says which case fired.
 * A case with a NULL channel never fires; a send case on a closed channel
 * fires with GORO_ECLOSED (Go panics there; C gets the code). Bad cases
 * (a send of NULL on a channel of non-empty elements, an unknown
 * direction) make the select GORO_EINVAL before it touches anything.
 */
#include <stdlib.h>
#include <string.h>

#include "chan/chan.h"
#include "base/san.h"

#define SMALL 8   /* cases handled without allocating */

typedef struct sel {
    int *order;          /* poll order: indices of non-NULL cases */
    int *lockorder;      /* the same, sorted by channel address */
    goro__sudog *sg;     /* one per case (pass 2) */
    int n;               /* non-NULL cases */
} sel;

static void sel_lock(goro_case *cs, const sel *s)
{
    goro_chan *prev = NULL;
    for (int i = 0; i < s->n; i++) {
        goro_chan *c = cs[s->lockorder[i]].ch;
        if (c != prev)
            goro__lock_acquire(&c->lock);
        prev = c;
    }
}

static void sel_unlock(goro_case *cs, const sel *s)
{
    for (int i = s->n - 1; i >= 0; i--) {
        goro_chan *c = cs[s->lockorder[i]].ch;
        if (i == 0 || cs[s->lockorder[i - 1]].ch != c)
            goro__lock_release(&c->lock);
    }
}

static void sort_by_channel(goro_case *cs, int *a, int n)
{
    for (int i = 1; i < n; i++) {   /* insertion sort: n is small */
        int v = a[i], j = i;
        while (j > 0 && (uintptr_t)cs[a[j - 1]].ch > (uintptr_t)cs[v].ch) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

/* Bad input, checked before anything is done: a direction that is
 * neither, a send of NULL on a channel of non-empty elements. */
static bool cases_ok(const goro_case *cs, int ncases)
{
    if (ncases < 0 || (ncases > 0 && !cs))
        return false;
    for (int i = 0; i < ncases; i++) {
        if (cs[i].dir != GORO_SEND && cs[i].dir != GORO_RECV)
            return false;
        if (cs[i].dir == GORO_SEND && cs[i].ch && !goro__chan_value_ok(cs[i].ch, cs[i].val))
            return false;
    }
    return true;
}

/* ra: the public call's return address, for the park's frame record
 * (GORO_PARK_FRAME). */
static int do_select(goro_case *cs, int ncases, int64_t deadline, bool block, uintptr_t ra)
{
    if (!cases_ok(cs, ncases))
        return GORO_EINVAL;
    int small_order[SMALL], small_lock[SMALL];
    goro__sudog small_sg[SMALL];
    sel s = { small_order, small_lock, small_sg, 0 };
    void *heap = NULL;
    if (ncases > SMALL) {
        heap = goro__malloc((size_t)ncases * (2 * sizeof(int) + sizeof(goro__sudog)));
        if (!heap)
            return GORO_ENOMEM;
        s.sg = heap;
        s.order = (int *)(s.sg + ncases);
        s.lockorder = s.order + ncases;
    }

    /* A uniformly random permutation of the live cases (inside-out
     * Fisher-Yates). */
    for (int i = 0; i < ncases; i++) {
        cs[i].result = 0;
        if (!cs[i].ch)
            continue;
        int j = (int)(goro__fastrand() % (uint64_t)(s.n + 1));
        s.order[s.n] = s.order[j];
        s.order[j] = i;
        s.n++;
    }
    memcpy(s.lockorder, s.order, (size_t)s.n * sizeof(int));
    sort_by_channel(cs, s.lockorder, s.n);

    int ret;
    goro__waiter *wake = NULL;
    bool closed;
    for (int i = 0; i < s.n; i++)
        if (cs[s.order[i]].dir == GORO_SEND)
            san_release(cs[s.order[i]].ch);

    /* Pass 1. */
    sel_lock(cs, &s);
    for (int i = 0; i < s.n; i++) {
        int k = s.order[i];
        goro_case *c = &cs[k];
        bool done = c->dir == GORO_SEND
            ? goro__chan_send_locked(c->ch, c->val, &wake, &closed)
            : goro__chan_recv_locked(c->ch, c->val, &wake, &closed);
        if (done) {
            sel_unlock(cs, &s);
            if (wake)
                goro__waiter_wake(wake);
            c->result = closed ? GORO_ECLOSED : 0;
            if (c->dir == GORO_RECV)
                san_acquire(c->ch);
            ret = k;
            goto out;
        }
    }
    if (!block) {
        sel_unlock(cs, &s);
        ret = GORO_EAGAIN;
        goto out;
    }

    /* Pass 2. */
    goro__waiter w;
    goro__waiter_init(&w);
    for (int i = 0; i < s.n; i++) {
        int k = s.lockorder[i];
        goro__sudog *g = &s.sg[k];
        *g = (goro__sudog){ .w = &w, .elem = cs[k].val, .c = cs[k].ch, .index = k };
        goro__waitq_push(cs[k].dir == GORO_SEND ? &cs[k].ch->sendq : &cs[k].ch->recvq, g);
    }
    sel_unlock(cs, &s);
    int r = GORO_PARK_FRAME(ra, int, goro__waiter_block(&w, deadline, GORO_WAIT_SELECT, NULL));

    /* Pass 3. */
    sel_lock(cs, &s);
    for (int i = 0; i < s.n; i++) {
        int k = s.lockorder[i];
        goro__waitq_remove(cs[k].dir == GORO_SEND ? &cs[k].ch->sendq : &cs[k].ch->recvq,
                           &s.sg[k]);
    }
    sel_unlock(cs, &s);
    if (r == GORO_ETIMEDOUT) {
        ret = r;
        goto out;
    }
    ret = ((goro__sudog *)w.source)->index;
    cs[ret].result = r;
    if (cs[ret].dir == GORO_RECV)
        san_acquire(cs[ret].ch);
out:
    goro__free(heap);
    return ret;
}

int goro_select(goro_case *cases, int n)
{
    SAN_RUNTIME_SCOPE;
    return do_select(cases, n, GORO_FOREVER, true, GORO_CALLER_PC());
}

int goro_select_try(goro_case *cases, int n)
{
    SAN_RUNTIME_SCOPE;
    int r = do_select(cases, n, GORO_FOREVER, false, 0);
    if (r == GORO_EAGAIN)
        goro__poll_point();
    return r;
}

int goro_select_until(goro_case *cases, int n, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    return do_select(cases, n, deadline, true, GORO_CALLER_PC());
}
