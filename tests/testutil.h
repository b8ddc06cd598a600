/* SPDX-License-Identifier: MIT */
/*
 * testutil.h: the little each test needs: CHECK, a scale-down factor for
 * slow builds (sanitizers, Valgrind, qemu set GORO_TEST_SLOW=1),
 * deep_frames() to use stack, a crew of goroutines and threads running one
 * function, run_main() to run a function as a goroutine and wait for it,
 * copy_text() to cut out part of a text, dump_string() for goro_dump's
 * text, count_fds() for the open descriptors by kind, wait_parked_on() and
 * end_spawners() for tests of the calls that start goroutines.
 * Every test is its own process; CTest gives each a timeout.
 */
#ifndef GORO_TESTUTIL_H
#define GORO_TESTUTIL_H

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "goro.h"
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define GORO_TEST_HAVE_VALGRIND 1
#endif
#endif

#define CHECK(cond) do { \
    if (!(cond)) { \
        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        exit(1); \
    } } while (0)

#define CHECK_EQ(a, b) do { \
    long long a_ = (long long)(a), b_ = (long long)(b); \
    if (a_ != b_) { \
        fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n", \
                __FILE__, __LINE__, #a, a_, #b, b_); \
        exit(1); \
    } } while (0)

/* Divides iteration counts in slow builds. */
static inline long scaled(long n, long slow_div)
{
    const char *s = getenv("GORO_TEST_SLOW");
    if (s && *s && *s != '0') {
        n /= slow_div;
        if (n < 1)
            n = 1;
    }
    return n;
}

static inline int testutil_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (sorts v). Timing checks bound the median, which
 * a loaded machine's occasional long descheduling does not move. */
static inline int64_t median_i64(int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], testutil_cmp_i64);
    return v[n / 2];
}

/* Whether the test runs under Valgrind (some system calls and glibc
 * internals behave differently there). */
static inline int under_valgrind(void)
{
#if GORO_TEST_HAVE_VALGRIND
    return RUNNING_ON_VALGRIND;
#else
    return 0;
#endif
}

/* Recursion n levels deep in frames of 1 KiB (stack tests). */
static inline long deep_frames(int n, volatile char *prev)
{
    volatile char buf[1024];
    buf[0] = (char)n;
    buf[1023] = prev ? prev[0] : 0;
    if (n == 0)
        return buf[0] + buf[1023];
    return deep_frames(n - 1, buf) + buf[0];
}

/* A crew runs fn on each of n arguments at once: the first `goroutines`
 * as goroutines, the rest as plain threads, so a test checks each call
 * from both kinds of caller. crew_start starts them and returns;
 * crew_wait waits for the goroutines, joins the threads and frees the
 * crew's memory. Only the starting thread touches a crew. */
typedef struct crew_task_ {
    goro_fn fn;
    void *arg;
} crew_task_;

typedef struct crew {
    goro_waitgroup wg;         /* the goroutines */
    pthread_t *th;             /* [threads] */
    crew_task_ *t;             /* [goroutines + threads] */
    int threads;
} crew;

static inline void crew_goroutine_(void *arg)
{
    crew_task_ *t = (crew_task_ *)arg;
    t->fn(t->arg);
}

static inline void *crew_thread_(void *arg)
{
    crew_goroutine_(arg);
    return NULL;
}

/* Runs fn(args + i * stride) for i from 0 to goroutines + threads - 1. */
static inline void crew_start(crew *c, goro_fn fn, void *args, size_t stride,
                              int goroutines, int threads)
{
    int n = goroutines + threads;
    memset(c, 0, sizeof *c);
    c->threads = threads;
    c->t = (crew_task_ *)calloc((size_t)n, sizeof *c->t);
    c->th = (pthread_t *)calloc((size_t)threads + 1, sizeof *c->th);
    CHECK(c->t && c->th);
    for (int i = 0; i < n; i++) {
        c->t[i].fn = fn;
        c->t[i].arg = (char *)args + (size_t)i * stride;
    }
    for (int i = 0; i < goroutines; i++)
        CHECK(goro_waitgroup_go(&c->wg, crew_goroutine_, &c->t[i]) == 0);
    for (int i = 0; i < threads; i++)
        CHECK(pthread_create(&c->th[i], NULL, crew_thread_, &c->t[goroutines + i]) == 0);
}

static inline void crew_wait(crew *c)
{
    goro_waitgroup_wait(&c->wg);
    for (int i = 0; i < c->threads; i++)
        CHECK(pthread_join(c->th[i], NULL) == 0);
    free(c->t);
    free(c->th);
}

/* Runs body(id) in `goroutines` goroutines (ids 0 to goroutines - 1) and
 * `threads` plain threads (the ids after), and waits for them all. */
typedef struct gt_task_ {
    void (*body)(long);
    long id;
} gt_task_;

static inline void gt_run_(void *arg)
{
    gt_task_ *t = (gt_task_ *)arg;
    t->body(t->id);
}

static inline void run_goroutines_and_threads(void (*body)(long), int goroutines, int threads)
{
    int n = goroutines + threads;
    gt_task_ *t = (gt_task_ *)calloc((size_t)n, sizeof *t);
    CHECK(t);
    for (int i = 0; i < n; i++) {
        t[i].body = body;
        t[i].id = i;
    }
    crew c;
    crew_start(&c, gt_run_, t, sizeof *t, goroutines, threads);
    crew_wait(&c);
    free(t);
}

/* Runs fn(arg) in a goroutine and waits for it on this (plain) thread. */
static inline void run_main(goro_fn fn, void *arg)
{
    goro_waitgroup wg = {0};
    CHECK(goro_waitgroup_go(&wg, fn, arg) == 0);
    goro_waitgroup_wait(&wg);
}

/* Copies text from p up to end (NULL: to the end of the string) into
 * buf, cut to cap - 1 bytes and NUL-terminated; returns buf. */
static inline const char *copy_text(const char *p, const char *end, char *buf, size_t cap)
{
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, p, n);
    buf[n] = 0;
    return buf;
}

/* goro_dump's output, malloc'd. (Not inlined: GCC 12 then takes the
 * result for a pointer to the local the memory stream writes, and
 * -Wdangling-pointer fails the build.) */
__attribute__((noinline, unused)) static char *dump_string(void)
{
    char *dump = NULL;
    size_t dumplen = 0;
    FILE *f = open_memstream(&dump, &dumplen);
    CHECK(f);
    goro_dump(f);
    fclose(f);
    return dump;
}

/* Waits up to 60 s until `want` goroutines are parked on obj; returns how
 * many goroutines gi[0..cap) then holds. */
__attribute__((unused)) static int wait_parked_on(goro_ginfo *gi, int cap, const void *obj, int want)
{
    for (int64_t deadline = goro_now() + 60 * GORO_SECOND;; goro_sleep(GORO_MILLISECOND)) {
        CHECK(goro_now() < deadline);
        int n = goro_goroutines(gi, cap);
        CHECK(n <= cap);
        int parked = 0;
        for (int i = 0; i < n; i++)
            parked += gi[i].wait_obj == obj;
        if (parked == want)
            return n;
    }
}

/* Waits for the goroutines started through wg and g, and frees g, t, h
 * and ctx. */
__attribute__((unused)) static void end_spawners(goro_waitgroup *wg, goro_errgroup *g, goro_timer *t,
                                                 goro_ctx_after *h, goro_ctx *ctx)
{
    goro_waitgroup_wait(wg);
    CHECK_EQ(goro_errgroup_wait(g), 0);
    goro_errgroup_free(g);
    goro_timer_free(t);
    goro_ctx_after_free(h);
    goro_ctx_release(ctx);
}

/* This process's open descriptors by kind; `other` also counts the
 * entries readlink cannot read (".", ".."). */
typedef struct fd_count {
    int epoll, eventfd, socket, other;
} fd_count;

__attribute__((unused)) static fd_count count_fds(void)
{
    fd_count c = { 0, 0, 0, 0 };
    DIR *d = opendir("/proc/self/fd");
    CHECK(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[300], target[256];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t k = readlink(path, target, sizeof target - 1);
        target[k > 0 ? k : 0] = 0;
        if (!strcmp(target, "anon_inode:[eventpoll]"))
            c.epoll++;
        else if (!strcmp(target, "anon_inode:[eventfd]"))
            c.eventfd++;
        else if (!strncmp(target, "socket:", 7))
            c.socket++;
        else
            c.other++;
    }
    closedir(d);
    return c;
}

#ifdef GORO_SCHED_RUNTIME_H
/* (Tests that include sched/runtime.h.) Once every goroutine has ended, every
 * stack is back in a pool or unmapped: waits up to 10 s for it. */
__attribute__((unused)) static void check_no_stack_in_use(void)
{
    long in_use = 0, other = 0;
    for (int64_t deadline = goro_now() + 10 * GORO_SECOND; goro_now() < deadline;
         goro_sleep(GORO_MILLISECOND)) {
        goro__stack_counts(&in_use, &other);
        if (in_use == 0 && other == 0)
            return;
    }
    fprintf(stderr, "pooled stacks in use %ld, own mappings %ld\n", in_use, other);
    CHECK(0);
}
#endif

#define TEST_PASS(name) do { printf("%s: 1 passed, 0 failed\n", name); return 0; } while (0)

#endif
