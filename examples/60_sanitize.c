/* SPDX-License-Identifier: MIT */
/*
 * 60_sanitize.c: the program of the guide's "Sanitizing your program": plain
 * (non-atomic) data handed between goroutines through a channel, guarded by
 * a mutex, and published by a WaitGroup. Every access is ordered by goro,
 * so ThreadSanitizer must report nothing when the program is built with
 * -fsanitize=thread against libgoro-tsan (and AddressSanitizer nothing
 * against libgoro-asan); `make install-test` checks both.
 */
#include <goro.h>
#include <stdio.h>
#include <stdlib.h>

enum { WORKERS = 4, JOBS = 64 };

typedef struct job {
    int n;          /* written by the producer before the send */
    long square;    /* written by a worker after the receive */
} job;

static goro_chan *jobs;        /* of job *: the pointer hands the job over */
static goro_mutex mu;          /* guards total and done */
static long total;
static int done;
static long per_worker[WORKERS];   /* each written by its worker, read after wait */

static void worker(void *arg)
{
    int id = *(int *)arg;
    job *j;
    while (goro_chan_recv(jobs, &j) == 0) {    /* until closed and drained */
        j->square = (long)j->n * j->n;         /* the receive ordered the producer's write */
        per_worker[id] += j->square;
        goro_mutex_lock(&mu);
        total += j->square;
        done++;
        goro_mutex_unlock(&mu);
        free(j);
    }
}

int main(void)
{
    goro_waitgroup wg = GORO_WAITGROUP_INIT;
    int ids[WORKERS];
    jobs = goro_chan_make(sizeof(job *), 8);
    if (!jobs)
        return 1;
    for (int i = 0; i < WORKERS; i++) {
        ids[i] = i;
        if (goro_waitgroup_go(&wg, worker, &ids[i]) != 0)
            return 1;
    }
    for (int n = 1; n <= JOBS; n++) {
        job *j = malloc(sizeof *j);
        if (!j)
            return 1;
        j->n = n;
        goro_chan_send(jobs, &j);
    }
    goro_chan_close(jobs);
    goro_waitgroup_wait(&wg);   /* orders every worker's writes before what follows */

    long sum = 0;
    for (int i = 0; i < WORKERS; i++)
        sum += per_worker[i];
    long want = (long)JOBS * (JOBS + 1) * (2 * JOBS + 1) / 6;
    printf("%d jobs, sum of squares %ld (workers' shares add up to %ld)\n", done, total, sum);
    goro_chan_release(jobs);
    return total == want && sum == want && done == JOBS ? 0 : 1;
}
