/* SPDX-License-Identifier: MIT */
/*
 * sysmon.c: the monitor thread (Go's sysmon). It runs without a P and
 * does three things:
 *
 *  1. retakes the P of an M stuck in a blocking call (P_SYSCALL, left by
 *     goro_syscall_begin) for more than one tick (>= 20 us), and hands it
 *     to another M, so the P's other goroutines keep running (Go's retake);
 *  2. takes the P away from an M whose goroutine has run its own code for
 *     more than a time slice (10 ms) while other work waits for that P
 *     (a CPU hog: C code cannot be preempted safely, see below);
 *  3. polls the network when no M has for 10 ms, so fd wakeups are not
 *     held up by Ps that never run out of work;
 *  4. gives back the pages of dead goroutines' pooled stacks once the
 *     pool has been left alone a while (goro__stack_scavenge, stack.c).
 *
 * It sleeps 20 us per round, doubling up to 10 ms after 50 rounds with
 * nothing to do, and sleeps on a futex while every P is idle, so an idle
 * runtime uses no CPU. That sleep ends at the earliest timer (as Go's
 * does), or when whoever takes an idle P wakes it; an M that takes a P
 * for a timer that has come, the usual case, leaves the wake to the
 * timeout: the futex wake, a system call, would delay the woken
 * goroutine. (The futex wait is also timed while stack pages wait to be
 * given back.)
 *
 * Blocking calls (P_SYSCALL). goro_syscall_begin stores P_SYSCALL with
 * release and leaves m->oldp; goro_syscall_end takes the P back with a
 * CAS P_SYSCALL -> P_RUNNING. sysmon retakes with a CAS P_SYSCALL ->
 * P_IDLE (acquire: it now owns everything the M wrote to the P), bumps
 * syscalltick and calls handoffp. Exactly one CAS wins. Like Go it leaves
 * a P alone while its syscalltick changes between ticks (short calls),
 * and, for up to 10 ms, while the P has nothing queued and another P is
 * idle or an M spins.
 *
 * CPU hogs. A goroutine that computes without calling into goro never
 * reaches the scheduler, and interrupting arbitrary C code (a signal
 * handler that switches stacks) is unsafe: it may hold malloc's lock or
 * be halfway through a thread-local update. So the hog keeps its thread
 * and runs on; what it loses is its P, which sysmon hands to another M
 * (handoffp starts or wakes one) so the goroutines queued behind it run
 * there. The hog finds out at its next runtime call that its M holds no
 * P any more, and from then on behaves like a goroutine coming back from
 * a blocking call: it takes an idle P, or queues itself on the global
 * queue and its M sleeps. GOMAXPROCS then bounds the threads running
 * scheduled goroutines, plus the hogs, as Go's bounds goroutines running
 * Go code, plus those in syscalls.
 *
 * The hard part is that the M and sysmon must never both believe they own
 * the P. Runtime code that touches m->p on a goroutine's stack (ready,
 * newproc, park/yield/exit, syscall begin/end) runs between
 * goro__rt_enter and goro__rt_exit (sched/runtime.h); m->in_rt is non-zero
 * exactly while the M runs such code (always on g0). The handshake is a
 * Dekker pair with the expensive fence on sysmon's side only:
 *
 *   M (entering from goroutine code)      sysmon (take_hog)
 *     in_rt = 1                             CAS pstate OWNS -> TAKING
 *     compiler barrier                      membarrier(PRIVATE_EXPEDITED)
 *     r = pstate                            r' = in_rt (acquire), m->p
 *     r == OWNS: keep going with m->p       r' != 0 or m->p != p:
 *     r == TAKING: CAS TAKING -> OWNS          CAS TAKING -> OWNS, give up
 *       won: keep going                     else CAS TAKING -> LOST:
 *       lost (LOST): m->p = NULL,              won: p is sysmon's; p->m =
 *         pstate = OWNS, go on without P          NULL; handoffp(p)
 *                                              lost: the M cancelled
 *
 * membarrier makes every running thread of the process execute a full
 * barrier before it returns, so at least one side sees the other's store:
 * if the M read OWNS, its in_rt = 1 was visible to sysmon, which gives
 * up; if sysmon read in_rt == 0, the M's next entry reads TAKING and
 * races sysmon's second CAS, which decides. While in_rt == 0 the M cannot
 * change m->p, so the m->p == p check is stable; and from the LOST CAS
 * on, the M touches nothing of p: its next runtime entry sees LOST before
 * any access. in_rt = 0 is stored with release, so sysmon's acquire read
 * makes the M's last writes to p visible to the P's next owner. Where
 * membarrier is missing (old kernels, Valgrind), goro__hog_fence makes
 * the M's side a full fence instead (and sysmon's a plain fence).
 *
 * Before taking a P, sysmon first sets p->preempt: a goroutine that does
 * enter the scheduler (a chain of goroutines waking each other through
 * runnext, which share one slice) then lets the run queue's head go
 * first, and only a P whose schedtick is still unchanged one tick later,
 * with work queued for it (its run queue, a due timer, the global queue)
 * and no idle P that could take that work, is taken.
 *
 * Threads are capped (GOROMAXTHREADS, default 10,000): sysmon retakes
 * nothing when no idle M exists and none may be created.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sched/runtime.h"
#include "base/san.h"

#define SYSMON_MIN_NS   (20 * 1000)          /* 20 us */
#define SYSMON_MAX_NS   (10 * 1000 * 1000)   /* 10 ms */
#define SLICE_NS        (10 * 1000 * 1000)   /* Go's forcePreemptNS */
#define SYSCALL_IDLE_NS (10 * 1000 * 1000)
#define POLL_EVERY_NS   (10 * 1000 * 1000)

bool goro__hog_fence;
enum { SYSMON_NONE, SYSMON_STARTING, SYSMON_RUNNING };
static _Atomic int sysmon_state;   /* goro__sysmon_start */

/* sysmon's own view of each P (sysmon only). */
static struct pmon {
    int status;
    uint32_t schedtick, syscalltick;
    int64_t schedwhen, syscallwhen;
    bool preempted;           /* p->preempt set during this slice */
} mon[GORO_MAX_PROCS];

static long membarrier_call(int cmd)
{
    return syscall(__NR_membarrier, cmd, 0, 0);
}

void goro__sysmon_init(void)
{
    int saved = errno;
    long q = membarrier_call(MEMBARRIER_CMD_QUERY);
    if (q < 0 || !(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) ||
        membarrier_call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0)
        goro__hog_fence = true;
    const char *e = getenv("GORO_HOG_FENCE");   /* tests: force the fallback */
    if (e && *e == '1')
        goro__hog_fence = true;
    errno = saved;
}

/* Every thread of the process has run a full barrier when this returns
 * true (pairs with goro__rt_enter's compiler barrier). */
static bool barrier_all(void)
{
    if (goro__hog_fence) {
        atomic_thread_fence(memory_order_seq_cst);
        return true;
    }
    return membarrier_call(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0;
}

/* (sched.lock held) Wakes sysmon if it sleeps in sleep_if_idle (a P
 * left the idle list, work was stranded, or the stack scavenger was
 * retuned), unless its sleep's deadline has come (it is waking by
 * itself). */
void goro__sysmon_wake(void)
{
    GORO_ASSERT_HELD(&goro__S.lock);
    if (!goro__S.sysmon_wait)
        return;
    if (goro__S.sysmon_until && goro__S.sysmon_until <= goro__nanotime())
        return;
    goro__S.sysmon_wait = false;
    atomic_store_explicit(&goro__S.sysmon_note, 1, memory_order_release);
    goro__futex_wake(&goro__S.sysmon_note, 1);
}

/* Work queued globally while a P is idle and no M spins to look for it.
 * That happens when startm could not get a thread for a P (its goroutines
 * went to the global queue, the P to the idle list) while the other Ms
 * went idle: nothing else would wake an M for them. */
static bool stranded_work(void)
{
    if (atomic_load(&goro__S.npidle) == 0 || atomic_load(&goro__S.nmspinning) != 0)
        return false;
    return atomic_load_explicit(&goro__S.runq_size, memory_order_relaxed) > 0;
}

/* Sleeps, if every P is idle (and no work is stranded: startm_failed
 * wakes it), until a P is taken off the idle list or the earliest timer
 * comes (the header's rule). */
static bool sleep_if_idle(void)
{
    if (atomic_load(&goro__S.npidle) != atomic_load(&goro__S.nprocs))
        return false;
    goro__lock_acquire(&goro__S.lock);
    if (goro__S.npidle != goro__S.nprocs || stranded_work()) {
        goro__lock_release(&goro__S.lock);
        return false;
    }
    int64_t until = goro__timers_earliest();
    atomic_store_explicit(&goro__S.sysmon_note, 0, memory_order_relaxed);
    goro__S.sysmon_wait = true;
    goro__S.sysmon_until = until;
    goro__lock_release(&goro__S.lock);
    /* Also timed while dead goroutines' stacks still have pages to give
     * back (stack.c). */
    while (atomic_load_explicit(&goro__S.sysmon_note, memory_order_acquire) == 0) {
        int64_t now = goro__nanotime();
        if (until && now >= until) {
            goro__lock_acquire(&goro__S.lock);
            goro__S.sysmon_wait = false;   /* whether or not a P was taken */
            goro__lock_release(&goro__S.lock);
            break;
        }
        int64_t due = goro__stack_scavenge(now);
        if (until && (!due || until < due))
            due = until;
        goro__futex_wait(&goro__S.sysmon_note, 0, due ? due : INT64_MAX);
    }
    return true;
}

/* Work waits for p: its queue, a due timer of its, or the global queue. */
static bool has_work(P *p, int64_t now)
{
    if (!goro__runq_empty(p))
        return true;
    int64_t t0 = atomic_load_explicit(&p->timer0, memory_order_acquire);
    if (t0 != 0 && t0 <= now)
        return true;
    return atomic_load_explicit(&goro__S.runq_size, memory_order_relaxed) > 0;
}

/* The handshake of the file comment: takes p from the M running a hog. */
static bool take_hog(P *p)
{
    goro__lock_acquire(&goro__S.lock);
    M *m = atomic_load_explicit(&p->status, memory_order_relaxed) == P_RUNNING ? p->m : NULL;
    goro__lock_release(&goro__S.lock);
    if (!m)
        return false;
    uint32_t s = PS_OWNS;
    if (!atomic_compare_exchange_strong(&m->pstate, &s, PS_TAKING))
        return false;
    bool ok = barrier_all() &&
              atomic_load_explicit(&m->in_rt, memory_order_acquire) == 0 &&
              __atomic_load_n(&m->p, __ATOMIC_RELAXED) == p;
    s = PS_TAKING;
    if (!ok) {
        atomic_compare_exchange_strong(&m->pstate, &s, PS_OWNS);
        return false;
    }
    if (!atomic_compare_exchange_strong_explicit(&m->pstate, &s, PS_LOST,
            memory_order_acq_rel, memory_order_acquire))
        return false;   /* the M entered the runtime and kept its P */
    /* p is ours now; its old M runs goroutine code without it. */
    atomic_store_explicit(&p->preempt, 0, memory_order_relaxed);
    p->m = NULL;
    goro__handoffp(p);
    return true;
}

/* One round over the Ps; true if a P was retaken. Ps beyond GOMAXPROCS
 * too: one retired by a shrink stays with its M until that M schedules,
 * and may hold queued goroutines meanwhile (a hand-off's waker, say)
 * behind a blocking call or a hog; handoffp retires it. */
static bool retake(int64_t now)
{
    int n = 0;
    GORO_FOR_EACH_P(p) {
        struct pmon *pd = &mon[p->id];
        int s = atomic_load_explicit(&p->status, memory_order_acquire);
        uint32_t st = atomic_load_explicit(&p->schedtick, memory_order_relaxed);
        uint32_t sy = atomic_load_explicit(&p->syscalltick, memory_order_relaxed);
        if (s != pd->status) {
            /* A change of state is progress: start watching afresh. */
            pd->status = s;
            pd->schedtick = st;
            pd->syscalltick = sy;
            pd->schedwhen = pd->syscallwhen = now;
            pd->preempted = false;
            continue;
        }
        if (s == P_SYSCALL) {
            if (pd->syscalltick != sy) {
                pd->syscalltick = sy;
                pd->syscallwhen = now;
                continue;
            }
            /* In the same blocking call for a whole tick. Nothing queued
             * and someone else to run new work: leave it for up to 10 ms
             * (an M handed the P would only go idle again). */
            if (goro__runq_empty(p) &&
                atomic_load(&goro__S.nmspinning) + atomic_load(&goro__S.npidle) > 0 &&
                now - pd->syscallwhen < SYSCALL_IDLE_NS)
                continue;
            if (!goro__m_available())
                continue;
            int want = P_SYSCALL;
            if (atomic_compare_exchange_strong_explicit(&p->status, &want, P_IDLE,
                    memory_order_acq_rel, memory_order_relaxed)) {
                atomic_store_explicit(&p->syscalltick, sy + 1, memory_order_relaxed);
                p->m = NULL;
                goro__handoffp(p);
                n++;
            }
        } else if (s == P_RUNNING) {
            if (pd->schedtick != st) {
                pd->schedtick = st;
                pd->schedwhen = now;
                pd->preempted = false;
                continue;
            }
            if (now - pd->schedwhen < SLICE_NS)
                continue;
            if (!pd->preempted) {
                /* The slice is over: a goroutine that schedules lets the
                 * others go first; give it a tick to do so. */
                atomic_store_explicit(&p->preempt, 1, memory_order_relaxed);
                GORO_TRACE(ev(GORO_TR_PREEMPT, p->id, 0, 0, 0, 0));
                pd->preempted = true;
                continue;
            }
            if (!has_work(p, now))
                continue;
            if (atomic_load(&goro__S.npidle) > 0 && !goro__p_retired(p)) {
                goro__wakep();   /* an idle P's M steals the work instead */
                continue;
            }
            if (!goro__m_available())
                continue;
            if (take_hog(p)) {
                GORO_TRACE(ev(GORO_TR_RETAKE, p->id, 0, 0, 0, 0));
                /* The P's next M gets a slice of its own. */
                pd->schedwhen = now;
                pd->preempted = false;
                n++;
            }
        }
    }
    return n > 0;
}

static void *sysmon_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "goro-sysmon");
    atomic_store(&goro__sysmon_tid, gettid());
    /* A deadlock check that ran before the line above saw this thread as
     * unknown and gave up: look again. */
    goro__lock_acquire(&goro__S.lock);
    goro__checkdead_locked();
    goro__lock_release(&goro__S.lock);
    san_ignore_begin();   /* runtime code only, for good */
    int idle = 0;
    int64_t delay = SYSMON_MIN_NS;
    for (;;) {
        if (idle == 0)
            delay = SYSMON_MIN_NS;
        else if (idle > 50)
            delay *= 2;
        if (delay > SYSMON_MAX_NS)
            delay = SYSMON_MAX_NS;
        struct timespec ts = { 0, (long)delay };
        nanosleep(&ts, NULL);
        if (sleep_if_idle()) {
            idle = 0;
            continue;
        }
        if (stranded_work())
            goro__wakep();   /* counted as idle: backs off while threads fail */
        int64_t now = goro__nanotime();
        goro__coarse_tick(now);
        if (goro__netpoll_pending() &&
            now - atomic_load_explicit(&goro__S.lastpoll, memory_order_relaxed) > POLL_EVERY_NS)
            goro__sched_poll();
        /* More stack pages to give back keeps the ticks short. */
        bool scavenging = goro__stack_scavenge(now) == now;
        if (retake(now) || scavenging)
            idle = 0;
        else
            idle++;
    }
    return NULL;
}

/* Called before each new M is created. The first call that gets to
 * create the thread does; if that fails (fault-injectable), the runtime
 * runs without sysmon (no retaking of Ps from blocking calls and hogs, no
 * forced polls: slower, never stuck) and the next new M tries again. */
void goro__sysmon_start(void)
{
    if (goro_likely(atomic_load_explicit(&sysmon_state, memory_order_acquire) == SYSMON_RUNNING))
        return;
    int s = SYSMON_NONE;
    if (!atomic_compare_exchange_strong(&sysmon_state, &s, SYSMON_STARTING))
        return;   /* another caller is starting it */
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    int rc = goro__thread_create(&t, &attr, sysmon_main, NULL);
    pthread_attr_destroy(&attr);
    atomic_store_explicit(&sysmon_state, rc == 0 ? SYSMON_RUNNING : SYSMON_NONE,
                          memory_order_release);
}
