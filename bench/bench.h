/* SPDX-License-Identifier: MIT */
/*
 * bench/bench.h: the shared driver for goro's C benchmark programs.
 *
 * Every program in bench/ follows the same method as its Go twin in
 * bench/go/<name>/:
 * one warm-up pass (reported as cold_<metric>), then BENCH_PASSES measured
 * passes, and the median of the measured passes is the figure.
 * parked_memory is the exception: one cold pass per process.
 *
 * Output, on stdout, one line per figure, three fields separated by a space:
 *
 *     <workload> <metric> <value>
 *
 * e.g. "spawn_join ns_per_op 42.1". Lines starting with '#' are comments
 * (settings, per-pass values) that bench/run.sh ignores.
 *
 * It compiles as C++ too, for the goro.hpp twins in bench/cpp/.
 */
#ifndef GORO_BENCH_H
#define GORO_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <goro.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#define BENCH_PASSES 3

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of n values; does not reorder v. */
static inline double bench_median(const double *v, int n)
{
    double s[64];
    if (n <= 0 || n > 64)
        return 0.0;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, bench_cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
}

/* Prints the cold pass, the per-pass values as a comment, and the median. */
static inline void bench_report(const char *workload, const char *metric,
                                double cold, const double *passes, int n)
{
    printf("# %s %s passes:", workload, metric);
    for (int i = 0; i < n; i++)
        printf(" %.6g", passes[i]);
    printf("\n");
    printf("%s cold_%s %.6g\n", workload, metric, cold);
    printf("%s %s %.6g\n", workload, metric, bench_median(passes, n));
    fflush(stdout);
}

static inline void bench_header(const char *workload)
{
    printf("# %s goro maxprocs=%d ncpu=%d\n", workload, goro_maxprocs(0),
           goro_num_cpu());
}

/* Optional size override: argv[1] if given and positive, else def. */
static inline long bench_arg(int argc, char **argv, long def)
{
    if (argc > 1) {
        long v = strtol(argv[1], NULL, 10);
        if (v > 0)
            return v;
    }
    return def;
}

/* Resident set size in bytes, from /proc/self/statm. */
static inline long bench_rss_bytes(void)
{
    long size = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &rss) != 2)
        rss = -1;
    fclose(f);
    return rss < 0 ? -1 : rss * sysconf(_SC_PAGESIZE);
}

/* Process CPU time (user + system, all threads) in nanoseconds. */
static inline int64_t bench_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static inline void bench_die(const char *what, int rc)
{
    fprintf(stderr, "bench: %s failed: %d (%s)\n", what, rc,
            goro_strerror(rc));
    exit(1);
}

/* Exits through bench_die if rc, a goro call's result, is not 0. */
static inline void bench_check(const char *what, int rc)
{
    if (rc != 0)
        bench_die(what, rc);
}

/* goro_go and goro_go_copy (macros, so the call site is still recorded),
 * exiting if the goroutine cannot be started. */
#define bench_go(fn, arg) bench_check("goro_go", goro_go((fn), (arg)))
#define bench_go_copy(fn, arg, size) \
    bench_check("goro_go_copy", goro_go_copy((fn), (arg), (size)))

/* goro_chan_make, exiting if it fails. */
static inline goro_chan *bench_chan_make(size_t elem_size, size_t cap)
{
    goro_chan *ch = goro_chan_make(elem_size, cap);
    if (!ch)
        bench_die("goro_chan_make", GORO_ENOMEM);
    return ch;
}

struct bench_call_ {
    goro_fn fn;
    void *arg;
    goro_waitgroup done;
};

static inline void bench_call_(void *p)
{
    struct bench_call_ *c = (struct bench_call_ *)p;
    c->fn(c->arg);
    goro_waitgroup_done(&c->done);
}

/* Runs fn(arg) in a new goroutine and waits until it returns. Go's main is
 * a goroutine, so the programs time their passes in such a "driver"
 * goroutine; bench_run(bench_noop, NULL) starts the runtime (threads, a
 * first stack) before a memory reading. */
static inline void bench_run(goro_fn fn, void *arg)
{
    struct bench_call_ c;
    memset(&c, 0, sizeof c);   /* a zero WaitGroup, in C and C++ alike */
    c.fn = fn;
    c.arg = arg;
    goro_waitgroup_add(&c.done, 1);
    bench_go(bench_call_, &c);
    goro_waitgroup_wait(&c.done);
}

static inline void bench_noop(void *arg)
{
    (void)arg;
}

/* cold = pass (the warm-up pass), then v[p] = pass for each of the
 * BENCH_PASSES measured passes; pass is an expression, evaluated each time. */
#define BENCH_MEASURE(cold, v, pass)                                   \
    do {                                                               \
        (cold) = (pass);                                               \
        for (int bench_p_ = 0; bench_p_ < BENCH_PASSES; bench_p_++)    \
            (v)[bench_p_] = (pass);                                    \
    } while (0)

struct bench_series_ {
    double (*pass)(void);
    double *cold, *v;
};

static inline void bench_series_(void *p)
{
    struct bench_series_ *s = (struct bench_series_ *)p;
    BENCH_MEASURE(*s->cold, s->v, s->pass());
}

/* In a driver goroutine (bench_run): *cold = pass(), then v[0..] = pass()
 * for the BENCH_PASSES measured passes. */
static inline void bench_measure(double (*pass)(void), double *cold, double *v)
{
    struct bench_series_ s = {pass, cold, v};
    bench_run(bench_series_, &s);
}

/* bench_measure, then bench_report: the whole driver of a program with one
 * figure. */
static inline void bench_passes(const char *workload, const char *metric,
                                double (*pass)(void))
{
    double cold, v[BENCH_PASSES];
    bench_measure(pass, &cold, v);
    bench_report(workload, metric, cold, v, BENCH_PASSES);
}

#endif /* GORO_BENCH_H */
