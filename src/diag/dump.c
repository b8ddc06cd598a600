/* SPDX-License-Identifier: MIT */
/*
 * dump.c: goro_dump (also on SIGQUIT, and in the fatal signal reports of
 * crash.c and stack.c), goro_goroutines, and the output the leak and
 * deadlock reports share: goroutines from their records (sched/g.h), then
 * the plain threads blocked in goro waits (threads.c). The unsorted dump
 * allocates nothing, for signal handlers.
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag/diag.h"
#include "trace/trace.h"
#include "base/san.h"

/* ---- reading a record ---- */

#define WAIT_NAME_(name, desc, obj) [GORO_WAIT_##name] = desc,
#define OBJ_NAME_(name, desc, obj) [GORO_WAIT_##name] = obj,
static const char *const wait_names[GORO_WAIT_COUNT] = { GORO_WAIT_REASONS(WAIT_NAME_) };
/* What the "on:" line calls the object, NULL: no line. */
static const char *const obj_names[GORO_WAIT_COUNT] = { GORO_WAIT_REASONS(OBJ_NAME_) };
#undef WAIT_NAME_
#undef OBJ_NAME_

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

static int gi_cmp(const void *a, const void *b)
{
    const goro_ginfo *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

int goro__diag_collect(diag_gent **out)
{
    long cap = goro__allg_count();
    diag_gent *v = goro__malloc((size_t)(cap ? cap : 1) * sizeof *v);
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

void goro__diag_outf(diag_out *o, const char *fmt, ...)
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

static void out_wait(diag_out *o, int wait, const void *obj, int64_t wait_ns)
{
    if (obj_names[wait]) {
        if (wait == GORO_WAIT_IO)
            goro__diag_outf(o, "\ton: fd %d\n", (int)(intptr_t)obj);
        else
            goro__diag_outf(o, "\ton: %s %p\n", obj_names[wait], obj);
    }
    if (wait_ns >= GORO_SECOND)
        goro__diag_outf(o, "\twaiting: %.1f s\n", (double)wait_ns / 1e9);
}

/* The "func:" line: the symbol when the dynamic symbol table has fn
 * exactly, else the object and offset (for addr2line -f -e), else the
 * address. A signal handler (no FILE) prints the address only: dladdr
 * takes the loader's lock. */
static void out_fn(diag_out *o, void (*fn)(void))
{
    void *addr;
    memcpy(&addr, &fn, sizeof addr);
    Dl_info di;
    if (!addr)
        return;
    if (!o->f || !dladdr(addr, &di) || !di.dli_fname) {
        goro__diag_outf(o, "\tfunc: %p\n", addr);
    } else if (di.dli_sname && di.dli_saddr == addr) {
        goro__diag_outf(o, "\tfunc: %s\n", di.dli_sname);
    } else {
        const char *base = strrchr(di.dli_fname, '/');
        goro__diag_outf(o, "\tfunc: %s+%#lx\n", base ? base + 1 : di.dli_fname,
             (unsigned long)((char *)addr - (char *)di.dli_fbase));
    }
}

static void out_frames(diag_out *o, const uintptr_t *pcs, int n)
{
    char buf[512];
    for (int i = 0; i < n; i++) {
        goro__symbolize(buf, sizeof buf, pcs[i]);
        goro__diag_outf(o, "\t%s\n", buf);
    }
    if (n == GORO_TRACE_DEPTH)
        goro__diag_outf(o, "\t...\n");
}

/* g's frames: the calling thread's own goroutine (self: may unwind it),
 * or a parked one (goro__g_frames); none for goroutines running
 * elsewhere. */
static void out_g_frames(diag_out *o, G *g, const goro_ginfo *gi, bool self)
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

void goro__diag_out_g(diag_out *o, const goro_ginfo *gi, G *g, bool self)
{
    char mins[32] = "";
    if (gi->state == GORO_G_WAITING && gi->wait_ns >= GORO_MINUTE)
        snprintf(mins, sizeof mins, ", %lld minutes", (long long)(gi->wait_ns / GORO_MINUTE));
    goro__diag_outf(o, "goroutine %llu [%s%s]:\n", (unsigned long long)gi->id,
         state_name(gi->state, gi->wait), mins);
    if (gi->name)
        goro__diag_outf(o, "\tname: %s\n", gi->name);
    if (gi->state == GORO_G_WAITING)
        out_wait(o, gi->wait, gi->wait_obj, gi->wait_ns);
    out_fn(o, gi->fn);
    if (g)
        out_g_frames(o, g, gi, self);
    goro__diag_outf(o, "created by %s:%d\n\n", gi->file ? gi->file : "?", gi->line);
}

static void out_threads(diag_out *o, int64_t now)
{
    GORO_FOR_EACH_THR(t) {
        pid_t tid = atomic_load_explicit(&t->tid, memory_order_acquire);
        int wait = atomic_load_explicit(&t->reason, memory_order_relaxed);
        if (tid == 0 || wait == GORO_WAIT_NONE || wait >= GORO_WAIT_COUNT)
            continue;
        goro__diag_outf(o, "thread %d%s [%s]:\n", (int)tid, t->is_main ? " (main)" : "", wait_names[wait]);
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
        goro__diag_outf(o, "\n");
    }
}

/* In registry order, no allocation (signal handlers): first (if not
 * NULL), then every other goroutine, then the threads. */
static void dump_unsorted(diag_out *o, int64_t now, G *first, bool self)
{
    goro_ginfo gi;
    if (first && goro__g_read(first, now, &gi))
        goro__diag_out_g(o, &gi, first, self);
    GORO_FOR_EACH_G(g)
        if (g != first && goro__g_read(g, now, &gi))
            goro__diag_out_g(o, &gi, g, self);
    out_threads(o, now);
}

void goro__diag_dump(diag_out *o, bool sorted)
{
    int64_t now = goro__nanotime();
    diag_gent *v;
    int n;
    if (sorted && (n = goro__diag_collect(&v)) >= 0) {
        for (int i = 0; i < n; i++)
            goro__diag_out_g(o, &v[i].gi, v[i].g, true);
        goro__free(v);
        out_threads(o, now);
    } else {
        dump_unsorted(o, now, NULL, true);
    }
}

void goro__dump_fd(int fd, const G *first, bool self_frames)
{
    diag_out o = { NULL, fd };
    dump_unsorted(&o, goro__nanotime(), (G *)first, self_frames);
}

void goro_dump(FILE *f)
{
    SAN_RUNTIME_SCOPE;
    goro__init();
    diag_out o = { f, -1 };
    goro__diag_dump(&o, true);
    fflush(f);
}

int goro_goroutines(goro_ginfo *outv, int max)
{
    SAN_RUNTIME_SCOPE;
    goro__init();
    diag_gent *v;
    int n = goro__diag_collect(&v);
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
    diag_out o = { NULL, STDERR_FILENO };
    goro__diag_outf(&o, "SIGQUIT: quit\n\n");
    goro__diag_dump(&o, false);
    goro__tracer_flush_fatal();
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

/* GORODEBUG=trace=FILE: the whole run is traced (stopped at exit). */
static void trace_from_env(const char *path, size_t len)
{
    char buf[4096];
    if (len >= sizeof buf)
        return;
    memcpy(buf, path, len);
    buf[len] = 0;
    int r = goro__tracer_start(buf);
    if (r != 0)
        fprintf(stderr, "goro: GORODEBUG=trace=%s: %s\n", buf, goro_strerror(r));
}

/* GORODEBUG without its trace= settings, in this process's environment:
 * a child started later that uses goro would otherwise trace into the
 * same file and truncate it (api.md, "Tracing"). */
static void env_drop_trace(const char *env)
{
    char *keep = goro__malloc_pool(strlen(env) + 1);
    if (!keep)
        return;
    size_t k = 0;
    while (*env) {
        size_t len = strcspn(env, ",");
        if (!(len >= 6 && !strncmp(env, "trace=", 6))) {
            if (k && len)
                keep[k++] = ',';
            memcpy(keep + k, env, len);
            k += len;
        }
        env += len;
        if (*env == ',')
            env++;
    }
    keep[k] = 0;
    if (k)
        setenv("GORODEBUG", keep, 1);
    else
        unsetenv("GORODEBUG");
    free(keep);
}

void goro__diag_init(void)
{
    const char *env = getenv("GORODEBUG"), *all = env;
    bool traced = false;
    while (env && *env) {
        size_t len = strcspn(env, ",");
        if ((len == 7 && !strncmp(env, "sigquit", 7)) ||
            (len == 9 && !strncmp(env, "sigquit=1", 9)))
            goro_dump_on_sigquit(true);
        else if (len == 10 && !strncmp(env, "deadlock=0", 10))
            goro__diag_deadlock_off = true;
        else if (len > 6 && !strncmp(env, "trace=", 6))
            trace_from_env(env + 6, len - 6), traced = true;
        env += len;
        if (*env == ',')
            env++;
    }
    if (traced)
        env_drop_trace(all);
}
