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

/*         name        self  the lock                                   */
#define GORO_LOCK_RANKS(X) \
    X(NONE,       1)  /* unranked: not checked                         */ \
    X(SIGNAL_REG, 0)  /* io/signal.c reg_lock: sends to channels under it */ \
    X(CHAN,       1)  /* chan/chan.h: select locks several, in address order */ \
    X(NETPOLL_INIT, 0) /* io/netpoll.c init_lock                       */ \
    X(SCHED,      0)  /* sched/runtime.h goro__S.lock                  */ \
    X(GFREE,      0)  /* sched/spawn.c gfree_lock (leaf)               */ \
    X(ALLG,       0)  /* sched/allg.c allg_lock (leaf)                 */ \
    X(STACKPOOL,  0)  /* sched/stack.c pool_lock (leaf)                */ \
    X(THREADS,    0)  /* diag/threads.c thr_lock (leaf)                */ \
    X(TEST_A,     0)  /* only the lockrank test takes these two        */ \
    X(TEST_B,     0)

enum {
#define GORO_RANK_ENUM(name, self) GORO_RANK_##name,
    GORO_LOCK_RANKS(GORO_RANK_ENUM)
#undef GORO_RANK_ENUM
    GORO_RANK_COUNT
};

#endif
