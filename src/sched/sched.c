/* SPDX-License-Identifier: MIT */
/*
 * sched.c: the scheduler's start-up and runtime calls (goro_maxprocs,
 * goro_num_goroutine, goro_lock_os_thread, ...), the scheduler state
 * goro__S, and goro__fastrand.
 *
 * The scheduler is Go's G/M/P design (docs/design.md); its parts live in
 * this folder, one concern per file (docs/hacking.md): run queues
 * (runq.c), Ps and Ms (proc.c), switching, park and ready (switch.c), the
 * search for work (findrun.c), blocking calls (syscall.c), sysmon
 * (sysmon.c), spawning (spawn.c), timer heaps (timerheap.c), stacks
 * (stack.c), fork (fork.c), the context switch (arch/).
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

#include "sched/runtime.h"
#include "base/san.h"

goro__sched goro__S = { .lock = GORO_LOCK_INIT(SCHED) };

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int ncpu;

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

uint64_t goro__fastrand(void)
{
    M *m = goro__getm();
    if (m)
        return goro__rng_next(&m->rng);
    static _Atomic uint64_t seed = 0x9e3779b97f4a7c15ull;
    uint64_t s = atomic_fetch_add_explicit(&seed, 0x9e3779b97f4a7c15ull,
                                           memory_order_relaxed);
    return goro__rng_next(&s);
}
/* ------------------------------------------------------------------ */
/* Runtime calls                                                       */

/* Sets the number of Ps to n; GORO_ENOMEM, changing nothing, when a P
 * record that n needs cannot be allocated. */
static int set_nprocs_locked(int n)
{
    GORO_ASSERT_HELD(&goro__S.lock);
    int old = atomic_load(&goro__S.nprocs);
    /* First every missing record, so that a failure changes nothing. */
    for (int i = old; i < n; i++) {
        if (atomic_load(&goro__S.allp[i]))
            continue;
        P *p = goro__p_new(i);
        if (!p)
            return GORO_ENOMEM;
        atomic_store(&goro__S.allp[i], p);
        atomic_store_explicit(&p->status, P_DEAD, memory_order_relaxed);   /* not in use yet */
    }
    for (int i = old; i < n; i++) {
        P *p = atomic_load(&goro__S.allp[i]);
        if (atomic_load_explicit(&p->status, memory_order_relaxed) == P_DEAD) {
            goro__pidle_put(p);
        }
        /* else: still held by an M that has not retired it yet; it
         * simply stays. */
    }
    atomic_store(&goro__S.nprocs, n);
    GORO_TRACE(ev(GORO_TR_PROCS, -1, (uint64_t)n, 0, 0, 0));
    if (n < old) {
        /* Idle Ps beyond the new count retire now; busy ones at their next
         * schedule. */
        for (P **pp = &goro__S.pidle; *pp;) {
            P *p = *pp;
            if (p->id >= n) {
                *pp = p->link;
                atomic_store(&goro__S.npidle, goro__S.npidle - 1);
                goro__p_retire(p);
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
    goro__S.maxthreads = 10000;
    env = getenv("GOROMAXTHREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v > 0)
            goro__S.maxthreads = v > 1000000 ? 1000000 : (int)v;
    }
    atomic_store(&goro__S.poll_until, INT64_MAX);
    goro__coarse_tick(goro__nanotime());
    goro__diag_init();
    goro__fork_init();
    goro__sysmon_init();
    goro__stack_init();
    goro__lock_acquire(&goro__S.lock);
    if (set_nprocs_locked(n) < 0)   /* no caller to report to */
        GORO_FATAL("out of memory allocating %d Ps at start-up", n);
    goro__lock_release(&goro__S.lock);
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
    goro__lock_acquire(&goro__S.lock);
    int old = atomic_load(&goro__S.nprocs);
    int r = n > 0 && n != old ? set_nprocs_locked(n) : 0;
    goro__lock_release(&goro__S.lock);
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
    int64_t n = atomic_load_explicit(&goro__S.nthread_created, memory_order_relaxed);
    GORO_FOR_EACH_P(p) {
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

int goro_in_goroutine(void)
{
    M *m = goro__getm();
    return m && m->curg && atomic_load_explicit(&m->in_rt, memory_order_relaxed) == 0;
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

/* The scheduler's half of a lock's decision to spin (Go's canSpin): a
 * goroutine spins only while some other P is running (the holder may be
 * on it) and no runnable goroutine waits on its own P; a plain thread (no
 * P) always may. */
bool goro__should_spin(void)
{
    M *m = goro__getm();
    P *p = m ? m->p : NULL;
    if (!p || !m->curg)
        return true;
    int np = atomic_load_explicit(&goro__S.nprocs, memory_order_relaxed);
    if (np <= 1 || np <= atomic_load_explicit(&goro__S.npidle, memory_order_relaxed) +
                         atomic_load_explicit(&goro__S.nmspinning, memory_order_relaxed) + 1)
        return false;
    return atomic_load_explicit(&p->runq_head, memory_order_relaxed) ==
               atomic_load_explicit(&p->runq_tail, memory_order_relaxed) &&
           atomic_load_explicit(&p->runnext, memory_order_relaxed) == NULL;
}
