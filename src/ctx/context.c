/* SPDX-License-Identifier: MIT */
/*
 * context.c: contexts (Go's context package): the cancellation tree,
 * deadlines, values, causes and after_func.
 *
 * Kinds: background (static, immortal), cancel (with_cancel and
 * with_deadline/timeout), value, without_cancel. A value context defers
 * err/done/cause to its nearest cancellable ancestor; without_cancel cuts
 * the chain (never cancelled, no deadline, values still inherited).
 *
 * A cancel context is linked, without any goroutine, into the child list
 * of its nearest cancellable ancestor `cparent`; cancelling detaches the
 * list under `mu` and cancels each child after dropping it. Children whose
 * last reference is already gone (refs 0, being freed) are skipped at
 * detach; everyone else is retained across the walk.
 *
 * Lifetime: `refs` counts the caller's and the children's references;
 * when it drops to zero the context is cancelled (if it was not), unlinked
 * from its parent, and drops its reference on the parent. `mem` counts
 * holders of the memory: 1 for all of `refs`, plus 1 per after_func handle
 * not yet freed, so a handle's stop can always lock its context.
 *
 * after_func handles: the caller owns one until goro_ctx_after_free. Its
 * `state` moves once out of AF_PENDING, by CAS under the context's mu:
 * to AF_FIRED by the cancellation (which starts fn), or to AF_STOPPED by
 * the first stop, so any number of stops, from any number of goroutines,
 * see exactly one winner, as Go's stop does. free stops, unlinks, drops
 * its mem reference and frees; it is the last call on the handle.
 *
 * Lock order: a context's mu before its cparent's mu is never taken; a
 * child's mu is only taken after the parent's is dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "chan/chan.h"
#include "base/list.h"
#include "base/san.h"
#include "sched/timer.h"

enum { K_BACKGROUND, K_CANCEL, K_VALUE, K_WITHOUT };

struct goro_ctx {
    int kind;
    _Atomic int32_t refs;
    _Atomic int32_t mem;
    goro_ctx *parent;                  /* reference held; NULL for background */
    const void *key;                   /* K_VALUE */
    void *val;
    /* K_CANCEL only: */
    goro__lock mu;
    _Atomic int err;                   /* 0 until cancelled; written under mu */
    int cause;                         /* (mu) */
    goro_chan *done;                   /* closed when cancelled */
    int64_t deadline;                  /* own deadline, 0 = none */
    int dcause;                        /* the cause a deadline reports */
    goro_ctx *cparent;                 /* where we are linked, or NULL */
    goro_ctx *children, *children_tail;   /* (mu), base/list.h */
    goro_ctx *next, *prev;             /* in cparent->children (cparent->mu) */
    bool linked;                       /* (cparent->mu) */
    struct goro_ctx_after *afters, *afters_tail;   /* (mu), base/list.h */
    goro__timer timer;                 /* deadline */
    bool has_timer;
};

struct goro_ctx_after {
    goro_ctx *c;                       /* the cancel context, mem-referenced; NULL: never fires */
    struct goro_ctx_after *next, *prev; /* in c->afters (c->mu) */
    bool linked;                       /* (c->mu) */
    _Atomic int state;                 /* AF_*: CAS once, under c->mu when c is set */
    goro_fn fn;
    void *arg;
    goro_opts opts;                    /* fn's goroutine's */
    const char *file;
    int line;
};

enum { AF_PENDING, AF_FIRED, AF_STOPPED };

static goro_ctx background = { .kind = K_BACKGROUND, .refs = 1, .mem = 1 };

goro_ctx *goro_ctx_background(void)
{
    return &background;
}

/* The context whose cancellation c follows, or NULL if it never ends. */
static goro_ctx *cancel_ctx(goro_ctx *c)
{
    while (c && c->kind == K_VALUE)
        c = c->parent;
    return c && c->kind == K_CANCEL ? c : NULL;
}

static void mem_release(goro_ctx *c)
{
    if (atomic_fetch_sub_explicit(&c->mem, 1, memory_order_acq_rel) == 1) {
        goro_chan_release(c->done);
        goro__free(c);
    }
}

static bool try_retain(goro_ctx *c)
{
    int32_t r = atomic_load_explicit(&c->refs, memory_order_relaxed);
    while (r > 0)
        if (atomic_compare_exchange_weak_explicit(&c->refs, &r, r + 1,
                memory_order_acq_rel, memory_order_relaxed))
            return true;
    return false;
}

static void unlink_from_parent(goro_ctx *c)
{
    goro_ctx *cp = c->cparent;
    if (!cp)
        return;
    goro__lock_acquire(&cp->mu);
    if (c->linked) {
        GORO__LIST_REMOVE(cp->children, cp->children_tail, c);
        c->linked = false;
    }
    goro__lock_release(&cp->mu);
}

static void fire_after(struct goro_ctx_after *h)
{
    if (goro__go_internal(&h->opts, h->fn, h->arg, h->file, h->line) != 0)
        GORO_FATAL("out of memory starting a context after_func goroutine");
}

/* Cancels c (a cancel context) and its descendants. */
static void cancel(goro_ctx *c, int err, int cause, bool from_timer)
{
    goro__lock_acquire(&c->mu);
    if (atomic_load_explicit(&c->err, memory_order_relaxed)) {
        goro__lock_release(&c->mu);
        return;
    }
    c->cause = cause ? cause : err;
    atomic_store_explicit(&c->err, err, memory_order_release);
    /* Children: detach, keeping the ones still alive. */
    goro_ctx *kids = NULL;
    for (goro_ctx *k = c->children, *next; k; k = next) {
        next = k->next;
        k->linked = false;
        if (try_retain(k)) {
            k->next = kids;   /* reuse the link: k is ours now */
            kids = k;
        }
    }
    c->children = c->children_tail = NULL;
    /* after_funcs: each fires once, unless stopped first (CAS). */
    struct goro_ctx_after *h;
    GORO__LIST_FOR_EACH(h, c->afters) {
        h->linked = false;
        int z = AF_PENDING;
        if (atomic_compare_exchange_strong(&h->state, &z, AF_FIRED))
            fire_after(h);
    }
    c->afters = c->afters_tail = NULL;
    goro__lock_release(&c->mu);
    san_release(c);
    goro_chan_close(c->done);
    while (kids) {
        goro_ctx *k = kids;
        kids = k->next;
        k->next = NULL;
        cancel(k, err, c->cause, false);
        goro_ctx_release(k);
    }
    if (!from_timer && c->has_timer)
        goro__timer_stop(&c->timer);
}

static void ctx_destroy(goro_ctx *c);

static void deadline_last_ref(goro__timer *t)
{
    ctx_destroy(t->arg);
}

/* The deadline timer. It holds a reference while it cancels, since
 * releasing the children can cascade up to c; if that leaves the timer's
 * reference the last, c is destroyed once the timer is idle (destroying
 * waits for a firing timer, which must not be itself). A context whose
 * last reference is already gone is being destroyed, and cancelled, by
 * whoever dropped it. */
static void deadline_fire(goro__timer *t)
{
    goro_ctx *c = t->arg;
    if (!try_retain(c))
        return;
    cancel(c, GORO_ETIMEDOUT, c->dcause, true);
    unlink_from_parent(c);
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
        t->done = deadline_last_ref;
}

static goro_ctx *ctx_new(goro_ctx *parent, int kind)
{
    goro_ctx *c = goro__malloc(sizeof *c);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    goro__lock_init(&c->mu, CTX);
    c->kind = kind;
    atomic_store_explicit(&c->refs, 1, memory_order_relaxed);
    atomic_store_explicit(&c->mem, 1, memory_order_relaxed);
    c->parent = goro_ctx_retain(parent);
    return c;
}

/* A new cancel context under parent, with deadline (0 = none) and the
 * cause its deadline reports. */
static goro_ctx *with_cancel(goro_ctx *parent, int64_t deadline, int dcause)
{
    if (!parent)
        return NULL;
    goro_ctx *c = ctx_new(parent, K_CANCEL);
    if (!c)
        return NULL;
    c->done = goro_chan_make(0, 0);
    if (!c->done) {
        goro_ctx_release(parent);
        goro__free(c);
        return NULL;
    }
    goro_ctx *cp = cancel_ctx(parent);
    int64_t pd;
    if (deadline && goro_ctx_deadline(parent, &pd) && pd <= deadline)
        deadline = 0;   /* the parent's earlier deadline wins */
    c->deadline = deadline;
    c->dcause = dcause;
    if (cp) {
        c->cparent = cp;
        goro__lock_acquire(&cp->mu);
        int perr = atomic_load_explicit(&cp->err, memory_order_relaxed);
        if (!perr) {
            GORO__LIST_PUSH_FRONT(cp->children, cp->children_tail, c);
            c->linked = true;
        }
        int pcause = cp->cause;
        goro__lock_release(&cp->mu);
        if (perr) {
            cancel(c, perr, pcause, false);
            return c;
        }
    }
    if (deadline) {
        if (deadline <= goro__nanotime()) {
            cancel(c, GORO_ETIMEDOUT, dcause, false);
            return c;
        }
        c->timer = (goro__timer){ .fn = deadline_fire, .arg = c };
        c->has_timer = true;
        goro__timer_start(&c->timer, deadline);
    }
    return c;
}

goro_ctx *goro_ctx_with_cancel(goro_ctx *parent)
{
    SAN_RUNTIME_SCOPE;
    return with_cancel(parent, 0, 0);
}

goro_ctx *goro_ctx_with_deadline_cause(goro_ctx *parent, int64_t deadline, int cause)
{
    SAN_RUNTIME_SCOPE;
    return with_cancel(parent, deadline <= 0 ? 1 : deadline, cause);
}

goro_ctx *goro_ctx_with_deadline(goro_ctx *parent, int64_t deadline)
{
    return goro_ctx_with_deadline_cause(parent, deadline, 0);
}

goro_ctx *goro_ctx_with_timeout_cause(goro_ctx *parent, int64_t d, int cause)
{
    int64_t now = goro__nanotime();
    int64_t dl = d <= 0 ? now : (d > INT64_MAX - now ? INT64_MAX : now + d);
    return goro_ctx_with_deadline_cause(parent, dl, cause);
}

goro_ctx *goro_ctx_with_timeout(goro_ctx *parent, int64_t d)
{
    return goro_ctx_with_timeout_cause(parent, d, 0);
}

goro_ctx *goro_ctx_with_value(goro_ctx *parent, const void *key, void *val)
{
    SAN_RUNTIME_SCOPE;
    if (!parent)
        return NULL;
    goro_ctx *c = ctx_new(parent, K_VALUE);
    if (c) {
        c->key = key;
        c->val = val;
    }
    return c;
}

goro_ctx *goro_ctx_without_cancel(goro_ctx *parent)
{
    SAN_RUNTIME_SCOPE;
    return parent ? ctx_new(parent, K_WITHOUT) : NULL;
}

goro_ctx *goro_ctx_retain(goro_ctx *c)
{
    if (c && c->kind != K_BACKGROUND)
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void goro_ctx_release(goro_ctx *c)
{
    SAN_RUNTIME_SCOPE;
    if (!c || c->kind == K_BACKGROUND)
        return;
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
        ctx_destroy(c);
}

/* The last reference is gone: cancel, unlink, drop the parent. */
static void ctx_destroy(goro_ctx *c)
{
    if (c->kind == K_CANCEL) {
        cancel(c, GORO_ECANCELED, 0, false);
        unlink_from_parent(c);
        if (c->has_timer)
            goro__timer_stop(&c->timer);   /* waits out a firing */
    }
    goro_ctx_release(c->parent);
    mem_release(c);
}

int goro_ctx_cancel_cause(goro_ctx *c, int cause)
{
    SAN_RUNTIME_SCOPE;
    if (!c || c->kind != K_CANCEL)
        return GORO_EINVAL;
    cancel(c, GORO_ECANCELED, cause, false);
    unlink_from_parent(c);
    return 0;
}

int goro_ctx_cancel(goro_ctx *c)
{
    return goro_ctx_cancel_cause(c, 0);
}

goro_chan *goro_ctx_done(goro_ctx *c)
{
    goro_ctx *cc = cancel_ctx(c);
    return cc ? cc->done : NULL;
}

int goro_ctx_err(goro_ctx *c)
{
    goro_ctx *cc = cancel_ctx(c);
    if (!cc)
        return 0;
    int e = atomic_load_explicit(&cc->err, memory_order_acquire);
    if (e)
        san_acquire(cc);
    return e;
}

int goro_ctx_cause(goro_ctx *c)
{
    goro_ctx *cc = cancel_ctx(c);
    if (!cc || !atomic_load_explicit(&cc->err, memory_order_acquire))
        return 0;
    goro__lock_acquire(&cc->mu);
    int cause = cc->cause;
    goro__lock_release(&cc->mu);
    return cause;
}

bool goro_ctx_deadline(goro_ctx *c, int64_t *deadline)
{
    for (; c; c = c->parent) {
        if (c->kind == K_WITHOUT || c->kind == K_BACKGROUND)
            return false;
        if (c->kind == K_CANCEL && c->deadline) {
            if (deadline)
                *deadline = c->deadline;
            return true;
        }
    }
    return false;
}

void *goro_ctx_value(goro_ctx *c, const void *key)
{
    for (; c; c = c->parent)
        if (c->kind == K_VALUE && c->key == key)
            return c->val;
    return NULL;
}

goro_ctx_after *goro_ctx_after_func_opts_at(goro_ctx *ctx, const goro_opts *opts,
                                            goro_fn fn, void *arg, const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    if (!ctx || !fn || !goro__opts_ok(opts))
        return NULL;
    struct goro_ctx_after *h = goro__malloc(sizeof *h);
    if (!h)
        return NULL;
    *h = (struct goro_ctx_after){ .fn = fn, .arg = arg, .file = file, .line = line };
    if (opts)
        h->opts = *opts;
    goro_ctx *c = cancel_ctx(ctx);
    if (!c)
        return h;   /* never fires; stop returns true */
    h->c = c;
    atomic_fetch_add_explicit(&c->mem, 1, memory_order_relaxed);
    goro__lock_acquire(&c->mu);
    if (atomic_load_explicit(&c->err, memory_order_relaxed)) {
        atomic_store(&h->state, AF_FIRED);
        fire_after(h);
    } else {
        GORO__LIST_PUSH_FRONT(c->afters, c->afters_tail, h);
        h->linked = true;
    }
    goro__lock_release(&c->mu);
    return h;
}

goro_ctx_after *goro_ctx_after_func_at(goro_ctx *ctx, goro_fn fn, void *arg,
                                       const char *file, int line)
{
    return goro_ctx_after_func_opts_at(ctx, NULL, fn, arg, file, line);
}

bool goro_ctx_after_func_stop(goro_ctx_after *h)
{
    SAN_RUNTIME_SCOPE;
    if (!h)
        return false;
    goro_ctx *c = h->c;
    int z = AF_PENDING;
    if (!c)   /* never fires: only stops race for the state */
        return atomic_compare_exchange_strong(&h->state, &z, AF_STOPPED);
    goro__lock_acquire(&c->mu);
    bool stopped = atomic_compare_exchange_strong(&h->state, &z, AF_STOPPED);
    if (h->linked) {
        GORO__LIST_REMOVE(c->afters, c->afters_tail, h);
        h->linked = false;
    }
    goro__lock_release(&c->mu);
    return stopped;
}

void goro_ctx_after_free(goro_ctx_after *h)
{
    SAN_RUNTIME_SCOPE;
    if (!h)
        return;
    goro_ctx_after_func_stop(h);
    if (h->c)
        mem_release(h->c);
    goro__free(h);
}
