/* SPDX-License-Identifier: MIT */
/*
 * test_chan.c: channel basics.
 *  - unbuffered rendezvous and buffered FIFO order, from goroutines and
 *    from plain threads;
 *  - close: receivers drain the buffer, then get GORO_ECLOSED with a
 *    zeroed value; senders get GORO_ECLOSED; a second close too; close
 *    wakes blocked receivers and senders;
 *  - try and _until twins (GORO_EAGAIN, GORO_ETIMEDOUT) leave nothing
 *    behind; len and cap;
 *  - zero-size elements; NULL out discards;
 *  - bad input: NULL channel is GORO_EINVAL; oversize element is NULL; a
 *    NULL value sent on a channel of non-empty elements is GORO_EINVAL in
 *    every send form and in select, and sends nothing (it used to send
 *    whatever the ring slot held);
 *  - typed, directional channels.
 */
// ctest-labels: chan
#include <pthread.h>
#include <stdatomic.h>
#include "testutil.h"

GORO_CHAN_DEFINE(intch, int)

static goro_waitgroup wg;

static void producer(void *arg)
{
    goro_chan *c = arg;
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(goro_chan_send(c, &i), 0);
    CHECK_EQ(goro_chan_close(c), 0);
    goro_waitgroup_done(&wg);
}

static void fifo(size_t cap)
{
    goro_chan *c = goro_chan_make(sizeof(int), cap);
    CHECK(c);
    CHECK_EQ(goro_chan_cap(c), cap);
    goro_waitgroup_add(&wg, 1);
    CHECK_EQ(goro_go(producer, c), 0);
    int v, expect = 0;
    while (goro_chan_recv(c, &v) == 0)
        CHECK_EQ(v, expect++);
    CHECK_EQ(expect, 1000);
    CHECK_EQ(v, 0);   /* zeroed by the closed receive */
    goro_waitgroup_wait(&wg);
    goro_chan_release(c);
}

static void blocked_recv(void *arg)
{
    goro_chan *c = arg;
    int v = 7;
    CHECK_EQ(goro_chan_recv(c, &v), GORO_ECLOSED);
    CHECK_EQ(v, 0);
    goro_waitgroup_done(&wg);
}

static void blocked_send(void *arg)
{
    goro_chan *c = arg;
    int v = 1;
    CHECK_EQ(goro_chan_send(c, &v), GORO_ECLOSED);
    goro_waitgroup_done(&wg);
}

static void *thread_sender(void *arg)
{
    goro_chan *c = arg;
    for (int i = 0; i < 100; i++)
        CHECK_EQ(goro_chan_send(c, &i), 0);
    return NULL;
}

static void typed_producer(intch_tx out, int n)
{
    for (int i = 0; i < n; i++)
        CHECK_EQ(intch_send(out, i * i), 0);
    intch_close(out);
}

static void typed_worker(void *arg)
{
    intch_tx out = *(intch_tx *)arg;
    typed_producer(out, 10);
    goro_waitgroup_done(&wg);
}

/* A NULL value on a channel of non-empty elements: refused by every send
 * form and by select, which then does nothing at all. */
static void null_values(void)
{
    for (size_t cap = 0; cap < 2; cap++) {
        goro_chan *c = goro_chan_make(sizeof(int), cap);
        int v = 7;
        CHECK_EQ(goro_chan_send(c, NULL), GORO_EINVAL);
        CHECK_EQ(goro_chan_try_send(c, NULL), GORO_EINVAL);
        CHECK_EQ(goro_chan_send_until(c, NULL, goro_now() + GORO_MILLISECOND), GORO_EINVAL);
        CHECK_EQ(goro_chan_len(c), 0);
        goro_chan *other = goro_chan_make(sizeof(int), 1);
        CHECK_EQ(goro_chan_send(other, &v), 0);   /* a ready case */
        goro_case cs[2] = { GORO_CASE_RECV(other, &v), GORO_CASE_SEND(c, NULL) };
        cs[0].result = cs[1].result = 123;
        v = 0;
        CHECK_EQ(goro_select(cs, 2), GORO_EINVAL);
        CHECK_EQ(goro_select_try(cs, 2), GORO_EINVAL);
        CHECK_EQ(goro_select_until(cs, 2, goro_now()), GORO_EINVAL);
        CHECK_EQ(v, 0);                        /* nothing received ... */
        CHECK_EQ(goro_chan_len(other), 1);     /* ... nothing taken */
        CHECK_EQ(goro_chan_len(c), 0);         /* ... nothing sent */
        CHECK_EQ(cs[0].result, 123);           /* ... nothing written */
        CHECK_EQ(goro_chan_try_recv(c, &v), GORO_EAGAIN);
        /* Receiving into NULL still discards. */
        CHECK_EQ(goro_chan_recv(other, NULL), 0);
        goro_chan_release(other);
        goro_chan_release(c);
    }
    goro_chan *z = goro_chan_make(0, 1);   /* chan struct{}: NULL is the value */
    goro_case zc = GORO_CASE_SEND(z, NULL);
    CHECK_EQ(goro_select(&zc, 1), 0);
    CHECK_EQ(goro_chan_recv(z, NULL), 0);
    goro_chan_release(z);
}

int main(void)
{
    fifo(0);
    fifo(1);
    fifo(16);

    /* Closed and buffered: drain first. */
    goro_chan *c = goro_chan_make(sizeof(int), 4);
    int v = 5;
    CHECK_EQ(goro_chan_send(c, &v), 0);
    CHECK_EQ(goro_chan_len(c), 1);
    CHECK_EQ(goro_chan_close(c), 0);
    CHECK_EQ(goro_chan_close(c), GORO_ECLOSED);
    CHECK_EQ(goro_chan_send(c, &v), GORO_ECLOSED);
    CHECK_EQ(goro_chan_try_send(c, &v), GORO_ECLOSED);
    v = 0;
    CHECK_EQ(goro_chan_recv(c, &v), 0);
    CHECK_EQ(v, 5);
    v = 9;
    CHECK_EQ(goro_chan_try_recv(c, &v), GORO_ECLOSED);
    CHECK_EQ(v, 0);
    goro_chan_release(c);

    /* close wakes blocked receivers and senders. */
    goro_chan *r = goro_chan_make(sizeof(int), 0), *s = goro_chan_make(sizeof(int), 0);
    goro_waitgroup_add(&wg, 20);
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(goro_go(blocked_recv, r), 0);
        CHECK_EQ(goro_go(blocked_send, s), 0);
    }
    goro_sleep(5 * GORO_MILLISECOND);
    CHECK_EQ(goro_chan_close(r), 0);
    CHECK_EQ(goro_chan_close(s), 0);
    goro_waitgroup_wait(&wg);
    goro_chan_release(r);
    goro_chan_release(s);

    /* try and until. */
    c = goro_chan_make(sizeof(int), 1);
    CHECK_EQ(goro_chan_try_recv(c, &v), GORO_EAGAIN);
    CHECK_EQ(goro_chan_try_send(c, &v), 0);
    CHECK_EQ(goro_chan_try_send(c, &v), GORO_EAGAIN);
    int64_t t0 = goro_now();
    CHECK_EQ(goro_chan_send_until(c, &v, t0 + 2 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    CHECK(goro_now() - t0 >= 2 * GORO_MILLISECOND);
    CHECK_EQ(goro_chan_recv(c, NULL), 0);
    CHECK_EQ(goro_chan_recv_until(c, &v, goro_now() + GORO_MILLISECOND), GORO_ETIMEDOUT);
    CHECK_EQ(goro_chan_len(c), 0);
    goro_chan_release(c);

    /* From a plain thread, to main (also a plain thread). */
    c = goro_chan_make(sizeof(int), 0);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, thread_sender, c), 0);
    for (int i = 0; i < 100; i++) {
        CHECK_EQ(goro_chan_recv(c, &v), 0);
        CHECK_EQ(v, i);
    }
    pthread_join(th, NULL);
    goro_chan_release(c);

    /* Zero-size elements. */
    c = goro_chan_make(0, 3);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(goro_chan_send(c, NULL), 0);
    CHECK_EQ(goro_chan_try_send(c, NULL), GORO_EAGAIN);
    CHECK_EQ(goro_chan_len(c), 3);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(goro_chan_recv(c, NULL), 0);
    goro_chan_release(c);

    /* Bad input. */
    CHECK_EQ(goro_chan_send(NULL, &v), GORO_EINVAL);
    CHECK_EQ(goro_chan_recv(NULL, &v), GORO_EINVAL);
    CHECK_EQ(goro_chan_close(NULL), GORO_EINVAL);
    CHECK_EQ(goro_chan_try_send(NULL, &v), GORO_EINVAL);
    CHECK(goro_chan_make(1 << 20, 1) == NULL);
    CHECK(goro_chan_make(8, SIZE_MAX / 4) == NULL);
    CHECK_EQ(goro_chan_len(NULL), 0);
    null_values();

    /* Typed views. */
    intch ic = intch_make(0);
    goro_waitgroup_add(&wg, 1);
    intch_tx tx = ic.tx;
    CHECK_EQ(goro_go_copy(typed_worker, &tx, sizeof tx), 0);
    int x, n = 0;
    while (intch_recv(ic.rx, &x) == 0) {
        CHECK_EQ(x, n * n);
        n++;
    }
    CHECK_EQ(n, 10);
    CHECK(goro_chan_of(ic) == goro_chan_of(ic.rx));
    goro_waitgroup_wait(&wg);
    intch_release(ic);
    TEST_PASS("test_chan");
}
