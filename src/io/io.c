/* SPDX-License-Identifier: MIT */
/*
 * io.c: goroutine-aware fd calls (Go's internal/poll and net), on the
 * netpoller of netpoll.c.
 *
 * Every call tries the syscall first; on EAGAIN a goroutine parks on the
 * fd's descriptor until an event, its deadline or goro_close, then tries
 * again (Go's loop). A plain thread waits in ppoll(2) instead, in slices
 * of at most 100 ms so that goro_close of the fd is noticed. An fd is
 * classified at its first goro call: sockets, pipes, FIFOs and anonymous
 * inodes (and anything already non-blocking) are made O_NONBLOCK and
 * polled; files, terminals and other devices, which epoll cannot poll
 * usefully, are read and written with a plain blocking call between
 * goro_syscall_begin/end, so the goroutine's P keeps working meanwhile.
 *
 * Writes loop until every byte is written (Go's Write); a write that
 * fails after some bytes went out returns the count, and the next call
 * reports the error. Sends on sockets use MSG_NOSIGNAL, and M threads
 * block SIGPIPE, so a reset peer is an error (-EPIPE, -ECONNRESET), never
 * a signal.
 *
 * An fd used with these calls must be closed with goro_close, which
 * wakes its waiters with -EBADF before closing it; fds that goro itself
 * creates (goro_accept, goro_dial_tcp, goro_listen_tcp) start afresh even
 * if their number was closed behind goro's back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io/netpoll.h"
#include "base/san.h"

enum { OP_READ, OP_WRITE, OP_RECV, OP_SEND, OP_ACCEPT };

#define THREAD_SLICE_NS (100 * GORO_MILLISECOND)
#define HINT_NS (100 * GORO_MICROSECOND)   /* drained-read hint window */

/* errno of the thread we run on now. __errno_location() is const, so the
 * compiler may compute errno's address once per function; after a park
 * the goroutine may be on another thread (docs/hacking.md). Every errno
 * read below goes through here. */
static __attribute__((noinline)) int err_now(void)
{
    __asm__ volatile("" ::: "memory");
    return errno;
}

static ssize_t do_op(int op, int fd, void *buf, size_t len, int flags,
                     struct sockaddr *sa, socklen_t *salen, bool sock)
{
    switch (op) {
    case OP_READ:
        return read(fd, buf, len);
    case OP_WRITE:
        return sock ? send(fd, buf, len, MSG_NOSIGNAL) : write(fd, buf, len);
    case OP_RECV:
        return recv(fd, buf, len, flags);
    case OP_SEND:
        return send(fd, buf, len, flags | MSG_NOSIGNAL);
    default:
        return accept4(fd, sa, salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    }
}

static inline int op_dir(int op)
{
    return op == OP_WRITE || op == OP_SEND ? 1 : 0;
}

static inline uint32_t load_seq(goro__pd *pd, int d)
{
    return atomic_load_explicit(&pd->seq[d], memory_order_acquire);
}

/* A plain thread waits for `events` on fd (ppoll), until the deadline or
 * the fd's generation moves (goro_close). 0: try again. */
static int thread_wait(goro__pd *pd, int fd, short events, uint32_t gen, int64_t deadline)
{
    for (;;) {
        if (atomic_load_explicit(&pd->gen, memory_order_acquire) != gen)
            return -EBADF;
        int64_t now = goro__nanotime();
        if (deadline != GORO_FOREVER && now >= deadline)
            return GORO_ETIMEDOUT;
        int64_t d = THREAD_SLICE_NS;
        if (deadline != GORO_FOREVER && deadline - now < d)
            d = deadline - now;
        struct timespec ts = { d / GORO_SECOND, d % GORO_SECOND };
        struct pollfd p = { .fd = fd, .events = events };
        int r = ppoll(&p, 1, &ts, NULL);
        if (r > 0)
            return p.revents & POLLNVAL ? -EBADF : 0;
        if (r < 0 && err_now() != EINTR)
            return -err_now();
    }
}

/* fd's poll descriptor with its kind found (goro__pd_prepare), or NULL
 * with *kind the error (-EBADF, GORO_ENOMEM, -errno). */
static inline goro__pd *pd_prepared(int fd, int *kind)
{
    goro__pd *pd = goro__pd_get(fd);
    if (!pd) {
        *kind = fd < 0 ? -EBADF : GORO_ENOMEM;
        return NULL;
    }
    *kind = goro__pd_prepare(pd, fd);
    return *kind < 0 ? NULL : pd;
}

/* Waits until fd may be ready in one of dirs (GORO_PE_READ, _WRITE) or
 * the deadline passes: a goroutine on a pollable fd parks in the poller
 * (seq: the event counts read before the call that failed), anything
 * else waits in ppoll on its thread. */
static int wait_ready(goro__pd *pd, int fd, int kind, int dirs, uint32_t gen,
                      const uint32_t seq[2], int64_t deadline)
{
    if (kind == PD_POLL && goro__getg() != NULL)
        return goro__pd_wait(pd, fd, dirs, gen, seq, deadline);
    short events = (short)((dirs & GORO_PE_READ ? POLLIN : 0) | (dirs & GORO_PE_WRITE ? POLLOUT : 0));
    return thread_wait(pd, fd, events, gen, deadline);
}

/* The blocking-call path for fds that cannot be polled. A deadline is
 * honoured by a poll(2) before the call (a file is always ready). */
static ssize_t block_op(int op, int fd, void *buf, size_t len, int flags,
                        struct sockaddr *sa, socklen_t *salen, int64_t deadline)
{
    ssize_t r;
    int e = 0;
    goro_syscall_begin();
    for (;;) {
        if (deadline != GORO_FOREVER) {
            int64_t d = deadline - goro__nanotime();
            if (d < 0)
                d = 0;
            struct timespec ts = { d / GORO_SECOND, d % GORO_SECOND };
            struct pollfd p = { .fd = fd, .events = op_dir(op) ? POLLOUT : POLLIN };
            int pr = ppoll(&p, 1, &ts, NULL);
            if (pr < 0 && err_now() == EINTR)
                continue;
            if (pr == 0) {
                r = GORO_ETIMEDOUT;
                break;
            }
        }
        r = do_op(op, fd, buf, len, flags, sa, salen, false);
        if (r < 0) {
            e = err_now();
            if (e == EINTR)
                continue;
            r = -e;
        }
        break;
    }
    goro_syscall_end();
    return r;
}

/* One call to completion: the syscall, then wait and retry on EAGAIN. */
static ssize_t fd_op(int op, int fd, void *buf, size_t len, int flags,
                     struct sockaddr *sa, socklen_t *salen, int64_t deadline)
{
    int kind;
    goro__pd *pd = pd_prepared(fd, &kind);
    if (!pd)
        return kind;
    if (kind == PD_BLOCK)
        return block_op(op, fd, buf, len, flags, sa, salen, deadline);
    int d = op_dir(op);
    uint32_t gen = atomic_load_explicit(&pd->gen, memory_order_acquire);
    bool sock = atomic_load_explicit(&pd->sock, memory_order_relaxed);
    bool in_g = goro__getg() != NULL;
    /* The drained-read hint (netpoll.h): a read of a TCP socket (not a
     * peek, not out-of-band) by a goroutine. */
    bool hint = in_g && (op == OP_READ || (op == OP_RECV && !(flags & (MSG_PEEK | MSG_OOB)))) &&
                atomic_load_explicit(&pd->tcp, memory_order_relaxed);
    for (;;) {
        uint32_t seq[2] = { load_seq(pd, 0), load_seq(pd, 1) };
        if (hint && atomic_load_explicit(&pd->drained, memory_order_relaxed) == seq[0] + 1 &&
            seq[0] + 1 != 0 &&
            goro__nanotime() - atomic_load_explicit(&pd->drained_at, memory_order_relaxed) <
                HINT_NS) {
            /* The last read emptied the queue, just now, and no event came
             * since: nothing to read yet, so park before trying (saves the
             * read that Go's loop spends on EAGAIN). Only soon after: data
             * that came during a long computation may have its event still
             * in the backend, unharvested while the P is busy, and a read
             * gets it at once. */
            atomic_store_explicit(&pd->drained, 0, memory_order_relaxed);
            int w = goro__pd_wait(pd, fd, GORO_PE_READ, gen, seq, deadline);
            if (w < 0)
                return w;
            continue;
        }
        ssize_t r = do_op(op, fd, buf, len, flags, sa, salen, sock);
        if (r >= 0) {
            if (hint) {
                bool drained = r > 0 && (size_t)r < len &&
                               !atomic_load_explicit(&pd->hint_off, memory_order_relaxed);
                if (drained)
                    atomic_store_explicit(&pd->drained_at, goro__nanotime(), memory_order_relaxed);
                atomic_store_explicit(&pd->drained, drained ? seq[0] + 1 : 0, memory_order_relaxed);
            }
            return r;
        }
        int e = err_now();
        if (e == EINTR || (op == OP_ACCEPT && e == ECONNABORTED))
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return -e;
        int w = wait_ready(pd, fd, kind, 1 << d, gen, seq, deadline);
        if (w < 0)
            return w;
    }
}

/* Writes all of buf (Go's Write): see the file comment. */
static ssize_t write_all(int op, int fd, const void *buf, size_t len, int flags, int64_t deadline)
{
    size_t done = 0;
    do {
        ssize_t r = fd_op(op, fd, (char *)buf + done, len - done, flags, NULL, NULL, deadline);
        if (r < 0)
            return done ? (ssize_t)done : r;
        done += (size_t)r;
    } while (done < len);
    return (ssize_t)done;
}

ssize_t goro_read(int fd, void *buf, size_t len)
{
    SAN_RUNTIME_SCOPE;
    return fd_op(OP_READ, fd, buf, len, 0, NULL, NULL, GORO_FOREVER);
}

ssize_t goro_read_until(int fd, void *buf, size_t len, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    return fd_op(OP_READ, fd, buf, len, 0, NULL, NULL, deadline);
}

ssize_t goro_write(int fd, const void *buf, size_t len)
{
    SAN_RUNTIME_SCOPE;
    return write_all(OP_WRITE, fd, buf, len, 0, GORO_FOREVER);
}

ssize_t goro_write_until(int fd, const void *buf, size_t len, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    return write_all(OP_WRITE, fd, buf, len, 0, deadline);
}

ssize_t goro_recv(int fd, void *buf, size_t len, int flags)
{
    SAN_RUNTIME_SCOPE;
    return fd_op(OP_RECV, fd, buf, len, flags, NULL, NULL, GORO_FOREVER);
}

ssize_t goro_recv_until(int fd, void *buf, size_t len, int flags, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    return fd_op(OP_RECV, fd, buf, len, flags, NULL, NULL, deadline);
}

ssize_t goro_send(int fd, const void *buf, size_t len, int flags)
{
    SAN_RUNTIME_SCOPE;
    return write_all(OP_SEND, fd, buf, len, flags, GORO_FOREVER);
}

ssize_t goro_send_until(int fd, const void *buf, size_t len, int flags, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    return write_all(OP_SEND, fd, buf, len, flags, deadline);
}

static int accept_fd(int fd, struct sockaddr *addr, socklen_t *addrlen, int64_t deadline)
{
    ssize_t r = fd_op(OP_ACCEPT, fd, NULL, 0, 0, addr, addrlen, deadline);
    if (r >= 0) {
        goro__pd *lpd = goro__pd_get(fd);
        goro__pd_reset((int)r, true, true, lpd && atomic_load_explicit(&lpd->tcp, memory_order_relaxed));
    }
    return (int)r;
}

int goro_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    SAN_RUNTIME_SCOPE;
    return accept_fd(fd, addr, addrlen, GORO_FOREVER);
}

int goro_accept_until(int fd, struct sockaddr *addr, socklen_t *addrlen, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    return accept_fd(fd, addr, addrlen, deadline);
}

/* Has the non-blocking connect on fd finished? 1 yes, 0 not yet, or
 * -errno (Go's connect loop: SO_ERROR, then getpeername). */
static int connect_done(int fd)
{
    int err = 0;
    socklen_t l = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
        return -err_now();
    if (err == EINPROGRESS || err == EALREADY || err == EINTR)
        return 0;
    if (err)
        return -err;
    struct sockaddr_storage ss;
    l = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &l) == 0)
        return 1;
    return err_now() == ENOTCONN ? 0 : -err_now();
}

static int connect_fd(int fd, const struct sockaddr *addr, socklen_t len, int64_t deadline)
{
    int kind;
    goro__pd *pd = pd_prepared(fd, &kind);
    if (!pd)
        return kind;
    uint32_t gen = atomic_load_explicit(&pd->gen, memory_order_acquire);
    uint32_t seq[2] = { load_seq(pd, 0), load_seq(pd, 1) };
    int r = connect(fd, addr, len);
    if (r == 0)
        return 0;
    int e = err_now();
    if (e == EISCONN)
        return 0;
    if (e != EINPROGRESS && e != EINTR && e != EALREADY)
        return -e;
    for (;;) {
        int w = wait_ready(pd, fd, kind, GORO_PE_WRITE, gen, seq, deadline);
        if (w < 0)
            return w;
        seq[0] = load_seq(pd, 0);
        seq[1] = load_seq(pd, 1);
        int c = connect_done(fd);
        if (c < 0)
            return c;
        if (c > 0)
            return 0;
    }
}

int goro_connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    SAN_RUNTIME_SCOPE;
    return connect_fd(fd, addr, addrlen, GORO_FOREVER);
}

int goro_connect_until(int fd, const struct sockaddr *addr, socklen_t addrlen, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    return connect_fd(fd, addr, addrlen, deadline);
}

int goro_fd_wait(int fd, int events, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    events &= POLLIN | POLLOUT;
    if (!events)
        return GORO_EINVAL;
    int kind;
    goro__pd *pd = pd_prepared(fd, &kind);
    if (!pd)
        return kind;
    uint32_t gen = atomic_load_explicit(&pd->gen, memory_order_acquire);
    int dirs = (events & POLLIN ? GORO_PE_READ : 0) | (events & POLLOUT ? GORO_PE_WRITE : 0);
    for (;;) {
        uint32_t seq[2] = { load_seq(pd, 0), load_seq(pd, 1) };
        struct pollfd p = { .fd = fd, .events = (short)events };
        int r;
        if (kind == PD_BLOCK) {
            /* Not pollable by the backend: wait in poll(2), handed off. */
            int64_t d = deadline == GORO_FOREVER ? -1 : deadline - goro__nanotime();
            struct timespec ts = { d / GORO_SECOND, d % GORO_SECOND };
            if (d != -1 && d < 0)
                ts = (struct timespec){ 0, 0 };
            goro_syscall_begin();
            r = ppoll(&p, 1, d == -1 ? NULL : &ts, NULL);
            int e = err_now();
            goro_syscall_end();
            if (r == 0)
                return GORO_ETIMEDOUT;
            if (r < 0 && e != EINTR)
                return -e;
        } else {
            r = poll(&p, 1, 0);
            if (r < 0 && err_now() != EINTR)
                return -err_now();
        }
        if (r > 0)
            return p.revents & POLLNVAL ? -EBADF : p.revents;
        int w = wait_ready(pd, fd, kind, dirs, gen, seq, deadline);
        if (w < 0)
            return w;
    }
}

int goro_close(int fd)
{
    SAN_RUNTIME_SCOPE;
    if (fd < 0)
        return -EBADF;
    goro__pd_close(fd);
    if (close(fd) < 0 && err_now() != EINTR)
        return -err_now();
    return 0;
}

/* ---- TCP helpers ---- */

/* Resolves host:port. Numeric addresses are parsed here; names go to
 * getaddrinfo, a blocking call, between goro_syscall_begin/end. */
static int resolve(const char *host, int port, bool passive, struct addrinfo **res,
                   struct sockaddr_storage *one, socklen_t *onelen)
{
    *res = NULL;
    if (port < 0 || port > 65535)
        return GORO_EINVAL;
    memset(one, 0, sizeof *one);
    if (!host || !*host) {
        struct sockaddr_in *a = (struct sockaddr_in *)one;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        a->sin_addr.s_addr = htonl(passive ? INADDR_ANY : INADDR_LOOPBACK);
        *onelen = sizeof *a;
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)one;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *onelen = sizeof *a4;
        return 0;
    }
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)one;
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *onelen = sizeof *a6;
        return 0;
    }
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = passive ? AI_PASSIVE : 0 };
    char ps[8];
    snprintf(ps, sizeof ps, "%d", port);
    goro_syscall_begin();
    int r = getaddrinfo(host, ps, &hints, res);
    int e = err_now();
    goro_syscall_end();
    switch (r) {
    case 0:
        return 0;
    case EAI_MEMORY:
        return GORO_ENOMEM;
    case EAI_SYSTEM:
        return e ? -e : GORO_ENOHOST;
    default:
        return GORO_ENOHOST;
    }
}

static int dial_one(const struct sockaddr *sa, socklen_t len, int64_t deadline)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -err_now();
    goro__pd_reset(fd, true, true, true);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   /* as Go does */
    int r = connect_fd(fd, sa, len, deadline);
    if (r < 0) {
        goro_close(fd);
        return r;
    }
    return fd;
}

/* Tries `one` on each address host:port resolves to, in order, until one
 * returns an fd (or GORO_ETIMEDOUT when dialing: the deadline is spent);
 * the result is the last call's. `arg` is dial's deadline, listen's backlog. */
static int each_addr(const char *host, int port, bool listening,
                     int (*one)(const struct sockaddr *, socklen_t, int64_t),
                     int64_t arg)
{
    struct addrinfo *res;
    struct sockaddr_storage ss;
    socklen_t sl = 0;   /* set with ss (gcc cannot see it through resolve) */
    int r = resolve(host, port, listening, &res, &ss, &sl);
    if (r < 0)
        return r;
    if (!res)
        return one((struct sockaddr *)&ss, sl, arg);
    r = GORO_ENOHOST;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        r = one(ai->ai_addr, ai->ai_addrlen, arg);
        if (r >= 0 || (!listening && r == GORO_ETIMEDOUT))
            break;
    }
    freeaddrinfo(res);
    return r;
}

int goro_dial_tcp(const char *host, int port, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    return each_addr(host, port, false, dial_one, deadline);
}

static int listen_one(const struct sockaddr *sa, socklen_t len, int64_t backlog)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -err_now();
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, sa, len) < 0 || listen(fd, backlog > 0 ? (int)backlog : SOMAXCONN) < 0) {
        int e = err_now();
        close(fd);
        return -e;
    }
    goro__pd_reset(fd, true, true, true);
    return fd;
}

int goro_listen_tcp(const char *host, int port, int backlog)
{
    SAN_RUNTIME_SCOPE;
    return each_addr(host, port, true, listen_one, backlog);
}
