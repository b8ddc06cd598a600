/*
 * sched.c: the G/M/P scheduler (Go's design, docs/hacking.md).
 *
 * Each P has a 256-slot single-producer/multi-consumer ring plus a runnext
 * slot; a global queue under sched.lock is checked 1 schedule in 61; Ms
 * without local work steal half of a victim's ring; at most half the busy
 * Ps' worth of Ms spin looking for work; idle Ms sleep on a futex (timed
 * only when a timer is pending), so an idle runtime uses no CPU.
 *
 * Switching. A goroutine that stops (park, yield, exit) picks its successor
 * itself and switches straight to it; only when there is none, or when
 * thread affinity (lock_os_thread) or a retiring P is involved, does it
 * switch to its M's scheduler context (g0: the thread's own stack), which
 * steals, runs timers and sleeps. Whatever must happen to the goroutine
 * switched away from (requeue it, publish that it is off-CPU, free its
 * stack) is done by the side that resumes, in goro__finish_switch, once no
 * code runs on that stack any more.
 *
 * No lost wakeups: work is published (run queue, global queue) before
 * nmspinning/npidle are read with a full fence; a spinning M going idle
 * decrements nmspinning, fences, then rescans every queue (Go's protocol).
 *
 * Blocking calls and hogs. goro_syscall_begin/end (at the end of this
 * file) leave and take back the P with one store and one CAS (P_SYSCALL);
 * sysmon.c retakes Ps from blocking calls and from goroutines that run
 * past their slice. An M may thus lose its P while its goroutine runs its
 * own code: every use of m->p on a goroutine's stack sits in a
 * goro__rt_enter/exit bracket (internal.h), which notices the loss first,
 * and code without a P falls back to the global queue (ready, newproc),
 * parks through g0, or takes a P before going on (acquire_p_slow, which
 * queues the goroutine and parks the M when none is free). The handshake
 * with sysmon is in sysmon.c's header.
 *
 * Netpoller. An M that runs out of work polls (netpoll.c) without
 * blocking; one about to sleep while goroutines wait on fds blocks in the
 * poller instead, one M at a time, until the earliest timer.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "san.h"
#include "arch/arch.h"

goro__sched goro__S;
#define S goro__S

static __thread M *tls_m;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int ncpu;

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

_Noreturn void goro__fatal(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    char buf[512];
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "fatal error: %s\n\tat %s:%d\n", buf, file, line);
    fflush(stderr);
    goro__trace_write_self(2);
    abort();
}

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

/* errno is per thread, so goroutines sharing a thread take turns in it:
 * under TSan the turns are happens-before edges on its address. */
__attribute__((noinline)) static void errno_restore(int v)
{
    __asm__ volatile("" ::: "memory");
    san_acquire(&errno);
    errno = v;
}

static inline void errno_save(G *g)
{
    g->saved_errno = errno;
    san_release(&errno);
}

static inline uint64_t rng_next(uint64_t *s)
{
    /* wyrand */
    *s += 0xa0761d6478bd642full;
    __uint128_t t = (__uint128_t)*s * (*s ^ 0xe7037ed1a0b428dbull);
    return (uint64_t)(t >> 64) ^ (uint64_t)t;
}

uint64_t goro__fastrand(void)
{
    M *m = goro__getm();
    if (m)
        return rng_next(&m->rng);
    static _Atomic uint64_t seed = 0x9e3779b97f4a7c15ull;
    uint64_t s = atomic_fetch_add_explicit(&seed, 0x9e3779b97f4a7c15ull,
                                           memory_order_relaxed);
    return rng_next(&s);
}

/* ------------------------------------------------------------------ */
/* Local run queue                                                     */

/* Moves half of p's ring plus g to the global queue (ring full). */
static bool runq_put_slow(P *p, G *g, uint32_t h, uint32_t t)
{
    enum { N = GORO_RUNQ_SIZE / 2 };
    G *batch[N + 1];
    uint32_t n = (t - h) / 2;
    if (n != N)
        GORO_FATAL("runq_put_slow: queue is not full");
    for (uint32_t i = 0; i < n; i++)
        batch[i] = atomic_load_explicit(&p->runq[(h + i) % GORO_RUNQ_SIZE],
                                        memory_order_relaxed);
    if (!atomic_compare_exchange_strong_explicit(&p->runq_head, &h, h + n,
            memory_order_release, memory_order_relaxed))
        return false;
    batch[n] = g;
    for (uint32_t i = 0; i < n; i++)
        batch[i]->schedlink = batch[i + 1];
    goro__lock_acquire(&S.lock);
    goro__runq_put_global(batch[0], batch[n], (int)n + 1);
    goro__lock_release(&S.lock);
    return true;
}

/* Owner only. next: g goes to runnext and the G it displaces to the tail.
 * Returns true when g was published by the (seq_cst) runnext exchange
 * alone, so a following seq_cst load needs no extra fence (see wake_after). */
static bool runq_put(P *p, G *g, bool next)
{
    if (next) {
        G *old = atomic_exchange_explicit(&p->runnext, g, memory_order_seq_cst);
        if (!old)
            return true;
        g = old;
    }
    for (;;) {
        uint32_t h = atomic_load_explicit(&p->runq_head, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&p->runq_tail, memory_order_relaxed);
        if (t - h < GORO_RUNQ_SIZE) {
            atomic_store_explicit(&p->runq[t % GORO_RUNQ_SIZE], g, memory_order_relaxed);
            atomic_store_explicit(&p->runq_tail, t + 1, memory_order_release);
            return false;
        }
        if (runq_put_slow(p, g, h, t))
            return false;
    }
}

/* Work was just published (by a seq_cst RMW if `fenced`): make sure an M
 * will look at it. The StoreLoad order between publishing and reading
 * npidle/nmspinning pairs with the fence a spinning M takes between
 * dropping nmspinning and rescanning the queues. */
static inline void wake_after(bool fenced)
{
    if (!fenced)
        atomic_thread_fence(memory_order_seq_cst);
    goro__wakep();
}

/* Owner only. *inherit: g came from runnext and shares the current slice. */
static G *runq_get(P *p, bool *inherit)
{
    G *g = atomic_load_explicit(&p->runnext, memory_order_relaxed);
    if (g && atomic_compare_exchange_strong_explicit(&p->runnext, &g, NULL,
                 memory_order_acquire, memory_order_relaxed)) {
        *inherit = true;
        return g;
    }
    *inherit = false;
    for (;;) {
        uint32_t h = atomic_load_explicit(&p->runq_head, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&p->runq_tail, memory_order_relaxed);
        if (t == h)
            return NULL;
        g = atomic_load_explicit(&p->runq[h % GORO_RUNQ_SIZE], memory_order_relaxed);
        if (atomic_compare_exchange_weak_explicit(&p->runq_head, &h, h + 1,
                memory_order_release, memory_order_relaxed))
            return g;
    }
}

bool goro__runq_empty(P *p)
{
    for (;;) {
        uint32_t h = atomic_load_explicit(&p->runq_head, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&p->runq_tail, memory_order_acquire);
        G *n = atomic_load_explicit(&p->runnext, memory_order_acquire);
        if (t == atomic_load_explicit(&p->runq_tail, memory_order_acquire))
            return h == t && n == NULL;
    }
}

/* Thief: copies half of victim's ring into batch (ring of p at offset
 * `at`); returns how many. May take runnext when allowed. */
static uint32_t runq_grab(P *victim, G **dst, bool steal_next)
{
    for (;;) {
        uint32_t h = atomic_load_explicit(&victim->runq_head, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&victim->runq_tail, memory_order_acquire);
        uint32_t n = t - h;
        n = n - n / 2;
        if (n == 0) {
            if (steal_next) {
                G *g = atomic_load_explicit(&victim->runnext, memory_order_relaxed);
                if (g) {
                    /* Let a running victim take its own runnext first: it is
                     * usually about to (a woken partner). */
                    if (atomic_load_explicit(&victim->status, memory_order_relaxed) == P_RUNNING)
                        usleep(3);
                    if (atomic_compare_exchange_strong_explicit(&victim->runnext, &g, NULL,
                            memory_order_acquire, memory_order_relaxed)) {
                        dst[0] = g;
                        return 1;
                    }
                }
            }
            return 0;
        }
        if (n > GORO_RUNQ_SIZE / 2)
            continue;   /* torn read of head/tail */
        for (uint32_t i = 0; i < n; i++)
            dst[i] = atomic_load_explicit(&victim->runq[(h + i) % GORO_RUNQ_SIZE],
                                          memory_order_relaxed);
        if (atomic_compare_exchange_strong_explicit(&victim->runq_head, &h, h + n,
                memory_order_release, memory_order_relaxed))
            return n;
    }
}

/* Steals into p's ring; returns one G to run now, or NULL. */
static G *runq_steal(P *p, P *victim, bool steal_next)
{
    G *batch[GORO_RUNQ_SIZE / 2];
    uint32_t n = runq_grab(victim, batch, steal_next);
    if (n == 0)
        return NULL;
    atomic_store_explicit(&p->nsteals,
        atomic_load_explicit(&p->nsteals, memory_order_relaxed) + 1, memory_order_relaxed);
    G *g = batch[--n];
    if (n == 0)
        return g;
    uint32_t t = atomic_load_explicit(&p->runq_tail, memory_order_relaxed);
    for (uint32_t i = 0; i < n; i++)
        atomic_store_explicit(&p->runq[(t + i) % GORO_RUNQ_SIZE], batch[i],
                              memory_order_relaxed);
    atomic_store_explicit(&p->runq_tail, t + n, memory_order_release);
    return g;
}

/* ------------------------------------------------------------------ */
/* Global queue (sched.lock held)                                      */

void goro__runq_put_global(G *head, G *tail, int n)
{
    tail->schedlink = NULL;
    if (S.runq_tail)
        S.runq_tail->schedlink = head;
    else
        S.runq_head = head;
    S.runq_tail = tail;
    atomic_store_explicit(&S.runq_size, S.runq_size + n, memory_order_relaxed);
}

/* g goes before everything queued: it holds what the others wait for. */
static void globrunq_push_head(G *g)
{
    g->schedlink = S.runq_head;
    S.runq_head = g;
    if (!S.runq_tail)
        S.runq_tail = g;
    atomic_store_explicit(&S.runq_size, S.runq_size + 1, memory_order_relaxed);
}

/* Takes a batch for p: returns one G, moves up to `max` more to p's ring. */
static G *globrunq_get(P *p, int max)
{
    int size = atomic_load_explicit(&S.runq_size, memory_order_relaxed);
    if (size == 0)
        return NULL;
    int np = atomic_load_explicit(&S.nprocs, memory_order_relaxed);
    int n = size / np + 1;
    if (n > size)
        n = size;
    if (max > 0 && n > max)
        n = max;
    if (n > (int)GORO_RUNQ_SIZE / 2)
        n = GORO_RUNQ_SIZE / 2;
    atomic_store_explicit(&S.runq_size, size - n, memory_order_relaxed);
    G *g = S.runq_head;
    S.runq_head = g->schedlink;
    if (!S.runq_head)
        S.runq_tail = NULL;
    for (int i = 1; i < n; i++) {
        G *x = S.runq_head;
        S.runq_head = x->schedlink;
        if (!S.runq_head)
            S.runq_tail = NULL;
        runq_put(p, x, false);
    }
    return g;
}

static G *globrunq_get_locked_maybe(P *p, int max)
{
    if (atomic_load_explicit(&S.runq_size, memory_order_relaxed) == 0)
        return NULL;
    goro__lock_acquire(&S.lock);
    G *g = globrunq_get(p, max);
    goro__lock_release(&S.lock);
    return g;
}

/* ------------------------------------------------------------------ */
/* Ps and Ms (sched.lock held unless noted)                            */

static void pidle_put(P *p)
{
    atomic_store_explicit(&p->status, P_IDLE, memory_order_relaxed);
    p->m = NULL;
    p->link = S.pidle;
    S.pidle = p;
    atomic_store_explicit(&S.npidle, S.npidle + 1, memory_order_seq_cst);
}

static P *pidle_get(void)
{
    P *p = S.pidle;
    if (p) {
        S.pidle = p->link;
        atomic_store_explicit(&S.npidle, S.npidle - 1, memory_order_seq_cst);
        atomic_store_explicit(&p->status, P_RUNNING, memory_order_relaxed);
        if (S.sysmon_wait)
            goro__sysmon_wake();   /* the runtime is no longer idle */
    }
    return p;
}

/* A new P record (kept for good, reused if GOMAXPROCS shrinks and grows
 * again), or NULL when out of memory. */
static P *p_new(int id)
{
    P *p = goro__calloc_pool(1, sizeof *p);
    if (!p)
        return NULL;
    p->id = id;
    p->rng = 0x853c49e6748fea9bull * (uint64_t)(id + 1);
    return p;
}

/* Retires p (its id is beyond GOMAXPROCS now): its queued goroutines go to
 * the global queue and its timers to P 0. */
static void p_retire(P *p)
{
    bool inh;
    G *g;
    while ((g = runq_get(p, &inh)) != NULL)
        goro__runq_put_global(g, g, 1);
    atomic_store_explicit(&p->status, P_DEAD, memory_order_relaxed);
    p->m = NULL;
    goro__timers_move(p, atomic_load_explicit(&S.allp[0], memory_order_relaxed));
}

static bool p_retired(P *p)
{
    return p->id >= atomic_load_explicit(&S.nprocs, memory_order_relaxed);
}

static void m_post(M *m)
{
    atomic_store_explicit(&m->park, 1, memory_order_release);
    goro__futex_wake(&m->park, 1);
}

static void *m_main(void *arg);

bool goro__m_available(void)
{
    return __atomic_load_n(&S.midle, __ATOMIC_RELAXED) != NULL ||
           __atomic_load_n(&S.mcount, __ATOMIC_RELAXED) < S.maxthreads;
}

/* No M could be had for p (thread cap, or the system refused a thread):
 * p goes back to the idle list, where an M coming back from a syscall or
 * out of the poller finds it; the poller is woken to take it now, and a
 * sleeping sysmon, which hands work left queued behind idle Ps to an M
 * that went idle meanwhile (sysmon.c, stranded_work). */
static void startm_failed(P *p, bool spinning)
{
    if (p_retired(p))
        p_retire(p);
    else
        pidle_put(p);
    if (S.sysmon_wait)
        goro__sysmon_wake();
    goro__lock_release(&S.lock);
    if (spinning)
        atomic_fetch_sub(&S.nmspinning, 1);
    if (atomic_load(&S.poll_blocked))
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
            __atomic_load_n(&S.mcount, __ATOMIC_RELAXED) - 1 - newm_self_unavailable() > 0)
            return rc;
        struct timespec ts = { 0, backoff_ns };
        nanosleep(&ts, NULL);
        backoff_ns *= 2;
    }
}

/* Starts (or wakes) an M to run p. Called without sched.lock. At most
 * S.maxthreads Ms are ever alive (GOROMAXTHREADS): beyond that, p waits
 * on the idle list for an M to come back. */
static void startm(P *p, bool spinning)
{
    goro__lock_acquire(&S.lock);
    if (!p) {
        p = pidle_get();
        if (!p) {
            goro__lock_release(&S.lock);
            if (spinning)
                atomic_fetch_sub(&S.nmspinning, 1);
            return;
        }
    }
    M *m = S.midle;
    if (m) {
        S.midle = m->schedlink;
        __atomic_store_n(&S.nmidle, S.nmidle - 1, __ATOMIC_RELAXED);
        m->schedlink = NULL;
    } else {
        if (S.mcount >= S.maxthreads) {
            startm_failed(p, spinning);
            return;
        }
        __atomic_store_n(&S.mcount, S.mcount + 1, __ATOMIC_RELAXED);
    }
    p->m = m;    /* NULL for a new M: set by the M itself */
    atomic_store_explicit(&p->status, P_RUNNING, memory_order_relaxed);
    goro__lock_release(&S.lock);

    if (m) {
        m->nextp = p;
        m->spinning = spinning;
        m_post(m);
        return;
    }
    goro__sysmon_start();   /* with the first M (retried with later ones) */
    int rc = newm(p, spinning);
    if (rc != 0) {
        goro__lock_acquire(&S.lock);
        __atomic_store_n(&S.mcount, S.mcount - 1, __ATOMIC_RELAXED);
        if (S.mcount - newm_self_unavailable() <= 0)
            GORO_FATAL("cannot create a thread to run goroutines: %s", strerror(rc));
        startm_failed(p, spinning);
    }
}

void goro__wakep(void)
{
    if (atomic_load_explicit(&S.npidle, memory_order_seq_cst) == 0)
        return;
    if (atomic_load_explicit(&S.nmspinning, memory_order_seq_cst) != 0)
        return;
    int z = 0;
    if (!atomic_compare_exchange_strong(&S.nmspinning, &z, 1))
        return;
    startm(NULL, true);
}

/* The M gives up p: to another M if there is work, else to the idle list. */
void goro__handoffp(P *p)
{
    if (!goro__runq_empty(p) || atomic_load(&S.runq_size) > 0) {
        startm(p, false);
        return;
    }
    if (atomic_load(&S.nmspinning) + atomic_load(&S.npidle) == 0) {
        int z = 0;
        if (atomic_compare_exchange_strong(&S.nmspinning, &z, 1)) {
            startm(p, true);
            return;
        }
    }
    goro__lock_acquire(&S.lock);
    if (p_retired(p))
        p_retire(p);
    else if (S.runq_size > 0) {
        goro__lock_release(&S.lock);
        startm(p, false);
        return;
    } else
        pidle_put(p);
    goro__lock_release(&S.lock);
    /* p's timers now wait on an idle P: make sure someone watches them. */
    if (atomic_load_explicit(&p->timer0, memory_order_relaxed) != 0)
        goro__wakep();
}

/* Sleeps until posted (with nextp set) or until `until` (0: no deadline).
 * Returns with m->p set, or NULL p after a timeout. sched.lock not held. */
static void stopm(M *m, int64_t until)
{
    goro__lock_acquire(&S.lock);
    m->schedlink = S.midle;
    S.midle = m;
    __atomic_store_n(&S.nmidle, S.nmidle + 1, __ATOMIC_RELAXED);
    if (!until && S.nmidle == S.mcount)
        goro__checkdead_locked();   /* the last M goes idle with no timer */
    goro__lock_release(&S.lock);
    for (;;) {
        if (atomic_exchange_explicit(&m->park, 0, memory_order_acquire))
            break;
        goro__futex_wait(&m->park, 0, until ? until : INT64_MAX);
        if (atomic_exchange_explicit(&m->park, 0, memory_order_acquire))
            break;
        if (until && goro__nanotime() >= until) {
            /* Timed out: leave the idle list unless a post is racing in. */
            goro__lock_acquire(&S.lock);
            bool listed = false;
            for (M **pp = &S.midle; *pp; pp = &(*pp)->schedlink)
                if (*pp == m) {
                    *pp = m->schedlink;
                    __atomic_store_n(&S.nmidle, S.nmidle - 1, __ATOMIC_RELAXED);
                    listed = true;
                    break;
                }
            goro__lock_release(&S.lock);
            if (listed) {
                m->nextp = NULL;
                return;
            }
            until = 0;   /* a post is on its way */
        }
    }
    m->p = m->nextp;
    m->nextp = NULL;
    m->p->m = m;
}

/* A timer due at `when` was added: if the M watching timers sleeps past
 * it, get an M to look again (it recomputes its deadline). A timer added
 * on a running P is seen by that P's M; one added from a plain thread
 * (to P 0) also needs an M when nobody watches timers at all. */
void goro__timer_added(int64_t when, bool on_p)
{
    atomic_thread_fence(memory_order_seq_cst);   /* pairs with find_runnable's */
    /* An M blocked in the netpoller past `when`: break it; it recomputes
     * its deadline (it is the timer watcher then, or takes a P). */
    if (atomic_load_explicit(&S.poll_blocked, memory_order_seq_cst) &&
        when < atomic_load_explicit(&S.poll_until, memory_order_seq_cst)) {
        goro__netpoll_break();
        return;
    }
    int64_t su = atomic_load_explicit(&S.timer_sleep_until, memory_order_seq_cst);
    if ((su != 0 && when < su) || (su == 0 && !on_p))
        goro__wakep();
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

static void g_free(P *p, G *g);

/* Runs on the resumed side of every switch: completes what the previous
 * goroutine asked for, now that nothing runs on its stack. */
static inline void finish_switch(M *m)
{
    G *prev = m->prev;
    if (!prev)
        return;
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
        g_free(m->p, prev);
        break;
    case SW_REQUEUE:
        /* It found no P (see acquire_p_slow): on the global queue, for
         * whichever M with a P comes next, its status kept as a yield's. */
        atomic_store_explicit(&prev->on_cpu, 0, memory_order_release);
        goro__lock_acquire(&S.lock);
        goro__runq_put_global(prev, prev, 1);
        goro__lock_release(&S.lock);
        wake_after(false);
        break;
    }
}

static G *next_runnable_fast(M *m, P *p, bool *inherit);
static G *next_handoff(M *m, P *p, G *to, bool *inherit);
static void g_exit(M *m, G *g);
static M *acquire_p_slow(M *m, G *g);

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
 * caller checked that g can yield to it here) and switches to it directly
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
                m->p = p = op;
                op->m = m;
            }
        }
        if (!p && why != SW_PARK) {
            if (why == SW_YIELD)
                return acquire_p_slow(m, g);   /* queued globally: a yield */
            m = acquire_p_slow(m, g);
            p = m->p;
        }
    }
    errno_save(g);
    if (goro_unlikely(g->stack_flags) && !goro__stack_canary_ok(g))
        goro__stack_overflow(g);
    if (goro_likely(p && !g->lockedm && !m->exiting && !p_retired(p))) {
        next = to ? next_handoff(m, p, to, &inherit) : next_runnable_fast(m, p, &inherit);
        if (goro_unlikely(next == g)) {
            /* Our own wakeup (a due timer, say) arrived while parking. */
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
    errno_restore(g->saved_errno);
    return m;
}

/* On g's stack, in a runtime bracket, m holding no P: takes an idle P, or
 * else queues g on the global queue and parks this M (through g0, which
 * does the queueing in finish_switch once g is off its stack). Returns
 * the M g runs on now, holding a P. errno survives. Go's exitsyscall0. */
static M *acquire_p_slow(M *m, G *g)
{
    goro__lock_acquire(&S.lock);
    P *p = pidle_get();
    goro__lock_release(&S.lock);
    if (p) {
        m->p = p;
        p->m = m;
        return m;
    }
    errno_save(g);
    m->prev = g;
    m->prev_action = SW_REQUEUE;
    m->curg = NULL;
    san_switch_begin(m, g, NULL, false);
    m = goro__ctx_switch(&g->ctx, m->g0ctx, m);
    san_switch_end(m, g, false);
    finish_switch(m);
    errno_restore(g->saved_errno);
    return m;
}

static void g_exit(M *m, G *g)
{
    san_release(g);
    san_release(g->stack_lo);
    if (goro_unlikely(!m->p)) {
        m = acquire_p_slow(m, g);   /* g_free needs a P's caches */
        g = m->curg;
    }
    atomic_store_explicit(&g->status, G_DEAD, memory_order_relaxed);
    g_switch_out(m, g, SW_EXIT, NULL);
    __builtin_unreachable();
}

/* The owner saw p->preempt (sysmon: the slice is over): the runnext
 * goroutine goes to the tail, so the global queue's head, else the local
 * queue's, runs next, on a slice of its own. */
static void runq_kick_runnext(P *p)
{
    atomic_store_explicit(&p->preempt, 0, memory_order_relaxed);
    G *g = atomic_load_explicit(&p->runnext, memory_order_relaxed);
    if (g && atomic_compare_exchange_strong_explicit(&p->runnext, &g, NULL,
                 memory_order_acquire, memory_order_relaxed))
        runq_put(p, g, false);
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
        runq_kick_runnext(p);
        slice_over = true;
    }
    if (goro_unlikely(slice_over ||
            atomic_load_explicit(&p->schedtick, memory_order_relaxed) % GORO_GLOBAL_EVERY == 0) &&
        atomic_load_explicit(&S.runq_size, memory_order_relaxed) > 0) {
        G *g = globrunq_get_locked_maybe(p, 1);
        if (g) {
            *inherit = false;
            return g;
        }
    }
    G *g = runq_get(p, inherit);
    if (g)
        return g;
    *inherit = false;
    return globrunq_get_locked_maybe(p, 0);
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
        runq_kick_runnext(p);
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
    if (p && !m->exiting) {
        fenced = runq_put(p, g, true);
    } else {
        goro__fork_check(NULL, NULL, 0);   /* from a plain thread */
        goro__lock_acquire(&S.lock);
        if (first)
            globrunq_push_head(g);
        else
            goro__runq_put_global(g, g, 1);
        goro__lock_release(&S.lock);
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
        if (p && !m->curg->lockedm && !m->exiting && !p_retired(p)) {
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
        if (p) {
            runq_put(p, g, false);
        } else {
            g->schedlink = NULL;
            if (tail)
                tail->schedlink = g;
            else
                head = g;
            tail = g;
            k++;
        }
    }
    if (k) {
        goro__fork_check(NULL, NULL, 0);   /* from a plain thread */
        goro__lock_acquire(&S.lock);
        goro__runq_put_global(head, tail, k);
        goro__lock_release(&S.lock);
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

/* ------------------------------------------------------------------ */
/* Blocking calls: goro_syscall_begin / goro_syscall_end (Go's          */
/* entersyscall / exitsyscall)                                         */

/* The fast path is a few plain stores and one CAS: begin leaves the P in
 * P_SYSCALL (m->oldp) without a lock; end takes it back with a CAS
 * P_SYSCALL -> P_RUNNING. If sysmon retook it meanwhile (CAS P_SYSCALL ->
 * P_IDLE, sysmon.c), end takes any idle P, or queues the goroutine
 * globally and parks the M (acquire_p_slow). Nesting counts; a plain
 * thread (or g0) has nothing to hand off. */
void goro_syscall_begin(void)
{
    SAN_RUNTIME_SCOPE;
    M *m = goro__getm();
    if (!m || !m->curg)
        return;
    G *g = m->curg;
    if (g->syscall_depth++)
        return;
    P *p = goro__rt_enter(m);
    if (p) {
        m->oldp = p;
        m->p = NULL;
        atomic_store_explicit(&p->syscalltick,
            atomic_load_explicit(&p->syscalltick, memory_order_relaxed) + 1, memory_order_relaxed);
        /* release: sysmon's CAS (acquire) then owns what we wrote to p */
        atomic_store_explicit(&p->status, P_SYSCALL, memory_order_release);
    }
    goro__rt_exit(m);
}

void goro_syscall_end(void)
{
    SAN_RUNTIME_SCOPE;
    M *m = goro__getm();
    if (!m || !m->curg)
        return;
    G *g = m->curg;
    if (g->syscall_depth == 0 || --g->syscall_depth)
        return;
    goro__rt_enter(m);
    P *p = m->oldp;
    m->oldp = NULL;
    int st = P_SYSCALL;
    if (goro_likely(p && atomic_compare_exchange_strong_explicit(&p->status, &st, P_RUNNING,
            memory_order_acquire, memory_order_relaxed))) {
        m->p = p;   /* p->m is still m */
    } else {
        m = acquire_p_slow(m, g);
    }
    goro__rt_exit(m);
}

/* goro__rt_enter found sysmon at work on this M's P (m->pstate): either
 * cancel its attempt (CAS TAKING -> OWNS: we keep the P), or learn that
 * the P is gone (LOST): from now on this M runs without one. */
void goro__rt_lost(M *m)
{
    /* A fork child's M comes here first thing: fork.c sets its pstate. */
    goro__fork_check(NULL, NULL, 0);
    uint32_t s = PS_TAKING;
    if (atomic_compare_exchange_strong_explicit(&m->pstate, &s, PS_OWNS,
            memory_order_acq_rel, memory_order_acquire))
        return;
    if (s != PS_LOST)
        return;   /* sysmon gave up by itself */
    m->p = NULL;
    atomic_store_explicit(&m->pstate, PS_OWNS, memory_order_relaxed);
}

/* ------------------------------------------------------------------ */
/* The scheduler context (g0)                                          */

static void reset_spinning(M *m)
{
    m->spinning = false;
    if (atomic_fetch_sub(&S.nmspinning, 1) == 1)
        goro__wakep();   /* we were the last spinner: recruit a successor */
}

/* Looks at every P's queue (after dropping the spinning count). */
static bool any_work(void)
{
    if (atomic_load(&S.runq_size) > 0)
        return true;
    int n = atomic_load(&S.nprocs);
    for (int i = 0; i < n; i++) {
        P *p = atomic_load(&S.allp[i]);
        if (p && !goro__runq_empty(p))
            return true;
    }
    return false;
}

/* Non-blocking netpoll (find_runnable with a P, sysmon without): the
 * goroutines it readies go to the caller's P, or the global queue. One
 * poller at a time, and none while an M blocks in the poller. */
static int poll_nonblocking(void)
{
    if (!goro__netpoll_pending() || atomic_load(&S.poll_blocked))
        return 0;
    uint32_t z = 0;
    if (!atomic_compare_exchange_strong(&S.poll_nb, &z, 1))
        return 0;
    G *gs[GORO_POLL_BATCH];
    int n = goro__netpoll(0, gs, GORO_POLL_BATCH);
    atomic_store_explicit(&S.poll_nb, 0, memory_order_release);
    if (n)
        goro__ready_list(gs, n);
    return n;
}

int goro__sched_poll(void)
{
    return poll_nonblocking();
}

/* m, holding no P, blocks in the poller if no other M does (Go's
 * lastpoll), until the earliest timer. It then takes an idle P if one is
 * free and queues the readied goroutines on it (else globally). Returns
 * false if another M is the poller. */
static bool poll_blocking(M *m)
{
    uint32_t z = 0;
    if (!atomic_compare_exchange_strong(&S.poll_blocked, &z, 1))
        return false;
    int64_t until = goro__timers_earliest();
    atomic_store(&S.poll_until, until ? until : INT64_MAX);
    /* A timer added before poll_blocked was visible: goro__timer_added
     * did not break us, so look again (seq_cst on both sides). */
    int64_t u2 = goro__timers_earliest();
    if (u2 && (!until || u2 < until)) {
        until = u2;
        atomic_store(&S.poll_until, until);
    }
    bool watcher = false;
    if (until) {
        int64_t su = atomic_load(&S.timer_sleep_until);
        if (su == 0 || until < su) {
            atomic_store(&S.timer_sleep_until, until);
            watcher = true;
        }
    }
    G *gs[GORO_POLL_BATCH];
    int n = goro__netpoll(until ? until : INT64_MAX, gs, GORO_POLL_BATCH);
    atomic_store(&S.poll_until, INT64_MAX);
    atomic_store(&S.poll_blocked, 0);
    if (watcher) {
        int64_t expect = until;
        atomic_compare_exchange_strong(&S.timer_sleep_until, &expect, 0);
    }
    if (n) {
        goro__lock_acquire(&S.lock);
        P *p = pidle_get();
        goro__lock_release(&S.lock);
        if (p) {
            m->p = p;
            p->m = m;
        }
        goro__ready_list(gs, n);
    }
    return true;
}

/* Finds a goroutine to run; returns with m->p held. May sleep. */
static G *find_runnable(M *m, bool *inherit)
{
top:
    *inherit = false;
    if (!m->p) {
        goro__lock_acquire(&S.lock);
        P *p = pidle_get();
        goro__lock_release(&S.lock);
        if (!p) {
            /* Never sleep counted as spinning (a retired P's spinner lands
             * here): goro__wakep would think someone still looks for work. */
            if (m->spinning) {
                m->spinning = false;
                atomic_fetch_sub(&S.nmspinning, 1);
                atomic_thread_fence(memory_order_seq_cst);
                if (any_work())
                    goro__wakep();
            }
            stopm(m, 0);
            goto top;
        }
        m->p = p;
        p->m = m;
    }
    P *p = m->p;
    if (p_retired(p)) {
        goro__lock_acquire(&S.lock);
        bool retired = p_retired(p);   /* GOMAXPROCS may have grown again */
        if (retired) {
            p_retire(p);
            m->p = NULL;
        }
        goro__lock_release(&S.lock);
        if (retired)
            goto top;
    }
    int64_t now = goro__nanotime();
    goro__coarse_tick(now);
    goro__timers_run(p, now);

    G *g;
    bool slice_over = false;
    if (goro_unlikely(atomic_load_explicit(&p->preempt, memory_order_relaxed))) {
        runq_kick_runnext(p);
        slice_over = true;
    }
    if ((slice_over || atomic_load_explicit(&p->schedtick, memory_order_relaxed) % GORO_GLOBAL_EVERY == 0) &&
        (g = globrunq_get_locked_maybe(p, 1)))
        goto found;
    if ((g = runq_get(p, inherit)))
        goto found;
    if ((g = globrunq_get_locked_maybe(p, 0)))
        goto found;
    /* Goroutines whose fds are ready, unless an M blocks in the poller
     * (it has them). They go to our queue. */
    if (poll_nonblocking() && (g = runq_get(p, inherit)))
        goto found;

    /* Steal, if not too many are spinning already. */
    int np = atomic_load(&S.nprocs);
    if (m->spinning || 2 * atomic_load(&S.nmspinning) < np - atomic_load(&S.npidle)) {
        if (!m->spinning) {
            m->spinning = true;
            atomic_fetch_add(&S.nmspinning, 1);
        }
        for (int pass = 0; pass < 4; pass++) {
            uint32_t start = (uint32_t)rng_next(&m->rng);
            for (int i = 0; i < np; i++) {
                P *v = atomic_load(&S.allp[(start + (uint32_t)i) % (uint32_t)np]);
                if (!v || v == p || atomic_load_explicit(&v->status, memory_order_relaxed) == P_IDLE)
                    continue;
                if ((g = runq_steal(p, v, pass == 3)))
                    goto found;
            }
        }
    }
    if (goro__timers_steal_run(p, goro__nanotime()) && (g = runq_get(p, inherit)))
        goto found;

    /* Nothing: give the P back. */
    goro__lock_acquire(&S.lock);
    if (S.runq_size > 0) {
        g = globrunq_get(p, 0);
        goro__lock_release(&S.lock);
        goto found;
    }
    if (p_retired(p))
        p_retire(p);
    else
        pidle_put(p);
    m->p = NULL;
    goro__lock_release(&S.lock);

    if (m->spinning) {
        m->spinning = false;
        atomic_fetch_sub(&S.nmspinning, 1);
        atomic_thread_fence(memory_order_seq_cst);
        if (any_work()) {
            goro__lock_acquire(&S.lock);
            P *q = pidle_get();
            goro__lock_release(&S.lock);
            if (q) {
                m->p = q;
                q->m = m;
                m->spinning = true;
                atomic_fetch_add(&S.nmspinning, 1);
                goto top;
            }
        }
    }

    /* Goroutines wait on fds and no M blocks in the poller: this one does,
     * until the earliest timer (goro__timer_added breaks it for an earlier
     * one). */
    if (goro__netpoll_pending() && poll_blocking(m))
        goto top;

    /* Sleep, until the earliest timer if this M is the one to watch them. */
    int64_t until = goro__timers_earliest();
    if (until) {
        int64_t su = atomic_load(&S.timer_sleep_until);
        if (su == 0 || until < su)
            atomic_store(&S.timer_sleep_until, until);
        else
            until = 0;   /* another M watches an earlier or equal deadline */
    }
    stopm(m, until);
    if (until) {
        int64_t expect = until;
        atomic_compare_exchange_strong(&S.timer_sleep_until, &expect, 0);
    }
    goto top;

found:
    if (m->spinning)
        reset_spinning(m);
    return g;
}

/* Wired M: give the P away and sleep until our goroutine is handed back. */
static void stoplockedm(M *m)
{
    P *p = m->p;
    if (p) {   /* none after our goroutine queued itself (acquire_p_slow) */
        m->p = NULL;
        p->m = NULL;
        goro__handoffp(p);
    }
    for (;;) {
        if (atomic_exchange_explicit(&m->park, 0, memory_order_acquire))
            break;
        goro__futex_wait(&m->park, 0, INT64_MAX);
    }
    m->p = m->nextp;
    m->nextp = NULL;
    m->p->m = m;
}

/* m picked g, which is wired to another M: hand it our P and g. */
static void startlockedm(M *m, G *g)
{
    M *lm = g->lockedm;
    P *p = m->p;
    m->p = NULL;
    p->m = lm;
    lm->nextp = p;
    m_post(lm);
}

static void m_schedule(M *m)
{
    for (;;) {
        finish_switch(m);
        if (m->exiting) {
            P *p = m->p;
            m->p = NULL;
            p->m = NULL;
            goro__handoffp(p);
            return;
        }
        G *g;
        bool inherit = false;
        if (m->lockedg) {
            /* Our goroutine stopped (parked or yielded): wait for it. */
            stoplockedm(m);
            g = m->lockedg;
            /* It was dequeued by whoever handed it over. */
        } else if (m->nextg) {
            g = m->nextg;
            m->nextg = NULL;
        } else {
            g = find_runnable(m, &inherit);
        }
        if (g->lockedm && g->lockedm != m) {
            startlockedm(m, g);
            continue;
        }
        g_prepare(m, g, inherit);
        san_switch_begin(m, NULL, g, false);
        goro__ctx_switch(&m->g0ctx, g->ctx, m);
        san_switch_end(m, NULL, false);
    }
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
    goro__lock_acquire(&S.lock);
    m->id = S.mcount;
    goro__lock_release(&S.lock);
    m->p = m->nextp;
    m->nextp = NULL;
    m->p->m = m;
    m_schedule(m);
    san_ignore_end();
    /* A wired goroutine ended: the thread ends with it. */
    goro__lock_acquire(&S.lock);
    __atomic_store_n(&S.mcount, S.mcount - 1, __ATOMIC_RELAXED);
    goro__lock_release(&S.lock);
    free(m->altstack);
    free(m);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Goroutine creation                                                  */

/* Dead-G caches that overflow spill to a global list. */
static goro__lock gfree_lock;
static G *gfree_global[2];

/* Gs are never freed: the registry of every G (diag.c) keeps them for
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

static void g_free(P *p, G *g)
{
    goro__stack_release(p, g);
#if GORO_TSAN
    if (g->tsan_fiber) {
        __tsan_destroy_fiber(g->tsan_fiber);
        g->tsan_fiber = NULL;
    }
#endif
    atomic_fetch_add_explicit(&p->nexited, 1, memory_order_relaxed);
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
            p->goid_next = atomic_fetch_add(&S.goid_gen, 16) + 1;
            p->goid_end = p->goid_next + 16;
        }
        return p->goid_next++;
    }
    return atomic_fetch_add(&S.goid_gen, 1) + 1;
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
    P *p = m && m->curg ? m->p : NULL;
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
    g->name = opts ? opts->name : NULL;
    /* The default as it is now: a later change is for later goroutines. */
    g->stack_size = opts && opts->stack_size ? opts->stack_size : goro__stack_default();
    g->stack_lo = NULL;
    g->lock_count = 0;
    g->syscall_depth = 0;
    g->lockedm = NULL;
    g->saved_errno = 0;
    atomic_store_explicit(&g->status, G_RUNNABLE, memory_order_relaxed);
    san_release(g);
    bool fenced = false;
    if (p) {
        atomic_fetch_add_explicit(&p->ncreated, 1, memory_order_relaxed);
        fenced = runq_put(p, g, true);
        /* A goroutine that spawns faster than its P runs what it spawned
         * lets them run (no other P took them): the dead ones' Gs and
         * stacks are then reused while still in cache. */
        if (may_yield && atomic_load_explicit(&p->runq_tail, memory_order_relaxed) -
                atomic_load_explicit(&p->runq_head, memory_order_relaxed) >= GORO_RUNQ_SIZE / 2) {
            goro__rt_exit(m);   /* a switch may only happen at depth 1 */
            wake_after(fenced);
            goro_yield();
            return 0;
        }
    } else {
        atomic_fetch_add_explicit(&S.nthread_created, 1, memory_order_relaxed);
        goro__lock_acquire(&S.lock);
        goro__runq_put_global(g, g, 1);
        goro__lock_release(&S.lock);
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

/* ------------------------------------------------------------------ */
/* Runtime calls                                                       */

/* Sets the number of Ps to n; GORO_ENOMEM, changing nothing, when a P
 * record that n needs cannot be allocated. */
static int set_nprocs_locked(int n)
{
    int old = atomic_load(&S.nprocs);
    /* First every missing record, so that a failure changes nothing. */
    for (int i = old; i < n; i++) {
        if (atomic_load(&S.allp[i]))
            continue;
        P *p = p_new(i);
        if (!p)
            return GORO_ENOMEM;
        atomic_store(&S.allp[i], p);
        atomic_store_explicit(&p->status, P_DEAD, memory_order_relaxed);   /* not in use yet */
    }
    for (int i = old; i < n; i++) {
        P *p = atomic_load(&S.allp[i]);
        if (atomic_load_explicit(&p->status, memory_order_relaxed) == P_DEAD) {
            pidle_put(p);
        }
        /* else: still held by an M that has not retired it yet; it
         * simply stays. */
    }
    atomic_store(&S.nprocs, n);
    if (n < old) {
        /* Idle Ps beyond the new count retire now; busy ones at their next
         * schedule. */
        for (P **pp = &S.pidle; *pp;) {
            P *p = *pp;
            if (p->id >= n) {
                *pp = p->link;
                atomic_store(&S.npidle, S.npidle - 1);
                p_retire(p);
            } else {
                pp = &p->link;
            }
        }
    }
    return 0;
}

static void init_runtime(void)
{
    cpu_set_t set;
    ncpu = 1;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        ncpu = CPU_COUNT(&set);
    if (ncpu < 1)
        ncpu = 1;
    int n = ncpu;
    const char *env = getenv("GOROMAXPROCS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v > 0)
            n = (int)v;
    }
    if (n > GORO_MAX_PROCS)
        n = GORO_MAX_PROCS;
    /* Threads: Ms running goroutines, blocked in goro_syscall_begin/end,
     * hogged by a goroutine that sysmon took the P from, or idle (sysmon
     * is not counted). Go's default cap is 10,000 too. */
    S.maxthreads = 10000;
    env = getenv("GOROMAXTHREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v > 0)
            S.maxthreads = v > 1000000 ? 1000000 : (int)v;
    }
    atomic_store(&S.poll_until, INT64_MAX);
    goro__coarse_tick(goro__nanotime());
    goro__diag_init();
    goro__fork_init();
    goro__sysmon_init();
    goro__stack_init();
    goro__lock_acquire(&S.lock);
    if (set_nprocs_locked(n) < 0)   /* no caller to report to */
        GORO_FATAL("out of memory allocating %d Ps at start-up", n);
    goro__lock_release(&S.lock);
    goro__crash_install();
}

void goro__init(void)
{
    pthread_once(&init_once, init_runtime);
}

int goro_maxprocs(int n)
{
    SAN_RUNTIME_SCOPE;
    goro__init();
    if (n > GORO_MAX_PROCS)
        n = GORO_MAX_PROCS;
    goro__lock_acquire(&S.lock);
    int old = atomic_load(&S.nprocs);
    int r = n > 0 && n != old ? set_nprocs_locked(n) : 0;
    goro__lock_release(&S.lock);
    if (r < 0)
        return r;
    if (n > old)
        goro__wakep();
    return old;
}

int goro_num_cpu(void)
{
    SAN_RUNTIME_SCOPE;
    goro__init();
    return ncpu;
}

int goro_num_goroutine(void)
{
    SAN_RUNTIME_SCOPE;
    goro__init();
    int64_t n = atomic_load_explicit(&S.nthread_created, memory_order_relaxed);
    for (int i = 0; i < GORO_MAX_PROCS; i++) {
        P *p = atomic_load_explicit(&S.allp[i], memory_order_acquire);
        if (!p)
            break;
        n += atomic_load_explicit(&p->ncreated, memory_order_relaxed);
        n -= atomic_load_explicit(&p->nexited, memory_order_relaxed);
    }
    return n < 0 ? 0 : (int)n;
}

uint64_t goro_id(void)
{
    G *g = goro__getg();
    return g ? g->id : 0;
}

void goro_lock_os_thread(void)
{
    M *m = goro__getm();
    if (!m || !m->curg)
        return;
    G *g = m->curg;
    if (g->lock_count++ == 0) {
        g->lockedm = m;
        m->lockedg = g;
    }
}

void goro_unlock_os_thread(void)
{
    M *m = goro__getm();
    if (!m || !m->curg)
        return;
    G *g = m->curg;
    if (g->lock_count == 0)
        return;   /* as in Go, an unmatched unlock is a no-op */
    if (--g->lock_count == 0) {
        g->lockedm = NULL;
        m->lockedg = NULL;
    }
}
