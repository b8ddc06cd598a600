/* SPDX-License-Identifier: MIT */
/*
 * proc.c: the lifecycle of Ps and Ms, named as in Go's runtime: binding
 * a P to an M and back (goro__acquirep, goro__releasep), idle Ps
 * (goro__pidle_put/get), creating and retiring Ps, starting, parking and
 * waking Ms (startm, goro__stopm, goro__wakep, goro__handoffp), the wired
 * M of a goroutine that called goro_lock_os_thread, and the thread entry
 * of every M.
 *
 * No lost wakeups: work is published (run queue, global queue) before
 * nmspinning/npidle are read with a full fence; a spinning M going idle
 * decrements nmspinning, fences, then rescans every queue (Go's protocol,
 * goro__find_runnable in findrun.c). At most half the busy Ps' worth of
 * Ms spin looking for work; idle Ms sleep on a futex (timed only when a
 * timer is pending), so an idle runtime uses no CPU. sched.lock is held
 * where a function says so.
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
#include <sys/prctl.h>

static __thread M *tls_m;

/* Never inlined, never treated as pure: after any switch the goroutine may
 * run on another thread, and a cached TLS address would be the old one's. */
__attribute__((noinline)) M *goro__getm(void)
{
    __asm__ volatile("" ::: "memory");
    return tls_m;
}

G *goro__getg(void)
{
    M *m = goro__getm();
    return m ? m->curg : NULL;
}

uint64_t goro__curg_id(void)
{
    M *m = goro__getm();
    return m && m->curg ? m->curg->id : 0;
}

int goro__curm_id(void)
{
    M *m = goro__getm();
    return m ? m->id : -1;
}

/* ------------------------------------------------------------------ */
/* Ps and Ms (sched.lock held unless noted)                            */

void goro__pidle_put(P *p)
{
    GORO_ASSERT(goro__runq_empty(p), "P %d goes idle with goroutines queued", p->id);
    atomic_store_explicit(&p->status, P_IDLE, memory_order_relaxed);
    p->m = NULL;
    p->link = goro__S.pidle;
    goro__S.pidle = p;
    atomic_store_explicit(&goro__S.npidle, goro__S.npidle + 1, memory_order_seq_cst);
}

P *goro__pidle_get(void)
{
    P *p = goro__S.pidle;
    if (p) {
        goro__S.pidle = p->link;
        atomic_store_explicit(&goro__S.npidle, goro__S.npidle - 1, memory_order_seq_cst);
        atomic_store_explicit(&p->status, P_RUNNING, memory_order_relaxed);
        goro__sysmon_wake();   /* the runtime is no longer idle */
    }
    return p;
}

/* Binds p to m, which holds none (Go's acquirep). */
void goro__acquirep(M *m, P *p)
{
    GORO_ASSERT(m->p == NULL, "acquirep: m->p %p", (void *)m->p);
    m->p = p;
    p->m = m;
}

/* Unbinds m's P from m and returns it (Go's releasep). */
P *goro__releasep(M *m)
{
    GORO_ASSERT(m->p && m->p->m == m, "releasep: m->p %p", (void *)m->p);
    P *p = m->p;
    m->p = NULL;
    p->m = NULL;
    return p;
}

/* Takes an idle P (and sched.lock to do so) and binds it to m, which
 * holds none; NULL when no P is idle. */
P *goro__acquirep_idle(M *m)
{
    goro__lock_acquire(&goro__S.lock);
    P *p = goro__pidle_get();
    goro__lock_release(&goro__S.lock);
    if (p)
        goro__acquirep(m, p);
    return p;
}

/* A new P record (kept for good, reused if GOMAXPROCS shrinks and grows
 * again), or NULL when out of memory. */
P *goro__p_new(int id)
{
    P *p = goro__calloc_pool(1, sizeof *p);
    if (!p)
        return NULL;
    p->id = id;
    goro__lock_init(&p->timers_lock, TIMERS);
    p->rng = 0x853c49e6748fea9bull * (uint64_t)(id + 1);
    return p;
}

/* p's queued goroutines go to the global queue, where any M finds them:
 * a P that nobody runs (idle or retired) holds none, since thieves and
 * idle Ms never look in an idle P's queue (sched.lock held). */
static void runq_to_global(P *p)
{
    bool inh;
    G *g;
    while ((g = runq_get(p, &inh)) != NULL)
        goro__runq_put_global(g, g, 1);
}

/* Retires p (its id is beyond GOMAXPROCS now): its queued goroutines go to
 * the global queue and its timers to P 0. */
void goro__p_retire(P *p)
{
    runq_to_global(p);
    atomic_store_explicit(&p->status, P_DEAD, memory_order_relaxed);
    p->m = NULL;
    goro__timers_move(p, atomic_load_explicit(&goro__S.allp[0], memory_order_relaxed));
}

static void m_post(M *m)
{
    atomic_store_explicit(&m->park, 1, memory_order_release);
    goro__futex_wake(&m->park, 1);
}

static void *m_main(void *arg);

bool goro__m_available(void)
{
    return __atomic_load_n(&goro__S.midle, __ATOMIC_RELAXED) != NULL ||
           __atomic_load_n(&goro__S.mcount, __ATOMIC_RELAXED) < goro__S.maxthreads;
}

/* No M could be had for p (thread cap, or the system refused a thread):
 * p's queued goroutines go to the global queue and p to the idle list,
 * where an M coming back from a syscall or out of the poller finds them;
 * the poller is woken to take them now, and a sleeping sysmon, which
 * hands global work to an M that went idle meanwhile (sysmon.c,
 * stranded_work). Left in p's own queue they were invisible to the Ms
 * still running: thieves skip idle Ps, and a spinner that saw them kept
 * taking another idle P, forever. */
static void startm_failed(P *p, bool spinning)
{
    if (goro__p_retired(p)) {
        goro__p_retire(p);
    } else {
        runq_to_global(p);
        goro__pidle_put(p);
    }
    goro__sysmon_wake();
    goro__lock_release(&goro__S.lock);
    if (spinning)
        atomic_fetch_sub(&goro__S.nmspinning, 1);
    if (atomic_load(&goro__S.poll_blocked))
        goro__netpoll_break();
}

/* 1 if the calling M cannot run a P itself: it is on g0 about to end
 * (its wired goroutine ended) or to wait for its wired goroutine. */
static int newm_self_unavailable(void)
{
    M *self = goro__getm();
    return self && !self->curg && (self->exiting || self->lockedg) ? 1 : 0;
}

/* Creates the thread of a new M for p (counted in mcount already): 0, or
 * the error (ENOMEM for the M, or pthread_create's). Both steps are
 * fault-injectable. A failure is retried with a backoff (about 25 ms in
 * all) only while no other M could ever run p, since then nothing would
 * run the goroutines and startm reports it as fatal; otherwise it is
 * returned at once and p waits on the idle list for an M to come back or
 * a later startm (Go aborts on a failed thread creation; goro makes do
 * with the threads it has). */
static int newm(P *p, bool spinning)
{
    goro__fork_check(NULL, NULL, 0);
    long backoff_ns = 100000;
    for (int tries = 1;; tries++) {
        int rc = ENOMEM;
        M *m = goro__calloc_pool(1, sizeof *m);
        if (m) {
            m->nextp = p;
            m->spinning = spinning;
            m->rng = goro__fastrand() | 1;
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            rc = goro__thread_create(&m->thread, &attr, m_main, m);
            pthread_attr_destroy(&attr);
            if (rc == 0)
                return 0;
            free(m);
        }
        if (tries == 8 ||
            __atomic_load_n(&goro__S.mcount, __ATOMIC_RELAXED) - 1 - newm_self_unavailable() > 0)
            return rc;
        struct timespec ts = { 0, backoff_ns };
        nanosleep(&ts, NULL);
        backoff_ns *= 2;
    }
}

/* Starts (or wakes) an M to run p. Called without sched.lock. At most
 * goro__S.maxthreads Ms are ever alive (GOROMAXTHREADS): beyond that, p waits
 * on the idle list for an M to come back. */
static void startm(P *p, bool spinning)
{
    goro__lock_acquire(&goro__S.lock);
    if (!p) {
        p = goro__pidle_get();
        if (!p) {
            goro__lock_release(&goro__S.lock);
            if (spinning)
                atomic_fetch_sub(&goro__S.nmspinning, 1);
            return;
        }
    }
    M *m = goro__S.midle;
    if (m) {
        goro__S.midle = m->schedlink;
        __atomic_store_n(&goro__S.nmidle, goro__S.nmidle - 1, __ATOMIC_RELAXED);
        m->schedlink = NULL;
    } else {
        if (goro__S.mcount >= goro__S.maxthreads) {
            startm_failed(p, spinning);
            return;
        }
        __atomic_store_n(&goro__S.mcount, goro__S.mcount + 1, __ATOMIC_RELAXED);
    }
    p->m = m;    /* NULL for a new M: set by the M itself */
    atomic_store_explicit(&p->status, P_RUNNING, memory_order_relaxed);
    goro__lock_release(&goro__S.lock);

    if (m) {
        m->nextp = p;
        m->spinning = spinning;
        m_post(m);
        return;
    }
    goro__sysmon_start();   /* with the first M (retried with later ones) */
    int rc = newm(p, spinning);
    if (rc != 0) {
        goro__lock_acquire(&goro__S.lock);
        __atomic_store_n(&goro__S.mcount, goro__S.mcount - 1, __ATOMIC_RELAXED);
        if (goro__S.mcount - newm_self_unavailable() <= 0)
            GORO_FATAL("cannot create a thread to run goroutines: %s", strerror(rc));
        startm_failed(p, spinning);
    }
}

void goro__wakep(void)
{
    if (atomic_load_explicit(&goro__S.npidle, memory_order_seq_cst) == 0)
        return;
    if (atomic_load_explicit(&goro__S.nmspinning, memory_order_seq_cst) != 0)
        return;
    int z = 0;
    if (!atomic_compare_exchange_strong(&goro__S.nmspinning, &z, 1))
        return;
    startm(NULL, true);
}

/* The M gives up p: to another M if there is work, else to the idle list. */
void goro__handoffp(P *p)
{
    GORO_TRACE(ev(GORO_TR_HANDOFF, p->id, 0, 0, 0, 0));
    if (!goro__runq_empty(p) || atomic_load(&goro__S.runq_size) > 0) {
        startm(p, false);
        return;
    }
    if (atomic_load(&goro__S.nmspinning) + atomic_load(&goro__S.npidle) == 0) {
        int z = 0;
        if (atomic_compare_exchange_strong(&goro__S.nmspinning, &z, 1)) {
            startm(p, true);
            return;
        }
    }
    goro__lock_acquire(&goro__S.lock);
    if (goro__p_retired(p))
        goro__p_retire(p);
    else if (goro__S.runq_size > 0) {
        goro__lock_release(&goro__S.lock);
        startm(p, false);
        return;
    } else
        goro__pidle_put(p);
    goro__lock_release(&goro__S.lock);
    /* p's timers now wait on an idle P: make sure someone watches them. */
    if (atomic_load_explicit(&p->timer0, memory_order_relaxed) != 0)
        goro__wakep();
}

/* Sleeps until posted (with nextp set) or until `until` (0: no deadline).
 * Returns with m->p set, or NULL p after a timeout. sched.lock not held. */
void goro__stopm(M *m, int64_t until)
{
    goro__lock_acquire(&goro__S.lock);
    m->schedlink = goro__S.midle;
    goro__S.midle = m;
    __atomic_store_n(&goro__S.nmidle, goro__S.nmidle + 1, __ATOMIC_RELAXED);
    if (!until && goro__S.nmidle == goro__S.mcount)
        goro__checkdead_locked();   /* the last M goes idle with no timer */
    goro__lock_release(&goro__S.lock);
    for (;;) {
        if (atomic_exchange_explicit(&m->park, 0, memory_order_acquire))
            break;
        goro__futex_wait(&m->park, 0, until ? until : INT64_MAX);
        if (atomic_exchange_explicit(&m->park, 0, memory_order_acquire))
            break;
        if (until && goro__nanotime() >= until) {
            /* Timed out: leave the idle list unless a post is racing in. */
            goro__lock_acquire(&goro__S.lock);
            bool listed = false;
            for (M **pp = &goro__S.midle; *pp; pp = &(*pp)->schedlink)
                if (*pp == m) {
                    *pp = m->schedlink;
                    __atomic_store_n(&goro__S.nmidle, goro__S.nmidle - 1, __ATOMIC_RELAXED);
                    listed = true;
                    break;
                }
            goro__lock_release(&goro__S.lock);
            if (listed) {
                m->nextp = NULL;
                return;
            }
            until = 0;   /* a post is on its way */
        }
    }
    goro__acquirep(m, m->nextp);
    m->nextp = NULL;
}

/* A timer due at `when` was added: if the M watching timers sleeps past
 * it, get an M to look again (it recomputes its deadline). A timer added
 * on a running P is seen by that P's M; one added from a plain thread
 * (to P 0) also needs an M when nobody watches timers at all. */
void goro__timer_added(int64_t when, bool on_p)
{
    atomic_thread_fence(memory_order_seq_cst);   /* pairs with goro__find_runnable's */
    /* An M blocked in the netpoller past `when`: break it; it recomputes
     * its deadline (it is the timer watcher then, or takes a P). */
    if (atomic_load_explicit(&goro__S.poll_blocked, memory_order_seq_cst) &&
        when < atomic_load_explicit(&goro__S.poll_until, memory_order_seq_cst)) {
        goro__netpoll_break();
        return;
    }
    int64_t su = atomic_load_explicit(&goro__S.timer_sleep_until, memory_order_seq_cst);
    if ((su != 0 && when < su) || (su == 0 && !on_p))
        goro__wakep();
}


/* Wired M: give the P away and sleep until our goroutine is handed back. */
void goro__stoplockedm(M *m)
{
    if (m->p)   /* none after our goroutine queued itself (goro__acquire_p_slow) */
        goro__handoffp(goro__releasep(m));
    for (;;) {
        if (atomic_exchange_explicit(&m->park, 0, memory_order_acquire))
            break;
        goro__futex_wait(&m->park, 0, INT64_MAX);
    }
    goro__acquirep(m, m->nextp);
    m->nextp = NULL;
}

/* m picked g, which is wired to another M: hand it our P and g. */
void goro__startlockedm(M *m, G *g)
{
    M *lm = g->lockedm;
    P *p = m->p;
    m->p = NULL;
    p->m = lm;
    lm->nextp = p;
    m_post(lm);
}
static void m_init_thread(M *m)
{
    /* A write to a broken pipe from a goroutine fails with EPIPE instead
     * of killing the process (Go does the same for fds other than 1 and
     * 2): the signal stays pending, blocked, on this thread. */
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &ss, NULL);
    pthread_setname_np(pthread_self(), "goro-m");
    tls_m = m;
    m->tid = gettid();
    /* Timed sleeps (the earliest timer) end on time, not up to the
     * default 50 us of timer slack later. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    atomic_store_explicit(&m->in_rt, 1, memory_order_relaxed);   /* g0 is runtime code */
    goro__stack_thread_init(m);
#if GORO_ASAN
    pthread_attr_t a;
    void *lo;
    size_t sz;
    pthread_getattr_np(pthread_self(), &a);
    pthread_attr_getstack(&a, &lo, &sz);
    pthread_attr_destroy(&a);
    m->g0_stack_lo = lo;
    m->g0_stack_size = sz;
#endif
#if GORO_TSAN
    m->tsan_fiber = __tsan_get_current_fiber();
#endif
    /* The thread's TLS (errno included) was set up on this context:
     * goroutines that run here later acquire errno from it. */
    san_release(&errno);
    san_ignore_begin();   /* the scheduler context is runtime code only */
}

static void *m_main(void *arg)
{
    M *m = arg;
    m_init_thread(m);
    goro__lock_acquire(&goro__S.lock);
    m->id = goro__S.mcount;
    goro__lock_release(&goro__S.lock);
    goro__acquirep(m, m->nextp);
    m->nextp = NULL;
    goro__m_schedule(m);
    san_ignore_end();
    /* A wired goroutine ended: the thread ends with it. */
    goro__lock_acquire(&goro__S.lock);
    __atomic_store_n(&goro__S.mcount, goro__S.mcount - 1, __ATOMIC_RELAXED);
    goro__lock_release(&goro__S.lock);
    free(m->altstack);
    free(m);
    return NULL;
}
