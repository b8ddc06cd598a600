/* SPDX-License-Identifier: MIT */
/*
 * fuzz_chan.c: libFuzzer harness for goro's channel, select, timer and
 * context API, checked against a model of Go's semantics.
 *
 * Each input runs in two phases (layout in docs/verification.md, "Fuzzing"):
 *
 *  Phase 1, sequential and checked exactly. One driver (the fuzzer's own
 *  plain thread, or a goroutine, as the first byte says) runs a decoded
 *  list of operations on up to 3 channels (capacity 0..4, element size
 *  0..100 bytes), 2 timers, one AfterFunc timer, up to 6 contexts and 2
 *  context after_funcs; after every call the result, the bytes written to
 *  the destination (and the bytes it must not touch) and the channel's
 *  state are compared with a sequential model of Go. An operation that
 *  would block in Go is issued with an _until deadline (expired or a few
 *  microseconds ahead) and must time out having changed nothing. "Pair"
 *  operations start one helper (a goroutine or a pthread) doing a blocking
 *  send, receive or select on one channel while the driver does the
 *  complementary call (or close): whichever of the two arrives first, Go's
 *  outcome is the same, so these check the parking and wake-up paths
 *  exactly too. Where the outcome really depends on timing (a short timer
 *  that may or may not have fired, a close racing a send that fits in the
 *  buffer) the model accepts each possible outcome and follows the one
 *  that happened.
 *
 *  Phase 2, concurrent and checked by invariants. 1..3 producers (one may
 *  be a plain thread) run decoded scripts of sends, try-sends, timed sends,
 *  selects mixing send and receive cases with a context's done channel and
 *  goro_after timers, closes, context cancels and receives, on 1..3 fresh
 *  channels; each channel has a draining goroutine that receives (in
 *  varied ways, selects over the other channels included) until it is
 *  closed and drained. When the producers are done the driver closes every
 *  channel and waits for the drainers. Then: every value whose send
 *  returned 0 was received exactly once, on the channel it was sent to;
 *  no other value was received; each receiver saw each sender's values on
 *  a channel in the order they were sent; exactly one close of each
 *  channel returned 0; once a goroutine knows a channel is closed (it
 *  closed it, or a receive said so) its sends fail with GORO_ECLOSED, its
 *  non-blocking receives never say GORO_EAGAIN and nothing more arrives
 *  from it once drained; a done case fires only for a cancelled context.
 *
 * Nothing blocks without a guaranteed partner, a deadline or a timer that
 * fires, so an input that hangs is a bug (goro's deadlock detector, or
 * libFuzzer's -timeout, reports it). After each input every goroutine has
 * ended and every object is released; a goroutine still alive after 5 s is
 * reported as a leak.
 *
 * A failed check prints "fuzz_chan: CHECK FAILED" with the line and the
 * values, then aborts (libFuzzer saves the input as a crash-* file).
 */
#include <goro.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- checks ---------------------------------------------------------- */

static __attribute__((noreturn, format(printf, 3, 4)))
void fail_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fuzz_chan: CHECK FAILED at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

#define REQUIRE(cond, ...) do { if (!(cond)) fail_at(__FILE__, __LINE__, __VA_ARGS__); } while (0)
#define REQUIRE_EQ(a, b) do { \
    long long a_ = (long long)(a), b_ = (long long)(b); \
    if (a_ != b_) fail_at(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, a_, #b, b_); \
} while (0)

/* ---- timing constants ------------------------------------------------ */

#define US        GORO_MICROSECOND
#define SAFETY    (5 * GORO_SECOND)   /* what "guaranteed to happen" may take */
#define LONG_D    (3600 * GORO_SECOND) /* a timer that never fires in one input */

/* ---- input reader ------------------------------------------------------ */

typedef struct rd {
    const uint8_t *p;
    size_t n;
} rd;

static unsigned rd_u8(rd *r)
{
    if (!r->n)
        return 0;
    r->n--;
    return *r->p++;
}

static unsigned rd_below(rd *r, unsigned n)
{
    return rd_u8(r) % n;
}

/* ---- element values ----------------------------------------------------
 * A value is a 64-bit id spread over the element's bytes; buffers beyond
 * the element size hold a canary that no call may touch. */
#define EBUF   128
#define CANARY 0xA5

static const size_t esizes[] = { 8, 0, 4, 16, 3, 100, 8, 8 };

static void enc(uint64_t id, size_t esz, uint8_t *b)
{
    memset(b, CANARY, EBUF);
    for (size_t i = 0; i < esz; i++)
        b[i] = (uint8_t)((id >> (8 * (i % 8))) ^ (0x5b * (i / 8)));
}

static void fill_canary(uint8_t *b)
{
    memset(b, CANARY, EBUF);
}

/* The buffer holds id (esz bytes), or zeroes when id is ZEROED, or is
 * untouched when id is UNTOUCHED; the canary beyond esz is intact. */
#define ZEROED    UINT64_MAX
#define UNTOUCHED (UINT64_MAX - 1)

static void check_buf_at(const char *file, int line, const uint8_t *b, size_t esz, uint64_t id)
{
    uint8_t want[EBUF];
    if (id == UNTOUCHED) {
        fill_canary(want);
    } else if (id == ZEROED) {
        fill_canary(want);
        memset(want, 0, esz);
    } else {
        enc(id, esz, want);
    }
    for (size_t i = 0; i < EBUF; i++)
        if (b[i] != want[i])
            fail_at(file, line, "destination byte %zu is 0x%02x, expected 0x%02x "
                    "(element size %zu, expected %s %llu)", i, b[i], want[i], esz,
                    id == UNTOUCHED ? "untouched" : id == ZEROED ? "zeroed" : "value",
                    (unsigned long long)(id >= UNTOUCHED ? 0 : id));
}
#define check_buf(b, esz, id) check_buf_at(__FILE__, __LINE__, (b), (esz), (id))

/* =========================================================================
 * Phase 1: sequential, checked exactly against a model
 * ========================================================================= */

#define NCH   3
#define NTIM  2
#define NCTX  6
#define NAF   2
#define QMAX  16

typedef struct mchan {
    goro_chan *ch;
    size_t cap, esz;
    bool closed;
    uint64_t q[QMAX];
    unsigned head, n;
} mchan;

enum { TS_NONE, TS_LONG, TS_SHORT, TS_DEAD };   /* timer model states */

typedef struct mtimer {
    goro_timer *t;
    int state;            /* TS_*: LONG pending (won't fire), SHORT armed (fires soon) */
    int64_t armed_at, d;  /* goro_now() before arming, and the duration */
} mtimer;

enum { K_CANCEL, K_VALUE, K_WITHOUT };

typedef struct mctx {
    goro_ctx *c;          /* NULL once released (or never made) */
    bool exists;          /* made (the model keeps released ones for the tree) */
    int parent;           /* index, -1 = background */
    int kind;
    int64_t deadline;     /* the cancel context's own deadline, 0 = none */
    int err, cause;
    int key;              /* value contexts: index into keys[] */
    void *val;
} mctx;

typedef struct maf {
    goro_ctx_after *h;
    int ctx;
    bool fired;           /* the model says fn has been (or will be) started */
    bool stopped;         /* stopped at least once: every later stop is false */
} maf;

typedef struct p1 {
    rd r;
    bool helper_thread;   /* pair helpers run on pthreads */
    uint64_t next_id;
    mchan c[NCH];
    int nch;
    mtimer tm[NTIM];
    /* AfterFunc timer: runs expected = arms - stops/resets that returned true */
    goro_timer *af;
    int af_state;
    int af_arms, af_trues;
    mctx x[NCTX];
    int nctx;
    maf a[NAF];
    int a_fired_expected;
} p1;

static _Atomic int af_runs;      /* goro_after_func callbacks run (per input) */
static _Atomic int ctx_af_runs;  /* goro_ctx_after_func callbacks run (per input) */
static char keys[4];

static void af_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&af_runs, 1);
}

static void ctx_af_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ctx_af_runs, 1);
}

static void wait_count(_Atomic int *ctr, int want, const char *what)
{
    int64_t until = goro_now() + SAFETY;
    while (atomic_load(ctr) < want) {
        REQUIRE(goro_now() < until, "%s: %d callbacks ran in 5 s, expected %d",
                what, atomic_load(ctr), want);
        goro_sleep(10 * US);
    }
    REQUIRE(atomic_load(ctr) == want, "%s: %d callbacks ran, expected %d",
            what, atomic_load(ctr), want);
}

/* ---- channel model ---- */

static void mq_push(mchan *m, uint64_t id)
{
    REQUIRE(m->n < QMAX, "model queue overflow");
    m->q[(m->head + m->n) % QMAX] = id;
    m->n++;
}

static uint64_t mq_pop(mchan *m)
{
    REQUIRE(m->n > 0, "model queue underflow");
    uint64_t id = m->q[m->head];
    m->head = (m->head + 1) % QMAX;
    m->n--;
    return id;
}

static bool m_send_ready(const mchan *m)
{
    return m->closed || m->n < m->cap;   /* no receiver waits in phase 1 */
}

static bool m_recv_ready(const mchan *m)
{
    return m->n > 0 || m->closed;
}

static void check_state(p1 *s, int i)
{
    mchan *m = &s->c[i];
    REQUIRE_EQ(goro_chan_len(m->ch), m->n);
    REQUIRE_EQ(goro_chan_cap(m->ch), m->cap);
}

/* What a receive on m that can proceed yields: the id, or ZEROED. */
static uint64_t m_take(mchan *m)
{
    return m->n ? mq_pop(m) : ZEROED;
}

/* ---- context model ---- */

/* The cancel context whose cancellation ctx i follows: -1 for none. */
static int m_cancel_ctx(p1 *s, int i)
{
    while (i >= 0 && s->x[i].kind == K_VALUE)
        i = s->x[i].parent;
    return i >= 0 && s->x[i].kind == K_CANCEL ? i : -1;
}

static bool m_deadline(p1 *s, int i, int64_t *d)
{
    for (; i >= 0; i = s->x[i].parent) {
        if (s->x[i].kind == K_WITHOUT)
            return false;
        if (s->x[i].kind == K_CANCEL && s->x[i].deadline) {
            *d = s->x[i].deadline;
            return true;
        }
    }
    return false;
}

static void m_cancel(p1 *s, int i, int err, int cause);

static void m_fire_afters(p1 *s, int i)
{
    for (int k = 0; k < NAF; k++)
        if (s->a[k].h && s->a[k].ctx == i && !s->a[k].fired && !s->a[k].stopped) {
            s->a[k].fired = true;
            s->a_fired_expected++;
        }
}

/* Stops after_func k: true only if neither fired nor stopped before (Go's
 * stop, callable any number of times); then frees it if asked. */
static void af_stop(p1 *s, int k, bool free_it)
{
    REQUIRE_EQ(goro_ctx_after_func_stop(s->a[k].h), !s->a[k].fired && !s->a[k].stopped);
    s->a[k].stopped = true;
    if (free_it) {
        goro_ctx_after_free(s->a[k].h);
        s->a[k].h = NULL;
    }
}

/* cancel(): the first cancellation wins; children get the parent's cause. */
static void m_cancel(p1 *s, int i, int err, int cause)
{
    mctx *x = &s->x[i];
    if (x->err)
        return;
    x->err = err;
    x->cause = cause ? cause : err;
    m_fire_afters(s, i);
    for (int k = 0; k < s->nctx; k++)
        if (s->x[k].exists && s->x[k].kind == K_CANCEL && k != i &&
            m_cancel_ctx(s, s->x[k].parent) == i)
            m_cancel(s, k, err, x->cause);
}

static void check_ctx(p1 *s, int i)
{
    mctx *x = &s->x[i];
    int cc = m_cancel_ctx(s, i);
    int err = cc >= 0 ? s->x[cc].err : 0;
    int cause = cc >= 0 ? s->x[cc].cause : 0;
    REQUIRE_EQ(goro_ctx_err(x->c), err);
    REQUIRE_EQ(goro_ctx_cause(x->c), cause);
    goro_chan *done = goro_ctx_done(x->c);
    REQUIRE((done == NULL) == (cc < 0), "ctx %d: done %p, cancel ancestor %d", i, (void *)done, cc);
    if (done) {
        int r = goro_chan_try_recv(done, NULL);
        REQUIRE_EQ(r, err ? GORO_ECLOSED : GORO_EAGAIN);
    }
    int64_t d = 0, md = 0;
    bool has = goro_ctx_deadline(x->c, &d);
    bool mhas = m_deadline(s, i, &md);
    REQUIRE_EQ(has, mhas);
    if (has)
        REQUIRE_EQ(d, md);
    for (int k = 0; k < 4; k++) {
        void *want = NULL;
        for (int j = i; j >= 0; j = s->x[j].parent)
            if (s->x[j].kind == K_VALUE && s->x[j].key == k) {
                want = s->x[j].val;
                break;
            }
        REQUIRE(goro_ctx_value(x->c, &keys[k]) == want, "ctx %d: value of key %d", i, k);
    }
}

/* ---- select in phase 1 ----
 * Case sources: 0..nch-1 channels, then the 2 timer channels, then the
 * done channels of the contexts, then NULL. */
enum { RDY_NO, RDY_YES, RDY_MAYBE };

typedef struct scase {
    int src;              /* -1 NULL */
    int dir;
    uint64_t id;          /* send: the value's id */
    uint8_t buf[EBUF];
} scase;

#define MAXC 10

static goro_chan *src_chan(p1 *s, int src)
{
    if (src < 0)
        return NULL;
    if (src < s->nch)
        return s->c[src].ch;
    src -= s->nch;
    if (src < NTIM)
        return s->tm[src].t ? goro_timer_chan(s->tm[src].t) : NULL;
    src -= NTIM;
    return s->x[src].c ? goro_ctx_done(s->x[src].c) : NULL;
}

static int src_ready(p1 *s, const scase *k)
{
    int src = k->src;
    if (src < 0)
        return RDY_NO;
    if (src < s->nch)
        return (k->dir == GORO_SEND ? m_send_ready(&s->c[src]) : m_recv_ready(&s->c[src]))
            ? RDY_YES : RDY_NO;
    src -= s->nch;
    if (src < NTIM)
        return s->tm[src].state == TS_SHORT ? RDY_MAYBE : RDY_NO;
    src -= NTIM;
    int cc = m_cancel_ctx(s, src);
    return cc >= 0 && s->x[cc].err ? RDY_YES : RDY_NO;
}

static size_t src_esz(p1 *s, int src)
{
    if (src < 0)
        return 8;
    if (src < s->nch)
        return s->c[src].esz;
    if (src < s->nch + NTIM)
        return sizeof(int64_t);
    return 0;
}

static int decode_src(p1 *s, unsigned b)
{
    int nsrc = s->nch + NTIM + s->nctx + 1;
    int src = (int)(b % (unsigned)nsrc);
    if (src == nsrc - 1)
        return -1;
    if (src >= s->nch + NTIM && !s->x[src - s->nch - NTIM].c)
        return -1;   /* a released context */
    if (src >= s->nch && src < s->nch + NTIM && !s->tm[src - s->nch].t)
        return -1;
    return src;
}

/* Applies a fired case to the model and checks its result and value. */
static void apply_case(p1 *s, scase *k, int result, int64_t t_before)
{
    int src = k->src;
    REQUIRE(src >= 0, "a NULL case fired");
    if (src < s->nch) {
        mchan *m = &s->c[src];
        if (k->dir == GORO_SEND) {
            if (m->closed) {
                REQUIRE_EQ(result, GORO_ECLOSED);
            } else {
                REQUIRE_EQ(result, 0);
                mq_push(m, k->id);
            }
        } else {
            uint64_t want = m_take(m);
            REQUIRE_EQ(result, want == ZEROED ? GORO_ECLOSED : 0);
            check_buf(k->buf, m->esz, want);
        }
        return;
    }
    src -= s->nch;
    if (src < NTIM) {
        mtimer *t = &s->tm[src];
        REQUIRE(k->dir == GORO_RECV && t->state == TS_SHORT, "timer case fired in state %d", t->state);
        REQUIRE_EQ(result, 0);
        int64_t v;
        memcpy(&v, k->buf, sizeof v);
        REQUIRE(v >= t->armed_at + t->d && v <= goro_now(),
                "timer value %lld, armed at %lld for %lld", (long long)v,
                (long long)t->armed_at, (long long)t->d);
        t->state = TS_DEAD;
        (void)t_before;
        return;
    }
    REQUIRE_EQ(result, GORO_ECLOSED);   /* a done channel is closed */
}

/* ---- pair operations ---- */

typedef struct helper {
    goro_chan *ch;        /* the channel both sides use */
    int kind;             /* 0 recv, 1 send, 2 select recv + decoys, 3 select send + decoys */
    goro_case cs[3];
    int ncs;
    uint8_t buf[EBUF];    /* receive destination / value to send */
    int result, index;
    goro_waitgroup wg;
} helper;

static void helper_run(helper *h)
{
    switch (h->kind) {
    case 0: h->result = goro_chan_recv(h->ch, h->buf); break;
    case 1: h->result = goro_chan_send(h->ch, h->buf); break;
    default:
        h->index = goro_select(h->cs, h->ncs);
        h->result = h->index >= 0 ? h->cs[h->index].result : h->index;
        break;
    }
}

static void helper_goroutine(void *arg)
{
    helper *h = arg;
    helper_run(h);
    goro_waitgroup_done(&h->wg);
}

static void *helper_thread(void *arg)
{
    helper_goroutine(arg);
    return NULL;
}

/* A decoy case that is not ready and stays so while only channel `busy`
 * changes: a receive on an open empty channel, a send on an open full
 * buffered one, or NULL. Never a send on an unbuffered channel: the other
 * side's decoy could be a receive on it, and the two would meet. */
static goro_case decoy(p1 *s, int busy, unsigned b, uint8_t *buf)
{
    int i = (int)(b % (unsigned)s->nch);
    mchan *m = &s->c[i];
    if (i != busy && !m->closed && (b & 8)) {
        if (m->n == 0)
            return GORO_CASE_RECV(m->ch, buf);
        if (m->cap > 0 && m->n >= m->cap)
            return GORO_CASE_SEND(m->ch, buf);
    }
    return GORO_CASE_RECV(NULL, buf);
}

static void op_pair(p1 *s)
{
    int ci = (int)rd_below(&s->r, (unsigned)s->nch);
    mchan *m = &s->c[ci];
    unsigned hk = rd_u8(&s->r), mk = rd_u8(&s->r), d1 = rd_u8(&s->r), d2 = rd_u8(&s->r);
    helper h;
    memset(&h, 0, sizeof h);
    h.ch = m->ch;
    h.kind = (int)(hk % 4);
    bool h_recv = h.kind == 0 || h.kind == 2;
    uint64_t hid = s->next_id++, mid = s->next_id++;
    uint8_t dbuf[2][EBUF];
    fill_canary(dbuf[0]);
    fill_canary(dbuf[1]);
    if (h_recv)
        fill_canary(h.buf);
    else
        enc(hid, m->esz, h.buf);
    if (h.kind >= 2) {
        h.ncs = 1 + (int)(hk / 4 % 3);
        int at = (int)(hk / 16 % (unsigned)h.ncs);
        for (int k = 0, j = 0; k < h.ncs; k++)
            h.cs[k] = k == at ? (h_recv ? GORO_CASE_RECV(m->ch, h.buf) : GORO_CASE_SEND(m->ch, h.buf))
                              : decoy(s, ci, k ? d1 : d2, dbuf[j++]);
    }

    /* the driver's side */
    int mkind = (int)(mk % 3);   /* 0 direct, 1 select with decoys, 2 close */
    uint8_t mbuf[EBUF], mdbuf[2][EBUF];
    fill_canary(mdbuf[0]);
    fill_canary(mdbuf[1]);
    if (h_recv)
        enc(mid, m->esz, mbuf);
    else
        fill_canary(mbuf);

    goro_waitgroup_add(&h.wg, 1);
    pthread_t th;
    if (s->helper_thread) {
        REQUIRE(pthread_create(&th, NULL, helper_thread, &h) == 0, "pthread_create");
    } else {
        REQUIRE(goro_go(helper_goroutine, &h) == 0, "goro_go");
    }
    if (mk & 0x40)
        goro_yield();   /* let the helper park first, sometimes */
    if (mk & 0x80)
        goro_sleep(5 * US);

    int mres, midx = -1;
    goro_case mcs[3];
    int nm = 0;
    if (mkind == 0) {
        mres = h_recv ? goro_chan_send(m->ch, mbuf) : goro_chan_recv(m->ch, mbuf);
    } else if (mkind == 1) {
        nm = 1 + (int)(mk / 4 % 3);
        int at = (int)(mk / 16 % (unsigned)nm);
        for (int k = 0, j = 0; k < nm; k++)
            mcs[k] = k == at ? (h_recv ? GORO_CASE_SEND(m->ch, mbuf) : GORO_CASE_RECV(m->ch, mbuf))
                             : decoy(s, ci, k ? d2 >> 4 : d1 >> 4, mdbuf[j++]);
        midx = goro_select(mcs, nm);
        REQUIRE(midx == at, "driver's pair select chose %d, only case %d can fire", midx, at);
        mres = mcs[midx].result;
    } else {
        mres = goro_chan_close(m->ch);
    }
    goro_waitgroup_wait(&h.wg);
    if (s->helper_thread)
        pthread_join(th, NULL);
    if (h.kind >= 2) {
        int at = (int)(hk / 16 % (unsigned)h.ncs);
        REQUIRE(h.index == at, "helper's pair select chose %d, only case %d can fire", h.index, at);
    }

    /* the model */
    if (mkind == 2) {
        REQUIRE_EQ(mres, m->closed ? GORO_ECLOSED : 0);
        if (h_recv) {
            uint64_t want = m_take(m);
            REQUIRE_EQ(h.result, want == ZEROED ? GORO_ECLOSED : 0);
            check_buf(h.buf, m->esz, want);
        } else if (m->closed || m->n >= m->cap) {
            REQUIRE_EQ(h.result, GORO_ECLOSED);
        } else {
            /* a send that fits may come before or after the close */
            REQUIRE(h.result == 0 || h.result == GORO_ECLOSED, "send racing close: %d", h.result);
            if (h.result == 0)
                mq_push(m, hid);
        }
        m->closed = true;
    } else if (h_recv) {
        if (m->closed) {
            REQUIRE_EQ(mres, GORO_ECLOSED);
        } else {
            REQUIRE_EQ(mres, 0);
            mq_push(m, mid);
        }
        uint64_t want = m_take(m);
        REQUIRE_EQ(h.result, want == ZEROED ? GORO_ECLOSED : 0);
        check_buf(h.buf, m->esz, want);
    } else {
        if (m->closed) {
            REQUIRE_EQ(h.result, GORO_ECLOSED);
        } else {
            REQUIRE_EQ(h.result, 0);
            mq_push(m, hid);
        }
        uint64_t want = m_take(m);
        REQUIRE_EQ(mres, want == ZEROED ? GORO_ECLOSED : 0);
        check_buf(mbuf, m->esz, want);
    }
    for (int j = 0; j < 2; j++) {
        check_buf(dbuf[j], 0, UNTOUCHED);
        check_buf(mdbuf[j], 0, UNTOUCHED);
    }
    check_state(s, ci);
}

/* ---- the other phase 1 operations ---- */

static void op_send(p1 *s, int kind)
{
    int ci = (int)rd_below(&s->r, (unsigned)s->nch);
    unsigned p = rd_u8(&s->r);
    mchan *m = &s->c[ci];
    uint64_t id = s->next_id++;
    uint8_t b[EBUF];
    enc(id, m->esz, b);
    int r, want;
    bool ready = m_send_ready(m);
    if (kind == 0) {
        r = goro_chan_try_send(m->ch, b);
        want = m->closed ? GORO_ECLOSED : ready ? 0 : GORO_EAGAIN;
    } else if (ready && (p & 1)) {
        r = goro_chan_send(m->ch, b);
        want = m->closed ? GORO_ECLOSED : 0;
    } else {
        int64_t dl = (p & 2) ? goro_now() + (int64_t)(p >> 2) * US : (p & 4) ? 0 : goro_now() - 1;
        r = goro_chan_send_until(m->ch, b, dl);
        want = m->closed ? GORO_ECLOSED : ready ? 0 : GORO_ETIMEDOUT;
    }
    REQUIRE(r == want, "send (kind %d) on chan %d (cap %zu, len %u, closed %d): %d, expected %d",
            kind, ci, m->cap, m->n, m->closed, r, want);
    if (r == 0)
        mq_push(m, id);
    check_state(s, ci);
}

static void op_recv(p1 *s, int kind)
{
    int ci = (int)rd_below(&s->r, (unsigned)s->nch);
    unsigned p = rd_u8(&s->r);
    mchan *m = &s->c[ci];
    uint8_t b[EBUF];
    fill_canary(b);
    uint8_t *dst = (p & 0x80) ? NULL : b;
    int r;
    bool ready = m_recv_ready(m);
    if (kind == 0) {
        r = goro_chan_try_recv(m->ch, dst);
    } else if (ready && (p & 1)) {
        r = goro_chan_recv(m->ch, dst);
    } else {
        int64_t dl = (p & 2) ? goro_now() + (int64_t)((p >> 2) & 31) * US : (p & 4) ? 0 : goro_now() - 1;
        r = goro_chan_recv_until(m->ch, dst, dl);
    }
    if (!ready) {
        REQUIRE_EQ(r, kind == 0 ? GORO_EAGAIN : GORO_ETIMEDOUT);
        check_buf(b, m->esz, UNTOUCHED);
    } else {
        uint64_t want = m_take(m);
        REQUIRE_EQ(r, want == ZEROED ? GORO_ECLOSED : 0);
        check_buf(b, m->esz, dst ? want : UNTOUCHED);
    }
    check_state(s, ci);
}

static void op_close(p1 *s)
{
    int ci = (int)rd_below(&s->r, (unsigned)s->nch);
    mchan *m = &s->c[ci];
    REQUIRE_EQ(goro_chan_close(m->ch), m->closed ? GORO_ECLOSED : 0);
    m->closed = true;
    check_state(s, ci);
}

static void op_select(p1 *s, int kind)
{
    /* kind 0: select_try; 1: select (only if something will fire), else
     * select_until; 2: select_until with a short deadline */
    unsigned hdr = rd_u8(&s->r);
    int n = (int)(hdr % (MAXC + 1));
    scase k[MAXC];
    goro_case cs[MAXC];
    int nyes = 0, nmaybe = 0;
    for (int i = 0; i < n; i++) {
        unsigned b = rd_u8(&s->r);
        k[i].src = decode_src(s, b);
        k[i].dir = (b & 0x80) && k[i].src >= 0 && k[i].src < s->nch ? GORO_SEND : GORO_RECV;
        if (k[i].dir == GORO_SEND) {
            k[i].id = s->next_id++;
            enc(k[i].id, src_esz(s, k[i].src), k[i].buf);
        } else {
            fill_canary(k[i].buf);
        }
        void *v = (k[i].dir == GORO_RECV && (b & 0x40) && k[i].src >= 0 && k[i].src < s->nch)
            ? NULL : k[i].buf;
        cs[i] = (goro_case){ src_chan(s, k[i].src), v, k[i].dir, 12345 };
        int rd_ = src_ready(s, &k[i]);
        nyes += rd_ == RDY_YES;
        nmaybe += rd_ == RDY_MAYBE;
    }
    int64_t t0 = goro_now();
    int r;
    if (kind == 0)
        r = goro_select_try(cs, n);
    else if (kind == 1 && (nyes || nmaybe))
        r = goro_select(cs, n);
    else
        r = goro_select_until(cs, n, (hdr & 0x80) ? goro_now() + (int64_t)(hdr >> 4 & 7) * 3 * US
                                                  : goro_now() - 1);
    if (r < 0) {
        if (kind == 0) {
            REQUIRE(r == GORO_EAGAIN && nyes == 0, "select_try: %d with %d ready cases", r, nyes);
        } else {
            REQUIRE(r == GORO_ETIMEDOUT && nyes == 0, "select_until: %d with %d ready cases", r, nyes);
        }
        for (int i = 0; i < n; i++) {
            REQUIRE(cs[i].ch == src_chan(s, k[i].src) && cs[i].dir == k[i].dir, "case %d changed", i);
            if (k[i].dir == GORO_RECV)
                check_buf(k[i].buf, 0, UNTOUCHED);
        }
        return;
    }
    REQUIRE(r < n, "select returned %d for %d cases", r, n);
    int rdy = src_ready(s, &k[r]);
    REQUIRE(rdy != RDY_NO, "select chose case %d (source %d, dir %d), which cannot proceed",
            r, k[r].src, k[r].dir);
    if (cs[r].val == NULL) {
        /* received and discarded: apply to the model without a value check */
        mchan *m = &s->c[k[r].src];
        uint64_t want = m_take(m);
        REQUIRE_EQ(cs[r].result, want == ZEROED ? GORO_ECLOSED : 0);
        check_buf(k[r].buf, 0, UNTOUCHED);
    } else {
        apply_case(s, &k[r], cs[r].result, t0);
        if (k[r].src >= s->nch && k[r].src < s->nch + NTIM) {
            uint8_t rest[EBUF];
            fill_canary(rest);
            REQUIRE(memcmp(k[r].buf + 8, rest, EBUF - 8) == 0, "timer wrote past 8 bytes");
        }
    }
    for (int i = 0; i < n; i++) {
        if (i == r)
            continue;
        if (k[i].dir == GORO_RECV)
            check_buf(k[i].buf, 0, UNTOUCHED);
    }
    for (int i = 0; i < s->nch; i++)
        check_state(s, i);
}

/* ---- timers ---- */

static int64_t short_d(unsigned b)
{
    return (int64_t)(b % 8) * 7 * US - (b % 16 == 15 ? 5 * US : 0);   /* includes d <= 0 */
}

static void op_timer(p1 *s)
{
    unsigned op = rd_u8(&s->r), p = rd_u8(&s->r);
    int ti = (int)(op >> 7);
    mtimer *t = &s->tm[ti];
    switch (op % 9) {
    case 0:   /* new, or stop */
        if (!t->t) {
            t->armed_at = goro_now();
            t->d = (p & 1) ? LONG_D : short_d(p >> 1);
            t->t = goro_timer_new(t->d);
            REQUIRE(t->t, "goro_timer_new");
            t->state = (p & 1) ? TS_LONG : TS_SHORT;
            break;
        }
        /* fall through */
    case 1: { /* stop: true iff pending, counting a fired value not received */
        if (!t->t)
            break;
        bool r = goro_timer_stop(t->t);
        REQUIRE_EQ(r, t->state != TS_DEAD);
        t->state = TS_DEAD;
        REQUIRE_EQ(goro_chan_try_recv(goro_timer_chan(t->t), NULL), GORO_EAGAIN);
        break;
    }
    case 2: { /* reset */
        if (!t->t)
            break;
        int64_t d = (p & 1) ? LONG_D : short_d(p >> 1);
        int64_t now = goro_now();
        bool r = goro_timer_reset(t->t, d);
        REQUIRE_EQ(r, t->state != TS_DEAD);
        t->armed_at = now;
        t->d = d;
        t->state = (p & 1) ? TS_LONG : TS_SHORT;
        break;
    }
    case 3:   /* try_recv */
    case 4: { /* recv: blocking when it will fire, else until a near deadline */
        if (!t->t)
            break;
        int64_t v = -7;
        int r;
        if (op % 9 == 3)
            r = goro_chan_try_recv(goro_timer_chan(t->t), &v);
        else if (t->state == TS_SHORT)
            r = goro_chan_recv_until(goro_timer_chan(t->t), &v, goro_now() + SAFETY);
        else
            r = goro_chan_recv_until(goro_timer_chan(t->t), &v, goro_now() + (int64_t)(p % 8) * US);
        if (t->state == TS_SHORT) {
            if (op % 9 == 3 && r == GORO_EAGAIN) {
                REQUIRE_EQ(v, -7);
                break;
            }
            REQUIRE(r == 0, "timer receive: %d (a timer of %lld ns did not fire in 5 s?)",
                    r, (long long)t->d);
            REQUIRE(v >= t->armed_at + t->d && v <= goro_now(), "timer value %lld, armed %lld + %lld",
                    (long long)v, (long long)t->armed_at, (long long)t->d);
            t->state = TS_DEAD;
        } else {
            REQUIRE_EQ(r, op % 9 == 3 ? GORO_EAGAIN : GORO_ETIMEDOUT);
            REQUIRE_EQ(v, -7);
        }
        break;
    }
    case 5:   /* free */
        if (t->t) {
            goro_timer_free(t->t);
            t->t = NULL;
            t->state = TS_NONE;
        }
        break;
    case 6: { /* goro_after: receive it, or drop it */
        int64_t d = short_d(p), t0 = goro_now();
        goro_chan *c = goro_after(d);
        REQUIRE(c, "goro_after");
        if (p & 0x80) {
            int64_t v = -7;
            REQUIRE_EQ(goro_chan_recv_until(c, &v, goro_now() + SAFETY), 0);
            REQUIRE(v >= t0 + d && v <= goro_now(), "goro_after value");
            REQUIRE_EQ(goro_chan_try_recv(c, &v), GORO_EAGAIN);
        }
        goro_chan_release(c);
        break;
    }
    case 7: { /* AfterFunc timer */
        if (!s->af) {
            bool lng = p & 1;
            s->af = goro_after_func(lng ? LONG_D : short_d(p >> 1), af_fn, NULL);
            REQUIRE(s->af, "goro_after_func");
            REQUIRE(goro_timer_chan(s->af) == NULL, "after_func has a channel");
            s->af_state = lng ? TS_LONG : TS_SHORT;
            s->af_arms++;
        } else if (p & 1) {
            bool r = goro_timer_stop(s->af);
            if (s->af_state == TS_LONG)
                REQUIRE(r, "stop of a pending AfterFunc returned false");
            if (s->af_state == TS_DEAD)
                REQUIRE(!r, "stop of a stopped or fired AfterFunc returned true");
            s->af_trues += r;
            s->af_state = TS_DEAD;
        } else {
            bool lng = p & 2;
            bool r = goro_timer_reset(s->af, lng ? LONG_D : short_d(p >> 2));
            if (s->af_state == TS_LONG)
                REQUIRE(r, "reset of a pending AfterFunc returned false");
            if (s->af_state == TS_DEAD)
                REQUIRE(!r, "reset of a stopped or fired AfterFunc returned true");
            s->af_trues += r;
            s->af_arms++;
            s->af_state = lng ? TS_LONG : TS_SHORT;
        }
        break;
    }
    case 8: { /* ticker */
        int64_t period = 5 * US + (int64_t)(p % 8) * 5 * US;
        int64_t v1 = 0, v2 = 0, t0 = goro_now();
        goro_ticker *tk = goro_ticker_new(period);
        REQUIRE(tk, "goro_ticker_new");
        goro_chan *c = goro_ticker_chan(tk);
        REQUIRE_EQ(goro_chan_recv_until(c, &v1, goro_now() + SAFETY), 0);
        REQUIRE(v1 >= t0 + period, "first tick %lld before %lld", (long long)v1, (long long)(t0 + period));
        if (p & 8) {
            REQUIRE_EQ(goro_ticker_reset(tk, period * 2), 0);
        }
        REQUIRE_EQ(goro_chan_recv_until(c, &v2, goro_now() + SAFETY), 0);
        REQUIRE(v2 >= v1, "ticks went back: %lld then %lld", (long long)v1, (long long)v2);
        REQUIRE_EQ(goro_ticker_reset(tk, 0), GORO_EINVAL);
        goro_ticker_stop(tk);
        goro_ticker_free(tk);
        break;
    }
    }
}

/* ---- contexts ---- */

static void op_ctx(p1 *s)
{
    unsigned op = rd_u8(&s->r), p = rd_u8(&s->r), q = rd_u8(&s->r);
    switch (op % 6) {
    case 0:
    case 1: { /* create */
        if (s->nctx == NCTX)
            break;
        int par = (int)(p % (unsigned)(s->nctx + 1)) - 1;
        if (par >= 0 && !s->x[par].c)
            par = -1;
        goro_ctx *pc = par >= 0 ? s->x[par].c : goro_ctx_background();
        int i = s->nctx;
        mctx *x = &s->x[i];
        memset(x, 0, sizeof *x);
        x->parent = par;
        x->exists = true;
        int64_t dl = 0;
        int dcause = 0;
        switch (q % 7) {
        case 0: x->kind = K_CANCEL; x->c = goro_ctx_with_cancel(pc); break;
        case 1:
        case 2: { /* deadline: past, 0, or hours ahead in the order q says */
            x->kind = K_CANCEL;
            int64_t base = goro_now();
            int sel = (int)(q / 8 % 4);
            dl = sel == 0 ? 0 : sel == 1 ? base - 1000 : base + (int64_t)sel * LONG_D + (int64_t)(q >> 5);
            dcause = (q & 1) ? 0 : -(int)(100 + q);
            x->c = dcause ? goro_ctx_with_deadline_cause(pc, dl, dcause) : goro_ctx_with_deadline(pc, dl);
            if (dl <= 0)
                dl = 1;
            break;
        }
        case 3: /* timeout <= 0: expired at once */
            x->kind = K_CANCEL;
            dl = goro_now();   /* at most the real deadline; only its order matters below */
            x->c = goro_ctx_with_timeout(pc, -(int64_t)(q >> 3));
            break;
        case 4:
        case 5:
            x->kind = K_VALUE;
            x->key = (int)(q >> 3) % 4;
            x->val = (void *)(uintptr_t)(0x1000 + q);
            x->c = goro_ctx_with_value(pc, &keys[x->key], x->val);
            break;
        default:
            x->kind = K_WITHOUT;
            x->c = goro_ctx_without_cancel(pc);
            break;
        }
        REQUIRE(x->c, "context creation");
        s->nctx++;
        if (x->kind == K_CANCEL) {
            int64_t pd;
            bool ph = m_deadline(s, par, &pd);
            if (q % 7 == 3) {
                /* with_timeout(d <= 0): deadline now, later than any past parent's */
                int64_t real;
                REQUIRE(goro_ctx_deadline(x->c, &real), "timeout context without deadline");
                dl = (ph && pd <= real) ? 0 : real;
            } else if (dl && ph && pd <= dl) {
                dl = 0;
            }
            x->deadline = dl;
            int cc = m_cancel_ctx(s, par);
            if (cc >= 0 && s->x[cc].err)
                m_cancel(s, i, s->x[cc].err, s->x[cc].cause);
            else if (dl && dl <= goro_now())
                m_cancel(s, i, GORO_ETIMEDOUT, dcause);
        }
        check_ctx(s, i);
        break;
    }
    case 2: { /* cancel */
        if (!s->nctx)
            break;
        int i = (int)(p % (unsigned)s->nctx);
        if (!s->x[i].c)
            break;
        int cause = (q & 1) ? 0 : (int)q + 1;
        int r = cause ? goro_ctx_cancel_cause(s->x[i].c, cause) : goro_ctx_cancel(s->x[i].c);
        if (s->x[i].kind != K_CANCEL) {
            REQUIRE_EQ(r, GORO_EINVAL);
        } else {
            REQUIRE_EQ(r, 0);
            m_cancel(s, i, GORO_ECANCELED, cause);
        }
        for (int k = 0; k < s->nctx; k++)
            if (s->x[k].c)
                check_ctx(s, k);
        REQUIRE_EQ(goro_ctx_cancel(goro_ctx_background()), GORO_EINVAL);
        break;
    }
    case 3: { /* release (after stopping the after_funcs: see the model notes) */
        if (!s->nctx)
            break;
        int i = (int)(p % (unsigned)s->nctx);
        if (!s->x[i].c)
            break;
        for (int k = 0; k < NAF; k++)
            if (s->a[k].h)
                af_stop(s, k, true);
        goro_ctx_release(s->x[i].c);
        s->x[i].c = NULL;
        break;
    }
    case 4: { /* after_func on a context, or stop one */
        int k = (int)(q % NAF);
        if (s->a[k].h) {
            af_stop(s, k, q & 0x80);   /* kept: the next stop returns false */
            break;
        }
        if (!s->nctx)
            break;
        int i = (int)(p % (unsigned)s->nctx);
        if (!s->x[i].c)
            break;
        s->a[k].h = goro_ctx_after_func(s->x[i].c, ctx_af_fn, NULL);
        REQUIRE(s->a[k].h, "goro_ctx_after_func");
        int cc = m_cancel_ctx(s, i);
        s->a[k].ctx = cc;
        s->a[k].fired = false;
        s->a[k].stopped = false;
        if (cc < 0) {
            s->a[k].ctx = -2;   /* never fires */
        } else if (s->x[cc].err) {
            s->a[k].fired = true;
            s->a_fired_expected++;
        }
        break;
    }
    case 5: { /* a short timeout under a context: wait for its done */
        if (!s->nctx)
            break;
        int i = (int)(p % (unsigned)s->nctx);
        if (!s->x[i].c)
            break;
        int64_t d = (int64_t)(q % 16) * 3 * US + 1;
        int cause = (q & 0x10) ? -(int)q - 200 : 0;
        goro_ctx *c = cause ? goro_ctx_with_timeout_cause(s->x[i].c, d, cause)
                            : goro_ctx_with_timeout(s->x[i].c, d);
        REQUIRE(c, "with_timeout");
        int cc = m_cancel_ctx(s, i);
        int64_t pd;
        bool ph = m_deadline(s, i, &pd);
        goro_case cs[1] = { GORO_CASE_RECV(goro_ctx_done(c), NULL) };
        int r = (q & 0x20) ? goro_select_until(cs, 1, goro_now() + SAFETY)
                           : goro_chan_recv_until(goro_ctx_done(c), NULL, goro_now() + SAFETY);
        if (q & 0x20) {
            REQUIRE_EQ(r, 0);
            r = cs[0].result;
        }
        REQUIRE(r == GORO_ECLOSED, "done of a %lld ns timeout context: %d", (long long)d, r);
        if (cc >= 0 && s->x[cc].err) {
            REQUIRE_EQ(goro_ctx_err(c), s->x[cc].err);
            REQUIRE_EQ(goro_ctx_cause(c), s->x[cc].cause);
        } else if (ph && pd <= goro_now() - LONG_D) {
            /* unreachable: parent deadlines in the past are cancelled */
        } else {
            REQUIRE_EQ(goro_ctx_err(c), GORO_ETIMEDOUT);
            REQUIRE_EQ(goro_ctx_cause(c), cause ? cause : GORO_ETIMEDOUT);
        }
        int64_t dd;
        REQUIRE(goro_ctx_deadline(c, &dd), "timeout context has no deadline");
        goro_ctx_release(c);
        break;
    }
    }
}

/* ---- phase 1 driver ---- */

static void p1_setup(p1 *s, unsigned cfg)
{
    s->nch = 1 + (int)(cfg % NCH);
    for (int i = 0; i < s->nch; i++) {
        unsigned b = rd_u8(&s->r);
        mchan *m = &s->c[i];
        m->cap = b % 5;
        m->esz = esizes[(b >> 3) % 8];
        m->ch = goro_chan_make(m->esz, m->cap);
        REQUIRE(m->ch, "goro_chan_make");
    }
}

static void p1_teardown(p1 *s)
{
    for (int k = 0; k < NAF; k++)
        if (s->a[k].h)
            af_stop(s, k, true);
    /* after_funcs cancelled while registered must all have run */
    wait_count(&ctx_af_runs, s->a_fired_expected, "ctx after_func");
    for (int i = s->nctx - 1; i >= 0; i--)
        if (s->x[i].c)
            goro_ctx_release(s->x[i].c);
    for (int i = 0; i < NTIM; i++)
        if (s->tm[i].t)
            goro_timer_free(s->tm[i].t);
    if (s->af) {
        bool r = goro_timer_stop(s->af);
        if (s->af_state == TS_LONG)
            REQUIRE(r, "stop of a pending AfterFunc returned false");
        if (s->af_state == TS_DEAD)
            REQUIRE(!r, "stop of a stopped AfterFunc returned true");
        s->af_trues += r;
        goro_timer_free(s->af);
        wait_count(&af_runs, s->af_arms - s->af_trues, "AfterFunc");
    }
    /* drain what is left and compare, then release */
    for (int i = 0; i < s->nch; i++) {
        mchan *m = &s->c[i];
        if (!m->closed) {
            REQUIRE_EQ(goro_chan_close(m->ch), 0);
            m->closed = true;
        }
        for (;;) {
            uint8_t b[EBUF];
            fill_canary(b);
            uint64_t want = m_take(m);
            REQUIRE_EQ(goro_chan_recv(m->ch, b), want == ZEROED ? GORO_ECLOSED : 0);
            check_buf(b, m->esz, want);
            if (want == ZEROED)
                break;
        }
        goro_chan_release(m->ch);
    }
}

static void p1_run(p1 *s)
{
    for (int ops = 0; ops < 64 && s->r.n; ops++) {
        unsigned op = rd_u8(&s->r);
        switch (op % 16) {
        case 0: op_send(s, 0); break;
        case 1: op_send(s, 1); break;
        case 2: op_recv(s, 0); break;
        case 3: op_recv(s, 1); break;
        case 4: op_close(s); break;
        case 5: op_select(s, 0); break;
        case 6: op_select(s, 1); break;
        case 7: op_select(s, 2); break;
        case 8:
        case 9: op_pair(s); break;
        case 10: op_timer(s); break;
        case 11: op_ctx(s); break;
        case 12: { /* len/cap of every channel, NULL arguments, and a yield */
            for (int i = 0; i < s->nch; i++)
                check_state(s, i);
            uint8_t b[EBUF];
            fill_canary(b);
            REQUIRE_EQ(goro_chan_send(NULL, b), GORO_EINVAL);
            REQUIRE_EQ(goro_chan_try_send(NULL, b), GORO_EINVAL);
            REQUIRE_EQ(goro_chan_send_until(NULL, b, 0), GORO_EINVAL);
            REQUIRE_EQ(goro_chan_recv(NULL, b), GORO_EINVAL);
            REQUIRE_EQ(goro_chan_try_recv(NULL, b), GORO_EINVAL);
            REQUIRE_EQ(goro_chan_recv_until(NULL, b, 0), GORO_EINVAL);
            REQUIRE_EQ(goro_chan_close(NULL), GORO_EINVAL);
            check_buf(b, 0, UNTOUCHED);
            REQUIRE_EQ(goro_chan_len(NULL), 0);
            REQUIRE_EQ(goro_chan_cap(NULL), 0);
            REQUIRE(goro_chan_make(65537, 1) == NULL, "65537-byte elements");
            REQUIRE_EQ(goro_select_try(NULL, -1), GORO_EINVAL);
            REQUIRE_EQ(goro_select_try(NULL, 0), GORO_EAGAIN);
            REQUIRE_EQ(goro_select_until(NULL, 0, 0), GORO_ETIMEDOUT);
            REQUIRE(goro_ctx_with_cancel(NULL) == NULL, "ctx with NULL parent");
            REQUIRE(goro_ctx_done(goro_ctx_background()) == NULL, "background done");
            REQUIRE_EQ(goro_ctx_err(goro_ctx_background()), 0);
            goro_yield();
            break;
        }
        case 13: op_send(s, 0); break;
        case 14: op_recv(s, 0); break;
        case 15:
            return;   /* end of phase 1: the rest is phase 2 */
        }
    }
}

static void p1_goroutine(void *arg)
{
    p1_run(arg);
}

/* =========================================================================
 * Phase 2: concurrent, checked by invariants
 * ========================================================================= */

#define NPROD   3
#define NCH2    3
#define NOPS    48
#define NSEQ    256
#define LOGMAX  (NPROD * NOPS + 8)
#define SCRIPT  64

enum { ST_NONE, ST_OK, ST_FAIL };

typedef struct actor {
    struct p2 *w;
    int id;               /* producers 0..NPROD-1, drainer of channel c: NPROD + c */
    uint8_t script[SCRIPT];
    int nscript;
    uint64_t log[LOGMAX]; /* ids received, in order */
    uint8_t logch[LOGMAX];
    int nlog;
    bool closed_seen[NCH2];  /* this actor knows the channel is closed */
    bool drained_seen[NCH2]; /* ... and a receive said closed and drained */
    uint32_t seq[NCH2];
    bool cancelled;          /* this actor cancelled the context */
} actor;

typedef struct p2 {
    int nch, nprod;
    goro_chan *ch[NCH2];
    size_t cap[NCH2];
    goro_ctx *ctx;
    bool ctx_timeout;
    uint8_t status[NPROD][NCH2][NSEQ];
    _Atomic int close_ok[NCH2];
    actor a[NPROD + NCH2];
    goro_waitgroup wg_prod, wg_drain;
    bool thread0;
} p2;

static uint64_t mkid(int prod, int ch, uint32_t seq)
{
    return (uint64_t)1 << 62 | (uint64_t)prod << 48 | (uint64_t)ch << 40 | seq;
}

static void id_parse(uint64_t id, int *prod, int *ch, uint32_t *seq)
{
    *prod = (int)(id >> 48 & 0xff);
    *ch = (int)(id >> 40 & 0xff);
    *seq = (uint32_t)(id & 0xffffffffu);
}

/* Records a received value (or a closed-and-drained result) on channel c. */
static void got(actor *a, int c, int r, uint64_t v)
{
    p2 *w = a->w;
    if (r == GORO_ECLOSED) {
        REQUIRE_EQ(v, 0);   /* destination zeroed */
        a->closed_seen[c] = a->drained_seen[c] = true;
        return;
    }
    REQUIRE_EQ(r, 0);
    REQUIRE(!a->drained_seen[c], "actor %d received %#llx on channel %d after it was closed and drained",
            a->id, (unsigned long long)v, c);
    REQUIRE(v >> 62 == 1, "actor %d received a value never sent: %#llx", a->id, (unsigned long long)v);
    int prod, ch;
    uint32_t seq;
    id_parse(v, &prod, &ch, &seq);
    REQUIRE(prod < w->nprod && ch == c && seq < NSEQ,
            "actor %d received %#llx on channel %d: sent by %d on channel %d", a->id,
            (unsigned long long)v, c, prod, ch);
    REQUIRE(a->nlog < LOGMAX, "log overflow");
    a->log[a->nlog] = v;
    a->logch[a->nlog] = (uint8_t)c;
    a->nlog++;
}

static void sent(actor *a, int c, uint32_t seq, int r)
{
    p2 *w = a->w;
    REQUIRE(w->status[a->id][c][seq] == ST_NONE, "seq reused");
    w->status[a->id][c][seq] = r == 0 ? ST_OK : ST_FAIL;
    if (a->closed_seen[c])
        REQUIRE(r == GORO_ECLOSED, "actor %d: send on channel %d after its close: %d", a->id, c, r);
    if (r == GORO_ECLOSED)
        a->closed_seen[c] = true;
}

static uint32_t next_seq(actor *a, int c)
{
    REQUIRE(a->seq[c] < NSEQ, "seq overflow");
    return a->seq[c]++;
}

static unsigned sb(actor *a, int *pc)
{
    unsigned b = a->script[*pc % a->nscript];
    (*pc)++;
    return b;
}

static int64_t short_deadline(unsigned b)
{
    return goro_now() + (int64_t)(b % 4) * 10 * US;
}

static void producer_run(actor *a)
{
    p2 *w = a->w;
    int pc = 0;
    int nops = a->nscript / 2;
    for (int op = 0; op < nops; op++) {
        unsigned o = sb(a, &pc), p = sb(a, &pc);
        int c = (int)(p % (unsigned)w->nch);
        uint64_t v = 0;
        int r;
        switch (o % 10) {
        case 0:
        case 1:
        case 2: {
            uint32_t seq = next_seq(a, c);
            uint64_t id = mkid(a->id, c, seq);
            r = o % 10 == 0 ? goro_chan_send(w->ch[c], &id)
              : o % 10 == 1 ? goro_chan_try_send(w->ch[c], &id)
                            : goro_chan_send_until(w->ch[c], &id, short_deadline(p >> 4));
            REQUIRE(r == 0 || r == GORO_ECLOSED || (o % 10 == 1 && r == GORO_EAGAIN) ||
                    (o % 10 == 2 && r == GORO_ETIMEDOUT), "send: %d", r);
            sent(a, c, seq, r);
            break;
        }
        case 3:
        case 4: { /* select: sends, maybe a receive, maybe done, maybe a timer */
            bool blocking = o % 10 == 3;
            goro_case cs[6];
            int src[6];
            uint32_t seqs[6];
            uint64_t vals[6];
            int n = 0, nsend = 0;
            int ncase = 1 + (int)(p >> 2) % 4;
            for (int k = 0; k < ncase; k++) {
                unsigned b = sb(a, &pc);
                int cc = (int)(b % (unsigned)w->nch);
                src[n] = cc;
                if ((b & 0x30) == 0x30 && !a->drained_seen[cc]) {
                    vals[n] = 0;
                    cs[n] = GORO_CASE_RECV(w->ch[cc], &vals[n]);
                } else {
                    seqs[n] = next_seq(a, cc);
                    vals[n] = mkid(a->id, cc, seqs[n]);
                    cs[n] = GORO_CASE_SEND(w->ch[cc], &vals[n]);
                    nsend++;
                }
                n++;
            }
            int done_at = -1, timer_at = -1;
            goro_chan *after = NULL;
            int64_t t0 = 0, d = 0;
            if (o & 0x10) {
                done_at = n;
                src[n] = -1;
                vals[n] = 0;
                cs[n++] = GORO_CASE_RECV(goro_ctx_done(w->ctx), NULL);
            }
            if ((o & 0x20) || (blocking && !nsend)) {
                timer_at = n;
                t0 = goro_now();
                d = (int64_t)(o >> 6) * 8 * US;
                after = goro_after(d);
                REQUIRE(after, "goro_after");
                src[n] = -1;
                vals[n] = 0;
                cs[n] = GORO_CASE_RECV(after, &vals[n]);
                n++;
            }
            int k = blocking ? goro_select(cs, n) : goro_select_try(cs, n);
            bool any_known_ready = a->cancelled && done_at >= 0;
            for (int i = 0; i < n; i++)
                if (src[i] >= 0 && a->closed_seen[src[i]])
                    any_known_ready = true;
            if (k == GORO_EAGAIN) {
                REQUIRE(!blocking, "blocking select returned EAGAIN");
                REQUIRE(!any_known_ready, "actor %d: select_try found nothing ready, but a case "
                        "is on a channel it knows is closed or its cancelled context", a->id);
            } else {
                REQUIRE(k >= 0 && k < n, "select: %d", k);
            }
            for (int i = 0; i < n; i++) {
                if (i == done_at) {
                    if (i == k) {
                        REQUIRE_EQ(cs[i].result, GORO_ECLOSED);
                        int e = goro_ctx_err(w->ctx);
                        REQUIRE(e == GORO_ECANCELED || (w->ctx_timeout && e == GORO_ETIMEDOUT),
                                "done fired, ctx err %d", e);
                    }
                } else if (i == timer_at) {
                    if (i == k) {
                        REQUIRE_EQ(cs[i].result, 0);
                        int64_t tv = (int64_t)vals[i];
                        REQUIRE(tv >= t0 + d && tv <= goro_now(), "goro_after value %lld, t0 %lld d %lld",
                                (long long)tv, (long long)t0, (long long)d);
                    } else {
                        REQUIRE_EQ(vals[i], 0);
                    }
                } else if (cs[i].dir == GORO_SEND) {
                    if (i == k) {
                        sent(a, src[i], seqs[i], cs[i].result);
                    } else {
                        REQUIRE(a->w->status[a->id][src[i]][seqs[i]] == ST_NONE, "seq reused");
                        a->w->status[a->id][src[i]][seqs[i]] = ST_FAIL;
                    }
                } else if (i == k) {
                    got(a, src[i], cs[i].result, vals[i]);
                } else {
                    REQUIRE_EQ(vals[i], 0);   /* untouched */
                }
            }
            if (after)
                goro_chan_release(after);
            break;
        }
        case 5:
            r = goro_chan_close(w->ch[c]);
            REQUIRE(r == 0 || r == GORO_ECLOSED, "close: %d", r);
            if (r == 0)
                atomic_fetch_add(&w->close_ok[c], 1);
            a->closed_seen[c] = true;
            break;
        case 6:
            goro_yield();
            break;
        case 7:
            if (p & 1) {
                REQUIRE_EQ(goro_ctx_cancel(w->ctx), 0);
                a->cancelled = true;
                REQUIRE(goro_ctx_err(w->ctx) != 0, "err after cancel");
            }
            break;
        case 8:
        case 9: {
            bool tryit = o % 10 == 9;
            r = tryit ? goro_chan_try_recv(w->ch[c], &v)
                      : goro_chan_recv_until(w->ch[c], &v, short_deadline(p >> 4));
            if (r == GORO_EAGAIN || r == GORO_ETIMEDOUT) {
                REQUIRE(r == (tryit ? GORO_EAGAIN : GORO_ETIMEDOUT), "recv: %d", r);
                REQUIRE(!a->closed_seen[c], "actor %d: receive on closed channel %d: %d", a->id, c, r);
                REQUIRE_EQ(v, 0);
                goro_yield();
            } else {
                got(a, c, r, v);
            }
            break;
        }
        }
    }
}

static void drainer_run(actor *a)
{
    p2 *w = a->w;
    int c = a->id - NPROD;
    int pc = 0;
    while (!a->drained_seen[c]) {
        unsigned o = sb(a, &pc);
        uint64_t v = 0;
        int r;
        switch (o % 6) {
        case 0:
            r = goro_chan_recv(w->ch[c], &v);
            got(a, c, r, v);
            break;
        case 1:
        case 2: {
            bool tryit = o % 6 == 1;
            r = tryit ? goro_chan_try_recv(w->ch[c], &v)
                      : goro_chan_recv_until(w->ch[c], &v, short_deadline(o >> 3));
            if (r == GORO_EAGAIN || r == GORO_ETIMEDOUT) {
                REQUIRE(r == (tryit ? GORO_EAGAIN : GORO_ETIMEDOUT), "recv: %d", r);
                REQUIRE(!a->closed_seen[c], "drainer %d: receive on closed channel: %d", c, r);
                REQUIRE_EQ(v, 0);
                goro_yield();   /* a polling loop must yield: goro does not preempt */
            } else {
                got(a, c, r, v);
            }
            break;
        }
        default: { /* select over c and the other channels not yet drained */
            goro_case cs[NCH2];
            uint64_t vals[NCH2] = {0};
            int src[NCH2], n = 0;
            for (int k = 0; k < w->nch; k++) {
                int cc = (c + k) % w->nch;
                if (k && (a->drained_seen[cc] || !((o >> (3 + k)) & 1)))
                    continue;
                src[n] = cc;
                cs[n] = GORO_CASE_RECV(w->ch[cc], &vals[n]);
                n++;
            }
            int mode = o % 6 - 3;   /* 0 select, 1 try, 2 until */
            int k = mode == 0 ? goro_select(cs, n)
                  : mode == 1 ? goro_select_try(cs, n)
                              : goro_select_until(cs, n, short_deadline(o >> 6));
            if (k < 0) {
                REQUIRE(k == (mode == 1 ? GORO_EAGAIN : GORO_ETIMEDOUT) && mode, "select: %d", k);
                for (int i = 0; i < n; i++)
                    REQUIRE(!a->closed_seen[src[i]], "drainer %d: select found nothing ready "
                            "with a case on closed channel %d", c, src[i]);
                goro_yield();
            } else {
                got(a, src[k], cs[k].result, vals[k]);
            }
            for (int i = 0; i < n; i++)
                if (i != k)
                    REQUIRE_EQ(vals[i], 0);
            break;
        }
        }
    }
}

static void producer_goroutine(void *arg)
{
    actor *a = arg;
    producer_run(a);
    goro_waitgroup_done(&a->w->wg_prod);
}

static void *producer_thread(void *arg)
{
    producer_goroutine(arg);
    return NULL;
}

static void drainer_goroutine(void *arg)
{
    actor *a = arg;
    drainer_run(a);
    goro_waitgroup_done(&a->w->wg_drain);
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static void p2_run(rd *r)
{
    if (r->n < 4)
        return;
    static p2 w;   /* large: static, phase 2 runs one at a time */
    memset(&w, 0, sizeof w);
    unsigned cfg = rd_u8(r);
    w.nch = 1 + (int)(cfg % NCH2);
    w.nprod = 1 + (int)(cfg / 4 % NPROD);
    w.thread0 = (cfg & 0x10) != 0;
    w.ctx_timeout = (cfg & 0x20) != 0;
    for (int i = 0; i < w.nch; i++) {
        w.cap[i] = rd_u8(r) % 4;
        w.ch[i] = goro_chan_make(sizeof(uint64_t), w.cap[i]);
        REQUIRE(w.ch[i], "goro_chan_make");
    }
    w.ctx = w.ctx_timeout ? goro_ctx_with_timeout(goro_ctx_background(), (int64_t)(cfg >> 6) * 20 * US)
                          : goro_ctx_with_cancel(goro_ctx_background());
    REQUIRE(w.ctx, "ctx");
    /* scripts: each producer gets a slice; drainers get the next bytes */
    int nact = w.nprod + w.nch;
    size_t per = r->n / (size_t)nact;
    if (per > SCRIPT)
        per = SCRIPT;
    for (int i = 0; i < NPROD + NCH2; i++) {
        actor *a = &w.a[i];
        a->w = &w;
        a->id = i;
        bool live = i < w.nprod || (i >= NPROD && i - NPROD < w.nch);
        if (!live)
            continue;
        for (size_t k = 0; k < per; k++)
            a->script[k] = (uint8_t)rd_u8(r);
        a->nscript = (int)per;
        if (a->nscript == 0) {
            a->script[0] = 0;
            a->nscript = 1;
        }
        if (i < w.nprod && a->nscript > 2 * NOPS)
            a->nscript = 2 * NOPS;
    }
    goro_waitgroup_add(&w.wg_drain, w.nch);
    for (int i = 0; i < w.nch; i++)
        REQUIRE(goro_go(drainer_goroutine, &w.a[NPROD + i]) == 0, "goro_go");
    goro_waitgroup_add(&w.wg_prod, w.nprod);
    pthread_t th;
    for (int i = 0; i < w.nprod; i++) {
        if (i == 0 && w.thread0)
            REQUIRE(pthread_create(&th, NULL, producer_thread, &w.a[0]) == 0, "pthread_create");
        else
            REQUIRE(goro_go(producer_goroutine, &w.a[i]) == 0, "goro_go");
    }
    goro_waitgroup_wait(&w.wg_prod);
    if (w.thread0)
        pthread_join(th, NULL);
    for (int i = 0; i < w.nch; i++) {
        int cr = goro_chan_close(w.ch[i]);
        REQUIRE(cr == 0 || cr == GORO_ECLOSED, "close: %d", cr);
        if (cr == 0)
            atomic_fetch_add(&w.close_ok[i], 1);
    }
    goro_waitgroup_wait(&w.wg_drain);

    /* ---- invariants ---- */
    for (int i = 0; i < w.nch; i++) {
        REQUIRE(atomic_load(&w.close_ok[i]) == 1, "channel %d: %d closes returned 0",
                i, atomic_load(&w.close_ok[i]));
        REQUIRE_EQ(goro_chan_len(w.ch[i]), 0);
        uint64_t v = 1;
        REQUIRE_EQ(goro_chan_try_recv(w.ch[i], &v), GORO_ECLOSED);
        REQUIRE_EQ(v, 0);
    }
    static uint64_t all[(NPROD + NCH2) * LOGMAX];
    size_t nall = 0;
    for (int i = 0; i < NPROD + NCH2; i++) {
        actor *a = &w.a[i];
        /* per receiver: each sender's values on a channel in send order */
        uint32_t last[NPROD][NCH2];
        bool have[NPROD][NCH2];
        memset(have, 0, sizeof have);
        for (int k = 0; k < a->nlog; k++) {
            int prod, ch;
            uint32_t seq;
            id_parse(a->log[k], &prod, &ch, &seq);
            REQUIRE(!have[prod][ch] || seq > last[prod][ch],
                    "FIFO: actor %d received seq %u of producer %d on channel %d after seq %u",
                    i, seq, prod, ch, last[prod][ch]);
            have[prod][ch] = true;
            last[prod][ch] = seq;
            all[nall++] = a->log[k];
        }
    }
    qsort(all, nall, sizeof all[0], cmp_u64);
    for (size_t k = 1; k < nall; k++)
        REQUIRE(all[k] != all[k - 1], "value %#llx received twice", (unsigned long long)all[k]);
    size_t j = 0;
    for (int p = 0; p < w.nprod; p++)
        for (int c = 0; c < w.nch; c++)
            for (uint32_t s = 0; s < NSEQ; s++) {
                uint64_t id = mkid(p, c, s);
                bool received = j < nall && all[j] == id;
                if (received)
                    j++;
                int st = w.status[p][c][s];
                REQUIRE(!received || st == ST_OK, "value %#llx received, but its send %s",
                        (unsigned long long)id, st == ST_NONE ? "never happened" : "failed");
                REQUIRE(received || st != ST_OK, "value %#llx sent (send returned 0), never received",
                        (unsigned long long)id);
            }
    REQUIRE(j == nall, "%zu received values unaccounted for", nall - j);

    goro_ctx_cancel(w.ctx);
    goro_ctx_release(w.ctx);
    for (int i = 0; i < w.nch; i++)
        goro_chan_release(w.ch[i]);
}

/* =========================================================================
 * libFuzzer entry points
 * ========================================================================= */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    goro_maxprocs(2);
    return 0;
}

static void wait_no_goroutines(void)
{
    int64_t until = goro_now() + SAFETY;
    while (goro_num_goroutine() != 0) {
        if (goro_now() > until) {
            fprintf(stderr, "fuzz_chan: CHECK FAILED: %d goroutines still alive 5 s after the input\n",
                    goro_num_goroutine());
            abort();
        }
        goro_sleep(10 * US);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static p1 s;
    memset(&s, 0, sizeof s);
    s.r = (rd){ data, size };
    atomic_store(&af_runs, 0);
    atomic_store(&ctx_af_runs, 0);
    unsigned cfg = rd_u8(&s.r);
    int procs = 1 + (int)(cfg >> 6 & 1);
    if (goro_maxprocs(0) != procs)
        goro_maxprocs(procs);
    s.helper_thread = (cfg & 0x20) != 0;
    s.next_id = 1;
    p1_setup(&s, cfg);
    if (cfg & 0x80) {
        goro_waitgroup wg = {0};
        REQUIRE(goro_waitgroup_go(&wg, p1_goroutine, &s) == 0, "goro_waitgroup_go");
        goro_waitgroup_wait(&wg);
    } else {
        p1_run(&s);
    }
    p1_teardown(&s);
    p2_run(&s.r);
    wait_no_goroutines();
    return 0;
}
