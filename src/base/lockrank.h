/* SPDX-License-Identifier: MIT */
/*
 * lockrank.h: the one table of runtime lock ranks (the order is explained
 * in docs/design.md, "Lock order"; how to add one: docs/hacking.md).
 *
 * Ranks are listed in the order they may be taken: a thread holding a lock
 * of rank A may take a lock of rank B only if B comes later in the table,
 * or B == A and the rank's `self` column is 1 (locks of that rank are
 * taken several at a time in one fixed order, as select's channels are).
 * GORO_RANK_NONE (a zero-initialised lock) is not checked. The table is
 * only read by GORO_DEBUG builds (lock.c); release builds store no rank.
 */
#ifndef GORO_BASE_LOCKRANK_H
#define GORO_BASE_LOCKRANK_H

/*
 * The partial order, outside in (the table lists it as one total order;
 * "->" is "may be held while taking"):
 *
 *   TRACE_CTL -> TRACE_W            goro_trace_start/stop flush the buffers
 *   SIGNAL_REG -> CHAN -> SCHED     a signal is a send; a send readies
 *   CTX -> GFREE, ALLG, STACKPOOL, SCHED   cancel starts after_funcs
 *   TIMER -> CHAN, TIMERS           a goro_timer's stop drains its channel
 *                                   and stops its heap timer
 *   CHAN -> CHAN                    select: every channel, address order
 *   CHAN -> SCHED, TIMERS, GFREE..  a send or close readies goroutines
 *   NETPOLL_FD                      epoll_ctl under it; wakes after it
 *   SCHED -> TIMERS                 a retired P's timers move to P 0
 *   TIMERS -> TIMERS                two Ps' heaps, in P id order
 *   anything -> TRACE_W             an event may flush a full buffer
 *
 * The sync objects' locks (MUTEX .. ERRGROUP) and COND are leaves but for
 * the scheduler below them: waiters are claimed under them and woken
 * after. No runtime lock is held across a goroutine switch except the one
 * a park hands over (goro__park_unlock); GORO_DEBUG builds check that at
 * every switch (sched/switch.c). The locks inside goro.h's objects (a
 * 32-bit word, no room for a rank) are taken with goro__lock_acquire_as.
 */
/*         name        self  the lock                                   */
#define GORO_LOCK_RANKS(X) \
    X(NONE,       1)  /* unranked: not checked                         */ \
    X(TRACE_CTL,  0)  /* trace/trace.c ctl: tracer start/stop           */ \
    X(SIGNAL_REG, 0)  /* io/signal.c reg_lock: sends to channels under it */ \
    X(CTX,        0)  /* ctx/context.c mu: after_funcs start under it   */ \
    X(TIMER,      0)  /* time/timers.c op: a goro_timer's stop/reset   */ \
    X(CHAN,       1)  /* chan/chan.h: select locks several, in address order */ \
    X(MUTEX,      0)  /* sync/mutex.c lock_ (goro_mutex's word)         */ \
    X(RWMUTEX,    0)  /* sync/rwmutex.c lock_ (goro_rwmutex's word)     */ \
    X(COND,       0)  /* sync/cond.c lock_ (goro_cond's word)           */ \
    X(WAITGROUP,  0)  /* sync/waitgroup.c lock_ (goro_waitgroup's word) */ \
    X(SEMA,       0)  /* sync/sema.c mu                                 */ \
    X(ERRGROUP,   0)  /* sync/errgroup.c mu                             */ \
    X(NETPOLL_FD, 0)  /* io/netpoll.h a poll descriptor's lock          */ \
    X(NETPOLL_INIT, 0) /* io/netpoll.c init_lock                       */ \
    X(SCHED,      0)  /* sched/runtime.h goro__S.lock                  */ \
    X(TIMERS,     1)  /* sched/runtime.h p->timers_lock: P id order    */ \
    X(GFREE,      0)  /* sched/spawn.c gfree_lock (leaf)               */ \
    X(ALLG,       0)  /* sched/allg.c allg_lock (leaf)                 */ \
    X(STACKPOOL,  0)  /* sched/stack.c pool_lock (leaf)                */ \
    X(THREADS,    0)  /* diag/threads.c thr_lock (leaf)                */ \
    X(TRACE_W,    0)  /* trace/trace.c wlock: the trace file (leaf)    */ \
    X(TEST_A,     0)  /* only the lockrank test takes these two        */ \
    X(TEST_B,     0)

enum {
#define GORO_RANK_ENUM(name, self) GORO_RANK_##name,
    GORO_LOCK_RANKS(GORO_RANK_ENUM)
#undef GORO_RANK_ENUM
    GORO_RANK_COUNT
};

#endif
