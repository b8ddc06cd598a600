/* SPDX-License-Identifier: MIT */
/*
 * 16_select.c: mirrors the Go tour's "The select statement" program:
 * two goroutines send "one" on ch1 after 2 s and "two" on ch2 after 1 s;
 * main runs select twice and prints whichever message arrives first:
 * "from ch2: two", then "from ch1: one".
 *
 * The delays are scaled down tenfold (200 ms and 100 ms) so that the
 * examples run quickly; the order of the output is the same.
 *
 * A select is an array of goro_case; goro_select blocks until one can
 * proceed, performs it and returns its index, which the switch turns back
 * into Go's case bodies. (When several are ready at once it picks one at
 * random, as Go does.)
 */
#include <goro.h>
#include <stdio.h>

GORO_CHAN_DEFINE(strch, const char *)        /* chan string */

struct delayed {
    strch_tx ch;
    const char *msg;
    int64_t delay;
};

static void send_later(void *arg)
{
    struct delayed *d = arg;
    goro_sleep(d->delay);
    strch_send(d->ch, d->msg);
}

int main(void)
{
    strch ch1 = strch_make(0);
    strch ch2 = strch_make(0);
    if (!goro_chan_of(ch1) || !goro_chan_of(ch2))
        return 1;

    struct delayed one = {ch1.tx, "one", 200 * GORO_MILLISECOND};
    struct delayed two = {ch2.tx, "two", 100 * GORO_MILLISECOND};
    goro_go_copy(send_later, &one, sizeof one);
    goro_go_copy(send_later, &two, sizeof two);

    /* Wait for whichever channel receives first */
    for (int i = 0; i < 2; i++) {
        const char *msg;
        goro_case cases[] = {
            GORO_CASE_RECV(goro_chan_of(ch1), &msg),   /* case msg := <-ch1: */
            GORO_CASE_RECV(goro_chan_of(ch2), &msg),   /* case msg := <-ch2: */
        };
        switch (goro_select(cases, 2)) {
        case 0:
            printf("from ch1: %s\n", msg);
            break;
        case 1:
            printf("from ch2: %s\n", msg);
            break;
        }
    }

    strch_release(ch1);
    strch_release(ch2);
    return 0;
}
