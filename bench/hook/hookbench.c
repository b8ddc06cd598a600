// SPDX-License-Identifier: MIT
// hookbench.c: PostgreSQL and Redis clients through unmodified libpq and
// hiredis, N connections each running queries in a loop for a fixed time.
// Built twice (CMakeLists.txt): bench_hook_goro, one goroutine per
// connection with libgoro-hook, and bench_hook_threads, one pthread per
// connection without goro (glibc's default stacks, or HOOKBENCH_STACK_KIB
// KiB each). pgasync.c is the third: libpq's asynchronous API on one
// thread. bench/hook/run.sh runs all three.
//
//   bench_hook_goro|bench_hook_threads pg|pgrow|redis|redisset N SECONDS
//
// Workloads in hookbench.h. Connections are all opened first; the
// measured window starts when the last one is up. Prints one line
// (hb_report).
#define _GNU_SOURCE
#include <hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "hookbench.h"

#ifdef HB_GORO
#include "goro.h"
#include "goro_hook.h"
#endif

static int kind, n;
static double seconds;
static _Atomic int up, start, stop, max_threads;
static _Atomic long queries;
static char value[101];   /* the 100-byte value GET reads and SET writes */

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
    if (kind == REDIS || kind == REDISSET) {
        redisContext *c = redisConnect("127.0.0.1", atoi(getenv("GORO_TEST_REDIS_PORT")));
        if (!c || c->err)
            die("redisConnect", c ? c->errstr : "no memory");
        wait_start();
        while (!atomic_load(&stop)) {
            redisReply *r = kind == REDIS ? redisCommand(c, "GET hookbench")
                                          : redisCommand(c, "SET hookbench %s", value);
            if (!r || (kind == REDIS ? r->type != REDIS_REPLY_STRING || r->len != 100
                                     : r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK")))
                die(kind == REDIS ? "GET" : "SET", c->errstr);
            freeReplyObject(r);
            done++;
        }
        redisFree(c);
    } else {
        PGconn *c = PQconnectdb(getenv("GORO_TEST_PG"));
        if (PQstatus(c) != CONNECTION_OK)
            die("PQconnectdb", PQerrorMessage(c));
        wait_start();
        while (!atomic_load(&stop)) {
            PGresult *r = PQexec(c, hb_sql(kind));
            if (!hb_pg_ok(kind, r))
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
        die("usage", "bench_hook_goro|bench_hook_threads pg|pgrow|redis|redisset N SECONDS");
    kind = hb_kind(argv[1]);
    n = atoi(argv[2]);
    seconds = atof(argv[3]);
    hb_nofile();
    memset(value, 'v', 100);
    if (kind == REDIS) {
        redisContext *c = redisConnect("127.0.0.1", atoi(getenv("GORO_TEST_REDIS_PORT")));
        freeReplyObject(redisCommand(c, "SET hookbench %s", value));
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
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    const char *kib = getenv("HOOKBENCH_STACK_KIB");
    if (kib && pthread_attr_setstacksize(&attr, (size_t)atoi(kib) * 1024) != 0)
        die("HOOKBENCH_STACK_KIB", kib);
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], &attr, t_client, NULL) != 0)
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
    char mode[32] = "threads";
    if (kib)
        snprintf(mode, sizeof mode, "threads%sk", kib);
    int procs = 0;
#endif
    hb_report(argv[1], mode, procs, n, atomic_load(&queries), t0, c0, max_threads);
    return 0;
}
