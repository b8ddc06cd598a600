/* SPDX-License-Identifier: MIT */
/*
 * errgroup.c: goro_errgroup (golang.org/x/sync/errgroup).
 *
 * A group is a WaitGroup, a derived context (with_cancel of the parent),
 * the first error, and an optional limit on active tasks. The limit is a
 * channel of empty elements with that capacity: starting a task sends a
 * token (blocking, or failing for try_go, when full), ending it receives
 * one. The first task to return non-zero records its result and cancels
 * the context with it as the cause; wait cancels the context too.
 * `err` is written once, under `mu` (a goro__lock), read after wait.
 *
 * Limits and active tasks: under `mu`, a start counts itself in `active`
 * and takes a reference on the limit channel it will send its token to;
 * its task receives the token back from that same channel and counts
 * itself out, so a task never gives back what it did not take. set_limit
 * replaces the channel under `mu` only while `active` is 0 (GORO_EINVAL
 * otherwise, as Go panics), which covers tasks started with no limit and
 * starts still blocked sending their token.
 *
 * A task's last access to the group is its WaitGroup done, so free, which
 * waits for the WaitGroup first, never frees a group a task still uses.
 *
 * A task's goroutine gets its `task` record copied into its own storage
 * (goro__go_task); goro_errgroup_go_copy's argument is copied there too,
 * after the record (at ARG_OFF), and the task reads it in place.
 */
#include <string.h>

#include "chan/chan.h"
#include "base/san.h"

struct goro_errgroup {
    goro_waitgroup wg;
    goro_ctx *ctx;
    goro__lock mu;
    int err;                   /* first non-zero result (mu) */
    goro_chan *sem;            /* NULL: no limit (mu) */
    int64_t active;            /* tasks started and not ended, starts included (mu) */
};

typedef struct task {
    goro_errgroup *g;
    int (*fn)(void *);
    void *arg;
    bool copied;               /* arg: the copy after this record */
    goro_chan *sem;            /* where its token went (a reference), or NULL */
    const char *file;          /* the goro_errgroup_go call site */
    int line;
} task;

/* Where a copied argument starts: aligned as goro_go_copy's storage. */
#define ARG_OFF ((sizeof(task) + 15) & ~(size_t)15)

goro_errgroup *goro_errgroup_new(goro_ctx *parent)
{
    SAN_RUNTIME_SCOPE;
    goro_errgroup *g = goro__malloc(sizeof *g);
    if (!g)
        return NULL;
    memset(g, 0, sizeof *g);
    goro__lock_init(&g->mu, ERRGROUP);
    g->ctx = goro_ctx_with_cancel(parent ? parent : goro_ctx_background());
    if (!g->ctx) {
        goro__free(g);
        return NULL;
    }
    return g;
}

goro_ctx *goro_errgroup_ctx(goro_errgroup *g)
{
    return g ? g->ctx : NULL;
}

int goro_errgroup_set_limit(goro_errgroup *g, int n)
{
    SAN_RUNTIME_SCOPE;
    if (!g)
        return GORO_EINVAL;
    goro_chan *sem = NULL;
    if (n >= 0 && !(sem = goro_chan_make(0, (size_t)n)))
        return GORO_ENOMEM;
    goro__lock_acquire(&g->mu);
    bool active = g->active != 0;
    if (!active) {
        goro_chan *old = g->sem;
        g->sem = sem;
        sem = old;
    }
    goro__lock_release(&g->mu);
    goro_chan_release(sem);   /* the old limit, or the new one refused */
    return active ? GORO_EINVAL : 0;   /* Go panics: tasks are active */
}

/* A task ends (started: it holds a token and is counted in the
 * WaitGroup), or a start fails (before its token: it holds neither). */
static void task_end(const task *t, bool started)
{
    goro_errgroup *g = t->g;
    if (t->sem) {
        if (started)
            goro_chan_recv(t->sem, NULL);
        goro_chan_release(t->sem);
    }
    goro__lock_acquire(&g->mu);
    g->active--;
    goro__lock_release(&g->mu);
    if (started)
        goro_waitgroup_add_at(&g->wg, -1, t->file, t->line);
}

static void run(void *p)
{
    task t;
    memcpy(&t, p, sizeof t);
    if (t.copied)
        t.arg = (char *)p + ARG_OFF;
    goro_errgroup *g = t.g;
    int r = t.fn(t.arg);
    if (r != 0) {
        goro__lock_acquire(&g->mu);
        bool first = g->err == 0;
        if (first)
            g->err = r;
        goro__lock_release(&g->mu);
        if (first)
            goro_ctx_cancel_cause(g->ctx, r);
    }
    task_end(&t, true);
}

/* Starts its goroutine for a task that holds its token: the record, and
 * after it `size` bytes from `copy` when copied (`arg` then is `copy`). */
static int spawn(const task *t, const goro_opts *opts, size_t size)
{
    if (!t->copied)
        return goro__go_task(run, t, sizeof *t, (void (*)(void))t->fn, opts, t->file, t->line);
    _Alignas(16) unsigned char small[ARG_OFF + GORO_COPY_INLINE];
    unsigned char *buf = small;
    if (size > GORO_COPY_INLINE && !(buf = goro__malloc(ARG_OFF + size)))
        return GORO_ENOMEM;
    memcpy(buf, t, sizeof *t);
    memcpy(buf + ARG_OFF, t->arg, size);
    int r = goro__go_task(run, buf, ARG_OFF + size, (void (*)(void))t->fn, opts,
                          t->file, t->line);
    if (buf != small)
        goro__free(buf);
    return r;
}

/* goro_errgroup_go and its forms: copy (size bytes) is the argument to
 * copy, or NULL to pass arg as is. */
static int start(goro_errgroup *g, const goro_opts *opts, int (*fn)(void *), void *arg,
                 const void *copy, size_t size, bool try, const char *file, int line)
{
    if (!g || !fn || !goro__opts_ok(opts))
        return GORO_EINVAL;
    if (size > SIZE_MAX - ARG_OFF)
        return GORO_ENOMEM;
    task t = { .g = g, .fn = fn, .arg = copy ? (void *)copy : arg, .copied = copy != NULL,
               .file = file, .line = line };
    goro__lock_acquire(&g->mu);
    t.sem = goro_chan_retain(g->sem);
    g->active++;
    goro__lock_release(&g->mu);
    int r = !t.sem ? 0 : try ? goro_chan_try_send(t.sem, NULL) : goro_chan_send(t.sem, NULL);
    if (r != 0) {
        task_end(&t, false);
        return r;
    }
    goro_waitgroup_add_at(&g->wg, 1, file, line);
    r = spawn(&t, opts, size);
    if (r != 0)
        task_end(&t, true);
    return r;
}

int goro_errgroup_go_at(goro_errgroup *g, int (*fn)(void *), void *arg,
                        const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    return start(g, NULL, fn, arg, NULL, 0, false, file, line);
}

int goro_errgroup_try_go_at(goro_errgroup *g, int (*fn)(void *), void *arg,
                            const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    return start(g, NULL, fn, arg, NULL, 0, true, file, line);
}

int goro_errgroup_go_opts_at(goro_errgroup *g, const goro_opts *opts, int (*fn)(void *),
                             void *arg, const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    return start(g, opts, fn, arg, NULL, 0, false, file, line);
}

int goro_errgroup_try_go_opts_at(goro_errgroup *g, const goro_opts *opts, int (*fn)(void *),
                                 void *arg, const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    return start(g, opts, fn, arg, NULL, 0, true, file, line);
}

int goro_errgroup_go_copy_at(goro_errgroup *g, int (*fn)(void *), const void *arg,
                             size_t size, const char *file, int line)
{
    SAN_RUNTIME_SCOPE;
    if (!arg && size)
        return GORO_EINVAL;
    return start(g, NULL, fn, NULL, arg, size, false, file, line);
}

int goro_errgroup_wait(goro_errgroup *g)
{
    SAN_RUNTIME_SCOPE;
    if (!g)
        return GORO_EINVAL;
    goro_waitgroup_wait(&g->wg);
    goro__lock_acquire(&g->mu);
    int err = g->err;
    goro__lock_release(&g->mu);
    goro_ctx_cancel_cause(g->ctx, err);
    return err;
}

void goro_errgroup_free(goro_errgroup *g)
{
    SAN_RUNTIME_SCOPE;
    if (!g)
        return;
    goro_waitgroup_wait(&g->wg);   /* tasks still running use g until their done */
    goro_ctx_release(g->ctx);
    goro_chan_release(g->sem);
    goro__free(g);
}
