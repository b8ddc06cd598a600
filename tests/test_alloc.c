/* SPDX-License-Identifier: MIT */
/*
 * test_alloc.c: allocation failure. With the runtime's allocator made to
 * fail (goro__alloc_fail_after), goro_go, goro_go_copy and
 * goro_waitgroup_go return GORO_ENOMEM and change nothing (the WaitGroup
 * counter and the goroutine count are unchanged); once allocation works
 * again the runtime is fully usable.
 */
// ctest-labels: sched
#include <stdatomic.h>
#include "testutil.h"
#include "base/base.h"

static _Atomic int ran;
static goro_waitgroup wg;

static void count(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ran, 1);
}

static void inside(void *arg)
{
    (void)arg;
    char big[400] = {0};
    goro__alloc_fail_after(0);
    CHECK_EQ(goro_go(count, NULL), GORO_ENOMEM);
    CHECK_EQ(goro_go_copy(count, big, sizeof big), GORO_ENOMEM);
    goro_waitgroup inner = {0};
    CHECK_EQ(goro_waitgroup_go(&inner, count, NULL), GORO_ENOMEM);
    CHECK_EQ(goro_waitgroup_wait_until(&inner, goro_now()), 0);   /* counter still 0 */
    goro__alloc_fail_after(-1);
    CHECK_EQ(goro_waitgroup_go(&inner, count, NULL), 0);
    goro_waitgroup_wait(&inner);
}

int main(void)
{
    goro_maxprocs(0);
    goro__alloc_fail_after(0);
    CHECK_EQ(goro_go(count, NULL), GORO_ENOMEM);
    CHECK_EQ(goro_num_goroutine(), 0);
    goro__alloc_fail_after(-1);

    run_main(inside, NULL);
    CHECK_EQ(atomic_load(&ran), 1);

    for (int i = 0; i < 1000; i++)
        CHECK_EQ(goro_waitgroup_go(&wg, count, NULL), 0);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(atomic_load(&ran), 1001);
    TEST_PASS("test_alloc");
}
