/* SPDX-License-Identifier: MIT */
/*
 * timerheap.c: the monotonic clock, goro_sleep, and the per-P timer heaps.
 *
 * Each P's heap is a 4-ary min-heap of slots {when, timer} under
 * p->timers_lock (the deadline beside the pointer: sifting reads one
 * array). Stopping a timer empties its slot in O(1) and leaves it in
 * place; empty slots leave the heap when they reach the root (a pop) or
 * when they are three quarters of the slots (heap_compact), so the heap
 * holds at most four slots per timer and never points to a stopped
 * timer. p->timer0 mirrors the root slot's `when` (0 when empty) so the
 * scheduler can test for due timers without the lock: it may be an empty
 * slot's, earlier than the first live timer, which costs one look that
 * pops it, never a late one. Timers run on the M holding the P
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

static inline void slot_set(P *p, int i, goro__tslot s)
{
    p->timers[i] = s;
    if (s.t)
        s.t->idx = i;
}

static void sift_up(P *p, int i)
{
    GORO_ASSERT_HELD(&p->timers_lock);
    goro__tslot s = p->timers[i];
    while (i > 0) {
        int parent = (i - 1) / 4;
        if (p->timers[parent].when <= s.when)
            break;
        slot_set(p, i, p->timers[parent]);
        i = parent;
    }
    slot_set(p, i, s);
}

static void sift_down(P *p, int i)
{
    goro__tslot s = p->timers[i];
    int n = p->nslots;
    for (;;) {
        int c = 4 * i + 1, best = -1;
        int64_t w = s.when;
        for (int k = c; k < c + 4 && k < n; k++)
            if (p->timers[k].when < w) {
                w = p->timers[k].when;
                best = k;
            }
        if (best < 0)
            break;
        slot_set(p, i, p->timers[best]);
        i = best;
    }
    slot_set(p, i, s);
}

static void update_timer0(P *p)
{
    atomic_store_explicit(&p->timer0, p->nslots ? p->timers[0].when : 0,
                          memory_order_release);
}

static bool heap_push(P *p, goro__timer *t)
{
    if (p->nslots == p->cslots) {
        int cap = p->cslots ? p->cslots * 2 : 64;
        goro__tslot *nt = realloc(p->timers, (size_t)cap * sizeof *nt);
        if (!nt)
            return false;
        p->timers = nt;
        p->cslots = cap;
    }
    int i = p->nslots++;
    p->timers[i] = (goro__tslot){ t->when, t };
    p->ntimers++;
    sift_up(p, i);
    atomic_store_explicit(&t->p, p, memory_order_relaxed);
    atomic_store_explicit(&t->state, T_HEAP, memory_order_relaxed);
    update_timer0(p);
    return true;
}

/* Gives back most of the slot array once it is mostly unused (after a
 * burst of timers), so that the heap's memory follows its timers. */
static void heap_shrink(P *p)
{
    if (p->cslots <= 256 || p->cslots < 8 * p->nslots)
        return;
    int cap = p->nslots * 2 > 64 ? p->nslots * 2 : 64;
    goro__tslot *nt = realloc(p->timers, (size_t)cap * sizeof *nt);
    if (nt) {   /* else keep the larger array */
        p->timers = nt;
        p->cslots = cap;
    }
}

/* Removes the root slot (a timer's or a stopped one's). */
static void heap_pop(P *p)
{
    int last = --p->nslots;
    if (last > 0) {
        p->timers[0] = p->timers[last];
        sift_down(p, 0);
    } else {
        heap_shrink(p);
    }
    update_timer0(p);
}

/* Drops the stopped timers' slots and restores the heap order (Floyd's
 * bottom-up construction): O(nslots), run once they are more than three
 * quarters of the slots, so each stop pays O(1) for it; what dominates is
 * the index written into each live timer that moves (a cache miss each
 * among many timers), which this threshold keeps below 1/3 per stop. */
static void heap_compact(P *p)
{
    int n = 0;
    for (int i = 0; i < p->nslots; i++)
        if (p->timers[i].t) {
            if (i != n)
                slot_set(p, n, p->timers[i]);
            n++;
        }
    p->nslots = n;
    for (int i = (n - 2) / 4; n > 1 && i >= 0; i--)
        sift_down(p, i);
    heap_shrink(p);
    update_timer0(p);
}

/* t, queued in p, is stopped: its slot stays behind, empty. */
static void heap_delete(P *p, goro__timer *t)
{
    p->timers[t->idx].t = NULL;
    if (--p->ntimers == 0) {
        p->nslots = 0;
        heap_shrink(p);
        update_timer0(p);
    } else if (p->nslots > 4 * p->ntimers) {
        heap_compact(p);
    }
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
            heap_delete(p, t);
            atomic_store_explicit(&t->state, T_IDLE, memory_order_relaxed);
            goro__lock_release(&p->timers_lock);
            return true;
        }
        goro__lock_release(&p->timers_lock);
    }
}

/* Runs p's due timers, in deadline order, but only until one readies a
 * goroutine into this M's runnext: that goroutine runs next, and the
 * following due timers fire at the next scheduling decision, which comes
 * when it stops. Without the stop, a batch of due timers woke each
 * goroutine into runnext in turn, pushing the previous one to the tail of
 * the run queue, behind everything queued there (100,000 sleepers started
 * in batches waited behind a batch of not yet started ones: tens of
 * microseconds). With it, woken goroutines run in deadline order ahead of
 * the queue, as each would had its timer fired alone. */
void goro__timers_run(P *p, int64_t now)
{
    int64_t t0 = atomic_load_explicit(&p->timer0, memory_order_acquire);
    if (t0 == 0 || t0 > now)
        return;
    M *m = goro__getm();
    P *mine = m ? m->p : NULL;
    goro__lock_acquire(&p->timers_lock);
    while (p->nslots > 0 && p->timers[0].when <= now) {
        goro__timer *t = p->timers[0].t;
        heap_pop(p);
        if (!t)
            continue;   /* a stopped timer's slot */
        p->ntimers--;
        GORO_TRACE(ev(GORO_TR_TIMER, p->id, (uint64_t)(uintptr_t)t, 0, 0, 0));
        atomic_store_explicit(&t->state, T_FIRING, memory_order_relaxed);
        goro__lock_release(&p->timers_lock);
        G *next0 = mine ? atomic_load_explicit(&mine->runnext, memory_order_relaxed) : NULL;
        t->fn(t);
        G *next1 = mine ? atomic_load_explicit(&mine->runnext, memory_order_relaxed) : NULL;
        bool readied = next1 && next1 != next0;
        if (t->period > 0) {
            /* Re-arm (unless stopped meanwhile: the stopper waits for
             * T_FIRING to end, then finds it queued again) in this heap,
             * or in P 0's if p was retired meanwhile (GOMAXPROCS shrank
             * while an idle M ran p's timers): its timers have moved
             * there, and one pushed into p would never fire. Read under
             * p's lock, a stale nprocs means the move is still to come. */
            int64_t late = now - t->when;
            t->when += t->period * (1 + late / t->period);
            goro__lock_acquire(&p->timers_lock);
            if (goro__p_retired(p)) {
                goro__lock_release(&p->timers_lock);
                P *p0 = atomic_load(&goro__S.allp[0]);
                goro__lock_acquire(&p0->timers_lock);
                bool ok = heap_push(p0, t);
                goro__lock_release(&p0->timers_lock);
                if (!ok)
                    GORO_FATAL("out of memory growing the timer heap");
                goro__timer_added(t->when, false);
                goro__lock_acquire(&p->timers_lock);
            } else if (!heap_push(p, t)) {
                GORO_FATAL("out of memory growing the timer heap");
            }
        } else {
            void (*done)(goro__timer *) = t->done;
            atomic_store_explicit(&t->state, T_IDLE, memory_order_release);
            if (done)
                done(t);
            goro__lock_acquire(&p->timers_lock);
        }
        if (readied)
            break;
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
    for (int i = 0; i < from->nslots; i++)
        if (from->timers[i].t && !heap_push(to, from->timers[i].t))
            GORO_FATAL("out of memory moving timers");
    from->nslots = from->ntimers = 0;
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
