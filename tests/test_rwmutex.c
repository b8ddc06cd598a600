/* SPDX-License-Identifier: MIT */
/*
 * test_rwmutex.c: goro_rwmutex (Go's sync.RWMutex).
 *  - TestRWMutex: tryrlock/trylock against a free, read-locked and
 *    write-locked lock, then the hammer (2 writers, 1/3/5/10 readers,
 *    GOMAXPROCS 1, 4 and 10) checking that a writer is always alone;
 *  - TestParallelReaders: 1, 3 and 4 readers hold the read lock at the
 *    same time (at GOMAXPROCS 4, 4 and 2);
 *  - TestMutexMisuse's RWMutex cases, in child processes: unlock of an
 *    unlocked lock, unlock after rlock, double unlock, runlock of an
 *    unlocked lock, runlock after lock, double runlock; each aborts with
 *    Go's message and the call site;
 *  - writer preference: a waiting writer holds back new readers
 *    (tryrlock fails, rlock_until times out), the readers that queued
 *    behind a writer go before the next writer, and a writer that gives
 *    up lets the readers it held back in;
 *  - rlock_until / lock_until time out no earlier than their deadline;
 *  - goroutines and plain threads together: writers' updates are exact and
 *    readers never see a half-done update;
 *  - an RWMutex may be freed by whoever takes it last: refcounted objects
 *    freed by their last user while the others read and write with short
 *    deadlines (ASan would see an unlock touching freed memory).
 */
// ctest-labels: sync
#include <pthread.h>
#include <stdatomic.h>
#include "misuse.h"
#include "testutil.h"

static goro_waitgroup wg;

/* ---- TestRWMutex -------------------------------------------------------- */

static goro_rwmutex hrw;
static _Atomic int activity;   /* active readers + 10000 * active writers */
static long hammer_iters;

static void spin_a_bit(void)
{
    for (volatile int i = 0; i < 100; i++)
        ;
}

static void reader(void *arg)
{
    (void)arg;
    for (long i = 0; i < hammer_iters; i++) {
        goro_rwmutex_rlock(&hrw);
        int n = atomic_fetch_add(&activity, 1) + 1;
        CHECK(n >= 1 && n < 10000);
        spin_a_bit();
        if (i % 5 == 0)
            goro_yield();
        atomic_fetch_sub(&activity, 1);
        goro_rwmutex_runlock(&hrw);
    }
    goro_waitgroup_done(&wg);
}

static void writer(void *arg)
{
    (void)arg;
    for (long i = 0; i < hammer_iters; i++) {
        goro_rwmutex_lock(&hrw);
        int n = atomic_fetch_add(&activity, 10000) + 10000;
        CHECK_EQ(n, 10000);
        spin_a_bit();
        if (i % 5 == 0)
            goro_yield();
        atomic_fetch_sub(&activity, 10000);
        goro_rwmutex_unlock(&hrw);
    }
    goro_waitgroup_done(&wg);
}

static void hammer_rwmutex(int procs, int readers)
{
    goro_maxprocs(procs);
    goro_waitgroup_add(&wg, 2 + readers);
    CHECK(goro_go(writer, NULL) == 0);
    int i;
    for (i = 0; i < readers / 2; i++)
        CHECK(goro_go(reader, NULL) == 0);
    CHECK(goro_go(writer, NULL) == 0);
    for (; i < readers; i++)
        CHECK(goro_go(reader, NULL) == 0);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(hrw.state_, 0);
}

static void test_rwmutex(void)
{
    goro_rwmutex m = {0};
    goro_rwmutex_lock(&m);
    CHECK_EQ(goro_rwmutex_trylock(&m), GORO_EAGAIN);
    CHECK_EQ(goro_rwmutex_tryrlock(&m), GORO_EAGAIN);
    goro_rwmutex_unlock(&m);
    CHECK_EQ(goro_rwmutex_trylock(&m), 0);
    goro_rwmutex_unlock(&m);
    CHECK_EQ(goro_rwmutex_tryrlock(&m), 0);
    CHECK_EQ(goro_rwmutex_tryrlock(&m), 0);
    CHECK_EQ(goro_rwmutex_trylock(&m), GORO_EAGAIN);
    goro_rwmutex_runlock(&m);
    goro_rwmutex_runlock(&m);
    CHECK_EQ(m.state_, 0);

    int old = goro_maxprocs(0);
    hammer_iters = scaled(1000, 20);
    static const int cases[][2] = {
        {1, 1}, {1, 3}, {1, 10}, {4, 1}, {4, 3}, {4, 10},
        {10, 1}, {10, 3}, {10, 10}, {10, 5},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        hammer_rwmutex(cases[k][0], cases[k][1]);
    goro_maxprocs(old);
}

/* ---- TestParallelReaders -------------------------------------------------- */

static goro_rwmutex prw;
static goro_waitgroup clocked, cunlock;

static void parallel_reader(void *arg)
{
    (void)arg;
    goro_rwmutex_rlock(&prw);
    goro_waitgroup_done(&clocked);
    goro_waitgroup_wait(&cunlock);   /* hold it until every reader has it */
    goro_rwmutex_runlock(&prw);
    goro_waitgroup_done(&wg);
}

static void parallel_readers(int readers, int procs)
{
    int old = goro_maxprocs(procs);
    goro_waitgroup_add(&clocked, readers);
    goro_waitgroup_add(&cunlock, 1);
    goro_waitgroup_add(&wg, readers);
    for (int i = 0; i < readers; i++)
        CHECK(goro_go(parallel_reader, NULL) == 0);
    goro_waitgroup_wait(&clocked);            /* all hold the read lock at once */
    CHECK_EQ(prw.state_, readers);
    goro_waitgroup_done(&cunlock);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(prw.state_, 0);
    goro_maxprocs(old);
}

/* ---- Misuse (child modes) -------------------------------------------------- */

enum { L_UNLOCK = __LINE__ + 1 };
static void m_unlock(goro_rwmutex *m) { goro_rwmutex_unlock(m); }
enum { L_RUNLOCK = __LINE__ + 1 };
static void m_runlock(goro_rwmutex *m) { goro_rwmutex_runlock(m); }

static void misuse(const char *mode)
{
    goro_rwmutex m = {0};
    if (!strcmp(mode, "Unlock")) {
        m_unlock(&m);
    } else if (!strcmp(mode, "Unlock2")) {
        goro_rwmutex_rlock(&m);
        m_unlock(&m);
    } else if (!strcmp(mode, "Unlock3")) {
        goro_rwmutex_lock(&m);
        goro_rwmutex_unlock(&m);
        m_unlock(&m);
    } else if (!strcmp(mode, "RUnlock")) {
        m_runlock(&m);
    } else if (!strcmp(mode, "RUnlock2")) {
        goro_rwmutex_lock(&m);
        m_runlock(&m);
    } else if (!strcmp(mode, "RUnlock3")) {
        goro_rwmutex_rlock(&m);
        goro_rwmutex_runlock(&m);
        m_runlock(&m);
    }
}

static void test_misuse(void)
{
    static const char *unlocks[] = {"Unlock", "Unlock2", "Unlock3"};
    static const char *runlocks[] = {"RUnlock", "RUnlock2", "RUnlock3"};
    for (int i = 0; i < 3; i++) {
        expect_fatal(unlocks[i], "sync: Unlock of unlocked RWMutex", "test_rwmutex.c", L_UNLOCK);
        expect_fatal(runlocks[i], "sync: RUnlock of unlocked RWMutex", "test_rwmutex.c",
                     L_RUNLOCK);
    }
}

/* ---- Writer preference ---------------------------------------------------- */

static goro_rwmutex wrw;
static _Atomic int order[8], norder;

static void record(int who)
{
    order[atomic_fetch_add(&norder, 1)] = who;
}

static void pref_writer(void *arg)
{
    int who = (int)(long)arg;
    goro_rwmutex_lock(&wrw);
    record(who);
    goro_sleep(GORO_MILLISECOND);
    goro_rwmutex_unlock(&wrw);
    goro_waitgroup_done(&wg);
}

static void pref_reader(void *arg)
{
    int who = (int)(long)arg;
    goro_rwmutex_rlock(&wrw);
    record(who);
    goro_sleep(GORO_MILLISECOND);
    goro_rwmutex_runlock(&wrw);
    goro_waitgroup_done(&wg);
}

#define wait_state(m, mask, want) wait_state_at(m, mask, want, __LINE__)
static void wait_state_at(goro_rwmutex *m, uint32_t mask, uint32_t want, int line)
{
    for (int i = 0; i < 10000 && (m->state_ & mask) != want; i++)
        goro_sleep(100 * GORO_MICROSECOND);
    if ((m->state_ & mask) != want) {
        fprintf(stderr, "%s:%d: RWMutex state %#x, want %#x under mask %#x\n", __FILE__, line,
                m->state_, want, mask);
        exit(1);
    }
}

#define RW_WWAIT (1u << 29)
#define RW_RWAIT (1u << 30)

static void test_writer_preference(void)
{
    /* main holds a read lock; writer 1 queues; reader 2 and writer 3
     * queue behind it. Order: 1, then 2 (readers first), then 3. */
    goro_rwmutex_rlock(&wrw);
    goro_waitgroup_add(&wg, 3);
    CHECK(goro_go(pref_writer, (void *)1L) == 0);
    wait_state(&wrw, RW_WWAIT, RW_WWAIT);
    CHECK_EQ(goro_rwmutex_tryrlock(&wrw), GORO_EAGAIN);
    int64_t t0 = goro_now();
    CHECK_EQ(goro_rwmutex_rlock_until(&wrw, t0 + 3 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    CHECK(goro_now() - t0 >= 3 * GORO_MILLISECOND);
    CHECK(goro_go(pref_reader, (void *)2L) == 0);
    wait_state(&wrw, RW_RWAIT, RW_RWAIT);
    CHECK(goro_go(pref_writer, (void *)3L) == 0);
    goro_sleep(2 * GORO_MILLISECOND);
    CHECK_EQ(atomic_load(&norder), 0);
    goro_rwmutex_runlock(&wrw);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&norder), 3);
    CHECK_EQ(order[0], 1);
    CHECK_EQ(order[1], 2);
    CHECK_EQ(order[2], 3);
    CHECK_EQ(wrw.state_, 0);
}

static goro_rwmutex grw;
static _Atomic int reader_in;

static void give_up_writer(void *arg)
{
    (void)arg;
    int64_t t0 = goro_now();
    CHECK_EQ(goro_rwmutex_lock_until(&grw, t0 + 20 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    CHECK(goro_now() - t0 >= 20 * GORO_MILLISECOND);
    goro_waitgroup_done(&wg);
}

static void held_back_reader(void *arg)
{
    (void)arg;
    goro_rwmutex_rlock(&grw);
    atomic_store(&reader_in, 1);
    goro_rwmutex_runlock(&grw);
    goro_waitgroup_done(&wg);
}

static void test_writer_gives_up(void)
{
    goro_rwmutex_rlock(&grw);                 /* main: a reader that stays */
    goro_waitgroup_add(&wg, 2);
    CHECK(goro_go(give_up_writer, NULL) == 0);
    wait_state(&grw, RW_WWAIT, RW_WWAIT);
    CHECK(goro_go(held_back_reader, NULL) == 0);
    wait_state(&grw, RW_RWAIT, RW_RWAIT);     /* held back by the writer */
    CHECK_EQ(atomic_load(&reader_in), 0);
    goro_waitgroup_wait(&wg);                 /* writer gave up; reader got in */
    CHECK_EQ(atomic_load(&reader_in), 1);
    CHECK_EQ(grw.state_, 1);                  /* only main's read lock */
    goro_rwmutex_runlock(&grw);

    /* rlock_until against a writer. */
    goro_rwmutex_lock(&grw);
    int64_t t0 = goro_now();
    CHECK_EQ(goro_rwmutex_rlock_until(&grw, t0 + 3 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    CHECK(goro_now() - t0 >= 3 * GORO_MILLISECOND);
    CHECK_EQ(goro_rwmutex_lock_until(&grw, t0), GORO_ETIMEDOUT);
    goro_rwmutex_unlock(&grw);
    CHECK_EQ(grw.state_, 0);
}

/* ---- Goroutines and threads together ---------------------------------------- */

static goro_rwmutex mrw;
static long a, b;            /* writers keep a == b; protected by mrw */
static long mixed_iters;

static void mixed(long id)
{
    for (long i = 0; i < mixed_iters; i++) {
        if ((i + id) % 4 == 0) {
            if (i % 3 == 0)
                CHECK_EQ(goro_rwmutex_lock_until(&mrw, goro_now() + GORO_MINUTE), 0);
            else if (i % 3 == 1)
                while (goro_rwmutex_trylock(&mrw) != 0)
                    goro_yield();
            else
                goro_rwmutex_lock(&mrw);
            a++;
            b++;
            goro_rwmutex_unlock(&mrw);
        } else {
            if (i % 2)
                goro_rwmutex_rlock(&mrw);
            else
                while (goro_rwmutex_rlock_until(&mrw, goro_now() + 10 * GORO_MICROSECOND) != 0)
                    goro_yield();
            CHECK_EQ(a, b);
            goro_rwmutex_runlock(&mrw);
        }
    }
}

static void test_mixed(void)
{
    enum { THREADS = 3, GOROUTINES = 8 };
    mixed_iters = scaled(20000, 40);
    run_goroutines_and_threads(mixed, GOROUTINES, THREADS);
    long writes = 0;
    for (long id = 0; id < THREADS + GOROUTINES; id++)
        for (long i = 0; i < mixed_iters; i++)
            writes += (i + id) % 4 == 0;
    CHECK_EQ(a, writes);
    CHECK_EQ(b, writes);
    CHECK_EQ(mrw.state_, 0);
}

/* ---- Freed by its last user -------------------------------------------------- */

struct obj {
    goro_rwmutex rw;
    int refs;                  /* under rw (write) */
    int data;                  /* under rw */
};

static void use_and_drop(struct obj *o, long i)
{
    /* Each failed try yields: goroutines are not preempted, and a retry
     * loop must let the goroutine it may be waiting for run. */
    while (goro_rwmutex_rlock_until(&o->rw, goro_now() + (i % 3) * GORO_MICROSECOND) != 0)
        goro_yield();
    CHECK_EQ(o->data, 42);
    goro_rwmutex_runlock(&o->rw);
    while (goro_rwmutex_lock_until(&o->rw, goro_now() + (i % 4) * GORO_MICROSECOND) != 0)
        goro_yield();
    bool last = --o->refs == 0;
    goro_rwmutex_unlock(&o->rw);
    if (last)
        free(o);
}

static void use_goroutine(void *arg)
{
    use_and_drop(*(struct obj **)arg, (long)goro_id());
    goro_waitgroup_done(&wg);
}

static void *use_thread(void *arg)
{
    use_and_drop(arg, 1);
    return NULL;
}

static void test_free_after_unlock(void)
{
    long rounds = scaled(300, 3);
    for (long r = 0; r < rounds; r++) {
        struct obj *o = calloc(1, sizeof *o);
        CHECK(o != NULL);
        o->refs = 5;
        o->data = 42;
        if (r % 2)
            goro_rwmutex_rlock(&o->rw);   /* readers get in, writers queue */
        else
            goro_rwmutex_lock(&o->rw);    /* everybody queues */
        goro_waitgroup_add(&wg, 3);
        for (int i = 0; i < 3; i++)
            CHECK(goro_go_copy(use_goroutine, &o, sizeof o) == 0);
        pthread_t th;
        bool thread = r % 8 == 0;
        if (thread)
            CHECK(pthread_create(&th, NULL, use_thread, o) == 0);
        goro_yield();
        if (r % 2) {
            goro_rwmutex_runlock(&o->rw);
            goro_rwmutex_lock(&o->rw);
        }
        o->refs -= thread ? 1 : 2;
        bool last = o->refs == 0;
        goro_rwmutex_unlock(&o->rw);      /* o may be gone from here on */
        if (last)
            free(o);
        if (thread)
            pthread_join(th, NULL);
        goro_waitgroup_wait(&wg);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        misuse(argv[1]);
        return 0;   /* not reached when the misuse is caught */
    }
    CHECK_EQ(goro_rwmutex_tryrlock(NULL), GORO_EINVAL);
    CHECK_EQ(goro_rwmutex_trylock(NULL), GORO_EINVAL);
    CHECK_EQ(goro_rwmutex_rlock_until(NULL, GORO_FOREVER), GORO_EINVAL);
    CHECK_EQ(goro_rwmutex_lock_until(NULL, GORO_FOREVER), GORO_EINVAL);

    test_rwmutex();
    parallel_readers(1, 4);
    parallel_readers(3, 4);
    parallel_readers(4, 2);
    test_misuse();
    test_writer_preference();
    test_writer_gives_up();
    test_mixed();
    test_free_after_unlock();
    TEST_PASS("test_rwmutex");
}
