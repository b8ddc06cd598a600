/* SPDX-License-Identifier: MIT */
/*
 * syscall.c: blocking calls, goro_syscall_begin / goro_syscall_end (Go's
 * entersyscall / exitsyscall), and what an M does when it finds its P
 * taken by sysmon (goro__rt_lost).
 *
 * begin leaves the P in P_SYSCALL with one store and end takes it back
 * with one CAS; sysmon.c retakes Ps from calls that block (its header
 * draws the handshake).
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

/* ------------------------------------------------------------------ */
/* Blocking calls: goro_syscall_begin / goro_syscall_end (Go's          */
/* entersyscall / exitsyscall)                                         */

/* The fast path is a few plain stores and one CAS: begin leaves the P in
 * P_SYSCALL (m->oldp) without a lock; end takes it back with a CAS
 * P_SYSCALL -> P_RUNNING. If sysmon retook it meanwhile (CAS P_SYSCALL ->
 * P_IDLE, sysmon.c), end takes any idle P, or queues the goroutine
 * globally and parks the M (goro__acquire_p_slow). Nesting counts; a plain
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
    GORO_TRACE(ev(GORO_TR_SYSCALL_ENTER, p ? p->id : -1, g->id, 0, 0, 0));
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
        /* p->m is m unless sysmon retook p meanwhile and p came back
         * to P_SYSCALL under another M (which will find it gone). */
        m->p = p;
        p->m = m;
        GORO_TRACE(ev(GORO_TR_SYSCALL_EXIT, p->id, g->id, 1, 0, 0));
    } else {
        m = goro__acquire_p_slow(m, g);
        GORO_TRACE(ev(GORO_TR_SYSCALL_EXIT, m->p ? m->p->id : -1, g->id, 0, 0, 0));
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
