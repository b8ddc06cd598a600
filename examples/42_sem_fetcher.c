/* SPDX-License-Identifier: MIT */
/*
 * 42_sem_fetcher.c: mirrors the Go tour's "Buffered channels as
 * semaphores" program: 50 URLs, one goroutine each, and a buffered channel
 * of capacity 10 used as a semaphore, so that at most 10 fetches run at
 * once (sem <- struct{}{} to acquire a slot, <-sem to release it).
 *
 * Where the Go original only prints "fetching", this one really fetches, from
 * a small HTTP server started in the same program on 127.0.0.1 (never the
 * network). The server counts the requests in flight and reports the
 * highest it saw: 10, never more.
 */
#include <goro.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static _Atomic int in_flight, max_in_flight;

/* Answers one request after 20 ms (a slow backend), counting concurrency. */
static void serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char req[1024];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof req - 1 && (r = goro_read(fd, req + n, sizeof req - 1 - n)) > 0) {
        n += (size_t)r;
        req[n] = 0;
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    int now = atomic_fetch_add(&in_flight, 1) + 1;
    int seen = atomic_load(&max_in_flight);
    while (now > seen && !atomic_compare_exchange_weak(&max_in_flight, &seen, now))
        ;
    goro_sleep(20 * GORO_MILLISECOND);
    atomic_fetch_sub(&in_flight, 1);
    const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
    goro_write(fd, resp, sizeof resp - 1);
    goro_close(fd);
}

static void server(void *arg)
{
    int ls = *(int *)arg;
    int c;
    while ((c = goro_accept(ls, NULL, NULL)) >= 0)
        goro_go(serve_conn, (void *)(intptr_t)c);
}

struct job {
    char url[64];
    int port;
    goro_chan *sem;      /* chan struct{}, capacity 10 */
    goro_waitgroup *wg;
};

static int fetch(const char *url, int port)
{
    int fd = goro_dial_tcp("127.0.0.1", port, goro_now() + 5 * GORO_SECOND);
    if (fd < 0)
        return fd;
    char req[128], resp[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", url + strlen("http://127.0.0.1:00000"));
    int status = -1;
    if (goro_write(fd, req, (size_t)n) == n) {
        size_t got = 0;
        ssize_t r;
        while (got < sizeof resp - 1 && (r = goro_read(fd, resp + got, sizeof resp - 1 - got)) > 0)
            got += (size_t)r;
        resp[got] = 0;
        sscanf(resp, "HTTP/%*s %d", &status);
    }
    goro_close(fd);
    return status;
}

static void worker(void *arg)
{
    struct job *j = arg;
    goro_chan_send(j->sem, NULL);                   /* sem <- struct{}{}  (acquire) */
    printf("fetching %s\n", j->url);                /* only 10 goroutines here at once */
    int status = fetch(j->url, j->port);
    if (status != 200)
        printf("%s: status %d\n", j->url, status);
    goro_chan_recv(j->sem, NULL);                   /* <-sem              (release) */
    goro_waitgroup_done(j->wg);                     /* defer wg.Done() */
}

int main(void)
{
    int ls = goro_listen_tcp("127.0.0.1", 0, 0);
    if (ls < 0)
        return 1;
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    getsockname(ls, (struct sockaddr *)&a, &al);
    int port = ntohs(a.sin_port);
    goro_waitgroup srv = {0};
    goro_waitgroup_go(&srv, server, &ls);

    static struct job jobs[50];                     /* urls := make([]string, 50) */
    goro_chan *sem = goro_chan_make(0, 10);         /* sem := make(chan struct{}, 10) */
    goro_waitgroup wg = {0};                        /* var wg sync.WaitGroup */
    for (int i = 0; i < 50; i++) {
        jobs[i] = (struct job){ .port = port, .sem = sem, .wg = &wg };
        /* a fixed-width port keeps the path at a known offset */
        snprintf(jobs[i].url, sizeof jobs[i].url, "http://127.0.0.1:%05d/%d", port, i);
        goro_waitgroup_add(&wg, 1);                 /* wg.Add(1) */
        goro_go(worker, &jobs[i]);                  /* go func(u string) { ... }(url) */
    }
    goro_waitgroup_wait(&wg);                       /* wg.Wait() */
    printf("at most %d requests were in flight at once\n", atomic_load(&max_in_flight));
    goro_close(ls);
    goro_waitgroup_wait(&srv);
    goro_chan_release(sem);
    return atomic_load(&max_in_flight) <= 10 ? 0 : 1;
}
