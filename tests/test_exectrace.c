/* SPDX-License-Identifier: MIT */
// ctest-labels: trace
/*
 * test_exectrace: the execution tracer on four programs run as goroutines
 * in one process, traced from goro_trace_start to goro_trace_stop (and a
 * goroutine wired to its thread, whose M hands its P off as it sleeps):
 *  - a worker pool (jobs over a channel, one "job" region each),
 *  - a pipeline (three stages joined by unbuffered channels, one
 *    "pipeline" log line per item at its end),
 *  - a timer program (goroutines that goro_sleep, and goro_after),
 *  - an echo server on 127.0.0.1 (the netpoller) with its clients, and a
 *    goro_syscall_begin/end bracket per client.
 * It prints what it did ("expect NAME N" lines); tests/trace-check.py
 * compares those with goro-trace's counts of the file, and checks the
 * JSON, the HTML (headless Chromium) and a truncated copy. Run alone (as
 * test_exectrace.p1/.p2), it traces into a temporary file and checks what
 * the program itself can: the switches, the file's header, start/stop
 * errors.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "testutil.h"

static _Atomic long spawned;   /* goroutines this test started while tracing */

#define GO(fn, arg) do { CHECK(goro_go(fn, arg) == 0); atomic_fetch_add(&spawned, 1); } while (0)
#define WG_GO(wg, fn, arg) do { \
        CHECK(goro_waitgroup_go(wg, fn, arg) == 0); atomic_fetch_add(&spawned, 1); } while (0)

/* ---- worker pool ---- */
enum { WORKERS = 4, JOBS = 200 };
static goro_chan *jobs, *results;

static void worker(void *arg)
{
    (void)arg;
    long j;
    while (goro_chan_recv(jobs, &j) == 0) {
        goro_trace_region_begin("job");
        j *= 2;
        goro_trace_region_end("job");
        CHECK(goro_chan_send(results, &j) == 0);
    }
}

static void pool(void *arg)
{
    (void)arg;
    jobs = goro_chan_make(sizeof(long), 8);
    results = goro_chan_make(sizeof(long), JOBS);
    goro_waitgroup wg = GORO_WAITGROUP_INIT;
    for (int i = 0; i < WORKERS; i++)
        WG_GO(&wg, worker, NULL);
    for (long j = 1; j <= JOBS; j++)
        CHECK(goro_chan_send(jobs, &j) == 0);
    goro_chan_close(jobs);
    goro_waitgroup_wait(&wg);
    long sum = 0, r;
    for (int j = 0; j < JOBS; j++) {
        CHECK(goro_chan_recv(results, &r) == 0);
        sum += r;
    }
    CHECK_EQ(sum, (long)JOBS * (JOBS + 1));
    goro_chan_release(jobs);
    goro_chan_release(results);
}

/* ---- pipeline ---- */
enum { ITEMS = 100 };
typedef struct stage { goro_chan *in, *out; goro_waitgroup *wg; } stage;

static void gen(void *arg)
{
    stage *s = arg;
    for (long i = 0; i < ITEMS; i++)
        CHECK(goro_chan_send(s->out, &i) == 0);
    goro_chan_close(s->out);
}

static void square(void *arg)
{
    stage *s = arg;
    long v;
    while (goro_chan_recv(s->in, &v) == 0) {
        v *= v;
        CHECK(goro_chan_send(s->out, &v) == 0);
    }
    goro_chan_close(s->out);
}

static void sink(void *arg)
{
    stage *s = arg;
    long v;
    while (goro_chan_recv(s->in, &v) == 0)
        goro_trace_log("pipeline", "item");
}

static void pipeline(void *arg)
{
    (void)arg;
    goro_chan *a = goro_chan_make(sizeof(long), 0), *b = goro_chan_make(sizeof(long), 0);
    goro_waitgroup wg = GORO_WAITGROUP_INIT;
    stage s1 = { NULL, a, &wg }, s2 = { a, b, &wg }, s3 = { b, NULL, &wg };
    WG_GO(&wg, gen, &s1);
    WG_GO(&wg, square, &s2);
    WG_GO(&wg, sink, &s3);
    goro_waitgroup_wait(&wg);
    goro_chan_release(a);
    goro_chan_release(b);
}

/* ---- timers ---- */
enum { SLEEPERS = 10, AFTERS = 5 };

static void sleeper(void *arg)
{
    goro_sleep((int64_t)(intptr_t)arg * 100000);   /* 0.1 ms steps */
}

static void timers(void *arg)
{
    (void)arg;
    goro_waitgroup wg = GORO_WAITGROUP_INIT;
    for (intptr_t i = 1; i <= SLEEPERS; i++)
        WG_GO(&wg, sleeper, (void *)i);
    for (int i = 0; i < AFTERS; i++) {
        int64_t t;
        goro_chan *c = goro_after(200000);
        CHECK(c && goro_chan_recv(c, &t) == 0);
        goro_chan_release(c);   /* the caller's (goro.h) */
    }
    goro_waitgroup_wait(&wg);
}

/* ---- echo server ---- */
enum { CLIENTS = 4, MSGS = 20 };
static int port;

static void echo_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[64];
    ssize_t n;
    while ((n = goro_read(fd, buf, sizeof buf)) > 0)
        CHECK(goro_write(fd, buf, (size_t)n) == n);
    goro_close(fd);
}

static void echo_client(void *arg)
{
    (void)arg;
    goro_syscall_begin();   /* stands for a blocking call: one bracket per client */
    goro_syscall_end();
    int fd = goro_dial_tcp("127.0.0.1", port, GORO_FOREVER);
    CHECK(fd >= 0);
    for (int i = 0; i < MSGS; i++) {
        char msg[8] = "ping", got[8];
        CHECK(goro_write(fd, msg, 4) == 4);
        size_t have = 0;
        while (have < 4) {
            ssize_t n = goro_read(fd, got + have, 4 - have);
            CHECK(n > 0);
            have += (size_t)n;
        }
        CHECK(!memcmp(got, "ping", 4));
    }
    goro_close(fd);
}

static void echo(void *arg)
{
    (void)arg;
    int lfd = goro_listen_tcp("127.0.0.1", 0, 16);
    CHECK(lfd >= 0);
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    CHECK(getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0);
    port = ntohs(sa.sin_port);
    goro_waitgroup wg = GORO_WAITGROUP_INIT;
    for (int i = 0; i < CLIENTS; i++)
        WG_GO(&wg, echo_client, NULL);
    goro_waitgroup conns = GORO_WAITGROUP_INIT;
    for (int i = 0; i < CLIENTS; i++) {
        int fd = goro_accept(lfd, NULL, NULL);
        CHECK(fd >= 0);
        WG_GO(&conns, echo_conn, (void *)(intptr_t)fd);
    }
    goro_waitgroup_wait(&wg);
    goro_waitgroup_wait(&conns);
    goro_close(lfd);
}

/* ---- a wired goroutine: its M hands the P off while it sleeps ---- */
static void wired(void *arg)
{
    (void)arg;
    goro_lock_os_thread();
    goro_sleep(1000000);
    goro_unlock_os_thread();
}

static void all(void *arg)
{
    (void)arg;
    goro_waitgroup wg = GORO_WAITGROUP_INIT;
    WG_GO(&wg, wired, NULL);
    WG_GO(&wg, pool, NULL);
    WG_GO(&wg, pipeline, NULL);
    WG_GO(&wg, timers, NULL);
    WG_GO(&wg, echo, NULL);
    goro_waitgroup_wait(&wg);
}

/* Children for trace-check.py, traced by GORODEBUG=trace=FILE: "exit"
 * returns from main (the atexit flush), "deadlock" ends in the deadlock
 * report's abort, "sigquit" in the SIGQUIT dump, "fork" runs a child of
 * its own ("forked") that uses goro, with the environment it inherits. */
static void blocked(void *arg)
{
    int v;
    goro_chan_recv(arg, &v);
}

static int child(const char *how)
{
    if (!strcmp(how, "forked")) {
        /* Started by "fork": GORODEBUG no longer names the trace. */
        CHECK(!goro_trace_enabled());
        goro_trace_log("child", "forked");
        return 0;
    }
    CHECK(goro_trace_enabled());
    goro_chan *c = goro_chan_make(sizeof(int), 0);
    goro_trace_log("child", how);
    if (!strcmp(how, "fork")) {
        /* trace= is gone from the environment, the other settings stay;
         * a fork+exec'd child that uses goro leaves the file alone. */
        const char *env = getenv("GORODEBUG");
        CHECK(env && !strcmp(env, "sigquit"));
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            execl("/proc/self/exe", "test_exectrace", "child", "forked", (char *)NULL);
            _exit(127);
        }
        int st;
        CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        goro_trace_log("child", "fork done");
    }
    if (!strcmp(how, "exit") || !strcmp(how, "fork")) {
        goro_chan_release(c);
        return 0;
    }
    CHECK(goro_go(blocked, c) == 0);
    if (!strcmp(how, "sigquit")) {
        goro_stats_t st;
        do {
            goro_yield();
            goro_stats(&st);
        } while (st.waiting_on[GORO_WAIT_CHAN_RECV] < 1);
        raise(SIGQUIT);
    }
    int v;
    goro_chan_recv(c, &v);   /* deadlock */
    return 1;
}

/* A plain thread that records an event and ends: its thread_exit. */
static void *plain_thread(void *arg)
{
    (void)arg;
    goro_trace_log("thread", "plain");
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "child"))
        return child(argv[2]);
    char tmp[] = "/tmp/goro-exectrace-XXXXXX";
    const char *path = argc > 1 ? argv[1] : NULL;
    if (!path) {
        int fd = mkstemp(tmp);
        CHECK(fd >= 0);
        close(fd);
        path = tmp;
    }
    CHECK(!goro_trace_enabled());
    CHECK_EQ(goro_trace_stop(), GORO_EINVAL);
    CHECK(goro_trace_start("/nonexistent-dir/x.trace") < 0);
    int base = goro_num_goroutine();
    CHECK_EQ(goro_trace_start(path), 0);
    CHECK(goro_trace_enabled());
    CHECK_EQ(goro_trace_start(path), GORO_EINVAL);
    goro_trace_log("test", "start");
    pthread_t th;
    CHECK(pthread_create(&th, NULL, plain_thread, NULL) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    /* Two log lines 5 ms apart, the interval bracketed by the clock: the
     * trace's ticks turned into ns must land inside the brackets. */
    int64_t ta0 = goro_now();
    goro_trace_log("clock", "a");
    int64_t ta1 = goro_now();
    usleep(5000);
    int64_t tb0 = goro_now();
    goro_trace_log("clock", "b");
    int64_t tb1 = goro_now();
    run_main(all, NULL);
    atomic_fetch_add(&spawned, 1);   /* run_main's goroutine */
    /* Every goroutine has exited (not only called done) before the stop. */
    while (goro_num_goroutine() > base)
        goro_yield();
    CHECK_EQ(goro_trace_stop(), 0);
    CHECK(!goro_trace_enabled());
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size > 1000);
    printf("expect created_in_trace %ld\n", atomic_load(&spawned));
    printf("expect exited %ld\n", atomic_load(&spawned));
    printf("expect region_begin %d\n", JOBS);
    printf("expect region_end %d\n", JOBS);
    printf("expect log %d\n", ITEMS + 4);
    printf("expect thread_exit_min 1\n");
    printf("expect syscall_enter %d\n", CLIENTS);
    printf("expect syscall_exit %d\n", CLIENTS);
    printf("expect timer_min %d\n", SLEEPERS + AFTERS);
    printf("expect procs_min 1\n");
    printf("expect handoff_min 1\n");
    printf("clock %lld %lld\n", (long long)(tb0 - ta1), (long long)(tb1 - ta0));
    if (path == tmp)
        unlink(tmp);
    return 0;
}
