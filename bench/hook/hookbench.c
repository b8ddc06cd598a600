// SPDX-License-Identifier: MIT
// hookbench.c: PostgreSQL and Redis clients through unmodified libpq and
// hiredis, N connections each running queries in a loop for a fixed time.
// Built twice (CMakeLists.txt): bench_hook_goro, one goroutine per
// connection with libgoro-hook, and bench_hook_threads, one pthread per
// connection (default stacks) without goro. bench/hook/run.sh runs both.
//
//   bench_hook_goro|bench_hook_threads pg|pgrow|redis N SECONDS
//
// pg: SELECT 1; pgrow: a 10-row, 2-column query; redis: GET of a 100-byte
// value. Connections are all opened first; the measured window starts
// when the last one is up. Prints one line: queries per second, client
// CPU (user + system) per query, peak RSS, the most threads seen.
#define _GNU_SOURCE
#include <dirent.h>
#include <hiredis.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifdef HB_GORO
#include "goro.h"
#include "goro_hook.h"
#endif

enum { PG, PGROW, REDIS };
static int kind, n;
static double seconds;
static _Atomic int up, start, stop, max_threads;
static _Atomic long queries;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int threads(void)
{
    int t = 0;
    DIR *d = opendir("/proc/self/task");
    for (struct dirent *e; d && (e = readdir(d));)
        t += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return t;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "hookbench: %s: %s\n", what, why);
    exit(1);
}

/* Waits for the start signal: a goroutine parks (the hook's usleep), a
 * thread sleeps. */
static void wait_start(void)
{
    atomic_fetch_add(&up, 1);
    while (!atomic_load(&start))
        usleep(1000);
}

static void client(void)
{
    long done = 0;
    if (kind == REDIS) {
        redisContext *c = redisConnect("127.0.0.1", atoi(getenv("GORO_TEST_REDIS_PORT")));
        if (!c || c->err)
            die("redisConnect", c ? c->errstr : "no memory");
        wait_start();
        while (!atomic_load(&stop)) {
            redisReply *r = redisCommand(c, "GET hookbench");
            if (!r || r->type != REDIS_REPLY_STRING || r->len != 100)
                die("GET", c->errstr);
            freeReplyObject(r);
            done++;
        }
        redisFree(c);
    } else {
        PGconn *c = PQconnectdb(getenv("GORO_TEST_PG"));
        if (PQstatus(c) != CONNECTION_OK)
            die("PQconnectdb", PQerrorMessage(c));
        const char *sql = kind == PG ? "SELECT 1"
                                     : "SELECT g, 'row number ' || g FROM generate_series(1, 10) g";
        wait_start();
        while (!atomic_load(&stop)) {
            PGresult *r = PQexec(c, sql);
            if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != (kind == PG ? 1 : 10))
                die("PQexec", PQerrorMessage(c));
            PQclear(r);
            done++;
        }
        PQfinish(c);
    }
    atomic_fetch_add(&queries, done);
}

#ifdef HB_GORO
static goro_waitgroup wg = GORO_WAITGROUP_INIT;
static void g_client(void *arg)
{
    (void)arg;
    client();
    goro_waitgroup_done(&wg);
}
#else
static void *t_client(void *arg)
{
    (void)arg;
    client();
    return NULL;
}
#endif

int main(int argc, char **argv)
{
    if (argc != 4)
        die("usage", "bench_hook_goro|bench_hook_threads pg|pgrow|redis N SECONDS");
    kind = !strcmp(argv[1], "pg") ? PG : !strcmp(argv[1], "pgrow") ? PGROW : REDIS;
    n = atoi(argv[2]);
    seconds = atof(argv[3]);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (kind == REDIS) {
        redisContext *c = redisConnect("127.0.0.1", atoi(getenv("GORO_TEST_REDIS_PORT")));
        char v[101];
        memset(v, 'v', 100);
        v[100] = 0;
        freeReplyObject(redisCommand(c, "SET hookbench %s", v));
        redisFree(c);
    }
#ifdef HB_GORO
    if (!goro_hook_active())
        die("libgoro-hook", "not in effect");
    goro_waitgroup_add(&wg, n);
    for (int i = 0; i < n; i++)
        goro_go(g_client, NULL);
#define PAUSE() goro_sleep(10 * GORO_MILLISECOND)
#else
    pthread_t *t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, t_client, NULL) != 0)
            die("pthread_create", "failed");
#define PAUSE() usleep(10000)
#endif
    while (atomic_load(&up) < n)
        PAUSE();
    double t0 = now(), c0 = cpu();
    atomic_store(&start, 1);
    while (now() - t0 < seconds) {
        int th = threads();
        if (th > max_threads)
            max_threads = th;
        PAUSE();
    }
    atomic_store(&stop, 1);
#ifdef HB_GORO
    goro_waitgroup_wait(&wg);
    const char *mode = "goro+hook";
    int procs = goro_maxprocs(0);
#else
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    const char *mode = "threads";
    int procs = 0;
#endif
    double el = now() - t0, c1 = cpu();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long q = atomic_load(&queries);
    printf("%-6s %-10s procs %d  N %5d  %9.0f q/s  %6.1f us CPU/q  RSS %7.1f MiB  threads %5d\n",
           argv[1], mode, procs, n, (double)q / el, (c1 - c0) / (double)q * 1e6,
           (double)ru.ru_maxrss / 1024, max_threads);
    return 0;
}
