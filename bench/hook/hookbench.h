// SPDX-License-Identifier: MIT
// hookbench.h: what the hook benchmarks share (hookbench.c, pgasync.c):
// the workloads' names, the clock, the process's CPU time and thread
// count, and the one result line bench/hook/run.sh prints.
#ifndef HOOKBENCH_H
#define HOOKBENCH_H

#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

enum { PG, PGROW, REDIS, REDISSET };

/* pg: SELECT 1; pgrow: 10 rows of 2 columns; redis: GET of a 100-byte
 * value; redisset: SET of one. */
static inline int hb_kind(const char *name)
{
    return !strcmp(name, "pg") ? PG : !strcmp(name, "pgrow") ? PGROW
         : !strcmp(name, "redisset") ? REDISSET : REDIS;
}

static inline const char *hb_sql(int kind)
{
    return kind == PG ? "SELECT 1" : "SELECT g, 'row number ' || g FROM generate_series(1, 10) g";
}

/* A PostgreSQL answer as the query must give it. */
static inline int hb_pg_ok(int kind, const PGresult *r)
{
    return PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == (kind == PG ? 1 : 10);
}

static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static inline int threads(void)
{
    int t = 0;
    DIR *d = opendir("/proc/self/task");
    for (struct dirent *e; d && (e = readdir(d));)
        t += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return t;
}

static inline void die(const char *what, const char *why)
{
    fprintf(stderr, "hookbench: %s: %s\n", what, why);
    exit(1);
}

/* The result line: queries per second, client CPU (user + system) per
 * query over the window that began at t0 (CPU c0), peak RSS, the most
 * threads seen. */
static inline void hb_report(const char *kind, const char *mode, int procs, int n, long q,
                             double t0, double c0, int max_threads)
{
    double el = now() - t0, c1 = cpu();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%-8s %-10s procs %d  N %5d  %9.0f q/s  %6.1f us CPU/q  RSS %7.1f MiB  threads %5d\n",
           kind, mode, procs, n, (double)q / el, (c1 - c0) / (double)q * 1e6,
           (double)ru.ru_maxrss / 1024, max_threads);
}

/* Lifts the fd limit to its hard limit (N = 1,000 connections). */
static inline void hb_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

#endif
