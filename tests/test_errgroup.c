/* SPDX-License-Identifier: MIT */
/*
 * test_errgroup.c: goro_errgroup, ported from x/sync/errgroup's tests
 * (written anew in C):
 *  - TestZeroGroup: wait returns the first error of a series of tasks;
 *  - TestWithContext: the group's context is cancelled by the first error,
 *    with that error as its cause, and when wait returns;
 *  - TestTryGo: try_go fails with GORO_EAGAIN while the limit is reached,
 *    succeeds once a task ends;
 *  - TestGoLimit: never more than the limit active at once;
 *  - set_limit while tasks are active is GORO_EINVAL, also tasks started
 *    without a limit (it used to return 0 for those, and each of them then
 *    waited forever for a token it never took: wait hung); bad input.
 */
// ctest-labels: sync
#include <stdatomic.h>
#include "testutil.h"

static int ok_task(void *arg) { (void)arg; return 0; }
static int fail_task(void *arg) { return (int)(intptr_t)arg; }

static int wait_ctx_task(void *arg)
{
    goro_errgroup *g = arg;
    /* Ends only once the group's context is cancelled. */
    CHECK_EQ(goro_chan_recv(goro_ctx_done(goro_errgroup_ctx(g)), NULL), GORO_ECLOSED);
    return 0;
}

static _Atomic int active, max_active;

static int limited_task(void *arg)
{
    (void)arg;
    int a = atomic_fetch_add(&active, 1) + 1;
    int m = atomic_load(&max_active);
    while (a > m && !atomic_compare_exchange_weak(&max_active, &m, a))
        ;
    goro_sleep(100 * GORO_MICROSECOND);
    atomic_fetch_sub(&active, 1);
    return 0;
}

static goro_chan *gate;

static int gated_task(void *arg)
{
    (void)arg;
    goro_chan_recv(gate, NULL);
    return 0;
}

int main(void)
{
    /* Zero group: first error wins. */
    goro_errgroup *g = goro_errgroup_new(NULL);
    CHECK_EQ(goro_errgroup_go(g, ok_task, NULL), 0);
    CHECK_EQ(goro_errgroup_go(g, fail_task, (void *)(intptr_t)-5), 0);
    CHECK_EQ(goro_errgroup_wait(g), -5);
    goro_errgroup_free(g);
    g = goro_errgroup_new(NULL);
    CHECK_EQ(goro_errgroup_wait(g), 0);
    CHECK_EQ(goro_ctx_err(goro_errgroup_ctx(g)), GORO_ECANCELED);   /* wait cancels */
    goro_errgroup_free(g);

    /* WithContext: cancelled by the first error, with it as the cause. */
    goro_ctx *parent = goro_ctx_with_value(goro_ctx_background(), "k", "v");
    g = goro_errgroup_new(parent);
    CHECK(!strcmp(goro_ctx_value(goro_errgroup_ctx(g), "k"), "v"));
    for (int i = 0; i < 5; i++)
        CHECK_EQ(goro_errgroup_go(g, wait_ctx_task, g), 0);
    CHECK_EQ(goro_errgroup_go(g, fail_task, (void *)(intptr_t)17), 0);
    CHECK_EQ(goro_errgroup_wait(g), 17);
    CHECK_EQ(goro_ctx_err(goro_errgroup_ctx(g)), GORO_ECANCELED);
    CHECK_EQ(goro_ctx_cause(goro_errgroup_ctx(g)), 17);
    goro_errgroup_free(g);
    goro_ctx_release(parent);

    /* TryGo with a limit. */
    gate = goro_chan_make(0, 0);
    g = goro_errgroup_new(NULL);
    CHECK_EQ(goro_errgroup_set_limit(g, 2), 0);
    CHECK_EQ(goro_errgroup_try_go(g, gated_task, NULL), 0);
    CHECK_EQ(goro_errgroup_try_go(g, gated_task, NULL), 0);
    CHECK_EQ(goro_errgroup_try_go(g, gated_task, NULL), GORO_EAGAIN);
    CHECK_EQ(goro_errgroup_set_limit(g, 5), GORO_EINVAL);   /* tasks active */
    CHECK_EQ(goro_chan_send(gate, NULL), 0);   /* one ends */
    int r;
    while ((r = goro_errgroup_try_go(g, gated_task, NULL)) == GORO_EAGAIN)
        goro_sleep(GORO_MICROSECOND * 50);
    CHECK_EQ(r, 0);
    goro_chan_close(gate);
    CHECK_EQ(goro_errgroup_wait(g), 0);
    CHECK_EQ(goro_errgroup_set_limit(g, -1), 0);
    goro_errgroup_free(g);
    goro_chan_release(gate);

    /* set_limit while tasks started without a limit run: refused, and the
     * tasks end normally. */
    gate = goro_chan_make(0, 0);
    g = goro_errgroup_new(NULL);
    CHECK_EQ(goro_errgroup_go(g, gated_task, NULL), 0);
    CHECK_EQ(goro_errgroup_go(g, gated_task, NULL), 0);
    CHECK_EQ(goro_errgroup_set_limit(g, 1), GORO_EINVAL);
    goro_chan_close(gate);
    CHECK_EQ(goro_errgroup_wait(g), 0);
    CHECK_EQ(goro_errgroup_set_limit(g, 1), 0);   /* none active now */
    CHECK_EQ(goro_errgroup_go(g, ok_task, NULL), 0);
    CHECK_EQ(goro_errgroup_wait(g), 0);
    goro_errgroup_free(g);
    goro_chan_release(gate);

    /* GoLimit: never more than the limit at once. */
    g = goro_errgroup_new(NULL);
    CHECK_EQ(goro_errgroup_set_limit(g, 3), 0);
    for (int i = 0; i < scaled(300, 10); i++)
        CHECK_EQ(goro_errgroup_go(g, limited_task, NULL), 0);
    CHECK_EQ(goro_errgroup_wait(g), 0);
    CHECK(atomic_load(&max_active) <= 3);
    CHECK(atomic_load(&max_active) >= 1);
    goro_errgroup_free(g);

    CHECK_EQ(goro_errgroup_go(NULL, ok_task, NULL), GORO_EINVAL);
    CHECK_EQ(goro_errgroup_wait(NULL), GORO_EINVAL);
    TEST_PASS("test_errgroup");
}
