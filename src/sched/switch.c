/* SPDX-License-Identifier: MIT */
/*
 * switch.c: running goroutines: switching, park and ready, yield, and the
 * loop of the scheduler context (g0) that runs what goro__find_runnable
 * found.
 *
 * A goroutine that stops (park, yield, exit) picks its successor itself
 * and switches straight to it; only when there is none, or when thread
 * affinity (lock_os_thread) or a retiring P is involved, does it switch
 * to its M's scheduler context (g0: the thread's own stack), which steals,
 * runs timers and sleeps. Whatever must happen to the goroutine switched
 * away from (requeue it, publish that it is off-CPU, free its stack) is
 * done by the side that resumes, in finish_switch, once no code runs on
 * that stack any more.
 *
 * An M may lose its P while its goroutine runs its own code (sysmon.c):
 * every use of m->p on a goroutine's stack sits in a goro__rt_enter/exit
 * bracket (runtime.h), which notices the loss first, and code without a P
 * falls back to the global queue (ready), parks through g0, or takes a P
 * before going on (goro__acquire_p_slow, which queues the goroutine and
 * parks the M when none is free).
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
#include "base/list.h"
#include "base/san.h"
#include "sched/san_switch.h"
#include "sched/arch/arch.h"

/* errno is per thread, so goroutines sharing a thread take turns in it:
 * under TSan the turns are happens-before edges on its address. Its
 * address is m's, kept in m (a call to libc's __errno_location at every
 * switch cost more): &errno itself must not be taken across a switch,
 * since the compiler may reuse the address it computed on the thread the
 * goroutine left. */
__attribute__((noinline)) static int *errno_addr(M *m)
{
    __asm__ volatile("" ::: "memory");
    return m->errno_p = &errno;
}

static inline int *m_errno(M *m)
{
    int *e = m->errno_p;
    return goro_likely(e != NULL) ? e : errno_addr(m);
}

static inline void errno_restore(M *m, int v)
{
    int *e = m_errno(m);
    san_acquire(e);
    *e = v;
}

static inline void errno_save(M *m, G *g)
{
    int *e = m_errno(m);
    g->saved_errno = *e;
    san_release(e);
}

/* ------------------------------------------------------------------ */
/* Running goroutines                                                  */

static void g_main(void);

/* Prepares g to run on m (on any stack). Returns false on stack ENOMEM. */
static inline void g_prepare(M *m, G *g, bool inherit)
{
    while (atomic_load_explicit(&g->on_cpu, memory_order_acquire))
        goro__cpu_relax();
    atomic_store_explicit(&g->on_cpu, 1, memory_order_relaxed);
    /* Only a RUNNABLE g (readied or new: nobody else writes its status)
     * becomes RUNNING. One back from a yield or a requeue kept its status,
     * RUNNING or WOKEN, which a waker may be changing now (wait.h). */
    if (atomic_load_explicit(&g->status, memory_order_relaxed) == G_RUNNABLE)
        atomic_store_explicit(&g->status, G_RUNNING, memory_order_relaxed);
    m->curg = g;
    GORO_TRACE(ev(GORO_TR_GO_START, m->p ? m->p->id : -1, g->id, 0, 0, 0));
    if (!inherit) {
        P *p = m->p;
        atomic_store_explicit(&p->schedtick,
            atomic_load_explicit(&p->schedtick, memory_order_relaxed) + 1, memory_order_relaxed);
    }
    if (goro_unlikely(!g->stack_lo)) {
        if (goro__stack_attach(m->p, g) != 0)
            GORO_FATAL("out of memory: cannot allocate a stack for goroutine %llu (created at %s:%d)",
                       (unsigned long long)g->id, g->file, g->line);
        char *lo;
        size_t size;
        goro__stack_usable(g, &lo, &size);
        g->ctx = goro__ctx_make(lo, size, g_main);
#if GORO_TSAN
        g->tsan_fiber = __tsan_create_fiber(0);
#endif
    }
}


/* Runs on the resumed side of every switch: completes what the previous
 * goroutine asked for, now that nothing runs on its stack. After it the
 * thread holds no runtime lock (checked in GORO_DEBUG builds). */
static inline void finish_switch(M *m)
{
    G *prev = m->prev;
    if (!prev) {
        GORO_ASSERT_NO_LOCKS(NULL);
        return;
    }
    m->prev = NULL;
    switch (m->prev_action) {
    case SW_YIELD:
        atomic_store_explicit(&prev->on_cpu, 0, memory_order_release);
        runq_put(m->p, prev, false);
        break;
    case SW_PARK:
        atomic_store_explicit(&prev->on_cpu, 0, memory_order_release);
        if (m->unlock_after) {
            goro__lock_release(m->unlock_after);
            m->unlock_after = NULL;
        }
        break;
    case SW_EXIT:
        goro__g_free(m->p, prev);
        break;
    case SW_REQUEUE:
        /* It found no P (see goro__acquire_p_slow): on the global queue, for
         * whichever M with a P comes next, its status kept as a yield's. */
        atomic_store_explicit(&prev->on_cpu, 0, memory_order_release);
        goro__lock_acquire(&goro__S.lock);
        goro__runq_put_global(prev, prev, 1);
        goro__lock_release(&goro__S.lock);
        wake_after(false);
        break;
    }
    GORO_ASSERT_NO_LOCKS(NULL);
}

static G *next_runnable_fast(M *m, P *p, bool *inherit);
static G *next_handoff(M *m, P *p, G *to, bool *inherit);
static void g_exit(M *m, G *g);

/* Entry of every goroutine (first switch lands here). */
static void g_main(void)
{
    M *m = goro__getm();
    G *g = m->curg;
    san_switch_end(m, g, true);
    san_ignore_begin();
    finish_switch(m);
    /* Happens-before from the spawner, and from whoever used this G and
     * this stack before (see g_exit). */
    san_acquire(g);
    san_acquire(g->stack_lo);
    san_acquire(&errno);
    goro__rt_exit(m);     /* the goroutine's own code from here */
    san_ignore_end();
    g->fn(g->arg);
    san_ignore_begin();
    m = goro__getm();
    g = m->curg;
    if (goro_unlikely(g->syscall_depth)) {
        /* Ended inside goro_syscall_begin/end: end it, so the M does not
         * keep a claim on a P in P_SYSCALL. */
        g->syscall_depth = 1;
        goro_syscall_end();
        m = goro__getm();
    }
    goro__rt_enter(m);
    if (g->lock_count) {
        /* Like Go, a goroutine that ends wired to its thread takes the
         * thread with it: its thread-local state may be anything now. */
        m->exiting = true;
        m->lockedg = NULL;
        g->lockedm = NULL;
        g->lock_count = 0;
    }
    g_exit(m, g);
}

/* The goroutine g stops running on m for reason `why`. Picks the next
 * goroutine (`to` if not NULL: a hand-off, see goro__ready_handoff; the
 * caller checked that g can yield to it here, and `to`, readied and in no
 * queue, is always taken: GOMAXPROCS may have retired p since that check,
 * and reading it again here once dropped `to` for good; it runs on p like
 * m->nextg, and the next schedule retires p) and switches to it directly
 * when it can, else to g0. Returns (for YIELD and PARK) when g is
 * resumed, possibly on another thread: the M it resumed on.
 *
 * Called inside a runtime bracket (goro__rt_enter, depth 1); the bracket
 * travels with the switch: whoever resumes g hands it an M at depth 1,
 * which g's caller closes with goro__rt_exit.
 *
 * Only g0 ever waits for a goroutine's on_cpu to clear: a successor still
 * being switched out elsewhere goes to g0 (m->nextg), so two Ms switching
 * out goroutines can never wait for each other. */
static M *g_switch_out(M *m, G *g, int why, G *to)
{
    GORO_ASSERT(atomic_load_explicit(&m->in_rt, memory_order_relaxed) == 1 && m->curg == g && (!m->p || m->p->m == m), "switch out: in_rt %u, p %p, p->m %p, m %p, p status %d", atomic_load_explicit(&m->in_rt, memory_order_relaxed), (void *)m->p, m->p ? (void *)m->p->m : NULL, (void *)m, m->p ? atomic_load(&m->p->status) : -1);
    GORO_ASSERT_NO_LOCKS(m->unlock_after);   /* only a park's handed-over lock */
    P *p = m->p;
    G *next = NULL;
    bool inherit = false;
    if (goro_unlikely(!p)) {
        /* No P: parking inside goro_syscall_begin/end (the P waits in
         * P_SYSCALL), or sysmon took it while g ran its own code. A park
         * needs none (g0 finds one, or sleeps); a yield or an exit gets
         * one first, queueing g globally if none is free. */
        if (m->oldp) {
            /* The blocking call is over as far as the runtime knows. */
            P *op = m->oldp;
            int st = P_SYSCALL;
            m->oldp = NULL;
            g->syscall_depth = 0;
            if (atomic_compare_exchange_strong_explicit(&op->status, &st, P_RUNNING,
                    memory_order_acquire, memory_order_relaxed)) {
                goro__acquirep(m, op);
                p = op;
            }
        }
        if (!p && why != SW_PARK) {
            if (why == SW_YIELD)
                return goro__acquire_p_slow(m, g);   /* queued globally: a yield */
            m = goro__acquire_p_slow(m, g);
            p = m->p;
        }
    }
    errno_save(m, g);
    if (goro_unlikely(g->stack_flags) && !goro__stack_canary_ok(g))
        goro__stack_overflow(g);
    GORO_ASSERT(!to || (p && !g->lockedm && !m->exiting), "hand-off to goroutine %llu "
                "without a P to run it on", to ? (unsigned long long)to->id : 0ull);
    if (goro_likely(p && !g->lockedm && !m->exiting && (to || !goro__p_retired(p)))) {
        next = to ? next_handoff(m, p, to, &inherit) : next_runnable_fast(m, p, &inherit);
        if (goro_unlikely(next == g)) {
            /* Our own wakeup (a due timer, say) arrived while parking. */
            G_STATUS_CHECK(g, G_RUNNING);
            atomic_store_explicit(&g->status, G_RUNNING, memory_order_relaxed);
            return m;
        }
        if (next && goro_unlikely(next->lockedm != NULL ||
                atomic_load_explicit(&next->on_cpu, memory_order_acquire))) {
            m->nextg = next;
            next = NULL;
        }
        if (!next && !m->nextg && why == SW_YIELD)
            return m;   /* nothing else to run: keep going */
    }
    m->prev = g;
    m->prev_action = why;
    GORO_TRACE(stop(g->id, why, goro__g_wait(g), p ? p->id : -1, next ? next->id : 0));
    if (next) {
        g_prepare(m, next, inherit);
        if (why == SW_EXIT)
            san_ignore_end();   /* the fiber ends: it must not ignore */
        san_switch_begin(m, g, next, why == SW_EXIT);
        m = goro__ctx_switch(&g->ctx, next->ctx, m);
    } else {
        m->curg = NULL;
        if (why == SW_EXIT)
            san_ignore_end();   /* the fiber ends: it must not ignore */
        san_switch_begin(m, g, NULL, why == SW_EXIT);
        m = goro__ctx_switch(&g->ctx, m->g0ctx, m);
    }
    /* Resumed, by the M now running us (it passed itself). */
    san_switch_end(m, g, false);
    finish_switch(m);
    errno_restore(m, g->saved_errno);
    return m;
}

/* On g's stack, in a runtime bracket, m holding no P: takes an idle P, or
 * else queues g on the global queue and parks this M (through g0, which
 * does the queueing in finish_switch once g is off its stack). Returns
 * the M g runs on now, holding a P. errno survives. Go's exitsyscall0. */
M *goro__acquire_p_slow(M *m, G *g)
{
    if (goro__acquirep_idle(m))
        return m;
    errno_save(m, g);
    GORO_TRACE(stop(g->id, SW_REQUEUE, NULL, -1, 0));
    m->prev = g;
    m->prev_action = SW_REQUEUE;
    m->curg = NULL;
    san_switch_begin(m, g, NULL, false);
    m = goro__ctx_switch(&g->ctx, m->g0ctx, m);
    san_switch_end(m, g, false);
    finish_switch(m);
    errno_restore(m, g->saved_errno);
    return m;
}

static void g_exit(M *m, G *g)
{
    san_release(g);
    san_release(g->stack_lo);
    if (goro_unlikely(!m->p)) {
        m = goro__acquire_p_slow(m, g);   /* goro__g_free needs a P's caches */
        g = m->curg;
    }
    G_STATUS_CHECK(g, G_DEAD);
    atomic_store_explicit(&g->status, G_DEAD, memory_order_relaxed);
    g_switch_out(m, g, SW_EXIT, NULL);
    __builtin_unreachable();
}

/* Runs p's due timers on the stopping goroutine's stack. Returns false,
 * running none, when some are due but must wait for g0: timer callbacks
 * may take channel locks, not while a parking goroutine still holds one
 * (m->unlock_after). g0 runs them once the lock is released (else a pair
 * of goroutines parking on channels in turn would hold this P's timers
 * back for good). */
static bool run_due_timers_fast(M *m, P *p)
{
    if (goro_likely(atomic_load_explicit(&p->timer0, memory_order_relaxed) == 0))
        return true;
    int64_t now = goro__nanotime();
    if (now < atomic_load_explicit(&p->timer0, memory_order_relaxed))
        return true;
    if (m->unlock_after)
        return false;
    goro__timers_run(p, now);
    return true;
}

/* The fast path of scheduling, run on the stopping goroutine's stack. */
static G *next_runnable_fast(M *m, P *p, bool *inherit)
{
    if (!run_due_timers_fast(m, p)) {
        *inherit = false;
        return NULL;
    }
    bool slice_over = false;
    if (goro_unlikely(atomic_load_explicit(&p->preempt, memory_order_relaxed))) {
        goro__runq_kick_runnext(p);
        slice_over = true;
    }
    if (goro_unlikely(slice_over ||
            atomic_load_explicit(&p->schedtick, memory_order_relaxed) % GORO_GLOBAL_EVERY == 0) &&
        atomic_load_explicit(&goro__S.runq_size, memory_order_relaxed) > 0) {
        G *g = goro__globrunq_take(p, 1);
        if (g) {
            *inherit = false;
            return g;
        }
    }
    G *g = runq_get(p, inherit);
    if (g)
        return g;
    *inherit = false;
    return goro__globrunq_take(p, 0);
}

/* A hand-off: `to` runs next, sharing the current slice, or on a slice of
 * its own if sysmon has ended this one (the runnext goroutine then goes
 * to the tail, as in next_runnable_fast). Due timers run first, as at
 * every schedule; their wakeups cannot displace `to`. */
static G *next_handoff(M *m, P *p, G *to, bool *inherit)
{
    run_due_timers_fast(m, p);   /* not parking: nothing can defer them */
    *inherit = !atomic_load_explicit(&p->preempt, memory_order_relaxed);
    if (!*inherit)
        goro__runq_kick_runnext(p);
    return to;
}

void goro__park(void)
{
    M *m = goro__getm();
    G *g = m->curg;
    uint32_t s = G_RUNNING;
    if (!atomic_compare_exchange_strong_explicit(&g->status, &s, G_WAITING,
            memory_order_acq_rel, memory_order_acquire)) {
        if (s != G_WOKEN)
            GORO_FATAL("park of goroutine %llu in state %u", (unsigned long long)g->id, s);
        /* The wakeup came before we got here. */
        G_STATUS_CHECK(g, G_RUNNING);
        atomic_store_explicit(&g->status, G_RUNNING, memory_order_relaxed);
        return;
    }
    goro__rt_enter(m);
    m = g_switch_out(m, g, SW_PARK, NULL);
    goro__rt_exit(m);
}

void goro__park_unlock(goro__lock *l)
{
    M *m = goro__getm();
    G *g = m->curg;
    /* Wakers need l, which we hold until we are off-CPU: none can see us
     * RUNNING, so no WOKEN race and no CAS. */
    G_STATUS_CHECK(g, G_WAITING);
    atomic_store_explicit(&g->status, G_WAITING, memory_order_relaxed);
    m->unlock_after = l;
    goro__rt_enter(m);
    m = g_switch_out(m, g, SW_PARK, NULL);
    goro__rt_exit(m);
}

/* Status half of goro__ready: true if g was parked and must be queued. */
static inline bool ready_status(G *g)
{
    for (;;) {
        uint32_t s = atomic_load_explicit(&g->status, memory_order_acquire);
        if (s == G_RUNNING) {
            if (atomic_compare_exchange_weak_explicit(&g->status, &s, G_WOKEN,
                    memory_order_acq_rel, memory_order_relaxed))
                return false;
            continue;
        }
        if (s != G_WAITING)
            GORO_FATAL("ready of goroutine %llu in state %u", (unsigned long long)g->id, s);
        /* Parked: nobody else changes its status now (the waiter's claim
         * admits one waker), so a plain store suffices. */
        G_STATUS_CHECK(g, G_RUNNABLE);
        atomic_store_explicit(&g->status, G_RUNNABLE, memory_order_relaxed);
        return true;
    }
}

/* Queues g, readied by ready_status: as runnext on the caller's P, else
 * on the global queue (at its head if `first`). */
static void ready_queue(G *g, bool first)
{
    M *m = goro__getm();
    bool fenced = false;
    P *p = m ? goro__rt_enter(m) : NULL;
    GORO_TRACE(ev(GORO_TR_GO_READY, p ? p->id : -1, g->id, m && m->curg ? m->curg->id : 0, 0, 0));
    if (p && !m->exiting) {
        fenced = runq_put(p, g, true);
    } else {
        goro__fork_check(NULL, NULL, 0);   /* from a plain thread */
        goro__lock_acquire(&goro__S.lock);
        if (first)
            goro__globrunq_push_head(g);
        else
            goro__runq_put_global(g, g, 1);
        goro__lock_release(&goro__S.lock);
    }
    if (m)
        goro__rt_exit(m);
    wake_after(fenced);
}

void goro__ready(G *g)
{
    if (ready_status(g))
        ready_queue(g, false);
}

void goro__ready_handoff(G *g)
{
    if (!ready_status(g))
        return;   /* not parked yet: it runs, and its park returns at once */
    M *m = goro__getm();
    /* Only from a goroutine's own code (bracket depth 0): runtime code,
     * a timer callback say, must not switch. */
    bool own = m && m->curg && atomic_load_explicit(&m->in_rt, memory_order_relaxed) == 0;
    bool yield = false;
    if (own) {
        P *p = goro__rt_enter(m);
        if (p && !m->curg->lockedm && !m->exiting && !goro__p_retired(p)) {
            GORO_TRACE(ev(GORO_TR_GO_READY, p->id, g->id, m->curg->id, 0, 0));
            m = g_switch_out(m, m->curg, SW_YIELD, g);
            goro__rt_exit(m);
            return;
        }
        yield = p != NULL;   /* wired: our P goes to an M that runs g first */
        goro__rt_exit(m);
    }
    ready_queue(g, true);
    if (yield)
        goro_yield();
}

void goro__ready_list(G **gs, int n)
{
    M *m = goro__getm();
    P *p = m ? goro__rt_enter(m) : NULL;
    if (p && m->exiting)
        p = NULL;
    G *head = NULL, *tail = NULL;
    int k = 0;
    for (int i = 0; i < n; i++) {
        G *g = gs[i];
        if (!ready_status(g))
            continue;
        GORO_TRACE(ev(GORO_TR_GO_READY, p ? p->id : -1, g->id, m && m->curg ? m->curg->id : 0, 0, 0));
        if (p) {
            runq_put(p, g, false);
        } else {
            GORO__SLIST_APPEND(head, tail, g, schedlink);
            k++;
        }
    }
    if (k) {
        goro__fork_check(NULL, NULL, 0);   /* from a plain thread */
        goro__lock_acquire(&goro__S.lock);
        goro__runq_put_global(head, tail, k);
        goro__lock_release(&goro__S.lock);
    }
    if (m)
        goro__rt_exit(m);
    wake_after(false);
}

void goro_yield(void)
{
    SAN_RUNTIME_SCOPE;
    M *m = goro__getm();
    if (!m || !m->curg) {
        sched_yield();
        return;
    }
    goro__rt_enter(m);
    m = g_switch_out(m, m->curg, SW_YIELD, NULL);
    goro__rt_exit(m);
}

void goro__poll_point(void)
{
    M *m = goro__getm();
    if (!m || !m->curg)
        return;
    /* m->p outside a runtime bracket: sysmon may have taken it, and then
     * its flag (a P is never freed) costs at most a needless yield. */
    P *p = __atomic_load_n(&m->p, __ATOMIC_RELAXED);
    if (p && goro_unlikely(atomic_load_explicit(&p->preempt, memory_order_relaxed)))
        goro_yield();
}


void goro__m_schedule(M *m)
{
    for (;;) {
        finish_switch(m);
        if (m->exiting) {
            goro__handoffp(goro__releasep(m));
            return;
        }
        G *g;
        bool inherit = false;
        if (m->lockedg) {
            /* Our goroutine stopped (parked or yielded): wait for it. */
            goro__stoplockedm(m);
            g = m->lockedg;
            /* It was dequeued by whoever handed it over. */
        } else if (m->nextg) {
            g = m->nextg;
            m->nextg = NULL;
        } else {
            g = goro__find_runnable(m, &inherit);
        }
        if (g->lockedm && g->lockedm != m) {
            goro__startlockedm(m, g);
            continue;
        }
        g_prepare(m, g, inherit);
        san_switch_begin(m, NULL, g, false);
        goro__ctx_switch(&m->g0ctx, g->ctx, m);
        san_switch_end(m, NULL, false);
    }
}
