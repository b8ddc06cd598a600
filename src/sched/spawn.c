/* SPDX-License-Identifier: MIT */
/*
 * spawn.c: creating goroutines (goro_go and its variants, newproc), the G
 * allocator and the reuse of dead Gs (per-P caches spilling to a global
 * list under gfree_lock), and goroutine ids (per-P batches).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched/runtime.h"
#include "sched/runq.h"
#include "base/san.h"

/* Dead-G caches that overflow spill to a global list. */
static goro__lock gfree_lock = GORO_LOCK_INIT(GFREE);
static G *gfree_global[2];

/* Gs are never freed: the registry of every G (allg.c) keeps them for
 * dumps. An argument copy past GORO_COPY_INLINE lives in g->argheap. */
static G *g_alloc(P *p, size_t argsize, int *klass)
{
    int k = argsize <= GORO_G_SMALL_ARG ? G_CLASS_SMALL : G_CLASS_BIG;
    *klass = k;
    if (p && p->gfree[k]) {
        G *g = p->gfree[k];
        p->gfree[k] = g->schedlink;
        p->ngfree[k]--;
        return g;
    }
    if (!p && __atomic_load_n(&gfree_global[k], __ATOMIC_RELAXED)) {
        /* A plain thread takes from the shared list. */
        goro__lock_acquire(&gfree_lock);
        G *g = gfree_global[k];
        if (g)
            __atomic_store_n(&gfree_global[k], g->schedlink, __ATOMIC_RELAXED);
        goro__lock_release(&gfree_lock);
        if (g)
            return g;
    }
    size_t cap = k == G_CLASS_SMALL ? GORO_G_SMALL_ARG : GORO_COPY_INLINE;
    G *g = goro__malloc_pool(sizeof(G) + cap);
    if (g) {
        memset(g, 0, sizeof(G));
        goro__allg_add(g);
    }
    return g;
}

void goro__g_free(P *p, G *g)
{
    goro__stack_release(p, g);
#if GORO_TSAN
    if (g->tsan_fiber) {
        __tsan_destroy_fiber(g->tsan_fiber);
        g->tsan_fiber = NULL;
    }
#endif
    atomic_fetch_add_explicit(&p->nexited, 1, memory_order_relaxed);
    G_STATUS_CHECK(g, G_IDLE);
    atomic_store_explicit(&g->status, G_IDLE, memory_order_relaxed);
    atomic_store_explicit(&g->on_cpu, 0, memory_order_relaxed);
    if (g->argheap) {
        free(g->argheap);
        g->argheap = NULL;
    }
    int k = g->klass;
    g->schedlink = p->gfree[k];
    p->gfree[k] = g;
    if (++p->ngfree[k] > GORO_GFREE_MAX) {
        G *head = p->gfree[k], *tail = head;
        for (int i = 1; i < GORO_GFREE_MAX / 2; i++)
            tail = tail->schedlink;
        p->gfree[k] = tail->schedlink;
        p->ngfree[k] -= GORO_GFREE_MAX / 2;
        goro__lock_acquire(&gfree_lock);
        tail->schedlink = gfree_global[k];
        __atomic_store_n(&gfree_global[k], head, __ATOMIC_RELAXED);
        goro__lock_release(&gfree_lock);
    }
}

/* Refills p's dead-G cache from the global list (cheap check first). */
static void gfree_refill(P *p, int k)
{
    if (!__atomic_load_n(&gfree_global[k], __ATOMIC_RELAXED))   /* a hint; rechecked under the lock */
        return;
    goro__lock_acquire(&gfree_lock);
    for (int i = 0; i < GORO_GFREE_MAX / 2 && gfree_global[k]; i++) {
        G *g = gfree_global[k];
        __atomic_store_n(&gfree_global[k], g->schedlink, __ATOMIC_RELAXED);
        g->schedlink = p->gfree[k];
        p->gfree[k] = g;
        p->ngfree[k]++;
    }
    goro__lock_release(&gfree_lock);
}

static uint64_t goid_new(P *p)
{
    if (p) {
        if (p->goid_next == p->goid_end) {
            p->goid_next = atomic_fetch_add(&goro__S.goid_gen, 16) + 1;
            p->goid_end = p->goid_next + 16;
        }
        return p->goid_next++;
    }
    return atomic_fetch_add(&goro__S.goid_gen, 1) + 1;
}

/* may_yield: the caller is ordinary goroutine code, which may be made to
 * yield (spawn backpressure); runtime callbacks (timers) pass false. */
static int newproc(goro_fn fn, void *arg, const void *copy, size_t copysize,
                   const goro_opts *opts, void (*ufn)(void), const char *file, int line,
                   bool may_yield)
{
    SAN_RUNTIME_SCOPE;
    goro__fork_check("goro_go", file, line);
    if (!fn)
        return GORO_EINVAL;
    goro__init();
    M *m = goro__getm();
    if (m)
        goro__rt_enter(m);
    /* A goroutine's P, or the P of a scheduler context running timers (an
     * after_func timer's goroutine then runs next there, as in Go, not
     * after the global queue's next turn). */
    P *p = m && !m->exiting ? m->p : NULL;
    int k;
    void *heap = NULL;
    size_t inline_size = copysize;   /* bytes kept in g->argbuf */
    if (copysize > GORO_COPY_INLINE) {
        inline_size = 0;
        if (!(heap = goro__malloc_pool(copysize))) {
            if (m)
                goro__rt_exit(m);
            return GORO_ENOMEM;
        }
    }
    if (p) {
        int kk = inline_size <= GORO_G_SMALL_ARG ? G_CLASS_SMALL : G_CLASS_BIG;
        if (!p->gfree[kk])
            gfree_refill(p, kk);
    }
    G *g = g_alloc(p, inline_size, &k);
    if (!g) {
        free(heap);
        if (m)
            goro__rt_exit(m);
        return GORO_ENOMEM;
    }
    g->klass = (uint16_t)k;
    g->fn = fn;
    g->ufn = ufn ? ufn : (void (*)(void))fn;
    g->argheap = heap;
    if (copy) {
        g->arg = heap ? heap : (void *)g->argbuf;
        memcpy(g->arg, copy, copysize);
    } else {
        g->arg = arg;
    }
    g->id = goid_new(p);
    g->file = file;
    g->line = line;
    GORO_TRACE(create(g->id, m && m->curg ? m->curg->id : 0, g->ufn, file, line, p ? p->id : -1));
    g->name = opts ? opts->name : NULL;
    /* The default as it is now: a later change is for later goroutines. */
    g->stack_size = opts && opts->stack_size ? opts->stack_size : goro__stack_default();
    g->stack_lo = NULL;
    g->lock_count = 0;
    g->syscall_depth = 0;
    g->lockedm = NULL;
    g->saved_errno = 0;
    G_STATUS_CHECK(g, G_RUNNABLE);
    atomic_store_explicit(&g->status, G_RUNNABLE, memory_order_relaxed);
    san_release(g);
    bool fenced = false;
    if (p) {
        atomic_fetch_add_explicit(&p->ncreated, 1, memory_order_relaxed);
        fenced = runq_put(p, g, true);
        /* A goroutine that spawns faster than its P runs what it spawned
         * lets them run (no other P took them): the dead ones' Gs and
         * stacks are then reused while still in cache. It yields too when
         * a timer of its P is due, since goro_go is no scheduling decision
         * (test_timer_spawn.c). The backlog is short because the queue
         * drains before the spawner's next turn: the goroutines it queued
         * then start one after another, and the timers they arm come due
         * as closely packed 1 ms later, a burst whose last sleeper waits
         * for all the others' wakeups (bench/sleepers.c's median). */
        if (may_yield && m->curg && (atomic_load_explicit(&p->runq_tail, memory_order_relaxed) -
                atomic_load_explicit(&p->runq_head, memory_order_relaxed) >= GORO_SPAWN_BACKLOG ||
                goro__timer_due(p))) {
            goro__rt_exit(m);   /* a switch may only happen at depth 1 */
            wake_after(fenced);
            goro_yield();
            return 0;
        }
    } else {
        atomic_fetch_add_explicit(&goro__S.nthread_created, 1, memory_order_relaxed);
        goro__lock_acquire(&goro__S.lock);
        goro__runq_put_global(g, g, 1);
        goro__lock_release(&goro__S.lock);
    }
    if (m)
        goro__rt_exit(m);
    wake_after(fenced);
    return 0;
}

int goro__go_internal(const goro_opts *opts, goro_fn fn, void *arg,
                      const char *file, int line)
{
    return newproc(fn, arg, NULL, 0, opts, NULL, file, line, false);
}

int goro__go_task(goro_fn tramp, const void *arg, size_t size, void (*ufn)(void),
                  const goro_opts *opts, const char *file, int line)
{
    return newproc(tramp, NULL, arg, size, opts, ufn, file, line, true);
}

int goro_go_at(goro_fn fn, void *arg, const char *file, int line)
{
    return newproc(fn, arg, NULL, 0, NULL, NULL, file, line, true);
}

int goro_go_copy_at(goro_fn fn, const void *arg, size_t size, const char *file, int line)
{
    if (!arg && size)
        return GORO_EINVAL;
    return newproc(fn, NULL, arg, size, NULL, NULL, file, line, true);
}

int goro_go_opts_at(const goro_opts *opts, goro_fn fn, void *arg, const char *file, int line)
{
    if (!goro__opts_ok(opts))
        return GORO_EINVAL;
    return newproc(fn, arg, NULL, 0, opts, NULL, file, line, true);
}
