/* SPDX-License-Identifier: MIT */
/*
 * 38_ticker.c: a ticker. The Go tour has no ticker program; this
 * mirrors the example in Go's documentation of time.NewTicker, which the
 * Go tour's select and done-channel sections build on:
 *
 *     ticker := time.NewTicker(time.Second)
 *     defer ticker.Stop()
 *     done := make(chan bool)
 *     go func() {
 *         time.Sleep(10 * time.Second)
 *         done <- true
 *     }()
 *     for {
 *         select {
 *         case <-done:
 *             fmt.Println("Done!")
 *             return
 *         case t := <-ticker.C:
 *             fmt.Println("Current time: ", t)
 *         }
 *     }
 *
 * Scaled down: a tick every 100 ms, done after 450 ms, so four ticks. A
 * tick's value is its fire time (an int64_t on goro_now()'s clock); the
 * program prints it relative to the start, rounded to 10 ms, where Go
 * prints the wall-clock time:
 *     tick at 100 ms / 200 ms / 300 ms / 400 ms, then Done!
 * A ticker keeps its period whatever the reader does, and drops the ticks
 * a slow reader misses instead of queueing them.
 *
 * goro_ticker_free is `defer ticker.Stop()` plus the memory; Stop alone
 * (goro_ticker_stop) would keep the ticker for a later goro_ticker_reset.
 */
#include <goro.h>
#include <stdio.h>

#define MS GORO_MILLISECOND

static void send_done(void *arg)
{
    goro_chan *done = arg;
    goro_sleep(450 * MS);
    bool v = true;
    goro_chan_send(done, &v);                     /* done <- true */
    goro_chan_release(done);
}

int main(void)
{
    int64_t start = goro_now();
    goro_ticker *ticker = goro_ticker_new(100 * MS);     /* time.NewTicker */
    goro_chan *done = goro_chan_make(sizeof(bool), 0);   /* make(chan bool) */
    if (!ticker || !done)
        return 1;
    goro_go(send_done, goro_chan_retain(done));

    for (;;) {
        int64_t t;
        goro_case cases[] = {
            GORO_CASE_RECV(done, NULL),                       /* case <-done: */
            GORO_CASE_RECV(goro_ticker_chan(ticker), &t),     /* case t := <-ticker.C: */
        };
        if (goro_select(cases, 2) == 0) {
            printf("Done!\n");
            break;
        }
        long long ms = (t - start + 5 * MS) / (10 * MS) * 10;
        printf("tick at %lld ms\n", ms);
    }

    goro_ticker_free(ticker);                     /* defer ticker.Stop() */
    goro_chan_release(done);
    return 0;
}
