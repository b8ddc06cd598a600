// SPDX-License-Identifier: MIT
// ctest-labels: sched
/*
 * test_handoff_procs.c: a direct hand-off (goro__ready_handoff, what a
 * starving goro_mutex's unlock does) while GOMAXPROCS shrinks and grows
 * under it. The waker checks that its P is not being retired, then
 * switches to the woken goroutine; a shrink landing between that check and
 * the switch once made the switch drop the woken goroutine: RUNNABLE and in
 * no queue, so it never ran again (found by the soak: a cond round stuck
 * behind the mutex's new owner). Every hand-off must reach its goroutine.
 */
#include <pthread.h>
#include <stdatomic.h>
#include "testutil.h"
#include "wait/wait.h"

static _Atomic(goro__waiter *) slot;   /* the waiter's published record */
static _Atomic long woken;             /* hand-offs received */
static _Atomic int done;
static long rounds;

static void waiter(void *arg)
{
    (void)arg;
    for (long i = 0; i < rounds; i++) {
        goro__waiter w;
        goro__waiter_init(&w);
        atomic_store_explicit(&slot, &w, memory_order_release);
        goro__waiter_block(&w, GORO_FOREVER, GORO_WAIT_MUTEX, NULL);
        atomic_fetch_add_explicit(&woken, 1, memory_order_relaxed);
    }
}

static void waker(void *arg)
{
    (void)arg;
    for (long i = 0; i < rounds; i++) {
        goro__waiter *w;
        while (!(w = atomic_exchange_explicit(&slot, NULL, memory_order_acquire)))
            goro_yield();
        CHECK(goro__waiter_claim(w));
        goro__waiter_wake_handoff(w);
    }
}

/* A plain thread: GOMAXPROCS 1, 2, 1, 2... as fast as it can, so that the
 * P of the waker is retired at every point of its hand-off. */
static void *toggler(void *arg)
{
    (void)arg;
    for (int n = 0; !atomic_load_explicit(&done, memory_order_relaxed); n++)
        goro_maxprocs(1 + (n & 1));
    return NULL;
}

int main(void)
{
    rounds = scaled(2000000, 20);
    goro_waitgroup wg = { 0 };
    pthread_t t;
    CHECK(pthread_create(&t, NULL, toggler, NULL) == 0);
    CHECK(goro_waitgroup_go(&wg, waiter, NULL) == 0);
    CHECK(goro_waitgroup_go(&wg, waker, NULL) == 0);
    /* A lost hand-off stops the count for good: fail after 10 s without
     * one (a loaded machine still makes thousands a second). */
    long last = -1;
    int64_t since = goro_now();
    int r;
    while ((r = goro_waitgroup_wait_until(&wg, goro_now() + 100 * GORO_MILLISECOND)) != 0) {
        long now_woken = atomic_load(&woken);
        if (now_woken != last) {
            last = now_woken;
            since = goro_now();
        } else if (goro_now() - since > 10 * GORO_SECOND) {
            break;
        }
    }
    atomic_store(&done, 1);
    pthread_join(t, NULL);
    if (r != 0) {
        fprintf(stderr, "hand-offs lost: %ld of %ld arrived\n", atomic_load(&woken), rounds);
        goro_dump(stderr);
        return 1;
    }
    CHECK_EQ(atomic_load(&woken), rounds);
    printf("ok: %ld hand-offs while GOMAXPROCS changed\n", rounds);
    return 0;
}
