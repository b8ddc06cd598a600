/* SPDX-License-Identifier: MIT */
/*
 * timer.h: runtime timers, kept in per-P 4-ary heaps (timerheap.c).
 *
 * A timer fires fn(t) once, at or after `when`, on whichever M runs its
 * P's timers (from the scheduler, between goroutines). fn must be short
 * and must not block: it typically claims and wakes a waiter.
 *
 * States: T_IDLE (not queued), T_HEAP (in t->p's heap), T_FIRING (fn is
 * running). goro__timer_stop removes a queued timer, or waits until a
 * firing fn has returned, so the timer's memory may be reused after it.
 */
#ifndef GORO_TIMER_H
#define GORO_TIMER_H

#include "sched/g.h"

enum { T_IDLE = 0, T_HEAP, T_FIRING };

struct goro__timer {
    int64_t when;              /* (heap lock while queued) */
    int64_t period;            /* > 0: re-armed after each firing, skipping missed ticks */
    void (*fn)(goro__timer *t);
    /* If set, called once fn has returned and the timer is T_IDLE (never
     * for a re-armed periodic timer): it may free the timer. */
    void (*done)(goro__timer *t);
    void *arg;
    P *_Atomic p;              /* heap that holds it; changes under both heap locks */
    int idx;                   /* index in p->timers (heap lock) */
    _Atomic uint32_t state;    /* T_*; T_IDLE is stored with release after fn returns */
};

/* Queues t on the calling goroutine's P, or on P 0 from a plain thread. */
void goro__timer_start(goro__timer *t, int64_t when);
/* True if t was queued and is now removed before firing. */
bool goro__timer_stop(goro__timer *t);

#endif
