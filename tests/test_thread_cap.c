// SPDX-License-Identifier: MIT
// ctest-labels: sched
/*
 * test_thread_cap.c: at the thread cap (GOROMAXTHREADS=2, set before the
 * runtime starts), a wired goroutine (goro_lock_os_thread) starts eight
 * goroutines, which queue on its P, and parks: its M hands the P on, but
 * the only other thread is busy with a CPU hog, so no M can be had for
 * it. The eight must still run once the hog ends. They once stayed in the
 * idle P's own queue, which thieves skip: the hog's M, out of work,
 * kept finding them in its rescan and taking the other idle P, spinning
 * for good (4 to 6 of 8 ran in 5 s, 3 of 3 runs).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include "testutil.h"

static _Atomic int ran;
static goro_chan *park;

static void spin_ms(int ms)
{
    int64_t end = goro_now() + ms * GORO_MILLISECOND;
    while (goro_now() < end)
        ;
}

static void child(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ran, 1);
}

static void hog(void *arg)
{
    (void)arg;
    spin_ms(300);
}

static void wired(void *arg)
{
    (void)arg;
    goro_lock_os_thread();
    for (int i = 0; i < 8; i++)
        CHECK(goro_go(child, NULL) == 0);
    int v;
    CHECK_EQ(goro_chan_recv(park, &v), 0);
    goro_unlock_os_thread();
}

int main(void)
{
    /* Before the first goro call: the runtime reads them when it starts. */
    setenv("GOROMAXTHREADS", "2", 1);
    setenv("GOROMAXPROCS", "2", 1);
    park = goro_chan_make(sizeof(int), 0);
    CHECK(park);
    CHECK(goro_go(hog, NULL) == 0);
    spin_ms(20);   /* the hog holds the second thread */
    CHECK(goro_go(wired, NULL) == 0);
    int64_t end = goro_now() + 20 * GORO_SECOND;
    while (atomic_load(&ran) < 8 && goro_now() < end)
        goro_sleep(GORO_MILLISECOND);
    printf("%d of 8 goroutines ran\n", atomic_load(&ran));
    CHECK_EQ(atomic_load(&ran), 8);
    int v = 1;
    CHECK_EQ(goro_chan_send(park, &v), 0);
    return 0;
}
