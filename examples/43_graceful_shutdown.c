/* SPDX-License-Identifier: MIT */
/*
 * 43_graceful_shutdown.c: graceful shutdown on SIGTERM or SIGINT, Go's
 *
 *     ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
 *     defer stop()
 *     go srv.Serve(ln)
 *     <-ctx.Done()
 *     srv.Shutdown(context.Background())   // stop accepting, drain, return
 *
 * A small HTTP-like server on 127.0.0.1: one goroutine per connection reads
 * a request line, answers the status line at once, works 200 ms, then
 * sends the body and closes. On the signal main stops accepting (closing
 * the listener ends the accept loop), waits for every connection in
 * flight to be answered, and exits 0.
 *
 * `43_graceful_shutdown serve` prints "listening on PORT" and serves until
 * a signal (tests/test_shutdown.c drives it from another process). With
 * no argument it is its own client: 20 goroutines each send one request,
 * and once every request is being served the program sends itself
 * SIGTERM; each client checks that its answer came whole.
 */
#include <goro.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CLIENTS 20

static goro_waitgroup conns;           /* connections in flight */
static _Atomic int served, started;

static void handle(void *arg)          /* one connection, one request */
{
    int fd = (int)(intptr_t)arg;
    char req[256], resp[300];
    ssize_t n = goro_read(fd, req, sizeof req - 1);
    if (n > 0) {
        req[n] = 0;
        req[strcspn(req, "\r\n")] = 0;
        atomic_fetch_add(&started, 1);
        goro_write(fd, "HTTP/1.0 200 OK\n", 16);
        goro_sleep(200 * GORO_MILLISECOND);   /* the work */
        int len = snprintf(resp, sizeof resp, "done: %s\n", req);
        if (goro_write(fd, resp, (size_t)len) == len)
            atomic_fetch_add(&served, 1);
    }
    goro_close(fd);
    goro_waitgroup_done(&conns);
}

static void serve(void *arg)           /* srv.Serve(ln) */
{
    int ln = (int)(intptr_t)arg;
    for (;;) {
        int fd = goro_accept(ln, NULL, NULL);
        if (fd < 0)
            return;                    /* -EBADF: the listener was closed */
        goro_waitgroup_add(&conns, 1);
        if (goro_go(handle, (void *)(intptr_t)fd) != 0) {
            goro_close(fd);
            goro_waitgroup_done(&conns);
        }
    }
}

/* ---- the demo's own client ---- */

static int port;
static _Atomic int answered;

static void client(void *arg)
{
    int id = (int)(intptr_t)arg;
    int fd = goro_dial_tcp("127.0.0.1", port, goro_now() + 5 * GORO_SECOND);
    if (fd < 0)
        return;
    char req[32], want[64], got[128] = "";
    int len = snprintf(req, sizeof req, "GET /%d\n", id);
    snprintf(want, sizeof want, "HTTP/1.0 200 OK\ndone: GET /%d\n", id);
    goro_write(fd, req, (size_t)len);
    size_t n = 0;
    ssize_t r;
    while (n < sizeof got - 1 && (r = goro_read(fd, got + n, sizeof got - 1 - n)) > 0)
        n += (size_t)r;
    got[n] = 0;
    if (strcmp(got, want) == 0)
        atomic_fetch_add(&answered, 1);
    goro_close(fd);
}

static void demo_clients(void *arg)
{
    (void)arg;
    goro_waitgroup wg = {0};
    for (int i = 0; i < CLIENTS; i++)
        goro_waitgroup_go(&wg, client, (void *)(intptr_t)i);
    while (atomic_load(&started) < CLIENTS)
        goro_sleep(GORO_MILLISECOND);
    printf("%d requests in flight; sending SIGTERM\n", CLIENTS);
    kill(getpid(), SIGTERM);
    goro_waitgroup_wait(&wg);
}

int main(int argc, char **argv)
{
    bool demo = argc < 2 || strcmp(argv[1], "serve") != 0;
    int sigs[] = { SIGINT, SIGTERM };
    goro_ctx *ctx = goro_ctx_with_signals(goro_ctx_background(), sigs, 2);
    int ln = goro_listen_tcp("127.0.0.1", 0, 0);
    if (!ctx || ln < 0) {
        fprintf(stderr, "setup failed: %s\n", goro_strerror(ln));
        return 1;
    }
    struct sockaddr_in sa;
    socklen_t salen = sizeof sa;
    getsockname(ln, (struct sockaddr *)&sa, &salen);
    port = ntohs(sa.sin_port);
    printf("listening on %d\n", port);
    fflush(stdout);

    goro_waitgroup server = {0}, clients = {0};
    goro_waitgroup_go(&server, serve, (void *)(intptr_t)ln);
    if (demo)
        goro_waitgroup_go(&clients, demo_clients, NULL);

    goro_chan_recv(goro_ctx_done(ctx), NULL);       /* <-ctx.Done() */
    printf("signal %d: shutting down\n", goro_ctx_cause(ctx));
    goro_close(ln);                                  /* stop accepting */
    goro_waitgroup_wait(&server);
    goro_waitgroup_wait(&conns);                     /* drain */
    printf("served %d requests\n", atomic_load(&served));
    goro_ctx_cancel(ctx);                            /* stop() */
    goro_ctx_release(ctx);
    if (demo) {
        goro_waitgroup_wait(&clients);
        printf("%d of %d clients got their whole answer\n", atomic_load(&answered), CLIENTS);
        return atomic_load(&answered) == CLIENTS ? 0 : 1;
    }
    return 0;
}
