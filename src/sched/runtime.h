/* SPDX-License-Identifier: MIT */
/*
 * runtime.h: the scheduler's private header: G, M, P, the scheduler state
 * and the calls between the scheduler's own files. Only src/sched/ (whose
 * files CMake compiles with GORO_SCHED_INTERNAL) and white-box tests
 * include it; the other layers see the scheduler through sched/g.h.
 *
 * G: a goroutine. M: an OS thread that runs goroutines. P: the right to run
 * goroutines (GOMAXPROCS of them), with its own run queue, stack pool, dead-G
 * cache and timer heap. An M runs goroutines only while it holds a P.
 *
 * Ownership rules (who may touch what) are written on each field. "owner"
 * of a P means the M holding it; "owner" of a G means the M running it, or
 * whoever dequeued it from a run queue.
 */
#ifndef GORO_SCHED_RUNTIME_H
#define GORO_SCHED_RUNTIME_H

#ifndef GORO_SCHED_INTERNAL
#error "sched/runtime.h is the scheduler's private header: include sched/g.h"
#endif

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

#include "goro.h"
#include "base/base.h"
#include "sched/g.h"
#include "trace/trace.h"

typedef struct goro__tslot goro__tslot;

#define GORO_RUNQ_SIZE 256u        /* per-P ring, a power of two */
#define GORO_MAX_PROCS 256         /* Ps ever allocated */
#define GORO_SPAWN_BACKLOG 32u     /* queued goroutines past which goro_go yields */
#define GORO_GLOBAL_EVERY 61u      /* schedule ticks between global-queue checks */
#define GORO_G_SMALL_ARG 48        /* inline argument bytes of a pooled small G */
#define GORO_STACK_POOL 64         /* stacks a P keeps before spilling half */
#define GORO_GFREE_MAX 64          /* dead Gs a P keeps before spilling half */

/* G status. A wakeup that arrives while the goroutine is still running
 * (between registering with a source and parking) turns RUNNING into
 * WOKEN, and the park returns at once instead of switching away (the
 * rule for that window is in wait.h). */
enum {
    G_IDLE = 0,      /* in a free list, or created but not yet queued */
    G_RUNNABLE,      /* in a run queue, readied from a park or new */
    G_RUNNING,       /* running, or in a run queue after a yield or requeue */
    G_WOKEN,         /* as RUNNING, and a wakeup for its coming park arrived */
    G_WAITING,       /* parked */
    G_DEAD,
};

/* Legal status changes, checked where a status is stored (GORO_DEBUG):
 * IDLE -> RUNNABLE (spawn), RUNNABLE -> RUNNING (first switch in),
 * RUNNING -> WOKEN | WAITING | DEAD, WOKEN -> RUNNING (park returns at
 * once), WAITING -> RUNNABLE (ready), DEAD -> IDLE (freed for reuse). */
#define G_TRANS(a, b) (1ull << ((a) * 8 + (b)))
#define G_TRANSITIONS (G_TRANS(G_IDLE, G_RUNNABLE) | G_TRANS(G_RUNNABLE, G_RUNNING) | \
    G_TRANS(G_RUNNING, G_WOKEN) | G_TRANS(G_RUNNING, G_WAITING) | G_TRANS(G_RUNNING, G_DEAD) | \
    G_TRANS(G_WOKEN, G_RUNNING) | G_TRANS(G_WAITING, G_RUNNABLE) | G_TRANS(G_DEAD, G_IDLE))
#define G_STATUS_CHECK(g, to) GORO_ASSERT(G_TRANSITIONS & \
    G_TRANS(atomic_load_explicit(&(g)->status, memory_order_relaxed), (to)), \
    "goroutine %llu: status %u -> %u", (unsigned long long)(g)->id, \
    atomic_load_explicit(&(g)->status, memory_order_relaxed), (unsigned)(to))

/* What the M does for the goroutine it just switched away from, once it is
 * off that goroutine's stack (see finish_switch in switch.c). */
enum { SW_NONE = 0, SW_YIELD, SW_PARK, SW_EXIT,
       SW_REQUEUE    /* found no P: to the global queue (goro_syscall_end, lost P) */ };

struct goro__g {
    goro__gwait wait;          /* first: sched/g.h's goro__g_wait */
    void *ctx;                 /* saved context while switched out (owner) */
    _Atomic uint32_t status;   /* G_*; CAS by owner and wakers */
    /* 1 while an M is still on this goroutine's stack. Cleared with release
     * by the M after it has switched away; an M about to resume the G waits
     * for 0 with acquire, so the stack is never run by two threads. */
    _Atomic uint32_t on_cpu;
    G *schedlink;              /* global queue / free list link (their locks) */
    char *stack_lo;            /* stack mapping incl. guard page; NULL until first run */
    size_t stack_size;         /* usable size asked for (newproc); once attached,
                                  the mapping's, guard included */
    goro_fn fn;
    void *arg;
    /* The user's function, shown by dumps and gdb: fn, or the function a
     * runtime trampoline runs for the user (goro__go_task). */
    void (*ufn)(void);
    uint64_t id;
    const char *file;          /* creation site: the user's call */
    int line;
    const char *name;
    int saved_errno;           /* errno while switched out */
    uint32_t lock_count;       /* goro_lock_os_thread nesting (owner) */
    uint32_t syscall_depth;    /* goro_syscall_begin nesting (owner) */
    M *lockedm;                /* M this G is wired to, or NULL (owner) */
    void *argheap;             /* goro_go_copy storage past GORO_COPY_INLINE (owner) */
    uint16_t klass;            /* G_CLASS_*: which free list it returns to */
    uint16_t stack_flags;      /* STACK_* flags of the attached stack */
    uint32_t vg_stack_id;      /* Valgrind stack id (non-default stacks) */
    G *_Atomic alllink;        /* registry of every G (allg.c): set once */
#if GORO_ASAN
    void *asan_fake;           /* ASan fake stack while switched out */
#endif
#if GORO_TSAN
    void *tsan_fiber;
#endif
    _Alignas(16) unsigned char argbuf[]; /* goro_go_copy storage */
};

_Static_assert(offsetof(struct goro__g, wait) == 0, "goro__g_wait");

enum { G_CLASS_SMALL = 0, G_CLASS_BIG };

struct goro__p {
    int id;
    _Atomic int status;        /* P_*; changed under sched.lock */
    M *m;                      /* holder, or NULL (sched.lock / holder) */
    P *link;                   /* idle list (sched.lock) */
    /* Slices started here: written by the owner (relaxed), sampled by
     * sysmon to spot a goroutine that keeps the P past its time slice. */
    _Atomic uint32_t schedtick;
    /* goro_syscall_begin calls made here (owner, relaxed; sysmon bumps it
     * when it retakes the P): sysmon retakes a P only when it has stayed
     * in the same syscall across one of its ticks. */
    _Atomic uint32_t syscalltick;
    /* Set by sysmon when the current slice is over (10 ms without a
     * schedule): the owner's next schedule runs the run queue's head
     * instead of runnext, so a chain of goroutines waking each other
     * cannot keep the P from the others. Cleared by the owner. */
    _Atomic uint32_t preempt;
    /* Run queue: single producer (owner), many consumers (owner and
     * thieves). tail is written only by the owner (release); head is
     * advanced by CAS (release) by whoever takes entries. */
    _Atomic uint32_t runq_head;
    _Atomic uint32_t runq_tail;
    G *_Atomic runq[GORO_RUNQ_SIZE];
    G *_Atomic runnext;        /* set by owner only; taken by CAS */
    G *gfree[2];               /* dead Gs by class (owner) */
    int ngfree[2];
    char *stacks[GORO_STACK_POOL]; /* default-size stacks (owner) */
    int nstacks;
    size_t stacks_total;       /* the size of each of them, guard included (owner):
                                  an old default's once the default changes */
    uint64_t goid_next, goid_end;  /* id batch (owner) */
    /* Goroutine counters for goro_num_goroutine: written by the owner only,
     * read racily (relaxed) by anyone. */
    _Atomic int64_t ncreated, nexited;
    /* goro_stats: steals by this P's Ms; written by the owner only (relaxed
     * load + store, no RMW), read racily. */
    _Atomic uint64_t nsteals;
    uint64_t rng;              /* owner */
    /* Timers: a 4-ary min-heap of slots by `when` (timerheap.c),
     * protected by timers_lock. nslots counts the slots in use, ntimers
     * the live timers among them (the others are stopped ones). */
    goro__lock timers_lock;
    goro__tslot *timers;
    int nslots, cslots, ntimers;
    _Atomic int64_t timer0;    /* earliest `when`, 0 = none; written under timers_lock */
};

/* P_SYSCALL: its M is in a blocking call (goro_syscall_begin) and holds
 * no P; the M takes it back with a CAS to P_RUNNING, or sysmon retakes it
 * with a CAS to P_IDLE and hands it to another M (sysmon.c). */
enum { P_IDLE = 0, P_RUNNING, P_DEAD, P_SYSCALL };

/* m->pstate: sysmon's claim on the P of an M whose goroutine hogs it
 * (see the protocol in sysmon.c). */
enum { PS_OWNS = 0, PS_TAKING, PS_LOST };

struct goro__m {
    P *p;                      /* held P, or NULL (this M) */
    G *curg;                   /* running goroutine; NULL on the scheduler context */
    void *g0ctx;               /* scheduler context while a goroutine runs */
    G *prev;                   /* goroutine just switched away from, and ... */
    int prev_action;           /* ... what to do with it (SW_*) */
    _Atomic uint32_t park;     /* futex note: 1 = wakeup posted */
    P *nextp;                  /* P handed over with a wakeup (sched.lock) */
    bool spinning;             /* counted in sched.nmspinning (this M) */
    bool exiting;              /* locked goroutine ended: the thread goes away */
    M *schedlink;              /* idle M list (sched.lock) */
    G *lockedg;                /* goroutine wired to this M (this M / its G) */
    G *nextg;                  /* goroutine g0 runs next, dequeued already (this M) */
    int *errno_p;              /* this thread's errno, once a switch asked (this M) */
    P *oldp;                   /* P left in P_SYSCALL by goro_syscall_begin (this M) */
    /* Depth of runtime code on this M (written by this M only, read by
     * sysmon): 0 while a goroutine runs its own code, >= 1 while the M
     * runs runtime code that may touch m->p (always >= 1 on g0). */
    _Atomic uint32_t in_rt;
    _Atomic uint32_t pstate;   /* PS_*: sysmon's hog claim (CAS by sysmon and this M) */
    goro__lock *unlock_after;  /* released once the parking G is off-CPU (this M) */
    uint64_t rng;
    int id;
    pid_t tid;                 /* kernel thread id (the deadlock check) */
    pthread_t thread;
    void *altstack;            /* signal stack for fatal signal reports (crash.c) */
#if GORO_ASAN
    const void *g0_stack_lo;   /* bounds of the thread's own stack */
    size_t g0_stack_size;
    void *asan_fake;
#endif
#if GORO_TSAN
    void *tsan_fiber;          /* the thread's own (scheduler) fiber */
#endif
};

/* Global scheduler state. */
typedef struct goro__sched {
    goro__lock lock;
    _Atomic int nprocs;        /* GOMAXPROCS; written under lock */
    P *_Atomic allp[GORO_MAX_PROCS];
    P *pidle;                  /* idle Ps (lock) */
    _Atomic int npidle;        /* written under lock */
    M *midle;                  /* idle Ms (lock) */
    int nmidle;                /* (lock; read racily by allg.c) */
    int mcount;                /* Ms created (lock) */
    _Atomic int nmspinning;
    _Atomic int needspinning;
    G *runq_head, *runq_tail;  /* global queue (lock) */
    _Atomic int runq_size;     /* written under lock */
    _Atomic int64_t timer_sleep_until; /* earliest timed sleep of an idle M, 0 = none */
    _Atomic int64_t nthread_created;   /* goroutines created from plain threads */
    _Atomic uint64_t goid_gen; /* id batches */
    int maxthreads;            /* cap on Ms (GOROMAXTHREADS); set at init */
    /* Netpoller: at most one M blocks in it (poll_blocked, CAS 0 -> 1),
     * until poll_until (INT64_MAX: no timer); poll_nb admits one
     * non-blocking poller at a time. lastpoll: when it last ran. */
    _Atomic uint32_t poll_blocked;
    _Atomic int64_t poll_until;
    _Atomic uint32_t poll_nb;
    _Atomic int64_t lastpoll;
    /* sysmon sleeps on sysmon_note while every P is idle (sysmon_wait set
     * under lock; whoever takes an idle P posts the note, unless
     * sysmon_until, the earliest timer when sysmon went to sleep, has come:
     * sysmon then wakes by itself). */
    bool sysmon_wait;          /* (lock) */
    int64_t sysmon_until;      /* (lock) 0: no timer, woken only by the note */
    _Atomic uint32_t sysmon_note;
} goro__sched;

extern goro__sched goro__S;

/* p's id is beyond GOMAXPROCS: its M retires it at its next schedule.
 * Inline: every switch asks. */
static inline bool goro__p_retired(P *p)
{
    return p->id >= atomic_load_explicit(&goro__S.nprocs, memory_order_relaxed);
}

/* Every P allocated so far (allp fills from 0 and never shrinks; retired
 * Ps are P_DEAD), for walkers that take no lock. */
#define GORO_FOR_EACH_P(p) \
    for (int p##_i_ = 0; p##_i_ < GORO_MAX_PROCS; p##_i_ = GORO_MAX_PROCS) \
        for (P *p; p##_i_ < GORO_MAX_PROCS && \
             (p = atomic_load_explicit(&goro__S.allp[p##_i_], memory_order_acquire)); p##_i_++)

/* The Ps GOMAXPROCS allows now (the first nprocs, read once; a slot not
 * allocated yet is skipped). break and continue work as in any loop. */
#define GORO_FOR_EACH_ACTIVE_P(p) \
    for (int p##_i_ = 0, p##_n_ = atomic_load(&goro__S.nprocs); p##_i_ < p##_n_; \
         p##_i_ = p##_n_) \
        for (P *p; p##_i_ < p##_n_; p##_i_++) \
            if (!(p = atomic_load(&goro__S.allp[p##_i_]))) {} else

/* ---- the scheduler's own files (src/sched/) call each other through
 * these; sched.lock is held where noted ---- */
M *goro__getm(void);                       /* never cached across a park */
/* goro__ready for n goroutines at once (netpoller): to the caller's P's
 * queue if it holds one, else the global queue; one wakep. */
void goro__ready_list(G **gs, int n);
void goro__wakep(void);
void goro__timer_added(int64_t when, bool on_p); /* wake a timer watcher if needed */
void goro__runq_put_global(G *head, G *tail, int n);
/* sysmon.c uses these scheduler internals (sched.lock held where noted). */
void goro__handoffp(P *p);                 /* give p to an M with work, or idle */
bool goro__m_available(void);              /* an idle M exists or one may be created */
bool goro__runq_empty(P *p);
void goro__sysmon_start(void);             /* sysmon.c: with each new M until it runs */
void goro__sysmon_wake(void);              /* (lock) wake sysmon if it sleeps idle */
void goro__sysmon_init(void);              /* at runtime init: membarrier */
int goro__sched_poll(void);                /* non-blocking netpoll, readied to the global queue */
static inline uint64_t goro__rng_next(uint64_t *s)
{
    /* wyrand */
    *s += 0xa0761d6478bd642full;
    __uint128_t t = (__uint128_t)*s * (*s ^ 0xe7037ed1a0b428dbull);
    return (uint64_t)(t >> 64) ^ (uint64_t)t;
}
/* runq.c */
G *goro__runq_steal(P *p, P *victim, bool steal_next);  /* one G to run now, or NULL */
void goro__runq_kick_runnext(P *p);        /* owner: runnext to the tail (slice over) */
void goro__globrunq_push_head(G *g);       /* (lock) before everything queued */
G *goro__globrunq_get(P *p, int max);      /* (lock) one G, up to max more to p's ring */
G *goro__globrunq_take(P *p, int max);     /* takes sched.lock if the queue looks non-empty */
/* proc.c */
void goro__pidle_put(P *p);                /* (lock) */
P *goro__pidle_get(void);                  /* (lock) */
void goro__acquirep(M *m, P *p);           /* bind p to m, which holds none */
P *goro__releasep(M *m);                   /* unbind m's P and return it */
P *goro__acquirep_idle(M *m);              /* takes the lock: an idle P bound to m, or NULL */
P *goro__p_new(int id);
void goro__p_retire(P *p);                 /* (lock) */
void goro__stopm(M *m, int64_t until);     /* (lock) park the M until woken or until */
void goro__stoplockedm(M *m);
void goro__startlockedm(M *m, G *g);
/* switch.c */
M *goro__acquire_p_slow(M *m, G *g);
void goro__m_schedule(M *m);               /* the g0 loop; returns when the M exits */
/* findrun.c */
G *goro__find_runnable(M *m, bool *inherit);
/* spawn.c */
void goro__g_free(P *p, G *g);

/* ---- runtime-code brackets (switch.c, syscall.c, sysmon.c) ----
 * Code on a goroutine's stack that touches m->p runs between
 * goro__rt_enter and goro__rt_exit. Entering from goroutine code (depth
 * 0 -> 1) publishes in_rt, then checks whether sysmon is taking the P
 * (asymmetric Dekker: sysmon pairs this with membarrier(); without it,
 * goro__hog_fence makes this side fence). On return m->p is the P this M
 * still owns, or NULL (none, in a syscall, or lost to sysmon). */
extern bool goro__hog_fence;
void goro__rt_lost(M *m);

static inline P *goro__rt_enter(M *m)
{
    uint32_t d = atomic_load_explicit(&m->in_rt, memory_order_relaxed);
    atomic_store_explicit(&m->in_rt, d + 1, memory_order_relaxed);
    if (d == 0) {
        if (__builtin_expect(goro__hog_fence, 0))
            atomic_thread_fence(memory_order_seq_cst);
        else
            atomic_signal_fence(memory_order_seq_cst);
        if (__builtin_expect(atomic_load_explicit(&m->pstate, memory_order_relaxed) != PS_OWNS, 0))
            goro__rt_lost(m);
    }
    return m->p;
}

static inline void goro__rt_exit(M *m)
{
    uint32_t d = atomic_load_explicit(&m->in_rt, memory_order_relaxed);
    GORO_ASSERT(d > 0, "goro__rt_exit outside a runtime bracket");
    /* release: sysmon reads in_rt == 0 with acquire before taking m->p */
    atomic_store_explicit(&m->in_rt, d - 1, memory_order_release);
}

/* ---- allg.c: the G registry, goroutine records, goro__coarse_ns ----
 * goro__coarse_tick: written only when the clock moved by 1 ms, so Ms
 * rarely share the line. */
static inline void goro__coarse_tick(int64_t now)
{
    if (now - atomic_load_explicit(&goro__coarse_ns, memory_order_relaxed) > 1000000)
        atomic_store_explicit(&goro__coarse_ns, now, memory_order_relaxed);
}
void goro__allg_add(G *g);                 /* a G struct was allocated (never removed) */

/* ---- fork.c: the atfork handler that sets goro__forked (base/base.h) ---- */
void goro__fork_init(void);                /* at runtime init */

/* ---- stack.c ---- */
int goro__stack_attach(P *p, G *g);       /* 0 or GORO_ENOMEM */
void goro__stack_release(P *p, G *g);
size_t goro__stack_default(void);       /* usable bytes, page-rounded */
void goro__stack_init(void);              /* GOROSTACKSIZE */
void goro__stack_thread_init(M *m);       /* alternate signal stack */
bool goro__stack_canary_ok(const G *g);
void goro__stack_usable(const G *g, char **lo, size_t *size);
/* sysmon: gives back the pages of the global pool's stacks beyond those
 * it keeps, one chunk per call, once the pool has been left alone a while.
 * Returns when to call again (now: more to do), or 0 when nothing is left
 * to give back until goroutines end again. */
int64_t goro__stack_scavenge(int64_t now);
/* Tests: the stacks whose pages the global pool keeps (default 16,384)
 * and how long it must be left alone before the rest are given back. */
void goro__stack_scavenge_tune(size_t hot, int64_t idle_ns);
/* Tests (quiescent runtime): default stacks handed out and not back in a
 * pool, and other-size stacks mapped. */
void goro__stack_counts(long *default_in_use, long *other_mapped);

/* ---- timerheap.c ---- */
/* True if p has a timer due (p->timer0 read without the lock, as the
 * scheduler does; a clock read only while timers are pending). */
static inline bool goro__timer_due(P *p)
{
    int64_t t0 = atomic_load_explicit(&p->timer0, memory_order_relaxed);
    return t0 != 0 && goro__nanotime() >= t0;
}
void goro__timers_run(P *p, int64_t now);  /* due timers of p, up to one wakeup (timerheap.c) */
void goro__timers_move(P *from, P *to);
int goro__timers_steal_run(P *self, int64_t now);   /* run others' due timers */


#endif
