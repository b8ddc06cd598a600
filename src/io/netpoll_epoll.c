/* SPDX-License-Identifier: MIT */
/*
 * netpoll_epoll.c: the Linux backend of the netpoller (contract in
 * netpoll.h).
 *
 * One epoll instance; every fd is added once with EPOLLIN | EPOLLOUT |
 * EPOLLRDHUP | EPOLLPRI | EPOLLET and never re-armed. A non-blocking eventfd, added
 * level-triggered, is the break: goro__pollb_break writes it (once until
 * consumed, wakesig), and only a waiting call reads it back, so a poll
 * with timeout 0 cannot swallow a break meant for the waiting thread.
 * Deadlines have nanosecond resolution (epoll_pwait2, Linux 5.11+;
 * epoll_wait rounding up to the millisecond elsewhere).
 *
 * Every epoll and eventfd call goes through the fault hooks (fault.c): a
 * failed init returns -errno and is retried by the next call that needs
 * the poller; a failed add is the fd call's -errno; a failed wait is an
 * interruption (no events).
 */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "io/netpoll.h"
#if GORO_VALGRIND
#include <valgrind/valgrind.h>
#endif

#define BREAK_TAG UINT64_MAX

static int epfd = -1;
static int evfd = -1;
static _Atomic uint32_t wakesig;
static _Atomic int no_pwait2;

int goro__pollb_init(void)
{
#if GORO_VALGRIND
    if (RUNNING_ON_VALGRIND)   /* Valgrind 3.19 lacks epoll_pwait2, and says so */
        atomic_store_explicit(&no_pwait2, 1, memory_order_relaxed);
#endif
    int ep = goro__epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return -errno;
    int ev = goro__eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ev < 0) {
        int e = errno;
        close(ep);
        return -e;
    }
    struct epoll_event e = { .events = EPOLLIN, .data.u64 = BREAK_TAG };
    if (goro__epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) < 0) {
        int err = errno;
        close(ev);
        close(ep);
        return -err;
    }
    evfd = ev;
    epfd = ep;
    return 0;
}

int goro__pollb_add(int fd, uint64_t tag)
{
    struct epoll_event e = {
        .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET,
        .data.u64 = tag,
    };
    if (goro__epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) == 0)
        return 0;
    if (errno == EEXIST && goro__epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &e) == 0)
        return 0;
    return -errno;
}

void goro__pollb_del(int fd)
{
    struct epoll_event e = {0};
    goro__epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &e);   /* a failure is harmless: the
                                                     * generation makes its events stale */
}

static int wait_events(struct epoll_event *evs, int max, int64_t until)
{
    if (goro__fault(GORO_FAULT_POLLWAIT)) {
        errno = EINTR;   /* as a signal would: no events this time */
        return -1;
    }
    if (until == 0)
        return epoll_wait(epfd, evs, max, 0);
    if (until == INT64_MAX)
        return epoll_wait(epfd, evs, max, -1);
    int64_t d = until - goro__nanotime();
    if (d <= 0)
        return epoll_wait(epfd, evs, max, 0);
#ifdef SYS_epoll_pwait2
    if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
        struct timespec ts = { d / 1000000000, d % 1000000000 };
        long n = syscall(SYS_epoll_pwait2, epfd, evs, max, &ts, NULL, (size_t)8);
        if (n >= 0 || errno != ENOSYS)
            return (int)n;
        atomic_store_explicit(&no_pwait2, 1, memory_order_relaxed);
    }
#endif
    int64_t ms = (d + 999999) / 1000000;
    return epoll_wait(epfd, evs, max, ms > 1000000000 ? 1000000000 : (int)ms);
}

int goro__pollb_wait(goro__pollev *out, int max, int64_t until)
{
    struct epoll_event evs[GORO_POLL_BATCH];
    if (max > GORO_POLL_BATCH)
        max = GORO_POLL_BATCH;
    int saved = errno;
    int n = wait_events(evs, max, until);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (evs[i].data.u64 == BREAK_TAG) {
            if (until != 0) {
                uint64_t v;
                (void)!read(evfd, &v, sizeof v);
                atomic_store_explicit(&wakesig, 0, memory_order_release);
            }
            continue;
        }
        uint32_t e = evs[i].events, r = 0;
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI))
            r |= GORO_PE_READ;
        if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
            r |= GORO_PE_WRITE;
        if (e & EPOLLPRI)
            r |= GORO_PE_URGENT;
        if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            r |= GORO_PE_HUP;
        out[k].tag = evs[i].data.u64;
        out[k].events = r;
        k++;
    }
    errno = saved;
    return k;
}

void goro__pollb_break(void)
{
    uint32_t z = 0;
    if (evfd < 0 || !atomic_compare_exchange_strong(&wakesig, &z, 1))
        return;
    uint64_t one = 1;
    int saved = errno;
    (void)!write(evfd, &one, sizeof one);
    errno = saved;
}
