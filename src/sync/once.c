/* SPDX-License-Identifier: MIT */
/*
 * once.c: goro_once (Go's sync.Once).
 *
 * done_ (atomic) becomes 1 only after fn has returned, so the fast path is
 * one acquire load. The slow path takes mu_ (a goro_mutex), checks done_
 * again, runs fn, then publishes done_ with a release store before
 * unlocking: every concurrent caller blocks on mu_ until fn has returned,
 * which a CAS-then-run scheme would not give them. done_ is written only
 * under mu_. fn calling goro_once_do on the same once deadlocks, as in Go.
 *
 * TSan: the caller that ran fn releases on the once; every caller that
 * finds it done acquires.
 */
#include "sched/g.h"
#include "base/san.h"

static _Atomic uint32_t *once_done(goro_once *o)
{
    return (_Atomic uint32_t *)&o->done_;
}

void goro_once_do(goro_once *o, goro_fn fn, void *arg)
{
    SAN_RUNTIME_SCOPE;
    if (!o || !fn)
        GORO_FATAL(o ? "sync: Once.Do with a NULL function" : "sync: Once is NULL");
    if (goro_likely(atomic_load_explicit(once_done(o), memory_order_acquire))) {
        san_acquire(o);
        return;
    }
    goro_mutex_lock(&o->mu_);
    if (!atomic_load_explicit(once_done(o), memory_order_relaxed)) {
        san_ignore_end();      /* fn is the caller's code */
        fn(arg);
        san_ignore_begin();
        san_release(o);
        atomic_store_explicit(once_done(o), 1, memory_order_release);
    } else {
        san_acquire(o);
    }
    goro_mutex_unlock_at(&o->mu_, __FILE__, __LINE__);
}
