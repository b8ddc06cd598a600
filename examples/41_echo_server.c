/* SPDX-License-Identifier: MIT */
/*
 * 41_echo_server.c: a TCP echo server, one goroutine per connection (Go's
 * classic net.Listen / Accept / go handle(conn) server), serving 10,000
 * concurrent connections on 127.0.0.1 in a bounded demo run.
 *
 * The load comes from a second process: main listens, then forks before
 * any goro call (so the child starts a runtime of its own; fork after
 * threads exist is best avoided). The child opens N connections (default
 * 10,000; argv[1] overrides) from N goroutines, waits until all are open,
 * then each sends a message, reads the echo, checks it and closes. The
 * server echoes until end of file, counts, and stops after N connections.
 * Both processes raise their open-file limit to the hard limit first (and
 * use fewer connections if that is too low).
 *
 *     handle(conn): for { n, err := conn.Read(buf); ...; conn.Write(buf[:n]) }
 */
#include <goro.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static _Atomic long conns_served, bytes_echoed;

static void handle(void *arg)                    /* go handle(conn) */
{
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    ssize_t n;
    while ((n = goro_read(fd, buf, sizeof buf)) > 0) {
        if (goro_write(fd, buf, (size_t)n) != n)
            break;
        atomic_fetch_add(&bytes_echoed, n);
    }
    goro_close(fd);
    atomic_fetch_add(&conns_served, 1);
}

/* ---- the load, in the child process ---- */

static int port, nconn;
static goro_waitgroup all_open;
static _Atomic long ok;

static void client(void *arg)
{
    int id = (int)(intptr_t)arg;
    int fd = goro_dial_tcp("127.0.0.1", port, goro_now() + 30 * GORO_SECOND);
    goro_waitgroup_done(&all_open);
    goro_waitgroup_wait(&all_open);               /* all connections open at once */
    if (fd < 0)
        return;
    char msg[64], back[64];
    int n = snprintf(msg, sizeof msg, "hello from client %d", id);
    if (goro_write(fd, msg, (size_t)n) == n) {
        int got = 0;
        ssize_t r;
        while (got < n && (r = goro_read(fd, back + got, (size_t)(n - got))) > 0)
            got += (int)r;
        if (got == n && memcmp(msg, back, (size_t)n) == 0)
            atomic_fetch_add(&ok, 1);
    }
    goro_close(fd);
}

static int load(void)
{
    goro_waitgroup wg = {0};
    goro_waitgroup_add(&all_open, nconn);
    for (int i = 0; i < nconn; i++)
        goro_waitgroup_go(&wg, client, (void *)(intptr_t)i);
    goro_waitgroup_wait(&wg);
    printf("client: %ld of %d echoes correct\n", atomic_load(&ok), nconn);
    return atomic_load(&ok) == nconn ? 0 : 1;
}

static int fd_budget(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur > 1000000 ? 1000000 : (int)rl.rlim_cur - 64;
}

int main(int argc, char **argv)
{
    nconn = argc > 1 ? atoi(argv[1]) : 10000;
    int budget = fd_budget();
    if (nconn > budget) {
        printf("(open-file limit: %d connections instead of %d)\n", budget, nconn);
        nconn = budget;
    }
    if (nconn < 1)
        return 1;

    /* Listen before forking, with plain calls: no goro thread exists yet. */
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, SOMAXCONN) < 0 ||
        getsockname(ls, (struct sockaddr *)&a, &al) < 0) {
        perror("listen");
        return 1;
    }
    port = ntohs(a.sin_port);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        close(ls);
        int rc = load();
        fflush(stdout);
        _exit(rc);
    }

    int64_t t0 = goro_now();
    for (int i = 0; i < nconn; i++) {           /* for { conn, _ := ln.Accept() */
        int c = goro_accept(ls, NULL, NULL);
        if (c < 0) {
            fprintf(stderr, "accept: %s\n", goro_strerror(c));
            break;
        }
        goro_go(handle, (void *)(intptr_t)c);   /*       go handle(conn) } */
    }
    int st = 1;
    waitpid(pid, &st, 0);
    while (atomic_load(&conns_served) < nconn && goro_now() - t0 < 30 * GORO_SECOND)
        goro_sleep(GORO_MILLISECOND);
    printf("server: %ld connections served, %ld bytes echoed, in %.1f s\n",
           atomic_load(&conns_served), atomic_load(&bytes_echoed), (goro_now() - t0) / 1e9);
    goro_close(ls);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
