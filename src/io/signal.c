/* SPDX-License-Identifier: MIT */
/*
 * signal.c: signals as channel values (Go's os/signal): goro_signal_notify,
 * goro_signal_stop, goro_signal_ignore, goro_signal_reset and
 * goro_ctx_with_signals (Go's signal.NotifyContext).
 *
 * Delivery is async-signal-safe end to end. goro's handler, installed for
 * a signal while some channel wants it, only sets the signal's bit in
 * `pending` (a lock-free atomic OR), writes a byte to a non-blocking pipe
 * and restores errno. The relay thread ("goro-signal", a plain thread
 * started by the first notify) waits in poll(2) on the pipe, drains it, takes the
 * bits with one exchange and try-sends each signal's number on every
 * channel that wants it, under reg_lock; a full channel drops it, as
 * Go's signal.Notify does. Arrivals of one signal before the relay takes
 * its bit count once (the kernel merges pending standard signals anyway).
 * A plain thread rather than a goroutine, so that it relays while every P
 * runs a CPU hog: a receiver it wakes goes to the global queue, and
 * sysmon moves a hog's P to run it.
 *
 * Masks: the handler runs on whichever thread the kernel picks, goro's
 * included (it is safe anywhere; SA_RESTART). The relay thread unblocks
 * exactly the wanted signals (Go's ensureSigM), recomputing its mask each
 * time it wakes, and every change of the wanted set wakes it: a signal
 * the program blocked in all its threads still reaches goro, at the
 * latest once the relay has updated its mask (until then it stays
 * pending, never lost).
 *
 * Handlers: goro touches a signal's disposition only while a channel
 * wants it or after goro_signal_ignore; the action found the first time
 * it touches it (orig) is put back when it lets go (stop of the last
 * channel, reset), so the program keeps its own handlers for every signal
 * it did not hand to goro. goro_signal_stop(ch) returns only after any
 * send to ch in progress (sends happen under reg_lock), so ch receives
 * nothing afterwards, as Go promises.
 *
 * The relay thread is a thread blocked outside goro: once it exists the
 * deadlock check never reports (Go's signal-receiving M has the same
 * effect).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/list.h"
#include "chan/chan.h"
#include "sched/g.h"
#include "base/san.h"

#define MAXSIG 64                  /* bits of the masks: signal s is bit s - 1 */
#define BIT(s) ((uint64_t)1 << ((s) - 1))

typedef struct reg {
    goro_chan *ch;                 /* a reference of its own */
    uint64_t mask;                 /* signals relayed to ch (reg_lock) */
    struct reg *next;              /* (reg_lock) */
} reg;

static goro__lock reg_lock = GORO_LOCK_INIT(SIGNAL_REG);
static reg *regs;                  /* (reg_lock) */
static uint64_t touched;           /* goro changed the action; orig holds the old (reg_lock) */
static uint64_t ignored;           /* set to SIG_IGN by goro_signal_ignore (reg_lock) */
static struct sigaction orig[MAXSIG + 1];   /* (reg_lock) */
/* Signals some channel wants: written under reg_lock, read by the relay
 * thread (release/acquire; a change is followed by a byte on the pipe). */
static _Atomic uint64_t wanted;
/* Arrived, not relayed yet: OR'ed by the handler, exchanged by the relay. */
static _Atomic uint64_t pending;
static int pipe_r = -1, pipe_w = -1;   /* set once, under reg_lock, before any handler */

static bool catchable(int s)
{
    return s >= 1 && s <= MAXSIG && s != SIGKILL && s != SIGSTOP && s != SIGSEGV &&
           s != SIGBUS && s != SIGFPE && s != SIGILL && (s < 32 || s >= SIGRTMIN);
}

/* The mask of sigs[0..n), or of every catchable signal for n == 0; 0 if
 * any is not catchable (or sigs is NULL with n > 0). */
static uint64_t sig_mask(const int *sigs, int n)
{
    uint64_t m = 0;
    if (n < 0 || (n > 0 && !sigs))
        return 0;
    if (n == 0) {
        for (int s = 1; s <= MAXSIG; s++)
            if (catchable(s))
                m |= BIT(s);
        return m;
    }
    for (int i = 0; i < n; i++) {
        if (!catchable(sigs[i]))
            return 0;
        m |= BIT(sigs[i]);
    }
    return m;
}

/* ---- the handler (async-signal-safe) ---- */

static void on_signal(int sig)
{
    int e = errno;
    atomic_fetch_or_explicit(&pending, BIT(sig), memory_order_relaxed);
    char b = 0;
    if (write(pipe_w, &b, 1) < 0) {
        /* full: the relay has a byte to read already */
    }
    errno = e;
}

static void wake_relay(void)
{
    char b = 0;
    if (write(pipe_w, &b, 1) < 0) {
        /* full: the relay wakes anyway */
    }
}

/* ---- the relay thread ---- */

static void relay_mask(uint64_t want)
{
    sigset_t set;
    sigfillset(&set);
    for (int s = 1; s <= MAXSIG; s++)
        if (want & BIT(s))
            sigdelset(&set, s);
    pthread_sigmask(SIG_SETMASK, &set, NULL);
}

static void relay_deliver(uint64_t got)
{
    goro__lock_acquire(&reg_lock);
    for (int s = 1; s <= MAXSIG; s++) {
        if (!(got & BIT(s)))
            continue;
        for (reg *r = regs; r; r = r->next)
            if (r->mask & BIT(s)) {
                int v = s;
                goro__chan_try_send(r->ch, &v);   /* full: dropped, as in Go */
            }
    }
    goro__lock_release(&reg_lock);
}

static void *relay(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "goro-signal");
    uint64_t mask = ~(uint64_t)0;
    for (;;) {
        uint64_t want = atomic_load_explicit(&wanted, memory_order_acquire);
        if (want != mask)
            relay_mask(mask = want);
        /* poll, never restarted after a handler, then drain: a runtime
         * that runs handlers late (ThreadSanitizer runs them when an
         * intercepted call returns) gets to run them here too. */
        struct pollfd pfd = { .fd = pipe_r, .events = POLLIN };
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
            return NULL;   /* cannot happen: goro never closes the pipe */
        char buf[64];
        while (read(pipe_r, buf, sizeof buf) > 0) {
        }
        uint64_t got = atomic_exchange_explicit(&pending, 0, memory_order_relaxed);
        if (got)
            relay_deliver(got);
    }
}

/* (reg_lock) The pipe and the relay thread, once. */
static int relay_start(void)
{
    if (pipe_r >= 0)
        return 0;
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
        return -errno;
    /* The relay starts with every signal blocked, then opens its mask. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pipe_r = p[0];
    pipe_w = p[1];
    int e = goro__thread_create(&t, &a, relay, NULL);
    pthread_attr_destroy(&a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        close(p[0]);
        close(p[1]);
        pipe_r = pipe_w = -1;
        return -e;
    }
    return 0;
}

/* ---- dispositions (reg_lock) ---- */

static void set_action(int s, void (*h)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = h == on_signal ? SA_RESTART : 0;
    sigfillset(&sa.sa_mask);   /* the handler runs with every signal blocked */
    sigaction(s, &sa, (touched & BIT(s)) ? NULL : &orig[s]);
    touched |= BIT(s);
}

/* After the registrations or `ignored` changed for the signals in m:
 * each gets goro's handler, SIG_IGN or its own action back. */
static void update(uint64_t m)
{
    uint64_t want = 0;
    for (reg *r = regs; r; r = r->next)
        want |= r->mask;
    uint64_t had = atomic_load_explicit(&wanted, memory_order_relaxed);
    for (int s = 1; s <= MAXSIG; s++) {
        uint64_t b = BIT(s);
        if (!(m & b) && !((want ^ had) & b))
            continue;
        if (want & b) {
            if (!(had & b))
                set_action(s, on_signal);
        } else if (ignored & b) {
            set_action(s, SIG_IGN);
        } else if (touched & b) {
            sigaction(s, &orig[s], NULL);
            touched &= ~b;
        }
    }
    atomic_store_explicit(&wanted, want, memory_order_release);
    if (want != had && pipe_w >= 0)
        wake_relay();
}

/* ---- the calls ---- */

int goro_signal_notify(goro_chan *ch, const int *sigs, int nsigs)
{
    SAN_RUNTIME_SCOPE;
    uint64_t m = sig_mask(sigs, nsigs);
    if (!ch || !m || ch->elemsize != sizeof(int))
        return GORO_EINVAL;
    goro__init();
    goro__lock_acquire(&reg_lock);
    int e = relay_start();
    reg *r = regs;
    while (r && r->ch != ch)
        r = r->next;
    if (!e && !r) {
        r = goro__malloc_pool(sizeof *r);
        if (!r) {
            e = GORO_ENOMEM;
        } else {
            r->ch = goro_chan_retain(ch);
            r->mask = 0;
            GORO__SLIST_PUSH(regs, r, next);
        }
    }
    if (!e) {
        r->mask |= m;
        ignored &= ~m;
        update(m);
    }
    goro__lock_release(&reg_lock);
    return e;
}

void goro_signal_stop(goro_chan *ch)
{
    SAN_RUNTIME_SCOPE;
    if (!ch)
        return;
    goro__lock_acquire(&reg_lock);
    reg **pr = &regs, *r;
    while ((r = *pr) && r->ch != ch)
        pr = &r->next;
    if (r) {
        *pr = r->next;
        update(r->mask);
    }
    goro__lock_release(&reg_lock);
    if (r) {
        goro_chan_release(r->ch);
        free(r);
    }
}

/* ignore (true) or reset (false) the signals in sigs */
static int unwant(const int *sigs, int nsigs, bool ignore)
{
    SAN_RUNTIME_SCOPE;
    uint64_t m = sig_mask(sigs, nsigs);
    if (!m)
        return GORO_EINVAL;
    goro__lock_acquire(&reg_lock);
    for (reg *r = regs; r; r = r->next)
        r->mask &= ~m;
    if (ignore)
        ignored |= m;
    else
        ignored &= ~m;
    update(m);
    goro__lock_release(&reg_lock);
    return 0;
}

int goro_signal_ignore(const int *sigs, int nsigs)
{
    return unwant(sigs, nsigs, true);
}

int goro_signal_reset(const int *sigs, int nsigs)
{
    return unwant(sigs, nsigs, false);
}

/* ---- goro_ctx_with_signals ---- */

typedef struct sigctx {
    goro_chan *ch;                 /* notified; owned by the watcher */
    goro_ctx *ctx;                 /* the watcher's reference */
} sigctx;

/* Waits for a signal or the context's end, whichever comes first; stops
 * the relay before cancelling, so a second arrival finds the signal's own
 * action again. */
static void watch(void *arg)
{
    sigctx *sc = arg;
    int sig = 0;
    goro_case cases[2] = {
        GORO_CASE_RECV(sc->ch, &sig),
        GORO_CASE_RECV(goro_ctx_done(sc->ctx), NULL),
    };
    int i = goro_select(cases, 2);
    goro_signal_stop(sc->ch);
    if (i == 0)
        goro_ctx_cancel_cause(sc->ctx, sig);
    goro_chan_release(sc->ch);
    goro_ctx_release(sc->ctx);
    goro__free(sc);
}

goro_ctx *goro_ctx_with_signals(goro_ctx *parent, const int *sigs, int nsigs)
{
    SAN_RUNTIME_SCOPE;
    if (!sig_mask(sigs, nsigs))
        return NULL;
    goro_ctx *ctx = goro_ctx_with_cancel(parent);
    if (!ctx)
        return NULL;
    sigctx *sc = goro__malloc(sizeof *sc);
    goro_chan *ch = sc ? goro_chan_make(sizeof(int), 1) : NULL;
    if (!ch || goro_signal_notify(ch, sigs, nsigs) != 0)
        goto fail;
    sc->ch = ch;
    sc->ctx = goro_ctx_retain(ctx);
    if (goro__go_internal(NULL, watch, sc, __FILE__, __LINE__) != 0) {
        goro_ctx_release(ctx);
        goro_signal_stop(ch);
        goto fail;
    }
    return ctx;
fail:
    if (ch)
        goro_chan_release(ch);
    goro__free(sc);
    goro_ctx_release(ctx);
    return NULL;
}
