/* SPDX-License-Identifier: MIT */
/*
 * test_fault.c: fault injection (src/base/fault.c). For each workload (spawn
 * and join; channels and select; timers; context; sync; I/O on a pipe and
 * a loopback socket; thread creation; stack mappings) the sweep first
 * counts the fallible calls of the kinds under test, then runs the
 * workload again once per N, with the Nth such call failing, and checks:
 *
 *  - the workload's result is complete, or its first error is one the
 *    docs promise for that kind (GORO_ENOMEM, -EMFILE, -ENOMEM), and what
 *    it did get is consistent (every value received was sent, once, in
 *    order per sender; counters count exactly the goroutines started);
 *  - nothing deadlocks: every wait has a deadline, and a GORO_ETIMEDOUT
 *    fails the test;
 *  - nothing leaks: goro__alloc_live, the goroutine count, the stacks in
 *    use and the open fds are back to their baseline;
 *  - the runtime still works: the workload runs again, injection off,
 *    and completes.
 *
 * A few N are also run sticky (every call from the Nth on fails). Cases
 * that end the process (no thread at all can be created; no stack for a
 * goroutine), or need a fresh runtime (sysmon's thread failing), run as
 * child processes.
 */
// ctest-labels: fault
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "child.h"
#define GORO_SCHED_INTERNAL   /* white-box: the scheduler's private header */
#include "sched/runtime.h"

#define DEADLINE() (goro_now() + 10 * GORO_SECOND)

static void fail_timeout(const char *what)
{
    fprintf(stderr, "deadlock? %s timed out\n", what);
    exit(1);
}

/* ---- spawn and join ---- */

static _Atomic long spawn_sum;

static void add_small(void *arg)
{
    atomic_fetch_add(&spawn_sum, *(int *)arg);
}

static void add_big(void *arg)
{
    const int *v = arg;
    atomic_fetch_add(&spawn_sum, v[0] + v[99]);
}

typedef struct { goro_waitgroup *wg; int v; } wg_arg;

static void add_done(void *arg)
{
    wg_arg *a = arg;
    atomic_fetch_add(&spawn_sum, a->v);
    goro_waitgroup_done(a->wg);
}

static int wl_spawn(void)
{
    goro_waitgroup wg = {0};
    atomic_store(&spawn_sum, 0);
    long expect = 0;
    int err = 0;
    static int vals[16];
    for (int i = 0; i < 16 && !err; i++) {
        vals[i] = i + 1;
        int r;
        if (i % 4 == 0) {
            r = goro_waitgroup_go(&wg, add_small, &vals[i]);
        } else if (i % 4 == 1) {
            int big[100] = {0};              /* past GORO_COPY_INLINE: on the heap */
            big[0] = i;
            big[99] = 1;
            r = goro_go_copy(add_big, big, sizeof big);
        } else if (i % 4 == 2) {
            wg_arg a = { &wg, i + 1 };
            goro_waitgroup_add(&wg, 1);
            r = goro_go_copy(add_done, &a, sizeof a);
            if (r != 0)
                goro_waitgroup_done(&wg);
        } else {
            static wg_arg a[16];
            a[i] = (wg_arg){ &wg, i + 1 };
            goro_opts o = { .name = "fault-spawn", .stack_size = 0 };
            goro_waitgroup_add(&wg, 1);
            r = goro_go_opts(&o, add_done, &a[i]);
            if (r != 0)
                goro_waitgroup_done(&wg);
        }
        if (r == 0) {
            expect += i + 1;
        } else {
            CHECK_EQ(r, GORO_ENOMEM);
            err = r;
        }
    }
    if (goro_waitgroup_wait_until(&wg, DEADLINE()) != 0)
        fail_timeout("spawn: wait");
    /* go_copy children without a WaitGroup: their sum arrives soon. */
    int64_t dl = DEADLINE();
    while (atomic_load(&spawn_sum) != expect) {
        CHECK(atomic_load(&spawn_sum) < expect);
        if (goro_now() > dl)
            fail_timeout("spawn: go_copy children");
        goro_sleep(50 * GORO_MICROSECOND);
    }
    return err;
}

/* ---- channels and select ---- */

#define NPROD 3
#define PER_PROD 40

typedef struct {
    goro_chan *ch;
    int id;
    goro_waitgroup *wg;
} prod_arg;

static void producer(void *arg)
{
    prod_arg *a = arg;
    for (int s = 0; s < PER_PROD; s++) {
        int v = a->id << 16 | s;
        int r = goro_chan_send_until(a->ch, &v, DEADLINE());
        if (r == GORO_ECLOSED)
            break;          /* the consumer gave up */
        if (r != 0)
            fail_timeout("chan: send");
        if (s % 7 == 0)
            goro_yield();
    }
    goro_waitgroup_done(a->wg);
}

static int wl_chan(void)
{
    goro_chan *ch[NPROD] = {0}, *idle[6] = {0};
    prod_arg pa[NPROD];
    goro_waitgroup wg = {0};
    int err = 0, started = 0;
    for (int i = 0; i < NPROD; i++)
        if (!(ch[i] = goro_chan_make(sizeof(int), i == 0 ? 0 : (size_t)i * 3)))
            err = GORO_ENOMEM;
    for (int i = 0; i < 6; i++)
        if (!(idle[i] = goro_chan_make(sizeof(int), 1)))
            err = GORO_ENOMEM;
    for (int i = 0; i < NPROD && !err; i++) {
        pa[i] = (prod_arg){ ch[i], i, &wg };
        goro_waitgroup_add(&wg, 1);
        int r = goro_go(producer, &pa[i]);
        if (r != 0) {
            CHECK_EQ(r, GORO_ENOMEM);
            goro_waitgroup_done(&wg);
            err = r;
        } else {
            started++;
        }
    }
    int last[NPROD] = { -1, -1, -1 };
    int got = 0, open = NPROD;
    bool closed[NPROD] = {0};
    while (!err && open > 0) {
        /* 9 cases: more than fit on the stack, so select allocates. */
        int v = -1;
        goro_case cs[9];
        for (int i = 0; i < NPROD; i++)
            cs[i] = GORO_CASE_RECV(closed[i] ? NULL : ch[i], &v);
        for (int i = 0; i < 6; i++)
            cs[NPROD + i] = GORO_CASE_RECV(idle[i], NULL);
        int k = goro_select_until(cs, 9, DEADLINE());
        if (k == GORO_ENOMEM) {
            err = k;
            break;
        }
        if (k == GORO_ETIMEDOUT)
            fail_timeout("chan: select");
        CHECK(k >= 0 && k < NPROD);
        if (cs[k].result == GORO_ECLOSED) {
            closed[k] = true;
            open--;
            continue;
        }
        int id = v >> 16, s = v & 0xffff;
        CHECK_EQ(id, k);
        CHECK(s > last[id]);           /* in order, never twice */
        CHECK_EQ(s, last[id] + 1);     /* nothing lost in between */
        last[id] = s;
        if (s == PER_PROD - 1) {
            closed[k] = true;
            open--;
        }
        got++;
    }
    /* On an error: close everything so blocked producers end. */
    for (int i = 0; i < NPROD; i++)
        if (ch[i])
            goro_chan_close(ch[i]);
    if (goro_waitgroup_wait_until(&wg, DEADLINE()) != 0)
        fail_timeout("chan: producers");
    if (!err)
        CHECK_EQ(got, NPROD * PER_PROD);
    for (int i = 0; i < NPROD; i++)
        goro_chan_release(ch[i]);
    for (int i = 0; i < 6; i++)
        goro_chan_release(idle[i]);
    (void)started;
    return err;
}

/* ---- timers ---- */

static int wl_timers(void)
{
    int err = 0;
    int64_t t0 = goro_now();
    goro_timer *t = goro_timer_new(200 * GORO_MICROSECOND);
    goro_chan *after = goro_after(100 * GORO_MICROSECOND);
    goro_ticker *tk = goro_ticker_new(150 * GORO_MICROSECOND);
    if (!t || !after || !tk)
        err = GORO_ENOMEM;
    if (!err) {
        int64_t when = 0;
        int fired = 0, ticks = 0;
        while (fired != 3 || ticks < 3) {
            goro_case cs[3] = {
                GORO_CASE_RECV(fired & 1 ? NULL : goro_timer_chan(t), &when),
                GORO_CASE_RECV(fired & 2 ? NULL : after, &when),
                GORO_CASE_RECV(ticks >= 3 ? NULL : goro_ticker_chan(tk), &when),
            };
            int k = goro_select_until(cs, 3, DEADLINE());
            if (k == GORO_ETIMEDOUT)
                fail_timeout("timers: select");
            CHECK(k >= 0 && k < 3);
            CHECK(when >= t0);
            if (k == 2)
                ticks++;
            else
                fired |= 1 << k;
        }
        CHECK(!goro_timer_stop(t));
        CHECK(!goro_timer_reset(t, 50 * GORO_MICROSECOND));
        if (goro_chan_recv_until(goro_timer_chan(t), &when, DEADLINE()) != 0)
            fail_timeout("timers: reset");
        goro_sleep(20 * GORO_MICROSECOND);
    }
    goro_timer_free(t);
    goro_chan_release(after);
    goro_ticker_free(tk);
    return err;
}

/* ---- context ---- */

static const char key;

static void ctx_waiter(void *arg)
{
    goro_ctx *c = arg;
    goro_case cs[1] = { GORO_CASE_RECV(goro_ctx_done(c), NULL) };
    if (goro_select_until(cs, 1, DEADLINE()) != 0)
        fail_timeout("ctx: waiter");
    CHECK(goro_ctx_err(c) != 0);
    goro_ctx_release(c);
}

static int wl_ctx(void)
{
    int err = 0;
    goro_ctx *root = goro_ctx_with_cancel(goro_ctx_background());
    goro_ctx *val = root ? goro_ctx_with_value(root, &key, (void *)&key) : NULL;
    goro_ctx *tmo = val ? goro_ctx_with_timeout(val, 300 * GORO_MICROSECOND) : NULL;
    goro_ctx *kid = tmo ? goro_ctx_with_cancel(tmo) : NULL;
    if (!root || !val || !tmo || !kid)
        err = GORO_ENOMEM;
    if (!err) {
        CHECK(goro_ctx_value(kid, &key) == &key);
        goro_ctx *ws[2] = { goro_ctx_retain(kid), goro_ctx_retain(root) };
        for (int i = 0; i < 2; i++) {
            int r = goro_go(ctx_waiter, ws[i]);   /* the sweep waits for them to end */
            if (r != 0) {
                CHECK_EQ(r, GORO_ENOMEM);
                goro_ctx_release(ws[i]);
                err = r;
            }
        }
        /* the timeout cancels kid; root is cancelled by hand */
        goro_case cs[1] = { GORO_CASE_RECV(goro_ctx_done(kid), NULL) };
        if (goro_select_until(cs, 1, DEADLINE()) != 0)
            fail_timeout("ctx: timeout");
        CHECK_EQ(goro_ctx_err(kid), GORO_ETIMEDOUT);
        goro_ctx_cancel(root);
        CHECK_EQ(goro_ctx_err(root), GORO_ECANCELED);
    }
    if (root)
        goro_ctx_cancel(root);
    goro_ctx_release(kid);
    goro_ctx_release(tmo);
    goro_ctx_release(val);
    goro_ctx_release(root);
    return err;
}

/* ---- sync ---- */

typedef struct {
    goro_mutex mu;
    goro_rwmutex rw;
    goro_cond cond;
    goro_once once;
    goro_sema *sema;
    long counter, rcount, once_runs, sema_in, sema_max;
    int ready;
    goro_waitgroup wg;
} sync_state;

static void once_fn(void *arg)
{
    ((sync_state *)arg)->once_runs++;
}

static void sync_worker(void *arg)
{
    sync_state *s = arg;
    for (int i = 0; i < 50; i++) {
        goro_mutex_lock(&s->mu);
        s->counter++;
        goro_mutex_unlock(&s->mu);
        if (i % 5 == 0) {
            goro_rwmutex_lock(&s->rw);
            s->rcount++;
            goro_rwmutex_unlock(&s->rw);
        } else {
            goro_rwmutex_rlock(&s->rw);
            (void)s->rcount;
            goro_rwmutex_runlock(&s->rw);
        }
        if (i % 10 == 0)
            goro_yield();
    }
    goro_once_do(&s->once, once_fn, s);
    if (goro_sema_acquire(s->sema, NULL, 1) == 0) {
        goro_mutex_lock(&s->mu);
        if (++s->sema_in > s->sema_max)
            s->sema_max = s->sema_in;
        goro_mutex_unlock(&s->mu);
        goro_yield();
        goro_mutex_lock(&s->mu);
        s->sema_in--;
        goro_mutex_unlock(&s->mu);
        goro_sema_release(s->sema, 1);
    }
    goro_mutex_lock(&s->mu);
    while (!s->ready)
        if (goro_cond_wait_until(&s->cond, &s->mu, DEADLINE()) == GORO_ETIMEDOUT)
            fail_timeout("sync: cond");
    goro_mutex_unlock(&s->mu);
    goro_waitgroup_done(&s->wg);
}

static int eg_task(void *arg)
{
    atomic_fetch_add((_Atomic long *)arg, 1);
    return 0;
}

static int wl_sync(void)
{
    sync_state s;
    memset(&s, 0, sizeof s);
    int err = 0, started = 0;
    s.sema = goro_sema_new(2);
    if (!s.sema)
        return GORO_ENOMEM;
    for (int i = 0; i < 6; i++) {
        goro_waitgroup_add(&s.wg, 1);
        int r = goro_go(sync_worker, &s);
        if (r != 0) {
            CHECK_EQ(r, GORO_ENOMEM);
            goro_waitgroup_done(&s.wg);
            err = r;
            break;
        }
        started++;
    }
    goro_sleep(100 * GORO_MICROSECOND);
    goro_mutex_lock(&s.mu);
    s.ready = 1;
    goro_cond_broadcast(&s.cond);
    goro_mutex_unlock(&s.mu);
    if (goro_waitgroup_wait_until(&s.wg, DEADLINE()) != 0)
        fail_timeout("sync: wait");
    CHECK_EQ(s.counter, started * 50L);
    CHECK_EQ(s.rcount, started * 10L);
    CHECK_EQ(s.once_runs, started > 0);
    CHECK(s.sema_max <= 2);
    CHECK_EQ(s.sema_in, 0);
    goro_sema_free(s.sema);

    if (!err) {
        static _Atomic long eg_runs;
        atomic_store(&eg_runs, 0);
        goro_errgroup *g = goro_errgroup_new(NULL);
        if (!g)
            return GORO_ENOMEM;
        long eg_started = 0;
        for (int i = 0; i < 4; i++) {
            int r = goro_errgroup_go(g, eg_task, (void *)&eg_runs);
            if (r != 0) {
                CHECK_EQ(r, GORO_ENOMEM);
                err = r;
                break;
            }
            eg_started++;
        }
        CHECK_EQ(goro_errgroup_wait(g), 0);
        CHECK_EQ(atomic_load(&eg_runs), eg_started);
        goro_errgroup_free(g);
    }
    return err;
}

/* ---- I/O: a pipe and a loopback TCP connection ---- */

typedef struct {
    int fd;
    int result;
    goro_waitgroup *wg;
} io_arg;

static void pipe_writer(void *arg)
{
    io_arg *a = arg;
    char buf[64];
    memset(buf, 'x', sizeof buf);
    goro_sleep(50 * GORO_MICROSECOND);   /* so the reader parks first */
    for (int i = 0; i < 8; i++) {
        ssize_t n = goro_write_until(a->fd, buf, sizeof buf, DEADLINE());
        if (n != (ssize_t)sizeof buf) {
            a->result = (int)n;
            break;
        }
    }
    goro_waitgroup_done(a->wg);
}

/* The first error either side of the connection hit: the other side's
 * error (end of file, a reset) follows from it. */
static _Atomic int io_first;

static void io_fail(int e)
{
    int z = 0;
    atomic_compare_exchange_strong(&io_first, &z, e);
}

typedef struct {
    int ls;
    int result;             /* the server's first error */
    goro_waitgroup accepted, done;
} server_arg;

static void echo_server(void *arg)
{
    server_arg *a = arg;
    int s = goro_accept_until(a->ls, NULL, NULL, DEADLINE());
    if (s < 0) {
        a->result = s;
        io_fail(s);
    }
    goro_waitgroup_done(&a->accepted);
    if (s >= 0) {
        char buf[256];
        for (;;) {
            ssize_t n = goro_read_until(s, buf, sizeof buf, DEADLINE());
            if (n <= 0) {
                if (n < 0) {
                    a->result = (int)n;
                    io_fail(a->result);
                }
                break;
            }
            ssize_t w = goro_write_until(s, buf, (size_t)n, DEADLINE());
            if (w != n) {
                a->result = (int)w;
                io_fail(a->result);
                break;
            }
        }
        goro_close(s);   /* on an error, the client sees end of file */
    }
    goro_waitgroup_done(&a->done);
}

/* A plain connect (no goro call, so no injected failure): ends an accept. */
static void plain_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    close(fd);
}

static int io_err(ssize_t r, const char *what)
{
    if (r == GORO_ETIMEDOUT)
        fail_timeout(what);
    if (r != GORO_ENOMEM && r != -EMFILE && r != -ENOMEM) {
        fprintf(stderr, "%s: unexpected %zd\n", what, r);
        exit(1);
    }
    return (int)r;
}

static int wl_io(void)
{
    int err = 0;
    goro_waitgroup wg = {0};
    int p[2];
    CHECK(pipe(p) == 0);
    io_arg wa = { p[1], 0, &wg };
    goro_waitgroup_add(&wg, 1);
    int r = goro_go(pipe_writer, &wa);
    if (r != 0) {
        goro_waitgroup_done(&wg);
        err = io_err(r, "io: spawn");
    } else {
        char buf[512];
        size_t got = 0;
        while (got < 8 * 64) {
            ssize_t n = goro_read_until(p[0], buf, sizeof buf, DEADLINE());
            if (n <= 0) {
                CHECK(n != 0);
                err = io_err(n, "io: pipe read");
                break;
            }
            for (ssize_t i = 0; i < n; i++)
                CHECK(buf[i] == 'x');
            got += (size_t)n;
        }
    }
    goro_close(p[0]);   /* an unread writer gets EPIPE/EBADF and ends */
    if (goro_waitgroup_wait_until(&wg, DEADLINE()) != 0)
        fail_timeout("io: pipe writer");
    goro_close(p[1]);
    if (!err && wa.result)
        err = io_err(wa.result, "io: pipe write");
    if (err)
        return err;

    int ls = goro_listen_tcp("127.0.0.1", 0, 4);
    if (ls < 0)
        return io_err(ls, "io: listen");
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    CHECK(getsockname(ls, (struct sockaddr *)&sa, &sl) == 0);
    int port = ntohs(sa.sin_port);
    server_arg sv = { .ls = ls };
    atomic_store(&io_first, 0);
    goro_waitgroup_add(&sv.accepted, 1);
    goro_waitgroup_add(&sv.done, 1);
    r = goro_go(echo_server, &sv);
    if (r != 0) {
        goro_close(ls);
        return io_err(r, "io: spawn server");
    }
    int c = goro_dial_tcp("127.0.0.1", port, DEADLINE());
    if (c < 0) {
        err = io_err(c, "io: dial");
        io_fail(err);
        plain_connect(port);   /* the server's accept returns; it reads EOF */
    }
    if (goro_waitgroup_wait_until(&sv.accepted, DEADLINE()) != 0)
        fail_timeout("io: accept");
    for (int i = 0; i < 5 && !err && !sv.result; i++) {
        char msg[32], back[32];
        int len = snprintf(msg, sizeof msg, "ping %d", i);
        ssize_t w = goro_write_until(c, msg, (size_t)len, DEADLINE());
        if (w != len) {
            err = (int)w;
            io_fail(err);
            break;
        }
        size_t got = 0;
        while (got < (size_t)len) {
            ssize_t n = goro_read_until(c, back + got, sizeof back - got, DEADLINE());
            if (n <= 0) {
                err = n == 0 ? -EPIPE : (int)n;   /* end of file: the server failed */
                io_fail(err);
                break;
            }
            got += (size_t)n;
        }
        if (!err)
            CHECK(memcmp(msg, back, (size_t)len) == 0);
    }
    if (c >= 0)
        goro_close(c);   /* the server sees end of file and ends */
    if (goro_waitgroup_wait_until(&sv.done, DEADLINE()) != 0)
        fail_timeout("io: server");
    goro_close(ls);
    /* The first failure decides: a server that failed first made the
     * client see end of file or a reset, and the other way round. */
    if (err || sv.result)
        return io_err(atomic_load(&io_first), "io: tcp");
    return 0;
}

/* ---- threads: Ms created for wired goroutines and blocking calls ---- */

static _Atomic long thr_done;

/* (Started with goro_waitgroup_go, which calls done.) */
static void wired_exit(void *arg)
{
    (void)arg;
    goro_lock_os_thread();
    goro_sleep(100 * GORO_MICROSECOND);   /* its M waits; the P moves to another */
    atomic_fetch_add(&thr_done, 1);
    /* ends wired: its thread ends with it, and the next needs a new one */
}

static void blocking_call(void *arg)
{
    (void)arg;
    goro_syscall_begin();
    usleep(1000);                         /* sysmon hands the P on */
    goro_syscall_end();
    atomic_fetch_add(&thr_done, 1);
}

/* Four goroutines in blocking calls all finish (their Ps handed on). */
static void blocking_calls_run(void)
{
    goro_waitgroup wg = {0};
    atomic_store(&thr_done, 0);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(goro_waitgroup_go(&wg, blocking_call, NULL), 0);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&thr_done), 4);
}

static bool thr_wired = true;

static int wl_threads(void)
{
    goro_waitgroup wg = {0};
    atomic_store(&thr_done, 0);
    long started = 0;
    int err = 0;
    for (int i = 0; i < 4 && !err; i++) {
        int r = goro_waitgroup_go(&wg, i % 2 && thr_wired ? wired_exit : blocking_call, NULL);
        if (r != 0) {
            CHECK_EQ(r, GORO_ENOMEM);
            err = r;
        } else {
            started++;
        }
    }
    if (goro_waitgroup_wait_until(&wg, DEADLINE()) != 0)
        fail_timeout("threads: wait");
    CHECK_EQ(atomic_load(&thr_done), started);
    return err;
}

/* ---- stacks: more goroutines alive than ever, so new slabs are mapped ---- */

static int stack_high = 260;

static void parked(void *arg)
{
    goro_chan *gate = arg;
    volatile char touch[256];
    touch[0] = 1;
    (void)touch[0];
    goro_chan_recv_until(gate, NULL, DEADLINE());
}

static int wl_stacks(void)
{
    goro_chan *gate = goro_chan_make(1, 0);
    if (!gate)
        return GORO_ENOMEM;
    goro_waitgroup wg = {0};
    int err = 0;
    for (int i = 0; i < stack_high && !err; i++) {
        int r = goro_waitgroup_go(&wg, parked, gate);
        if (r != 0) {
            CHECK_EQ(r, GORO_ENOMEM);
            err = r;
        }
        if (i % 64 == 0)
            goro_yield();   /* let them take their stacks */
    }
    goro_sleep(200 * GORO_MICROSECOND);
    goro_chan_close(gate);
    if (goro_waitgroup_wait_until(&wg, DEADLINE()) != 0)
        fail_timeout("stacks: wait");
    goro_chan_release(gate);
    stack_high += 260;      /* the next run maps a new slab again */
    return err;
}

/* ---- the sweep ---- */

/* Open fds, less the poller's own epoll and eventfd (made once, kept for
 * good), of which there must be at most one each: a failed poller
 * creation must not leave one behind. */
static int nonruntime_fds(void)
{
    fd_count c = count_fds();
    if (c.epoll > 1 || c.eventfd > 1) {
        fprintf(stderr, "leak: %d epoll fds, %d eventfds\n", c.epoll, c.eventfd);
        exit(1);
    }
    return c.socket + c.other;
}

typedef struct {
    long live;
    int goroutines, fds;
    long stacks, other_stacks;
} baseline;

static void snap(baseline *b)
{
    b->live = goro__alloc_live();
    b->goroutines = goro_num_goroutine();
    b->fds = nonruntime_fds();
    goro__stack_counts(&b->stacks, &b->other_stacks);
}

/* Waits (a little) for goroutines and stacks to be back, then compares. */
static void check_back(const baseline *b, const char *name, long n, bool stick)
{
    baseline now;
    int64_t dl = goro_now() + 5 * GORO_SECOND;
    for (;;) {
        snap(&now);
        if ((now.live == b->live && now.goroutines == b->goroutines && now.fds == b->fds &&
             now.stacks == b->stacks && now.other_stacks == b->other_stacks) ||
            goro_now() > dl)
            break;
        goro_sleep(200 * GORO_MICROSECOND);
    }
    if (now.live != b->live || now.goroutines != b->goroutines || now.fds != b->fds ||
        now.stacks != b->stacks || now.other_stacks != b->other_stacks) {
        fprintf(stderr, "%s, fail at call %ld%s: leak: blocks %ld -> %ld, goroutines %d -> %d, "
                "fds %d -> %d, stacks %ld -> %ld, other stacks %ld -> %ld\n",
                name, n, stick ? " (sticky)" : "", b->live, now.live, b->goroutines,
                now.goroutines, b->fds, now.fds, b->stacks, now.stacks,
                b->other_stacks, now.other_stacks);
        exit(1);
    }
}

typedef struct {
    const char *name;
    int (*fn)(void);
    unsigned kinds;
    bool may_fail;      /* an injected failure may surface as an error */
    long samples;       /* at most this many N (0: the default) */
    unsigned sticky;    /* kinds also failed for good from some N on */
} workload;

static long total_runs, total_fired, total_errors;
static baseline base;   /* the quiet runtime: taken once, before the sweeps */

static void run_injected(const workload *w, long n, bool stick)
{
    unsigned kinds = stick ? w->sticky : w->kinds;
    const baseline *b = &base;
    check_back(b, "before", n, stick);   /* the last run's goroutines have ended */
    if (getenv("FAULT_VERBOSE"))
        fprintf(stderr, "%s: fail at call %ld%s\n", w->name, n, stick ? " (sticky)" : "");
    goro__fault_set(kinds, n, stick);
    int r = w->fn();
    long fired = goro__fault_fired();
    goro__fault_off();
    total_runs++;
    total_fired += fired;
    if (r != 0) {
        total_errors++;
        if (!w->may_fail || fired == 0) {
            fprintf(stderr, "%s, fail at call %ld: error %d (%s), %ld failures injected\n",
                    w->name, n, r, goro_strerror(r), fired);
            exit(1);
        }
    }
    if (!stick && fired > 1) {
        fprintf(stderr, "%s: one-shot injection fired %ld times\n", w->name, fired);
        exit(1);
    }
    check_back(b, w->name, n, stick);
    /* The runtime still works. */
    int again = w->fn();
    if (again != 0) {
        fprintf(stderr, "%s, after a failure at call %ld%s: rerun failed: %d\n",
                w->name, n, stick ? " (sticky)" : "", again);
        exit(1);
    }
    check_back(b, w->name, n, stick);
}

static void sweep(const workload *w)
{
    CHECK_EQ(w->fn(), 0);   /* warm: pools, caches, heaps at their size */
    CHECK_EQ(w->fn(), 0);
    goro__fault_set(w->kinds, -1, false);
    CHECK_EQ(w->fn(), 0);
    long calls = goro__fault_calls();
    goro__fault_off();
    long max = scaled(w->samples ? w->samples : 160, 10);
    long step = calls > max ? (calls + max - 1) / max : 1;
    for (long n = 0; n < calls + 2; n += n < 4 ? 1 : step)
        run_injected(w, n, false);
    if (w->sticky) {
        run_injected(w, 0, true);
        if (calls > 2)
            run_injected(w, calls / 2, true);
    }
    printf("  %-8s %4ld fallible calls per run, swept\n", w->name, calls);
}

static const workload workloads[] = {
    /* name      workload    kinds failed once, at each N  samples  kinds failed for good */
    { "spawn",   wl_spawn,   GORO_FAULT_ALLOC, true, 0, GORO_FAULT_ALLOC },
    { "chan",    wl_chan,    GORO_FAULT_ALLOC, true, 0, GORO_FAULT_ALLOC },
    { "timers",  wl_timers,  GORO_FAULT_ALLOC, true, 0, GORO_FAULT_ALLOC },
    { "ctx",     wl_ctx,     GORO_FAULT_ALLOC, true, 0, GORO_FAULT_ALLOC },
    { "sync",    wl_sync,    GORO_FAULT_ALLOC, true, 0, GORO_FAULT_ALLOC },
    { "io",      wl_io,      GORO_FAULT_ALLOC | GORO_FAULT_EPOLL | GORO_FAULT_POLLWAIT, true, 0,
                             GORO_FAULT_ALLOC | GORO_FAULT_EPOLL },
    { "threads", wl_threads, GORO_FAULT_THREAD | GORO_FAULT_ALLOC, true, 0, 0 },
    { "stacks",  wl_stacks,  GORO_FAULT_MMAP | GORO_FAULT_MADVISE | GORO_FAULT_MPROTECT, true, 6, 0 },
    { "guards",  wl_stacks,  GORO_FAULT_MADVISE | GORO_FAULT_MPROTECT, true, 4,
                             GORO_FAULT_MADVISE | GORO_FAULT_MPROTECT },
    { "all",     wl_io,      GORO_FAULT_ALL, true, 0, 0 },
};

static void all_sweeps(void *arg)
{
    (void)arg;
    snap(&base);
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        sweep(&workloads[i]);
    /* Thread creation failing for good: the runtime makes do with the Ms
     * it has (no wired exits, which would need a new M every time). */
    thr_wired = false;
    workload thr = { "threads", wl_threads, GORO_FAULT_THREAD, true, 0, GORO_FAULT_THREAD };
    run_injected(&thr, 0, true);
    thr_wired = true;
}

/* ---- child processes ---- */

static void noop(void *arg)
{
    (void)arg;
}

static void with_own_stack(void *arg)
{
    (void)arg;
}

static long io_init_n;
static bool io_init_sticky;

static void io_init(void *arg)
{
    (void)arg;
    snap(&base);
    workload w = { "io-init", wl_io, GORO_FAULT_EPOLL | GORO_FAULT_EVENTFD, true, 0,
                   GORO_FAULT_EPOLL | GORO_FAULT_EVENTFD };
    run_injected(&w, io_init_n, io_init_sticky);
}

static int child_main(const char *mode)
{
    alarm(60);
    if (!strncmp(mode, "io-init-", 8)) {
        /* The poller's creation (epoll_create1, eventfd, adding the
         * eventfd) fails at the first I/O wait of the process: the I/O
         * call's error; the next call that needs the poller retries. */
        io_init_n = mode[8] - '0';
        io_init_sticky = mode[9] == 's';
        signal(SIGPIPE, SIG_IGN);
        run_main(io_init, NULL);
        CHECK_EQ(total_errors, 1);
        printf("ok\n");
        return 0;
    }
    if (!strcmp(mode, "first-thread")) {
        /* No thread can be created at all: goroutines could never run. */
        goro__fault_set(GORO_FAULT_THREAD, 0, true);
        goro_go(noop, NULL);
        goro_sleep(GORO_SECOND);
        return 3;   /* not reached */
    }
    if (!strcmp(mode, "first-thread-once")) {
        /* The first M's thread fails once (after sysmon's): retried. */
        goro__fault_set(GORO_FAULT_THREAD, 1, false);
        run_main(noop, NULL);
        CHECK_EQ(goro__fault_fired(), 1);
        goro__fault_off();
        printf("ok\n");
        return 0;
    }
    if (!strcmp(mode, "sysmon")) {
        /* sysmon's thread fails: the runtime runs without it until the
         * next new M starts it. */
        goro__fault_set(GORO_FAULT_THREAD, 0, false);
        run_main(noop, NULL);
        CHECK_EQ(goro__fault_fired(), 1);
        goro__fault_off();
        goro_maxprocs(2);
        blocking_calls_run();
        printf("ok\n");
        return 0;
    }
    if (!strcmp(mode, "no-stack")) {
        /* A goroutine that finds no stack at its first run has no caller
         * to report to. */
        run_main(noop, NULL);
        goro__fault_set(GORO_FAULT_MMAP, 0, true);
        goro_opts o = { .stack_size = 256 * 1024 };
        CHECK_EQ(goro_go_opts(&o, with_own_stack, NULL), 0);
        goro_sleep(GORO_SECOND);
        return 3;
    }
    if (!strcmp(mode, "procs")) {
        /* Growing GOMAXPROCS needs new P records: when one cannot be
         * allocated, GORO_ENOMEM and nothing changes; then it works. */
        run_main(noop, NULL);
        usleep(20000);   /* the runtime's threads idle: no allocation of theirs */
        int before = goro_maxprocs(0);
        int want = before + 3;
        /* The first new record fails; then the second (the first is kept
         * for good, unused); then the first still missing. */
        for (int n = 0; n < 3; n++) {
            goro__fault_set(GORO_FAULT_ALLOC, n == 1, true);
            CHECK_EQ(goro_maxprocs(want), GORO_ENOMEM);
            CHECK(goro__fault_fired() >= 1);
            goro__fault_off();
            CHECK_EQ(goro_maxprocs(0), before);
        }
        CHECK_EQ(goro_maxprocs(want), before);
        CHECK_EQ(goro_maxprocs(0), want);
        blocking_calls_run();
        CHECK_EQ(goro_maxprocs(before), want);
        printf("ok\n");
        return 0;
    }
    if (!strcmp(mode, "no-guard")) {
        /* Neither MADV_GUARD_INSTALL nor mprotect works: canaries. */
        goro__fault_set(GORO_FAULT_MADVISE | GORO_FAULT_MPROTECT, 0, true);
        goro_waitgroup wg = {0};
        for (int i = 0; i < 50; i++)
            CHECK_EQ(goro_waitgroup_go(&wg, noop, NULL), 0);
        goro_waitgroup_wait(&wg);
        CHECK(goro__fault_fired() > 0);
        goro__fault_off();
        printf("ok\n");
        return 0;
    }
    return 2;
}

/* Runs this program as "child <mode>"; returns its wait status, its
 * output in c->out. */
static int run_child(child *c, const char *mode)
{
    const char *args[] = { "child", mode, NULL };
    child_start(c, args, NULL);
    return child_finish(c);
}

static void expect_fatal(const char *mode, const char *msg)
{
    static child c;
    int st = run_child(&c, mode);
    if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT) || !strstr(c.out, msg)) {
        fprintf(stderr, "child %s: status %#x, wanted abort with \"%s\"; output:\n%s\n",
                mode, st, msg, c.out);
        exit(1);
    }
    printf("  %-18s fatal: %s\n", mode, msg);
}

static void expect_ok(const char *mode)
{
    static child c;
    int st = run_child(&c, mode);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !strstr(c.out, "ok\n")) {
        fprintf(stderr, "child %s: status %#x; output:\n%s\n", mode, st, c.out);
        exit(1);
    }
    printf("  %-18s ok\n", mode);
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "child"))
        return child_main(argv[2]);
    signal(SIGPIPE, SIG_IGN);   /* a pipe writer whose reader failed gets EPIPE */

    expect_fatal("first-thread", "cannot create a thread to run goroutines");
    expect_ok("first-thread-once");
    expect_ok("sysmon");
    expect_fatal("no-stack", "cannot allocate a stack");
    expect_ok("no-guard");
    expect_ok("procs");
    expect_ok("io-init-0");
    expect_ok("io-init-1");
    expect_ok("io-init-2");
    expect_ok("io-init-0s");
    expect_ok("io-init-1s");

    run_main(all_sweeps, NULL);
    printf("  %ld injected runs, %ld failures injected, %ld reported as errors\n",
           total_runs, total_fired, total_errors);
    TEST_PASS("test_fault");
}
