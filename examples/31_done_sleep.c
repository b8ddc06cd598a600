/* SPDX-License-Identifier: MIT */
/*
 * 31_done_sleep.c: mirrors the Go tour's "The done channel pattern"
 * with time in it: workers loop until a done channel is closed, and main
 * decides when by sleeping first, then close(done) broadcasts the shutdown
 * to every worker at once. It is the done-channel form of the Go tour's
 * "Context cancellation" doWork loop (32_ctx_timeout.c is the context
 * form); examples/18_done_channel.c is the job-queue version.
 *
 *     func worker(id int, done <-chan struct{}) {
 *         for {
 *             select {
 *             case <-done:
 *                 fmt.Printf("worker %d: shutting down\n", id)
 *                 return
 *             case <-time.After(100 * time.Millisecond):
 *                 fmt.Printf("worker %d: tick\n", id)
 *             }
 *         }
 *     }
 *     // main: go worker(1..3, done); time.Sleep(390 * time.Millisecond);
 *     //       close(done); wg.Wait()
 *
 * Each worker waits in a select on done and on its own timer, so it stops
 * as soon as done is closed rather than at its next tick. The timer is a
 * goro_timer reset on each round (time.NewTimer + Reset), which the Go
 * original recommends over time.After in a loop. Worker i starts i * 20 ms
 * late so that, in every round, worker 1 prints before 2 and 2 before 3; each
 * prints three ticks (at 100, 200, 300 ms after it started), then all
 * three shut down together at 390 ms. They wake at the same moment, so
 * each records its shutdown and main, which waits with a WaitGroup where
 * the Go original sleeps 100 ms, prints those lines in order, with the
 * goroutine count before and after.
 */
#include <goro.h>
#include <stdio.h>

#define MS GORO_MILLISECOND

static goro_waitgroup wg;
static int ticks_seen[4];                     /* per worker; read after wg */

/* Waits up to 1 s for the goroutine count to drop to want (a goroutine
 * that has called wg.Done() may still be on its way out). */
static int goroutines_settle(int want)
{
    int64_t deadline = goro_now() + GORO_SECOND;
    int n;
    while ((n = goro_num_goroutine()) > want && goro_now() < deadline)
        goro_sleep(GORO_MILLISECOND);
    return n;
}

struct worker_args {
    int id;
    goro_chan *done;                          /* <-chan struct{} */
};

static void worker(void *arg)
{
    struct worker_args *w = arg;
    goro_sleep(w->id * 20 * MS);              /* (stagger: see above) */
    goro_timer *tick = goro_timer_new(100 * MS);
    if (!tick) {
        goro_waitgroup_done(&wg);
        return;
    }
    for (int n = 1;; n++) {
        goro_case cases[] = {
            GORO_CASE_RECV(w->done, NULL),                  /* case <-done: */
            GORO_CASE_RECV(goro_timer_chan(tick), NULL),    /* case <-tick.C: */
        };
        if (goro_select(cases, 2) == 0) {
            ticks_seen[w->id] = n - 1;        /* "worker %d: shutting down" */
            break;
        }
        printf("worker %d: tick %d\n", w->id, n);
        goro_timer_reset(tick, 100 * MS);
    }
    goro_timer_free(tick);                    /* defer tick.Stop() */
    goro_waitgroup_done(&wg);
}

int main(void)
{
    goro_chan *done = goro_chan_make(0, 0);   /* done := make(chan struct{}) */
    if (!done)
        return 1;
    for (int i = 1; i <= 3; i++) {
        struct worker_args w = {i, done};
        goro_waitgroup_add(&wg, 1);
        goro_go_copy(worker, &w, sizeof w);   /* go worker(i, done) */
    }
    printf("goroutines running: %d\n", goro_num_goroutine());

    goro_sleep(390 * MS);
    printf("main: closing done\n");
    goro_chan_close(done);                    /* broadcast shutdown to all workers at once */
    goro_waitgroup_wait(&wg);
    for (int i = 1; i <= 3; i++)
        printf("worker %d: shutting down after %d ticks\n", i, ticks_seen[i]);
    printf("goroutines running: %d\n", goroutines_settle(0));

    goro_chan_release(done);
    return 0;
}
