// SPDX-License-Identifier: MIT
// pg_fanout.c: a thousand concurrent PostgreSQL queries through unmodified
// libpq, one goroutine and one connection each, on GOMAXPROCS threads.
// libgoro-hook (linked before libc) makes libpq's poll, recv and send park
// the goroutine instead of blocking its thread.
//
//   cc -o pg_fanout pg_fanout.c $(pkg-config --cflags --libs goro-hook libpq)
//   ./pg_fanout "host=127.0.0.1 port=5432 dbname=postgres" 1000
//
// The server must allow that many connections (max_connections).
#include <dirent.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>

#include "goro.h"
#include "goro_hook.h"

static const char *conninfo;
static _Atomic int failed, max_threads;
static goro_waitgroup wg = GORO_WAITGROUP_INIT;

static int threads(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void query(void *arg)
{
    int i = (int)(intptr_t)arg;
    PGconn *c = PQconnectdb(conninfo);   /* blocking API, parks in poll */
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "connection %d: %s", i, PQerrorMessage(c));
        failed++;
    } else {
        char arg_text[16];
        snprintf(arg_text, sizeof arg_text, "%d", i);
        const char *params[] = { arg_text };
        PGresult *r = PQexecParams(c, "SELECT pg_sleep(0.5), $1::int * 2", 1, NULL, params,
                                   NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || atoi(PQgetvalue(r, 0, 1)) != 2 * i)
            failed++;
        PQclear(r);
        int t = threads();
        if (t > max_threads)
            max_threads = t;
    }
    PQfinish(c);
    goro_waitgroup_done(&wg);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CONNINFO [N]\n", argv[0]);
        return 2;
    }
    if (!goro_hook_active()) {
        fprintf(stderr, "libgoro-hook is not in effect: link it before libc\n");
        return 1;
    }
    conninfo = argv[1];
    int n = argc > 2 ? atoi(argv[2]) : 1000;
    int64_t t0 = goro_now();
    goro_waitgroup_add(&wg, n);
    for (int i = 0; i < n; i++)
        goro_go(query, (void *)(intptr_t)i);
    goro_waitgroup_wait(&wg);
    printf("%d queries of 0.5 s each in %.2f s on %d threads (GOMAXPROCS %d), %d failed\n", n,
           (double)(goro_now() - t0) / GORO_SECOND, max_threads, goro_maxprocs(0), failed);
    return failed != 0;
}
