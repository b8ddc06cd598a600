/* SPDX-License-Identifier: MIT */
/*
 * goro-trace: reads an execution trace (src/trace/format.h) and writes
 *   goro-trace json IN OUT    Chrome Trace Event JSON (Perfetto, chrome://tracing)
 *   goro-trace html IN OUT    one self-contained HTML timeline (canvas, zoom, pan)
 *   goro-trace summary IN     per goroutine function: running, runnable
 *                             latency, blocked by reason, syscalls, longest
 *                             blocks; per-P utilization
 *   goro-trace stats IN       event counts by type, the log lines and
 *                             regions with their times (tests)
 * A truncated trace is read up to its last whole event.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goro.h"
#include "trace/format.h"

typedef struct ev {
    int64_t ts;
    long seq;
    int type, tid;
    uint32_t aux;
    uint64_t a[5];
    const char *s1, *s2;
} ev;

typedef struct strdef { uint64_t key; const char *text; } strdef;

static ev *evs;
static long nev, cev;
static strdef *strs;
static long nstr, cstr;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fprintf(stderr, "goro-trace: out of memory\n");
        exit(1);
    }
    return p;
}

static const char *str_get(uint64_t key)
{
    for (long i = nstr - 1; i >= 0; i--)
        if (strs[i].key == key)
            return strs[i].text;
    return NULL;
}

static int ev_cmp(const void *x, const void *y)
{
    const ev *a = x, *b = y;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Clock pairs (ticks, ns) from the headers: the calibration. */
typedef struct cpair { uint64_t t; int64_t ns; } cpair;
static cpair *pairs;
static long npairs, cpairs;

static void pair_add(uint64_t t, int64_t ns)
{
    if (npairs == cpairs)
        pairs = xrealloc(pairs, (size_t)(cpairs = cpairs ? 2 * cpairs : 256) * sizeof *pairs);
    pairs[npairs++] = (cpair){ t, ns };
}

static int pair_cmp(const void *x, const void *y)
{
    const cpair *a = x, *b = y;
    return a->t < b->t ? -1 : a->t > b->t;
}

/* Ticks to ns: linear between the pairs around t (those less than 100 us
 * apart are merged, so a pair's read jitter does not bend the line), the
 * nearest segment's slope beyond them. */
static int64_t to_ns(uint64_t t)
{
    if (npairs == 1)
        return pairs[0].ns + (int64_t)(t - pairs[0].t);
    long lo = 0, hi = npairs - 1;
    while (hi - lo > 1) {
        long mid = (lo + hi) / 2;
        if (pairs[mid].t <= t)
            lo = mid;
        else
            hi = mid;
    }
    const cpair *a = &pairs[lo], *b = &pairs[hi];
    double rate = (double)(b->ns - a->ns) / (double)(b->t - a->t);
    return a->ns + (int64_t)((double)((int64_t)(t - a->t)) * rate);
}

static void pairs_prepare(void)
{
    qsort(pairs, (size_t)npairs, sizeof *pairs, pair_cmp);
    long k = 0;
    for (long i = 0; i < npairs; i++) {
        bool far = !k || (pairs[i].t > pairs[k - 1].t && pairs[i].ns - pairs[k - 1].ns >= 100000);
        if (far)
            pairs[k++] = pairs[i];
        else if (i == npairs - 1 && pairs[i].t > pairs[k - 1].t) {
            /* The last pair is kept: it replaces one too close to it, or
             * gives a short trace its only rate. */
            if (k > 1)
                pairs[k - 1] = pairs[i];
            else
                pairs[k++] = pairs[i];
        }
    }
    npairs = k;
}

/* An unsigned LEB128 varint at *p (< end); false past the end. */
static bool get(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int sh = 0; *p < end && sh < 64; sh += 7) {
        unsigned char c = *(*p)++;
        r |= (uint64_t)(c & 0x7f) << sh;
        if (!(c & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

/* A length-prefixed text; NULL past the end. */
static char *get_text(const unsigned char **p, const unsigned char *end)
{
    uint64_t len;
    if (!get(p, end, &len) || len > (uint64_t)(end - *p))
        return NULL;
    char *s = strndup((const char *)*p, (size_t)len);
    *p += len;
    return s;
}

/* Appends e to evs, in the order read. */
static void ev_add(ev *e)
{
    e->seq = nev;
    if (nev == cev)
        evs = xrealloc(evs, (size_t)(cev = cev ? 2 * cev : 4096) * sizeof *evs);
    evs[nev++] = *e;
}

/* Events of the batch being read that wait for its next timed event. */
static long *defer;
static long ndefer, cdefer;

static void defer_time(uint64_t now)
{
    for (long i = 0; i < ndefer; i++)
        evs[defer[i]].ts = (int64_t)now;
    ndefer = 0;
}

/* One event at *p; false (nothing kept) if it is incomplete or unknown. */
static bool decode(const unsigned char **pp, const unsigned char *end, uint64_t *now,
                   uint64_t *obj, int tid)
{
    const unsigned char *p = *pp;
    int t = *p & ~GORO_TR_DEFERRED;
    bool deferred = *p++ & GORO_TR_DEFERRED;
    uint64_t d = 0, pv, a[5] = { 0 };
    if (t < 1 || t >= GORO_TR_NTYPES || (!deferred && !get(&p, end, &d)) || !get(&p, end, &pv))
        return false;
    for (int i = 0; i < goro_tr_nargs[t]; i++) {
        if (!get(&p, end, &a[i]))
            return false;
        if (goro_tr_objs[t] >> i & 1) {
            uint64_t z = a[i];
            *obj += (z >> 1) ^ -(z & 1);   /* zigzag back to a difference */
            a[i] = *obj;
        }
    }
    char *txt[2] = { NULL, NULL };
    for (int i = 0; i < goro_tr_ntext[t]; i++)
        if (!(txt[i] = get_text(&p, end))) {
            free(txt[0]);
            return false;
        }
    *now += d;
    *pp = p;
    if (t == GORO_TR_STRING) {
        if (nstr == cstr)
            strs = xrealloc(strs, (size_t)(cstr = cstr ? 2 * cstr : 256) * sizeof *strs);
        strs[nstr].key = a[0];
        strs[nstr].text = txt[0];
        nstr++;
        return true;
    }
    if (deferred) {
        if (ndefer == cdefer)
            defer = xrealloc(defer, (size_t)(cdefer = cdefer ? 2 * cdefer : 64) * sizeof *defer);
        defer[ndefer++] = nev;
    } else {
        defer_time(*now);
    }
    ev e = { .ts = (int64_t)*now, .type = t, .tid = tid,
             .aux = pv ? (uint32_t)(pv - 1) : GORO_TR_NONE };
    memcpy(e.a, a, sizeof e.a);
    e.s1 = txt[0];
    e.s2 = txt[1] ? txt[1] : "";
    ev_add(&e);
    if (t == GORO_TR_GO_STOP && a[4]) {
        /* The switch's start (format.h), as if it were an event of its own. */
        ev s = { .ts = e.ts, .type = GORO_TR_GO_START, .tid = tid, .aux = e.aux,
                 .a = { a[4] }, .s1 = NULL, .s2 = "" };
        ev_add(&s);
    }
    return true;
}

/* Reads IN into evs (sorted by time, in ns) and strs. */
static void load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t cap = 1 << 20, len = 0;
    unsigned char *buf = xrealloc(NULL, cap);
    size_t k;
    while ((k = fread(buf + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap)
            buf = xrealloc(buf, cap *= 2);
    }
    fclose(f);
    if (len < GORO_TR_FILE_HEADER || memcmp(buf, GORO_TR_MAGIC, 8)) {
        fprintf(stderr, "goro-trace: %s: not a goro trace (version %d)\n", path, GORO_TR_VERSION);
        exit(1);
    }
    uint64_t t0;
    int64_t ns0;
    memcpy(&t0, buf + 16, 8);
    memcpy(&ns0, buf + 24, 8);
    pair_add(t0, ns0);
    size_t off = GORO_TR_FILE_HEADER;
    while (off + GORO_TR_BATCH_HEADER <= len) {
        uint32_t magic, size;
        int32_t tid;
        uint64_t base, bt;
        int64_t bns;
        memcpy(&magic, buf + off, 4);
        memcpy(&size, buf + off + 4, 4);
        memcpy(&tid, buf + off + 8, 4);
        memcpy(&base, buf + off + 16, 8);
        memcpy(&bt, buf + off + 24, 8);
        memcpy(&bns, buf + off + 32, 8);
        if (magic != GORO_TR_BATCH_MAGIC)
            break;
        pair_add(bt, bns);
        off += GORO_TR_BATCH_HEADER;
        bool whole = off + size <= len;
        const unsigned char *p = buf + off, *end = whole ? p + size : buf + len;
        uint64_t now = base, obj = 0;
        while (p < end && decode(&p, end, &now, &obj, tid))
            ;
        defer_time(bt > now ? bt : now);
        if (!whole || p != end)
            break;   /* truncated, or a torn event: the rest is unreadable */
        off += size;
    }
    free(buf);
    free(defer);
    pairs_prepare();
    for (long i = 0; i < nev; i++)
        evs[i].ts = to_ns((uint64_t)evs[i].ts);
    qsort(evs, (size_t)nev, sizeof *evs, ev_cmp);
}

/* Reads IN, opens OUT for writing (exits on failure). */
static FILE *load_for(const char *in, const char *out)
{
    load(in);
    FILE *o = fopen(out, "w");
    if (!o) {
        perror(out);
        exit(1);
    }
    return o;
}

/* ---- goroutines ---- */

enum { ST_UNKNOWN, ST_RUNNABLE, ST_RUNNING, ST_BLOCKED, ST_DEAD };

typedef struct gor {
    uint64_t id;
    uint64_t fn, site;
    int line, state, reason;
    int64_t since, run_start, sys_since;
    uint64_t obj;
    long flow;                     /* flow id of its last ready, 0 if none */
    int p, tid;
} gor;

static gor *gs;
static long ngs, cgs;

static gor *g_get(uint64_t id)
{
    /* Ids are mostly dense and increasing: binary search the sorted table. */
    long lo = 0, hi = ngs;
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        if (gs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ngs && gs[lo].id == id)
        return &gs[lo];
    if (ngs == cgs)
        gs = xrealloc(gs, (size_t)(cgs = cgs ? 2 * cgs : 1024) * sizeof *gs);
    memmove(&gs[lo + 1], &gs[lo], (size_t)(ngs - lo) * sizeof *gs);
    ngs++;
    memset(&gs[lo], 0, sizeof *gs);
    gs[lo].id = id;
    gs[lo].p = -1;
    return &gs[lo];
}

static const char *g_fn(const gor *g)
{
    const char *s = g->fn ? str_get(g->fn) : NULL;
    return s ? s : "?";
}

static const char *g_site(const gor *g)
{
    const char *s = g->site ? str_get(g->site) : NULL;
    return s ? s : "?";
}

/* The walk over the events: calls back on each run slice, ready, etc. */
typedef struct walker {
    void (*slice)(struct walker *w, const gor *g, int p, int tid, int64_t t0, int64_t t1, long flow);
    void (*ready)(struct walker *w, const gor *g, const ev *e, long flow);
    void (*blocked)(struct walker *w, const gor *g, int64_t t0, int64_t t1);
    void (*runnable)(struct walker *w, const gor *g, int64_t wait);
    void (*syscall)(struct walker *w, const gor *g, int64_t t0, int64_t t1);
    void (*count)(struct walker *w, int64_t ts, int runnable, int threads);
    void (*other)(struct walker *w, const ev *e);
} walker;

static int64_t t_first, t_last;

static void walk(walker *w)
{
    int runnable = 0, threads = 0;
    int *tids = NULL;
    long nflow = 0;
    t_first = nev ? evs[0].ts : 0;
    t_last = nev ? evs[nev - 1].ts : 0;
    for (long i = 0; i < nev; i++) {
        ev *e = &evs[i];
        int ti = 0;
        while (ti < threads && tids[ti] != e->tid)
            ti++;
        bool seen = ti < threads;
        int before = runnable;
        if (e->type == GORO_TR_THREAD_EXIT) {
            if (seen) {
                tids[ti] = tids[--threads];
                if (w->count)
                    w->count(w, e->ts, runnable, threads);
            }
            continue;
        }
        if (!seen) {
            tids = xrealloc(tids, (size_t)(threads + 1) * sizeof *tids);
            tids[threads++] = e->tid;
        }
        gor *g;
        switch (e->type) {
        case GORO_TR_GO_CREATE:
            g = g_get(e->a[0]);
            g->fn = e->a[2];
            g->site = e->a[3];
            g->line = (int)e->a[4];
            if (e->a[1] != UINT64_MAX) {
                g->state = ST_RUNNABLE;
                g->since = e->ts;
                runnable++;
            }
            break;
        case GORO_TR_GO_READY:
            g = g_get(e->a[0]);
            if (g->state == ST_RUNNING)
                break;   /* a ready timed late (format.h): it has started already */
            if (g->state == ST_BLOCKED && w->blocked)
                w->blocked(w, g, g->since, e->ts);
            if (g->state != ST_RUNNABLE)
                runnable++;
            g->state = ST_RUNNABLE;
            g->since = e->ts;
            g->flow = e->aux != GORO_TR_NONE ? ++nflow : 0;   /* an arrow starts on a P track */
            if (w->ready)
                w->ready(w, g, e, g->flow);
            break;
        case GORO_TR_GO_START:
            g = g_get(e->a[0]);
            if (g->state == ST_BLOCKED) {
                /* Its ready, timed late, comes after this: woken now. */
                if (w->blocked)
                    w->blocked(w, g, g->since, e->ts);
                g->state = ST_RUNNABLE;
                g->since = e->ts;
                runnable++;
            }
            if (g->state == ST_RUNNABLE) {
                runnable--;
                if (w->runnable)
                    w->runnable(w, g, e->ts - g->since);
            }
            g->state = ST_RUNNING;
            g->run_start = e->ts;
            g->p = (int)e->aux;
            g->tid = e->tid;
            break;
        case GORO_TR_GO_STOP:
            g = g_get(e->a[0]);
            if (g->state == ST_RUNNING && w->slice)
                w->slice(w, g, g->p, g->tid, g->run_start, e->ts, g->flow);
            g->flow = 0;
            if (e->a[1] == GORO_TR_STOP_PARK) {
                g->state = ST_BLOCKED;
                g->reason = (int)e->a[2];
                g->obj = e->a[3];
            } else if (e->a[1] == GORO_TR_STOP_EXIT) {
                g->state = ST_DEAD;
            } else {
                g->state = ST_RUNNABLE;
                runnable++;
            }
            g->since = e->ts;
            break;
        case GORO_TR_SYSCALL_ENTER:
            g_get(e->a[0])->sys_since = e->ts;
            break;
        case GORO_TR_SYSCALL_EXIT:
            g = g_get(e->a[0]);
            if (g->sys_since && w->syscall)
                w->syscall(w, g, g->sys_since, e->ts);
            g->sys_since = 0;
            break;
        default:
            if (w->other)
                w->other(w, e);
        }
        if ((runnable != before || !seen) && w->count)
            w->count(w, e->ts, runnable, threads);
    }
    /* Still running at the end: a slice up to the last event. */
    for (long i = 0; i < ngs; i++)
        if (gs[i].state == ST_RUNNING && w->slice)
            w->slice(w, &gs[i], gs[i].p, gs[i].tid, gs[i].run_start, t_last, gs[i].flow);
    free(tids);
}

static void json_str(FILE *o, const char *s)
{
    fputc('"', o);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(o, "\\%c", c);
        else if (c < 0x20)
            fprintf(o, "\\u%04x", c);
        else
            fputc(c, o);
    }
    fputc('"', o);
}

static const char *ev_name(int t)
{
    static const char *n[GORO_TR_NTYPES] = {
        [GORO_TR_STRING] = "string", [GORO_TR_GO_CREATE] = "create", [GORO_TR_GO_START] = "start",
        [GORO_TR_GO_STOP] = "stop", [GORO_TR_GO_READY] = "ready",
        [GORO_TR_SYSCALL_ENTER] = "syscall_enter", [GORO_TR_SYSCALL_EXIT] = "syscall_exit",
        [GORO_TR_HANDOFF] = "handoff", [GORO_TR_STEAL] = "steal", [GORO_TR_PREEMPT] = "preempt",
        [GORO_TR_RETAKE] = "retake", [GORO_TR_PROCS] = "procs", [GORO_TR_TIMER] = "timer",
        [GORO_TR_NETPOLL] = "netpoll", [GORO_TR_REGION_BEGIN] = "region_begin",
        [GORO_TR_REGION_END] = "region_end", [GORO_TR_LOG] = "log",
        [GORO_TR_THREAD_EXIT] = "thread_exit",
    };
    return t > 0 && t < GORO_TR_NTYPES && n[t] ? n[t] : "unknown";
}

/* ---- json ---- */

typedef struct jw { walker w; FILE *o; bool first; } jw;

#define US(t) ((double)((t) - t_first) / 1000.0)
#define PID_P 1
#define PID_THREAD 2
#define PID_G 3

static void jsep(jw *j)
{
    fputs(j->first ? "\n" : ",\n", j->o);
    j->first = false;
}

static void j_slice(walker *w, const gor *g, int p, int tid, int64_t t0, int64_t t1, long flow)
{
    jw *j = (jw *)w;
    char name[512];
    snprintf(name, sizeof name, "G%" PRIu64 " %s (%s:%d)", g->id, g_fn(g), g_site(g), g->line);
    for (int pid = PID_P; pid <= PID_THREAD; pid++) {
        if (pid == PID_P && p < 0)
            continue;
        jsep(j);
        fprintf(j->o, "{\"ph\":\"X\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,\"name\":",
                pid, pid == PID_P ? p : tid, US(t0), (double)(t1 - t0) / 1000.0);
        json_str(j->o, name);
        fprintf(j->o, ",\"args\":{\"goroutine\":%" PRIu64 "}}", g->id);
        if (flow && pid == PID_P) {
            jsep(j);
            fprintf(j->o, "{\"ph\":\"f\",\"bp\":\"e\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,"
                    "\"id\":%ld,\"name\":\"wake\",\"cat\":\"wake\"}", pid, p, US(t0), flow);
        }
    }
}

static void j_ready(walker *w, const gor *g, const ev *e, long flow)
{
    (void)g;
    jw *j = (jw *)w;
    if (e->aux == GORO_TR_NONE)
        return;   /* no P track to start the arrow on */
    jsep(j);
    fprintf(j->o, "{\"ph\":\"s\",\"pid\":%d,\"tid\":%u,\"ts\":%.3f,\"id\":%ld,"
            "\"name\":\"wake\",\"cat\":\"wake\"}", PID_P, e->aux, US(e->ts), flow);
}

static void j_count(walker *w, int64_t ts, int runnable, int threads)
{
    jw *j = (jw *)w;
    jsep(j);
    fprintf(j->o, "{\"ph\":\"C\",\"pid\":%d,\"ts\":%.3f,\"name\":\"runnable\","
            "\"args\":{\"goroutines\":%d}}", PID_P, US(ts), runnable);
    jsep(j);
    fprintf(j->o, "{\"ph\":\"C\",\"pid\":%d,\"ts\":%.3f,\"name\":\"threads\","
            "\"args\":{\"threads\":%d}}", PID_THREAD, US(ts), threads);
}

static void j_other(walker *w, const ev *e)
{
    jw *j = (jw *)w;
    jsep(j);
    if (e->type == GORO_TR_REGION_BEGIN || e->type == GORO_TR_REGION_END) {
        fprintf(j->o, "{\"ph\":\"%c\",\"pid\":%d,\"tid\":%" PRIu64 ",\"ts\":%.3f,\"name\":",
                e->type == GORO_TR_REGION_BEGIN ? 'B' : 'E', PID_G, e->a[0], US(e->ts));
        json_str(j->o, e->s1);
        fputs("}", j->o);
    } else if (e->type == GORO_TR_LOG) {
        fprintf(j->o, "{\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,\"tid\":%" PRIu64 ",\"ts\":%.3f,\"name\":",
                PID_G, e->a[0], US(e->ts));
        json_str(j->o, e->s1);
        fputs(",\"args\":{\"message\":", j->o);
        json_str(j->o, e->s2);
        fputs("}}", j->o);
    } else {
        bool onp = e->aux != GORO_TR_NONE && e->type != GORO_TR_PROCS && e->type != GORO_TR_NETPOLL;
        fprintf(j->o, "{\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"name\":\"%s\","
                "\"args\":{\"a0\":%" PRIu64 ",\"a1\":%" PRIu64 "}}",
                onp ? PID_P : PID_THREAD, onp ? (int)e->aux : e->tid, US(e->ts),
                ev_name(e->type), e->a[0], e->a[1]);
    }
}

static int cmd_json(const char *in, const char *out)
{
    FILE *o = load_for(in, out);
    jw j = { { j_slice, j_ready, NULL, NULL, NULL, j_count, j_other }, o, true };
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", o);
    static const char *procs[] = { NULL, "Ps", "OS threads", "goroutine regions" };
    for (int pid = PID_P; pid <= PID_G; pid++) {
        jsep(&j);
        fprintf(o, "{\"ph\":\"M\",\"pid\":%d,\"name\":\"process_name\",\"args\":{\"name\":\"%s\"}}",
                pid, procs[pid]);
    }
    walk(&j.w);
    /* Track names: one per P seen, one per thread. */
    int maxp = -1;
    for (long i = 0; i < nev; i++) {
        if (evs[i].type == GORO_TR_GO_START && (int)evs[i].aux > maxp)
            maxp = (int)evs[i].aux;
        if (evs[i].type == GORO_TR_PROCS && (int)evs[i].a[0] - 1 > maxp)
            maxp = (int)evs[i].a[0] - 1;   /* a P that never ran anything has a track too */
    }
    for (int p = 0; p <= maxp; p++) {
        jsep(&j);
        fprintf(o, "{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"thread_name\",\"args\":{\"name\":\"P%d\"}}",
                PID_P, p, p);
    }
    fputs("\n]}\n", o);
    return fclose(o) ? 1 : 0;
}

/* ---- html ---- */

#define HTML_GBANDS 64          /* goroutines with a band of regions and logs */

typedef struct hw {
    walker w;
    FILE *o;
    bool first;
    int *tids;                 /* thread tracks, in order of first run */
    int ntids;
    double *ready;             /* per flow id: the readier's P and time */
    long cready;
    double *arrows;            /* from P, from time, to P, to time */
    long narrows, carrows;
    FILE *cnt, *ins, *reg, *logs;   /* the C, I, R and L arrays being written */
    char *cntb, *insb, *regb, *logsb;
    size_t cntn, insn, regn, logsn;
    uint64_t gband[HTML_GBANDS];     /* goroutines with a region or log band */
    int ngband;
    struct openreg { uint64_t g; const char *name; double t0; } *open;
    int nopen;
} hw;

/* The band of goroutine g's regions and logs; -1 past the last one. */
static int h_gband(hw *h, uint64_t g)
{
    for (int i = 0; i < h->ngband; i++)
        if (h->gband[i] == g)
            return i;
    if (h->ngband == HTML_GBANDS)
        return -1;
    h->gband[h->ngband] = g;
    return h->ngband++;
}

/* A region of the goroutine's band, at its nesting depth. */
static void h_region(hw *h, const struct openreg *r, double t1)
{
    int depth = 0;
    for (int i = 0; i < h->nopen; i++)
        depth += h->open[i].g == r->g && &h->open[i] < r;
    int b = h_gband(h, r->g);
    if (b < 0)
        return;
    fprintf(h->reg, "%s[%d,%.3f,%.3f,%d,", ftell(h->reg) ? ",\n" : "", b, r->t0, t1, depth);
    json_str(h->reg, r->name);
    fputs("]", h->reg);
}

static void h_count(walker *w, int64_t ts, int runnable, int threads)
{
    hw *h = (hw *)w;
    fprintf(h->cnt, "%s[%.3f,%d,%d]", ftell(h->cnt) ? ",\n" : "", US(ts), runnable, threads);
}

/* Instant events on their P's band (kind 0), their thread's (1), or the
 * counters' band; regions and logs on their goroutine's band. */
static void h_other(walker *w, const ev *e)
{
    hw *h = (hw *)w;
    if (e->type == GORO_TR_REGION_BEGIN) {
        h->open = xrealloc(h->open, (size_t)(h->nopen + 1) * sizeof *h->open);
        h->open[h->nopen++] = (struct openreg){ e->a[0], e->s1, US(e->ts) };
    } else if (e->type == GORO_TR_REGION_END) {
        for (int i = h->nopen - 1; i >= 0; i--)
            if (h->open[i].g == e->a[0] && !strcmp(h->open[i].name, e->s1)) {
                h_region(h, &h->open[i], US(e->ts));
                memmove(&h->open[i], &h->open[i + 1], (size_t)(h->nopen - i - 1) * sizeof *h->open);
                h->nopen--;
                break;
            }
    } else if (e->type == GORO_TR_LOG) {
        int b = h_gband(h, e->a[0]);
        if (b < 0)
            return;
        char text[2100];
        snprintf(text, sizeof text, "%s: %s", e->s1, e->s2);
        fprintf(h->logs, "%s[%d,%.3f,", ftell(h->logs) ? ",\n" : "", b, US(e->ts));
        json_str(h->logs, text);
        fputs("]", h->logs);
    } else {
        bool onp = e->aux != GORO_TR_NONE && e->type != GORO_TR_PROCS && e->type != GORO_TR_NETPOLL;
        fprintf(h->ins, "%s[%d,%d,%.3f,\"%s %" PRIu64 "\"]", ftell(h->ins) ? ",\n" : "",
                onp ? 0 : 1, onp ? (int)e->aux : e->tid, US(e->ts), ev_name(e->type), e->a[0]);
    }
}

static void h_ready(walker *w, const gor *g, const ev *e, long flow)
{
    (void)g;
    hw *h = (hw *)w;
    if (flow >= h->cready) {
        long c = h->cready ? h->cready : 1024;
        while (c <= flow)
            c *= 2;
        h->ready = xrealloc(h->ready, (size_t)c * 2 * sizeof *h->ready);
        h->cready = c;
    }
    h->ready[2 * flow] = (double)e->aux;
    h->ready[2 * flow + 1] = US(e->ts);
}

static void h_slice(walker *w, const gor *g, int p, int tid, int64_t t0, int64_t t1, long flow)
{
    hw *h = (hw *)w;
    if (p < 0)
        return;
    int ti = 0;
    while (ti < h->ntids && h->tids[ti] != tid)
        ti++;
    if (ti == h->ntids) {
        h->tids = xrealloc(h->tids, (size_t)(h->ntids + 1) * sizeof *h->tids);
        h->tids[h->ntids++] = tid;
    }
    if (flow && flow < h->cready) {
        if (h->narrows + 4 > h->carrows)
            h->arrows = xrealloc(h->arrows, (size_t)(h->carrows = h->carrows ? 2 * h->carrows : 4096) *
                                 sizeof *h->arrows);
        double *a = h->arrows + h->narrows;
        a[0] = h->ready[2 * flow];
        a[1] = h->ready[2 * flow + 1];
        a[2] = p;
        a[3] = US(t0);
        h->narrows += 4;
    }
    fprintf(h->o, "%s[%d,%.3f,%.3f,%lu,%d,", h->first ? "" : ",\n", p, US(t0), US(t1),
            (unsigned long)(g->fn % 9973), ti);
    h->first = false;
    char name[512];
    snprintf(name, sizeof name, "G%" PRIu64 " %s (%s:%d)", g->id, g_fn(g), g_site(g), g->line);
    json_str(h->o, name);
    fputs("]", h->o);
}

static const char html_head[] =
"<!DOCTYPE html>\n<!-- SPDX-License-Identifier: MIT -->\n<html><head><meta charset=\"utf-8\">\n"
"<title>goro trace</title>\n<style>body{margin:0;background:#ffffff;font:12px sans-serif}"
"#info{height:20px;padding:2px 6px}canvas{display:block}</style></head><body>\n"
"<div id=\"info\">goro trace: wheel to zoom, drag to pan</div><canvas id=\"c\"></canvas>\n<script>\n";

/* The drawing: one band per P (background #203040, the label column is
 * left plain, which tests count), then one per OS thread (#383838), with
 * goroutine runs as slices coloured by function on both, and arrows from
 * a ready on the readier's P to the woken goroutine's run; instant events
 * as white ticks on top of their P's or thread's band; a band of counters
 * (#1c2c1c: runnable goroutines #40e0ff, threads #ff80ff, each scaled to its
 * own maximum, and the instant events of no P or thread band); then a band per goroutine with regions
 * (#c0a0ff bars, nested ones lower) or log lines (#ffff00 squares),
 * background #302040. The tests look for these colours. */
static const char html_tail[] =
"const cv=document.getElementById('c'),cx=cv.getContext('2d');\n"
"const LABEL=80,BAND=40,GAP=10,TOP=10,CB=60,RB=20;\n"
"let np=0,t1=0;for(const s of S){np=Math.max(np,s[0]+1);t1=Math.max(t1,s[2]);}\n"
"for(const c of C)t1=Math.max(t1,c[0]);for(const r of R)t1=Math.max(t1,r[2]);\n"
"np=Math.max(np,NP);\n"
"let t0=0,span=Math.max(t1,1e-3);\n"
"const rows=[];let Y=TOP;\n"
"function row(h,bg,label){rows.push({y:Y,h:h,bg:bg,label:label});Y+=h+GAP;return rows.length-1;}\n"
"for(let p=0;p<np;p++)row(BAND,'#203040','P'+p);\n"
"for(const t of T)row(BAND,'#383838','T'+t);\n"
"const crow=row(CB,'#1c2c1c','counters');\n"
"const grow=rows.length;for(const g of G)row(RB,'#302040',g?'G'+g:'threads');\n"
"const cmax=[0,1,1];for(const c of C){cmax[1]=Math.max(cmax[1],c[1]);cmax[2]=Math.max(cmax[2],c[2]);}\n"
"function insrow(i){if(i[0]===0&&i[1]<np)return i[1];const k=i[0]===1?T.indexOf(i[1]):-1;return k>=0?np+k:crow;}\n"
"function resize(){cv.width=window.innerWidth;cv.height=Y+10;draw();}\n"
"function X(t){return LABEL+(t-t0)*(cv.width-LABEL)/span;}\n"
"function col(k){const h=(k*47)%360;return 'hsl('+h+',70%,60%)';}\n"
"function bar(x0,x1,y,h){if(x1<LABEL||x0>cv.width)return;x0=Math.max(Math.round(x0),LABEL);x1=Math.max(Math.round(x1),x0+1);cx.fillRect(x0,y,x1-x0,h);}\n"
"function draw(){cx.fillStyle='#ffffff';cx.fillRect(0,0,cv.width,cv.height);\n"
" for(const r of rows){cx.fillStyle=r.bg;cx.fillRect(0,r.y,cv.width,r.h);}\n"
" for(const s of S)for(const k of [s[0],np+s[4]]){const r=rows[k];let x0=X(s[1]),x1=X(s[2]);\n"
"  if(x1<LABEL||x0>cv.width)continue;x0=Math.max(x0,LABEL);x1=Math.max(x1,x0+1);\n"
"  cx.fillStyle=col(s[3]);cx.fillRect(x0,r.y+6,x1-x0,BAND-12);\n"
"  if(x1-x0>60){cx.fillStyle='#000';cx.save();cx.beginPath();cx.rect(x0,r.y,x1-x0,BAND);cx.clip();cx.fillText(s[5],x0+2,r.y+24);cx.restore();}}\n"
" cx.strokeStyle='#ffcc00';cx.beginPath();let na=0;\n"
" for(let i=0;i<A.length&&na<5000;i+=4){const x0=X(A[i+1]),x1=X(A[i+3]);\n"
"  if(x1<LABEL||x0>cv.width||x1-x0<3)continue;na++;\n"
"  cx.moveTo(x0,rows[A[i]].y+BAND/2);cx.lineTo(x1,rows[A[i+2]].y+BAND/2);}\n"
" cx.stroke();\n"
" const cr=rows[crow];\n"
" for(const [k,c] of [[2,'#ff80ff'],[1,'#40e0ff']]){cx.fillStyle=c;\n"
"  for(let i=0;i<C.length;i++){const x1=i+1<C.length?X(C[i+1][0]):cv.width;\n"
"   bar(X(C[i][0]),x1,Math.round(cr.y+cr.h-4-C[i][k]/cmax[k]*(cr.h-8)),2);}}\n"
" cx.fillStyle='#ffffff';for(const i of I){const x=Math.round(X(i[2]));if(x<LABEL||x>cv.width)continue;cx.fillRect(x-1,rows[insrow(i)].y,2,8);}\n"
" cx.fillStyle='#c0a0ff';for(const r of R){const w=rows[grow+r[0]];bar(X(r[1]),X(r[2]),w.y+3+3*Math.min(r[3],3),RB-6-3*Math.min(r[3],3));}\n"
" cx.fillStyle='#ffff00';for(const l of L){const x=Math.round(X(l[1]));if(x<LABEL||x>cv.width)continue;cx.fillRect(x-3,rows[grow+l[0]].y+7,6,6);}\n"
" cx.fillStyle='#ffffff';cx.font='12px sans-serif';\n"
" for(const r of rows)cx.fillText(r.label,8,r.y+Math.min(r.h/2+4,r.h-4));}\n"
"cv.addEventListener('wheel',e=>{e.preventDefault();const W=cv.width-LABEL;\n"
" const t=t0+(e.offsetX-LABEL)/W*span;const f=e.deltaY<0?0.8:1.25;span*=f;t0=t-(t-t0)*f;draw();});\n"
"let drag=null;cv.addEventListener('mousedown',e=>{drag=[e.offsetX,t0];});\n"
"window.addEventListener('mouseup',()=>{drag=null;});\n"
"function near(x,t){return Math.abs(X(t)-x)<=4;}\n"
"function hover(x,y){const t=t0+(x-LABEL)/(cv.width-LABEL)*span;\n"
" const k=rows.findIndex(r=>y>=r.y&&y<r.y+r.h);if(k<0)return '';\n"
" for(const i of I)if(insrow(i)===k&&near(x,i[2]))return i[3]+' at '+i[2].toFixed(1)+' us';\n"
" if(k===crow){let c=null;for(const d of C){if(d[0]>t)break;c=d;}return c?'runnable '+c[1]+', threads '+c[2]:'';}\n"
" if(k>=grow){for(const l of L)if(grow+l[0]===k&&near(x,l[1]))return l[2];\n"
"  for(const r of R)if(grow+r[0]===k&&r[1]<=t&&t<=r[2])return 'region '+r[4]+'  '+(r[2]-r[1]).toFixed(1)+' us';return '';}\n"
" for(const s of S)if((s[0]===k||np+s[4]===k)&&s[1]<=t&&t<=s[2])return s[5]+'  '+(s[2]-s[1]).toFixed(1)+' us';return '';}\n"
"cv.addEventListener('mousemove',e=>{if(drag){t0=drag[1]-(e.offsetX-drag[0])/(cv.width-LABEL)*span;draw();}\n"
" const h=hover(e.offsetX,e.offsetY);if(h)document.getElementById('info').textContent=h;});\n"
"window.addEventListener('resize',resize);resize();\n"
"</script></body></html>\n";

static int cmd_html(const char *in, const char *out)
{
    FILE *o = load_for(in, out);
    int np = 0;
    for (long i = 0; i < nev; i++)
        if (evs[i].type == GORO_TR_PROCS && (int)evs[i].a[0] > np)
            np = (int)evs[i].a[0];
    fputs(html_head, o);
    fprintf(o, "const NP=%d;\nconst S=[", np);
    hw h = { .w = { h_slice, h_ready, NULL, NULL, NULL, h_count, h_other }, .o = o, .first = true };
    h.cnt = open_memstream(&h.cntb, &h.cntn);
    h.ins = open_memstream(&h.insb, &h.insn);
    h.reg = open_memstream(&h.regb, &h.regn);
    h.logs = open_memstream(&h.logsb, &h.logsn);
    if (!h.cnt || !h.ins || !h.reg || !h.logs) {
        fprintf(stderr, "goro-trace: out of memory\n");
        return 1;
    }
    walk(&h.w);
    for (int i = 0; i < h.nopen; i++)   /* regions still open at the end */
        h_region(&h, &h.open[i], US(t_last));
    fputs("];\nconst A=[", o);
    for (long i = 0; i < h.narrows; i++)
        fprintf(o, "%s%.3f", i ? (i % 4 ? "," : ",\n") : "", h.arrows[i]);
    fputs("];\nconst T=[", o);
    for (int i = 0; i < h.ntids; i++)
        fprintf(o, "%s%d", i ? "," : "", h.tids[i]);
    fputs("];\nconst G=[", o);
    for (int i = 0; i < h.ngband; i++)
        fprintf(o, "%s%" PRIu64, i ? "," : "", h.gband[i]);
    FILE *parts[] = { h.cnt, h.ins, h.reg, h.logs };
    char **bufs[] = { &h.cntb, &h.insb, &h.regb, &h.logsb };
    static const char *names[] = { "C", "I", "R", "L" };
    for (int i = 0; i < 4; i++) {
        fclose(parts[i]);
        fprintf(o, "];\nconst %s=[%s", names[i], *bufs[i]);
        free(*bufs[i]);
    }
    fputs("];\n", o);
    fputs(html_tail, o);
    free(h.tids);
    free(h.ready);
    free(h.arrows);
    free(h.open);
    return fclose(o) ? 1 : 0;
}

/* ---- summary ---- */

typedef struct lat { int64_t *v; long n, c; } lat;
typedef struct block { int64_t dur; int reason; uint64_t obj, g; } block;
#define NLONG 5

typedef struct fnsum {
    uint64_t fn;
    long count;
    int64_t running, syscall, blocked[GORO_WAIT_COUNT + 1];
    lat runnable;
    block longest[NLONG];
} fnsum;

typedef struct sw {
    walker w;
    fnsum *f;
    long nf;
    int64_t pbusy[1024];
} sw;

static fnsum *f_get(sw *s, uint64_t fn)
{
    for (long i = 0; i < s->nf; i++)
        if (s->f[i].fn == fn)
            return &s->f[i];
    s->f = xrealloc(s->f, (size_t)(s->nf + 1) * sizeof *s->f);
    memset(&s->f[s->nf], 0, sizeof *s->f);
    s->f[s->nf].fn = fn;
    return &s->f[s->nf++];
}

static void s_slice(walker *w, const gor *g, int p, int tid, int64_t t0, int64_t t1, long flow)
{
    (void)tid;
    (void)flow;
    sw *s = (sw *)w;
    f_get(s, g->fn)->running += t1 - t0;
    if (p >= 0 && p < 1024)
        s->pbusy[p] += t1 - t0;
}

static void s_blocked(walker *w, const gor *g, int64_t t0, int64_t t1)
{
    fnsum *f = f_get((sw *)w, g->fn);
    int r = g->reason >= 0 && g->reason < GORO_WAIT_COUNT ? g->reason : GORO_WAIT_COUNT;
    f->blocked[r] += t1 - t0;
    block b = { t1 - t0, g->reason, g->obj, g->id };
    for (int i = 0; i < NLONG; i++)
        if (b.dur > f->longest[i].dur) {
            block t = f->longest[i];
            f->longest[i] = b;
            b = t;
        }
}

static void s_runnable(walker *w, const gor *g, int64_t wait)
{
    lat *l = &f_get((sw *)w, g->fn)->runnable;
    if (l->n == l->c)
        l->v = xrealloc(l->v, (size_t)(l->c = l->c ? 2 * l->c : 64) * sizeof *l->v);
    l->v[l->n++] = wait;
}

static void s_syscall(walker *w, const gor *g, int64_t t0, int64_t t1)
{
    f_get((sw *)w, g->fn)->syscall += t1 - t0;
}

static int i64_cmp(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

static int64_t pct(lat *l, int p)
{
    if (!l->n)
        return 0;
    return l->v[(l->n - 1) * p / 100];
}

static int cmd_summary(const char *in)
{
    load(in);
    sw s = { { s_slice, NULL, s_blocked, s_runnable, s_syscall, NULL, NULL }, NULL, 0, { 0 } };
    walk(&s.w);
    for (long i = 0; i < ngs; i++)
        f_get(&s, gs[i].fn)->count++;
    double total = (double)(t_last - t_first);
    printf("trace: %.3f ms, %ld events, %ld goroutines\n\n", total / 1e6, nev, ngs);
    for (long i = 0; i < s.nf; i++) {
        fnsum *f = &s.f[i];
        gor key = { .fn = f->fn };
        qsort(f->runnable.v, (size_t)f->runnable.n, sizeof *f->runnable.v, i64_cmp);
        printf("%s: %ld goroutines\n", g_fn(&key), f->count);
        printf("  running %.3f ms, runnable p50 %.1f us p99 %.1f us (%ld runs), in syscalls %.3f ms\n",
               (double)f->running / 1e6, (double)pct(&f->runnable, 50) / 1e3,
               (double)pct(&f->runnable, 99) / 1e3, f->runnable.n, (double)f->syscall / 1e6);
        for (int r = 0; r <= GORO_WAIT_COUNT; r++)
            if (f->blocked[r])
                printf("  blocked on %s: %.3f ms\n",
                       r < GORO_WAIT_COUNT ? goro_wait_name(r) : "?", (double)f->blocked[r] / 1e6);
        for (int k = 0; k < NLONG && f->longest[k].dur; k++)
            printf("  longest block: %.3f ms, G%" PRIu64 " on %s %#" PRIx64 "\n",
                   (double)f->longest[k].dur / 1e6, f->longest[k].g,
                   goro_wait_name(f->longest[k].reason), f->longest[k].obj);
    }
    printf("\n");
    for (int p = 0; p < 1024; p++)
        if (s.pbusy[p])
            printf("P%d: %.1f%% utilized (%.3f ms running)\n", p,
                   total > 0 ? 100.0 * (double)s.pbusy[p] / total : 0.0, (double)s.pbusy[p] / 1e6);
    for (long i = 0; i < s.nf; i++)
        free(s.f[i].runnable.v);
    free(s.f);
    return 0;
}

/* ---- stats: event counts (tests) ---- */

static int cmd_stats(const char *in)
{
    load(in);
    long n[GORO_TR_NTYPES] = { 0 };
    long created = 0, exited = 0;
    for (long i = 0; i < nev; i++) {
        if (evs[i].type > 0 && evs[i].type < GORO_TR_NTYPES)
            n[evs[i].type]++;
        if (evs[i].type == GORO_TR_GO_CREATE && evs[i].a[1] != UINT64_MAX)
            created++;
        if (evs[i].type == GORO_TR_GO_STOP && evs[i].a[1] == GORO_TR_STOP_EXIT)
            exited++;
    }
    printf("events %ld\n", nev);
    for (int t = 1; t < GORO_TR_NTYPES; t++)
        if (t != GORO_TR_STRING)
            printf("%s %ld\n", ev_name(t), n[t]);
    printf("created_in_trace %ld\nexited %ld\n", created, exited);
    /* Per wait reason: parks. */
    for (int r = 0; r < GORO_WAIT_COUNT; r++) {
        long k = 0;
        for (long i = 0; i < nev; i++)
            k += evs[i].type == GORO_TR_GO_STOP && evs[i].a[1] == GORO_TR_STOP_PARK &&
                 (int)evs[i].a[2] == r;
        if (k)
            printf("park[%s] %ld\n", goro_wait_name(r), k);
    }
    /* Per function: goroutines created, and log/region counts by name. */
    for (long i = 0; i < nev; i++)
        if (evs[i].type == GORO_TR_LOG || evs[i].type == GORO_TR_REGION_BEGIN)
            printf("%s %s %s @%" PRId64 "\n", ev_name(evs[i].type), evs[i].s1,
                   evs[i].s2 ? evs[i].s2 : "", evs[i].ts);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "json"))
        return cmd_json(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "html"))
        return cmd_html(argv[2], argv[3]);
    if (argc == 3 && !strcmp(argv[1], "summary"))
        return cmd_summary(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "stats"))
        return cmd_stats(argv[2]);
    fprintf(stderr, "usage: goro-trace json IN OUT | html IN OUT | summary IN | stats IN\n");
    return 2;
}
