/* SPDX-License-Identifier: MIT */
/*
 * fault.c: fault injection for tests. Every fallible call the runtime
 * makes to the C library or the kernel goes through a hook here (the
 * allocation entry points in alloc.c, and the wrappers below), and a test
 * can make the Nth such call fail:
 *
 *     goro__fault_set(GORO_FAULT_ALLOC | GORO_FAULT_MMAP, n, false);
 *
 * lets n calls of the armed kinds succeed and fails the next one (with
 * `sticky`, it and every later one, until goro__fault_off()). A failed
 * call does not reach the kernel: it returns what the real call returns
 * on failure, with the errno a real failure of that kind would set:
 *
 *   GORO_FAULT_ALLOC     malloc/calloc/realloc       NULL (ENOMEM)
 *   GORO_FAULT_MMAP      mmap                        MAP_FAILED, ENOMEM
 *   GORO_FAULT_MPROTECT  mprotect                    -1, ENOMEM
 *   GORO_FAULT_MADVISE   madvise                     -1, EAGAIN
 *   GORO_FAULT_THREAD    pthread_create              EAGAIN (returned)
 *   GORO_FAULT_EPOLL     epoll_create1               -1, EMFILE
 *                        epoll_ctl                   -1, ENOMEM
 *   GORO_FAULT_EVENTFD   eventfd                     -1, EMFILE
 *   GORO_FAULT_POLLWAIT  epoll_wait / epoll_pwait2   -1, EINTR
 *
 * What each failure then yields to goro's callers is in
 * docs/verification.md ("Fault injection").
 *
 * Cost when off: goro__fault() is one relaxed load of goro__fault_armed
 * (the armed kinds, 0 when off), inlined at every hook. When armed, a
 * matching call counts itself and takes one from the countdown with a CAS;
 * goro__fault_calls() tells a test how many matching calls a workload made
 * (arm with a large n to count), goro__fault_fired() how many were failed.
 */
#include <errno.h>
#include <limits.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "base/base.h"

_Atomic unsigned goro__fault_armed;
static _Atomic long countdown = -1;   /* matching calls left to succeed */
static _Atomic bool sticky;
static _Atomic long calls, fired;

void goro__fault_set(unsigned kinds, long n, bool stick)
{
    atomic_store_explicit(&goro__fault_armed, 0, memory_order_seq_cst);
    atomic_store_explicit(&calls, 0, memory_order_relaxed);
    atomic_store_explicit(&fired, 0, memory_order_relaxed);
    atomic_store_explicit(&sticky, stick, memory_order_relaxed);
    atomic_store_explicit(&countdown, n < 0 ? LONG_MAX : n, memory_order_relaxed);
    atomic_store_explicit(&goro__fault_armed, kinds & GORO_FAULT_ALL, memory_order_seq_cst);
}

void goro__fault_off(void)
{
    atomic_store_explicit(&goro__fault_armed, 0, memory_order_seq_cst);
}

long goro__fault_calls(void)
{
    return atomic_load_explicit(&calls, memory_order_relaxed);
}

long goro__fault_fired(void)
{
    return atomic_load_explicit(&fired, memory_order_relaxed);
}

bool goro__fault_hit(unsigned kind)
{
    if (!(atomic_load_explicit(&goro__fault_armed, memory_order_relaxed) & kind))
        return false;
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    long left = atomic_load_explicit(&countdown, memory_order_relaxed);
    for (;;) {
        if (left < 0)
            return false;   /* the one-shot failure has fired */
        if (left == 0 && atomic_load_explicit(&sticky, memory_order_relaxed))
            break;          /* sticky: fail, the countdown stays at 0 */
        if (atomic_compare_exchange_weak_explicit(&countdown, &left, left > 0 ? left - 1 : -1,
                memory_order_relaxed, memory_order_relaxed)) {
            if (left > 0)
                return false;
            break;
        }
    }
    atomic_fetch_add_explicit(&fired, 1, memory_order_relaxed);
    return true;
}

/* The old allocation-only switch (test_alloc.c): sticky, allocations only. */
void goro__alloc_fail_after(long n)
{
    if (n < 0)
        goro__fault_off();
    else
        goro__fault_set(GORO_FAULT_ALLOC, n, true);
}

/* ---- wrappers: same contract as the wrapped call ---- */

void *goro__mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (goro__fault(GORO_FAULT_MMAP)) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return mmap(addr, len, prot, flags, fd, off);
}

int goro__mprotect(void *addr, size_t len, int prot)
{
    if (goro__fault(GORO_FAULT_MPROTECT)) {
        errno = ENOMEM;
        return -1;
    }
    return mprotect(addr, len, prot);
}

int goro__madvise(void *addr, size_t len, int advice)
{
    if (goro__fault(GORO_FAULT_MADVISE)) {
        errno = EAGAIN;
        return -1;
    }
    return madvise(addr, len, advice);
}

int goro__thread_create(pthread_t *t, const pthread_attr_t *attr,
                        void *(*fn)(void *), void *arg)
{
    if (goro__fault(GORO_FAULT_THREAD))
        return EAGAIN;
    return pthread_create(t, attr, fn, arg);
}

int goro__epoll_create1(int flags)
{
    if (goro__fault(GORO_FAULT_EPOLL)) {
        errno = EMFILE;
        return -1;
    }
    return epoll_create1(flags);
}

int goro__epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
    if (goro__fault(GORO_FAULT_EPOLL)) {
        errno = ENOMEM;
        return -1;
    }
    return epoll_ctl(ep, op, fd, ev);
}

int goro__eventfd(unsigned initval, int flags)
{
    if (goro__fault(GORO_FAULT_EVENTFD)) {
        errno = EMFILE;
        return -1;
    }
    return eventfd(initval, flags);
}
