/*
 * bench/bench.h: the shared driver for goro's C benchmark programs.
 *
 * Every program in bench/ follows the method of the Go baselines
 * (shared/reference/baselines.md) and of its twin in bench/go/<name>/:
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
 */
#ifndef GORO_BENCH_H
#define GORO_BENCH_H

#define _GNU_SOURCE
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

#endif /* GORO_BENCH_H */
