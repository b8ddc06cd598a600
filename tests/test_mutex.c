/* SPDX-License-Identifier: MIT */
/*
 * test_mutex.c: goro_mutex (Go's sync.Mutex).
 *  - TestMutex: trylock on a free / held mutex, then goroutines hammering
 *    one mutex (every 11th acquisition a trylock), with an exclusion check;
 *  - TestMutexMisuse: unlock of an unlocked mutex, and a second unlock,
 *    abort with "sync: unlock of unlocked mutex" naming the call site (in
 *    a child process);
 *  - TestMutexFairness: a goroutine gets the mutex from a hog that holds it
 *    almost always, within 10 s (starvation mode);
 *  - hand-off under heavy contention: 20,000 goroutines, half retrying
 *    trylock and yielding, half in lock_until: the rate of acquisitions
 *    never collapses (the waiter handed the mutex runs at once);
 *  - stress: goroutines and plain pthreads together increment counters
 *    under mutexes (lock, trylock, lock_until) and the counts are exact;
 *    a mutex locked on a thread is unlocked by a goroutine and back;
 *  - lock_until: times out no earlier than its deadline (goroutine and
 *    thread), succeeds when the mutex is freed in time, takes a free mutex
 *    even with a past deadline; timeouts racing unlocks leave the mutex
 *    consistent (free, no waiters counted);
 *  - a mutex may be freed by whoever takes it last: refcounted objects
 *    freed by their last user while the others lock with short deadlines
 *    (ASan would see an unlock touching freed memory);
 *  - NULL is GORO_EINVAL; a zero-initialised mutex works.
 */
// ctest-labels: sync
#include <pthread.h>
#include <stdatomic.h>
#include "misuse.h"
#include "testutil.h"

/* ---- TestMutex ----------------------------------------------------------- */

static goro_mutex mu;
static goro_waitgroup wg;
static _Atomic int inside;

static void hammer(void *arg)
{
    long loops = (long)arg;
    for (long i = 0; i < loops; i++) {
        if (i % 11 == 0) {
            if (goro_mutex_trylock(&mu) != 0)
                continue;
        } else {
            goro_mutex_lock(&mu);
        }
        CHECK_EQ(atomic_fetch_add(&inside, 1), 0);
        if (i % 7 == 0)
            goro_yield();   /* sometimes hold it across a switch */
        atomic_fetch_sub(&inside, 1);
        goro_mutex_unlock(&mu);
    }
    goro_waitgroup_done(&wg);
}

static void test_mutex(void)
{
    goro_mutex m = {0};
    CHECK_EQ(goro_mutex_trylock(&m), 0);
    CHECK_EQ(goro_mutex_trylock(&m), GORO_EAGAIN);
    goro_mutex_unlock(&m);
    CHECK_EQ(goro_mutex_trylock(&m), 0);
    goro_mutex_unlock(&m);
    CHECK_EQ(m.state_, 0);

    long loops = scaled(1000, 10);
    for (int i = 0; i < 10; i++) {
        goro_waitgroup_add(&wg, 1);
        CHECK(goro_go(hammer, (void *)loops) == 0);
    }
    goro_waitgroup_wait(&wg);
    CHECK_EQ(mu.state_, 0);
}

/* ---- TestMutexMisuse (child modes) ---------------------------------------- */

enum { LINE_UNLOCK = __LINE__ + 4 };
static void misuse_unlock(void)
{
    goro_mutex m = {0};
    goro_mutex_unlock(&m);
}

enum { LINE_UNLOCK2 = __LINE__ + 6 };
static void misuse_unlock2(void)
{
    goro_mutex m = {0};
    goro_mutex_lock(&m);
    goro_mutex_unlock(&m);
    goro_mutex_unlock(&m);
}

static void misuse_in_goroutine(void *arg)
{
    (void)arg;
    misuse_unlock2();
}

/* ---- TestMutexFairness ----------------------------------------------------- */

static goro_mutex fair_mu;
static _Atomic int fair_stop;
static goro_waitgroup fair_hog_wg, fair_done;

static void fair_hog(void *arg)
{
    (void)arg;
    while (!atomic_load(&fair_stop)) {
        goro_mutex_lock(&fair_mu);
        goro_sleep(100 * GORO_MICROSECOND);
        goro_mutex_unlock(&fair_mu);
    }
    goro_waitgroup_done(&fair_hog_wg);
}

static void fair_waiter(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++) {
        goro_sleep(100 * GORO_MICROSECOND);
        goro_mutex_lock(&fair_mu);
        goro_mutex_unlock(&fair_mu);
    }
    goro_waitgroup_done(&fair_done);
}

static void test_fairness(void)
{
    goro_waitgroup_add(&fair_hog_wg, 1);
    CHECK(goro_go(fair_hog, NULL) == 0);
    goro_waitgroup_add(&fair_done, 1);
    CHECK(goro_go(fair_waiter, NULL) == 0);
    if (goro_waitgroup_wait_until(&fair_done, goro_now() + 10 * GORO_SECOND) != 0) {
        fprintf(stderr, "can't acquire Mutex in 10 seconds\n");
        exit(1);
    }
    atomic_store(&fair_stop, 1);
    goro_waitgroup_wait(&fair_hog_wg);
    CHECK_EQ(fair_mu.state_, 0);
}

/* ---- Hand-off under heavy contention ---------------------------------------- */

/* Half the goroutines retry trylock and yield, half wait in lock_until
 * with a long deadline: the mutex goes into starvation mode with
 * thousands of waiters. Each unlock then hands the mutex to the first
 * waiter, which must run at once: it used to be left runnable only, and
 * the wakeups of others (or the global queue) put it behind thousands of
 * yielders while it held the mutex, and the rate of acquisitions fell
 * from millions per second to under 1% of that, often none, for seconds
 * at a time. */
static goro_mutex busy_mu;
static _Atomic int busy_stop;
static _Atomic long busy_acquired;
static goro_waitgroup busy_wg;

static void busy_trier(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&busy_stop, memory_order_relaxed)) {
        if (goro_mutex_trylock(&busy_mu) == 0) {
            atomic_fetch_add_explicit(&busy_acquired, 1, memory_order_relaxed);
            goro_mutex_unlock(&busy_mu);
        }
        goro_yield();
    }
    goro_waitgroup_done(&busy_wg);
}

static void busy_locker(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&busy_stop, memory_order_relaxed)) {
        if (goro_mutex_lock_until(&busy_mu, goro_now() + GORO_SECOND) == 0) {
            atomic_fetch_add_explicit(&busy_acquired, 1, memory_order_relaxed);
            goro_mutex_unlock(&busy_mu);
        } else {
            goro_yield();
        }
    }
    goro_waitgroup_done(&busy_wg);
}

static void test_handoff_under_load(void)
{
    enum { WINDOWS = 8 };
    long n = scaled(20000, 10);
    goro_waitgroup_add(&busy_wg, n);
    for (long i = 0; i < n; i++)
        CHECK(goro_go(i % 2 ? busy_trier : busy_locker, NULL) == 0);
    /* Acquisitions per 250 ms: none may fall below 1% of the best. */
    long counts[WINDOWS], best = 0, last = atomic_load(&busy_acquired);
    for (int w = 0; w < WINDOWS; w++) {
        goro_sleep(250 * GORO_MILLISECOND);
        long now = atomic_load(&busy_acquired);
        counts[w] = now - last;
        last = now;
        if (counts[w] > best)
            best = counts[w];
    }
    atomic_store(&busy_stop, 1);
    goro_waitgroup_wait(&busy_wg);
    for (int w = 0; w < WINDOWS; w++)
        if (counts[w] < best / 100) {
            fprintf(stderr, "test_mutex: %ld goroutines: %ld acquisitions in 250 ms window %d, "
                    "%ld in the best one\n", n, counts[w], w, best);
            exit(1);
        }
    CHECK_EQ(busy_mu.state_, 0);
}

/* ---- Goroutines and threads together ---------------------------------------- */

#define NCOUNTERS 3
static goro_mutex cmu[NCOUNTERS];
static long counter[NCOUNTERS];       /* plain longs: the mutexes protect them */
static long per_worker;

static void bump(int k, long i)
{
    goro_mutex *m = &cmu[k];
    switch (i % 4) {
    case 0:
        while (goro_mutex_trylock(m) != 0)
            goro_yield();
        break;
    case 1:
        CHECK_EQ(goro_mutex_lock_until(m, goro_now() + GORO_MINUTE), 0);
        break;
    case 2:
        /* A short deadline: either it times out or it gets the lock. */
        while (goro_mutex_lock_until(m, goro_now() + 20 * GORO_MICROSECOND) != 0)
            goro_yield();
        break;
    default:
        goro_mutex_lock(m);
    }
    counter[k]++;
    goro_mutex_unlock(m);
}

static void mixed_worker(long id)
{
    for (long i = 0; i < per_worker; i++)
        bump((int)((i + id) % NCOUNTERS), i + id);
}

static void test_mixed(void)
{
    enum { THREADS = 3, GOROUTINES = 8 };
    per_worker = scaled(30000, 30);
    run_goroutines_and_threads(mixed_worker, GOROUTINES, THREADS);
    long total = 0;
    for (int k = 0; k < NCOUNTERS; k++) {
        total += counter[k];
        CHECK_EQ(cmu[k].state_, 0);
    }
    CHECK_EQ(total, per_worker * (THREADS + GOROUTINES));
}

/* Locked by a thread, unlocked by a goroutine; and the other way round. */
static goro_mutex handover;
static void unlock_it(void *arg)
{
    (void)arg;
    goro_mutex_unlock(&handover);
    goro_waitgroup_done(&wg);
}

static void lock_it(void *arg)
{
    (void)arg;
    goro_mutex_lock(&handover);
    goro_waitgroup_done(&wg);
}

static void test_handover(void)
{
    goro_mutex_lock(&handover);
    goro_waitgroup_add(&wg, 1);
    CHECK(goro_go(unlock_it, NULL) == 0);
    goro_waitgroup_wait(&wg);
    goro_waitgroup_add(&wg, 1);
    CHECK(goro_go(lock_it, NULL) == 0);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(goro_mutex_trylock(&handover), GORO_EAGAIN);
    goro_mutex_unlock(&handover);
    CHECK_EQ(handover.state_, 0);
}

/* ---- lock_until ------------------------------------------------------------ */

static goro_mutex tmu;

static void timeout_checks(long id)
{
    (void)id;
    int64_t t0 = goro_now();
    CHECK_EQ(goro_mutex_lock_until(&tmu, t0 + 5 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    CHECK(goro_now() - t0 >= 5 * GORO_MILLISECOND);
    /* A deadline already past fails at once. */
    t0 = goro_now();
    CHECK_EQ(goro_mutex_lock_until(&tmu, t0 - GORO_SECOND), GORO_ETIMEDOUT);
    CHECK_EQ(goro_mutex_trylock(&tmu), GORO_EAGAIN);
}


static _Atomic int got_it;
static void lock_in_time(void *arg)
{
    (void)arg;
    CHECK_EQ(goro_mutex_lock_until(&tmu, goro_now() + 10 * GORO_SECOND), 0);
    atomic_store(&got_it, 1);
    goro_mutex_unlock(&tmu);
    goro_waitgroup_done(&wg);
}

/* Many short lock_until calls racing a lock/unlock loop. */
static goro_mutex race_mu;
static long race_count;
static _Atomic long race_timeouts;

static void race_until(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        if (goro_mutex_lock_until(&race_mu, goro_now() + (i % 5) * GORO_MICROSECOND) == 0) {
            race_count++;
            goro_mutex_unlock(&race_mu);
        } else {
            atomic_fetch_add(&race_timeouts, 1);
        }
    }
    goro_waitgroup_done(&wg);
}

static void race_locker(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        goro_mutex_lock(&race_mu);
        race_count++;
        if (i % 3 == 0)
            goro_yield();
        goro_mutex_unlock(&race_mu);
    }
    goro_waitgroup_done(&wg);
}

static void *race_thread(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        if (goro_mutex_lock_until(&race_mu, goro_now() + (i % 3) * 10 * GORO_MICROSECOND) == 0) {
            race_count++;
            goro_mutex_unlock(&race_mu);
        } else {
            atomic_fetch_add(&race_timeouts, 1);
        }
    }
    return NULL;
}

static void test_lock_until(void)
{
    goro_mutex_lock(&tmu);   /* held by main (a plain thread) */
    run_goroutines_and_threads(timeout_checks, 1, 1);
    CHECK_EQ(tmu.state_, 1);  /* locked, nobody left waiting */

    goro_waitgroup_add(&wg, 1);
    CHECK(goro_go(lock_in_time, NULL) == 0);
    goro_sleep(2 * GORO_MILLISECOND);
    CHECK_EQ(atomic_load(&got_it), 0);
    goro_mutex_unlock(&tmu);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&got_it), 1);

    /* Free: a past deadline still takes it. */
    CHECK_EQ(goro_mutex_lock_until(&tmu, goro_now() - GORO_SECOND), 0);
    goro_mutex_unlock(&tmu);
    CHECK_EQ(tmu.state_, 0);

    long n = scaled(20000, 20), expect_locked = 0;
    goro_waitgroup_add(&wg, 4);
    for (int i = 0; i < 2; i++) {
        CHECK(goro_go(race_until, (void *)n) == 0);
        CHECK(goro_go(race_locker, (void *)n) == 0);
    }
    expect_locked += 2 * n;
    pthread_t th;
    CHECK(pthread_create(&th, NULL, race_thread, (void *)n) == 0);
    pthread_join(th, NULL);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(race_count + atomic_load(&race_timeouts), expect_locked + 3 * n);
    CHECK_EQ(race_mu.state_, 0);
    CHECK(race_mu.head_ == NULL && race_mu.tail_ == NULL);
}

/* ---- Freed by its last user -------------------------------------------------- */

struct obj {
    goro_mutex mu;
    int refs;                  /* under mu */
};

static void drop_ref(struct obj *o, long i)
{
    /* Each failed try yields: goroutines are not preempted, and a retry
     * loop must let the goroutine it may be waiting for run. */
    while (goro_mutex_lock_until(&o->mu, goro_now() + (i % 4) * GORO_MICROSECOND) != 0)
        goro_yield();
    bool last = --o->refs == 0;
    goro_mutex_unlock(&o->mu);
    if (last)
        free(o);
}

static void drop_goroutine(void *arg)
{
    drop_ref(*(struct obj **)arg, goro_id());
    goro_waitgroup_done(&wg);
}

static void *drop_thread(void *arg)
{
    drop_ref(arg, 1);
    return NULL;
}

static void test_free_after_unlock(void)
{
    long rounds = scaled(1000, 10);
    for (long r = 0; r < rounds; r++) {
        struct obj *o = calloc(1, sizeof *o);
        CHECK(o != NULL);
        o->refs = 5;
        goro_mutex_lock(&o->mu);      /* everybody queues behind main */
        goro_waitgroup_add(&wg, 3);
        for (int i = 0; i < 3; i++)
            CHECK(goro_go_copy(drop_goroutine, &o, sizeof o) == 0);
        pthread_t th;
        if (r % 8 == 0)
            CHECK(pthread_create(&th, NULL, drop_thread, o) == 0);
        else
            o->refs--;
        if (r % 2)
            goro_yield();
        o->refs--;
        goro_mutex_unlock(&o->mu);    /* o may be gone from here on */
        if (r % 8 == 0)
            pthread_join(th, NULL);
        goro_waitgroup_wait(&wg);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "unlock"))
            misuse_unlock();
        else if (!strcmp(argv[1], "unlock2"))
            misuse_unlock2();
        else if (!strcmp(argv[1], "unlock2-goroutine"))
            run_main(misuse_in_goroutine, NULL);
        return 0;   /* not reached when the misuse is caught */
    }

    CHECK_EQ(goro_mutex_trylock(NULL), GORO_EINVAL);
    CHECK_EQ(goro_mutex_lock_until(NULL, GORO_FOREVER), GORO_EINVAL);

    test_mutex();
    expect_fatal("unlock", "sync: unlock of unlocked mutex", "test_mutex.c", LINE_UNLOCK);
    expect_fatal("unlock2", "sync: unlock of unlocked mutex", "test_mutex.c", LINE_UNLOCK2);
    expect_fatal("unlock2-goroutine", "sync: unlock of unlocked mutex", "test_mutex.c",
                 LINE_UNLOCK2);
    test_fairness();
    test_handoff_under_load();
    test_mixed();
    test_handover();
    test_lock_until();
    test_free_after_unlock();
    TEST_PASS("test_mutex");
}
