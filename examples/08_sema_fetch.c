/* SPDX-License-Identifier: MIT */
/*
 * 08_sema_fetch.c: the Go tour's "buffered channels as semaphores" fetcher
 * (50 URLs, at most 10 fetches at once), written with the weighted
 * semaphore of golang.org/x/sync/semaphore instead of a channel:
 * goro_sema_acquire(sem, ctx, 1) / goro_sema_release(sem, 1). Fetches are
 * simulated with a short sleep; the program checks and prints the highest
 * number of fetches that ran at once.
 */
#include <stdatomic.h>
#include <stdio.h>
#include "goro.h"

static goro_sema *sem;
static goro_waitgroup wg;
static _Atomic int running, peak, fetched;

static void fetch(void *arg)
{
    int id = *(int *)arg;
    goro_sema_acquire(sem, NULL, 1);          /* acquire slot */
    int now = atomic_fetch_add(&running, 1) + 1;
    for (int p = atomic_load(&peak); now > p && !atomic_compare_exchange_weak(&peak, &p, now);)
        ;
    (void)id;                                  /* "fetching https://example.com/<id>" */
    goro_sleep(2 * GORO_MILLISECOND);
    atomic_fetch_add(&fetched, 1);
    atomic_fetch_sub(&running, 1);
    goro_sema_release(sem, 1);                 /* release slot */
    goro_waitgroup_done(&wg);
}

int main(void)
{
    sem = goro_sema_new(10);                   /* at most 10 concurrent requests */
    for (int i = 0; i < 50; i++) {
        goro_waitgroup_add(&wg, 1);
        goro_go_copy(fetch, &i, sizeof i);
    }
    goro_waitgroup_wait(&wg);
    printf("fetched %d urls, at most %d at once (limit 10)\n", atomic_load(&fetched),
           atomic_load(&peak));
    goro_sema_free(sem);
    return atomic_load(&peak) <= 10 ? 0 : 1;
}
