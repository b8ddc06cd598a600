// SPDX-License-Identifier: MIT
// test_hook_cover.c: libgoro-hook's calls beyond test_hook's: the
// _FORTIFY_SOURCE variants (__read_chk, __recv_chk, __recvfrom_chk,
// __poll_chk, __ppoll_chk, __pread_chk), pread/pwrite, sendfile,
// getnameinfo, fd numbers reused behind the hook's back, and a child of
// fork() made in a goroutine that dup2s, closes and writes before _exit.
// 200 goroutines blocked in the checked calls keep the thread count at
// GOMAXPROCS + a few while a CPU-bound goroutine runs.
// ctest-labels: hook
#include "hooktest.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "goro_hook.h"

/* What a program built with -D_FORTIFY_SOURCE calls (glibc's names). */
ssize_t __read_chk(int, void *, size_t, size_t);
ssize_t __recv_chk(int, void *, size_t, size_t, int);
ssize_t __recvfrom_chk(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
ssize_t __pread_chk(int, void *, size_t, off_t, size_t);
int __poll_chk(struct pollfd *, nfds_t, int, size_t);
int __ppoll_chk(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *, size_t);

/* The O_NONBLOCK the kernel has for fd (the hook hides it from fcntl):
 * set once the hook manages the fd, that is once a goroutine's call on it
 * went through the hook. */
static int kernel_nonblock(int fd)
{
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    FILE *f = fopen(path, "r");
    CHECK(f);
    unsigned flags = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "flags: %o", &flags) == 1)
            break;
    fclose(f);
    return (flags & O_NONBLOCK) != 0;
}

enum { N = 100 };
static int pipes[N][2], socks[N][2];
static goro_waitgroup wg = GORO_WAITGROUP_INIT;

static void chk_reader(void *arg)
{
    int i = (int)(intptr_t)arg;
    char buf[8];
    struct pollfd pf = { pipes[i][0], POLLIN, 0 };
    CHECK(__poll_chk(&pf, 1, 10000, sizeof pf) == 1 && pf.revents == POLLIN);
    CHECK(__read_chk(pipes[i][0], buf, 1, sizeof buf) == 1 && buf[0] == (char)i);
    CHECK(__read_chk(pipes[i][0], buf, sizeof buf, sizeof buf) == 1 && buf[0] == 'b');
    goro_waitgroup_done(&wg);
}

static void chk_receiver(void *arg)
{
    int i = (int)(intptr_t)arg;
    char buf[8];
    struct timespec ts = { 10, 0 };
    struct pollfd pf = { socks[i][0], POLLIN, 0 };
    CHECK(__ppoll_chk(&pf, 1, &ts, NULL, sizeof pf) == 1);
    CHECK(__recv_chk(socks[i][0], buf, 1, sizeof buf, 0) == 1 && buf[0] == (char)i);
    CHECK(__recvfrom_chk(socks[i][0], buf, sizeof buf, sizeof buf, 0, NULL, NULL) == 1 &&
          buf[0] == 'b');
    goro_waitgroup_done(&wg);
}

static void checked_calls(void)
{
    ht_watch w = { 0 };
    ht_start(&w);
    for (int i = 0; i < N; i++) {
        CHECK(pipe(pipes[i]) == 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, socks[i]) == 0);
        goro_waitgroup_add(&wg, 2);
        CHECK(goro_go(chk_reader, (void *)(intptr_t)i) == 0);
        CHECK(goro_go(chk_receiver, (void *)(intptr_t)i) == 0);
    }
    goro_sleep(30 * GORO_MILLISECOND);   /* they all block meanwhile */
    for (int i = 0; i < N; i++) {
        char c = (char)i;
        CHECK(write(pipes[i][1], &c, 1) == 1);
        CHECK(send(socks[i][1], &c, 1, 0) == 1);
    }
    goro_sleep(10 * GORO_MILLISECOND);
    for (int i = 0; i < N; i++) {
        CHECK(write(pipes[i][1], "b", 1) == 1);
        CHECK(send(socks[i][1], "b", 1, 0) == 1);
    }
    goro_waitgroup_wait(&wg);
    ht_stop(&w, "test_hook_cover: checked calls");
    for (int i = 0; i < N; i++) {
        CHECK(kernel_nonblock(pipes[i][0]) && kernel_nonblock(socks[i][0]));
        CHECK(!(fcntl(pipes[i][0], F_GETFL) & O_NONBLOCK));   /* the program's view */
        for (int j = 0; j < 2; j++) {
            CHECK(close(pipes[i][j]) == 0);
            CHECK(close(socks[i][j]) == 0);
        }
    }
}

struct drain {
    int fd;
    size_t want;
};

static void drain_fn(void *arg)
{
    struct drain *d = arg;
    char buf[4096];
    size_t got = 0;
    goro_sleep(10 * GORO_MILLISECOND);
    while (got < d->want) {
        ssize_t r = read(d->fd, buf, sizeof buf);
        CHECK(r > 0);
        got += (size_t)r;
    }
    goro_waitgroup_done(&wg);
}

/* A file through pread/pwrite, then sendfile of it into a socket whose
 * reader comes later (the send parks on a full socket buffer). */
static void file_calls(void)
{
    char path[] = "/tmp/goro-hook-cover-XXXXXX", buf[16];
    int f = mkstemp(path);
    CHECK(f >= 0);
    unlink(path);
    CHECK(pwrite(f, "0123456789", 10, 0) == 10);
    CHECK(pread(f, buf, 4, 3) == 4 && memcmp(buf, "3456", 4) == 0);
    CHECK(__pread_chk(f, buf, 2, 8, sizeof buf) == 2 && memcmp(buf, "89", 2) == 0);
    enum { BIG = 1 << 20 };
    char *big = calloc(1, BIG);
    CHECK(big);
    CHECK(pwrite(f, big, BIG, 0) == BIG);
    int s[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
    off_t off = 0;
    size_t sent = 0;
    /* the socket buffer is far smaller than 1 MiB: the first sendfile
     * fills it, later ones park until the goroutine below drains it */
    goro_waitgroup_add(&wg, 1);
    struct drain d = { s[0], BIG };
    CHECK(goro_go(drain_fn, &d) == 0);
    while (sent < BIG) {
        ssize_t r = sendfile(s[1], f, &off, BIG - sent);
        CHECK(r > 0);
        sent += (size_t)r;
    }
    goro_waitgroup_wait(&wg);
    CHECK(off == BIG);
    free(big);
    close(s[0]);
    close(s[1]);
    close(f);
}

/* A number closed behind the hook's back (by a raw syscall: fclose and
 * close_range do the same) and reused by a new socket: the hook must not
 * keep what it knew of the old file (a regular file: the hand-off). */
static void reuse_calls(void)
{
    char path[] = "/tmp/goro-hook-cover-XXXXXX", buf[4];
    int f = mkstemp(path);
    CHECK(f >= 0);
    unlink(path);
    CHECK(read(f, buf, 1) == 0);   /* the hook classifies f as a file */
    CHECK(syscall(SYS_close, f) == 0);
    int s[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
    CHECK(s[0] == f);
    struct timeval tv = { 0, 20000 };
    CHECK(setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    CHECK(read(s[0], buf, 1) == -1 && ht_errno() == EAGAIN);   /* parked, then timed out */
    CHECK(kernel_nonblock(s[0]));
    close(s[0]);
    close(s[1]);
}

static void name_calls(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(80),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    CHECK(getnameinfo((struct sockaddr *)&sa, sizeof sa, host, sizeof host, serv, sizeof serv,
                      NI_NUMERICHOST | NI_NUMERICSERV) == 0);
    CHECK(strcmp(host, "127.0.0.1") == 0 && strcmp(serv, "80") == 0);
}

/* fork in a goroutine: the child runs libc's calls on its one thread. Its
 * dup2 over, and close of, fds goro's poller knows must not go through
 * goro_close (which waits for runtime locks the child's lost threads may
 * hold: the fork check aborts the child there). */
static void fork_calls(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    char c;
    struct pollfd pf = { p[0], POLLIN, 0 };
    CHECK(poll(&pf, 1, 5) == 0);   /* goro's poller now knows p[0] */
    CHECK(write(p[1], "a", 1) == 1 && read(p[0], &c, 1) == 1);   /* and p[1] is managed */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (dup2(p[1], 100) != 100 || close(p[1]) != 0 || close(p[0]) != 0 ||
            write(100, "child", 5) != 5 || close(100) != 0)
            _exit(1);
        struct timespec ts = { 0, 1000000 };
        if (nanosleep(&ts, NULL) != 0)
            _exit(2);
        _exit(0);
    }
    close(p[1]);
    char buf[16];
    size_t got = 0;
    for (ssize_t r; (r = read(p[0], buf + got, sizeof buf - got)) > 0;)
        got += (size_t)r;   /* parks until the child's end closes */
    CHECK(got == 5 && memcmp(buf, "child", 5) == 0);
    int st;
    goro_syscall_begin();
    pid_t wr = waitpid(pid, &st, 0);
    goro_syscall_end();
    CHECK(wr == pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "child status %#x\n", st);
        CHECK(0);
    }
    close(p[0]);
}

static void all(void *arg)
{
    checked_calls();
    file_calls();
    reuse_calls();
    name_calls();
    fork_calls();
    goro_waitgroup_done(arg);
}

int main(void)
{
    CHECK(goro_hook_active());
    goro_waitgroup done = GORO_WAITGROUP_INIT;
    goro_waitgroup_add(&done, 1);
    CHECK(goro_go(all, &done) == 0);
    goro_waitgroup_wait(&done);
    printf("test_hook_cover: ok\n");
    return 0;
}
