/* SPDX-License-Identifier: MIT */
/*
 * deadlock.c: the deadlock check (goro__checkdead_locked, under
 * sched.lock), Go's "all goroutines are asleep". It reports
 * only when nothing can run again, which holds when, at one instant:
 *  (1) every M is idle (an M in a blocking call, in the poller, spinning,
 *      wired to a waiting goroutine or exiting is not);
 *  (2) no timer is pending, no goroutine waits on an fd, the global queue
 *      is empty ((1) and the queue: goro__sched_quiet_locked);
 *  (3) every goroutine is parked (G_WAITING) or free: so on a goro object,
 *      since fd waits and sleeps are ruled out by (2);
 *  (4) every thread of the process (/proc/self/task) is an idle M, sysmon,
 *      or a plain thread asleep in a goro wait with no deadline (its
 *      record's futex word is 2: not woken yet), and at least one is.
 * While sched.lock is held, no idle M can leave the idle list (that needs
 * the lock), so only plain threads and goroutines can change state under
 * us, and only when something running wakes them: every such thing is a
 * thread seen running in (4). Plain threads are looked at twice, before
 * (3) and after (4), with their block count (seq, never reset): unchanged
 * and still asleep means they slept throughout, so the states seen held
 * together when (4) began. A thread created meanwhile was created by a
 * running thread, which (4) sees. Sanitizer helper threads, a thread in
 * read(2), a goroutine wired to its thread: all make the check fail, never
 * report (false negatives only). A plain thread runs the check as it goes
 * to sleep, an M as it goes idle with no timer (stopm): the last of them
 * to stop sees everyone else stopped. sysmon runs it once more when it has
 * published its tid (a check before that took it for an unknown thread).
 * The seq_cst fence at the check's start pairs with the seq_cst futex CAS
 * and load in goro__thread_sleeps (store-buffering: either the M sees the
 * thread asleep or the thread sees the M idle).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag/diag.h"

_Atomic pid_t goro__sysmon_tid;
bool goro__diag_deadlock_off;

/* A record of a thread that counts for the deadlock check: a live plain
 * thread (an M's g0 or sysmon may have one; they are accounted as such). */
static bool thr_plain(const goro__thr *t, pid_t *tid)
{
    *tid = atomic_load_explicit(&t->tid, memory_order_acquire);
    if (*tid == 0 || *tid == atomic_load_explicit(&goro__sysmon_tid, memory_order_relaxed))
        return false;
    return !goro__m_idle_tid_locked(*tid);
}

/* Asleep in a goro wait that only a wake can end (futex word 2). */
static bool thr_asleep(const goro__thr *t)
{
    return atomic_load_explicit(&t->futex, memory_order_acquire) == 2 &&
           !atomic_load_explicit(&t->timed, memory_order_relaxed) &&
           atomic_load_explicit(&t->reason, memory_order_relaxed) != GORO_WAIT_NONE;
}

/* ---- deadlock check (conditions in the file comment) ---- */

/* (4): every thread of the process is an idle M, sysmon, or a plain
 * thread seen asleep in this check (chk_gen == gen). */
static bool threads_all_known(uint32_t gen)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return false;
    bool ok = true;
    pid_t sysmon = atomic_load_explicit(&goro__sysmon_tid, memory_order_relaxed);
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        pid_t tid = (pid_t)atoi(e->d_name);
        bool known = tid == sysmon;
        known = known || goro__m_idle_tid_locked(tid);
        GORO_FOR_EACH_THR(t) {
            if (known)
                break;
            known = t->chk_gen == gen && atomic_load_explicit(&t->tid, memory_order_relaxed) == tid;
        }
        ok = known;
    }
    closedir(d);
    return ok;
}

static _Noreturn void deadlock_report(void)
{
    diag_out o = { stderr, -1 };
    goro__diag_outf(&o, "fatal error: all goroutines are asleep - deadlock!\n\n");
    goro__diag_dump(&o, true);
    fflush(stderr);
    goro__tracer_flush_fatal();
    abort();
}

void goro__checkdead_locked(void)
{
    static uint32_t gen;   /* (sched.lock) */
    atomic_thread_fence(memory_order_seq_cst);   /* pairs with goro__thread_sleeps */
    if (goro__diag_deadlock_off || !goro__sched_quiet_locked())
        return;
    if (goro__netpoll_pending() || goro__timers_earliest() != 0)
        return;
    gen++;
    int asleep = 0;
    GORO_FOR_EACH_THR(t) {
        pid_t tid;
        t->chk_gen = 0;
        if (!thr_plain(t, &tid))
            continue;
        if (!thr_asleep(t))
            return;
        t->chk_seq = atomic_load_explicit(&t->seq, memory_order_relaxed);
        t->chk_gen = gen;
        asleep++;
    }
    if (asleep == 0)
        return;   /* the main thread is not in a goro wait: it runs */
    goro_ginfo gi;
    GORO_FOR_EACH_G(g)
        if (goro__g_read(g, 0, &gi) && gi.state != GORO_G_WAITING)
            return;
    if (!threads_all_known(gen))
        return;
    GORO_FOR_EACH_THR(t)
        if (t->chk_gen == gen &&
            (!thr_asleep(t) || atomic_load_explicit(&t->seq, memory_order_relaxed) != t->chk_seq))
            return;
    deadlock_report();
}

void goro__thread_sleeps(void)
{
    goro__init();   /* GORODEBUG is read there: a channel op may come first */
    if (goro__diag_deadlock_off)
        return;
    goro__checkdead();   /* seq_cst, after the caller's futex CAS: see the file comment */
}
