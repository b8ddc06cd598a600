/* SPDX-License-Identifier: MIT */
/*
 * g.h: the scheduler as the layers above it see it (wait, chan, sync,
 * time, ctx, io, diag). G, M and P are opaque here: their fields are the
 * scheduler's (sched/runtime.h, which only src/sched/ may include). What
 * the other layers need of a goroutine goes through the calls below, and
 * the one part of a G they write, its wait record, is the first member of
 * every G, so the hot path that fills it (wait.c) reaches it inline.
 *
 * The calls at the end go the other way: the layers above implement them
 * and the scheduler calls them (the netpoller, the deadlock check, dumps
 * for fatal reports).
 */
#ifndef GORO_SCHED_G_H
#define GORO_SCHED_G_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "goro.h"
#include "base/base.h"

typedef struct goro__g G;
typedef struct goro__m M;
typedef struct goro__p P;
typedef struct goro__timer goro__timer;

/* What a goroutine last parked on (dumps, goro_stats): written by the
 * goroutine itself (relaxed) before it parks; read racily by dumps, which
 * trust it only while the goroutine is parked (goro__g_read). */
typedef struct goro__gwait {
    _Atomic uint8_t reason;        /* GORO_WAIT_* */
    const void *_Atomic obj;       /* the object, or the fd (GORO_WAIT_IO) */
    _Atomic int64_t since;         /* goro__coarse_ns at the park */
    _Atomic uint64_t nwaits;       /* blocks so far, of every goroutine this G ran */
} goro__gwait;

/* g's wait record: the first member of struct goro__g (runtime.h checks). */
static inline goro__gwait *goro__g_wait(G *g)
{
    return (goro__gwait *)(void *)g;
}

/* ---- running goroutines ---- */
void goro__init(void);                     /* idempotent; first public call */
G *goro__getg(void);                       /* NULL on a plain thread */
void goro__park(void);                     /* current G: wait for goro__ready */
/* Current G, holding l, which every waker must take: parks and releases l
 * once off-CPU (Go's gopark with an unlock function). */
void goro__park_unlock(goro__lock *l);
void goro__ready(G *g);                    /* make a parked (or parking) G runnable */
/* goro__ready for a G handed something nobody else can use until it runs
 * (a mutex in starvation mode): called by a goroutine, g runs next on its
 * M and the caller goes to the back of its run queue (Go's semrelease
 * with handoff), so no later wakeup or queue can put g behind others;
 * from a plain thread (or without a P) g goes to the global queue's head. */
void goro__ready_handoff(G *g);
/* A goroutine's call that would have blocked returns at once (a try
 * operation that found nothing, a deadline already past): if sysmon has
 * marked its P's slice over, it yields there, so a loop that polls cannot
 * keep the P from the goroutines queued behind it (Go would preempt it; C
 * code never is, but a call into goro is a safe point). One TLS load and
 * one relaxed load otherwise; nothing on plain threads. */
void goro__poll_point(void);
bool goro__should_spin(void);              /* sync: may a lock's waiter spin? */
void goro__sched_note_poll(void);          /* io: the netpoller just ran */
uint64_t goro__fastrand(void);
int64_t goro__nanotime(void);
/* A clock good to about 10 ms for "waiting since", refreshed where the
 * scheduler reads the clock anyway (find_runnable, sysmon). */
extern _Atomic int64_t goro__coarse_ns;

/* ---- starting goroutines ---- */
/* goro_go_opts for runtime callbacks (never yields the caller): after_funcs.
 * opts (may be NULL) are checked by the caller (goro__opts_ok). */
int goro__go_internal(const goro_opts *opts, goro_fn fn, void *arg,
                      const char *file, int line);
/* goro_go_copy, with goro_go_opts' options, for a trampoline that runs a
 * user's function ufn (goro_waitgroup_go, errgroup tasks): dumps and gdb
 * show ufn, and file:line (the user's call) as the creation site. opts
 * (may be NULL) are checked by the caller (goro__opts_ok). */
int goro__go_task(goro_fn tramp, const void *arg, size_t size, void (*ufn)(void),
                  const goro_opts *opts, const char *file, int line);
/* The one rule on stack sizes (goro_go_opts, the _opts forms, the default):
 * at most GORO_STACK_MAX, so rounding to pages never overflows. */
bool goro__stack_size_ok(size_t size);
static inline bool goro__opts_ok(const goro_opts *opts)
{
    return !opts || goro__stack_size_ok(opts->stack_size);
}

/* ---- for diagnostics (diag/) ---- */
/* The registry of every G struct ever allocated: append-only, never
 * freed (like Go's allgs), so walkers take no lock. */
G *goro__allg_first(void);
G *goro__allg_next(const G *g);
long goro__allg_count(void);
#define GORO_FOR_EACH_G(g) \
    for (G *g = goro__allg_first(); g; g = goro__allg_next(g))
/* Reads g's record into gi (racily: a G reused meanwhile may show a mix
 * of two goroutines); false if g is not a live goroutine. */
bool goro__g_read(G *g, int64_t now, goro_ginfo *gi);
/* The frames of a goroutine parked on another thread, from its saved
 * context, trusted only if it stayed parked throughout; 0 otherwise. */
int goro__g_frames(G *g, uintptr_t *pcs, int max);
/* goro_stats' scheduler counters (threads, procs, created, steals,
 * timers, parks); the rest is the caller's. */
void goro__sched_stats(goro_stats_t *st);
/* The deadlock check's view of the scheduler, with sched.lock held
 * (goro__checkdead_locked): every M idle and the global queue empty; tid
 * is an idle M. */
bool goro__sched_quiet_locked(void);
bool goro__m_idle_tid_locked(pid_t tid);
/* A plain thread about to sleep: if every M is idle (seq_cst loads, after
 * the caller's seq_cst futex CAS), takes sched.lock and runs the deadlock
 * check. */
void goro__checkdead(void);
int64_t goro__timers_earliest(void);       /* over all Ps, 0 = none */

/* ---- for the tracer (trace/) ---- */
uint64_t goro__curg_id(void);              /* the running goroutine's id, 0 on a plain thread */
int goro__curm_id(void);                   /* the calling M's id, -1 on a plain thread */

/* ---- for fatal signal reports (diag/crash.c) ---- */
bool goro__stack_guard_hit(const G *g, const void *addr);   /* addr in g's guard region */
_Noreturn void goro__stack_overflow(const G *g);           /* report, abort */

/* ---- implemented above the scheduler, called by it ---- */
/* diag/ */
void goro__diag_init(void);                /* at runtime init: GORODEBUG */
/* (sched.lock held) The calling M has just gone idle, or a plain thread is
 * about to sleep in a goro wait: if nothing can ever run again, report the
 * deadlock and abort (conditions in diag/deadlock.c). */
void goro__checkdead_locked(void);
extern _Atomic pid_t goro__sysmon_tid;
/* The dump for fatal signal reports, to fd, without allocating: first's
 * record (if not NULL), then the other goroutines and blocked threads.
 * self_frames: the calling thread's goroutine gets its frames (not for a
 * stack overflow: unwinding would read the guard region). */
void goro__dump_fd(int fd, const G *first, bool self_frames);
void goro__crash_install(void);            /* at runtime init: fatal signals */
/* io/netpoll.c (backend contract in netpoll.h) */
bool goro__netpoll_pending(void);          /* goroutines wait on fds */
int goro__netpoll_waiters(void);           /* queued fd waits (goro_stats) */
/* Harvests fd events until `until` (0: don't block, INT64_MAX: no
 * deadline) or a break; wakes plain-thread waiters and returns the
 * goroutines to make runnable in gs (at most max), already claimed. */
int goro__netpoll(int64_t until, G **gs, int max);
void goro__netpoll_break(void);            /* wake the M blocked in goro__netpoll */
#define GORO_POLL_BATCH 128

#endif
