/* SPDX-License-Identifier: MIT */
/*
 * 09_errgroup.c: golang.org/x/sync/errgroup, which the Go tour recommends for
 * "fan-in, merge, retry": start tasks in a group derived from a context;
 * the first task to fail cancels the group's context, so the others stop
 * early, and wait returns that first error. Here task 3 fails; the other
 * tasks notice the cancelled context and give up.
 */
#include <stdio.h>
#include "goro.h"

#define ERR_NOT_FOUND 404

static goro_errgroup *g;
static int results[5];

static int task(void *arg)
{
    int id = *(int *)arg;
    goro_ctx *ctx = goro_errgroup_ctx(g);
    if (id == 3) {
        goro_sleep(2 * GORO_MILLISECOND);
        return ERR_NOT_FOUND;                 /* the first failure */
    }
    /* Work for up to 50 ms, or until the group is cancelled. */
    goro_chan *t = goro_after(50 * GORO_MILLISECOND);
    goro_case cs[2] = { GORO_CASE_RECV(t, NULL), GORO_CASE_RECV(goro_ctx_done(ctx), NULL) };
    int which = goro_select(cs, 2);
    goro_chan_release(t);
    results[id] = which == 0 ? 1 : -1;
    return 0;
}

int main(void)
{
    int ids[5] = { 0, 1, 2, 3, 4 };
    g = goro_errgroup_new(goro_ctx_background());
    for (int i = 0; i < 5; i++)
        goro_errgroup_go(g, task, &ids[i]);
    int err = goro_errgroup_wait(g);
    printf("errgroup.Wait: %d (cause of the group's context: %d)\n", err,
           goro_ctx_cause(goro_errgroup_ctx(g)));
    for (int i = 0; i < 5; i++)
        if (i != 3)
            printf("task %d: %s\n", i, results[i] == 1 ? "finished" : "cancelled early");
    goro_errgroup_free(g);
    return err == ERR_NOT_FOUND ? 0 : 1;
}
