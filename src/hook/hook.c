/* SPDX-License-Identifier: MIT */
/*
 * hook.c: libgoro-hook. Symbols of the same names as libc's blocking calls;
 * libc's own are reached with dlsym(RTLD_NEXT, ...). Only goro's public API
 * is used (goro_in_goroutine, goro_fd_wait, goro_syscall_begin/end,
 * goro_sleep, goro_close, goro_now).
 *
 * In a goroutine, a call on a pollable fd (socket, pipe, FIFO, anonymous
 * inode) that the program has not made non-blocking makes the fd
 * O_NONBLOCK ("managed"), tries the call, and on EAGAIN parks in
 * goro_fd_wait until the fd is ready or SO_RCVTIMEO/SO_SNDTIMEO passes
 * (then EAGAIN, as libc). Other fds (files, terminals) go through
 * goro_syscall_begin/end. On a plain thread, a call on a managed fd that
 * gets EAGAIN waits in libc's poll and retries, so it still blocks as the
 * program expects. fcntl(F_GETFL/F_SETFL) and ioctl(FIONBIO) keep the
 * program's own O_NONBLOCK in the fd table and report it back.
 *
 * poll/select with several fds and a timeout wait on a temporary epoll fd
 * holding them all; epoll_wait waits on the program's epoll fd itself.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "goro.h"
#include "goro_hook.h"

#define EXPORT __attribute__((visibility("default")))

/* ---- libc's functions ---- */

#define REAL_LIST(X)                                                                   \
    X(read, ssize_t, (int, void *, size_t))                                            \
    X(write, ssize_t, (int, const void *, size_t))                                     \
    X(readv, ssize_t, (int, const struct iovec *, int))                                \
    X(writev, ssize_t, (int, const struct iovec *, int))                               \
    X(recv, ssize_t, (int, void *, size_t, int))                                       \
    X(send, ssize_t, (int, const void *, size_t, int))                                 \
    X(recvfrom, ssize_t, (int, void *, size_t, int, struct sockaddr *, socklen_t *))   \
    X(sendto, ssize_t, (int, const void *, size_t, int, const struct sockaddr *, socklen_t)) \
    X(recvmsg, ssize_t, (int, struct msghdr *, int))                                   \
    X(sendmsg, ssize_t, (int, const struct msghdr *, int))                             \
    X(connect, int, (int, const struct sockaddr *, socklen_t))                         \
    X(accept, int, (int, struct sockaddr *, socklen_t *))                              \
    X(accept4, int, (int, struct sockaddr *, socklen_t *, int))                        \
    X(poll, int, (struct pollfd *, nfds_t, int))                                       \
    X(ppoll, int, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *)) \
    X(select, int, (int, fd_set *, fd_set *, fd_set *, struct timeval *))              \
    X(pselect, int, (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *)) \
    X(epoll_wait, int, (int, struct epoll_event *, int, int))                          \
    X(epoll_pwait, int, (int, struct epoll_event *, int, int, const sigset_t *))       \
    X(nanosleep, int, (const struct timespec *, struct timespec *))                    \
    X(clock_nanosleep, int, (clockid_t, int, const struct timespec *, struct timespec *)) \
    X(usleep, int, (useconds_t))                                                       \
    X(sleep, unsigned, (unsigned))                                                     \
    X(fcntl, int, (int, int, ...))                                                     \
    X(ioctl, int, (int, unsigned long, ...))                                           \
    X(setsockopt, int, (int, int, int, const void *, socklen_t))                       \
    X(close, int, (int))                                                               \
    X(dup, int, (int))                                                                 \
    X(dup2, int, (int, int))                                                           \
    X(dup3, int, (int, int, int))                                                      \
    X(getaddrinfo, int, (const char *, const char *, const struct addrinfo *, struct addrinfo **)) \
    X(gethostbyname, struct hostent *, (const char *))                                 \
    X(gethostbyname_r, int, (const char *, struct hostent *, char *, size_t, struct hostent **, int *)) \
    X(gethostbyname2_r, int, (const char *, int, struct hostent *, char *, size_t, struct hostent **, int *)) \
    X(getnameinfo, int, (const struct sockaddr *, socklen_t, char *, socklen_t, char *, socklen_t, int)) \
    X(pread, ssize_t, (int, void *, size_t, off_t))                                    \
    X(pwrite, ssize_t, (int, const void *, size_t, off_t))                             \
    X(sendfile, ssize_t, (int, int, off_t *, size_t))                                  \
    X(socket, int, (int, int, int))                                                    \
    X(socketpair, int, (int, int, int, int *))                                         \
    X(pipe2, int, (int *, int))

#define X(name, ret, args) static ret(*real_##name) args;
REAL_LIST(X)
#undef X

static void resolve_all(void)
{
#define X(name, ret, args) real_##name = (ret(*) args)dlsym(RTLD_NEXT, #name);
    REAL_LIST(X)
#undef X
}

/* Set in the child of a fork(). The child has one thread and goro's Ms
 * are gone (docs/guide.md, "fork: only exec"): every call there is libc's,
 * as on a plain thread, and close/dup2 no longer go through goro_close,
 * so the usual dup2-close-exec sequence of a child works. */
static _Atomic int forked;

static void fork_child(void)
{
    atomic_store_explicit(&forked, 1, memory_order_relaxed);
}

static void resolve_once_fn(void)
{
    resolve_all();
    pthread_atfork(NULL, NULL, fork_child);
}

static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

__attribute__((constructor)) static void hook_init(void)
{
    pthread_once(&resolve_once, resolve_once_fn);
}

#define REAL(name) (real_##name ? real_##name : (hook_init(), real_##name))

/* errno of the thread we run on now (docs/hacking.md, "errno and
 * thread-locals": after a park the goroutine may be on another thread). */
static __attribute__((noinline)) int err_get(void)
{
    __asm__ volatile("" ::: "memory");
    return errno;
}

static __attribute__((noinline)) void err_set(int e)
{
    __asm__ volatile("" ::: "memory");
    errno = e;
}

static inline bool in_g(void)
{
    return goro_in_goroutine() != 0 && !atomic_load_explicit(&forked, memory_order_relaxed);
}

/* Runs CALL (which sets ret) with the goroutine's P handed off for the
 * time it blocks (goro_syscall_begin/end), keeping the call's errno. */
#define HANDOFF(call)                \
    do {                             \
        if (!in_g()) {               \
            call;                    \
            break;                   \
        }                            \
        goro_syscall_begin();        \
        call;                        \
        int handoff_err = err_get(); \
        goro_syscall_end();          \
        err_set(handoff_err);        \
    } while (0)

/* ---- the fd table ---- */

enum { K_UNKNOWN = 0, K_POLL, K_BLOCK };
#define F_USER_NB 1u   /* the program made it non-blocking */
#define F_MANAGED 2u   /* the hook made it O_NONBLOCK behind the program's back */
#define F_GORO 4u      /* passed to goro_fd_wait: close it with goro_close */

typedef struct {
    _Atomic uint32_t kind, flags;
    _Atomic int64_t rcvtimeo, sndtimeo;   /* ns; 0: none */
} fdent;

#define NFD 65536
static fdent fdtab[NFD];

static fdent *ent(int fd)
{
    return fd >= 0 && fd < NFD ? &fdtab[fd] : NULL;
}

static void ent_reset(int fd)
{
    fdent *e = ent(fd);
    if (!e)
        return;
    atomic_store_explicit(&e->kind, K_UNKNOWN, memory_order_relaxed);
    atomic_store_explicit(&e->flags, 0, memory_order_relaxed);
    atomic_store_explicit(&e->rcvtimeo, 0, memory_order_relaxed);
    atomic_store_explicit(&e->sndtimeo, 0, memory_order_relaxed);
}

/* Classifies fd at its first sight: pollable or not, and whether it is
 * already non-blocking (then the program's choice, passed through). */
static uint32_t classify(int fd, fdent *e)
{
    uint32_t k = atomic_load_explicit(&e->kind, memory_order_relaxed);
    if (k != K_UNKNOWN)
        return k;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return K_UNKNOWN;
    mode_t t = st.st_mode & S_IFMT;
    k = (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode) || t == 0) ? K_POLL : K_BLOCK;
    int fl = REAL(fcntl)(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK))
        atomic_fetch_or_explicit(&e->flags, F_USER_NB, memory_order_relaxed);
    atomic_store_explicit(&e->kind, k, memory_order_relaxed);
    return k;
}

static bool user_nb(fdent *e)
{
    return atomic_load_explicit(&e->flags, memory_order_relaxed) & F_USER_NB;
}

static bool managed(int fd)
{
    fdent *e = ent(fd);
    return e && (atomic_load_explicit(&e->flags, memory_order_relaxed) & (F_MANAGED | F_USER_NB)) ==
                    F_MANAGED;
}

static int fd_wait(int fd, int events, int64_t deadline);

/* Makes a pollable fd O_NONBLOCK for the goroutine path. */
static void manage(int fd, fdent *e)
{
    if (atomic_load_explicit(&e->flags, memory_order_relaxed) & F_MANAGED)
        return;
    int fl = REAL(fcntl)(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK))
        REAL(fcntl)(fd, F_SETFL, fl | O_NONBLOCK);
    /* goro classifies the fd at its first goro call, reading F_GETFL
     * through our fcntl: let it see O_NONBLOCK before F_MANAGED hides it,
     * or its F_SETFL would read as the program's own choice. */
    fd_wait(fd, POLLOUT, 0);
    atomic_fetch_or_explicit(&e->flags, F_MANAGED, memory_order_relaxed);
}

/* goro_fd_wait, remembering that goro's poller knows fd: its close must
 * then go through goro_close, or a later fd of the same number would find
 * goro's stale state (an epoll registration the kernel dropped). */
static int fd_wait(int fd, int events, int64_t deadline)
{
    fdent *e = ent(fd);
    if (e && !(atomic_load_explicit(&e->flags, memory_order_relaxed) & F_GORO))
        atomic_fetch_or_explicit(&e->flags, F_GORO, memory_order_relaxed);
    return goro_fd_wait(fd, events, deadline);
}

/* ---- the one I/O loop ---- */

enum { OP_READ, OP_WRITE, OP_READV, OP_WRITEV, OP_RECV, OP_SEND, OP_RECVFROM, OP_SENDTO,
       OP_RECVMSG, OP_SENDMSG, OP_SENDFILE, OP_ACCEPT };

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

static ssize_t do_op(int op, int fd, const ioargs *a, int accflags)
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
    default: return REAL(accept4)(fd, a->sa, a->salen, accflags);
    }
}

static bool op_writes(int op)
{
    return op == OP_WRITE || op == OP_WRITEV || op == OP_SEND || op == OP_SENDTO ||
           op == OP_SENDMSG || op == OP_SENDFILE;
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
        return -err_get();
    return 0;
}

static ssize_t hook_io(int op, int fd, const ioargs *a, int accflags)
{
    fdent *e = ent(fd);
    bool dontwait = (op == OP_RECV || op == OP_SEND || op == OP_RECVFROM || op == OP_SENDTO ||
                     op == OP_RECVMSG || op == OP_SENDMSG) && (a->flags & MSG_DONTWAIT);
    if (!e || dontwait)
        return do_op(op, fd, a, accflags);
    bool g = in_g();
    if (!g && !managed(fd))
        return do_op(op, fd, a, accflags);
    uint32_t k = classify(fd, e);
    if (k == K_UNKNOWN || user_nb(e))
        return do_op(op, fd, a, accflags);
    if (k == K_BLOCK) {
        ssize_t r;
        HANDOFF(r = do_op(op, fd, a, accflags));
        return r;
    }
    bool w = op_writes(op);
    short ev = w ? POLLOUT : POLLIN;
    int64_t tmo = atomic_load_explicit(w ? &e->sndtimeo : &e->rcvtimeo, memory_order_relaxed);
    if (g)
        manage(fd, e);
    int64_t deadline = tmo > 0 ? goro_now() + tmo : GORO_FOREVER;
    for (;;) {
        ssize_t r = do_op(op, fd, a, accflags);
        if (r >= 0)
            return r;
        int err = err_get();
        if (err != EAGAIN && err != EWOULDBLOCK) {
            err_set(err);
            return r;
        }
        int wr;
        if (g) {
            wr = fd_wait(fd, ev, deadline);
            if (wr == GORO_ETIMEDOUT)
                wr = -EAGAIN;
        } else {
            wr = thread_wait(fd, ev, tmo);
        }
        if (wr < 0) {
            err_set(-wr);
            return -1;
        }
    }
}

EXPORT ssize_t read(int fd, void *buf, size_t len)
{
    ioargs a = { .buf = buf, .len = len };
    return hook_io(OP_READ, fd, &a, 0);
}

EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
    ioargs a = { .cbuf = buf, .len = len };
    return hook_io(OP_WRITE, fd, &a, 0);
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
    ioargs a = { .iov = iov, .iovcnt = n };
    return hook_io(OP_READV, fd, &a, 0);
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
    ioargs a = { .iov = iov, .iovcnt = n };
    return hook_io(OP_WRITEV, fd, &a, 0);
}

EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    ioargs a = { .buf = buf, .len = len, .flags = flags };
    return hook_io(OP_RECV, fd, &a, 0);
}

EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    ioargs a = { .cbuf = buf, .len = len, .flags = flags };
    return hook_io(OP_SEND, fd, &a, 0);
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *sa,
                        socklen_t *salen)
{
    ioargs a = { .buf = buf, .len = len, .flags = flags, .sa = sa, .salen = salen };
    return hook_io(OP_RECVFROM, fd, &a, 0);
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *sa,
                      socklen_t salen)
{
    ioargs a = { .cbuf = buf, .len = len, .flags = flags, .csa = sa, .csalen = salen };
    return hook_io(OP_SENDTO, fd, &a, 0);
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    ioargs a = { .msg = msg, .flags = flags };
    return hook_io(OP_RECVMSG, fd, &a, 0);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    ioargs a = { .cmsg = msg, .flags = flags };
    return hook_io(OP_SENDMSG, fd, &a, 0);
}

/* sendfile to a socket or pipe (OpenSSL's kTLS uses it) waits for room
 * in the out fd, as write does. */
EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t len)
{
    ioargs a = { .infd = in, .off = off, .len = len };
    return hook_io(OP_SENDFILE, out, &a, 0);
}

EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t len)
{
    return sendfile(out, in, (off_t *)off, len);
}

EXPORT int accept4(int fd, struct sockaddr *sa, socklen_t *salen, int flags)
{
    ioargs a = { .sa = sa, .salen = salen };
    int r = (int)hook_io(OP_ACCEPT, fd, &a, flags);
    if (r >= 0)
        ent_reset(r);
    return r;
}

EXPORT int accept(int fd, struct sockaddr *sa, socklen_t *salen)
{
    return accept4(fd, sa, salen, 0);
}

EXPORT int connect(int fd, const struct sockaddr *sa, socklen_t salen)
{
    fdent *e = ent(fd);
    bool g = in_g();
    if (!e || (!g && !managed(fd)) || classify(fd, e) != K_POLL || user_nb(e))
        return REAL(connect)(fd, sa, salen);
    if (g)
        manage(fd, e);
    int r = REAL(connect)(fd, sa, salen);
    if (r == 0 || err_get() != EINPROGRESS)
        return r;
    int64_t tmo = atomic_load_explicit(&e->sndtimeo, memory_order_relaxed);
    int wr = g ? fd_wait(fd, POLLOUT, tmo > 0 ? goro_now() + tmo : GORO_FOREVER)
               : thread_wait(fd, POLLOUT, tmo);
    if (wr == GORO_ETIMEDOUT || wr == -EAGAIN) {
        err_set(EINPROGRESS);   /* libc's answer when SO_SNDTIMEO ends a connect */
        return -1;
    }
    if (wr < 0) {
        err_set(-wr);
        return -1;
    }
    int soerr = 0;
    socklen_t l = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l) < 0)
        return -1;
    if (soerr) {
        err_set(soerr);
        return -1;
    }
    return 0;
}

EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    int r = REAL(setsockopt)(fd, level, name, val, len);
    fdent *e = ent(fd);
    if (r == 0 && e && level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO) &&
        len >= sizeof(struct timeval)) {
        const struct timeval *tv = val;
        int64_t ns = (int64_t)tv->tv_sec * GORO_SECOND + (int64_t)tv->tv_usec * 1000;
        atomic_store_explicit(name == SO_RCVTIMEO ? &e->rcvtimeo : &e->sndtimeo, ns,
                              memory_order_relaxed);
    }
    return r;
}

/* ---- non-blocking flag, close, dup ---- */

/* Records the program's O_NONBLOCK choice; a managed fd stays O_NONBLOCK. */
static void set_user_nb(int fd, bool nb)
{
    fdent *e = ent(fd);
    if (!e)
        return;
    classify(fd, e);
    if (nb)
        atomic_fetch_or_explicit(&e->flags, F_USER_NB, memory_order_relaxed);
    else
        atomic_fetch_and_explicit(&e->flags, ~F_USER_NB, memory_order_relaxed);
}

EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);   /* every fcntl argument fits a pointer */
    va_end(ap);
    if (cmd == F_GETFL) {
        int fl = REAL(fcntl)(fd, cmd);
        fdent *e = ent(fd);
        if (fl >= 0 && e && (atomic_load_explicit(&e->flags, memory_order_relaxed) & F_MANAGED))
            fl = user_nb(e) ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
        return fl;
    }
    if (cmd == F_SETFL) {
        int fl = (int)(intptr_t)arg;
        fdent *e = ent(fd);
        bool keep = e && (atomic_load_explicit(&e->flags, memory_order_relaxed) & F_MANAGED);
        int r = REAL(fcntl)(fd, cmd, keep ? fl | O_NONBLOCK : fl);
        if (r == 0)
            set_user_nb(fd, fl & O_NONBLOCK);
        return r;
    }
    int r = REAL(fcntl)(fd, cmd, arg);
    if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
        ent_reset(r);
    return r;
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (req == FIONBIO && arg) {
        int nb = *(int *)arg;
        fdent *e = ent(fd);
        if (e && (atomic_load_explicit(&e->flags, memory_order_relaxed) & F_MANAGED)) {
            int on = 1;
            int r = REAL(ioctl)(fd, req, &on);
            if (r == 0)
                set_user_nb(fd, nb);
            return r;
        }
        int r = REAL(ioctl)(fd, req, arg);
        if (r == 0)
            set_user_nb(fd, nb);
        return r;
    }
    return REAL(ioctl)(fd, req, arg);
}

/* goro_close wakes goroutines waiting on the fd and forgets its poll
 * state; it calls close() itself, which must then reach libc's. */
static _Thread_local int in_goro_close;

/* Forgets fd, closing it through goro_close when goro's poller saw it
 * (and always beyond the table). */
static int forget(int fd, bool closing)
{
    fdent *e = ent(fd);
    bool mine = !e || (atomic_load_explicit(&e->flags, memory_order_relaxed) & F_GORO);
    ent_reset(fd);
    if (!mine)
        return closing ? REAL(close)(fd) : 0;
    in_goro_close++;
    int r = goro_close(fd);
    in_goro_close--;
    if (r < 0) {
        err_set(-r);
        return -1;
    }
    return 0;
}

EXPORT int close(int fd)
{
    if (in_goro_close || atomic_load_explicit(&forked, memory_order_relaxed)) {
        if (!in_goro_close)
            ent_reset(fd);
        return REAL(close)(fd);
    }
    return forget(fd, true);
}

EXPORT int dup(int fd)
{
    int r = REAL(dup)(fd);
    if (r >= 0)
        ent_reset(r);
    return r;
}

EXPORT int dup3(int old, int new, int flags)
{
    if (old != new && new >= 0 && !atomic_load_explicit(&forked, memory_order_relaxed))
        forget(new, false);   /* dup3 closes it: wake its waiters first */
    int r = REAL(dup3)(old, new, flags);
    if (r >= 0)
        ent_reset(r);
    return r;
}

EXPORT int dup2(int old, int new)
{
    if (old == new)
        return REAL(dup2)(old, new);
    return dup3(old, new, 0);
}

/* ---- poll, select, epoll ---- */

static int64_t ms_deadline(int ms)
{
    return ms < 0 ? GORO_FOREVER : goro_now() + (int64_t)ms * GORO_MILLISECOND;
}

static int64_t ts_deadline(const struct timespec *ts)
{
    return ts ? goro_now() + ts->tv_sec * GORO_SECOND + ts->tv_nsec : GORO_FOREVER;
}

/* Parks until one of fds may be ready or the deadline passes: one fd
 * directly, several through a temporary epoll fd holding them all. */
static int wait_fds(const struct pollfd *fds, nfds_t n, int64_t deadline)
{
    if (n == 1 && fds[0].fd >= 0) {
        /* goro makes an fd O_NONBLOCK at its first goro_fd_wait, through
         * our fcntl: manage it first, or that would read as the
         * program's choice and its later reads would fail with EAGAIN */
        fdent *e = ent(fds[0].fd);
        if (e && classify(fds[0].fd, e) == K_POLL && !user_nb(e))
            manage(fds[0].fd, e);
        return fd_wait(fds[0].fd, fds[0].events & (POLLIN | POLLOUT) ? fds[0].events : POLLIN,
                            deadline);
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return -err_get();
    for (nfds_t i = 0; i < n; i++) {
        if (fds[i].fd < 0)
            continue;
        struct epoll_event ev = { .events = (uint32_t)fds[i].events | EPOLLRDHUP };
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i].fd, &ev);   /* EEXIST for repeats: fine */
    }
    int r = goro_fd_wait(ep, POLLIN, deadline);
    in_goro_close++;
    goro_close(ep);
    in_goro_close--;
    return r;
}

static int poll_g(struct pollfd *fds, nfds_t n, int64_t deadline, const sigset_t *mask)
{
    static const struct timespec zero;
    for (;;) {
        int r = REAL(ppoll)(fds, n, &zero, mask);
        if (r != 0)
            return r;
        if (deadline != GORO_FOREVER && goro_now() >= deadline)
            return 0;
        int w = wait_fds(fds, n, deadline);
        if (w == GORO_ETIMEDOUT)
            return 0;
        if (w < 0) {
            err_set(-w);
            return -1;
        }
    }
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int ms)
{
    if (ms == 0 || !in_g())
        return REAL(poll)(fds, n, ms);
    return poll_g(fds, n, ms_deadline(ms), NULL);
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
    if ((ts && ts->tv_sec == 0 && ts->tv_nsec == 0) || !in_g())
        return REAL(ppoll)(fds, n, ts, mask);
    return poll_g(fds, n, ts_deadline(ts), mask);
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
            err_set(-wr);
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
    if ((ts && ts->tv_sec == 0 && ts->tv_nsec == 0) || !in_g())
        return REAL(pselect)(nfds, r, w, x, ts, mask);
    return select_g(nfds, r, w, x, ts_deadline(ts), mask);
}

static int epoll_g(int ep, struct epoll_event *evs, int max, int ms, const sigset_t *mask)
{
    int64_t deadline = ms_deadline(ms);
    for (;;) {
        int r = REAL(epoll_pwait)(ep, evs, max, 0, mask);
        if (r != 0)
            return r;
        if (deadline != GORO_FOREVER && goro_now() >= deadline)
            return 0;
        int w = fd_wait(ep, POLLIN, deadline);
        if (w == GORO_ETIMEDOUT)
            return 0;
        if (w < 0) {
            err_set(-w);
            return -1;
        }
    }
}

EXPORT int epoll_wait(int ep, struct epoll_event *evs, int max, int ms)
{
    if (ms == 0 || !in_g())
        return REAL(epoll_wait)(ep, evs, max, ms);
    return epoll_g(ep, evs, max, ms, NULL);
}

EXPORT int epoll_pwait(int ep, struct epoll_event *evs, int max, int ms, const sigset_t *mask)
{
    if (ms == 0 || !in_g())
        return REAL(epoll_pwait)(ep, evs, max, ms, mask);
    return epoll_g(ep, evs, max, ms, mask);
}

/* ---- sleeps ---- */

EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!in_g())
        return REAL(nanosleep)(req, rem);
    if (!req || req->tv_nsec < 0 || req->tv_nsec >= 1000000000 || req->tv_sec < 0) {
        err_set(EINVAL);
        return -1;
    }
    goro_sleep(req->tv_sec * GORO_SECOND + req->tv_nsec);
    if (rem)
        *rem = (struct timespec){ 0, 0 };
    return 0;
}

EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
    if (!in_g() || !req || req->tv_nsec < 0 || req->tv_nsec >= 1000000000)
        return REAL(clock_nanosleep)(clk, flags, req, rem);
    int64_t d = req->tv_sec * GORO_SECOND + req->tv_nsec;
    if (flags & TIMER_ABSTIME) {
        struct timespec now;
        if (clock_gettime(clk, &now) < 0)
            return EINVAL;
        d -= now.tv_sec * GORO_SECOND + now.tv_nsec;
    }
    if (d > 0)
        goro_sleep(d);
    if (rem && !(flags & TIMER_ABSTIME))
        *rem = (struct timespec){ 0, 0 };
    return 0;
}

EXPORT int usleep(useconds_t us)
{
    if (!in_g())
        return REAL(usleep)(us);
    goro_sleep((int64_t)us * GORO_MICROSECOND);
    return 0;
}

EXPORT unsigned sleep(unsigned s)
{
    if (!in_g())
        return REAL(sleep)(s);
    goro_sleep((int64_t)s * GORO_SECOND);
    return 0;
}

/* ---- name resolution and positioned file I/O: the blocking-call hand-off ---- */

/* A numeric address (or none) and a numeric port, or none: nothing to
 * look up, so no hand-off (which would cost a thread while it lasts:
 * libpq and hiredis resolve "127.0.0.1" at every connect). */
static bool numeric(const char *s, bool host)
{
    if (!s)
        return true;
    unsigned char a[sizeof(struct in6_addr)];
    if (host)
        return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

EXPORT int getaddrinfo(const char *node, const char *svc, const struct addrinfo *hints,
                       struct addrinfo **res)
{
    int r;
    if (numeric(node, true) && numeric(svc, false))
        return REAL(getaddrinfo)(node, svc, hints, res);
    HANDOFF(r = REAL(getaddrinfo)(node, svc, hints, res));
    return r;
}

EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                       char *serv, socklen_t servlen, int flags)
{
    int r;
    HANDOFF(r = REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags));
    return r;
}

EXPORT struct hostent *gethostbyname(const char *name)
{
    struct hostent *h;
    HANDOFF(h = REAL(gethostbyname)(name));
    return h;
}

EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t len,
                           struct hostent **res, int *herr)
{
    int r;
    HANDOFF(r = REAL(gethostbyname_r)(name, ret, buf, len, res, herr));
    return r;
}

EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t len,
                            struct hostent **res, int *herr)
{
    int r;
    HANDOFF(r = REAL(gethostbyname2_r)(name, af, ret, buf, len, res, herr));
    return r;
}

/* pread/pwrite work on files (ESPIPE on sockets and pipes): hand-off. */
EXPORT ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
    ssize_t r;
    HANDOFF(r = REAL(pread)(fd, buf, len, off));
    return r;
}

EXPORT ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    ssize_t r;
    HANDOFF(r = REAL(pwrite)(fd, buf, len, off));
    return r;
}

EXPORT ssize_t pread64(int fd, void *buf, size_t len, off64_t off)
{
    return pread(fd, buf, len, (off_t)off);
}

EXPORT ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
    return pwrite(fd, buf, len, (off_t)off);
}

/* ---- _FORTIFY_SOURCE's checked variants ----
 * A program built with -D_FORTIFY_SOURCE calls these instead of read, recv,
 * poll ... when the compiler knows the buffer's size: the same check as
 * glibc's, then the interposed call. */

extern void __chk_fail(void) __attribute__((noreturn));

EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
    if (len > buflen)
        __chk_fail();
    return read(fd, buf, len);
}

EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
    if (len > buflen)
        __chk_fail();
    return recv(fd, buf, len, flags);
}

EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                              struct sockaddr *sa, socklen_t *salen)
{
    if (len > buflen)
        __chk_fail();
    return recvfrom(fd, buf, len, flags, sa, salen);
}

EXPORT ssize_t __pread_chk(int fd, void *buf, size_t len, off_t off, size_t buflen)
{
    if (len > buflen)
        __chk_fail();
    return pread(fd, buf, len, off);
}

EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t len, off64_t off, size_t buflen)
{
    if (len > buflen)
        __chk_fail();
    return pread(fd, buf, len, (off_t)off);
}

EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int ms, size_t fdslen)
{
    if (fdslen / sizeof *fds < n)
        __chk_fail();
    return poll(fds, n, ms);
}

EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
                       const sigset_t *mask, size_t fdslen)
{
    if (fdslen / sizeof *fds < n)
        __chk_fail();
    return ppoll(fds, n, ts, mask);
}

/* ---- new fds: forget what the table knew of their number ----
 * A number closed behind the hook's back (fclose, close_range, a raw
 * syscall) is reset when a socket or pipe reuses it. */

EXPORT int socket(int dom, int type, int proto)
{
    int r = REAL(socket)(dom, type, proto);
    if (r >= 0)
        ent_reset(r);
    return r;
}

EXPORT int socketpair(int dom, int type, int proto, int sv[2])
{
    int r = REAL(socketpair)(dom, type, proto, sv);
    if (r == 0) {
        ent_reset(sv[0]);
        ent_reset(sv[1]);
    }
    return r;
}

EXPORT int pipe2(int fds[2], int flags)
{
    int r = REAL(pipe2)(fds, flags);
    if (r == 0) {
        ent_reset(fds[0]);
        ent_reset(fds[1]);
    }
    return r;
}

EXPORT int pipe(int fds[2])
{
    return pipe2(fds, 0);
}

EXPORT int goro_hook_active(void)
{
    return dlsym(RTLD_DEFAULT, "read") == (void *)read;
}
