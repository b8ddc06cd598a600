// SPDX-License-Identifier: MIT
// hooktest.h: what libgoro-hook's tests share: CHECK, errno through a
// non-inlined read, the process's thread count, a CPU-bound goroutine that
// counts its progress, and a watcher goroutine that samples the thread
// count while the test's goroutines block in library calls.
#ifndef GORO_HOOKTEST_H
#define GORO_HOOKTEST_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/resource.h>

#include "goro.h"

#define CHECK(c)                                                                \
    do {                                                                        \
        if (!(c)) {                                                             \
            fprintf(stderr, "%s:%d: %s (errno %d)\n", __FILE__, __LINE__, #c, errno); \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* errno of the current thread: a goroutine may resume on another thread,
 * and the compiler may keep errno's address across calls (hacking.md). */
static __attribute__((noinline, unused)) int ht_errno(void)
{
    __asm__ volatile("" ::: "memory");
    return errno;
}

/* Threads of this process now (entries of /proc/self/task). */
static __attribute__((unused)) int ht_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Threads a goroutine program may have besides its GOMAXPROCS Ms running
 * goroutines: the main thread (blocked in main's wait), sysmon, Ms the
 * scheduler keeps idle (a spinning M, one blocked in the netpoller, one
 * that ran a hand-off such as a file read), and one M for each time sysmon
 * took the P of a goroutine that ran 10 ms without yielding (docs/hacking.md,
 * "P ownership vs sysmon"): a TLS handshake does on a loaded machine, and
 * so does any goroutine whose thread the kernel left waiting for a CPU; the
 * M stays, idle, afterwards. On a 2-core machine at load 27 the tests saw
 * up to GOMAXPROCS + 19. A call that blocked its thread instead of parking
 * would need one thread per blocked goroutine: a thousand here. */
#define HT_THREAD_ALLOWANCE 24

/* The watcher and the CPU-bound goroutine: started by ht_start, stopped
 * by ht_stop, which checks that the spinner made progress in every
 * sampling period and returns the highest thread count seen. */
typedef struct {
    _Atomic int stop, stopped;
    _Atomic long spins;
    _Atomic int max_threads, stalls, samples, run, max_run;
} ht_watch;

static void ht_spinner(void *arg)
{
    ht_watch *w = arg;
    while (!atomic_load(&w->stop)) {
        for (volatile int i = 0; i < 10000; i++) {
        }
        atomic_fetch_add(&w->spins, 1);
        goro_yield();
    }
    atomic_fetch_add(&w->stopped, 1);
}

static void ht_watcher(void *arg)
{
    ht_watch *w = arg;
    while (!atomic_load(&w->stop)) {
        long s0 = atomic_load(&w->spins);
        goro_sleep(20 * GORO_MILLISECOND);
        int t = ht_threads();
        if (t > atomic_load(&w->max_threads))
            atomic_store(&w->max_threads, t);
        if (atomic_load(&w->spins) == s0 && !atomic_load(&w->stop)) {
            atomic_fetch_add(&w->stalls, 1);
            if (atomic_fetch_add(&w->run, 1) + 1 > atomic_load(&w->max_run))
                atomic_store(&w->max_run, atomic_load(&w->run));
        } else {
            atomic_store(&w->run, 0);
        }
        atomic_fetch_add(&w->samples, 1);
    }
    atomic_fetch_add(&w->stopped, 1);
}

static __attribute__((unused)) void ht_start(ht_watch *w)
{
    CHECK(goro_go(ht_spinner, w) == 0);
    CHECK(goro_go(ht_watcher, w) == 0);
}

/* Stops both, prints the figures under NAME, checks the thread bound and
 * that the spinner never went 2 s (100 periods) without progress. It may
 * miss many single periods: on a loaded machine the process may not run
 * for 20 ms, and the spinner waits its turn behind a thousand runnable
 * goroutines or a few hundred TLS handshakes. */
static __attribute__((unused)) void ht_stop(ht_watch *w, const char *name)
{
    atomic_store(&w->stop, 1);
    while (atomic_load(&w->stopped) < 2)
        goro_sleep(GORO_MILLISECOND);
    int procs = goro_maxprocs(0);
    printf("%s: GOMAXPROCS %d: at most %d threads (bound %d), %ld spins, %d of %d 20 ms periods "
           "without progress, at most %d in a row\n",
           name, procs, w->max_threads, procs + HT_THREAD_ALLOWANCE, (long)w->spins, w->stalls,
           w->samples, w->max_run);
    fflush(stdout);
    CHECK(w->max_threads <= procs + HT_THREAD_ALLOWANCE);
    CHECK(w->spins > 0);
    CHECK(w->max_run < 100);
}

/* Runs fn(0) ... fn(n-1) in n goroutines and waits for them all. */
typedef void (*ht_fn)(int i);
typedef struct {
    ht_fn fn;
    int i;
    goro_waitgroup *wg;
} ht_job;

static void ht_job_main(void *arg)
{
    ht_job *j = arg;
    j->fn(j->i);
    goro_waitgroup_done(j->wg);
}

static __attribute__((unused)) void ht_run(int n, ht_fn fn)
{
    goro_waitgroup wg = GORO_WAITGROUP_INIT;
    ht_job *jobs = calloc((size_t)n, sizeof *jobs);
    CHECK(jobs);
    goro_waitgroup_add(&wg, n);
    for (int i = 0; i < n; i++) {
        jobs[i] = (ht_job){ fn, i, &wg };
        CHECK(goro_go(ht_job_main, &jobs[i]) == 0);
    }
    goro_waitgroup_wait(&wg);
    free(jobs);
}

/* A barrier for n goroutines: each calls ht_arrive, which returns once all
 * n have (used to hold 1,000 connections open at once). */
typedef struct {
    goro_waitgroup arrived, go;
} ht_barrier;

static __attribute__((unused)) void ht_barrier_init(ht_barrier *b, int n)
{
    *b = (ht_barrier){ GORO_WAITGROUP_INIT, GORO_WAITGROUP_INIT };
    goro_waitgroup_add(&b->arrived, n);
    goro_waitgroup_add(&b->go, 1);
}

static __attribute__((unused)) void ht_arrive(ht_barrier *b)
{
    goro_waitgroup_done(&b->arrived);
    goro_waitgroup_wait(&b->go);
}

/* The goroutine that waits for all to arrive and lets them go. */
static __attribute__((unused)) void ht_release(ht_barrier *b)
{
    goro_waitgroup_wait(&b->arrived);
    goro_waitgroup_done(&b->go);
}

/* The test's size: n, or n / 10 in slow (sanitizer) builds. */
static __attribute__((unused)) int ht_scale(int n)
{
    return getenv("GORO_TEST_SLOW") ? n / 10 : n;
}

/* Up to the hard limit of open files: 1,000 connections need more than
 * the usual soft 1,024. */
static __attribute__((unused)) void ht_raise_nofile(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

/* ht_run of fn with the watcher and the spinner around it (ht_start,
 * ht_stop under NAME); returns the time it took. */
static __attribute__((unused)) int64_t ht_watched_run(int n, ht_fn fn, const char *name)
{
    ht_watch w = { 0 };
    ht_start(&w);
    int64_t t0 = goro_now();
    ht_run(n, fn);
    int64_t t = goro_now() - t0;
    ht_stop(&w, name);
    return t;
}

/* The value of the environment variable NAME, which with-server.sh SERVER
 * sets; without it the test cannot run. */
static __attribute__((unused)) const char *ht_env(const char *name, const char *server)
{
    const char *v = getenv(name);
    if (!v) {
        fprintf(stderr, "no %s: run me through tests/hook/with-server.sh %s\n", name, server);
        exit(1);
    }
    return v;
}

/* A listening TCP socket on 127.0.0.1, a free port (*port), whose
 * acceptor goroutine accepts n connections through the hook's accept and
 * runs serve(fd) in a goroutine for each. ht_serve_wait waits for the
 * acceptor and every serve to return: a test calls it before it frees
 * what they use and before main returns (exit runs the libraries'
 * cleanup, which must not race with a server still in them). */
typedef struct {
    int fd, n;
    goro_fn serve;
} ht_server;

static goro_waitgroup ht_served = GORO_WAITGROUP_INIT;

static void ht_acceptor(void *arg)
{
    ht_server *srv = arg;
    for (int i = 0; i < srv->n; i++) {
        int fd = accept(srv->fd, NULL, NULL);
        CHECK(fd >= 0);
        CHECK(goro_waitgroup_go(&ht_served, srv->serve, (void *)(intptr_t)fd) == 0);
    }
    close(srv->fd);
    free(srv);
}

static __attribute__((unused)) void ht_serve(int n, goro_fn serve, int *port)
{
    ht_server *srv = malloc(sizeof *srv);
    CHECK(srv);
    *srv = (ht_server){ socket(AF_INET, SOCK_STREAM, 0), n, serve };
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    CHECK(srv->fd >= 0 && bind(srv->fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
          listen(srv->fd, 1024) == 0);
    CHECK(getsockname(srv->fd, (struct sockaddr *)&sa, &sl) == 0);
    *port = ntohs(sa.sin_port);
    CHECK(goro_waitgroup_go(&ht_served, ht_acceptor, srv) == 0);
}

static __attribute__((unused)) void ht_serve_wait(void)
{
    goro_waitgroup_wait(&ht_served);
}

#endif
