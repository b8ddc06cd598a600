/* SPDX-License-Identifier: MIT */
/*
 * test_io.c: goroutine-aware fd calls on the netpoller.
 *  - many goroutines stream data through many pipes and socketpairs, in
 *    chunks of every size, and every byte arrives intact and in order;
 *  - two goroutines waiting to read one fd both get data (no lost wakeup);
 *  - deadlines: read, write (full pipe), accept, fd_wait and an
 *    already-passed deadline return GORO_ETIMEDOUT; a connect that cannot
 *    complete (full backlog) times out too;
 *  - goro_close wakes goroutines parked on the fd (both directions, two
 *    readers) with -EBADF, and a plain thread's read within its slice;
 *  - end of file reads 0; a reset peer gives -ECONNRESET / -EPIPE, never
 *    SIGPIPE, for sockets and pipes;
 *  - TCP reads that stop short (urgent data; a queue emptied, then more
 *    data) never strand data (io.c's drained-read hint);
 *  - goro_dial_tcp / goro_listen_tcp on 127.0.0.1 and "localhost",
 *    -ECONNREFUSED for a closed port, GORO_EINVAL for a bad port;
 *  - plain threads (main) block in the same calls, with deadlines;
 *  - regular files go through the blocking-call path;
 *  - a timer that is due while an M sleeps in the poller still fires;
 *  - a runtime whose goroutines all wait on fds uses no CPU.
 * Loopback only.
 */
// ctest-labels: io
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "testutil.h"

static uint8_t pattern(uint64_t stream, uint64_t i)
{
    uint64_t x = (stream + 1) * 0x9e3779b97f4a7c15ull + i * 0xbf58476d1ce4e5b9ull;
    x ^= x >> 31;
    return (uint8_t)(x * 0x94d049bb133111ebull >> 56);
}

/* A loopback listener with the given backlog; its port in *port. */
static int listen_local(int backlog, int *port)
{
    int ls = goro_listen_tcp("127.0.0.1", 0, backlog);
    CHECK(ls >= 0);
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    CHECK(getsockname(ls, (struct sockaddr *)&a, &al) == 0);
    *port = ntohs(a.sin_port);
    return ls;
}

/* A connection to the listener ls on port: the dialled end in *c, the
 * accepted one in *s. */
static void connect_pair(int ls, int port, int *c, int *s)
{
    *c = goro_dial_tcp("127.0.0.1", port, GORO_FOREVER);
    CHECK(*c >= 0);
    *s = goro_accept(ls, NULL, NULL);
    CHECK(*s >= 0);
}

/* ---- streams: writer and reader goroutines over pipes / socketpairs ---- */

struct stream {
    int rfd, wfd;
    int id;
    long len;
    _Atomic int ok;
};

static void stream_writer(void *arg)
{
    struct stream *s = arg;
    uint8_t buf[4096];
    long off = 0;
    unsigned chunk = 1 + (unsigned)s->id % 3000;
    while (off < s->len) {
        long n = s->len - off < (long)chunk ? s->len - off : (long)chunk;
        for (long i = 0; i < n; i++)
            buf[i] = pattern((uint64_t)s->id, (uint64_t)(off + i));
        ssize_t w = goro_write(s->wfd, buf, (size_t)n);
        CHECK_EQ(w, n);
        off += n;
        chunk = chunk * 7 % 4000 + 1;
    }
    CHECK_EQ(goro_close(s->wfd), 0);
}

static void stream_reader(void *arg)
{
    struct stream *s = arg;
    uint8_t buf[3000];
    long off = 0;
    size_t want = 1 + (size_t)s->id % 2999;
    for (;;) {
        ssize_t r = goro_read(s->rfd, buf, want);
        CHECK(r >= 0);
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != pattern((uint64_t)s->id, (uint64_t)(off + i))) {
                fprintf(stderr, "stream %d: byte %ld wrong\n", s->id, off + i);
                exit(1);
            }
        off += r;
        want = want * 5 % 2999 + 1;
    }
    CHECK_EQ(off, s->len);
    CHECK_EQ(goro_close(s->rfd), 0);
    atomic_store(&s->ok, 1);
}

static void streams(void *arg)
{
    (void)arg;
    int n = (int)scaled(200, 10);
    long len = scaled(200000, 20);
    struct stream *ss = calloc((size_t)n, sizeof *ss);
    CHECK(ss);
    goro_waitgroup wg = {0};
    for (int i = 0; i < n; i++) {
        int fds[2];
        if (i % 2 == 0)
            CHECK(pipe(fds) == 0);
        else
            CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
        ss[i] = (struct stream){ .rfd = fds[0], .wfd = fds[1], .id = i, .len = len };
        CHECK(goro_waitgroup_go(&wg, stream_reader, &ss[i]) == 0);
        CHECK(goro_waitgroup_go(&wg, stream_writer, &ss[i]) == 0);
    }
    goro_waitgroup_wait(&wg);
    for (int i = 0; i < n; i++)
        CHECK(atomic_load(&ss[i].ok));
    free(ss);
    printf("streams: %d x %ld bytes intact\n", n, len);
}

/* ---- two readers on one fd ---- */

static _Atomic int got;

static void one_byte_reader(void *arg)
{
    int fd = *(int *)arg;
    char c;
    CHECK_EQ(goro_read(fd, &c, 1), 1);
    atomic_fetch_add(&got, 1);
}

static void two_readers(void *arg)
{
    (void)arg;
    int fds[2];
    CHECK(pipe(fds) == 0);
    for (int round = 0; round < 50; round++) {
        atomic_store(&got, 0);
        goro_waitgroup wg = {0};
        goro_waitgroup_go(&wg, one_byte_reader, &fds[0]);
        goro_waitgroup_go(&wg, one_byte_reader, &fds[0]);
        goro_sleep(round % 2 ? GORO_MILLISECOND : 0);   /* parked, or not yet */
        CHECK_EQ(goro_write(fds[1], "a", 1), 1);
        goro_sleep(round % 3 ? 100 * GORO_MICROSECOND : 0);
        CHECK_EQ(goro_write(fds[1], "b", 1), 1);
        goro_waitgroup_wait(&wg);
        CHECK_EQ(atomic_load(&got), 2);
    }
    goro_close(fds[0]);
    goro_close(fds[1]);
}

/* ---- deadlines ---- */

static void deadlines(void *arg)
{
    (void)arg;
    int fds[2];
    CHECK(pipe(fds) == 0);
    static char buf[65536];
    int64_t t0 = goro_now();
    CHECK_EQ(goro_read_until(fds[0], buf, 1, t0 + 20 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    int64_t el = goro_now() - t0;
    CHECK(el >= 20 * GORO_MILLISECOND);
    CHECK_EQ(goro_read_until(fds[0], buf, 1, goro_now() - 1), GORO_ETIMEDOUT);
    CHECK_EQ(goro_fd_wait(fds[0], POLLIN, goro_now() + 5 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    int r = goro_fd_wait(fds[1], POLLOUT, goro_now() + 5 * GORO_MILLISECOND);
    CHECK(r > 0 && (r & POLLOUT));
    /* Fill the pipe: a write then times out with a short count. */
    memset(buf, 'z', sizeof buf);
    long total = 0;
    for (;;) {
        ssize_t w = goro_write_until(fds[1], buf, sizeof buf, goro_now() + 10 * GORO_MILLISECOND);
        if (w == GORO_ETIMEDOUT)
            break;
        CHECK(w > 0);
        total += w;
        CHECK(total < 64 << 20);
    }
    CHECK(total > 0);
    /* Data is there: read succeeds at once, and fd_wait says so. */
    r = goro_fd_wait(fds[0], POLLIN, goro_now() + GORO_SECOND);
    CHECK(r > 0 && (r & POLLIN));
    CHECK(goro_read_until(fds[0], buf, 10, goro_now() + GORO_SECOND) > 0);
    goro_close(fds[0]);
    goro_close(fds[1]);

    int port;
    int ls = listen_local(1, &port);
    CHECK_EQ(goro_accept_until(ls, NULL, NULL, goro_now() + 10 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    /* Fill the backlog (nobody accepts), then a connect cannot finish. */
    int extra[16], nextra = 0, timed_out = 0;
    for (int i = 0; i < 16 && !timed_out; i++) {
        int c = goro_dial_tcp("127.0.0.1", port, goro_now() + 50 * GORO_MILLISECOND);
        if (c == GORO_ETIMEDOUT)
            timed_out = 1;
        else if (c >= 0)
            extra[nextra++] = c;
        else
            CHECK(c == GORO_ETIMEDOUT || c >= 0);
    }
    printf("connect to a full backlog: %s after %d connections\n",
           timed_out ? "timed out" : "never timed out", nextra);
    for (int i = 0; i < nextra; i++)
        goro_close(extra[i]);
    goro_close(ls);
}

/* ---- close while parked ---- */

static void expect_ebadf_read(void *arg)
{
    int fd = *(int *)arg;
    char c;
    CHECK_EQ(goro_read(fd, &c, 1), -EBADF);
}

static void expect_ebadf_read_deadline(void *arg)
{
    int fd = *(int *)arg;
    char c;
    CHECK_EQ(goro_read_until(fd, &c, 1, goro_now() + 10 * GORO_SECOND), -EBADF);
}

static void expect_ebadf_write(void *arg)
{
    int fd = *(int *)arg;
    static char big[1 << 20];
    ssize_t w = goro_write(fd, big, sizeof big);
    CHECK(w == -EBADF || (w > 0 && (size_t)w < sizeof big));
}

static void close_while_parked(void *arg)
{
    (void)arg;
    int sa[2], sb[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sa) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sb) == 0);
    int rfd = sa[0], wfd = sb[1];   /* nobody writes sa, nobody reads sb */
    goro_waitgroup wg = {0};
    goro_waitgroup_go(&wg, expect_ebadf_read, &rfd);
    goro_waitgroup_go(&wg, expect_ebadf_read_deadline, &rfd);
    goro_waitgroup_go(&wg, expect_ebadf_write, &wfd);
    goro_sleep(20 * GORO_MILLISECOND);   /* all three parked */
    CHECK_EQ(goro_close(rfd), 0);
    CHECK_EQ(goro_close(wfd), 0);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(goro_close(rfd), -EBADF);    /* already closed */
    goro_close(sa[1]);
    goro_close(sb[0]);
    char c;
    CHECK_EQ(goro_read(-1, &c, 1), -EBADF);
}

/* ---- EOF, resets, SIGPIPE ---- */

static void eof_and_reset(void *arg)
{
    (void)arg;
    int fds[2];
    CHECK(pipe(fds) == 0);
    CHECK_EQ(goro_write(fds[1], "hi", 2), 2);
    CHECK_EQ(goro_close(fds[1]), 0);
    char buf[16];
    CHECK_EQ(goro_read(fds[0], buf, sizeof buf), 2);
    CHECK_EQ(goro_read(fds[0], buf, sizeof buf), 0);
    goro_close(fds[0]);

    /* Pipe with no reader: -EPIPE, the process lives (SIGPIPE blocked). */
    CHECK(pipe(fds) == 0);
    goro_close(fds[0]);
    CHECK_EQ(goro_write(fds[1], "x", 1), -EPIPE);
    goro_close(fds[1]);

    /* TCP: the peer resets (SO_LINGER 0), reads see -ECONNRESET and
     * writes -EPIPE or -ECONNRESET. */
    int port, c, s;
    int ls = listen_local(16, &port);
    connect_pair(ls, port, &c, &s);
    struct linger lg = { 1, 0 };
    CHECK(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    CHECK_EQ(goro_close(s), 0);
    ssize_t r = goro_read(c, buf, sizeof buf);
    CHECK_EQ(r, -ECONNRESET);
    ssize_t w = 0;
    for (int i = 0; i < 10 && w >= 0; i++)
        w = goro_write(c, "data", 4);
    CHECK(w == -EPIPE || w == -ECONNRESET);
    goro_close(c);

    /* Orderly close: EOF, then writes fail without a signal. The name
     * goes through getaddrinfo (but not under Valgrind: glibc keeps the
     * resolver state of the M thread that called it in thread-local
     * storage Valgrind does not scan, and reports it lost). */
    c = goro_dial_tcp(under_valgrind() ? "127.0.0.1" : "localhost", port,
                      goro_now() + 5 * GORO_SECOND);
    CHECK(c >= 0);
    s = goro_accept(ls, NULL, NULL);
    CHECK(s >= 0);
    CHECK_EQ(goro_close(s), 0);
    CHECK_EQ(goro_recv(c, buf, sizeof buf, 0), 0);
    w = 0;
    for (int i = 0; i < 10 && w >= 0; i++) {
        w = goro_send(c, "data", 4, 0);
        goro_sleep(GORO_MILLISECOND);
    }
    CHECK(w == -EPIPE || w == -ECONNRESET);
    goro_close(c);
    goro_close(ls);

    /* A closed port; bad arguments. */
    ls = listen_local(1, &port);
    goro_close(ls);
    CHECK_EQ(goro_dial_tcp("127.0.0.1", port, GORO_FOREVER), -ECONNREFUSED);
    CHECK_EQ(goro_dial_tcp("127.0.0.1", 70000, GORO_FOREVER), GORO_EINVAL);
    CHECK_EQ(goro_listen_tcp("127.0.0.1", -1, 1), GORO_EINVAL);
    CHECK_EQ(goro_fd_wait(0, 0, GORO_FOREVER), GORO_EINVAL);
}

/* ---- TCP short reads: urgent data stops a read short of the queue's
 * end, so the next read must still try (the drained-read hint of io.c
 * must not park it). Also: a short read followed by more data, and one
 * followed by the peer's close. ---- */

static void read_to_eof(void *arg)
{
    int fd = *(int *)arg;
    char buf[100];
    int64_t dl = goro_now() + 2 * GORO_SECOND;
    long got = 0;
    ssize_t r;
    while ((r = goro_read_until(fd, buf, sizeof buf, dl)) > 0)
        got += r;
    CHECK_EQ(r, 0);   /* end of file, not GORO_ETIMEDOUT */
    CHECK_EQ(got, 3);
}

static void tcp_short_reads(void *arg)
{
    (void)arg;
    int port, c, s;
    int ls = listen_local(4, &port);
    connect_pair(ls, port, &c, &s);
    char buf[100];
    for (int round = 0; round < 20; round++) {
        CHECK_EQ(goro_send(c, "abc", 3, 0), 3);
        CHECK_EQ(goro_send(c, "X", 1, MSG_OOB), 1);
        CHECK_EQ(goro_send(c, "def", 3, 0), 3);
        goro_sleep(GORO_MILLISECOND);   /* all of it queued at s */
        int64_t dl = goro_now() + 2 * GORO_SECOND;
        long got = 0;
        char in[8];
        while (got < 6) {
            ssize_t r = goro_read_until(s, buf, sizeof buf, dl);
            CHECK(r > 0);   /* not GORO_ETIMEDOUT: the rest is read */
            CHECK(got + r <= 6);
            memcpy(in + got, buf, (size_t)r);
            got += r;
        }
        CHECK(memcmp(in, "abcdef", 6) == 0);
    }
    /* Without urgent data: a short read, then data that comes later. */
    for (int round = 0; round < 50; round++) {
        CHECK_EQ(goro_write(c, "12345", 5), 5);
        goro_sleep(round % 2 ? 100 * GORO_MICROSECOND : 0);
        CHECK_EQ(goro_read(s, buf, sizeof buf), 5);   /* short: emptied the queue */
        CHECK_EQ(goro_write(c, "67", 2), 2);
        CHECK_EQ(goro_read_until(s, buf, sizeof buf, goro_now() + 2 * GORO_SECOND), 2);
    }
    goro_close(s);
    goro_close(c);
    /* Data then the peer's close, both queued before the reader's event
     * is harvested: the short read is followed by end of file, which no
     * later event announces (the hint must not park that read). */
    for (int round = 0; round < 50; round++) {
        connect_pair(ls, port, &c, &s);
        goro_waitgroup wg = {0};
        goro_waitgroup_go(&wg, read_to_eof, &s);   /* parks: nothing to read yet */
        goro_sleep(round % 2 ? GORO_MILLISECOND : 0);
        CHECK_EQ(goro_write(c, "bye", 3), 3);
        CHECK_EQ(goro_close(c), 0);
        goro_waitgroup_wait(&wg);
        goro_close(s);
    }
    goro_close(ls);
}

/* ---- plain threads ---- */

static void delayed_writer(void *arg)
{
    int fd = *(int *)arg;
    goro_sleep(10 * GORO_MILLISECOND);
    CHECK_EQ(goro_write(fd, "hello", 5), 5);
}

static void delayed_closer(void *arg)
{
    int fd = *(int *)arg;
    goro_sleep(20 * GORO_MILLISECOND);
    CHECK_EQ(goro_close(fd), 0);
}

static void plain_threads(void)
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    char buf[16];
    CHECK_EQ(goro_read_until(fds[0], buf, 1, goro_now() + 5 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    goro_waitgroup wg = {0};
    goro_waitgroup_go(&wg, delayed_writer, &fds[1]);
    CHECK_EQ(goro_read(fds[0], buf, sizeof buf), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    goro_waitgroup_wait(&wg);
    /* goro_close from a goroutine reaches a thread blocked in goro_read. */
    goro_waitgroup_go(&wg, delayed_closer, &fds[0]);
    CHECK_EQ(goro_read(fds[0], buf, sizeof buf), -EBADF);
    goro_waitgroup_wait(&wg);
    goro_close(fds[1]);
}

/* ---- regular files: the blocking-call path ---- */

static void files(void *arg)
{
    (void)arg;
    char path[] = "/tmp/goro_test_io_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    char buf[10000];
    for (int i = 0; i < (int)sizeof buf; i++)
        buf[i] = (char)pattern(7, (uint64_t)i);
    CHECK_EQ(goro_write(fd, buf, sizeof buf), (long)sizeof buf);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    char back[sizeof buf];
    long off = 0;
    ssize_t r;
    while ((r = goro_read_until(fd, back + off, sizeof back - (size_t)off, goro_now() + GORO_SECOND)) > 0)
        off += r;
    CHECK_EQ(r, 0);
    CHECK_EQ(off, (long)sizeof buf);
    CHECK(memcmp(buf, back, sizeof buf) == 0);
    CHECK(goro_fd_wait(fd, POLLIN, GORO_FOREVER) > 0);
    CHECK(!(fcntl(fd, F_GETFL) & O_NONBLOCK));   /* left alone */
    CHECK_EQ(goro_close(fd), 0);
}

/* ---- timers while an M blocks in the poller; idle CPU ---- */

static int idle_pipe[2];

static void parked_forever(void *arg)
{
    (void)arg;
    char c;
    CHECK_EQ(goro_read(idle_pipe[0], &c, 1), -EBADF);
}

static int64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * GORO_SECOND +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * GORO_MICROSECOND;
}

static void sleeps(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20; i++) {
        int64_t t0 = goro_now();
        goro_sleep(2 * GORO_MILLISECOND);
        CHECK(goro_now() - t0 < GORO_SECOND);
    }
}

static void poller_and_timers(void)
{
    CHECK(pipe(idle_pipe) == 0);
    goro_waitgroup wg = {0};
    for (int i = 0; i < 10; i++)
        goro_waitgroup_go(&wg, parked_forever, NULL);
    goro_sleep(20 * GORO_MILLISECOND);
    /* Goroutines' timers keep firing while an M blocks in epoll. */
    run_main(sleeps, NULL);
    goro_sleep(20 * GORO_MILLISECOND);
    int64_t c0 = cpu_ns();
    goro_sleep(300 * GORO_MILLISECOND);
    int64_t used = cpu_ns() - c0;
    printf("CPU while goroutines wait on fds: %.2f ms\n", used / 1e6);
    const char *slow = getenv("GORO_TEST_SLOW");
    if (!slow || !*slow || *slow == '0')
        CHECK(used < 15 * GORO_MILLISECOND);
    goro_close(idle_pipe[0]);   /* wakes all ten */
    goro_waitgroup_wait(&wg);
    goro_close(idle_pipe[1]);
}

int main(void)
{
    run_main(streams, NULL);
    run_main(two_readers, NULL);
    run_main(deadlines, NULL);
    run_main(close_while_parked, NULL);
    run_main(eof_and_reset, NULL);
    run_main(tcp_short_reads, NULL);
    plain_threads();
    run_main(files, NULL);
    poller_and_timers();
    TEST_PASS("test_io");
}
