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
#define GORO_NANOSECOND  ((int64_t)1)
#define GORO_MICROSECOND ((int64_t)1000)
#define GORO_MILLISECOND ((int64_t)1000000)
#define GORO_SECOND      ((int64_t)1000000000)
#define GORO_MINUTE      ((int64_t)60000000000)
#define GORO_FOREVER     INT64_MAX

/* Nanoseconds on the monotonic clock (CLOCK_MONOTONIC). */
GORO_API int64_t goro_now(void);
/* Pauses the calling goroutine (or thread) for at least d nanoseconds.
 * d <= 0 returns at once, as time.Sleep does. */
GORO_API void goro_sleep(int64_t d);

/* ---- Runtime (Go: runtime package) -------------------------------------
 * goro_maxprocs(n): sets the number of Ps (threads running goroutines at
 * once) and returns the previous value; n <= 0 only queries. The default is
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
 * stack size (0 = the default, GORO_STACK_DEFAULT; rounded up to pages; one
 * guard page below it catches overflow). */
typedef void (*goro_fn)(void *arg);

#define GORO_STACK_DEFAULT ((size_t)64 * 1024)
#define GORO_COPY_INLINE   256

typedef struct goro_opts {
    const char *name;       /* shown in dumps; the string must outlive the goroutine */
    size_t stack_size;      /* bytes; 0 = GORO_STACK_DEFAULT */
} goro_opts;

GORO_API int goro_go_at(goro_fn fn, void *arg, const char *file, int line);
GORO_API int goro_go_copy_at(goro_fn fn, const void *arg, size_t size,
                             const char *file, int line);
GORO_API int goro_go_opts_at(const goro_opts *opts, goro_fn fn, void *arg,
                             const char *file, int line);

#define goro_go(fn, arg)            goro_go_at((fn), (arg), __FILE__, __LINE__)
#define goro_go_copy(fn, arg, size) goro_go_copy_at((fn), (arg), (size), __FILE__, __LINE__)
#define goro_go_opts(opts, fn, arg) goro_go_opts_at((opts), (fn), (arg), __FILE__, __LINE__)

/* ---- WaitGroup (Go: sync.WaitGroup) ------------------------------------
 * Zero value ready. add(n) with a negative total aborts with the call site,
 * as Go panics. wait returns once the counter is zero; wait_until returns 0
 * or GORO_ETIMEDOUT. goro_waitgroup_go(&wg, fn, arg) is Go 1.25's wg.Go:
 * add(1), then start fn(arg) as a goroutine that calls done when fn
 * returns (GORO_ENOMEM leaves the counter unchanged). */
typedef struct goro_waitgroup {
    uint64_t state_;        /* internal: counter << 32 | waiters */
    uint32_t lock_;         /* internal */
    void *waiters_;         /* internal */
} goro_waitgroup;

GORO_API void goro_waitgroup_add_at(goro_waitgroup *wg, int64_t delta,
                                    const char *file, int line);
GORO_API void goro_waitgroup_wait(goro_waitgroup *wg);
GORO_API int goro_waitgroup_wait_until(goro_waitgroup *wg, int64_t deadline);
GORO_API int goro_waitgroup_go_at(goro_waitgroup *wg, goro_fn fn, void *arg,
                                  const char *file, int line);

#define goro_waitgroup_add(wg, n)   goro_waitgroup_add_at((wg), (n), __FILE__, __LINE__)
#define goro_waitgroup_done(wg)     goro_waitgroup_add_at((wg), -1, __FILE__, __LINE__)
#define goro_waitgroup_go(wg, fn, arg) \
    goro_waitgroup_go_at((wg), (fn), (arg), __FILE__, __LINE__)

#ifdef __cplusplus
}
#endif
#endif /* GORO_H */
