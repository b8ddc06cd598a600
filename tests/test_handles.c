/* SPDX-License-Identifier: MIT */
/*
 * test_handles.c: every handle of the API called twice, and after its
 * owner ended, as docs/api.md ("Handles and their lifetimes") promises;
 * run under ASan, a call that touched freed memory fails the test.
 *  - timers: stop and reset any number of times, after firing and after
 *    stopping (Go's results); an after_func timer's stop after fn started;
 *    goro_after's channel released before the timer fired;
 *  - tickers: stop twice, reset after stop;
 *  - contexts: cancel twice (the first cause stays); a child outliving the
 *    caller's reference to its parent; done received again and again;
 *    the errgroup's context retained past the group;
 *  - errgroups: wait twice (same result), go after wait, free while a task
 *    still runs (free waits for it);
 *  - semaphores: release and acquire again, try_acquire after release; a
 *    free while a goroutine waits aborts (child process);
 *  - leak snapshots: verify twice;
 *  - channels: close twice, retain/release pairs; the last release while a
 *    goroutine is blocked on the channel, directly or through
 *    goro_timer_free, aborts (child processes); these aborts name the
 *    program's function that made the call;
 *  - NULL handles: stop, free and release do nothing.
 * (AfterFunc handles of contexts: test_context.)
 */
// ctest-labels: chan;context;time
#include <stdatomic.h>
#include "misuse.h"
#include "testutil.h"

#define MS GORO_MILLISECOND

static void timers(void)
{
    goro_timer *t = goro_timer_new(MS);
    CHECK(t);
    CHECK(goro_timer_stop(t));
    CHECK(!goro_timer_stop(t));
    CHECK(!goro_timer_reset(t, 0));             /* stopped: was not pending */
    int64_t v;
    CHECK_EQ(goro_chan_recv(goro_timer_chan(t), &v), 0);   /* fires at once */
    CHECK(!goro_timer_stop(t));                 /* fired and received */
    CHECK(!goro_timer_stop(t));
    CHECK(!goro_timer_reset(t, GORO_MINUTE));
    CHECK(goro_timer_reset(t, GORO_MINUTE));    /* pending */
    goro_timer_free(t);
    goro_timer_free(NULL);
    CHECK(!goro_timer_stop(NULL));
    CHECK(!goro_timer_reset(NULL, MS));
    CHECK(goro_timer_chan(NULL) == NULL);
}

static _Atomic int after_runs;

static void after_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&after_runs, 1);
}

static void after_funcs(void)
{
    goro_timer *t = goro_after_func(0, after_fn, NULL);
    CHECK(t);
    while (atomic_load(&after_runs) < 1)
        goro_sleep(MS / 10);
    CHECK(!goro_timer_stop(t));   /* fn started */
    CHECK(!goro_timer_stop(t));
    goro_timer_free(t);           /* fn never uses t */

    /* goro_after: the caller's reference may go first. */
    goro_chan *c = goro_after(MS);
    CHECK(c);
    goro_chan_release(c);
    goro_sleep(3 * MS);           /* the timer fires into its own reference */
}

static void tickers(void)
{
    goro_ticker *tk = goro_ticker_new(MS);
    CHECK(tk);
    goro_ticker_stop(tk);
    goro_ticker_stop(tk);
    CHECK_EQ(goro_chan_try_recv(goro_ticker_chan(tk), NULL), GORO_EAGAIN);
    CHECK_EQ(goro_ticker_reset(tk, MS), 0);      /* restarts a stopped ticker */
    int64_t v;
    CHECK_EQ(goro_chan_recv(goro_ticker_chan(tk), &v), 0);
    goro_ticker_stop(tk);
    goro_ticker_free(tk);
    goro_ticker_stop(NULL);
    goro_ticker_free(NULL);
    CHECK_EQ(goro_ticker_reset(NULL, MS), GORO_EINVAL);
}

static void contexts(void)
{
    goro_ctx *c = goro_ctx_with_cancel(goro_ctx_background());
    CHECK_EQ(goro_ctx_cancel_cause(c, 7), 0);
    CHECK_EQ(goro_ctx_cancel_cause(c, 8), 0);   /* changes nothing */
    CHECK_EQ(goro_ctx_cancel(c), 0);
    CHECK_EQ(goro_ctx_cause(c), 7);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(goro_chan_recv(goro_ctx_done(c), NULL), GORO_ECLOSED);
    goro_ctx_release(c);

    /* A child holds its parent: the caller's reference may go first. */
    goro_ctx *p = goro_ctx_with_timeout(goro_ctx_background(), GORO_MINUTE);
    goro_ctx *k = goro_ctx_with_value(p, "k", "v");
    goro_ctx *kc = goro_ctx_with_cancel(k);
    goro_ctx_release(p);   /* the last reference but the child's: cancels nothing */
    goro_ctx_release(k);
    CHECK_EQ(goro_ctx_err(kc), 0);
    int64_t d;
    CHECK(goro_ctx_deadline(kc, &d));
    CHECK(!strcmp(goro_ctx_value(kc, "k"), "v"));
    CHECK_EQ(goro_ctx_cancel(kc), 0);
    goro_ctx_release(kc);  /* frees all three */
    goro_ctx_release(NULL);
    CHECK_EQ(goro_ctx_cancel(NULL), GORO_EINVAL);
    CHECK_EQ(goro_ctx_cancel(goro_ctx_background()), GORO_EINVAL);
}

static _Atomic int slow_done;

static int slow_task(void *arg)
{
    (void)arg;
    goro_sleep(20 * MS);
    atomic_store(&slow_done, 1);
    return 3;
}

static int ok_task(void *arg)
{
    (void)arg;
    return 0;
}

static void errgroups(void)
{
    goro_errgroup *g = goro_errgroup_new(NULL);
    CHECK(g);
    CHECK_EQ(goro_errgroup_go(g, slow_task, NULL), 0);
    CHECK_EQ(goro_errgroup_wait(g), 3);
    CHECK_EQ(goro_errgroup_wait(g), 3);           /* Go: the same error again */
    CHECK_EQ(goro_errgroup_go(g, ok_task, NULL), 0);   /* a group may go on */
    CHECK_EQ(goro_errgroup_wait(g), 3);
    goro_ctx *gc = goro_ctx_retain(goro_errgroup_ctx(g));
    goro_errgroup_free(g);
    CHECK_EQ(goro_ctx_err(gc), GORO_ECANCELED);   /* retained past the group */
    CHECK_EQ(goro_ctx_cause(gc), 3);
    goro_ctx_release(gc);

    /* free while a task still runs: waits for it. */
    atomic_store(&slow_done, 0);
    g = goro_errgroup_new(NULL);
    CHECK_EQ(goro_errgroup_go(g, slow_task, NULL), 0);
    goro_errgroup_free(g);
    CHECK_EQ(atomic_load(&slow_done), 1);
    goro_errgroup_free(NULL);
}

static void semas(void)
{
    goro_sema *s = goro_sema_new(2);
    CHECK(s);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(goro_sema_acquire(s, NULL, 2), 0);
        CHECK_EQ(goro_sema_try_acquire(s, 1), GORO_EAGAIN);
        goro_sema_release(s, 2);
    }
    CHECK_EQ(goro_sema_try_acquire(s, 2), 0);
    goro_sema_release(s, 1);
    goro_sema_release(s, 1);
    goro_sema_free(s);
    goro_sema_free(NULL);
}

static void leak_snapshots(void)
{
    goro_leak_snapshot *snap = goro_leakcheck_begin();
    CHECK(snap);
    CHECK_EQ(goro_leakcheck_verify(snap, 0, NULL), 0);
    CHECK_EQ(goro_leakcheck_verify(snap, 0, NULL), 0);
    CHECK_EQ(goro_leakcheck_end(snap, 0, NULL), 0);
    goro_leakcheck_free(NULL);
    CHECK_EQ(goro_leakcheck_verify(NULL, 0, NULL), GORO_EINVAL);
}

static void channels(void)
{
    goro_chan *c = goro_chan_make(sizeof(int), 1);
    CHECK(goro_chan_retain(c) == c);
    CHECK_EQ(goro_chan_close(c), 0);
    CHECK_EQ(goro_chan_close(c), GORO_ECLOSED);
    int v = 1;
    CHECK_EQ(goro_chan_send(c, &v), GORO_ECLOSED);
    goro_chan_release(c);
    CHECK_EQ(goro_chan_recv(c, &v), GORO_ECLOSED);   /* one reference left */
    goro_chan_release(c);
    goro_chan_release(NULL);
    CHECK(goro_chan_retain(NULL) == NULL);
}

static void all(void *arg)
{
    (void)arg;
    timers();
    after_funcs();
    tickers();
    contexts();
    errgroups();
    semas();
    leak_snapshots();
    channels();
}

/* ---- misuse: freeing what a goroutine is still blocked on ---- */

static void blocked_recv(void *arg)
{
    goro_chan_recv(arg, NULL);
}

/* Returns once a goroutine is parked for reason (GORO_WAIT_*). */
static void wait_parked(int reason)
{
    for (;;) {
        goro_stats_t st;
        goro_stats(&st);
        if (st.waiting_on[reason] >= 1)
            return;
        goro_sleep(MS);
    }
}

/* Exported (the test is linked with -rdynamic), so the report can name
 * them as the call site. */
__attribute__((noinline)) void misuse_release_blocked(void);
__attribute__((noinline)) void misuse_timer_free_blocked(void);
__attribute__((noinline)) void misuse_sema_free_waiting(void);

static void sema_acquire_one(void *arg)
{
    goro_sema_acquire(arg, NULL, 1);
}

void misuse_sema_free_waiting(void)
{
    goro_sema *s = goro_sema_new(1);
    CHECK_EQ(goro_sema_acquire(s, NULL, 1), 0);
    CHECK_EQ(goro_go(sema_acquire_one, s), 0);
    wait_parked(GORO_WAIT_SEMA);
    goro_sema_free(s);
    fprintf(stderr, "not reached\n");
}

void misuse_release_blocked(void)
{
    goro_chan *c = goro_chan_make(sizeof(int), 0);
    CHECK_EQ(goro_go(blocked_recv, c), 0);
    wait_parked(GORO_WAIT_CHAN_RECV);
    goro_chan_release(c);
    fprintf(stderr, "not reached\n");   /* (and no tail call: this frame stays) */
}

void misuse_timer_free_blocked(void)
{
    goro_timer *t = goro_timer_new(GORO_MINUTE);
    goro_chan *c = goro_timer_chan(t);
    CHECK_EQ(goro_go(blocked_recv, c), 0);
    wait_parked(GORO_WAIT_CHAN_RECV);
    goro_timer_free(t);   /* the timer owns the channel */
    fprintf(stderr, "not reached\n");
}

/* The abort says message and names the program's function that made the
 * call (these calls take no call site: found by unwinding). */
static void expect_fatal_at(const char *mode, const char *message,
                            const char *site)
{
    char out[8192];
    int status = misuse_run(mode, out, sizeof out);
    if (!WIFSIGNALED(status) || !strstr(out, message) || !strstr(out, site)) {
        fprintf(stderr, "misuse '%s': expected an abort with \"%s\" at %s; status %#x, stderr:\n%s\n",
                mode, message, site, status, out);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "release-blocked"))
            misuse_release_blocked();
        else if (!strcmp(argv[1], "timer-free-blocked"))
            misuse_timer_free_blocked();
        else if (!strcmp(argv[1], "sema-free-waiting"))
            misuse_sema_free_waiting();
        return 0;   /* not reached when the misuse is caught */
    }
    expect_fatal_at("release-blocked",
                    "chan: last reference released by goro_chan_release while goroutines are blocked on it",
                    "misuse_release_blocked+");
    expect_fatal_at("timer-free-blocked",
                    "chan: last reference released by goro_timer_free while goroutines are blocked on it",
                    "misuse_timer_free_blocked+");
    expect_fatal_at("sema-free-waiting",
                    "semaphore: freed by goro_sema_free while goroutines wait on it",
                    "misuse_sema_free_waiting+");

    all(NULL);              /* from a plain thread */
    atomic_store(&after_runs, 0);
    run_main(all, NULL);    /* from a goroutine */
    TEST_PASS("test_handles");
}
