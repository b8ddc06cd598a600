/* SPDX-License-Identifier: MIT */
/*
 * lock.h: the runtime's own futex-based lock and futex helpers.
 *
 * The runtime never uses pthread mutexes internally: they would block a
 * whole thread without the scheduler knowing, and TSan would see them as
 * happens-before edges between unrelated goroutines. goro__lock is for
 * short critical sections in runtime code only; it spins briefly, then
 * sleeps on the futex.
 *
 * States: 0 free; otherwise the holder's token (its kernel thread id
 * shifted left by one), with bit 0 set once a thread may sleep on it (the
 * release then wakes one). A lock is always released on the thread that
 * took it (a goroutine never switches while holding one, except through
 * goro__park_unlock, whose M releases it). Knowing the holder costs the
 * fast path nothing (one thread-local load) and lets the slow path see a
 * thread wait for a lock it holds itself, which only a goro call from a
 * signal handler can cause: that is reported and aborts instead of
 * hanging (lock.c).
 */
#ifndef GORO_LOCK_H
#define GORO_LOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "base/lockrank.h"

/* GORO_DEBUG builds give each lock a rank (lockrank.h) and keep a small
 * stack of the locks each thread holds: taking one out of order, or
 * asserting "held" on one the thread does not hold, aborts (lock.c).
 * Release builds have neither the field nor any check. */
#ifndef GORO_DEBUG
#define GORO_DEBUG 0
#endif

typedef struct goro__lock {
    _Atomic uint32_t state;
#if GORO_DEBUG
    uint32_t rank;
#endif
} goro__lock;

/* A static lock's initialiser; goro__lock_init ranks one in place. */
#if GORO_DEBUG
/* The rank word is tagged: a lock never ranked (memory from malloc, or the
 * 32-bit lock word inside a public goro.h object such as goro_mutex, where
 * "rank" is the next field's bytes) reads as GORO_RANK_NONE. */
#define GORO_RANK_TAG 0x52a40000u
#define GORO_LOCK_INIT(r) { 0, GORO_RANK_TAG | GORO_RANK_##r }
#define goro__lock_init(l, r) ((l)->rank = GORO_RANK_TAG | GORO_RANK_##r)
#define goro__lock_rank(l) (((l)->rank ^ GORO_RANK_TAG) < GORO_RANK_COUNT ? \
                            (l)->rank ^ GORO_RANK_TAG : GORO_RANK_NONE)
/* check: before taking l with rank r (aborts if out of order); acquired:
 * after (pushes it), so that a signal handler in between sees a
 * consistent stack. */
void goro__lock_debug_check(goro__lock *l, uint32_t r, const char *file, int line);
void goro__lock_debug_acquired(goro__lock *l, uint32_t r, const char *file, int line);
void goro__lock_debug_release(goro__lock *l);
void goro__lock_debug_held(goro__lock *l, const char *file, int line);
void goro__lock_debug_none_held(goro__lock *except, const char *file, int line);
#define GORO_LOCK_DEBUG_ACQUIRE(l) \
    goro__lock_debug_acquired(l, goro__lock_rank(l), __FILE__, __LINE__)
#define GORO_LOCK_DEBUG_RELEASE(l) goro__lock_debug_release(l)
/* Asserts this thread holds l (for "caller holds ..." functions). */
#define GORO_ASSERT_HELD(l) goro__lock_debug_held(l, __FILE__, __LINE__)
/* Asserts this thread holds no ranked lock but `except` (may be NULL):
 * at goroutine switches, where only a park's handed-over lock may be. */
#define GORO_ASSERT_NO_LOCKS(except) goro__lock_debug_none_held(except, __FILE__, __LINE__)
#else
#define GORO_LOCK_INIT(r) { 0 }
#define goro__lock_init(l, r) ((void)(l))
#define GORO_LOCK_DEBUG_ACQUIRE(l) ((void)0)
#define GORO_LOCK_DEBUG_RELEASE(l) ((void)0)
#define GORO_ASSERT_HELD(l) ((void)0)
#define GORO_ASSERT_NO_LOCKS(except) ((void)0)
#endif

/* This thread's token, 0 until its first lock (initial-exec: one
 * %fs-relative load, also inside libgoro.so). Reset in a fork child. */
extern __thread uint32_t goro__lock_me __attribute__((tls_model("initial-exec")));
uint32_t goro__lock_me_init(void);

void goro__lock_slow(goro__lock *l, uint32_t me);
void goro__futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t deadline);
void goro__futex_wake(_Atomic uint32_t *addr, int n);

static inline uint32_t goro__lock_token(void)
{
    uint32_t me = goro__lock_me;
    return __builtin_expect(me != 0, 1) ? me : goro__lock_me_init();
}

/* goro__lock_acquire takes a lock of its own rank; goro__lock_acquire_as
 * one with the rank given, for the lock words inside goro.h's objects
 * (they have no rank field: GORO_RANK_TAG). */
#if GORO_DEBUG
#define goro__lock_acquire(l) goro__lock_acquire_(l, goro__lock_rank(l), __FILE__, __LINE__)
#define goro__lock_acquire_as(l, r) goro__lock_acquire_(l, GORO_RANK_##r, __FILE__, __LINE__)
#else
#define goro__lock_acquire(l) goro__lock_acquire_(l, 0, NULL, 0)
#define goro__lock_acquire_as(l, r) goro__lock_acquire_(l, 0, NULL, 0)
#endif
static inline void goro__lock_acquire_(goro__lock *l, uint32_t rank, const char *file, int line)
{
#if GORO_DEBUG
    goro__lock_debug_check(l, rank, file, line);
#endif
    uint32_t z = 0, me = goro__lock_token();
    if (!atomic_compare_exchange_strong_explicit(&l->state, &z, me,
            memory_order_acquire, memory_order_relaxed))
        goro__lock_slow(l, me);
#if GORO_DEBUG
    goro__lock_debug_acquired(l, rank, file, line);
#else
    (void)rank, (void)file, (void)line;
#endif
}

static inline int goro__lock_try(goro__lock *l)
{
    uint32_t z = 0;
    int ok = atomic_compare_exchange_strong_explicit(&l->state, &z, goro__lock_token(),
            memory_order_acquire, memory_order_relaxed);
    if (ok)
        GORO_LOCK_DEBUG_ACQUIRE(l);   /* out of order is no deadlock for a try */
    return ok;
}

static inline void goro__lock_release(goro__lock *l)
{
    GORO_LOCK_DEBUG_RELEASE(l);
    if (atomic_exchange_explicit(&l->state, 0, memory_order_release) & 1)
        goro__futex_wake(&l->state, 1);
}

#endif
