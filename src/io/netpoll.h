/* SPDX-License-Identifier: MIT */
/*
 * netpoll.h: the netpoller, in two halves (named so as not to shadow
 * <poll.h>, since src/ is on the include path).
 *
 * netpoll.c (portable): a poll descriptor (goro__pd) per fd number, found in
 * a table indexed by the fd: its generation, per-direction event counts,
 * the goroutines waiting on it, and goro__netpoll, which the scheduler
 * calls (sched/runtime.h) to turn OS readiness events into runnable goroutines.
 * io.c builds the public fd calls on goro__pd_wait.
 *
 * netpoll_<backend>.c: the OS's readiness API, behind this contract (Linux:
 * netpoll_epoll.c; a kqueue backend would use EV_CLEAR and EVFILT_USER, an
 * io_uring one multishot POLL_ADD and an eventfd; either is one more file
 * implementing these five functions):
 *
 *  - goro__pollb_init(): creates the poller and its wakeup; 0 or -errno.
 *    Called once, before any other (netpoll.c serialises it).
 *  - goro__pollb_add(fd, tag): watches fd for readability and
 *    writability, edge-triggered: an event is reported each time the fd
 *    *becomes* ready in a direction, and once when added if it already is.
 *    Urgent (out-of-band) data is reported with GORO_PE_URGENT too, a
 *    hangup or error (peer closed, reset) with GORO_PE_HUP.
 *    Returns 0, -EPERM for an fd that cannot be polled (a regular file), or
 *    -errno. Adding an fd again replaces its tag. `tag` comes back with
 *    every event for it.
 *  - goro__pollb_del(fd): stops watching fd (before it is closed).
 *  - goro__pollb_wait(ev, max, until): waits until an event, until
 *    `until` (absolute goro__nanotime ns; 0: do not wait; INT64_MAX: no
 *    deadline) or until goro__pollb_break; fills at most max events and
 *    returns how many (0 on timeout, break or interruption; never an
 *    error). Any number of threads may call it with until == 0; at most
 *    one at a time waits (the scheduler sees to that), and only a waiting
 *    call consumes a break.
 *  - goro__pollb_break(): makes the waiting goro__pollb_wait return
 *    soon, or the next one if none waits; any thread, any number of times
 *    (calls coalesce).
 *
 * Readiness meets the event counts like this: an fd call reads its
 * direction's count (seq) before its syscall; on EAGAIN, goro__pd_wait
 * parks it unless the count moved since (an event came after the syscall
 * looked: retry). An event bumps the count and wakes every waiter of its
 * direction under the descriptor's lock, so a waiter is either woken or
 * sees the count move: with edge-triggered events, no wakeup is lost, and
 * two goroutines waiting in one direction both work.
 */
#ifndef GORO_NETPOLL_H
#define GORO_NETPOLL_H

#include "sched/g.h"
#include "wait/wait.h"

enum { GORO_PE_READ = 1, GORO_PE_WRITE = 2, GORO_PE_URGENT = 4, GORO_PE_HUP = 8 };

typedef struct goro__pollev {
    uint64_t tag;
    uint32_t events;   /* GORO_PE_* (errors and hang-ups count as both) */
} goro__pollev;

int goro__pollb_init(void);
int goro__pollb_add(int fd, uint64_t tag);
void goro__pollb_del(int fd);
int goro__pollb_wait(goro__pollev *ev, int max, int64_t until);
void goro__pollb_break(void);

/* ---- poll descriptors (netpoll.c) ---- */

/* What a descriptor's fd is, found at its first use. */
enum {
    PD_UNKNOWN = 0,
    PD_POLL,        /* socket, pipe, FIFO, anon inode: O_NONBLOCK, parks on EAGAIN */
    PD_BLOCK,       /* file, tty, other device: blocking call under goro_syscall_begin/end */
};

typedef struct goro__pollwait {
    goro__waiter *w;
    struct goro__pollwait *next, *prev;   /* (pd lock) */
    bool queued;                          /* (pd lock) */
} goro__pollwait;

typedef struct goro__pd {
    goro__lock lock;
    /* Bumped by goro_close and by a reset for a new fd of this number:
     * a call that started before fails with -EBADF, a stale event is
     * dropped (the backend tag carries the generation). */
    _Atomic uint32_t gen;
    /* Events seen per direction (0 read, 1 write); bumped under lock,
     * read lock-free before each syscall. */
    _Atomic uint32_t seq[2];
    _Atomic uint32_t kind;      /* PD_*; set under lock */
    /* A socket (sends use MSG_NOSIGNAL); a TCP socket. Written under lock
     * before the release store of kind that publishes them, read relaxed
     * after the acquire load of kind (goro__pd_prepare). */
    _Atomic bool sock;
    _Atomic bool tcp;
    /* TCP only, the drained-read hint (io.c): seq[0] + 1 as it was before
     * a read that returned less than asked, i.e. emptied the receive
     * queue; 0 for none. Until seq[0] moves, no data can have arrived (or
     * its event is still in the backend), so the next read, if it comes
     * soon after, parks without trying. Urgent data (which stops a read
     * short of the queue's end) and a hangup (an end of file that only
     * the read after the short one returns, though its event may have
     * come before) turn the hint off for the fd: the poller sets
     * `hint_off` before it bumps seq[0] (release), so a read that loaded
     * seq[0] after that bump (acquire) sees it. */
    _Atomic uint32_t drained;
    _Atomic uint32_t hint_off;
    _Atomic int64_t drained_at;   /* goro__nanotime() of that read */
    /* Added to the backend: written under lock; read relaxed without it
     * as a hint only (pd_register checks it again under lock). */
    _Atomic bool registered;
    goro__pollwait *head[2], *tail[2];   /* waiters per direction (lock) */
} goro__pd;

/* The descriptor of fd, created on first use; NULL if fd is negative or
 * beyond the table (4M) or out of memory. Never freed. */
goro__pd *goro__pd_get(int fd);
/* Finds out what fd is on first use (PD_POLL: made O_NONBLOCK). Returns
 * the kind, or -errno (-EBADF for a closed fd). */
int goro__pd_prepare(goro__pd *pd, int fd);
/* A goroutine parks until an event in one of `dirs` (GORO_PE_* bits)
 * moves the count past seq[] (snapshotted before the syscall that said
 * EAGAIN), the deadline passes or the fd is closed (generation no longer
 * gen). Returns 0 (retry), GORO_ETIMEDOUT, -EBADF, or -errno when the fd
 * cannot be polled. */
int goro__pd_wait(goro__pd *pd, int fd, int dirs, uint32_t gen,
                  const uint32_t seq[2], int64_t deadline);
/* fd is a new file (socket, accept): reset its descriptor; `sock` says
 * whether it is a socket, nonblock whether it is O_NONBLOCK already, tcp
 * whether it is a TCP socket. */
void goro__pd_reset(int fd, bool sock, bool nonblock, bool tcp);
/* Before close(fd): fails every waiter and call in progress with -EBADF
 * and stops watching fd. */
void goro__pd_close(int fd);

#endif
