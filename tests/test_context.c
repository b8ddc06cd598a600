/* SPDX-License-Identifier: MIT */
/*
 * test_context.c: contexts, ported from Go's context tests (written anew
 * in C): TestBackground, TestWithCancel, TestParentFinishesChild,
 * TestChildFinishesFirst, TestCancelRemoves, TestDeadline, TestTimeout,
 * TestCanceledTimeout, TestValues, TestSimultaneousCancels,
 * TestInterlockedCancels, TestLayersCancel, TestLayersTimeout, TestCause,
 * TestWithoutCancel, TestAfterFunc; plus bad input, use from a plain
 * thread, and leak checks: after cancel and release, no allocation, timer
 * goroutine or goroutine is left (allocator counter, goro_num_goroutine).
 */
// ctest-labels: context
#include <stdatomic.h>
#include "testutil.h"
#include "base/base.h"

#define MS GORO_MILLISECOND

static bool is_done(goro_ctx *c)
{
    goro_chan *d = goro_ctx_done(c);
    return d && goro_chan_try_recv(d, NULL) == GORO_ECLOSED;
}

static void background(void)
{
    goro_ctx *bg = goro_ctx_background();
    CHECK(goro_ctx_done(bg) == NULL);
    CHECK_EQ(goro_ctx_err(bg), 0);
    CHECK_EQ(goro_ctx_cancel(bg), GORO_EINVAL);
    CHECK(!goro_ctx_deadline(bg, NULL));
    goro_ctx_release(bg);   /* harmless */
    CHECK(goro_ctx_with_cancel(NULL) == NULL);
    CHECK_EQ(goro_ctx_cancel(NULL), GORO_EINVAL);
}

static void with_cancel(void)
{
    goro_ctx *c1 = goro_ctx_with_cancel(goro_ctx_background());
    goro_ctx *o = goro_ctx_with_value(c1, &c1, "x");
    goro_ctx *c2 = goro_ctx_with_cancel(o);
    CHECK_EQ(goro_ctx_cancel(o), GORO_EINVAL);
    goro_ctx *all[3] = { c1, o, c2 };
    for (int i = 0; i < 3; i++) {
        CHECK(!is_done(all[i]));
        CHECK_EQ(goro_ctx_err(all[i]), 0);
    }
    CHECK_EQ(goro_ctx_cancel(c1), 0);
    for (int i = 0; i < 3; i++) {
        CHECK(is_done(all[i]));
        CHECK_EQ(goro_ctx_err(all[i]), GORO_ECANCELED);
        CHECK_EQ(goro_ctx_cause(all[i]), GORO_ECANCELED);
    }
    CHECK_EQ(goro_ctx_cancel(c1), 0);   /* again: no-op */
    goro_ctx_release(c2);
    goro_ctx_release(o);
    goro_ctx_release(c1);
}

static void parent_finishes_child(void)
{
    goro_ctx *parent = goro_ctx_with_cancel(goro_ctx_background());
    goro_ctx *cancel_child = goro_ctx_with_cancel(parent);
    goro_ctx *value_child = goro_ctx_with_value(parent, "k", "v");
    goro_ctx *timer_child = goro_ctx_with_timeout(value_child, GORO_MINUTE);
    goro_ctx *after_stop = goro_ctx_with_cancel(parent);
    CHECK_EQ(goro_ctx_cancel(after_stop), 0);
    CHECK_EQ(goro_ctx_cancel(parent), 0);
    CHECK(is_done(cancel_child) && is_done(value_child) && is_done(timer_child));
    CHECK_EQ(goro_ctx_err(timer_child), GORO_ECANCELED);
    /* A child made after the cancel is cancelled at birth. */
    goro_ctx *late = goro_ctx_with_cancel(parent);
    CHECK(is_done(late));
    CHECK_EQ(goro_ctx_err(late), GORO_ECANCELED);
    goro_ctx *rel[] = { late, after_stop, timer_child, value_child, cancel_child, parent };
    for (int i = 0; i < 6; i++)
        goro_ctx_release(rel[i]);
}

static void child_finishes_first(void)
{
    for (int cancellable = 0; cancellable < 2; cancellable++) {
        goro_ctx *parent = cancellable ? goro_ctx_with_cancel(goro_ctx_background())
                                       : goro_ctx_background();
        goro_ctx *child = goro_ctx_with_cancel(parent);
        CHECK_EQ(goro_ctx_cancel(child), 0);
        CHECK(is_done(child));
        CHECK_EQ(goro_ctx_err(child), GORO_ECANCELED);
        if (cancellable) {
            CHECK(!is_done(parent));
            CHECK_EQ(goro_ctx_err(parent), 0);
            goro_ctx_cancel(parent);
        }
        goro_ctx_release(child);
        goro_ctx_release(parent);
    }
}

static void cancel_removes(void)
{
    /* Children disappear from their parent when cancelled or released:
     * nothing accumulates (checked through the allocation counter). */
    goro_ctx *parent = goro_ctx_with_cancel(goro_ctx_background());
    long base = goro__alloc_live();
    for (int i = 0; i < 1000; i++) {
        goro_ctx *c = goro_ctx_with_cancel(parent);
        goro_ctx *t = goro_ctx_with_timeout(parent, GORO_MINUTE);
        goro_ctx_cancel(c);
        goro_ctx_cancel(t);
        goro_ctx_release(c);
        goro_ctx_release(t);
    }
    CHECK_EQ(goro__alloc_live(), base);
    goro_ctx_cancel(parent);
    goro_ctx_release(parent);
}

static void deadlines(void)
{
    int64_t t0 = goro_now(), dl;
    goro_ctx *c = goro_ctx_with_deadline(goro_ctx_background(), t0 + 5 * MS);
    CHECK(goro_ctx_deadline(c, &dl) && dl == t0 + 5 * MS);
    CHECK_EQ(goro_chan_recv(goro_ctx_done(c), NULL), GORO_ECLOSED);
    CHECK(goro_now() - t0 >= 5 * MS);
    CHECK_EQ(goro_ctx_err(c), GORO_ETIMEDOUT);
    CHECK_EQ(goro_ctx_cause(c), GORO_ETIMEDOUT);
    /* A later child deadline does not extend the parent's. */
    goro_ctx *p = goro_ctx_with_timeout(goro_ctx_background(), 5 * MS);
    goro_ctx *ch = goro_ctx_with_timeout(p, GORO_MINUTE);
    int64_t pd;
    CHECK(goro_ctx_deadline(p, &pd) && goro_ctx_deadline(ch, &dl) && dl == pd);
    CHECK_EQ(goro_chan_recv(goro_ctx_done(ch), NULL), GORO_ECLOSED);
    CHECK_EQ(goro_ctx_err(ch), GORO_ETIMEDOUT);
    /* An earlier child deadline wins. */
    goro_ctx *q = goro_ctx_with_timeout(goro_ctx_background(), GORO_MINUTE);
    goro_ctx *qc = goro_ctx_with_timeout(q, 2 * MS);
    CHECK_EQ(goro_chan_recv(goro_ctx_done(qc), NULL), GORO_ECLOSED);
    CHECK_EQ(goro_ctx_err(qc), GORO_ETIMEDOUT);
    CHECK_EQ(goro_ctx_err(q), 0);
    /* Already past: cancelled at birth. */
    goro_ctx *past = goro_ctx_with_deadline(goro_ctx_background(), goro_now() - MS);
    CHECK(is_done(past));
    CHECK_EQ(goro_ctx_err(past), GORO_ETIMEDOUT);
    /* TestCanceledTimeout: cancel before the deadline wins. */
    goro_ctx *ct = goro_ctx_with_timeout(goro_ctx_background(), GORO_SECOND);
    goro_ctx *ctv = goro_ctx_with_value(ct, "a", "b");
    goro_ctx_cancel(ct);
    CHECK_EQ(goro_chan_recv(goro_ctx_done(ctv), NULL), GORO_ECLOSED);
    CHECK_EQ(goro_ctx_err(ctv), GORO_ECANCELED);
    goro_ctx *rel[] = { c, ch, p, qc, q, past, ctv, ct };
    for (int i = 0; i < 8; i++)
        goro_ctx_release(rel[i]);
}

static int k1, k2, k3;

static void values(void)
{
    goro_ctx *bg = goro_ctx_background();
    goro_ctx *c1 = goro_ctx_with_value(bg, &k1, "c1k1");
    goro_ctx *c2 = goro_ctx_with_value(c1, &k2, "c2k2");
    goro_ctx *c3 = goro_ctx_with_value(c2, &k3, "c3k3");
    goro_ctx *c4 = goro_ctx_with_value(c3, &k1, NULL);
    goro_ctx *o = goro_ctx_with_cancel(c4);
    CHECK(goro_ctx_value(bg, &k1) == NULL);
    CHECK(!strcmp(goro_ctx_value(c1, &k1), "c1k1"));
    CHECK(goro_ctx_value(c1, &k2) == NULL);
    CHECK(!strcmp(goro_ctx_value(c3, &k1), "c1k1"));
    CHECK(!strcmp(goro_ctx_value(c3, &k2), "c2k2"));
    CHECK(goro_ctx_value(c4, &k1) == NULL);     /* shadowed */
    CHECK(!strcmp(goro_ctx_value(o, &k3), "c3k3"));
    goro_ctx *rel[] = { o, c4, c3, c2, c1 };
    for (int i = 0; i < 5; i++)
        goro_ctx_release(rel[i]);
}

static goro_waitgroup wg;

static void canceller(void *arg)
{
    goro_ctx_cancel(arg);
    goro_waitgroup_done(&wg);
}

static void waiter(void *arg)
{
    CHECK_EQ(goro_chan_recv(goro_ctx_done(arg), NULL), GORO_ECLOSED);
    goro_waitgroup_done(&wg);
}

static void simultaneous_cancels(void)
{
    goro_ctx *root = goro_ctx_with_cancel(goro_ctx_background());
    enum { N = 100 };
    goro_ctx *kids[N];
    for (int i = 0; i < N; i++)
        kids[i] = goro_ctx_with_cancel(i ? kids[(i - 1) / 2] : root);
    goro_waitgroup_add(&wg, 2 * N + 1);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(goro_go(waiter, kids[i]), 0);
        CHECK_EQ(goro_go(canceller, kids[i]), 0);
    }
    CHECK_EQ(goro_go(canceller, root), 0);
    goro_waitgroup_wait(&wg);
    for (int i = N - 1; i >= 0; i--)
        goro_ctx_release(kids[i]);
    goro_ctx_release(root);
}

static void layers(int timeout)
{
    /* TestLayersCancel / TestLayersTimeout: a stack of value and cancel
     * layers; cancelling (or timing out) the bottom reaches the top. */
    goro_ctx *stack[12];
    goro_ctx *c = goro_ctx_background();
    int n = 0;
    for (int i = 0; i < 12; i++) {
        switch (i % 3) {
        case 0: c = goro_ctx_with_value(c, &k1, (void *)(intptr_t)i); break;
        case 1: c = goro_ctx_with_cancel(c); break;
        case 2: c = timeout && i == 2 ? goro_ctx_with_timeout(c, 5 * MS)
                                      : goro_ctx_with_timeout(c, GORO_MINUTE); break;
        }
        stack[n++] = c;
    }
    goro_ctx *top = stack[n - 1];
    CHECK_EQ((intptr_t)goro_ctx_value(top, &k1), 9);
    if (!timeout)
        goro_ctx_cancel(stack[1]);
    CHECK_EQ(goro_chan_recv(goro_ctx_done(top), NULL), GORO_ECLOSED);
    CHECK_EQ(goro_ctx_err(top), timeout ? GORO_ETIMEDOUT : GORO_ECANCELED);
    CHECK(!is_done(stack[0]) || goro_ctx_done(stack[0]) == NULL);
    for (int i = n - 1; i >= 0; i--)
        goro_ctx_release(stack[i]);
}

static void causes(void)
{
    goro_ctx *c = goro_ctx_with_cancel(goro_ctx_background());
    CHECK_EQ(goro_ctx_cause(c), 0);
    goro_ctx_cancel_cause(c, 42);
    CHECK_EQ(goro_ctx_err(c), GORO_ECANCELED);
    CHECK_EQ(goro_ctx_cause(c), 42);
    goro_ctx *child = goro_ctx_with_cancel(c);
    CHECK_EQ(goro_ctx_cause(child), 42);   /* inherited at birth */
    goro_ctx_cancel_cause(c, 7);            /* first cause sticks */
    CHECK_EQ(goro_ctx_cause(c), 42);
    goro_ctx *t = goro_ctx_with_timeout_cause(goro_ctx_background(), MS, 99);
    CHECK_EQ(goro_chan_recv(goro_ctx_done(t), NULL), GORO_ECLOSED);
    CHECK_EQ(goro_ctx_err(t), GORO_ETIMEDOUT);
    CHECK_EQ(goro_ctx_cause(t), 99);
    goro_ctx *tc = goro_ctx_with_timeout_cause(goro_ctx_background(), GORO_MINUTE, 99);
    goro_ctx_cancel_cause(tc, 5);
    CHECK_EQ(goro_ctx_cause(tc), 5);
    goro_ctx *rel[] = { child, c, t, tc };
    for (int i = 0; i < 4; i++)
        goro_ctx_release(rel[i]);
}

static void without_cancel(void)
{
    goro_ctx *p = goro_ctx_with_timeout(goro_ctx_background(), GORO_MINUTE);
    goro_ctx *v = goro_ctx_with_value(p, &k2, "v");
    goro_ctx *w = goro_ctx_without_cancel(v);
    goro_ctx_cancel(p);
    CHECK(goro_ctx_done(w) == NULL);
    CHECK_EQ(goro_ctx_err(w), 0);
    CHECK(!goro_ctx_deadline(w, NULL));
    CHECK(!strcmp(goro_ctx_value(w, &k2), "v"));
    CHECK_EQ(goro_ctx_cancel(w), GORO_EINVAL);
    goro_ctx *wc = goro_ctx_with_cancel(w);   /* not cancelled by p */
    CHECK(!is_done(wc));
    goro_ctx_release(wc);
    goro_ctx_release(w);
    goro_ctx_release(v);
    goro_ctx_release(p);
}

static _Atomic int after_ran;

static void after_fn(void *arg)
{
    (void)arg;
    CHECK(goro_id() != 0);
    atomic_fetch_add(&after_ran, 1);
}

static void after_func(void)
{
    goro_ctx *c = goro_ctx_with_cancel(goro_ctx_background());
    goro_ctx_after *h = goro_ctx_after_func(c, after_fn, NULL);
    goro_ctx_after *h2 = goro_ctx_after_func(c, after_fn, NULL);
    CHECK(goro_ctx_after_func_stop(h2));   /* prevented */
    goro_ctx_cancel(c);
    while (atomic_load(&after_ran) < 1)
        goro_sleep(MS / 10);
    CHECK(!goro_ctx_after_func_stop(h));   /* already ran */
    /* On a cancelled context: runs at once. */
    goro_ctx_after *h3 = goro_ctx_after_func(c, after_fn, NULL);
    while (atomic_load(&after_ran) < 2)
        goro_sleep(MS / 10);
    CHECK(!goro_ctx_after_func_stop(h3));
    goro_ctx_release(c);
    goro_ctx_after_free(h);
    goro_ctx_after_free(h2);
    goro_ctx_after_free(h3);
    /* Never cancellable: never runs, stop is true. */
    goro_ctx_after *h4 = goro_ctx_after_func(goro_ctx_background(), after_fn, NULL);
    CHECK(goro_ctx_after_func_stop(h4));
    goro_ctx_after_free(h4);
    /* Handle outlives its released context: stop is still safe. */
    goro_ctx *d = goro_ctx_with_cancel(goro_ctx_background());
    goro_ctx_after *h5 = goro_ctx_after_func(d, after_fn, NULL);
    goro_ctx_release(d);   /* last reference: cancels, so fn runs */
    while (atomic_load(&after_ran) < 3)
        goro_sleep(MS / 10);
    CHECK(!goro_ctx_after_func_stop(h5));
    goro_ctx_after_free(h5);
    CHECK_EQ(atomic_load(&after_ran), 3);
    /* free alone: stops a pending handle (fn never runs). */
    goro_ctx *e = goro_ctx_with_cancel(goro_ctx_background());
    goro_ctx_after_free(goro_ctx_after_func(e, after_fn, NULL));
    goro_ctx_release(e);
    goro_ctx_after_free(NULL);
    CHECK(!goro_ctx_after_func_stop(NULL));
    goro_sleep(MS);
    CHECK_EQ(atomic_load(&after_ran), 3);
}

/* Go's stop may be called any number of times: the first call that
 * prevents f returns true, every later one false; also after f started,
 * after the context was cancelled or released, and from several
 * goroutines at once (one of them wins). stop used to free the handle, so
 * a second stop was a use-after-free (a release build crashed with
 * SIGSEGV, 3 runs in 3). The handle is freed by goro_ctx_after_free. */
static _Atomic int stop_wins, stops_done;

static void stopper(void *arg)
{
    if (goro_ctx_after_func_stop(arg))
        atomic_fetch_add(&stop_wins, 1);
    atomic_fetch_add(&stops_done, 1);
}

static void after_func_stop_repeated(void)
{
    int ran0 = atomic_load(&after_ran);
    goro_ctx *c = goro_ctx_with_cancel(goro_ctx_background());
    goro_ctx_after *h = goro_ctx_after_func(c, after_fn, NULL);
    CHECK(goro_ctx_after_func_stop(h));
    CHECK(!goro_ctx_after_func_stop(h));   /* TestAfterFuncNotCalledAfterStop */
    goro_ctx_cancel(c);
    CHECK(!goro_ctx_after_func_stop(h));
    /* After f started, and after the context is gone. */
    goro_ctx_after *hf = goro_ctx_after_func(c, after_fn, NULL);
    while (atomic_load(&after_ran) < ran0 + 1)
        goro_sleep(MS / 10);
    CHECK(!goro_ctx_after_func_stop(hf));
    goro_ctx_release(c);
    CHECK(!goro_ctx_after_func_stop(hf));
    CHECK(!goro_ctx_after_func_stop(h));
    goro_ctx_after_free(hf);
    goro_ctx_after_free(h);
    /* Never cancellable: true once. */
    goro_ctx_after *hb = goro_ctx_after_func(goro_ctx_background(), after_fn, NULL);
    CHECK(goro_ctx_after_func_stop(hb));
    CHECK(!goro_ctx_after_func_stop(hb));
    goro_ctx_after_free(hb);
    /* Several goroutines at once, racing a cancel: exactly one of them, or
     * the cancel, wins. */
    enum { STOPPERS = 8 };
    for (int round = 0; round < scaled(200, 20); round++) {
        goro_ctx *r = goro_ctx_with_cancel(goro_ctx_background());
        goro_ctx_after *hr = goro_ctx_after_func(r, after_fn, NULL);
        int ran = atomic_load(&after_ran);
        atomic_store(&stop_wins, 0);
        atomic_store(&stops_done, 0);
        for (int i = 0; i < STOPPERS; i++)
            CHECK_EQ(goro_go(stopper, hr), 0);
        if (round % 2)
            goro_ctx_cancel(r);
        while (atomic_load(&stops_done) < STOPPERS)
            goro_sleep(MS / 10);
        goro_ctx_release(r);   /* cancels: f runs unless a stop won */
        CHECK(!goro_ctx_after_func_stop(hr));
        int wins = atomic_load(&stop_wins);
        CHECK(wins <= 1);
        if (wins == 0)
            while (atomic_load(&after_ran) == ran)
                goro_sleep(MS / 10);
        goro_sleep(MS / 10);
        CHECK_EQ(atomic_load(&after_ran), ran + (1 - wins));
        goro_ctx_after_free(hr);
    }
}

static void release_cancels(void)
{
    goro_ctx *c = goro_ctx_with_timeout(goro_ctx_background(), GORO_MINUTE);
    goro_ctx *child = goro_ctx_with_cancel(c);
    goro_ctx_retain(child);
    goro_ctx_release(child);
    CHECK(!is_done(child));
    goro_ctx_release(child);   /* last: cancelled and freed */
    goro_ctx_release(c);       /* last: cancels, stops the timer */
}

static void all(void *arg)
{
    (void)arg;
    long live0 = goro__alloc_live();
    background();
    with_cancel();
    parent_finishes_child();
    child_finishes_first();
    cancel_removes();
    deadlines();
    values();
    simultaneous_cancels();
    layers(0);
    layers(1);
    causes();
    without_cancel();
    after_func();
    after_func_stop_repeated();
    release_cancels();
    /* Leak-free: everything made above is gone. */
    for (int i = 0; i < 200 && goro__alloc_live() != live0; i++)
        goro_sleep(MS);
    CHECK_EQ(goro__alloc_live(), live0);
}

int main(void)
{
    goro_maxprocs(0);
    all(NULL);              /* from a plain thread */
    atomic_store(&after_ran, 0);
    run_main(all, NULL);    /* from a goroutine */
    for (int i = 0; i < 200 && goro_num_goroutine() != 0; i++)
        goro_sleep(MS);
    CHECK_EQ(goro_num_goroutine(), 0);
    TEST_PASS("test_context");
}
