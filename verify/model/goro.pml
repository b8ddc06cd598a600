/* SPDX-License-Identifier: MIT */
/*
 * goro.pml: a Promela model of goro's channel and select protocol, as
 * implemented in src/wait/wait.[ch], src/chan/chan.[ch], src/chan/select.c,
 * the park/ready part of src/sched/switch.c and the deadline timers of
 * src/sched/timerheap.c.
 *
 * This file holds the shared state and the operations (inlines). A scenario
 * (fanin.pml, fanout.pml, pipeline.pml, timeout.pml) defines NPROC, NCLIENT
 * and its client processes, includes this file and check.pml, and takes
 * the channel capacities from -DCAP0=n -DCAP1=n. verify/model/run.sh runs
 * every configuration; docs/verification.md ("Model checking") explains
 * what is checked and what is abstracted.
 *
 * C references are file:function:line in the tree the model was written
 * against; the function names are the stable part.
 *
 * Granularity. Each atomic block is one indivisible step; other processes
 * interleave only between steps. A step holds at most one action that other
 * processes can race with (a lock acquisition or release, a successful
 * claim of a waiter, a G status change, a futex word access, a timer state
 * change), plus any number of actions on data that only the holder of a
 * lock it holds, or only this process, can see. That is Lipton's reduction
 * (acquires move right, releases left, lock-protected and local actions
 * both ways), so it loses no behaviour of the C code while keeping the
 * state space small. A claim that fails reads a word that cannot change
 * while the sudog that led to it is queued (the owner re-inits its waiter
 * only after unlinking every sudog under the same lock), so a failed claim
 * is a both-mover too; a critical section with several successful claims
 * (close) takes one step per claim. The model is sequentially consistent:
 * the C code's memory orders are not checked here.
 *
 * Deliberately broken variants (run.sh expects spin to find an error):
 *   -DBROKEN_CLAIM      a multi-source waiter is claimed by a load and a later
 *                       store instead of a CAS (wait.h:goro__waiter_claim as if
 *                       every waiter were `single`); the store lands after the
 *                       claimer's step, so another claimer can slip in between
 *   -DBROKEN_LOCKORDER  select locks its channels in poll order instead of
 *                       address order (select.c:do_select without sort_by_channel)
 *   -DBROKEN_CLOSE      close claims and wakes only the first waiter it finds
 *                       (chan.c:goro_chan_close as if it were a signal)
 *   -DBROKEN_FUTEX      the thread wake reads, then writes, the futex word in
 *                       two steps instead of one exchange (wait.c:goro__waiter_wake)
 * Options:
 *   -DSPURIOUS=n        FUTEX_WAIT may return spuriously, n times in all
 *                       (default 0: a spurious return could hide a lost
 *                       wakeup from the deadlock check, so it is a separate
 *                       configuration)
 */

#ifndef NPROC
#error "a scenario defines NPROC"
#endif
#ifndef CAP0
#define CAP0 0
#endif
#ifndef CAP1
#define CAP1 0
#endif
#ifndef SPURIOUS
#define SPURIOUS 0
#endif
/* Reachability probes: REACH(n) marks an interesting path; run.sh --probes
 * builds with -DPROBE=n, where it is an assertion that fails, to show that
 * some configuration really takes that path (the checks are not vacuous). */
#ifdef PROBE
#define REACH(n) assert(PROBE != n);
#else
#define REACH(n)
#endif

#define NCH      2              /* channels 0 and 1; the index stands for the address */
#define MAXCAP   2
#define NSG      (NPROC * 2)    /* sudogs: process p owns 2p and 2p+1 (case 0, case 1) */
#define QLEN     NSG
#define NVAL     (NPROC * 8)    /* value v = sender * 8 + k: the sender's k-th value (k >= 1) */
#define GQLEN    MAXCAP
#define NONE     255
#define JUNK     127            /* a receive buffer's content before the receive */

#define SG_OWNER(s)  ((s) / 2)
#define SG_INDEX(s)  ((s) % 2)

/* a case's direction, which is also its queue: sendq or recvq */
#define DSEND    0
#define DRECV    1
#define QI(c, d) ((c) * 2 + (d))
#define QSLOT(c, d, i) (QI(c, d) * QLEN + (i))

/* results */
#define R_OK       0
#define R_CLOSED   1            /* GORO_ECLOSED */
#define R_TIMEDOUT 2            /* GORO_ETIMEDOUT */

/* G status (sched/runtime.h) */
#define G_RUNNABLE 1
#define G_RUNNING  2
#define G_WOKEN    3
#define G_WAITING  4

/* ---- channels (chan.h: struct goro_chan) -------------------------------- */
byte ch_lock[NCH];              /* goro__lock: 0 free, else holder + 1 */
byte ch_cap[NCH];
byte ch_count[NCH];
byte ch_sendx[NCH];
byte ch_recvx[NCH];
byte ch_buf[NCH * MAXCAP];
bit  ch_closed[NCH];
byte q[NCH * 2 * QLEN];         /* recvq and sendq (goro__waitq), head first */
byte qn[NCH * 2];

/* ---- sudogs (chan.h: goro__sudog); s->w is SG_OWNER(s)'s waiter -------- */
byte sg_elem[NSG];              /* the sender's value / the receiver's buffer */
bit  sg_queued[NSG];
bit  sg_alive[NSG];             /* ghost: its owner's frame holds it */

/* ---- waiters (wait.h: goro__waiter), one per process at a time ---------- */
bit  w_claimed[NPROC];
bit  w_single[NPROC];
byte w_sch[NPROC];              /* ghost: a single waiter's channel */
byte w_source[NPROC];           /* the winning sudog; NONE: the deadline */
byte w_result[NPROC];
bit  w_alive[NPROC];            /* ghost: from goro__waiter_init to the op's return */
byte w_epoch[NPROC];            /* ghost: counts inits (detects a stale wake) */
bit  w_woken[NPROC];            /* ghost: goro__waiter_wake was called on it */

/* ---- the blocked party ---------------------------------------------------- */
bit  is_thread[NPROC];          /* a plain thread (futex) rather than a goroutine */
byte g_status[NPROC];           /* goroutine: G_* */
byte futex[NPROC];              /* thread: goro__thr.futex; 0, 1 woken, 2 sleeping */
bit  sleeping[NPROC];           /* thread: inside FUTEX_WAIT */
byte spurious = SPURIOUS;       /* spurious FUTEX_WAIT returns left */

/* ---- deadline timers (timer.h), one per goroutine ------------------------ */
bit  tm_armed[NPROC];           /* T_HEAP */
bit  tm_firing[NPROC];          /* T_FIRING */

/* ---- ghost bookkeeping for the checks ------------------------------------ */
bit  sent_ok[NVAL];             /* the send of v returned 0 */
bit  taken[NVAL];               /* v left its channel towards a receiver */
bit  returned[NVAL];            /* a receive returned 0 with v */
byte last_k[NCH * NPROC];       /* per channel and sender: k of the last value taken */
byte gq[NCH * GQLEN];           /* a buffered channel's contents as an abstract FIFO */
byte gqn[NCH];
byte ndone;                     /* clients that finished */

/* Every client declares these (scratch of the inlines, reset after use so
 * that equal states compare equal). */
#define CLIENT_LOCALS \
    byte me; \
    bit  op_done, op_cl, ok, bt_timed, pk_w; \
    byte op_wk, op_ep, op_rv, ds, ep, qi, bt_v, wk_old, pend; \
    byte cl_list[NPROC]; byte cl_ep[NPROC]; byte cl_n, cl_i, cl_k; \
    byte cs_ch[2]; byte cs_dir[2]; byte cs_val[2]; \
    byte sel_n, sel_i, sel_k, sel_c, sel_prev, sel_fired; \
    byte sel_order[2]; byte sel_lo[2]; \
    byte sel_ret, sel_r, sel_out; \
    byte r, out

/* ======================================================================== */
/* Ghost checks                                                              */
/* ======================================================================== */

/* v leaves channel c for a receiver: at most once, in order per sender. */
inline take(c, v)
{
    assert(v != 0 && v != JUNK);
    assert(!taken[v]);                                  /* received at most once */
    taken[v] = 1;
    assert(last_k[c * NPROC + v / 8] < v % 8);          /* FIFO per sender */
    last_k[c * NPROC + v / 8] = v % 8
}

/* v enters buffered channel c's ring. */
inline gpush(c, v)
{
    assert(gqn[c] < GQLEN);
    gq[c * GQLEN + gqn[c]] = v;
    gqn[c]++
}

/* v leaves buffered channel c's ring: it must be the oldest there. */
inline gpop(c, v)
{
    assert(gqn[c] > 0 && gq[c * GQLEN] == v);           /* FIFO per channel */
    gq[c * GQLEN] = gq[c * GQLEN + 1];
    gq[c * GQLEN + 1] = 0;
    gqn[c]--
}

/* A receive returned 0 with v. */
inline got(v)
{
    assert(v != 0 && v != JUNK && taken[v]);
    assert(!returned[v]);
    returned[v] = 1
}

/* ======================================================================== */
/* Locks (lock.h:goro__lock_acquire:25, goro__lock_release:40): a mutex     */
/* ======================================================================== */

inline lock(c)
{
    atomic { ch_lock[c] == 0 -> ch_lock[c] = me + 1 }
}

inline unlock(c)
{
    assert(ch_lock[c] == me + 1);
    ch_lock[c] = 0
}

/* ======================================================================== */
/* Wait queues (chan.c:goro__waitq_push:25, goro__waitq_remove:37)          */
/* ======================================================================== */

inline q_push(c, d, s)
{
    assert(ch_lock[c] == me + 1 && !sg_queued[s] && qn[QI(c, d)] < QLEN);
    q[QSLOT(c, d, qn[QI(c, d)])] = s;
    qn[QI(c, d)]++;
    sg_queued[s] = 1
}

/* Unlinks s if it is still queued (the !s->queued early return). */
inline q_remove(c, d, s)
{
    assert(ch_lock[c] == me + 1);
    if
    :: sg_queued[s] ->
        qi = 0;
        do
        :: qi < qn[QI(c, d)] && q[QSLOT(c, d, qi)] != s -> qi++
        :: else -> break
        od;
        assert(qi < qn[QI(c, d)]);              /* it is in this very queue */
        do
        :: qi + 1 < qn[QI(c, d)] -> q[QSLOT(c, d, qi)] = q[QSLOT(c, d, qi + 1)]; qi++
        :: else -> break
        od;
        qn[QI(c, d)]--;
        q[QSLOT(c, d, qn[QI(c, d)])] = 0;
        sg_queued[s] = 0;
        qi = 0
    :: else -> skip
    fi
}

/* ======================================================================== */
/* The waiter (wait.h, wait.c)                                               */
/* ======================================================================== */

/* wait.h:goro__waiter_claim:64, by a channel holding its lock, a timer or
 * the owner's own deadline; the caller makes it (part of) one step. okv:
 * won; epv: the waiter's epoch (ghost, for the wake). A `single` waiter is
 * claimed by a load and a store (:66-70), correct because all its claimers
 * hold its one channel's lock (checked); any other by a CAS (:72-74). */
inline claim(p, okv, epv)
{
    assert(w_alive[p]);                         /* nobody claims a dead waiter */
    assert(!w_single[p] || ch_lock[w_sch[p]] == me + 1);
    okv = !w_claimed[p];
    if
    :: okv ->
        epv = w_epoch[p];
#ifdef BROKEN_CLAIM
        if
        :: w_single[p] -> w_claimed[p] = 1
        :: else -> pend = p + 1                 /* the store comes in a later step */
        fi
#else
        w_claimed[p] = 1
#endif
    :: else -> skip
    fi
}

/* BROKEN_CLAIM only: the deferred store of a claim, as its own step.
 * Written after a step that may claim as `} FLUSH_CLAIM;`. */
#ifdef BROKEN_CLAIM
#define FLUSH_CLAIM ; atomic { if :: pend -> w_claimed[pend - 1] = 1; pend = 0 :: else -> skip fi }
#else
#define FLUSH_CLAIM
#endif

/* wait.c:goro__waiter_init:21; `me`'s waiter, on its stack. */
inline waiter_init()
{
    assert(!w_alive[me]);
    w_claimed[me] = 0;                          /* :23 */
    w_single[me] = 0;                           /* :24 */
    if
    :: is_thread[me] -> futex[me] = 0           /* :26-30, the thread record's word */
    :: else -> skip
    fi;
    w_source[me] = NONE;                        /* :31 */
    w_result[me] = 0;                           /* :33 */
    w_alive[me] = 1;
    w_epoch[me]++;
    w_woken[me] = 0
}

/* wait.c:wake:36 (goro__waiter_wake, _wake_handoff) after a successful
 * claim of p's waiter at epoch e. One step for a goroutine
 * (switch.c:goro__ready:419 or goro__ready_handoff -> ready_status:377;
 * the run queue, and the hand-off's switch, are abstracted: RUNNABLE
 * means some M will run it); the exchange and the futex_wake for a
 * thread. */
inline waiter_wake(p, e)
{
    atomic {
        assert(w_alive[p]);                     /* the waiter still exists ... */
        assert(w_epoch[p] == e);                /* ... in the wait that was claimed */
        assert(w_claimed[p]);
        assert(!w_woken[p]);                    /* woken at most once */
        w_woken[p] = 1;
        if
        :: !is_thread[p] ->                     /* :39-45 goro__ready(g) */
            if
            :: g_status[p] == G_RUNNING -> REACH(1) g_status[p] = G_WOKEN      /* switch.c:381-385 */
            :: g_status[p] == G_WAITING -> REACH(2) g_status[p] = G_RUNNABLE   /* switch.c:387-392 */
            :: else -> assert(false)            /* switch.c:388 GORO_FATAL */
            fi
        :: else ->
#ifdef BROKEN_FUTEX
            wk_old = futex[p]                   /* broken: a load ... */
#else
            wk_old = futex[p]; futex[p] = 1     /* :45 exchange */
#endif
        fi
    };
    if
    :: is_thread[p] ->
#ifdef BROKEN_FUTEX
        futex[p] = 1;                           /* ... and a separate store */
#endif
        atomic {
            if
            :: wk_old == 2 ->                  /* :49 futex_wake(&t->futex, 1) */
                if                              /* the thread may be in its next wait by now */
                :: w_epoch[p] != e && sleeping[p] -> REACH(18) skip
                :: else -> skip
                fi;
                REACH(3) sleeping[p] = 0
            :: wk_old == 0 -> REACH(4) skip     /* woken before it slept */
            :: else -> skip
            fi;
            wk_old = 0
        }
    :: else -> skip
    fi
}

/* switch.c:goro__park:345, from G_RUNNING: the CAS to G_WAITING (:349-351),
 * or a wakeup that came first (G_WOKEN, :352-356); then wait to be run. */
inline park()
{
    atomic {
        if
        :: g_status[me] == G_RUNNING -> g_status[me] = G_WAITING; pk_w = 1
        :: g_status[me] == G_WOKEN -> g_status[me] = G_RUNNING; pk_w = 0
        :: else -> assert(false)                /* :936 GORO_FATAL */
        fi
    };
    if
    :: pk_w -> atomic { g_status[me] == G_RUNNABLE -> g_status[me] = G_RUNNING; pk_w = 0 }
    :: else -> skip
    fi
}

/* lock.c:goro__futex_wait:12: FUTEX_WAIT sleeps only if the word is still
 * 2, checked atomically with falling asleep. `timed`: it may time out. */
inline futex_wait(timed)
{
    atomic {
        if
        :: futex[me] == 2 -> sleeping[me] = 1
        :: else -> skip
        fi
    };
    if
    :: !sleeping[me] -> skip                                     /* woken */
    :: atomic { timed && sleeping[me] -> REACH(17) sleeping[me] = 0 }      /* timed out */
    :: atomic { spurious > 0 && sleeping[me] -> spurious--; sleeping[me] = 0 }
    fi
}

/* wait.c:block_thread:72. timed: a deadline, which may be any moment. */
inline block_thread(timed)
{
    bt_timed = timed;
    do
    :: atomic {
            bt_v = futex[me];                   /* :71 */
            if
            :: bt_v == 0 -> futex[me] = 2; bt_v = 2   /* :89 CAS 0 -> 2 (it fails */
            :: else -> skip                     /*     only if the word is no longer 0) */
            fi
        };
        if
        :: bt_v == 1 -> break                   /* :85-86 */
        :: else -> skip
        fi;
        futex_wait(bt_timed);                   /* :83 (:79-82 is the deadlock check) */
        if
        :: atomic { bt_timed && futex[me] != 1 -> bt_v = 0 } ->   /* :97-99 */
            if
            :: atomic { claim(me, ok, ep) } FLUSH_CLAIM;    /* :100 now >= deadline */
                if
                :: ok ->
                    REACH(11) w_source[me] = NONE;   /* :88 */
                    w_result[me] = R_TIMEDOUT;  /* :89 */
                    ok = 0; ep = 0;
                    break                       /* :90 */
                :: else -> REACH(12) bt_timed = 0   /* :105 a source won: its wake is coming */
                fi
            :: true -> skip                     /* woke before the deadline */
            fi
        :: else -> skip
        fi
    od;
    bt_v = 0; bt_timed = 0
}

/* wait.c:goro__waiter_block:122. timed: a deadline (else GORO_FOREVER). */
inline waiter_block(timed)
{
    if
    :: is_thread[me] -> block_thread(timed)     /* :125-129 */
    :: !is_thread[me] && !(timed) -> park()     /* :144-145 */
    :: !is_thread[me] && (timed) ->
        if
        :: atomic { claim(me, ok, ep) } FLUSH_CLAIM;        /* :132-133 the deadline has passed */
            if
            :: ok -> w_result[me] = R_TIMEDOUT  /* :134-135 */
            :: else -> REACH(13) park()         /* :137 a source won: wait for its wake */
            fi;
            ok = 0; ep = 0
        :: tm_armed[me] = 1;                    /* :139-140 goro__timer_start */
            park();                             /* :128 */
            /* :129 timerheap.c:goro__timer_stop:131: unqueues a pending timer, or
             * waits until a firing callback has returned */
            tm_armed[me] = 0;
            (tm_firing[me] == 0)
        fi
    fi
}

/* After wait.c:goro__waiter_block_unlock:151 released the lock (a thread
 * at :155; a goroutine in switch.c:finish_switch:89 (:102), after park_unlock
 * (switch.c:goro__park_unlock:363) stored G_WAITING in the same step as the
 * rest of its critical section, the store needing no CAS:
 * nobody can see the G until the lock is free): the blocking half. */
inline block_unlocked()
{
    if
    :: is_thread[me] -> block_thread(0)         /* :156 */
    :: else -> atomic { g_status[me] == G_RUNNABLE -> g_status[me] = G_RUNNING }
    fi
}

/* timerheap.c:goro__timers_run:154 running wait.c:deadline_fire:62 for waiter p. */
proctype timer(byte p)
{
    byte me = NONE;
    bit ok; byte ep, wk_old, pend;
end:
    do
    :: atomic { tm_armed[p] -> tm_armed[p] = 0; tm_firing[p] = 1 }   /* timerheap.c:161-163 */
        atomic { claim(p, ok, ep) } FLUSH_CLAIM;            /* wait.c:65 */
        if
        :: ok ->
            atomic {
                REACH(9)
                w_source[p] = NONE;             /* :53 */
                w_result[p] = R_TIMEDOUT        /* :54 */
            };
            waiter_wake(p, ep)                  /* :55 */
        :: else -> REACH(10) skip               /* a source won */
        fi;
        atomic { tm_firing[p] = 0; ok = 0; ep = 0 }   /* timerheap.c:177 T_IDLE */
    od
}

/* ======================================================================== */
/* Channel operations with the lock held (chan.c); parts of a caller's step */
/* ======================================================================== */

/* chan.c:dequeue_claimed:54: pops sudogs until one whose waiter it claims
 * (at most one successful claim). ds: that sudog or NONE; ep: its epoch. */
inline dequeue_claimed(c, d)
{
    ds = NONE;
    do
    :: qn[QI(c, d)] == 0 -> break               /* :57 */
    :: else ->
        ds = q[QSLOT(c, d, 0)];
        assert(sg_alive[ds]);                   /* a queued sudog's frame is live */
        q_remove(c, d, ds);                     /* :58 */
        claim(SG_OWNER(ds), ok, ep);            /* :59 */
        if
        :: ok -> ok = 0; break                  /* :60 */
        :: else -> REACH(5) ds = NONE         /* a loser, unlinked */
        fi
    od
}

/* chan.c:finish_wake:82 */
inline finish_wake(s, res)
{
    w_source[SG_OWNER(s)] = s;
    w_result[SG_OWNER(s)] = res
}

/* chan.c:goro__chan_send_locked:91. Out: op_done, op_cl, op_wk (the
 * process to wake, or NONE) and op_ep. */
inline send_locked(c, v)
{
    op_done = 0; op_cl = 0; op_wk = NONE;
    if
    :: ch_closed[c] -> op_cl = 1; op_done = 1   /* :95-98 */
    :: else ->
        dequeue_claimed(c, DRECV);              /* :99 */
        if
        :: ds != NONE ->                        /* :100-103 */
            assert(ch_count[c] == 0);           /* chan.h: items => no claimable receiver */
            take(c, v);
            sg_elem[ds] = v;                    /* copy_elem(c, r->elem, elem) */
            finish_wake(ds, R_OK);
            op_wk = SG_OWNER(ds); op_ep = ep;
            op_done = 1
        :: ds == NONE && ch_count[c] < ch_cap[c] ->   /* :105-111 */
            ch_buf[c * MAXCAP + ch_sendx[c]] = v;
            gpush(c, v);
            ch_sendx[c]++;
            if
            :: ch_sendx[c] == ch_cap[c] -> ch_sendx[c] = 0
            :: else -> skip
            fi;
            ch_count[c]++;
            op_done = 1
        :: else -> skip                         /* :113 */
        fi;
        ds = 0; ep = 0
    fi
}

/* chan.c:goro__chan_recv_locked:116. Out as send_locked, plus op_rv. */
inline recv_locked(c)
{
    op_done = 0; op_cl = 0; op_wk = NONE; op_rv = JUNK;
    if
    :: ch_count[c] == 0 && ch_closed[c] ->      /* :120-126 */
        op_rv = 0; op_cl = 1; op_done = 1
    :: else ->
        dequeue_claimed(c, DSEND);              /* :127 */
        if
        :: ds != NONE && ch_cap[c] == 0 ->      /* :129-130 */
            op_rv = sg_elem[ds];
            take(c, op_rv)
        :: ds != NONE && ch_cap[c] != 0 ->      /* :131-138 a full buffer */
            assert(ch_count[c] == ch_cap[c]);   /* chan.h: free slots => no claimable sender */
            REACH(6)
            op_rv = ch_buf[c * MAXCAP + ch_recvx[c]];
            take(c, op_rv);
            gpop(c, op_rv);
            ch_buf[c * MAXCAP + ch_recvx[c]] = sg_elem[ds];
            gpush(c, sg_elem[ds]);
            ch_recvx[c]++;
            if
            :: ch_recvx[c] == ch_cap[c] -> ch_recvx[c] = 0
            :: else -> skip
            fi;
            ch_sendx[c] = ch_recvx[c]
        :: ds == NONE && ch_count[c] > 0 ->     /* :142-147 */
            op_rv = ch_buf[c * MAXCAP + ch_recvx[c]];
            take(c, op_rv);
            gpop(c, op_rv);
            ch_recvx[c]++;
            if
            :: ch_recvx[c] == ch_cap[c] -> ch_recvx[c] = 0
            :: else -> skip
            fi;
            ch_count[c]--;
            op_done = 1
        :: else -> skip                         /* :149 */
        fi;
        if
        :: ds != NONE ->
            finish_wake(ds, R_OK);              /* :139 */
            op_wk = SG_OWNER(ds); op_ep = ep;
            op_done = 1
        :: else -> skip
        fi;
        ds = 0; ep = 0
    fi
}

/* After the lock is dropped: wake the waiter that was claimed, if any. */
inline wake_claimed()
{
    if
    :: op_wk != NONE -> waiter_wake(op_wk, op_ep)
    :: else -> skip
    fi;
    op_wk = 0; op_ep = 0
}

/* ======================================================================== */
/* Public operations                                                         */
/* ======================================================================== */

/* chan.c:chan_send:202, blocking (timed: goro_chan_send_until). r: result. */
inline chan_send(c, v, timed)
{
    atomic {
        lock(c);                                /* :211 */
        send_locked(c, v);                      /* :212 */
        if
        :: op_done ->
            unlock(c);                          /* :213 */
            r = (op_cl -> R_CLOSED : R_OK)
        :: else ->
            waiter_init();                      /* :222-223 */
            sg_elem[me * 2] = v; sg_alive[me * 2] = 1;   /* :224 */
            if
            :: !(timed) ->
                w_single[me] = 1; w_sch[me] = c;   /* :226 */
                q_push(c, DSEND, me * 2);       /* :227 */
                if                              /* :228 block_unlock, first half */
                :: !is_thread[me] -> assert(g_status[me] == G_RUNNING); g_status[me] = G_WAITING
                :: else -> skip
                fi;
                unlock(c)
            :: else ->
                q_push(c, DSEND, me * 2);       /* :230 */
                unlock(c)                       /* :231 */
            fi
        fi
    } FLUSH_CLAIM;
    if
    :: op_done -> wake_claimed()                /* :214-215 */
    :: else ->
        if
        :: !(timed) -> block_unlocked()         /* :228 */
        :: else -> waiter_block(timed)          /* :232 */
        fi;
        atomic {
            r = w_result[me];
            if
            :: r == R_TIMEDOUT ->               /* :233-237 */
                assert(w_source[me] == NONE);
                lock(c); REACH(16) q_remove(c, DSEND, me * 2); unlock(c)
            :: else -> assert(w_source[me] == me * 2)
            fi;
            assert(!sg_queued[me * 2]);
            sg_alive[me * 2] = 0; sg_elem[me * 2] = 0; w_alive[me] = 0
        }
    fi;
    atomic {
        op_done = 0; op_cl = 0;
        if
        :: r == R_OK -> sent_ok[v] = 1
        :: else -> skip
        fi
    }
}

/* chan.c:chan_recv:241, blocking (timed: goro_chan_recv_until). r: result,
 * out: the value (the zero value when closed). */
inline chan_recv(c, timed)
{
    atomic {
        lock(c);                                /* :249 */
        recv_locked(c);                         /* :250 */
        if
        :: op_done ->
            unlock(c);                          /* :251 */
            r = (op_cl -> R_CLOSED : R_OK);
            out = op_rv
        :: else ->
            waiter_init();                      /* :261-262 */
            sg_elem[me * 2] = JUNK; sg_alive[me * 2] = 1;   /* :263 .elem = out */
            if
            :: !(timed) ->
                w_single[me] = 1; w_sch[me] = c;   /* :265 */
                q_push(c, DRECV, me * 2);       /* :266 */
                if                              /* :267 block_unlock, first half */
                :: !is_thread[me] -> assert(g_status[me] == G_RUNNING); g_status[me] = G_WAITING
                :: else -> skip
                fi;
                unlock(c)
            :: else ->
                q_push(c, DRECV, me * 2);       /* :271 */
                unlock(c)                       /* :272 */
            fi
        fi
    } FLUSH_CLAIM;
    if
    :: op_done -> wake_claimed()                /* :252-253 */
    :: else ->
        if
        :: !(timed) -> block_unlocked()         /* :267 */
        :: else -> waiter_block(timed)          /* :273 */
        fi;
        atomic {
            r = w_result[me];
            if
            :: r == R_TIMEDOUT ->               /* :274-279 */
                assert(w_source[me] == NONE);
                lock(c); q_remove(c, DRECV, me * 2); unlock(c)
            :: else -> assert(w_source[me] == me * 2)
            fi;
            assert(!sg_queued[me * 2]);
            out = sg_elem[me * 2];
            sg_alive[me * 2] = 0; sg_elem[me * 2] = 0; w_alive[me] = 0
        }
    fi;
    atomic {
        op_done = 0; op_cl = 0; op_rv = 0;
        if
        :: r == R_OK -> got(out)
        :: r == R_CLOSED -> assert(out == 0)    /* closed: the zero value */
        :: else -> skip
        fi
    }
}

/* chan.c:goro_chan_close:320. r: result. One step per claimed waiter. */
inline chan_close(c)
{
    atomic {
        lock(c);                                /* :326 */
        if
        :: ch_closed[c] -> unlock(c); r = R_CLOSED; cl_k = 2   /* :327-330 */
        :: else -> ch_closed[c] = 1; r = R_OK; cl_k = 0; cl_n = 0   /* :331 */
        fi
    };
    do
    :: atomic {
            cl_k < 2 ->                         /* :337 k = 0: recvq, 1: sendq */
            dequeue_claimed(c, (cl_k == 0 -> DRECV : DSEND));   /* :339 */
            if
            :: ds == NONE -> cl_k++
            :: else ->
                if
                :: cl_k == 0 -> sg_elem[ds] = 0 /* :340-341 memset */
                :: else -> skip
                fi;
                if
                :: cl_k == 1 -> REACH(8) skip   /* a blocked sender */
                :: else -> skip
                fi;
                finish_wake(ds, R_CLOSED);      /* :342-343 */
                cl_list[cl_n] = SG_OWNER(ds);   /* :344-349 */
                cl_ep[cl_n] = ep;
                cl_n++
#ifdef BROKEN_CLOSE
                ; cl_k = 2                      /* broken: only the first waiter */
#endif
            fi;
            ds = 0; ep = 0;
            if
            :: cl_k == 2 ->
                if
                :: cl_n >= 2 -> REACH(7) skip   /* several waiters to wake */
                :: else -> skip
                fi;
                unlock(c)                       /* :352 */
            :: else -> skip
            fi
        } FLUSH_CLAIM
    :: cl_k == 2 -> break
    od;
    do                                          /* :353-357 */
    :: cl_i < cl_n ->
        waiter_wake(cl_list[cl_i], cl_ep[cl_i]);
        atomic { cl_list[cl_i] = 0; cl_ep[cl_i] = 0; cl_i++ }
    :: else -> break
    od;
    atomic { cl_i = 0; cl_n = 0; cl_k = 0 }
}

/* select.c:sel_lock:31: each channel once, in sel_lo order (sel_n <= 2).
 * Two halves: every acquisition after the first must be a step boundary,
 * or a lock-order deadlock (a process holding one lock, blocked on the
 * next) could never be reached. sel_lock_first ends the caller's step;
 * sel_lock_rest begins the next one. */
inline sel_lock_first()
{
    lock(cs_ch[sel_lo[0]])
}

inline sel_lock_rest()
{
    if
    :: sel_n == 2 && cs_ch[sel_lo[1]] != cs_ch[sel_lo[0]] -> lock(cs_ch[sel_lo[1]])
    :: else -> skip
    fi
}

/* select.c:sel_unlock:42: in reverse, each channel once. */
inline sel_unlock()
{
    sel_i = sel_n;
    do
    :: sel_i > 0 ->
        sel_i--;
        sel_c = cs_ch[sel_lo[sel_i]];
        if
        :: sel_i == 0 -> unlock(sel_c)
        :: sel_i > 0 && cs_ch[sel_lo[sel_i - 1]] != sel_c -> unlock(sel_c)
        :: else -> skip
        fi
    :: else -> break
    od;
    sel_i = 0; sel_c = 0
}

/* select.c:do_select:63 with up to two cases: cs_ch[k] (NONE: a nil
 * channel), cs_dir[k], cs_val[k] (a send's value). timed: goro_select_until.
 * Out: sel_ret (the case, NONE on timeout), sel_r (its result), sel_out (a
 * receive's value). */
inline select_op(timed)
{
    atomic {
        /* :80-90 a uniformly random order of the live cases */
        if
        :: cs_ch[0] != NONE && cs_ch[1] != NONE ->
            sel_n = 2;
            if
            :: sel_order[0] = 0; sel_order[1] = 1
            :: sel_order[0] = 1; sel_order[1] = 0
            fi
        :: cs_ch[0] != NONE && cs_ch[1] == NONE -> sel_n = 1; sel_order[0] = 0
        :: cs_ch[0] == NONE && cs_ch[1] != NONE -> sel_n = 1; sel_order[0] = 1
        :: else -> assert(false)                /* no scenario blocks on nothing */
        fi;
        /* :91-92 lockorder: the order sorted by channel address */
        sel_lo[0] = sel_order[0]; sel_lo[1] = sel_order[1];
#ifndef BROKEN_LOCKORDER
        if
        :: sel_n == 2 && cs_ch[sel_order[0]] > cs_ch[sel_order[1]] ->
            sel_lo[0] = sel_order[1]; sel_lo[1] = sel_order[0]
        :: else -> skip
        fi;
#endif
        /* Pass 1 (:101-119) */
        sel_lock_first()                        /* :102 */
    };
    atomic {
        sel_lock_rest();
        sel_fired = NONE; sel_i = 0;
        do
        :: sel_i < sel_n ->
            sel_k = sel_order[sel_i];
            if
            :: cs_dir[sel_k] == DSEND -> send_locked(cs_ch[sel_k], cs_val[sel_k])
            :: else -> recv_locked(cs_ch[sel_k])
            fi;
            if
            :: op_done -> sel_fired = sel_k; break
            :: else -> sel_i++
            fi
        :: else -> break
        od;
        sel_i = 0; sel_k = 0;
        if
        :: sel_fired != NONE ->
            sel_unlock();                       /* :110 */
            sel_ret = sel_fired;                /* :116 */
            sel_r = (op_cl -> R_CLOSED : R_OK); /* :113 */
            if
            :: cs_dir[sel_fired] == DRECV -> sel_out = op_rv
            :: else -> skip
            fi
        :: else ->
            /* (:120-124, the non-blocking select, is not modelled) */
            /* Pass 2 (:126-135) */
            waiter_init();                      /* :127-128 */
            do                                  /* :129-134 in lock order */
            :: sel_i < sel_n ->
                sel_k = sel_lo[sel_i];
                sg_elem[me * 2 + sel_k] = (cs_dir[sel_k] == DSEND -> cs_val[sel_k] : JUNK);
                sg_alive[me * 2 + sel_k] = 1;
                q_push(cs_ch[sel_k], cs_dir[sel_k], me * 2 + sel_k);
                sel_i++
            :: else -> break
            od;
            sel_i = 0; sel_k = 0;
            if
            :: sel_n == 2 && cs_ch[0] == cs_ch[1] -> REACH(15) skip   /* one channel, both queues */
            :: else -> skip
            fi;
            sel_unlock()                        /* :135 */
        fi
    } FLUSH_CLAIM;
    if
    :: sel_fired != NONE -> wake_claimed()      /* :111-112 */
    :: else ->
        waiter_block(timed);                    /* :136 */
        atomic {
            sel_r = w_result[me];
            if                                  /* the waker unlinked the winner */
            :: w_source[me] != NONE -> assert(!sg_queued[w_source[me]])
            :: else -> skip
            fi;
            /* Pass 3 (:138-145) */
            sel_lock_first()                    /* :139 */
        };
        atomic {
            sel_lock_rest();
            do
            :: sel_i < sel_n ->
                sel_k = sel_lo[sel_i];
                if
                :: sg_queued[me * 2 + sel_k] -> REACH(14) skip   /* a losing case still queued */
                :: else -> skip
                fi;
                q_remove(cs_ch[sel_k], cs_dir[sel_k], me * 2 + sel_k);
                sel_i++
            :: else -> break
            od;
            sel_i = 0; sel_k = 0;
            sel_unlock();
            if
            :: sel_r == R_TIMEDOUT ->           /* :146-149 */
                assert(w_source[me] == NONE);
                sel_ret = NONE
            :: else ->                          /* :150-151 */
                assert(w_source[me] != NONE && SG_OWNER(w_source[me]) == me);
                sel_ret = SG_INDEX(w_source[me]);
                assert(cs_ch[sel_ret] != NONE);
                if
                :: cs_dir[sel_ret] == DRECV -> sel_out = sg_elem[w_source[me]]
                :: else -> skip
                fi
            fi;
            assert(!sg_queued[me * 2] && !sg_queued[me * 2 + 1]);
            sg_alive[me * 2] = 0; sg_alive[me * 2 + 1] = 0;
            sg_elem[me * 2] = 0; sg_elem[me * 2 + 1] = 0;
            w_alive[me] = 0
        }
    fi;
    atomic {
        sel_fired = 0; sel_n = 0;
        sel_order[0] = 0; sel_order[1] = 0; sel_lo[0] = 0; sel_lo[1] = 0;
        op_done = 0; op_cl = 0; op_rv = 0;
        /* ghost: the outcome */
        if
        :: sel_ret != NONE && cs_dir[sel_ret] == DSEND && sel_r == R_OK -> sent_ok[cs_val[sel_ret]] = 1
        :: sel_ret != NONE && cs_dir[sel_ret] == DRECV && sel_r == R_OK -> got(sel_out)
        :: sel_ret != NONE && cs_dir[sel_ret] == DRECV && sel_r == R_CLOSED -> assert(sel_out == 0)
        :: else -> skip
        fi
    }
}

/* Receive from both channels with one select until both are closed (Go:
 * a closed channel's case is then set to nil). */
inline recv_both_until_closed()
{
    atomic {
        cs_ch[0] = 0; cs_dir[0] = DRECV; cs_val[0] = 0;
        cs_ch[1] = 1; cs_dir[1] = DRECV; cs_val[1] = 0
    }
    do
    :: cs_ch[0] == NONE && cs_ch[1] == NONE -> break
    :: else ->
        select_op(0);
        atomic {
            if
            :: sel_r == R_CLOSED -> cs_ch[sel_ret] = NONE
            :: else -> skip
            fi;
            sel_ret = 0; sel_r = 0; sel_out = 0
        }
    od;
    atomic { cs_ch[0] = 0; cs_ch[1] = 0; cs_dir[0] = 0; cs_dir[1] = 0 }
}

/* A plain receive on c until it is closed. */
inline recv_until_closed(c)
{
    do
    :: chan_recv(c, 0);
        if
        :: r == R_CLOSED -> break
        :: else -> atomic { r = 0; out = 0 }
        fi
    od;
    atomic { r = 0; out = 0 }
}

inline client_start(p, thread)
{
    atomic {
        me = p;
        is_thread[me] = thread;
        g_status[me] = (thread -> 0 : G_RUNNING)
    }
}

inline client_done()
{
    atomic {
        assert(!w_alive[me] && !tm_armed[me] && !tm_firing[me]);
        assert(ch_lock[0] != me + 1 && ch_lock[1] != me + 1);
        ndone++
    }
}
