// SPDX-License-Identifier: MIT
// test_pg.c (test_hook_pg): 1,000 goroutines, each with its own connection
// through unmodified libpq to a real PostgreSQL (tests/hook/with-server.sh
// pg starts it; GORO_TEST_PG). All connect, wait until every connection is
// open, then each runs SELECT pg_sleep(0.2) with its number and a few
// parameterised queries, checking every answer. The 1,000 sleeps overlap
// (the phase takes far less than 1,000 x 0.2 s), the thread count stays
// within hooktest.h's bound, and a CPU-bound goroutine keeps running.
// ctest-labels: hook
#include "../hooktest.h"

#include <libpq-fe.h>
#include <string.h>

#include "goro_hook.h"

static const char *conninfo;
static ht_barrier barrier;

static void check_int(PGresult *r, int row, int col, long want)
{
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK);
    CHECK(PQntuples(r) > row && PQnfields(r) > col);
    long got = strtol(PQgetvalue(r, row, col), NULL, 10);
    if (got != want) {
        fprintf(stderr, "test_hook_pg: got %ld, want %ld\n", got, want);
        CHECK(0);
    }
}

static long query_int(PGconn *c, const char *sql, long arg)
{
    char a[32];
    snprintf(a, sizeof a, "%ld", arg);
    const char *params[1] = { a };
    PGresult *r = PQexecParams(c, sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "test_hook_pg: %s: %s", sql, PQerrorMessage(c));
        CHECK(0);
    }
    long v = strtol(PQgetvalue(r, 0, PQnfields(r) - 1), NULL, 10);
    PQclear(r);
    return v;
}

static void client(int i)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "test_hook_pg: connection %d: %s", i, PQerrorMessage(c));
        CHECK(0);
    }
    ht_arrive(&barrier);
    CHECK(query_int(c, "SELECT pg_sleep(0.2), $1::int + 1", i) == i + 1);
    for (int k = 0; k < 3; k++)
        CHECK(query_int(c, "SELECT $1::int * 3", i * 10 + k) == (i * 10 + k) * 3);
    PGresult *r = PQexec(c, "SELECT g FROM generate_series(1, 100) g");
    for (int row = 0; row < 100; row++)
        check_int(r, row, 0, row + 1);
    PQclear(r);
    PQfinish(c);
}

static int n;
static int64_t released;

static void releaser(int i)
{
    if (i == n) {
        ht_release(&barrier);
        released = goro_now();
    } else {
        client(i);
    }
}

int main(void)
{
    CHECK(goro_hook_active());
    conninfo = ht_env("GORO_TEST_PG", "pg");
    ht_raise_nofile();
    n = ht_scale(1000);
    ht_barrier_init(&barrier, n);
    int64_t t0 = goro_now();
    int64_t t1 = t0 + ht_watched_run(n + 1, releaser, "test_hook_pg");   /* n clients, the releaser */
    printf("test_hook_pg: %d connections in %.2f s, then 1 sleep of 0.2 s + 104 rows each in %.2f s\n",
           n, (double)(released - t0) / GORO_SECOND, (double)(t1 - released) / GORO_SECOND);
    /* overlapped: one connection at a time would take n x 0.2 s */
    CHECK(t1 - released < (int64_t)n * 200 * GORO_MILLISECOND / 10);
    printf("test_hook_pg: ok\n");
    return 0;
}
