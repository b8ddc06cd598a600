/* SPDX-License-Identifier: MIT */
/*
 * stats.c: goro_stats, racy counts of goroutines by state and wait reason,
 * of blocked plain threads, and the scheduler's counters (sched/g.h).
 */
#include <string.h>

#include "diag/diag.h"
#include "base/san.h"

void goro_stats(goro_stats_t *st)
{
    SAN_RUNTIME_SCOPE;
    goro__init();
    memset(st, 0, sizeof *st);
    int64_t now = goro__nanotime();
    goro_ginfo gi;
    GORO_FOR_EACH_G(g) {
        if (!goro__g_read(g, now, &gi))
            continue;
        st->goroutines++;
        switch (gi.state) {
        case GORO_G_RUNNABLE: st->runnable++; break;
        case GORO_G_RUNNING:  st->running++; break;
        case GORO_G_SYSCALL:  st->syscall++; break;
        default:
            st->waiting++;
            st->waiting_on[gi.wait]++;
        }
    }
    GORO_FOR_EACH_THR(t)
        if (atomic_load_explicit(&t->tid, memory_order_relaxed) &&
            atomic_load_explicit(&t->reason, memory_order_relaxed) != GORO_WAIT_NONE)
            st->threads_blocked++;
    goro__sched_stats(st);
    st->poll_waits = goro__netpoll_waiters();
}
