/* SPDX-License-Identifier: MIT */
/*
 * 50_goroutine_dump.c: goro's diagnostics on the Go tour's third goroutine
 * leak (ranging over a channel nobody closes; 36_leak_range.c shows the
 * fixes): goro_dump (what SIGQUIT prints with GORODEBUG=sigquit, Go's
 * goroutine dump), goro_stats, and the leak check (goleak's VerifyNone).
 *
 * main snapshots the live goroutines, starts a consumer named "consumer"
 * that ranges over ch, sends it 1 and 2, and forgets to close ch: the
 * dump shows the consumer blocked in a channel receive, where it was
 * created, and on which channel; the leak check, after its grace period,
 * reports it. Closing ch (the fix) ends the consumer, and a second check
 * passes. Addresses change from run to run, so this program prints them
 * as 0x...:
 *     consumer got 1
 *     consumer got 2
 *     --- goro_dump:
 *     goroutine 1 [chan receive]:
 *             name: consumer
 *             on: chan 0x...
 *     created by .../examples/50_goroutine_dump.c:NN
 *     --- goro_stats: 1 goroutine, 1 waiting in chan receive
 *     --- goro_leakcheck_verify:
 *     goro: 1 goroutine leaked (still alive after a 50 ms grace period):
 *     ... the same entry ...
 *     --- leaked: 1
 *     --- after close(ch): 0 leaked
 */
#include <goro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

GORO_CHAN_DEFINE(intch, int)

static void consumer(void *arg)
{
    intch *ch = arg;
    int v;
    while (intch_recv(ch->rx, &v) == 0)   /* for v := range ch */
        printf("consumer got %d\n", v);
}

/* Prints text with every 0x... address masked (they vary by run). */
static void print_masked(const char *text)
{
    for (const char *p = text; *p; p++) {
        if (p[0] == '0' && p[1] == 'x') {
            fputs("0x...", stdout);
            p += 2;
            while (strchr("0123456789abcdef", p[0]) && p[0])
                p++;
            p--;
        } else {
            putchar(*p);
        }
    }
}

/* Runs f(arg, file) with file a memory stream, then prints it masked. */
static int masked(int (*f)(void *, FILE *), void *arg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return -1;
    int r = f(arg, m);
    fclose(m);
    print_masked(text);
    free(text);
    return r;
}

static int dump(void *arg, FILE *f)
{
    (void)arg;
    goro_dump(f);
    return 0;
}

static int verify(void *snap, FILE *f)
{
    return goro_leakcheck_verify(snap, 50 * GORO_MILLISECOND, f);
}

int main(void)
{
    static intch ch;
    goro_leak_snapshot *snap = goro_leakcheck_begin();
    if (!snap)
        return 1;
    ch = intch_make(0);
    goro_opts opts = { .name = "consumer" };
    goro_go_opts(&opts, consumer, &ch);
    intch_send(ch.tx, 1);
    intch_send(ch.tx, 2);                  /* ... and no close(ch) */
    goro_sleep(10 * GORO_MILLISECOND);     /* let it print and block again */

    printf("--- goro_dump:\n");
    masked(dump, NULL);

    goro_stats_t st;
    goro_stats(&st);
    printf("--- goro_stats: %lld goroutine, %lld waiting in %s\n", (long long)st.goroutines,
           (long long)st.waiting_on[GORO_WAIT_CHAN_RECV], goro_wait_name(GORO_WAIT_CHAN_RECV));

    printf("--- goro_leakcheck_verify:\n");
    int leaked = masked(verify, snap);
    printf("--- leaked: %d\n", leaked);

    intch_close(ch.tx);                    /* the fix */
    int left = GORO_VERIFY_NONE(snap);
    printf("--- after close(ch): %d leaked\n", left);
    intch_release(ch);
    return leaked == 1 && left == 0 ? 0 : 1;
}
