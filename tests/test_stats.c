/* SPDX-License-Identifier: MIT */
/*
 * test_stats.c: goro_stats.
 *  - an idle runtime: no goroutines, Ps = GOMAXPROCS;
 *  - N goroutines parked in a channel receive, one in an fd read, one
 *    sleeping, one pending goro_after timer: counted by state and reason,
 *    timers and poller waits seen, parks and goroutines created counted;
 *  - a plain thread blocked in a goro wait is counted as such;
 *  - after they all end, the counts drop back and the totals stay;
 *  - steals happen when one goroutine spawns many at GOMAXPROCS >= 2.
 */
// ctest-labels: diag
#include <pthread.h>
#include <unistd.h>
#include "testutil.h"

enum { N = 50 };

static goro_chan *ch;
static int pfd[2];
static goro_waitgroup wg;

static void receiver(void *arg)
{
    (void)arg;
    int v;
    goro_chan_recv(ch, &v);
    goro_waitgroup_done(&wg);
}

static void reader(void *arg)
{
    (void)arg;
    char b;
    CHECK(goro_read(pfd[0], &b, 1) == 1);
    goro_waitgroup_done(&wg);
}

static void sleeper(void *arg)
{
    (void)arg;
    goro_sleep(200 * GORO_MILLISECOND);
    goro_waitgroup_done(&wg);
}

static void *plain(void *arg)
{
    int v;
    goro_chan_recv(arg, &v);
    return NULL;
}

static goro_stats_t wait_for(int64_t waiting)
{
    goro_stats_t s;
    int64_t deadline = goro_now() + 60 * GORO_SECOND;
    for (;;) {
        goro_stats(&s);
        if (s.waiting == waiting && s.goroutines == waiting)
            return s;
        CHECK(goro_now() < deadline);
        goro_sleep(GORO_MILLISECOND);
    }
}

static void spin(void *arg)
{
    (void)arg;
    for (volatile int i = 0; i < 20000; i++)
        ;
}

static void spawner(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++)
        CHECK(goro_waitgroup_go(&wg, spin, NULL) == 0);
}

int main(void)
{
    goro_stats_t s;
    goro_stats(&s);
    CHECK_EQ(s.goroutines, 0);
    CHECK_EQ(s.procs, goro_maxprocs(0));
    CHECK(s.procs_idle <= s.procs);

    ch = goro_chan_make(sizeof(int), 0);
    CHECK(pipe(pfd) == 0);
    goro_chan *after = goro_after(GORO_MINUTE);
    CHECK(after);
    goro_waitgroup_add(&wg, N + 2);
    for (int i = 0; i < N; i++)
        CHECK(goro_go(receiver, NULL) == 0);
    CHECK(goro_go(reader, NULL) == 0);
    CHECK(goro_go(sleeper, NULL) == 0);
    goro_chan *pc = goro_chan_make(sizeof(int), 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, plain, pc) == 0);

    s = wait_for(N + 2);
    CHECK_EQ(s.waiting_on[GORO_WAIT_CHAN_RECV], N);
    CHECK_EQ(s.waiting_on[GORO_WAIT_IO], 1);
    CHECK_EQ(s.waiting_on[GORO_WAIT_SLEEP], 1);
    CHECK_EQ(s.running + s.runnable + s.syscall, 0);
    CHECK(s.timers >= 2);          /* the sleep and goro_after */
    CHECK_EQ(s.poll_waits, 1);
    CHECK(s.parks >= N + 2);
    CHECK(s.created >= N + 2);
    CHECK(s.threads >= 1);
    CHECK(s.threads_idle <= s.threads);
    while (goro_stats(&s), s.threads_blocked != 1)
        goro_sleep(GORO_MILLISECOND);

    int v = 0;
    for (int i = 0; i < N; i++)
        CHECK(goro_chan_send(ch, &v) == 0);
    CHECK(write(pfd[1], "x", 1) == 1);
    CHECK(goro_chan_send(pc, &v) == 0);
    pthread_join(t, NULL);
    goro_waitgroup_wait(&wg);
    uint64_t parks = s.parks, created = s.created;
    s = wait_for(0);
    CHECK_EQ(s.threads_blocked, 0);
    CHECK_EQ(s.poll_waits, 0);
    CHECK(s.parks >= parks);
    CHECK_EQ(s.created, created);

    if (goro_maxprocs(0) >= 2) {
        /* A spawner fills its P's queue; the other P steals. Retried,
         * since an idle machine may run everything on one P. */
        for (int round = 0; round < 100 && s.steals == 0; round++) {
            run_main(spawner, NULL);
            goro_waitgroup_wait(&wg);
            goro_stats(&s);
        }
        CHECK(s.steals > 0);
    }
    goro_chan_release(after);
    goro_chan_release(pc);
    goro_chan_release(ch);
    TEST_PASS("test_stats");
}
