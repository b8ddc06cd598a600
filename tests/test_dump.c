/* SPDX-License-Identifier: MIT */
/*
 * test_dump.c: goroutine records and goro_dump (diag/dump.c). Goroutines are
 * put in every state a dump names, then the dump (written to a memory
 * stream) is parsed into entries and each is checked against what its
 * goroutine does:
 *  - waiting on: chan receive and send (with the channel's address),
 *    select, sync.Mutex.Lock, sync.RWMutex.RLock and Lock,
 *    sync.WaitGroup.Wait, sync.Cond.Wait, semaphore acquire (each with
 *    its object's address), sleep, IO wait (with the fd);
 *  - syscall (inside goro_syscall_begin/end), running (a goroutine
 *    spinning in its own code);
 *  - the name given with goro_go_opts, the creation site (this file, the
 *    line of the goro_go call), ids in increasing order;
 *  - a plain thread blocked in a channel receive shows as a thread entry;
 *  - goro_goroutines agrees, and its wait_ns of a goroutine parked for
 *    100 ms is at least that;
 *  - goroutines started by goro_waitgroup_go, goro_errgroup_go,
 *    goro_after_func and goro_ctx_after_func show the user's function
 *    (goro_goroutines' fn, the dump's "func:" line as object+offset for a
 *    static function) and the user's call site, not the runtime's
 *    trampoline;
 *  - dumps taken over and over while goroutines come and go do not crash.
 */
// ctest-labels: diag
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>
#include "testutil.h"

enum { K_RECV, K_SEND, K_SELECT, K_MUTEX, K_RLOCK, K_WLOCK, K_WG, K_COND, K_SEMA,
       K_SLEEP, K_IO, K_SYSCALL, K_RUNNING, K_N };

static goro_chan *c_recv, *c_send, *c_sel;
static goro_mutex mu, cmu;
static goro_rwmutex rw_r, rw_w;
static goro_waitgroup wg_block;
static goro_cond cond;
static goro_sema *sema;
static int pipe_io[2], pipe_sys[2];
static _Atomic int spin_stop, parked_syscall, spinning;
static _Atomic uint64_t ids[K_N];   /* written by each goroutine, read by main once they parked */
static int lines[K_N];

static void body(void *arg)
{
    int k = (int)(intptr_t)arg;
    ids[k] = goro_id();
    int v;
    char b;
    switch (k) {
    case K_RECV: goro_chan_recv(c_recv, &v); break;
    case K_SEND: v = 1; goro_chan_send(c_send, &v); break;
    case K_SELECT: {
        goro_case cs[] = { GORO_CASE_RECV(c_sel, &v), GORO_CASE_RECV(c_recv, &v) };
        goro_select(cs, 2);
        break;
    }
    case K_MUTEX: goro_mutex_lock(&mu); goro_mutex_unlock(&mu); break;
    case K_RLOCK: goro_rwmutex_rlock(&rw_r); goro_rwmutex_runlock(&rw_r); break;
    case K_WLOCK: goro_rwmutex_lock(&rw_w); goro_rwmutex_unlock(&rw_w); break;
    case K_WG: goro_waitgroup_wait(&wg_block); break;
    case K_COND:
        goro_mutex_lock(&cmu);
        goro_cond_wait(&cond, &cmu);
        goro_mutex_unlock(&cmu);
        break;
    case K_SEMA: goro_sema_acquire(sema, NULL, 1); break;
    case K_SLEEP: goro_sleep(60 * GORO_SECOND); break;
    case K_IO: goro_read(pipe_io[0], &b, 1); break;
    case K_SYSCALL:
        goro_syscall_begin();
        atomic_store(&parked_syscall, 1);
        CHECK(read(pipe_sys[0], &b, 1) == 1);
        goro_syscall_end();
        break;
    case K_RUNNING:
        atomic_store(&spinning, 1);
        while (!atomic_load(&spin_stop))
            ;
        break;
    }
}

static void *plain_receiver(void *arg)
{
    int v;
    goro_chan_recv(arg, &v);
    return NULL;
}

/* Entry of goroutine id in the dump text, or NULL. */
static const char *entry(const char *dump, uint64_t id, char *buf, size_t cap)
{
    char head[64];
    snprintf(head, sizeof head, "goroutine %llu [", (unsigned long long)id);
    const char *p = strstr(dump, head);
    if (!p)
        return NULL;
    const char *e = strstr(p, "\n\n");
    return copy_text(p, e ? e + 1 : NULL, buf, cap);
}

/* ---- goroutines the runtime starts for the user ---- */

enum { S_WG, S_ERRGROUP, S_AFTER, S_CTX_AFTER, S_N };
static goro_chan *c_spawned;

static void spawned_wg(void *arg) { (void)arg; goro_chan_recv(c_spawned, NULL); }
static int spawned_task(void *arg) { (void)arg; goro_chan_recv(c_spawned, NULL); return 0; }
static void spawned_after(void *arg) { (void)arg; goro_chan_recv(c_spawned, NULL); }
static void spawned_ctx_after(void *arg) { (void)arg; goro_chan_recv(c_spawned, NULL); }

/* The dump's "func:" line names fn: by symbol, or object+offset. */
static bool func_line_names(const char *entry_text, void (*fn)(void))
{
    void *addr;
    memcpy(&addr, &fn, sizeof addr);
    Dl_info di;
    CHECK(dladdr(addr, &di) && di.dli_fname);
    const char *p = strstr(entry_text, "\tfunc: ");
    if (!p)
        return false;
    p += 7;
    if (di.dli_sname && di.dli_saddr == addr)
        return strncmp(p, di.dli_sname, strlen(di.dli_sname)) == 0;
    const char *plus = strchr(p, '+');
    return plus && (char *)di.dli_fbase + strtoul(plus + 1, NULL, 16) == (char *)addr;
}

static void spawned_by_runtime(void)
{
    c_spawned = goro_chan_make(0, 0);
    static goro_waitgroup wg;
    goro_errgroup *g = goro_errgroup_new(NULL);
    goro_ctx *ctx = goro_ctx_with_cancel(goro_ctx_background());
    CHECK(c_spawned && g && ctx);
    void (*fns[S_N])(void) = { (void (*)(void))spawned_wg, (void (*)(void))spawned_task,
                               (void (*)(void))spawned_after,
                               (void (*)(void))spawned_ctx_after };
    int sl[S_N];
    sl[S_WG] = __LINE__; CHECK(goro_waitgroup_go(&wg, spawned_wg, NULL) == 0);
    sl[S_ERRGROUP] = __LINE__; CHECK(goro_errgroup_go(g, spawned_task, NULL) == 0);
    sl[S_AFTER] = __LINE__; goro_timer *t = goro_after_func(0, spawned_after, NULL);
    sl[S_CTX_AFTER] = __LINE__; goro_ctx_after *h = goro_ctx_after_func(ctx, spawned_ctx_after, NULL);
    CHECK(t && h);
    goro_ctx_cancel(ctx);
    goro_ginfo gi[64];
    int n = wait_parked_on(gi, 64, c_spawned, S_N);
    char *dump = dump_string();
    for (int k = 0; k < S_N; k++) {
        int i = 0;
        while (i < n && gi[i].fn != fns[k])
            i++;
        if (i == n) {
            fprintf(stderr, "goroutine of kind %d: not found by its function\n", k);
            CHECK(!"user's function");
        }
        CHECK_EQ(gi[i].line, sl[k]);
        CHECK(!strcmp(gi[i].file, __FILE__));
        char buf[1024];
        CHECK(entry(dump, gi[i].id, buf, sizeof buf));
        if (!func_line_names(buf, fns[k])) {
            fprintf(stderr, "kind %d: entry\n%s\ndoes not name the user's function\n", k, buf);
            CHECK(!"func: line");
        }
    }
    free(dump);
    goro_chan_close(c_spawned);
    end_spawners(&wg, g, t, h, ctx);
}

static void churn(void *arg)
{
    (void)arg;
    goro_yield();
}

int main(void)
{
    c_recv = goro_chan_make(sizeof(int), 0);
    c_send = goro_chan_make(sizeof(int), 0);
    c_sel = goro_chan_make(sizeof(int), 0);
    sema = goro_sema_new(1);
    CHECK(c_recv && c_send && c_sel && sema);
    CHECK(pipe(pipe_io) == 0 && pipe(pipe_sys) == 0);
    goro_mutex_lock(&mu);
    goro_rwmutex_lock(&rw_r);
    goro_rwmutex_rlock(&rw_w);
    goro_waitgroup_add(&wg_block, 1);
    CHECK(goro_sema_acquire(sema, NULL, 1) == 0);

    goro_opts named = { .name = "the-receiver" };
    lines[K_RECV] = __LINE__; CHECK(goro_go_opts(&named, body, (void *)(intptr_t)K_RECV) == 0);
    for (int k = K_SEND; k < K_RUNNING; k++)
    {
        lines[k] = __LINE__; CHECK(goro_go(body, (void *)(intptr_t)k) == 0);
    }

    /* Wait until every one of them is parked (or in its syscall). */
    int64_t deadline = goro_now() + 60 * GORO_SECOND;
    for (;;) {
        goro_stats_t st;
        goro_stats(&st);
        if (st.waiting == K_SYSCALL && atomic_load(&parked_syscall) && st.syscall == 1)
            break;
        CHECK(goro_now() < deadline);
        goro_sleep(GORO_MILLISECOND);
    }
    lines[K_RUNNING] = __LINE__; CHECK(goro_go(body, (void *)(intptr_t)K_RUNNING) == 0);
    while (!atomic_load(&spinning))
        goro_sleep(GORO_MILLISECOND);

    goro_chan *c_thread = goro_chan_make(sizeof(int), 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, plain_receiver, c_thread) == 0);
    for (;;) {
        goro_stats_t st;
        goro_stats(&st);
        if (st.threads_blocked == 1)
            break;
        CHECK(goro_now() < deadline);
        goro_sleep(GORO_MILLISECOND);
    }
    goro_sleep(100 * GORO_MILLISECOND);   /* for wait_ns */

    char *dump = dump_string();

    static const char *const states[K_N] = {
        "chan receive", "chan send", "select", "sync.Mutex.Lock", "sync.RWMutex.RLock",
        "sync.RWMutex.Lock", "sync.WaitGroup.Wait", "sync.Cond.Wait", "semaphore acquire",
        "sleep", "IO wait", "syscall", "running" };
    char objs[K_N][64] = { { 0 } };
    snprintf(objs[K_RECV], 64, "\ton: chan %p\n", (void *)c_recv);
    snprintf(objs[K_SEND], 64, "\ton: chan %p\n", (void *)c_send);
    snprintf(objs[K_MUTEX], 64, "\ton: mutex %p\n", (void *)&mu);
    snprintf(objs[K_RLOCK], 64, "\ton: rwmutex %p\n", (void *)&rw_r);
    snprintf(objs[K_WLOCK], 64, "\ton: rwmutex %p\n", (void *)&rw_w);
    snprintf(objs[K_WG], 64, "\ton: waitgroup %p\n", (void *)&wg_block);
    snprintf(objs[K_COND], 64, "\ton: cond %p\n", (void *)&cond);
    snprintf(objs[K_SEMA], 64, "\ton: sema %p\n", (void *)sema);
    snprintf(objs[K_IO], 64, "\ton: fd %d\n", pipe_io[0]);
    for (int k = 0; k < K_N; k++) {
        char buf[1024], want_head[128], want_site[256];
        if (!entry(dump, ids[k], buf, sizeof buf)) {
            fprintf(stderr, "no entry for goroutine %llu (kind %d):\n%s",
                    (unsigned long long)ids[k], k, dump);
            CHECK(!"entry");
        }
        snprintf(want_head, sizeof want_head, "goroutine %llu [%s]:\n",
                 (unsigned long long)ids[k], states[k]);
        snprintf(want_site, sizeof want_site, "created by %s:%d\n", __FILE__, lines[k]);
        bool ok = strncmp(buf, want_head, strlen(want_head)) == 0 &&
                  strstr(buf, want_site) != NULL &&
                  (!objs[k][0] || strstr(buf, objs[k]) != NULL) &&
                  (k != K_RECV || strstr(buf, "\tname: the-receiver\n") != NULL) &&
                  (k == K_RECV || strstr(buf, "\tname:") == NULL);
        if (!ok) {
            fprintf(stderr, "kind %d: entry\n%s\nwant '%s', '%s', '%s'\n", k, buf,
                    want_head, want_site, objs[k]);
            CHECK(!"entry contents");
        }
    }
    /* Entries in id order. */
    uint64_t last = 0;
    for (const char *p = dump; (p = strstr(p, "goroutine ")); p++) {
        if (p != dump && p[-1] != '\n')
            continue;
        uint64_t id = strtoull(p + 10, NULL, 10);
        CHECK(id > last);
        last = id;
    }
    char thread_entry[96];
    snprintf(thread_entry, sizeof thread_entry, "[chan receive]:\n\ton: chan %p\n", (void *)c_thread);
    CHECK(strstr(dump, thread_entry));
    CHECK(strstr(dump, "\nthread ") || strncmp(dump, "thread ", 7) == 0);
    free(dump);

    /* goro_goroutines agrees. */
    goro_ginfo gi[64];
    int n = goro_goroutines(gi, 64);
    CHECK_EQ(n, K_N);
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < K_N && ids[k] != gi[i].id)
            k++;
        CHECK(k < K_N);
        CHECK_EQ(gi[i].line, lines[k]);
        CHECK(!strcmp(gi[i].file, __FILE__));
        if (k == K_RECV) {
            CHECK_EQ(gi[i].state, GORO_G_WAITING);
            CHECK_EQ(gi[i].wait, GORO_WAIT_CHAN_RECV);
            CHECK(gi[i].wait_obj == c_recv);
            CHECK(gi[i].wait_ns >= 100 * GORO_MILLISECOND);
            CHECK(gi[i].wait_ns < 60 * GORO_SECOND);
        }
        if (k == K_SYSCALL)
            CHECK_EQ(gi[i].state, GORO_G_SYSCALL);
        if (k == K_RUNNING)
            CHECK_EQ(gi[i].state, GORO_G_RUNNING);
        if (k == K_IO)
            CHECK_EQ((int)(intptr_t)gi[i].wait_obj, pipe_io[0]);
    }
    CHECK(!strcmp(goro_wait_name(GORO_WAIT_SELECT), "select"));

    spawned_by_runtime();

    /* Dumps racing with goroutines that come and go. */
    atomic_store(&spin_stop, 1);
    FILE *null = fopen("/dev/null", "w");
    CHECK(null);
    long rounds = scaled(200, 20);
    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < 20; i++)
            CHECK(goro_go(churn, NULL) == 0);
        goro_dump(null);
    }
    fclose(null);
    TEST_PASS("test_dump");
}
