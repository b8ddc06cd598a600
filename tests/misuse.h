/* SPDX-License-Identifier: MIT */
/*
 * misuse.h: checks that a misuse aborts the way Go's fatal errors do. The
 * test re-executes its own binary (argv[0]) with a mode argument; the child
 * commits the misuse, and the parent checks that it died abnormally and
 * that its stderr holds the expected message and call site.
 */
#ifndef GORO_MISUSE_H
#define GORO_MISUSE_H

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

extern char **environ;

/* In the child, before the misuse: no core file for the expected abort. */
static inline void misuse_child_begin(void)
{
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
}

/* Runs `self mode`, returns its stderr in out (NUL-terminated) and its
 * wait status. */
static inline int misuse_run(const char *self, const char *mode, char *out, size_t outsz)
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    char *argv[] = { (char *)self, (char *)mode, NULL };
    pid_t pid;
    CHECK(posix_spawn(&pid, self, &fa, NULL, argv, environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < outsz && (r = read(fds[0], out + n, outsz - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = 0;
    char sink[256];
    while (read(fds[0], sink, sizeof sink) > 0)
        ;
    close(fds[0]);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    return status;
}

/* Expects `self mode` to abort with `message` at file:line (line 0: only
 * the file is checked). */
static inline void expect_fatal(const char *self, const char *mode, const char *message,
                                const char *file, int line)
{
    char out[8192], site[256];
    int status = misuse_run(self, mode, out, sizeof out);
    if (line > 0)
        snprintf(site, sizeof site, "%s:%d", file, line);
    else
        snprintf(site, sizeof site, "%s:", file);
    bool died = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);
    if (!died || !strstr(out, "fatal error: ") || !strstr(out, message) || !strstr(out, site)) {
        fprintf(stderr, "misuse '%s': expected an abort with \"%s\" at %s; status %#x, stderr:\n%s\n",
                mode, message, site, status, out);
        exit(1);
    }
}

#endif
