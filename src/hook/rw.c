/* SPDX-License-Identifier: MIT */
/*
 * rw.c: the calls that move data on one fd: the read/write, recv/send and
 * recvmsg/sendmsg families, sendfile and accept, through one I/O loop
 * (hook_io); and connect.
 *
 * In a goroutine, a call on a pollable fd (socket, pipe, FIFO, anonymous
 * inode) that the program has not made non-blocking makes the fd
 * O_NONBLOCK ("managed"), tries the call, and on EAGAIN parks in
 * goro_fd_wait until the fd is ready or SO_RCVTIMEO/SO_SNDTIMEO passes
 * (then EAGAIN, as libc). Other fds (files, terminals) go through
 * goro_syscall_begin/end. On a plain thread, a call on a managed fd that
 * gets EAGAIN waits in libc's poll and retries, so it still blocks as the
 * program expects. A call with MSG_DONTWAIT, or on an fd the program made
 * non-blocking, is libc's.
 */
#define _GNU_SOURCE
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hook_internal.h"

enum { OP_READ, OP_WRITE, OP_READV, OP_WRITEV, OP_RECV, OP_SEND, OP_RECVFROM, OP_SENDTO,
       OP_RECVMSG, OP_SENDMSG, OP_SENDFILE, OP_ACCEPT };

/* One call's arguments; flags are the MSG_ flags, or accept4's. */
typedef struct {
    void *buf;
    const void *cbuf;
    size_t len;
    int flags, iovcnt;
    const struct iovec *iov;
    struct sockaddr *sa;
    const struct sockaddr *csa;
    socklen_t *salen;
    socklen_t csalen;
    struct msghdr *msg;
    const struct msghdr *cmsg;
    int infd;   /* sendfile's */
    off_t *off;
} ioargs;

static ssize_t do_op(int op, int fd, const ioargs *a)
{
    switch (op) {
    case OP_READ: return REAL(read)(fd, a->buf, a->len);
    case OP_WRITE: return REAL(write)(fd, a->cbuf, a->len);
    case OP_READV: return REAL(readv)(fd, a->iov, a->iovcnt);
    case OP_WRITEV: return REAL(writev)(fd, a->iov, a->iovcnt);
    case OP_RECV: return REAL(recv)(fd, a->buf, a->len, a->flags);
    case OP_SEND: return REAL(send)(fd, a->cbuf, a->len, a->flags);
    case OP_RECVFROM: return REAL(recvfrom)(fd, a->buf, a->len, a->flags, a->sa, a->salen);
    case OP_SENDTO: return REAL(sendto)(fd, a->cbuf, a->len, a->flags, a->csa, a->csalen);
    case OP_RECVMSG: return REAL(recvmsg)(fd, a->msg, a->flags);
    case OP_SENDMSG: return REAL(sendmsg)(fd, a->cmsg, a->flags);
    case OP_SENDFILE: return REAL(sendfile)(fd, a->infd, a->off, a->len);
    default: return REAL(accept4)(fd, a->sa, a->salen, a->flags);
    }
}

static bool op_writes(int op)
{
    return op == OP_WRITE || op == OP_WRITEV || op == OP_SEND || op == OP_SENDTO ||
           op == OP_SENDMSG || op == OP_SENDFILE;
}

/* The deadline of a wait that SO_RCVTIMEO/SO_SNDTIMEO (ns, 0: none) ends. */
static int64_t tmo_deadline(int64_t tmo)
{
    return tmo > 0 ? goro_now() + tmo : GORO_FOREVER;
}

/* A plain thread's wait on a managed fd: libc's poll, for the timeout. */
static int thread_wait(int fd, short ev, int64_t tmo)
{
    struct pollfd p = { .fd = fd, .events = ev };
    int ms = tmo > 0 ? (int)((tmo + 999999) / 1000000) : -1;
    int r = REAL(poll)(&p, 1, ms);
    if (r == 0)
        return -EAGAIN;
    if (r < 0)
        return -hook_err_get();
    return 0;
}

static ssize_t hook_io(int op, int fd, const ioargs *a)
{
    hook_fdent *e = ent(fd);
    bool dontwait = (op == OP_RECV || op == OP_SEND || op == OP_RECVFROM || op == OP_SENDTO ||
                     op == OP_RECVMSG || op == OP_SENDMSG) && (a->flags & MSG_DONTWAIT);
    if (!e || dontwait)
        return do_op(op, fd, a);
    bool g = in_g();
    if (!g && !managed(fd))
        return do_op(op, fd, a);
    uint32_t k = hook_classify(fd, e);
    if (k == K_UNKNOWN || user_nb(e))
        return do_op(op, fd, a);
    if (k == K_BLOCK) {
        ssize_t r;
        HANDOFF(r = do_op(op, fd, a));
        return r;
    }
    bool w = op_writes(op);
    short ev = w ? POLLOUT : POLLIN;
    int64_t tmo = atomic_load_explicit(w ? &e->sndtimeo : &e->rcvtimeo, memory_order_relaxed);
    if (g)
        hook_manage(fd, e);
    int64_t deadline = tmo_deadline(tmo);
    for (;;) {
        ssize_t r = do_op(op, fd, a);
        if (r >= 0)
            return r;
        int err = hook_err_get();
        if (err != EAGAIN && err != EWOULDBLOCK) {
            hook_err_set(err);
            return r;
        }
        int wr;
        if (g) {
            wr = hook_fd_wait(fd, ev, deadline);
            if (wr == GORO_ETIMEDOUT)
                wr = -EAGAIN;
        } else {
            wr = thread_wait(fd, ev, tmo);
        }
        if (wr < 0) {
            hook_err_set(-wr);
            return -1;
        }
    }
}

EXPORT ssize_t read(int fd, void *buf, size_t len)
{
    return hook_io(OP_READ, fd, &(ioargs){ .buf = buf, .len = len });
}

EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
    return hook_io(OP_WRITE, fd, &(ioargs){ .cbuf = buf, .len = len });
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
    return hook_io(OP_READV, fd, &(ioargs){ .iov = iov, .iovcnt = n });
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
    return hook_io(OP_WRITEV, fd, &(ioargs){ .iov = iov, .iovcnt = n });
}

EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    return hook_io(OP_RECV, fd, &(ioargs){ .buf = buf, .len = len, .flags = flags });
}

EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    return hook_io(OP_SEND, fd, &(ioargs){ .cbuf = buf, .len = len, .flags = flags });
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *sa,
                        socklen_t *salen)
{
    return hook_io(OP_RECVFROM, fd, &(ioargs){ .buf = buf, .len = len, .flags = flags,
                                               .sa = sa, .salen = salen });
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *sa,
                      socklen_t salen)
{
    return hook_io(OP_SENDTO, fd, &(ioargs){ .cbuf = buf, .len = len, .flags = flags,
                                             .csa = sa, .csalen = salen });
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    return hook_io(OP_RECVMSG, fd, &(ioargs){ .msg = msg, .flags = flags });
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    return hook_io(OP_SENDMSG, fd, &(ioargs){ .cmsg = msg, .flags = flags });
}

/* sendfile to a socket or pipe (OpenSSL's kTLS uses it) waits for room
 * in the out fd, as write does. */
EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t len)
{
    return hook_io(OP_SENDFILE, out, &(ioargs){ .infd = in, .off = off, .len = len });
}

EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t len)
{
    return sendfile(out, in, (off_t *)off, len);
}

EXPORT int accept4(int fd, struct sockaddr *sa, socklen_t *salen, int flags)
{
    return hook_fd_reset((int)hook_io(OP_ACCEPT, fd,
                                      &(ioargs){ .sa = sa, .salen = salen, .flags = flags }));
}

EXPORT int accept(int fd, struct sockaddr *sa, socklen_t *salen)
{
    return accept4(fd, sa, salen, 0);
}

EXPORT int connect(int fd, const struct sockaddr *sa, socklen_t salen)
{
    hook_fdent *e = ent(fd);
    bool g = in_g();
    if (!e || (!g && !managed(fd)) || hook_classify(fd, e) != K_POLL || user_nb(e))
        return REAL(connect)(fd, sa, salen);
    if (g)
        hook_manage(fd, e);
    int r = REAL(connect)(fd, sa, salen);
    if (r == 0 || hook_err_get() != EINPROGRESS)
        return r;
    int64_t tmo = atomic_load_explicit(&e->sndtimeo, memory_order_relaxed);
    int wr = g ? hook_fd_wait(fd, POLLOUT, tmo_deadline(tmo)) : thread_wait(fd, POLLOUT, tmo);
    if (wr == GORO_ETIMEDOUT || wr == -EAGAIN) {
        hook_err_set(EINPROGRESS);   /* libc's answer when SO_SNDTIMEO ends a connect */
        return -1;
    }
    if (wr < 0) {
        hook_err_set(-wr);
        return -1;
    }
    int soerr = 0;
    socklen_t l = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l) < 0)
        return -1;
    if (soerr) {
        hook_err_set(soerr);
        return -1;
    }
    return 0;
}
