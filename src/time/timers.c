/* SPDX-License-Identifier: MIT */
/*
 * timers.c: goro_after, timers, tickers and goro_after_func (Go's time
 * package), on the per-P timer heaps of sched/timerheap.c.
 *
 * A goro_timer owns a heap node and (except after_func timers) a channel of
 * int64_t with one slot, into which a firing sends the fire time without
 * blocking (a ticker's slow reader misses ticks). `armed` says whether the
 * timer is pending: a firing takes it (exchange 1 -> 0; tickers only read
 * it) before sending or spawning, so exactly one of "fired" and "stopped"
 * wins. Go 1.23 semantics for stop/reset: they clear `armed`, then wait out
 * a firing in progress (goro__timer_stop), then drain the channel, so no
 * stale value is received after they return; the result is true if the
 * timer was pending or a fired value was still unread. `op` serialises the
 * API calls on one timer; firings never take it.
 */
#include <stdlib.h>

#include "chan/chan.h"
#include "base/san.h"
#include "sched/timer.h"

struct goro_timer {
    goro__timer node;
    /* Beside node's state and slot index, which a stop also touches. */
    _Atomic uint32_t armed;
    goro__lock op;
    goro_chan *c;              /* NULL for after_func timers */
    goro_fn fn;                /* after_func */
    void *arg;
    goro_opts opts;            /* after_func: its goroutine's */
    const char *file;          /* after_func call site */
    int line;
};

static void fire_send(goro__timer *n)
{
    goro_timer *t = n->arg;
    bool send = n->period > 0 ? atomic_load_explicit(&t->armed, memory_order_acquire) != 0
                              : atomic_exchange_explicit(&t->armed, 0, memory_order_acq_rel) != 0;
    if (send) {
        int64_t now = goro__nanotime();
        goro__chan_try_send(t->c, &now);   /* full: a slow reader misses it */
    }
}

static void fire_func(goro__timer *n)
{
    goro_timer *t = n->arg;
    if (atomic_exchange_explicit(&t->armed, 0, memory_order_acq_rel)) {
        san_acquire(t);   /* pairs with the release in goro_after_func_opts_at */
        if (goro__go_internal(&t->opts, t->fn, t->arg, t->file, t->line) != 0)
            GORO_FATAL("out of memory starting the goroutine of an after_func timer");
    }
}

/* goro_after's timer lives until it fires, then frees itself. */
static void after_done(goro__timer *n)
{
    goro_timer *t = n->arg;
    goro_chan_release(t->c);
    goro__free(t);
}

static int64_t deadline_in(int64_t d)
{
    int64_t now = goro__nanotime();
    if (d <= 0)
        return now;
    return d > INT64_MAX - now ? INT64_MAX : now + d;
}

static goro_timer *timer_new(int64_t period, bool with_chan)
{
    goro_timer *t = goro__malloc(sizeof *t);
    if (!t)
        return NULL;
    *t = (goro_timer){ .node = { .period = period, .fn = fire_send } };
    t->node.arg = t;
    goro__lock_init(&t->op, TIMER);
    if (with_chan && !(t->c = goro_chan_make(sizeof(int64_t), 1))) {
        goro__free(t);
        return NULL;
    }
    return t;
}

static void arm(goro_timer *t, int64_t d)
{
    atomic_store_explicit(&t->armed, 1, memory_order_release);
    goro__timer_start(&t->node, deadline_in(d));
}

/* Disarms t; returns whether it was pending or had an unread value. */
static bool disarm(goro_timer *t)
{
    bool was = atomic_exchange_explicit(&t->armed, 0, memory_order_acq_rel) != 0;
    /* Removed before it fired: a one-shot timer then sent nothing since
     * the last disarm drained its channel. */
    if (goro__timer_stop(&t->node) && t->node.period == 0)   /* waits out a firing */
        return was;
    if (t->c && goro__chan_try_recv(t->c, NULL) == 0)   /* t->op held: must not yield */
        was = true;
    return was;
}

goro_chan *goro_after(int64_t d)
{
    SAN_RUNTIME_SCOPE;
    goro_timer *t = timer_new(0, true);
    if (!t)
        return NULL;
    goro_chan *c = goro_chan_retain(t->c);   /* the caller's reference */
    t->node.done = after_done;
    arm(t, d);
    return c;
}

goro_timer *goro_timer_new(int64_t d)
{
    SAN_RUNTIME_SCOPE;
    goro_timer *t = timer_new(0, true);
    if (t)
        arm(t, d);
    return t;
}

goro_timer *goro_after_func_opts_at(int64_t d, const goro_opts *opts, goro_fn fn, void *arg,
                                    const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    if (!fn || !goro__opts_ok(opts))
        return NULL;
    goro_timer *t = timer_new(0, false);
    if (!t)
        return NULL;
    t->node.fn = fire_func;
    t->fn = fn;
    t->arg = arg;
    if (opts)
        t->opts = *opts;
    t->file = file;
    t->line = line;
    san_release(t);   /* the caller's writes happen before fn runs */
    arm(t, d);
    return t;
}

goro_timer *goro_after_func_at(int64_t d, goro_fn fn, void *arg, const char *file, int line)
{
    return goro_after_func_opts_at(d, NULL, fn, arg, file, line);
}

goro_chan *goro_timer_chan(goro_timer *t)
{
    return t ? t->c : NULL;
}

bool goro_timer_stop(goro_timer *t)
{
    SAN_RUNTIME_SCOPE;
    if (!t)
        return false;
    goro__lock_acquire(&t->op);
    bool was = disarm(t);
    goro__lock_release(&t->op);
    return was;
}

bool goro_timer_reset(goro_timer *t, int64_t d)
{
    SAN_RUNTIME_SCOPE;
    if (!t)
        return false;
    goro__lock_acquire(&t->op);
    bool was = disarm(t);
    arm(t, d);
    goro__lock_release(&t->op);
    return was;
}

void goro_timer_free(goro_timer *t)
{
    SAN_RUNTIME_SCOPE;
    if (!t)
        return;
    goro__lock_acquire(&t->op);
    disarm(t);
    goro__lock_release(&t->op);
    goro_chan_release(t->c);
    goro__free(t);
}

/* ---- tickers: periodic timers with the same machinery ---- */

struct goro_ticker {
    goro_timer t;
};

goro_ticker *goro_ticker_new(int64_t period)
{
    SAN_RUNTIME_SCOPE;
    if (period <= 0)
        return NULL;
    goro_timer *t = timer_new(period, true);
    if (!t)
        return NULL;
    arm(t, period);
    return (goro_ticker *)t;
}

goro_chan *goro_ticker_chan(goro_ticker *tk)
{
    return tk ? tk->t.c : NULL;
}

int goro_ticker_reset(goro_ticker *tk, int64_t period)
{
    SAN_RUNTIME_SCOPE;
    if (!tk || period <= 0)
        return GORO_EINVAL;
    goro_timer *t = &tk->t;
    goro__lock_acquire(&t->op);
    disarm(t);
    t->node.period = period;
    arm(t, period);
    goro__lock_release(&t->op);
    return 0;
}

void goro_ticker_stop(goro_ticker *tk)
{
    if (tk)
        goro_timer_stop(&tk->t);
}

void goro_ticker_free(goro_ticker *tk)
{
    if (tk)
        goro_timer_free(&tk->t);
}
