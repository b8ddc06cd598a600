/* SPDX-License-Identifier: MIT */
/*
 * hook.c: libgoro-hook's core: libc's own functions (resolved once, with
 * dlsym(RTLD_NEXT, ...)), the fork flag, errno across a park, the fd
 * table, and goro_hook_active.
 *
 * The library's other files define symbols of the same names as libc's
 * blocking calls, using goro's public API only (goro_in_goroutine,
 * goro_fd_wait, goro_syscall_begin/end, goro_sleep, goro_close, goro_now).
 * What the files share, and the fd table's invariants, are in
 * hook_internal.h.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "goro_hook.h"
#include "hook_internal.h"

/* ---- libc's functions ---- */

#define X(name, ret, args) ret(*hook_real_##name) args;
HOOK_REAL_LIST(X)
#undef X

static void resolve_all(void)
{
#define X(name, ret, args) hook_real_##name = (ret(*) args)dlsym(RTLD_NEXT, #name);
    HOOK_REAL_LIST(X)
#undef X
}

_Atomic int hook_forked;

static void fork_child(void)
{
    atomic_store_explicit(&hook_forked, 1, memory_order_relaxed);
}

static void resolve_once_fn(void)
{
    resolve_all();
    pthread_atfork(NULL, NULL, fork_child);
}

static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

__attribute__((constructor)) void hook_init(void)
{
    pthread_once(&resolve_once, resolve_once_fn);
}

__attribute__((noinline)) int hook_err_get(void)
{
    __asm__ volatile("" ::: "memory");
    return errno;
}

__attribute__((noinline)) void hook_err_set(int e)
{
    __asm__ volatile("" ::: "memory");
    errno = e;
}

/* ---- the fd table ---- */

hook_fdent hook_fdtab[HOOK_NFD];

int hook_fd_reset(int fd)
{
    hook_fdent *e = ent(fd);
    if (!e)
        return fd;
    atomic_store_explicit(&e->kind, K_UNKNOWN, memory_order_relaxed);
    atomic_store_explicit(&e->flags, 0, memory_order_relaxed);
    atomic_store_explicit(&e->rcvtimeo, 0, memory_order_relaxed);
    atomic_store_explicit(&e->sndtimeo, 0, memory_order_relaxed);
    return fd;
}

/* Pollable: a socket, a pipe or FIFO, or an anonymous inode (eventfd,
 * timerfd, epoll). An fd already non-blocking at first sight is the
 * program's choice, passed through. */
uint32_t hook_classify(int fd, hook_fdent *e)
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

void hook_manage(int fd, hook_fdent *e)
{
    if (ent_flags(e) & F_MANAGED)
        return;
    int fl = REAL(fcntl)(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK))
        REAL(fcntl)(fd, F_SETFL, fl | O_NONBLOCK);
    /* goro classifies the fd at its first goro call, reading F_GETFL
     * through our fcntl: let it see O_NONBLOCK before F_MANAGED hides it,
     * or its F_SETFL would read as the program's own choice. */
    hook_fd_wait(fd, POLLOUT, 0);
    atomic_fetch_or_explicit(&e->flags, F_MANAGED, memory_order_relaxed);
}

void hook_set_user_nb(int fd, bool nb)
{
    hook_fdent *e = ent(fd);
    if (!e)
        return;
    hook_classify(fd, e);
    if (nb)
        atomic_fetch_or_explicit(&e->flags, F_USER_NB, memory_order_relaxed);
    else
        atomic_fetch_and_explicit(&e->flags, ~F_USER_NB, memory_order_relaxed);
}

/* Once goro's poller knows fd, its close must go through goro_close, or a
 * later fd of the same number would find goro's stale state (an epoll
 * registration the kernel dropped). */
int hook_fd_wait(int fd, int events, int64_t deadline)
{
    hook_fdent *e = ent(fd);
    if (e && !(ent_flags(e) & F_GORO))
        atomic_fetch_or_explicit(&e->flags, F_GORO, memory_order_relaxed);
    return goro_fd_wait(fd, events, deadline);
}

EXPORT int goro_hook_active(void)
{
    return dlsym(RTLD_DEFAULT, "read") == (void *)read;
}
