/* SPDX-License-Identifier: MIT */
/*
 * test_errno.c: errno belongs to the goroutine. Each goroutine sets its own
 * errno, parks (sleep, yield) many times, typically resuming on another
 * thread at GOMAXPROCS=2, and finds its value again. Built at -O2; errno is
 * written and read in functions that are not inlined, since a compiler may
 * keep errno's (per-thread) address across a call within one function (see
 * docs/guide.md).
 */
// ctest-labels: sched
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include "testutil.h"

static goro_waitgroup wg;
static _Atomic int migrated;

__attribute__((noinline)) static void set_errno(int v) { errno = v; }
__attribute__((noinline)) static int get_errno(void) { return errno; }

static void worker(void *arg)
{
    int mine = 1000 + *(int *)arg;
    pthread_t first = pthread_self();
    for (int i = 0; i < 200; i++) {
        set_errno(mine);
        if (i % 2)
            goro_sleep(GORO_MICROSECOND * (i % 5));
        else
            goro_yield();
        CHECK_EQ(get_errno(), mine);
        if (!pthread_equal(first, pthread_self()))
            atomic_store(&migrated, 1);
    }
    goro_waitgroup_done(&wg);
}

int main(void)
{
    int n = 16;
    goro_waitgroup_add(&wg, n);
    for (int i = 0; i < n; i++)
        CHECK(goro_go_copy(worker, &i, sizeof i) == 0);
    set_errno(7);
    goro_waitgroup_wait(&wg);
    CHECK_EQ(get_errno(), 7);   /* the plain thread keeps its own */
    printf("migrated across threads: %s\n", atomic_load(&migrated) ? "yes" : "no");
    TEST_PASS("test_errno");
}
