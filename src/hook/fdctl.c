/* SPDX-License-Identifier: MIT */
/*
 * fdctl.c: the fd table's upkeep: what the program sets on an fd (fcntl's
 * F_GETFL/F_SETFL and ioctl's FIONBIO, SO_RCVTIMEO/SO_SNDTIMEO), and fd
 * numbers closed or reused (close, dup, dup2, dup3, F_DUPFD, socket,
 * socketpair, pipe, pipe2).
 *
 * A managed fd stays O_NONBLOCK in the kernel; fcntl and ioctl record the
 * program's own choice in the table and F_GETFL reports that back. An fd
 * goro's poller saw (F_GORO) is closed through goro_close, which wakes
 * its waiters and forgets its poll state, then calls close() itself: that
 * close reaches libc's (in_goro_close). In the child of a fork, close and
 * dup2 are libc's (hook_forked). A number closed behind the hook's back
 * (fclose, close_range, a raw syscall) is reset when a new fd reuses it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hook_internal.h"

/* ---- non-blocking flag, timeouts ---- */

EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);   /* every fcntl argument fits a pointer */
    va_end(ap);
    if (cmd == F_GETFL) {
        int fl = REAL(fcntl)(fd, cmd);
        hook_fdent *e = ent(fd);
        if (fl >= 0 && e && (ent_flags(e) & F_MANAGED))
            fl = user_nb(e) ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
        return fl;
    }
    if (cmd == F_SETFL) {
        int fl = (int)(intptr_t)arg;
        hook_fdent *e = ent(fd);
        bool keep = e && (ent_flags(e) & F_MANAGED);
        int r = REAL(fcntl)(fd, cmd, keep ? fl | O_NONBLOCK : fl);
        if (r == 0)
            hook_set_user_nb(fd, fl & O_NONBLOCK);
        return r;
    }
    int r = REAL(fcntl)(fd, cmd, arg);
    if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
        hook_fd_reset(r);
    return r;
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (req != FIONBIO || !arg)
        return REAL(ioctl)(fd, req, arg);
    int nb = *(int *)arg;
    hook_fdent *e = ent(fd);
    int on = 1;
    int r = REAL(ioctl)(fd, req, e && (ent_flags(e) & F_MANAGED) ? &on : arg);
    if (r == 0)
        hook_set_user_nb(fd, nb);
    return r;
}

/* The table keeps the timeouts for rw.c's waits. */
EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    int r = REAL(setsockopt)(fd, level, name, val, len);
    hook_fdent *e = ent(fd);
    if (r == 0 && e && level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO) &&
        len >= sizeof(struct timeval)) {
        const struct timeval *tv = val;
        int64_t ns = (int64_t)tv->tv_sec * GORO_SECOND + (int64_t)tv->tv_usec * 1000;
        atomic_store_explicit(name == SO_RCVTIMEO ? &e->rcvtimeo : &e->sndtimeo, ns,
                              memory_order_relaxed);
    }
    return r;
}

/* ---- close, dup ---- */

/* Set while this thread is inside goro_close. */
static _Thread_local int in_goro_close;

int hook_goro_close(int fd)
{
    in_goro_close++;
    int r = goro_close(fd);
    in_goro_close--;
    return r;
}

/* Forgets fd, closing it through goro_close when goro's poller saw it
 * (and always beyond the table). */
static int forget(int fd, bool closing)
{
    hook_fdent *e = ent(fd);
    bool mine = !e || (ent_flags(e) & F_GORO);
    hook_fd_reset(fd);
    if (!mine)
        return closing ? REAL(close)(fd) : 0;
    int r = hook_goro_close(fd);
    if (r < 0) {
        hook_err_set(-r);
        return -1;
    }
    return 0;
}

EXPORT int close(int fd)
{
    if (in_goro_close || atomic_load_explicit(&hook_forked, memory_order_relaxed)) {
        if (!in_goro_close)
            hook_fd_reset(fd);
        return REAL(close)(fd);
    }
    return forget(fd, true);
}

EXPORT int dup(int fd)
{
    return hook_fd_reset(REAL(dup)(fd));
}

EXPORT int dup3(int old, int new, int flags)
{
    if (old != new && new >= 0 && !atomic_load_explicit(&hook_forked, memory_order_relaxed))
        forget(new, false);   /* dup3 closes it: wake its waiters first */
    return hook_fd_reset(REAL(dup3)(old, new, flags));
}

EXPORT int dup2(int old, int new)
{
    if (old == new)
        return REAL(dup2)(old, new);
    return dup3(old, new, 0);
}

/* ---- new fds ---- */

EXPORT int socket(int dom, int type, int proto)
{
    return hook_fd_reset(REAL(socket)(dom, type, proto));
}

/* A new pair's numbers, after a call that returned r. */
static int reset_pair(int r, const int fds[2])
{
    if (r == 0) {
        hook_fd_reset(fds[0]);
        hook_fd_reset(fds[1]);
    }
    return r;
}

EXPORT int socketpair(int dom, int type, int proto, int sv[2])
{
    return reset_pair(REAL(socketpair)(dom, type, proto, sv), sv);
}

EXPORT int pipe2(int fds[2], int flags)
{
    return reset_pair(REAL(pipe2)(fds, flags), fds);
}

EXPORT int pipe(int fds[2])
{
    return pipe2(fds, 0);
}
