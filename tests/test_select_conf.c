/* SPDX-License-Identifier: MIT */
/*
 * test_select_conf.c: Go's select conformance tests, ported (rewritten in
 * C from what each Go test checks), and the select contract of goro.h.
 *  - test/chan/select.go: a loop of selects over two send cases, each
 *    channel set to NULL once it fired, sends each value once and then
 *    finds nothing ready (default); a NULL case never fires;
 *  - test/chan/select4.go: a receive case on a channel holding a value
 *    fires and writes only its own destination (a struct field), also
 *    when the value is sent while the select is blocked;
 *  - test/chan/doubleselect.go: values sent by select over four channels,
 *    forwarded by four goroutines onto one channel, arrive exactly once;
 *  - runtime TestSelfSelect: two goroutines selecting send and receive on
 *    one channel (unbuffered, buffered) never deadlock, and on an
 *    unbuffered channel never receive their own value;
 *  - runtime TestSelectStress: 4 senders, 4 receivers, a select sender and
 *    a select receiver (which drop a channel's case once done with it)
 *    over unbuffered and buffered channels finish without deadlock;
 *  - runtime TestPseudoRandomSend: two send cases on one channel are both
 *    chosen (each more than 10% of the time);
 *  - runtime TestSelectDuplicateChannel: a select with the same channel in
 *    two cases leaves the channel's queue intact when another case wins;
 *  - runtime TestSelectFairness (10 sigma), plus a chi-square test over six
 *    and over twelve (heap path) ready cases;
 *  - runtime TestNonblockSelectRace and Race2: a select_try over two
 *    channels, one of which is being filled or closed, never reports "none
 *    ready";
 *  - contract: NULL-channel cases never fire and their value is not
 *    touched; select_try gives GORO_EAGAIN when nothing is ready and for 0
 *    cases; select_until gives GORO_ETIMEDOUT no earlier than the deadline
 *    and leaves no waiter behind; a receive case on a closed, drained
 *    channel gives GORO_ECLOSED with a zeroed value, a send case on a
 *    closed channel GORO_ECLOSED, also when close wakes a blocked select;
 *    more than 8 cases; a plain thread blocked in select is woken by
 *    goroutines exactly once, by exactly one case.
 */
// ctest-labels: chan
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "testutil.h"

static goro_chan *make_chan(size_t esize, size_t cap)
{
    goro_chan *c = goro_chan_make(esize, cap);
    CHECK(c);
    return c;
}

/* ---- test/chan/select.go ------------------------------------------------ */

static unsigned counter, shift;

static unsigned get_value(void)
{
    counter++;
    return 1u << shift;
}

/* Go evaluates every case's value each time round; so do we. */
static int select_send(goro_chan *a, goro_chan *b)
{
    int i = 0;
    for (;;) {
        unsigned va = get_value(), vb = get_value();
        goro_case cs[2] = { GORO_CASE_SEND(a, &va), GORO_CASE_SEND(b, &vb) };
        int k = goro_select_try(cs, 2);
        if (k == GORO_EAGAIN)
            break;
        CHECK(k == 0 || k == 1);
        CHECK_EQ(cs[k].result, 0);
        i++;
        if (k == 0)
            a = NULL;
        else
            b = NULL;
        shift++;
    }
    return i;
}

static void test_select_go(void *arg)
{
    (void)arg;
    counter = shift = 0;
    goro_chan *a = make_chan(sizeof(unsigned), 1), *b = make_chan(sizeof(unsigned), 1);
    CHECK_EQ(select_send(a, b), 2);
    unsigned av = 0, bv = 0;
    CHECK_EQ(goro_chan_recv(a, &av), 0);
    CHECK_EQ(goro_chan_recv(b, &bv), 0);
    CHECK_EQ(av | bv, 3);
    CHECK_EQ(select_send(a, NULL), 1);
    CHECK_EQ(counter, 10);
    CHECK_EQ(goro_chan_len(a), 1);
    goro_chan_release(a);
    goro_chan_release(b);
}

/* ---- test/chan/select4.go ----------------------------------------------- */

struct quad { int a, b, c, d; };

static void send_later(void *arg)
{
    goro_chan *c = arg;
    goro_sleep(GORO_MILLISECOND);
    int v = 42;
    CHECK_EQ(goro_chan_send(c, &v), 0);
}

static void test_select4(void *arg)
{
    (void)arg;
    goro_chan *c = make_chan(sizeof(int), 1), *c1 = make_chan(sizeof(int), 0);
    for (int blocked = 0; blocked < 2; blocked++) {
        struct quad x = { -1, -2, -3, -4 };
        int never = 99;
        goro_waitgroup wg = {0};
        if (blocked)
            CHECK_EQ(goro_waitgroup_go(&wg, send_later, c), 0);
        else
            CHECK_EQ(goro_chan_send(c, &(int){ 42 }), 0);
        goro_case cs[2] = { GORO_CASE_RECV(c1, &never), GORO_CASE_RECV(c, &x.a) };
        CHECK_EQ(goro_select(cs, 2), 1);
        CHECK_EQ(cs[1].result, 0);
        CHECK_EQ(x.a, 42);
        CHECK(x.b == -2 && x.c == -3 && x.d == -4);
        CHECK_EQ(never, 99);
        goro_waitgroup_wait(&wg);
    }
    /* No stale waiter on c1: nobody to receive an unbuffered send. */
    CHECK_EQ(goro_chan_try_send(c1, &(int){ 1 }), GORO_EAGAIN);
    goro_chan_release(c);
    goro_chan_release(c1);
}

/* ---- test/chan/doubleselect.go ------------------------------------------ */
/* A sender puts 0..n-1, each once, on one of four channels by select; a
 * mux goroutine per channel forwards to one channel; the receiver sees
 * every value exactly once (the bug it caught: a G readied twice). */

typedef struct dsel {
    goro_chan *c[4], *cmux, *done;
    long n;
} dsel;

static void ds_sender(void *arg)
{
    dsel *d = arg;
    for (long i = 0; i < d->n; i++) {
        goro_case cs[4];
        for (int k = 0; k < 4; k++)
            cs[k] = GORO_CASE_SEND(d->c[k], &i);
        int k = goro_select(cs, 4);
        CHECK(k >= 0 && k < 4);
        CHECK_EQ(cs[k].result, 0);
    }
    for (int k = 0; k < 4; k++)
        CHECK_EQ(goro_chan_close(d->c[k]), 0);
}

typedef struct ds_mux_args {
    dsel *d;
    int k;
} ds_mux_args;

static void ds_mux(void *arg)
{
    ds_mux_args *a = arg;
    long v;
    while (goro_chan_recv(a->d->c[a->k], &v) == 0)
        CHECK_EQ(goro_chan_send(a->d->cmux, &v), 0);
    CHECK_EQ(goro_chan_send(a->d->done, NULL), 0);
}

static void ds_closer(void *arg)
{
    dsel *d = arg;
    for (int k = 0; k < 4; k++)
        CHECK_EQ(goro_chan_recv(d->done, NULL), 0);
    CHECK_EQ(goro_chan_close(d->cmux), 0);
}

static void test_doubleselect(void *arg)
{
    (void)arg;
    dsel d = { .cmux = make_chan(sizeof(long), 0), .done = make_chan(0, 0),
               .n = scaled(100000, 20) };
    for (int k = 0; k < 4; k++)
        d.c[k] = make_chan(sizeof(long), 0);
    unsigned char *seen = calloc((size_t)d.n, 1);
    CHECK(seen);
    goro_waitgroup wg = {0};
    ds_mux_args ma[4];
    CHECK_EQ(goro_waitgroup_go(&wg, ds_sender, &d), 0);
    for (int k = 0; k < 4; k++) {
        ma[k] = (ds_mux_args){ &d, k };
        CHECK_EQ(goro_waitgroup_go(&wg, ds_mux, &ma[k]), 0);
    }
    CHECK_EQ(goro_waitgroup_go(&wg, ds_closer, &d), 0);
    long v, got = 0;
    while (goro_chan_recv(d.cmux, &v) == 0) {
        CHECK(v >= 0 && v < d.n);
        if (seen[v]) {
            fprintf(stderr, "doubleselect: got duplicate value %ld\n", v);
            exit(1);
        }
        seen[v] = 1;
        got++;
    }
    CHECK_EQ(got, d.n);
    goro_waitgroup_wait(&wg);
    free(seen);
    for (int k = 0; k < 4; k++)
        goro_chan_release(d.c[k]);
    goro_chan_release(d.cmux);
    goro_chan_release(d.done);
}

/* ---- runtime TestSelfSelect --------------------------------------------- */

typedef struct self_args {
    goro_chan *c;
    int p, cap;
    goro_waitgroup *wg;
} self_args;

static void self_selector(void *arg)
{
    self_args *a = arg;
    for (int i = 0; i < 1000; i++) {
        int out = a->p, in = -1;
        goro_case cs[2];
        int send_first = a->p == 0 || i % 2 == 0;
        cs[send_first ? 0 : 1] = GORO_CASE_SEND(a->c, &out);
        cs[send_first ? 1 : 0] = GORO_CASE_RECV(a->c, &in);
        int k = goro_select(cs, 2);
        CHECK(k == 0 || k == 1);
        CHECK_EQ(cs[k].result, 0);
        if (cs[k].dir == GORO_RECV && a->cap == 0 && in == a->p) {
            fprintf(stderr, "self receive: goroutine %d, iteration %d\n", a->p, i);
            exit(1);
        }
    }
    goro_waitgroup_done(a->wg);
}

static void test_self_select(void *arg)
{
    (void)arg;
    const int caps[] = { 0, 10 };
    for (int ci = 0; ci < 2; ci++) {
        goro_waitgroup wg = {0};
        goro_chan *c = make_chan(sizeof(int), (size_t)caps[ci]);
        self_args a[2];
        goro_waitgroup_add(&wg, 2);
        for (int p = 0; p < 2; p++) {
            a[p] = (self_args){ c, p, caps[ci], &wg };
            CHECK_EQ(goro_go(self_selector, &a[p]), 0);
        }
        goro_waitgroup_wait(&wg);
        goro_chan_release(c);
    }
}

/* ---- runtime TestSelectStress ------------------------------------------- */

typedef struct stress_args {
    goro_chan **c;
    int k;
    long n;
    goro_waitgroup *wg;
} stress_args;

static void stress_sender(void *arg)
{
    stress_args *a = arg;
    int z = 0;
    for (long i = 0; i < a->n; i++)
        CHECK_EQ(goro_chan_send(a->c[a->k], &z), 0);
    goro_waitgroup_done(a->wg);
}

static void stress_receiver(void *arg)
{
    stress_args *a = arg;
    for (long i = 0; i < a->n; i++)
        CHECK_EQ(goro_chan_recv(a->c[a->k], NULL), 0);
    goro_waitgroup_done(a->wg);
}

static void stress_select(void *arg)
{
    stress_args *a = arg;
    static const int order[4] = { 3, 2, 0, 1 };   /* Go's case order */
    goro_chan *c1[4];
    long n[4] = { 0 };
    memcpy(c1, a->c, sizeof c1);
    int z = 0;
    for (long i = 0; i < 4 * a->n; i++) {
        goro_case cs[4];
        for (int j = 0; j < 4; j++)
            cs[j] = a->k == GORO_SEND ? GORO_CASE_SEND(c1[order[j]], &z)
                                      : GORO_CASE_RECV(c1[order[j]], NULL);
        int j = goro_select(cs, 4);
        CHECK(j >= 0 && j < 4);
        CHECK(c1[order[j]] != NULL);   /* a NULL case never fires */
        CHECK_EQ(cs[j].result, 0);
        if (++n[order[j]] == a->n)
            c1[order[j]] = NULL;
    }
    for (int j = 0; j < 4; j++)
        CHECK_EQ(n[j], a->n);
    goro_waitgroup_done(a->wg);
}

static void test_select_stress(void *arg)
{
    (void)arg;
    goro_chan *c[4] = { make_chan(sizeof(int), 0), make_chan(sizeof(int), 0),
                        make_chan(sizeof(int), 2), make_chan(sizeof(int), 3) };
    long n = scaled(20000, 4);
    goro_waitgroup wg = {0};
    stress_args a[4], sa = { c, GORO_SEND, n, &wg }, ra = { c, GORO_RECV, n, &wg };
    goro_waitgroup_add(&wg, 10);
    for (int k = 0; k < 4; k++) {
        a[k] = (stress_args){ c, k, n, &wg };
        CHECK_EQ(goro_go(stress_sender, &a[k]), 0);
        CHECK_EQ(goro_go(stress_receiver, &a[k]), 0);
    }
    CHECK_EQ(goro_go(stress_select, &sa), 0);
    CHECK_EQ(goro_go(stress_select, &ra), 0);
    goro_waitgroup_wait(&wg);
    for (int k = 0; k < 4; k++) {
        CHECK_EQ(goro_chan_len(c[k]), 0);
        goro_chan_release(c[k]);
    }
}

/* ---- runtime TestPseudoRandomSend --------------------------------------- */

typedef struct prs_args {
    goro_chan *c;
    int *l, n;
} prs_args;

static void prs_reader(void *arg)
{
    prs_args *a = arg;
    for (int i = 0; i < a->n; i++) {
        goro_yield();
        CHECK_EQ(goro_chan_recv(a->c, &a->l[i]), 0);
    }
}

static void test_pseudo_random_send(void *arg)
{
    (void)arg;
    enum { N = 100 };
    const int caps[] = { 0, N };
    for (int ci = 0; ci < 2; ci++) {
        goro_chan *c = make_chan(sizeof(int), (size_t)caps[ci]);
        int l[N];
        prs_args a = { c, l, N };
        goro_waitgroup wg = {0};
        CHECK_EQ(goro_waitgroup_go(&wg, prs_reader, &a), 0);
        int one = 1, zero = 0;
        for (int i = 0; i < N; i++) {
            goro_case cs[2] = { GORO_CASE_SEND(c, &one), GORO_CASE_SEND(c, &zero) };
            int k = goro_select(cs, 2);
            CHECK(k == 0 || k == 1);
        }
        goro_waitgroup_wait(&wg);
        int n0 = 0, n1 = 0;
        for (int i = 0; i < N; i++) {
            CHECK(l[i] == 0 || l[i] == 1);
            n0 += l[i] == 0;
            n1 += l[i] == 1;
        }
        if (n0 <= N / 10 || n1 <= N / 10) {
            fprintf(stderr, "want pseudorandom, got %d zeros and %d ones (cap %d)\n",
                    n0, n1, caps[ci]);
            exit(1);
        }
        goro_chan_release(c);
    }
}

/* ---- runtime TestSelectDuplicateChannel --------------------------------- */

typedef struct dup_args {
    goro_chan *c, *d, *e;
    goro_waitgroup *wg;
} dup_args;

static void dup_a(void *arg)
{
    dup_args *a = arg;
    int v = -1;
    goro_case cs[3] = { GORO_CASE_RECV(a->c, &v), GORO_CASE_RECV(a->c, &v),
                        GORO_CASE_RECV(a->d, &v) };
    CHECK_EQ(goro_select(cs, 3), 2);
    CHECK_EQ(v, 7);
    CHECK_EQ(goro_chan_send(a->e, &(int){ 9 }), 0);
    goro_waitgroup_done(a->wg);
}

static void dup_b(void *arg)
{
    dup_args *a = arg;
    int v = -1;
    CHECK_EQ(goro_chan_recv(a->c, &v), 0);
    CHECK_EQ(v, 8);
    goro_waitgroup_done(a->wg);
}

static void test_select_duplicate_channel(void *arg)
{
    (void)arg;
    goro_waitgroup wg = {0};
    dup_args a = { make_chan(sizeof(int), 0), make_chan(sizeof(int), 0),
                   make_chan(sizeof(int), 0), &wg };
    goro_waitgroup_add(&wg, 2);
    CHECK_EQ(goro_go(dup_a, &a), 0);
    goro_sleep(GORO_MILLISECOND);   /* A queues on c (twice) first */
    CHECK_EQ(goro_go(dup_b, &a), 0);
    goro_sleep(GORO_MILLISECOND);   /* then B */
    CHECK_EQ(goro_chan_send(a.d, &(int){ 7 }), 0);   /* wakes A, which leaves c's queue */
    int v;
    CHECK_EQ(goro_chan_recv(a.e, &v), 0);
    CHECK_EQ(v, 9);
    /* Must reach B (the queue was not corrupted by A leaving it). */
    CHECK_EQ(goro_chan_send_until(a.c, &(int){ 8 }, goro_now() + 10 * GORO_SECOND), 0);
    goro_waitgroup_wait(&wg);
    goro_chan_release(a.c);
    goro_chan_release(a.d);
    goro_chan_release(a.e);
}

/* ---- runtime TestSelectFairness and chi-square -------------------------- */

typedef struct fair_args {
    goro_chan *c1, *c2, *c3, *c4, *out, *done;
} fair_args;

static void fair_selector(void *arg)
{
    fair_args *a = arg;
    for (;;) {
        unsigned char b = 0;
        goro_case cs[4] = { GORO_CASE_RECV(a->c3, &b), GORO_CASE_RECV(a->c4, &b),
                            GORO_CASE_RECV(a->c1, &b), GORO_CASE_RECV(a->c2, &b) };
        int k = goro_select(cs, 4);
        CHECK(k == 2 || k == 3);
        goro_case cs2[2] = { GORO_CASE_SEND(a->out, &b), GORO_CASE_RECV(a->done, NULL) };
        if (goro_select(cs2, 2) == 1) {
            CHECK_EQ(cs2[1].result, GORO_ECLOSED);
            return;
        }
    }
}

static void test_select_fairness(void *arg)
{
    (void)arg;
    const int trials = (int)scaled(10000, 2);
    fair_args a = { make_chan(1, (size_t)trials + 1), make_chan(1, (size_t)trials + 1),
                    make_chan(1, 0), make_chan(1, 0), make_chan(1, 0), make_chan(0, 0) };
    for (int i = 0; i < trials + 1; i++) {
        CHECK_EQ(goro_chan_send(a.c1, &(unsigned char){ 1 }), 0);
        CHECK_EQ(goro_chan_send(a.c2, &(unsigned char){ 2 }), 0);
    }
    goro_waitgroup wg = {0};
    CHECK_EQ(goro_waitgroup_go(&wg, fair_selector, &a), 0);
    int cnt1 = 0, cnt2 = 0;
    for (int i = 0; i < trials; i++) {
        unsigned char b;
        CHECK_EQ(goro_chan_recv(a.out, &b), 0);
        if (b == 1)
            cnt1++;
        else if (b == 2)
            cnt2++;
        else
            CHECK(!"unexpected value");
    }
    double mean = trials * 0.5, sd = sqrt(trials * 0.25);
    if (fabs(cnt1 - mean) > 10 * sd) {
        fprintf(stderr, "unfair select: in %d trials, results were %d, %d\n", trials, cnt1, cnt2);
        exit(1);
    }
    CHECK_EQ(goro_chan_close(a.done), 0);
    goro_waitgroup_wait(&wg);
    goro_chan *all[] = { a.c1, a.c2, a.c3, a.c4, a.out, a.done };
    for (int i = 0; i < 6; i++)
        goro_chan_release(all[i]);
}

/* k always-ready cases (buffered channels refilled after each receive),
 * interleaved with NULL cases; chi-square with k-1 degrees of freedom
 * against a bound far above its 1e-9 quantile. */
static void chi_square(int k, double bound)
{
    enum { MAXK = 16 };
    goro_chan *c[MAXK];
    goro_case cs[2 * MAXK];
    int vals[MAXK];
    long cnt[MAXK] = { 0 };
    for (int i = 0; i < k; i++) {
        c[i] = make_chan(sizeof(int), 1);
        CHECK_EQ(goro_chan_send(c[i], &i), 0);
    }
    for (int i = 0; i < k; i++) {
        cs[2 * i] = GORO_CASE_RECV(NULL, &vals[i]);   /* never fires */
        cs[2 * i + 1] = GORO_CASE_RECV(c[i], &vals[i]);
    }
    long trials = scaled(2000, 2) * k;
    for (long t = 0; t < trials; t++) {
        int j = goro_select(cs, 2 * k);
        CHECK(j >= 0 && j < 2 * k && j % 2 == 1);
        int i = j / 2;
        CHECK_EQ(vals[i], i);
        cnt[i]++;
        CHECK_EQ(goro_chan_send(c[i], &i), 0);
    }
    double e = (double)trials / k, chi = 0;
    for (int i = 0; i < k; i++)
        chi += (cnt[i] - e) * (cnt[i] - e) / e;
    if (chi > bound) {
        fprintf(stderr, "select not uniform over %d cases: chi2 = %.1f:", k, chi);
        for (int i = 0; i < k; i++)
            fprintf(stderr, " %ld", cnt[i]);
        fprintf(stderr, "\n");
        exit(1);
    }
    for (int i = 0; i < k; i++)
        goro_chan_release(c[i]);
}

static void test_chi_square(void *arg)
{
    (void)arg;
    chi_square(6, 60.0);    /* 5 dof: P(chi2 > 60) ~ 1e-11 */
    chi_square(12, 80.0);   /* 11 dof, 24 cases (heap path): P ~ 1e-12 */
}

/* ---- runtime TestNonblockSelectRace, Race2 ------------------------------ */

typedef struct nsr_args {
    goro_chan *c1, *c2, *done;
} nsr_args;

static void nsr_selector(void *arg)
{
    nsr_args *a = arg;
    goro_case cs[2] = { GORO_CASE_RECV(a->c1, NULL), GORO_CASE_RECV(a->c2, NULL) };
    int ok = goro_select_try(cs, 2) >= 0;
    CHECK_EQ(goro_chan_send(a->done, &ok), 0);
}

static void test_nonblock_select_race(void *arg)
{
    (void)arg;
    long n = scaled(20000, 10);
    goro_chan *done = make_chan(sizeof(int), 1);
    for (int close_c2 = 0; close_c2 < 2; close_c2++) {
        for (long i = 0; i < n; i++) {
            nsr_args a = { make_chan(sizeof(int), 1), make_chan(sizeof(int), 1), done };
            CHECK_EQ(goro_chan_send(a.c1, &(int){ 1 }), 0);
            CHECK_EQ(goro_go(nsr_selector, &a), 0);
            if (close_c2)
                CHECK_EQ(goro_chan_close(a.c2), 0);
            else
                CHECK_EQ(goro_chan_send(a.c2, &(int){ 1 }), 0);
            goro_case cs[1] = { GORO_CASE_RECV(a.c1, NULL) };
            int k = goro_select_try(cs, 1);
            CHECK(k == 0 || k == GORO_EAGAIN);
            int ok = 0;
            CHECK_EQ(goro_chan_recv(done, &ok), 0);
            if (!ok) {
                fprintf(stderr, "nonblock select race%s: no chan is ready\n",
                        close_c2 ? "2" : "");
                exit(1);
            }
            goro_chan_release(a.c1);
            goro_chan_release(a.c2);
        }
    }
    goro_chan_release(done);
}

/* ---- contract: NULL cases, try, until, closed, many cases --------------- */

static void test_null_and_try(void *arg)
{
    (void)arg;
    int sentinel = 12345, v = 0;
    goro_chan *c = make_chan(sizeof(int), 1);

    /* 0 cases: try is EAGAIN, until times out (cases may be NULL). */
    CHECK_EQ(goro_select_try(NULL, 0), GORO_EAGAIN);
    goro_case none[1];
    CHECK_EQ(goro_select_try(none, 0), GORO_EAGAIN);
    CHECK_EQ(goro_select_until(NULL, 0, goro_now() + GORO_MILLISECOND), GORO_ETIMEDOUT);

    /* Only NULL channels: never ready. */
    goro_case nulls[3] = { GORO_CASE_RECV(NULL, &sentinel), GORO_CASE_SEND(NULL, &v),
                           GORO_CASE_RECV(NULL, NULL) };
    CHECK_EQ(goro_select_try(nulls, 3), GORO_EAGAIN);
    int64_t t0 = goro_now();
    CHECK_EQ(goro_select_until(nulls, 3, t0 + 2 * GORO_MILLISECOND), GORO_ETIMEDOUT);
    CHECK(goro_now() - t0 >= 2 * GORO_MILLISECOND);
    CHECK_EQ(sentinel, 12345);

    /* Nothing ready on real channels either. */
    goro_case cs[4] = { GORO_CASE_RECV(NULL, &sentinel), GORO_CASE_RECV(c, &v),
                        GORO_CASE_SEND(NULL, &v), GORO_CASE_RECV(NULL, &sentinel) };
    v = -7;
    CHECK_EQ(goro_select_try(cs, 4), GORO_EAGAIN);
    CHECK_EQ(v, -7);

    /* One real ready case among NULL ones always wins. */
    for (int i = 0; i < 100; i++) {
        CHECK_EQ(goro_chan_send(c, &i), 0);
        for (int j = 0; j < 4; j++)
            cs[j].result = 555;
        int k = i % 2 ? goro_select(cs, 4) : goro_select_try(cs, 4);
        CHECK_EQ(k, 1);
        CHECK_EQ(v, i);
        for (int j = 0; j < 4; j++)
            CHECK_EQ(cs[j].result, 0);
    }
    CHECK_EQ(sentinel, 12345);

    /* A NULL send case next to a full channel: nothing. */
    CHECK_EQ(goro_chan_send(c, &v), 0);
    goro_case sc[2] = { GORO_CASE_SEND(NULL, &v), GORO_CASE_SEND(c, &v) };
    CHECK_EQ(goro_select_try(sc, 2), GORO_EAGAIN);
    CHECK_EQ(goro_chan_len(c), 1);
    goro_chan_release(c);
}

static void test_until(void *arg)
{
    (void)arg;
    goro_chan *u = make_chan(sizeof(int), 0), *b = make_chan(sizeof(int), 1);
    CHECK_EQ(goro_chan_send(b, &(int){ 3 }), 0);   /* b full: its send case is not ready */
    for (int i = 0; i < 5; i++) {
        int v = -1, w = 4;
        goro_case cs[3] = { GORO_CASE_RECV(u, &v), GORO_CASE_SEND(u, &w),
                            GORO_CASE_SEND(b, &w) };
        int64_t d = (i + 1) * GORO_MILLISECOND, t0 = goro_now();
        CHECK_EQ(goro_select_until(cs, 3, t0 + d), GORO_ETIMEDOUT);
        CHECK(goro_now() - t0 >= d);
        CHECK_EQ(v, -1);
        /* No waiter left behind on u. */
        CHECK_EQ(goro_chan_try_send(u, &w), GORO_EAGAIN);
        CHECK_EQ(goro_chan_try_recv(u, &v), GORO_EAGAIN);
        CHECK_EQ(goro_chan_len(b), 1);
        /* A past deadline: an immediate ETIMEDOUT, or the ready case. */
        CHECK_EQ(goro_select_until(cs, 3, t0 - GORO_SECOND), GORO_ETIMEDOUT);
        goro_case rb[2] = { GORO_CASE_RECV(u, &v), GORO_CASE_RECV(b, &v) };
        CHECK_EQ(goro_select_until(rb, 2, 0), 1);
        CHECK_EQ(v, 3);
        CHECK_EQ(goro_chan_send(b, &(int){ 3 }), 0);
    }
    goro_chan_release(u);
    goro_chan_release(b);
}

typedef struct closer_args {
    goro_chan *c;
    int64_t delay;
} closer_args;

static void close_later(void *arg)
{
    closer_args *a = arg;
    goro_sleep(a->delay);
    CHECK_EQ(goro_chan_close(a->c), 0);
}

static void test_closed(void *arg)
{
    (void)arg;
    goro_chan *q = make_chan(sizeof(int), 0);   /* never ready */
    for (size_t cap = 0; cap < 3; cap += 2) {
        /* Drains first, then GORO_ECLOSED with a zeroed value. */
        goro_chan *c = make_chan(sizeof(int), cap);
        for (int i = 0; i < (int)cap; i++)
            CHECK_EQ(goro_chan_send(c, &(int){ 10 + i }), 0);
        CHECK_EQ(goro_chan_close(c), 0);
        int v = -1, qv = -1;
        goro_case cs[2] = { GORO_CASE_RECV(q, &qv), GORO_CASE_RECV(c, &v) };
        for (int i = 0; i < (int)cap; i++) {
            CHECK_EQ(goro_select(cs, 2), 1);
            CHECK_EQ(cs[1].result, 0);
            CHECK_EQ(v, 10 + i);
        }
        for (int i = 0; i < 3; i++) {
            v = -1;
            CHECK_EQ(i == 0 ? goro_select(cs, 2) : goro_select_try(cs, 2), 1);
            CHECK_EQ(cs[1].result, GORO_ECLOSED);
            CHECK_EQ(v, 0);
            CHECK_EQ(qv, -1);
        }
        /* Send case on a closed channel. */
        int w = 5;
        goro_case ss[2] = { GORO_CASE_RECV(q, &qv), GORO_CASE_SEND(c, &w) };
        CHECK_EQ(goro_select(ss, 2), 1);
        CHECK_EQ(ss[1].result, GORO_ECLOSED);
        CHECK_EQ(goro_select_try(ss, 2), 1);
        CHECK_EQ(ss[1].result, GORO_ECLOSED);
        CHECK_EQ(goro_chan_len(c), 0);
        goro_chan_release(c);

        /* close wakes a blocked select: receive case. */
        c = make_chan(sizeof(int), cap);
        closer_args ca = { c, GORO_MILLISECOND };
        goro_waitgroup wg = {0};
        CHECK_EQ(goro_waitgroup_go(&wg, close_later, &ca), 0);
        v = -1;
        cs[1] = GORO_CASE_RECV(c, &v);
        CHECK_EQ(goro_select(cs, 2), 1);
        CHECK_EQ(cs[1].result, GORO_ECLOSED);
        CHECK_EQ(v, 0);
        goro_waitgroup_wait(&wg);
        goro_chan_release(c);

        /* ... and a send case on a full (or unbuffered) channel. */
        c = make_chan(sizeof(int), cap);
        for (int i = 0; i < (int)cap; i++)
            CHECK_EQ(goro_chan_send(c, &i), 0);
        ca.c = c;
        CHECK_EQ(goro_waitgroup_go(&wg, close_later, &ca), 0);
        ss[1] = GORO_CASE_SEND(c, &w);
        CHECK_EQ(goro_select_until(ss, 2, goro_now() + 10 * GORO_SECOND), 1);
        CHECK_EQ(ss[1].result, GORO_ECLOSED);
        goro_waitgroup_wait(&wg);
        CHECK_EQ(goro_chan_len(c), cap);   /* nothing went in */
        goro_chan_release(c);
    }
    goro_chan_release(q);
}

/* More than 8 cases: the heap path. */
typedef struct many_args {
    goro_chan *c;
    int v;
} many_args;

static void send_one_later(void *arg)
{
    many_args *a = arg;
    goro_sleep(GORO_MILLISECOND);
    CHECK_EQ(goro_chan_send(a->c, &a->v), 0);
}

static void test_many_cases(void *arg)
{
    (void)arg;
    enum { K = 20 };
    goro_chan *c[K];
    int vals[K];
    goro_case cs[K];
    for (int i = 0; i < K; i++) {
        c[i] = make_chan(sizeof(int), i % 2);   /* unbuffered and buffered */
        vals[i] = -1;
        cs[i] = GORO_CASE_RECV(c[i], &vals[i]);
    }
    CHECK_EQ(goro_select_try(cs, K), GORO_EAGAIN);
    CHECK_EQ(goro_select_until(cs, K, goro_now() + GORO_MILLISECOND), GORO_ETIMEDOUT);
    /* Each case fires when its channel gets a value, blocked or not. */
    for (int round = 0; round < 2; round++) {
        for (int t = 0; t < K; t++) {
            int i = (t * 7 + round) % K;
            many_args a = { c[i], 1000 + i };
            goro_waitgroup wg = {0};
            if (round == 0 && i % 2 == 1)
                CHECK_EQ(goro_chan_send(c[i], &a.v), 0);
            else
                CHECK_EQ(goro_waitgroup_go(&wg, send_one_later, &a), 0);
            CHECK_EQ(goro_select(cs, K), i);
            CHECK_EQ(vals[i], 1000 + i);
            vals[i] = -1;
            for (int j = 0; j < K; j++)
                CHECK_EQ(vals[j], -1);
            goro_waitgroup_wait(&wg);
        }
    }
    /* Send cases, all ready at once, then none. */
    int out[K];
    for (int i = 0; i < K; i++) {
        out[i] = i;
        cs[i] = GORO_CASE_SEND(c[i], &out[i]);
    }
    int fired[K] = { 0 };
    for (int n = 0; n < K / 2; n++) {
        int k = goro_select_try(cs, K);
        CHECK(k >= 0 && k < K && k % 2 == 1 && !fired[k]);
        fired[k] = 1;
    }
    CHECK_EQ(goro_select_try(cs, K), GORO_EAGAIN);
    for (int i = 0; i < K; i++) {
        CHECK_EQ(goro_chan_len(c[i]), (size_t)(i % 2));
        goro_chan_release(c[i]);
    }
}

/* ---- a plain thread blocked in select, woken exactly once --------------- */

enum { WK = 5 };

typedef struct wake_args {
    goro_chan *c;
    int v;
    int64_t delay;
    int dir;     /* what the goroutine does: GORO_SEND or GORO_RECV */
    int got;
} wake_args;

static void waker(void *arg)
{
    wake_args *a = arg;
    goro_sleep(a->delay);
    if (a->dir == GORO_SEND)
        CHECK_EQ(goro_chan_send(a->c, &a->v), 0);
    else
        CHECK_EQ(goro_chan_recv(a->c, &a->got), 0);
}

/* Runs on the plain main thread. */
static void test_thread_select_woken_once(void)
{
    long rounds = scaled(300, 3);
    goro_chan *c[WK];
    for (int i = 0; i < WK; i++)
        c[i] = make_chan(sizeof(int), 0);
    for (long r = 0; r < rounds; r++) {
        wake_args a[WK];
        int in[WK], out[WK];
        goro_case cs[WK];
        goro_waitgroup wg = {0};
        for (int i = 0; i < WK; i++) {
            /* Mostly the goroutines send; sometimes case i is a send. */
            int send_case = (r % 3 == 0) && (i % 2 == 0);
            a[i] = (wake_args){ c[i], (int)(r * WK + i), (r % 4) * 100 * GORO_MICROSECOND,
                                send_case ? GORO_RECV : GORO_SEND, -1 };
            in[i] = -1;
            out[i] = (int)(r * WK + i) + 1000000;
            cs[i] = send_case ? GORO_CASE_SEND(c[i], &out[i]) : GORO_CASE_RECV(c[i], &in[i]);
            CHECK_EQ(goro_waitgroup_go(&wg, waker, &a[i]), 0);
        }
        int k = goro_select(cs, WK);
        CHECK(k >= 0 && k < WK);
        CHECK_EQ(cs[k].result, 0);
        /* Exactly one case happened; each other party is still waiting
         * for its own, which must still be there. */
        for (int i = 0; i < WK; i++) {
            if (i == k)
                continue;
            CHECK_EQ(in[i], -1);
            int64_t dl = goro_now() + 10 * GORO_SECOND;
            if (cs[i].dir == GORO_RECV)
                CHECK_EQ(goro_chan_recv_until(c[i], &in[i], dl), 0);
            else
                CHECK_EQ(goro_chan_send_until(c[i], &out[i], dl), 0);
        }
        goro_waitgroup_wait(&wg);
        for (int i = 0; i < WK; i++) {
            if (cs[i].dir == GORO_RECV)
                CHECK_EQ(in[i], a[i].v);
            else
                CHECK_EQ(a[i].got, out[i]);
        }
    }
    for (int i = 0; i < WK; i++)
        goro_chan_release(c[i]);
}

int main(void)
{
    run_main(test_select_go, NULL);
    run_main(test_select4, NULL);
    test_select4(NULL);
    run_main(test_doubleselect, NULL);
    test_doubleselect(NULL);
    run_main(test_self_select, NULL);
    run_main(test_select_stress, NULL);
    run_main(test_pseudo_random_send, NULL);
    test_pseudo_random_send(NULL);
    run_main(test_select_duplicate_channel, NULL);
    run_main(test_select_fairness, NULL);
    run_main(test_chi_square, NULL);
    test_chi_square(NULL);
    run_main(test_nonblock_select_race, NULL);
    run_main(test_null_and_try, NULL);
    test_null_and_try(NULL);
    run_main(test_until, NULL);
    test_until(NULL);
    run_main(test_closed, NULL);
    test_closed(NULL);
    run_main(test_many_cases, NULL);
    test_many_cases(NULL);
    test_thread_select_woken_once();
    TEST_PASS("test_select_conf");
}
