/* SPDX-License-Identifier: MIT */
/*
 * mux.c: the multiplexers: poll, ppoll, select, pselect, epoll_wait,
 * epoll_pwait.
 *
 * A call with a zero timeout, or on a plain thread, is libc's. In a
 * goroutine each tries libc's call with a zero timeout, and while nothing
 * is ready parks until something may be or the deadline passes, then tries
 * again (poll on one fd: goro_fd_wait alone, which polls itself). poll
 * and select park on one fd directly, on several through a
 * temporary epoll fd holding them all; epoll_wait parks on the program's
 * epoll fd itself.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/select.h>

#include "hook_internal.h"

static int64_t ms_deadline(int ms)
{
    return ms < 0 ? GORO_FOREVER : goro_now() + (int64_t)ms * GORO_MILLISECOND;
}

static int64_t ts_deadline(const struct timespec *ts)
{
    return ts ? goro_now() + ts_ns(ts) : GORO_FOREVER;
}

static bool ts_zero(const struct timespec *ts)
{
    return ts && ts->tv_sec == 0 && ts->tv_nsec == 0;
}

/* Parks until one of fds may be ready or the deadline passes. */
static int wait_fds(const struct pollfd *fds, nfds_t n, int64_t deadline)
{
    if (n == 1 && fds[0].fd >= 0) {
        /* goro makes an fd O_NONBLOCK at its first goro_fd_wait, through
         * our fcntl: manage it first, or that would read as the
         * program's choice and its later reads would fail with EAGAIN */
        hook_fdent *e = ent(fds[0].fd);
        if (e && hook_classify(fds[0].fd, e) == K_POLL && !user_nb(e))
            hook_manage(fds[0].fd, e);
        return hook_fd_wait(fds[0].fd, fds[0].events & (POLLIN | POLLOUT) ? fds[0].events : POLLIN,
                            deadline);
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return -hook_err_get();
    for (nfds_t i = 0; i < n; i++) {
        if (fds[i].fd < 0)
            continue;
        struct epoll_event ev = { .events = (uint32_t)fds[i].events | EPOLLRDHUP };
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i].fd, &ev);   /* EEXIST for repeats: fine */
    }
    int r = goro_fd_wait(ep, POLLIN, deadline);
    hook_goro_close(ep);
    return r;
}

/* What a goroutine's poll or epoll_wait waits on: fds, or (epoll) the
 * epoll fd ep. */
typedef struct {
    bool epoll;
    struct pollfd *fds;
    nfds_t n;
    int ep, max;
    struct epoll_event *evs;
    const sigset_t *mask;
} waitset;

/* One fd waited on for reading or writing and nothing else that poll
 * reports only when asked (libpq's and hiredis's wait), by poll, not
 * ppoll with a mask: goro_fd_wait polls it with the same events before it
 * parks and after each wakeup and returns those revents, so poll_g's own
 * zero-timeout polls around the wait would only repeat its answer. */
static bool one_fd(const waitset *s)
{
    const short only = POLLIN | POLLOUT | POLLERR | POLLHUP;
    return !s->epoll && s->n == 1 && s->fds[0].fd >= 0 && !s->mask &&
           (s->fds[0].events & (POLLIN | POLLOUT)) && !(s->fds[0].events & ~only);
}

static int poll_g(const waitset *s, int64_t deadline)
{
    static const struct timespec zero;
    if (one_fd(s)) {
        int w = wait_fds(s->fds, 1, deadline);
        if (w > 0 || w == GORO_ETIMEDOUT) {
            s->fds[0].revents = (short)(w > 0 ? w : 0);
            return w > 0;
        }
        /* an error (POLLNVAL is -EBADF there): poll(2) reports it below */
    }
    for (;;) {
        int r = s->epoll ? REAL(epoll_pwait)(s->ep, s->evs, s->max, 0, s->mask)
                       : REAL(ppoll)(s->fds, s->n, &zero, s->mask);
        if (r != 0)
            return r;
        if (deadline != GORO_FOREVER && goro_now() >= deadline)
            return 0;
        int w = s->epoll ? hook_fd_wait(s->ep, POLLIN, deadline) : wait_fds(s->fds, s->n, deadline);
        if (w == GORO_ETIMEDOUT)
            return 0;
        if (w < 0) {
            hook_err_set(-w);
            return -1;
        }
    }
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int ms)
{
    if (ms == 0 || !in_g())
        return REAL(poll)(fds, n, ms);
    return poll_g(&(waitset){ .fds = fds, .n = n }, ms_deadline(ms));
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
    if (ts_zero(ts) || !in_g())
        return REAL(ppoll)(fds, n, ts, mask);
    return poll_g(&(waitset){ .fds = fds, .n = n, .mask = mask }, ts_deadline(ts));
}

static int select_g(int nfds, fd_set *r, fd_set *w, fd_set *x, int64_t deadline,
                    const sigset_t *mask)
{
    fd_set r0, w0, x0;
    if (r) r0 = *r;
    if (w) w0 = *w;
    if (x) x0 = *x;
    static const struct timespec zero;
    for (;;) {
        int n = REAL(pselect)(nfds, r, w, x, &zero, mask);
        if (n != 0)
            return n;
        if (deadline != GORO_FOREVER && goro_now() >= deadline)
            return 0;
        struct pollfd p[FD_SETSIZE];
        nfds_t np = 0;
        for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++) {
            short ev = (short)((r && FD_ISSET(fd, &r0) ? POLLIN : 0) |
                               (w && FD_ISSET(fd, &w0) ? POLLOUT : 0) |
                               (x && FD_ISSET(fd, &x0) ? POLLPRI : 0));
            if (ev)
                p[np++] = (struct pollfd){ .fd = fd, .events = ev };
        }
        int wr = np ? wait_fds(p, np, deadline) : (goro_sleep(deadline - goro_now()), GORO_ETIMEDOUT);
        if (r) *r = r0;
        if (w) *w = w0;
        if (x) *x = x0;
        if (wr == GORO_ETIMEDOUT)
            continue;   /* the zero-timeout pselect above then clears the sets */
        if (wr < 0) {
            hook_err_set(-wr);
            return -1;
        }
    }
}

EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
    if ((tv && tv->tv_sec == 0 && tv->tv_usec == 0) || !in_g())
        return REAL(select)(nfds, r, w, x, tv);
    int64_t d = tv ? goro_now() + tv->tv_sec * GORO_SECOND + tv->tv_usec * 1000 : GORO_FOREVER;
    int n = select_g(nfds, r, w, x, d, NULL);
    if (tv) {   /* Linux reports the time not slept */
        int64_t left = d - goro_now();
        if (left < 0)
            left = 0;
        tv->tv_sec = left / GORO_SECOND;
        tv->tv_usec = (left % GORO_SECOND) / 1000;
    }
    return n;
}

EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *x, const struct timespec *ts,
                   const sigset_t *mask)
{
    if (ts_zero(ts) || !in_g())
        return REAL(pselect)(nfds, r, w, x, ts, mask);
    return select_g(nfds, r, w, x, ts_deadline(ts), mask);
}

EXPORT int epoll_wait(int ep, struct epoll_event *evs, int max, int ms)
{
    if (ms == 0 || !in_g())
        return REAL(epoll_wait)(ep, evs, max, ms);
    return poll_g(&(waitset){ .epoll = true, .ep = ep, .evs = evs, .max = max }, ms_deadline(ms));
}

EXPORT int epoll_pwait(int ep, struct epoll_event *evs, int max, int ms, const sigset_t *mask)
{
    if (ms == 0 || !in_g())
        return REAL(epoll_pwait)(ep, evs, max, ms, mask);
    return poll_g(&(waitset){ .epoll = true, .ep = ep, .evs = evs, .max = max, .mask = mask },
                  ms_deadline(ms));
}
