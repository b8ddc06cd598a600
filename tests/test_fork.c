/* SPDX-License-Identifier: MIT */
// ctest-labels: fork
// (Not "sched": its children re-execute the program, which qemu-user
// without binfmt_misc cannot do, so the AArch64 step leaves it out.)
/*
 * test_fork: a child of fork() may only exec.
 *
 * - A child that calls goro after fork aborts with "goro: X called in a
 *   child of fork(); only exec is supported" naming its call site:
 *   goro_go (file:line), a blocking receive and a send to a waiting
 *   goroutine on the forking plain thread, and a sleep and a yield in a
 *   child forked by a goroutine (the calling function; X is the public
 *   call when its frame is on the stack).
 * - fork + execve and posix_spawn of /bin/true work from main and from a
 *   goroutine while 100 others run; the exit status comes back.
 * - None of goro's fds (sockets, the poller's epoll and eventfd) leak into
 *   an exec'd program: this binary, run again as "fds", counts them.
 *
 * Linked with -rdynamic so that calls without a call site are named.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

extern char **environ;

static void nop(void *arg) { (void)arg; }

/* Runs fn in a forked child with stderr on a pipe; returns the child's
 * wait status and its stderr in out. A child silent for 60 s is killed. */
static int in_child(void (*fn)(void), char *out, size_t outsz)
{
    int p[2];
    CHECK(pipe(p) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no_core);
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        fn();
        _exit(3);   /* the call returned: goro let it through */
    }
    close(p[1]);
    size_t n = 0;
    for (;;) {
        struct pollfd pfd = { p[0], POLLIN, 0 };
        if (poll(&pfd, 1, 60000) <= 0) {
            kill(pid, SIGKILL);
            fprintf(stderr, "forked child hung; killed\n");
            break;
        }
        ssize_t r = read(p[0], out + n, outsz - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == outsz - 1)
            break;
    }
    out[n] = 0;
    close(p[0]);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    return st;
}

static void expect_abort(void (*fn)(void), const char *message, const char *site)
{
    char out[4096];
    int st = in_child(fn, out, sizeof out);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT || !strstr(out, message) ||
            !strstr(out, site)) {
        fprintf(stderr, "expected SIGABRT with \"%s\" at %s; status %#x, stderr:\n%s\n",
                message, site, st, out);
        exit(1);
    }
}

/* ---- goro calls in the child ---- */

static const int go_line = __LINE__ + 3;   /* the goro_go call below */
static void child_go(void)
{
    goro_go(nop, NULL);
}

static goro_chan *empty;

void child_recv(void)
{
    int v;
    goro_chan_recv(empty, &v);
}

void child_sleep(void)
{
    goro_sleep(GORO_SECOND);
    fprintf(stderr, "slept\n");   /* not a tail call: child_sleep's frame stays */
}

void child_yield(void)
{
    goro_yield();
    fprintf(stderr, "yielded\n");
}

/* A goroutine waits to receive on it: the child's send would wake it, or
 * block if it is not parked yet. */
static goro_chan *waited;

void child_send(void)
{
    int v = 1;
    goro_chan_send(waited, &v);
    fprintf(stderr, "sent\n");
}

static void receiver(void *arg)
{
    (void)arg;
    int v;
    goro_chan_recv(waited, &v);
}

static void fork_from_goroutine(void *arg)
{
    (void)arg;
    expect_abort(child_sleep, "goro: goro_sleep called in a child of fork(); only exec is supported",
                 "at child_sleep+");
    expect_abort(child_yield, "goro: goro_yield called in a child of fork(); only exec is supported",
                 "at child_yield+");
}

/* ---- fork + exec while goroutines run ---- */

static atomic_int stop;

static void busy(void *arg)
{
    goro_chan *c = arg;
    int v = 0;
    while (!atomic_load(&stop)) {
        goro_chan_try_send(c, &v);
        goro_chan_try_recv(c, &v);
        goro_yield();
    }
}

static void spawn_true(void)
{
    char *argv[] = { "/bin/true", NULL };
    pid_t pid;
    CHECK(posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) == 0);
    int st;
    goro_syscall_begin();
    pid_t r = waitpid(pid, &st, 0);
    goro_syscall_end();
    CHECK(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);

    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execve("/bin/true", argv, environ);
        _exit(127);
    }
    goro_syscall_begin();
    r = waitpid(pid, &st, 0);
    goro_syscall_end();
    CHECK(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Runs this binary as "fds": its exit status is the number of goro fds
 * (sockets, eventpoll, eventfd) it inherited. */
static void spawn_fds(const char *self)
{
    char *argv[] = { (char *)self, "fds", NULL };
    pid_t pid;
    int st;
    CHECK(posix_spawn(&pid, self, NULL, NULL, argv, environ) == 0);
    goro_syscall_begin();
    CHECK(waitpid(pid, &st, 0) == pid);
    goro_syscall_end();
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execve(self, argv, environ);
        _exit(127);
    }
    goro_syscall_begin();
    CHECK(waitpid(pid, &st, 0) == pid);
    goro_syscall_end();
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
}

static const char *self_path;

static void execs(void *arg)
{
    (void)arg;
    for (int i = 0; i < scaled(20, 4); i++)
        spawn_true();
    spawn_fds(self_path);
}

static void reader(void *arg)
{
    char b;
    goro_read(*(int *)arg, &b, 1);   /* parked on the netpoller until the end */
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "fds") == 0) {
        fd_count f = count_fds();
        return f.epoll + f.eventfd + f.socket;
    }
    static char self[4096];
    ssize_t sn = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(sn > 0);
    self[sn] = 0;
    self_path = self;

    /* The runtime runs, with a goroutine parked on the netpoller (so its
     * epoll and eventfd exist) and goro's sockets open. */
    goro_waitgroup wg = {0};
    CHECK(goro_waitgroup_go(&wg, nop, NULL) == 0);
    goro_waitgroup_wait(&wg);
    int ls = goro_listen_tcp("127.0.0.1", 0, 4);
    CHECK(ls >= 0);
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    CHECK(getsockname(ls, (struct sockaddr *)&a, &al) == 0);
    int c = goro_dial_tcp("127.0.0.1", ntohs(a.sin_port), GORO_FOREVER);
    CHECK(c >= 0);
    int s = goro_accept(ls, NULL, NULL);
    CHECK(s >= 0);
    CHECK(goro_go(reader, &s) == 0);
    fd_count f = { 0, 0, 0, 0 };
    for (int i = 0; i < 5000 && !(f.epoll && f.eventfd); i++) {
        goro_sleep(GORO_MILLISECOND);
        f = count_fds();
    }
    CHECK(f.epoll >= 1 && f.eventfd >= 1 && f.socket >= 3);

    /* goro calls in a child */
    char go_site[64];
    snprintf(go_site, sizeof go_site, "test_fork.c:%d", go_line);
    expect_abort(child_go, "goro: goro_go called in a child of fork(); only exec is supported",
                 go_site);
    empty = goro_chan_make(sizeof(int), 0);
    CHECK(empty);
    expect_abort(child_recv, "called in a child of fork(); only exec is supported",
                 "at child_recv+");
    waited = goro_chan_make(sizeof(int), 0);
    CHECK(waited);
    CHECK(goro_go(receiver, NULL) == 0);
    goro_sleep(10 * GORO_MILLISECOND);
    expect_abort(child_send, "called in a child of fork(); only exec is supported",
                 "at child_send+");
    run_main(fork_from_goroutine, NULL);
    int one = 1;
    CHECK_EQ(goro_chan_send(waited, &one), 0);   /* the receiver ends */

    /* fork + exec from main and from a goroutine, 100 goroutines busy */
    goro_chan *bc = goro_chan_make(sizeof(int), 1);
    goro_waitgroup busy_wg = {0};
    for (int i = 0; i < 100; i++)
        CHECK(goro_waitgroup_go(&busy_wg, busy, bc) == 0);
    for (int i = 0; i < scaled(20, 4); i++)
        spawn_true();
    spawn_fds(self);
    run_main(execs, NULL);
    atomic_store(&stop, 1);
    goro_waitgroup_wait(&busy_wg);

    goro_close(c);   /* the reader sees end of file */
    goro_close(s);
    goro_close(ls);
    goro_chan_release(bc);
    goro_chan_release(empty);
    goro_chan_release(waited);
    TEST_PASS("test_fork");
}
