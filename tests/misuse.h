/* SPDX-License-Identifier: MIT */
/*
 * misuse.h: checks that a misuse aborts the way Go's fatal errors do. The
 * test runs its own program again as a child (child.h) with a mode
 * argument; the child commits the misuse, and the parent checks that it
 * died abnormally and that its output holds the expected message and call
 * site.
 */
#ifndef GORO_MISUSE_H
#define GORO_MISUSE_H

#include "child.h"

/* Runs this program with the argument `mode`; returns its output (stdout
 * and stderr) in out (NUL-terminated) and its wait status. */
static inline int misuse_run(const char *mode, char *out, size_t outsz)
{
    static child c;   /* 64 KiB: not on a goroutine's stack */
    const char *args[] = { mode, NULL };
    child_start(&c, args, NULL);
    int status = child_finish(&c);
    size_t n = c.len < outsz ? c.len : outsz - 1;   /* the first outsz - 1 bytes */
    memcpy(out, c.out, n);
    out[n] = 0;
    return status;
}

/* Expects `mode` to abort with `message` at file:line (line 0: only the
 * file is checked). */
static inline void expect_fatal(const char *mode, const char *message, const char *file, int line)
{
    char out[8192], site[256];
    int status = misuse_run(mode, out, sizeof out);
    if (line > 0)
        snprintf(site, sizeof site, "%s:%d", file, line);
    else
        snprintf(site, sizeof site, "%s:", file);
    bool died = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);
    if (!died || !strstr(out, "fatal error: ") || !strstr(out, message) || !strstr(out, site)) {
        fprintf(stderr, "misuse '%s': expected an abort with \"%s\" at %s; status %#x, output:\n%s\n",
                mode, message, site, status, out);
        exit(1);
    }
}

#endif
