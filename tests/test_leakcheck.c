/* SPDX-License-Identifier: MIT */
/*
 * test_leakcheck.c: the leak check (goleak's VerifyNone) on the Go tour's
 * three goroutine leaks (examples 34-36 show the fixed forms):
 *  - blocked forever: a goroutine receives on a channel nobody sends on;
 *  - infinite loop: a goroutine loops on process() with no way out;
 *  - range over a channel nobody closes;
 * each leaky form is caught (count 1, the report names the goroutine's
 * creation site in this file and what it waits on), each fix passes
 * GORO_VERIFY_NONE. Also: goroutines alive before the snapshot are not
 * leaks; the goroutine that runs the check is not counted; a goroutine
 * that ends within the grace period is not a leak, and a passing check
 * returns without waiting out the grace period.
 */
// ctest-labels: diag
#include <stdatomic.h>
#include "testutil.h"

GORO_CHAN_DEFINE(intch, int)

/* Runs goro_leakcheck_verify with a report to memory; returns the count,
 * the report in *text (caller frees). */
static int verify(goro_leak_snapshot *snap, int64_t grace, char **text)
{
    size_t len;
    FILE *f = open_memstream(text, &len);
    CHECK(f);
    int n = goro_leakcheck_verify(snap, grace, f);
    fclose(f);
    return n;
}

static void expect_leak(goro_leak_snapshot *snap, int line, const char *state)
{
    char *text;
    CHECK_EQ(verify(snap, 50 * GORO_MILLISECOND, &text), 1);
    char site[256], head[64];
    snprintf(site, sizeof site, "created by %s:%d\n", __FILE__, line);
    snprintf(head, sizeof head, " [%s]:\n", state);
    if (!strstr(text, "1 goroutine leaked") || !strstr(text, site) || !strstr(text, head)) {
        fprintf(stderr, "report:\n%s\nwant '%s' and '%s'\n", text, site, head);
        CHECK(!"leak report");
    }
    free(text);
    goro_leakcheck_free(snap);
}

/* ---- 1. blocked forever on a channel receive ---- */

static void receive(void *arg)
{
    intch *ch = arg;
    int v;
    intch_recv(ch->rx, &v);
}

struct receiver {
    goro_ctx *ctx;
    intch ch;
};

static void receive_or_done(void *arg)
{
    struct receiver *r = arg;
    int v;
    goro_case cs[] = { GORO_CASE_RECV(goro_chan_of(r->ch), &v),
                       GORO_CASE_RECV(goro_ctx_done(r->ctx), NULL) };
    goro_select(cs, 2);
    goro_ctx_release(r->ctx);
    intch_release(r->ch);
}

static intch leaked_ch;

static void blocked(void)
{
    goro_leak_snapshot *snap = goro_leakcheck_begin();
    CHECK(snap);
    leaked_ch = intch_make(0);
    int line = __LINE__; CHECK(goro_go(receive, &leaked_ch) == 0);
    expect_leak(snap, line, "chan receive");

    snap = goro_leakcheck_begin();
    goro_ctx *ctx = goro_ctx_with_cancel(goro_ctx_background());
    struct receiver r = { goro_ctx_retain(ctx), intch_make(1) };
    CHECK(goro_go_copy(receive_or_done, &r, sizeof r) == 0);
    goro_sleep(5 * GORO_MILLISECOND);
    goro_ctx_cancel(ctx);
    goro_ctx_release(ctx);
    CHECK_EQ(GORO_VERIFY_NONE(snap), 0);
}

/* ---- 2. infinite loop with no exit condition ---- */

static void process(void)
{
    goro_sleep(GORO_MILLISECOND);
}

static void loop_forever(void *arg)
{
    (void)arg;
    for (;;)
        process();
}

static void loop_until_done(void *arg)
{
    goro_ctx *ctx = arg;
    for (;;) {
        goro_case cs[] = { GORO_CASE_RECV(goro_ctx_done(ctx), NULL) };
        if (goro_select_try(cs, 1) == 0)
            break;
        process();
    }
    goro_ctx_release(ctx);
}

static void looping(void)
{
    goro_leak_snapshot *snap = goro_leakcheck_begin();
    CHECK(snap);
    int line = __LINE__; CHECK(goro_go(loop_forever, NULL) == 0);
    char *text;
    CHECK_EQ(verify(snap, 20 * GORO_MILLISECOND, &text), 1);
    char site[256];
    snprintf(site, sizeof site, "created by %s:%d\n", __FILE__, line);
    CHECK(strstr(text, site));
    /* Caught asleep in process(), or between two sleeps. */
    CHECK(strstr(text, "[sleep]:") || strstr(text, "[running]:") || strstr(text, "[runnable]:"));
    free(text);
    goro_leakcheck_free(snap);

    snap = goro_leakcheck_begin();
    goro_ctx *ctx = goro_ctx_with_cancel(goro_ctx_background());
    CHECK(goro_go(loop_until_done, goro_ctx_retain(ctx)) == 0);
    goro_sleep(5 * GORO_MILLISECOND);
    goro_ctx_cancel(ctx);
    goro_ctx_release(ctx);
    CHECK_EQ(GORO_VERIFY_NONE(snap), 0);
}

/* ---- 3. range over a channel that is never closed ---- */

static _Atomic int summed;

static void range_sum(void *arg)
{
    intch *ch = arg;
    int v, sum = 0;
    while (intch_recv(ch->rx, &v) == 0)   /* for v := range ch */
        sum += v;
    atomic_store(&summed, sum);
}

static void ranging(void)
{
    static intch ch1, ch2;
    goro_leak_snapshot *snap = goro_leakcheck_begin();
    CHECK(snap);
    ch1 = intch_make(0);
    int line = __LINE__; CHECK(goro_go(range_sum, &ch1) == 0);
    for (int i = 1; i <= 3; i++)
        intch_send(ch1.tx, i);
    /* forgot close(ch) */
    expect_leak(snap, line, "chan receive");

    snap = goro_leakcheck_begin();
    ch2 = intch_make(0);
    CHECK(goro_go(range_sum, &ch2) == 0);
    for (int i = 1; i <= 3; i++)
        intch_send(ch2.tx, i);
    intch_close(ch2.tx);
    CHECK_EQ(GORO_VERIFY_NONE(snap), 0);
    CHECK_EQ(atomic_load(&summed), 6);
    intch_release(ch2);
}

/* ---- the check's own rules ---- */

static goro_leak_snapshot *outer;

static void check_from_goroutine(void *arg)
{
    (void)arg;
    /* This goroutine started after the snapshot, but it is the caller. */
    CHECK_EQ(goro_leakcheck_verify(outer, 0, stderr), 0);
}

static void short_lived(void *arg)
{
    (void)arg;
    goro_sleep(20 * GORO_MILLISECOND);
}

static void rules(void)
{
    outer = goro_leakcheck_begin();
    CHECK(outer);
    run_main(check_from_goroutine, NULL);
    CHECK(goro_go(short_lived, NULL) == 0);
    CHECK_EQ(goro_leakcheck_end(outer, 10 * GORO_SECOND, stderr), 0);

    /* A passing check does not wait out its grace period. */
    goro_leak_snapshot *snap = goro_leakcheck_begin();
    int64_t t0 = goro_now();
    CHECK_EQ(goro_leakcheck_end(snap, 30 * GORO_SECOND, stderr), 0);
    CHECK(goro_now() - t0 < 10 * GORO_SECOND);
    CHECK_EQ(goro_leakcheck_verify(NULL, 0, NULL), GORO_EINVAL);
}

int main(void)
{
    rules();
    blocked();
    looping();
    ranging();
    TEST_PASS("test_leakcheck");
}
