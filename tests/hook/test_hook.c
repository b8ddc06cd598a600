// SPDX-License-Identifier: MIT
// test_hook.c: libgoro-hook's interposed calls in goroutines and in plain
// threads: pipes and socketpairs, EOF, partial reads, the program's own
// O_NONBLOCK, SO_RCVTIMEO, poll on one fd and over several, select, epoll_wait,
// sleeps, regular files, close and dup2; and that a goroutine blocked in
// read() leaves its P to the others (GOMAXPROCS 1).
// ctest-labels: hook
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "goro.h"
#include "goro_hook.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); abort(); } } while (0)

static _Atomic int counter;

/* errno of the current thread: a goroutine may resume on another thread,
 * and the compiler may keep errno's address across calls (hacking.md). */
static __attribute__((noinline)) int err(void)
{
    __asm__ volatile("" ::: "memory");
    return errno;
}

/* A goroutine that counts while the others block in libc calls. */
static void ticker(void *arg)
{
    _Atomic int *stop = arg;
    while (!*stop) {
        counter++;
        goro_yield();
    }
}

static goro_waitgroup writers = GORO_WAITGROUP_INIT;

static void writer_later(void *arg)
{
    int fd = (int)(intptr_t)arg;
    goro_sleep(20 * GORO_MILLISECOND);
    CHECK(write(fd, "hello", 5) == 5);
    goro_waitgroup_done(&writers);
}

/* The semantics, run both in a goroutine and on a plain thread. */
static void semantics(void)
{
    int p[2];
    char buf[64];
    CHECK(pipe(p) == 0);

    /* a blocking read waits for the writer; partial read; EOF */
    if (goro_in_goroutine()) {
        goro_waitgroup_add(&writers, 1);
        CHECK(goro_go(writer_later, (void *)(intptr_t)p[1]) == 0);
    }
    else
        CHECK(write(p[1], "hello", 5) == 5);
    CHECK(read(p[0], buf, 3) == 3 && memcmp(buf, "hel", 3) == 0);
    CHECK(read(p[0], buf, sizeof buf) == 2 && memcmp(buf, "lo", 2) == 0);
    goro_waitgroup_wait(&writers);   /* TSan orders the pipe's ends only through this */
    /* the program's view of O_NONBLOCK is its own */
    CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
    CHECK(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK) == 0);
    CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
    CHECK(read(p[0], buf, 1) == -1 && err() == EAGAIN);
    int off = 0;
    CHECK(ioctl(p[0], FIONBIO, &off) == 0);
    CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
    CHECK(close(p[1]) == 0);
    CHECK(read(p[0], buf, 1) == 0);
    CHECK(close(p[0]) == 0);

    /* SO_RCVTIMEO: EAGAIN after the timeout, about on time */
    int s[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
    struct timeval tv = { 0, 30000 };
    CHECK(setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    int64_t t0 = goro_now();
    CHECK(recv(s[0], buf, 1, 0) == -1 && (err() == EAGAIN || err() == EWOULDBLOCK));
    CHECK(goro_now() - t0 >= 25 * GORO_MILLISECOND);
    /* send/recv, readv/writev, sendmsg/recvmsg */
    CHECK(send(s[1], "ab", 2, 0) == 2);
    CHECK(recv(s[0], buf, sizeof buf, 0) == 2);
    struct iovec iv[2] = { { "cd", 2 }, { "ef", 2 } };
    CHECK(writev(s[1], iv, 2) == 4);
    char b1[2], b2[8];
    struct iovec ov[2] = { { b1, 2 }, { b2, 8 } };
    CHECK(readv(s[0], ov, 2) == 4 && memcmp(b1, "cd", 2) == 0 && memcmp(b2, "ef", 2) == 0);
    struct msghdr m = { .msg_iov = iv, .msg_iovlen = 1 };
    CHECK(sendmsg(s[1], &m, 0) == 2);
    struct msghdr mr = { .msg_iov = ov, .msg_iovlen = 1 };
    CHECK(recvmsg(s[0], &mr, 0) == 2 && memcmp(b1, "cd", 2) == 0);

    /* poll over several fds: timeout, then the one that is ready */
    int q[2];
    CHECK(pipe(q) == 0);
    struct pollfd pf[2] = { { s[0], POLLIN, 0 }, { q[0], POLLIN, 0 } };
    t0 = goro_now();
    CHECK(poll(pf, 2, 20) == 0);
    CHECK(goro_now() - t0 >= 15 * GORO_MILLISECOND);
    CHECK(write(q[1], "x", 1) == 1);
    CHECK(poll(pf, 2, -1) == 1 && pf[1].revents == POLLIN && pf[0].revents == 0);
    /* poll on one fd (libpq's and hiredis's wait): revents as poll(2)
     * gives them, at once and after a park; a timeout clears them; a
     * closed fd is POLLNVAL */
    struct pollfd one = { s[0], POLLIN | POLLOUT | POLLERR, 0x55 };
    CHECK(poll(&one, 1, -1) == 1 && one.revents == POLLOUT);
    one = (struct pollfd){ s[0], POLLIN, 0x55 };
    CHECK(poll(&one, 1, 10) == 0 && one.revents == 0);
    if (goro_in_goroutine()) {
        goro_waitgroup_add(&writers, 1);
        CHECK(goro_go(writer_later, (void *)(intptr_t)s[1]) == 0);
    }
    else
        CHECK(write(s[1], "hello", 5) == 5);
    one.revents = 0x55;
    CHECK(poll(&one, 1, 5000) == 1 && one.revents == POLLIN);
    goro_waitgroup_wait(&writers);
    CHECK(recv(s[0], buf, sizeof buf, 0) == 5);
    struct pollfd nv = { 1000000, POLLIN, 0 };   /* a number nothing has open */
    CHECK(poll(&nv, 1, 10) == 1 && nv.revents == POLLNVAL);
    /* select */
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(s[0], &rs);
    FD_SET(q[0], &rs);
    struct timeval st = { 1, 0 };
    CHECK(select((s[0] > q[0] ? s[0] : q[0]) + 1, &rs, NULL, NULL, &st) == 1);
    CHECK(FD_ISSET(q[0], &rs) && !FD_ISSET(s[0], &rs));
    FD_ZERO(&rs);
    FD_SET(s[0], &rs);
    st = (struct timeval){ 0, 10000 };
    CHECK(select(s[0] + 1, &rs, NULL, NULL, &st) == 0 && !FD_ISSET(s[0], &rs));
    /* epoll_wait on the program's epoll fd */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = q[0] }, out[4];
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev) == 0);
    CHECK(epoll_wait(ep, out, 4, -1) == 1 && out[0].data.fd == q[0]);
    CHECK(read(q[0], buf, 1) == 1);
    CHECK(epoll_wait(ep, out, 4, 10) == 0);
    CHECK(close(ep) == 0);

    /* dup2 over a used fd, then the old number works as the new file */
    CHECK(dup2(s[1], q[1]) == q[1]);
    CHECK(write(q[1], "z", 1) == 1);
    CHECK(read(s[0], buf, 1) == 1 && buf[0] == 'z');
    close(q[0]);
    close(q[1]);
    close(s[0]);
    close(s[1]);

    /* sleeps */
    t0 = goro_now();
    struct timespec ts = { 0, 10 * 1000000 };
    CHECK(nanosleep(&ts, NULL) == 0);
    CHECK(usleep(10000) == 0);
    CHECK(goro_now() - t0 >= 18 * GORO_MILLISECOND);

    /* a regular file through the hand-off */
    char path[] = "/tmp/goro-hook-XXXXXX";
    int f = mkstemp(path);
    CHECK(f >= 0);
    unlink(path);
    CHECK(write(f, "file", 4) == 4);
    CHECK(lseek(f, 0, SEEK_SET) == 0);
    CHECK(read(f, buf, sizeof buf) == 4 && memcmp(buf, "file", 4) == 0);
    CHECK(close(f) == 0);
    CHECK(read(-1, buf, 1) == -1 && err() == EBADF);
}

static void g_semantics(void *arg)
{
    semantics();
    goro_waitgroup_done(arg);
}

static void *t_semantics(void *arg)
{
    (void)arg;
    CHECK(!goro_in_goroutine());
    semantics();
    return NULL;
}

/* Goroutines blocked in read() on pipes while a ticker keeps running. */
static goro_waitgroup readers = GORO_WAITGROUP_INIT;

static void blocked_reader(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c;
    CHECK(read(fd, &c, 1) == 1 && c == 'r');
    goro_waitgroup_done(&readers);
}

int main(void)
{
    CHECK(goro_hook_active());
    CHECK(!goro_in_goroutine());

    goro_waitgroup wg = GORO_WAITGROUP_INIT;
    goro_waitgroup_add(&wg, 1);
    CHECK(goro_go(g_semantics, &wg) == 0);
    goro_waitgroup_wait(&wg);

    pthread_t t;
    CHECK(pthread_create(&t, NULL, t_semantics, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);

    enum { N = 100 };
    int fds[N][2];
    static _Atomic int stop;   /* the ticker may read it after main returns */
    CHECK(goro_go(ticker, (void *)&stop) == 0);
    for (int i = 0; i < N; i++) {
        CHECK(pipe(fds[i]) == 0);
        goro_waitgroup_add(&readers, 1);
        CHECK(goro_go(blocked_reader, (void *)(intptr_t)fds[i][0]) == 0);
    }
    int c0 = counter;
    goro_sleep(30 * GORO_MILLISECOND);
    CHECK(counter > c0);   /* the ticker ran while 100 goroutines sat in read() */
    for (int i = 0; i < N; i++)
        CHECK(write(fds[i][1], "r", 1) == 1);
    goro_waitgroup_wait(&readers);
    stop = 1;
    for (int i = 0; i < N; i++) {
        close(fds[i][0]);
        close(fds[i][1]);
    }
    printf("test_hook: ok\n");
    return 0;
}
