/* SPDX-License-Identifier: MIT */
/*
 * time.c: the monotonic clock, goro_sleep, and the per-P timer heaps.
 *
 * Each P's heap is a 4-ary min-heap by `when` under p->timers_lock;
 * p->timer0 mirrors its root's `when` (0 when empty) so the scheduler can
 * test for due timers without the lock. Timers run on the M holding the P
 * (between goroutines), or on an idle M that finds another P's timers due.
 * An M with nothing to run sleeps until the earliest timer of all Ps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/runtime.h"
#include "sched/timer.h"
#include "base/san.h"
#include "wait/wait.h"

int64_t goro__nanotime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t goro_now(void)
{
    return goro__nanotime();
}

/* ---- heap (p->timers_lock held) ---- */

static void heap_set(P *p, int i, goro__timer *t)
{
    p->timers[i] = t;
    t->idx = i;
}

static void sift_up(P *p, int i)
{
    goro__timer *t = p->timers[i];
    while (i > 0) {
        int parent = (i - 1) / 4;
        if (p->timers[parent]->when <= t->when)
            break;
        heap_set(p, i, p->timers[parent]);
        i = parent;
    }
    heap_set(p, i, t);
}

static void sift_down(P *p, int i)
{
    goro__timer *t = p->timers[i];
    int n = p->ntimers;
    for (;;) {
        int c = 4 * i + 1, best = -1;
        int64_t w = t->when;
        for (int k = c; k < c + 4 && k < n; k++)
            if (p->timers[k]->when < w) {
                w = p->timers[k]->when;
                best = k;
            }
        if (best < 0)
            break;
        heap_set(p, i, p->timers[best]);
        i = best;
    }
    heap_set(p, i, t);
}

static void update_timer0(P *p)
{
    atomic_store_explicit(&p->timer0, p->ntimers ? p->timers[0]->when : 0,
                          memory_order_release);
}

static bool heap_push(P *p, goro__timer *t)
{
    if (p->ntimers == p->ctimers) {
        int cap = p->ctimers ? p->ctimers * 2 : 64;
        goro__timer **nt = realloc(p->timers, (size_t)cap * sizeof *nt);
        if (!nt)
            return false;
        p->timers = nt;
        p->ctimers = cap;
    }
    heap_set(p, p->ntimers++, t);
    sift_up(p, t->idx);
    atomic_store_explicit(&t->p, p, memory_order_relaxed);
    atomic_store_explicit(&t->state, T_HEAP, memory_order_relaxed);
    update_timer0(p);
    return true;
}

static void heap_remove(P *p, int i)
{
    int last = --p->ntimers;
    if (i != last) {
        heap_set(p, i, p->timers[last]);
        sift_down(p, i);
        sift_up(p, p->timers[i]->idx);
    }
    update_timer0(p);
}

/* ---- timers ---- */

void goro__timer_start(goro__timer *t, int64_t when)
{
    goro__init();
    M *m = goro__getm();
    /* The bracket tells whether this M still owns its P (sysmon may have
     * handed it on, see sysmon.c). */
    P *p = m ? goro__rt_enter(m) : NULL;
    bool on_p = p != NULL;
    if (!p)
        p = atomic_load(&goro__S.allp[0]);
    t->when = when;
    goro__lock_acquire(&p->timers_lock);
    bool ok = heap_push(p, t);
    goro__lock_release(&p->timers_lock);
    if (m)
        goro__rt_exit(m);
    if (!ok)
        GORO_FATAL("out of memory growing the timer heap");
    goro__timer_added(when, on_p);
}

bool goro__timer_stop(goro__timer *t)
{
    for (;;) {
        uint32_t st = atomic_load_explicit(&t->state, memory_order_acquire);
        if (st == T_IDLE)
            return false;
        if (st == T_FIRING) {
            goro__cpu_relax();
            continue;
        }
        P *p = atomic_load_explicit(&t->p, memory_order_relaxed);
        goro__lock_acquire(&p->timers_lock);
        if (atomic_load_explicit(&t->p, memory_order_relaxed) == p &&
            atomic_load_explicit(&t->state, memory_order_relaxed) == T_HEAP) {
            heap_remove(p, t->idx);
            atomic_store_explicit(&t->state, T_IDLE, memory_order_relaxed);
            goro__lock_release(&p->timers_lock);
            return true;
        }
        goro__lock_release(&p->timers_lock);
    }
}

void goro__timers_run(P *p, int64_t now)
{
    int64_t t0 = atomic_load_explicit(&p->timer0, memory_order_acquire);
    if (t0 == 0 || t0 > now)
        return;
    goro__lock_acquire(&p->timers_lock);
    while (p->ntimers > 0 && p->timers[0]->when <= now) {
        goro__timer *t = p->timers[0];
        heap_remove(p, 0);
        atomic_store_explicit(&t->state, T_FIRING, memory_order_relaxed);
        goro__lock_release(&p->timers_lock);
        t->fn(t);
        if (t->period > 0) {
            /* Re-arm in this heap (unless stopped meanwhile: the stopper
             * waits for T_FIRING to end, then finds it queued again). */
            int64_t late = now - t->when;
            t->when += t->period * (1 + late / t->period);
            goro__lock_acquire(&p->timers_lock);
            if (!heap_push(p, t))
                GORO_FATAL("out of memory growing the timer heap");
            continue;
        }
        void (*done)(goro__timer *) = t->done;
        atomic_store_explicit(&t->state, T_IDLE, memory_order_release);
        if (done)
            done(t);
        goro__lock_acquire(&p->timers_lock);
    }
    goro__lock_release(&p->timers_lock);
}

int goro__timers_steal_run(P *self, int64_t now)
{
    int ran = 0;
    int n = atomic_load(&goro__S.nprocs);
    for (int i = 0; i < n; i++) {
        P *p = atomic_load(&goro__S.allp[i]);
        if (!p || p == self)
            continue;
        int64_t t0 = atomic_load_explicit(&p->timer0, memory_order_acquire);
        if (t0 != 0 && t0 <= now) {
            goro__timers_run(p, now);
            ran = 1;
        }
    }
    return ran;
}

int64_t goro__timers_earliest(void)
{
    int64_t e = 0;
    int n = atomic_load(&goro__S.nprocs);
    for (int i = 0; i < n; i++) {
        P *p = atomic_load(&goro__S.allp[i]);
        if (!p)
            continue;
        int64_t t0 = atomic_load_explicit(&p->timer0, memory_order_acquire);
        if (t0 != 0 && (e == 0 || t0 < e))
            e = t0;
    }
    return e;
}

void goro__timers_move(P *from, P *to)
{
    if (from == to)
        return;
    P *a = from->id < to->id ? from : to, *b = a == from ? to : from;
    goro__lock_acquire(&a->timers_lock);
    goro__lock_acquire(&b->timers_lock);
    while (from->ntimers > 0) {
        goro__timer *t = from->timers[from->ntimers - 1];
        from->ntimers--;
        if (!heap_push(to, t))
            GORO_FATAL("out of memory moving timers");
    }
    update_timer0(from);
    goro__lock_release(&b->timers_lock);
    goro__lock_release(&a->timers_lock);
}

/* ---- sleep ---- */

void goro_sleep(int64_t d)
{
    SAN_RUNTIME_SCOPE;
    goro__fork_check("goro_sleep", NULL, 0);
    if (d <= 0)
        return;
    int64_t now = goro__nanotime();
    int64_t deadline = d > INT64_MAX - now ? INT64_MAX : now + d;
    if (goro__getg()) {
        goro__waiter w;
        goro__waiter_init(&w);
        goro__waiter_block(&w, deadline, GORO_WAIT_SLEEP, NULL);
        return;
    }
    struct timespec ts = { deadline / 1000000000, deadline % 1000000000 };
    int saved = errno;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    errno = saved;
}
