/* SPDX-License-Identifier: MIT */
/*
 * trace.c: the execution tracer (goro_trace_start/stop, GORODEBUG=trace=FILE).
 *
 * Every thread that records an event gets a buffer of its own (a
 * thread-local pointer to a record on a global list that only grows;
 * a thread's record is reused by a later thread once it ended). An event
 * is appended there with no lock and no system call: a store (busy = 1),
 * a compiler barrier, a load of goro__tracer_on, the clock read, and the
 * stores of the event. One clock read per goroutine switch: the start
 * takes the stop's time, and a ready takes the time of its thread's next
 * clock read (its stop, usually). A full buffer is written to the file as one batch
 * (format.h) under the writer's lock, which is taken only there, at
 * stop and at flushes.
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
#include <sys/syscall.h>

#include "base/base.h"
#include "base/lock.h"
#include "sched/g.h"
#include "trace/trace.h"

#define TBUF_BYTES (64 * 1024)     /* events per batch */
#define TSTR_CACHE 256             /* interned strings remembered per thread */
#define TSTR_MAX 1024              /* longest string kept */

typedef struct tbuf {
    struct tbuf *next;             /* global list (set once) */
    _Atomic uint32_t busy;         /* 1 while its thread appends */
    _Atomic uint32_t free;         /* its thread ended: another may take it */
    uint32_t gen;                  /* the trace its contents belong to */
    int tid, mid;
    size_t pos;
    int64_t chained_ts;            /* a stop's time for the start that follows */
    bool chained;
    int npend;                     /* readies waiting for this thread's next clock read */
    uint32_t pend[16];             /* their offsets */
    uintptr_t strs[TSTR_CACHE];    /* keys defined in this trace */
    _Alignas(8) unsigned char data[TBUF_BYTES];
} tbuf;

_Atomic uint32_t goro__tracer_on;
static _Atomic uint32_t trace_gen;
static int trace_fd = -1;
static goro__lock wlock = GORO_LOCK_INIT(TRACE_W);  /* the file and batches written */
static goro__lock ctl = GORO_LOCK_INIT(TRACE_CTL);  /* start/stop */
static tbuf *_Atomic bufs;
/* No membarrier (old kernels, Valgrind): appends fence themselves. */
static _Atomic bool trace_fence;
static __thread tbuf *my_buf;
static pthread_key_t buf_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/* Arguments each event type keeps. */
static const uint8_t nargs[GORO_TR_NTYPES] = {
    [GORO_TR_GO_CREATE] = 5, [GORO_TR_GO_START] = 1, [GORO_TR_GO_STOP] = 4,
    [GORO_TR_GO_READY] = 2, [GORO_TR_SYSCALL_ENTER] = 1, [GORO_TR_SYSCALL_EXIT] = 2,
    [GORO_TR_HANDOFF] = 0, [GORO_TR_STEAL] = 2, [GORO_TR_PREEMPT] = 0,
    [GORO_TR_RETAKE] = 0, [GORO_TR_PROCS] = 1, [GORO_TR_TIMER] = 1,
    [GORO_TR_NETPOLL] = 1,
};

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

/* The clock, and the time of b's readies that waited for it. */
static int64_t clock_now(tbuf *b)
{
    int64_t now = goro__nanotime();
    for (int i = 0; i < b->npend; i++)
        memcpy(b->data + b->pend[i] + 8, &now, 8);
    b->npend = 0;
    return now;
}

/* (wlock held, or dying) b's events as one batch. */
static void batch_write(tbuf *b)
{
    if (b->npend)
        clock_now(b);
    if (!b->pos || trace_fd < 0)
        return;
    struct { uint32_t magic, size; int32_t tid, mid; uint64_t reserved; } h = {
        GORO_TR_BATCH_MAGIC, (uint32_t)b->pos, b->tid, b->mid, 0 };
    write_all(trace_fd, &h, sizeof h);
    write_all(trace_fd, b->data, b->pos);
    b->pos = 0;
}

/* (b busy, its owner) A full buffer to the file, if its trace is on. */
static void buf_flush(tbuf *b)
{
    goro__lock_acquire(&wlock);
    if (atomic_load_explicit(&trace_gen, memory_order_relaxed) == b->gen)
        batch_write(b);
    b->pos = 0;
    goro__lock_release(&wlock);
}

static void buf_release(void *v)
{
    tbuf *b = v;
    atomic_store(&b->busy, 1);
    if (b->pos) {
        goro__lock_acquire(&wlock);
        if (b->gen == atomic_load(&trace_gen))
            batch_write(b);
        b->pos = 0;
        goro__lock_release(&wlock);
    }
    atomic_store_explicit(&b->busy, 0, memory_order_release);
    atomic_store_explicit(&b->free, 1, memory_order_release);
}

static void key_init(void)
{
    pthread_key_create(&buf_key, buf_release);
}

static tbuf *buf_get(void)
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

/* Starts an event of `size` bytes in the calling thread's buffer, busy
 * set; NULL (not busy) if tracing is off. */
static unsigned char *ev_begin(tbuf **bp, size_t size)
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
    if (goro_unlikely(b->gen != gen)) {
        /* First event of this trace on this thread. */
        b->gen = gen;
        b->pos = 0;
        b->chained = false;
        b->npend = 0;
        memset(b->strs, 0, sizeof b->strs);
    }
    if (goro_unlikely(b->pos + size > TBUF_BYTES))
        buf_flush(b);
    *bp = b;
    return b->data + b->pos;
}

static inline void ev_end(tbuf *b, size_t size)
{
    b->pos += size;
    atomic_store_explicit(&b->busy, 0, memory_order_release);
}

static inline void ev_head(unsigned char *e, size_t size, int t, int aux, int64_t ts)
{
    uint64_t h = (uint64_t)size | (uint64_t)(uint8_t)t << 16 | (uint64_t)(uint32_t)aux << 32;
    memcpy(e, &h, 8);
    memcpy(e + 8, &ts, 8);
}

static int64_t ev_time(tbuf *b)
{
    if (b->chained) {
        b->chained = false;
        return b->chained_ts;
    }
    return clock_now(b);
}

void goro__tracer_ev(int t, int aux, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    size_t size = 16 + 8 * (size_t)nargs[t];
    tbuf *b;
    unsigned char *e = ev_begin(&b, size);
    if (!e)
        return;
    if (t == GORO_TR_GO_READY && b->npend < (int)(sizeof b->pend / sizeof b->pend[0])) {
        /* The readier goes on to park or run: the ready takes the time
         * of this thread's next clock read (format.h), one read fewer
         * per wakeup. */
        ev_head(e, size, t, aux, 0);
        e[3] = 1;
        b->pend[b->npend++] = (uint32_t)b->pos;
    } else {
        ev_head(e, size, t, aux, ev_time(b));
    }
    uint64_t a[4] = { a0, a1, a2, a3 };
    memcpy(e + 16, a, size - 16 < sizeof a ? size - 16 : sizeof a);
    ev_end(b, size);
}

/* (b busy) Defines key -> text in b unless it did in this trace. */
static void str_def(tbuf *b, uintptr_t key, const char *text)
{
    unsigned h = (unsigned)((key >> 3) ^ (key >> 13)) % TSTR_CACHE;
    if (b->strs[h] == key)
        return;
    b->strs[h] = key;
    size_t len = strnlen(text, TSTR_MAX);
    size_t size = 24 + ((len + 8) & ~(size_t)7);
    if (b->pos + size > TBUF_BYTES)
        buf_flush(b);
    unsigned char *e = b->data + b->pos;
    memset(e, 0, size);
    ev_head(e, size, GORO_TR_STRING, (int)len, 0);
    uint64_t k = key;
    memcpy(e + 16, &k, 8);
    memcpy(e + 24, text, len);
    b->pos += size;
}

void goro__tracer_create(uint64_t g, uint64_t parent, void (*ufn)(void),
                         const char *file, int line, int p)
{
    size_t size = 16 + 8 * 5;
    tbuf *b;
    if (!ev_begin(&b, size))
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
    if (b->pos + size > TBUF_BYTES)
        buf_flush(b);
    unsigned char *e = b->data + b->pos;
    ev_head(e, size, GORO_TR_GO_CREATE, p, clock_now(b));
    uint64_t a[5] = { g, parent, fkey, skey, (uint64_t)line };
    memcpy(e + 16, a, sizeof a);
    ev_end(b, size);
}

void goro__tracer_stop(uint64_t g, int why, const goro__gwait *w, int p, bool chained)
{
    int reason = 0;
    const void *obj = NULL;
    if (why == GORO_TR_STOP_PARK && w) {
        reason = atomic_load_explicit(&w->reason, memory_order_relaxed);
        obj = atomic_load_explicit(&w->obj, memory_order_relaxed);
    }
    size_t size = 16 + 8 * 4;
    tbuf *b;
    unsigned char *e = ev_begin(&b, size);
    if (!e)
        return;
    int64_t now = clock_now(b);
    ev_head(e, size, GORO_TR_GO_STOP, p, now);
    uint64_t a[4] = { g, (uint64_t)why, (uint64_t)reason, (uint64_t)(uintptr_t)obj };
    memcpy(e + 16, a, sizeof a);
    b->chained = chained;
    b->chained_ts = now;
    ev_end(b, size);
}

/* A string event: g, then "s1\0s2" (s2 may be NULL). */
static void ev_text(int t, const char *s1, const char *s2)
{
    if (!atomic_load_explicit(&goro__tracer_on, memory_order_relaxed))
        return;
    if (!s1)
        s1 = "";
    size_t l1 = strnlen(s1, TSTR_MAX), l2 = s2 ? strnlen(s2, TSTR_MAX) : 0;
    size_t tlen = l1 + (s2 ? 1 + l2 : 0);
    size_t size = 24 + ((tlen + 8) & ~(size_t)7);
    tbuf *b;
    unsigned char *e = ev_begin(&b, size);
    if (!e)
        return;
    memset(e, 0, size);
    ev_head(e, size, t, (int)l1, clock_now(b));
    uint64_t g = goro__curg_id();
    memcpy(e + 16, &g, 8);
    memcpy(e + 24, s1, l1);
    if (s2)
        memcpy(e + 24 + l1 + 1, s2, l2);
    ev_end(b, size);
}

void goro_trace_region_begin(const char *name)
{
    ev_text(GORO_TR_REGION_BEGIN, name, NULL);
}

void goro_trace_region_end(const char *name)
{
    ev_text(GORO_TR_REGION_END, name, NULL);
}

void goro_trace_log(const char *category, const char *message)
{
    ev_text(GORO_TR_LOG, category, message ? message : "");
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
    struct { char magic[8]; uint32_t version, reserved; } h;
    memcpy(h.magic, GORO_TR_MAGIC, 8);
    h.version = GORO_TR_VERSION;
    h.reserved = 0;
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
