/* SPDX-License-Identifier: MIT */
/*
 * trace.c: the execution tracer (goro_trace_start/stop, GORODEBUG=trace=FILE).
 *
 * Every thread that records an event gets a buffer of its own (a
 * thread-local pointer to a record on a global list that only grows;
 * a thread's record is reused by a later thread once it ended). An event
 * is appended there with no lock and no system call: a store (busy = 1),
 * a compiler barrier, a load of goro__tracer_on, the clock read, and the
 * event's bytes (format.h: a type byte and varints; the time is a delta
 * of CPU ticks, rdtsc or cntvct_el0, against the buffer's previous event,
 * with CLOCK_MONOTONIC as the fallback). A goroutine switch is one event
 * and one clock read: the stop names the goroutine that starts, and that
 * start's own hook, next on this thread, writes nothing. A full
 * buffer is written to the file as one batch (format.h), with a (ticks,
 * ns) pair the readers calibrate with, under the writer's lock, which is
 * taken only there, at stop and at flushes.
 *
 * Stopping: goro__tracer_on = 0, membarrier(PRIVATE_EXPEDITED) (which
 * fences every running thread: the owner's side needs only a compiler
 * barrier between its store of busy = 1 and its load of the flag, the
 * asymmetric Dekker sysmon uses; without membarrier the owner fences),
 * then wait until no buffer is busy: either the stopper sees a buffer
 * busy or its owner sees the flag off and writes nothing. Then every
 * buffer is written under the writer's lock. Release on busy = 0 and the lock order the buffers'
 * bytes for the thread that writes them out.
 *
 * Fatal paths (goro__tracer_flush_fatal) write whatever the buffers hold
 * without waiting: a buffer being appended to may end in half an event,
 * which a reader drops (format.h).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/membarrier.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif
#include <sys/syscall.h>

#include "base/base.h"
#include "base/lock.h"
#include "sched/g.h"
#include "trace/trace.h"

#define TBUF_BYTES (64 * 1024)     /* events per batch */
#define TSTR_CACHE 256             /* interned strings remembered per thread */
#define TSTR_MAX 1024              /* longest string kept */
#define EV_MAX 80                  /* longest event without text: 1 + 7 varints */

typedef struct tbuf {
    struct tbuf *next;             /* global list (set once) */
    _Atomic uint32_t busy;         /* 1 while its thread appends */
    _Atomic uint32_t free;         /* its thread ended: another may take it */
    uint32_t gen;                  /* the trace its contents belong to */
    int tid, mid;
    size_t pos;
    uint64_t base;                 /* ticks the batch's first event counts from */
    uint64_t last;                 /* ticks of the batch's last event */
    uint64_t obj;                  /* the batch's last address argument */
    uint32_t chained;              /* trace gen of a stop that named the next start */
    uintptr_t strs[TSTR_CACHE];    /* keys defined in this trace */
    unsigned char data[TBUF_BYTES];
} tbuf;

_Atomic uint32_t goro__tracer_on;
static _Atomic uint32_t trace_gen;
static int trace_fd = -1;
static goro__lock wlock = GORO_LOCK_INIT(TRACE_W);  /* the file and batches written */
static goro__lock ctl = GORO_LOCK_INIT(TRACE_CTL);  /* start/stop */
static tbuf *_Atomic bufs;
/* No membarrier (old kernels, Valgrind): appends fence themselves. */
static _Atomic bool trace_fence;
/* The clock (format.h): chosen at the first start, for good. */
static _Atomic bool use_ticks;
static bool clock_chosen;
/* Initial-exec: a load off the thread pointer, not a call to
 * __tls_get_addr in the shared library (8 bytes of the static TLS that
 * glibc keeps spare even for a dlopened library). */
static __thread __attribute__((tls_model("initial-exec"))) tbuf *my_buf;
static pthread_key_t buf_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;
        c += k;
        n -= (size_t)k;
    }
}

/* ---- the clock: CPU ticks, or CLOCK_MONOTONIC ns ---- */

static inline uint64_t ticks(void)
{
#if defined(__x86_64__)
    if (goro_likely(atomic_load_explicit(&use_ticks, memory_order_relaxed)))
        return __rdtsc();
#elif defined(__aarch64__)
    if (goro_likely(atomic_load_explicit(&use_ticks, memory_order_relaxed))) {
        uint64_t v;
        __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
        return v;
    }
#endif
    return (uint64_t)goro__nanotime();
}

/* A pair (ticks, ns) read together: the readers' calibration. */
static void clock_pair(uint64_t *t, int64_t *ns)
{
    uint64_t a = ticks();
    *ns = goro__nanotime();
    uint64_t b = ticks();
    *t = a + (b - a) / 2;
}

#if defined(__x86_64__)
/* /proc/cpuinfo's first flags line names both: the TSC runs at a constant
 * rate, in every C-state. */
static bool tsc_usable(void)
{
    static char buf[16384];
    int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    size_t n = 0;
    ssize_t k;
    while (n < sizeof buf - 1 && (k = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)k;
    close(fd);
    buf[n] = 0;
    char *fl = strstr(buf, "\nflags");
    if (!fl)
        return false;
    char *eol = strchr(fl + 1, '\n');
    if (eol)
        *eol = 0;
    return strstr(fl, " constant_tsc") && strstr(fl, " nonstop_tsc");
}
#endif

/* (ctl held) Ticks where the CPU has a usable counter, unless
 * GORO_TRACE_CLOCK=ns; sanity-checked against CLOCK_MONOTONIC over a few
 * microseconds (a counter that stands still or runs wild is not used). */
static void clock_choose(void)
{
    if (clock_chosen)
        return;
    clock_chosen = true;
    const char *env = getenv("GORO_TRACE_CLOCK");
    bool want = !(env && !strcmp(env, "ns"));
#if defined(__x86_64__)
    want = want && tsc_usable();
#elif !defined(__aarch64__)
    want = false;
#endif
    if (!want)
        return;
    atomic_store(&use_ticks, true);
    uint64_t t0, t1;
    int64_t n0, n1;
    clock_pair(&t0, &n0);
    do
        clock_pair(&t1, &n1);
    while (n1 - n0 < 20000 && n1 >= n0);
    double rate = n1 > n0 ? (double)(t1 - t0) / (double)(n1 - n0) : 0;
    if (!(rate > 0.001 && rate < 1000))
        atomic_store(&use_ticks, false);
}

/* ---- batches ---- */

/* (wlock held, or dying) b's events as one batch; the next starts empty. */
static void batch_write(tbuf *b)
{
    if (b->pos && trace_fd >= 0) {
        struct { uint32_t magic, size; int32_t tid, mid; uint64_t base, ticks; int64_t ns; } h = {
            GORO_TR_BATCH_MAGIC, (uint32_t)b->pos, b->tid, b->mid, b->base, 0, 0 };
        clock_pair(&h.ticks, &h.ns);
        _Static_assert(sizeof h == GORO_TR_BATCH_HEADER, "batch header");
        write_all(trace_fd, &h, sizeof h);
        write_all(trace_fd, b->data, b->pos);
    }
    b->pos = 0;
    b->base = b->last;
    b->obj = 0;
}

/* (b busy, its owner) A full buffer to the file, if its trace is on. */
static __attribute__((noinline, cold)) void buf_flush(tbuf *b)
{
    goro__lock_acquire(&wlock);
    if (atomic_load_explicit(&trace_gen, memory_order_relaxed) == b->gen)
        batch_write(b);
    b->pos = 0;
    goro__lock_release(&wlock);
}

static void key_init(void);

static __attribute__((noinline, cold)) tbuf *buf_get(void)
{
    pthread_once(&key_once, key_init);
    tbuf *b;
    for (b = atomic_load_explicit(&bufs, memory_order_acquire); b; b = b->next) {
        uint32_t one = 1;
        if (atomic_load_explicit(&b->free, memory_order_relaxed) &&
            atomic_compare_exchange_strong(&b->free, &one, 0))
            break;
    }
    if (!b) {
        b = goro__calloc_pool(1, sizeof *b);
        if (!b)
            return NULL;
        b->next = atomic_load(&bufs);
        while (!atomic_compare_exchange_weak(&bufs, &b->next, b))
            ;
    }
    b->tid = (int)syscall(SYS_gettid);
    b->mid = goro__curm_id();
    b->gen = 0;
    b->pos = 0;
    pthread_setspecific(buf_key, b);
    my_buf = b;
    return b;
}

/* (b busy) The first event of trace gen on b's thread. */
static __attribute__((noinline, cold)) void buf_reset(tbuf *b, uint32_t gen)
{
    b->gen = gen;
    b->pos = 0;
    b->chained = 0;
    b->base = b->last = ticks();
    b->obj = 0;
    memset(b->strs, 0, sizeof b->strs);
}

/* Starts an event of at most `size` bytes in the calling thread's buffer,
 * busy set; NULL (not busy) if tracing is off. */
static inline __attribute__((always_inline)) unsigned char *ev_begin(tbuf **bp, size_t size)
{
    tbuf *b = my_buf;
    if (goro_unlikely(!b) && !(b = buf_get()))
        return NULL;
    /* Dekker with goro_trace_stop: busy, then the flag; the stopper's
     * side is membarrier (or our fence without it). */
    atomic_store_explicit(&b->busy, 1, memory_order_relaxed);
    if (goro_unlikely(atomic_load_explicit(&trace_fence, memory_order_relaxed)))
        atomic_thread_fence(memory_order_seq_cst);
    else
        atomic_signal_fence(memory_order_seq_cst);
    uint32_t gen = atomic_load_explicit(&trace_gen, memory_order_relaxed);
    if (goro_unlikely(!atomic_load_explicit(&goro__tracer_on, memory_order_relaxed))) {
        atomic_store_explicit(&b->busy, 0, memory_order_release);
        return NULL;
    }
    if (goro_unlikely(b->gen != gen))
        buf_reset(b, gen);
    if (goro_unlikely(b->pos + size > TBUF_BYTES))
        buf_flush(b);
    *bp = b;
    return b->data + b->pos;
}

static inline void ev_end(tbuf *b, unsigned char *end)
{
    b->pos = (size_t)(end - b->data);
    atomic_store_explicit(&b->busy, 0, memory_order_release);
}

static inline unsigned char *put(unsigned char *e, uint64_t v)
{
    while (v >= 0x80) {
        *e++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *e++ = (unsigned char)v;
    return e;
}

/* Type, time (a delta; a counter read on another CPU that is behind the
 * last counts as no time), P + 1. */
static inline unsigned char *ev_head(tbuf *b, unsigned char *e, int t, int p, uint64_t now)
{
    *e++ = (unsigned char)t;
    uint64_t d = 0;
    if (goro_likely(now > b->last)) {
        d = now - b->last;
        b->last = now;
    }
    e = put(e, d);
    return put(e, (uint64_t)(uint32_t)(p + 1));
}

static inline unsigned char *ev_text(unsigned char *e, const char *s, size_t len)
{
    e = put(e, len);
    memcpy(e, s, len);
    return e + len;
}

/* Argument i of an event of type t. */
static inline unsigned char *ev_arg(tbuf *b, unsigned char *e, int t, int i, uint64_t v)
{
    if (goro_unlikely(goro_tr_objs[t] >> i & 1)) {
        int64_t d = (int64_t)(v - b->obj);
        b->obj = v;
        v = ((uint64_t)d << 1) ^ (uint64_t)(d >> 63);   /* zigzag */
    }
    return put(e, v);
}

/* The two most frequent hooks, each with few values live (a short
 * prologue): a start, usually the second half of a switch its stop wrote
 * already, and a ready, timed by this thread's next clock read (format.h). */
static __attribute__((noinline)) void start_write(int p, uint64_t g)
{
    tbuf *b;
    unsigned char *e = ev_begin(&b, EV_MAX);
    if (!e)
        return;
    e = ev_head(b, e, GORO_TR_GO_START, p, ticks());
    ev_end(b, put(e, g));
}

void goro__tracer_start_ev(int p, uint64_t g)
{
    tbuf *b = my_buf;
    /* Only this thread touches chained; a stop of an earlier trace does
     * not count (its gen differs, and that trace has the start). Nothing
     * to save on this path: the write is a tail call. */
    if (goro_likely(b && b->chained) &&
        b->chained == atomic_load_explicit(&trace_gen, memory_order_relaxed)) {
        b->chained = 0;
        return;
    }
    start_write(p, g);
}

void goro__tracer_ready(int p, uint64_t g, uint64_t by)
{
    tbuf *b;
    unsigned char *e = ev_begin(&b, EV_MAX);
    if (!e)
        return;
    *e++ = GORO_TR_GO_READY | GORO_TR_DEFERRED;
    e = put(e, (uint64_t)(uint32_t)(p + 1));
    e = put(e, g);
    ev_end(b, put(e, by));
}

void goro__tracer_any(int t, int aux, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    tbuf *b;
    unsigned char *e = ev_begin(&b, EV_MAX);
    if (!e)
        return;
    e = ev_head(b, e, t, aux, ticks());
    unsigned n = goro_tr_nargs[t];   /* at most 4 here (format.h) */
    if (goro_unlikely(goro_tr_objs[t])) {
        uint64_t a[4] = { a0, a1, a2, a3 };
        for (unsigned i = 0; i < n && i < 4; i++)
            e = ev_arg(b, e, t, (int)i, a[i]);
    } else {
        if (n > 0)
            e = put(e, a0);
        if (n > 1)
            e = put(e, a1);
        if (n > 2)
            e = put(e, a2);
        if (n > 3)
            e = put(e, a3);
    }
    ev_end(b, e);
}

/* (b busy) Defines key -> text in b unless it did in this trace. */
static void str_def(tbuf *b, uintptr_t key, const char *text)
{
    unsigned h = (unsigned)((key >> 3) ^ (key >> 13)) % TSTR_CACHE;
    if (b->strs[h] == key)
        return;
    b->strs[h] = key;
    size_t len = strnlen(text, TSTR_MAX);
    if (b->pos + EV_MAX + len > TBUF_BYTES)
        buf_flush(b);
    unsigned char *e = ev_head(b, b->data + b->pos, GORO_TR_STRING, -1, b->last);
    e = put(e, key);
    e = ev_text(e, text, len);
    b->pos = (size_t)(e - b->data);
}

void goro__tracer_create(uint64_t g, uint64_t parent, void (*ufn)(void),
                         const char *file, int line, int p)
{
    tbuf *b;
    if (!ev_begin(&b, EV_MAX))
        return;
    /* Interned names first (they may flush the buffer). */
    uintptr_t fkey = (uintptr_t)ufn, skey = (uintptr_t)file;
    unsigned h = (unsigned)((fkey >> 3) ^ (fkey >> 13)) % TSTR_CACHE;
    if (b->strs[h] != fkey) {
        char name[256];
        Dl_info d;
        if (dladdr((void *)fkey, &d) && d.dli_sname && d.dli_saddr == (void *)fkey)
            strncpy(name, d.dli_sname, sizeof name - 1), name[sizeof name - 1] = 0;
        else
            goro__symbolize(name, sizeof name, fkey);
        str_def(b, fkey, name);
    }
    if (file)
        str_def(b, skey, file);
    if (b->pos + EV_MAX > TBUF_BYTES)
        buf_flush(b);
    unsigned char *e = ev_head(b, b->data + b->pos, GORO_TR_GO_CREATE, p, ticks());
    uint64_t a[5] = { g, parent, fkey, skey, (uint64_t)line };
    for (int i = 0; i < 5; i++)
        e = ev_arg(b, e, GORO_TR_GO_CREATE, i, a[i]);
    ev_end(b, e);
}

void goro__tracer_stop(uint64_t g, int why, const goro__gwait *w, int p, uint64_t next)
{
    int reason = 0;
    const void *obj = NULL;
    if (why == GORO_TR_STOP_PARK && w) {
        reason = atomic_load_explicit(&w->reason, memory_order_relaxed);
        obj = atomic_load_explicit(&w->obj, memory_order_relaxed);
    }
    tbuf *b;
    unsigned char *e = ev_begin(&b, EV_MAX);
    if (!e)
        return;
    e = ev_head(b, e, GORO_TR_GO_STOP, p, ticks());
    e = put(e, g);
    e = put(e, (uint64_t)why);
    e = put(e, (uint64_t)reason);
    e = ev_arg(b, e, GORO_TR_GO_STOP, 3, (uint64_t)(uintptr_t)obj);
    e = put(e, next);
    b->chained = next ? b->gen : 0;
    ev_end(b, e);
}

/* A text event: g, then s1 and, for a log, s2. */
static void ev_texts(int t, const char *s1, const char *s2)
{
    if (!atomic_load_explicit(&goro__tracer_on, memory_order_relaxed))
        return;
    if (!s1)
        s1 = "";
    size_t l1 = strnlen(s1, TSTR_MAX), l2 = s2 ? strnlen(s2, TSTR_MAX) : 0;
    tbuf *b;
    unsigned char *e = ev_begin(&b, EV_MAX + l1 + l2);
    if (!e)
        return;
    e = ev_head(b, e, t, -1, ticks());
    e = put(e, goro__curg_id());
    e = ev_text(e, s1, l1);
    if (s2)
        e = ev_text(e, s2, l2);
    ev_end(b, e);
}

/* Thread exit (the key's destructor): its event, then its batch. */
static void buf_release(void *v)
{
    tbuf *b = v, *bb;
    unsigned char *e = ev_begin(&bb, EV_MAX);
    if (e)
        ev_end(b, ev_head(b, e, GORO_TR_THREAD_EXIT, -1, ticks()));
    atomic_store(&b->busy, 1);
    if (b->pos) {
        goro__lock_acquire(&wlock);
        if (b->gen == atomic_load(&trace_gen))
            batch_write(b);
        b->pos = 0;
        goro__lock_release(&wlock);
    }
    my_buf = NULL;
    atomic_store_explicit(&b->busy, 0, memory_order_release);
    atomic_store_explicit(&b->free, 1, memory_order_release);
}

static void key_init(void)
{
    pthread_key_create(&buf_key, buf_release);
}

void goro_trace_region_begin(const char *name)
{
    ev_texts(GORO_TR_REGION_BEGIN, name, NULL);
}

void goro_trace_region_end(const char *name)
{
    ev_texts(GORO_TR_REGION_END, name, NULL);
}

void goro_trace_log(const char *category, const char *message)
{
    ev_texts(GORO_TR_LOG, category, message ? message : "");
}

bool goro_trace_enabled(void)
{
    goro__init();   /* GORODEBUG=trace may start it */
    return atomic_load_explicit(&goro__tracer_on, memory_order_relaxed) != 0;
}

static void at_exit(void)
{
    goro_trace_stop();
}

/* goro_trace_start without goro__init: also GORODEBUG=trace's, during it. */
int goro__tracer_start(const char *path)
{
    if (!path)
        return GORO_EINVAL;
    goro__lock_acquire(&ctl);
    if (atomic_load(&goro__tracer_on)) {
        goro__lock_release(&ctl);
        return GORO_EINVAL;   /* already tracing */
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        goro__lock_release(&ctl);
        return -e;
    }
    static bool registered;
    if (!registered) {
        registered = true;
        atexit(at_exit);
    }
    clock_choose();
    struct { char magic[8]; uint32_t version, clock; uint64_t ticks; int64_t ns; } h;
    _Static_assert(sizeof h == GORO_TR_FILE_HEADER, "file header");
    memcpy(h.magic, GORO_TR_MAGIC, 8);
    h.version = GORO_TR_VERSION;
    h.clock = atomic_load(&use_ticks) ? GORO_TR_CLOCK_TICKS : GORO_TR_CLOCK_NS;
    clock_pair(&h.ticks, &h.ns);
    write_all(fd, &h, sizeof h);
    syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
    atomic_store_explicit(&trace_fence,
        syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0, memory_order_relaxed);
    goro__lock_acquire(&wlock);
    trace_fd = fd;
    atomic_fetch_add(&trace_gen, 1);
    goro__lock_release(&wlock);
    atomic_store(&goro__tracer_on, 1);
    /* The goroutines alive now, so that their events have names. */
    int64_t now = goro__nanotime();
    GORO_FOR_EACH_G(g) {
        goro_ginfo gi;
        if (goro__g_read(g, now, &gi))
            goro__tracer_create(gi.id, UINT64_MAX, gi.fn, gi.file, gi.line, -1);
    }
    goro__lock_release(&ctl);
    return 0;
}

int goro_trace_start(const char *path)
{
    goro__init();
    int r = goro__tracer_start(path);
    if (r == 0)
        goro__tracer_ev(GORO_TR_PROCS, -1, (uint64_t)goro_maxprocs(0), 0, 0, 0);
    return r;
}

int goro_trace_stop(void)
{
    goro__lock_acquire(&ctl);
    uint32_t one = 1;
    if (!atomic_compare_exchange_strong(&goro__tracer_on, &one, 0)) {
        goro__lock_release(&ctl);
        return GORO_EINVAL;
    }
    if (!atomic_load_explicit(&trace_fence, memory_order_relaxed))
        syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    for (tbuf *b = atomic_load(&bufs); b; b = b->next)
        while (atomic_load(&b->busy))
            goro__cpu_relax();
    goro__lock_acquire(&wlock);
    uint32_t gen = atomic_load(&trace_gen);
    for (tbuf *b = atomic_load(&bufs); b; b = b->next) {
        if (b->gen == gen)
            batch_write(b);
        b->pos = 0;
    }
    int r = close(trace_fd) ? -errno : 0;
    trace_fd = -1;
    goro__lock_release(&wlock);
    goro__lock_release(&ctl);
    return r;
}

void goro__tracer_flush_fatal(void)
{
    uint32_t one = 1;
    if (!atomic_compare_exchange_strong(&goro__tracer_on, &one, 0))
        return;
    /* Wait briefly for appends in flight; a thread stopped for good
     * (this one, in a handler) leaves at most half an event. */
    for (int i = 0; i < 1000; i++) {
        bool any = false;
        for (tbuf *b = atomic_load(&bufs); b; b = b->next)
            any |= b != my_buf && atomic_load(&b->busy);
        if (!any)
            break;
        goro__cpu_relax();
    }
    bool locked = goro__lock_try(&wlock);
    uint32_t gen = atomic_load(&trace_gen);
    for (tbuf *b = atomic_load(&bufs); b; b = b->next)
        if (b->gen == gen)
            batch_write(b);
    if (locked)
        goro__lock_release(&wlock);
}
