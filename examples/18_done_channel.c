/* SPDX-License-Identifier: MIT */
/*
 * 18_done_channel.c: mirrors the Go tour's "The done channel pattern"
 * program: three workers loop on select { case job, ok := <-jobs: ...
 * case <-done: ... }; main queues jobs 1..9 on a buffered channel and then
 * close(done) tells every worker at once to stop.
 *
 * Closing a channel wakes every receiver, so all three workers blocked in
 * select see done at once; a receive case on a closed channel fires with
 * cases[i].result == GORO_ECLOSED (Go's ok == false).
 *
 * Differences from the Go original, to make the output the same every run: the
 * Go original closes done straight after queueing the jobs, so how many jobs
 * are processed first, and by which worker, varies from run to run (select
 * picks at random when jobs and done are both ready). Here main waits until
 * the nine jobs have been processed before closing done, then waits for
 * the workers to return (a WaitGroup instead of the Go original's 100 ms
 * sleep). The workers record what they did and main prints it afterwards: the
 * jobs in order (without the worker that took each one, which varies), then
 * the workers in order.
 */
#include <goro.h>
#include <stdio.h>

GORO_CHAN_DEFINE(intch, int)

#define NWORKERS 3
#define NJOBS 9

static goro_waitgroup processed;     /* one per job */
static goro_waitgroup exited;        /* one per worker */
/* What happened, for main to print once the workers are done: each slot
 * is written by one goroutine only, and read after the WaitGroups. */
static int taken_by[NJOBS + 1];      /* job -> the worker that processed it */
static const char *exit_reason[NWORKERS + 1];

struct worker_args {
    int id;
    intch_rx jobs;                   /* <-chan int */
    goro_chan *done;                 /* <-chan struct{} */
};

static void worker(void *arg)
{
    struct worker_args *w = arg;
    for (;;) {
        int job;
        goro_case cases[] = {
            GORO_CASE_RECV(goro_chan_of(w->jobs), &job),   /* case job, ok := <-jobs: */
            GORO_CASE_RECV(w->done, NULL),                 /* case <-done: */
        };
        switch (goro_select(cases, 2)) {
        case 0:
            if (cases[0].result == GORO_ECLOSED) {       /* !ok */
                exit_reason[w->id] = "jobs channel closed";
                goro_waitgroup_done(&exited);
                return;
            }
            taken_by[job] = w->id;      /* "worker %d: processing job %d" */
            goro_waitgroup_done(&processed);
            break;
        case 1:
            exit_reason[w->id] = "shutting down";
            goro_waitgroup_done(&exited);
            return;
        }
    }
}

int main(void)
{
    intch jobs = intch_make(10);
    goro_chan *done = goro_chan_make(0, 0);                 /* make(chan struct{}) */
    if (!goro_chan_of(jobs) || !done)
        return 1;

    for (int i = 1; i <= NWORKERS; i++) {
        struct worker_args w = {i, jobs.rx, done};
        goro_waitgroup_add(&exited, 1);
        goro_go_copy(worker, &w, sizeof w);                 /* go worker(i, jobs, done) */
    }
    for (int i = 1; i <= NJOBS; i++) {
        goro_waitgroup_add(&processed, 1);
        intch_send(jobs.tx, i);
    }
    goro_waitgroup_wait(&processed);    /* (not in the Go tour: see above) */

    goro_chan_close(done);              /* broadcast shutdown to all workers at once */
    goro_waitgroup_wait(&exited);       /* the Go tour sleeps 100 ms instead */

    for (int i = 1; i <= NJOBS; i++)
        if (taken_by[i] != 0)
            printf("processing job %d\n", i);
    for (int i = 1; i <= NWORKERS; i++)
        printf("worker %d: %s\n", i, exit_reason[i]);

    intch_release(jobs);
    goro_chan_release(done);
    return 0;
}
