/* SPDX-License-Identifier: MIT */
/*
 * workerpool: 5 worker goroutines range over a jobs channel (capacity 100)
 * and send job*job on a results channel (capacity 100). A feeder goroutine
 * sends N = 1,000,000 jobs and closes jobs; a closer goroutine waits for
 * the workers (WaitGroup) and closes results; the driver goroutine (Go's
 * main) receives every result until results is closed.
 * Figure: ns per job (end to end), median of 3 passes after a warm-up
 * pass. Twin: bench/go/workerpool/main.go.
 * Usage: bench_workerpool [N]
 */
#include "bench.h"

#define NWORKERS 5
#define CAP 100

static long n_jobs = 1000000;
static goro_waitgroup workers;      /* the workers of one pass */
static goro_waitgroup helpers;      /* feeder and closer */
static volatile long sink;

struct pool {
    goro_chan *jobs, *results;
};

static void feeder(void *arg)
{
    struct pool *p = arg;
    for (long i = 0; i < n_jobs; i++)
        goro_chan_send(p->jobs, &i);
    goro_chan_close(p->jobs);
    goro_waitgroup_done(&helpers);
}

static void worker(void *arg)
{
    struct pool *p = arg;
    long job;
    while (goro_chan_recv(p->jobs, &job) == 0) {   /* for job := range jobs */
        long r = job * job;
        goro_chan_send(p->results, &r);
    }
    goro_waitgroup_done(&workers);
}

static void closer(void *arg)
{
    struct pool *p = arg;
    goro_waitgroup_wait(&workers);
    goro_chan_close(p->results);
    goro_waitgroup_done(&helpers);
}

static double one_pass(void)
{
    struct pool p = {bench_chan_make(sizeof(long), CAP), bench_chan_make(sizeof(long), CAP)};

    int64_t t0 = goro_now();
    for (int w = 0; w < NWORKERS; w++) {
        goro_waitgroup_add(&workers, 1);
        bench_go(worker, &p);
    }
    goro_waitgroup_add(&helpers, 2);
    bench_go(closer, &p);
    bench_go(feeder, &p);
    long r, sum = 0, got = 0;
    while (goro_chan_recv(p.results, &r) == 0) {   /* for r := range results */
        sum += r;
        got++;
    }
    double ns = (double)(goro_now() - t0) / (double)n_jobs;

    goro_waitgroup_wait(&helpers);
    goro_chan_release(p.jobs);
    goro_chan_release(p.results);
    if (got != n_jobs)
        bench_die("workerpool count", 0);
    sink = sum;
    return ns;
}

int main(int argc, char **argv)
{
    n_jobs = bench_arg(argc, argv, n_jobs);
    bench_header("workerpool");
    printf("# n=%ld jobs, %d workers, jobs and results cap %d\n", n_jobs, NWORKERS, CAP);
    bench_passes("workerpool", "ns_per_op", one_pass);
    return 0;
}
