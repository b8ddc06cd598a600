// SPDX-License-Identifier: MIT
// pgasync.c: bench_hook_async, the event-loop column of `make bench-hook`:
// the PostgreSQL workloads of hookbench.c (pg, pgrow) with N connections
// on one thread, through libpq's asynchronous API (PQconnectStart and
// PQconnectPoll, PQsendQuery, PQconsumeInput, PQisBusy, PQgetResult, in
// non-blocking mode) driven by one level-triggered epoll loop. No goro.
//
//   bench_hook_async pg|pgrow N SECONDS
//
// Every connection is opened first; then each keeps one query in flight
// until SECONDS have passed, and the loop runs until the last answer is
// in. Prints hookbench.h's result line.
#define _GNU_SOURCE
#include <sys/epoll.h>

#include "hookbench.h"

typedef struct {
    PGconn *c;
    int fd;        /* the socket epoll watches (PQsocket may change while connecting) */
    int out;       /* EPOLLOUT wanted: a connect step, or an unflushed query */
    int busy;      /* a query is in flight */
} conn;

static int ep, kind;
static conn *conns;

/* Watches x's current socket for `events` (data: its index). */
static void watch(int i, uint32_t events)
{
    conn *x = &conns[i];
    int fd = PQsocket(x->c);
    struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)i };
    if (fd != x->fd) {
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
            die("epoll_ctl", strerror(errno));
        x->fd = fd;
    } else if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) {
        die("epoll_ctl", strerror(errno));
    }
}

/* Sends the next query on x, and watches for its answer (and for room to
 * flush the rest of it, if the socket took only part). */
static void send_query(int i)
{
    conn *x = &conns[i];
    if (!PQsendQuery(x->c, hb_sql(kind)))
        die("PQsendQuery", PQerrorMessage(x->c));
    int f = PQflush(x->c);
    if (f < 0)
        die("PQflush", PQerrorMessage(x->c));
    x->busy = 1;
    if (f != x->out || x->fd < 0) {
        x->out = f;
        watch(i, EPOLLIN | (f ? EPOLLOUT : 0));
    }
}

/* Opens all n connections at once: every PQconnectPoll step waits for
 * its socket in the one epoll loop. */
static void connect_all(int n)
{
    int pending = n;
    for (int i = 0; i < n; i++) {
        conns[i].c = PQconnectStart(getenv("GORO_TEST_PG"));
        conns[i].fd = -1;
        if (!conns[i].c || PQstatus(conns[i].c) == CONNECTION_BAD)
            die("PQconnectStart", conns[i].c ? PQerrorMessage(conns[i].c) : "no memory");
        watch(i, EPOLLOUT);
    }
    struct epoll_event evs[64];
    while (pending > 0) {
        int k = epoll_wait(ep, evs, 64, -1);
        for (int j = 0; j < k; j++) {
            int i = (int)evs[j].data.u32;
            switch (PQconnectPoll(conns[i].c)) {
            case PGRES_POLLING_READING: watch(i, EPOLLIN); break;
            case PGRES_POLLING_WRITING: watch(i, EPOLLOUT); break;
            case PGRES_POLLING_OK:
                if (PQsetnonblocking(conns[i].c, 1) != 0)
                    die("PQsetnonblocking", PQerrorMessage(conns[i].c));
                watch(i, EPOLLIN);
                pending--;
                break;
            default: die("PQconnectPoll", PQerrorMessage(conns[i].c));
            }
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "pg") && strcmp(argv[1], "pgrow")))
        die("usage", "bench_hook_async pg|pgrow N SECONDS");
    kind = hb_kind(argv[1]);
    int n = atoi(argv[2]);
    double seconds = atof(argv[3]);
    hb_nofile();
    ep = epoll_create1(EPOLL_CLOEXEC);
    conns = calloc((size_t)n, sizeof *conns);
    if (ep < 0 || !conns)
        die("setup", strerror(errno));
    connect_all(n);

    double t0 = now(), c0 = cpu(), sampled = 0;
    int max_threads = 0, inflight = n, stop = 0;
    long queries = 0;
    for (int i = 0; i < n; i++)
        send_query(i);
    struct epoll_event evs[256];
    while (inflight > 0) {
        int k = epoll_wait(ep, evs, 256, 100);
        for (int j = 0; j < k; j++) {
            int i = (int)evs[j].data.u32;
            conn *x = &conns[i];
            if (x->out && (evs[j].events & EPOLLOUT)) {
                int f = PQflush(x->c);
                if (f < 0)
                    die("PQflush", PQerrorMessage(x->c));
                if (!f) {
                    x->out = 0;
                    watch(i, EPOLLIN);
                }
            }
            if (!(evs[j].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                continue;
            if (!PQconsumeInput(x->c))
                die("PQconsumeInput", PQerrorMessage(x->c));
            while (x->busy && !PQisBusy(x->c)) {
                PGresult *r = PQgetResult(x->c);
                if (r) {   /* the query's one result; NULL follows */
                    if (!hb_pg_ok(kind, r))
                        die("PQgetResult", PQerrorMessage(x->c));
                    PQclear(r);
                    continue;
                }
                x->busy = 0;
                queries++;
                if (stop)
                    inflight--;
                else
                    send_query(i);
            }
        }
        double t = now();
        if (t - sampled >= 0.01) {
            sampled = t;
            int th = threads();
            if (th > max_threads)
                max_threads = th;
        }
        stop = t - t0 >= seconds;
    }
    hb_report(argv[1], "async", 0, n, queries, t0, c0, max_threads);
    for (int i = 0; i < n; i++)
        PQfinish(conns[i].c);
    return 0;
}
