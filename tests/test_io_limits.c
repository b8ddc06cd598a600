/* SPDX-License-Identifier: MIT */
/*
 * test_io_limits.c: running out of file descriptors is reported cleanly.
 *  - the poller itself needs two fds (epoll, eventfd) at the first
 *    goroutine that must wait: with none left, that wait fails with
 *    -EMFILE, and works once fds are free again;
 *  - goro_dial_tcp and goro_listen_tcp return -EMFILE when socket() has
 *    no fd to give;
 *  - goro_accept returns -EMFILE while the table is full, the pending
 *    connection stays queued, and the next goro_accept after a close
 *    gets it;
 *  - nothing crashes or hangs, and everything works again afterwards.
 * RLIMIT_NOFILE's soft limit is lowered for the test. Loopback only.
 */
// ctest-labels: io
#include <errno.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "testutil.h"

static int fillers[4096];
static int nfill;

/* Opens fds until the table is full. */
static void fill(void)
{
    while (nfill < 4096) {
        int fd = dup(0);
        if (fd < 0) {
            CHECK(errno == EMFILE);
            return;
        }
        fillers[nfill++] = fd;
    }
    CHECK(!"could not fill the fd table");
}

static void unfill(int keep)
{
    while (nfill > keep)
        close(fillers[--nfill]);
}

static int port_of(int ls)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    CHECK(getsockname(ls, (struct sockaddr *)&a, &al) == 0);
    return ntohs(a.sin_port);
}

static void first_wait(void *arg)
{
    int fd = *(int *)arg;
    char c;
    fill();
    /* The first wait ever: the poller cannot be created. */
    CHECK_EQ(goro_read_until(fd, &c, 1, goro_now() + 10 * GORO_MILLISECOND), -EMFILE);
    unfill(0);
    CHECK_EQ(goro_read_until(fd, &c, 1, goro_now() + 10 * GORO_MILLISECOND), GORO_ETIMEDOUT);
}

static void sockets(void *arg)
{
    (void)arg;
    int ls = goro_listen_tcp("127.0.0.1", 0, 64);
    CHECK(ls >= 0);
    int port = port_of(ls);

    fill();
    CHECK_EQ(goro_dial_tcp("127.0.0.1", port, GORO_FOREVER), -EMFILE);
    CHECK_EQ(goro_listen_tcp("127.0.0.1", 0, 1), -EMFILE);
    unfill(nfill - 1);   /* room for exactly one more fd */
    int c = goro_dial_tcp("127.0.0.1", port, GORO_FOREVER);
    CHECK(c >= 0);
    /* The connection is queued, but accept has no fd to give it. (Under
     * Valgrind, which emulates the limit, the kernel's accept succeeds and
     * Valgrind closes the new fd: the connection is gone, not queued.) */
    CHECK_EQ(goro_accept(ls, NULL, NULL), -EMFILE);
    int r = goro_accept_until(ls, NULL, NULL, goro_now() + 5 * GORO_MILLISECOND);
    CHECK(r == -EMFILE || (under_valgrind() && r == GORO_ETIMEDOUT));
    unfill(nfill - 1);
    int s = goro_accept_until(ls, NULL, NULL, goro_now() + GORO_SECOND);
    if (s == GORO_ETIMEDOUT && under_valgrind()) {
        goro_close(c);
        c = goro_dial_tcp("127.0.0.1", port, GORO_FOREVER);
        CHECK(c >= 0);
        s = goro_accept(ls, NULL, NULL);
    }
    CHECK(s >= 0);
    CHECK_EQ(goro_write(c, "ping", 4), 4);
    char buf[4];
    CHECK_EQ(goro_read(s, buf, 4), 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    goro_close(s);
    goro_close(c);
    unfill(0);

    /* Everything works again: a few connections, echoed. */
    for (int i = 0; i < 10; i++) {
        c = goro_dial_tcp("127.0.0.1", port, GORO_FOREVER);
        CHECK(c >= 0);
        s = goro_accept(ls, NULL, NULL);
        CHECK(s >= 0);
        CHECK_EQ(goro_write(c, "x", 1), 1);
        CHECK_EQ(goro_read(s, buf, 1), 1);
        goro_close(s);
        goro_close(c);
    }
    goro_close(ls);
}

int main(void)
{
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    struct rlimit low = rl;
    low.rlim_cur = 256 < rl.rlim_cur ? 256 : rl.rlim_cur;
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);

    int fds[2];
    CHECK(pipe(fds) == 0);
    run_main(first_wait, &fds[0]);
    run_main(sockets, NULL);
    goro_close(fds[0]);
    goro_close(fds[1]);
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    TEST_PASS("test_io_limits");
}
