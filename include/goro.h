/* SPDX-License-Identifier: MIT */
/*
 * goro.h: Go's concurrency model for C. The only public header.
 *
 * Goroutines run M:N on OS threads under a work-stealing scheduler (Go's
 * G/M/P design). Every blocking call works both inside a goroutine (it parks
 * the goroutine; its thread runs others) and on a plain thread such as main
 * (it blocks that thread). Nothing needs an explicit start: the first call
 * starts the runtime. When main returns the process exits and every
 * goroutine dies with it, as in Go.
 *
 * Conventions (see docs/guide.md for the Go-to-goro table):
 *  - calls that can fail return int: 0 on success, a negative GORO_E* code
 *    or -errno on failure; a call that fails has changed nothing;
 *  - time is int64_t nanoseconds; a deadline is absolute on goro_now()'s
 *    monotonic clock; GORO_FOREVER means none;
 *  - zero-initialised sync objects are ready to use.
 */
#ifndef GORO_H
#define GORO_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GORO_API __attribute__((visibility("default")))
#else
#define GORO_API
#endif

/* Internal: the header's casts, static_cast in C++ (so that -Wold-style-cast
 * stays quiet), and a marker for its inline functions (unused ones draw
 * no warning). goro.h compiles without warnings as C99 and later and as
 * C++11 and later. */
#ifdef __cplusplus
#define GORO_CAST_(T, x) (static_cast<T>(x))
#else
#define GORO_CAST_(T, x) ((T)(x))
#endif
#if defined(__GNUC__)
#define GORO_INLINE_ static inline __attribute__((unused))
#else
#define GORO_INLINE_ static inline
#endif
/* Internal: the zero initializer every GORO_*_INIT expands to; {0} in C
 * and {} in C++ are the forms no compiler warns about. */
#ifdef __cplusplus
#define GORO_ZERO_INIT_ {}
#else
#define GORO_ZERO_INIT_ {0}
#endif

/* ---- Version ------------------------------------------------------------
 * Semantic versioning: MAJOR changes with every incompatible change to the
 * API or ABI (and with it the soname, libgoro.so.MAJOR), MINOR with
 * compatible additions, PATCH with fixes. GORO_VERSION is the header's
 * version as one number, MAJOR * 1000000 + MINOR * 1000 + PATCH;
 * goro_version() returns the library's own, so a program can check that
 * it runs with the library it was built for. */
#define GORO_VERSION_MAJOR 0
#define GORO_VERSION_MINOR 1
#define GORO_VERSION_PATCH 0
#define GORO_VERSION \
    (GORO_VERSION_MAJOR * 1000000 + GORO_VERSION_MINOR * 1000 + GORO_VERSION_PATCH)

GORO_API int goro_version(void);

/* ---- Error codes --------------------------------------------------------
 * The codes that have a POSIX twin share its value (negated); GORO_ECLOSED
 * has none. Kernel failures come back as -errno. */
#define GORO_EAGAIN    (-11)   /* a try call would have blocked      (-EAGAIN)    */
#define GORO_ENOMEM    (-12)   /* out of memory                      (-ENOMEM)    */
#define GORO_EINVAL    (-22)   /* bad argument, NULL object          (-EINVAL)    */
#define GORO_ETIMEDOUT (-110)  /* the deadline passed                (-ETIMEDOUT) */
#define GORO_ECANCELED (-125)  /* the context was cancelled          (-ECANCELED) */
#define GORO_ECLOSED   (-1001) /* the channel is closed                            */

/* A short English name for any code above or any -errno. Never NULL. */
GORO_API const char *goro_strerror(int code);

/* ---- Time ---------------------------------------------------------------*/
#define GORO_NANOSECOND  GORO_CAST_(int64_t, 1)
#define GORO_MICROSECOND GORO_CAST_(int64_t, 1000)
#define GORO_MILLISECOND GORO_CAST_(int64_t, 1000000)
#define GORO_SECOND      GORO_CAST_(int64_t, 1000000000)
#define GORO_MINUTE      GORO_CAST_(int64_t, 60000000000)
#define GORO_FOREVER     INT64_MAX

/* Nanoseconds on the monotonic clock (CLOCK_MONOTONIC). */
GORO_API int64_t goro_now(void);
/* Pauses the calling goroutine (or thread) for at least d nanoseconds.
 * d <= 0 returns at once, as time.Sleep does. */
GORO_API void goro_sleep(int64_t d);

/* Timers (Go 1.23 semantics). goro_after(d): a channel of int64_t that
 * receives the fire time (goro_now() then) once; the caller releases it.
 * goro_timer_new(d) / goro_timer_chan(t); goro_timer_stop and
 * goro_timer_reset return true if the timer was pending, counting a fired
 * value not yet received, which they drain: no stale value is received
 * after they return. goro_timer_free stops, then frees. d <= 0 fires at
 * once. goro_after_func(d, fn, arg) runs fn(arg) in its own goroutine when
 * it fires (its chan is NULL; stop returns false once fn has started);
 * goro_after_func_opts(d, &opts, fn, arg) gives that goroutine goro_go_opts'
 * options (read at the call; NULL for a bad stack size).
 * Tickers send every period and drop ticks a slow reader misses; period
 * <= 0 is GORO_EINVAL (NULL from new). Pending timers cost memory, not CPU.
 * NULL is returned only when out of memory (or for bad arguments). */
typedef struct goro_timer goro_timer;
typedef struct goro_ticker goro_ticker;
struct goro_chan;
struct goro_opts;

GORO_API struct goro_chan *goro_after(int64_t d);
GORO_API goro_timer *goro_timer_new(int64_t d);
GORO_API struct goro_chan *goro_timer_chan(goro_timer *t);
GORO_API bool goro_timer_stop(goro_timer *t);
GORO_API bool goro_timer_reset(goro_timer *t, int64_t d);
GORO_API void goro_timer_free(goro_timer *t);
GORO_API goro_timer *goro_after_func_at(int64_t d, void (*fn)(void *), void *arg,
                                        const char *file, int line);
GORO_API goro_timer *goro_after_func_opts_at(int64_t d, const struct goro_opts *opts,
                                             void (*fn)(void *), void *arg,
                                             const char *file, int line);
#define goro_after_func(d, fn, arg) goro_after_func_at((d), (fn), (arg), __FILE__, __LINE__)
#define goro_after_func_opts(d, opts, fn, arg) \
    goro_after_func_opts_at((d), (opts), (fn), (arg), __FILE__, __LINE__)
GORO_API goro_ticker *goro_ticker_new(int64_t period);
GORO_API struct goro_chan *goro_ticker_chan(goro_ticker *t);
GORO_API int goro_ticker_reset(goro_ticker *t, int64_t period);
GORO_API void goro_ticker_stop(goro_ticker *t);
GORO_API void goro_ticker_free(goro_ticker *t);

/* ---- Runtime (Go: runtime package) -------------------------------------
 * goro_maxprocs(n): sets the number of Ps (threads running goroutines at
 * once) and returns the previous value; n <= 0 only queries. GORO_ENOMEM,
 * changing nothing, when a new P's record cannot be allocated. The default is
 * the number of CPUs the process may use; the GOROMAXPROCS environment
 * variable overrides it. It may change while goroutines run.
 *
 * Scheduling promises: a goroutine woken by another runs next on the waker's
 * P and inherits its time slice (Go's runnext). */
GORO_API int goro_maxprocs(int n);
GORO_API int goro_num_goroutine(void);   /* live goroutines (runtime.NumGoroutine, less main) */
GORO_API int goro_num_cpu(void);
GORO_API void goro_yield(void);          /* runtime.Gosched */
GORO_API uint64_t goro_id(void);         /* current goroutine's id; 0 on a plain thread */
/* 1 when called from goroutine code (not a plain thread, not the runtime's
 * own code running on a goroutine's stack), else 0. Interposers such as
 * libgoro-hook use it to decide whether a blocking call may park. */
GORO_API int goro_in_goroutine(void);
/* Wires the calling goroutine to its OS thread until the matching unlock
 * (calls nest, as in Go). On a plain thread both are no-ops. */
GORO_API void goro_lock_os_thread(void);
GORO_API void goro_unlock_os_thread(void);

/* ---- Goroutines (Go: the go statement) ---------------------------------
 * goro_go(fn, arg) starts fn(arg) as a new goroutine and returns 0 at once,
 * or GORO_ENOMEM (GORO_EINVAL for a NULL fn). The call site is recorded for
 * dumps and leak reports. A goroutine that has not run yet holds no stack;
 * its stack is attached when it first runs and pooled when it ends. Stacks
 * never move, so pointers to a parked goroutine's locals stay valid.
 *
 * goro_go_copy(fn, &value, sizeof value) copies the argument into the
 * goroutine's own storage (up to GORO_COPY_INLINE bytes with no extra
 * allocation) and passes fn a pointer to that copy: the C answer to Go's
 * loop-variable capture pitfall.
 *
 * goro_go_opts(&opts, fn, arg) takes options: a name shown in dumps and a
 * stack size (0 = the default; rounded up to pages; at most GORO_STACK_MAX,
 * else GORO_EINVAL; a 1 MiB guard region below it catches overflow). The
 * calls that start goroutines for the user have _opts forms too.
 *
 * The default stack size is GORO_STACK_DEFAULT, or the GOROSTACKSIZE
 * environment variable (bytes, or with a k, m or g suffix; read when the
 * runtime starts; a malformed value aborts then).
 * goro_set_default_stack_size(size) changes it for goroutines started
 * afterwards (0 = GORO_STACK_DEFAULT; GORO_EINVAL above GORO_STACK_MAX);
 * goro_default_stack_size() returns it, rounded up to pages. */
typedef void (*goro_fn)(void *arg);

#define GORO_STACK_DEFAULT (GORO_CAST_(size_t, 64) * 1024)
#define GORO_STACK_MAX     (GORO_CAST_(size_t, 1) << 30)
#define GORO_COPY_INLINE   256

typedef struct goro_opts {
    const char *name;       /* shown in dumps; the string must outlive the goroutine */
    size_t stack_size;      /* bytes; 0 = the default (goro_default_stack_size) */
} goro_opts;

GORO_API int goro_set_default_stack_size(size_t size);
GORO_API size_t goro_default_stack_size(void);

GORO_API int goro_go_at(goro_fn fn, void *arg, const char *file, int line);
GORO_API int goro_go_copy_at(goro_fn fn, const void *arg, size_t size,
                             const char *file, int line);
GORO_API int goro_go_opts_at(const goro_opts *opts, goro_fn fn, void *arg,
                             const char *file, int line);

#define goro_go(fn, arg)            goro_go_at((fn), (arg), __FILE__, __LINE__)
#define goro_go_copy(fn, arg, size) goro_go_copy_at((fn), (arg), (size), __FILE__, __LINE__)
#define goro_go_opts(opts, fn, arg) goro_go_opts_at((opts), (fn), (arg), __FILE__, __LINE__)

/* ---- WaitGroup (Go: sync.WaitGroup) ------------------------------------
 * Zero value ready: static, or `goro_waitgroup wg = GORO_WAITGROUP_INIT;`
 * (each sync type's INIT macro is its zero value in a form neither C nor
 * C++ compilers warn about). add(n) with a negative total aborts with the
 * call site, as Go panics. wait returns once the counter is zero;
 * wait_until returns 0 or GORO_ETIMEDOUT. goro_waitgroup_go(&wg, fn, arg) is Go 1.25's wg.Go:
 * add(1), then start fn(arg) as a goroutine that calls done when fn
 * returns (GORO_ENOMEM leaves the counter unchanged);
 * goro_waitgroup_go_opts(&wg, &opts, fn, arg) with goro_go_opts' options. */
typedef struct goro_waitgroup {
    uint64_t state_;        /* internal: counter << 32 | waiters */
    uint32_t lock_;         /* internal */
    void *waiters_;         /* internal */
} goro_waitgroup;

#define GORO_WAITGROUP_INIT GORO_ZERO_INIT_

GORO_API void goro_waitgroup_add_at(goro_waitgroup *wg, int64_t delta,
                                    const char *file, int line);
GORO_API void goro_waitgroup_wait(goro_waitgroup *wg);
GORO_API int goro_waitgroup_wait_until(goro_waitgroup *wg, int64_t deadline);
GORO_API int goro_waitgroup_go_at(goro_waitgroup *wg, goro_fn fn, void *arg,
                                  const char *file, int line);
GORO_API int goro_waitgroup_go_opts_at(goro_waitgroup *wg, const goro_opts *opts,
                                       goro_fn fn, void *arg, const char *file, int line);

#define goro_waitgroup_add(wg, n)   goro_waitgroup_add_at((wg), (n), __FILE__, __LINE__)
#define goro_waitgroup_done(wg)     goro_waitgroup_add_at((wg), -1, __FILE__, __LINE__)
#define goro_waitgroup_go(wg, fn, arg) \
    goro_waitgroup_go_at((wg), (fn), (arg), __FILE__, __LINE__)
#define goro_waitgroup_go_opts(wg, opts, fn, arg) \
    goro_waitgroup_go_opts_at((wg), (opts), (fn), (arg), __FILE__, __LINE__)

/* ---- Mutex, RWMutex, Once, Cond (Go: sync) -----------------------------
 * Zero values are ready (static, or = GORO_MUTEX_INIT, GORO_RWMUTEX_INIT,
 * GORO_ONCE_INIT, GORO_COND_INIT); none needs destroying, and none
 * may be copied once used. All work from goroutines and plain threads
 * alike, and a lock taken on one may be released on the other.
 *
 * goro_mutex: Go's sync.Mutex, with its two modes. Normally a running
 * locker may take the mutex ahead of a woken waiter (throughput); a waiter
 * kept out for more than 1 ms switches the mutex to starvation mode, where
 * unlock hands it straight to the longest waiter (FIFO) and newcomers
 * queue. lock_until returns 0 or GORO_ETIMEDOUT; trylock 0 or GORO_EAGAIN
 * (Go's `if mu.TryLock()` is `if (goro_mutex_trylock(&mu) == 0)`). Unlock
 * of an unlocked mutex aborts naming the call site ("sync: unlock of
 * unlocked mutex"), as Go's fatal error does.
 *
 * goro_rwmutex: Go's sync.RWMutex. Any number of readers or one writer; a
 * writer waiting for the readers to leave holds back new readers, and the
 * readers that queued behind a writer go before the next writer. runlock
 * or unlock of a lock not held that way aborts naming the call site.
 *
 * goro_once_do(&once, fn, arg) runs fn(arg) exactly once per once; every
 * concurrent caller returns only after fn has returned.
 *
 * goro_cond: Go's sync.Cond; the mutex is passed to wait (so the zero
 * value works). wait unlocks mu, sleeps until signalled, and locks mu
 * again before returning; wait_until also returns (0 or GORO_ETIMEDOUT)
 * when the deadline passes, with mu locked again either way. signal wakes
 * the longest waiter, broadcast all; waiters wake in the order they began
 * waiting, and never without a signal, broadcast or deadline. */
typedef struct goro_mutex {
    uint32_t state_;        /* internal: locked | woken | starving | waiters << 3 */
    uint32_t lock_;         /* internal: guards the wait queue */
    void *head_, *tail_;    /* internal: wait queue */
} goro_mutex;

#define GORO_MUTEX_INIT GORO_ZERO_INIT_

GORO_API void goro_mutex_lock(goro_mutex *mu);
GORO_API int goro_mutex_lock_until(goro_mutex *mu, int64_t deadline);
GORO_API int goro_mutex_trylock(goro_mutex *mu);
GORO_API void goro_mutex_unlock_at(goro_mutex *mu, const char *file, int line);

#define goro_mutex_unlock(mu) goro_mutex_unlock_at((mu), __FILE__, __LINE__)

/* Internal: the uncontended lock and unlock (a CAS each, as in Go, whose
 * Lock and Unlock inline theirs) compiled into the caller; anything else
 * (held, waiters, starvation mode, NULL, unlock of an unlocked mutex) goes
 * to the functions above. Not under ThreadSanitizer, whose build of the
 * library annotates every lock and unlock (its own calls included: that
 * build is not instrumented, GORO_TSAN marks it), nor for compilers
 * without the GCC atomic builtins. goro_mutex_lock without arguments (its
 * address) is still the function. */
#if defined(GORO_TSAN) && GORO_TSAN
#define GORO_NO_INLINE_LOCK_ 1   /* the library's own TSan build (uninstrumented) */
#endif
#if defined(__GNUC__) && !defined(__SANITIZE_THREAD__)
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GORO_NO_INLINE_LOCK_ 1
#endif
#endif
#ifndef GORO_NO_INLINE_LOCK_
GORO_INLINE_ void goro_mutex_lock_inline_(goro_mutex *mu)
{
    uint32_t unlocked = 0;
    if (__builtin_expect(mu &&
            __atomic_compare_exchange_n(&mu->state_, &unlocked, 1u, 0,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED), 1))
        return;
    (goro_mutex_lock)(mu);
}

GORO_INLINE_ void goro_mutex_unlock_inline_(goro_mutex *mu, const char *file, int line)
{
    uint32_t locked = 1;
    if (__builtin_expect(mu &&
            __atomic_compare_exchange_n(&mu->state_, &locked, 0u, 0,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED), 1))
        return;
    goro_mutex_unlock_at(mu, file, line);
}

#define goro_mutex_lock(mu) goro_mutex_lock_inline_(mu)
#undef goro_mutex_unlock
#define goro_mutex_unlock(mu) goro_mutex_unlock_inline_((mu), __FILE__, __LINE__)
#endif
#endif

typedef struct goro_rwmutex {
    uint32_t state_;        /* internal: readers | writer | waiting flags */
    uint32_t lock_;         /* internal: guards the wait queues */
    void *rhead_, *rtail_;  /* internal: waiting readers */
    void *whead_, *wtail_;  /* internal: waiting writers */
} goro_rwmutex;

#define GORO_RWMUTEX_INIT GORO_ZERO_INIT_

GORO_API void goro_rwmutex_rlock(goro_rwmutex *rw);
GORO_API int goro_rwmutex_rlock_until(goro_rwmutex *rw, int64_t deadline);
GORO_API int goro_rwmutex_tryrlock(goro_rwmutex *rw);
GORO_API void goro_rwmutex_runlock_at(goro_rwmutex *rw, const char *file, int line);
GORO_API void goro_rwmutex_lock(goro_rwmutex *rw);
GORO_API int goro_rwmutex_lock_until(goro_rwmutex *rw, int64_t deadline);
GORO_API int goro_rwmutex_trylock(goro_rwmutex *rw);
GORO_API void goro_rwmutex_unlock_at(goro_rwmutex *rw, const char *file, int line);

#define goro_rwmutex_runlock(rw) goro_rwmutex_runlock_at((rw), __FILE__, __LINE__)
#define goro_rwmutex_unlock(rw)  goro_rwmutex_unlock_at((rw), __FILE__, __LINE__)

typedef struct goro_once {
    uint32_t done_;         /* internal */
    goro_mutex mu_;         /* internal */
} goro_once;

#define GORO_ONCE_INIT GORO_ZERO_INIT_

GORO_API void goro_once_do(goro_once *once, goro_fn fn, void *arg);

typedef struct goro_cond {
    uint32_t lock_;         /* internal: guards the wait queue */
    uint32_t nwait_;        /* internal: waiters queued */
    void *head_, *tail_;    /* internal: wait queue */
    void *self_;            /* internal: address at first use (copy check) */
} goro_cond;

#define GORO_COND_INIT GORO_ZERO_INIT_

GORO_API void goro_cond_wait_at(goro_cond *c, goro_mutex *mu, const char *file, int line);
GORO_API int goro_cond_wait_until_at(goro_cond *c, goro_mutex *mu, int64_t deadline,
                                     const char *file, int line);
GORO_API void goro_cond_signal_at(goro_cond *c, const char *file, int line);
GORO_API void goro_cond_broadcast_at(goro_cond *c, const char *file, int line);

#define goro_cond_wait(c, mu) goro_cond_wait_at((c), (mu), __FILE__, __LINE__)
#define goro_cond_wait_until(c, mu, deadline) \
    goro_cond_wait_until_at((c), (mu), (deadline), __FILE__, __LINE__)
#define goro_cond_signal(c)    goro_cond_signal_at((c), __FILE__, __LINE__)
#define goro_cond_broadcast(c) goro_cond_broadcast_at((c), __FILE__, __LINE__)

/* ---- Channels (Go: chan T, <-, close, range, len, cap) -----------------
 * goro_chan_make(elem_size, cap): cap 0 is unbuffered (a rendezvous: a send
 * hands its value straight to a receiver). Returns one reference, or NULL
 * when out of memory or elem_size > 64 KiB. retain/release add and drop
 * references; the last release frees it (no goroutine may still be blocked
 * on it then: that aborts).
 *
 * send copies elem_size bytes from elem (NULL only for elem_size 0, else
 * GORO_EINVAL); recv copies into out (NULL discards). Values arrive in the order sent; each is received exactly once
 * or still sits in the buffer. recv returns GORO_ECLOSED once the channel is
 * closed *and* drained, with *out zeroed (Go's v, ok := <-ch with ok false,
 * and what ends a for-range loop). A send on a closed channel, or a second
 * close, returns GORO_ECLOSED. close wakes every blocked receiver and
 * sender. try_ twins return GORO_EAGAIN instead of blocking; _until twins
 * GORO_ETIMEDOUT at the deadline. A NULL channel is GORO_EINVAL. Every call
 * works from goroutines and from plain threads. */
typedef struct goro_chan goro_chan;

GORO_API goro_chan *goro_chan_make(size_t elem_size, size_t cap);
GORO_API goro_chan *goro_chan_retain(goro_chan *ch);   /* returns ch */
GORO_API void goro_chan_release(goro_chan *ch);
GORO_API int goro_chan_send(goro_chan *ch, const void *elem);
GORO_API int goro_chan_send_until(goro_chan *ch, const void *elem, int64_t deadline);
GORO_API int goro_chan_try_send(goro_chan *ch, const void *elem);
GORO_API int goro_chan_recv(goro_chan *ch, void *out);
GORO_API int goro_chan_recv_until(goro_chan *ch, void *out, int64_t deadline);
GORO_API int goro_chan_try_recv(goro_chan *ch, void *out);
GORO_API int goro_chan_close(goro_chan *ch);
GORO_API size_t goro_chan_len(goro_chan *ch);
GORO_API size_t goro_chan_cap(goro_chan *ch);

/* ---- Typed, directional channels (Go: chan T, chan<- T, <-chan T) --------
 * GORO_CHAN_DEFINE(intch, int) declares:
 *   intch            a channel of int; intch_make(cap), intch_release(ch)
 *   intch_tx         its send-only view: ch.tx   (Go's chan<- int)
 *   intch_rx         its receive-only view: ch.rx (Go's <-chan int)
 *   intch_send(intch_tx, int), intch_try_send, intch_close(intch_tx)
 *   intch_recv(intch_rx, int *), intch_try_recv, intch_len(intch_rx)
 * Sending needs a send view and receiving a receive view, so passing one
 * where the other is expected is a compile error, as in Go. A typed value
 * carries only the value type, so sending a long on an intch converts it
 * as C does, and &v for recv must be an int *. goro_chan_of(x) gives the
 * untyped goro_chan * of a channel or either view, for select. A macro
 * cannot define another macro, hence goro_chan_of rather than intch_chan. */
#define goro_chan_of(x) ((x).c_)

#define GORO_CHAN_DEFINE(name, T)                                               \
    typedef struct name##_tx { goro_chan *c_; } name##_tx;                     \
    typedef struct name##_rx { goro_chan *c_; } name##_rx;                     \
    typedef union name { goro_chan *c_; name##_tx tx; name##_rx rx; } name;    \
    GORO_INLINE_ name name##_make(size_t cap)                                 \
    { name ch; ch.c_ = goro_chan_make(sizeof(T), cap); return ch; }           \
    GORO_INLINE_ void name##_release(name ch) { goro_chan_release(ch.c_); }  \
    GORO_INLINE_ int name##_send(name##_tx ch, T v)                           \
    { return goro_chan_send(ch.c_, &v); }                                      \
    GORO_INLINE_ int name##_try_send(name##_tx ch, T v)                       \
    { return goro_chan_try_send(ch.c_, &v); }                                  \
    GORO_INLINE_ int name##_close(name##_tx ch) { return goro_chan_close(ch.c_); } \
    GORO_INLINE_ int name##_recv(name##_rx ch, T *out)                        \
    { return goro_chan_recv(ch.c_, out); }                                     \
    GORO_INLINE_ int name##_try_recv(name##_rx ch, T *out)                    \
    { return goro_chan_try_recv(ch.c_, out); }                                 \
    GORO_INLINE_ size_t name##_len(name##_rx ch) { return goro_chan_len(ch.c_); }

/* ---- Select (Go: select) ------------------------------------------------
 * A select is an array of goro_case built with GORO_CASE_SEND(ch, &v) and
 * GORO_CASE_RECV(ch, &v) (&v may be NULL to discard a received value).
 * goro_select blocks until one case can proceed, performs it and returns
 * its index, choosing uniformly at random among ready cases. A case whose
 * channel is NULL never proceeds (Go's nil-channel idiom). Afterwards
 * cases[i].result is 0, or GORO_ECLOSED for a receive that found the
 * channel closed and drained (value zeroed: Go's ok == false) or a send on
 * a closed channel. goro_select_try returns GORO_EAGAIN when no case is
 * ready (Go's default:), goro_select_until GORO_ETIMEDOUT at the deadline.
 * With no cases, or only NULL ones, goro_select blocks forever (select {}).
 * A send case with a NULL val on a channel of non-empty elements, or a dir
 * that is neither, makes the select GORO_EINVAL, doing nothing. Needs
 * memory only for more than 8 cases (else GORO_ENOMEM). */
enum { GORO_SEND = 1, GORO_RECV = 2 };

typedef struct goro_case {
    goro_chan *ch;
    void *val;      /* send: the value; receive: the destination or NULL */
    int dir;        /* GORO_SEND or GORO_RECV */
    int result;     /* out: 0 or GORO_ECLOSED */
} goro_case;

/* The case builders are functions, not compound literals, so that C++
 * compiles them too. A receive's destination is a void * (the compiler
 * then knows select may write it); a send's value may be const. */
GORO_INLINE_ goro_case goro_case_make_(goro_chan *ch, void *val, int dir)
{
    goro_case c;
    c.ch = ch;
    c.val = val;
    c.dir = dir;
    c.result = 0;
    return c;
}
GORO_INLINE_ goro_case goro_case_send_(goro_chan *ch, const void *val)
{
#ifdef __cplusplus
    return goro_case_make_(ch, const_cast<void *>(val), GORO_SEND);
#else
    return goro_case_make_(ch, (void *)val, GORO_SEND);
#endif
}
#define GORO_CASE_SEND(c, v) goro_case_send_((c), (v))
#define GORO_CASE_RECV(c, v) goro_case_make_((c), (v), GORO_RECV)

GORO_API int goro_select(goro_case *cases, int n);
GORO_API int goro_select_try(goro_case *cases, int n);
GORO_API int goro_select_until(goro_case *cases, int n, int64_t deadline);

/* ---- Context (Go: context package) ---------------------------------------
 * goro_ctx_background() never ends and needs no release. with_cancel,
 * with_deadline, with_timeout (and their _cause forms), with_value and
 * without_cancel return a context holding one reference for the caller
 * (NULL only when out of memory or for a NULL parent); a child holds a
 * reference on its parent. goro_ctx_cancel(ctx) cancels ctx and all its
 * descendants at once, whoever else holds references; it returns
 * GORO_EINVAL for a context that cannot be cancelled (background, value,
 * without_cancel). Releasing the last reference of a cancellable context
 * cancels it, so Go's
 *     ctx, cancel := context.WithTimeout(parent, d); defer cancel()
 * is
 *     goro_ctx *ctx = goro_ctx_with_timeout(parent, d);
 *     ... goro_ctx_cancel(ctx); goro_ctx_release(ctx);
 * done(ctx) is a channel closed on cancellation, for select; NULL for a
 * context that can never be cancelled (select treats it as never ready).
 * err: 0, GORO_ECANCELED, or GORO_ETIMEDOUT (deadline exceeded). Causes
 * are any non-zero int; cause(ctx) is the cause, or err when none was
 * given, or 0 while not cancelled. A child's deadline later than its
 * parent's is ignored. goro_ctx_after_func(ctx, fn, arg) runs fn(arg) in
 * its own goroutine once ctx is cancelled (at once if it already is);
 * goro_ctx_after_func_opts(ctx, &opts, fn, arg) gives it goro_go_opts'
 * options, as goro_after_func_opts does. goro_ctx_after_func_stop(h) returns true if it prevented fn, false if fn
 * had started or an earlier stop prevented it (Go's stop: any number of
 * calls, from any goroutine). The caller owns h: goro_ctx_after_free(h)
 * stops it and frees it, as the last call on it (also after fn ran or the
 * context was released). Values are looked up by key address. */
typedef struct goro_ctx goro_ctx;
typedef struct goro_ctx_after goro_ctx_after;

GORO_API goro_ctx *goro_ctx_background(void);
GORO_API goro_ctx *goro_ctx_with_cancel(goro_ctx *parent);
GORO_API goro_ctx *goro_ctx_with_deadline(goro_ctx *parent, int64_t deadline);
GORO_API goro_ctx *goro_ctx_with_deadline_cause(goro_ctx *parent, int64_t deadline, int cause);
GORO_API goro_ctx *goro_ctx_with_timeout(goro_ctx *parent, int64_t d);
GORO_API goro_ctx *goro_ctx_with_timeout_cause(goro_ctx *parent, int64_t d, int cause);
GORO_API goro_ctx *goro_ctx_with_value(goro_ctx *parent, const void *key, void *val);
GORO_API goro_ctx *goro_ctx_without_cancel(goro_ctx *parent);
GORO_API goro_ctx *goro_ctx_retain(goro_ctx *ctx);   /* returns ctx */
GORO_API void goro_ctx_release(goro_ctx *ctx);
GORO_API int goro_ctx_cancel(goro_ctx *ctx);
GORO_API int goro_ctx_cancel_cause(goro_ctx *ctx, int cause);
GORO_API goro_chan *goro_ctx_done(goro_ctx *ctx);
GORO_API int goro_ctx_err(goro_ctx *ctx);
GORO_API int goro_ctx_cause(goro_ctx *ctx);
GORO_API bool goro_ctx_deadline(goro_ctx *ctx, int64_t *deadline);
GORO_API void *goro_ctx_value(goro_ctx *ctx, const void *key);
GORO_API goro_ctx_after *goro_ctx_after_func_at(goro_ctx *ctx, goro_fn fn, void *arg,
                                                const char *file, int line);
GORO_API goro_ctx_after *goro_ctx_after_func_opts_at(goro_ctx *ctx, const goro_opts *opts,
                                                     goro_fn fn, void *arg,
                                                     const char *file, int line);
#define goro_ctx_after_func(ctx, fn, arg) \
    goro_ctx_after_func_at((ctx), (fn), (arg), __FILE__, __LINE__)
#define goro_ctx_after_func_opts(ctx, opts, fn, arg) \
    goro_ctx_after_func_opts_at((ctx), (opts), (fn), (arg), __FILE__, __LINE__)
GORO_API bool goro_ctx_after_func_stop(goro_ctx_after *h);
GORO_API void goro_ctx_after_free(goro_ctx_after *h);

/* ---- Weighted semaphore (golang.org/x/sync/semaphore) --------------------
 * goro_sema_new(size) (NULL when out of memory or size < 0). acquire(s,
 * ctx, n) blocks until n units are available or ctx ends (ctx NULL means
 * background): 0, or the context's error. Waiters are served first come,
 * first served, so a large request is not starved by small ones; a request
 * larger than the size waits only for ctx. try_acquire returns 0 or
 * GORO_EAGAIN. Releasing more than is held aborts naming the call site. */
typedef struct goro_sema goro_sema;

GORO_API goro_sema *goro_sema_new(int64_t size);
GORO_API int goro_sema_acquire(goro_sema *s, goro_ctx *ctx, int64_t n);
GORO_API int goro_sema_try_acquire(goro_sema *s, int64_t n);
GORO_API void goro_sema_release_at(goro_sema *s, int64_t n, const char *file, int line);
#define goro_sema_release(s, n) goro_sema_release_at((s), (n), __FILE__, __LINE__)
GORO_API void goro_sema_free(goro_sema *s);

/* ---- Error groups (golang.org/x/sync/errgroup) -----------------------------
 * goro_errgroup_new(parent) (parent NULL: background). Tasks are
 * int fn(void *arg); goro_errgroup_go starts one (blocking while the limit
 * is reached), goro_errgroup_try_go returns GORO_EAGAIN instead; their
 * _opts forms take goro_go_opts' options, goro_errgroup_go_copy copies the
 * argument as goro_go_copy does.
 * goro_errgroup_ctx(g) is cancelled, with the first non-zero result as its
 * cause, when a task first fails, and when wait returns. wait returns the
 * first non-zero result (0 if none). set_limit(n): at most n active tasks,
 * n < 0 no limit; GORO_EINVAL while any task is active (limited or not).
 * free after wait (it waits for tasks still running). */
typedef struct goro_errgroup goro_errgroup;
typedef int (*goro_task_fn)(void *arg);

GORO_API goro_errgroup *goro_errgroup_new(goro_ctx *parent);
GORO_API goro_ctx *goro_errgroup_ctx(goro_errgroup *g);
GORO_API int goro_errgroup_go_at(goro_errgroup *g, goro_task_fn fn, void *arg,
                                 const char *file, int line);
GORO_API int goro_errgroup_try_go_at(goro_errgroup *g, goro_task_fn fn, void *arg,
                                     const char *file, int line);
GORO_API int goro_errgroup_go_opts_at(goro_errgroup *g, const goro_opts *opts,
                                      goro_task_fn fn, void *arg, const char *file, int line);
GORO_API int goro_errgroup_try_go_opts_at(goro_errgroup *g, const goro_opts *opts,
                                          goro_task_fn fn, void *arg,
                                          const char *file, int line);
GORO_API int goro_errgroup_go_copy_at(goro_errgroup *g, goro_task_fn fn, const void *arg,
                                      size_t size, const char *file, int line);
#define goro_errgroup_go(g, fn, arg) goro_errgroup_go_at((g), (fn), (arg), __FILE__, __LINE__)
#define goro_errgroup_try_go(g, fn, arg) \
    goro_errgroup_try_go_at((g), (fn), (arg), __FILE__, __LINE__)
#define goro_errgroup_go_opts(g, opts, fn, arg) \
    goro_errgroup_go_opts_at((g), (opts), (fn), (arg), __FILE__, __LINE__)
#define goro_errgroup_try_go_opts(g, opts, fn, arg) \
    goro_errgroup_try_go_opts_at((g), (opts), (fn), (arg), __FILE__, __LINE__)
#define goro_errgroup_go_copy(g, fn, arg, size) \
    goro_errgroup_go_copy_at((g), (fn), (arg), (size), __FILE__, __LINE__)
GORO_API int goro_errgroup_set_limit(goro_errgroup *g, int n);
GORO_API int goro_errgroup_wait(goro_errgroup *g);
GORO_API void goro_errgroup_free(goro_errgroup *g);

/* ---- I/O and blocking calls (Go: the netpoller, syscall handoff) ---------
 * Goroutine-aware fd calls. They try the call first; when it would block,
 * a goroutine parks until the fd is ready (the runtime's poller: epoll,
 * edge-triggered) while its thread runs other goroutines, and a plain
 * thread waits in poll(2). Results are byte counts (or an fd, or 0), or a
 * negative code: -errno from the kernel, GORO_ETIMEDOUT when an _until
 * deadline passes, -EBADF when the fd is closed with goro_close meanwhile
 * (or was not open), GORO_EINVAL for bad arguments. errno is never needed.
 *
 * At its first goro call an fd is classified: sockets, pipes, FIFOs,
 * eventfds and anything already non-blocking are made O_NONBLOCK and
 * polled; files, terminals and other devices are read and written by a
 * plain blocking call inside goro_syscall_begin/end. Close such fds with
 * goro_close, which wakes every goroutine waiting on them with -EBADF.
 *
 * goro_read / goro_recv return what is available (>= 1 byte), or 0 at end
 * of file. goro_write / goro_send write all of buf, like Go's Write: they
 * return len, or, when an error ends a write that had made progress, the
 * short count (the next call reports the error). Sends never raise
 * SIGPIPE: a reset peer is -EPIPE or -ECONNRESET. Any number of goroutines
 * may wait on one fd, in either direction. goro_accept returns a new fd
 * (non-blocking, close-on-exec). goro_connect works on a socket the
 * caller made; goro_dial_tcp(host, port, deadline) resolves host (numeric
 * addresses directly, names with getaddrinfo off the P; GORO_ENOHOST when
 * unknown), connects and returns the socket (TCP_NODELAY set, as in Go);
 * goro_listen_tcp(host, port, backlog) returns a listening socket (host
 * NULL: every address; port 0: any free port, see getsockname; backlog
 * <= 0: SOMAXCONN). goro_fd_wait(fd, POLLIN and/or POLLOUT, deadline)
 * returns the ready poll(2) events (> 0).
 *
 * goro_syscall_begin() / goro_syscall_end() bracket any other blocking
 * call (a disk read, getaddrinfo, a database client): inside, the
 * goroutine's P is free, and if the call blocks for more than about 20 us
 * the runtime's monitor thread hands it to another thread, so the other
 * goroutines keep running; end takes a P back, or waits for one. Calls
 * nest; on a plain thread both do nothing. Between them, call no goro
 * function that blocks (one that does ends the bracket early). errno set
 * by the call survives goro_syscall_end, but the goroutine may resume on
 * another thread: read errno into a variable before calling end.
 *
 * CPU hogs: a goroutine that computes for more than a time slice (10 ms)
 * without calling into goro keeps its thread, but its P, with the
 * goroutines queued on it, moves to another thread. Threads are capped at
 * GOROMAXTHREADS (environment; default 10000): past the cap, blocked calls
 * and hogs keep their Ps. */
#include <sys/types.h>
#include <sys/socket.h>

#define GORO_ENOHOST (-1002)   /* goro_dial_tcp / goro_listen_tcp: unknown host */

GORO_API ssize_t goro_read(int fd, void *buf, size_t len);
GORO_API ssize_t goro_read_until(int fd, void *buf, size_t len, int64_t deadline);
GORO_API ssize_t goro_write(int fd, const void *buf, size_t len);
GORO_API ssize_t goro_write_until(int fd, const void *buf, size_t len, int64_t deadline);
GORO_API ssize_t goro_recv(int fd, void *buf, size_t len, int flags);
GORO_API ssize_t goro_recv_until(int fd, void *buf, size_t len, int flags, int64_t deadline);
GORO_API ssize_t goro_send(int fd, const void *buf, size_t len, int flags);
GORO_API ssize_t goro_send_until(int fd, const void *buf, size_t len, int flags,
                                 int64_t deadline);
GORO_API int goro_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
GORO_API int goro_accept_until(int fd, struct sockaddr *addr, socklen_t *addrlen,
                               int64_t deadline);
GORO_API int goro_connect(int fd, const struct sockaddr *addr, socklen_t addrlen);
GORO_API int goro_connect_until(int fd, const struct sockaddr *addr, socklen_t addrlen,
                                int64_t deadline);
GORO_API int goro_fd_wait(int fd, int events, int64_t deadline);
GORO_API int goro_close(int fd);
GORO_API int goro_dial_tcp(const char *host, int port, int64_t deadline);
GORO_API int goro_listen_tcp(const char *host, int port, int backlog);
GORO_API void goro_syscall_begin(void);
GORO_API void goro_syscall_end(void);

/* ---- Signals (Go: os/signal) ---------------------------------------------
 * goro_signal_notify(ch, sigs, n) relays each listed signal that arrives to
 * ch, a channel of int, as the signal's number, without blocking: a full
 * channel drops it (signal.Notify). n == 0 means every catchable signal.
 * Repeated calls add signals; goro_signal_stop(ch) ends the relaying to ch
 * (nothing reaches ch once it returns); goro_signal_ignore(sigs, n) sets
 * the signals to be ignored and goro_signal_reset(sigs, n) gives them back
 * the action they had before goro touched them (n == 0: every one), both
 * removing them from every channel. SIGKILL, SIGSTOP, SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL and the C library's reserved real-time signals are
 * GORO_EINVAL, as are a NULL channel and elements of another size.
 * goro_ctx_with_signals(parent, sigs, n) is signal.NotifyContext: a child
 * of parent cancelled (GORO_ECANCELED, the signal's number as its cause)
 * when one of the signals arrives; from then on, or once it is cancelled
 * otherwise, the signals are no longer caught for it. NULL for bad signals
 * or out of memory. No goro call may be made from a signal handler. */
GORO_API int goro_signal_notify(goro_chan *ch, const int *sigs, int nsigs);
GORO_API void goro_signal_stop(goro_chan *ch);
GORO_API int goro_signal_ignore(const int *sigs, int nsigs);
GORO_API int goro_signal_reset(const int *sigs, int nsigs);
GORO_API goro_ctx *goro_ctx_with_signals(goro_ctx *parent, const int *sigs, int nsigs);

/* ---- Diagnostics (Go: SIGQUIT dumps, deadlock detection, goleak, stats) ---
 * Every goroutine has a record: id, name (goro_go_opts), creation site,
 * state, and while it waits, what on (GORO_WAIT_*, with the channel, mutex,
 * ... address, or the fd) and since when (to about 10 ms). Plain threads
 * blocked in a goro call are shown too. Reading the records races with the
 * goroutines that own them: a dump is a best-effort picture, never a crash.
 *
 * goro_dump(f) writes every goroutine, in id order, as Go's traceback does,
 * with the frames (at most 32, innermost first) of parked goroutines, of
 * the calling goroutine and of blocked plain threads (docs/api.md says
 * which; build with -fno-omit-frame-pointer for complete traces):
 *     goroutine 7 [chan receive, 3 minutes]:
 *         name: fetcher
 *         on: chan 0x55d1c0a2b2a0
 *         func: fetch_one
 *         goro_chan_recv+0x3a (/usr/lib/libgoro.so.0+0x9a3a)
 *         fetch_one+0x1f (/usr/bin/prog+0x11f2)
 *     created by src/fetch.c:42
 * ", N minutes" appears once it has waited a minute, as in Go; "on:" names
 * the object (fd N for I/O); "func:" the function the goroutine runs (the
 * user's, also for goroutines started by goro_waitgroup_go, errgroups and
 * after_funcs), by name where the dynamic symbol table has it, else as
 * object+offset for addr2line. Plain threads blocked in goro calls follow as
 * "thread TID (main) [sync.WaitGroup.Wait]:".
 *
 * goro_dump_on_sigquit(true), or GORODEBUG=sigquit in the environment,
 * makes SIGQUIT (Ctrl-\) write "SIGQUIT: quit" and the dump to stderr and
 * exit with status 2, as Go does; false restores the default action.
 *
 * Deadlock: when no goroutine can ever run again, goro writes
 *     fatal error: all goroutines are asleep - deadlock!
 * and the dump to stderr and aborts. It is reported only when that is
 * certain: every thread of the process is an idle goro thread or a plain
 * thread blocked in a goro wait with no deadline, every goroutine waits on
 * a goro object (not I/O, not a syscall region), and no timer is pending
 * (docs/guide.md, Diagnostics, has the exact rule). Any other thread (one
 * in read(2), in goro_sleep, a logger) rules a report out, as does a
 * goroutine wired with goro_lock_os_thread that is waiting. GORODEBUG=
 * deadlock=0 turns the check off.
 *
 * goro_goroutines(out, max) fills out with up to max records (in id
 * order; the name and file strings are the goroutine's own) and returns
 * how many goroutines there are (runtime.GoroutineProfile's contract). */
#include <stdio.h>

/* The wait reasons, one table: X(name, what a dump calls the wait, what
 * its "on:" line calls the object or NULL for no line). GORO_WAIT_name
 * is the reason; obj is what goro__waiter_block records for it. */
#define GORO_WAIT_REASONS(X) \
    X(NONE,      "waiting",             NULL)        /* obj: NULL */ \
    X(CHAN_RECV, "chan receive",        "chan")      /* obj: the channel */ \
    X(CHAN_SEND, "chan send",           "chan")      /* obj: the channel */ \
    X(SELECT,    "select",              NULL)        /* obj: NULL */ \
    X(MUTEX,     "sync.Mutex.Lock",     "mutex")     /* obj: the mutex */ \
    X(RWMUTEX_R, "sync.RWMutex.RLock",  "rwmutex")   /* obj: the rwmutex */ \
    X(RWMUTEX_W, "sync.RWMutex.Lock",   "rwmutex")   /* obj: the rwmutex */ \
    X(WAITGROUP, "sync.WaitGroup.Wait", "waitgroup") /* obj: the waitgroup */ \
    X(COND,      "sync.Cond.Wait",      "cond")      /* obj: the cond */ \
    X(SEMA,      "semaphore acquire",   "sema")      /* obj: the goro_sema */ \
    X(SLEEP,     "sleep",               NULL)        /* obj: NULL */ \
    X(IO,        "IO wait",             "fd")        /* obj: (void *)(intptr_t)fd */

#define GORO_WAIT_ENUM_(name, desc, obj) GORO_WAIT_##name,
enum {
    GORO_WAIT_REASONS(GORO_WAIT_ENUM_)
    GORO_WAIT_COUNT
};
#undef GORO_WAIT_ENUM_

enum { GORO_G_RUNNABLE = 1, GORO_G_RUNNING, GORO_G_SYSCALL, GORO_G_WAITING };

typedef struct goro_ginfo {
    uint64_t id;
    const char *name;          /* NULL if none */
    const char *file;          /* creation site */
    int line;
    int state;                 /* GORO_G_* */
    int wait;                  /* GORO_WAIT_* while GORO_G_WAITING, else NONE */
    const void *wait_obj;
    int64_t wait_ns;           /* how long it has waited */
    void (*fn)(void);          /* the user's function (goro_go's, goro_waitgroup_go's,
                                  an errgroup task's, ...), cast */
} goro_ginfo;

GORO_API void goro_dump(FILE *f);
GORO_API void goro_dump_on_sigquit(bool on);
GORO_API int goro_goroutines(goro_ginfo *out, int max);
GORO_API const char *goro_wait_name(int wait);   /* "chan receive", ...; never NULL */

/* ---- Execution tracer (docs/api.md, "Tracing") ----
 * goro_trace_start(path) records what every goroutine, P and thread does
 * (goroutine creation, runs, parks with their reason and object, who
 * readied whom, syscalls, steals, sysmon's retakes, timers, the netpoller,
 * GOMAXPROCS changes, and the program's regions and log lines) into path,
 * until goro_trace_stop() or exit; GORODEBUG=trace=FILE traces a whole
 * run. 0, GORO_EINVAL if a trace is already on (or, for stop, off), or a
 * negative errno of open/close. tools/goro-trace turns the file into
 * Chrome Trace Event JSON, a self-contained HTML timeline or a summary.
 * Off, each event site costs one relaxed load. */
GORO_API int goro_trace_start(const char *path);
GORO_API int goro_trace_stop(void);
GORO_API bool goro_trace_enabled(void);
GORO_API void goro_trace_region_begin(const char *name);   /* on the calling goroutine */
GORO_API void goro_trace_region_end(const char *name);
GORO_API void goro_trace_log(const char *category, const char *message);

/* goro_stats(&s): a racy snapshot of the runtime (runtime.NumGoroutine,
 * MemStats' scheduler half, /sched metrics). Counting walks every
 * goroutine record: call it from monitoring, not from hot loops. The
 * counters are kept per P or per G, never shared on hot paths. */
typedef struct goro_stats_t {
    int64_t goroutines;        /* live goroutines (= the four below) */
    int64_t running, runnable, syscall, waiting;
    int64_t waiting_on[GORO_WAIT_COUNT];   /* waiting, by reason */
    int64_t threads_blocked;   /* plain threads blocked in a goro wait */
    int64_t threads;           /* Ms: threads that run goroutines (not sysmon) */
    int64_t threads_idle;
    int procs, procs_idle;     /* Ps (GOMAXPROCS) and how many are idle */
    uint64_t created;          /* goroutines started so far */
    uint64_t parks;            /* goroutine waits (blocking calls that parked) so far */
    uint64_t steals;           /* successful run-queue steals so far */
    int64_t timers;            /* pending timers (deadlines, sleeps, goro_after) */
    int64_t poll_waits;        /* goroutine fd waits in the netpoller */
} goro_stats_t;

GORO_API void goro_stats(goro_stats_t *s);

/* Leak check (goleak's VerifyNone). goro_leakcheck_begin() records which
 * goroutines are alive (NULL when out of memory). goro_leakcheck_verify
 * (snap, grace, report) waits until every goroutine started since has
 * ended, for at most grace nanoseconds (polling; it returns at once when
 * none is left), then returns how many are still alive and, if any and
 * report is not NULL, writes for each its dump entry (creation site, what
 * it waits on) after a summary line. The calling goroutine is never
 * counted. goro_leakcheck_end is verify, then free. For test frameworks,
 * GORO_VERIFY_NONE(snap) is end with a 1 s grace and stderr: it evaluates
 * to the number of leaked goroutines, e.g. (CTest, Check, cmocka)
 *     if (GORO_VERIFY_NONE(snap)) return 1;
 *     ck_assert_int_eq(GORO_VERIFY_NONE(snap), 0);
 *     assert_int_equal(GORO_VERIFY_NONE(snap), 0); */
typedef struct goro_leak_snapshot goro_leak_snapshot;

GORO_API goro_leak_snapshot *goro_leakcheck_begin(void);
GORO_API int goro_leakcheck_verify(const goro_leak_snapshot *snap, int64_t grace, FILE *report);
GORO_API void goro_leakcheck_free(goro_leak_snapshot *snap);
GORO_API int goro_leakcheck_end(goro_leak_snapshot *snap, int64_t grace, FILE *report);
#define GORO_VERIFY_NONE(snap) goro_leakcheck_end((snap), GORO_SECOND, stderr)

#ifdef __cplusplus
}
#endif
#endif /* GORO_H */
