/*
 * internal.h: the runtime's shared types (G, M, P, the scheduler) and the
 * goro__ prototypes the modules use to talk to each other.
 *
 * G: a goroutine. M: an OS thread that runs goroutines. P: the right to run
 * goroutines (GOMAXPROCS of them), with its own run queue, stack pool, dead-G
 * cache and timer heap. An M runs goroutines only while it holds a P.
 *
 * Ownership rules (who may touch what) are written on each field. "owner"
 * of a P means the M holding it; "owner" of a G means the M running it, or
 * whoever dequeued it from a run queue.
 */
#ifndef GORO_INTERNAL_H
#define GORO_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include "goro.h"
#include "config.h"
#include "lock.h"

typedef struct goro__g G;
typedef struct goro__m M;
typedef struct goro__p P;
typedef struct goro__timer goro__timer;

#define GORO_RUNQ_SIZE 256u        /* per-P ring, a power of two */
#define GORO_MAX_PROCS 256         /* Ps ever allocated */
#define GORO_GLOBAL_EVERY 61u      /* schedule ticks between global-queue checks */
#define GORO_G_SMALL_ARG 48        /* inline argument bytes of a pooled small G */
#define GORO_STACK_POOL 64         /* stacks a P keeps before spilling half */
#define GORO_GFREE_MAX 64          /* dead Gs a P keeps before spilling half */

/* G status. A wakeup that arrives while the goroutine is still running
 * (between registering with a source and parking) turns RUNNING into
 * WOKEN, and the park returns at once instead of switching away. */
enum {
    G_IDLE = 0,      /* in a free list, or created but not yet queued */
    G_RUNNABLE,      /* in a run queue */
    G_RUNNING,
    G_WOKEN,         /* running, and a wakeup for its coming park arrived */
    G_WAITING,       /* parked */
    G_DEAD,
};

/* What the M does for the goroutine it just switched away from, once it is
 * off that goroutine's stack (see goro__finish_switch). */
enum { SW_NONE = 0, SW_YIELD, SW_PARK, SW_EXIT };

struct goro__g {
    void *ctx;                 /* saved context while switched out (owner) */
    _Atomic uint32_t status;   /* G_*; CAS by owner and wakers */
    /* 1 while an M is still on this goroutine's stack. Cleared with release
     * by the M after it has switched away; an M about to resume the G waits
     * for 0 with acquire, so the stack is never run by two threads. */
    _Atomic uint32_t on_cpu;
    G *schedlink;              /* global queue / free list link (their locks) */
    char *stack_lo;            /* stack mapping incl. guard page; NULL until first run */
    size_t stack_size;         /* requested size incl. guard; 0 = default */
    goro_fn fn;
    void *arg;
    uint64_t id;
    const char *file;          /* creation site */
    int line;
    const char *name;
    int saved_errno;           /* errno while switched out */
    uint32_t lock_count;       /* goro_lock_os_thread nesting (owner) */
    M *lockedm;                /* M this G is wired to, or NULL (owner) */
    uint16_t klass;            /* G_CLASS_*: which free list it returns to */
    uint16_t stack_flags;      /* STACK_* flags of the attached stack */
    uint32_t vg_stack_id;      /* Valgrind stack id (non-default stacks) */
#if GORO_ASAN
    void *asan_fake;           /* ASan fake stack while switched out */
#endif
#if GORO_TSAN
    void *tsan_fiber;
#endif
    _Alignas(16) unsigned char argbuf[]; /* goro_go_copy storage */
};

enum { G_CLASS_SMALL = 0, G_CLASS_BIG, G_CLASS_HUGE };

struct goro__p {
    int id;
    _Atomic int status;        /* P_*; changed under sched.lock */
    M *m;                      /* holder, or NULL (sched.lock / holder) */
    P *link;                   /* idle list (sched.lock) */
    uint32_t schedtick;        /* slices started here (owner) */
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
    uint64_t goid_next, goid_end;  /* id batch (owner) */
    /* Goroutine counters for goro_num_goroutine: written by the owner only,
     * read racily (relaxed) by anyone. */
    _Atomic int64_t ncreated, nexited;
    uint64_t rng;              /* owner */
    /* Timers: a 4-ary min-heap by `when`, protected by timers_lock. */
    goro__lock timers_lock;
    goro__timer **timers;
    int ntimers, ctimers;
    _Atomic int64_t timer0;    /* earliest `when`, 0 = none; written under timers_lock */
};

enum { P_IDLE = 0, P_RUNNING, P_DEAD };

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
    goro__lock *unlock_after;  /* released once the parking G is off-CPU (this M) */
    uint64_t rng;
    int id;
    pthread_t thread;
    void *altstack;            /* signal stack for overflow reports */
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
    int nmidle;
    int mcount;                /* Ms created (lock) */
    _Atomic int nmspinning;
    _Atomic int needspinning;
    G *runq_head, *runq_tail;  /* global queue (lock) */
    _Atomic int runq_size;     /* written under lock */
    _Atomic int64_t timer_sleep_until; /* earliest timed sleep of an idle M, 0 = none */
    _Atomic int64_t nthread_created;   /* goroutines created from plain threads */
    _Atomic uint64_t goid_gen; /* id batches */
} goro__sched;

extern goro__sched goro__S;

/* ---- sched.c ---- */
void goro__init(void);                     /* idempotent; first public call */
M *goro__getm(void);                       /* never cached across a park */
G *goro__getg(void);                       /* NULL on a plain thread */
void goro__park(void);                     /* current G: wait for goro__ready */
/* Current G, holding l, which every waker must take: parks and releases l
 * once off-CPU (Go's gopark with an unlock function). */
void goro__park_unlock(goro__lock *l);
void goro__ready(G *g);                    /* make a parked (or parking) G runnable */
void goro__wakep(void);
void goro__timer_added(int64_t when, bool on_p); /* wake a timer watcher if needed */
void goro__runq_put_global(G *head, G *tail, int n);
/* goro_go for runtime callbacks (never yields the caller). */
int goro__go_internal(goro_fn fn, void *arg, const char *file, int line);
uint64_t goro__fastrand(void);
_Noreturn void goro__fatal(const char *file, int line, const char *fmt, ...);

/* ---- stack.c ---- */
int goro__stack_attach(P *p, G *g);       /* 0 or GORO_ENOMEM */
void goro__stack_release(P *p, G *g);
size_t goro__stack_default(void);
void goro__stack_init(void);
void goro__stack_overflow_handler_install(void);
void goro__stack_thread_init(M *m);       /* alternate signal stack */
bool goro__stack_canary_ok(const G *g);
_Noreturn void goro__stack_overflow(const G *g);
void goro__stack_usable(const G *g, char **lo, size_t *size);

/* ---- time.c ---- */
int64_t goro__nanotime(void);
void goro__timers_run(P *p, int64_t now);           /* due timers of p */
int64_t goro__timers_earliest(void);                /* over all Ps, 0 = none */
void goro__timers_move(P *from, P *to);
int goro__timers_steal_run(P *self, int64_t now);   /* run others' due timers */

/* ---- alloc hook for fault-injection tests (alloc.c) ---- */
void *goro__malloc(size_t n);
void goro__free(void *p);
void *goro__malloc_pool(size_t n);        /* uncounted; release with free() */
void goro__alloc_fail_after(long n);      /* tests: fail the n+1th allocation, -1 = never */
long goro__alloc_live(void);              /* tests: blocks allocated and not freed */

#define goro_likely(x)   __builtin_expect(!!(x), 1)
#define goro_unlikely(x) __builtin_expect(!!(x), 0)
#define GORO_FATAL(...) goro__fatal(__FILE__, __LINE__, __VA_ARGS__)

static inline void goro__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#endif
}

#endif
