/* SPDX-License-Identifier: MIT */
/*
 * 40_fetch_url.c: mirrors the Go tour's "Using channels for results"
 * program: fetchURL(url, ch) does an HTTP GET and sends "url -> status" (or
 * "error: ...") on a result channel; main starts one goroutine per URL and
 * prints one result per URL, in the order they finish.
 *
 * The Go original fetches example.com and httpbin.org; this program never
 * leaves the machine: it first starts a tiny HTTP/1.0 server, written with
 * goro, on 127.0.0.1 (a free port), which answers "/" and "/get" with 200 and
 * "/status/404" with 404, and fetches from that. Each connection the
 * server accepts is served by its own goroutine; each fetch is a goroutine
 * that parks in goro_dial_tcp / goro_write / goro_read while the others
 * run. Output order varies from run to run, as in Go.
 */
#include <goro.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- the server ---- */

static void serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char req[2048];
    size_t n = 0;
    /* Read the request head (up to the blank line). */
    while (n < sizeof req - 1) {
        ssize_t r = goro_read(fd, req + n, sizeof req - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        req[n] = 0;
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    req[n] = 0;
    char path[256] = "";
    sscanf(req, "GET %255s", path);
    int status = strcmp(path, "/") == 0 || strcmp(path, "/get") == 0 ? 200
               : strncmp(path, "/status/", 8) == 0 ? atoi(path + 8) : 404;
    if (status < 100 || status > 599)
        status = 400;
    char body[128], resp[512];
    int blen = snprintf(body, sizeof body, "{\"path\": \"%s\"}\n", path);
    int rlen = snprintf(resp, sizeof resp,
                        "HTTP/1.0 %d %s\r\nContent-Type: application/json\r\n"
                        "Content-Length: %d\r\n\r\n%s",
                        status, status == 200 ? "OK" : "Not OK", blen, body);
    goro_write(fd, resp, (size_t)rlen);
    goro_close(fd);
}

static void server(void *arg)
{
    int ls = *(int *)arg;
    for (;;) {
        int c = goro_accept(ls, NULL, NULL);
        if (c < 0)
            return;   /* the listener was closed: shut down */
        goro_go(serve_conn, (void *)(intptr_t)c);
    }
}

/* ---- the client: fetchURL ---- */

struct fetch {
    const char *url;
    goro_chan *ch;   /* chan<- string: results are fixed-size strings */
};

typedef struct { char s[160]; } result;

/* GET http://host:port/path; returns the status code or a negative code. */
static int http_get(const char *url)
{
    char host[64];
    int port;
    char path[128] = "/";
    if (sscanf(url, "http://%63[^:/]:%d%127s", host, &port, path) < 2)
        return GORO_EINVAL;
    int fd = goro_dial_tcp(host, port, goro_now() + 5 * GORO_SECOND);
    if (fd < 0)
        return fd;
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
    int status = GORO_EINVAL;
    if (goro_write(fd, req, (size_t)n) == n) {
        char resp[1024];
        size_t got = 0;
        ssize_t r;
        while (got < sizeof resp - 1 &&
               (r = goro_read_until(fd, resp + got, sizeof resp - 1 - got,
                                    goro_now() + 5 * GORO_SECOND)) > 0)
            got += (size_t)r;          /* HTTP/1.0: the server closes at the end */
        resp[got] = 0;
        if (sscanf(resp, "HTTP/%*s %d", &status) != 1)
            status = GORO_EINVAL;
    }
    goro_close(fd);
    return status;
}

static void fetch_url(void *arg)
{
    struct fetch *f = arg;
    result res;
    int status = http_get(f->url);
    if (status < 0)
        snprintf(res.s, sizeof res.s, "error: %s", goro_strerror(status));
    else
        snprintf(res.s, sizeof res.s, "%s -> %d", f->url, status);
    goro_chan_send(f->ch, &res);   /* ch <- result */
}

int main(void)
{
    int ls = goro_listen_tcp("127.0.0.1", 0, 0);
    if (ls < 0) {
        fprintf(stderr, "listen: %s\n", goro_strerror(ls));
        return 1;
    }
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    getsockname(ls, (struct sockaddr *)&a, &al);
    goro_waitgroup srv = {0};
    goro_waitgroup_go(&srv, server, &ls);

    char urls[3][64];
    const char *paths[3] = { "/", "/get", "/status/404" };
    for (int i = 0; i < 3; i++)
        snprintf(urls[i], sizeof urls[i], "http://127.0.0.1:%d%s", ntohs(a.sin_port), paths[i]);

    goro_chan *ch = goro_chan_make(sizeof(result), 0);   /* ch := make(chan string) */
    struct fetch f[3];
    for (int i = 0; i < 3; i++) {                        /* for _, url := range urls */
        f[i] = (struct fetch){ urls[i], ch };
        goro_go(fetch_url, &f[i]);                       /*     go fetchURL(url, ch) */
    }
    for (int i = 0; i < 3; i++) {                        /* for range urls */
        result r;
        goro_chan_recv(ch, &r);                          /*     fmt.Println(<-ch) */
        printf("%s\n", r.s);
    }
    goro_close(ls);             /* the server's accept fails: it returns */
    goro_waitgroup_wait(&srv);
    goro_chan_release(ch);
    return 0;
}
