/* SPDX-License-Identifier: MIT */
/*
 * lock.c: futex wait/wake and the slow path of goro__lock (see lock.h).
 * Deadlines are absolute CLOCK_MONOTONIC nanoseconds; INT64_MAX = none.
 *
 * The slow path never sleeps on a lock this thread holds: the holder was
 * interrupted by a signal whose handler called goro, and sleeping would
 * hang the thread for good, so it aborts naming the call. In a child of
 * fork() it aborts too: the holder may be a thread that no longer exists.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/base.h"

__thread uint32_t goro__lock_me __attribute__((tls_model("initial-exec")));

uint32_t goro__lock_me_init(void)
{
    /* Kernel thread ids are below 2^22 (PID_MAX_LIMIT): the shifted id
     * fits, and bit 0 stays free for the sleepers flag. */
    goro__lock_me = (uint32_t)syscall(SYS_gettid) << 1;
    return goro__lock_me;
}

void goro__futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t deadline)
{
    goro__fork_check(NULL, NULL, 0);   /* nobody would wake it */
    struct timespec ts, *tp = NULL;
    if (deadline != INT64_MAX) {
        ts.tv_sec = deadline / 1000000000;
        ts.tv_nsec = deadline % 1000000000;
        tp = &ts;
    }
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline. */
    int saved = errno;
    syscall(SYS_futex, addr, FUTEX_WAIT_BITSET_PRIVATE, val, tp, NULL,
            FUTEX_BITSET_MATCH_ANY);
    errno = saved;
}

void goro__futex_wake(_Atomic uint32_t *addr, int n)
{
    int saved = errno;
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
    errno = saved;
}

__attribute__((noinline, cold)) static void lock_self(void)
{
    goro__caller c;
    goro__caller_find(&c);
    if (c.in_handler)
        goro__fatal_site(c.site, "goro: %s called from a signal handler while this thread was "
                         "inside goro: it would wait forever for a runtime lock the thread "
                         "holds itself (no goro call is async-signal-safe)", c.entry);
    goro__fatal_site(c.site, "goro: %s would wait forever for a runtime lock this thread "
                     "already holds (goro was re-entered on the same thread)", c.entry);
}

void goro__lock_slow(goro__lock *l, uint32_t me)
{
    for (int i = 0; i < 100; i++) {
        uint32_t v = atomic_load_explicit(&l->state, memory_order_relaxed);
        if (v == 0 && atomic_compare_exchange_weak_explicit(&l->state, &v, me,
                memory_order_acquire, memory_order_relaxed))
            return;
        if ((v & ~1u) == me)
            lock_self();
        goro__cpu_relax();
    }
    goro__fork_check(NULL, NULL, 0);   /* the holder may be gone */
    for (;;) {
        uint32_t v = atomic_load_explicit(&l->state, memory_order_relaxed);
        if (v == 0) {
            /* Taken with the flag set: others may be asleep (Drepper's
             * mutex 2 does the same). */
            if (atomic_compare_exchange_weak_explicit(&l->state, &v, me | 1,
                    memory_order_acquire, memory_order_relaxed))
                return;
            continue;
        }
        if (!(v & 1) && !atomic_compare_exchange_weak_explicit(&l->state, &v, v | 1,
                memory_order_relaxed, memory_order_relaxed))
            continue;
        goro__futex_wait(&l->state, v | 1, INT64_MAX);
    }
}

#if GORO_DEBUG
/* ---- GORO_DEBUG: lock ranks and the per-thread stack of held locks ---- */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const rank_names[] = {
#define GORO_RANK_NAME(name, self) #name,
    GORO_LOCK_RANKS(GORO_RANK_NAME)
#undef GORO_RANK_NAME
};
static const unsigned char rank_self[] = {
#define GORO_RANK_SELF(name, self) self,
    GORO_LOCK_RANKS(GORO_RANK_SELF)
#undef GORO_RANK_SELF
};

/* The held stack grows on demand (select holds all its channels' locks):
 * a static TLS array that big would not fit where libgoro.so is
 * dlopen()ed. Freed at thread exit by a key destructor. */
struct held_lock {
    goro__lock *lock;
    uint32_t rank;     /* as taken: goro.h's lock words have no rank field */
    int line;
    const char *file;
};
static __thread struct held_lock *held;
static __thread int nheld, held_cap;
static pthread_key_t held_key;
static pthread_once_t held_once = PTHREAD_ONCE_INIT;

/* Other thread-exit destructors may still take locks: they start a new
 * stack (POSIX runs destructors again for a key set meanwhile). */
static void held_free(void *h)
{
    free(h);
    held = NULL;
    nheld = held_cap = 0;
}

static void held_key_init(void)
{
    pthread_key_create(&held_key, held_free);
}

static void held_grow(const char *file, int line)
{
    int cap = held_cap ? 2 * held_cap : 16;
    struct held_lock *h = realloc(held, (size_t)cap * sizeof *h);
    if (!h)
        goro__fatal(file, line, "lock rank: out of memory for the held-lock stack");
    pthread_once(&held_once, held_key_init);
    pthread_setspecific(held_key, h);
    held = h;
    held_cap = cap;
}

static const char *rank_name(uint32_t r)
{
    return rank_names[r];
}

void goro__lock_debug_check(goro__lock *l, uint32_t r, const char *file, int line)
{
    if (r == GORO_RANK_NONE)
        return;
    for (int i = 0; i < nheld; i++) {
        uint32_t h = held[i].rank;
        if (held[i].lock == l || h == GORO_RANK_NONE)
            continue;   /* the same lock again: goro__lock_slow reports it */
        if (r < h || (r == h && !rank_self[r]))
            goro__fatal(file, line, "lock rank: lock %s taken while holding lock %s "
                        "(taken at %s:%d): out of order, see src/base/lockrank.h",
                        rank_name(r), rank_name(h), held[i].file, held[i].line);
    }
}

void goro__lock_debug_acquired(goro__lock *l, uint32_t r, const char *file, int line)
{
    if (nheld == held_cap)
        held_grow(file, line);
    held[nheld].lock = l;
    held[nheld].rank = r;
    held[nheld].file = file;
    held[nheld].line = line;
    nheld++;
}

void goro__lock_debug_release(goro__lock *l)
{
    /* Usually the last one taken, not always (goro__park_unlock). */
    for (int i = nheld - 1; i >= 0; i--) {
        if (held[i].lock == l) {
            for (; i < nheld - 1; i++)
                held[i] = held[i + 1];
            nheld--;
            return;
        }
    }
    goro__fatal(__FILE__, __LINE__, "lock rank: lock %s (%p) released by a thread "
                "that does not hold it", rank_name(goro__lock_rank(l)), (void *)l);
}

void goro__lock_debug_held(goro__lock *l, const char *file, int line)
{
    for (int i = 0; i < nheld; i++)
        if (held[i].lock == l)
            return;
    goro__fatal(file, line, "lock rank: lock %s (%p) must be held here",
                rank_name(goro__lock_rank(l)), (void *)l);
}

void goro__lock_debug_none_held(goro__lock *except, const char *file, int line)
{
    for (int i = 0; i < nheld; i++)
        if (held[i].lock != except)
            goro__fatal(file, line, "lock rank: lock %s (taken at %s:%d) held across a "
                        "goroutine switch", rank_name(held[i].rank), held[i].file,
                        held[i].line);
}

void goro__assert_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    goro__fatal(file, line, "assertion failed: %s: %s", cond, msg);
}
#endif
