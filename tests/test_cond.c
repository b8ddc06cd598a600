/* SPDX-License-Identifier: MIT */
/*
 * test_cond.c: goro_cond (Go's sync.Cond).
 *  - TestCondSignal: with 2 waiters, each signal wakes exactly one;
 *  - TestCondSignalGenerations: 100 goroutines that began waiting one
 *    after another are woken by 100 signals in that order (FIFO);
 *  - TestCondBroadcast: 200 waiters, 200 rounds: each broadcast wakes
 *    every waiter exactly once, and nobody wakes without one;
 *  - TestCondSignalStealing: a broadcast racing a new wait still wakes
 *    the waiter that was already there;
 *  - TestCondCopy: a cond copied after use aborts (child process);
 *  - wait_until: times out no earlier than the deadline with the mutex
 *    held again; a timed-out waiter does not swallow a later signal;
 *  - plain threads wait and signal too; no wakeup without a signal;
 *  - a signal that comes while the waiter, queued already, is still on
 *    its way to park (its unlock handed the mutex over and yielded) wakes
 *    it; 300 goroutines waiting in a predicate loop, broadcast rounds that
 *    start while most of them are still on that way: nobody stays asleep;
 *  - wait without holding the mutex aborts naming the call site.
 */
// ctest-labels: sync
#include <pthread.h>
#include <stdatomic.h>
#include "misuse.h"
#include "testutil.h"

static goro_waitgroup wg;

/* Polls (under mu) until *v reaches want, sleeping between looks. */
static void await_count(goro_mutex *mu, const int *v, int want)
{
    for (int i = 0;; i++) {
        goro_mutex_lock(mu);
        int now = *v;
        goro_mutex_unlock(mu);
        if (now >= want)
            return;
        CHECK(i < 200000);   /* 20 s at most */
        goro_sleep(100 * GORO_MICROSECOND);
    }
}

/* ---- TestCondSignal ---------------------------------------------------------- */

static goro_mutex smu;
static goro_cond sc;
static int s_running, s_awake;   /* under smu */

static void signal_waiter(void *arg)
{
    (void)arg;
    goro_mutex_lock(&smu);
    s_running++;
    goro_cond_wait(&sc, &smu);
    s_awake++;
    goro_mutex_unlock(&smu);
    goro_waitgroup_done(&wg);
}

static void test_signal(void)
{
    int n = 2;
    goro_waitgroup_add(&wg, n);
    for (int i = 0; i < n; i++)
        CHECK(goro_go(signal_waiter, NULL) == 0);
    await_count(&smu, &s_running, n);
    for (int woken = 0; woken < n; woken++) {
        goro_mutex_lock(&smu);
        CHECK_EQ(s_awake, woken);            /* goroutine not asleep? */
        goro_cond_signal(&sc);
        goro_mutex_unlock(&smu);
        await_count(&smu, &s_awake, woken + 1);
        goro_sleep(GORO_MILLISECOND);
        goro_mutex_lock(&smu);
        CHECK_EQ(s_awake, woken + 1);        /* too many awake? */
        goro_mutex_unlock(&smu);
    }
    goro_cond_signal(&sc);                   /* nobody waits: a no-op */
    goro_waitgroup_wait(&wg);
}

/* ---- TestCondSignalGenerations ------------------------------------------------- */

#define GEN_N 100
static goro_mutex gmu;
static goro_cond gc;
static int g_running, g_awake, g_order[GEN_N];   /* under gmu */

static void generation(void *arg)
{
    int i = *(int *)arg;
    goro_mutex_lock(&gmu);
    g_running++;
    goro_cond_wait(&gc, &gmu);
    g_order[g_awake++] = i;
    goro_mutex_unlock(&gmu);
    goro_waitgroup_done(&wg);
}

static void test_signal_generations(void)
{
    goro_waitgroup_add(&wg, GEN_N);
    for (int i = 0; i < GEN_N; i++) {
        CHECK(goro_go_copy(generation, &i, sizeof i) == 0);
        /* Wait for it to hold the lock, then for it to be in wait. */
        await_count(&gmu, &g_running, i + 1);
    }
    for (int i = 0; i < GEN_N; i++) {
        goro_cond_signal(&gc);
        await_count(&gmu, &g_awake, i + 1);
        goro_mutex_lock(&gmu);
        if (g_order[i] != i) {
            fprintf(stderr, "signal %d woke up goroutine %d\n", i, g_order[i]);
            exit(1);
        }
        goro_mutex_unlock(&gmu);
    }
    goro_waitgroup_wait(&wg);
}

/* ---- TestCondBroadcast ------------------------------------------------------- */

#define BC_N 200
static goro_mutex bmu;
static goro_cond bc;
static bool b_exit;
static int b_running, b_awake, b_seen[BC_N];   /* under bmu */

static void broadcast_waiter(void *arg)
{
    int g = *(int *)arg;
    goro_mutex_lock(&bmu);
    while (!b_exit) {
        b_running++;
        goro_cond_wait(&bc, &bmu);
        b_seen[g]++;
        b_awake++;
    }
    goro_mutex_unlock(&bmu);
    goro_waitgroup_done(&wg);
}

static void test_broadcast(void)
{
    int rounds = (int)scaled(BC_N, 10);
    goro_waitgroup_add(&wg, BC_N);
    for (int i = 0; i < BC_N; i++)
        CHECK(goro_go_copy(broadcast_waiter, &i, sizeof i) == 0);
    for (int r = 0; r < rounds; r++) {
        await_count(&bmu, &b_running, BC_N * (r + 1));   /* all n are waiting */
        goro_mutex_lock(&bmu);
        if (r == rounds - 1)
            b_exit = true;
        CHECK_EQ(b_awake, BC_N * r);                    /* goroutine not asleep? */
        goro_cond_broadcast(&bc);
        goro_mutex_unlock(&bmu);
        await_count(&bmu, &b_awake, BC_N * (r + 1));
        goro_mutex_lock(&bmu);
        for (int g = 0; g < BC_N; g++)
            CHECK_EQ(b_seen[g], r + 1);                 /* each woke exactly once */
        goro_mutex_unlock(&bmu);
    }
    goro_waitgroup_wait(&wg);
    CHECK_EQ(b_running, BC_N * rounds);                 /* all exited */
    goro_cond_broadcast(&bc);
}

/* ---- TestCondSignalStealing ---------------------------------------------------- */

static goro_mutex tmu;
static goro_cond tc;
static bool t_done;
static int t_first_in, t_first_out;   /* under tmu */

static void first_waiter(void *arg)
{
    (void)arg;
    goro_mutex_lock(&tmu);
    t_first_in = 1;
    goro_cond_wait(&tc, &tmu);
    t_first_out = 1;
    goro_mutex_unlock(&tmu);
    goro_waitgroup_done(&wg);
}

static void broadcaster(void *arg)
{
    (void)arg;
    goro_cond_broadcast(&tc);
    goro_waitgroup_done(&wg);
}

static void second_waiter(void *arg)
{
    (void)arg;
    goro_mutex_lock(&tmu);
    while (!t_done)
        goro_cond_wait(&tc, &tmu);
    goro_mutex_unlock(&tmu);
    goro_waitgroup_done(&wg);
}

static void test_signal_stealing(void)
{
    int iters = (int)scaled(1000, 20);
    for (int it = 0; it < iters; it++) {
        t_done = false;
        t_first_in = t_first_out = 0;
        goro_waitgroup_add(&wg, 1);
        CHECK(goro_go(first_waiter, NULL) == 0);
        await_count(&tmu, &t_first_in, 1);   /* it is in wait now */
        goro_waitgroup_add(&wg, 2);
        CHECK(goro_go(broadcaster, NULL) == 0);
        CHECK(goro_go(second_waiter, NULL) == 0);
        int64_t deadline = goro_now() + 2 * GORO_SECOND;
        for (;;) {
            goro_mutex_lock(&tmu);
            int out = t_first_out;
            goro_mutex_unlock(&tmu);
            if (out)
                break;
            if (goro_now() > deadline) {
                fprintf(stderr, "First waiter didn't get broadcast.\n");
                exit(1);
            }
            goro_sleep(50 * GORO_MICROSECOND);
        }
        goro_mutex_lock(&tmu);
        t_done = true;
        goro_mutex_unlock(&tmu);
        goro_cond_broadcast(&tc);
        goro_waitgroup_wait(&wg);
    }
}

/* ---- wait_until ------------------------------------------------------------------ */

static goro_mutex umu;
static goro_cond uc;
static int u_ready, u_woken, u_timedout;   /* under umu */

static void timed_checks(long id)
{
    (void)id;
    goro_mutex_lock(&umu);
    int64_t t0 = goro_now();
    CHECK_EQ(goro_cond_wait_until(&uc, &umu, t0 + 5 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    CHECK(goro_now() - t0 >= 5 * GORO_MILLISECOND);
    CHECK(umu.state_ & 1);   /* held again */
    CHECK_EQ(goro_cond_wait_until(&uc, &umu, t0), GORO_ETIMEDOUT);
    goro_mutex_unlock(&umu);
}


static void forever_waiter(void *arg)
{
    (void)arg;
    goro_mutex_lock(&umu);
    u_ready++;
    CHECK_EQ(goro_cond_wait_until(&uc, &umu, GORO_FOREVER), 0);
    u_woken++;
    goro_mutex_unlock(&umu);
    goro_waitgroup_done(&wg);
}

static void short_waiter(void *arg)
{
    (void)arg;
    goro_mutex_lock(&umu);
    u_ready++;
    CHECK_EQ(goro_cond_wait_until(&uc, &umu, goro_now() + 2 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    u_timedout++;
    goro_mutex_unlock(&umu);
    goro_waitgroup_done(&wg);
}

static void test_wait_until(void)
{
    run_goroutines_and_threads(timed_checks, 1, 1);

    /* The short waiter queues first and times out; the signal then must
     * wake the forever waiter behind it. */
    goro_waitgroup_add(&wg, 1);
    CHECK(goro_go(short_waiter, NULL) == 0);
    await_count(&umu, &u_ready, 1);
    goro_waitgroup_add(&wg, 1);
    CHECK(goro_go(forever_waiter, NULL) == 0);
    await_count(&umu, &u_ready, 2);
    await_count(&umu, &u_timedout, 1);
    goro_cond_signal(&uc);
    await_count(&umu, &u_woken, 1);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(uc.nwait_, 0);
    CHECK(uc.head_ == NULL && uc.tail_ == NULL);
}

/* ---- Threads and goroutines together ---------------------------------------------- */

static goro_mutex pmu;
static goro_cond pc;
static int p_tokens, p_consumed, p_waiting;   /* under pmu */
static long p_total;

static void consume(void)
{
    for (;;) {
        goro_mutex_lock(&pmu);
        while (p_tokens == 0 && p_consumed < p_total) {
            p_waiting++;
            goro_cond_wait(&pc, &pmu);
            p_waiting--;
        }
        if (p_consumed >= p_total) {
            goro_mutex_unlock(&pmu);
            return;
        }
        p_tokens--;
        p_consumed++;
        if (p_consumed == p_total)
            goro_cond_broadcast(&pc);
        goro_mutex_unlock(&pmu);
    }
}

static void consumer_goroutine(void *arg)
{
    (void)arg;
    consume();
    goro_waitgroup_done(&wg);
}

static void *consumer_thread(void *arg)
{
    (void)arg;
    consume();
    return NULL;
}

static void producer(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        goro_mutex_lock(&pmu);
        p_tokens++;
        goro_cond_signal(&pc);
        goro_mutex_unlock(&pmu);
        if (i % 16 == 0)
            goro_yield();
    }
    goro_waitgroup_done(&wg);
}

static void test_mixed(void)
{
    enum { THREADS = 2, CONSUMERS = 4, PRODUCERS = 3 };
    long per = scaled(20000, 20);
    p_total = per * PRODUCERS;
    pthread_t th[THREADS];
    goro_waitgroup_add(&wg, CONSUMERS + PRODUCERS);
    for (int i = 0; i < CONSUMERS; i++)
        CHECK(goro_go(consumer_goroutine, NULL) == 0);
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, consumer_thread, NULL) == 0);
    for (int i = 0; i < PRODUCERS; i++)
        CHECK(goro_go(producer, (void *)per) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(p_consumed, p_total);
    CHECK_EQ(p_tokens, 0);
    CHECK_EQ(pc.nwait_, 0);
}

/* No wakeup without a signal. */
static goro_mutex nmu;
static goro_cond nc;
static int n_wakeups;

static void idle_waiter(void *arg)
{
    (void)arg;
    goro_mutex_lock(&nmu);
    goro_cond_wait(&nc, &nmu);
    n_wakeups++;
    goro_mutex_unlock(&nmu);
    goro_waitgroup_done(&wg);
}

static void test_no_spurious(void)
{
    goro_waitgroup_add(&wg, 10);
    for (int i = 0; i < 10; i++)
        CHECK(goro_go(idle_waiter, NULL) == 0);
    for (int i = 0; nc.nwait_ != 10; i++) {   /* all ten are waiting */
        CHECK(i < 200000);
        goro_sleep(100 * GORO_MICROSECOND);
    }
    /* Lots of unrelated traffic on the mutex; nobody may wake. */
    for (int i = 0; i < 1000; i++) {
        goro_mutex_lock(&nmu);
        goro_mutex_unlock(&nmu);
    }
    goro_sleep(20 * GORO_MILLISECOND);
    goro_mutex_lock(&nmu);
    CHECK_EQ(n_wakeups, 0);
    goro_cond_broadcast(&nc);
    goro_mutex_unlock(&nmu);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(n_wakeups, 10);
}

/* ---- A wakeup between queuing and parking --------------------------------------- */

/* Waits for wg on this plain thread for at most `secs`; a goroutine that
 * is still asleep then missed its wakeup: fail with `what` instead of
 * hanging until the CTest timeout. */
static void await_or_fail(goro_waitgroup *g, int secs, const char *what)
{
    if (goro_waitgroup_wait_until(g, goro_now() + secs * GORO_SECOND) == 0)
        return;
    fprintf(stderr, "test_cond: %s\n", what);
    goro_dump(stderr);
    exit(1);
}

/* A waiter queues on the cond and unlocks a mutex in starvation mode: the
 * unlock hands the mutex to the starving locker and yields to it, and
 * that one signals before the waiter has parked. The signal must reach
 * the waiter; it used to be lost when the waiter, woken while it was
 * yielding, was resumed as plain running and then parked for good. */
#define MU_STARVING 4u   /* the mutex's state bit for starvation mode (mutex.c) */
static goro_mutex hmu;
static goro_cond hc;
static bool h_signalled;   /* under hmu */
static goro_waitgroup hwg;

static void handoff_signaller(void *arg)
{
    (void)arg;
    goro_mutex_lock(&hmu);     /* waits > 1 ms: the mutex starves it */
    h_signalled = true;
    goro_cond_signal(&hc);
    goro_mutex_unlock(&hmu);
    goro_waitgroup_done(&hwg);
}

static void handoff_waiter(void *arg)
{
    (void)arg;
    goro_mutex_lock(&hmu);
    h_signalled = false;
    goro_waitgroup_add(&hwg, 1);
    CHECK(goro_go(handoff_signaller, NULL) == 0);
    goro_sleep(2 * GORO_MILLISECOND);   /* the signaller queues behind us */
    goro_mutex_unlock(&hmu);            /* wakes it ... */
    goro_mutex_lock(&hmu);              /* ... and we barge in ahead */
    /* It finds the mutex held again, after waiting over 1 ms: it queues
     * in starvation mode, and our unlock below hands over. */
    for (int i = 0; !h_signalled && i < 100000 &&
                    !(atomic_load((_Atomic uint32_t *)&hmu.state_) & MU_STARVING); i++)
        goro_yield();
    while (!h_signalled)
        goro_cond_wait(&hc, &hmu);
    goro_mutex_unlock(&hmu);
    goro_waitgroup_done(&hwg);
}

static void test_signal_before_park(void)
{
    long rounds = scaled(100, 5);
    for (long r = 0; r < rounds; r++) {
        goro_waitgroup_add(&hwg, 1);
        CHECK(goro_go(handoff_waiter, NULL) == 0);
        await_or_fail(&hwg, 20, "a cond waiter missed a signal sent during a mutex hand-off");
    }
    CHECK_EQ(hc.nwait_, 0);
    CHECK_EQ(hmu.state_, 0);
}

/* The same window under load, as a program would hit it: goroutines wait
 * in the usual predicate loop while a coordinator advances the round and
 * broadcasts as soon as the last one has queued, with most of them still
 * between queuing and parking, and all of them fighting for the mutex
 * (starvation mode, hand-offs) on their way back. */
#define RW_N 300
static goro_mutex rmu;
static goro_cond rc, rc_all;
static int r_round, r_arrived;   /* under rmu */
static goro_waitgroup rwg;

#define RW_WORK_US 10

/* Busy for `us` microseconds (work done under the mutex). */
static void busy_us(int us)
{
    int64_t end = goro_now() + us * GORO_MICROSECOND;
    while (goro_now() < end)
        ;
}

static void round_waiter(void *arg)
{
    int rounds = *(int *)arg;
    for (int r = 1; r <= rounds; r++) {
        goro_mutex_lock(&rmu);
        r_arrived++;
        goro_cond_signal(&rc_all);   /* the coordinator rechecks each arrival */
        while (r_round < r)
            goro_cond_wait(&rc, &rmu);
        busy_us(RW_WORK_US);         /* work: 300 of them queue > 1 ms */
        goro_mutex_unlock(&rmu);
    }
    goro_waitgroup_done(&rwg);
}

static void round_coordinator(void *arg)
{
    int rounds = *(int *)arg;
    for (int r = 1; r <= rounds; r++) {
        goro_mutex_lock(&rmu);
        while (r_arrived < RW_N * r)
            goro_cond_wait(&rc_all, &rmu);
        r_round = r;
        goro_cond_broadcast(&rc);
        goro_mutex_unlock(&rmu);
    }
    goro_waitgroup_done(&rwg);
}

static void test_broadcast_rounds(void)
{
    int rounds = (int)scaled(300, 10);
    goro_waitgroup_add(&rwg, RW_N + 1);
    for (int i = 0; i < RW_N; i++)
        CHECK(goro_go(round_waiter, &rounds) == 0);
    CHECK(goro_go(round_coordinator, &rounds) == 0);
    await_or_fail(&rwg, 20, "goroutines stayed asleep in a cond wait after a broadcast");
    CHECK_EQ(r_round, rounds);
    CHECK_EQ(rc.nwait_, 0);
    CHECK_EQ(rc_all.nwait_, 0);
}

/* ---- Misuse (child modes) ------------------------------------------------------- */

enum { LINE_COPY = __LINE__ + 7 };
static void misuse_copy(void)
{
    goro_cond c1 = {0};
    goro_cond_signal(&c1);
    goro_cond c2;
    memcpy(&c2, &c1, sizeof c1);
    goro_cond_signal(&c2);
}

enum { LINE_UNHELD = __LINE__ + 5 };
static void misuse_unheld(void)
{
    goro_mutex mu = {0};
    goro_cond c = {0};
    goro_cond_wait(&c, &mu);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "copy"))
            misuse_copy();
        else if (!strcmp(argv[1], "unheld"))
            misuse_unheld();
        return 0;
    }
    CHECK_EQ(goro_cond_wait_until(NULL, &umu, GORO_FOREVER), GORO_EINVAL);
    CHECK_EQ(goro_cond_wait_until(&uc, NULL, GORO_FOREVER), GORO_EINVAL);
    expect_fatal("copy", "sync: Cond is copied", "test_cond.c", LINE_COPY);
    expect_fatal("unheld", "sync: unlock of unlocked mutex", "test_cond.c", LINE_UNHELD);

    test_signal();
    test_signal_generations();
    test_broadcast();
    test_signal_stealing();
    test_wait_until();
    test_mixed();
    test_no_spurious();
    test_signal_before_park();
    test_broadcast_rounds();
    TEST_PASS("test_cond");
}
