/* SPDX-License-Identifier: MIT */
/*
 * wait.h: the one blocking primitive everything else is built on.
 *
 * A waiter is a record (usually on the blocked party's stack) that one or
 * more sources (a channel queue, a mutex queue, a timer, ...) point at.
 * Waking is two steps: a source first claims the waiter (CAS; exactly one
 * source ever succeeds), then fills in the outcome (source, result, any
 * data hand-off through `elem`) and calls goro__waiter_wake, which is its
 * last access to the waiter. Sources that lose the claim skip the waiter
 * and go on to the next; the woken party later unlinks itself from the
 * sources that lost.
 *
 * The blocked party is a goroutine (it parks; its thread runs others) or a
 * plain thread (it sleeps on the futex word of its thread record).
 *
 * Between queued and parked. Once a source can reach the waiter, its
 * party may still run anything that does not block before it calls
 * goro__waiter_block: drop locks, unlock a mutex (which may hand the
 * mutex over and yield to the new owner), yield, lose its P to sysmon and
 * be requeued. A wakeup in that window survives all of it. A thread's is
 * the exchange on its futex word, which only its next goro__waiter_init
 * resets. A goroutine's is its status turning RUNNING into WOKEN
 * (goro__ready's CAS), which only its park consumes (returning at once):
 * the scheduler writes a goroutine's status when it parks it and when it
 * runs a RUNNABLE one (readied from a park, or new), never when it
 * switches a yielded or requeued one back in. So in that window the party
 * never blocks on anything else (that park would consume the wakeup), and
 * it always goes on to block on this waiter.
 *
 * Every block names what it waits on (a GORO_WAIT_* reason and the object),
 * for dumps and the deadlock check (diag/).
 */
#ifndef GORO_WAIT_H
#define GORO_WAIT_H

#include "sched/g.h"

/* A plain thread's record (diag/threads.c): heap memory that is never
 * freed (a dump or the deadlock check may read it at any time), reused by a later
 * thread once its thread has ended. The thread blocks on `futex`, not on
 * its waiter, so that whether it is really asleep can be read safely from
 * another thread: one thread has one waiter at a time, and a waiter's
 * waker has done its exchange on `futex` before the thread inits the next
 * one (every user of a claimed waiter waits for its wake). The waker's
 * futex_wake syscall may still land in the thread's next wait, which
 * then sees the word still 2 and treats it as spurious (the record is
 * never freed). Checked by verify/model (docs/verification.md). */
typedef struct goro__thr {
    /* 0 blocked-to-be, 1 woken (the waker's exchange), 2 sleeping */
    _Atomic uint32_t futex;
    _Atomic uint32_t seq;          /* blocks so far (the thread) */
    _Atomic uint8_t reason;        /* GORO_WAIT_*, NONE when not in a wait (the thread) */
    _Atomic bool timed;            /* the wait has a deadline (the thread) */
    const void *_Atomic obj;       /* what it waits on (the thread) */
    _Atomic int64_t since;         /* goro__nanotime() at the block (the thread) */
    _Atomic pid_t tid;             /* owner; 0: free (thr_lock in threads.c) */
    _Atomic uintptr_t fp;          /* frame pointer in its wait, for dumps (the thread) */
    bool is_main;                  /* the process's initial thread */
    uint32_t chk_gen, chk_seq;     /* the deadlock check's first look (sched.lock) */
    struct goro__thr *_Atomic next; /* registry link, set once */
} goro__thr;

goro__thr *goro__thr_self(void);   /* the calling thread's record; made on first use */
/* The calling thread is about to sleep with no deadline (its futex word
 * is 2): runs the deadlock check if every M is idle. */
void goro__thread_sleeps(void);

typedef struct goro__waiter {
    _Atomic uint32_t claimed;  /* 0 open, 1 claimed (CAS by sources, or by the deadline) */
    bool single;               /* one source, whose lock every claimer holds:
                                  the claim needs no CAS (set before queuing) */
    G *g;                      /* the goroutine, NULL on a plain thread */
    goro__thr *thr;            /* the plain thread's record, NULL for a goroutine */
    void *source;              /* which source woke it (written by the claimer) */
    void *elem;                /* hand-off buffer the claimer may copy to/from */
    int result;                /* outcome (written by the claimer) */
} goro__waiter;

void goro__waiter_init(goro__waiter *w);

static inline bool goro__waiter_claim(goro__waiter *w)
{
    if (w->single) {
        if (atomic_load_explicit(&w->claimed, memory_order_relaxed))
            return false;
        atomic_store_explicit(&w->claimed, 1, memory_order_relaxed);
        return true;
    }
    uint32_t z = 0;
    return atomic_compare_exchange_strong_explicit(&w->claimed, &z, 1,
            memory_order_acq_rel, memory_order_relaxed);
}

/* After a successful claim: wake the blocked party. Last access to w. */
void goro__waiter_wake(goro__waiter *w);
/* goro__waiter_wake for a party handed something nobody else can use
 * until it runs (a mutex in starvation mode): a goroutine woken by a
 * goroutine runs at once, in the waker's place (goro__ready_handoff). */
void goro__waiter_wake_handoff(goro__waiter *w);

/* Blocks until a source wakes w (returns w->result), or until `deadline`
 * (GORO_FOREVER: none) passes and w's own timeout wins the claim (returns
 * GORO_ETIMEDOUT, w->source NULL). reason (GORO_WAIT_*) and obj say what
 * it waits on. */
int goro__waiter_block(goro__waiter *w, int64_t deadline, int reason, const void *obj);

/* For a waiter that only sources holding `l` can claim (w->single, no
 * deadline), with l held: releases l and blocks; a goroutine releases l
 * only once it is parked, which spares the park/wake race. */
int goro__waiter_block_unlock(goro__waiter *w, goro__lock *l, int reason, const void *obj);

#endif
