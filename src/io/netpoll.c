/* SPDX-License-Identifier: MIT */
/*
 * netpoll.c: poll descriptors and the scheduler's side of the netpoller
 * (design and backend contract in netpoll.h).
 *
 * Descriptors live in a two-level table indexed by the fd (chunks of 1024,
 * allocated on first use, never freed: a stale event may still name one).
 * An fd is classified at its first goro call (goro__pd_prepare) and added
 * to the backend at its first EAGAIN, once; its generation guards against
 * the number being reused: goro_close, and goro's own socket()/accept()
 * (goro__pd_reset), bump it, failing calls still in flight with -EBADF and
 * making the backend's events for the old file stale.
 *
 * Waiters: a goroutine parks with a goro__pollwait per direction on the
 * descriptor's lists, all pointing at its one goro__waiter; the poller
 * (an event), goro_close (-EBADF) and the deadline timer are the sources
 * that compete for the claim. Without a deadline, and waiting in one
 * direction, only holders of the descriptor's lock can claim, so the
 * goroutine parks with the lock held (goro__waiter_block_unlock) and no
 * CAS is needed. npollwait counts queued entries: the scheduler polls only
 * while it is non-zero.
 *
 * TSan: the poller releases on each waiter it claims and the goroutine
 * acquires on it when it resumes (wait.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "io/netpoll.h"
#include "base/list.h"
#include "base/san.h"

#define PD_CHUNK_BITS 10
#define PD_CHUNK (1 << PD_CHUNK_BITS)
#define PD_NCHUNKS 4096        /* fds up to 4M */

static goro__pd *_Atomic chunks[PD_NCHUNKS];
static _Atomic int npollwait;
static _Atomic int inited;     /* the backend is up (release after init) */
static goro__lock init_lock = GORO_LOCK_INIT(NETPOLL_INIT);

int goro__netpoll_waiters(void)
{
    return atomic_load_explicit(&npollwait, memory_order_relaxed);
}

bool goro__netpoll_pending(void)
{
    return atomic_load_explicit(&npollwait, memory_order_relaxed) > 0;
}

static goro__pd *pd_find(int fd)
{
    if (fd < 0 || fd >= PD_NCHUNKS * PD_CHUNK)
        return NULL;
    goro__pd *c = atomic_load_explicit(&chunks[fd >> PD_CHUNK_BITS], memory_order_acquire);
    return c ? &c[fd & (PD_CHUNK - 1)] : NULL;
}

goro__pd *goro__pd_get(int fd)
{
    if (fd < 0 || fd >= PD_NCHUNKS * PD_CHUNK)
        return NULL;
    _Atomic(goro__pd *) *slot = &chunks[fd >> PD_CHUNK_BITS];
    goro__pd *c = atomic_load_explicit(slot, memory_order_acquire);
    if (goro_unlikely(!c)) {
        goro__pd *n = goro__calloc_pool(PD_CHUNK, sizeof *n);
        if (!n)
            return NULL;
        for (int i = 0; i < PD_CHUNK; i++)
            goro__lock_init(&n[i].lock, NETPOLL_FD);
        goro__pd *z = NULL;
        if (atomic_compare_exchange_strong_explicit(slot, &z, n,
                memory_order_acq_rel, memory_order_acquire)) {
            c = n;
        } else {
            free(n);
            c = z;
        }
    }
    return &c[fd & (PD_CHUNK - 1)];
}

static int poll_init(void)
{
    if (atomic_load_explicit(&inited, memory_order_acquire))
        return 0;
    int r = 0;
    goro__lock_acquire(&init_lock);
    if (!atomic_load_explicit(&inited, memory_order_relaxed)) {
        r = goro__pollb_init();
        if (r == 0)
            atomic_store_explicit(&inited, 1, memory_order_release);
    }
    goro__lock_release(&init_lock);
    return r;
}

static inline uint64_t pd_tag(int fd, uint32_t gen)
{
    return (uint64_t)(uint32_t)fd | (uint64_t)gen << 32;
}

int goro__pd_prepare(goro__pd *pd, int fd)
{
    int k = (int)atomic_load_explicit(&pd->kind, memory_order_acquire);
    if (goro_likely(k != PD_UNKNOWN))
        return k;
    int saved = errno;
    goro__lock_acquire(&pd->lock);
    k = (int)atomic_load_explicit(&pd->kind, memory_order_relaxed);
    if (k == PD_UNKNOWN) {
        struct stat st;
        int fl;
        if (fstat(fd, &st) < 0 || (fl = fcntl(fd, F_GETFL)) < 0) {
            k = -errno;
        } else {
            unsigned t = st.st_mode & S_IFMT;
            /* Sockets, pipes, FIFOs and anonymous inodes (eventfd, timerfd,
             * ...) poll; so does anything already non-blocking. Files,
             * ttys and other devices get the blocking-call handoff: making
             * a terminal non-blocking would also change it for the shell. */
            if (t == S_IFSOCK || t == S_IFIFO || t == 0 || (fl & O_NONBLOCK)) {
                if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
                    k = -errno;
                } else {
                    k = PD_POLL;
                    atomic_store_explicit(&pd->sock, t == S_IFSOCK, memory_order_relaxed);
                    int proto = 0;
                    socklen_t pl = sizeof proto;
                    bool tcp = t == S_IFSOCK &&
                               getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &pl) == 0 &&
                               proto == IPPROTO_TCP;
                    atomic_store_explicit(&pd->tcp, tcp, memory_order_relaxed);
                }
            } else {
                k = PD_BLOCK;
            }
            if (k > 0)
                atomic_store_explicit(&pd->kind, (uint32_t)k, memory_order_release);
        }
    }
    goro__lock_release(&pd->lock);
    errno = saved;
    return k;
}

/* Adds fd to the backend, once per generation. */
static int pd_register(goro__pd *pd, int fd, uint32_t gen)
{
    int r = poll_init();
    if (r)
        return r;
    goro__lock_acquire(&pd->lock);
    if (atomic_load_explicit(&pd->gen, memory_order_relaxed) != gen)
        r = -EBADF;
    else if (!atomic_load_explicit(&pd->registered, memory_order_relaxed) &&
             (r = goro__pollb_add(fd, pd_tag(fd, gen))) == 0)
        atomic_store_explicit(&pd->registered, true, memory_order_relaxed);
    goro__lock_release(&pd->lock);
    return r;
}

/* ---- waiter lists (pd lock) ---- */

static void wq_push(goro__pd *pd, int d, goro__pollwait *e)
{
    GORO__LIST_PUSH_BACK(pd->head[d], pd->tail[d], e);
    e->queued = true;
}

static void wq_remove(goro__pd *pd, int d, goro__pollwait *e)
{
    if (!e->queued)
        return;
    GORO__LIST_REMOVE(pd->head[d], pd->tail[d], e);
    e->queued = false;
    atomic_fetch_sub_explicit(&npollwait, 1, memory_order_relaxed);
}

/* Unlinks every waiter of direction d; the ones this caller claims are
 * chained onto *list (through `next`) with `result` filled in. */
static void wq_take_all(goro__pd *pd, int d, int result, goro__pollwait **list)
{
    goro__pollwait *e;
    while ((e = pd->head[d]) != NULL) {
        wq_remove(pd, d, e);
        if (goro__waiter_claim(e->w)) {
            e->w->source = pd;
            e->w->result = result;
            GORO__SLIST_PUSH(*list, e, next);
        }
    }
}

int goro__pd_wait(goro__pd *pd, int fd, int dirs, uint32_t gen,
                  const uint32_t seq[2], int64_t deadline)
{
    if (!atomic_load_explicit(&pd->registered, memory_order_relaxed)) {
        int r = pd_register(pd, fd, gen);
        if (r)
            return r;
    }
    if (deadline != GORO_FOREVER && deadline <= goro__nanotime())
        return GORO_ETIMEDOUT;
    goro__waiter w;
    goro__waiter_init(&w);
    goro__pollwait e[2] = { { .w = &w }, { .w = &w } };
    int nd = 0;
    goro__lock_acquire(&pd->lock);
    if (atomic_load_explicit(&pd->gen, memory_order_relaxed) != gen) {
        goro__lock_release(&pd->lock);
        return -EBADF;
    }
    for (int d = 0; d < 2; d++)
        if ((dirs & (1 << d)) &&
            atomic_load_explicit(&pd->seq[d], memory_order_relaxed) != seq[d]) {
            goro__lock_release(&pd->lock);
            return 0;   /* an event since the syscall looked: retry */
        }
    for (int d = 0; d < 2; d++)
        if (dirs & (1 << d)) {
            wq_push(pd, d, &e[d]);
            nd++;
        }
    atomic_fetch_add_explicit(&npollwait, nd, memory_order_relaxed);
    int r;
    if (deadline == GORO_FOREVER && nd == 1) {
        w.single = true;   /* only holders of pd->lock can claim it */
        r = goro__waiter_block_unlock(&w, &pd->lock, GORO_WAIT_IO, (const void *)(intptr_t)fd);
    } else {
        goro__lock_release(&pd->lock);
        r = goro__waiter_block(&w, deadline, GORO_WAIT_IO, (const void *)(intptr_t)fd);
        if (r == GORO_ETIMEDOUT || nd > 1) {
            goro__lock_acquire(&pd->lock);
            for (int d = 0; d < 2; d++)
                wq_remove(pd, d, &e[d]);
            goro__lock_release(&pd->lock);
        }
    }
    return r;
}

static void wake_chain(goro__pollwait *list)
{
    while (list) {
        goro__pollwait *e = list;
        list = e->next;   /* read before the wake: e dies with it */
        goro__waiter_wake(e->w);
    }
}

/* Fails everything in flight on pd's current generation with -EBADF. */
static void pd_invalidate(goro__pd *pd, int fd, bool del)
{
    goro__pollwait *list = NULL;
    goro__lock_acquire(&pd->lock);
    atomic_store_explicit(&pd->gen, atomic_load_explicit(&pd->gen, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    if (atomic_load_explicit(&pd->registered, memory_order_relaxed)) {
        if (del)
            goro__pollb_del(fd);
        atomic_store_explicit(&pd->registered, false, memory_order_relaxed);
    }
    atomic_store_explicit(&pd->kind, PD_UNKNOWN, memory_order_relaxed);
    atomic_store_explicit(&pd->drained, 0, memory_order_relaxed);
    atomic_store_explicit(&pd->hint_off, 0, memory_order_relaxed);
    atomic_store_explicit(&pd->tcp, false, memory_order_relaxed);
    for (int d = 0; d < 2; d++)
        wq_take_all(pd, d, -EBADF, &list);
    goro__lock_release(&pd->lock);
    wake_chain(list);
}

void goro__pd_close(int fd)
{
    goro__pd *pd = pd_find(fd);
    if (pd)
        pd_invalidate(pd, fd, true);
}

void goro__pd_reset(int fd, bool sock, bool nonblock, bool tcp)
{
    goro__pd *pd = goro__pd_get(fd);
    if (!pd)
        return;
    /* The number was closed without goro_close: its old registration
     * belongs to the old file (epoll keys on the file), so no del. */
    pd_invalidate(pd, fd, false);
    goro__lock_acquire(&pd->lock);
    atomic_store_explicit(&pd->sock, sock, memory_order_relaxed);
    atomic_store_explicit(&pd->tcp, tcp, memory_order_relaxed);
    if (nonblock)
        atomic_store_explicit(&pd->kind, PD_POLL, memory_order_release);
    goro__lock_release(&pd->lock);
}

int goro__netpoll(int64_t until, G **gs, int max)
{
    if (!atomic_load_explicit(&inited, memory_order_acquire))
        return 0;
    goro__pollev ev[GORO_POLL_BATCH];
    int n = goro__pollb_wait(ev, GORO_POLL_BATCH, until);
    goro__sched_note_poll();
    int k = 0;
    for (int i = 0; i < n; i++) {
        int fd = (int)(uint32_t)ev[i].tag;
        uint32_t gen = (uint32_t)(ev[i].tag >> 32);
        goro__pd *pd = pd_find(fd);
        if (!pd)
            continue;
        goro__pollwait *list = NULL;
        goro__lock_acquire(&pd->lock);
        if (atomic_load_explicit(&pd->gen, memory_order_relaxed) == gen) {
            if (ev[i].events & (GORO_PE_URGENT | GORO_PE_HUP))   /* before seq[0] moves */
                atomic_store_explicit(&pd->hint_off, 1, memory_order_relaxed);
            for (int d = 0; d < 2; d++) {
                if (!(ev[i].events & (1u << d)))
                    continue;
                atomic_store_explicit(&pd->seq[d],
                    atomic_load_explicit(&pd->seq[d], memory_order_relaxed) + 1,
                    memory_order_release);
                wq_take_all(pd, d, 0, &list);
            }
        }
        goro__lock_release(&pd->lock);
        while (list) {
            goro__pollwait *e = list;
            goro__waiter *w = e->w;
            list = e->next;
            if (w->g && k < max) {
                san_release(w);
                gs[k++] = w->g;   /* readied by the caller, with a P if it can */
            } else {
                goro__waiter_wake(w);
            }
        }
    }
    return k;
}

void goro__netpoll_break(void)
{
    if (atomic_load_explicit(&inited, memory_order_acquire))
        goro__pollb_break();
}
