/* SPDX-License-Identifier: MIT */
/*
 * test_spawn.c: goroutine creation and join.
 *  - 1,000,000 goroutines spawned from a goroutine and joined, each counted
 *    exactly once;
 *  - a tree of goroutines spawned from goroutines;
 *  - goroutines spawned from several plain threads at once;
 *  - goro_go_copy copies small, large and huge arguments;
 *  - ids are unique and non-zero; goro_id is 0 on a plain thread;
 *  - goro_num_goroutine returns to 0 once all have ended;
 *  - bad input: NULL fn is GORO_EINVAL.
 */
// ctest-labels: sched
#include <pthread.h>
#include <stdatomic.h>
#include "testutil.h"

static _Atomic long hits;
static goro_waitgroup wg;

static void leaf(void *arg)
{
    (void)arg;
    atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
    goro_waitgroup_done(&wg);
}

static void spawner(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        goro_waitgroup_add(&wg, 1);
        CHECK(goro_go(leaf, NULL) == 0);
    }
}

static void tree(void *arg)
{
    long depth = (long)arg;
    atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
    if (depth > 0) {
        for (int i = 0; i < 3; i++) {
            goro_waitgroup_add(&wg, 1);
            CHECK(goro_go(tree, (void *)(depth - 1)) == 0);
        }
    }
    goro_waitgroup_done(&wg);
}

#define THREADS 4
static void *thread_spawner(void *arg)
{
    spawner(arg);
    return NULL;
}

struct big { long v[40]; };      /* 320 bytes: past the inline sizes */
struct mid { long v[8]; };       /* 64 bytes: the big G class */
static _Atomic long sum;

static void take_mid(void *arg)
{
    struct mid *m = arg;
    for (int i = 0; i < 8; i++)
        atomic_fetch_add(&sum, m->v[i]);
    goro_waitgroup_done(&wg);
}

static void take_big(void *arg)
{
    struct big *b = arg;
    for (int i = 0; i < 40; i++)
        atomic_fetch_add(&sum, b->v[i]);
    goro_waitgroup_done(&wg);
}

static void take_int(void *arg)
{
    atomic_fetch_add(&sum, *(int *)arg);
    goro_waitgroup_done(&wg);
}

#define NIDS 1000
static uint64_t ids[NIDS];

static void record_id(void *arg)
{
    ids[*(int *)arg] = goro_id();
    goro_waitgroup_done(&wg);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    CHECK(goro_go(NULL, NULL) == GORO_EINVAL);
    CHECK(goro_go_copy(leaf, NULL, 8) == GORO_EINVAL);
    CHECK(goro_id() == 0);

    long n = scaled(1000000, 50);
    run_main(spawner, (void *)n);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&hits), n);

    /* tree: 1 + 3 + 9 + ... + 3^8 */
    atomic_store(&hits, 0);
    goro_waitgroup_add(&wg, 1);
    CHECK(goro_go(tree, (void *)8L) == 0);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&hits), (6561 * 3 - 1) / 2);

    /* plain threads at once */
    atomic_store(&hits, 0);
    long per = scaled(50000, 50);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, thread_spawner, (void *)per) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&hits), per * THREADS);

    /* copies: the caller's variable changes right after each spawn */
    long expect = 0;
    for (int i = 0; i < 100; i++) {
        goro_waitgroup_add(&wg, 3);
        CHECK(goro_go_copy(take_int, &i, sizeof i) == 0);
        expect += i;
        struct mid m;
        for (int k = 0; k < 8; k++)
            expect += m.v[k] = i * 8 + k;
        CHECK(goro_go_copy(take_mid, &m, sizeof m) == 0);
        memset(&m, 0xff, sizeof m);
        struct big b;
        for (int k = 0; k < 40; k++)
            expect += b.v[k] = i + k;
        CHECK(goro_go_copy(take_big, &b, sizeof b) == 0);
        memset(&b, 0xff, sizeof b);
    }
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&sum), expect);

    for (int i = 0; i < NIDS; i++) {
        goro_waitgroup_add(&wg, 1);
        CHECK(goro_go_copy(record_id, &i, sizeof i) == 0);
    }
    goro_waitgroup_wait(&wg);
    qsort(ids, NIDS, sizeof ids[0], cmp_u64);
    CHECK(ids[0] != 0);
    for (int i = 1; i < NIDS; i++)
        CHECK(ids[i] != ids[i - 1]);

    /* The last goroutine may still be switching out after its done(). */
    for (int i = 0; i < 1000 && goro_num_goroutine() != 0; i++)
        goro_sleep(GORO_MILLISECOND);
    CHECK_EQ(goro_num_goroutine(), 0);
    TEST_PASS("test_spawn");
}
