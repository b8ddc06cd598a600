/* SPDX-License-Identifier: MIT */
/*
 * test_chan_conf.c: Go's channel conformance tests, ported (rewritten in C
 * from what each Go test checks).
 *  - test/chan/fifo.go: a buffered channel is FIFO; a daisy chain of
 *    goroutines, each released by the previous one, receives an unbuffered
 *    stream in order;
 *  - test/chan/nonblock.go: try-send and try-receive (goro_chan_try_* and
 *    goro_select_try) on unbuffered and 1-buffered channels of several
 *    element sizes never succeed without a partner, and succeed within
 *    bounded retries ("sleep until ready") once a goroutine partner comes;
 *  - test/chan/sieve1.go: the concurrent prime sieve (a chain of filter
 *    goroutines on typed channels) yields the first 100 primes; the chain
 *    is then torn down by closing channels from the downstream end;
 *  - test/chan/zerosize.go: zero-size element channels, buffered and not,
 *    work (send, receive, close, len, select) and never write to out;
 *  - test/chan/goroutines.go: a chain of 10,000 goroutines passes a token;
 *  - runtime TestChan: for every capacity 0..N: receive from an empty and
 *    send to a full channel block, their try forms fail; a closed channel
 *    drains then gives zero values; close wakes a blocked receiver; FIFO
 *    from a goroutine; 4 producers x 4 consumers deliver each value the
 *    right number of times; len and cap;
 *  - runtime TestNonblockRecvRace: a try-receive on a buffered channel that
 *    holds a value and is being closed never reports "not ready";
 *  - runtime TestMultiConsumer: 23 workers ranging over a queue, results
 *    ranged over by main, count and checksum match.
 * Most run both inside a goroutine (as Go's tests do) and on the plain
 * main thread.
 */
// ctest-labels: chan
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "testutil.h"

GORO_CHAN_DEFINE(intch, int)

/* ---- fifo.go ------------------------------------------------------------ */

static void async_fifo(int n)
{
    goro_chan *ch = goro_chan_make(sizeof(int), (size_t)n);
    CHECK(ch);
    for (int i = 0; i < n; i++)
        CHECK_EQ(goro_chan_send(ch, &i), 0);
    CHECK_EQ(goro_chan_len(ch), n);
    for (int i = 0; i < n; i++) {
        int v = -1;
        CHECK_EQ(goro_chan_recv(ch, &v), 0);
        CHECK_EQ(v, i);
    }
    goro_chan_release(ch);
}

typedef struct link_args {
    goro_chan *ch, *in, *out;
    int val;
    goro_waitgroup *wg;
} link_args;

static void chain_link(void *arg)
{
    link_args *a = arg;
    int v;
    CHECK_EQ(goro_chan_recv(a->in, &v), 0);      /* wait for my turn */
    CHECK_EQ(goro_chan_recv(a->ch, &v), 0);
    CHECK_EQ(v, a->val);
    v = 1;
    CHECK_EQ(goro_chan_send(a->out, &v), 0);     /* the next one's turn */
    goro_waitgroup_done(a->wg);
}

static void sync_fifo(int n)
{
    goro_waitgroup wg = {0};
    goro_chan *ch = goro_chan_make(sizeof(int), 0);
    goro_chan **links = calloc((size_t)n + 1, sizeof *links);
    CHECK(ch && links);
    links[0] = goro_chan_make(sizeof(int), 0);
    CHECK(links[0]);
    for (int i = 0; i < n; i++) {
        links[i + 1] = goro_chan_make(sizeof(int), 0);
        CHECK(links[i + 1]);
        link_args a = { ch, links[i], links[i + 1], i, &wg };
        goro_waitgroup_add(&wg, 1);
        CHECK_EQ(goro_go_copy(chain_link, &a, sizeof a), 0);
    }
    int v = 0;
    CHECK_EQ(goro_chan_send(links[0], &v), 0);
    for (int i = 0; i < n; i++)
        CHECK_EQ(goro_chan_send(ch, &i), 0);
    CHECK_EQ(goro_chan_recv(links[n], &v), 0);
    CHECK_EQ(v, 1);
    goro_waitgroup_wait(&wg);
    for (int i = 0; i <= n; i++)
        goro_chan_release(links[i]);
    free(links);
    goro_chan_release(ch);
}

static void test_fifo(void *arg)
{
    (void)arg;
    async_fifo(10);
    async_fifo(1000);
    sync_fifo(10);
    sync_fifo((int)scaled(500, 2));
}

/* ---- nonblock.go -------------------------------------------------------- */

typedef struct nb_args {
    goro_chan *c, *strobe;
    const void *expect;     /* receiver: the value it must get */
    const void *val;        /* sender: the value it sends */
    size_t size;
} nb_args;

static void nb_receiver(void *arg)
{
    nb_args *a = arg;
    unsigned char buf[32];
    memset(buf, 0xee, sizeof buf);
    CHECK_EQ(goro_chan_recv(a->c, buf), 0);
    CHECK(memcmp(buf, a->expect, a->size) == 0);
    bool t = true;
    CHECK_EQ(goro_chan_send(a->strobe, &t), 0);
}

static void nb_sender(void *arg)
{
    nb_args *a = arg;
    CHECK_EQ(goro_chan_send(a->c, a->val), 0);
    bool t = true;
    CHECK_EQ(goro_chan_send(a->strobe, &t), 0);
}

static void nb_sleep(void)
{
    goro_sleep(10 * GORO_MICROSECOND);
    goro_yield();
}

enum { MAX_TRIES = 10000 };

/* One element type: `mine` is what this side sends, `theirs` what the
 * partner goroutine sends. */
static void nonblock_one(size_t size, int buffer, const void *mine, const void *theirs)
{
    goro_chan *c = goro_chan_make(size, (size_t)buffer);
    goro_chan *strobe = goro_chan_make(sizeof(bool), 0);
    CHECK(c && strobe);
    unsigned char buf[32], sentinel[32];
    memset(sentinel, 0xa5, sizeof sentinel);

    /* Nothing to receive: both try forms fail and leave buf alone. */
    memcpy(buf, sentinel, sizeof buf);
    CHECK_EQ(goro_chan_try_recv(c, buf), GORO_EAGAIN);
    goro_case rc[1] = { GORO_CASE_RECV(c, buf) };
    CHECK_EQ(goro_select_try(rc, 1), GORO_EAGAIN);
    CHECK(memcmp(buf, sentinel, sizeof buf) == 0);
    if (buffer == 0) {
        /* Nobody to receive either. */
        CHECK_EQ(goro_chan_try_send(c, mine), GORO_EAGAIN);
        goro_case sc[1] = { GORO_CASE_SEND(c, mine) };
        CHECK_EQ(goro_select_try(sc, 1), GORO_EAGAIN);
    }

    /* Send to a receiver that comes along. */
    nb_args a = { c, strobe, mine, theirs, size };
    CHECK_EQ(goro_go(nb_receiver, &a), 0);
    for (int try = 0;; try++) {
        int r;
        if (try % 2 == 0) {
            r = goro_chan_try_send(c, mine);
        } else {
            goro_case sc[1] = { GORO_CASE_SEND(c, mine) };
            r = goro_select_try(sc, 1);
        }
        if (r == 0)
            break;
        CHECK_EQ(r, GORO_EAGAIN);
        CHECK(try < MAX_TRIES);
        nb_sleep();
    }
    bool t;
    CHECK_EQ(goro_chan_recv(strobe, &t), 0);

    /* Receive from a sender that comes along. */
    CHECK_EQ(goro_go(nb_sender, &a), 0);
    if (buffer > 0)
        CHECK_EQ(goro_chan_recv(strobe, &t), 0);
    for (int try = 0;; try++) {
        int r;
        memcpy(buf, sentinel, sizeof buf);
        if (try % 2 == 0) {
            r = goro_chan_try_recv(c, buf);
        } else {
            goro_case rc1[1] = { GORO_CASE_RECV(c, buf) };
            r = goro_select_try(rc1, 1);
            if (r == 0)
                CHECK_EQ(rc1[0].result, 0);
        }
        if (r == 0)
            break;
        CHECK_EQ(r, GORO_EAGAIN);
        CHECK(memcmp(buf, sentinel, sizeof buf) == 0);
        CHECK(try < MAX_TRIES);
        nb_sleep();
    }
    CHECK(memcmp(buf, theirs, size) == 0);
    CHECK(memcmp(buf + size, sentinel, sizeof buf - size) == 0);   /* no overrun */
    if (buffer == 0)
        CHECK_EQ(goro_chan_recv(strobe, &t), 0);
    goro_chan_release(c);
    goro_chan_release(strobe);
}

static void test_nonblock(void *arg)
{
    (void)arg;
    int32_t i32a = 123, i32b = 234;
    int64_t i64a = 123456789012345LL, i64b = -987654321098LL;
    bool ba = true, bb = false;
    char sa[16] = "hello", sb[16] = "hello again";
    for (int buffer = 0; buffer < 2; buffer++) {
        nonblock_one(sizeof i32a, buffer, &i32a, &i32b);
        nonblock_one(sizeof i64a, buffer, &i64a, &i64b);
        nonblock_one(sizeof ba, buffer, &ba, &bb);
        nonblock_one(sizeof sa, buffer, sa, sb);
    }
}

/* ---- sieve1.go ---------------------------------------------------------- */
/* Each channel between two stages holds one reference for its writer and
 * one for its reader. Teardown: main closes `primes`; a stage whose send
 * fails closes its input, so the upstream stage's next send fails too. */

static goro_waitgroup sieve_wg;

static void sieve_generate(void *arg)
{
    intch ch = *(intch *)arg;
    for (int i = 2;; i++)
        if (intch_send(ch.tx, i) != 0)
            break;
    intch_release(ch);
    goro_waitgroup_done(&sieve_wg);
}

typedef struct filter_args {
    intch in, out;
    int prime;
} filter_args;

static void sieve_filter(void *arg)
{
    filter_args *a = arg;
    int i;
    while (intch_recv(a->in.rx, &i) == 0) {
        if (i % a->prime != 0 && intch_send(a->out.tx, i) != 0) {
            intch_close(a->in.tx);
            break;
        }
    }
    intch_release(a->in);
    intch_release(a->out);
    goro_waitgroup_done(&sieve_wg);
}

static void sieve(void *arg)
{
    intch primes = *(intch *)arg;
    intch ch = intch_make(0);
    CHECK(goro_chan_of(ch));
    goro_chan_retain(goro_chan_of(ch));            /* Generate's (writer) ref */
    goro_waitgroup_add(&sieve_wg, 1);
    CHECK_EQ(goro_go_copy(sieve_generate, &ch, sizeof ch), 0);
    for (;;) {
        int prime;
        CHECK_EQ(intch_recv(ch.rx, &prime), 0);
        if (intch_send(primes.tx, prime) != 0) {
            intch_close(ch.tx);
            break;
        }
        intch ch1 = intch_make(0);
        CHECK(goro_chan_of(ch1));
        goro_chan_retain(goro_chan_of(ch1));       /* the filter writes ch1 */
        filter_args fa = { ch, ch1, prime };       /* and takes over our ch */
        goro_waitgroup_add(&sieve_wg, 1);
        CHECK_EQ(goro_go_copy(sieve_filter, &fa, sizeof fa), 0);
        ch = ch1;
    }
    intch_release(ch);
    intch_release(primes);
    goro_waitgroup_done(&sieve_wg);
}

static bool is_prime(int n)
{
    if (n < 2)
        return false;
    for (int d = 2; d * d <= n; d++)
        if (n % d == 0)
            return false;
    return true;
}

static void test_sieve(void *arg)
{
    (void)arg;
    intch primes = intch_make(0);
    CHECK(goro_chan_of(primes));
    goro_chan_retain(goro_chan_of(primes));
    goro_waitgroup_add(&sieve_wg, 1);
    CHECK_EQ(goro_go_copy(sieve, &primes, sizeof primes), 0);
    int want = 1;
    for (int i = 0; i < 100; i++) {
        while (!is_prime(++want))
            ;
        int x;
        CHECK_EQ(intch_recv(primes.rx, &x), 0);
        CHECK_EQ(x, want);
    }
    CHECK_EQ(want, 541);   /* the 100th prime */
    CHECK_EQ(intch_close(primes.tx), 0);
    goro_waitgroup_wait(&sieve_wg);
    int x;
    CHECK_EQ(intch_len(primes.rx), 0);
    CHECK_EQ(intch_try_send(primes.tx, 1), GORO_ECLOSED);
    CHECK_EQ(intch_try_recv(primes.rx, &x), GORO_ECLOSED);
    intch_release(primes);
}

/* ---- zerosize.go -------------------------------------------------------- */

static void zs_peer(void *arg)
{
    goro_chan *c = arg;
    for (int i = 0; i < 100; i++)
        CHECK_EQ(goro_chan_send(c, NULL), 0);
    CHECK_EQ(goro_chan_close(c), 0);
}

static void test_zerosize(void *arg)
{
    (void)arg;
    /* make(chan [0]byte), make(chan struct{}, 1) and friends. */
    for (size_t cap = 0; cap < 3; cap++) {
        goro_chan *c = goro_chan_make(0, cap);
        CHECK(c);
        CHECK_EQ(goro_chan_cap(c), cap);
        CHECK_EQ(goro_chan_len(c), 0);
        goro_chan_release(c);
    }
    unsigned char sentinel[8], out[8];
    memset(sentinel, 0x5a, sizeof sentinel);

    for (size_t cap = 0; cap < 3; cap += 2) {
        /* Values flow (a non-NULL out is left untouched), then close. */
        goro_chan *c = goro_chan_make(0, cap);
        CHECK(c);
        CHECK_EQ(goro_go(zs_peer, c), 0);
        int n = 0;
        for (;;) {
            memcpy(out, sentinel, sizeof out);
            int r = goro_chan_recv(c, out);
            CHECK(memcmp(out, sentinel, sizeof out) == 0);
            if (r == GORO_ECLOSED)
                break;
            CHECK_EQ(r, 0);
            n++;
        }
        CHECK_EQ(n, 100);
        CHECK_EQ(goro_chan_send(c, out), GORO_ECLOSED);
        goro_chan_release(c);
    }

    /* Buffered: len counts zero-size items; select sees them. */
    goro_chan *c = goro_chan_make(0, 2);
    CHECK(c);
    char dummy = 0;
    goro_case cs[2] = { GORO_CASE_SEND(c, &dummy), GORO_CASE_SEND(c, NULL) };
    CHECK(goro_select_try(cs, 2) >= 0);
    CHECK(goro_select_try(cs, 2) >= 0);
    CHECK_EQ(goro_select_try(cs, 2), GORO_EAGAIN);
    CHECK_EQ(goro_chan_len(c), 2);
    memcpy(out, sentinel, sizeof out);
    goro_case rc[2] = { GORO_CASE_RECV(c, out), GORO_CASE_RECV(c, NULL) };
    CHECK(goro_select(rc, 2) >= 0);
    CHECK(goro_select(rc, 2) >= 0);
    CHECK_EQ(goro_select_try(rc, 2), GORO_EAGAIN);
    CHECK_EQ(goro_chan_close(c), 0);
    int k = goro_select(rc, 2);
    CHECK(k == 0 || k == 1);
    CHECK_EQ(rc[k].result, GORO_ECLOSED);
    CHECK(memcmp(out, sentinel, sizeof out) == 0);
    goro_chan_release(c);
}

/* ---- goroutines.go ------------------------------------------------------ */

typedef struct pass_args {
    goro_chan *left, *right;
    goro_waitgroup *wg;
} pass_args;

static void pass_token(void *arg)
{
    pass_args *a = arg;
    int v;
    CHECK_EQ(goro_chan_recv(a->right, &v), 0);
    v++;
    CHECK_EQ(goro_chan_send(a->left, &v), 0);
    goro_waitgroup_done(a->wg);
}

static void first_token(void *arg)
{
    pass_args *a = arg;
    int v = 1;
    CHECK_EQ(goro_chan_send(a->right, &v), 0);
    goro_waitgroup_done(a->wg);
}

static void test_goroutines(void *arg)
{
    (void)arg;
    int n = (int)scaled(10000, 10);
    goro_waitgroup wg = {0};
    goro_chan **chans = calloc((size_t)n + 1, sizeof *chans);
    CHECK(chans);
    chans[0] = goro_chan_make(sizeof(int), 0);    /* leftmost */
    CHECK(chans[0]);
    for (int i = 0; i < n; i++) {
        chans[i + 1] = goro_chan_make(sizeof(int), 0);
        CHECK(chans[i + 1]);
        pass_args a = { chans[i], chans[i + 1], &wg };
        goro_waitgroup_add(&wg, 1);
        CHECK_EQ(goro_go_copy(pass_token, &a, sizeof a), 0);
    }
    pass_args a = { NULL, chans[n], &wg };
    goro_waitgroup_add(&wg, 1);
    CHECK_EQ(goro_go_copy(first_token, &a, sizeof a), 0);
    int v = 0;
    CHECK_EQ(goro_chan_recv(chans[0], &v), 0);
    CHECK_EQ(v, n + 1);   /* every link added one */
    goro_waitgroup_wait(&wg);
    for (int i = 0; i <= n; i++)
        goro_chan_release(chans[i]);
    free(chans);
}

/* ---- runtime TestChan --------------------------------------------------- */

typedef struct tc_args {
    goro_chan *c, *done;
    _Atomic int *flag;
    goro_waitgroup *wg;
    int n;
} tc_args;

static void tc_recv_flag(void *arg)
{
    tc_args *a = arg;
    int v = -1;
    CHECK_EQ(goro_chan_recv(a->c, &v), 0);
    CHECK_EQ(v, 0);
    atomic_store(a->flag, 1);
    goro_waitgroup_done(a->wg);
}

static void tc_recv_discard_flag(void *arg)
{
    tc_args *a = arg;
    CHECK_EQ(goro_chan_recv(a->c, NULL), 0);
    atomic_store(a->flag, 1);
    goro_waitgroup_done(a->wg);
}

static void tc_send_flag(void *arg)
{
    tc_args *a = arg;
    int v = a->n;
    CHECK_EQ(goro_chan_send(a->c, &v), 0);
    atomic_store(a->flag, 1);
    goro_waitgroup_done(a->wg);
}

static void tc_recv_closed(void *arg)
{
    tc_args *a = arg;
    int v = 77;
    int ok = goro_chan_recv(a->c, &v) == GORO_ECLOSED && v == 0;
    CHECK_EQ(goro_chan_send(a->done, &ok), 0);
}

static void tc_send_n(void *arg)
{
    tc_args *a = arg;
    for (int i = 0; i < a->n; i++)
        CHECK_EQ(goro_chan_send(a->c, &i), 0);
    goro_waitgroup_done(a->wg);
}

static void tc_count(void *arg)
{
    tc_args *a = arg;
    int *recv = calloc((size_t)a->n, sizeof *recv);
    CHECK(recv);
    for (int i = 0; i < a->n; i++) {
        int v = -1;
        CHECK_EQ(goro_chan_recv(a->c, &v), 0);
        CHECK(v >= 0 && v < a->n);
        recv[v]++;
    }
    CHECK_EQ(goro_chan_send(a->done, &recv), 0);   /* Go sends its map */
}

static void test_chan_matrix(int ncaps)
{
    goro_waitgroup wg = {0};
    const int P = 4, L = (int)scaled(1000, 2);
    for (int cap = 0; cap < ncaps; cap++) {
        {
            /* Receive from an empty channel blocks; try forms fail. */
            goro_chan *c = goro_chan_make(sizeof(int), (size_t)cap);
            CHECK(c);
            _Atomic int recv1 = 0, recv2 = 0;
            tc_args a1 = { .c = c, .flag = &recv1, .wg = &wg };
            tc_args a2 = { .c = c, .flag = &recv2, .wg = &wg };
            goro_waitgroup_add(&wg, 2);
            CHECK_EQ(goro_go(tc_recv_flag, &a1), 0);
            CHECK_EQ(goro_go(tc_recv_discard_flag, &a2), 0);
            goro_sleep(GORO_MILLISECOND);
            CHECK(!atomic_load(&recv1) && !atomic_load(&recv2));
            int v = 5;
            CHECK_EQ(goro_chan_try_recv(c, &v), GORO_EAGAIN);
            goro_case rc[1] = { GORO_CASE_RECV(c, &v) };
            CHECK_EQ(goro_select_try(rc, 1), GORO_EAGAIN);
            rc[0] = GORO_CASE_RECV(c, NULL);
            CHECK_EQ(goro_select_try(rc, 1), GORO_EAGAIN);
            CHECK_EQ(v, 5);
            v = 0;
            CHECK_EQ(goro_chan_send(c, &v), 0);
            CHECK_EQ(goro_chan_send(c, &v), 0);
            goro_waitgroup_wait(&wg);
            CHECK(atomic_load(&recv1) && atomic_load(&recv2));
            CHECK_EQ(goro_chan_len(c), 0);
            goro_chan_release(c);
        }
        {
            /* Send to a full channel blocks; try forms fail. */
            goro_chan *c = goro_chan_make(sizeof(int), (size_t)cap);
            CHECK(c);
            for (int i = 0; i < cap; i++)
                CHECK_EQ(goro_chan_send(c, &i), 0);
            _Atomic int sent = 0;
            tc_args a = { .c = c, .flag = &sent, .wg = &wg, .n = cap };
            goro_waitgroup_add(&wg, 1);
            CHECK_EQ(goro_go(tc_send_flag, &a), 0);
            goro_sleep(GORO_MILLISECOND);
            CHECK(!atomic_load(&sent));
            int v = -1;
            CHECK_EQ(goro_chan_try_send(c, &v), GORO_EAGAIN);
            goro_case sc[1] = { GORO_CASE_SEND(c, &v) };
            CHECK_EQ(goro_select_try(sc, 1), GORO_EAGAIN);
            CHECK_EQ(goro_chan_recv(c, &v), 0);
            CHECK_EQ(v, 0);   /* the oldest, or (unbuffered) the sender's 0 */
            goro_waitgroup_wait(&wg);
            CHECK(atomic_load(&sent));
            /* The blocked sender's value went to the back of the queue. */
            CHECK_EQ(goro_chan_len(c), cap);
            for (int i = 1; i <= cap; i++) {
                CHECK_EQ(goro_chan_try_recv(c, &v), 0);
                CHECK_EQ(v, i);
            }
            CHECK_EQ(goro_chan_try_recv(c, &v), GORO_EAGAIN);
            goro_chan_release(c);
        }
        {
            /* A closed channel drains, then gives zero values. */
            goro_chan *c = goro_chan_make(sizeof(int), (size_t)cap);
            CHECK(c);
            for (int i = 0; i < cap; i++)
                CHECK_EQ(goro_chan_send(c, &i), 0);
            CHECK_EQ(goro_chan_close(c), 0);
            for (int i = 0; i < cap; i++) {
                int v = -1;
                CHECK_EQ(goro_chan_recv(c, &v), 0);
                CHECK_EQ(v, i);
            }
            int v = 9;
            CHECK_EQ(goro_chan_recv(c, &v), GORO_ECLOSED);
            CHECK_EQ(v, 0);
            v = 9;
            CHECK_EQ(goro_chan_recv(c, &v), GORO_ECLOSED);
            CHECK_EQ(v, 0);
            goro_chan_release(c);
        }
        {
            /* close unblocks a receiver, which sees (0, closed). */
            goro_chan *c = goro_chan_make(sizeof(int), (size_t)cap);
            goro_chan *done = goro_chan_make(sizeof(int), 0);
            CHECK(c && done);
            tc_args a = { .c = c, .done = done };
            CHECK_EQ(goro_go(tc_recv_closed, &a), 0);
            goro_sleep(GORO_MILLISECOND);
            CHECK_EQ(goro_chan_close(c), 0);
            int ok = 0;
            CHECK_EQ(goro_chan_recv(done, &ok), 0);
            CHECK(ok);
            goro_chan_release(c);
            goro_chan_release(done);
        }
        {
            /* 100 integers in FIFO order, twice; then P x L. */
            goro_chan *c = goro_chan_make(sizeof(int), (size_t)cap);
            goro_chan *done = goro_chan_make(sizeof(int *), 0);
            CHECK(c && done);
            for (int round = 0; round < 2; round++) {
                tc_args a = { .c = c, .wg = &wg, .n = 100 };
                goro_waitgroup_add(&wg, 1);
                CHECK_EQ(goro_go(tc_send_n, &a), 0);
                for (int i = 0; i < 100; i++) {
                    int v = -1;
                    CHECK_EQ(goro_chan_recv(c, &v), 0);
                    CHECK_EQ(v, i);
                }
                goro_waitgroup_wait(&wg);
            }
            tc_args a = { .c = c, .done = done, .wg = &wg, .n = L };
            goro_waitgroup_add(&wg, P);
            for (int p = 0; p < P; p++) {
                CHECK_EQ(goro_go(tc_send_n, &a), 0);
                CHECK_EQ(goro_go(tc_count, &a), 0);
            }
            int *total = calloc((size_t)L, sizeof *total);
            CHECK(total);
            for (int p = 0; p < P; p++) {
                int *recv;
                CHECK_EQ(goro_chan_recv(done, &recv), 0);
                for (int i = 0; i < L; i++)
                    total[i] += recv[i];
                free(recv);
            }
            for (int i = 0; i < L; i++)
                CHECK_EQ(total[i], P);
            free(total);
            goro_waitgroup_wait(&wg);
            goro_chan_release(c);
            goro_chan_release(done);
        }
        {
            /* len and cap. */
            goro_chan *c = goro_chan_make(sizeof(int), (size_t)cap);
            CHECK(c);
            CHECK_EQ(goro_chan_len(c), 0);
            CHECK_EQ(goro_chan_cap(c), cap);
            for (int i = 0; i < cap; i++)
                CHECK_EQ(goro_chan_send(c, &i), 0);
            CHECK_EQ(goro_chan_len(c), cap);
            CHECK_EQ(goro_chan_cap(c), cap);
            goro_chan_release(c);
        }
    }
}

static void test_chan_matrix_g(void *arg)
{
    test_chan_matrix((int)(intptr_t)arg);
}

/* ---- runtime TestNonblockRecvRace --------------------------------------- */

typedef struct race_args {
    goro_chan *c;
    int use_select;
    goro_waitgroup *wg;
} race_args;

static void nonblock_recv_racer(void *arg)
{
    race_args *a = arg;
    int v = -1, r;
    if (a->use_select) {
        goro_case rc[1] = { GORO_CASE_RECV(a->c, &v) };
        r = goro_select_try(rc, 1);
        if (r == 0)
            r = rc[0].result;
    } else {
        r = goro_chan_try_recv(a->c, &v);
    }
    if (r == GORO_EAGAIN) {
        fprintf(stderr, "nonblock recv race: chan is not ready\n");
        exit(1);
    }
    CHECK((r == 0 && v == 1) || (r == GORO_ECLOSED && v == 0));
    goro_waitgroup_done(a->wg);
}

static void test_nonblock_recv_race(void *arg)
{
    (void)arg;
    long n = scaled(10000, 20);
    goro_waitgroup wg = {0};
    for (long i = 0; i < n; i++) {
        goro_chan *c = goro_chan_make(sizeof(int), 1);
        CHECK(c);
        int one = 1;
        CHECK_EQ(goro_chan_send(c, &one), 0);
        race_args a = { c, (int)(i & 1), &wg };
        goro_waitgroup_add(&wg, 1);
        CHECK_EQ(goro_go(nonblock_recv_racer, &a), 0);
        CHECK_EQ(goro_chan_close(c), 0);
        int v = -1;
        int r = goro_chan_recv(c, &v);
        CHECK((r == 0 && v == 1) || (r == GORO_ECLOSED && v == 0));
        goro_waitgroup_wait(&wg);
        goro_chan_release(c);
    }
}

/* ---- runtime TestMultiConsumer ------------------------------------------ */

enum { MC_NWORK = 23 };
static const int mc_pn[] = { 2, 3, 7, 11, 13, 17, 19, 23, 27, 31 };
#define MC_NPN ((int)(sizeof mc_pn / sizeof mc_pn[0]))

typedef struct mc_state {
    goro_chan *q, *r;
    goro_waitgroup wg;
    long niter;
    long expect;    /* written by the feeder, read by main after r closes */
} mc_state;

typedef struct mc_worker_args {
    mc_state *s;
    int w;
} mc_worker_args;

static void mc_worker(void *arg)
{
    mc_worker_args *a = arg;
    int v;
    while (goro_chan_recv(a->s->q, &v) == 0) {
        if (mc_pn[a->w % MC_NPN] == v)
            goro_yield();   /* mess with the FIFO-ish nature of the queue */
        CHECK_EQ(goro_chan_send(a->s->r, &v), 0);
    }
    goro_waitgroup_done(&a->s->wg);
}

static void mc_feeder(void *arg)
{
    mc_state *s = arg;
    long expect = 0;
    for (long i = 0; i < s->niter; i++) {
        int v = mc_pn[i % MC_NPN];
        expect += v;
        CHECK_EQ(goro_chan_send(s->q, &v), 0);
    }
    s->expect = expect;
    CHECK_EQ(goro_chan_close(s->q), 0);     /* no more work */
    goro_waitgroup_wait(&s->wg);            /* workers done */
    CHECK_EQ(goro_chan_close(s->r), 0);     /* so no more results */
}

static void test_multi_consumer(void *arg)
{
    (void)arg;
    mc_state s = { .niter = scaled(271828, 10) };
    s.q = goro_chan_make(sizeof(int), MC_NWORK * 3);
    s.r = goro_chan_make(sizeof(int), MC_NWORK * 3);
    CHECK(s.q && s.r);
    mc_worker_args wa[MC_NWORK];
    for (int i = 0; i < MC_NWORK; i++) {
        wa[i] = (mc_worker_args){ &s, i };
        goro_waitgroup_add(&s.wg, 1);
        CHECK_EQ(goro_go(mc_worker, &wa[i]), 0);
    }
    goro_waitgroup feeder_wg = {0};
    CHECK_EQ(goro_waitgroup_go(&feeder_wg, mc_feeder, &s), 0);
    long n = 0, sum = 0;
    int v;
    while (goro_chan_recv(s.r, &v) == 0) {
        n++;
        sum += v;
    }
    CHECK_EQ(n, s.niter);
    CHECK_EQ(sum, s.expect);
    goro_waitgroup_wait(&feeder_wg);
    goro_chan_release(s.q);
    goro_chan_release(s.r);
}

int main(void)
{
    /* In a goroutine, as Go runs them, and on the plain main thread. */
    run_main(test_fifo, NULL);
    test_fifo(NULL);
    run_main(test_nonblock, NULL);
    test_nonblock(NULL);
    run_main(test_sieve, NULL);
    test_zerosize(NULL);
    run_main(test_zerosize, NULL);
    run_main(test_goroutines, NULL);
    run_main(test_chan_matrix_g, (void *)(intptr_t)scaled(200, 10));
    test_chan_matrix((int)scaled(20, 4));
    run_main(test_nonblock_recv_race, NULL);
    test_nonblock_recv_race(NULL);
    run_main(test_multi_consumer, NULL);
    test_multi_consumer(NULL);
    TEST_PASS("test_chan_conf");
}
