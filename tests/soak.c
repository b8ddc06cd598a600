/* SPDX-License-Identifier: MIT */
/*
 * soak.c: a long randomized stress run (make soak; make soak-short in CI).
 *
 *     soak [seconds [seed]]      (or SOAK_TIME, SOAK_SEED; defaults 180, time)
 *
 * Rounds of concurrent workloads, each with sizes drawn from the seed,
 * while a controller goroutine changes GOMAXPROCS at random moments and
 * every goroutine yields at random points and uses random deadlines:
 *
 *  - channels: producers send (id, seq) values, with send_until and
 *    select sends over two channels, to consumers that receive with
 *    recv, try_recv, recv_until and select (with a timer case). Checked:
 *    every value sent is received exactly once (a send or receive that
 *    timed out moved nothing), values of one sender arrive in order on
 *    each channel, close ends every consumer;
 *  - sync: a counter under goro_mutex (lock, trylock, lock_until), a
 *    goro_rwmutex whose readers must see an even value, a WaitGroup: the
 *    counters are exact;
 *  - cond: up to 300 goroutines wait in a predicate loop for broadcast
 *    rounds that start while most are still on their way to park: every
 *    round reaches everyone;
 *  - a crowd of up to 4,000 goroutines on one mutex, half retrying
 *    trylock, half in lock_until (starvation mode, hand-offs): the
 *    lockers get their turns within 60 s and the counter is exact;
 *  - timers and sleeps with random durations: nothing fires early, a
 *    stopped timer delivers nothing, a reset one fires once;
 *  - context trees cancelled at random: every waiter wakes exactly once.
 *
 * No lost wakeup: the waits have deadlines (a deadline that passes long
 * after it was due is a failure) or must end within a bound, and a
 * watchdog thread aborts with a goroutine dump when no operation
 * completed for 20 s. The seed is printed
 * first, so a failing run can be repeated (scheduling itself is not
 * reproducible, the workload sizes and random choices are).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "goro.h"

static uint64_t seed;
static _Atomic long progress;           /* operations completed, for the watchdog */
static _Atomic long n_sent, n_recv, n_timeouts, n_locks, n_timers, n_wakeups, n_cond,
                    n_procs_changes, n_yields, n_checks, n_rounds;

#define FAIL(...) do { \
    fprintf(stderr, "soak: FAILED (seed %llu): ", (unsigned long long)seed); \
    fprintf(stderr, __VA_ARGS__); \
    fprintf(stderr, "\n"); \
    goro_dump(stderr); \
    abort(); } while (0)

#define CHECK(c) do { atomic_fetch_add_explicit(&n_checks, 1, memory_order_relaxed); \
    if (!(c)) FAIL("%s:%d: %s", __FILE__, __LINE__, #c); } while (0)

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t x = a * 0x9e3779b97f4a7c15ull + b + 1;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 29;
    return x ? x : 1;
}

static void maybe_yield(uint64_t *r)
{
    if (rnd(r) % 8 == 0) {
        goro_yield();
        atomic_fetch_add_explicit(&n_yields, 1, memory_order_relaxed);
    }
}

static void done_op(_Atomic long *counter)
{
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
}

/* A random deadline 0..2 ms away; a return later than 2 s past it is a
 * failure (a lost timer or wakeup). */
static int64_t rand_deadline(uint64_t *r)
{
    return goro_now() + (int64_t)(rnd(r) % 2000) * GORO_MICROSECOND;
}

static void check_late(int64_t deadline)
{
    CHECK(goro_now() - deadline < 2 * GORO_SECOND);
}

/* ---- channels ---- */

enum { MAXP = 8, MAXC = 6, MAXK = 2000 };

typedef struct round_chan {
    goro_chan *ch[2];
    int np, nc, k;
    uint8_t seen[MAXP][MAXK];          /* receive count per value */
    goro_waitgroup prod_wg, cons_wg;
    uint64_t rseed;
} round_chan;

typedef struct { void *rc; int id; } role;   /* a goroutine's round and number */

static void producer(void *arg)
{
    role *ro = arg;
    round_chan *rc = ro->rc;
    uint64_t r = mix(rc->rseed, (uint64_t)ro->id);
    for (int s = 0; s < rc->k; s++) {
        int v = ro->id << 16 | s;
        for (;;) {
            int how = (int)(rnd(&r) % 3);
            int res;
            if (how == 0) {
                res = goro_chan_send(rc->ch[0], &v);
            } else if (how == 1) {
                int64_t dl = rand_deadline(&r);
                res = goro_chan_send_until(rc->ch[rnd(&r) & 1], &v, dl);
                if (res == GORO_ETIMEDOUT)
                    check_late(dl);
            } else {
                goro_case cs[2] = { GORO_CASE_SEND(rc->ch[0], &v), GORO_CASE_SEND(rc->ch[1], &v) };
                int64_t dl = rand_deadline(&r);
                res = goro_select_until(cs, 2, dl);
                if (res == GORO_ETIMEDOUT)
                    check_late(dl);
                else
                    res = cs[res].result;
            }
            if (res == 0)
                break;
            CHECK(res == GORO_ETIMEDOUT);
            done_op(&n_timeouts);
        }
        done_op(&n_sent);
        maybe_yield(&r);
    }
}

static void record(round_chan *rc, int v, int last[2][MAXP], int c)
{
    int id = v >> 16, s = v & 0xffff;
    CHECK(id >= 0 && id < rc->np && s < rc->k);
    CHECK(s > last[c][id]);        /* in order per sender, per channel */
    last[c][id] = s;
    uint8_t prev = __atomic_fetch_add(&rc->seen[id][s], 1, __ATOMIC_RELAXED);
    CHECK(prev == 0);              /* received once */
    done_op(&n_recv);
}

static void consumer(void *arg)
{
    role *ro = arg;
    round_chan *rc = ro->rc;
    uint64_t r = mix(rc->rseed, 100 + (uint64_t)ro->id);
    int last[2][MAXP];
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < MAXP; i++)
            last[c][i] = -1;
    bool open[2] = { true, true };
    while (open[0] || open[1]) {
        int v = 0, c = (int)(rnd(&r) & 1), res;
        if (!open[c])
            c ^= 1;
        switch (rnd(&r) % 4) {
        case 0:
            res = goro_chan_try_recv(rc->ch[c], &v);
            if (res == GORO_EAGAIN) {
                goro_yield();
                continue;
            }
            break;
        case 1: {
            int64_t dl = rand_deadline(&r);
            res = goro_chan_recv_until(rc->ch[c], &v, dl);
            if (res == GORO_ETIMEDOUT) {
                check_late(dl);
                done_op(&n_timeouts);
                continue;
            }
            break;
        }
        default: {
            goro_timer *t = goro_timer_new((int64_t)(rnd(&r) % 1500) * GORO_MICROSECOND);
            CHECK(t);
            int64_t when;
            goro_case cs[3] = {
                GORO_CASE_RECV(open[0] ? rc->ch[0] : NULL, &v),
                GORO_CASE_RECV(open[1] ? rc->ch[1] : NULL, &v),
                GORO_CASE_RECV(goro_timer_chan(t), &when),
            };
            int64_t dl = goro_now() + 5 * GORO_SECOND;
            int k = goro_select_until(cs, 3, dl);
            CHECK(k >= 0 && k <= 2);
            goro_timer_free(t);
            if (k == 2) {
                done_op(&n_timeouts);
                continue;
            }
            c = k;
            res = cs[k].result;
            break;
        }
        }
        if (res == GORO_ECLOSED) {
            open[c] = false;
            continue;
        }
        CHECK(res == 0);
        record(rc, v, last, c);
        maybe_yield(&r);
    }
}

static void wl_chan(uint64_t *r)
{
    static round_chan rc;
    memset(&rc, 0, sizeof rc);
    rc.np = 1 + (int)(rnd(r) % MAXP);
    rc.nc = 1 + (int)(rnd(r) % MAXC);
    rc.k = 1 + (int)(rnd(r) % MAXK);
    rc.rseed = rnd(r);
    for (int i = 0; i < 2; i++) {
        rc.ch[i] = goro_chan_make(sizeof(int), rnd(r) % 3 ? (size_t)(rnd(r) % 16) : 0);
        CHECK(rc.ch[i]);
    }
    static role pr[MAXP], cr[MAXC];
    for (int i = 0; i < rc.nc; i++) {
        cr[i] = (role){ &rc, i };
        CHECK(goro_waitgroup_go(&rc.cons_wg, consumer, &cr[i]) == 0);
    }
    for (int i = 0; i < rc.np; i++) {
        pr[i] = (role){ &rc, i };
        CHECK(goro_waitgroup_go(&rc.prod_wg, producer, &pr[i]) == 0);
    }
    CHECK(goro_waitgroup_wait_until(&rc.prod_wg, goro_now() + 60 * GORO_SECOND) == 0);
    goro_chan_close(rc.ch[0]);
    goro_chan_close(rc.ch[1]);
    CHECK(goro_waitgroup_wait_until(&rc.cons_wg, goro_now() + 60 * GORO_SECOND) == 0);
    for (int p = 0; p < rc.np; p++)
        for (int s = 0; s < rc.k; s++)
            CHECK(rc.seen[p][s] == 1);   /* conservation: none lost */
    goro_chan_release(rc.ch[0]);
    goro_chan_release(rc.ch[1]);
}

/* ---- sync ---- */

typedef struct {
    goro_mutex mu;
    goro_rwmutex rw;
    long counter, even;
    int n, k;
    uint64_t rseed;
    goro_waitgroup wg;
} round_sync;

/* Locks mu with lock_until and random deadlines up to `max` ns away; a
 * timeout is counted (and may not come late), and the retry yields. */
static void lock_until_loop(goro_mutex *mu, uint64_t *r, int64_t max)
{
    for (;;) {
        int64_t dl = goro_now() + (int64_t)(rnd(r) % (uint64_t)max);
        int e = goro_mutex_lock_until(mu, dl);
        if (e == 0)
            return;
        CHECK(e == GORO_ETIMEDOUT);
        check_late(dl);
        done_op(&n_timeouts);
        goro_yield();
    }
}

static void sync_worker(void *arg)
{
    role *ro = arg;
    round_sync *rs = ro->rc;
    uint64_t r = mix(rs->rseed, (uint64_t)ro->id);
    for (int i = 0; i < rs->k; i++) {
        switch (rnd(&r) % 3) {
        case 0:
            goro_mutex_lock(&rs->mu);
            break;
        case 1:
            while (goro_mutex_trylock(&rs->mu) != 0)
                goro_yield();
            break;
        default:
            lock_until_loop(&rs->mu, &r, 2 * GORO_MILLISECOND);
        }
        long c = rs->counter;
        maybe_yield(&r);
        rs->counter = c + 1;      /* a lost update shows in the total */
        goro_mutex_unlock(&rs->mu);
        done_op(&n_locks);
        if (rnd(&r) % 4 == 0) {
            goro_rwmutex_lock(&rs->rw);
            rs->even++;
            maybe_yield(&r);
            rs->even++;
            goro_rwmutex_unlock(&rs->rw);
        } else {
            goro_rwmutex_rlock(&rs->rw);
            CHECK(rs->even % 2 == 0);
            goro_rwmutex_runlock(&rs->rw);
        }
        done_op(&n_locks);
    }
}

static void wl_sync(uint64_t *r)
{
    static round_sync rs;
    memset(&rs, 0, sizeof rs);
    rs.n = 1 + (int)(rnd(r) % 16);
    rs.k = 1 + (int)(rnd(r) % 500);
    rs.rseed = rnd(r);
    static role ro[16];
    for (int i = 0; i < rs.n; i++) {
        ro[i] = (role){ &rs, i };
        CHECK(goro_waitgroup_go(&rs.wg, sync_worker, &ro[i]) == 0);
    }
    CHECK(goro_waitgroup_wait_until(&rs.wg, goro_now() + 60 * GORO_SECOND) == 0);
    CHECK(rs.counter == (long)rs.n * rs.k);   /* mutex and WaitGroup exact */
}

/* Broadcast rounds: waiters in the usual predicate loop, a coordinator
 * that starts the next round as soon as the last one has queued (most
 * are still on their way to park, and fight for the mutex on the way
 * back: starvation mode, hand-offs). */
typedef struct {
    goro_mutex mu;
    goro_cond go, all;
    int round, arrived;                /* under mu */
    int n, rounds, work_us;
    goro_waitgroup wg;
} round_cond;

static void busy_us(int us)
{
    int64_t end = goro_now() + us * GORO_MICROSECOND;
    while (goro_now() < end)
        ;
}

static void cond_waiter(void *arg)
{
    round_cond *rc = arg;
    for (int r = 1; r <= rc->rounds; r++) {
        goro_mutex_lock(&rc->mu);
        rc->arrived++;
        goro_cond_signal(&rc->all);
        while (rc->round < r)
            goro_cond_wait(&rc->go, &rc->mu);
        CHECK(rc->round == r);        /* nobody starts a round before all arrived */
        busy_us(rc->work_us);
        goro_mutex_unlock(&rc->mu);
        done_op(&n_cond);
    }
}

static void cond_coordinator(void *arg)
{
    round_cond *rc = arg;
    for (int r = 1; r <= rc->rounds; r++) {
        goro_mutex_lock(&rc->mu);
        while (rc->arrived < rc->n * r)
            goro_cond_wait(&rc->all, &rc->mu);
        rc->round = r;
        goro_cond_broadcast(&rc->go);
        goro_mutex_unlock(&rc->mu);
    }
}

static void wl_cond(uint64_t *r)
{
    static round_cond rc;
    memset(&rc, 0, sizeof rc);
    rc.n = 2 + (int)(rnd(r) % 300);
    rc.rounds = 1 + (int)(rnd(r) % 100);
    rc.work_us = (int)(rnd(r) % 11);
    for (int i = 0; i < rc.n; i++)
        CHECK(goro_waitgroup_go(&rc.wg, cond_waiter, &rc) == 0);
    CHECK(goro_waitgroup_go(&rc.wg, cond_coordinator, &rc) == 0);
    if (goro_waitgroup_wait_until(&rc.wg, goro_now() + 60 * GORO_SECOND) != 0)
        FAIL("cond rounds (%d waiters, %d rounds) not done in 60 s: a lost wakeup?",
             rc.n, rc.rounds);
    CHECK(rc.round == rc.rounds && rc.go.nwait_ == 0 && rc.all.nwait_ == 0);
}

/* A crowd on one mutex: half retry trylock and yield, half wait in
 * lock_until with long deadlines, so it goes into starvation mode with
 * thousands of waiters; a hand-off that left the new owner waiting behind
 * the yielders made the round take hours. */
typedef struct {
    goro_mutex mu;
    long counter;                      /* under mu */
    _Atomic long acquired;
    _Atomic int stop;
    int n, k;
    uint64_t rseed;
    goro_waitgroup lockers, triers;
} round_crowd;

static void crowd_trier(void *arg)
{
    round_crowd *rc = arg;
    while (!atomic_load_explicit(&rc->stop, memory_order_relaxed)) {
        if (goro_mutex_trylock(&rc->mu) == 0) {
            rc->counter++;
            goro_mutex_unlock(&rc->mu);
            atomic_fetch_add_explicit(&rc->acquired, 1, memory_order_relaxed);
        }
        goro_yield();
    }
}

static void crowd_locker(void *arg)
{
    role *ro = arg;
    round_crowd *rc = ro->rc;
    uint64_t r = mix(rc->rseed, (uint64_t)ro->id);
    for (int i = 0; i < rc->k; i++) {
        lock_until_loop(&rc->mu, &r, GORO_SECOND);
        rc->counter++;
        goro_mutex_unlock(&rc->mu);
        atomic_fetch_add_explicit(&rc->acquired, 1, memory_order_relaxed);
        done_op(&n_locks);
    }
}

static void wl_crowd(uint64_t *r)
{
    static round_crowd rc;
    static role ro[2000];
    memset(&rc, 0, sizeof rc);
    rc.n = 1 + (int)(rnd(r) % 2000);   /* lockers, and as many triers */
    rc.k = 1 + (int)(rnd(r) % 4);
    rc.rseed = rnd(r);
    for (int i = 0; i < rc.n; i++) {
        ro[i] = (role){ &rc, i };
        CHECK(goro_waitgroup_go(&rc.lockers, crowd_locker, &ro[i]) == 0);
        CHECK(goro_waitgroup_go(&rc.triers, crowd_trier, &rc) == 0);
    }
    if (goro_waitgroup_wait_until(&rc.lockers, goro_now() + 60 * GORO_SECOND) != 0)
        FAIL("mutex crowd (%d lockers, %d triers): %ld acquisitions in 60 s",
             rc.n, rc.n, atomic_load(&rc.acquired));
    atomic_store(&rc.stop, 1);
    CHECK(goro_waitgroup_wait_until(&rc.triers, goro_now() + 60 * GORO_SECOND) == 0);
    CHECK(rc.counter == atomic_load(&rc.acquired));   /* mutual exclusion */
    CHECK(rc.mu.state_ == 0);
}

/* ---- timers, sleeps, contexts ---- */

typedef struct {
    goro_ctx *ctx;
    _Atomic int woken;
    uint64_t rseed;
    int id;
} ctx_waiter_arg;

static void timer_worker(void *arg)
{
    uint64_t r = mix(*(uint64_t *)arg, 7);
    for (int i = 0; i < 20; i++) {
        int64_t d = (int64_t)(rnd(&r) % 3000) * GORO_MICROSECOND;
        int64_t t0 = goro_now();
        switch (rnd(&r) % 3) {
        case 0:
            goro_sleep(d);
            CHECK(goro_now() >= t0 + d);
            check_late(t0 + d);
            break;
        case 1: {
            goro_timer *t = goro_timer_new(d);
            CHECK(t);
            if (rnd(&r) & 1) {
                if (goro_timer_stop(t)) {
                    /* stopped while pending: nothing arrives */
                    CHECK(goro_chan_try_recv(goro_timer_chan(t), NULL) == GORO_EAGAIN);
                    goro_timer_free(t);
                    break;
                }
                /* it had fired: stop drained the value */
                CHECK(goro_chan_try_recv(goro_timer_chan(t), NULL) == GORO_EAGAIN);
                goro_timer_reset(t, d);
                t0 = goro_now();
            }
            int64_t when;
            CHECK(goro_chan_recv_until(goro_timer_chan(t), &when, goro_now() + 5 * GORO_SECOND) == 0);
            CHECK(when >= t0 + d);
            check_late(t0 + d);
            CHECK(goro_chan_try_recv(goro_timer_chan(t), NULL) == GORO_EAGAIN);   /* once */
            goro_timer_free(t);
            break;
        }
        default: {
            goro_chan *c = goro_after(d);
            CHECK(c);
            int64_t when;
            CHECK(goro_chan_recv_until(c, &when, goro_now() + 5 * GORO_SECOND) == 0);
            CHECK(when >= t0 + d);
            goro_chan_release(c);
        }
        }
        done_op(&n_timers);
    }
}

static void ctx_waiter(void *arg)
{
    ctx_waiter_arg *a = arg;
    goro_case cs[1] = { GORO_CASE_RECV(goro_ctx_done(a->ctx), NULL) };
    CHECK(goro_select_until(cs, 1, goro_now() + 10 * GORO_SECOND) == 0);
    CHECK(goro_ctx_err(a->ctx) != 0);
    CHECK(atomic_fetch_add(&a->woken, 1) == 0);   /* woken exactly once */
    done_op(&n_wakeups);
}

static void wl_time(uint64_t *r)
{
    goro_waitgroup wg = {0};
    int nt = 1 + (int)(rnd(r) % 8);
    static uint64_t seeds[8];
    for (int i = 0; i < nt; i++) {
        seeds[i] = rnd(r);
        CHECK(goro_waitgroup_go(&wg, timer_worker, &seeds[i]) == 0);
    }
    /* A context tree: root -> mid (timeout) -> leaves; waiters on each. */
    goro_ctx *root = goro_ctx_with_cancel(goro_ctx_background());
    goro_ctx *mid = goro_ctx_with_timeout(root, (int64_t)(rnd(r) % 3000) * GORO_MICROSECOND);
    CHECK(root && mid);
    enum { NW = 12 };
    static ctx_waiter_arg wa[NW];
    for (int i = 0; i < NW; i++) {
        goro_ctx *c = i % 3 == 0 ? root : i % 3 == 1 ? mid : goro_ctx_with_cancel(mid);
        CHECK(c);
        if (i % 3 != 2)
            goro_ctx_retain(c);
        wa[i].ctx = c;
        atomic_store(&wa[i].woken, 0);
        CHECK(goro_waitgroup_go(&wg, ctx_waiter, &wa[i]) == 0);
    }
    goro_sleep((int64_t)(rnd(r) % 2000) * GORO_MICROSECOND);
    goro_ctx_cancel(root);
    CHECK(goro_waitgroup_wait_until(&wg, goro_now() + 60 * GORO_SECOND) == 0);
    for (int i = 0; i < NW; i++) {
        CHECK(atomic_load(&wa[i].woken) == 1);
        goro_ctx_release(wa[i].ctx);
    }
    goro_ctx_release(mid);
    goro_ctx_release(root);
}

/* ---- the controller: GOMAXPROCS at random ---- */

static _Atomic int stop_ctl;

static void controller(void *arg)
{
    uint64_t r = mix(*(uint64_t *)arg, 99);
    int maxp = goro_num_cpu() * 2;
    if (maxp < 4)
        maxp = 4;
    while (!atomic_load(&stop_ctl)) {
        goro_maxprocs(1 + (int)(rnd(&r) % (uint64_t)maxp));
        atomic_fetch_add_explicit(&n_procs_changes, 1, memory_order_relaxed);
        goro_sleep((int64_t)(rnd(&r) % 20000) * GORO_MICROSECOND);
    }
}

/* ---- rounds ---- */

typedef struct { void (*fn)(uint64_t *); uint64_t seed; } job;

static void run_job(void *arg)
{
    job *j = arg;
    j->fn(&j->seed);
}

static void *watchdog(void *arg)
{
    (void)arg;
    long last = -1;
    int still = 0;
    for (;;) {
        sleep(1);
        long p = atomic_load(&progress);
        still = p == last ? still + 1 : 0;
        last = p;
        if (still >= 20)
            FAIL("no operation completed for 20 s: a lost wakeup?");
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *e;
    double secs = 180;
    if (argc > 1)
        secs = atof(argv[1]);
    else if ((e = getenv("SOAK_TIME")) && *e)
        secs = atof(e);
    seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    if (argc > 2)
        seed = strtoull(argv[2], NULL, 0);
    else if ((e = getenv("SOAK_SEED")) && *e)
        seed = strtoull(e, NULL, 0);
    printf("soak: seed %llu, %.0f s (repeat with: soak %.0f %llu)\n",
           (unsigned long long)seed, secs, secs, (unsigned long long)seed);
    fflush(stdout);

    pthread_t wd;
    pthread_create(&wd, NULL, watchdog, NULL);
    pthread_detach(wd);
    int procs0 = goro_maxprocs(0);
    goro_waitgroup ctl = {0};
    uint64_t cseed = seed;
    goro_waitgroup_go(&ctl, controller, &cseed);

    uint64_t r = mix(seed, 1);
    int64_t end = goro_now() + (int64_t)(secs * 1e9);
    while (goro_now() < end) {
        job jobs[5] = { { wl_chan, rnd(&r) }, { wl_sync, rnd(&r) }, { wl_time, rnd(&r) },
                        { wl_cond, rnd(&r) }, { wl_crowd, rnd(&r) } };
        goro_waitgroup wg = {0};
        for (int i = 0; i < 5; i++)
            if (rnd(&r) % 4)   /* most rounds run them all together */
                CHECK(goro_waitgroup_go(&wg, run_job, &jobs[i]) == 0);
        CHECK(goro_waitgroup_wait_until(&wg, goro_now() + 120 * GORO_SECOND) == 0);
        done_op(&n_rounds);
    }
    atomic_store(&stop_ctl, 1);
    goro_waitgroup_wait(&ctl);
    goro_maxprocs(procs0);
    /* Every goroutine ends (the last ones are past their WaitGroup done). */
    int64_t dl = goro_now() + 5 * GORO_SECOND;
    while (goro_num_goroutine() != 0 && goro_now() < dl)
        usleep(1000);
    CHECK(goro_num_goroutine() == 0);

    printf("soak: ok: %ld rounds; %ld values sent, %ld received (each exactly once, in order "
           "per sender); %ld lock operations; %ld cond rounds passed; %ld timers and sleeps; "
           "%ld context wakeups; %ld timeouts; %ld GOMAXPROCS changes; %ld random yields; "
           "%ld invariants checked\n",
           atomic_load(&n_rounds), atomic_load(&n_sent), atomic_load(&n_recv),
           atomic_load(&n_locks), atomic_load(&n_cond), atomic_load(&n_timers),
           atomic_load(&n_wakeups),
           atomic_load(&n_timeouts), atomic_load(&n_procs_changes), atomic_load(&n_yields),
           atomic_load(&n_checks));
    return atomic_load(&n_sent) == atomic_load(&n_recv) ? 0 : 1;
}
