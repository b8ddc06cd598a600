/* SPDX-License-Identifier: MIT */
// ctest-labels: signal
/*
 * test_shutdown: the graceful-shutdown example (examples/43_graceful_
 * shutdown.c, compiled into this program) as a server in a child process.
 * The parent opens 16 connections with plain blocking sockets, sends a
 * request on each and reads each status line (so every request is being
 * served), sends the child SIGTERM, then checks that every connection
 * still gets its whole answer, that the child exits 0 saying it served
 * all 16, and that new connections are refused once it stopped accepting.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "child.h"

#define main example_main
#include "../examples/43_graceful_shutdown.c"
#undef main

#define NCONN 16

static int dial(int p)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads until n bytes or end of file. */
static size_t read_all(int fd, char *buf, size_t n)
{
    size_t got = 0;
    ssize_t r;
    while (got < n && (r = read(fd, buf + got, n - got)) > 0)
        got += (size_t)r;
    buf[got] = 0;
    return got;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "serve")) {
        child_signal_to_relay(SIGTERM);
        return example_main(argc, argv);
    }
    child c;
    const char *args[] = { "serve", NULL };
    child_start(&c, args, NULL);
    CHECK(child_read_until(&c, "listening on ", 60000));
    CHECK(child_read_until(&c, "\n", 60000));
    int p = 0;
    CHECK(sscanf(strstr(c.out, "listening on "), "listening on %d", &p) == 1);

    int fds[NCONN];
    for (int i = 0; i < NCONN; i++) {
        fds[i] = dial(p);
        CHECK(fds[i] >= 0);
        char req[32];
        int len = snprintf(req, sizeof req, "GET /%d\n", i);
        CHECK_EQ(write(fds[i], req, (size_t)len), len);
    }
    for (int i = 0; i < NCONN; i++) {
        char line[17];
        CHECK_EQ(read_all(fds[i], line, 16), 16);
        CHECK(!strcmp(line, "HTTP/1.0 200 OK\n"));
    }
    CHECK_EQ(kill(c.pid, SIGTERM), 0);
    for (int i = 0; i < NCONN; i++) {
        char body[64], want[64];
        snprintf(want, sizeof want, "done: GET /%d\n", i);
        read_all(fds[i], body, sizeof body - 1);
        if (strcmp(body, want) != 0) {
            fprintf(stderr, "connection %d: got \"%s\", want \"%s\"\n", i, body, want);
            return 1;
        }
        close(fds[i]);
    }
    int st = child_finish(&c);
    char served_line[64];
    snprintf(served_line, sizeof served_line, "served %d requests\n", NCONN);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !strstr(c.out, served_line) ||
            !strstr(c.out, "signal 15: shutting down\n")) {
        fprintf(stderr, "server: status %#x, output:\n%s\n", st, c.out);
        return 1;
    }
    CHECK(dial(p) < 0);   /* nobody listens any more */
    TEST_PASS("test_shutdown");
}
