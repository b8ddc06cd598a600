/* SPDX-License-Identifier: MIT */
/*
 * diag.c: goroutine records and what is built on them: goro_dump (also on
 * SIGQUIT, and in the fatal signal reports of crash.c and stack.c), the
 * deadlock check, the leak check and goro_stats.
 *
 * Records. Goroutines' records and their registry are the scheduler's
 * (sched/allg.c, read through sched/g.h). Plain threads that block in goro
 * waits have records (goro__thr, wait.h) on a second append-only list,
 * reused once their thread ends.
 *
 * Deadlock check (goro__checkdead_locked, under sched.lock). It reports
 * only when nothing can run again, which holds when, at one instant:
 *  (1) every M is idle (an M in a blocking call, in the poller, spinning,
 *      wired to a waiting goroutine or exiting is not);
 *  (2) no timer is pending, no goroutine waits on an fd, the global queue
 *      is empty ((1) and the queue: goro__sched_quiet_locked);
 *  (3) every goroutine is parked (G_WAITING) or free: so on a goro object,
 *      since fd waits and sleeps are ruled out by (2);
 *  (4) every thread of the process (/proc/self/task) is an idle M, sysmon,
 *      or a plain thread asleep in a goro wait with no deadline (its
 *      record's futex word is 2: not woken yet), and at least one is.
 * While sched.lock is held, no idle M can leave the idle list (that needs
 * the lock), so only plain threads and goroutines can change state under
 * us, and only when something running wakes them: every such thing is a
 * thread seen running in (4). Plain threads are looked at twice, before
 * (3) and after (4), with their block count (seq, never reset): unchanged
 * and still asleep means they slept throughout, so the states seen held
 * together when (4) began. A thread created meanwhile was created by a
 * running thread, which (4) sees. Sanitizer helper threads, a thread in
 * read(2), a goroutine wired to its thread: all make the check fail, never
 * report (false negatives only). A plain thread runs the check as it goes
 * to sleep, an M as it goes idle with no timer (stopm): the last of them
 * to stop sees everyone else stopped. sysmon runs it once more when it has
 * published its tid (a check before that took it for an unknown thread).
 * The seq_cst fence at the check's start pairs with the seq_cst futex CAS
 * and load in goro__thread_sleeps (store-buffering: either the M sees the
 * thread asleep or the thread sees the M idle).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched/g.h"
#include "base/san.h"
#include "wait/wait.h"

_Atomic pid_t goro__sysmon_tid;

static bool deadlock_off;          /* GORODEBUG=deadlock=0; set at init */

/* ---- plain-thread records ---- */

static goro__lock thr_lock;
static goro__thr *_Atomic thr_head; /* appended under thr_lock, read lock-free */
static goro__thr *thr_tail;         /* (thr_lock) */
static pthread_key_t thr_key;
static pthread_once_t thr_key_once = PTHREAD_ONCE_INIT;
static __thread goro__thr *tls_thr;

#define FOR_EACH_THR(t) \
    for (goro__thr *t = atomic_load_explicit(&thr_head, memory_order_acquire); t; \
         t = atomic_load_explicit(&t->next, memory_order_acquire))

/* pthread key destructor: the thread ends, its record is free for reuse. */
static void thr_release(void *p)
{
    goro__thr *t = p;
    atomic_store_explicit(&t->reason, GORO_WAIT_NONE, memory_order_relaxed);
    atomic_store_explicit(&t->tid, 0, memory_order_release);
    tls_thr = NULL;
}

static void thr_key_make(void)
{
    if (pthread_key_create(&thr_key, thr_release) != 0)
        GORO_FATAL("pthread_key_create failed");
}

goro__thr *goro__thr_self(void)
{
    goro__thr *t = tls_thr;
    if (goro_likely(t))
        return t;
    pthread_once(&thr_key_once, thr_key_make);
    pid_t tid = gettid();
    goro__lock_acquire(&thr_lock);
    FOR_EACH_THR(x)
        if (atomic_load_explicit(&x->tid, memory_order_relaxed) == 0) {
            t = x;
            break;
        }
    if (!t) {
        /* Not fault-injected: a plain thread's first wait has no way to
         * fail (like a P, the record is kept for good). */
        t = calloc(1, sizeof *t);
        if (!t)
            GORO_FATAL("out of memory allocating a thread record");
        if (thr_tail)
            atomic_store_explicit(&thr_tail->next, t, memory_order_release);
        else
            atomic_store_explicit(&thr_head, t, memory_order_release);
        thr_tail = t;
    }
    t->is_main = tid == getpid();
    atomic_store_explicit(&t->tid, tid, memory_order_release);
    goro__lock_release(&thr_lock);
    pthread_setspecific(thr_key, t);
    tls_thr = t;
    return t;
}

/* A record of a thread that counts for the deadlock check: a live plain
 * thread (an M's g0 or sysmon may have one; they are accounted as such). */
static bool thr_plain(const goro__thr *t, pid_t *tid)
{
    *tid = atomic_load_explicit(&t->tid, memory_order_acquire);
    if (*tid == 0 || *tid == atomic_load_explicit(&goro__sysmon_tid, memory_order_relaxed))
        return false;
    return !goro__m_idle_tid_locked(*tid);
}

/* Asleep in a goro wait that only a wake can end (futex word 2). */
static bool thr_asleep(const goro__thr *t)
{
    return atomic_load_explicit(&t->futex, memory_order_acquire) == 2 &&
           !atomic_load_explicit(&t->timed, memory_order_relaxed) &&
           atomic_load_explicit(&t->reason, memory_order_relaxed) != GORO_WAIT_NONE;
}

/* ---- reading a record ---- */

static const char *const wait_names[GORO_WAIT_COUNT] = {
    [GORO_WAIT_NONE] = "waiting",
    [GORO_WAIT_CHAN_RECV] = "chan receive",
    [GORO_WAIT_CHAN_SEND] = "chan send",
    [GORO_WAIT_SELECT] = "select",
    [GORO_WAIT_MUTEX] = "sync.Mutex.Lock",
    [GORO_WAIT_RWMUTEX_R] = "sync.RWMutex.RLock",
    [GORO_WAIT_RWMUTEX_W] = "sync.RWMutex.Lock",
    [GORO_WAIT_WAITGROUP] = "sync.WaitGroup.Wait",
    [GORO_WAIT_COND] = "sync.Cond.Wait",
    [GORO_WAIT_SEMA] = "semaphore acquire",
    [GORO_WAIT_SLEEP] = "sleep",
    [GORO_WAIT_IO] = "IO wait",
};

/* What the "on:" line calls the object, NULL: no line. */
static const char *const obj_names[GORO_WAIT_COUNT] = {
    [GORO_WAIT_CHAN_RECV] = "chan",
    [GORO_WAIT_CHAN_SEND] = "chan",
    [GORO_WAIT_MUTEX] = "mutex",
    [GORO_WAIT_RWMUTEX_R] = "rwmutex",
    [GORO_WAIT_RWMUTEX_W] = "rwmutex",
    [GORO_WAIT_WAITGROUP] = "waitgroup",
    [GORO_WAIT_COND] = "cond",
    [GORO_WAIT_SEMA] = "sema",
    [GORO_WAIT_IO] = "fd",
};

const char *goro_wait_name(int wait)
{
    return wait >= 0 && wait < GORO_WAIT_COUNT ? wait_names[wait] : "waiting";
}

static const char *state_name(int state, int wait)
{
    switch (state) {
    case GORO_G_RUNNABLE: return "runnable";
    case GORO_G_RUNNING:  return "running";
    case GORO_G_SYSCALL:  return "syscall";
    default:              return goro_wait_name(wait);
    }
}

/* A live goroutine's record and its G (for its frames). */
typedef struct gent {
    goro_ginfo gi;
    G *g;
} gent;

/* Live goroutines sorted by id, malloc'd; -1 when out of memory. */
static int gi_cmp(const void *a, const void *b)
{
    const goro_ginfo *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int collect(gent **out)
{
    long cap = goro__allg_count();
    gent *v = goro__malloc((size_t)(cap ? cap : 1) * sizeof *v);
    if (!v)
        return -1;
    int64_t now = goro__nanotime();
    int n = 0;
    GORO_FOR_EACH_G(g) {
        if (n == cap)
            break;   /* registered after we sized the array: started after us */
        if (goro__g_read(g, now, &v[n].gi))
            v[n++].g = g;
    }
    qsort(v, (size_t)n, sizeof *v, gi_cmp);   /* gi comes first */
    *out = v;
    return n;
}

/* ---- output: a FILE, or an fd from a signal handler ---- */

typedef struct out {
    FILE *f;
    int fd;
} out;

__attribute__((format(printf, 2, 3)))
static void outf(out *o, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    if (o->f) {
        fwrite(buf, 1, len, o->f);
        return;
    }
    for (size_t done = 0; done < len;) {
        ssize_t w = write(o->fd, buf + done, len - done);
        if (w <= 0)
            return;
        done += (size_t)w;
    }
}

static void out_wait(out *o, int wait, const void *obj, int64_t wait_ns)
{
    if (obj_names[wait]) {
        if (wait == GORO_WAIT_IO)
            outf(o, "\ton: fd %d\n", (int)(intptr_t)obj);
        else
            outf(o, "\ton: %s %p\n", obj_names[wait], obj);
    }
    if (wait_ns >= GORO_SECOND)
        outf(o, "\twaiting: %.1f s\n", (double)wait_ns / 1e9);
}

/* The "func:" line: the symbol when the dynamic symbol table has fn
 * exactly, else the object and offset (for addr2line -f -e), else the
 * address. A signal handler (no FILE) prints the address only: dladdr
 * takes the loader's lock. */
static void out_fn(out *o, void (*fn)(void))
{
    void *addr;
    memcpy(&addr, &fn, sizeof addr);
    Dl_info di;
    if (!addr)
        return;
    if (!o->f || !dladdr(addr, &di) || !di.dli_fname) {
        outf(o, "\tfunc: %p\n", addr);
    } else if (di.dli_sname && di.dli_saddr == addr) {
        outf(o, "\tfunc: %s\n", di.dli_sname);
    } else {
        const char *base = strrchr(di.dli_fname, '/');
        outf(o, "\tfunc: %s+%#lx\n", base ? base + 1 : di.dli_fname,
             (unsigned long)((char *)addr - (char *)di.dli_fbase));
    }
}

static void out_frames(out *o, const uintptr_t *pcs, int n)
{
    char buf[512];
    for (int i = 0; i < n; i++) {
        goro__symbolize(buf, sizeof buf, pcs[i]);
        outf(o, "\t%s\n", buf);
    }
    if (n == GORO_TRACE_DEPTH)
        outf(o, "\t...\n");
}

/* g's frames: the calling thread's own goroutine (self: may unwind it),
 * or a parked one (goro__g_frames); none for goroutines running
 * elsewhere. */
static void out_g_frames(out *o, G *g, const goro_ginfo *gi, bool self)
{
    uintptr_t pcs[GORO_TRACE_DEPTH];
    int n = 0;
    if (g == goro__getg()) {
        if (self)
            n = goro__trace_self(pcs, GORO_TRACE_DEPTH);
    } else if (gi->state == GORO_G_WAITING) {
        n = goro__g_frames(g, pcs, GORO_TRACE_DEPTH);
    }
    out_frames(o, pcs, n);
}

static void out_g(out *o, const goro_ginfo *gi, G *g, bool self)
{
    char mins[32] = "";
    if (gi->state == GORO_G_WAITING && gi->wait_ns >= GORO_MINUTE)
        snprintf(mins, sizeof mins, ", %lld minutes", (long long)(gi->wait_ns / GORO_MINUTE));
    outf(o, "goroutine %llu [%s%s]:\n", (unsigned long long)gi->id,
         state_name(gi->state, gi->wait), mins);
    if (gi->name)
        outf(o, "\tname: %s\n", gi->name);
    if (gi->state == GORO_G_WAITING)
        out_wait(o, gi->wait, gi->wait_obj, gi->wait_ns);
    out_fn(o, gi->fn);
    if (g)
        out_g_frames(o, g, gi, self);
    outf(o, "created by %s:%d\n\n", gi->file ? gi->file : "?", gi->line);
}

static void out_threads(out *o, int64_t now)
{
    FOR_EACH_THR(t) {
        pid_t tid = atomic_load_explicit(&t->tid, memory_order_acquire);
        int wait = atomic_load_explicit(&t->reason, memory_order_relaxed);
        if (tid == 0 || wait == GORO_WAIT_NONE || wait >= GORO_WAIT_COUNT)
            continue;
        outf(o, "thread %d%s [%s]:\n", (int)tid, t->is_main ? " (main)" : "", wait_names[wait]);
        out_wait(o, wait, atomic_load_explicit(&t->obj, memory_order_relaxed),
                 now - atomic_load_explicit(&t->since, memory_order_relaxed));
        uintptr_t pcs[GORO_TRACE_DEPTH];
        uint32_t seq = atomic_load_explicit(&t->seq, memory_order_acquire);
        int n = goro__trace_fp(0, atomic_load_explicit(&t->fp, memory_order_relaxed), pcs,
                               GORO_TRACE_DEPTH);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&t->reason, memory_order_relaxed) == GORO_WAIT_NONE ||
                atomic_load_explicit(&t->seq, memory_order_relaxed) != seq)
            n = 0;   /* it woke meanwhile */
        out_frames(o, pcs, n);
        outf(o, "\n");
    }
}

/* In registry order, no allocation (signal handlers): first (if not
 * NULL), then every other goroutine, then the threads. */
static void dump_unsorted(out *o, int64_t now, G *first, bool self)
{
    goro_ginfo gi;
    if (first && goro__g_read(first, now, &gi))
        out_g(o, &gi, first, self);
    GORO_FOR_EACH_G(g)
        if (g != first && goro__g_read(g, now, &gi))
            out_g(o, &gi, g, self);
    out_threads(o, now);
}

/* sorted: in id order (allocates); else registry order (signal handlers). */
static void dump(out *o, bool sorted)
{
    int64_t now = goro__nanotime();
    gent *v;
    int n;
    if (sorted && (n = collect(&v)) >= 0) {
        for (int i = 0; i < n; i++)
            out_g(o, &v[i].gi, v[i].g, true);
        goro__free(v);
        out_threads(o, now);
    } else {
        dump_unsorted(o, now, NULL, true);
    }
}

void goro__dump_fd(int fd, const G *first, bool self_frames)
{
    out o = { NULL, fd };
    dump_unsorted(&o, goro__nanotime(), (G *)first, self_frames);
}

void goro_dump(FILE *f)
{
    SAN_RUNTIME_SCOPE;
    goro__init();
    out o = { f, -1 };
    dump(&o, true);
    fflush(f);
}

int goro_goroutines(goro_ginfo *outv, int max)
{
    SAN_RUNTIME_SCOPE;
    goro__init();
    gent *v;
    int n = collect(&v);
    if (n < 0)
        return GORO_ENOMEM;
    for (int i = 0; outv && i < n && i < max; i++)
        outv[i] = v[i].gi;
    goro__free(v);
    return n;
}

/* ---- SIGQUIT ---- */

static void sigquit_handler(int sig)
{
    (void)sig;
    out o = { NULL, STDERR_FILENO };
    outf(&o, "SIGQUIT: quit\n\n");
    dump(&o, false);
    _exit(2);
}

void goro_dump_on_sigquit(bool on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on ? sigquit_handler : SIG_DFL;
    sigaction(SIGQUIT, &sa, NULL);
}

/* ---- GORODEBUG ---- */

void goro__diag_init(void)
{
    const char *env = getenv("GORODEBUG");
    while (env && *env) {
        size_t len = strcspn(env, ",");
        if ((len == 7 && !strncmp(env, "sigquit", 7)) ||
            (len == 9 && !strncmp(env, "sigquit=1", 9)))
            goro_dump_on_sigquit(true);
        else if (len == 10 && !strncmp(env, "deadlock=0", 10))
            deadlock_off = true;
        env += len;
        if (*env == ',')
            env++;
    }
}

/* ---- deadlock check (conditions in the file comment) ---- */

/* (4): every thread of the process is an idle M, sysmon, or a plain
 * thread seen asleep in this check (chk_gen == gen). */
static bool threads_all_known(uint32_t gen)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return false;
    bool ok = true;
    pid_t sysmon = atomic_load_explicit(&goro__sysmon_tid, memory_order_relaxed);
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        pid_t tid = (pid_t)atoi(e->d_name);
        bool known = tid == sysmon;
        known = known || goro__m_idle_tid_locked(tid);
        FOR_EACH_THR(t) {
            if (known)
                break;
            known = t->chk_gen == gen && atomic_load_explicit(&t->tid, memory_order_relaxed) == tid;
        }
        ok = known;
    }
    closedir(d);
    return ok;
}

static _Noreturn void deadlock_report(void)
{
    out o = { stderr, -1 };
    outf(&o, "fatal error: all goroutines are asleep - deadlock!\n\n");
    dump(&o, true);
    fflush(stderr);
    abort();
}

void goro__checkdead_locked(void)
{
    static uint32_t gen;   /* (sched.lock) */
    atomic_thread_fence(memory_order_seq_cst);   /* pairs with goro__thread_sleeps */
    if (deadlock_off || !goro__sched_quiet_locked())
        return;
    if (goro__netpoll_pending() || goro__timers_earliest() != 0)
        return;
    gen++;
    int asleep = 0;
    FOR_EACH_THR(t) {
        pid_t tid;
        t->chk_gen = 0;
        if (!thr_plain(t, &tid))
            continue;
        if (!thr_asleep(t))
            return;
        t->chk_seq = atomic_load_explicit(&t->seq, memory_order_relaxed);
        t->chk_gen = gen;
        asleep++;
    }
    if (asleep == 0)
        return;   /* the main thread is not in a goro wait: it runs */
    goro_ginfo gi;
    GORO_FOR_EACH_G(g)
        if (goro__g_read(g, 0, &gi) && gi.state != GORO_G_WAITING)
            return;
    if (!threads_all_known(gen))
        return;
    FOR_EACH_THR(t)
        if (t->chk_gen == gen &&
            (!thr_asleep(t) || atomic_load_explicit(&t->seq, memory_order_relaxed) != t->chk_seq))
            return;
    deadlock_report();
}

void goro__thread_sleeps(void)
{
    goro__init();   /* GORODEBUG is read there: a channel op may come first */
    if (deadlock_off)
        return;
    goro__checkdead();   /* seq_cst, after the caller's futex CAS: see the file comment */
}

/* ---- leak check ---- */

struct goro_leak_snapshot {
    int n;
    uint64_t ids[];            /* live goroutines at the snapshot, sorted */
};

goro_leak_snapshot *goro_leakcheck_begin(void)
{
    SAN_RUNTIME_SCOPE;
    goro__init();
    gent *v;
    int n = collect(&v);
    if (n < 0)
        return NULL;
    goro_leak_snapshot *s = goro__malloc(sizeof *s + (size_t)n * sizeof s->ids[0]);
    if (s) {
        s->n = n;
        for (int i = 0; i < n; i++)
            s->ids[i] = v[i].gi.id;
    }
    goro__free(v);
    return s;
}

static bool snap_has(const goro_leak_snapshot *s, uint64_t id)
{
    int lo = 0, hi = s->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (s->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->ids[lo] == id;
}

/* Moves the goroutines started since s (not self) to the front of v. */
static int leaked(const goro_leak_snapshot *s, gent *v, int n, uint64_t self)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (v[i].gi.id != self && !snap_has(s, v[i].gi.id))
            v[k++] = v[i];
    return k;
}

int goro_leakcheck_verify(const goro_leak_snapshot *s, int64_t grace, FILE *report)
{
    SAN_RUNTIME_SCOPE;
    if (!s)
        return GORO_EINVAL;
    uint64_t self = goro_id();
    int64_t start = goro_now(), nap = 100 * GORO_MICROSECOND;
    for (;;) {
        gent *v;
        int n = collect(&v);
        if (n < 0)
            return GORO_ENOMEM;
        int k = leaked(s, v, n, self);
        int64_t waited = goro_now() - start;
        if (k == 0 || waited >= grace) {
            if (k && report) {
                out o = { report, -1 };
                outf(&o, "goro: %d goroutine%s leaked (still alive after a %lld ms grace period):\n\n",
                     k, k == 1 ? "" : "s", (long long)(grace / GORO_MILLISECOND));
                for (int i = 0; i < k; i++)
                    out_g(&o, &v[i].gi, v[i].g, true);
                fflush(report);
            }
            goro__free(v);
            return k;
        }
        goro__free(v);
        if (nap > grace - waited)
            nap = grace - waited;
        goro_sleep(nap);
        if (nap < 20 * GORO_MILLISECOND)
            nap *= 2;
    }
}

void goro_leakcheck_free(goro_leak_snapshot *s)
{
    goro__free(s);
}

int goro_leakcheck_end(goro_leak_snapshot *s, int64_t grace, FILE *report)
{
    int k = goro_leakcheck_verify(s, grace, report);
    goro_leakcheck_free(s);
    return k;
}

/* ---- goro_stats ---- */

void goro_stats(goro_stats_t *st)
{
    SAN_RUNTIME_SCOPE;
    goro__init();
    memset(st, 0, sizeof *st);
    int64_t now = goro__nanotime();
    goro_ginfo gi;
    GORO_FOR_EACH_G(g) {
        if (!goro__g_read(g, now, &gi))
            continue;
        st->goroutines++;
        switch (gi.state) {
        case GORO_G_RUNNABLE: st->runnable++; break;
        case GORO_G_RUNNING:  st->running++; break;
        case GORO_G_SYSCALL:  st->syscall++; break;
        default:
            st->waiting++;
            st->waiting_on[gi.wait]++;
        }
    }
    FOR_EACH_THR(t)
        if (atomic_load_explicit(&t->tid, memory_order_relaxed) &&
            atomic_load_explicit(&t->reason, memory_order_relaxed) != GORO_WAIT_NONE)
            st->threads_blocked++;
    goro__sched_stats(st);
    st->poll_waits = goro__netpoll_waiters();
}
