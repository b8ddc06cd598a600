/* SPDX-License-Identifier: MIT */
/*
 * test_chan_stress.c: channels and select under load, with exact
 * bookkeeping of every value.
 *  - many producers (goroutines and plain pthreads) and many consumers
 *    (goroutines and a pthread) on one channel, cap 0, 1 and 128, using
 *    every form of send and receive (blocking, try, _until, one-case
 *    select): every value is received exactly once, and each consumer
 *    sees each producer's values in increasing sequence (FIFO);
 *  - close racing sends and receives: senders see 0 or GORO_ECLOSED (or
 *    the retryable EAGAIN/ETIMEDOUT), receivers drain, then GORO_ECLOSED
 *    with a zeroed value; the values received are exactly the successful
 *    sends: nothing lost, nothing duplicated, nothing from a failed send;
 *  - select storms: goroutines and a thread each run selects over random
 *    mixes of send and receive cases on shared channels (duplicates,
 *    send+receive on one channel, NULL cases, more than 8 cases), with
 *    select_until, select_try and blocking select; a select performs one
 *    case or none (no other destination is written), and every value a
 *    send case sent is received exactly once by a receive case or left in
 *    a buffer; a second run closes the channels midway;
 *  - a deadline (sleep, recv_until, select_until) fires while two other
 *    goroutines ping-pong on an unbuffered channel on the same P.
 */
// ctest-labels: chan
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "testutil.h"

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64* */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

static goro_chan *make_chan(size_t esize, size_t cap)
{
    goro_chan *c = goro_chan_make(esize, cap);
    CHECK(c);
    return c;
}

/* A deadline 0-50 us away, or 100-150 us for a try's fallback. */
static int64_t span(uint64_t *rng, int method0)
{
    return (int64_t)(rng_next(rng) % 50 + (method0 == 1 ? 100 : 0)) * GORO_MICROSECOND;
}

/* One try to send *v (recv false) or receive into *v by the given method. */
static int xfer_once(goro_chan *c, uint64_t *v, bool recv, int method, int method0, uint64_t *rng)
{
    switch (method) {
    case 0:
        return recv ? goro_chan_recv(c, v) : goro_chan_send(c, v);
    case 1:
        return recv ? goro_chan_try_recv(c, v) : goro_chan_try_send(c, v);
    case 2: {
        int64_t deadline = goro_now() + span(rng, method0);
        return recv ? goro_chan_recv_until(c, v, deadline) : goro_chan_send_until(c, v, deadline);
    }
    default:
        break;
    }
    int r;
    if (recv) {
        goro_case cs[2] = { GORO_CASE_RECV(NULL, NULL), GORO_CASE_RECV(c, v) };
        r = goro_select_until(cs, 2, goro_now() + (int64_t)(rng_next(rng) % 50) * GORO_MICROSECOND);
        if (r >= 0) {
            CHECK_EQ(r, 1);
            r = cs[1].result;
        }
    } else {
        uint64_t junk = 0;
        goro_case cs[3] = { GORO_CASE_SEND(NULL, &junk), GORO_CASE_SEND(c, v),
                            GORO_CASE_RECV(NULL, &junk) };
        r = goro_select_until(cs, 3, goro_now() + (int64_t)(rng_next(rng) % 50) * GORO_MICROSECOND);
        if (r >= 0) {
            CHECK_EQ(r, 1);
            r = cs[1].result;
        }
        CHECK_EQ(junk, 0);
    }
    return r;
}

/* Sends or receives by one of several methods; retries what may be
 * retried. Returns 0 or GORO_ECLOSED (a receive then leaves *v zeroed). A
 * try that keeps failing turns into an _until now and then: on an
 * unbuffered channel two try-ers never meet. */
static int xfer_any(goro_chan *c, uint64_t *v, bool recv, int method0, uint64_t *rng)
{
    for (int attempt = 1;; attempt++) {
        int method = method0 == 1 && attempt % 16 == 0 ? 2 : method0;
        if (recv)
            *v = 0xdeadbeefdeadbeefull;
        int r = xfer_once(c, v, recv, method, method0, rng);
        if (r == 0)
            return 0;
        if (r == GORO_ECLOSED) {
            if (recv)
                CHECK_EQ(*v, 0);
            return r;
        }
        if (recv)
            CHECK_EQ(*v, 0xdeadbeefdeadbeefull);   /* a failed receive wrote nothing */
        if (r == GORO_EAGAIN) {
            CHECK_EQ(method, 1);
            goro_yield();
        } else {
            CHECK_EQ(r, GORO_ETIMEDOUT);
            CHECK(method >= 2);
        }
    }
}

static int send_any(goro_chan *c, const uint64_t *v, int method0, uint64_t *rng)
{
    return xfer_any(c, (uint64_t *)v, false, method0, rng);   /* a send only reads *v */
}

static int recv_any(goro_chan *c, uint64_t *v, int method0, uint64_t *rng)
{
    return xfer_any(c, v, true, method0, rng);
}

#define ENC(s, q) ((((uint64_t)(s) + 1) << 32) | (uint64_t)(q))
#define SENDER(v) ((long)((v) >> 32) - 1)
#define SEQ(v) ((long)((v) & 0xffffffffu))

/* ---- many producers, many consumers ------------------------------------- */

enum { MP_GP = 6, MP_TP = 2, MP_NP = MP_GP + MP_TP, MP_GC = 5, MP_TC = 1 };

typedef struct mpmc {
    goro_chan *c;
    long m;                          /* values per producer */
    _Atomic unsigned char *seen;     /* [MP_NP * m] */
    _Atomic long received;
} mpmc;

typedef struct mp_role {
    mpmc *s;
    int id;
} mp_role;

static void mp_produce(void *arg)
{
    mp_role *r = arg;
    uint64_t rng = 0x9e3779b97f4a7c15ull * (uint64_t)(r->id + 1);
    for (long q = 0; q < r->s->m; q++) {
        uint64_t v = ENC(r->id, q);
        CHECK_EQ(send_any(r->s->c, &v, (int)((r->id + q / 64) % 4), &rng), 0);
    }
}

static void mp_consume(void *arg)
{
    mp_role *r = arg;
    mpmc *s = r->s;
    uint64_t rng = 0x2545f4914f6cdd1dull * (uint64_t)(r->id + 7);
    long last[MP_NP], n = 0;
    for (int i = 0; i < MP_NP; i++)
        last[i] = -1;
    for (long k = 0;; k++) {
        uint64_t v;
        if (recv_any(s->c, &v, (int)((r->id + k / 64) % 4), &rng) == GORO_ECLOSED)
            break;
        long snd = SENDER(v), q = SEQ(v);
        CHECK(snd >= 0 && snd < MP_NP && q < s->m);
        if (q <= last[snd]) {
            fprintf(stderr, "consumer %d: producer %ld's value %ld after %ld\n",
                    r->id, snd, q, last[snd]);
            exit(1);
        }
        last[snd] = q;
        CHECK_EQ(atomic_fetch_add(&s->seen[snd * s->m + q], 1), 0);
        n++;
    }
    atomic_fetch_add(&s->received, n);
}

static void test_mpmc(size_t cap)
{
    mpmc s = { .c = make_chan(sizeof(uint64_t), cap), .m = scaled(40000, 8) };
    s.seen = calloc((size_t)(MP_NP * s.m), 1);
    CHECK(s.seen);
    mp_role pr[MP_NP], cr[MP_GC + MP_TC];
    for (int i = 0; i < MP_GC + MP_TC; i++)
        cr[i] = (mp_role){ &s, i };
    for (int i = 0; i < MP_NP; i++)
        pr[i] = (mp_role){ &s, i };
    crew cons, prod;
    crew_start(&cons, mp_consume, cr, sizeof cr[0], MP_GC, MP_TC);
    crew_start(&prod, mp_produce, pr, sizeof pr[0], MP_GP, MP_TP);
    crew_wait(&prod);
    CHECK_EQ(goro_chan_close(s.c), 0);
    crew_wait(&cons);
    CHECK_EQ(atomic_load(&s.received), MP_NP * s.m);
    for (long i = 0; i < MP_NP * s.m; i++)
        if (atomic_load(&s.seen[i]) != 1) {
            fprintf(stderr, "cap %zu: producer %ld's value %ld received %d times\n",
                    cap, i / s.m, i % s.m, atomic_load(&s.seen[i]));
            exit(1);
        }
    free((void *)s.seen);
    goro_chan_release(s.c);
}

/* ---- close racing sends and receives ------------------------------------ */

enum { CR_GS = 3, CR_NS = CR_GS + 1, CR_NR = 3, CR_MAXQ = 4096 };

typedef struct crace {
    goro_chan *c;
    _Atomic unsigned char seen[CR_NS][CR_MAXQ];
    long sent[CR_NS];                /* written by each sender, read after join */
    _Atomic long received;
    goro_waitgroup wg;               /* the receivers */
    int round;
} crace;

typedef struct cr_role {
    crace *s;
    int id;
} cr_role;

static void cr_send(void *arg)
{
    cr_role *r = arg;
    crace *s = r->s;
    uint64_t rng = (uint64_t)(r->id + 1) * 0x9e3779b97f4a7c15ull + (uint64_t)s->round;
    long q = 0;
    while (q < CR_MAXQ) {
        uint64_t v = ENC(r->id, q);
        int rc = send_any(s->c, &v, (int)((r->id + s->round + q) % 4), &rng);
        if (rc == GORO_ECLOSED)
            break;
        CHECK_EQ(rc, 0);
        q++;
    }
    s->sent[r->id] = q;
    /* Closed stays closed, by every method. */
    if (q < CR_MAXQ) {
        uint64_t v = ENC(r->id, q);
        for (int m = 0; m < 4; m++)
            CHECK_EQ(send_any(s->c, &v, m, &rng), GORO_ECLOSED);
    }
}

static void cr_receiver(void *arg)
{
    cr_role *r = arg;
    crace *s = r->s;
    uint64_t rng = (uint64_t)(r->id + 11) * 0x2545f4914f6cdd1dull + (uint64_t)s->round;
    long n = 0;
    for (long k = 0;; k++) {
        uint64_t v;
        if (recv_any(s->c, &v, (int)((r->id + s->round + k) % 4), &rng) == GORO_ECLOSED)
            break;
        long snd = SENDER(v), q = SEQ(v);
        CHECK(snd >= 0 && snd < CR_NS && q < CR_MAXQ);
        CHECK_EQ(atomic_fetch_add(&s->seen[snd][q], 1), 0);
        n++;
    }
    atomic_fetch_add(&s->received, n);
    goro_waitgroup_done(&s->wg);
}

static void test_close_race(void)
{
    static const size_t caps[] = { 0, 1, 16 };
    long rounds = scaled(300, 4);
    crace *s = malloc(sizeof *s);
    CHECK(s);
    uint64_t rng = 12345;
    for (long round = 0; round < rounds; round++) {
        memset(s, 0, sizeof *s);
        s->round = (int)round;
        s->c = make_chan(sizeof(uint64_t), caps[round % 3]);
        cr_role sr[CR_NS], rr[CR_NR];
        goro_waitgroup_add(&s->wg, CR_NR);
        for (int i = 0; i < CR_NR; i++) {
            rr[i] = (cr_role){ s, i };
            CHECK_EQ(goro_go(cr_receiver, &rr[i]), 0);
        }
        for (int i = 0; i < CR_NS; i++)
            sr[i] = (cr_role){ s, i };
        crew senders;
        crew_start(&senders, cr_send, sr, sizeof sr[0], CR_GS, CR_NS - CR_GS);
        /* Close at a random moment: at once, after a spin, or a sleep. */
        switch (round % 4) {
        case 0:
            break;
        case 1:
            for (uint64_t i = rng_next(&rng) % 20000; i > 0; i--)
                atomic_signal_fence(memory_order_seq_cst);
            break;
        default:
            goro_sleep((int64_t)(rng_next(&rng) % 300) * GORO_MICROSECOND);
            break;
        }
        CHECK_EQ(goro_chan_close(s->c), 0);
        CHECK_EQ(goro_chan_close(s->c), GORO_ECLOSED);
        goro_waitgroup_wait(&s->wg);
        crew_wait(&senders);
        long total = 0;
        for (int i = 0; i < CR_NS; i++) {
            total += s->sent[i];
            for (long q = 0; q < CR_MAXQ; q++) {
                int want = q < s->sent[i];
                if (atomic_load(&s->seen[i][q]) != want) {
                    fprintf(stderr, "close race round %ld (cap %zu): sender %d sent %ld, "
                            "value %ld received %d times\n", round, caps[round % 3], i,
                            s->sent[i], q, atomic_load(&s->seen[i][q]));
                    exit(1);
                }
            }
        }
        CHECK_EQ(atomic_load(&s->received), total);
        CHECK_EQ(goro_chan_len(s->c), 0);
        goro_chan_release(s->c);
    }
    free(s);
}

/* ---- select storms ------------------------------------------------------ */

enum { SS_K = 5, SS_G = 8, SS_NW = SS_G + 1, SS_MAXCASES = 12 };
#define SENTINEL 0xfeedfacecafef00dull

typedef struct storm {
    goro_chan *c[SS_K];
    goro_chan *tick;                  /* always fed: blocking selects never get stuck */
    long iters, maxseq;
    unsigned char *sent[SS_NW];       /* [maxseq], each written by its owner */
    _Atomic unsigned char *recvd[SS_NW];
    _Atomic long nsent, nrecv, ntimeout, nclosed;
    _Atomic long progress;            /* iterations done, all workers */
    _Atomic int done;
    _Atomic int closed;               /* the closer has closed c[] */
    bool closing;
} storm;

typedef struct ss_role {
    storm *s;
    int id;
} ss_role;

static void ss_mark_recv(storm *s, uint64_t v)
{
    long w = SENDER(v), q = SEQ(v);
    if (w < 0 || w >= SS_NW || q >= s->maxseq) {
        fprintf(stderr, "storm: bogus value %#llx received\n", (unsigned long long)v);
        exit(1);
    }
    CHECK_EQ(atomic_fetch_add(&s->recvd[w][q], 1), 0);
    atomic_fetch_add_explicit(&s->nrecv, 1, memory_order_relaxed);
}

static void ss_work(void *arg)
{
    ss_role *r = arg;
    storm *s = r->s;
    uint64_t rng = 0x51ed270b27a4d5c3ull * (uint64_t)(r->id + 3);
    long seq = 0;
    goro_case cs[SS_MAXCASES + 1];
    uint64_t slot[SS_MAXCASES + 1];
    long seqof[SS_MAXCASES + 1];
    for (long it = 0; it < s->iters; it++) {
        /* Closing run: the last quarter runs on closed channels. */
        if (s->closing && it == s->iters * 3 / 4)
            while (!atomic_load(&s->closed))
                goro_sleep(20 * GORO_MICROSECOND);
        atomic_fetch_add_explicit(&s->progress, 1, memory_order_relaxed);
        uint64_t x = rng_next(&rng);
        int n = x % 10 == 0 ? 9 + (int)(x / 10 % 4) : 1 + (int)(x / 10 % 6);
        for (int i = 0; i < n; i++) {
            uint64_t y = rng_next(&rng);
            goro_chan *c = y % 12 == 0 ? NULL : s->c[y / 12 % SS_K];
            if (y / 64 % 2) {
                seqof[i] = seq;
                slot[i] = ENC(r->id, seq);
                seq++;
                cs[i] = GORO_CASE_SEND(c, &slot[i]);
            } else {
                seqof[i] = -1;
                slot[i] = SENTINEL;
                cs[i] = GORO_CASE_RECV(c, &slot[i]);
            }
            cs[i].result = 777;
        }
        int mode = (int)(rng_next(&rng) % 20), k;
        int ncs = n;
        if (mode < 9) {
            k = goro_select_until(cs, n, goro_now() + (int64_t)(rng_next(&rng) % 100) * GORO_MICROSECOND);
        } else if (mode < 17) {
            k = goro_select_try(cs, n);
        } else {
            cs[n] = GORO_CASE_RECV(s->tick, NULL);
            ncs = n + 1;
            k = goro_select(cs, ncs);
        }
        CHECK(k == GORO_ETIMEDOUT || k == GORO_EAGAIN || (k >= 0 && k < ncs));
        CHECK(k != GORO_ETIMEDOUT || mode < 9);
        CHECK(k != GORO_EAGAIN || (mode >= 9 && mode < 17));
        for (int i = 0; i < n; i++) {
            if (i == k)
                continue;
            /* Only the chosen case happened. */
            CHECK_EQ(cs[i].result, 0);
            if (seqof[i] < 0)
                CHECK_EQ(slot[i], SENTINEL);
        }
        if (k < 0) {
            if (k == GORO_ETIMEDOUT)
                atomic_fetch_add_explicit(&s->ntimeout, 1, memory_order_relaxed);
            continue;
        }
        if (k == n)
            continue;   /* a tick */
        CHECK(cs[k].ch != NULL);
        if (cs[k].result == GORO_ECLOSED) {
            CHECK(s->closing);
            atomic_fetch_add_explicit(&s->nclosed, 1, memory_order_relaxed);
            if (cs[k].dir == GORO_RECV)
                CHECK_EQ(slot[k], 0);
            continue;
        }
        CHECK_EQ(cs[k].result, 0);
        if (cs[k].dir == GORO_SEND) {
            s->sent[r->id][seqof[k]] = 1;
            atomic_fetch_add_explicit(&s->nsent, 1, memory_order_relaxed);
        } else {
            ss_mark_recv(s, slot[k]);
        }
    }
}

static void ss_ticker(void *arg)
{
    storm *s = arg;
    while (!atomic_load(&s->done)) {
        int r = goro_chan_send_until(s->tick, NULL, goro_now() + GORO_MILLISECOND);
        CHECK(r == 0 || r == GORO_ETIMEDOUT);
    }
}

static void ss_closer(void *arg)
{
    storm *s = arg;
    /* Halfway through. */
    while (atomic_load_explicit(&s->progress, memory_order_relaxed) < SS_NW * s->iters / 2)
        goro_sleep(50 * GORO_MICROSECOND);
    for (int i = 0; i < SS_K; i++)
        CHECK_EQ(goro_chan_close(s->c[i]), 0);
    atomic_store(&s->closed, 1);
}

static void test_select_storm(bool closing)
{
    static const size_t caps[SS_K] = { 0, 0, 1, 3, 8 };
    storm *s = calloc(1, sizeof *s);
    CHECK(s);
    s->closing = closing;
    s->iters = scaled(60000, 20);
    s->maxseq = s->iters * SS_MAXCASES;
    for (int i = 0; i < SS_K; i++)
        s->c[i] = make_chan(sizeof(uint64_t), caps[i]);
    s->tick = make_chan(0, 0);
    for (int w = 0; w < SS_NW; w++) {
        s->sent[w] = calloc((size_t)s->maxseq, 1);
        s->recvd[w] = calloc((size_t)s->maxseq, 1);
        CHECK(s->sent[w] && s->recvd[w]);
    }
    goro_waitgroup aux = {0};
    CHECK_EQ(goro_waitgroup_go(&aux, ss_ticker, s), 0);
    if (closing)
        CHECK_EQ(goro_waitgroup_go(&aux, ss_closer, s), 0);
    ss_role roles[SS_NW];
    for (int w = 0; w < SS_NW; w++)
        roles[w] = (ss_role){ s, w };
    crew workers;
    crew_start(&workers, ss_work, roles, sizeof roles[0], SS_G, SS_NW - SS_G);
    crew_wait(&workers);
    atomic_store(&s->done, 1);
    goro_waitgroup_wait(&aux);

    /* What is still buffered counts as sent and not yet received. */
    long left = 0;
    for (int i = 0; i < SS_K; i++) {
        uint64_t v;
        int r;
        while ((r = goro_chan_try_recv(s->c[i], &v)) == 0) {
            ss_mark_recv(s, v);
            left++;
        }
        CHECK_EQ(r, closing ? GORO_ECLOSED : GORO_EAGAIN);
    }
    for (int w = 0; w < SS_NW; w++)
        for (long q = 0; q < s->maxseq; q++)
            if (atomic_load(&s->recvd[w][q]) != s->sent[w][q]) {
                fprintf(stderr, "storm%s: worker %d's value %ld sent %d, received %d times\n",
                        closing ? " (closing)" : "", w, q, s->sent[w][q],
                        atomic_load(&s->recvd[w][q]));
                exit(1);
            }
    CHECK_EQ(atomic_load(&s->nsent), atomic_load(&s->nrecv));
    CHECK(atomic_load(&s->nsent) > 0);
    CHECK(!closing || atomic_load(&s->nclosed) > 0);
    if (getenv("GORO_TEST_VERBOSE"))
        printf("storm%s: %ld sent and received (%ld left in buffers), %ld timeouts, %ld closed\n",
               closing ? " (closing)" : "", (long)atomic_load(&s->nsent), left,
               (long)atomic_load(&s->ntimeout), (long)atomic_load(&s->nclosed));
    for (int w = 0; w < SS_NW; w++) {
        free(s->sent[w]);
        free((void *)s->recvd[w]);
    }
    for (int i = 0; i < SS_K; i++)
        goro_chan_release(s->c[i]);
    goro_chan_release(s->tick);
    free(s);
}

/* ---- timers keep firing while a pair ping-pongs ------------------------ */
/* A goroutine waits on a deadline (sleep, recv_until, select_until); then
 * two goroutines ping-pong on an unbuffered channel, so that every switch
 * on their P is a channel park. The deadline must still fire (at
 * GOROMAXPROCS=1 nothing else can run that P's timers). */

typedef struct pingpong {
    goro_chan *c;
    _Atomic int stop, waiting;
    _Atomic long trips;
    int kind;
    goro_waitgroup wg;
} pingpong;

static void pp_ping(void *arg)
{
    pingpong *s = arg;
    int v = 0;
    while (!atomic_load(&s->stop)) {
        CHECK_EQ(goro_chan_send(s->c, &v), 0);
        atomic_fetch_add_explicit(&s->trips, 1, memory_order_relaxed);
    }
    CHECK_EQ(goro_chan_close(s->c), 0);
    goro_waitgroup_done(&s->wg);
}

static void pp_pong(void *arg)
{
    pingpong *s = arg;
    int v;
    while (goro_chan_recv(s->c, &v) == 0)
        ;
    goro_waitgroup_done(&s->wg);
}

static void pp_waiter(void *arg)
{
    pingpong *s = arg;
    goro_chan *q = make_chan(sizeof(int), 0);
    int v;
    int64_t t0 = goro_now();
    atomic_store(&s->waiting, 1);
    if (s->kind == 0) {
        goro_sleep(GORO_MILLISECOND);
    } else if (s->kind == 1) {
        CHECK_EQ(goro_chan_recv_until(q, &v, t0 + GORO_MILLISECOND), GORO_ETIMEDOUT);
    } else {
        goro_case cs[2] = { GORO_CASE_RECV(q, &v), GORO_CASE_SEND(q, &v) };
        CHECK_EQ(goro_select_until(cs, 2, t0 + GORO_MILLISECOND), GORO_ETIMEDOUT);
    }
    atomic_store(&s->stop, 1);
    goro_chan_release(q);
    goro_waitgroup_done(&s->wg);
}

static void test_pingpong_timers(void)
{
    static const char *what[] = { "goro_sleep", "goro_chan_recv_until", "goro_select_until" };
    for (int kind = 0; kind < 3; kind++) {
        pingpong *s = calloc(1, sizeof *s);
        CHECK(s);
        s->c = make_chan(sizeof(int), 0);
        s->kind = kind;
        goro_waitgroup_add(&s->wg, 3);
        CHECK_EQ(goro_go(pp_waiter, s), 0);
        while (!atomic_load(&s->waiting))
            goro_sleep(10 * GORO_MICROSECOND);
        goro_sleep(100 * GORO_MICROSECOND);   /* parked on its deadline by now */
        CHECK_EQ(goro_go(pp_ping, s), 0);
        CHECK_EQ(goro_go(pp_pong, s), 0);
        if (goro_waitgroup_wait_until(&s->wg, goro_now() + 5 * GORO_SECOND) != 0) {
            fprintf(stderr, "a 1 ms %s deadline did not fire within 5 s while two goroutines "
                    "ping-ponged on an unbuffered channel (%ld round trips)\n",
                    what[kind], (long)atomic_load(&s->trips));
            exit(1);
        }
        goro_chan_release(s->c);
        free(s);
    }
}

static void phase_done(const char *what, int64_t *t)
{
    int64_t now = goro_now();
    if (getenv("GORO_TEST_VERBOSE"))
        printf("%s: %.3f s\n", what, (double)(now - *t) / GORO_SECOND);
    *t = now;
}

int main(void)
{
    int64_t t = goro_now();
    test_mpmc(0);
    phase_done("mpmc cap 0", &t);
    test_mpmc(1);
    phase_done("mpmc cap 1", &t);
    test_mpmc(128);
    phase_done("mpmc cap 128", &t);
    test_close_race();
    phase_done("close race", &t);
    test_select_storm(false);
    phase_done("select storm", &t);
    test_select_storm(true);
    phase_done("select storm (closing)", &t);
    test_pingpong_timers();
    phase_done("ping-pong vs timers", &t);
    TEST_PASS("test_chan_stress");
}
