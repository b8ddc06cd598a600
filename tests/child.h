/* SPDX-License-Identifier: MIT */
/*
 * child.h: runs this test program again as a child process, for tests
 * whose subject ends the process (a deadlock report, a SIGQUIT dump).
 * child_start(args, env) execs /proc/self/exe with the extra arguments and
 * environment entries (the parent's environment is kept), without core
 * dumps, its stdout and stderr on one pipe; child_read_until reads until a
 * string shows up; child_finish reads the rest and waits for the child.
 */
#ifndef GORO_TEST_CHILD_H
#define GORO_TEST_CHILD_H

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

extern char **environ;

typedef struct child {
    pid_t pid;
    int fd;                    /* read end: the child's stdout + stderr */
    char out[65536];
    size_t len;
} child;

static inline void child_start(child *c, const char *const *args, const char *const *env)
{
    static char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0);
    self[n] = 0;
    /* Everything the child needs is built before fork: between fork and
     * exec only async-signal-safe calls. */
    const char *argv[16], *envp[256];
    int na = 0, ne = 0;
    argv[na++] = self;
    for (; args && *args && na < 15; args++)
        argv[na++] = *args;
    argv[na] = NULL;
    for (char **e = environ; *e && ne < 200; e++)
        if (strncmp(*e, "GORODEBUG=", 10) != 0)
            envp[ne++] = *e;
    for (; env && *env && ne < 255; env++)
        envp[ne++] = *env;
    envp[ne] = NULL;
    int p[2];
    CHECK(pipe(p) == 0);
    fflush(stdout);
    fflush(stderr);
    c->pid = fork();
    CHECK(c->pid >= 0);
    if (c->pid == 0) {
        struct rlimit no_core = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no_core);
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        execve(self, (char *const *)argv, (char *const *)envp);
        _exit(127);
    }
    close(p[1]);
    c->fd = p[0];
    c->len = 0;
    c->out[0] = 0;
}

/* Under ThreadSanitizer a handler runs only when the thread that took the
 * signal makes an intercepted call, which a CPU hog or an idle goro thread
 * never does: a child that expects goro_signal_notify to see sig blocks it
 * before its first goro call, so that only goro's relay thread takes it.
 * Elsewhere nothing. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CHILD_UNDER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define CHILD_UNDER_TSAN 1
#endif

static inline void child_signal_to_relay(int sig)
{
#if CHILD_UNDER_TSAN
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
#else
    (void)sig;
#endif
}

static inline void child_sanitizer_signals_off(void)
{
    static const char off[] = ":handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0";
    const char *vars[] = { "ASAN_OPTIONS", "TSAN_OPTIONS" };
    for (int i = 0; i < 2; i++) {
        const char *v = getenv(vars[i]);
        char buf[1024];
        snprintf(buf, sizeof buf, "%s%s", v ? v : "", off);
        CHECK(setenv(vars[i], buf, 1) == 0);
    }
}

/* Reads until the output contains s (true), or until EOF or the timeout
 * in ms passes (false). */
static inline bool child_read_until(child *c, const char *s, int timeout_ms)
{
    while (!strstr(c->out, s)) {
        struct pollfd pfd = { c->fd, POLLIN, 0 };
        if (poll(&pfd, 1, timeout_ms) <= 0)
            return false;
        ssize_t n = read(c->fd, c->out + c->len, sizeof c->out - 1 - c->len);
        if (n <= 0)
            return false;
        c->len += (size_t)n;
        c->out[c->len] = 0;
    }
    return true;
}

/* Reads to EOF and reaps the child; returns its wait status. A child
 * still writing or silent after 120 s is killed (SIGKILL) as hung. */
static inline int child_finish(child *c)
{
    ssize_t n = 1;
    while (n > 0 && c->len < sizeof c->out - 1) {
        struct pollfd pfd = { c->fd, POLLIN, 0 };
        if (poll(&pfd, 1, 120000) <= 0) {
            kill(c->pid, SIGKILL);
            fprintf(stderr, "child hung; killed\n");
            break;
        }
        if ((n = read(c->fd, c->out + c->len, sizeof c->out - 1 - c->len)) > 0)
            c->len += (size_t)n;
    }
    c->out[c->len] = 0;
    close(c->fd);
    int st;
    CHECK(waitpid(c->pid, &st, 0) == c->pid);
    return st;
}

#endif
