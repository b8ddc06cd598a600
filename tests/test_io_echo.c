/* SPDX-License-Identifier: MIT */
/*
 * test_io_echo.c: 10,000 concurrent loopback TCP connections (500 in
 * GORO_TEST_SLOW builds), every byte echoed back intact.
 *
 * The server (this process) accepts in one goroutine and serves each
 * connection in its own: it reads a 4-byte length, echoes that many bytes
 * as they come, and closes (so TIME_WAIT lands on the server's port, not
 * on the client's ephemeral ports). The client is this program re-run as
 * a child (the two ends of 10,000 connections would need more fds than
 * one process may have): one goroutine per connection dials, waits until
 * every connection is open, sends its length and a pseudo-random payload
 * of its own size in chunks, reads the echo, checks it byte for byte, and
 * reads end of file. Both raise RLIMIT_NOFILE's soft limit to the hard one
 * and use fewer connections if even that is too low. Loopback only.
 */
// ctest-labels: io
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

static uint8_t pattern(uint64_t conn, uint64_t i)
{
    uint64_t x = (conn + 1) * 0x9e3779b97f4a7c15ull + i * 0xbf58476d1ce4e5b9ull;
    x ^= x >> 29;
    return (uint8_t)(x * 0x94d049bb133111ebull >> 56);
}

static long payload_len(int conn)
{
    return 1 + (conn * 7919L) % 3000;   /* 1 .. 3000 bytes */
}

static int raise_nofile(int want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    int have = rl.rlim_cur > 1 << 30 ? 1 << 30 : (int)rl.rlim_cur;
    return want < have - 64 ? want : have - 64;
}

static int read_full(int fd, void *buf, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t r = goro_read(fd, (char *)buf + off, n - off);
        if (r <= 0)
            return r == 0 ? -1 : (int)r;
        off += (size_t)r;
    }
    return 0;
}

/* ---- server ---- */

static _Atomic long served;

static void serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    uint32_t len;
    if (read_full(fd, &len, sizeof len) == 0) {
        char buf[1024];
        long left = len;
        while (left > 0) {
            ssize_t r = goro_read(fd, buf, left < (long)sizeof buf ? (size_t)left : sizeof buf);
            if (r <= 0)
                break;
            CHECK_EQ(goro_write(fd, buf, (size_t)r), r);
            left -= r;
        }
        if (left == 0)
            atomic_fetch_add(&served, 1);
    }
    goro_close(fd);
}

struct server {
    int ls;
    int n;
};

static void acceptor(void *arg)
{
    struct server *s = arg;
    for (int i = 0; i < s->n; i++) {
        int c = goro_accept(s->ls, NULL, NULL);
        CHECK(c >= 0);
        CHECK(goro_go(serve, (void *)(intptr_t)c) == 0);
    }
}

/* ---- client (the child) ---- */

static int port, nconn;
static goro_waitgroup all_open;
static _Atomic long verified;

static void client(void *arg)
{
    int id = (int)(intptr_t)arg;
    int fd = goro_dial_tcp("127.0.0.1", port, goro_now() + 60 * GORO_SECOND);
    if (fd < 0) {
        fprintf(stderr, "client %d: dial: %s\n", id, goro_strerror(fd));
        exit(1);
    }
    goro_waitgroup_done(&all_open);
    goro_waitgroup_wait(&all_open);   /* every connection is open now */
    uint32_t len = (uint32_t)payload_len(id);
    uint8_t out[3000], in[3000];
    for (uint32_t i = 0; i < len; i++)
        out[i] = pattern((uint64_t)id, i);
    CHECK_EQ(goro_write(fd, &len, sizeof len), (long)sizeof len);
    uint32_t chunk = 1 + (uint32_t)id % 700, off = 0;
    while (off < len) {
        uint32_t k = len - off < chunk ? len - off : chunk;
        CHECK_EQ(goro_write(fd, out + off, k), (long)k);
        off += k;
    }
    CHECK_EQ(read_full(fd, in, len), 0);
    CHECK(memcmp(in, out, len) == 0);
    char c;
    CHECK_EQ(goro_read(fd, &c, 1), 0);   /* the server closed */
    CHECK_EQ(goro_close(fd), 0);
    atomic_fetch_add(&verified, 1);
}

static void client_main(void *arg)
{
    (void)arg;
    goro_waitgroup wg = {0};
    goro_waitgroup_add(&all_open, nconn);
    for (int i = 0; i < nconn; i++)
        CHECK(goro_waitgroup_go(&wg, client, (void *)(intptr_t)i) == 0);
    goro_waitgroup_wait(&wg);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "client") == 0) {
        port = atoi(argv[2]);
        nconn = atoi(argv[3]);
        CHECK(raise_nofile(nconn) == nconn);
        run_main(client_main, NULL);
        CHECK_EQ(atomic_load(&verified), nconn);
        return 0;
    }
    int n = raise_nofile((int)scaled(10000, 20));
    CHECK(n > 0);
    struct server s = { goro_listen_tcp("127.0.0.1", 0, 0), n };
    CHECK(s.ls >= 0);
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    CHECK(getsockname(s.ls, (struct sockaddr *)&a, &al) == 0);
    goro_waitgroup wg = {0};
    CHECK(goro_waitgroup_go(&wg, acceptor, &s) == 0);

    char self[4096], ps[16], ns[16];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(len > 0);
    self[len] = 0;
    snprintf(ps, sizeof ps, "%d", ntohs(a.sin_port));
    snprintf(ns, sizeof ns, "%d", n);
    int64_t t0 = goro_now();
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execl(self, self, "client", ps, ns, (char *)NULL);
        _exit(3);
    }
    goro_waitgroup_wait(&wg);          /* all accepted */
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    int64_t give_up = goro_now() + 30 * GORO_SECOND;
    while (atomic_load(&served) < n && goro_now() < give_up)
        goro_sleep(GORO_MILLISECOND);
    CHECK_EQ(atomic_load(&served), n);
    printf("%d concurrent connections echoed intact in %.0f ms\n", n,
           (goro_now() - t0) / 1e6);
    goro_close(s.ls);
    TEST_PASS("test_io_echo");
}
