/* SPDX-License-Identifier: MIT */
/*
 * hook_internal.h: what the files of hook/ share: libc's own functions
 * (REAL), the fork flag, errno across a park, the hand-off of a call that
 * blocks (HANDOFF), and the fd table, all defined in hook.c but for
 * hook_goro_close (fdctl.c).
 *
 * Everything declared here is hidden: the library's dynamic symbols are
 * the interposed calls (EXPORT) and goro_hook_active, nothing else.
 * REAL(name) is always libc's function (dlsym(RTLD_NEXT)), never the
 * hook's: the hook reaches its own calls only by their exported names
 * (dup2 calls dup3, the _chk variants read, recv ...).
 *
 * The fd table has an entry per fd number below HOOK_NFD (numbers beyond
 * it have none: their reads and writes go straight to libc's, and their
 * close always goes through goro_close).
 * An entry holds what the hook knows of the fd now holding that number:
 * its kind (K_UNKNOWN until the first call that classifies it), the
 * program's own O_NONBLOCK (F_USER_NB), whether the hook made it
 * O_NONBLOCK (F_MANAGED) and whether goro's poller saw it (F_GORO), and
 * the program's SO_RCVTIMEO/SO_SNDTIMEO. hook_fd_reset forgets it when
 * the number is reused (a new fd, dup onto it, close). All fields are
 * relaxed atomics paired with nothing: calls racing on one fd number race
 * in the program too, as with libc, and two racing classifications of one
 * fd compute the same kind.
 */
#ifndef GORO_HOOK_INTERNAL_H
#define GORO_HOOK_INTERNAL_H

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "goro.h"

#define EXPORT __attribute__((visibility("default")))

#pragma GCC visibility push(hidden)

/* ---- libc's functions ---- */

#define HOOK_REAL_LIST(X)                                                              \
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

/* Set once, by hook_init: the library's constructor, or the first call
 * that finds its pointer still NULL (one made before the constructor ran). */
#define X(name, ret, args) extern ret(*hook_real_##name) args;
HOOK_REAL_LIST(X)
#undef X

void hook_init(void);

#define REAL(name) (hook_real_##name ? hook_real_##name : (hook_init(), hook_real_##name))

/* Set in the child of a fork(). The child has one thread and goro's Ms
 * are gone (docs/guide.md, "fork: only exec"): every call there is libc's,
 * as on a plain thread, and close/dup2 no longer go through goro_close,
 * so the usual dup2-close-exec sequence of a child works. Relaxed: the
 * child's one thread writes and reads it. */
extern _Atomic int hook_forked;

/* errno of the thread we run on now (docs/hacking.md, "errno and
 * thread-locals": after a park the goroutine may be on another thread).
 * Not inlined, so errno's address is computed at each call. */
int hook_err_get(void);
void hook_err_set(int e);

static inline bool in_g(void)
{
    return goro_in_goroutine() != 0 && !atomic_load_explicit(&hook_forked, memory_order_relaxed);
}

/* Runs CALL (which sets ret) with the goroutine's P handed off for the
 * time it blocks (goro_syscall_begin/end), keeping the call's errno. */
#define HANDOFF(call)                     \
    do {                                  \
        if (!in_g()) {                    \
            call;                         \
            break;                        \
        }                                 \
        goro_syscall_begin();             \
        call;                             \
        int handoff_err = hook_err_get(); \
        goro_syscall_end();               \
        hook_err_set(handoff_err);        \
    } while (0)

/* ---- the fd table (invariants in this file's header) ---- */

enum { K_UNKNOWN = 0, K_POLL, K_BLOCK };
#define F_USER_NB 1u   /* the program made it non-blocking */
#define F_MANAGED 2u   /* the hook made it O_NONBLOCK behind the program's back */
#define F_GORO 4u      /* passed to goro_fd_wait: close it with goro_close */

typedef struct {
    _Atomic uint32_t kind, flags;
    _Atomic int64_t rcvtimeo, sndtimeo;   /* ns; 0: none */
} hook_fdent;

#define HOOK_NFD 65536
extern hook_fdent hook_fdtab[HOOK_NFD];

/* fd's entry, or NULL beyond the table. */
static inline hook_fdent *ent(int fd)
{
    return fd >= 0 && fd < HOOK_NFD ? &hook_fdtab[fd] : NULL;
}

static inline uint32_t ent_flags(hook_fdent *e)
{
    return atomic_load_explicit(&e->flags, memory_order_relaxed);
}

static inline bool user_nb(hook_fdent *e)
{
    return ent_flags(e) & F_USER_NB;
}

/* The hook made fd O_NONBLOCK and the program did not: a plain thread's
 * EAGAIN on it is the hook's doing, so it must wait. */
static inline bool managed(int fd)
{
    hook_fdent *e = ent(fd);
    return e && (ent_flags(e) & (F_MANAGED | F_USER_NB)) == F_MANAGED;
}

/* Forgets what the table knew of the number fd (nothing when fd < 0, a
 * failed call's result) and returns fd. */
int hook_fd_reset(int fd);

/* fd's kind, classified at its first sight (fstat, and F_GETFL for the
 * program's own O_NONBLOCK); K_UNKNOWN when fstat fails. */
uint32_t hook_classify(int fd, hook_fdent *e);

/* Makes a pollable fd O_NONBLOCK for the goroutine path (F_MANAGED). */
void hook_manage(int fd, hook_fdent *e);

/* Records the program's O_NONBLOCK choice; a managed fd stays O_NONBLOCK. */
void hook_set_user_nb(int fd, bool nb);

/* goro_fd_wait, remembering that goro's poller knows fd (F_GORO). */
int hook_fd_wait(int fd, int events, int64_t deadline);

/* goro_close(fd), whose own close() reaches libc's (fdctl.c). */
int hook_goro_close(int fd);

/* A struct timespec in nanoseconds. */
static inline int64_t ts_ns(const struct timespec *ts)
{
    return ts->tv_sec * GORO_SECOND + ts->tv_nsec;
}

#pragma GCC visibility pop

#endif
