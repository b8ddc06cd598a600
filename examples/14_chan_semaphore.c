/* SPDX-License-Identifier: MIT */
/*
 * 14_chan_semaphore.c: mirrors the Go tour's "Buffered channels as
 * semaphores" program: 50 goroutines each "fetch" https://example.com/<i>,
 * but a channel with capacity 10 lets at most 10 of them be inside at
 * once: sem <- struct{}{} takes a slot, <-sem gives it back.
 *
 * Go's chan struct{} carries nothing; its C twin is a channel with 0-byte
 * elements, sent and received with NULL. Each goroutine here also holds its
 * slot for 10 ms (the Go original's fetch does nothing), so that the limit is
 * actually reached, and counts how many are inside; main checks that it
 * never went above 10. The goroutines print in whatever order they get a
 * slot, so each records its URL and main prints them sorted after
 * wg.Wait(). Runs in about 50 ms: five rounds of ten.
 */
#include <goro.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define NURLS 50
#define LIMIT 10

static atomic_int inside, peak;       /* goroutines holding a slot */
static int fetched[NURLS];
static atomic_int nfetched;

struct job {
    int n;                            /* fetches https://example.com/<n> */
    goro_chan *sem;
    goro_waitgroup *wg;
};

static void fetch(void *arg)
{
    struct job *j = arg;
    goro_chan_send(j->sem, NULL);     /* sem <- struct{}{}: acquire a slot */

    /* only LIMIT goroutines can be here at once */
    int now = atomic_fetch_add(&inside, 1) + 1;
    int p = atomic_load(&peak);
    while (now > p && !atomic_compare_exchange_weak(&peak, &p, now))
        ;
    fetched[atomic_fetch_add(&nfetched, 1)] = j->n;   /* "fetching", u */
    goro_sleep(10 * GORO_MILLISECOND);
    atomic_fetch_sub(&inside, 1);

    goro_chan_recv(j->sem, NULL);     /* <-sem: release the slot */
    goro_waitgroup_done(j->wg);       /* defer wg.Done() */
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int main(void)
{
    /* Semaphore: at most 10 concurrent requests */
    goro_chan *sem = goro_chan_make(0, LIMIT);   /* make(chan struct{}, 10) */
    goro_waitgroup wg = {0};
    if (!sem)
        return 1;

    for (int i = 0; i < NURLS; i++) {
        goro_waitgroup_add(&wg, 1);
        struct job j = {i, sem, &wg};
        goro_go_copy(fetch, &j, sizeof j);
    }
    goro_waitgroup_wait(&wg);
    goro_chan_release(sem);

    qsort(fetched, NURLS, sizeof fetched[0], cmp_int);
    for (int i = 0; i < NURLS; i++)
        printf("fetching https://example.com/%d\n", fetched[i]);
    if (atomic_load(&peak) > LIMIT) {
        printf("error: %d fetches at once\n", atomic_load(&peak));
        return 1;
    }
    printf("never more than %d at once\n", LIMIT);
    return 0;
}
