/* SPDX-License-Identifier: MIT */
/*
 * 21_worker_pool.c: mirrors the Go tour's "Worker pool" program:
 * workerPool(5, jobs, results) starts five workers that range over jobs
 * and send job*job on results, plus a goroutine that closes results once
 * every worker is done; main sends jobs 1..20 on a channel with capacity
 * 100, closes it, sums the results and prints "total: 2870".
 *
 * The workers' WaitGroup, a local variable captured by the Go original's
 * closures, lives in a struct pool that main owns and keeps until the results
 * are in. The closer holds its own reference to results, since it may still be
 * returning from close after main has finished with the channel.
 */
#include <goro.h>
#include <stdio.h>

GORO_CHAN_DEFINE(intch, int)

struct pool {
    goro_waitgroup wg;
    intch_rx jobs;               /* <-chan int */
    intch_tx results;            /* chan<- int */
};

static void worker(void *arg)
{
    struct pool *p = arg;
    int job;
    while (intch_recv(p->jobs, &job) == 0)    /* for job := range jobs */
        intch_send(p->results, job * job);    /* process job */
}

static void closer(void *arg)
{
    struct pool *p = arg;
    intch_tx results = p->results;
    goro_waitgroup_wait(&p->wg);
    intch_close(results);
    goro_chan_release(goro_chan_of(results));
}

static void worker_pool(struct pool *p, int num_workers, intch_rx jobs, intch_tx results)
{
    p->jobs = jobs;
    p->results = results;
    for (int i = 0; i < num_workers; i++)
        goro_waitgroup_go(&p->wg, worker, p);   /* wg.Add(1); go func() { defer wg.Done(); ... }() */
    goro_chan_retain(goro_chan_of(results));
    goro_go(closer, p);
}

int main(void)
{
    intch jobs = intch_make(100);
    intch results = intch_make(100);
    if (!goro_chan_of(jobs) || !goro_chan_of(results))
        return 1;

    struct pool pool = {0};
    worker_pool(&pool, 5, jobs.rx, results.tx);   /* 5 concurrent workers */

    /* Send 20 jobs */
    for (int i = 1; i <= 20; i++)
        intch_send(jobs.tx, i);
    intch_close(jobs.tx);

    /* Collect results */
    int total = 0, r;
    while (intch_recv(results.rx, &r) == 0)
        total += r;
    printf("total: %d\n", total);

    intch_release(jobs);
    intch_release(results);
    return 0;
}
